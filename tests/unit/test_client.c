/* client.c without the network: argument checks, base URL handling, and
 * every option setter under allocation failure (libcoord's copies and
 * libcurl's, through coord_set_allocator installed before coord_global_init). */
#define _POSIX_C_SOURCE 200809L /* setenv, fork */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "internal.h"

#include "../support/counting_alloc.h"

#define KEY "sandbox-test-key"
#define PIN "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q="

static coord_client *new_client(void)
{
    coord_client *c = NULL;

    assert_int_equal(coord_client_new("http://127.0.0.1:9/v1/access/parking", KEY, &c),
                     COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "a-user-token"), COORD_OK);
    return c;
}

static void null_client_is_refused_everywhere(void **state)
{
    coord_session s;
    (void)state;

    memset(&s, 0, sizeof(s));
    assert_int_equal(coord_client_set_bearer_token(NULL, "t"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_user_agent(NULL, "ua"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_timeouts(NULL, 1, 2), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_max_response_size(NULL, 4096), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_max_sessions(NULL, 10), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_ca_file(NULL, "/x"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_ca_path(NULL, "/x"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_pinned_public_key(NULL, PIN), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_end(NULL, &s, &s), COORD_ERR_INVALID_ARGUMENT);
    assert_null(coord_client_last_error(NULL));
    coord_client_free(NULL);
}

static void base_urls_are_checked_and_trailing_slashes_dropped(void **state)
{
    static const char *const bad[] = {
        "", "ftp://example.com", "example.com/v1", "http://a.example/v1?x=1",
        "http://a.example/v1#frag", "http://a.example/ v1", "http://a.example/\x01",
        "file:///etc/passwd", "http://127.0.0.1:99999/v1", "http://[::1/v1",
    };
    char long_url[COORD_URL_MAX];
    coord_client *c = NULL;
    coord_target target;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(coord_client_new(bad[i], KEY, &c), COORD_ERR_INVALID_ARGUMENT);
        assert_null(c);
    }
    memcpy(long_url, "http://", 7);
    memset(long_url + 7, 'a', sizeof(long_url) - 8);
    long_url[sizeof(long_url) - 1] = '\0';
    assert_int_equal(coord_client_new(long_url, KEY, &c), COORD_ERR_INVALID_ARGUMENT);

    assert_int_equal(coord_client_new("https://api.example/v1///", KEY, &c), COORD_OK);
    coord_client_target(c, &target);
    assert_string_equal(target.base_url, "https://api.example/v1");
    assert_string_equal(target.access_key, KEY);
    assert_null(target.bearer_token);
    coord_client_free(c);

    assert_int_equal(coord_client_new(NULL, KEY, &c), COORD_OK);
    coord_client_target(c, &target);
    assert_string_equal(target.base_url, COORD_BASE_URL_PRODUCTION);
    coord_client_free(c);
}

/* Base URLs without a host, with userinfo, a backslash,
 * an empty query or fragment, or a scheme libcurl reads leniently, were
 * accepted; then a location id could pick the host ("http://" + "127.0.0.1"),
 * or the request went to the host behind the '@'. */
static void base_urls_that_let_the_host_move_are_refused(void **state)
{
    static const char *const bad[] = {
        "http://", "https://", "http:///x", "https:///",
        "http://127.0.0.1:9\\@evil.example/x", "http://a.example\\@evil.example/",
        "http://a.example/x\\y", "http://user:pass@a.example/", "http://user@a.example/",
        "http://@a.example/", "http://:@a.example/", "http://user;opt@a.example/",
        "http://a.example/v1?", "http://a.example/v1#", "http:/a.example/v1",
        "http:a.example/v1", "HTTP://", "http:\\\\a.example/", "https:\\\\a.example/",
    };
    coord_client *c = NULL;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (coord_client_new(bad[i], KEY, &c) != COORD_ERR_INVALID_ARGUMENT)
            fail_msg("base URL \"%s\" was accepted", bad[i]);
        assert_null(c);
    }
}

/* The parts of a URL as libcurl parses it; NULL for an absent part. */
typedef struct parsed_url {
    char *scheme, *user, *password, *host, *port, *path, *query, *fragment, *zoneid;
} parsed_url;

static void parse_url(const char *url, parsed_url *out)
{
    CURLU *u = curl_url();

    memset(out, 0, sizeof(*out));
    assert_non_null(u);
    assert_int_equal(curl_url_set(u, CURLUPART_URL, url, 0), CURLUE_OK);
    curl_url_get(u, CURLUPART_SCHEME, &out->scheme, 0);
    curl_url_get(u, CURLUPART_USER, &out->user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &out->password, 0);
    curl_url_get(u, CURLUPART_HOST, &out->host, 0);
    curl_url_get(u, CURLUPART_PORT, &out->port, 0);
    curl_url_get(u, CURLUPART_PATH, &out->path, 0);
    curl_url_get(u, CURLUPART_QUERY, &out->query, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &out->fragment, 0);
    curl_url_get(u, CURLUPART_ZONEID, &out->zoneid, 0);
    curl_url_cleanup(u);
}

static void free_url(parsed_url *p)
{
    char **parts[] = {&p->scheme, &p->user, &p->password, &p->host, &p->port,
                      &p->path, &p->query, &p->fragment, &p->zoneid};

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        curl_free(*parts[i]);
}

static void assert_same_part(const char *want, const char *got, const char *what,
                             const char *url)
{
    if ((want == NULL) != (got == NULL) || (want != NULL && strcmp(want, got) != 0))
        fail_msg("%s of %s: \"%s\", base has \"%s\"", what, url, got ? got : "(none)",
                 want ? want : "(none)");
}

/* The header's promise: for every base URL the client accepts, a location
 * id can change neither the host nor the path; it stays one path segment
 * right after the base's path. Checked with libcurl's parser, as the
 * request is sent. */
static void no_location_id_moves_the_request(void **state)
{
    static const char *const bases[] = {
        "http://127.0.0.1:8080/v1/access/parking", COORD_BASE_URL_PRODUCTION,
        "https://api.example/v1///", "HTTP://Host.Example:80/x", "http://[::1]:8080/x",
        "http://[fe80::1%25eth0]/p", "https://h./", "http://h:8080", "http://h",
        "http://h/a%20b", "http://h/x/..", "http://h/x/.", "http://h/x/%2e%2e",
        "http://h/a;b=c/d", "http://h/x%", "http://h/@evil.example", "http://h/:80",
        "http://h/~u/$!&'()*+,;=", "http://h:/x",
    };
    static const char *const hostile[] = {
        "@evil.example", "evil.example:80", "//evil.example", "\\evil.example",
        "..", "..%2F..", "%2e%2e", "%2E%2E%2F", "?access_key=x", "#x", "a/../..", "x y", ":@",
        "caf\xc3\xa9", "/", "./", "../", ".%2e", "%00", "...", "~", "L;x=1", "[::1]",
    };
    char loc[2], expected[COORD_URL_MAX], *key_query = curl_easy_escape(NULL, KEY, 0);
    char query[256];
    (void)state;

    snprintf(query, sizeof(query), "access_key=%s", key_query);
    for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
        coord_client *c = NULL;
        coord_target target;
        parsed_url base;

        if (coord_client_new(bases[b], KEY, &c) != COORD_OK ||
            coord_client_set_bearer_token(c, "a-user-token") != COORD_OK)
            fail_msg("base URL \"%s\" was refused", bases[b]);
        coord_client_target(c, &target);
        parse_url(target.base_url, &base);
        /* every printable byte alone, then the longer hostile ids */
        for (int i = 0x20; i < 0x7f + (int)(sizeof(hostile) / sizeof(hostile[0])); i++) {
            const char *id = loc;
            coord_error err;
            coord_request req;
            char url_buf[COORD_URL_MAX];
            parsed_url sent;
            char *esc, *back;
            size_t n;

            coord_request_init(&req, url_buf);
            if (i < 0x7f) {
                loc[0] = (char)i;
                loc[1] = '\0';
            } else {
                id = hostile[i - 0x7f];
            }
            if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0) { /* parsers resolve them */
                assert_int_equal(coord_request_get_session(&req, &target, id, 42, &err),
                                 COORD_ERR_INVALID_ARGUMENT);
                continue;
            }
            assert_int_equal(coord_request_get_session(&req, &target, id, 42, &err),
                             COORD_OK);
            parse_url(req.url, &sent);
            assert_same_part(base.scheme, sent.scheme, "scheme", req.url);
            assert_same_part(base.host, sent.host, "host", req.url);
            assert_same_part(base.port, sent.port, "port", req.url);
            assert_same_part(base.zoneid, sent.zoneid, "zone", req.url);
            assert_same_part(NULL, sent.user, "user", req.url);
            assert_same_part(NULL, sent.password, "password", req.url);
            assert_same_part(NULL, sent.fragment, "fragment", req.url);
            assert_same_part(query, sent.query, "query", req.url);
            /* base path (libcurl-normalised, without its trailing '/') +
             * one escaped segment + the call's own segments */
            n = strlen(base.path);
            while (n > 0 && base.path[n - 1] == '/')
                n--;
            esc = curl_easy_escape(NULL, id, 0);
            snprintf(expected, sizeof(expected), "%.*s/%s/session/42", (int)n, base.path, esc);
            assert_same_part(expected, sent.path, "path", req.url);
            back = curl_easy_unescape(NULL, esc, 0, NULL);
            assert_string_equal(back, id);
            curl_free(back);
            curl_free(esc);
            free_url(&sent);
            coord_request_free(&req);
        }
        free_url(&base);
        coord_client_free(c);
    }
    curl_free(key_query);
}

