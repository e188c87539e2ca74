/* Client lifecycle, options, the last-error record, and the send path
 * (retries, the call's deadline, logging). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "internal.h"

struct coord_client {
    char *base_url;     /* no trailing '/' */
    char *access_key;   /* secret: wiped on free */
    char *bearer_token; /* secret: wiped on free; NULL when none */
    char *authorization; /* "Authorization: Bearer <token>", built once: secret */
    char *user_agent;   /* NULL: the default */
    coord_transport_config limits;
    uint32_t timeout_cap_ms; /* 0: none; see coord_client_cap_timeouts() */
    coord_transport *transport;
    coord_error last_error;
    char *ca_file;      /* NULL: libcurl's default trust store (with ca_path) */
    char *ca_path;
    coord_retry_policy retry;
    uint64_t rng;           /* jitter: per client, no global state */
    coord_log_fn log;       /* NULL: no logging */
    void *log_data;
    coord_log_level log_min;
    /* libcurl drops the old pin before copying a new one: when that copy
     * fails the handle has no pin, so calls are refused until one is set */
    int pin_lost;
    /* the call under way */
    int64_t deadline_ms;    /* monotonic: start + total timeout */
    int answer_lost;        /* an attempt the server may have carried out got no answer */
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
    c->retry.max_attempts = COORD_DEFAULT_RETRY_MAX_ATTEMPTS;
    c->retry.base_delay_ms = COORD_DEFAULT_RETRY_BASE_DELAY_MS;
    c->retry.max_delay_ms = COORD_DEFAULT_RETRY_MAX_DELAY_MS;
    /* seed: clients created together still differ by address */
    c->rng = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^ (uint64_t)(uintptr_t)c;
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
    coord_secret_free(&client->authorization);
    coord_free(client->base_url);
    coord_free(client->user_agent);
    coord_free(client->ca_file);
    coord_free(client->ca_path);
    coord_wipe(client, sizeof(*client));
    coord_free(client);
}

coord_status coord_client_set_bearer_token(coord_client *client, const char *token)
{
    static const char prefix[] = "Authorization: Bearer ";
    char *copy = NULL, *line = NULL;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (token != NULL) {
        if (!coord_text_ok(token, COORD_TOKEN_MAX))
            return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "%s must be 1..%u bytes without control characters",
                                   "token", COORD_TOKEN_MAX - 1);
        size_t n = strlen(token) + 1;

        copy = coord_malloc(n);
        line = coord_malloc(sizeof(prefix) - 1 + n);
        if (copy == NULL || line == NULL) {
            coord_free(copy);
            coord_free(line);
            return coord_call_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s", "token");
        }
        memcpy(copy, token, n);
        memcpy(line, prefix, sizeof(prefix) - 1);
        memcpy(line + sizeof(prefix) - 1, token, n);
    }
    coord_secret_free(&client->bearer_token);
    coord_secret_free(&client->authorization);
    client->bearer_token = copy;
    client->authorization = line;
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
            return coord_call_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s",
                                   "user agent");
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
    char detail[COORD_MESSAGE_MAX];
    char *copy = NULL, *old = *slot;
    coord_status st;

    detail[0] = '\0'; /* not = "": that would zero all 256 bytes */
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
    char detail[COORD_MESSAGE_MAX];
    coord_status st;

    detail[0] = '\0'; /* not = "": that would zero all 256 bytes */
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (pin != NULL && !pin_list_ok(pin))
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "pin must be \"sha256//\" and 44 base64 characters, "
                               "several joined by ';', at most %u bytes", COORD_PIN_MAX - 1);
    st = coord_transport_set_pin(client->transport, pin, detail, sizeof(detail));
    client->pin_lost = st != COORD_OK;
    return st == COORD_OK ? COORD_OK : coord_call_fail_detail(client, st, detail);
}

coord_status coord_client_set_retry(coord_client *client, uint32_t max_attempts,
                                    uint32_t base_delay_ms, uint32_t max_delay_ms)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (max_attempts < 1 || max_attempts > 10 || base_delay_ms > 60000 ||
        max_delay_ms < base_delay_ms || max_delay_ms > 60000)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "retry policy must satisfy 1 <= attempts <= 10 and "
                               "base <= max <= 60000 ms");
    client->retry.max_attempts = max_attempts;
    client->retry.base_delay_ms = base_delay_ms;
    client->retry.max_delay_ms = max_delay_ms;
    return COORD_OK;
}

