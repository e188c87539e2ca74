/* A hostile or broken server against the SDK, over real loopback
 * HTTP (the simulator's fault modes). Secrets echoed in any spelling never
 * reach the error record or the log; header blocks past the limits are bad
 * answers, not out of memory; the size cap is on the decoded body; a status
 * line that came stays in the record; an answer about another session is
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "coord/coord.h"
#include "sim_client.h"

#define LOT "LOT-H"

/* Keys with_sim.sh makes the simulator accept besides COORD_SIM_KEY. */
static const char *odd_key(void)
{
    const char *key = getenv("COORD_SIM_ODD_KEY");

    assert_non_null(key); /* run through tests/sim/with_sim.sh */
    return key;
}

static const char *digit_key(void)
{
    const char *key = getenv("COORD_SIM_DIGIT_KEY");

    assert_non_null(key);
    return key;
}

/* Every log line of the current test, one per line. */
static char logged[16384];

static void on_log(coord_log_level level, const char *message, void *user_data)
{
    size_t len = strlen(logged);

    (void)level;
    (void)user_data;
    snprintf(logged + len, sizeof(logged) - len, "%s\n", message);
}

static coord_client *client_with(const char *key, const char *token)
{
    coord_client *c = NULL;

    assert_int_equal(coord_client_new(sim_api_base(), key, &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, token), COORD_OK);
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
    assert_int_equal(coord_client_set_retry(c, 3, 10, 50), COORD_OK);
    return c;
}

/* Neither the record nor any log line holds text. */
static void assert_nowhere(const coord_client *c, const char *text)
{
    const coord_error *e = coord_client_last_error(c);

    if (strstr(e->detail, text) != NULL || strstr(e->api_message, text) != NULL ||
        strstr(logged, text) != NULL)
        fail_msg("\"%s\" leaked: detail \"%s\", api_message \"%s\", log:\n%s", text,
                 e->detail, e->api_message, logged);
}

/* Arm a fault answering the next `count` requests with `status` and a
 * Coord error body carrying message. */
static void fault_saying_times(int status, const char *message, int count)
{
    cJSON *fault = cJSON_CreateObject(), *body = cJSON_CreateObject();
    char *body_text, *fault_text;

    cJSON_AddNumberToObject(body, "code", status);
    cJSON_AddStringToObject(body, "message", message);
    body_text = cJSON_PrintUnformatted(body);
    cJSON_AddStringToObject(fault, "mode", "status");
    cJSON_AddNumberToObject(fault, "status", status);
    cJSON_AddStringToObject(fault, "body", body_text);
    cJSON_AddNumberToObject(fault, "count", count);
    fault_text = cJSON_PrintUnformatted(fault);
    sim_fault(fault_text);
    cJSON_free(fault_text);
    cJSON_free(body_text);
    cJSON_Delete(fault);
    cJSON_Delete(body);
}

static void fault_saying(int status, const char *message)
{
    fault_saying_times(status, message, 1);
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    logged[0] = '\0';
    return 0;
}

/* The simulator takes a key with reserved characters and a space: it
 * travels escaped and arrives as it is. */
static void a_key_with_reserved_characters_travels(void **state)
{
    coord_client *c = client_with(odd_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    char sent[256];
    (void)state;

    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    assert_int_equal(sim_last_request("query", "access_key", sent, sizeof(sent)), 0);
    assert_string_equal(sent, odd_key());
    assert_nowhere(c, "access_key=");
    coord_client_free(c);
}

/* A Retry-After that echoes the key (a key of digits is a valid
 * delay, beyond the cap) was appended to the detail after redaction. */
static void a_retry_after_echoing_the_key_is_redacted(void **state)
{
    coord_client *c = client_with(digit_key(), sim_user_token());
    coord_session s;
    char fault[256];
    (void)state;

    snprintf(fault, sizeof(fault),
             "{\"mode\":\"status\",\"status\":503,\"headers\":{\"Retry-After\":\"%s\"}}",
             digit_key());
    sim_fault(fault);
    assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_SERVER);
    assert_string_equal(coord_client_last_error(c)->detail,
                        "HTTP 503: simulated fault (code 503); "
                        "Retry-After [redacted] s is beyond the cap");
    assert_int_equal(coord_client_last_error(c)->attempts, 1);
    assert_nowhere(c, digit_key());
#ifndef COORD_MINIMAL /* the firmware build has no log text */
    assert_non_null(strstr(logged, "Retry-After [redacted] s is beyond the cap"));
#endif
    coord_client_free(c);
}

/* The key echoed the way servers and their frameworks re-encode
 * it. The same for the bearer token. */
