/* Threads: 8 threads x 2,000 calls, one client per thread, against a local
 * nginx (tests/threads/with_nginx.sh) whose answer is built from the request
 * path, so that every decoded session proves it is the answer to this
 * thread's own call: id = amount = the call's session id, location_id = the
 * thread's location. Then one non-blocking loop per thread x 4 threads, and
 * coord_client_cancel() from other threads while calls run. Also built with
 * -fsanitize=thread by make check-tsan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "coord/coord.h"

#define THREADS 8
#define CALLS 2000

typedef struct worker {
    pthread_t thread;
    int index;
    char location[32];
    char user[48];
    int ok;            /* calls that returned COORD_OK with exactly the expected values */
    int first_bad;     /* 1-based call number of the first failure, 0 when none */
    char why[COORD_MESSAGE_MAX + 64]; /* what went wrong there */
} worker;

static const char *env(const char *name)
{
    const char *value = getenv(name);

    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set: run this test through tests/threads/with_nginx.sh\n",
                name);
        exit(2);
    }
    return value;
}

/* "" when s is exactly the answer to call `id` of worker w, else why not. */
static void check_session(const worker *w, const coord_session *s, int64_t id, char *why,
                          size_t size)
{
    why[0] = '\0';
    if (s->id != id)
        snprintf(why, size, "id %lld, expected %lld", (long long)s->id, (long long)id);
    else if (strcmp(s->location_id, w->location) != 0)
        snprintf(why, size, "location_id \"%s\", expected \"%s\"", s->location_id, w->location);
    else if (strcmp(s->user_id, w->user) != 0)
        snprintf(why, size, "user_id \"%s\", expected \"%s\"", s->user_id, w->user);
    else if (!s->has_start_time || s->start_time_ms != INT64_C(1523492060292))
        snprintf(why, size, "start_time %s", s->start_time);
    else if (!s->has_end_time || s->end_time_ms != INT64_C(1523492270161))
        snprintf(why, size, "end_time %s", s->end_time);
    else if (!s->has_billing_info || !s->billing_info.has_cost ||
             s->billing_info.cost.amount != id ||
             strcmp(s->billing_info.cost.currency, "USD") != 0)
        snprintf(why, size, "billing %lld %s", (long long)s->billing_info.cost.amount,
                 s->billing_info.cost.currency);
}

/* Count call number `call` of w: a success when why is "", else the
 * worker's first failure, if it is the first. */
static void tally(worker *w, int call, const char *why)
{
    if (why[0] == '\0') {
        w->ok++;
    } else if (w->first_bad == 0) {
        w->first_bad = call;
        snprintf(w->why, sizeof(w->why), "%s", why);
    }
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    coord_client *c = NULL;
    coord_status st;

    st = coord_client_new(env("COORD_NGINX_URL"), env("COORD_NGINX_KEY"), &c);
    if (st == COORD_OK) /* sessions are a user's (nginx reads no token) */
        st = coord_client_set_bearer_token(c, "a-user-token");
    if (st != COORD_OK) {
        w->first_bad = 1;
        snprintf(w->why, sizeof(w->why), "coord_client_new: %s", coord_status_name(st));
        return NULL;
    }
    for (int i = 1; i <= CALLS; i++) {
        /* distinct ids across threads, so a crossed answer cannot pass */
        int64_t id = (int64_t)w->index * 1000000 + i;
        coord_session s;
        char why[COORD_MESSAGE_MAX + 64];

        st = coord_end_session(c, w->location, id, &s);
        if (st == COORD_OK)
            check_session(w, &s, id, why, sizeof(why));
        else
            snprintf(why, sizeof(why), "%s: %s", coord_status_name(st),
                     coord_client_last_error(c)->detail);
        tally(w, i, why);
    }
    coord_client_free(c);
    return NULL;
}

/* Start count threads running fn, worker t (from 1) at location
 * "LOT-<tag><t>" for user "LOT-<tag><t>-user". */