/* Each client's jitter generator is seeded from the
 * kernel (getrandom). Kiosks that boot together -- same second, same heap
 * addresses, next to no CPU time -- seeded alike from the clock and an
 * address. Forked children are such kiosks: their seeds must differ as
 * random numbers do, in many bits, not in the few a clock tick changes. */
static void clients_that_start_alike_seed_apart(void **state)
{
    enum { KIOSKS = 8 };
    uint64_t seeds[KIOSKS];
    int fds[2];
    (void)state;

    assert_int_equal(pipe(fds), 0);
    for (int i = 0; i < KIOSKS; i++) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
            coord_client *c = NULL;
            uint64_t seed = 0;

            if (coord_client_new("http://127.0.0.1:9/v1", KEY, &c) == COORD_OK)
                seed = *coord_client_rng(c);
            coord_client_free(c);
            _exit(write(fds[1], &seed, sizeof(seed)) == (ssize_t)sizeof(seed) ? 0 : 1);
        }
    }
    close(fds[1]);
    for (int i = 0; i < KIOSKS; i++) {
        int status = 0;

        assert_int_equal(read(fds[0], &seeds[i], sizeof(seeds[i])), sizeof(seeds[i]));
        assert_true(wait(&status) > 0);
        assert_int_equal(status, 0);
    }
    close(fds[0]);
    for (int i = 0; i < KIOSKS; i++)
        for (int j = i + 1; j < KIOSKS; j++) {
            uint64_t differ = seeds[i] ^ seeds[j];
            int bits = 0;

            for (; differ != 0; differ &= differ - 1)
                bits++;
            /* random seeds: 32 bits on average; fewer than 12 one time in 10^7 */
            if (bits < 12)
                fail_msg("seeds %016llx and %016llx differ in %d bits only",
                         (unsigned long long)seeds[i], (unsigned long long)seeds[j], bits);
        }
}

