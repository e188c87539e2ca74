/* Request builder: method, URL and escaping, query, headers; no secrets in errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "internal.h"

#include "../support/counting_alloc.h"

#define KEY "sandbox-s3cr3t/+&="
#define BASE "http://127.0.0.1:8080/v1/access/parking"

static const coord_target target = {BASE, KEY, NULL, NULL}; /* no token: create_jwt's */
static const coord_target user = {BASE, KEY, "user-token", NULL}; /* every other call's */
static coord_error err; /* why a builder failed */
static char url_buf[COORD_URL_MAX]; /* the URL storage an exchange gives its request */

/* An empty request on url_buf, as an exchange starts one. */
static coord_request new_request(void)
{
    coord_request req;

    coord_request_init(&req, url_buf);
    return req;
}

/* Empty: every field clean, the owner's storage kept. */
static void assert_empty(const coord_request *req)
{
    assert_ptr_equal(req->url_buf, url_buf);
    assert_null(req->method);
    assert_null(req->url);
    for (size_t i = 0; i < COORD_REQUEST_MAX_HEADERS; i++)
        assert_null(req->headers[i]);
    assert_int_equal(req->header_count, 0);
    assert_null(req->body);
    assert_int_equal(req->body_len, 0);
    assert_int_equal(req->idempotent, 0);
    assert_null(req->owned_body);
    assert_null(req->owned_header);
}

static void end_session_request(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &user, "LOT-9", 42, &err), COORD_OK);
    assert_string_equal(req.method, "PUT");
    assert_string_equal(req.url, BASE "/LOT-9/session/42/end?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    assert_int_equal(req.header_count, 2);
    assert_string_equal(req.headers[0], "Accept: application/json");
    assert_string_equal(req.headers[1], "Authorization: Bearer user-token");
    assert_null(req.body);
    assert_int_equal(req.body_len, 0);
    coord_request_free(&req);
    assert_null(req.url);
}

static void path_segments_are_escaped(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &user, "a/../b?x=1", 7, &err), COORD_OK);
    assert_string_equal(req.url, BASE "/a%2F..%2Fb%3Fx%3D1/session/7/end?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    coord_request_free(&req);

    assert_int_equal(coord_request_end_session(&req, &user, "caf\xc3\xa9 #1 %", -3, &err),
                     COORD_OK);
    assert_string_equal(req.url, BASE "/caf%C3%A9%20%231%20%25/session/-3/end?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    coord_request_free(&req);
}

static void int64_ids_in_full(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &user, "L", INT64_MAX, &err), COORD_OK);
    assert_non_null(strstr(req.url, "/L/session/9223372036854775807/end?"));
    coord_request_free(&req);
    assert_int_equal(coord_request_end_session(&req, &user, "L", INT64_MIN, &err), COORD_OK);
    assert_non_null(strstr(req.url, "/L/session/-9223372036854775808/end?"));
    coord_request_free(&req);
}

static void bearer_token_header(void **state)
{
    coord_target t = {BASE, KEY, "eyJhbGciOi.payload.sig", NULL};
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &t, "L", 1, &err),
                     COORD_OK);
    assert_int_equal(req.header_count, 2);
    assert_string_equal(req.headers[1], "Authorization: Bearer eyJhbGciOi.payload.sig");
    coord_request_free(&req);
    assert_int_equal(req.header_count, 0);
}

static void body_gets_content_type(void **state)
{
    const char *segs[] = {"L", "session"};
    const char body[] = "{\"x\":1}";
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_build(&req, &target, "POST", segs, 2, body,
                                         sizeof(body) - 1, &err), COORD_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, BASE "/L/session?access_key=sandbox-s3cr3t%2F%2B%26%3D");
    assert_int_equal(req.header_count, 2);
    assert_string_equal(req.headers[1], "Content-Type: application/json");
    assert_ptr_equal(req.body, body);
    assert_int_equal(req.body_len, 7);
    coord_request_free(&req);
}

