/* libFuzzer harness: coord_decode_session and the public coord_session_decode.
 * Besides the sanitizers' checks, it asserts the decoder's contract: every
 * string NUL-terminated in its storage and well-formed UTF-8, flags 0 or 1 and consistent with the
 * strings, integers within +/-(2^53 - 1), and on failure a zeroed session
 * and a terminated, non-empty detail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SAFE_INTEGER INT64_C(9007199254740991)

static void require(int ok)
{
    if (!ok)
        abort(); /* libFuzzer reports it as a crash with the input */
}

/* Terminated within its storage, and well-formed UTF-8 (cJSON does not
 * check; the decoder must). */
static void require_terminated(const char *s, size_t size)
{
    const char *nul = memchr(s, '\0', size);

    require(nul != NULL);
    require(coord_utf8_valid(s, (size_t)(nul - s)));
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static void check(coord_status st, const coord_session *s, const char *detail, size_t size)
{
    if (st != COORD_OK) {
        require(st == COORD_ERR_BAD_RESPONSE || st == COORD_ERR_OUT_OF_MEMORY);
        require(memchr(detail, '\0', size) != NULL);
        require(detail[0] != '\0');
        require(all_zero(s, sizeof(*s)));
        return;
    }
    require(s->id >= -SAFE_INTEGER && s->id <= SAFE_INTEGER);
    require_terminated(s->location_id, sizeof(s->location_id));
    require_terminated(s->user_id, sizeof(s->user_id));
    require_terminated(s->resource_id, sizeof(s->resource_id));
    require_terminated(s->start_time, sizeof(s->start_time));
    require_terminated(s->end_time, sizeof(s->end_time));
    require(s->has_start_time <= 1 && s->has_end_time <= 1);
    require(s->has_billing_info <= 1 && s->has_redemption_info <= 1);
    require(s->has_start_time == (s->start_time[0] != '\0'));
    require(s->has_end_time == (s->end_time[0] != '\0'));
    require(s->billing_info.has_cost <= 1);
    if (s->billing_info.has_cost) {
        require(s->has_billing_info);
        require(s->billing_info.cost.amount >= -SAFE_INTEGER &&
                s->billing_info.cost.amount <= SAFE_INTEGER);
        require(strlen(s->billing_info.cost.currency) == 3);
    }
    require_terminated(s->redemption_info.barcode_data, sizeof(s->redemption_info.barcode_data));
    require_terminated(s->redemption_info.barcode_format,
                       sizeof(s->redemption_info.barcode_format));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy, so that reading one byte past `size` is caught */
    char *json = malloc(size > 0 ? size : 1);
    char detail[COORD_MESSAGE_MAX], small[8];
    coord_session s, t;
    coord_status st;

    if (json == NULL)
        return 0;
    if (size > 0)
        memcpy(json, data, size);
    memset(detail, 'x', sizeof(detail));
    st = coord_decode_session(json, size, &s, detail, sizeof(detail));
    check(st, &s, detail, sizeof(detail));

    /* the public wrapper agrees, always terminates its detail, and truncates
     * it safely */
    memset(small, 'x', sizeof(small));
    require(coord_session_decode(json, size, &t, small, sizeof(small)) == st);
    require(memchr(small, '\0', sizeof(small)) != NULL);
    require((st == COORD_OK) == (small[0] == '\0'));
    require(memcmp(&s, &t, sizeof(s)) == 0);
    free(json);
    return 0;
}