static void start_workers(worker *workers, int count, const char *tag, void *(*fn)(void *))
{
    memset(workers, 0, (size_t)count * sizeof(workers[0]));
    for (int t = 0; t < count; t++) {
        workers[t].index = t + 1;
        snprintf(workers[t].location, sizeof(workers[t].location), "LOT-%s%d", tag, t + 1);
        snprintf(workers[t].user, sizeof(workers[t].user), "LOT-%s%d-user", tag, t + 1);
        assert_int_equal(pthread_create(&workers[t].thread, NULL, fn, &workers[t]), 0);
    }
}

/* Join the count workers, then fail on the first one ("<what> t") with a
 * failed call or other than `calls` successes. Returns their successes. */
static int join_workers(worker *workers, int count, int calls, const char *what)
{
    int total = 0;

    for (int t = 0; t < count; t++)
        assert_int_equal(pthread_join(workers[t].thread, NULL), 0);
    for (int t = 0; t < count; t++) {
        if (workers[t].first_bad != 0)
            fail_msg("%s %d: call %d: %s", what, t + 1, workers[t].first_bad, workers[t].why);
        assert_int_equal(workers[t].ok, calls);
        total += workers[t].ok;
    }
    return total;
}

static void eight_threads_two_thousand_calls_each(void **state)
{
    worker workers[THREADS];
    (void)state;

    start_workers(workers, THREADS, "T", run_worker);
    assert_int_equal(join_workers(workers, THREADS, CALLS, "thread"), THREADS * CALLS);
}

/* ---- one loop per thread ---- */

#define LOOP_THREADS 4
#define LOOP_CALLS 500

typedef struct loop_call {
    worker *w;
    int64_t id;
} loop_call;

static void loop_call_done(coord_call *call, coord_status status, const coord_error *error,
                           const coord_session *session, void *user_data)
{
    loop_call *lc = user_data;
    char why[COORD_MESSAGE_MAX + 64];

    (void)call;
    if (status == COORD_OK)
        check_session(lc->w, session, lc->id, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "%s: %s", coord_status_name(status), error->detail);
    tally(lc->w, (int)(lc->id % 1000000), why);
}

/* LOOP_CALLS ends started at once on this thread's own loop (its queue
 * holds those over the loop's cap), then the loop runs them. */
static void *run_loop_worker(void *arg)
{
    static loop_call calls[LOOP_THREADS][LOOP_CALLS];
    worker *w = arg;
    coord_client *c = NULL;
    coord_loop *loop = NULL;

    if (coord_client_new(env("COORD_NGINX_URL"), env("COORD_NGINX_KEY"), &c) != COORD_OK ||
        coord_client_set_bearer_token(c, "a-user-token") != COORD_OK ||
        coord_loop_new(&loop) != COORD_OK || coord_loop_set_limits(loop, 64, 64) != COORD_OK) {
        w->first_bad = -1;
        snprintf(w->why, sizeof(w->why), "no client or loop");
        coord_loop_free(loop);
        coord_client_free(c);
        return NULL;
    }
    for (int i = 0; i < LOOP_CALLS; i++) {
        loop_call *lc = &calls[w->index - 1][i];

        lc->w = w;
        lc->id = (int64_t)w->index * 1000000 + i + 1;
        if (coord_end_session_async(loop, c, w->location, lc->id, loop_call_done, lc, NULL) !=
            COORD_OK && w->first_bad == 0) {
            w->first_bad = i + 1;
            snprintf(w->why, sizeof(w->why), "start: %s", coord_client_last_error(c)->detail);
        }
    }
    if (coord_loop_run(loop) != COORD_OK && w->first_bad == 0) {
        w->first_bad = -1;
        snprintf(w->why, sizeof(w->why), "coord_loop_run failed");
    }
    coord_loop_free(loop);
    coord_client_free(c);
    return NULL;
}

