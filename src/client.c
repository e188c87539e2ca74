/* Client lifecycle, options, the last-error record and logging. What one
 * call needs while it runs lives in the call (call.c), not here. */
#define _POSIX_C_SOURCE 200809L /* pthread_condattr_setclock, clock_gettime */
#include <errno.h>
#include <pthread.h>
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
    uint32_t max_sessions;  /* entries of a list's array (coord_client_set_max_sessions) */
    coord_transport *transport; /* the blocking calls' libcurl handle */
    coord_error last_error;
    char *ca_file;      /* NULL: libcurl's default trust store (with ca_path) */
    char *ca_path;
    coord_retry_policy retry;
    uint64_t rng;           /* jitter: per client, no global state */
    coord_log_fn log;       /* NULL: no logging */
    void *log_data;
    coord_log_level log_min;
    coord_observer_fn observer; /* NULL: no call records are made */
    void *observer_data;
    /* libcurl drops the old pin before copying a new one: when that copy
     * fails the handle has no pin, so calls are refused until one is set */
    int pin_lost;
    char *pin;          /* NULL: none; for the handles of non-blocking calls */
    /* Handles of non-blocking calls not in use (a call takes one from its
     * first send to its end), and the version of the TLS settings they were
     * made with: a change of CA or pin frees them. */
    coord_transport **idle;
    size_t idle_count;
    size_t idle_size;
    uint32_t tls_version;
    /* Cancelling a blocking call from another thread (coord_client_cancel):
     * guarded by `lock`; `cancel` is also read by the transfer's progress
     * callback, hence __atomic_ stores. */
    pthread_mutex_t lock;
    pthread_cond_t woken;
    unsigned blocking_calls; /* nested: a wait and its polls */
    int cancel;
    char *proxy;                /* NULL: none set (see coord_client_set_proxy) */
    int proxy_from_environment; /* the environment's proxy variables apply */
    /* the same for the proxy: a failed copy would leave libcurl reading the
     * environment's proxy variables */
    int proxy_lost;
    unsigned warnings;      /* WARN_*: said to the first log callback that hears warnings */
    coord_clock clock;      /* the server's clock, from its answers' Date headers */
};

/* What a client warns of in its log (COORD_LOG_WARN): found at its creation
 * or when a secret is set, said when a log callback is there to hear it. */
enum {
    WARN_KEYLOG = 1u << 0,      /* SSLKEYLOGFILE was set at creation */
    WARN_PRODUCTION = 1u << 1,  /* base URL NULL: the production service */
    WARN_API_PATH = 1u << 2,    /* the base URL's path is not the API's */
    WARN_SHORT_KEY = 1u << 3,   /* the access key is under COORD_SHORT_SECRET bytes */
    WARN_SHORT_TOKEN = 1u << 4  /* the token is */
};

/* Secrets shorter than this redact ordinary words out of every text. */
#define COORD_SHORT_SECRET 8u

#ifndef COORD_MINIMAL /* the firmware build has no log text */
static const char *warning_text(unsigned warning)
{
    switch (warning) {
    case WARN_KEYLOG:
        return "SSLKEYLOGFILE was set when this client was created: libcurl writes this "
               "process's TLS session keys to that file, and whoever reads it can decrypt "
               "the HTTPS traffic, access key and token included";
    case WARN_PRODUCTION:
        return "no base URL given: calls go to the production service, "
               COORD_BASE_URL_PRODUCTION ", which is offline (use coord-sim's URL)";
    case WARN_API_PATH:
        return "the base URL's path does not end in /v1/access/parking: the API's routes "
               "are under it, so calls will likely answer 404 \"no such route\"";
    case WARN_SHORT_KEY:
        return "the access key is shorter than 8 bytes: every occurrence of it in error "
               "text and log lines is redacted, ordinary words included";
    default:
        return "the token is shorter than 8 bytes: every occurrence of it in error text "
               "and log lines is redacted, ordinary words included";
    }
}

#endif

/* Say the pending warnings, if a log callback hears them. */
static void say_warnings(coord_client *c)
{
    if (c->log == NULL || c->log_min > COORD_LOG_WARN)
        return;
#ifndef COORD_MINIMAL
    for (unsigned w = WARN_KEYLOG; w <= WARN_SHORT_TOKEN; w <<= 1)
        if (c->warnings & w)
            coord_client_log(c, COORD_LOG_WARN, "%s", warning_text(w));
#endif
    c->warnings = 0;
}