coord_status coord_client_set_log(coord_client *client, coord_log_fn callback,
                                  void *user_data, coord_log_level min_level)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if ((int)min_level < (int)COORD_LOG_DEBUG || (int)min_level > (int)COORD_LOG_ERROR)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT, "unknown log level %d",
                               (int)min_level);
    client->log = callback;
    client->log_data = user_data;
    client->log_min = min_level;
    return COORD_OK;
}

const coord_error *coord_client_last_error(const coord_client *client)
{
    return client != NULL ? &client->last_error : NULL;
}

/* ---- for the endpoints ---- */

/* noinline: every public call starts here; one copy, not one per setter */
__attribute__((noinline)) void coord_call_begin(coord_client *client)
{
    uint32_t total = client->limits.timeout_ms;

    memset(&client->last_error, 0, sizeof(client->last_error));
    if (client->timeout_cap_ms != 0 && client->timeout_cap_ms < total)
        total = client->timeout_cap_ms; /* coord_session_wait() */
    client->deadline_ms = coord_now_ms() + total;
    client->answer_lost = 0;
}

int coord_client_answer_lost(const coord_client *client)
{
    return client->answer_lost;
}

coord_error *coord_client_error(coord_client *client)
{
    return &client->last_error;
}

void coord_client_redact(const coord_client *client, char *text, size_t size)
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
    coord_client_redact(client, e->detail, sizeof(e->detail));
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

#ifndef COORD_MINIMAL
void coord_client_log(coord_client *client, coord_log_level level, const char *fmt, ...)
{
    char message[COORD_MESSAGE_MAX * 2];
    va_list ap;

    if (client->log == NULL || level < client->log_min)
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    coord_client_redact(client, message, sizeof(message));
    client->log(level, message, client->log_data);
}
#endif

void coord_client_target(const coord_client *client, coord_target *out)
{
    out->base_url = client->base_url;
    out->access_key = client->access_key;
    out->bearer_token = client->bearer_token;
    out->authorization = client->authorization;
}

/* One exchange: perform, then map the HTTP status and error body into the
 * last-error record. */
static coord_status attempt(coord_client *client, const coord_request *req,
                            const coord_transport_config *limits, coord_response *out)
{
    coord_error *e = &client->last_error;
    char detail[COORD_MESSAGE_MAX];
    int32_t attempts = e->attempts;
    coord_status st, dst;

    detail[0] = '\0'; /* not = "": that would zero all 256 bytes */
    memset(e, 0, sizeof(*e)); /* the record describes the last attempt ... */
    e->attempts = attempts;   /* ... and the count, the whole call */
    st = coord_transport_perform(client->transport, limits, req, out, detail, sizeof(detail));
    e->attempts += out->sent > 1 ? (int32_t)out->sent : 1;
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
        coord_client_redact(client, e->api_message, sizeof(e->api_message));
        return coord_call_fail(client, st, "HTTP %ld: %s (code %ld)", out->http_status,
                               e->api_message, (long)e->api_code);
    }
    /* the HTTP status is the answer; failing to read its body does not hide it */
    if (dst == COORD_ERR_OUT_OF_MEMORY)
        return coord_call_fail(client, st, "HTTP %ld; out of memory decoding its error body",
                               out->http_status);
    return coord_call_fail(client, st, "HTTP %ld (%s) without a Coord error body",
                           out->http_status,
                           out->content_type[0] != '\0' ? out->content_type : "no Content-Type");
}

/* How long to wait before the next attempt, or -1 when it is not worth one:
 * the server asked for more than the cap, or the wait would leave the next
 * attempt less than COORD_RETRY_MIN_ATTEMPT_MS of the call's time (an
 * attempt that timed out on the whole remaining time ends the call, with
 * libcurl's own detail). */
