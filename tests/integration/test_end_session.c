/* coord_end_session over real loopback HTTP against the simulator. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

/* A client acting as the user the seeded sessions belong to: ending a
 * session is a user transaction and needs the user's token. */
static coord_client *new_client(const char *key)
{
    return sim_user_client_at(sim_api_base(), key);
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    return 0;
}

static void ends_and_bills(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    int64_t id = sim_session("LOT-1", 90, 0, NULL, 0);
    assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    assert_string_equal(s.location_id, "LOT-1");
    assert_string_equal(s.user_id, "00000000-0000-0000-0000-000000000000");
    assert_int_equal(s.has_start_time, 1);
    assert_int_equal(s.has_end_time, 1);
    assert_true(s.end_time_ms - s.start_time_ms >= 90 * 60 * 1000);
    assert_true(s.end_time_ms - s.start_time_ms < 91 * 60 * 1000);
    assert_int_equal(s.has_billing_info, 1);
    assert_int_equal(s.billing_info.has_cost, 1);
    assert_int_equal(s.billing_info.cost.amount, 300); /* 90 min at 2.00 USD/h */
    assert_string_equal(s.billing_info.cost.currency, "USD");
    assert_int_equal(s.has_redemption_info, 0);
    assert_int_equal(coord_client_last_error(c)->status, COORD_OK);
    assert_int_equal(coord_client_last_error(c)->http_status, 200);
    coord_client_free(c);
}

static void cost_not_yet_calculated(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    sim_location("PENDING", 200, 0, 1);
    int64_t id = sim_session("PENDING", 30, 0, NULL, 0);
    assert_int_equal(coord_end_session(c, "PENDING", id, &s), COORD_OK);
    assert_int_equal(s.has_billing_info, 1);
    assert_int_equal(s.billing_info.has_cost, 0);
    coord_client_free(c);
}

static void wrong_key_is_unauthorized(void **state)
{
    coord_client *c = new_client("sandbox-wrong-key");
    coord_session s;
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    int64_t id = sim_session("LOT-1", 10, 0, NULL, 0);
    assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_ERR_UNAUTHORIZED);
    const coord_error *e = coord_client_last_error(c);
    assert_int_equal(e->status, COORD_ERR_UNAUTHORIZED);
    assert_int_equal(e->http_status, 403);
    assert_int_equal(e->has_api_error, 1);
    assert_int_equal(e->api_code, 403);
    assert_true(strlen(e->api_message) > 0);
    assert_non_null(strstr(e->detail, "HTTP 403"));
    sim_assert_no_secret(c, "sandbox-wrong-key");
    assert_int_equal(s.id, 0); /* zeroed on failure */
    coord_client_free(c);
}

static void unknown_session_is_not_found(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    assert_int_equal(coord_end_session(c, "LOT-1", 999, &s), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_client_last_error(c)->http_status, 404);
    assert_int_equal(coord_client_last_error(c)->api_code, 404);
    assert_int_equal(coord_end_session(c, "NO-SUCH-LOT", 1, &s), COORD_ERR_NOT_FOUND);
    coord_client_free(c);
}

static void ending_twice_is_already_ended(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    int64_t id = sim_session("LOT-1", 10, 0, NULL, 0);
    assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_ERR_ALREADY_ENDED);
    const coord_error *e = coord_client_last_error(c);
    assert_int_equal(e->status, COORD_ERR_ALREADY_ENDED);
    assert_int_equal(e->http_status, 409);
    assert_int_equal(e->api_code, COORD_API_CODE_SESSION_ENDED);
    coord_client_free(c);
}

static void gate_controlled_refused_by_server(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    sim_location("GATE-1", 200, 1, 0);
    int64_t id = sim_session("GATE-1", 20, 1, NULL, 0);
    assert_int_equal(coord_end_session(c, "GATE-1", id, &s), COORD_ERR_PHYSICAL_CHECKOUT);
    const coord_error *e = coord_client_last_error(c);
    assert_int_equal(e->status, COORD_ERR_PHYSICAL_CHECKOUT);
    assert_int_equal(e->http_status, 400);
    assert_int_equal(e->api_code, COORD_API_CODE_PHYSICAL_CHECKOUT);
    assert_non_null(strstr(e->api_message, "redemption_info"));
    coord_client_free(c);
}

