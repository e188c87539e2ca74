/* Pure request building: method, escaped URL, headers. No I/O.
 * libcurl is used here only for its URL escaping, which needs no handle. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "internal.h"

static coord_status add_header(coord_request *req, const char *line)
{
    if (req->header_count >= COORD_REQUEST_MAX_HEADERS)
        return COORD_ERR_INVALID_ARGUMENT;
    req->headers[req->header_count++] = line;
    return COORD_OK;
}

/* 1 when curl_easy_escape would return raw unchanged: RFC 3986 unreserved
 * characters only. Ids, the fixed path words and typical keys are, so most
 * segments skip the escape's allocation. */
static int is_unreserved(const char *raw)
{
    for (; *raw != '\0'; raw++) {
        char c = *raw;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~'))
            return 0;
    }
    return 1;
}

/* Append prefix + raw escaped by libcurl to url ("/" + a segment, or
 * "?access_key=" + the key). */
static coord_status append_escaped(char *url, size_t size, size_t *len,
                                   const char *prefix, const char *raw)
{
    char *esc = NULL;
    const char *text = raw;
    size_t plen = strlen(prefix), elen;
    coord_status st = COORD_OK;

    if (!is_unreserved(raw)) {
        esc = curl_easy_escape(NULL, raw, 0);
        if (esc == NULL)
            return COORD_ERR_OUT_OF_MEMORY;
        text = esc;
    }
    elen = strlen(text);
    if (*len + plen + elen + 1 > size) {
        st = COORD_ERR_INVALID_ARGUMENT;
    } else {
        memcpy(url + *len, prefix, plen);
        memcpy(url + *len + plen, text, elen + 1);
        *len += plen + elen;
    }
    if (esc != NULL) {
        coord_wipe(esc, elen); /* may be the escaped key */
        curl_free(esc);
    }
    return st;
}

/* What coord_request_free() can always take: every field clean in one
 * statement, so that none added later can be forgotten, but the owner's URL
 * storage, kept and not cleared (see coord_request). */
static void request_reset(coord_request *req)
{
    *req = (coord_request){.url_buf = req->url_buf};
}