static void invalid_location_ids(void **state)
{
    /* "." and "..": libcurl would resolve them and move the request (review) */
    static const char *const bad[] = {"", "a\nb", "tab\there", "nul\x7f", "\x1b[31m", ".", ".."};
    static const char *const good[] = {"...", "a..b", ".hidden", "..x"};
    char too_long[COORD_ID_MAX + 1];
    coord_request req = new_request();
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(coord_request_end_session(&req, &user, bad[i], 1, &err),
                         COORD_ERR_INVALID_ARGUMENT);
        assert_null(req.url);
        assert_non_null(strstr(err.detail, "location_id"));
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(coord_request_end_session(&req, &user, good[i], 1, &err), COORD_OK);
        coord_request_free(&req);
    }
    assert_int_equal(coord_request_end_session(&req, &user, NULL, 1, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    memset(too_long, 'a', sizeof(too_long));
    too_long[COORD_ID_MAX] = '\0';
    assert_int_equal(coord_request_end_session(&req, &user, too_long, 1, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    too_long[COORD_ID_MAX - 1] = '\0';
    assert_int_equal(coord_request_end_session(&req, &user, too_long, 1, &err), COORD_OK);
    coord_request_free(&req);
}

static void overlong_url_error_hides_the_key(void **state)
{
    static char key[COORD_URL_MAX];
    coord_target t = {BASE, key, "user-token", NULL};
    coord_request req = new_request();
    (void)state;

    memset(key, 'K', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    assert_int_equal(coord_request_end_session(&req, &t, "L", 1, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_null(req.url);
    assert_non_null(strstr(err.detail, "URL would exceed"));
    assert_null(strstr(err.detail, "KKKK"));
    assert_null(strstr(err.detail, "access_key"));
}

static void get_session_request_and_its_loggable_path(void **state)
{
    coord_request req = new_request();
    char path[64];
    (void)state;

    assert_int_equal(coord_request_get_session(&req, &user, "a/b?c", -7, &err), COORD_OK);
    assert_string_equal(req.method, "GET");
    assert_int_equal(req.idempotent, 1);
    assert_string_equal(req.url, BASE "/a%2Fb%3Fc/session/-7?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    /* what logs show: no query, so no key */
    coord_request_path(&req, path, sizeof(path));
    assert_string_equal(path, "/v1/access/parking/a%2Fb%3Fc/session/-7");
    coord_request_path(&req, path, 12);
    assert_string_equal(path, "/v1/access/");
    coord_request_free(&req);
    assert_int_equal(coord_request_get_session(&req, &user, "", 1, &err),
                     COORD_ERR_INVALID_ARGUMENT);

    /* idempotence follows the method: only POST is not */
    assert_int_equal(coord_request_build(&req, &target, "POST", NULL, 0, "{}", 2, &err), COORD_OK);
    assert_int_equal(req.idempotent, 0);
    coord_request_free(&req);
    assert_int_equal(coord_request_end_session(&req, &user, "L", 1, &err),
                     COORD_OK);
    assert_int_equal(req.idempotent, 1);
    coord_request_free(&req);
}

/* ---- session lifecycle requests ---- */

#define Q "?access_key=sandbox-s3cr3t%2F%2B%26%3D"

static void create_session_request(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_create_session(&req, &user, "LOT-9", NULL, &err), COORD_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, BASE "/LOT-9/session" Q);
    assert_string_equal(req.body, "{}");
    assert_int_equal(req.body_len, 2);
    assert_ptr_equal(req.body, req.owned_body);
    assert_string_equal(req.headers[1], "Content-Type: application/json");
    coord_request_free(&req);
    assert_null(req.owned_body);

    /* cJSON escapes the resource id; the location is one escaped segment */
    assert_int_equal(coord_request_create_session(&req, &user, "a/b", "stall \"7\"\\x",
                                                  &err), COORD_OK);
    assert_string_equal(req.url, BASE "/a%2Fb/session" Q);
    assert_string_equal(req.body, "{\"resource_id\":\"stall \\\"7\\\"\\\\x\"}");
    assert_int_equal(req.body_len, strlen(req.body));
    coord_request_free(&req);

    assert_int_equal(coord_request_create_session(&req, &user, "L", "bad\nid", &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.detail, "resource_id"));
    assert_null(req.url);
    assert_int_equal(coord_request_create_session(&req, &user, "", NULL, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.detail, "location_id"));
}

static void get_session_request(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_get_session(&req, &user, "L 1", INT64_MAX, &err), COORD_OK);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.url, BASE "/L%201/session/9223372036854775807" Q);
    assert_null(req.body);
    assert_int_equal(req.header_count, 2);
    coord_request_free(&req);
    assert_int_equal(coord_request_get_session(&req, &user, NULL, 1, &err),
                     COORD_ERR_INVALID_ARGUMENT);
}

static void list_requests(void **state)
{
    coord_target t = {BASE, KEY, "tok", NULL};
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_list_sessions(&req, &t, "L?1", &err),
                     COORD_OK);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.url, BASE "/L%3F1/session" Q);
    assert_string_equal(req.headers[1], "Authorization: Bearer tok");
    coord_request_free(&req);
    /* the user's sessions: GET {base}/session */
    assert_int_equal(coord_request_list_sessions(&req, &t, NULL, &err),
                     COORD_OK);
    assert_string_equal(req.url, BASE "/session" Q);
    coord_request_free(&req);
    assert_int_equal(coord_request_list_sessions(&req, &t, "x\ty", &err),
                     COORD_ERR_INVALID_ARGUMENT);
}

static void barcode_request(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_create_barcode(&req, &user, &err),
                     COORD_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, BASE "/barcode" Q);
    assert_string_equal(req.body, "{}");
    assert_null(req.owned_body); /* a constant body */
    coord_request_free(&req);
}

static void simulate_redemption_request(void **state)
{
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_simulate_redemption(&req, &user, "G/1", -5, 95, &err),
                     COORD_OK);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url, BASE "/testing/G%2F1/-5/simulate_redemption" Q);
    assert_string_equal(req.body, "{\"duration_m\":95}");
    assert_int_equal(req.body_len, 17);
    coord_request_free(&req);
    assert_int_equal(coord_request_simulate_redemption(&req, &user, "G", 1,
                                                       COORD_REDEMPTION_MAX_MINUTES, &err),
                     COORD_OK);
    assert_string_equal(req.body, "{\"duration_m\":527040}");
    coord_request_free(&req);
    assert_int_equal(coord_request_simulate_redemption(&req, &user, "G", 1,
                                                       COORD_REDEMPTION_MAX_MINUTES + 1, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.detail, "duration_m"));
    assert_null(req.url);
}