static const char default_user_agent[] = "libcoord/" COORD_VERSION_STRING;

/* A new client's settings (coord.h names each default). */
static const coord_transport_config default_limits = {
    .user_agent = default_user_agent,
    .connect_timeout_ms = COORD_DEFAULT_CONNECT_TIMEOUT_MS,
    .timeout_ms = COORD_DEFAULT_TIMEOUT_MS,
    .max_response_size = COORD_DEFAULT_MAX_RESPONSE_SIZE,
};
static const coord_retry_policy default_retry = {
    .max_attempts = COORD_DEFAULT_RETRY_MAX_ATTEMPTS,
    .base_delay_ms = COORD_DEFAULT_RETRY_BASE_DELAY_MS,
    .max_delay_ms = COORD_DEFAULT_RETRY_MAX_DELAY_MS,
};

/* Did coord_global_init() hand the application's allocator to libcurl? */
static unsigned curl_inits_on_hooks;

coord_status coord_global_init(void)
{
    CURLcode rc;

    /* libcurl's failed allocations are counted either way: see
     * coord_alloc_failures() */
    if (!coord_allocator_installed())
        rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, coord_libc_malloc, free,
                                  coord_libc_realloc, coord_libc_strdup, coord_libc_calloc);
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

static int init_cancel(coord_client *c)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    /* the sleeps wait on the monotonic clock, as every deadline does */
    if (rc == 0 && (rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)) == 0)
        rc = pthread_cond_init(&c->woken, &attr);
    pthread_condattr_destroy(&attr);
    if (rc == 0 && (rc = pthread_mutex_init(&c->lock, NULL)) != 0)
        pthread_cond_destroy(&c->woken);
    return rc;
}

static void drop_idle_transports(coord_client *c)
{
    while (c->idle_count > 0)
        coord_transport_free(c->idle[--c->idle_count]);
}

/* The CA, the pin or the proxy changed: handles made before are not reused. */
static void tls_changed(coord_client *c)
{
    c->tls_version++;
    drop_idle_transports(c);
}

/* What libcurl's parse of a URL says of one part: CURLUE_OK when it is
 * there, CURLUE_NO_USER and the like when not. */
static CURLUcode url_part(CURLU *u, CURLUPart part)
{
    char *value = NULL;
    CURLUcode uc = curl_url_get(u, part, &value, 0);

    curl_free(value);
    return uc;
}

/* Parse url with libcurl's own parser (it parses every URL built on it):
 * COORD_OK and *scheme (lower case; curl_free it) when the URL is
 * "scheme://" and a non-empty host, without userinfo, query, fragment or
 * backslash -- nothing that text appended to it could combine with to send
 * a request elsewhere. Otherwise why says which part is wrong, prefixed
 * with what ("base URL"), never quoting the URL: it may hold a password. */
