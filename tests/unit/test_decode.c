/* Decoder: JSON text -> coord_session, and the Coord error body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static char detail[COORD_MESSAGE_MAX];

static coord_status decode(const char *json, coord_session *s)
{
    detail[0] = '\0';
    return coord_decode_session(json, strlen(json), s, detail, sizeof(detail));
}

/* Decoding must fail with BAD_RESPONSE, leave a zeroed struct, and say `why`. */
static void assert_rejected(const char *json, const char *why)
{
    coord_session s;

    memset(&s, 0xab, sizeof(s));
    assert_int_equal(decode(json, &s), COORD_ERR_BAD_RESPONSE);
    assert_non_null(strstr(detail, why));
    assert_int_equal(s.id, 0);
    assert_int_equal(s.has_billing_info, 0);
}

static const char spec_end_answer[] =
    "{\"billing_info\":{\"cost\":{\"amount\":100,\"currency\":\"USD\"}},"
    "\"end_time\":\"2018-04-12T00:17:50.161Z\",\"id\":1,"
    "\"start_time\":\"2018-04-12T00:14:20.292Z\","
    "\"user_id\":\"00000000-0000-0000-0000-000000000000\"}";

static void spec_example_every_field(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode(spec_end_answer, &s), COORD_OK);
    assert_int_equal(s.id, 1);
    assert_string_equal(s.user_id, "00000000-0000-0000-0000-000000000000");
    assert_string_equal(s.location_id, "");
    assert_string_equal(s.resource_id, "");
    assert_int_equal(s.has_start_time, 1);
    assert_string_equal(s.start_time, "2018-04-12T00:14:20.292Z");
    assert_int_equal(s.start_time_ms, INT64_C(1523492060292));
    assert_int_equal(s.has_end_time, 1);
    assert_string_equal(s.end_time, "2018-04-12T00:17:50.161Z");
    assert_int_equal(s.end_time_ms, INT64_C(1523492270161));
    assert_int_equal(s.has_billing_info, 1);
    assert_int_equal(s.billing_info.has_cost, 1);
    assert_int_equal(s.billing_info.cost.amount, 100);
    assert_string_equal(s.billing_info.cost.currency, "USD");
    assert_int_equal(s.has_redemption_info, 0);
}

static void active_session_without_optional_fields(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":7}", &s), COORD_OK);
    assert_int_equal(s.id, 7);
    assert_int_equal(s.has_start_time, 0);
    assert_int_equal(s.has_end_time, 0);
    assert_int_equal(s.has_billing_info, 0);
    assert_int_equal(s.has_redemption_info, 0);
    assert_string_equal(s.user_id, "");
}

static void location_and_resource(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":2,\"location_id\":\"LOT-9\",\"resource_id\":\"stall 4\"}",
                            &s), COORD_OK);
    assert_string_equal(s.location_id, "LOT-9");
    assert_string_equal(s.resource_id, "stall 4");
}

static void null_cost_is_not_zero(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":1,\"billing_info\":{\"cost\":null}}", &s), COORD_OK);
    assert_int_equal(s.has_billing_info, 1);
    assert_int_equal(s.billing_info.has_cost, 0);

    assert_int_equal(decode("{\"id\":1,\"billing_info\":{}}", &s), COORD_OK);
    assert_int_equal(s.has_billing_info, 1);
    assert_int_equal(s.billing_info.has_cost, 0);

    assert_int_equal(decode("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":0,"
                            "\"currency\":\"EUR\"}}}", &s), COORD_OK);
    assert_int_equal(s.billing_info.has_cost, 1);
    assert_int_equal(s.billing_info.cost.amount, 0);
    assert_string_equal(s.billing_info.cost.currency, "EUR");
}

static void redemption_info(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":3,\"user_id\":\"u\",\"redemption_info\":{\"barcode\":"
                            "{\"data\":\"COORD-LOT-3\",\"format\":\"aztec\"}}}", &s),
                     COORD_OK);
    assert_int_equal(s.has_redemption_info, 1);
    assert_string_equal(s.redemption_info.barcode_data, "COORD-LOT-3");
    assert_string_equal(s.redemption_info.barcode_format, "aztec");
    assert_int_equal(s.has_start_time, 0);
}

