/* The session lifecycle over real loopback HTTP against the
 * simulator: test tokens, create, get, lists, barcode, redemption, wait. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

#define KIOSK "kiosk@example.com"

static coord_client *anonymous_client(void)
{
    coord_client *c = NULL;
    assert_int_equal(coord_client_new(sim_api_base(), sim_key(), &c), COORD_OK);
    return c;
}

/* A client acting as the test user `email`, its token from coord_test_create_jwt. */
static coord_client *user_client(const char *email)
{
    coord_client *c = anonymous_client();
    char token[COORD_TOKEN_MAX];

    assert_int_equal(coord_test_create_jwt(c, email, NULL, token, sizeof(token)), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, token), COORD_OK);
    memset(token, 0, sizeof(token));
    return c;
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location("LOT-1", 350, 0, 0);
    sim_location("LOT-2", 200, 0, 0);
    sim_location("GATE-1", 350, 1, 0);
    return 0;
}

static void assert_error(const coord_client *c, coord_status st, int http, int api_code)
{
    const coord_error *e = coord_client_last_error(c);
    assert_int_equal(e->status, st);
    assert_int_equal(e->http_status, http);
    if (api_code != 0) {
        assert_int_equal(e->has_api_error, 1);
        assert_int_equal(e->api_code, api_code);
    }
    assert_true(strlen(e->detail) > 0);
}

/* ---- create_jwt ---- */

static void create_jwt_and_act_as_the_user(void **state)
{
    coord_client *c = anonymous_client();
    char token[COORD_TOKEN_MAX], req[8192], want[COORD_TOKEN_MAX + 16];
    coord_session s;
    (void)state;

    /* a token already set on the client is not sent to create_jwt */
    assert_int_equal(coord_client_set_bearer_token(c, "previous.user.token"), COORD_OK);
    assert_int_equal(coord_test_create_jwt(c, KIOSK, "ext-42", token, sizeof(token)), COORD_OK);
    assert_non_null(strchr(token, '.'));
    assert_int_equal(sim_last_request(NULL, "path", req, sizeof(req)), 0);
    assert_string_equal(req, "/v1/users/testing/create_jwt");
    assert_int_equal(sim_last_request("query", "access_key", req, sizeof(req)), 0);
    assert_string_equal(req, sim_key());
    assert_int_equal(sim_last_request("headers", "authorization", req, sizeof(req)), -1);
    assert_int_equal(sim_last_request(NULL, "body", req, sizeof(req)), 0);
    assert_string_equal(req, "{\"email\":\"kiosk@example.com\",\"external_uid\":\"ext-42\"}");

    assert_int_equal(coord_client_set_bearer_token(c, token), COORD_OK);
    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &s), COORD_OK);
    assert_int_equal(sim_last_request("headers", "authorization", req, sizeof(req)), 0);
    snprintf(want, sizeof(want), "Bearer %s", token);
    assert_string_equal(req, want);
    assert_int_equal(strlen(s.user_id), 36); /* a UUID */
    coord_client_free(c);
}