static void create_jwt_request_uses_the_users_api_on_the_same_host(void **state)
{
    static const struct {
        const char *base;
        const char *url;
    } cases[] = {
        {BASE, "http://127.0.0.1:8080/v1/users/testing/create_jwt" Q},
        {COORD_BASE_URL_PRODUCTION, "https://api.coord.co/v1/users/testing/create_jwt" Q},
        {COORD_BASE_URL_SANDBOX, "https://api.sandbox.coord.co/v1/users/testing/create_jwt" Q},
        {"https://gw.example:8443/coord/proxy/v1/access/parking",
         "https://gw.example:8443/v1/users/testing/create_jwt" Q},
        {"http://[::1]:9000/v1/access/parking", "http://[::1]:9000/v1/users/testing/create_jwt" Q},
    };
    coord_request req = new_request();
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        coord_target t = {cases[i].base, KEY, "user-token", NULL};

        assert_int_equal(coord_request_create_jwt(&req, &t, "a@b.c", NULL, &err), COORD_OK);
        assert_string_equal(req.url, cases[i].url);
        assert_string_equal(req.method, "POST");
        assert_string_equal(req.body, "{\"email\":\"a@b.c\"}");
        /* no bearer token is sent to create_jwt */
        assert_int_equal(req.header_count, 2);
        assert_string_equal(req.headers[1], "Content-Type: application/json");
        coord_request_free(&req);
    }
    assert_int_equal(coord_request_create_jwt(&req, &target, "kiosk@example.com", "uid-\"1\"",
                                              &err), COORD_OK);
    assert_string_equal(req.body,
                        "{\"email\":\"kiosk@example.com\",\"external_uid\":\"uid-\\\"1\\\"\"}");
    coord_request_free(&req);
}

