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

#include "../support/counting_alloc.h"

static coord_error err;
/* What a new client allows (tests of the limits use their own). */
static const coord_decode_limits limits = {.max_response_size = COORD_DEFAULT_MAX_RESPONSE_SIZE,
                                           .max_sessions = COORD_DEFAULT_MAX_SESSIONS};

static coord_status decode(const char *json, coord_session *s)
{
    err.detail[0] = '\0';
    return coord_decode_session(json, strlen(json), &limits, s, &err);
}

/* Decoding must fail with BAD_RESPONSE, leave a zeroed struct, and say `why`. */
static void assert_rejected(const char *json, const char *why)
{
    coord_session s;

    memset(&s, 0xab, sizeof(s));
    assert_int_equal(decode(json, &s), COORD_ERR_BAD_RESPONSE);
    assert_non_null(strstr(err.detail, why));
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

    assert_int_equal(coord_decode_session("", 0, &limits, &s, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "empty body");
    assert_rejected("[{\"id\":1}]", "not a JSON object");
    assert_rejected("42", "not a JSON object");
    assert_rejected("null", "not a JSON object");
    assert_rejected("\"id\"", "not a JSON object");
    assert_rejected("{\"id\":1,\"user_id\":\"00000000", "invalid JSON");
    assert_rejected("{\"id\":1", "invalid JSON");
    assert_rejected("{\"id\":1}{", "bytes after the JSON value");
    assert_rejected("<html><body>502 Bad Gateway</body></html>", "invalid JSON");
    /* length is honoured: the text need not be NUL-terminated */
    assert_int_equal(coord_decode_session("{\"id\":4}garbage", 8, &limits, &s, &err),
                     COORD_OK);
    assert_int_equal(s.id, 4);
    assert_int_equal(coord_decode_session("{\"id\":4} \r\n\t", 12, &limits, &s, &err),
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
    assert_int_equal(coord_decode_session(json, n, &limits, &s, &err),
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

/* Install the k-th-failing allocator with its counts at zero (nothing fails). */
static void install_counting(void)
{
    assert_int_equal(coord_set_allocator(counting_allocator()), COORD_OK);
    counting_arm(0);
    counting_peak_reset();
}

/* cJSON reports a failed allocation as a parse error: the decoder must not
 * pass it off as a malformed answer (it did, before the allocator hooks). */
static void allocation_failure_is_out_of_memory(void **state)
{
    coord_session s;
    int32_t code;
    char message[64];
    long k, needed;
    (void)state;

    install_counting();
    assert_int_equal(decode(spec_end_answer, &s), COORD_OK);
    needed = counting_calls();
    assert_true(needed > 5); /* one cJSON item per member, at least */
    for (k = 1; k <= needed; k++) {
        counting_arm(k);
        memset(&s, 0xab, sizeof(s));
        assert_int_equal(decode(spec_end_answer, &s), COORD_ERR_OUT_OF_MEMORY);
        assert_string_equal(err.detail, "out of memory parsing JSON");
        assert_int_equal(s.id, 0);
        assert_int_equal(counting_live(), 0);
    }
    counting_arm(1);
    assert_int_equal(coord_decode_error_body("{\"code\":1,\"message\":\"m\"}", 24, &code,
                                             message, sizeof(message)),
                     COORD_ERR_OUT_OF_MEMORY);
    counting_arm(0);
    /* a real syntax error stays BAD_RESPONSE with the allocator installed */
    assert_rejected("{\"id\": 1,", "invalid JSON");
    assert_int_equal(counting_live(), 0);
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

/* ---- session lists, barcodes, tokens, request bodies ---- */

static coord_status decode_list(const char *json, coord_session_list *list)
{
    err.detail[0] = '\0';
    return coord_decode_session_list(json, strlen(json), &limits, list, &err);
}

static void list_of_zero_one_and_many(void **state)
{
    coord_session_list list;
    char json[4096];
    size_t n = 0;
    (void)state;

    assert_int_equal(decode_list("[]", &list), COORD_OK);
    assert_int_equal(list.count, 0);
    assert_null(list.sessions);
    coord_session_list_free(&list);

    assert_int_equal(decode_list(" [ {\"id\":9,\"location_id\":\"L\"} ]\n", &list), COORD_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.sessions[0].id, 9);
    assert_string_equal(list.sessions[0].location_id, "L");
    coord_session_list_free(&list);
    assert_null(list.sessions);
    assert_int_equal(list.count, 0);
    coord_session_list_free(&list); /* twice is safe */

    /* the spec's list answer, then 40 more: order is preserved */
    n += (size_t)snprintf(json + n, sizeof(json) - n,
                          "[{\"id\":1,\"start_time\":\"2018-04-12T00:14:20.292Z\","
                          "\"end_time\":\"2018-04-12T04:10:13.456Z\","
                          "\"user_id\":\"00000000-0000-0000-0000-000000000000\"},"
                          "{\"id\":2,\"start_time\":\"2018-04-12T00:14:20.292Z\","
                          "\"user_id\":\"00000000-0000-0000-0000-000000000000\"}");
    for (int i = 3; i <= 42; i++)
        n += (size_t)snprintf(json + n, sizeof(json) - n, ",{\"id\":%d}", i);
    snprintf(json + n, sizeof(json) - n, "]");
    assert_int_equal(decode_list(json, &list), COORD_OK);
    assert_int_equal(list.count, 42);
    for (uint32_t i = 0; i < list.count; i++)
        assert_int_equal(list.sessions[i].id, (int64_t)i + 1);
    assert_int_equal(list.sessions[0].has_end_time, 1);
    assert_int_equal(list.sessions[0].end_time_ms, INT64_C(1523506213456));
    assert_int_equal(list.sessions[1].has_end_time, 0);
    assert_int_equal(list.sessions[1].start_time_ms, INT64_C(1523492060292));
    coord_session_list_free(&list);
}

/* A malformed entry anywhere fails the whole list, names its index, and
 * leaves a zeroed list (nothing to free). */
static void assert_list_rejected(const char *json, coord_status want, const char *why)
{
    coord_session_list list;

    memset(&list, 0xab, sizeof(list)); /* garbage in: zeroed out */

    assert_int_equal(decode_list(json, &list), want);
    assert_non_null(strstr(err.detail, why));
    assert_null(list.sessions);
    assert_int_equal(list.count, 0);
    for (size_t i = 0; i < sizeof(list.reserved); i++)
        assert_int_equal(list.reserved[i], 0);
}

static void list_names_the_malformed_entry(void **state)
{
    (void)state;
    assert_list_rejected("[{\"id\":1},{\"id\":2},{\"id\":3},{\"id\":\"4\"},{\"id\":5}]",
                         COORD_ERR_BAD_RESPONSE, "field [3].id: not a number");
    assert_list_rejected("[{\"id\":1},{\"user_id\":\"u\"},{\"id\":3}]",
                         COORD_ERR_BAD_RESPONSE, "field [1].id: missing");
    assert_list_rejected("[{\"id\":1},{\"id\":2,\"billing_info\":{\"cost\":"
                         "{\"amount\":1.5,\"currency\":\"USD\"}}},{\"id\":3}]",
                         COORD_ERR_BAD_RESPONSE,
                         "field [1].billing_info.cost.amount: not a whole number");
    assert_list_rejected("[{\"id\":1},{\"id\":2,\"end_time\":\"yesterday\"}]",
                         COORD_ERR_BAD_RESPONSE, "field [1].end_time: not an RFC 3339");
    assert_list_rejected("[{\"id\":1},[],{\"id\":3}]", COORD_ERR_BAD_RESPONSE,
                         "[1]: session is not a JSON object");
    assert_list_rejected("[{\"id\":1},null]", COORD_ERR_BAD_RESPONSE,
                         "[1]: session is not a JSON object");
    assert_list_rejected("{\"id\":1}", COORD_ERR_BAD_RESPONSE, "not a JSON array");
    assert_list_rejected("[{\"id\":1},", COORD_ERR_BAD_RESPONSE, "invalid JSON");
    assert_list_rejected("[] []", COORD_ERR_BAD_RESPONSE, "bytes after the JSON value");
    assert_list_rejected("", COORD_ERR_BAD_RESPONSE, "empty body");
}

static void list_length_is_bounded(void **state)
{
    /* the most a client can be set to: 10,000 sessions, and room for them */
    static const coord_decode_limits widest = {.max_response_size = COORD_MAX_RESPONSE_SIZE,
                                               .max_sessions = COORD_SESSION_LIST_MAX};
    size_t n = COORD_SESSION_LIST_MAX + 1, size = n * 9 + 3, at = 0;
    char *json = malloc(size);
    coord_session_list list;
    (void)state;

    assert_non_null(json);
    json[at++] = '[';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(json + at, size - at, "%s{\"id\":1}", i ? "," : "");
    json[at++] = ']';
    assert_int_equal(coord_decode_session_list(json, at, &widest, &list, &err),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_non_null(strstr(err.detail, "more than 10000"));
    assert_null(list.sessions);
    /* exactly the maximum is fine */
    json[at - 10] = ']';
    assert_int_equal(coord_decode_session_list(json, at - 9, &widest, &list, &err),
                     COORD_OK);
    assert_int_equal(list.count, COORD_SESSION_LIST_MAX);
    coord_session_list_free(&list);
    free(json);
}

static void find_active(void **state)
{
    coord_session_list list;
    const coord_session *s = (const coord_session *)&list;
    (void)state;

    assert_int_equal(decode_list("[{\"id\":1,\"location_id\":\"A\",\"end_time\":"
                                 "\"2018-04-12T04:10:13.456Z\"},{\"id\":2,\"location_id\":\"A\"},"
                                 "{\"id\":3,\"location_id\":\"B\"}]", &list), COORD_OK);
    assert_int_equal(coord_session_list_find_active(&list, NULL, &s), COORD_OK);
    assert_int_equal(s->id, 2);
    assert_int_equal(coord_session_list_find_active(&list, "B", &s), COORD_OK);
    assert_int_equal(s->id, 3);
    assert_ptr_equal(s, &list.sessions[2]);
    assert_int_equal(coord_session_list_find_active(&list, "C", &s), COORD_ERR_NOT_FOUND);
    assert_null(s);
    assert_int_equal(coord_session_list_find_active(NULL, NULL, &s),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_find_active(&list, NULL, NULL),
                     COORD_ERR_INVALID_ARGUMENT);
    coord_session_list_free(&list);
    /* an empty list has no active session */
    assert_int_equal(coord_session_list_find_active(&list, NULL, &s), COORD_ERR_NOT_FOUND);
    coord_session_list_free(NULL);
}

static void public_list_decode(void **state)
{
    coord_session_list list;
    char d[64];
    (void)state;

    assert_int_equal(coord_session_list_decode("[{\"id\":4}]", 10, &list, d, sizeof(d)),
                     COORD_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(d, "");
    coord_session_list_free(&list);
    assert_int_equal(coord_session_list_decode(NULL, 2, &list, d, sizeof(d)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_decode("[]", 2, NULL, NULL, 0),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_decode("[{}]", 4, &list, d, sizeof(d)),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(d, "field [0].id: missing");
}

static void barcode_answer(void **state)
{
    coord_redemption_info b;
    const char *ok = "{\"data\":\"COORD-USER-1\",\"format\":\"aztec\",\"new\":1}";
    (void)state;

    assert_int_equal(coord_decode_barcode(ok, strlen(ok), &limits, &b, &err),
                     COORD_OK);
    assert_string_equal(b.barcode_data, "COORD-USER-1");
    assert_string_equal(b.barcode_format, "aztec");
    assert_int_equal(coord_decode_barcode("{\"data\":\"x\"}", 12, &limits, &b, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "field format: missing");
    assert_string_equal(b.barcode_data, ""); /* zeroed on failure */
    const char *wrong = "{\"data\":1,\"format\":\"aztec\"}";
    assert_int_equal(coord_decode_barcode(wrong, strlen(wrong), &limits, &b, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "field data: not a string");
    assert_int_equal(coord_decode_barcode("[]", 2, &limits, &b, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "barcode answer is not a JSON object");
}

static void jwt_answer(void **state)
{
    static const char ok[] = "{\"jwt_token\":\"eyJh.eyJz.c2ln\"}";
    char token[16], small[8];
    (void)state;

    assert_int_equal(coord_decode_jwt(ok, sizeof(ok) - 1, &limits, token, sizeof(token), &err),
                     COORD_OK);
    assert_string_equal(token, "eyJh.eyJz.c2ln");
    /* too small for the caller's buffer: wiped, and the detail never quotes it */
    memset(small, 'x', sizeof(small));
    assert_int_equal(coord_decode_jwt(ok, sizeof(ok) - 1, &limits, small, sizeof(small), &err),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.detail, "needs 15 bytes"));
    assert_null(strstr(err.detail, "eyJ"));
    for (size_t i = 0; i < sizeof(small); i++)
        assert_int_equal(small[i], 0);

    static const struct {
        const char *json;
        const char *why;
    } bad[] = {
        {"{}", "field jwt_token: missing"},
        {"{\"jwt_token\":null}", "field jwt_token: not a string"},
        {"{\"jwt_token\":42}", "field jwt_token: not a string"},
        {"{\"jwt_token\":\"\"}", "field jwt_token: empty, too long or with control characters"},
        {"{\"jwt_token\":\"a\\nb\"}", "control characters"},
        {"[\"eyJh\"]", "create_jwt answer is not a JSON object"},
        {"{\"jwt_token\":\"eyJh\"", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(coord_decode_jwt(bad[i].json, strlen(bad[i].json), &limits, token,
                                          sizeof(token), &err),
                         COORD_ERR_BAD_RESPONSE);
        assert_non_null(strstr(err.detail, bad[i].why));
        assert_string_equal(token, "");
    }
}

static void jwt_longer_than_any_bearer_token(void **state)
{
    size_t n = COORD_TOKEN_MAX + 32;
    char *json = malloc(n), *token = malloc(COORD_TOKEN_MAX + 16);
    (void)state;

    assert_non_null(json);
    assert_non_null(token);
    memcpy(json, "{\"jwt_token\":\"", 14);
    memset(json + 14, 'a', COORD_TOKEN_MAX);
    memcpy(json + 14 + COORD_TOKEN_MAX, "\"}", 2);
    assert_int_equal(coord_decode_jwt(json, 14 + COORD_TOKEN_MAX + 2, &limits, token,
                                      COORD_TOKEN_MAX + 16, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_non_null(strstr(err.detail, "too long"));
    free(json);
    free(token);
}

static void encode_strings(void **state)
{
    static const char *const names[] = {"email", "external_uid", "resource_id"};
    const char *values[] = {"a\"b\\c@d\xc3\xa9", NULL, "r/1"};
    char *text;
    (void)state;

    text = coord_encode_strings(names, values, 3);
    assert_non_null(text);
    assert_string_equal(text, "{\"email\":\"a\\\"b\\\\c@d\xc3\xa9\",\"resource_id\":\"r/1\"}");
    coord_free(text);
    text = coord_encode_strings(names, values + 1, 1); /* every value NULL */
    assert_non_null(text);
    assert_string_equal(text, "{}");
    coord_free(text);
}

/* A struct reused for another answer keeps nothing of the previous one. */
static void reused_struct_is_cleared(void **state)
{
    coord_session s;
    (void)state;

    assert_int_equal(decode("{\"id\":3,\"user_id\":\"u\",\"resource_id\":\"r\",\"redemption_info\":"
                            "{\"barcode\":{\"data\":\"COORD-LOT-3\",\"format\":\"aztec\"}}}", &s),
                     COORD_OK);
    assert_int_equal(decode("{\"id\":4}", &s), COORD_OK);
    assert_int_equal(s.id, 4);
    assert_string_equal(s.user_id, "");
    assert_string_equal(s.resource_id, "");
    assert_int_equal(s.has_redemption_info, 0);
    assert_string_equal(s.redemption_info.barcode_data, "");
    assert_string_equal(s.redemption_info.barcode_format, "");
    assert_int_equal(s.has_start_time, 0);
    assert_int_equal(s.start_time_ms, 0);
}

/* ---- secrets in freed memory ---- */

/* An allocator that remembers sizes and, on free, looks for `sought` in the
 * block: a decoder that frees a token unwiped is caught (found in review). */
#define SCAN_HEADER 16 /* keeps blocks aligned as malloc's are */
static const char *sought;
static int found_in_freed;

static void *scan_malloc(size_t size, void *user)
{
    size_t *p = malloc(size + SCAN_HEADER);
    (void)user;
    if (p == NULL)
        return NULL;
    *p = size;
    return (char *)p + SCAN_HEADER;
}

static void scan_free(void *ptr, void *user)
{
    char *block = (char *)ptr - SCAN_HEADER;
    size_t size = *(size_t *)block, n = strlen(sought);
    (void)user;

    for (size_t i = 0; i + n <= size; i++)
        if (memcmp((char *)ptr + i, sought, n) == 0)
            found_in_freed = 1;
    free(block);
}

static void *scan_realloc(void *ptr, size_t size, void *user)
{
    size_t old = *(size_t *)((char *)ptr - SCAN_HEADER);
    void *grown = scan_malloc(size, user);

    if (grown != NULL) {
        memcpy(grown, ptr, old < size ? old : size);
        scan_free(ptr, user);
    }
    return grown;
}

static void refused_token_answers_are_wiped(void **state)
{
    static const coord_allocator scanning = {scan_malloc, scan_realloc, scan_free, NULL, NULL,
                                             {NULL, NULL, NULL, NULL}};
    static const char trailing[] = "{\"jwt_token\":\"eyJsecret.payload.sig\"} x";
    char token[64];
    (void)state;

    sought = "eyJsecret.payload.sig";
    found_in_freed = 0;
    assert_int_equal(coord_set_allocator(&scanning), COORD_OK);
    assert_int_equal(coord_decode_jwt(trailing, sizeof(trailing) - 1, &limits, token, sizeof(token),
                                      &err), COORD_ERR_BAD_RESPONSE);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    assert_string_equal(err.detail, "bytes after the JSON value");
    assert_int_equal(found_in_freed, 0);
}

/* ---- the error record, paths, duplicates ---- */

/* A decoder writes status and detail, and no other field of the record
 * (the call engine keeps the HTTP status and attempts there). */
static void errors_touch_only_status_and_detail(void **state)
{
    coord_error e;
    coord_session s;
    (void)state;

    memset(&e, 0, sizeof(e));
    e.http_status = 200;
    e.attempts = 2;
    e.api_code = 77;
    e.has_api_error = 1;
    strcpy(e.api_message, "kept");
    assert_int_equal(coord_decode_session("{\"id\":\"x\"}", 10, &limits, &s, &e),
                     COORD_ERR_BAD_RESPONSE);
    assert_int_equal(e.status, COORD_ERR_BAD_RESPONSE);
    assert_string_equal(e.detail, "field id: not a number");
    assert_int_equal(e.http_status, 200);
    assert_int_equal(e.attempts, 2);
    assert_int_equal(e.api_code, 77);
    assert_int_equal(e.has_api_error, 1);
    assert_string_equal(e.api_message, "kept");
}

/* The path names every level, below a list entry's index too. */
static void nested_paths_are_named_in_full(void **state)
{
    (void)state;
    assert_list_rejected("[{\"id\":1},{\"id\":2,\"redemption_info\":{\"barcode\":"
                         "{\"data\":\"d\",\"format\":7}}}]",
                         COORD_ERR_BAD_RESPONSE,
                         "field [1].redemption_info.barcode.format: not a string");
    assert_list_rejected("[{\"id\":1,\"billing_info\":{\"cost\":{\"amount\":1,"
                         "\"currency\":\"USD\",\"currency\":\"EUR\"}}}]",
                         COORD_ERR_BAD_RESPONSE,
                         "field [0].billing_info.cost.currency: appears twice");
    assert_list_rejected("[{\"id\":1,\"billing_info\":{\"cost\":{}}}]", COORD_ERR_BAD_RESPONSE,
                         "field [0].billing_info.cost.amount: missing");
}

/* Any known member may appear only once, objects and answers' members too;
 * unknown members are not looked at, twice or not. */
static void duplicates_anywhere_are_refused(void **state)
{
    coord_redemption_info b;
    char token[32];
    coord_session s;
    static const char two_tokens[] = "{\"jwt_token\":\"eyJa\",\"jwt_token\":\"eyJb\"}";
    static const char two_data[] = "{\"data\":\"a\",\"format\":\"aztec\",\"data\":\"b\"}";
    (void)state;

    assert_rejected("{\"id\":1,\"billing_info\":{},\"billing_info\":null}",
                    "field billing_info: appears twice");
    assert_rejected("{\"id\":1,\"end_time\":null,\"end_time\":\"2018-04-12T00:17:50Z\"}",
                    "field end_time: appears twice");
    assert_rejected("{\"id\":1,\"redemption_info\":{\"barcode\":{},\"barcode\":{}}}",
                    "field redemption_info.barcode: appears twice");
    assert_int_equal(coord_decode_barcode(two_data, strlen(two_data), &limits, &b, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "field data: appears twice");
    assert_int_equal(coord_decode_jwt(two_tokens, strlen(two_tokens), &limits, token, sizeof(token),
                                      &err), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "field jwt_token: appears twice");
    assert_string_equal(token, "");
    assert_int_equal(decode("{\"id\":1,\"x\":1,\"x\":[],\"x\":null}", &s), COORD_OK);
    assert_int_equal(s.id, 1);
}

/* The public decoders copy the detail into the caller's buffer, cut to fit. */
static void public_detail_is_truncated(void **state)
{
    coord_session_list list;
    coord_session s;
    char d[9];
    (void)state;

    memset(d, 'x', sizeof(d));
    assert_int_equal(coord_session_decode("{}", 2, &s, d, sizeof(d)), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(d, "field id");
    memset(d, 'x', sizeof(d));
    assert_int_equal(coord_session_list_decode("{}", 2, &list, d, sizeof(d)),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(d, "session ");
    assert_int_equal(coord_session_decode("{}", 2, &s, d, 1), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(d, "");
}

/* ---- decode memory ---- */

/* "[0,0,...]" with n zeros: the densest JSON for cJSON (a 64-byte item per
 * 2 bytes of text). The caller frees it. */
static char *zeros(size_t n, size_t *len)
{
    char *json = malloc(2 * n + 2);

    assert_non_null(json);
    json[0] = '[';
    for (size_t i = 0; i < n; i++) {
        json[1 + 2 * i] = '0';
        json[2 + 2 * i] = ',';
    }
    json[2 * n] = ']';
    json[2 * n + 1] = '\0';
    *len = 2 * n + 1;
    return json;
}

/* cJSON gets COORD_DECODE_MEMORY_FACTOR times the maximum response size;
 * an answer that needs more is refused as too large, and what the parse
 * took is given back. */
static void json_memory_is_bounded_by_the_limits(void **state)
{
    static const coord_decode_limits kiosk = {.max_response_size = 1024}; /* cJSON: 8 KiB */
    coord_session_list list;
    coord_session s;
    size_t len;
    char *json = zeros(200, &len); /* 401 bytes, within 1 KiB; ~13 KiB of cJSON */
    long whole;
    (void)state;

    install_counting();
    /* within a new client's 8 MiB: parsed whole (an item and the number
     * parser's scratch copy for each zero), then refused for what it says */
    assert_int_equal(coord_decode_session_list(json, len, &limits, &list, &err),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "[0]: session is not a JSON object");
    assert_int_equal(counting_live(), 0);
    whole = counting_calls();

    counting_arm(0);
    memset(&list, 0xab, sizeof(list));
    assert_int_equal(coord_decode_session_list(json, len, &kiosk, &list, &err),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_string_equal(err.detail, "parsing the answer takes more than 8192 bytes");
    assert_null(list.sessions);
    assert_int_equal(list.count, 0);
    assert_int_equal(counting_live(), 0);
    /* stopped at 8 KiB, before the whole tree: on LP64 after ~250 of its
     * ~400 allocations, on ILP32 (smaller items) later, so the comparison
     * is with the whole parse measured above, not a fixed count */
    assert_true(counting_calls() < whole);

    /* Coord's answers fit: the end answer takes ~4 times its 191 bytes */
    assert_int_equal(coord_decode_session(spec_end_answer, strlen(spec_end_answer), &kiosk, &s,
                                          &err), COORD_OK);
    assert_int_equal(s.billing_info.cost.amount, 100);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    free(json);
}

/* The public decoders have a new client's budget: 8 MiB for cJSON. 300,000
 * zeros (600 KB of text) would take 19 MB. */
static void public_decoders_have_a_new_clients_budget(void **state)
{
    coord_session_list list;
    coord_session s;
    char d[128];
    size_t len;
    char *json = zeros(300000, &len);
    (void)state;

    assert_int_equal(coord_session_list_decode(json, len, &list, d, sizeof(d)),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_string_equal(d, "parsing the answer takes more than 8388608 bytes");
    assert_null(list.sessions);
    assert_int_equal(coord_session_decode(json, len, &s, d, sizeof(d)),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_int_equal(s.id, 0);
    free(json);
}

/* An error body gets 8 times its own length (at least 8 KiB): a real one,
 * whose message dominates it, fits; padding of tiny values does not. */
static void error_body_memory_is_bounded(void **state)
{
    char body[8192], message[64];
    int32_t code = 0;
    size_t n;
    (void)state;

    n = (size_t)snprintf(body, sizeof(body), "{\"code\":500,\"message\":\"");
    memset(body + n, 'm', 6000);
    n += 6000;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
    assert_int_equal(coord_decode_error_body(body, n, &code, message, sizeof(message)),
                     COORD_OK);
    assert_int_equal(code, 500);

    n = (size_t)snprintf(body, sizeof(body), "{\"code\":500,\"pad\":[0");
    while (n < 4000)
        n += (size_t)snprintf(body + n, sizeof(body) - n, ",0");
    n += (size_t)snprintf(body + n, sizeof(body) - n, "]}");
    code = 0;
    assert_int_equal(coord_decode_error_body(body, n, &code, message, sizeof(message)),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_int_equal(code, 0);
}

/* ---- list bounds and the list without an array ---- */

/* "[{"id":1},{"id":2},...]" with n entries; the caller frees it. */
static char *ids(size_t n, size_t *len)
{
    size_t size = n * 16 + 3, at = 0;
    char *json = malloc(size);

    assert_non_null(json);
    json[at++] = '[';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(json + at, size - at, "%s{\"id\":%zu}", i ? "," : "", i + 1);
    json[at++] = ']';
    json[at] = '\0';
    *len = at;
    return json;
}

/* A list's array holds at most max_sessions entries, and takes at most
 * COORD_DECODE_MEMORY_FACTOR times the maximum response size. */
static void list_array_is_bounded_by_the_limits(void **state)
{
    static const coord_decode_limits four = {.max_response_size = COORD_DEFAULT_MAX_RESPONSE_SIZE,
                                             .max_sessions = 4};
    /* 8 KiB: room for two 4096-byte sessions */
    static const coord_decode_limits small = {.max_response_size = 1024, .max_sessions = 100};
    coord_session_list list;
    size_t len;
    char *json = ids(5, &len);
    (void)state;

    memset(&list, 0xab, sizeof(list));
    assert_int_equal(coord_decode_session_list(json, len, &four, &list, &err),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_string_equal(err.detail, "session list has more than 4 entries");
    assert_null(list.sessions);
    assert_int_equal(list.count, 0);
    free(json);
    json = ids(4, &len);
    assert_int_equal(coord_decode_session_list(json, len, &four, &list, &err), COORD_OK);
    assert_int_equal(list.count, 4);
    assert_int_equal(list.sessions[3].id, 4);
    coord_session_list_free(&list);
    free(json);

    json = ids(3, &len);
    assert_int_equal(coord_decode_session_list(json, len, &small, &list, &err),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_string_equal(err.detail, "session list of 3 entries needs more than 8192 bytes");
    free(json);
    json = ids(2, &len);
    assert_int_equal(coord_decode_session_list(json, len, &small, &list, &err), COORD_OK);
    assert_int_equal(list.count, 2);
    coord_session_list_free(&list);
    free(json);
}

/* 119 KB of 10,000 {"id":N} made the public decoder allocate 10,000
 * sessions, 41 MB. Now it is refused before any array is
 * allocated (the largest block is one of cJSON's). */
static void ten_thousand_ids_are_refused_without_41_mb(void **state)
{
    coord_session_list list;
    char d[128];
    size_t len;
    char *json = ids(10000, &len);
    (void)state;

    assert_true(len > 110000 && len < 130000);
    install_counting();
    assert_int_equal(coord_session_list_decode(json, len, &list, d, sizeof(d)),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_string_equal(d, "session list has more than 256 entries");
    assert_true(counting_largest() < sizeof(coord_session));
    assert_int_equal(counting_live(), 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    free(json);
}

/* What a callback saw. */
typedef struct seen {
    long calls;
    long stop_after; /* 0: never stop */
    int64_t ids[64];
    char locations[64][COORD_ID_MAX];
    const coord_session *where; /* the struct it was handed, every time */
} seen;

static int remember(coord_session *session, void *user_data)
{
    seen *s = user_data;

    if (s->calls < 64) {
        s->ids[s->calls] = session->id;
        strcpy(s->locations[s->calls], session->location_id);
    }
    if (s->calls > 0)
        assert_ptr_equal(s->where, session);
    s->where = session;
    s->calls++;
    return s->stop_after != 0 && s->calls >= s->stop_after;
}

static coord_status decode_each(const char *json, const coord_decode_limits *l,
                                coord_session *one, seen *s)
{
    err.detail[0] = '\0';
    return coord_decode_session_list_each(json, strlen(json), l, one, remember, s, &err);
}

/* Each session in order, in the caller's one struct, until the callback
 * says stop. */
static void each_hands_sessions_in_order(void **state)
{
    coord_session one;
    seen s;
    (void)state;

    memset(&s, 0, sizeof(s));
    assert_int_equal(decode_each("[{\"id\":7,\"location_id\":\"A\"},{\"id\":8},"
                                 "{\"id\":9,\"billing_info\":{\"cost\":{\"amount\":5,"
                                 "\"currency\":\"EUR\"}}}]", &limits, &one, &s),
                     COORD_OK);
    assert_int_equal(s.calls, 3);
    assert_int_equal(s.ids[0], 7);
    assert_int_equal(s.ids[1], 8);
    assert_int_equal(s.ids[2], 9);
    assert_string_equal(s.locations[0], "A");
    assert_string_equal(s.locations[1], ""); /* nothing of the entry before */
    assert_ptr_equal(s.where, &one);
    assert_int_equal(one.id, 9); /* the last one handed over */
    assert_int_equal(one.billing_info.cost.amount, 5);

    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    assert_int_equal(decode_each("[{\"id\":1},{\"id\":2},{\"id\":3}]", &limits, &one, &s),
                     COORD_OK);
    assert_int_equal(s.calls, 2);
    assert_int_equal(one.id, 2);

    memset(&s, 0, sizeof(s));
    memset(&one, 0xab, sizeof(one));
    assert_int_equal(decode_each(" [ ] ", &limits, &one, &s), COORD_OK);
    assert_int_equal(s.calls, 0);
    assert_int_equal(one.id, 0);
    for (size_t i = 0; i < sizeof(one.reserved); i++)
        assert_int_equal(one.reserved[i], 0);
}

/* A malformed entry anywhere fails the call before the callback sees any. */
static void each_checks_every_entry_first(void **state)
{
    coord_session one;
    seen s;
    (void)state;

    memset(&s, 0, sizeof(s));
    memset(&one, 0xab, sizeof(one));
    assert_int_equal(decode_each("[{\"id\":1},{\"id\":2},{\"user_id\":\"u\"}]", &limits,
                                 &one, &s), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "field [2].id: missing");
    assert_int_equal(s.calls, 0);
    assert_int_equal(one.id, 0);
    assert_string_equal(one.user_id, "");

    assert_int_equal(decode_each("[{\"id\":1},7]", &limits, &one, &s), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "[1]: session is not a JSON object");
    assert_int_equal(decode_each("{\"id\":1}", &limits, &one, &s), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(err.detail, "session list is not a JSON array");
    assert_int_equal(decode_each("[{\"id\":1}] x", &limits, &one, &s), COORD_ERR_BAD_RESPONSE);
    assert_int_equal(s.calls, 0);
}

/* No array and no count limit: 10,000 sessions pass through one struct,
 * and the largest block is one of cJSON's. The tree is still bounded. */
static void each_takes_any_number_in_constant_memory(void **state)
{
    static const coord_decode_limits kiosk = {.max_response_size = 64 * 1024, .max_sessions = 1};
    coord_session one;
    seen s;
    size_t len;
    char *json = ids(10000, &len);
    (void)state;

    install_counting();
    memset(&s, 0, sizeof(s));
    assert_int_equal(coord_decode_session_list_each(json, len, &limits, &one, remember, &s, &err),
                     COORD_OK);
    assert_int_equal(s.calls, 10000);
    assert_int_equal(one.id, 10000);
    assert_true(counting_largest() < sizeof(coord_session));
    assert_int_equal(counting_live(), 0);

    /* 119 KB of ids make a 1.4 MB tree: more than a 64 KiB client's 512 KiB */
    memset(&s, 0, sizeof(s));
    assert_int_equal(coord_decode_session_list_each(json, len, &kiosk, &one, remember, &s, &err),
                     COORD_ERR_RESPONSE_TOO_LARGE);
    assert_string_equal(err.detail, "parsing the answer takes more than 524288 bytes");
    assert_int_equal(s.calls, 0);
    assert_int_equal(counting_live(), 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    free(json);
}

static void public_each_decode(void **state)
{
    coord_session one;
    seen s;
    char d[64];
    (void)state;

    memset(&s, 0, sizeof(s));
    assert_int_equal(coord_session_list_decode_each("[{\"id\":4},{\"id\":5}]", 19, &one,
                                                    remember, &s, d, sizeof(d)), COORD_OK);
    assert_int_equal(s.calls, 2);
    assert_string_equal(d, "");
    assert_int_equal(coord_session_list_decode_each("[{}]", 4, &one, remember, &s, d, sizeof(d)),
                     COORD_ERR_BAD_RESPONSE);
    assert_string_equal(d, "field [0].id: missing");
    assert_int_equal(s.calls, 2);
    memset(&one, 0xab, sizeof(one));
    assert_int_equal(coord_session_list_decode_each(NULL, 2, &one, remember, &s, d, sizeof(d)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(one.id, 0);
    assert_int_equal(coord_session_list_decode_each("[]", 2, &one, NULL, &s, d, sizeof(d)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(d, "json, session and fn must not be NULL");
    assert_int_equal(coord_session_list_decode_each("[]", 2, NULL, remember, &s, NULL, 0),
                     COORD_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_token_answers_are_wiped),
        cmocka_unit_test(reused_struct_is_cleared),
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
        cmocka_unit_test(list_of_zero_one_and_many),
        cmocka_unit_test(list_names_the_malformed_entry),
        cmocka_unit_test(list_length_is_bounded),
        cmocka_unit_test(find_active),
        cmocka_unit_test(public_list_decode),
        cmocka_unit_test(barcode_answer),
        cmocka_unit_test(jwt_answer),
        cmocka_unit_test(jwt_longer_than_any_bearer_token),
        cmocka_unit_test(encode_strings),
        cmocka_unit_test(errors_touch_only_status_and_detail),
        cmocka_unit_test(nested_paths_are_named_in_full),
        cmocka_unit_test(duplicates_anywhere_are_refused),
        cmocka_unit_test(public_detail_is_truncated),
        cmocka_unit_test(json_memory_is_bounded_by_the_limits),
        cmocka_unit_test(public_decoders_have_a_new_clients_budget),
        cmocka_unit_test(error_body_memory_is_bounded),
        cmocka_unit_test(list_array_is_bounded_by_the_limits),
        cmocka_unit_test(ten_thousand_ids_are_refused_without_41_mb),
        cmocka_unit_test(each_hands_sessions_in_order),
        cmocka_unit_test(each_checks_every_entry_first),
        cmocka_unit_test(each_takes_any_number_in_constant_memory),
        cmocka_unit_test(public_each_decode),
    };
    return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