static void every_spelling_of_the_key_is_redacted(void **state)
{
    static const char *const echoes[] = {
        "K3Y+S/cr=t&zq 81",           /* raw */
        "K3Y%2BS%2Fcr%3Dt%26zq%2081", /* as the SDK sent it */
        "K3Y%2bS%2fcr%3dt%26zq%2081", /* lower-case hex */
        "K3Y%2BS%2Fcr%3Dt%26zq+81",   /* form encoding */
    };
    coord_client *c = client_with(odd_key(), sim_user_token());
    coord_session s;
    char message[256];
    (void)state;

    assert_string_equal(odd_key(), echoes[0]);
    for (size_t i = 0; i < sizeof(echoes) / sizeof(echoes[0]); i++) {
        logged[0] = '\0';
        snprintf(message, sizeof(message), "bad key %s.", echoes[i]);
        fault_saying(400, message);
        assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_REFUSED);
        assert_string_equal(coord_client_last_error(c)->api_message, "bad key [redacted].");
        assert_string_equal(coord_client_last_error(c)->detail,
                            "HTTP 400: bad key [redacted]. (code 400)");
        for (size_t j = 0; j < sizeof(echoes) / sizeof(echoes[0]); j++)
            assert_nowhere(c, echoes[j]);
        assert_nowhere(c, "zq");
    }
    coord_client_free(c);
}

static void every_spelling_of_the_token_is_redacted(void **state)
{
    static const char token[] = "tok+en/x=y z";
    static const char *const echoes[] = {
        "tok+en/x=y z", "tok%2Ben%2Fx%3Dy%20z", "tok%2ben%2fx%3dy+z",
        "%74%6F%6B%2B%65%6E%2F%78%3D%79%20%7A",
    };
    coord_client *c = client_with(sim_key(), token);
    coord_session s;
    char message[256];
    (void)state;

    for (size_t i = 0; i < sizeof(echoes) / sizeof(echoes[0]); i++) {
        logged[0] = '\0';
        snprintf(message, sizeof(message), "token %s refused", echoes[i]);
        fault_saying(401, message);
        assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_UNAUTHORIZED);
        assert_string_equal(coord_client_last_error(c)->api_message,
                            "token [redacted] refused");
        assert_nowhere(c, echoes[i]);
        assert_nowhere(c, "en/x");
    }
    coord_client_free(c);
}

/* A non-blocking call sends the token it was started with. When the
 * client's token is replaced or cleared while the call is in flight, an
 * answer echoing the token it sent reaches neither the retry (WARN) nor
 * the failure (ERROR) log line, nor the call's record. */
typedef struct echoed {
    int calls;
    coord_status status;
    coord_error error;
} echoed;

static void on_echoed(coord_call *call, coord_status status, const coord_error *error,
                      const coord_session *session, void *user_data)
{
    echoed *r = user_data;

    (void)call;
    (void)session;
    r->calls++;
    r->status = status;
    r->error = *error;
}

static void a_token_changed_in_flight_stays_out_of_the_log(void **state)
{
    static const char *const next_token[] = {"a-later-token-0123456789", NULL};
    char message[1024];
    (void)state;

    snprintf(message, sizeof(message), "auth was Bearer %s", sim_user_token());
    for (size_t i = 0; i < sizeof(next_token) / sizeof(next_token[0]); i++) {
        coord_client *c = client_with(sim_key(), sim_user_token());
        coord_loop *loop = NULL;
        echoed r;

        logged[0] = '\0';
        memset(&r, 0, sizeof(r));
        assert_int_equal(coord_loop_new(&loop), COORD_OK);
        fault_saying_times(503, message, 3); /* every attempt of the call */
        assert_int_equal(coord_session_get_async(loop, c, LOT, 1, on_echoed, &r, NULL),
                         COORD_OK);
        assert_int_equal(coord_client_set_bearer_token(c, next_token[i]), COORD_OK);
        assert_int_equal(coord_loop_run(loop), COORD_OK);
        assert_int_equal(r.calls, 1);
        assert_int_equal(r.status, COORD_ERR_SERVER);
        assert_int_equal(r.error.attempts, 3);
        assert_string_equal(r.error.api_message, "auth was Bearer [redacted]");
#ifndef COORD_MINIMAL /* the firmware build has no log text */
        assert_non_null(strstr(logged, "retry GET"));
        assert_non_null(strstr(logged, "failed after 3 attempt(s)"));
        assert_non_null(strstr(logged, "auth was Bearer [redacted]"));
#endif
        if (strstr(logged, sim_user_token()) != NULL || strstr(r.error.detail, sim_user_token()))
            fail_msg("the token sent leaked (%s): detail \"%s\", log:\n%s",
                     next_token[i] != NULL ? "replaced" : "cleared", r.error.detail, logged);
        coord_loop_free(loop);
        coord_client_free(c);
    }
}

