/* The retry policy over real HTTP: exact attempt counts (the simulator counts
 * requests), what is never retried, the call's deadline, libcurl's own
 * resend on a reused connection, and when an end is recovered or not. */
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

#define LOT "LOT-R"

static coord_client *client(uint32_t attempts)
{
    coord_client *c = sim_user_client(); /* ending is the seeded sessions' user's */

    assert_int_equal(coord_client_set_retry(c, attempts, 5, 20), COORD_OK);
    return c;
}

static int32_t attempts(const coord_client *c)
{
    return coord_client_last_error(c)->attempts;
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    return 0;
}

static void transient_failures_then_success(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = sim_session(LOT, 30, 0, NULL, 0);
    (void)state;

    sim_fault("{\"mode\":\"status\",\"status\":503,\"count\":2}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(attempts(c), 3);
    assert_int_equal(sim_api_requests(), 3);
    assert_int_equal(s.billing_info.cost.amount, 100);
    assert_int_equal(s.recovered, 0);
    assert_int_equal(coord_client_last_error(c)->http_status, 200);
    coord_client_free(c);
}

static void gives_up_after_max_attempts(void **state)
{
    coord_client *c = client(4);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"accept_close\",\"count\":10}");
    assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(attempts(c), 4);
    assert_int_equal(sim_api_requests(), 4);
    /* the defaults: 3 */
    coord_client *d = NULL;
    assert_int_equal(coord_client_new(sim_api_base(), sim_key(), &d), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(d, sim_user_token()), COORD_OK);
    assert_int_equal(coord_end_session(d, LOT, 1, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(attempts(d), 3);
    coord_client_free(d);
    coord_client_free(c);
}

static void which_statuses_are_retried(void **state)
{
    static const struct {
        int http;
        coord_status want; /* after the retry reaches the real route: 404 */
        int attempts;
    } cases[] = {
        {408, COORD_ERR_NOT_FOUND, 2}, {429, COORD_ERR_NOT_FOUND, 2},
        {500, COORD_ERR_NOT_FOUND, 2}, {502, COORD_ERR_NOT_FOUND, 2},
        {503, COORD_ERR_NOT_FOUND, 2}, {504, COORD_ERR_NOT_FOUND, 2},
        {400, COORD_ERR_REFUSED, 1},   {401, COORD_ERR_UNAUTHORIZED, 1},
        {403, COORD_ERR_UNAUTHORIZED, 1}, {404, COORD_ERR_NOT_FOUND, 1},
        {409, COORD_ERR_ALREADY_ENDED, 1}, {422, COORD_ERR_REFUSED, 1},
        {501, COORD_ERR_SERVER, 1},
    };
    coord_client *c = client(3);
    coord_session s;
    char fault[128];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sim_reset();
        snprintf(fault, sizeof(fault), "{\"mode\":\"status\",\"status\":%d}", cases[i].http);
        sim_fault(fault);
        coord_status st = coord_end_session(c, LOT, 77, &s);
        if (st != cases[i].want || attempts(c) != cases[i].attempts)
            fail_msg("HTTP %d: %s after %d attempt(s)", cases[i].http, coord_status_name(st),
                     (int)attempts(c));
        assert_int_equal(sim_api_requests(), cases[i].attempts);
    }
    coord_client_free(c);
}

static void tls_failure_is_not_retried(void **state)
{
    coord_client *c = NULL;
    coord_session s;
    char base[256];
    long conn0, req0, conn1, req1;
    (void)state;

    /* https:// to the plain-HTTP simulator: the handshake fails */
    snprintf(base, sizeof(base), "https%s/v1/access/parking", sim_url() + 4);
    assert_int_equal(coord_client_new(base, sim_key(), &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "kiosk-token"), COORD_OK);
    sim_stats(&conn0, &req0);
    assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_TLS);
    sim_stats(&conn1, &req1);
    assert_int_equal(attempts(c), 1);
    assert_int_equal(conn1 - conn0, 2); /* the one handshake + the stats call's own */
    coord_client_free(c);
}

