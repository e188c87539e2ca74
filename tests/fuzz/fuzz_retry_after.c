/* libFuzzer harness: coord_retry_after_parse, the reader of a server's
 * Retry-After header (delta-seconds or an IMF-fixdate). On success the delay
 * is whole seconds, never more than a four-digit-year date (leap seconds
 * included) or the delta-seconds bound allow, and the same text parses the same way again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NOW_S INT64_C(1700000000)                /* 2023-11-14T22:13:20Z */
/* 9999-12-31T23:59:59Z, plus 2 s: strptime's %S takes leap seconds 60 and 61 */
#define LAST_DATE_S (INT64_C(253402300799) + 2)
#define MAX_DELTA_S UINT64_C(10000000000)        /* just above the parser's cut */

static void require(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value;
    uint64_t ms = 1, again = 2;
    int rc;

    if (size > 256) /* the transport keeps at most 63 bytes of the header */
        return 0;
    value = malloc(size + 1);
    if (value == NULL)
        return 0;
    memcpy(value, data, size);
    value[size] = '\0';
    rc = coord_retry_after_parse(value, NOW_S, &ms);
    if (rc == 0) {
        require(ms % 1000 == 0);
        require(ms / 1000 <= MAX_DELTA_S * 10 ||
                ms / 1000 <= (uint64_t)(LAST_DATE_S - NOW_S));
        require(coord_retry_after_parse(value, NOW_S, &again) == 0 && again == ms);
    } else {
        require(rc == -1);
        require(ms == 1); /* untouched */
    }
    free(value);
    return 0;
}