static void unknown_fields_ignored(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"zone\":{\"deep\":[1,2,{\"x\":null}]},\"id\":5,\"extra\":\"e\","
                            "\"billing_info\":{\"tax\":3,\"cost\":{\"amount\":9,"
                            "\"currency\":\"USD\",\"note\":\"n\"}}}", &s), COORD_OK);
    assert_int_equal(s.id, 5);
    assert_int_equal(s.billing_info.cost.amount, 9);
}

static void null_optional_fields_are_absent(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":5,\"end_time\":null,\"billing_info\":null,"
                            "\"redemption_info\":null,\"resource_id\":null}", &s), COORD_OK);
    assert_int_equal(s.has_end_time, 0);
    assert_int_equal(s.has_billing_info, 0);
    assert_int_equal(s.has_redemption_info, 0);
}

static void wrong_types_name_the_field(void **state)
{
    (void)state;
    assert_rejected("{\"id\":\"1\"}", "field id: not a number");
    assert_rejected("{\"id\":null}", "field id: not a number");
    assert_rejected("{\"id\":true}", "field id: not a number");
    assert_rejected("{\"id\":1,\"location_id\":5}", "field location_id: not a string");
    assert_rejected("{\"id\":1,\"user_id\":[]}", "field user_id: not a string");
    assert_rejected("{\"id\":1,\"resource_id\":{}}", "field resource_id: not a string");
    assert_rejected("{\"id\":1,\"start_time\":1523492060}", "field start_time: not a string");
    assert_rejected("{\"id\":1,\"end_time\":false}", "field end_time: not a string");
    assert_rejected("{\"id\":1,\"billing_info\":[]}", "field billing_info: not an object");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":100}}",
                    "field billing_info.cost: not an object");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":\"100\","
                    "\"currency\":\"USD\"}}}", "field billing_info.cost.amount: not a number");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":100,"
                    "\"currency\":840}}}", "field billing_info.cost.currency: not a string");
    assert_rejected("{\"id\":1,\"redemption_info\":\"x\"}",
                    "field redemption_info: not an object");
    assert_rejected("{\"id\":1,\"redemption_info\":{\"barcode\":[]}}",
                    "field redemption_info.barcode: not an object");
    assert_rejected("{\"id\":1,\"redemption_info\":{\"barcode\":{\"data\":1}}}",
                    "field redemption_info.barcode.data: not a string");
    assert_rejected("{\"id\":1,\"redemption_info\":{\"barcode\":{\"format\":{}}}}",
                    "field redemption_info.barcode.format: not a string");
}

static void required_fields(void **state)
{
    (void)state;
    assert_rejected("{\"user_id\":\"u\"}", "field id: missing");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"currency\":\"USD\"}}}",
                    "field billing_info.cost.amount: missing");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":1}}}",
                    "field billing_info.cost.currency: missing");
}

static void duplicate_known_fields(void **state)
{
    (void)state;
    assert_rejected("{\"id\":1,\"id\":2}", "field id: appears twice");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":1,\"amount\":2,"
                    "\"currency\":\"USD\"}}}", "field billing_info.cost.amount: appears twice");
}

static void int64_edges(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":9007199254740991}", &s), COORD_OK);
    assert_int_equal(s.id, INT64_C(9007199254740991));
    assert_int_equal(decode("{\"id\":-9007199254740991}", &s), COORD_OK);
    assert_int_equal(s.id, -INT64_C(9007199254740991));
    assert_int_equal(decode("{\"id\":-5,\"billing_info\":{\"cost\":{\"amount\":-250,"
                            "\"currency\":\"USD\"}}}", &s), COORD_OK);
    assert_int_equal(s.id, -5);
    assert_int_equal(s.billing_info.cost.amount, -250); /* a refund */
    assert_int_equal(decode("{\"id\":0}", &s), COORD_OK);
    assert_int_equal(decode("{\"id\":1e3}", &s), COORD_OK);
    assert_int_equal(s.id, 1000);

    /* 2^53 and 2^53+1 read as the same double: neither is exact */
    assert_rejected("{\"id\":9007199254740992}", "outside +/-(2^53 - 1)");
    assert_rejected("{\"id\":9007199254740993}", "outside +/-(2^53 - 1)");
    assert_rejected("{\"id\":-9007199254740992}", "outside +/-(2^53 - 1)");
    assert_rejected("{\"id\":9223372036854775808}", "outside +/-(2^53 - 1)");
    assert_rejected("{\"id\":1e400}", "outside +/-(2^53 - 1)");
    assert_rejected("{\"id\":1.5}", "field id: not a whole number");
    assert_rejected("{\"id\":-0.25}", "field id: not a whole number");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":12.34,"
                    "\"currency\":\"USD\"}}}", "field billing_info.cost.amount: not a whole");
}

