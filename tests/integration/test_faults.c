/* Every fault mode of the simulator against the SDK, one test per mode, all
 * with logging on: the exact status and error detail, the attempts, a
 * generous bound on the duration, and no access key or bearer token in any
 * log message or error text. make check-valgrind / check-asan run this file
 * for leaks. */
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

/* a real token: ending a session is a user transaction */
#define TOKEN sim_user_token()
#define LOT "LOT-F"

/* What the log callback saw during the current test. */
static struct {
    long messages;
    long leaks;              /* messages holding the key or the token */
    long by_level[4];
    char text[32768];        /* the messages, one per line, truncated */
    size_t len;
} logs;
static long total_messages;

static void on_log(coord_log_level level, const char *message, void *user_data)
{
    size_t n = strlen(message);

    assert_ptr_equal(user_data, &logs);
    assert_true(level >= COORD_LOG_DEBUG && level <= COORD_LOG_ERROR);
    assert_null(strchr(message, '\n'));
    logs.messages++;
    total_messages++;
    logs.by_level[level]++;
    if (strstr(message, sim_key()) != NULL || strstr(message, TOKEN) != NULL ||
        strstr(message, "access_key") != NULL)
        logs.leaks++;
    if (logs.len + n + 2 < sizeof(logs.text)) {
        memcpy(logs.text + logs.len, message, n);
        logs.len += n;
        logs.text[logs.len++] = '\n';
        logs.text[logs.len] = '\0';
    }
}

/* The firmware build (make MINIMAL=1, COORD_MINIMAL) compiles logging out:
 * there the check is that nothing at all was logged. */
#ifdef COORD_MINIMAL
#define assert_logged(cond) assert_int_equal(logs.messages, 0)
#else
#define assert_logged(cond) assert_true(cond)
#endif

static coord_client *client_at(const char *base, uint32_t attempts)
{
    coord_client *c = NULL;

    assert_int_equal(coord_client_new(base, sim_key(), &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, TOKEN), COORD_OK);
    assert_int_equal(coord_client_set_log(c, on_log, &logs, COORD_LOG_DEBUG), COORD_OK);
    /* small delays keep the suite fast; the policy itself is test_retries.c's */
    assert_int_equal(coord_client_set_retry(c, attempts, 10, 50), COORD_OK);
    return c;
}

static coord_client *client(uint32_t attempts)
{
    return client_at(sim_api_base(), attempts);
}

/* The end of every test: no secret anywhere, something was logged. */
static void done(coord_client *c)
{
    const coord_error *e = coord_client_last_error(c);

    assert_null(strstr(e->detail, sim_key()));
    assert_null(strstr(e->detail, TOKEN));
    assert_null(strstr(e->api_message, sim_key()));
    assert_null(strstr(e->api_message, TOKEN));
    assert_int_equal(logs.leaks, 0);
    assert_logged(logs.messages > 0);
    coord_client_free(c);
}

static int64_t seed(void)
{
    return sim_session(LOT, 90, 0, NULL, 0); /* 90 min at 2.00/h: bill 300 */
}

static void assert_billed(const coord_session *s, int64_t id)
{
    assert_int_equal(s->id, id);
    assert_string_equal(s->location_id, LOT);
    assert_int_equal(s->has_end_time, 1);
    assert_int_equal(s->billing_info.has_cost, 1);
    assert_int_equal(s->billing_info.cost.amount, 300);
    assert_string_equal(s->billing_info.cost.currency, "USD");
}

/* End a session at LOT under the armed fault; every fault mode must give
 * its answer well within 5 s (generous: the faults use sub-second times). */
static coord_status end_bounded(coord_client *c, int64_t id, coord_session *s)
{
    double t0 = sim_now_s();
    coord_status st = coord_end_session(c, LOT, id, s);

    assert_true(sim_now_s() - t0 < 5.0);
    return st;
}