static void gate_controlled_refused_locally(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session held, out;
    char json[4096];
    long conn0, req0, conn1, req1;
    (void)state;

    sim_location("GATE-2", 200, 1, 0);
    sim_session("GATE-2", 0, 1, json, sizeof(json));
    assert_int_equal(coord_session_decode(json, strlen(json), &held, NULL, 0), COORD_OK);
    assert_int_equal(held.has_redemption_info, 1);
    assert_string_equal(held.redemption_info.barcode_format, "aztec");
    assert_true(strlen(held.redemption_info.barcode_data) > 0);

    sim_stats(&conn0, &req0);
    assert_int_equal(coord_session_end(c, &held, &out), COORD_ERR_PHYSICAL_CHECKOUT);
    assert_int_equal(coord_client_last_error(c)->http_status, 0);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "redemption_info"));
    sim_stats(&conn1, &req1);
    assert_int_equal(req1 - req0, 1); /* only the stats call itself: nothing was sent */
    coord_client_free(c);
}

static void end_held_session(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session held;
    char json[4096];
    (void)state;

    sim_location("LOT-7", 600, 0, 0);
    sim_session("LOT-7", 15, 0, json, sizeof(json));
    assert_int_equal(coord_session_decode(json, strlen(json), &held, NULL, 0), COORD_OK);
    /* in place: the same struct as input and output */
    assert_int_equal(coord_session_end(c, &held, &held), COORD_OK);
    assert_int_equal(held.has_end_time, 1);
    assert_int_equal(held.billing_info.cost.amount, 150); /* 15 min at 6.00/h */
    assert_string_equal(held.location_id, "LOT-7");
    coord_client_free(c);
}

static void hostile_location_id_stays_one_segment(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    char req[4096], want[256];
    (void)state;

    sim_location("a/../b?x=1", 200, 0, 0);
    int64_t id = sim_session("a/../b?x=1", 60, 0, NULL, 0);
    assert_int_equal(coord_end_session(c, "a/../b?x=1", id, &s), COORD_OK);
    assert_string_equal(s.location_id, "a/../b?x=1");
    assert_int_equal(s.billing_info.cost.amount, 200);
    assert_int_equal(sim_last_request(NULL, "path", req, sizeof(req)), 0);
    snprintf(want, sizeof(want), "/v1/access/parking/a%%2F..%%2Fb%%3Fx%%3D1/session/%lld/end",
             (long long)id);
    assert_string_equal(req, want);
    assert_int_equal(sim_last_request_query_count(), 1); /* access_key alone */
    assert_int_equal(sim_last_request("query", "access_key", req, sizeof(req)), 0);
    assert_string_equal(req, sim_key());
    coord_client_free(c);
}

static void sends_token_agent_and_method(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    char req[4096], token[COORD_TOKEN_MAX], want[COORD_TOKEN_MAX + 16];
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    int64_t id = sim_session("LOT-1", 5, 0, NULL, 0);
    sim_token("{\"user_id\":\"" SIM_DEFAULT_USER "\"}", token, sizeof(token));
    assert_int_equal(coord_client_set_bearer_token(c, token), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_OK);
    assert_int_equal(sim_last_request(NULL, "method", req, sizeof(req)), 0);
    assert_string_equal(req, "PUT");
    assert_int_equal(sim_last_request("headers", "authorization", req, sizeof(req)), 0);
    snprintf(want, sizeof(want), "Bearer %s", token);
    assert_string_equal(req, want);
    assert_int_equal(sim_last_request("headers", "user-agent", req, sizeof(req)), 0);
    assert_string_equal(req, "libcoord/" COORD_VERSION_STRING);
    assert_int_equal(sim_last_request("headers", "accept", req, sizeof(req)), 0);
    assert_string_equal(req, "application/json");
    assert_int_equal(sim_last_request("headers", "content-length", req, sizeof(req)), 0);
    assert_string_equal(req, "0");
    /* an empty PUT is not a form post */
    assert_int_equal(sim_last_request("headers", "content-type", req, sizeof(req)), -1);

    /* cleared token: refused before anything is sent (the server would say 401) */
    assert_int_equal(coord_client_set_bearer_token(c, NULL), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 424242, &s), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_client_last_error(c)->http_status, 0);
    assert_int_equal(coord_client_last_error(c)->attempts, 0);
    coord_client_free(c);
}

