/* Request builder: method, URL and escaping, query, headers; no secrets in errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

#define KEY "sandbox-s3cr3t/+&="
#define BASE "http://127.0.0.1:8080/v1/access/parking"

static const coord_target target = {BASE, KEY, NULL};
static char detail[COORD_MESSAGE_MAX];

static void end_session_request(void **state)
{
    coord_request req;
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &target, "LOT-9", 42, detail,
                                               sizeof(detail)), COORD_OK);
    assert_string_equal(req.method, "PUT");
    assert_string_equal(req.url, BASE "/LOT-9/session/42/end?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    assert_int_equal(req.header_count, 1);
    assert_string_equal(req.headers[0], "Accept: application/json");
    assert_null(req.body);
    assert_int_equal(req.body_len, 0);
    coord_request_free(&req);
    assert_null(req.url);
}

static void path_segments_are_escaped(void **state)
{
    coord_request req;
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &target, "a/../b?x=1", 7, detail,
                                               sizeof(detail)), COORD_OK);
    assert_string_equal(req.url, BASE "/a%2F..%2Fb%3Fx%3D1/session/7/end?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    coord_request_free(&req);

    assert_int_equal(coord_request_end_session(&req, &target, "caf\xc3\xa9 #1 %", -3, detail,
                                               sizeof(detail)), COORD_OK);
    assert_string_equal(req.url, BASE "/caf%C3%A9%20%231%20%25/session/-3/end?access_key="
                                 "sandbox-s3cr3t%2F%2B%26%3D");
    coord_request_free(&req);
}

static void int64_ids_in_full(void **state)
{
    coord_request req;
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &target, "L", INT64_MAX, detail,
                                               sizeof(detail)), COORD_OK);
    assert_non_null(strstr(req.url, "/L/session/9223372036854775807/end?"));
    coord_request_free(&req);
    assert_int_equal(coord_request_end_session(&req, &target, "L", INT64_MIN, detail,
                                               sizeof(detail)), COORD_OK);
    assert_non_null(strstr(req.url, "/L/session/-9223372036854775808/end?"));
    coord_request_free(&req);
}

static void bearer_token_header(void **state)
{
    coord_target t = {BASE, KEY, "eyJhbGciOi.payload.sig"};
    coord_request req;
    (void)state;

    assert_int_equal(coord_request_end_session(&req, &t, "L", 1, detail, sizeof(detail)),
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
    coord_request req;
    (void)state;

    assert_int_equal(coord_request_build(&req, &target, "POST", segs, 2, body,
                                         sizeof(body) - 1, detail, sizeof(detail)), COORD_OK);
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
    static const char *const bad[] = {"", "a\nb", "tab\there", "nul\x7f", "\x1b[31m"};
    char too_long[COORD_ID_MAX + 1];
    coord_request req;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(coord_request_end_session(&req, &target, bad[i], 1, detail,
                                                   sizeof(detail)), COORD_ERR_INVALID_ARGUMENT);
        assert_null(req.url);
        assert_non_null(strstr(detail, "location_id"));
    }
    assert_int_equal(coord_request_end_session(&req, &target, NULL, 1, detail, sizeof(detail)),
                     COORD_ERR_INVALID_ARGUMENT);
    memset(too_long, 'a', sizeof(too_long));
    too_long[COORD_ID_MAX] = '\0';
    assert_int_equal(coord_request_end_session(&req, &target, too_long, 1, detail,
                                               sizeof(detail)), COORD_ERR_INVALID_ARGUMENT);
    too_long[COORD_ID_MAX - 1] = '\0';
    assert_int_equal(coord_request_end_session(&req, &target, too_long, 1, detail,
                                               sizeof(detail)), COORD_OK);
    coord_request_free(&req);
}

static void overlong_url_error_hides_the_key(void **state)
{
    static char key[COORD_URL_MAX];
    coord_target t = {BASE, key, NULL};
    coord_request req;
    (void)state;

    memset(key, 'K', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    assert_int_equal(coord_request_end_session(&req, &t, "L", 1, detail, sizeof(detail)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_null(req.url);
    assert_non_null(strstr(detail, "URL would exceed"));
    assert_null(strstr(detail, "KKKK"));
    assert_null(strstr(detail, "access_key"));
}

static void get_session_request_and_its_loggable_path(void **state)
{
    coord_request req;
    char path[64];
    (void)state;

    assert_int_equal(coord_request_get_session(&req, &target, "a/b?c", -7, detail,
                                               sizeof(detail)), COORD_OK);
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
    assert_int_equal(coord_request_get_session(&req, &target, "", 1, detail, sizeof(detail)),
                     COORD_ERR_INVALID_ARGUMENT);

    /* idempotence follows the method: only POST is not */
    assert_int_equal(coord_request_build(&req, &target, "POST", NULL, 0, "{}", 2, detail,
                                         sizeof(detail)), COORD_OK);
    assert_int_equal(req.idempotent, 0);
    coord_request_free(&req);
    assert_int_equal(coord_request_end_session(&req, &target, "L", 1, detail, sizeof(detail)),
                     COORD_OK);
    assert_int_equal(req.idempotent, 1);
    coord_request_free(&req);
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
    };
    return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