static void create_jwt_validates_its_arguments(void **state)
{
    char long_email[COORD_EMAIL_MAX + 1];
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_create_jwt(&req, &target, "no-at-sign", NULL, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.detail, "'@'"));
    assert_int_equal(coord_request_create_jwt(&req, &target, NULL, NULL, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_request_create_jwt(&req, &target, "a@b\n", NULL, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_request_create_jwt(&req, &target, "a@b.c", "", &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.detail, "external_uid"));
    memset(long_email, 'a', sizeof(long_email));
    long_email[1] = '@';
    long_email[COORD_EMAIL_MAX] = '\0';
    assert_int_equal(coord_request_create_jwt(&req, &target, long_email, NULL, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    long_email[COORD_EMAIL_MAX - 1] = '\0';
    assert_int_equal(coord_request_create_jwt(&req, &target, long_email, NULL, &err), COORD_OK);
    coord_request_free(&req);
    assert_null(req.url);
}

/* A URL without a path logs as "/"; no URL at all too; freeing NULL or an
 * empty request is harmless. */
static void path_of_bare_and_missing_urls(void **state)
{
    char bare[] = "https://api.example", path[64];
    coord_request req = new_request();
    (void)state;

    coord_request_path(&req, path, sizeof(path));
    assert_string_equal(path, "/");
    req.url = bare;
    coord_request_path(&req, path, sizeof(path));
    assert_string_equal(path, "/");
    req.url = NULL;
    coord_request_free(&req);
    coord_request_free(NULL);
}

/* Segments of unreserved characters skip curl_easy_escape: the URL must be
 * what the escape would have produced, character for character. */
static void unescaped_segments_match_curl(void **state)
{
    static const char *const ids[] = {
        "LOT-9", "a.b_c~d", "AZaz09-._~", "a b", "a/b", "%41", "caf\xc3\xa9", "~", "x+y", "L!",
    };
    char expected[COORD_URL_MAX];
    coord_request req = new_request();
    (void)state;

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char *esc = curl_easy_escape(NULL, ids[i], 0);

        assert_non_null(esc);
        snprintf(expected, sizeof(expected),
                 "%s/%s/session/5/end?access_key=sandbox-s3cr3t%%2F%%2B%%26%%3D", BASE, esc);
        curl_free(esc);
        assert_int_equal(coord_request_end_session(&req, &user, ids[i], 5, &err), COORD_OK);
        assert_string_equal(req.url, expected);
        coord_request_free(&req);
    }
}

/* The client's prepared Authorization line is used as is: nothing is
 * formatted or allocated per call. */
static void prepared_authorization_is_borrowed(void **state)
{
    static const char line[] = "Authorization: Bearer tok.en";
    coord_target t = {BASE, KEY, "tok.en", line};
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &t, "L", 1, &err),
                     COORD_OK);
    assert_int_equal(req.header_count, 2);
    assert_ptr_equal(req.headers[1], line);
    assert_null(req.owned_header);
    coord_request_free(&req);
}

/* The URL holds the key: it is built in the owner's storage, without an
 * allocation, and freeing the request wipes it there. */
static void free_wipes_the_url(void **state)
{
    coord_request req = new_request();
    size_t i;
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &user, "L", 1, &err),
                     COORD_OK);
    assert_ptr_equal(req.url, url_buf);
    coord_request_free(&req);
    assert_empty(&req);
    for (i = 0; i < sizeof(BASE "/L/session/1/end?access_key=sandbox-s3cr3t%2F%2B%26%3D"); i++)
        assert_int_equal(url_buf[i], 0);
}

/* A request freed and built again, as an exchange's recovery fetch replaces
 * its request, keeps nothing of the one before: a POST with a body and an
 * Authorization line of its own, then a GET with the client's line, then a
 * build that fails. */