static coord_status plain_url_scheme(const char *url, const char *what, char **scheme,
                                     char *why, size_t why_size)
{
    const char *colon = strchr(url, ':');
    char *host = NULL;
    const char *wrong = NULL;
    CURLUcode uc;
    CURLU *u;

    *scheme = NULL;
    /* text libcurl reads leniently is refused first: "http:/h" and
     * "http:///h" (both taken as host h), a backslash, and an empty query
     * "?" or fragment "#" (libcurl reports no fragment for "#") */
    if (!coord_text_ok(url, COORD_URL_MAX / 2))
        wrong = "empty, too long or with a control character";
    else if (strchr(url, ' ') != NULL)
        wrong = "has a space";
    else if (strchr(url, '\\') != NULL)
        wrong = "has a backslash";
    else if (strchr(url, '?') != NULL)
        wrong = "has a query ('?'): give the path only";
    else if (strchr(url, '#') != NULL)
        wrong = "has a fragment ('#')";
    else if (colon == NULL || strncmp(colon, "://", 3) != 0)
        wrong = "no scheme: it starts with http:// or https://, then the host";
    else if (colon[3] == '/' || colon[3] == '\0')
        wrong = "no host after \"://\"";
    if (wrong != NULL) {
        coord_set_text(why, why_size, "%s: %s", what, wrong);
        return COORD_ERR_INVALID_ARGUMENT;
    }
    u = curl_url();
    if (u == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    /* the socks schemes of a proxy are not URL schemes libcurl knows */
    uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (uc != CURLUE_OK)
        wrong = curl_url_strerror(uc);
    else if (host[0] == '\0')
        wrong = "no host";
    else if (url_part(u, CURLUPART_USER) != CURLUE_NO_USER ||
             url_part(u, CURLUPART_PASSWORD) != CURLUE_NO_PASSWORD ||
             url_part(u, CURLUPART_OPTIONS) != CURLUE_NO_OPTIONS)
        wrong = "has a user name or password (user:pass@): not allowed";
    else if (url_part(u, CURLUPART_QUERY) != CURLUE_NO_QUERY)
        wrong = "has a query ('?'): give the path only";
    else if (url_part(u, CURLUPART_FRAGMENT) != CURLUE_NO_FRAGMENT)
        wrong = "has a fragment ('#')";
    else if ((uc = curl_url_get(u, CURLUPART_SCHEME, scheme, 0)) != CURLUE_OK)
        wrong = curl_url_strerror(uc);
    curl_free(host);
    curl_url_cleanup(u);
    if (uc == CURLUE_OUT_OF_MEMORY)
        return COORD_ERR_OUT_OF_MEMORY;
    if (wrong != NULL) {
        coord_set_text(why, why_size, "%s: %s", what, wrong);
        return COORD_ERR_INVALID_ARGUMENT;
    }
    return COORD_OK;
}

/* Does the path of a URL libcurl accepted end in the API's base path? */
static int api_path(const char *url)
{
    static const char base[] = "/v1/access/parking";
    size_t n = strlen(url);

    while (n > 0 && url[n - 1] == '/')
        n--;
    return n >= sizeof(base) - 1 && strncmp(url + n - (sizeof(base) - 1), base,
                                            sizeof(base) - 1) == 0;
}

/* Is url a base every request can be built on? http or https, and a plain
 * URL (plain_url_scheme): no location id can move a request built on it.
 * why says what is wrong; on COORD_OK, "" or a warning (see coord.h). */
static coord_status base_url_check(const char *url, char *why, size_t why_size)
{
    char *scheme;
    coord_status st = plain_url_scheme(url, "base URL", &scheme, why, why_size);

    if (st == COORD_OK && strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        coord_set_text(why, why_size, "base URL: scheme \"%.16s\" is not http or https", scheme);
        st = COORD_ERR_INVALID_ARGUMENT;
    }
    curl_free(scheme);
    if (st == COORD_OK && !api_path(url))
        coord_set_text(why, why_size, "base URL: its path does not end in /v1/access/parking: "
                       "the API's routes are under it (a 404 \"no such route\" otherwise)");
    else if (st == COORD_OK)
        coord_set_text(why, why_size, "%s", "");
    return st;
}

coord_status coord_base_url_check(const char *base_url, char *out_detail, size_t detail_size)
{
    coord_status st = COORD_OK;

    coord_set_text(out_detail, detail_size, "%s", "");
    if (base_url != NULL)
        st = base_url_check(base_url, out_detail, detail_size);
    if (st == COORD_ERR_OUT_OF_MEMORY)
        coord_set_text(out_detail, detail_size, "base URL: out of memory parsing it");
    return st;
}

/* A proxy libcurl can use, as a plain URL (plain_url_scheme): no
 * credentials in it, which would be one more secret to keep out of logs. */
static coord_status proxy_url_check(const char *url, char *why, size_t why_size)
{
    static const char *const schemes[] = {"http", "https", "socks4", "socks4a", "socks5",
                                          "socks5h"};
    char *scheme;
    coord_status st = plain_url_scheme(url, "proxy URL", &scheme, why, why_size);
    size_t i;

    for (i = 0; st == COORD_OK && i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strcmp(scheme, schemes[i]) == 0)
            break;
    if (st == COORD_OK && i == sizeof(schemes) / sizeof(schemes[0])) {
        coord_set_text(why, why_size, "proxy URL: scheme \"%.16s\" is not http, https, "
                       "socks4, socks4a, socks5 or socks5h", scheme);
        st = COORD_ERR_INVALID_ARGUMENT;
    }
    curl_free(scheme);
    return st;
}

coord_status coord_client_new(const char *base_url, const char *access_key,
                              coord_client **out_client)
{
    coord_client *c;
    size_t n;
    char why[COORD_MESSAGE_MAX];
    coord_status st;

    if (out_client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    *out_client = NULL;
    if (!coord_text_ok(access_key, COORD_KEY_MAX))
        return COORD_ERR_INVALID_ARGUMENT;
    /* why: coord_base_url_check() tells the application */
    st = base_url_check(base_url != NULL ? base_url : COORD_BASE_URL_PRODUCTION, why,
                        sizeof(why));
    if (st != COORD_OK)
        return st;

    c = coord_calloc(1, sizeof(*c));
    if (c == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    if (init_cancel(c) != 0) {
        coord_free(c);
        return COORD_ERR_OUT_OF_MEMORY;
    }
    c->base_url = coord_strdup(base_url != NULL ? base_url : COORD_BASE_URL_PRODUCTION);
    c->access_key = coord_strdup(access_key);
    if (c->base_url == NULL || c->access_key == NULL) {
        st = COORD_ERR_OUT_OF_MEMORY;
        goto failed;
    }
    n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->limits = default_limits;
    c->retry = default_retry;
    c->max_sessions = COORD_DEFAULT_MAX_SESSIONS;
    /* jitter: kiosks that boot together must not retry in lockstep */
    c->rng = coord_random_seed(c);
    st = coord_transport_new(&c->transport);
    if (st != COORD_OK)
        goto failed;
    /* libcurl appends every TLS session key to that file */
    if (getenv("SSLKEYLOGFILE") != NULL && getenv("SSLKEYLOGFILE")[0] != '\0')
        c->warnings |= WARN_KEYLOG;
    if (base_url == NULL)
        c->warnings |= WARN_PRODUCTION;
    else if (why[0] != '\0') /* accepted, with a warning */
        c->warnings |= WARN_API_PATH;
    if (strlen(access_key) < COORD_SHORT_SECRET)
        c->warnings |= WARN_SHORT_KEY;
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
    drop_idle_transports(client);
    coord_free(client->idle);
    coord_free(client->pin);
    pthread_cond_destroy(&client->woken);
    pthread_mutex_destroy(&client->lock);
    coord_secret_free(&client->access_key);
    coord_secret_free(&client->bearer_token);
    coord_secret_free(&client->authorization);
    coord_free(client->base_url);
    coord_free(client->user_agent);
    coord_free(client->ca_file);
    coord_free(client->ca_path);
    coord_free(client->proxy);
    coord_wipe(client, sizeof(*client));
    coord_free(client);
}

coord_status coord_client_set_bearer_token(coord_client *client, const char *token)
{
    static const char prefix[] = COORD_AUTHORIZATION_PREFIX;
    char *copy = NULL, *line = NULL;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (token != NULL) {
        if (!coord_text_ok(token, COORD_TOKEN_MAX))
            return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "%s must be 1..%u bytes without control characters",
                                   "token", COORD_TOKEN_MAX - 1);
        size_t n = strlen(token) + 1;

        copy = coord_malloc(n);
        line = coord_malloc(sizeof(prefix) - 1 + n);
        if (copy == NULL || line == NULL) {
            coord_free(copy);
            coord_free(line);
            return coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s", "token");
        }
        memcpy(copy, token, n);
        memcpy(line, prefix, sizeof(prefix) - 1);
        memcpy(line + sizeof(prefix) - 1, token, n);
    }
    coord_secret_free(&client->bearer_token);
    coord_secret_free(&client->authorization);
    client->bearer_token = copy;
    client->authorization = line;
    client->warnings &= ~(unsigned)WARN_SHORT_TOKEN;
    if (token != NULL && strlen(token) < COORD_SHORT_SECRET) {
        client->warnings |= WARN_SHORT_TOKEN;
        say_warnings(client);
    }
    return COORD_OK;
}

coord_status coord_client_set_user_agent(coord_client *client, const char *user_agent)
{
    char *copy = NULL;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (user_agent != NULL) {
        if (!coord_text_ok(user_agent, COORD_USER_AGENT_MAX))
            return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "user agent must be 1..%u printable bytes",
                                   COORD_USER_AGENT_MAX - 1);
        copy = coord_strdup(user_agent);
        if (copy == NULL)
            return coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s",
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
    coord_client_clear_error(client);
    /* curl takes long: keep within what a 32-bit long holds */
    if (connect_timeout_ms == 0 || total_timeout_ms == 0 ||
        connect_timeout_ms > total_timeout_ms || total_timeout_ms > 0x7fffffffu)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "timeouts must satisfy 1 <= connect <= total <= 2^31-1 ms");
    client->limits.connect_timeout_ms = connect_timeout_ms;
    client->limits.timeout_ms = total_timeout_ms;
    return COORD_OK;
}

coord_status coord_client_set_max_response_size(coord_client *client, uint32_t max_bytes)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (max_bytes < COORD_MIN_RESPONSE_SIZE || max_bytes > COORD_MAX_RESPONSE_SIZE)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
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
    char *copy = NULL, *old = *slot;
    coord_error ignored;
    coord_status st;

    if (value != NULL) {
        if (!coord_text_ok(value, COORD_PATH_MAX))
            return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                   "%s must be 1..%u bytes without control characters",
                                   what, COORD_PATH_MAX - 1);
        copy = coord_strdup(value);
        if (copy == NULL)
            return coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s", what);
    }
    *slot = copy;
    st = coord_transport_set_trust(client->transport, client->ca_file, client->ca_path,
                                   &client->last_error);
    if (st != COORD_OK) {
        *slot = old;
        coord_free(copy);
        /* the transport still holds the previous setting's strings: restore them */
        (void)coord_transport_set_trust(client->transport, client->ca_file, client->ca_path,
                                        &ignored);
        return st;
    }
    coord_free(old);
    tls_changed(client);
    return COORD_OK;
}

