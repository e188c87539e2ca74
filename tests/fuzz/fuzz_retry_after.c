/* libFuzzer harness: coord_retry_after_parse, the reader of a server's
 * Retry-After header (delay-seconds, or an HTTP-date read by curl_getdate).
 * On success the delay is whole seconds or saturated, and the same text
 * parses the same way again; delay-seconds give exactly their value, however
 * many digits: counted here independently, the seconds in a uint64_t and a
 * flag (`big`) set once they pass it; UINT64_MAX milliseconds when the flag
 * is set or the seconds' milliseconds do not fit in 64 bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NOW_S INT64_C(1700000000) /* 2023-11-14T22:13:20Z */

static void require(int ok)
{
    if (!ok)
        abort();
}

/* The milliseconds of a text of decimal digits (with blanks around), or
 * UINT64_MAX when they do not fit; -1 when the text is not that. */
static int delay_seconds_ms(const char *s, uint64_t *out)
{
    uint64_t seconds = 0;
    int big = 0;

    s += strspn(s, " \t");
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');

        if (seconds > (UINT64_MAX - d) / 10)
            big = 1;
        else
            seconds = seconds * 10 + d;
    }
    s += strspn(s, " \t");
    if (*s != '\0')
        return -1;
    *out = big || seconds > UINT64_MAX / 1000 ? UINT64_MAX : seconds * 1000;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value;
    uint64_t ms = 1, again = 2, expected;
    int rc;

    if (size > 256) /* the transport keeps at most 63 bytes of the header */
        return 0;
    value = malloc(size + 1);
    if (value == NULL)
        return 0;
    memcpy(value, data, size);
    value[size] = '\0';
    rc = coord_retry_after_parse(value, NOW_S, &ms);
    if (delay_seconds_ms(value, &expected) == 0) {
        require(rc == 0);
        require(ms == expected);
    }
    if (rc == 0) {
        require(ms % 1000 == 0 || ms == UINT64_MAX);
        require(coord_retry_after_parse(value, NOW_S, &again) == 0 && again == ms);
    } else {
        require(rc == -1);
        require(ms == 1); /* untouched */
    }
    free(value);
    return 0;
}
