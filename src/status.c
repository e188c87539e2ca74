/* Status enum <-> text, HTTP status -> status, and the error record's writer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct status_info {
    const char *name;
    const char *text;
} status_info;

static const status_info statuses[] = {
    [COORD_OK] = {"COORD_OK", "success"},
    [COORD_ERR_INVALID_ARGUMENT] = {"COORD_ERR_INVALID_ARGUMENT", "invalid argument"},
    [COORD_ERR_OUT_OF_MEMORY] = {"COORD_ERR_OUT_OF_MEMORY", "out of memory"},
    [COORD_ERR_TRANSPORT] = {"COORD_ERR_TRANSPORT", "transport failure (DNS, connect or I/O)"},
    [COORD_ERR_TLS] = {"COORD_ERR_TLS", "TLS or certificate failure"},
    [COORD_ERR_TIMEOUT] = {"COORD_ERR_TIMEOUT", "timed out"},
    [COORD_ERR_UNAUTHORIZED] = {"COORD_ERR_UNAUTHORIZED",
                                "unauthorized: access key or token refused"},
    [COORD_ERR_NOT_FOUND] = {"COORD_ERR_NOT_FOUND", "not found"},
    [COORD_ERR_REFUSED] = {"COORD_ERR_REFUSED", "request refused by the server"},
    [COORD_ERR_RATE_LIMITED] = {"COORD_ERR_RATE_LIMITED", "rate limited"},
    [COORD_ERR_SERVER] = {"COORD_ERR_SERVER", "server error"},
    [COORD_ERR_BAD_RESPONSE] = {"COORD_ERR_BAD_RESPONSE", "malformed or unexpected response"},
    [COORD_ERR_RESPONSE_TOO_LARGE] = {"COORD_ERR_RESPONSE_TOO_LARGE", "response too large"},
    [COORD_ERR_PHYSICAL_CHECKOUT] = {"COORD_ERR_PHYSICAL_CHECKOUT",
                                     "session is gate-controlled: checkout happens at the gate"},
    [COORD_ERR_ALREADY_ENDED] = {"COORD_ERR_ALREADY_ENDED", "session already ended"},
    [COORD_ERR_SESSION_ACTIVE] = {"COORD_ERR_SESSION_ACTIVE",
                                  "the user already has an active session at this location"},
    [COORD_ERR_CANCELLED] = {"COORD_ERR_CANCELLED", "cancelled"},
    [COORD_ERR_STORAGE] = {"COORD_ERR_STORAGE", "durable storage failed: not recorded"},
};

/* A status appended to the enum needs its row above (and COORD_STATUS_COUNT
 * raised): this fails to compile until the two agree. */
typedef char status_table_matches_enum[sizeof(statuses) / sizeof(statuses[0]) ==
                                               COORD_STATUS_COUNT ? 1 : -1];

static const status_info unknown = {"COORD_ERR_UNKNOWN", "unknown status"};

static const status_info *info(coord_status status)
{
    /* a value from outside the enum (a newer library, a cast) is unknown */
    if ((unsigned)status >= COORD_STATUS_COUNT)
        return &unknown;
    return &statuses[status];
}

const char *coord_strerror(coord_status status)
{
    return info(status)->text;
}

const char *coord_status_name(coord_status status)
{
    return info(status)->name;
}

coord_status coord_status_from_http(long http_status)
{
    if (http_status >= 200 && http_status <= 299)
        return COORD_OK;
    switch (http_status) {
    case 401:
    case 403:
        return COORD_ERR_UNAUTHORIZED;
    case 404:
        return COORD_ERR_NOT_FOUND;
    case 408:
        return COORD_ERR_TIMEOUT;
    case 429:
        return COORD_ERR_RATE_LIMITED;
    default:
        break;
    }
    if (http_status >= 400 && http_status <= 499)
        return COORD_ERR_REFUSED;
    if (http_status >= 500 && http_status <= 599)
        return COORD_ERR_SERVER;
    return COORD_ERR_BAD_RESPONSE; /* 1xx, 3xx (redirects are not followed), nonsense */
}

coord_status coord_error_fail(coord_error *e, coord_status status, const char *fmt, ...)
{
    va_list ap;

    e->status = (int32_t)status;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    return status;
}

int coord_error_is_gate_refusal(const coord_error *e)
{
    return e->http_status >= 400 && e->http_status <= 499 && e->has_api_error &&
           (e->api_code == COORD_API_CODE_PHYSICAL_CHECKOUT ||
            strstr(e->api_message, "redemption_info") != NULL);
}