/* What a log callback heard. */
static struct {
    int messages;
    coord_log_level level;
    char text[512];
} heard;

static void on_log(coord_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    heard.messages++;
    heard.level = level;
    snprintf(heard.text, sizeof(heard.text), "%s", message);
}

/* SSLKEYLOGFILE makes libcurl write every TLS session key
 * to a file. A client created while it is set says so in its log, once. */
static void sslkeylogfile_is_warned_about(void **state)
{
    coord_client *c;
    (void)state;

    setenv("SSLKEYLOGFILE", "/tmp/keys.log", 1);
    c = new_client();
    unsetenv("SSLKEYLOGFILE");
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_ERROR), COORD_OK);
    assert_int_equal(heard.messages, 0); /* not to a callback that takes no warnings */
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
#ifdef COORD_MINIMAL
    assert_int_equal(heard.messages, 0); /* the firmware build has no log text */
#else
    assert_int_equal(heard.messages, 1);
    assert_int_equal(heard.level, COORD_LOG_WARN);
    assert_non_null(strstr(heard.text, "SSLKEYLOGFILE was set"));
    assert_non_null(strstr(heard.text, "can decrypt"));
#endif
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
    assert_true(heard.messages <= 1); /* once */
    coord_client_free(c);

    c = new_client(); /* created without it: nothing to say */
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
    assert_int_equal(heard.messages, 0);
    coord_client_free(c);
}

