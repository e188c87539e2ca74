/* The non-blocking API over real HTTP against the simulator: many calls in
 * flight on one loop, every fault through the loop, retries on timers,
 * cancellation at each stage (callback exactly once), the queue, the
 * application's own event loop (socket and timer callbacks), and
 * cancelling a blocking call from another thread. */
#define _POSIX_C_SOURCE 200809L /* nanosleep, poll */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

#define LOT "LOT-A"

/* What one callback saw; calls counts how often it ran (exactly once). */
typedef struct result {
    int calls;
    coord_status status;
    coord_error error;
    int has_session;
    coord_session session;
    uint64_t id; /* coord_call_id() in the callback */
    double at; /* sim_now_s() when it ran */
} result;

static void on_session(coord_call *call, coord_status status, const coord_error *error,
                       const coord_session *session, void *user_data)
{
    result *r = user_data;

    (void)call;
    r->calls++;
    r->status = status;
    r->error = *error;
    r->has_session = session != NULL;
    if (session != NULL)
        r->session = *session;
    r->id = coord_call_id(call);
    r->at = sim_now_s();
}

static coord_loop *new_loop(void)
{
    coord_loop *loop = NULL;

    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    return loop;
}

/* A client of the seeded sessions' user with a small, fast retry policy. */
static coord_client *client(uint32_t attempts)
{
    coord_client *c = sim_user_client();

    assert_int_equal(coord_client_set_retry(c, attempts, 10, 50), COORD_OK);
    return c;
}

static int64_t seed(void)
{
    return sim_session(LOT, 90, 0, NULL, 0); /* 90 min at 2.00/h: bill 300 */
}

static void assert_billed(const result *r, int64_t id)
{
    assert_int_equal(r->calls, 1);
    assert_string_equal(coord_status_name(r->status), "COORD_OK");
    assert_int_equal(r->has_session, 1);
    assert_int_equal(r->session.id, id);
    assert_string_equal(r->session.location_id, LOT);
    assert_int_equal(r->session.has_end_time, 1);
    assert_int_equal(r->session.billing_info.cost.amount, 300);
}

static void end_async(coord_loop *loop, coord_client *c, int64_t id, result *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(coord_end_session_async(loop, c, LOT, id, on_session, r, NULL), COORD_OK);
}

static void run(coord_loop *loop)
{
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(coord_loop_calls(loop), 0);
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    return 0;
}

/* ---- many in flight ---- */

static void two_hundred_in_flight(void **state)
{
    enum { N = 200 };
    static result r[N];
    static int64_t id[N];
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    long connections0, requests0, connections, requests;
    (void)state;

    assert_int_equal(coord_loop_set_limits(loop, N, N), COORD_OK);
    for (int i = 0; i < N; i++)
        id[i] = seed();
    sim_stats(&connections0, &requests0);
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.5,\"count\":200}");
    double t0 = sim_now_s();
    for (int i = 0; i < N; i++)
        end_async(loop, c, id[i], &r[i]);
    assert_int_equal(coord_loop_calls(loop), N);
    run(loop);
    /* one after the other they would take 100 s: they were in flight together */
    assert_true(sim_now_s() - t0 < 10.0);
    for (int i = 0; i < N; i++)
        assert_billed(&r[i], id[i]); /* each call got its own session */
    assert_int_equal(sim_api_requests(), N);
    sim_stats(&connections, &requests);
    /* at most one connection per call (and the control requests' own) */
    assert_true(connections - connections0 <= N + 3);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* ---- every fault through the loop: the blocking calls' results ---- */

typedef struct fault_case {
    const char *name;
    const char *fault;     /* NULL: a base URL whose port refuses connections */
    uint32_t attempts;     /* the retry policy */
    uint32_t total_ms;     /* the client's total timeout; 0: the default */
    coord_status want;
    int32_t http;
    int32_t want_attempts;
    const char *detail;    /* a piece of the record's detail; NULL: success (billed) */
} fault_case;

static const fault_case fault_cases[] = {
    {"refused", NULL, 3, 0, COORD_ERR_TRANSPORT, 0, 3, "Couldn't connect to server"},
    {"accept_close", "{\"mode\":\"accept_close\",\"count\":3}", 3, 0, COORD_ERR_TRANSPORT, 0,
     3, "Empty reply from server"},
    {"reset", "{\"mode\":\"reset\",\"keep\":10}", 1, 0, COORD_ERR_TRANSPORT, 200, 1,
     "Connection reset by peer"},
    {"slow headers", "{\"mode\":\"slow_headers\",\"seconds\":0.3}", 1, 10000, COORD_OK, 200, 1,
     NULL},
    {"headers beyond the timeout", "{\"mode\":\"slow_headers\",\"seconds\":20}", 1, 1000,
     COORD_ERR_TIMEOUT, 200, 1, "timed out after"},
    {"trickle", "{\"mode\":\"trickle\",\"bytes\":16,\"interval\":0.02}", 1, 0, COORD_OK, 200, 1,
     NULL},
    {"trickle beyond the timeout", "{\"mode\":\"trickle\",\"bytes\":1,\"interval\":0.2}", 1, 1000,
     COORD_ERR_TIMEOUT, 200, 1, "timed out after"},
    {"hang", "{\"mode\":\"hang\",\"seconds\":30,\"count\":3}", 3, 600, COORD_ERR_TIMEOUT, 0, 1,
     "timed out after"},
    {"truncate", "{\"mode\":\"truncate\",\"keep\":16}", 1, 0, COORD_ERR_TRANSPORT, 200, 1,
     "transfer closed with"},
    {"html 502", "{\"mode\":\"status\",\"status\":502,\"content_type\":\"text/html\","
                 "\"body\":\"<html>bad gateway</html>\"}", 1, 0, COORD_ERR_SERVER, 502, 1,
     "HTTP 502 (text/html) without a Coord error body"},
    {"500 three times", "{\"mode\":\"status\",\"status\":500,\"count\":3}", 3, 0,
     COORD_ERR_SERVER, 500, 3, "HTTP 500"},
    {"503 then success", "{\"mode\":\"status\",\"status\":503,\"count\":2}", 3, 0, COORD_OK,
     200, 3, NULL},
    {"Retry-After date", "{\"mode\":\"throttle\",\"status\":429,\"retry_after\":1,"
                         "\"http_date\":true}", 3, 0, COORD_OK, 200, 2, NULL},
    {"Retry-After beyond the cap", "{\"mode\":\"throttle\",\"status\":503,\"retry_after\":3600}",
     3, 0, COORD_ERR_SERVER, 503, 1, "Retry-After 3600 s is beyond the cap"},
    {"wrong content type", "{\"mode\":\"content_type\",\"content_type\":\"text/plain\"}", 1, 0,
     COORD_OK, 200, 1, NULL},
    {"over the size cap", "{\"mode\":\"gzip\",\"pad_bytes\":2000000}", 1, 0,
     COORD_ERR_RESPONSE_TOO_LARGE, 200, 1, "response larger than 1048576 bytes"},
    {"invalid UTF-8", "{\"mode\":\"invalid_utf8\",\"field\":\"user_id\"}", 1, 0,
     COORD_ERR_BAD_RESPONSE, 200, 1, "field user_id: invalid UTF-8"},
    {"nested", "{\"mode\":\"nested\",\"depth\":100000}", 1, 0, COORD_ERR_BAD_RESPONSE, 200, 1,
     "invalid JSON near byte"},
    {"chunked", "{\"mode\":\"chunked\",\"bytes\":7}", 1, 0, COORD_OK, 200, 1, NULL},
    {"gzip", "{\"mode\":\"gzip\"}", 1, 0, COORD_OK, 200, 1, NULL},
    {"end then drop", "{\"mode\":\"end_then_drop\"}", 3, 0, COORD_OK, 200, 3, NULL},
};