/* status, HTTP status, attempts, and a piece of the detail */
static void assert_failed(const coord_client *c, coord_status st, coord_status want, int http,
                          int attempts, const char *detail)
{
    const coord_error *e = coord_client_last_error(c);

    assert_string_equal(coord_status_name(st), coord_status_name(want));
    assert_int_equal(e->status, want);
    assert_int_equal(e->http_status, http);
    assert_int_equal(e->attempts, attempts);
    if (strstr(e->detail, detail) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", e->detail, detail);
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    memset(&logs, 0, sizeof(logs));
    return 0;
}

/* ---- transport faults ---- */

static void connection_refused(void **state)
{
    char base[128];
    coord_session s;
    (void)state;

    sim_closed_port_base(base, sizeof(base));
    coord_client *c = client_at(base, 3);
    coord_status st = end_bounded(c, 1, &s);
    assert_failed(c, st, COORD_ERR_TRANSPORT, 0, 3, "Couldn't connect to server");
    assert_logged(logs.by_level[COORD_LOG_WARN] == 2); /* two retries */
    assert_logged(logs.by_level[COORD_LOG_ERROR] == 1);
    done(c);
}

static void accept_then_close(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"accept_close\",\"count\":3}");
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_TRANSPORT, 0, 3, "Empty reply from server");
    assert_int_equal(sim_api_requests(), 3);
    done(c);
}

static void reset_mid_body(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"reset\",\"keep\":10}");
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_TRANSPORT, 200, 1, "Connection reset by peer");
    assert_int_equal(s.id, 0);
    done(c);
}

static void slow_headers(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    /* within the timeout: a slow server is still a server */
    sim_fault("{\"mode\":\"slow_headers\",\"seconds\":0.5}");
    assert_int_equal(coord_client_set_timeouts(c, 5000, 10000), COORD_OK);
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_true(sim_now_s() - t0 >= 0.4); /* the server's own pauses */
    assert_true(sim_now_s() - t0 < 8.0);
    assert_billed(&s, id);
    /* beyond it: the total timeout cuts the call */
    sim_fault("{\"mode\":\"slow_headers\",\"seconds\":20}");
    assert_int_equal(coord_client_set_timeouts(c, 500, 1000), COORD_OK);
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_TIMEOUT, 200, 1, "timed out after");
    done(c);
}

static void trickled_body(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"trickle\",\"bytes\":16,\"interval\":0.02}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_true(sim_now_s() - t0 < 8.0);
    assert_billed(&s, id);
    /* a body slower than the total timeout: no low-speed trick needed */
    sim_fault("{\"mode\":\"trickle\",\"bytes\":1,\"interval\":0.2}");
    assert_int_equal(coord_client_set_timeouts(c, 500, 1000), COORD_OK);
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_TIMEOUT, 200, 1, "timed out after");
    done(c);
}

static void never_answers(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"hang\",\"seconds\":30,\"count\":3}");
    assert_int_equal(coord_client_set_timeouts(c, 300, 600), COORD_OK);
    coord_status st = end_bounded(c, seed(), &s);
    /* the first attempt used the whole call's time: no retry */
    assert_failed(c, st, COORD_ERR_TIMEOUT, 0, 1, "timed out after");
    done(c);
}

static void truncated_json(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"truncate\",\"keep\":16}");
    coord_status st = end_bounded(c, seed(), &s);
    /* the answer was lost on the way: a transport failure, retryable */
    /* the status line came: it is kept */
    assert_failed(c, st, COORD_ERR_TRANSPORT, 200, 1, "transfer closed with");
    done(c);
}

/* ---- HTTP statuses ---- */

static void html_502_page(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"status\",\"status\":502,\"content_type\":\"text/html\","
              "\"body\":\"<html><body><h1>502 Bad Gateway</h1></body></html>\"}");
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_SERVER, 502, 1,
                  "HTTP 502 (text/html) without a Coord error body");
    assert_int_equal(coord_client_last_error(c)->has_api_error, 0);
    done(c);
}