/* A refused base URL said only "invalid argument".
 * coord_base_url_check() names the part, never quoting the URL. */
static void base_url_check_names_what_is_wrong(void **state)
{
    static const struct {
        const char *url;
        coord_status st;
        const char *detail;
    } cases[] = {
        {"htp://127.0.0.1:8080/v1/access/parking", COORD_ERR_INVALID_ARGUMENT,
         "base URL: scheme \"htp\" is not http or https"},
        {"ftp://example.com/v1/access/parking", COORD_ERR_INVALID_ARGUMENT,
         "base URL: scheme \"ftp\" is not http or https"},
        {"127.0.0.1:8080/v1/access/parking", COORD_ERR_INVALID_ARGUMENT,
         "base URL: no scheme: it starts with http:// or https://, then the host"},
        {"http:///v1/access/parking", COORD_ERR_INVALID_ARGUMENT,
         "base URL: no host after \"://\""},
        {"http://", COORD_ERR_INVALID_ARGUMENT, "base URL: no host after \"://\""},
        {"http://user:s3cret@h/v1/access/parking", COORD_ERR_INVALID_ARGUMENT,
         "base URL: has a user name or password (user:pass@): not allowed"},
        {"http://h/v1/access/parking?access_key=s3cret", COORD_ERR_INVALID_ARGUMENT,
         "base URL: has a query ('?'): give the path only"},
        {"http://h/v1#x", COORD_ERR_INVALID_ARGUMENT, "base URL: has a fragment ('#')"},
        {"http://h/a b", COORD_ERR_INVALID_ARGUMENT, "base URL: has a space"},
        {"http://h\\x/", COORD_ERR_INVALID_ARGUMENT, "base URL: has a backslash"},
        {"", COORD_ERR_INVALID_ARGUMENT,
         "base URL: empty, too long or with a control character"},
        {"http://127.0.0.1:99999/v1/access/parking", COORD_ERR_INVALID_ARGUMENT,
         "base URL: Port number was not a decimal number between 0 and 65535"},
        {"http://127.0.0.1:8080/v1/access/parking", COORD_OK, ""},
        {"https://gw.example/coord/v1/access/parking/", COORD_OK, ""},
        {NULL, COORD_OK, ""},
        {"http://127.0.0.1:8080", COORD_OK,
         "base URL: its path does not end in /v1/access/parking: the API's routes are under "
         "it (a 404 \"no such route\" otherwise)"},
    };
    char detail[COORD_MESSAGE_MAX];
    coord_client *c = NULL;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(detail, 'x', sizeof(detail));
        assert_int_equal(coord_base_url_check(cases[i].url, detail, sizeof(detail)),
                         cases[i].st);
        assert_string_equal(detail, cases[i].detail);
        assert_null(strstr(detail, "s3cret"));
        /* coord_client_new() agrees */
        assert_int_equal(coord_client_new(cases[i].url, KEY, &c), cases[i].st);
        coord_client_free(c);
        c = NULL;
    }
    assert_int_equal(coord_base_url_check("htp://h/", NULL, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_base_url_check("htp://h/", detail, 12), COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(detail, "base URL: s"); /* cut to its buffer */
}

/* Without a bearer token every call but create_jwt was
 * sent, for the server to answer 401; the key was checked locally, the
 * token not. Now refused before anything is sent, with the server's status. */
static void calls_without_a_token_are_refused_locally(void **state)
{
    coord_client *c = NULL;
    coord_session s;
    coord_session_list list;
    coord_redemption_info b;
    char token[64];
    const coord_error *e;
    (void)state;

    assert_int_equal(coord_client_new("http://127.0.0.1:9/v1/access/parking", KEY, &c),
                     COORD_OK);
    e = coord_client_last_error(c);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(e->attempts, 0);
    assert_int_equal(e->http_status, 0);
    assert_string_equal(e->detail, "no bearer token set: this call is made as a user "
                                   "(coord_client_set_bearer_token); nothing was sent");
    assert_int_equal(coord_session_get(c, "LOT-1", 1, &s), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &s), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_session_list_location(c, "LOT-1", &list), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_session_list_user(c, &list), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_barcode_create(c, &b), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_test_simulate_redemption(c, "LOT-1", 1, 5, &s),
                     COORD_ERR_UNAUTHORIZED);
    assert_int_equal(e->attempts, 0);
    /* a bad argument is still named as such first */
    assert_int_equal(coord_session_get(c, "..", 1, &s), COORD_ERR_INVALID_ARGUMENT);
    /* create_jwt needs no token: it is sent (to a closed port here) */
    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    assert_int_equal(coord_test_create_jwt(c, "a@b.c", NULL, token, sizeof(token)),
                     COORD_ERR_TRANSPORT);
    assert_int_equal(e->attempts, 1);
    coord_client_free(c);
}