static void create_jwt_errors(void **state)
{
    coord_client *c = anonymous_client(), *bad_key = NULL;
    char token[COORD_TOKEN_MAX], tiny[16];
    long conn0, req0, conn1, req1;
    (void)state;

    /* the server refuses what the SDK lets through: an e-mail with a space */
    assert_int_equal(coord_test_create_jwt(c, "a b@example.com", NULL, token, sizeof(token)),
                     COORD_ERR_REFUSED);
    assert_error(c, COORD_ERR_REFUSED, 400, 400);
    assert_string_equal(token, "");

    assert_int_equal(coord_client_new(sim_api_base(), "sandbox-wrong", &bad_key), COORD_OK);
    assert_int_equal(coord_test_create_jwt(bad_key, KIOSK, NULL, token, sizeof(token)),
                     COORD_ERR_UNAUTHORIZED);
    assert_error(bad_key, COORD_ERR_UNAUTHORIZED, 403, 403);
    sim_assert_no_secret(bad_key, "sandbox-wrong");
    coord_client_free(bad_key);

    /* a buffer too small: the token is never quoted, the buffer is wiped */
    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(coord_test_create_jwt(c, KIOSK, NULL, tiny, sizeof(tiny)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "needs"));
    assert_null(strstr(coord_client_last_error(c)->detail, "eyJ"));
    assert_int_equal(tiny[0], 0);

    /* a 200 without a usable token */
    sim_fault("{\"mode\":\"status\",\"status\":200,\"body\":\"{\\\"token\\\":\\\"x\\\"}\"}");
    assert_int_equal(coord_test_create_jwt(c, KIOSK, NULL, token, sizeof(token)),
                     COORD_ERR_BAD_RESPONSE);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "jwt_token: missing"));

    sim_stats(&conn0, &req0);
    assert_int_equal(coord_test_create_jwt(c, "no-at-sign", NULL, token, sizeof(token)),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_test_create_jwt(c, KIOSK, NULL, NULL, 10), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_test_create_jwt(c, KIOSK, NULL, token, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_test_create_jwt(NULL, KIOSK, NULL, token, sizeof(token)),
                     COORD_ERR_INVALID_ARGUMENT);
    sim_stats(&conn1, &req1);
    assert_int_equal(req1 - req0, 1); /* only the stats call */
    coord_client_free(c);
}

/* ---- create, get, end ---- */

static void create_runs_at_once_and_one_active_per_location(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session s, again, ended;
    char req[1024];
    (void)state;

    assert_int_equal(coord_session_create(c, "LOT-1", "stall-3", &s), COORD_OK);
    assert_true(s.id > 0);
    assert_string_equal(s.location_id, "LOT-1");
    assert_string_equal(s.resource_id, "stall-3");
    assert_int_equal(s.has_start_time, 1);
    assert_int_equal(s.has_end_time, 0);
    assert_int_equal(s.has_redemption_info, 0);
    assert_int_equal(sim_last_request(NULL, "method", req, sizeof(req)), 0);
    assert_string_equal(req, "POST");
    assert_int_equal(sim_last_request(NULL, "body", req, sizeof(req)), 0);
    assert_string_equal(req, "{\"resource_id\":\"stall-3\"}");
    assert_int_equal(sim_last_request("headers", "content-type", req, sizeof(req)), 0);
    assert_string_equal(req, "application/json");

    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &again), COORD_ERR_SESSION_ACTIVE);
    assert_error(c, COORD_ERR_SESSION_ACTIVE, 409, COORD_API_CODE_SESSION_ACTIVE);
    assert_int_equal(again.id, 0);
    /* another location is fine */
    assert_int_equal(coord_session_create(c, "LOT-2", NULL, &again), COORD_OK);

    assert_int_equal(coord_session_end(c, &s, &ended), COORD_OK);
    assert_int_equal(ended.has_billing_info, 1);
    assert_int_equal(ended.billing_info.cost.amount, 0); /* under a minute */
    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &again), COORD_OK);
    assert_true(again.id > s.id);

    assert_int_equal(coord_session_create(c, "NO-SUCH-LOT", NULL, &again), COORD_ERR_NOT_FOUND);
    assert_error(c, COORD_ERR_NOT_FOUND, 404, 404);
    assert_int_equal(coord_session_create(c, "LOT-1", "", &again), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_create(c, "LOT-1", NULL, NULL), COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

static void user_calls_need_a_valid_token(void **state)
{
    coord_client *c = anonymous_client();
    coord_session s;
    coord_session_list list;
    coord_redemption_info b;
    char expired[COORD_TOKEN_MAX];
    (void)state;

    int64_t id = sim_session("LOT-1", 5, 0, NULL, 0);
    /* first round: no token, refused before sending (http_status 0, no
     * attempt); second: an expired one, refused by the server (401) */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(coord_session_create(c, "LOT-1", NULL, &s), COORD_ERR_UNAUTHORIZED);
        assert_error(c, COORD_ERR_UNAUTHORIZED, round == 0 ? 0 : 401, round == 0 ? 0 : 401);
        assert_int_equal(coord_client_last_error(c)->attempts, round == 0 ? 0 : 1);
        assert_int_equal(coord_session_get(c, "LOT-1", id, &s), COORD_ERR_UNAUTHORIZED);
        assert_int_equal(coord_end_session(c, "LOT-1", id, &s), COORD_ERR_UNAUTHORIZED);
        assert_int_equal(coord_session_list_location(c, "LOT-1", &list), COORD_ERR_UNAUTHORIZED);
        assert_int_equal(coord_session_list_user(c, &list), COORD_ERR_UNAUTHORIZED);
        assert_int_equal(coord_barcode_create(c, &b), COORD_ERR_UNAUTHORIZED);
        assert_int_equal(coord_test_simulate_redemption(c, "LOT-1", id, 5, &s),
                         COORD_ERR_UNAUTHORIZED);
        assert_int_equal(coord_client_last_error(c)->http_status, round == 0 ? 0 : 401);
        /* second round: an expired token */
        sim_token("{\"email\":\"" KIOSK "\",\"expires_in\":-1}", expired, sizeof(expired));
        assert_int_equal(coord_client_set_bearer_token(c, expired), COORD_OK);
    }
    sim_assert_no_secret(c, expired);
    coord_client_free(c);
}