coord_status coord_client_set_ca_file(coord_client *client, const char *path)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    return set_trust_path(client, &client->ca_file, path, "CA file path");
}

coord_status coord_client_set_ca_path(coord_client *client, const char *path)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    return set_trust_path(client, &client->ca_path, path, "CA directory path");
}

/* ---- proxy ---- */

/* Give the transport the client's proxy setting: the configured proxy, else
 * the environment's when allowed, else none. libcurl drops the old setting
 * first, and without one it follows the environment: while no setting
 * holds, calls are refused (coord_client_usable). */
static const char *proxy_setting(const coord_client *client)
{
    return client->proxy != NULL ? client->proxy : client->proxy_from_environment ? NULL : "";
}

static coord_status apply_proxy(coord_client *client, coord_error *err)
{
    coord_status st = coord_transport_set_proxy(client->transport, proxy_setting(client), err);

    client->proxy_lost = st != COORD_OK;
    if (st == COORD_OK)
        tls_changed(client); /* the non-blocking calls' handles follow */
    return st;
}

coord_status coord_client_set_proxy(coord_client *client, const char *proxy)
{
    char *copy = NULL, *old, why[COORD_MESSAGE_MAX];
    coord_error ignored;
    coord_status st;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (proxy != NULL) {
        st = proxy_url_check(proxy, why, sizeof(why));
        if (st == COORD_ERR_OUT_OF_MEMORY)
            return coord_client_fail(client, st, "parsing the proxy URL");
        if (st != COORD_OK)
            return coord_client_fail(client, st, "%s", why);
        copy = coord_strdup(proxy);
        if (copy == NULL)
            return coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s",
                                     "proxy URL");
    }
    old = client->proxy;
    client->proxy = copy;
    st = apply_proxy(client, &client->last_error);
    if (st != COORD_OK) { /* the previous setting again, if libcurl takes it */
        client->proxy = old;
        coord_free(copy);
        (void)apply_proxy(client, &ignored);
        return st;
    }
    coord_free(old);
    return COORD_OK;
}