static void retry_after_beyond_the_cap_or_the_deadline(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"throttle\",\"status\":429,\"retry_after\":3600}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_RATE_LIMITED);
    assert_true(sim_now_s() - t0 < 3.0); /* gave up at once, no hour-long sleep */
    assert_int_equal(attempts(c), 1);
    assert_non_null(strstr(coord_client_last_error(c)->detail,
                           "Retry-After 3600 s is beyond the cap"));

    sim_fault("{\"mode\":\"throttle\",\"status\":503,\"retry_after\":5}");
    assert_int_equal(coord_client_set_timeouts(c, 1000, 2000), COORD_OK);
    t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_SERVER);
    assert_true(sim_now_s() - t0 < 3.0);
    assert_int_equal(attempts(c), 1);
    assert_non_null(strstr(coord_client_last_error(c)->detail,
                           "Retry-After 5 s is beyond the total timeout"));
    coord_client_free(c);
}

/* A Retry-After of any size is a delay, never "absent": 99999999999 s
 * (and one too large to count in milliseconds) stops the retries as 3600
 * does, after one attempt. */
static void huge_retry_after_stops_the_retries(void **state)
{
    static const char *const huge[] = {"99999999999", "99999999999999999999999"};
    coord_client *c = client(3);
    coord_session s;
    char fault[256], expected[96];
    (void)state;

    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        sim_reset();
        snprintf(fault, sizeof(fault), "{\"mode\":\"status\",\"status\":503,\"count\":3,"
                 "\"headers\":{\"Retry-After\":\"%s\"}}", huge[i]);
        sim_fault(fault);
        assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_SERVER);
        assert_int_equal(attempts(c), 1);
        assert_int_equal(sim_api_requests(), 1);
        snprintf(expected, sizeof(expected), "Retry-After %s s is beyond the cap", huge[i]);
        assert_non_null(strstr(coord_client_last_error(c)->detail, expected));
    }
    coord_client_free(c);
}

static void total_timeout_bounds_retries_and_sleeps(void **state)
{
    coord_client *c = client(10);
    coord_session s;
    (void)state;

    /* every answer asks for 1 s; 2.5 s allow attempts at 0, 1 and 2 s only */
    sim_fault("{\"mode\":\"throttle\",\"status\":503,\"retry_after\":1,\"count\":10}");
    assert_int_equal(coord_client_set_timeouts(c, 2500, 2500), COORD_OK);
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_SERVER);
    double took = sim_now_s() - t0;
    assert_true(took >= 1.9);
    assert_true(took < 4.5);
    assert_true(attempts(c) == 3 || attempts(c) == 2); /* 2 only on a very slow machine */
    assert_int_equal(sim_api_requests(), attempts(c));
    coord_client_free(c);
}

static void first_attempt_409_is_already_ended(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = sim_session(LOT, 30, 0, NULL, 0);
    (void)state;

    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_ERR_ALREADY_ENDED);
    assert_int_equal(attempts(c), 1);
    assert_int_equal(s.recovered, 0);
    assert_int_equal(s.id, 0);
    coord_client_free(c);
}