static int64_t retry_delay(coord_client *client, const coord_response *resp,
                           uint32_t retry, int64_t left_ms)
{
    uint64_t wait_ms;

    if (resp->retry_after[0] != '\0' &&
        coord_retry_after_parse(resp->retry_after, (int64_t)time(NULL), &wait_ms) == 0) {
        if (wait_ms > COORD_RETRY_AFTER_MAX_MS ||
            (int64_t)wait_ms + COORD_RETRY_MIN_ATTEMPT_MS > left_ms) {
            char *detail = client->last_error.detail;
            size_t used = strlen(detail);

            coord_set_text(detail + used, sizeof(client->last_error.detail) - used,
                           "; Retry-After %s s is beyond the %s", resp->retry_after,
                           wait_ms > COORD_RETRY_AFTER_MAX_MS ? "cap" : "total timeout");
            /* the server's text, after the record was redacted: redact again */
            coord_client_redact(client, detail, sizeof(client->last_error.detail));
            return -1;
        }
        return (int64_t)wait_ms;
    }
    wait_ms = coord_retry_backoff_ms(&client->retry, retry, &client->rng);
    return (int64_t)wait_ms + COORD_RETRY_MIN_ATTEMPT_MS <= left_ms ? (int64_t)wait_ms : -1;
}

/* A log line of the send path: without a callback, no argument is evaluated
 * (and coord_client_log is cold: logging is off on the hot path). */
#define SEND_LOG(client, ...) \
    do { \
        if ((client)->log != NULL) \
            coord_client_log(client, __VA_ARGS__); \
    } while (0)

coord_status coord_client_send(coord_client *client, const coord_request *req,
                               coord_response *out)
{
    coord_error *e = &client->last_error;
    coord_transport_config limits = client->limits;
    char path[COORD_URL_MAX];
    coord_status st;
    uint32_t retry;

    if (client->pin_lost)
        return coord_call_fail(client, COORD_ERR_TLS, "the public-key pin could not be set; "
                               "calls are refused until coord_client_set_pinned_public_key() "
                               "succeeds");
    path[0] = '\0';
    if (client->log != NULL) /* only log lines use it */
        coord_request_path(req, path, sizeof(path));
    for (retry = 0;; retry++) {
        int64_t started = coord_now_ms(), left = client->deadline_ms - started, wait;

        if (left <= 0)
            return coord_call_fail(client, COORD_ERR_TIMEOUT,
                                   "total timeout of %lu ms passed after %ld attempt(s)",
                                   (unsigned long)client->limits.timeout_ms, (long)e->attempts);
        /* each attempt gets what is left of the call's time */
        limits.timeout_ms = (uint32_t)(left < limits.timeout_ms ? left : limits.timeout_ms);
        if (limits.connect_timeout_ms > limits.timeout_ms)
            limits.connect_timeout_ms = limits.timeout_ms;
        SEND_LOG(client, COORD_LOG_DEBUG, "request %s %s (attempt %ld)", req->method,
                         path, (long)e->attempts + 1);
        st = attempt(client, req, &limits, out);
        client->answer_lost |= coord_retry_may_have_applied(st, e->http_status, out->sent);
        SEND_LOG(client, COORD_LOG_INFO, "response %s %s: %s, HTTP %ld, %ld ms "
                         "(attempt %ld)", req->method, path, coord_status_name(st),
                         (long)e->http_status, (long)(coord_now_ms() - started), (long)e->attempts);
        if (st == COORD_OK)
            return COORD_OK;
        wait = -1;
        if (req->idempotent && (uint32_t)e->attempts < client->retry.max_attempts &&
            coord_retry_is_retryable(st, e->http_status))
            wait = retry_delay(client, out, retry, client->deadline_ms - coord_now_ms());
        if (wait < 0) {
            SEND_LOG(client, COORD_LOG_ERROR, "%s %s failed after %ld attempt(s): "
                             "%s: %s", req->method, path, (long)e->attempts,
                             coord_status_name(st), e->detail);
            return st;
        }
        SEND_LOG(client, COORD_LOG_WARN, "retry %s %s in %ld ms after %s: %s",
                         req->method, path, (long)wait, coord_status_name(st), e->detail);
        coord_sleep_ms((uint64_t)wait);
    }
}

coord_status coord_client_send_built(coord_client *client, coord_status built,
                                     coord_request *req, const char *detail,
                                     coord_response *out)
{
    coord_status st;

    if (built != COORD_OK)
        return coord_call_fail_detail(client, built, detail);
    st = coord_client_send(client, req, out);
    coord_request_free(req);
    return st;
}

void coord_client_cap_timeouts(coord_client *client, uint32_t max_ms)
{
    client->timeout_cap_ms = max_ms;
}

void coord_client_wipe_response(coord_client *client)
{
    coord_transport_wipe_body(client->transport);
}
