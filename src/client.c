/* Client lifecycle, options, and the last-error record. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "internal.h"

struct coord_client {
    char *base_url;     /* no trailing '/' */
    char *access_key;   /* secret: wiped on free */
    char *bearer_token; /* secret: wiped on free; NULL when none */
    char *user_agent;   /* NULL: the default */
    coord_transport_config limits;
    coord_transport *transport;
    coord_error last_error;
    char *ca_file;      /* NULL: libcurl's default trust store (with ca_path) */
    char *ca_path;
};

static const char default_user_agent[] = "libcoord/" COORD_VERSION_STRING;

/* Did coord_global_init() hand the application's allocator to libcurl? */
static unsigned curl_inits_on_hooks;

coord_status coord_global_init(void)
{
    CURLcode rc;

    if (!coord_allocator_installed())
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    else
        rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, coord_malloc, coord_free,
                                  coord_realloc, coord_strdup, coord_calloc);
    if (rc != CURLE_OK)
        return rc == CURLE_OUT_OF_MEMORY ? COORD_ERR_OUT_OF_MEMORY : COORD_ERR_TRANSPORT;
    if (coord_allocator_installed()) {
        curl_inits_on_hooks++;
        coord_allocator_pin(1);
    }
    return COORD_OK;
}

void coord_global_cleanup(void)
{
    curl_global_cleanup();
    if (curl_inits_on_hooks > 0) {
        curl_inits_on_hooks--;
        coord_allocator_pin(0);
    }
}

const char *coord_version(void)
{
    return COORD_VERSION_STRING;
}

static int base_url_ok(const char *url)
{
    if (!coord_text_ok(url, COORD_URL_MAX / 2))
        return 0;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return 0;
    /* a query, fragment or space in the base would corrupt every URL built on it */
    return strpbrk(url, "?# ") == NULL;
}

coord_status coord_client_new(const char *base_url, const char *access_key,
                              coord_client **out_client)
{
    coord_client *c;
    size_t n;
    coord_status st;

    if (out_client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    *out_client = NULL;
    if (base_url == NULL)
        base_url = COORD_BASE_URL_PRODUCTION;
    if (!base_url_ok(base_url) || !coord_text_ok(access_key, COORD_KEY_MAX))
        return COORD_ERR_INVALID_ARGUMENT;

    c = coord_calloc(1, sizeof(*c));
    if (c == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    c->base_url = coord_strdup(base_url);
    c->access_key = coord_strdup(access_key);
    if (c->base_url == NULL || c->access_key == NULL) {
        st = COORD_ERR_OUT_OF_MEMORY;
        goto failed;
    }
    n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->limits.user_agent = default_user_agent;
    c->limits.connect_timeout_ms = COORD_DEFAULT_CONNECT_TIMEOUT_MS;
    c->limits.timeout_ms = COORD_DEFAULT_TIMEOUT_MS;
    c->limits.max_response_size = COORD_DEFAULT_MAX_RESPONSE_SIZE;
    st = coord_transport_new(&c->transport);
    if (st != COORD_OK)
        goto failed;
    *out_client = c;
    return COORD_OK;

failed:
    coord_client_free(c);
    return st;
}

void coord_client_free(coord_client *client)
{
    if (client == NULL)
        return;
    coord_transport_free(client->transport);
    coord_secret_free(&client->access_key);
    coord_secret_free(&client->bearer_token);
    coord_free(client->base_url);
    coord_free(client->user_agent);
    coord_free(client->ca_file);
    coord_free(client->ca_path);
    coord_wipe(client, sizeof(*client));
    coord_free(client);
}

coord_status coord_client_set_bearer_token(coord_client *client, const char *token)
{
    char *copy = NULL;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (token != NULL) {
        if (!coord_text_ok(token, COORD_TOKEN_MAX))
            return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "token must be 1..%u bytes without control characters",
                                   COORD_TOKEN_MAX - 1);
        copy = coord_strdup(token);
        if (copy == NULL)
            return coord_call_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the token");
    }
    coord_secret_free(&client->bearer_token);
    client->bearer_token = copy;
    return COORD_OK;
}

coord_status coord_client_set_user_agent(coord_client *client, const char *user_agent)
{
    char *copy = NULL;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (user_agent != NULL) {
        if (!coord_text_ok(user_agent, COORD_USER_AGENT_MAX))
            return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "user agent must be 1..%u printable bytes",
                                   COORD_USER_AGENT_MAX - 1);
        copy = coord_strdup(user_agent);
        if (copy == NULL)
            return coord_call_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the user agent");
    }
    coord_free(client->user_agent);
    client->user_agent = copy;
    client->limits.user_agent = copy != NULL ? copy : default_user_agent;
    return COORD_OK;
}

coord_status coord_client_set_timeouts(coord_client *client, uint32_t connect_timeout_ms,
                                       uint32_t total_timeout_ms)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    /* curl takes long: keep within what a 32-bit long holds */
    if (connect_timeout_ms == 0 || total_timeout_ms == 0 ||
        connect_timeout_ms > total_timeout_ms || total_timeout_ms > 0x7fffffffu)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "timeouts must satisfy 1 <= connect <= total <= 2^31-1 ms");
    client->limits.connect_timeout_ms = connect_timeout_ms;
    client->limits.timeout_ms = total_timeout_ms;
    return COORD_OK;
}

coord_status coord_client_set_max_response_size(coord_client *client, uint32_t max_bytes)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (max_bytes < COORD_MIN_RESPONSE_SIZE || max_bytes > COORD_MAX_RESPONSE_SIZE)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "max response size must be %u..%u bytes",
                               COORD_MIN_RESPONSE_SIZE, COORD_MAX_RESPONSE_SIZE);
    client->limits.max_response_size = max_bytes;
    return COORD_OK;
}