static void invalid_arguments_send_nothing(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    long conn0, req0, conn1, req1;
    (void)state;

    sim_stats(&conn0, &req0);
    assert_int_equal(coord_end_session(NULL, "L", 1, &s), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session(c, "L", 1, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session(c, NULL, 1, &s), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session(c, "", 1, &s), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session(c, "LOT\r\nX-Evil: 1", 1, &s),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "location_id"));
    assert_int_equal(coord_session_end(c, NULL, &s), COORD_ERR_INVALID_ARGUMENT);
    memset(&s, 0, sizeof(s));
    assert_int_equal(coord_session_end(c, &s, &s), COORD_ERR_INVALID_ARGUMENT);
    sim_stats(&conn1, &req1);
    assert_int_equal(req1 - req0, 1); /* only the stats call */
    coord_client_free(c);
}

static void times_out_on_a_silent_server(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    int64_t id = sim_session("LOT-1", 5, 0, NULL, 0);
    sim_fault("{\"mode\":\"hang\",\"count\":1,\"seconds\":5}");
    assert_int_equal(coord_client_set_timeouts(c, 200, 400), COORD_OK);
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_ERR_TIMEOUT);
    double took = sim_now_s() - t0;
    assert_true(took >= 0.35);
    assert_true(took < 3.0);
    assert_int_equal(coord_client_last_error(c)->http_status, 0);
    sim_assert_no_secret(c, sim_key());
    coord_client_free(c);
}

static void one_connection_for_consecutive_calls(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    int64_t ids[5];
    long conn0, req0, conn1, req1;
    (void)state;

    sim_location("LOT-1", 200, 0, 0);
    for (int i = 0; i < 5; i++)
        ids[i] = sim_session("LOT-1", 5, 0, NULL, 0);
    sim_stats(&conn0, &req0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(coord_end_session(c, "LOT-1", ids[i], &s), COORD_OK);
    /* errors keep the connection too */
    assert_int_equal(coord_end_session(c, "LOT-1", ids[0], &s), COORD_ERR_ALREADY_ENDED);
    assert_int_equal(coord_end_session(c, "LOT-1", 12345, &s), COORD_ERR_NOT_FOUND);
    sim_stats(&conn1, &req1);
    /* the client's one connection + the stats call's own */
    assert_int_equal(conn1 - conn0, 2);
    assert_int_equal(req1 - req0, 8);
    coord_client_free(c);
}

static void closed_port_is_transport_error(void **state)
{
    char base[128];
    coord_client *c = NULL;
    coord_session s;
    (void)state;

    sim_closed_port_base(base, sizeof(base));
    assert_int_equal(coord_client_new(base, "sandbox-k3y", &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "kiosk-token"), COORD_OK);
    assert_int_equal(coord_end_session(c, "L", 1, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(coord_client_last_error(c)->http_status, 0);
    assert_true(strlen(coord_client_last_error(c)->detail) > 0);
    sim_assert_no_secret(c, "sandbox-k3y");
    coord_client_free(c);
}

/* A base URL libcurl cannot parse, or one without a host, is refused when
 * the client is made, not at the first call: with
 * "http://" the location id "127.0.0.1" used to become the host. */
static void unparsable_base_url_is_refused_at_creation(void **state)
{
    static const char *const bad[] = {"http://127.0.0.1:99999/v1", "http://[::1/v1", "http://"};
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        coord_client *c = NULL;

        assert_int_equal(coord_client_new(bad[i], "sandbox-k3y", &c), COORD_ERR_INVALID_ARGUMENT);
        assert_null(c);
    }
    assert_int_equal(sim_api_requests(), 0);
}

static void oversized_answer_is_refused(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    char fault[8192];
    char pad[5001];
    (void)state;

    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(fault, sizeof(fault),
             "{\"mode\":\"status\",\"status\":200,\"content_type\":\"application/json\","
             "\"body\":\"{\\\"id\\\":1,\\\"pad\\\":\\\"%s\\\"}\"}", pad);
    sim_fault(fault);
    assert_int_equal(coord_client_set_max_response_size(c, 4096), COORD_OK);
    assert_int_equal(coord_end_session(c, "L", 1, &s), COORD_ERR_RESPONSE_TOO_LARGE);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "4096"));
    coord_client_free(c);
}