static void status_503_retry_after_seconds(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"throttle\",\"status\":503,\"retry_after\":1}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    double took = sim_now_s() - t0;
    assert_true(took >= 0.95); /* the SDK's own wait: cannot be shorter */
    assert_true(took < 5.0);
    assert_billed(&s, id);
    assert_int_equal(coord_client_last_error(c)->attempts, 2);
    assert_int_equal(sim_api_requests(), 2);
    assert_logged(strstr(logs.text, "retry PUT /v1/access/parking/" LOT "/session/") != NULL);
    assert_logged(strstr(logs.text, "in 1000 ms after COORD_ERR_SERVER: HTTP 503") != NULL);
    done(c);
}

static void status_429_retry_after_http_date(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = seed();
    (void)state;

    /* the date is 3 s ahead when sent; whole seconds make the wait 2..3 s */
    sim_fault("{\"mode\":\"throttle\",\"status\":429,\"retry_after\":3,\"http_date\":true}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    double took = sim_now_s() - t0;
    assert_true(took >= 1.0);
    assert_true(took < 8.0);
    assert_billed(&s, id);
    assert_int_equal(coord_client_last_error(c)->attempts, 2);
    assert_logged(strstr(logs.text, "after COORD_ERR_RATE_LIMITED: HTTP 429") != NULL);
    done(c);
}

static void status_500_with_secrets_in_the_body(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    char fault[512];
    (void)state;

    /* a server that echoes the key and the token: both must be redacted */
    snprintf(fault, sizeof(fault),
             "{\"mode\":\"status\",\"status\":500,\"count\":3,\"body\":"
             "\"{\\\"code\\\":500,\\\"message\\\":\\\"db down; key %s token %s\\\"}\"}",
             sim_key(), TOKEN);
    sim_fault(fault);
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_SERVER, 500, 3,
                  "HTTP 500: db down; key [redacted] token [redacted] (code 500)");
    assert_string_equal(coord_client_last_error(c)->api_message,
                        "db down; key [redacted] token [redacted]");
    assert_int_equal(sim_api_requests(), 3);
    assert_logged(strstr(logs.text, "key [redacted] token [redacted]") != NULL);
    done(c);
}

/* ---- bodies ---- */

static void wrong_content_type(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    /* decided: a valid session is accepted whatever its label; the strict
     * decoder, not the header, judges a body */
    sim_fault("{\"mode\":\"content_type\",\"content_type\":\"text/plain\"}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_true(sim_now_s() - t0 < 5.0);
    assert_billed(&s, id);
    done(c);
}

static void body_over_the_size_cap(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    char fault[8192], pad[5001];
    (void)state;

    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(fault, sizeof(fault), "{\"mode\":\"status\",\"status\":200,\"count\":3,"
             "\"body\":\"{\\\"id\\\":1,\\\"pad\\\":\\\"%s\\\"}\"}", pad);
    sim_fault(fault);
    assert_int_equal(coord_client_set_max_response_size(c, 4096), COORD_OK);
    coord_status st = end_bounded(c, 1, &s);
    assert_failed(c, st, COORD_ERR_RESPONSE_TOO_LARGE, 200, 1, "response larger than 4096 bytes");
    done(c);
}

static void invalid_utf8_in_a_string(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"invalid_utf8\",\"field\":\"user_id\"}");
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_BAD_RESPONSE, 200, 1, "field user_id: invalid UTF-8");
    assert_int_equal(s.id, 0);
    done(c);
}

static void deeply_nested_json(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = seed();
    (void)state;

    /* within cJSON's nesting limit, an unknown member is skipped */
    sim_fault("{\"mode\":\"nested\",\"depth\":500}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_billed(&s, id);
    /* beyond it (1000), the answer is refused, without a deep recursion */
    sim_fault("{\"mode\":\"nested\",\"depth\":100000}");
    coord_status st = end_bounded(c, seed(), &s);
    assert_failed(c, st, COORD_ERR_BAD_RESPONSE, 200, 1, "invalid JSON near byte");
    done(c);
}

static void duplicate_keys(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"status\",\"status\":200,"
              "\"body\":\"{\\\"id\\\":1,\\\"user_id\\\":\\\"a\\\",\\\"id\\\":2}\"}");
    coord_status st = end_bounded(c, 1, &s);
    assert_failed(c, st, COORD_ERR_BAD_RESPONSE, 200, 1, "field id: appears twice");
    done(c);
}