/* ---- TLS trust ---- */

/* Replace *slot (ca_file or ca_path) with a copy of value, apply both to the
 * transport, and keep the old value when anything fails. */
static coord_status set_trust_path(coord_client *client, char **slot, const char *value,
                                   const char *what)
{
    char detail[COORD_MESSAGE_MAX] = "";
    char *copy = NULL, *old = *slot;
    coord_status st;

    if (value != NULL) {
        if (!coord_text_ok(value, COORD_PATH_MAX))
            return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "%s must be 1..%u bytes without control characters",
                                   what, COORD_PATH_MAX - 1);
        copy = coord_strdup(value);
        if (copy == NULL)
            return coord_call_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s", what);
    }
    *slot = copy;
    st = coord_transport_set_trust(client->transport, client->ca_file, client->ca_path,
                                   detail, sizeof(detail));
    if (st != COORD_OK) {
        *slot = old;
        coord_free(copy);
        /* the transport still holds the previous setting's strings: restore them */
        (void)coord_transport_set_trust(client->transport, client->ca_file, client->ca_path,
                                        NULL, 0);
        return coord_call_fail_detail(client, st, detail);
    }
    coord_free(old);
    return COORD_OK;
}

coord_status coord_client_set_ca_file(coord_client *client, const char *path)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    return set_trust_path(client, &client->ca_file, path, "CA file path");
}

coord_status coord_client_set_ca_path(coord_client *client, const char *path)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    return set_trust_path(client, &client->ca_path, path, "CA directory path");
}

static int is_base64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* "sha256//" + base64 of 32 bytes (43 characters and one '='), one or more
 * joined by ';'. libcurl also takes key files; the SDK accepts only hashes so
 * that a typo can never be mistaken for a path. */
static int pin_list_ok(const char *pin)
{
    static const char prefix[] = "sha256//";
    const size_t plen = sizeof(prefix) - 1, hlen = 44;
    const char *p = pin;

    if (!coord_text_ok(pin, COORD_PIN_MAX))
        return 0;
    for (;;) {
        if (strncmp(p, prefix, plen) != 0)
            return 0;
        p += plen;
        for (size_t i = 0; i < hlen - 1; i++)
            if (!is_base64_char(p[i]))
                return 0;
        if (p[hlen - 1] != '=')
            return 0;
        p += hlen;
        if (*p == '\0')
            return 1;
        if (*p++ != ';')
            return 0;
    }
}

coord_status coord_client_set_pinned_public_key(coord_client *client, const char *pin)
{
    char detail[COORD_MESSAGE_MAX] = "";
    coord_status st;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (pin != NULL && !pin_list_ok(pin))
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "pin must be \"sha256//\" and 44 base64 characters, "
                               "several joined by ';', at most %u bytes", COORD_PIN_MAX - 1);
    st = coord_transport_set_pin(client->transport, pin, detail, sizeof(detail));
    return st == COORD_OK ? COORD_OK : coord_call_fail_detail(client, st, detail);
}

const coord_error *coord_client_last_error(const coord_client *client)
{
    return client != NULL ? &client->last_error : NULL;
}

/* ---- for the endpoints ---- */

void coord_call_begin(coord_client *client)
{
    memset(&client->last_error, 0, sizeof(client->last_error));
}

coord_error *coord_client_error(coord_client *client)
{
    return &client->last_error;
}

static void redact_secrets(const coord_client *client, char *text, size_t size)
{
    coord_redact(text, size, client->access_key);
    coord_redact(text, size, client->bearer_token);
}

coord_status coord_call_fail_detail(coord_client *client, coord_status status,
                                    const char *detail)
{
    coord_error *e = &client->last_error;

    e->status = (int32_t)status;
    coord_set_text(e->detail, sizeof(e->detail), "%s",
                   detail != NULL && detail[0] != '\0' ? detail : coord_strerror(status));
    redact_secrets(client, e->detail, sizeof(e->detail));
    return status;
}

coord_status coord_call_fail(coord_client *client, coord_status status, const char *fmt, ...)
{
    char detail[COORD_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return coord_call_fail_detail(client, status, detail);
}

void coord_client_target(const coord_client *client, coord_target *out)
{
    out->base_url = client->base_url;
    out->access_key = client->access_key;
    out->bearer_token = client->bearer_token;
}

coord_status coord_client_send(coord_client *client, const coord_request *req,
                               coord_response *out)
{
    coord_error *e = &client->last_error;
    char detail[COORD_MESSAGE_MAX] = "";
    coord_status st, dst;

    st = coord_transport_perform(client->transport, &client->limits, req, out,
                                 detail, sizeof(detail));
    if (st != COORD_OK)
        return coord_call_fail_detail(client, st, detail);
    e->http_status = (int32_t)out->http_status;
    st = coord_status_from_http(out->http_status);
    if (st == COORD_OK)
        return COORD_OK;
    dst = coord_decode_error_body(out->body, out->body_len, &e->api_code,
                                  e->api_message, sizeof(e->api_message));
    if (dst == COORD_OK) {
        e->has_api_error = 1;
        redact_secrets(client, e->api_message, sizeof(e->api_message));
        return coord_call_fail(client, st, "HTTP %ld: %s (code %ld)", out->http_status,
                               e->api_message, (long)e->api_code);
    }
    /* the HTTP status is the answer; failing to read its body does not hide it */
    if (dst == COORD_ERR_OUT_OF_MEMORY)
        return coord_call_fail(client, st, "HTTP %ld; out of memory decoding its error body",
                               out->http_status);
    return coord_call_fail(client, st, "HTTP %ld without a Coord error body",
                           out->http_status);
}