static void server_failures_map_to_statuses(void **state)
{
    static const struct {
        const char *fault;
        coord_status want;
        int http;
        int api_error;
    } cases[] = {
        {"{\"mode\":\"status\",\"status\":502,\"content_type\":\"text/html\","
         "\"body\":\"<html>bad gateway</html>\"}", COORD_ERR_SERVER, 502, 0},
        {"{\"mode\":\"status\",\"status\":500,\"content_type\":\"application/json\","
         "\"body\":\"{\\\"code\\\":500,\\\"message\\\":\\\"boom\\\"}\"}", COORD_ERR_SERVER, 500, 1},
        {"{\"mode\":\"status\",\"status\":429,\"content_type\":\"application/json\","
         "\"body\":\"{\\\"code\\\":429,\\\"message\\\":\\\"slow down\\\"}\"}",
         COORD_ERR_RATE_LIMITED, 429, 1},
        {"{\"mode\":\"status\",\"status\":400,\"content_type\":\"application/json\","
         "\"body\":\"{\\\"code\\\":400,\\\"message\\\":\\\"bad\\\"}\"}", COORD_ERR_REFUSED, 400, 1},
        {"{\"mode\":\"status\",\"status\":200,\"content_type\":\"application/json\","
         "\"body\":\"{\\\"id\\\":1,\"}", COORD_ERR_BAD_RESPONSE, 200, 0},
        {"{\"mode\":\"status\",\"status\":200,\"content_type\":\"application/json\","
         "\"body\":\"{\\\"id\\\":\\\"one\\\"}\"}", COORD_ERR_BAD_RESPONSE, 200, 0},
    };
    coord_client *c = new_client(sim_key());
    coord_session s;
    (void)state;

    /* one attempt: a retry would reach the real route (404) after each fault */
    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sim_fault(cases[i].fault);
        assert_int_equal(coord_end_session(c, "L", 1, &s), cases[i].want);
        const coord_error *e = coord_client_last_error(c);
        assert_int_equal(e->status, cases[i].want);
        assert_int_equal(e->http_status, cases[i].http);
        assert_int_equal(e->has_api_error, cases[i].api_error);
        assert_true(strlen(e->detail) > 0);
    }
    /* the decode error names the field */
    assert_non_null(strstr(coord_client_last_error(c)->detail, "field id"));
    coord_client_free(c);
}

static void server_echo_of_the_key_is_redacted(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    char fault[512];
    (void)state;

    snprintf(fault, sizeof(fault),
             "{\"mode\":\"status\",\"status\":400,\"content_type\":\"application/json\","
             "\"body\":\"{\\\"code\\\":400,\\\"message\\\":\\\"bad key %s\\\"}\"}", sim_key());
    sim_fault(fault);
    assert_int_equal(coord_end_session(c, "L", 1, &s), COORD_ERR_REFUSED);
    assert_non_null(strstr(coord_client_last_error(c)->api_message, "bad key [redacted]"));
    sim_assert_no_secret(c, sim_key());
    coord_client_free(c);
}

/* A key with reserved characters travels escaped: a server echoing the
 * request target must not leak that form either (found in review). */
static void server_echo_of_the_escaped_key_is_redacted(void **state)
{
    coord_client *c = new_client("sandbox-k+y/=z");
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"status\",\"status\":400,\"content_type\":\"application/json\","
              "\"body\":\"{\\\"code\\\":400,\\\"message\\\":"
              "\\\"no key sandbox-k%2By%2F%3Dz here\\\"}\"}");
    assert_int_equal(coord_end_session(c, "L", 1, &s), COORD_ERR_REFUSED);
    assert_string_equal(coord_client_last_error(c)->api_message, "no key [redacted] here");
    assert_null(strstr(coord_client_last_error(c)->detail, "k%2By"));
    coord_client_free(c);
}