static void out_of_range_numbers(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"status\",\"status\":200,"
              "\"body\":\"{\\\"id\\\":1,\\\"billing_info\\\":{\\\"cost\\\":"
              "{\\\"amount\\\":9007199254740993,\\\"currency\\\":\\\"USD\\\"}}}\"}");
    coord_status st = end_bounded(c, 1, &s);
    assert_failed(c, st, COORD_ERR_BAD_RESPONSE, 200, 1,
                  "field billing_info.cost.amount: integer outside +/-(2^53 - 1)");
    done(c);
}

static void chunked_transfer_encoding(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"chunked\",\"bytes\":7}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_true(sim_now_s() - t0 < 5.0);
    assert_billed(&s, id);
    assert_string_equal(s.user_id, "00000000-0000-0000-0000-000000000000");
    done(c);
}

static void gzip_content_encoding(void **state)
{
    coord_client *c = client(1);
    coord_session s;
    char accept[256];
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"gzip\"}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_true(sim_now_s() - t0 < 5.0);
    assert_billed(&s, id);
    assert_int_equal(sim_last_request("headers", "accept-encoding", accept, sizeof(accept)), 0);
    assert_non_null(strstr(accept, "gzip"));
    /* 2 MB that compress to a few KB: the cap applies to the decoded size */
    sim_fault("{\"mode\":\"gzip\",\"pad_bytes\":2000000}");
    coord_status st = coord_end_session(c, LOT, seed(), &s);
    assert_failed(c, st, COORD_ERR_RESPONSE_TOO_LARGE, 200, 1,
                  "response larger than 1048576 bytes");
    done(c);
}

/* ---- replay-safe end ---- */

static void end_then_drop_is_recovered(void **state)
{
    coord_client *c = client(3);
    coord_session s;
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"end_then_drop\"}");
    double t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_true(sim_now_s() - t0 < 5.0);
    assert_billed(&s, id); /* one charge, and the caller has the bill */
    assert_int_equal(s.recovered, 1);
    /* PUT (answer lost), PUT (409), GET */
    assert_int_equal(coord_client_last_error(c)->attempts, 3);
    assert_int_equal(sim_api_requests(), 3);
    assert_logged(strstr(logs.text, "request GET /v1/access/parking/" LOT "/session/") != NULL);
    done(c);
}

static void no_secret_was_ever_logged(void **state)
{
    (void)state;
    /* the suite above ran with logging on; it must have said something */
#ifdef COORD_MINIMAL
    assert_int_equal(total_messages, 0);
#else
    assert_true(total_messages >= 50);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(connection_refused, setup),
        cmocka_unit_test_setup(accept_then_close, setup),
        cmocka_unit_test_setup(reset_mid_body, setup),
        cmocka_unit_test_setup(slow_headers, setup),
        cmocka_unit_test_setup(trickled_body, setup),
        cmocka_unit_test_setup(never_answers, setup),
        cmocka_unit_test_setup(truncated_json, setup),
        cmocka_unit_test_setup(html_502_page, setup),
        cmocka_unit_test_setup(status_503_retry_after_seconds, setup),
        cmocka_unit_test_setup(status_429_retry_after_http_date, setup),
        cmocka_unit_test_setup(status_500_with_secrets_in_the_body, setup),
        cmocka_unit_test_setup(wrong_content_type, setup),
        cmocka_unit_test_setup(body_over_the_size_cap, setup),
        cmocka_unit_test_setup(invalid_utf8_in_a_string, setup),
        cmocka_unit_test_setup(deeply_nested_json, setup),
        cmocka_unit_test_setup(duplicate_keys, setup),
        cmocka_unit_test_setup(out_of_range_numbers, setup),
        cmocka_unit_test_setup(chunked_transfer_encoding, setup),
        cmocka_unit_test_setup(gzip_content_encoding, setup),
        cmocka_unit_test_setup(end_then_drop_is_recovered, setup),
        cmocka_unit_test(no_secret_was_ever_logged),
    };
    return cmocka_run_group_tests_name("faults (simulator, logging on)", tests, sim_group_setup,
                                       sim_group_teardown);
}