static void a_loop_per_thread(void **state)
{
    worker workers[LOOP_THREADS];
    (void)state;

    start_workers(workers, LOOP_THREADS, "L", run_loop_worker);
    join_workers(workers, LOOP_THREADS, LOOP_CALLS, "loop thread");
}

/* ---- cancelling from another thread ---- */

typedef struct cancel_target {
    coord_client *client;
    int stop;       /* set by the caller's thread when its calls are done */
    long cancels;   /* coord_client_cancel() calls that found a call */
} cancel_target;

static void *keep_cancelling(void *arg)
{
    cancel_target *t = arg;

    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
        if (coord_client_cancel(t->client) == COORD_OK)
            t->cancels++;
    return NULL;
}

/* One thread makes blocking calls while another cancels them as fast as it
 * can: each call ends either answered or cancelled, never otherwise. */
static void cancel_while_another_thread_calls(void **state)
{
    cancel_target target = {NULL, 0, 0};
    pthread_t canceller;
    worker w;
    int answered = 0, cancelled = 0;
    (void)state;

    memset(&w, 0, sizeof(w));
    snprintf(w.location, sizeof(w.location), "LOT-C");
    snprintf(w.user, sizeof(w.user), "LOT-C-user");
    assert_int_equal(coord_client_new(env("COORD_NGINX_URL"), env("COORD_NGINX_KEY"),
                                      &target.client), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(target.client, "a-user-token"), COORD_OK);
    assert_int_equal(pthread_create(&canceller, NULL, keep_cancelling, &target), 0);
    for (int i = 1; i <= CALLS; i++) {
        coord_session s;
        char why[COORD_MESSAGE_MAX + 64];
        coord_status st = coord_end_session(target.client, w.location, i, &s);

        if (st == COORD_OK) {
            check_session(&w, &s, i, why, sizeof(why));
            if (why[0] != '\0')
                fail_msg("call %d: %s", i, why);
            answered++;
        } else {
            assert_string_equal(coord_status_name(st), "COORD_ERR_CANCELLED");
            cancelled++;
        }
    }
    __atomic_store_n(&target.stop, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(canceller, NULL), 0);
    assert_int_equal(answered + cancelled, CALLS);
    print_message("%d answered, %d cancelled (%ld cancels found a call)\n", answered, cancelled,
                  target.cancels);
    coord_client_free(target.client);
}

/* The pure helpers from many threads at once, against one shared input. */
static void *decode_many(void *arg)
{
    static const char json[] =
        "{\"id\":42,\"location_id\":\"L\",\"start_time\":\"2018-04-12T00:14:20.292Z\","
        "\"end_time\":\"2018-04-12T00:17:50.161Z\","
        "\"billing_info\":{\"cost\":{\"amount\":100,\"currency\":\"USD\"}}}";
    int *ok = arg;

    for (int i = 0; i < CALLS; i++) {
        coord_session s;
        char detail[64];

        if (coord_session_decode(json, sizeof(json) - 1, &s, detail, sizeof(detail)) ==
                COORD_OK &&
            s.id == 42 && s.end_time_ms == INT64_C(1523492270161) &&
            s.billing_info.cost.amount == 100 &&
            strcmp(coord_status_name(COORD_ERR_TLS), "COORD_ERR_TLS") == 0)
            (*ok)++;
    }
    return NULL;
}

static void pure_helpers_from_many_threads(void **state)
{
    pthread_t threads[THREADS];
    int ok[THREADS] = {0};
    (void)state;

    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, decode_many, &ok[t]), 0);
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(ok[t], CALLS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eight_threads_two_thousand_calls_each),
        cmocka_unit_test(pure_helpers_from_many_threads),
        cmocka_unit_test(a_loop_per_thread),
        cmocka_unit_test(cancel_while_another_thread_calls),
    };
    int failed;

    if (coord_global_init() != COORD_OK)
        return 2;
    failed = cmocka_run_group_tests_name("threads", tests, NULL, NULL);
    coord_global_cleanup();
    return failed;
}