static void every_fault_through_the_loop(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
        const fault_case *f = &fault_cases[i];
        coord_loop *loop = new_loop();
        coord_client *c;
        char base[128];
        result r;
        int64_t id;

        setup(NULL);
        id = seed();
        if (f->fault == NULL) {
            sim_closed_port_base(base, sizeof(base));
            c = sim_user_client_at(base, sim_key());
            assert_int_equal(coord_client_set_retry(c, f->attempts, 10, 50), COORD_OK);
        } else {
            c = client(f->attempts);
            sim_fault(f->fault);
        }
        if (f->total_ms != 0)
            assert_int_equal(coord_client_set_timeouts(c, f->total_ms / 2, f->total_ms), COORD_OK);
        end_async(loop, c, id, &r);
        run(loop);
        print_message("fault %s: %s, HTTP %d, %d attempt(s): %s\n", f->name,
                      coord_status_name(r.status), (int)r.error.http_status,
                      (int)r.error.attempts, r.error.detail);
        assert_int_equal(r.calls, 1);
        assert_string_equal(coord_status_name(r.status), coord_status_name(f->want));
        assert_int_equal(r.error.status, f->want);
        assert_int_equal(r.error.http_status, f->http);
        assert_int_equal(r.error.attempts, f->want_attempts);
        if (f->detail != NULL)
            assert_non_null(strstr(r.error.detail, f->detail));
        else
            assert_billed(&r, id);
        sim_assert_no_secret(c, sim_key()); /* the client's record: untouched by completions */
        assert_null(strstr(r.error.detail, sim_key()));
        coord_loop_free(loop);
        coord_client_free(c);
    }
}