static void get_sees_only_the_users_sessions(void **state)
{
    coord_client *c = user_client(KIOSK), *other = user_client("other@example.com");
    coord_session created, s;
    char req[512];
    (void)state;

    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &created), COORD_OK);
    assert_int_equal(coord_session_get(c, "LOT-1", created.id, &s), COORD_OK);
    assert_int_equal(s.id, created.id);
    assert_string_equal(s.start_time, created.start_time);
    assert_int_equal(s.has_end_time, 0);
    assert_int_equal(sim_last_request(NULL, "method", req, sizeof(req)), 0);
    assert_string_equal(req, "GET");

    assert_int_equal(coord_session_get(other, "LOT-1", created.id, &s), COORD_ERR_NOT_FOUND);
    assert_error(other, COORD_ERR_NOT_FOUND, 404, 404);
    assert_int_equal(coord_end_session(other, "LOT-1", created.id, &s), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_session_get(c, "LOT-1", created.id + 1, &s), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_session_get(c, "LOT\n1", 1, &s), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_get(c, "LOT-1", 1, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_get(NULL, "LOT-1", 1, &s), COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
    coord_client_free(other);
}

/* ---- lists ---- */

static void lists_keep_order_and_find_the_active_one(void **state)
{
    coord_client *c = user_client(KIOSK), *other = user_client("other@example.com");
    coord_session a, b, x, ended;
    coord_session_list list;
    const coord_session *active;
    (void)state;

    assert_int_equal(coord_session_list_location(c, "LOT-1", &list), COORD_OK);
    assert_int_equal(list.count, 0);
    assert_null(list.sessions);
    assert_int_equal(coord_session_list_find_active(&list, NULL, &active), COORD_ERR_NOT_FOUND);
    coord_session_list_free(&list);
    assert_int_equal(coord_session_list_user(c, &list), COORD_OK);
    assert_int_equal(list.count, 0);

    assert_int_equal(coord_session_create(c, "LOT-2", NULL, &b), COORD_OK);
    assert_int_equal(coord_session_create(other, "LOT-1", NULL, &x), COORD_OK);
    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &a), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", a.id, &ended), COORD_OK);
    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &a), COORD_OK);

    assert_int_equal(coord_session_list_location(c, "LOT-1", &list), COORD_OK);
    assert_int_equal(list.count, 2); /* not the other user's */
    assert_int_equal(list.sessions[0].id, ended.id);
    assert_int_equal(list.sessions[0].has_end_time, 1);
    assert_int_equal(list.sessions[0].billing_info.has_cost, 1);
    assert_int_equal(list.sessions[1].id, a.id);
    assert_int_equal(coord_session_list_find_active(&list, NULL, &active), COORD_OK);
    assert_ptr_equal(active, &list.sessions[1]);
    coord_session_list_free(&list);

    assert_int_equal(coord_session_list_user(c, &list), COORD_OK);
    assert_int_equal(list.count, 3); /* creation order across locations */
    assert_string_equal(list.sessions[0].location_id, "LOT-2");
    assert_int_equal(list.sessions[0].id, b.id);
    assert_string_equal(list.sessions[1].location_id, "LOT-1");
    assert_int_equal(list.sessions[1].id, ended.id);
    assert_int_equal(list.sessions[2].id, a.id);
    assert_int_equal(coord_session_list_find_active(&list, "LOT-2", &active), COORD_OK);
    assert_int_equal(active->id, b.id);
    assert_int_equal(coord_session_list_find_active(&list, "LOT-1", &active), COORD_OK);
    assert_int_equal(active->id, a.id);
    coord_session_list_free(&list);

    assert_int_equal(coord_session_list_location(c, "NO-SUCH-LOT", &list), COORD_ERR_NOT_FOUND);
    assert_error(c, COORD_ERR_NOT_FOUND, 404, 404);
    assert_null(list.sessions);
    assert_int_equal(coord_session_list_location(c, NULL, &list), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_location(c, "LOT-1", NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_user(NULL, &list), COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
    coord_client_free(other);
}

static void list_answers_are_checked(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session_list list;
    (void)state;

    /* entries without location_id get the location asked for */
    sim_fault("{\"mode\":\"status\",\"status\":200,\"body\":\"[{\\\"id\\\":5},{\\\"id\\\":6,"
              "\\\"location_id\\\":\\\"ELSEWHERE\\\"}]\"}");
    assert_int_equal(coord_session_list_location(c, "LOT-1", &list), COORD_OK);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.sessions[0].location_id, "LOT-1");
    assert_string_equal(list.sessions[1].location_id, "ELSEWHERE");
    coord_session_list_free(&list);

    sim_fault("{\"mode\":\"status\",\"status\":200,\"body\":\"[{\\\"id\\\":5},{\\\"id\\\":true},"
              "{\\\"id\\\":7}]\"}");
    assert_int_equal(coord_session_list_user(c, &list), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(coord_client_last_error(c)->detail, "field [1].id: not a number");
    assert_int_equal(list.count, 0);
    assert_null(list.sessions);

    assert_int_equal(coord_client_set_retry(c, 1, 10, 10), COORD_OK); /* no retry of the 503 */
    sim_fault("{\"mode\":\"status\",\"status\":503}");
    assert_int_equal(coord_session_list_user(c, &list), COORD_ERR_SERVER);
    assert_error(c, COORD_ERR_SERVER, 503, 503);
    coord_client_free(c);
}

/* ---- gate-controlled sessions, redemption, barcode ---- */

static void gate_controlled_session_is_redeemed_at_the_gate(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session s, r, again;
    char req[512];
    (void)state;

    assert_int_equal(coord_session_create(c, "GATE-1", NULL, &s), COORD_OK);
    assert_int_equal(s.has_start_time, 0);
    assert_int_equal(s.has_redemption_info, 1);
    assert_string_equal(s.redemption_info.barcode_format, "aztec");
    assert_true(strlen(s.redemption_info.barcode_data) > 0);
    assert_int_equal(coord_session_end(c, &s, &r), COORD_ERR_PHYSICAL_CHECKOUT);
    assert_int_equal(coord_end_session(c, "GATE-1", s.id, &r), COORD_ERR_PHYSICAL_CHECKOUT);
    assert_error(c, COORD_ERR_PHYSICAL_CHECKOUT, 400, COORD_API_CODE_PHYSICAL_CHECKOUT);

    assert_int_equal(coord_test_simulate_redemption(c, "GATE-1", s.id, 95, &r), COORD_OK);
    assert_int_equal(sim_last_request(NULL, "body", req, sizeof(req)), 0);
    assert_string_equal(req, "{\"duration_m\":95}");
    assert_int_equal(r.id, s.id);
    assert_int_equal(r.has_start_time, 1);
    assert_int_equal(r.has_end_time, 1);
    assert_int_equal(r.end_time_ms - r.start_time_ms, 95 * 60 * 1000);
    assert_int_equal(r.billing_info.cost.amount, 555); /* ceil(350 * 95 / 60) */
    assert_string_equal(r.billing_info.cost.currency, "USD");

    assert_int_equal(coord_test_simulate_redemption(c, "GATE-1", s.id, 1, &again),
                     COORD_ERR_ALREADY_ENDED);
    assert_error(c, COORD_ERR_ALREADY_ENDED, 409, COORD_API_CODE_SESSION_ENDED);
    /* ended now: a new session may open */
    assert_int_equal(coord_session_create(c, "GATE-1", NULL, &again), COORD_OK);
    coord_client_free(c);
}

static void simulate_redemption_errors(void **state)
{
    coord_client *c = user_client(KIOSK), *real = anonymous_client();
    coord_session s, r;
    char token[COORD_TOKEN_MAX];
    long conn0, req0, conn1, req1;
    (void)state;

    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &s), COORD_OK);
    assert_int_equal(coord_test_simulate_redemption(c, "LOT-1", s.id, 5, &r), COORD_ERR_REFUSED);
    assert_error(c, COORD_ERR_REFUSED, 400, 4002);
    assert_non_null(strstr(coord_client_last_error(c)->api_message, "redemption_info"));
    assert_int_equal(coord_test_simulate_redemption(c, "GATE-1", 999, 5, &r),
                     COORD_ERR_NOT_FOUND);

    sim_token("{\"email\":\"real@example.com\",\"test_user\":false}", token, sizeof(token));
    assert_int_equal(coord_client_set_bearer_token(real, token), COORD_OK);
    assert_int_equal(coord_session_create(real, "GATE-1", NULL, &s), COORD_OK);
    assert_int_equal(coord_test_simulate_redemption(real, "GATE-1", s.id, 5, &r),
                     COORD_ERR_UNAUTHORIZED);
    assert_error(real, COORD_ERR_UNAUTHORIZED, 403, 4031);

    sim_stats(&conn0, &req0);
    assert_int_equal(coord_test_simulate_redemption(c, "GATE-1", s.id,
                                                    COORD_REDEMPTION_MAX_MINUTES + 1, &r),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_test_simulate_redemption(c, "", s.id, 5, &r),
                     COORD_ERR_INVALID_ARGUMENT);
    sim_stats(&conn1, &req1);
    assert_int_equal(req1 - req0, 1);
    coord_client_free(c);
    coord_client_free(real);
}

