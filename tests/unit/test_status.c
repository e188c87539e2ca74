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
        cmocka_unit_test(version),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