/* A Retry-After of 1 s delays its own call, not the others in the loop. */
static void retry_after_delays_only_its_call(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(3);
    int64_t slow_id = seed(), fast_id = seed();
    result slow, fast;
    (void)state;

    sim_fault("{\"mode\":\"throttle\",\"status\":503,\"retry_after\":1}");
    double t0 = sim_now_s();
    end_async(loop, c, slow_id, &slow);
    while (sim_api_requests() < 1) /* the throttled answer goes to the first call */
        assert_int_equal(coord_loop_run_once(loop, 10), COORD_OK);
    end_async(loop, c, fast_id, &fast);
    run(loop);
    assert_billed(&slow, slow_id);
    assert_billed(&fast, fast_id);
    assert_int_equal(slow.error.attempts, 2);
    assert_int_equal(fast.error.attempts, 1);
    assert_true(slow.at - t0 >= 0.95); /* waited exactly what the server asked */
    assert_true(fast.at - t0 < 0.9);   /* ... while the other call went on */
    assert_true(fast.at < slow.at);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* ---- every call has a non-blocking form ---- */

typedef struct list_result {
    int calls;
    coord_status status;
    coord_session_list kept; /* taken from the callback */
} list_result;

static void on_list(coord_call *call, coord_status status, const coord_error *error,
                    coord_session_list *list, void *user_data)
{
    list_result *r = user_data;

    (void)call;
    (void)error;
    r->calls++;
    r->status = status;
    if (list != NULL) { /* take it: the call frees what is left */
        r->kept = *list;
        memset(list, 0, sizeof(*list));
    }
}

typedef struct text_result {
    int calls;
    coord_status status;
    char text[COORD_TOKEN_MAX];
} text_result;

static void on_barcode(coord_call *call, coord_status status, const coord_error *error,
                       const coord_redemption_info *barcode, void *user_data)
{
    text_result *r = user_data;

    (void)call;
    (void)error;
    r->calls++;
    r->status = status;
    if (barcode != NULL)
        snprintf(r->text, sizeof(r->text), "%s:%s", barcode->barcode_format,
                 barcode->barcode_data);
}

static void on_token(coord_call *call, coord_status status, const coord_error *error,
                     const char *token, void *user_data)
{
    text_result *r = user_data;

    (void)call;
    (void)error;
    r->calls++;
    r->status = status;
    if (token != NULL)
        snprintf(r->text, sizeof(r->text), "%s", token);
}

static void every_call_has_a_non_blocking_form(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    coord_session gate;
    result created, got, ended, redeemed, waited, held;
    list_result at_lot, everywhere;
    text_result barcode, token;
    (void)state;

    sim_location("GATE", 200, 1, 0);
    /* create, then get it, list it at the location and everywhere */
    memset(&created, 0, sizeof(created));
    assert_int_equal(coord_session_create_async(loop, c, LOT, "stall-7", on_session, &created,
                                                NULL), COORD_OK);
    run(loop);
    assert_int_equal(created.calls, 1);
    assert_int_equal(created.status, COORD_OK);
    assert_string_equal(created.session.resource_id, "stall-7");
    memset(&got, 0, sizeof(got));
    memset(&at_lot, 0, sizeof(at_lot));
    memset(&everywhere, 0, sizeof(everywhere));
    memset(&barcode, 0, sizeof(barcode));
    memset(&token, 0, sizeof(token));
    assert_int_equal(coord_session_get_async(loop, c, LOT, created.session.id, on_session, &got,
                                             NULL), COORD_OK);
    assert_int_equal(coord_session_list_location_async(loop, c, LOT, on_list, &at_lot, NULL),
                     COORD_OK);
    assert_int_equal(coord_session_list_user_async(loop, c, on_list, &everywhere, NULL), COORD_OK);
    assert_int_equal(coord_barcode_create_async(loop, c, on_barcode, &barcode, NULL), COORD_OK);
    assert_int_equal(coord_test_create_jwt_async(loop, c, "kiosk@example.com", NULL, on_token,
                                                 &token, NULL), COORD_OK);
    run(loop);
    assert_int_equal(got.calls, 1);
    assert_int_equal(got.session.id, created.session.id);
    assert_int_equal(at_lot.calls, 1);
    assert_int_equal(at_lot.status, COORD_OK);
    assert_int_equal(at_lot.kept.count, 1);
    assert_int_equal(at_lot.kept.sessions[0].id, created.session.id);
    coord_session_list_free(&at_lot.kept);
    assert_int_equal(everywhere.status, COORD_OK);
    assert_true(everywhere.kept.count >= 1);
    coord_session_list_free(&everywhere.kept);
    assert_int_equal(barcode.calls, 1);
    assert_int_equal(barcode.status, COORD_OK);
    assert_non_null(strstr(barcode.text, "aztec:"));
    assert_int_equal(token.calls, 1);
    assert_int_equal(token.status, COORD_OK);
    assert_true(strlen(token.text) > 20);

    /* end the created one through the held-session form */
    memset(&held, 0, sizeof(held));
    assert_int_equal(coord_session_end_async(loop, c, &created.session, on_session, &held, NULL),
                     COORD_OK);
    run(loop);
    assert_int_equal(held.status, COORD_OK);
    assert_int_equal(held.session.has_end_time, 1);

    /* a gate session: waited for while a simulated redemption ends it */
    assert_int_equal(coord_session_create(c, "GATE", NULL, &gate), COORD_OK);
    assert_int_equal(gate.has_redemption_info, 1);
    memset(&waited, 0, sizeof(waited));
    memset(&redeemed, 0, sizeof(redeemed));
    assert_int_equal(coord_session_wait_async(loop, c, "GATE", gate.id, COORD_WAIT_ENDED, 10000,
                                              50, on_session, &waited, NULL), COORD_OK);
    assert_int_equal(coord_test_simulate_redemption_async(loop, c, "GATE", gate.id, 60, on_session,
                                                          &redeemed, NULL), COORD_OK);
    run(loop);
    assert_int_equal(redeemed.calls, 1);
    assert_int_equal(redeemed.status, COORD_OK);
    assert_int_equal(redeemed.session.has_end_time, 1);
    assert_int_equal(waited.calls, 1);
    assert_int_equal(waited.status, COORD_OK);
    assert_int_equal(waited.session.has_end_time, 1);
    /* refusals are named as in the blocking forms */
    memset(&ended, 0, sizeof(ended));
    assert_int_equal(coord_end_session_async(loop, c, LOT, created.session.id, on_session, &ended,
                                             NULL), COORD_OK);
    run(loop);
    assert_int_equal(ended.status, COORD_ERR_ALREADY_ENDED);
    assert_int_equal(ended.has_session, 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* A call that cannot start says so at once and never calls back. */
static void start_failures_call_nothing_back(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    coord_session gate;
    coord_call *call = (coord_call *)&gate; /* set to NULL on failure */
    result r;
    (void)state;

    memset(&r, 0, sizeof(r));
    memset(&gate, 0, sizeof(gate));
    assert_int_equal(coord_end_session_async(NULL, c, LOT, 1, on_session, &r, NULL),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session_async(loop, NULL, LOT, 1, on_session, &r, NULL),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session_async(loop, c, LOT, 1, NULL, &r, NULL),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session_async(loop, c, "..", 1, on_session, &r, &call),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "location_id"));
    assert_int_equal(coord_session_wait_async(loop, c, LOT, 1, COORD_WAIT_ENDED, 100, 1,
                                              on_session, &r, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "interval_ms"));
    gate.has_redemption_info = 1;
    strcpy(gate.location_id, LOT);
    assert_int_equal(coord_session_end_async(loop, c, &gate, on_session, &r, NULL),
                     COORD_ERR_PHYSICAL_CHECKOUT);
    assert_int_equal(coord_loop_calls(loop), 0);
    run(loop);
    assert_int_equal(r.calls, 0);
    assert_int_equal(sim_api_requests(), 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* ---- cancellation: at every stage, the callback exactly once ---- */

/* A loopback port that accepts no connection: its backlog is full, so a
 * connect waits (the kernel drops the SYN) until the caller gives up. */
typedef struct black_hole {
    int listener;
    int fillers[8];
    char base[128];
} black_hole;

static void black_hole_open(black_hole *h)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(h->listener >= 0);
    assert_int_equal(bind(h->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(h->listener, 0), 0);
    assert_int_equal(getsockname(h->listener, (struct sockaddr *)&addr, &len), 0);
    /* fill the accept queue (never accepted) */
    for (int i = 0; i < 8; i++) {
        struct timeval quick = {0, 200000};

        h->fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(h->fillers[i] >= 0);
        setsockopt(h->fillers[i], SOL_SOCKET, SO_SNDTIMEO, &quick, sizeof(quick));
        (void)connect(h->fillers[i], (struct sockaddr *)&addr, sizeof(addr));
    }
    snprintf(h->base, sizeof(h->base), "http://127.0.0.1:%d/v1/access/parking",
             ntohs(addr.sin_port));
}

static void black_hole_close(black_hole *h)
{
    for (int i = 0; i < 8; i++)
        close(h->fillers[i]);
    close(h->listener);
}

/* Run the loop for about seconds. */
static void run_for(coord_loop *loop, double seconds)
{
    double end = sim_now_s() + seconds;

    while (sim_now_s() < end)
        assert_int_equal(coord_loop_run_once(loop, 20), COORD_OK);
}

static void assert_cancelled(coord_loop *loop, coord_call *call, const result *r)
{
    double t0 = sim_now_s();

    assert_int_equal(r->calls, 0);
    assert_int_equal(coord_call_cancel(call), COORD_OK);
    assert_int_equal(r->calls, 1); /* before coord_call_cancel returned */
    assert_true(sim_now_s() - t0 < 0.5);
    assert_string_equal(coord_status_name(r->status), "COORD_ERR_CANCELLED");
    assert_int_equal(r->error.status, COORD_ERR_CANCELLED);
    assert_non_null(strstr(r->error.detail, "cancelled"));
    run(loop); /* nothing is left to call back */
    assert_int_equal(r->calls, 1);
}

static void cancel_while_connecting(void **state)
{
    black_hole hole;
    coord_loop *loop = new_loop();
    coord_client *c;
    coord_call *call = NULL;
    result r;
    (void)state;

    black_hole_open(&hole);
    c = sim_user_client_at(hole.base, sim_key());
    memset(&r, 0, sizeof(r));
    assert_int_equal(coord_end_session_async(loop, c, LOT, 1, on_session, &r, &call), COORD_OK);
    run_for(loop, 0.3);
    assert_cancelled(loop, call, &r);
    coord_loop_free(loop);
    coord_client_free(c);
    black_hole_close(&hole);
}

static void cancel_while_the_answer_arrives(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    coord_call *call = NULL;
    result r;
    (void)state;

    sim_fault("{\"mode\":\"trickle\",\"bytes\":1,\"interval\":0.1}"); /* ~20 s of body */
    memset(&r, 0, sizeof(r));
    assert_int_equal(coord_end_session_async(loop, c, LOT, seed(), on_session, &r, &call),
                     COORD_OK);
    run_for(loop, 0.5);
    assert_int_equal(sim_api_requests(), 1);
    assert_cancelled(loop, call, &r);
    /* the server has the PUT: the attempt counts, as in the blocking form */
    assert_int_equal(r.error.attempts, 1);
    assert_non_null(strstr(r.error.detail, "after 1 attempt(s)"));
    coord_loop_free(loop);
    coord_client_free(c);
}

static void cancel_while_waiting_to_retry(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(3);
    coord_call *call = NULL;
    result r;
    (void)state;

    sim_fault("{\"mode\":\"throttle\",\"status\":503,\"retry_after\":20}");
    memset(&r, 0, sizeof(r));
    assert_int_equal(coord_end_session_async(loop, c, LOT, seed(), on_session, &r, &call),
                     COORD_OK);
    run_for(loop, 0.3);
    assert_int_equal(sim_api_requests(), 1);
    assert_int_equal(coord_loop_calls(loop), 1); /* waiting 20 s on its timer */
    assert_cancelled(loop, call, &r);
    assert_int_equal(r.error.attempts, 1);
    assert_int_equal(sim_api_requests(), 1);
    coord_loop_free(loop);
    coord_client_free(c);
}

static void cancel_a_wait_between_polls(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    coord_call *call = NULL;
    int64_t id = sim_session(LOT, 10, 0, NULL, 0); /* active: never ends by itself */
    result r;
    (void)state;

    memset(&r, 0, sizeof(r));
    assert_int_equal(coord_session_wait_async(loop, c, LOT, id, COORD_WAIT_ENDED, 60000, 10000,
                                              on_session, &r, &call), COORD_OK);
    run_for(loop, 0.3);
    assert_int_equal(sim_api_requests(), 1); /* one poll, the next in 10 s */
    assert_cancelled(loop, call, &r);
    assert_int_equal(r.has_session, 1); /* the last session seen */
    assert_int_equal(r.session.id, id);
    assert_int_equal(r.session.has_end_time, 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

typedef struct canceller {
    result r;
    coord_call *victim;
} canceller;

static void cancel_the_victim(coord_call *call, coord_status status, const coord_error *error,
                              const coord_session *session, void *user_data)
{
    canceller *k = user_data;

    on_session(call, status, error, session, &k->r);
    assert_int_equal(coord_call_cancel(call), COORD_OK); /* its own: nothing happens */
    assert_int_equal(coord_call_cancel(k->victim), COORD_OK);
}

/* A callback cancels another call; a queued call is cancelled too; freeing
 * the loop cancels what is left. */
static void cancel_from_callbacks_the_queue_and_free(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    coord_call *victim = NULL, *queued = NULL, *left = NULL;
    result victim_r, queued_r, left_r;
    canceller k;
    (void)state;

    assert_int_equal(coord_loop_set_limits(loop, 2, 8), COORD_OK);
    memset(&k, 0, sizeof(k));
    memset(&victim_r, 0, sizeof(victim_r));
    memset(&queued_r, 0, sizeof(queued_r));
    memset(&left_r, 0, sizeof(left_r));
    sim_fault("{\"mode\":\"hang\",\"seconds\":30}"); /* the first request: the victim's */
    assert_int_equal(coord_end_session_async(loop, c, LOT, seed(), on_session, &victim_r,
                                             &victim), COORD_OK);
    run_for(loop, 0.2);
    assert_int_equal(coord_end_session_async(loop, c, LOT, seed(), cancel_the_victim, &k, NULL),
                     COORD_OK);
    k.victim = victim;
    assert_int_equal(coord_end_session_async(loop, c, LOT, seed(), on_session, &queued_r,
                                             &queued), COORD_OK);
    assert_int_equal(coord_loop_calls(loop), 3); /* two in flight, one queued */
    assert_int_equal(coord_call_cancel(queued), COORD_OK);
    assert_int_equal(queued_r.calls, 1);
    assert_int_equal(queued_r.status, COORD_ERR_CANCELLED);
    assert_int_equal(queued_r.error.attempts, 0);
    double t0 = sim_now_s();
    run(loop);
    assert_true(sim_now_s() - t0 < 5.0); /* one hung call holds up no other */
    assert_int_equal(k.r.calls, 1);
    assert_int_equal(k.r.status, COORD_OK);
    assert_int_equal(victim_r.calls, 1);
    assert_int_equal(victim_r.status, COORD_ERR_CANCELLED);

    sim_fault("{\"mode\":\"hang\",\"seconds\":30}");
    assert_int_equal(coord_end_session_async(loop, c, LOT, seed(), on_session, &left_r, &left),
                     COORD_OK);
    run_for(loop, 0.2);
    coord_loop_free(loop);
    assert_int_equal(left_r.calls, 1);
    assert_int_equal(left_r.status, COORD_ERR_CANCELLED);
    coord_client_free(c);
}

/* ---- bounds ---- */

static void the_queue_keeps_the_cap_and_the_deadline(void **state)
{
    enum { N = 6 };
    coord_loop *loop = new_loop();
    coord_client *c = client(1), *impatient = client(1);
    result r[N], late;
    int64_t id[N];
    (void)state;

    assert_int_equal(coord_loop_set_limits(loop, 2, 8), COORD_OK);
    for (int i = 0; i < N; i++)
        id[i] = seed();
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.3,\"count\":6}");
    double t0 = sim_now_s();
    for (int i = 0; i < N; i++)
        end_async(loop, c, id[i], &r[i]);
    /* over the cap, with a total timeout shorter than the queue's wait */
    assert_int_equal(coord_client_set_timeouts(impatient, 100, 200), COORD_OK);
    end_async(loop, impatient, seed(), &late);
    run(loop);
    for (int i = 0; i < N; i++)
        assert_billed(&r[i], id[i]);
    /* two at a time: three rounds of 0.3 s */
    assert_true(sim_now_s() - t0 >= 0.85);
    assert_int_equal(late.calls, 1);
    assert_int_equal(late.status, COORD_ERR_TIMEOUT);
    assert_int_equal(late.error.attempts, 0);
    assert_non_null(strstr(late.error.detail, "waited for room"));
    assert_true(late.at - t0 < 0.5); /* at its deadline, not when room came */
    coord_loop_free(loop);
    coord_client_free(c);
    coord_client_free(impatient);
}

/* run_once waits for something to happen, at most max_wait_ms, whatever
 * its size (curl_multi_poll takes an int: UINT32_MAX once went negative). */
static void run_once_waits_for_the_answer(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    int64_t id = seed();
    result r;
    int turns = 0;
    (void)state;

    assert_int_equal(coord_loop_run_once(loop, UINT32_MAX), COORD_OK); /* empty: at once */
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.3}");
    end_async(loop, c, id, &r);
    double t0 = sim_now_s();
    while (r.calls == 0 && turns++ < 100)
        assert_int_equal(coord_loop_run_once(loop, UINT32_MAX), COORD_OK);
    assert_true(sim_now_s() - t0 < 5.0);
    assert_billed(&r, id);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* ---- the application's own event loop: poll() ---- */

typedef struct watched {
    struct pollfd fds[64];
    int count;
    int64_t timer_ms; /* -1: none */
    double timer_set_at;
} watched;

static void on_socket(coord_loop *loop, int fd, int events, void *user_data, void *socket_data)
{
    watched *w = user_data;
    int i;

    (void)loop;
    (void)socket_data;
    for (i = 0; i < w->count && w->fds[i].fd != fd; i++)
        ;
    if (events == 0) { /* forget it */
        if (i < w->count)
            w->fds[i] = w->fds[--w->count];
        return;
    }
    if (i == w->count) {
        assert_true(w->count < 64);
        w->fds[w->count++].fd = fd;
    }
    w->fds[i].events = (short)(((events & COORD_WATCH_IN) ? POLLIN : 0) |
                               ((events & COORD_WATCH_OUT) ? POLLOUT : 0));
}

static void on_timer(coord_loop *loop, int64_t timeout_ms, void *user_data)
{
    watched *w = user_data;

    (void)loop;
    w->timer_ms = timeout_ms;
    w->timer_set_at = sim_now_s();
}

/* Hand the loop the first socket poll() found ready, then stop: serving it
 * may change the set of watched sockets. */
static void serve_a_ready_socket(coord_loop *loop, watched *w)
{
    for (int i = 0; i < w->count; i++) {
        short got = w->fds[i].revents;
        int events = ((got & POLLIN) ? COORD_WATCH_IN : 0) |
                     ((got & POLLOUT) ? COORD_WATCH_OUT : 0) |
                     ((got & (POLLERR | POLLHUP)) ? COORD_WATCH_ERROR : 0);

        w->fds[i].revents = 0;
        if (events != 0) {
            assert_int_equal(coord_loop_socket_ready(loop, w->fds[i].fd, events), COORD_OK);
            break;
        }
    }
}

static void drive_with_poll(coord_loop *loop, watched *w)
{
    while (coord_loop_calls(loop) > 0) {
        int wait = -1, n;

        if (w->timer_ms >= 0) {
            double left = w->timer_ms / 1000.0 - (sim_now_s() - w->timer_set_at);

            wait = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        assert_true(wait >= 0 || w->count > 0); /* something to wait for */
        n = poll(w->fds, (nfds_t)w->count, wait);
        assert_true(n >= 0);
        if (w->timer_ms >= 0 &&
            sim_now_s() - w->timer_set_at >= w->timer_ms / 1000.0) { /* due, busy or not */
            w->timer_ms = -1;
            assert_int_equal(coord_loop_timeout(loop), COORD_OK);
            continue;
        }
        serve_a_ready_socket(loop, w);
    }
}

static void the_applications_event_loop(void **state)
{
    enum { N = 20 };
    coord_loop *loop = new_loop();
    coord_client *c = client(3);
    watched w;
    result r[N];
    int64_t id[N];
    (void)state;

    memset(&w, 0, sizeof(w));
    w.timer_ms = -1;
    assert_int_equal(coord_loop_set_callbacks(loop, on_socket, on_timer, &w), COORD_OK);
    assert_int_equal(coord_loop_run_once(loop, 0), COORD_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < N; i++)
        id[i] = seed();
    /* retries on the application's timer too */
    sim_fault("{\"mode\":\"status\",\"status\":503,\"count\":3}");
    for (int i = 0; i < N; i++)
        end_async(loop, c, id[i], &r[i]);
    assert_int_equal(coord_loop_set_callbacks(loop, on_socket, on_timer, &w),
                     COORD_ERR_INVALID_ARGUMENT); /* calls started: too late */
    drive_with_poll(loop, &w);
    for (int i = 0; i < N; i++)
        assert_billed(&r[i], id[i]);
    /* the three 503s were retried (libcurl may also have re-sent a request
     * on a kept connection the server had just closed) */
    assert_true(sim_api_requests() >= N + 3);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* ---- cancelling a blocking call from another thread ---- */

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    nanosleep(&ts, NULL);
}

typedef struct cancel_later {
    coord_client *client;
    double delay_s;
    coord_status status; /* of coord_client_cancel */
} cancel_later;

static void *cancel_after(void *arg)
{
    cancel_later *k = arg;

    sleep_s(k->delay_s);
    k->status = coord_client_cancel(k->client);
    return NULL;
}

static coord_status cancelled_from_a_thread(coord_client *c, int wait, int64_t id, double *took)
{
    cancel_later k = {c, 0.3, COORD_ERR_INVALID_ARGUMENT};
    coord_session s;
    coord_status st;
    pthread_t thread;

    assert_int_equal(pthread_create(&thread, NULL, cancel_after, &k), 0);
    double t0 = sim_now_s();
    if (wait)
        st = coord_session_wait(c, LOT, id, COORD_WAIT_ENDED, 60000, 20000, &s);
    else
        st = coord_end_session(c, LOT, id, &s);
    *took = sim_now_s() - t0;
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(k.status, COORD_OK);
    return st;
}

static void cancel_a_blocking_call_from_another_thread(void **state)
{
    coord_client *c = client(3);
    double took;
    (void)state;

    assert_int_equal(coord_client_cancel(c), COORD_ERR_NOT_FOUND); /* no call in progress */
    assert_int_equal(coord_client_cancel(NULL), COORD_ERR_INVALID_ARGUMENT);
    /* while the request waits for its answer: libcurl's progress callback */
    sim_fault("{\"mode\":\"hang\",\"seconds\":30}");
    assert_int_equal(cancelled_from_a_thread(c, 0, seed(), &took), COORD_ERR_CANCELLED);
    assert_true(took < 2.5);
    assert_int_equal(coord_client_last_error(c)->status, COORD_ERR_CANCELLED);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "cancelled"));
    /* while it sleeps before a retry: at once */
    sim_fault("{\"mode\":\"throttle\",\"status\":503,\"retry_after\":20}");
    assert_int_equal(cancelled_from_a_thread(c, 0, seed(), &took), COORD_ERR_CANCELLED);
    assert_true(took < 1.0);
    assert_int_equal(coord_client_last_error(c)->attempts, 1);
    /* while a wait sleeps between polls */
    assert_int_equal(cancelled_from_a_thread(c, 1, seed(), &took), COORD_ERR_CANCELLED);
    assert_true(took < 1.0);
    /* the cancel does not outlive its call */
    coord_session s;
    int64_t id = seed();
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    coord_client_free(c);
}

/* ---- found in review: each test fails on the code it was written against ---- */

/* The bearer token changes while calls are in the loop. */

typedef struct refresher {
    coord_client *client;
    int calls;
    coord_status status;
} refresher;

/* What coord_token_fn's documentation suggests: keep the token with
 * coord_client_set_bearer_token(). The user's token (a fresh copy), so that
 * the other calls' results do not change. */
static void on_token_set_it(coord_call *call, coord_status status, const coord_error *error,
                            const char *token, void *user_data)
{
    refresher *k = user_data;

    (void)call;
    (void)error;
    (void)token;
    k->calls++;
    k->status = status;
    assert_int_equal(coord_client_set_bearer_token(k->client, sim_user_token()), COORD_OK);
}

/* A queued call's request points at the client's Authorization line
 * (coord_call_state.target is borrowed); setting a new token frees that
 * line, and the queued call then sends freed memory (ASan:
 * heap-use-after-free in headers_match; without ASan: HTTP 401). */
static void a_queued_call_survives_a_new_token(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    int64_t id = seed();
    refresher k = {c, 0, COORD_ERR_INVALID_ARGUMENT};
    result got;
    (void)state;

    memset(&got, 0, sizeof(got));
    assert_int_equal(coord_loop_set_limits(loop, 1, 8), COORD_OK);
    assert_int_equal(coord_test_create_jwt_async(loop, c, "kiosk@example.com", NULL,
                                                 on_token_set_it, &k, NULL), COORD_OK);
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &got, NULL),
                     COORD_OK); /* queued behind the token call */
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.status, COORD_OK);
    assert_int_equal(got.calls, 1);
    print_message("queued get after a new token: %s, HTTP %d: %s\n", coord_status_name(got.status),
                  (int)got.error.http_status, got.error.detail);
    assert_string_equal(coord_status_name(got.status), "COORD_OK");
    assert_int_equal(got.session.id, id);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* The same without a callback: a call started, the token set, the loop run. */
static void a_started_call_survives_a_new_token(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    int64_t id = seed();
    result got;
    (void)state;

    memset(&got, 0, sizeof(got));
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &got, NULL), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, sim_user_token()), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(got.calls, 1);
    print_message("started get after a new token: %s, HTTP %d: %s\n",
                  coord_status_name(got.status), (int)got.error.http_status, got.error.detail);
    assert_string_equal(coord_status_name(got.status), "COORD_OK");
    coord_loop_free(loop);
    coord_client_free(c);
}