/* Heard a warning saying this? */
static void assert_warned(const char *says)
{
#ifdef COORD_MINIMAL
    (void)says;
    assert_int_equal(heard.messages, 0); /* the firmware build has no log text */
#else
    assert_int_equal(heard.messages, 1);
    assert_int_equal(heard.level, COORD_LOG_WARN);
    if (strstr(heard.text, says) == NULL)
        fail_msg("heard \"%s\", not \"%s\"", heard.text, says);
#endif
}

/* What is accepted but likely wrong is said in the
 * log -- a base URL off the API's path, NULL (the offline production
 * service), a key or token under 8 bytes (redaction then blanks ordinary
 * words: COORD_TOKEN=Fail made "Failed to connect" "[redacted]ed to ...") --
 * once, when a callback that hears warnings is set (or at once, when a
 * short token is set under one). Redaction itself stays as strict. */
static void likely_mistakes_are_warned_in_the_log(void **state)
{
    coord_client *c = NULL;
    char text[64];
    (void)state;

    assert_int_equal(coord_client_new("http://127.0.0.1:9", KEY, &c), COORD_OK);
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_WARN), COORD_OK);
    assert_warned("does not end in /v1/access/parking");
    coord_client_free(c);

    assert_int_equal(coord_client_new(NULL, KEY, &c), COORD_OK);
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
    assert_warned("production service, https://api.coord.co/v1/access/parking, which is "
                     "offline");
    coord_client_free(c);

    assert_int_equal(coord_client_new("http://127.0.0.1:9/v1/access/parking", "k-1234", &c),
                     COORD_OK);
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_INFO), COORD_OK);
    assert_warned("the access key is shorter than 8 bytes");
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_bearer_token(c, "Fail"), COORD_OK); /* said at once */
    assert_warned("the token is shorter than 8 bytes");
    /* as strict as before: the short token is still redacted everywhere */
    snprintf(text, sizeof(text), "Failed to connect");
    coord_client_redact(c, text, sizeof(text));
    assert_string_equal(text, "[redacted]ed to connect");
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_bearer_token(c, "a-long-enough-token"), COORD_OK);
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
    assert_int_equal(heard.messages, 0); /* said once; nothing new to say */
    coord_client_free(c);

    /* no callback yet: kept until one is set; one for errors only hears nothing */
    assert_int_equal(coord_client_new("http://127.0.0.1:9/v1/access/parking", KEY, &c),
                     COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "qq"), COORD_OK);
    memset(&heard, 0, sizeof(heard));
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_ERROR), COORD_OK);
    assert_int_equal(heard.messages, 0);
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_WARN), COORD_OK);
    assert_warned("the token is shorter than 8 bytes");
    coord_client_free(c);
}

/* A held session whose location_id fills its storage without a NUL. */
static void unterminated_location_is_refused(void **state)
{
    coord_client *c = new_client();
    coord_session s, out;
    (void)state;

    memset(&s, 0, sizeof(s));
    memset(s.location_id, 'L', sizeof(s.location_id));
    assert_int_equal(coord_session_end(c, &s, &out), COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "not terminated"));
    s.has_redemption_info = 1; /* the gate check names no unterminated text */
    assert_int_equal(coord_session_end(c, &s, &out), COORD_ERR_PHYSICAL_CHECKOUT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "at ?"));
    coord_client_free(c);
}