static void barcode(void **state)
{
    coord_client *c = user_client(KIOSK), *anon = anonymous_client();
    coord_redemption_info b, again;
    char req[512];
    (void)state;

    assert_int_equal(coord_barcode_create(c, &b), COORD_OK);
    assert_int_equal(strncmp(b.barcode_data, "COORD-USER-", 11), 0);
    assert_string_equal(b.barcode_format, "aztec");
    assert_int_equal(sim_last_request(NULL, "path", req, sizeof(req)), 0);
    assert_string_equal(req, "/v1/access/parking/barcode");
    assert_int_equal(sim_last_request(NULL, "body", req, sizeof(req)), 0);
    assert_string_equal(req, "{}");
    /* the same user gets the same barcode */
    assert_int_equal(coord_barcode_create(c, &again), COORD_OK);
    assert_string_equal(again.barcode_data, b.barcode_data);

    assert_int_equal(coord_barcode_create(anon, &b), COORD_ERR_UNAUTHORIZED);
    assert_error(anon, COORD_ERR_UNAUTHORIZED, 0, 0); /* no token: refused before sending */
    assert_string_equal(b.barcode_data, "");
    sim_fault("{\"mode\":\"status\",\"status\":200,\"body\":\"{\\\"data\\\":\\\"x\\\"}\"}");
    assert_int_equal(coord_barcode_create(c, &b), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(coord_client_last_error(c)->detail, "field format: missing");
    assert_int_equal(coord_barcode_create(c, NULL), COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
    coord_client_free(anon);
}

/* ---- wait ---- */

typedef struct redeem_later {
    coord_client *client;
    int64_t session_id;
    coord_status status;
} redeem_later;

static void *redeem_after_300ms(void *arg)
{
    redeem_later *job = arg;
    struct timespec pause = {0, 300 * 1000000L};
    coord_session s;

    nanosleep(&pause, NULL);
    job->status = coord_test_simulate_redemption(job->client, "GATE-1", job->session_id, 30, &s);
    return NULL;
}

static void wait_sees_the_gate_redemption(void **state)
{
    coord_client *c = user_client(KIOSK), *gate = user_client(KIOSK);
    coord_session s, seen;
    redeem_later job;
    pthread_t thread;
    long conn0, req0, conn1, req1;
    (void)state;

    assert_int_equal(coord_session_create(c, "GATE-1", NULL, &s), COORD_OK);
    job.client = gate; /* one client per thread */
    job.session_id = s.id;
    job.status = COORD_ERR_SERVER;
    sim_stats(&conn0, &req0);
    assert_int_equal(pthread_create(&thread, NULL, redeem_after_300ms, &job), 0);
    double t0 = sim_now_s();
    assert_int_equal(coord_session_wait(c, "GATE-1", s.id, COORD_WAIT_ENDED, 10000, 50, &seen),
                     COORD_OK);
    double took = sim_now_s() - t0;
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(job.status, COORD_OK);
    assert_int_equal(seen.id, s.id);
    assert_int_equal(seen.has_end_time, 1);
    assert_int_equal(seen.billing_info.cost.amount, 175); /* 30 min at 3.50/h */
    assert_true(took >= 0.25);
    assert_true(took < 5.0);
    sim_stats(&conn1, &req1);
    /* no busy loop: about one poll per 50 ms, far from thousands */
    assert_true(req1 - req0 >= 3);
    assert_true(req1 - req0 < 120);
    coord_client_free(c);
    coord_client_free(gate);
}

static void wait_returns_at_once_when_already_there(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session s, seen;
    long conn0, req0, conn1, req1;
    (void)state;

    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &s), COORD_OK);
    sim_stats(&conn0, &req0);
    assert_int_equal(coord_session_wait(c, "LOT-1", s.id, COORD_WAIT_STARTED, 5000, 1000, &seen),
                     COORD_OK);
    sim_stats(&conn1, &req1);
    assert_int_equal(req1 - req0, 2); /* one poll + the stats call */
    assert_int_equal(seen.has_start_time, 1);
    assert_string_equal(seen.location_id, "LOT-1");
    coord_client_free(c);
}