/* The application's event loop with a coarse timer. */

/* An event loop whose timers tick once a second (a kiosk's main loop, a
 * GLib g_timeout_add_seconds): "as soon as possible" (0) at once, any other
 * timeout at the next tick; sockets are served as they become ready. */
static void drive_with_a_one_second_tick(coord_loop *loop, watched *w, double limit_s)
{
    double start = sim_now_s(), tick = start + 1.0;

    while (coord_loop_calls(loop) > 0 && sim_now_s() - start < limit_s) {
        int n = poll(w->fds, (nfds_t)w->count, 10);

        assert_true(n >= 0);
        if (n > 0)
            serve_a_ready_socket(loop, w);
        if (w->timer_ms == 0 || (w->timer_ms > 0 && sim_now_s() >= tick)) {
            w->timer_ms = -1;
            assert_int_equal(coord_loop_timeout(loop), COORD_OK);
        }
        if (sim_now_s() >= tick)
            tick += 1.0;
    }
}

/* A call waits in the queue; its deadline passes; then the call ahead of it
 * is answered before the application's timer fires. release() starts the
 * queued call, coord_loop_call_send() finds it expired and delivers it
 * while its phase still says QUEUED (start_queued() never changes it):
 * detach() looks for it in the queue it already left -- queue_remove()
 * walks to NULL (SIGSEGV) -- and would not give in_flight back. */