static void a_409_after_a_throttle_is_not_recovered(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = sim_session(LOT, 30, 0, NULL, 0);
    (void)state;

    /* a 429 was not carried out: the 409 that follows is someone else's end */
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    sim_fault("{\"mode\":\"throttle\",\"status\":429,\"retry_after\":0}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_ERR_ALREADY_ENDED);
    assert_int_equal(attempts(c), 2);
    assert_int_equal(s.recovered, 0);
    coord_client_free(c);
}

static void libcurl_resend_on_a_reused_connection_is_seen(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t first = sim_session(LOT, 30, 0, NULL, 0);
    int64_t id = sim_session(LOT, 90, 0, NULL, 0);
    long conn0, req0, conn1, req1;
    (void)state;

    assert_int_equal(coord_end_session(c, LOT, first, &s), COORD_OK); /* keeps a connection */
    sim_fault("{\"mode\":\"end_then_drop\"}");
    sim_stats(&conn0, &req0);
    /* the kept connection dies unanswered: libcurl re-sends on a new one by
     * itself, gets 409, and libcoord knows the first send's answer was lost */
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    sim_stats(&conn1, &req1);
    assert_int_equal(s.recovered, 1);
    assert_int_equal(s.billing_info.cost.amount, 300);
    assert_int_equal(attempts(c), 3); /* PUT, libcurl's PUT (409), GET */
    assert_int_equal(req1 - req0, 4); /* those three + the stats call */
    coord_client_free(c);
}

/* The transport hands libcurl the URL as a parsed handle; libcurl's resend
 * must still go to this call's URL, not to the previous call's. The
 * previous call is a GET of the same session: a resend to its URL would be
 * a PUT that the simulator refuses, not the recovered end. */
static void libcurl_resend_goes_to_the_current_url(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = sim_session(LOT, 90, 0, NULL, 0);
    (void)state;

    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK); /* keeps a connection */
    assert_int_equal(s.has_end_time, 0);
    sim_fault("{\"mode\":\"end_then_drop\"}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.recovered, 1);
    assert_int_equal(s.has_end_time, 1);
    assert_int_equal(s.billing_info.cost.amount, 300);
    assert_int_equal(attempts(c), 3); /* PUT, libcurl's PUT (409), GET */
    coord_client_free(c);
}

static void not_idempotent_is_never_sent_twice(void **state)
{
    coord_client *c = client(5);
    coord_session s;
    (void)state;

    /* a fresh connection: the failure of a create (a POST) ends the call */
    sim_fault("{\"mode\":\"close\",\"count\":5}");
    assert_int_equal(coord_session_create(c, LOT, NULL, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(attempts(c), 1);
    assert_int_equal(sim_api_requests(), 1);

    /* a reused connection: libcurl's own resend is refused too */
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    assert_int_equal(coord_end_session(c, LOT, 12345, &s), COORD_ERR_NOT_FOUND);
    sim_fault("{\"mode\":\"close\",\"count\":5}");
    assert_int_equal(coord_session_create(c, LOT, NULL, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(attempts(c), 1);
    assert_int_equal(sim_api_requests(), 2); /* the 404 end, and one POST */
    assert_non_null(strstr(coord_client_last_error(c)->detail, "not idempotent"));
    coord_client_free(c);
}

static void policy_is_validated(void **state)
{
    coord_client *c = client(3);
    (void)state;

    assert_int_equal(coord_client_set_retry(c, 0, 0, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_retry(c, 11, 0, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_retry(c, 3, 200, 100), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_retry(c, 3, 0, 60001), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_retry(c, 10, 60000, 60000), COORD_OK);
    assert_int_equal(coord_client_set_retry(NULL, 3, 1, 2), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_log(c, NULL, NULL, (coord_log_level)4),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_log(c, NULL, NULL, COORD_LOG_ERROR), COORD_OK);
    assert_int_equal(coord_client_set_log(NULL, NULL, NULL, COORD_LOG_ERROR),
                     COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(transient_failures_then_success, setup),
        cmocka_unit_test_setup(gives_up_after_max_attempts, setup),
        cmocka_unit_test_setup(which_statuses_are_retried, setup),
        cmocka_unit_test_setup(tls_failure_is_not_retried, setup),
        cmocka_unit_test_setup(retry_after_beyond_the_cap_or_the_deadline, setup),
        cmocka_unit_test_setup(huge_retry_after_stops_the_retries, setup),
        cmocka_unit_test_setup(total_timeout_bounds_retries_and_sleeps, setup),
        cmocka_unit_test_setup(first_attempt_409_is_already_ended, setup),
        cmocka_unit_test_setup(a_409_after_a_throttle_is_not_recovered, setup),
        cmocka_unit_test_setup(libcurl_resend_on_a_reused_connection_is_seen, setup),
        cmocka_unit_test_setup(libcurl_resend_goes_to_the_current_url, setup),
        cmocka_unit_test_setup(not_idempotent_is_never_sent_twice, setup),
        cmocka_unit_test_setup(policy_is_validated, setup),
    };
    return cmocka_run_group_tests_name("retries (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