typedef coord_status (*setter)(coord_client *c);

static coord_status set_token(coord_client *c)
{
    return coord_client_set_bearer_token(c, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
}

static coord_status set_agent(coord_client *c)
{
    return coord_client_set_user_agent(c, "kiosk/2.1");
}

static coord_status set_ca_file(coord_client *c)
{
    return coord_client_set_ca_file(c, "/etc/kiosk/ca.pem");
}

static coord_status set_ca_path(coord_client *c)
{
    return coord_client_set_ca_path(c, "/etc/kiosk/cas");
}

static coord_status set_proxy(coord_client *c)
{
    return coord_client_set_proxy(c, "http://127.0.0.1:3128");
}

static coord_status set_proxy_from_environment(coord_client *c)
{
    return coord_client_set_proxy_from_environment(c, 1);
}

static coord_status set_pin(coord_client *c)
{
    return coord_client_set_pinned_public_key(c, PIN);
}

/* For k = 1, 2, ...: fail the k-th allocation of the setter. Each failing
 * run returns COORD_ERR_OUT_OF_MEMORY with a detail and leaks nothing; the
 * sweep ends with a run that succeeds. Returns how many runs failed. */
static long sweep(setter set)
{
    long k, before;

    for (k = 1; k < 100; k++) {
        coord_client *c = new_client();
        coord_status st;

        before = counting_live();
        counting_arm(k);
        st = set(c);
        counting_arm(0);
        if (st == COORD_OK) {
            coord_client_free(c);
            return k - 1;
        }
        assert_int_equal(st, COORD_ERR_OUT_OF_MEMORY);
        assert_int_equal(coord_client_last_error(c)->status, COORD_ERR_OUT_OF_MEMORY);
        assert_true(coord_client_last_error(c)->detail[0] != '\0');
        assert_int_equal(counting_live(), before); /* the failed setter kept nothing */
        /* the client is still usable: the same setting now succeeds */
        assert_int_equal(set(c), COORD_OK);
        coord_client_free(c);
    }
    fail_msg("setter never succeeded");
    return -1;
}

static void setters_survive_allocation_failures(void **state)
{
    long start = counting_live();
    (void)state;

    assert_int_equal(sweep(set_token), 2);   /* libcoord's copy + its Authorization line */
    assert_int_equal(sweep(set_agent), 1);   /* libcoord's copy; libcurl's at the next call */
    assert_true(sweep(set_ca_file) >= 2);    /* libcoord's copy, then libcurl's */
    assert_true(sweep(set_ca_path) >= 2);
    assert_true(sweep(set_pin) >= 2);        /* libcoord's copy, then libcurl's */
    assert_true(sweep(set_proxy) >= 3);      /* the URL's parse, libcoord's copy, libcurl's */
    assert_int_equal(sweep(set_proxy_from_environment), 0); /* libcurl copies nothing */
    assert_int_equal(counting_live(), start);
}

/* A failed CA setting leaves the previous one in force, and a later change
 * still works. */
static void failed_trust_change_keeps_the_previous_paths(void **state)
{
    coord_client *c = new_client();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, "/first/ca.pem"), COORD_OK);
    counting_arm(2); /* libcurl's copy of the new path fails */
    assert_int_equal(coord_client_set_ca_file(c, "/second/ca.pem"), COORD_ERR_OUT_OF_MEMORY);
    counting_arm(0);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "CA file"));
    assert_int_equal(coord_client_set_ca_file(c, NULL), COORD_OK);
    assert_int_equal(coord_client_set_ca_path(c, "/third"), COORD_OK);
    coord_client_free(c);
}

/* libcurl drops the old proxy setting before copying the new one, and
 * without one it follows the environment's proxy variables: when neither
 * the new setting nor the old one can be restored, calls are refused. */
static void failed_proxy_change_fails_closed(void **state)
{
    coord_client *c = new_client();
    coord_session s;
    (void)state;

    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    assert_int_equal(coord_client_set_proxy(c, "http://127.0.0.1:3128"), COORD_OK);
    counting_arm_all();
    assert_int_equal(coord_client_set_proxy_from_environment(c, 1), COORD_ERR_OUT_OF_MEMORY);
    counting_arm(0);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "proxy"));
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_TRANSPORT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "proxy setting could not be"));
    assert_int_equal(coord_client_last_error(c)->attempts, 0); /* nothing was sent */
    /* a setting that holds lifts the refusal: direct to port 9, refused there */
    assert_int_equal(coord_client_set_proxy(c, NULL), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(coord_client_last_error(c)->attempts, 1);
    coord_client_free(c);
}