static void a_queued_call_expires_as_room_comes(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1), *impatient = client(1);
    int64_t id = seed();
    result first, queued;
    watched w;
    (void)state;

    memset(&w, 0, sizeof(w));
    w.timer_ms = -1;
    memset(&first, 0, sizeof(first));
    memset(&queued, 0, sizeof(queued));
    assert_int_equal(coord_loop_set_callbacks(loop, on_socket, on_timer, &w), COORD_OK);
    assert_int_equal(coord_loop_set_limits(loop, 1, 8), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(impatient, 100, 300), COORD_OK);
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.5}");
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &first, NULL),
                     COORD_OK);
    assert_int_equal(coord_session_get_async(loop, impatient, LOT, id, on_session, &queued, NULL),
                     COORD_OK);
    drive_with_a_one_second_tick(loop, &w, 5.0);
    assert_int_equal(coord_loop_calls(loop), 0);
    assert_int_equal(first.calls, 1);
    assert_int_equal(first.status, COORD_OK);
    assert_int_equal(queued.calls, 1);
    assert_string_equal(coord_status_name(queued.status), "COORD_ERR_TIMEOUT");
    /* the loop's one place was given back: a new call runs */
    memset(&first, 0, sizeof(first));
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &first, NULL),
                     COORD_OK);
    drive_with_a_one_second_tick(loop, &w, 5.0);
    assert_int_equal(first.calls, 1);
    assert_int_equal(first.status, COORD_OK);
    coord_loop_free(loop);
    coord_client_free(c);
    coord_client_free(impatient);
}

