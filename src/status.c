/* Status enum <-> text, and HTTP status -> status. */
#include "internal.h"

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
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
};

#define STATUS_COUNT (sizeof(status_table) / sizeof(status_table[0]))

const char *coord_strerror(coord_status status)
{
    if ((unsigned)status >= STATUS_COUNT)
        return "unknown status";
    return status_table[status].text;
}

const char *coord_status_name(coord_status status)
{
    if ((unsigned)status >= STATUS_COUNT)
        return "COORD_ERR_UNKNOWN";
    return status_table[status].name;
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