coord_status coord_client_set_proxy_from_environment(coord_client *client, int use)
{
    coord_error ignored;
    coord_status st;
    int old;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (use != 0 && use != 1)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "use must be 0 or 1");
    old = client->proxy_from_environment;
    client->proxy_from_environment = use;
    st = apply_proxy(client, &client->last_error);
    if (st != COORD_OK) {
        client->proxy_from_environment = old;
        (void)apply_proxy(client, &ignored);
    }
    return st;
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
    char *copy = NULL;
    coord_status st;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (pin != NULL && !pin_list_ok(pin))
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "pin must be \"sha256//\" and 44 base64 characters, "
                               "several joined by ';', at most %u bytes", COORD_PIN_MAX - 1);
    if (pin != NULL) {
        copy = coord_strdup(pin);
        if (copy == NULL)
            return coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "copying the %s", "pin");
    }
    st = coord_transport_set_pin(client->transport, pin, &client->last_error);
    client->pin_lost = st != COORD_OK;
    if (st != COORD_OK) { /* fails closed: see pin_lost */
        coord_free(copy);
        return st;
    }
    coord_free(client->pin);
    client->pin = copy; /* for the handles of non-blocking calls */
    tls_changed(client);
    return COORD_OK;
}

coord_status coord_client_set_retry(coord_client *client, uint32_t max_attempts,
                                    uint32_t base_delay_ms, uint32_t max_delay_ms)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (max_attempts < 1 || max_attempts > 10 || base_delay_ms > 60000 ||
        max_delay_ms < base_delay_ms || max_delay_ms > 60000)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
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
    coord_client_clear_error(client);
    if ((int)min_level < (int)COORD_LOG_DEBUG || (int)min_level > (int)COORD_LOG_ERROR)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "unknown log level %d",
                               (int)min_level);
    client->log = callback;
    client->log_data = user_data;
    client->log_min = min_level;
    say_warnings(client);
    return COORD_OK;
}