/* The lowest stack address a callback ran at. The frame's address, not a
 * local's: ASan may keep locals on a heap-allocated fake stack. */
static uintptr_t lowest_frame;

static void on_session_low(coord_call *call, coord_status status, const coord_error *error,
                           const coord_session *session, void *user_data)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);

    if (lowest_frame == 0 || here < lowest_frame)
        lowest_frame = here;
    on_session(call, status, error, session, user_data);
}

/* A hung call holds the loop's only place; n calls of a client with a
 * 300 ms total timeout queue behind it and, the loop not driven, pass their
 * deadline. Cancelling the hung call frees the place: the queued calls are
 * admitted and then found expired one after the other. They once ran
 * inside coord_call_cancel(), each one level deeper (release -> start the
 * queue -> send -> expired -> deliver -> release ...); now the loop's next
 * turn runs them, side by side. Returns the stack that took. */
static size_t stack_to_drain_an_expired_queue(int n, result *r)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1), *impatient = client(1);
    coord_call *hung = NULL;
    result hung_r;
    uintptr_t top = (uintptr_t)__builtin_frame_address(0);

    memset(&hung_r, 0, sizeof(hung_r));
    memset(r, 0, (size_t)n * sizeof(*r));
    assert_int_equal(coord_loop_set_limits(loop, 1, 8), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(impatient, 100, 300), COORD_OK);
    sim_fault("{\"mode\":\"hang\",\"seconds\":30}");
    assert_int_equal(coord_session_get_async(loop, c, LOT, 1, on_session, &hung_r, &hung),
                     COORD_OK);
    run_for(loop, 0.2);
    for (int i = 0; i < n; i++)
        assert_int_equal(coord_session_get_async(loop, impatient, LOT, 1, on_session_low, &r[i],
                                                 NULL), COORD_OK);
    sleep_s(0.4); /* every queued call is past its deadline */
    lowest_frame = 0;
    assert_int_equal(coord_call_cancel(hung), COORD_OK);
    assert_int_equal(hung_r.status, COORD_ERR_CANCELLED);
    for (int i = 0; i < n; i++) /* no other call's callback inside coord_call_cancel() */
        assert_int_equal(r[i].calls, 0);
    run(loop);
    for (int i = 0; i < n; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].status, COORD_ERR_TIMEOUT);
    }
    assert_int_equal(coord_loop_calls(loop), 0);
    coord_loop_free(loop);
    coord_client_free(c);
    coord_client_free(impatient);
    return (size_t)(top - lowest_frame);
}

static void draining_the_queue_does_not_recurse(void **state)
{
    static result r[2000];
    size_t small, large;
    (void)state;

    small = stack_to_drain_an_expired_queue(10, r);
    setup(NULL);
    large = stack_to_drain_an_expired_queue(2000, r);
    print_message("stack below the test's frame: %zu bytes for 10 queued calls, %zu for 2000 "
                  "(%zu per call)\n", small, large, (large - small) / 1990);
    /* the queue's length must not decide the stack's depth */
    assert_true(large < small + 16384);
}

/* coord_loop_free(): "Calls still in it are cancelled first: each callback
 * runs with COORD_ERR_CANCELLED." A queued call is started instead (a
 * handle taken, a transfer added) as each call before it is cancelled;
 * when its deadline has passed it reports COORD_ERR_TIMEOUT. */
static void freeing_the_loop_cancels_queued_calls(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1), *impatient = client(1);
    result hung_r, queued_r;
    (void)state;

    memset(&hung_r, 0, sizeof(hung_r));
    memset(&queued_r, 0, sizeof(queued_r));
    assert_int_equal(coord_loop_set_limits(loop, 1, 8), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(impatient, 100, 300), COORD_OK);
    sim_fault("{\"mode\":\"hang\",\"seconds\":30}");
    assert_int_equal(coord_session_get_async(loop, c, LOT, 1, on_session, &hung_r, NULL),
                     COORD_OK);
    run_for(loop, 0.2);
    assert_int_equal(coord_session_get_async(loop, impatient, LOT, 1, on_session, &queued_r, NULL),
                     COORD_OK);
    sleep_s(0.4);
    coord_loop_free(loop);
    assert_int_equal(hung_r.calls, 1);
    assert_string_equal(coord_status_name(hung_r.status), "COORD_ERR_CANCELLED");
    assert_int_equal(queued_r.calls, 1);
    print_message("queued call at coord_loop_free: %s: %s\n", coord_status_name(queued_r.status),
                  queued_r.error.detail);
    assert_string_equal(coord_status_name(queued_r.status), "COORD_ERR_CANCELLED");
    coord_client_free(c);
    coord_client_free(impatient);
}

/* max_host_connections reached: a transfer waits inside libcurl for a
 * connection ("pending"). The header promises every call is bounded by its
 * client's total timeout; libcurl 7.88 does not time out a pending
 * transfer, and the loop keeps no timer of its own for a RUNNING call. */
static void a_call_waiting_for_a_connection_keeps_its_timeout(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1), *impatient = client(1);
    result slow, quick;
    (void)state;

    memset(&slow, 0, sizeof(slow));
    memset(&quick, 0, sizeof(quick));
    assert_int_equal(coord_loop_set_limits(loop, 8, 1), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(impatient, 100, 500), COORD_OK);
    sim_fault("{\"mode\":\"hang\",\"seconds\":3}"); /* holds the one connection 3 s */
    double t0 = sim_now_s();
    assert_int_equal(coord_session_get_async(loop, c, LOT, seed(), on_session, &slow, NULL),
                     COORD_OK);
    assert_int_equal(coord_session_get_async(loop, impatient, LOT, seed(), on_session, &quick,
                                             NULL), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    print_message("500 ms call behind a held connection: %s after %.2f s: %s\n",
                  coord_status_name(quick.status), quick.at - t0, quick.error.detail);
    assert_int_equal(quick.calls, 1);
    assert_string_equal(coord_status_name(quick.status), "COORD_ERR_TIMEOUT");
    assert_true(quick.at - t0 < 1.5);
    assert_int_equal(quick.error.attempts, 1); /* handed to libcurl: tried */
    coord_loop_free(loop);
    coord_client_free(c);
    coord_client_free(impatient);
}

