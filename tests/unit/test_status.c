/* Status texts, names, and the HTTP status mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void every_status_has_name_and_text(void **state)
{
    (void)state;
    for (int s = COORD_OK; s <= COORD_ERR_SESSION_ACTIVE; s++) {
        const char *name = coord_status_name((coord_status)s);
        assert_non_null(name);
        assert_int_equal(strncmp(name, "COORD_", 6), 0);
        assert_true(strlen(coord_strerror((coord_status)s)) > 3);
    }
    assert_string_equal(coord_status_name(COORD_ERR_PHYSICAL_CHECKOUT),
                        "COORD_ERR_PHYSICAL_CHECKOUT");
    assert_string_equal(coord_status_name(COORD_OK), "COORD_OK");
    assert_string_equal(coord_status_name(COORD_ERR_SESSION_ACTIVE), "COORD_ERR_SESSION_ACTIVE");
    assert_int_equal(COORD_ERR_SESSION_ACTIVE, 15); /* appended: values are ABI */
    assert_string_equal(coord_strerror(COORD_ERR_NOT_FOUND), "not found");
    assert_string_equal(coord_strerror((coord_status)999), "unknown status");
    assert_string_equal(coord_status_name((coord_status)-1), "COORD_ERR_UNKNOWN");
}

static void http_mapping(void **state)
{
    (void)state;
    assert_int_equal(coord_status_from_http(200), COORD_OK);
    assert_int_equal(coord_status_from_http(204), COORD_OK);
    assert_int_equal(coord_status_from_http(400), COORD_ERR_REFUSED);
    assert_int_equal(coord_status_from_http(401), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_status_from_http(403), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_status_from_http(404), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_status_from_http(408), COORD_ERR_TIMEOUT);
    assert_int_equal(coord_status_from_http(409), COORD_ERR_REFUSED);
    assert_int_equal(coord_status_from_http(422), COORD_ERR_REFUSED);
    assert_int_equal(coord_status_from_http(429), COORD_ERR_RATE_LIMITED);
    assert_int_equal(coord_status_from_http(500), COORD_ERR_SERVER);
    assert_int_equal(coord_status_from_http(503), COORD_ERR_SERVER);
    assert_int_equal(coord_status_from_http(599), COORD_ERR_SERVER);
    assert_int_equal(coord_status_from_http(301), COORD_ERR_BAD_RESPONSE);
    assert_int_equal(coord_status_from_http(101), COORD_ERR_BAD_RESPONSE);
    assert_int_equal(coord_status_from_http(0), COORD_ERR_BAD_RESPONSE);
    assert_int_equal(coord_status_from_http(600), COORD_ERR_BAD_RESPONSE);
}

/* Every status has its own name and text: the table's rows are in place
 * (a designated initializer left out would leave a NULL or a duplicate). */
static void names_and_texts_are_distinct(void **state)
{
    (void)state;
    for (unsigned a = 0; a < COORD_STATUS_COUNT; a++) {
        for (unsigned b = a + 1; b < COORD_STATUS_COUNT; b++) {
            assert_string_not_equal(coord_status_name((coord_status)a),
                                    coord_status_name((coord_status)b));
            assert_string_not_equal(coord_strerror((coord_status)a),
                                    coord_strerror((coord_status)b));
        }
    }
    assert_string_equal(coord_status_name(COORD_ERR_RESPONSE_TOO_LARGE),
                        "COORD_ERR_RESPONSE_TOO_LARGE");
    assert_string_equal(coord_strerror(COORD_ERR_TLS), "TLS or certificate failure");
    assert_string_equal(coord_status_name((coord_status)COORD_STATUS_COUNT), "COORD_ERR_UNKNOWN");
}

/* coord_error_fail sets the status and a bounded detail, nothing else. */
static void error_fail_writes_status_and_detail(void **state)
{
    coord_error e;
    char long_text[2 * COORD_MESSAGE_MAX];
    (void)state;

    memset(&e, 0, sizeof(e));
    e.http_status = 503;
    e.attempts = 3;
    e.api_code = 9;
    assert_int_equal(coord_error_fail(&e, COORD_ERR_SERVER, "HTTP %d: %s", 503, "busy"),
                     COORD_ERR_SERVER);
    assert_int_equal(e.status, COORD_ERR_SERVER);
    assert_string_equal(e.detail, "HTTP 503: busy");
    assert_int_equal(e.http_status, 503);
    assert_int_equal(e.attempts, 3);
    assert_int_equal(e.api_code, 9);

    memset(long_text, 'z', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(coord_error_fail(&e, COORD_ERR_BAD_RESPONSE, "%s", long_text),
                     COORD_ERR_BAD_RESPONSE);
    assert_int_equal(strlen(e.detail), sizeof(e.detail) - 1); /* cut, terminated */
    assert_int_equal(e.api_code, 9);
}

static void version(void **state)
{
    (void)state;
    assert_string_equal(coord_version(), COORD_VERSION_STRING);
    assert_int_equal(COORD_VERSION_NUM, (COORD_VERSION_MAJOR << 16) |
                                            (COORD_VERSION_MINOR << 8) | COORD_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_status_has_name_and_text),
        cmocka_unit_test(http_mapping),
        cmocka_unit_test(names_and_texts_are_distinct),
        cmocka_unit_test(error_fail_writes_status_and_detail),
        cmocka_unit_test(version),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