coord_status coord_client_set_observer(coord_client *client, coord_observer_fn observer,
                                       void *user_data)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    client->observer = observer;
    client->observer_data = user_data;
    return COORD_OK;
}

coord_status coord_client_set_max_sessions(coord_client *client, uint32_t max_sessions)
{
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (max_sessions < 1 || max_sessions > COORD_SESSION_LIST_MAX)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "max sessions must be 1..%u", COORD_SESSION_LIST_MAX);
    client->max_sessions = max_sessions;
    return COORD_OK;
}

const coord_error *coord_client_last_error(const coord_client *client)
{
    return client != NULL ? &client->last_error : NULL;
}

/* ---- for the calls ---- */

void coord_client_clear_error(coord_client *client)
{
    memset(&client->last_error, 0, sizeof(client->last_error));
}

void coord_client_target(const coord_client *client, coord_target *out)
{
    out->base_url = client->base_url;
    out->access_key = client->access_key;
    out->bearer_token = client->bearer_token;
    out->authorization = client->authorization;
}

const coord_transport_config *coord_client_config(const coord_client *client)
{
    return &client->limits;
}

void coord_client_decode_limits(const coord_client *client, coord_decode_limits *out)
{
    out->max_response_size = client->limits.max_response_size;
    out->max_sessions = client->max_sessions;
}

const coord_retry_policy *coord_client_retry(const coord_client *client)
{
    return &client->retry;
}

uint64_t *coord_client_rng(coord_client *client)
{
    return &client->rng;
}

coord_transport *coord_client_transport(coord_client *client)
{
    return client->transport;
}

coord_status coord_client_take_transport(coord_client *client, coord_transport **out,
                                         uint32_t *out_version, coord_error *err)
{
    coord_transport *t;
    coord_status st;

    *out_version = client->tls_version;
    if (client->idle_count > 0) {
        *out = client->idle[--client->idle_count];
        return COORD_OK;
    }
    *out = NULL;
    st = coord_transport_new(&t);
    if (st != COORD_OK)
        return coord_error_fail(err, st, "out of memory for a libcurl handle");
    if (client->ca_file != NULL || client->ca_path != NULL)
        st = coord_transport_set_trust(t, client->ca_file, client->ca_path, err);
    if (st == COORD_OK && client->pin != NULL)
        st = coord_transport_set_pin(t, client->pin, err);
    if (st == COORD_OK && (client->proxy != NULL || client->proxy_from_environment))
        st = coord_transport_set_proxy(t, proxy_setting(client), err);
    if (st != COORD_OK) {
        coord_transport_free(t);
        return st;
    }
    *out = t;
    return COORD_OK;
}

void coord_client_put_transport(coord_client *client, coord_transport *t, uint32_t version)
{
    if (version == client->tls_version && client->idle_count == client->idle_size) {
        size_t size = client->idle_size > 0 ? client->idle_size * 2 : 8;
        coord_transport **grown = coord_realloc(client->idle, size * sizeof(*grown));

        if (grown != NULL) {
            client->idle = grown;
            client->idle_size = size;
        }
    }
    if (version != client->tls_version || client->idle_count == client->idle_size) {
        coord_transport_free(t); /* made under other TLS settings, or no room to keep it */
        return;
    }
    client->idle[client->idle_count++] = t;
}