/* A wait queued behind another call is bounded by its own timeout (5 s),
 * not by its client's total timeout (2 s), and it polls once it has room:
 * the time in the queue does not eat its first poll's budget. */
static void a_queued_wait_keeps_its_own_timeout(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *patient = client(1), *c = client(1);
    int64_t id = seed(); /* active: it never ends */
    result ahead, waited;
    long polls = -1;
    const char *at;
    (void)state;

    memset(&ahead, 0, sizeof(ahead));
    memset(&waited, 0, sizeof(waited));
    assert_int_equal(coord_loop_set_limits(loop, 1, 8), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(c, 1000, 2000), COORD_OK);
    sim_fault("{\"mode\":\"delay\",\"seconds\":3}"); /* the call ahead holds the place 3 s */
    double t0 = sim_now_s();
    assert_int_equal(coord_session_get_async(loop, patient, LOT, id, on_session, &ahead, NULL),
                     COORD_OK);
    assert_int_equal(coord_session_wait_async(loop, c, LOT, id, COORD_WAIT_ENDED, 5000, 500,
                                              on_session, &waited, NULL), COORD_OK);
    run(loop);
    print_message("wait queued 3 s: %s after %.2f s: %s\n", coord_status_name(waited.status),
                  waited.at - t0, waited.error.detail);
    assert_int_equal(ahead.status, COORD_OK);
    assert_true(ahead.at - t0 >= 2.9);
    assert_int_equal(waited.calls, 1);
    assert_string_equal(coord_status_name(waited.status), "COORD_ERR_TIMEOUT");
    assert_non_null(strstr(waited.error.detail, "not ended after 5000 ms"));
    assert_true(waited.at - t0 >= 4.9 && waited.at - t0 < 6.0);
    at = strstr(waited.error.detail, "ms (");
    assert_non_null(at);
    polls = strtol(at + 4, NULL, 10);
    assert_true(polls >= 3); /* every 0.5 s from 3 s to 5 s */
    assert_int_equal(waited.has_session, 1); /* the last session seen */
    assert_int_equal(sim_api_requests(), 1 + polls);
    coord_loop_free(loop);
    coord_client_free(patient);
    coord_client_free(c);
}

/* A kiosk's "cancel" button pressed just after its call ended: the handle
 * it kept now belongs to the call that took the pooled object. The call's
 * id does not: a cancel by a finished call's id is refused, and the call
 * that took its object runs on. */
static void a_cancel_by_id_never_hits_another_call(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    coord_call *first_call = NULL, *second_call = NULL;
    uint64_t first_id, second_id;
    int64_t id = seed();
    result first, second;
    (void)state;

    memset(&first, 0, sizeof(first));
    memset(&second, 0, sizeof(second));
    assert_int_equal(coord_call_id(NULL), 0);
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &first, &first_call),
                     COORD_OK);
    first_id = coord_call_id(first_call);
    assert_true(first_id != 0);
    run(loop);
    assert_int_equal(first.status, COORD_OK);
    assert_true(first.id == first_id); /* the same id in the callback */

    sim_fault("{\"mode\":\"delay\",\"seconds\":0.5}");
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &second,
                                             &second_call), COORD_OK);
    assert_ptr_equal(second_call, first_call); /* the pooled object, reused */
    second_id = coord_call_id(second_call);
    assert_true(second_id > first_id);
    assert_int_equal(coord_loop_cancel(loop, first_id), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_loop_cancel(loop, 0), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_loop_cancel(NULL, second_id), COORD_ERR_INVALID_ARGUMENT);
    run(loop);
    assert_int_equal(second.calls, 1);
    assert_int_equal(second.status, COORD_OK); /* ran on */
    assert_int_equal(coord_loop_cancel(loop, second_id), COORD_ERR_NOT_FOUND);

    /* a call in flight is cancelled by its id, its callback before the return */
    memset(&second, 0, sizeof(second));
    sim_fault("{\"mode\":\"delay\",\"seconds\":5}");
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &second,
                                             &second_call), COORD_OK);
    second_id = coord_call_id(second_call);
    run_for(loop, 0.2);
    assert_int_equal(coord_loop_cancel(loop, second_id), COORD_OK);
    assert_int_equal(second.calls, 1);
    assert_string_equal(coord_status_name(second.status), "COORD_ERR_CANCELLED");
    assert_true(second.id == second_id);
    assert_int_equal(coord_loop_calls(loop), 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* The token's copies: an allocator that keeps its live blocks in a list,
 * so that a test can look for a secret in the memory libcoord holds. */
typedef struct block {
    struct block *prev, *next;
    size_t size;
    long double align;
} block;

static block blocks = {&blocks, &blocks, 0, 0};

static void *scan_malloc(size_t size, void *user_data)
{
    block *b = malloc(sizeof(block) + size);

    (void)user_data;
    if (b == NULL)
        return NULL;
    memset(b + 1, 0, size); /* the scan reads every byte: defined ones (valgrind) */
    b->size = size;
    b->next = blocks.next;
    b->prev = &blocks;
    blocks.next->prev = b;
    blocks.next = b;
    return b + 1;
}

static void scan_free(void *ptr, void *user_data)
{
    block *b = (block *)ptr - 1;

    (void)user_data;
    if (ptr == NULL)
        return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    free(b);
}

static void *scan_realloc(void *ptr, size_t size, void *user_data)
{
    void *grown = scan_malloc(size, user_data);

    if (grown != NULL && ptr != NULL) {
        block *b = (block *)ptr - 1;

        memcpy(grown, ptr, b->size < size ? b->size : size);
        scan_free(ptr, user_data);
    }
    return grown;
}

/* 1 when a live block of libcoord (or cJSON) holds text. */
static int live_memory_holds(const char *text)
{
    size_t n = strlen(text);

    for (block *b = blocks.next; b != &blocks; b = b->next) {
        const char *p = (const char *)(b + 1);

        for (size_t i = 0; i + n <= b->size; i++)
            if (memcmp(p + i, text, n) == 0)
                return 1;
    }
    return 0;
}

/* jwt_complete() wipes the answer (it carried the token) from the handle,
 * and coord_test_create_jwt() always does; a cancelled non-blocking call
 * never reaches jwt_complete(), and its handle goes back to the client's
 * pool with the token in its answer buffer, for the client's lifetime. */
static void a_cancelled_token_call_leaves_no_token(void **state)
{
    static const coord_allocator scanning = {scan_malloc, scan_realloc, scan_free, NULL, NULL,
                                             {NULL, NULL, NULL, NULL}};
    char token[COORD_TOKEN_MAX], fault[128];
    coord_loop *loop;
    coord_client *c;
    coord_call *call = NULL;
    text_result r;
    (void)state;

    assert_int_equal(coord_set_allocator(&scanning), COORD_OK);
    loop = new_loop();
    c = client(1);
    /* the answer's length: {"jwt_token":"<token>"} */
    assert_int_equal(coord_test_create_jwt(c, "kiosk@example.com", NULL, token, sizeof(token)),
                     COORD_OK);
    assert_false(live_memory_holds("{\"jwt_token\":\""));
    /* the head at once, all of the body but its last byte 1 s later, the
     * last byte 1 s after that: cancelled in between */
    snprintf(fault, sizeof(fault), "{\"mode\":\"trickle\",\"bytes\":%u,\"interval\":1}",
             (unsigned)(strlen("{\"jwt_token\":\"\"") + strlen(token)));
    sim_fault(fault);
    memset(&r, 0, sizeof(r));
    assert_int_equal(coord_test_create_jwt_async(loop, c, "kiosk@example.com", NULL, on_token, &r,
                                                 &call), COORD_OK);
    run_for(loop, 1.5);
    assert_int_equal(coord_call_cancel(call), COORD_OK);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, COORD_ERR_CANCELLED);
    print_message("after the cancelled token call, libcoord's memory %s the token's answer\n",
                  live_memory_holds("{\"jwt_token\":\"") ? "holds" : "does not hold");
    assert_false(live_memory_holds("{\"jwt_token\":\""));
    coord_loop_free(loop);
    coord_client_free(c);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
}

