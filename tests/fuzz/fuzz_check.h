/* What every fuzz harness asserts about a decoded session. Not part of
 * libcoord. A failed check aborts, which libFuzzer reports with the input. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FUZZ_SAFE_INTEGER INT64_C(9007199254740991)

/* The decoders run with a new client's limits. */
static const coord_decode_limits limits = {.max_response_size = COORD_DEFAULT_MAX_RESPONSE_SIZE,
                                           .max_sessions = COORD_DEFAULT_MAX_SESSIONS};

static inline void require(int ok)
{
    if (!ok)
        abort();
}

/* Terminated within its storage, and well-formed UTF-8 (cJSON does not
 * check; the decoder must). */
static inline void require_text(const char *s, size_t size)
{
    const char *nul = memchr(s, '\0', size);

    require(nul != NULL);
    require(coord_utf8_valid(s, (size_t)(nul - s)));
}

static inline int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* The error record a decoder filled when it returned st: the same status,
 * and a terminated, non-empty detail. */
static inline void require_error(coord_status st, const coord_error *err)
{
    require(err->status == (int32_t)st);
    require(memchr(err->detail, '\0', sizeof(err->detail)) != NULL && err->detail[0] != '\0');
}

/* A session the decoder returned with COORD_OK. */
static inline void require_session(const coord_session *s)
{
    require(s->id >= -FUZZ_SAFE_INTEGER && s->id <= FUZZ_SAFE_INTEGER);
    require_text(s->location_id, sizeof(s->location_id));
    require_text(s->user_id, sizeof(s->user_id));
    require_text(s->resource_id, sizeof(s->resource_id));
    require_text(s->start_time, sizeof(s->start_time));
    require_text(s->end_time, sizeof(s->end_time));
    require(s->has_start_time <= 1 && s->has_end_time <= 1);
    require(s->has_billing_info <= 1 && s->has_redemption_info <= 1);
    require(s->has_start_time == (s->start_time[0] != '\0'));
    require(s->has_end_time == (s->end_time[0] != '\0'));
    require(s->billing_info.has_cost <= 1);
    if (s->billing_info.has_cost) {
        require(s->has_billing_info);
        require(s->billing_info.cost.amount >= -FUZZ_SAFE_INTEGER &&
                s->billing_info.cost.amount <= FUZZ_SAFE_INTEGER);
        require(strlen(s->billing_info.cost.currency) == 3);
    }
    require_text(s->redemption_info.barcode_data, sizeof(s->redemption_info.barcode_data));
    require_text(s->redemption_info.barcode_format, sizeof(s->redemption_info.barcode_format));
}

/* Two decodings of the same text agree field by field (bytes after a
 * string's NUL are unspecified, so whole structs are not compared). */
static inline void require_same_session(const coord_session *a, const coord_session *b)
{
    require(a->id == b->id);
    require(strcmp(a->location_id, b->location_id) == 0);
    require(strcmp(a->user_id, b->user_id) == 0);
    require(strcmp(a->resource_id, b->resource_id) == 0);
    require(a->has_start_time == b->has_start_time && a->has_end_time == b->has_end_time);
    require(strcmp(a->start_time, b->start_time) == 0);
    require(strcmp(a->end_time, b->end_time) == 0);
    require(a->start_time_ms == b->start_time_ms && a->end_time_ms == b->end_time_ms);
    require(a->has_billing_info == b->has_billing_info);
    require(a->billing_info.has_cost == b->billing_info.has_cost);
    require(a->billing_info.cost.amount == b->billing_info.cost.amount);
    require(strcmp(a->billing_info.cost.currency, b->billing_info.cost.currency) == 0);
    require(a->has_redemption_info == b->has_redemption_info);
    require(strcmp(a->redemption_info.barcode_data, b->redemption_info.barcode_data) == 0);
    require(strcmp(a->redemption_info.barcode_format, b->redemption_info.barcode_format) == 0);
}

/* A private copy of the input, so that reading one byte past it is caught. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
    char *copy = malloc(size > 0 ? size : 1);

    if (copy != NULL && size > 0)
        memcpy(copy, data, size);
    return copy;
}

#endif