const int *coord_client_call_started(coord_client *client)
{
    pthread_mutex_lock(&client->lock);
    if (client->blocking_calls++ == 0)
        __atomic_store_n(&client->cancel, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&client->lock);
    return &client->cancel;
}

void coord_client_call_finished(coord_client *client)
{
    pthread_mutex_lock(&client->lock);
    client->blocking_calls--;
    pthread_mutex_unlock(&client->lock);
}

coord_status coord_client_sleep(coord_client *client, uint32_t ms)
{
    struct timespec until;
    coord_status st;
    int64_t end_ms = coord_now_ms() + ms;

    until.tv_sec = (time_t)(end_ms / 1000);
    until.tv_nsec = (long)(end_ms % 1000) * 1000000L;
    pthread_mutex_lock(&client->lock);
    while (!__atomic_load_n(&client->cancel, __ATOMIC_ACQUIRE) &&
           pthread_cond_timedwait(&client->woken, &client->lock, &until) != ETIMEDOUT)
        ; /* woken by a cancel, or spuriously: look again */
    st = __atomic_load_n(&client->cancel, __ATOMIC_ACQUIRE) ? COORD_ERR_CANCELLED : COORD_OK;
    pthread_mutex_unlock(&client->lock);
    return st;
}

coord_status coord_client_cancel(coord_client *client)
{
    coord_status st = COORD_ERR_NOT_FOUND;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&client->lock);
    if (client->blocking_calls > 0) {
        __atomic_store_n(&client->cancel, 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&client->woken);
        st = COORD_OK;
    }
    pthread_mutex_unlock(&client->lock);
    return st;
}

void coord_client_clock_sample(coord_client *client, const coord_response *r,
                               int64_t sent_wall_ms)
{
    coord_clock_sample_in in;

    if (r->has_age)
        return; /* a cache's answer: dated when the server made it, earlier */
    in.date_ms = r->date_ms;
    in.sent_wall_ms = sent_wall_ms;
    in.received_wall_ms = coord_wall_ms();
    in.received_mono_ms = coord_now_ms();
    coord_clock_sample(&client->clock, &in);
}

int coord_client_clock_note(coord_client *client, char *out, size_t size)
{
    return coord_clock_note(&client->clock, coord_wall_ms(), coord_now_ms(), out, size);
}

coord_status coord_client_clock_offset_ms(coord_client *client, int64_t *out_ms)
{
    if (client == NULL || out_ms == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    if (!coord_clock_offset(&client->clock, coord_wall_ms(), coord_now_ms(), out_ms))
        return COORD_ERR_NOT_FOUND;
    return COORD_OK;
}

coord_status coord_client_usable(coord_client *client, coord_error *err)
{
    if (client->pin_lost)
        return coord_error_fail(err, COORD_ERR_TLS, "the public-key pin could not be set; "
                                "calls are refused until coord_client_set_pinned_public_key() "
                                "succeeds");
    if (client->proxy_lost)
        return coord_error_fail(err, COORD_ERR_TRANSPORT, "the proxy setting could not be "
                                "applied; calls are refused until coord_client_set_proxy() or "
                                "coord_client_set_proxy_from_environment() succeeds");
    return COORD_OK;
}

/* The one place that knows which secrets a text must not show. */
void coord_client_redact(const coord_client *client, char *text, size_t size)
{
    coord_redact(text, size, client->access_key);
    coord_redact(text, size, client->bearer_token);
}

void coord_client_publish(coord_client *client, const coord_error *e)
{
    client->last_error = *e;
}

coord_status coord_client_fail(coord_client *client, coord_status status, const char *fmt, ...)
{
    coord_error *e = &client->last_error;
    va_list ap;

    e->status = (int32_t)status;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    coord_client_redact(client, e->detail, sizeof(e->detail));
    return status;
}

int coord_client_observes(const coord_client *client)
{
    return client->observer != NULL;
}

void coord_client_observe(coord_client *client, const coord_call_record *record)
{
    if (client->observer != NULL)
        client->observer(record, client->observer_data);
}

int coord_client_logs(const coord_client *client)
{
    return client->log != NULL;
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