/* Running the loop from a callback. */

typedef struct nested {
    coord_loop *loop;
    result *other;
    uint32_t calls_seen; /* coord_loop_calls() once the other call is done */
    int calls;
} nested;

/* Runs the loop until the other call is done (what coord_loop_run() would
 * do, without its risk: coord_loop_run() here never returns). */
static void on_session_run_nested(coord_call *call, coord_status status,
                                  const coord_error *error, const coord_session *session,
                                  void *user_data)
{
    nested *n = user_data;

    (void)call;
    (void)status;
    (void)error;
    (void)session;
    n->calls++;
    for (int turns = 0; n->other->calls == 0 && turns < 500; turns++)
        assert_int_equal(coord_loop_run_once(n->loop, 20), COORD_OK);
    assert_int_equal(n->other->calls, 1);
    n->calls_seen = coord_loop_calls(n->loop);
}

/* coord_loop_calls(): "the calls in flight and queued". Inside a callback
 * the call whose callback runs still counts (release() comes after the
 * callback), so a coord_loop_run() -- "until no call is left" -- inside a
 * callback never returns. */
static void a_call_in_its_callback_is_not_in_the_loop(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    int64_t id = seed();
    result other;
    nested n;
    (void)state;

    memset(&other, 0, sizeof(other));
    n.loop = loop;
    n.other = &other;
    n.calls_seen = 99;
    n.calls = 0;
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.3}"); /* the first request: the first call's */
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &other, NULL),
                     COORD_OK);
    for (int turns = 0; sim_api_requests() < 1 && turns < 100; turns++)
        assert_int_equal(coord_loop_run_once(loop, 10), COORD_OK);
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session_run_nested, &n, NULL),
                     COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(n.calls, 1);
    assert_int_equal(other.status, COORD_OK);
    print_message("coord_loop_calls() in a callback, every other call done: %u\n",
                  (unsigned)n.calls_seen);
    assert_int_equal(n.calls_seen, 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* Cancelling from the socket callback. */

typedef struct cancelling_watch {
    watched w;
    coord_call *victim;
    int tried;
    coord_status cancel_status;
} cancelling_watch;

/* Watches as on_socket, and the first time it is called cancels the
 * victim, as coord_call_cancel()'s documentation describes: "not from
 * inside coord_loop_socket_fn or coord_loop_timer_fn (there, the callback
 * runs when the loop function that called them returns)". */
static void on_socket_cancel(coord_loop *loop, int fd, int events, void *user_data,
                             void *socket_data)
{
    cancelling_watch *k = user_data;

    on_socket(loop, fd, events, &k->w, socket_data);
    if (!k->tried && k->victim != NULL) {
        k->tried = 1;
        k->cancel_status = coord_call_cancel(k->victim);
    }
}

static void on_timer_of(coord_loop *loop, int64_t timeout_ms, void *user_data)
{
    cancelling_watch *k = user_data;

    on_timer(loop, timeout_ms, &k->w);
}

static void a_cancel_from_the_socket_callback(void **state)
{
    coord_loop *loop = new_loop();
    coord_client *c = client(1);
    cancelling_watch k;
    result victim;
    (void)state;

    memset(&k, 0, sizeof(k));
    k.w.timer_ms = -1;
    memset(&victim, 0, sizeof(victim));
    assert_int_equal(coord_loop_set_callbacks(loop, on_socket_cancel, on_timer_of, &k), COORD_OK);
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.5}");
    assert_int_equal(coord_session_get_async(loop, c, LOT, seed(), on_session, &victim,
                                             &k.victim), COORD_OK);
    drive_with_a_one_second_tick(loop, &k.w, 5.0);
    assert_int_equal(k.tried, 1);
    assert_int_equal(victim.calls, 1);
    print_message("coord_call_cancel() from the socket callback: %s; the call ended %s\n",
                  coord_status_name(k.cancel_status), coord_status_name(victim.status));
    /* "@return COORD_OK, or COORD_ERR_INVALID_ARGUMENT for NULL" */
    assert_string_equal(coord_status_name(k.cancel_status), "COORD_OK");
    assert_string_equal(coord_status_name(victim.status), "COORD_ERR_CANCELLED");
    coord_loop_free(loop);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(two_hundred_in_flight, setup),
        cmocka_unit_test_setup(every_fault_through_the_loop, setup),
        cmocka_unit_test_setup(retry_after_delays_only_its_call, setup),
        cmocka_unit_test_setup(every_call_has_a_non_blocking_form, setup),
        cmocka_unit_test_setup(start_failures_call_nothing_back, setup),
        cmocka_unit_test_setup(cancel_while_connecting, setup),
        cmocka_unit_test_setup(cancel_while_the_answer_arrives, setup),
        cmocka_unit_test_setup(cancel_while_waiting_to_retry, setup),
        cmocka_unit_test_setup(cancel_a_wait_between_polls, setup),
        cmocka_unit_test_setup(cancel_from_callbacks_the_queue_and_free, setup),
        cmocka_unit_test_setup(the_queue_keeps_the_cap_and_the_deadline, setup),
        cmocka_unit_test_setup(run_once_waits_for_the_answer, setup),
        cmocka_unit_test_setup(the_applications_event_loop, setup),
        cmocka_unit_test_setup(cancel_a_blocking_call_from_another_thread, setup),
        cmocka_unit_test_setup(a_queued_call_survives_a_new_token, setup),
        cmocka_unit_test_setup(a_started_call_survives_a_new_token, setup),
        cmocka_unit_test_setup(a_queued_call_expires_as_room_comes, setup),
        cmocka_unit_test_setup(draining_the_queue_does_not_recurse, setup),
        cmocka_unit_test_setup(freeing_the_loop_cancels_queued_calls, setup),
        cmocka_unit_test_setup(a_call_waiting_for_a_connection_keeps_its_timeout, setup),
        cmocka_unit_test_setup(a_cancelled_token_call_leaves_no_token, setup),
        cmocka_unit_test_setup(a_call_in_its_callback_is_not_in_the_loop, setup),
        cmocka_unit_test_setup(a_cancel_from_the_socket_callback, setup),
        cmocka_unit_test_setup(a_queued_wait_keeps_its_own_timeout, setup),
        cmocka_unit_test_setup(a_cancel_by_id_never_hits_another_call, setup),
    };
    return cmocka_run_group_tests_name("async", tests, sim_group_setup, sim_group_teardown);
}
