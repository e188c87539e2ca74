/* Pure request building: method, escaped URL, headers. No I/O.
 * libcurl is used here only for its URL escaping, which needs no handle. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "internal.h"

static coord_status add_header(coord_request *req, const char *name, const char *value)
{
    size_t n = strlen(name) + 2 + strlen(value) + 1;
    char *line;

    if (req->header_count >= COORD_REQUEST_MAX_HEADERS)
        return COORD_ERR_INVALID_ARGUMENT;
    line = coord_malloc(n);
    if (line == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    snprintf(line, n, "%s: %s", name, value);
    req->headers[req->header_count++] = line;
    return COORD_OK;
}

/* Append "/" + escaped segment, or "?access_key=" + escaped key, to url. */
static coord_status append_escaped(char *url, size_t size, size_t *len,
                                   const char *prefix, const char *raw)
{
    char *esc = curl_easy_escape(NULL, raw, 0);
    size_t plen = strlen(prefix), elen;
    coord_status st = COORD_OK;

    if (esc == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    elen = strlen(esc);
    if (*len + plen + elen + 1 > size) {
        st = COORD_ERR_INVALID_ARGUMENT;
    } else {
        memcpy(url + *len, prefix, plen);
        memcpy(url + *len + plen, esc, elen + 1);
        *len += plen + elen;
    }
    coord_wipe(esc, elen); /* may be the escaped key */
    curl_free(esc);
    return st;
}

coord_status coord_request_build(coord_request *out, const coord_target *target,
                                 const char *method,
                                 const char *const *segments, size_t nsegments,
                                 const char *body, size_t body_len,
                                 char *detail, size_t detail_size)
{
    size_t len, i;
    coord_status st;

    memset(out, 0, sizeof(*out));
    out->method = method;
    out->body = body;
    out->body_len = body_len;
    out->idempotent = strcmp(method, "POST") != 0; /* HTTP's rule; endpoints may refine */

    out->url = coord_malloc(COORD_URL_MAX);
    if (out->url == NULL) {
        coord_set_text(detail, detail_size, "out of memory building the URL");
        return COORD_ERR_OUT_OF_MEMORY;
    }
    len = strlen(target->base_url);
    if (len >= COORD_URL_MAX) {
        st = COORD_ERR_INVALID_ARGUMENT;
        goto url_failed;
    }
    memcpy(out->url, target->base_url, len + 1);
    for (i = 0; i < nsegments; i++) {
        st = append_escaped(out->url, COORD_URL_MAX, &len, "/", segments[i]);
        if (st != COORD_OK)
            goto url_failed;
    }
    st = append_escaped(out->url, COORD_URL_MAX, &len, "?access_key=", target->access_key);
    if (st != COORD_OK)
        goto url_failed;

    st = add_header(out, "Accept", "application/json");
    if (st == COORD_OK && body_len > 0)
        st = add_header(out, "Content-Type", "application/json");
    if (st == COORD_OK && target->bearer_token != NULL) {
        size_t n = sizeof("Bearer ") + strlen(target->bearer_token);
        char *value = coord_malloc(n);

        if (value == NULL) {
            st = COORD_ERR_OUT_OF_MEMORY;
        } else {
            snprintf(value, n, "Bearer %s", target->bearer_token);
            st = add_header(out, "Authorization", value);
            coord_wipe(value, n);
            coord_free(value);
        }
    }
    if (st != COORD_OK) {
        coord_set_text(detail, detail_size, "out of memory building headers");
        coord_request_free(out);
    }
    return st;

url_failed:
    /* The detail never quotes the URL: it holds the access key. */
    coord_set_text(detail, detail_size, st == COORD_ERR_OUT_OF_MEMORY
                   ? "out of memory building the URL"
                   : "request URL would exceed %u bytes", COORD_URL_MAX - 1);
    coord_request_free(out);
    return st;
}

coord_status coord_request_end_session(coord_request *out, const coord_target *target,
                                       const char *location_id, int64_t session_id,
                                       char *detail, size_t detail_size)
{
    char id[24];
    const char *segments[4];

    memset(out, 0, sizeof(*out));
    if (!coord_text_ok(location_id, COORD_ID_MAX)) {
        coord_set_text(detail, detail_size,
                       "location_id must be 1..%d bytes without control characters",
                       COORD_ID_MAX - 1);
        return COORD_ERR_INVALID_ARGUMENT;
    }
    snprintf(id, sizeof(id), "%" PRId64, session_id);
    segments[0] = location_id;
    segments[1] = "session";
    segments[2] = id;
    segments[3] = "end";
    return coord_request_build(out, target, "PUT", segments, 4, NULL, 0, detail, detail_size);
}

coord_status coord_request_get_session(coord_request *out, const coord_target *target,
                                       const char *location_id, int64_t session_id,
                                       char *detail, size_t detail_size)
{
    char id[24];
    const char *segments[3];

    memset(out, 0, sizeof(*out));
    if (!coord_text_ok(location_id, COORD_ID_MAX)) {
        coord_set_text(detail, detail_size,
                       "location_id must be 1..%d bytes without control characters",
                       COORD_ID_MAX - 1);
        return COORD_ERR_INVALID_ARGUMENT;
    }
    snprintf(id, sizeof(id), "%" PRId64, session_id);
    segments[0] = location_id;
    segments[1] = "session";
    segments[2] = id;
    return coord_request_build(out, target, "GET", segments, 3, NULL, 0, detail, detail_size);
}

void coord_request_free(coord_request *req)
{
    size_t i;

    if (req == NULL)
        return;
    coord_secret_free(&req->url);
    for (i = 0; i < req->header_count; i++)
        coord_secret_free(&req->headers[i]);
    memset(req, 0, sizeof(*req));
}

void coord_request_path(const coord_request *req, char *out, size_t size)
{
    const char *p = req->url != NULL ? strstr(req->url, "://") : NULL;
    size_t n;

    p = p != NULL ? strchr(p + 3, '/') : NULL;
    if (p == NULL)
        p = "/";
    n = strcspn(p, "?#");
    coord_set_text(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}
