/* Status enum <-> text, and HTTP status -> status. */
#include <string.h>

#include "internal.h"

/* Name and text of each status, in enum order, then those of an unknown
 * status: one string rather than a table of pointers (each pointer is 8
 * bytes and a load-time relocation). */
#define S(name, text) name "\0" text "\0"
static const char pool[] =
    S("COORD_OK", "success")
    S("COORD_ERR_INVALID_ARGUMENT", "invalid argument")
    S("COORD_ERR_OUT_OF_MEMORY", "out of memory")
    S("COORD_ERR_TRANSPORT", "transport failure (DNS, connect or I/O)")
    S("COORD_ERR_TLS", "TLS or certificate failure")
    S("COORD_ERR_TIMEOUT", "timed out")
    S("COORD_ERR_UNAUTHORIZED", "unauthorized: access key or token refused")
    S("COORD_ERR_NOT_FOUND", "not found")
    S("COORD_ERR_REFUSED", "request refused by the server")
    S("COORD_ERR_RATE_LIMITED", "rate limited")
    S("COORD_ERR_SERVER", "server error")
    S("COORD_ERR_BAD_RESPONSE", "malformed or unexpected response")
    S("COORD_ERR_RESPONSE_TOO_LARGE", "response too large")
    S("COORD_ERR_PHYSICAL_CHECKOUT", "session is gate-controlled: checkout happens at the gate")
    S("COORD_ERR_ALREADY_ENDED", "session already ended")
    S("COORD_ERR_SESSION_ACTIVE", "the user already has an active session at this location")
    S("COORD_ERR_UNKNOWN", "unknown status");
#undef S

#define STATUS_COUNT ((unsigned)COORD_ERR_SESSION_ACTIVE + 1)

/* The which-th string (0: name, 1: text) of status: a walk over at most 33
 * strings, on error and log paths only. */
static const char *status_string(coord_status status, unsigned which)
{
    const char *p = pool;
    unsigned n = ((unsigned)status < STATUS_COUNT ? (unsigned)status : STATUS_COUNT) * 2 + which;

    while (n-- > 0)
        p += strlen(p) + 1;
    return p;
}

const char *coord_strerror(coord_status status)
{
    return status_string(status, 1);
}

const char *coord_status_name(coord_status status)
{
    return status_string(status, 0);
}

coord_status coord_status_from_http(long http_status)
{
    if (http_status >= 200 && http_status <= 299)
        return COORD_OK;
    /* comparisons, not a switch: gcc would build a 29-entry jump table */
    if (http_status == 401 || http_status == 403)
        return COORD_ERR_UNAUTHORIZED;
    if (http_status == 404)
        return COORD_ERR_NOT_FOUND;
    if (http_status == 408)
        return COORD_ERR_TIMEOUT;
    if (http_status == 429)
        return COORD_ERR_RATE_LIMITED;
    if (http_status >= 400 && http_status <= 499)
        return COORD_ERR_REFUSED;
    if (http_status >= 500 && http_status <= 599)
        return COORD_ERR_SERVER;
    return COORD_ERR_BAD_RESPONSE; /* 1xx, 3xx (redirects are not followed), nonsense */
}