static void wait_times_out_with_the_last_session_seen(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session s, seen;
    long conn0, req0, conn1, req1;
    (void)state;

    assert_int_equal(coord_session_create(c, "GATE-1", NULL, &s), COORD_OK);
    sim_stats(&conn0, &req0);
    double t0 = sim_now_s();
    /* 1 s of 50 ms intervals: at least 2 polls unless one poll takes most
     * of a second (a slow machine under valgrind stays well inside that) */
    assert_int_equal(coord_session_wait(c, "GATE-1", s.id, COORD_WAIT_STARTED, 1000, 50, &seen),
                     COORD_ERR_TIMEOUT);
    double took = sim_now_s() - t0;
    sim_stats(&conn1, &req1);
    assert_true(took >= 0.99);
    assert_true(took < 6.0);
    assert_true(req1 - req0 >= 3);
    assert_true(req1 - req0 <= 22); /* at most 1000 / 50 + 1 polls, + stats */
    assert_int_equal(seen.id, s.id); /* the last session seen */
    assert_int_equal(seen.has_redemption_info, 1);
    assert_int_equal(seen.has_start_time, 0);
    assert_error(c, COORD_ERR_TIMEOUT, 200, 0);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "not started after 1000 ms"));

    /* timeout 0: exactly one poll */
    sim_stats(&conn0, &req0);
    assert_int_equal(coord_session_wait(c, "GATE-1", s.id, COORD_WAIT_STARTED, 0, 50, &seen),
                     COORD_ERR_TIMEOUT);
    sim_stats(&conn1, &req1);
    assert_int_equal(req1 - req0, 2);
    assert_int_equal(seen.id, s.id);
    coord_client_free(c);
}