static coord_status add_authorization(coord_request *req, const coord_target *target)
{
    static const char prefix[] = COORD_AUTHORIZATION_PREFIX;
    size_t n;

    if (target->authorization != NULL)
        return add_header(req, target->authorization);
    n = sizeof(prefix) + strlen(target->bearer_token);
    req->owned_header = coord_malloc(n);
    if (req->owned_header == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    snprintf(req->owned_header, n, "%s%s", prefix, target->bearer_token);
    return add_header(req, req->owned_header);
}

coord_status coord_request_build(coord_request *out, const coord_target *target,
                                 const char *method,
                                 const char *const *segments, size_t nsegments,
                                 const char *body, size_t body_len, coord_error *err)
{
    size_t len, i;
    coord_status st;

    request_reset(out);
    out->method = method;
    out->body = body;
    out->body_len = body_len;
    out->idempotent = strcmp(method, "POST") != 0; /* HTTP's rule; endpoints may refine */

    if (!coord_copy_text(out->url_buf, COORD_URL_MAX, target->base_url)) {
        st = COORD_ERR_INVALID_ARGUMENT;
        goto url_failed;
    }
    out->url = out->url_buf;
    len = strlen(out->url);
    for (i = 0; i < nsegments; i++) {
        st = append_escaped(out->url, COORD_URL_MAX, &len, "/", segments[i]);
        if (st != COORD_OK)
            goto url_failed;
    }
    st = append_escaped(out->url, COORD_URL_MAX, &len, "?access_key=", target->access_key);
    if (st != COORD_OK)
        goto url_failed;

    st = add_header(out, "Accept: application/json");
    if (st == COORD_OK && body_len > 0)
        st = add_header(out, "Content-Type: application/json");
    if (st == COORD_OK && (target->authorization != NULL || target->bearer_token != NULL))
        st = add_authorization(out, target);
    if (st != COORD_OK) {
        coord_request_free(out);
        return coord_error_fail(err, st, "out of memory building headers");
    }
    return COORD_OK;

url_failed:
    /* The detail never quotes the URL: it holds the access key. */
    coord_request_free(out);
    if (st == COORD_ERR_OUT_OF_MEMORY)
        return coord_error_fail(err, st, "out of memory building the URL");
    return coord_error_fail(err, st, "request URL would exceed %u bytes", COORD_URL_MAX - 1);
}

/* Fails with detail when s is not 1..max-1 bytes free of control characters. */
static coord_status check_text(const char *what, const char *s, size_t max, coord_error *err)
{
    if (coord_text_ok(s, max))
        return COORD_OK;
    return coord_error_fail(err, COORD_ERR_INVALID_ARGUMENT,
                            "%s must be 1..%u bytes without control characters", what,
                            (unsigned)(max - 1));
}

/* A location id is a path segment: "." and ".." are refused because URL
 * parsers (libcurl's included) resolve them, moving the request elsewhere. */
static coord_status check_location(const char *location_id, coord_error *err)
{
    coord_status st = check_text("location_id", location_id, COORD_ID_MAX, err);

    if (st == COORD_OK && (strcmp(location_id, ".") == 0 || strcmp(location_id, "..") == 0))
        return coord_error_fail(err, COORD_ERR_INVALID_ARGUMENT,
                                "location_id must not be \".\" or \"..\"");
    return st;
}

/* Every call but create_jwt is made as a user: without a bearer token the
 * server can only answer 401. Refused here, before anything is sent, with
 * the status the server would give. */
static coord_status check_token(const coord_target *target, coord_error *err)
{
    if (target->authorization != NULL || target->bearer_token != NULL)
        return COORD_OK;
    return coord_error_fail(err, COORD_ERR_UNAUTHORIZED, "no bearer token set: this call is "
                            "made as a user (coord_client_set_bearer_token); nothing was sent");
}

/* The decimal text of a session id, as a path segment. */
static void id_segment(char id[24], int64_t session_id)
{
    snprintf(id, 24, "%" PRId64, session_id);
}

/* Build with a body the request then owns (NULL body: allocation failed). */
static coord_status build_with_body(coord_request *out, const coord_target *target,
                                    const char *method, const char *const *segments,
                                    size_t nsegments, char *body, coord_error *err)
{
    coord_status st;

    request_reset(out);
    if (body == NULL)
        return coord_error_fail(err, COORD_ERR_OUT_OF_MEMORY, "out of memory building the body");
    st = coord_request_build(out, target, method, segments, nsegments, body, strlen(body), err);
    if (st != COORD_OK) {
        coord_free(body);
        return st;
    }
    out->owned_body = body;
    return COORD_OK;
}

/* A session's own path, {base}/{location_id}/session/{session_id}, and
 * then the segment last (the end's "end") unless it is NULL; arguments
 * validated. */
static coord_status build_session_path(coord_request *out, const coord_target *target,
                                       const char *method, const char *location_id,
                                       int64_t session_id, const char *last, coord_error *err)
{
    char id[24];
    const char *segments[] = {location_id, "session", id, last};

    request_reset(out);
    if (check_location(location_id, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    if (check_token(target, err) != COORD_OK)
        return COORD_ERR_UNAUTHORIZED;
    id_segment(id, session_id);
    return coord_request_build(out, target, method, segments, last != NULL ? 4 : 3, NULL, 0, err);
}

coord_status coord_request_end_session(coord_request *out, const coord_target *target,
                                       const char *location_id, int64_t session_id,
                                       coord_error *err)
{
    return build_session_path(out, target, "PUT", location_id, session_id, "end", err);
}

coord_status coord_request_get_session(coord_request *out, const coord_target *target,
                                       const char *location_id, int64_t session_id,
                                       coord_error *err)
{
    return build_session_path(out, target, "GET", location_id, session_id, NULL, err);
}

coord_status coord_request_create_session(coord_request *out, const coord_target *target,
                                          const char *location_id, const char *resource_id,
                                          coord_error *err)
{
    static const char *const names[] = {"resource_id"};
    const char *segments[] = {location_id, "session"};

    request_reset(out);
    if (check_location(location_id, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    if (resource_id != NULL && check_text("resource_id", resource_id, COORD_ID_MAX, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    if (check_token(target, err) != COORD_OK)
        return COORD_ERR_UNAUTHORIZED;
    return build_with_body(out, target, "POST", segments, 2,
                           coord_encode_strings(names, &resource_id, 1), err);
}

coord_status coord_request_list_sessions(coord_request *out, const coord_target *target,
                                         const char *location_id, coord_error *err)
{
    const char *segments[] = {location_id, "session"};

    request_reset(out);
    if (location_id != NULL && check_location(location_id, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    if (check_token(target, err) != COORD_OK)
        return COORD_ERR_UNAUTHORIZED;
    if (location_id == NULL) /* the user's sessions everywhere: GET {base}/session */
        return coord_request_build(out, target, "GET", segments + 1, 1, NULL, 0, err);
    return coord_request_build(out, target, "GET", segments, 2, NULL, 0, err);
}

coord_status coord_request_create_barcode(coord_request *out, const coord_target *target,
                                          coord_error *err)
{
    static const char body[] = "{}"; /* the unpublished body: see coord_barcode_create() */
    const char *segments[] = {"barcode"};

    request_reset(out);
    if (check_token(target, err) != COORD_OK)
        return COORD_ERR_UNAUTHORIZED;
    return coord_request_build(out, target, "POST", segments, 1, body, sizeof(body) - 1, err);
}

coord_status coord_request_simulate_redemption(coord_request *out, const coord_target *target,
                                               const char *location_id, int64_t session_id,
                                               uint32_t duration_m, coord_error *err)
{
    char id[24], *body;
    const char *segments[] = {"testing", location_id, id, "simulate_redemption"};

    request_reset(out);
    if (check_location(location_id, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    if (duration_m > COORD_REDEMPTION_MAX_MINUTES)
        return coord_error_fail(err, COORD_ERR_INVALID_ARGUMENT, "duration_m must be 0..%u minutes",
                                COORD_REDEMPTION_MAX_MINUTES);
    if (check_token(target, err) != COORD_OK)
        return COORD_ERR_UNAUTHORIZED;
    id_segment(id, session_id);
    body = coord_malloc(32);
    if (body != NULL)
        snprintf(body, 32, "{\"duration_m\":%" PRIu32 "}", duration_m);
    return build_with_body(out, target, "POST", segments, 4, body, err);
}

/* The Users API base on the client's host: scheme://host[:port]/v1/users,
 * with libcurl's URL parser doing the parsing. NULL when out of memory or
 * when libcurl cannot parse the base. */
static char *users_base(const char *base_url, coord_status *st)
{
    CURLU *u = curl_url();
    char *url = NULL, *copy = NULL;

    *st = COORD_ERR_OUT_OF_MEMORY;
    if (u == NULL)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, base_url, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PATH, "/v1/users", 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        *st = COORD_ERR_INVALID_ARGUMENT;
    } else {
        copy = coord_strdup(url);
        if (copy != NULL)
            *st = COORD_OK;
    }
    curl_free(url);
    curl_url_cleanup(u);
    return copy;
}

coord_status coord_request_create_jwt(coord_request *out, const coord_target *target,
                                      const char *email, const char *external_uid,
                                      coord_error *err)
{
    static const char *const names[] = {"email", "external_uid"};
    static const char *const segments[] = {"testing", "create_jwt"};
    const char *values[] = {email, external_uid};
    coord_target users = {NULL, target->access_key, NULL, NULL}; /* no bearer token needed */
    coord_status st;
    char *base;

    request_reset(out);
    if (check_text("email", email, COORD_EMAIL_MAX, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    if (strchr(email, '@') == NULL)
        return coord_error_fail(err, COORD_ERR_INVALID_ARGUMENT, "email must contain '@'");
    if (external_uid != NULL &&
        check_text("external_uid", external_uid, COORD_ID_MAX, err) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    base = users_base(target->base_url, &st);
    if (base == NULL)
        return coord_error_fail(err, st, st == COORD_ERR_OUT_OF_MEMORY
                                ? "out of memory building the URL"
                                : "cannot derive the Users API URL from the base URL");
    users.base_url = base;
    st = build_with_body(out, &users, "POST", segments, 2,
                         coord_encode_strings(names, values, 2), err);
    coord_free(base);
    return st;
}

const char *coord_request_bearer_token(const coord_request *req)
{
    static const char prefix[] = COORD_AUTHORIZATION_PREFIX;

    if (req->owned_header == NULL || strncmp(req->owned_header, prefix, sizeof(prefix) - 1) != 0)
        return NULL;
    return req->owned_header + sizeof(prefix) - 1;
}

void coord_request_init(coord_request *req, char url_buf[COORD_URL_MAX])
{
    req->url_buf = url_buf;
    request_reset(req);
}

void coord_request_free(coord_request *req)
{
    if (req == NULL)
        return;
    if (req->url != NULL)
        coord_wipe(req->url, strlen(req->url));
    coord_secret_free(&req->owned_header);
    coord_free(req->owned_body);
    request_reset(req);
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