static void rebuild_leaves_no_stale_field(void **state)
{
    static const char line[] = "Authorization: Bearer tok.en";
    coord_target prepared = {BASE, KEY, "tok.en", line};
    coord_request req = new_request();
    (void)state;

    assert_int_equal(coord_request_simulate_redemption(&req, &user, "L", 1, 5, &err), COORD_OK);
    assert_int_equal(req.header_count, 3);
    assert_non_null(req.owned_body);
    assert_non_null(req.owned_header);
    coord_request_free(&req);
    assert_empty(&req);

    assert_int_equal(coord_request_get_session(&req, &prepared, "L", 2, &err), COORD_OK);
    assert_ptr_equal(req.url_buf, url_buf);
    assert_string_equal(req.method, "GET");
    assert_ptr_equal(req.url, url_buf);
    assert_string_equal(req.url, BASE "/L/session/2?access_key=sandbox-s3cr3t%2F%2B%26%3D");
    assert_int_equal(req.header_count, 2);
    assert_string_equal(req.headers[0], "Accept: application/json");
    assert_ptr_equal(req.headers[1], line);
    for (size_t i = 2; i < COORD_REQUEST_MAX_HEADERS; i++)
        assert_null(req.headers[i]);
    assert_null(req.body);
    assert_int_equal(req.body_len, 0);
    assert_int_equal(req.idempotent, 1);
    assert_null(req.owned_body);
    assert_null(req.owned_header);
    coord_request_free(&req);

    assert_int_equal(coord_request_end_session(&req, &user, "..", 3, &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_empty(&req);
}

/* ---- every builder under allocation failure ---- */

typedef coord_status (*builder)(coord_request *req);

static coord_status b_end(coord_request *req)
{
    return coord_request_end_session(req, &user, "LOT 9/\xc3\xa4", 42, &err);
}

static coord_status b_get(coord_request *req)
{
    return coord_request_get_session(req, &user, "LOT 9", 42, &err);
}

static coord_status b_create(coord_request *req)
{
    return coord_request_create_session(req, &user, "LOT 9", "stall \"4\"", &err);
}

static coord_status b_list(coord_request *req)
{
    return coord_request_list_sessions(req, &user, "LOT 9", &err);
}

static coord_status b_barcode(coord_request *req)
{
    return coord_request_create_barcode(req, &user, &err);
}

static coord_status b_redeem(coord_request *req)
{
    return coord_request_simulate_redemption(req, &user, "G/1", 7, 95, &err);
}

static coord_status b_jwt(coord_request *req)
{
    return coord_request_create_jwt(req, &target, "kiosk@example.com", "uid 1", &err);
}

/* Fail the k-th allocation for k = 1, 2, ... until the builder succeeds:
 * each failure is COORD_ERR_OUT_OF_MEMORY with a detail, leaves a request
 * that is safe to free, and keeps no block. */
static void builders_survive_allocation_failures(void **state)
{
    static const builder builders[] = {b_end, b_get, b_create, b_list, b_barcode, b_redeem,
                                       b_jwt};
    long failures = 0;
    (void)state;

    assert_int_equal(coord_set_allocator(counting_allocator()), COORD_OK);
    for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++) {
        for (long k = 1;; k++) {
            coord_request req = new_request();
            coord_status st;

            assert_true(k < 100);
            counting_arm(k);
            err.detail[0] = '\0';
            st = builders[i](&req);
            counting_arm(0);
            if (st == COORD_OK) {
                coord_request_free(&req);
                assert_int_equal(counting_live(), 0);
                break;
            }
            assert_int_equal(st, COORD_ERR_OUT_OF_MEMORY);
            assert_true(err.detail[0] != '\0');
            coord_request_free(&req);
            assert_int_equal(counting_live(), 0);
            failures++;
        }
    }
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    assert_true(failures >= 7); /* at least one allocation per builder */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(end_session_request),
        cmocka_unit_test(get_session_request_and_its_loggable_path),
        cmocka_unit_test(path_segments_are_escaped),
        cmocka_unit_test(int64_ids_in_full),
        cmocka_unit_test(bearer_token_header),
        cmocka_unit_test(body_gets_content_type),
        cmocka_unit_test(invalid_location_ids),
        cmocka_unit_test(overlong_url_error_hides_the_key),
        cmocka_unit_test(create_session_request),
        cmocka_unit_test(get_session_request),
        cmocka_unit_test(list_requests),
        cmocka_unit_test(barcode_request),
        cmocka_unit_test(simulate_redemption_request),
        cmocka_unit_test(create_jwt_request_uses_the_users_api_on_the_same_host),
        cmocka_unit_test(create_jwt_validates_its_arguments),
        cmocka_unit_test(path_of_bare_and_missing_urls),
        cmocka_unit_test(unescaped_segments_match_curl),
        cmocka_unit_test(prepared_authorization_is_borrowed),
        cmocka_unit_test(free_wipes_the_url),
        cmocka_unit_test(rebuild_leaves_no_stale_field),
        cmocka_unit_test(builders_survive_allocation_failures),
    };
    return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