static void invalid_timestamps(void **state)
{
    static const char *const bad[] = {
        "2018-04-12", "2018-04-12T00:14:20", "2018-04-12T00:14:20.Z",
        "2018-04-12 00:14:20Z", "2018-13-12T00:14:20Z", "2018-02-30T00:14:20Z",
        "2018-04-12T24:00:00Z", "2018-04-12T00:60:00Z", "2018-04-12T00:14:20+25:00",
        "2018-04-12T00:14:20+0100", "2018-04-12T00:14:20.1234567890Z", "18-04-12T00:14:20Z",
        "2018-04-12T00:14:20Zjunk", "yesterday", "", "2018-04-12T00:14:61Z",
    };
    char json[128];
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), "{\"id\":1,\"start_time\":\"%s\"}", bad[i]);
        assert_rejected(json, "field start_time: not an RFC 3339 date-time");
    }
}

static void valid_timestamp_forms(void **state)
{
    int64_t ms;
    (void)state;

    assert_int_equal(coord_rfc3339_parse("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(coord_rfc3339_parse("1970-01-01T01:00:00.5+01:00", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(coord_rfc3339_parse("1969-12-31T23:59:59.999z", &ms), 0);
    assert_int_equal(ms, -1);
    assert_int_equal(coord_rfc3339_parse("2018-04-11t19:14:20.292123-05:00", &ms), 0);
    assert_int_equal(ms, INT64_C(1523492060292));
    assert_int_equal(coord_rfc3339_parse("2016-12-31T23:59:60Z", &ms), 0);
    assert_int_equal(ms, INT64_C(1483228800000));
    assert_int_equal(coord_rfc3339_parse("2020-02-29T00:00:00Z", &ms), 0);
    assert_int_equal(coord_rfc3339_parse("2019-02-29T00:00:00Z", &ms), -1);
}

static void bad_bodies(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(coord_decode_session("", 0, &s, detail, sizeof(detail)),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(detail, "empty body");
    assert_rejected("[{\"id\":1}]", "not a JSON object");
    assert_rejected("42", "not a JSON object");
    assert_rejected("null", "not a JSON object");
    assert_rejected("\"id\"", "not a JSON object");
    assert_rejected("{\"id\":1,\"user_id\":\"00000000", "invalid JSON");
    assert_rejected("{\"id\":1", "invalid JSON");
    assert_rejected("{\"id\":1}{", "bytes after the JSON value");
    assert_rejected("<html><body>502 Bad Gateway</body></html>", "invalid JSON");
    /* length is honoured: the text need not be NUL-terminated */
    assert_int_equal(coord_decode_session("{\"id\":4}garbage", 8, &s, detail, sizeof(detail)),
                     COORD_OK);
    assert_int_equal(s.id, 4);
    assert_int_equal(coord_decode_session("{\"id\":4} \r\n\t", 12, &s, detail, sizeof(detail)),
                     COORD_OK);
}

static void overlong_strings_are_errors(void **state)
{
    char json[COORD_BARCODE_DATA_MAX + 128];
    char big[COORD_BARCODE_DATA_MAX + 1];
    coord_session s;
    (void)state;

    memset(big, 'x', sizeof(big));
    big[COORD_ID_MAX] = '\0'; /* one byte too many for COORD_ID_MAX */
    snprintf(json, sizeof(json), "{\"id\":1,\"user_id\":\"%s\"}", big);
    assert_rejected(json, "field user_id: longer than 127 bytes");
    big[COORD_ID_MAX - 1] = '\0'; /* exactly the most it holds */
    snprintf(json, sizeof(json), "{\"id\":1,\"user_id\":\"%s\"}", big);
    assert_int_equal(decode(json, &s), COORD_OK);
    assert_int_equal(strlen(s.user_id), COORD_ID_MAX - 1);

    memset(big, 'y', sizeof(big));
    big[COORD_BARCODE_DATA_MAX] = '\0';
    snprintf(json, sizeof(json), "{\"id\":1,\"redemption_info\":{\"barcode\":{\"data\":\"%s\"}}}",
             big);
    assert_rejected(json, "field redemption_info.barcode.data: longer than 2047 bytes");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":1,\"currency\":\"USDX\"}}}",
                    "field billing_info.cost.currency: longer than 3 bytes");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":1,\"currency\":\"us\"}}}",
                    "field billing_info.cost.currency: not an ISO 4217 code");
}

static void deep_nesting_is_bounded(void **state)
{
    enum { DEPTH = 5000 };
    static char json[2 * DEPTH + 32];
    coord_session s;
    size_t n = 0;
    (void)state;

    n += (size_t)snprintf(json, sizeof(json), "{\"id\":1,\"x\":");
    for (int i = 0; i < DEPTH; i++)
        json[n++] = '[';
    for (int i = 0; i < DEPTH; i++)
        json[n++] = ']';
    json[n++] = '}';
    json[n] = '\0';
    assert_int_equal(coord_decode_session(json, n, &s, detail, sizeof(detail)),
                     COORD_ERR_BAD_RESPONSE);
}

static void error_body(void **state)
{
    char msg[16];
    int32_t code = 0;
    (void)state;

    const char *body = "{\"code\":4001,\"message\":\"session checkout is controlled\"}";
    assert_int_equal(coord_decode_error_body(body, strlen(body), &code, msg, sizeof(msg)),
                     COORD_OK);
    assert_int_equal(code, 4001);
    assert_string_equal(msg, "session checkou"); /* truncated to its storage */

    body = "{\"code\":403}";
    assert_int_equal(coord_decode_error_body(body, strlen(body), &code, msg, sizeof(msg)),
                     COORD_OK);
    assert_int_equal(code, 403);
    assert_string_equal(msg, "");

    static const char *const not_error[] = {
        "{\"message\":\"no code\"}", "{\"code\":\"403\"}", "{\"code\":1.5}",
        "{\"code\":4294967296}", "{\"code\":1,\"message\":7}", "<html>", "", "[1]",
    };
    for (size_t i = 0; i < sizeof(not_error) / sizeof(not_error[0]); i++)
        assert_int_equal(coord_decode_error_body(not_error[i], strlen(not_error[i]), &code,
                                                 msg, sizeof(msg)),
                         COORD_ERR_BAD_RESPONSE);
}

static void invalid_utf8_names_the_field(void **state)
{
    (void)state;
    assert_rejected("{\"id\":1,\"user_id\":\"caf\xe9\"}", "field user_id: invalid UTF-8");
    assert_rejected("{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":1,"
                    "\"currency\":\"US\xc3\"}}}", "field billing_info.cost.currency: invalid UTF-8");
    assert_rejected("{\"id\":1,\"resource_id\":\"\xed\xa0\x80\"}",
                    "field resource_id: invalid UTF-8");
    /* well-formed multi-byte text, raw or escaped, is kept */
    coord_session s;
    const char *ok = "{\"id\":1,\"user_id\":\"caf\xc3\xa9 \\u20ac\"}";
    assert_int_equal(decode(ok, &s), COORD_OK);
    assert_string_equal(s.user_id, "caf\xc3\xa9 \xe2\x82\xac");

    /* an error body's message is cleaned, not refused */
    char msg[32];
    int32_t code = 0;
    const char *body = "{\"code\":500,\"message\":\"bad\xe9\\n\\u001b[0m\"}";
    assert_int_equal(coord_decode_error_body(body, strlen(body), &code, msg, sizeof(msg)),
                     COORD_OK);
    assert_string_equal(msg, "bad???[0m");
}

static void public_decode_checks_arguments(void **state)
{
    coord_session s;
    char d[64];
    (void)state;

    assert_int_equal(coord_session_decode(NULL, 3, &s, d, sizeof(d)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_decode("{}", 2, NULL, NULL, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_decode(spec_end_answer, strlen(spec_end_answer), &s, NULL, 0),
                     COORD_OK);
    assert_int_equal(s.billing_info.cost.amount, 100);
    assert_int_equal(coord_session_decode("{}", 2, &s, d, sizeof(d)), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(d, "field id: missing");
}

/* An allocator that refuses the k-th allocation (k counted from 1). */
static long alloc_calls, alloc_fail_at, alloc_live;

static void *k_malloc(size_t size, void *user_data)
{
    void *p;
    (void)user_data;
    if (++alloc_calls == alloc_fail_at)
        return NULL;
    p = malloc(size);
    alloc_live += p != NULL;
    return p;
}

static void *k_realloc(void *ptr, size_t size, void *user_data)
{
    (void)user_data;
    return realloc(ptr, size);
}

static void k_free(void *ptr, void *user_data)
{
    (void)user_data;
    alloc_live--;
    free(ptr);
}

/* cJSON reports a failed allocation as a parse error: the decoder must not
 * pass it off as a malformed answer (it did, before the allocator hooks). */
static void allocation_failure_is_out_of_memory(void **state)
{
    static const coord_allocator a = {k_malloc, k_realloc, k_free, NULL, NULL,
                                      {NULL, NULL, NULL, NULL}};
    coord_session s;
    int32_t code;
    char message[64];
    long k, needed;
    (void)state;

    assert_int_equal(coord_set_allocator(&a), COORD_OK);
    alloc_calls = alloc_fail_at = 0;
    assert_int_equal(decode(spec_end_answer, &s), COORD_OK);
    needed = alloc_calls;
    assert_true(needed > 5); /* one cJSON item per member, at least */
    for (k = 1; k <= needed; k++) {
        alloc_calls = 0;
        alloc_fail_at = k;
        memset(&s, 0xab, sizeof(s));
        assert_int_equal(decode(spec_end_answer, &s), COORD_ERR_OUT_OF_MEMORY);
        assert_string_equal(detail, "out of memory parsing JSON");
        assert_int_equal(s.id, 0);
        assert_int_equal(alloc_live, 0);
    }
    alloc_calls = 0;
    alloc_fail_at = 1;
    assert_int_equal(coord_decode_error_body("{\"code\":1,\"message\":\"m\"}", 24, &code,
                                             message, sizeof(message)),
                     COORD_ERR_OUT_OF_MEMORY);
    alloc_fail_at = 0;
    /* a real syntax error stays BAD_RESPONSE with the allocator installed */
    assert_rejected("{\"id\": 1,", "invalid JSON");
    assert_int_equal(alloc_live, 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
}

/* ABI: a field added later reads 0 when this library filled the struct. */
static void reserved_bytes_are_zero(void **state)
{
    coord_session s;
    (void)state;

    memset(&s, 0xab, sizeof(s));
    assert_int_equal(decode(spec_end_answer, &s), COORD_OK);
    for (size_t i = 0; i < sizeof(s.reserved); i++)
        assert_int_equal(s.reserved[i], 0);
    assert_int_equal(offsetof(coord_session, reserved) + sizeof(s.reserved), sizeof(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_example_every_field),
        cmocka_unit_test(active_session_without_optional_fields),
        cmocka_unit_test(location_and_resource),
        cmocka_unit_test(null_cost_is_not_zero),
        cmocka_unit_test(redemption_info),
        cmocka_unit_test(unknown_fields_ignored),
        cmocka_unit_test(null_optional_fields_are_absent),
        cmocka_unit_test(wrong_types_name_the_field),
        cmocka_unit_test(required_fields),
        cmocka_unit_test(duplicate_known_fields),
        cmocka_unit_test(int64_edges),
        cmocka_unit_test(invalid_timestamps),
        cmocka_unit_test(valid_timestamp_forms),
        cmocka_unit_test(bad_bodies),
        cmocka_unit_test(overlong_strings_are_errors),
        cmocka_unit_test(deep_nesting_is_bounded),
        cmocka_unit_test(error_body),
        cmocka_unit_test(invalid_utf8_names_the_field),
        cmocka_unit_test(public_decode_checks_arguments),
        cmocka_unit_test(allocation_failure_is_out_of_memory),
        cmocka_unit_test(reserved_bytes_are_zero),
    };
    return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