static void wait_deadline_cuts_a_hanging_poll(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session s, seen;
    (void)state;

    assert_int_equal(coord_session_create(c, "GATE-1", NULL, &s), COORD_OK);
    /* every poll hangs for 10 s: the client's own 30 s timeout would wait
     * for it; the 400 ms deadline must not */
    sim_fault("{\"mode\":\"hang\",\"count\":5,\"seconds\":10}");
    double t0 = sim_now_s();
    assert_int_equal(coord_session_wait(c, "GATE-1", s.id, COORD_WAIT_STARTED, 400, 50, &seen),
                     COORD_ERR_TIMEOUT);
    double took = sim_now_s() - t0;
    assert_true(took >= 0.35);
    assert_true(took < 5.0);
    assert_int_equal(seen.id, 0); /* no poll succeeded */
    sim_reset(); /* ends the hang */
    coord_client_free(c);
}

/* Polling a held session in place: the location id lives inside the output
 * struct that each call zeroes first (found in review). */
static void calls_accept_ids_from_their_own_output(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session s;
    (void)state;

    assert_int_equal(coord_session_create(c, "LOT-1", NULL, &s), COORD_OK);
    assert_int_equal(coord_session_get(c, s.location_id, s.id, &s), COORD_OK);
    assert_string_equal(s.location_id, "LOT-1");
    assert_int_equal(coord_session_wait(c, s.location_id, s.id, COORD_WAIT_STARTED, 1000, 50, &s),
                     COORD_OK);
    assert_string_equal(s.location_id, "LOT-1");
    assert_int_equal(coord_end_session(c, s.location_id, s.id, &s), COORD_OK);
    assert_string_equal(s.location_id, "LOT-1");
    assert_int_equal(s.has_end_time, 1);
    coord_client_free(c);
}