/* Arm a fault answering 200 with body (a JSON text). */
static void fault_answering(const char *body)
{
    cJSON *fault = cJSON_CreateObject();
    char *text;

    cJSON_AddStringToObject(fault, "mode", "status");
    cJSON_AddNumberToObject(fault, "status", 200);
    cJSON_AddStringToObject(fault, "body", body);
    text = cJSON_PrintUnformatted(fault);
    sim_fault(text);
    cJSON_free(text);
    cJSON_Delete(fault);
}

static void assert_record(const coord_client *c, coord_status want, int http, int attempts,
                          const char *detail)
{
    const coord_error *e = coord_client_last_error(c);

    assert_string_equal(coord_status_name((coord_status)e->status), coord_status_name(want));
    assert_int_equal(e->http_status, http);
    assert_int_equal(e->attempts, attempts);
    if (strstr(e->detail, detail) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", e->detail, detail);
}

/* libcurl 7.88 reports a header line over its 100 KiB limit as out
 * of memory; a server could fake a shortage with one. A bad answer, not
 * retried. */
static void a_huge_header_line_is_a_bad_answer(void **state)
{
    coord_client *c = client_with(sim_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"big_header\",\"bytes\":1048576,\"count\":3}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_BAD_RESPONSE);
    assert_record(c, COORD_ERR_BAD_RESPONSE, 200, 1, "header line longer than libcurl takes");
    assert_int_equal(sim_api_requests(), 1);
    /* a line under libcurl's limit but past the block's: the same verdict */
    sim_fault("{\"mode\":\"big_header\",\"bytes\":80000,\"count\":3}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_BAD_RESPONSE);
    assert_record(c, COORD_ERR_BAD_RESPONSE, 200, 1, "header lines passed 65536 bytes");
    coord_client_free(c);
}

/* 100,000 small headers were a transport error, retried three
 * times. */
static void a_hundred_thousand_headers_are_a_bad_answer(void **state)
{
    coord_client *c = client_with(sim_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"many_headers\",\"headers\":100000,\"count\":3}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_BAD_RESPONSE);
    assert_record(c, COORD_ERR_BAD_RESPONSE, 200, 1, "header lines passed 65536 bytes");
    assert_int_equal(sim_api_requests(), 1);
    /* a few hundred headers are an answer like any other */
    sim_fault("{\"mode\":\"many_headers\",\"headers\":300}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    coord_client_free(c);
}

/* The cap is on the decoded body. A stored gzip body of 4,113
 * bytes decoding to 4,090 fits a 4,096-byte cap; 4,097 decoded bytes do not. */
static void the_cap_is_on_the_decoded_body(void **state)
{
    coord_client *c = client_with(sim_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    (void)state;

    assert_int_equal(coord_client_set_max_response_size(c, 4096), COORD_OK);
    sim_fault("{\"mode\":\"gzip\",\"decoded_bytes\":4090,\"level\":0}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    sim_fault("{\"mode\":\"gzip\",\"decoded_bytes\":4096,\"level\":0}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    sim_fault("{\"mode\":\"gzip\",\"decoded_bytes\":4097,\"level\":0}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_RESPONSE_TOO_LARGE);
    assert_record(c, COORD_ERR_RESPONSE_TOO_LARGE, 200, 1, "response larger than 4096 bytes");
    coord_client_free(c);
}

/* A length no answer within the cap could have, encoded or not,
 * is refused at once, before any of the body; the server would hold the
 * connection for 5 s. For a 4,096-byte cap that is over 4,096 + 4,096 / 8
 * + 1,024 = 5,632 bytes (gzip may be longer than what it decodes to). */
static void a_length_beyond_any_allowed_answer_is_refused_at_once(void **state)
{
    static const char *const faults[] = {
        "{\"mode\":\"declared_length\",\"length\":5633,\"gzip\":true,\"seconds\":5}",
        "{\"mode\":\"declared_length\",\"length\":1000000,\"seconds\":5}",
    };
    coord_client *c = client_with(sim_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    (void)state;

    assert_int_equal(coord_client_set_max_response_size(c, 4096), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(c, 2000, 4000), COORD_OK);
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        double t0 = sim_now_s();

        sim_fault(faults[i]);
        assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_RESPONSE_TOO_LARGE);
        assert_true(sim_now_s() - t0 < 2.0); /* not the 4 s timeout */
        assert_record(c, COORD_ERR_RESPONSE_TOO_LARGE, 200, 1, "response larger than 4096");
    }
    coord_client_free(c);
}

/* A status line that came stays in the record when the answer
 * then fails; a cut-off answer is still retried, and a cut-off end still
 * recovered. */
static void the_status_line_that_came_is_kept(void **state)
{
    coord_client *c = client_with(sim_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    (void)state;

    sim_fault("{\"mode\":\"truncate\",\"keep\":16,\"count\":3}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_TRANSPORT);
    assert_record(c, COORD_ERR_TRANSPORT, 200, 3, "transfer closed with");
    assert_int_equal(coord_client_set_max_response_size(c, 1024), COORD_OK);
    sim_fault("{\"mode\":\"gzip\",\"decoded_bytes\":2000}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_RESPONSE_TOO_LARGE);
    assert_record(c, COORD_ERR_RESPONSE_TOO_LARGE, 200, 1, "response larger than 1024");
    /* the end happened, its answer was cut off: the retry's 409 recovers it */
    sim_fault("{\"mode\":\"truncate\",\"keep\":16}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    assert_int_equal(s.recovered, 1);
    assert_int_equal(s.has_end_time, 1);
    coord_client_free(c);
}

/* An answer about another session (another id, another
 * location) was taken as the one asked about. The lists are excepted. */
static void an_answer_about_another_session_is_refused(void **state)
{
    coord_client *c = client_with(sim_key(), sim_user_token());
    char mine[2048], other[2048], elsewhere[2048], *at;
    coord_session_list list;
    coord_session s;
    cJSON *moved;
    int64_t id, other_id;
    (void)state;

    sim_location("LOT-ELSEWHERE", 200, 0, 0);
    id = sim_session(LOT, 10, 0, mine, sizeof(mine));
    other_id = sim_session(LOT, 10, 0, other, sizeof(other));
    /* this session's JSON, at another location */
    moved = cJSON_Parse(mine);
    assert_non_null(moved);
    cJSON_ReplaceItemInObject(moved, "location_id", cJSON_CreateString("LOT-ELSEWHERE"));
    at = cJSON_PrintUnformatted(moved);
    snprintf(elsewhere, sizeof(elsewhere), "%s", at);
    cJSON_free(at);
    cJSON_Delete(moved);

    fault_answering(other);
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_BAD_RESPONSE);
    assert_record(c, COORD_ERR_BAD_RESPONSE, 200, 1, "the answer is session");
    assert_int_equal(s.id, 0); /* zeroed */
    fault_answering(elsewhere);
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_BAD_RESPONSE);
    assert_record(c, COORD_ERR_BAD_RESPONSE, 200, 1, "another location than " LOT);
    fault_answering(other);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_ERR_BAD_RESPONSE);
    fault_answering(elsewhere);
    assert_int_equal(coord_session_create(c, LOT, NULL, &s), COORD_ERR_BAD_RESPONSE);
    assert_record(c, COORD_ERR_BAD_RESPONSE, 200, 1, "another location than " LOT);
    /* the session asked about, and a new one, are answers */
    fault_answering(mine);
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    fault_answering(other);
    assert_int_equal(coord_session_create(c, LOT, NULL, &s), COORD_OK);
    assert_int_equal(s.id, other_id);
    /* a list holds other sessions, at every location for the user's */
    sim_session("LOT-ELSEWHERE", 10, 0, NULL, 0);
    assert_int_equal(coord_session_list_user(c, &list), COORD_OK);
    assert_int_equal(list.count, 3);
    coord_session_list_free(&list);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_key_with_reserved_characters_travels, setup),
        cmocka_unit_test_setup(a_retry_after_echoing_the_key_is_redacted, setup),
        cmocka_unit_test_setup(every_spelling_of_the_key_is_redacted, setup),
        cmocka_unit_test_setup(every_spelling_of_the_token_is_redacted, setup),
        cmocka_unit_test_setup(a_token_changed_in_flight_stays_out_of_the_log, setup),
        cmocka_unit_test_setup(a_huge_header_line_is_a_bad_answer, setup),
        cmocka_unit_test_setup(a_hundred_thousand_headers_are_a_bad_answer, setup),
        cmocka_unit_test_setup(the_cap_is_on_the_decoded_body, setup),
        cmocka_unit_test_setup(a_length_beyond_any_allowed_answer_is_refused_at_once, setup),
        cmocka_unit_test_setup(the_status_line_that_came_is_kept, setup),
        cmocka_unit_test_setup(an_answer_about_another_session_is_refused, setup),
    };
    return cmocka_run_group_tests_name("hostile server (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