/* Header text from the server reaches error details: control characters
 * are replaced there (found in review). */
static void server_header_text_is_cleaned(void **state)
{
    coord_client *c = new_client(sim_key());
    coord_session s;
    const char *detail;
    (void)state;

    sim_fault("{\"mode\":\"status\",\"status\":400,\"content_type\":\"text/html\\u001b[2J\","
              "\"body\":\"<html>no</html>\"}");
    assert_int_equal(coord_end_session(c, "L", 1, &s), COORD_ERR_REFUSED);
    detail = coord_client_last_error(c)->detail;
    assert_null(strchr(detail, 0x1b));
    assert_non_null(strstr(detail, "text/html?[2J"));
    coord_client_free(c);
}

static void client_options_are_validated(void **state)
{
    coord_client *c = NULL;
    (void)state;

    assert_int_equal(coord_client_new(NULL, "k", NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_new("ftp://x", "k", &c), COORD_ERR_INVALID_ARGUMENT);
    assert_null(c);
    assert_int_equal(coord_client_new("http://x/?q=1", "k", &c), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_new(NULL, "", &c), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_new(NULL, "k\n", &c), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_new(NULL, NULL, &c), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_new(NULL, "sandbox-k", &c), COORD_OK); /* production */
    assert_int_equal(coord_client_set_timeouts(c, 0, 10), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_timeouts(c, 20, 10), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_timeouts(c, 10, 20), COORD_OK);
    assert_int_equal(coord_client_set_max_response_size(c, 10), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_max_response_size(c, 1u << 30),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_bearer_token(c, ""), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_bearer_token(c, "t"), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, NULL), COORD_OK);
    assert_int_equal(coord_client_set_user_agent(c, "kiosk/2"), COORD_OK);
    assert_int_equal(coord_client_set_user_agent(c, NULL), COORD_OK);
    assert_int_equal(coord_client_set_user_agent(c, "bad\nagent"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_bearer_token(NULL, "t"), COORD_ERR_INVALID_ARGUMENT);
    assert_null(coord_client_last_error(NULL));
    coord_client_free(c);
    coord_client_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(ends_and_bills, setup),
        cmocka_unit_test_setup(cost_not_yet_calculated, setup),
        cmocka_unit_test_setup(wrong_key_is_unauthorized, setup),
        cmocka_unit_test_setup(unknown_session_is_not_found, setup),
        cmocka_unit_test_setup(ending_twice_is_already_ended, setup),
        cmocka_unit_test_setup(gate_controlled_refused_by_server, setup),
        cmocka_unit_test_setup(gate_controlled_refused_locally, setup),
        cmocka_unit_test_setup(end_held_session, setup),
        cmocka_unit_test_setup(hostile_location_id_stays_one_segment, setup),
        cmocka_unit_test_setup(sends_token_agent_and_method, setup),
        cmocka_unit_test_setup(invalid_arguments_send_nothing, setup),
        cmocka_unit_test_setup(times_out_on_a_silent_server, setup),
        cmocka_unit_test_setup(one_connection_for_consecutive_calls, setup),
        cmocka_unit_test_setup(closed_port_is_transport_error, setup),
        cmocka_unit_test_setup(unparsable_base_url_is_refused_at_creation, setup),
        cmocka_unit_test_setup(oversized_answer_is_refused, setup),
        cmocka_unit_test_setup(server_failures_map_to_statuses, setup),
        cmocka_unit_test_setup(server_echo_of_the_key_is_redacted, setup),
        cmocka_unit_test_setup(server_echo_of_the_escaped_key_is_redacted, setup),
        cmocka_unit_test_setup(server_header_text_is_cleaned, setup),
        cmocka_unit_test(client_options_are_validated),
    };
    return cmocka_run_group_tests_name("end_session (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