static void wait_stops_on_errors_and_checks_arguments(void **state)
{
    coord_client *c = user_client(KIOSK);
    coord_session seen;
    (void)state;

    double t0 = sim_now_s();
    assert_int_equal(coord_session_wait(c, "LOT-1", 4242, COORD_WAIT_ENDED, 10000, 50, &seen),
                     COORD_ERR_NOT_FOUND);
    assert_true(sim_now_s() - t0 < 5.0);
    assert_error(c, COORD_ERR_NOT_FOUND, 404, 404);
    assert_int_equal(coord_session_wait(c, "LOT-1", 1, COORD_WAIT_ENDED, 100,
                                        COORD_WAIT_MIN_INTERVAL_MS - 1, &seen),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_wait(c, "LOT-1", 1, (coord_wait_for)7, 100, 50, &seen),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_wait(c, "LOT-1", 1, COORD_WAIT_ENDED, 100, 50, NULL),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_wait(c, NULL, 1, COORD_WAIT_ENDED, 100, 50, &seen),
                     COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(create_jwt_and_act_as_the_user, setup),
        cmocka_unit_test_setup(create_jwt_errors, setup),
        cmocka_unit_test_setup(create_runs_at_once_and_one_active_per_location, setup),
        cmocka_unit_test_setup(user_calls_need_a_valid_token, setup),
        cmocka_unit_test_setup(get_sees_only_the_users_sessions, setup),
        cmocka_unit_test_setup(lists_keep_order_and_find_the_active_one, setup),
        cmocka_unit_test_setup(list_answers_are_checked, setup),
        cmocka_unit_test_setup(gate_controlled_session_is_redeemed_at_the_gate, setup),
        cmocka_unit_test_setup(simulate_redemption_errors, setup),
        cmocka_unit_test_setup(barcode, setup),
        cmocka_unit_test_setup(wait_sees_the_gate_redemption, setup),
        cmocka_unit_test_setup(wait_returns_at_once_when_already_there, setup),
        cmocka_unit_test_setup(wait_times_out_with_the_last_session_seen, setup),
        cmocka_unit_test_setup(wait_deadline_cuts_a_hanging_poll, setup),
        cmocka_unit_test_setup(wait_stops_on_errors_and_checks_arguments, setup),
        cmocka_unit_test_setup(calls_accept_ids_from_their_own_output, setup),
    };
    return cmocka_run_group_tests_name("session lifecycle (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