/* libcurl drops the old pin before copying the new one: a failed copy must
 * not leave the client talking without any pin (found in review). */
static void failed_pin_change_fails_closed(void **state)
{
    coord_client *c = new_client();
    coord_session s;
    (void)state;

    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    assert_int_equal(coord_client_set_pinned_public_key(c, PIN), COORD_OK);
    counting_arm(2); /* libcurl's copy of the new pin fails (the first: libcoord's own copy) */
    assert_int_equal(coord_client_set_pinned_public_key(c, PIN), COORD_ERR_OUT_OF_MEMORY);
    counting_arm(0);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_TLS);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "pin could not be set"));
    assert_int_equal(coord_client_last_error(c)->attempts, 0); /* nothing was sent */
    /* setting a pin again (or removing it) lifts the refusal */
    assert_int_equal(coord_client_set_pinned_public_key(c, NULL), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_TRANSPORT); /* port 9 */
    coord_client_free(c);
}

/* The list array's limit: 1..COORD_SESSION_LIST_MAX, a new client's
 * COORD_DEFAULT_MAX_SESSIONS; a refused value keeps the previous one. */
static void max_sessions_is_checked(void **state)
{
    coord_client *c = new_client();
    coord_decode_limits limits;
    (void)state;

    coord_client_decode_limits(c, &limits);
    assert_int_equal(limits.max_sessions, COORD_DEFAULT_MAX_SESSIONS);
    assert_int_equal(limits.max_response_size, COORD_DEFAULT_MAX_RESPONSE_SIZE);
    assert_int_equal(coord_client_set_max_sessions(c, 1), COORD_OK);
    assert_int_equal(coord_client_set_max_sessions(c, COORD_SESSION_LIST_MAX), COORD_OK);
    assert_int_equal(coord_client_set_max_sessions(c, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(coord_client_last_error(c)->detail, "max sessions must be 1..10000");
    assert_int_equal(coord_client_set_max_sessions(c, COORD_SESSION_LIST_MAX + 1),
                     COORD_ERR_INVALID_ARGUMENT);
    coord_client_decode_limits(c, &limits);
    assert_int_equal(limits.max_sessions, COORD_SESSION_LIST_MAX);
    assert_int_equal(coord_client_set_max_response_size(c, 4096), COORD_OK);
    coord_client_decode_limits(c, &limits);
    assert_int_equal(limits.max_response_size, 4096);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_client_is_refused_everywhere),
        cmocka_unit_test(max_sessions_is_checked),
        cmocka_unit_test(base_urls_are_checked_and_trailing_slashes_dropped),
        cmocka_unit_test(base_urls_that_let_the_host_move_are_refused),
        cmocka_unit_test(no_location_id_moves_the_request),
        cmocka_unit_test(sslkeylogfile_is_warned_about),
        cmocka_unit_test(base_url_check_names_what_is_wrong),
        cmocka_unit_test(likely_mistakes_are_warned_in_the_log),
        cmocka_unit_test(calls_without_a_token_are_refused_locally),
        cmocka_unit_test(clients_that_start_alike_seed_apart),
        cmocka_unit_test(unterminated_location_is_refused),
        cmocka_unit_test(setters_survive_allocation_failures),
        cmocka_unit_test(failed_trust_change_keeps_the_previous_paths),
        cmocka_unit_test(failed_pin_change_fails_closed),
        cmocka_unit_test(failed_proxy_change_fails_closed),
    };
    int failed;

    /* before coord_global_init(), so that libcurl allocates through it too */
    if (coord_set_allocator(counting_allocator()) != COORD_OK || coord_global_init() != COORD_OK)
        return 2;
    failed = cmocka_run_group_tests_name("client", tests, NULL, NULL);
    coord_global_cleanup();
    if (coord_set_allocator(NULL) != COORD_OK)
        return 2;
    return failed;
}
