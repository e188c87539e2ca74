/* Calls whose host name does not resolve in time: every call still ends by
 * its deadline, a cancel or coord_loop_free() returns at once, and the
 * other calls of the loop go on. Run through with_dns_blackhole.sh (a DNS
 * server that never answers: each lookup stalls 4 s); without it each test
 * says it was skipped. The simulator, on 127.0.0.1 (no lookup), is the
 * reachable server the other calls use.
 *
 * libcurl's threaded resolver used to join its lookup thread whenever a
 * transfer ended during a lookup (timeout, cancel, free): the loop froze
 * until the lookup gave up, and so did every other call on it. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

#define LOT "LOT-A"
#define TOTAL_MS 2000u
/* The bounds the tests hold a call to; RUN (valgrind, qemu) stretches them
 * (COORD_TEST_SLOW, set by the Makefile), never past the 4 s stall itself. */
static double slack_s(double native)
{
    return getenv("COORD_TEST_SLOW") != NULL ? native * 5 : native;
}

/* Names that exist nowhere but in the black hole's silence. */
static void stalled_base(char *base, size_t size, const char *name)
{
    snprintf(base, size, "http://%s.stall.coord.test:80/v1/access/parking", name);
}

static coord_client *stalled_client(const char *name)
{
    char base[256];
    coord_client *c = NULL;

    stalled_base(base, sizeof(base), name);
    assert_int_equal(coord_client_new(base, sim_key(), &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "kiosk-token"), COORD_OK); /* sent */
    assert_int_equal(coord_client_set_timeouts(c, TOTAL_MS, TOTAL_MS), COORD_OK);
    assert_int_equal(coord_client_set_retry(c, 1, 10, 50), COORD_OK);
    return c;
}

typedef struct result {
    int calls;
    coord_status status;
    coord_error error;
    double at;
} result;

static void on_session(coord_call *call, coord_status status, const coord_error *error,
                       const coord_session *session, void *user_data)
{
    result *r = user_data;

    (void)call;
    (void)session;
    r->calls++;
    r->status = status;
    r->error = *error;
    r->at = sim_now_s();
}

static coord_loop *new_loop(void)
{
    coord_loop *loop = NULL;

    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    return loop;
}

/* Run the loop in short turns until no call is left or limit_s passed;
 * returns the longest turn: a turn is how long the loop was not ours. */
static double run_in_turns(coord_loop *loop, double limit_s)
{
    double start = sim_now_s(), longest = 0;

    while (coord_loop_calls(loop) > 0 && sim_now_s() - start < limit_s) {
        double t0 = sim_now_s(), took;

        assert_int_equal(coord_loop_run_once(loop, 20), COORD_OK);
        took = sim_now_s() - t0;
        if (took > longest)
            longest = took;
    }
    return longest;
}

static int setup(void **state)
{
    (void)state;
    if (getenv("COORD_TEST_DNS_BLACKHOLE") == NULL)
        skip(); /* with_dns_blackhole.sh said why */
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    return 0;
}

/* A call to a stalled name times out at its total timeout; the calls to a
 * reachable server on the same loop go on meanwhile, and the loop is never
 * held up for long. */
static void a_stalled_lookup_keeps_the_timeout_and_the_loop(void **state)
{
    enum { N = 20 };
    coord_client *stalled = stalled_client("timeout");
    coord_client *good = sim_user_client();
    coord_loop *loop = new_loop();
    result r, ok[N];
    double t0, longest = 0;
    (void)state;

    memset(&r, 0, sizeof(r));
    memset(ok, 0, sizeof(ok));
    /* the reachable server answers each call after 0.1 s, over 2 s */
    sim_fault("{\"mode\":\"delay\",\"seconds\":0.1,\"count\":20}");
    t0 = sim_now_s();
    assert_int_equal(coord_end_session_async(loop, stalled, LOT, 1, on_session, &r, NULL),
                     COORD_OK);
    for (int i = 0; i < N; i++) {
        int64_t id = sim_session(LOT, 30, 0, NULL, 0);

        assert_int_equal(coord_session_get_async(loop, good, LOT, id, on_session, &ok[i], NULL),
                         COORD_OK);
        double turn = run_in_turns(loop, 0.1); /* the next call a tenth of a second later */

        if (turn > longest)
            longest = turn;
    }
    double turn = run_in_turns(loop, 10);

    if (turn > longest)
        longest = turn;
    print_message("stalled lookup: %s after %.3f s (%s); longest loop turn %.3f s\n",
                  coord_status_name(r.status), r.at - t0, r.error.detail, longest);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, COORD_ERR_TIMEOUT);
    assert_true(r.at - t0 >= TOTAL_MS / 1000.0 - 0.05);
    assert_true(r.at - t0 <= TOTAL_MS / 1000.0 + slack_s(0.2));
    assert_true(longest < slack_s(0.2));
    for (int i = 0; i < N; i++) {
        assert_int_equal(ok[i].calls, 1);
        assert_int_equal(ok[i].status, COORD_OK);
    }
    coord_loop_free(loop);
    coord_client_free(good);
    coord_client_free(stalled);
}

/* Cancel and coord_loop_free() during a lookup return at once. */
static void cancel_and_free_during_a_lookup(void **state)
{
    coord_client *c = stalled_client("cancel");
    coord_loop *loop = new_loop();
    coord_call *call = NULL;
    result r, freed;
    double t0, took;
    (void)state;

    memset(&r, 0, sizeof(r));
    memset(&freed, 0, sizeof(freed));
    assert_int_equal(coord_end_session_async(loop, c, LOT, 1, on_session, &r, &call), COORD_OK);
    (void)run_in_turns(loop, 0.3); /* the lookup is under way */
    t0 = sim_now_s();
    assert_int_equal(coord_call_cancel(call), COORD_OK);
    took = sim_now_s() - t0;
    print_message("cancel during a lookup: %.3f s\n", took);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, COORD_ERR_CANCELLED);
    assert_true(took < slack_s(0.05));

    assert_int_equal(coord_end_session_async(loop, c, LOT, 2, on_session, &freed, NULL),
                     COORD_OK);
    (void)run_in_turns(loop, 0.3);
    t0 = sim_now_s();
    coord_loop_free(loop);
    took = sim_now_s() - t0;
    print_message("coord_loop_free during a lookup: %.3f s\n", took);
    assert_int_equal(freed.calls, 1);
    assert_int_equal(freed.status, COORD_ERR_CANCELLED);
    assert_true(took < slack_s(0.05));
    coord_client_free(c);
}

/* The blocking form: its timeout holds, and coord_client_cancel() from
 * another thread ends it at once. */
typedef struct blocking {
    coord_client *client;
    coord_status status;
    double at;
} blocking;

static void *end_blocking(void *arg)
{
    blocking *b = arg;
    coord_session s;

    b->status = coord_end_session(b->client, LOT, 1, &s);
    b->at = sim_now_s();
    return NULL;
}

static void blocking_calls_during_a_lookup(void **state)
{
    coord_client *c = stalled_client("blocking");
    struct timespec half = {0, 500000000L};
    blocking b = {c, COORD_OK, 0};
    pthread_t thread;
    coord_session s;
    double t0;
    (void)state;

    t0 = sim_now_s();
    assert_int_equal(coord_end_session(c, LOT, 1, &s), COORD_ERR_TIMEOUT);
    print_message("blocking call, stalled lookup: timeout after %.3f s\n", sim_now_s() - t0);
    assert_true(sim_now_s() - t0 <= TOTAL_MS / 1000.0 + slack_s(0.2));

    assert_int_equal(coord_client_set_timeouts(c, 10000, 10000), COORD_OK);
    t0 = sim_now_s();
    assert_int_equal(pthread_create(&thread, NULL, end_blocking, &b), 0);
    nanosleep(&half, NULL);
    assert_int_equal(coord_client_cancel(c), COORD_OK);
    assert_int_equal(pthread_join(thread, NULL), 0);
    print_message("blocking call cancelled at 0.5 s: returned at %.3f s\n", b.at - t0);
    assert_int_equal(b.status, COORD_ERR_CANCELLED);
    /* libcurl looks at the cancel between its waits: a few tens of ms on an
     * idle machine, a few hundred on a loaded one */
    assert_true(b.at - t0 <= 0.5 + slack_s(0.5));
    coord_client_free(c);
}

/* 64 lookups at once, each of its own name: all end by their deadline. */
static void a_burst_of_stalled_lookups(void **state)
{
    enum { N = 64 };
    static coord_client *c[N];
    static result r[N];
    coord_loop *loop = new_loop();
    double t0, last = 0;
    (void)state;

    assert_int_equal(coord_loop_set_limits(loop, N, N), COORD_OK);
    memset(r, 0, sizeof(r));
    for (int i = 0; i < N; i++) {
        char name[32];

        snprintf(name, sizeof(name), "burst-%d", i);
        c[i] = stalled_client(name);
    }
    t0 = sim_now_s();
    for (int i = 0; i < N; i++)
        assert_int_equal(coord_end_session_async(loop, c[i], LOT, 1, on_session, &r[i], NULL),
                         COORD_OK);
    (void)run_in_turns(loop, 10);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].status, COORD_ERR_TIMEOUT);
        if (r[i].at - t0 > last)
            last = r[i].at - t0;
    }
    print_message("64 stalled lookups: the last ended after %.3f s\n", last);
    assert_true(last <= TOTAL_MS / 1000.0 + slack_s(0.2));
    coord_loop_free(loop);
    for (int i = 0; i < N; i++)
        coord_client_free(c[i]);
}

/* The threads of the lookups given up finish on their own once the
 * resolver gives up (4 s): wait for them, so that the process ends with
 * nothing of libcurl's still running (valgrind would count it). "Them" is
 * every thread beyond those the process had before its first call: under
 * qemu-user a process has one of qemu's own from its start, and waiting
 * for a single thread there waited out the 30 s every run. */
static int threads_at_start;

static int threads_now(void)
{
    DIR *dir = opendir("/proc/self/task");
    struct dirent *entry;
    int n = 0;

    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL)
        n += entry->d_name[0] != '.';
    closedir(dir);
    return n;
}

static int wait_for_lookup_threads(void **state)
{
    struct timespec tenth = {0, 100000000L};
    double start = sim_now_s();
    int n;

    while ((n = threads_now()) > threads_at_start && sim_now_s() - start < 30)
        nanosleep(&tenth, NULL);
    if (n > threads_at_start)
        fprintf(stderr, "test_dns: %d threads still running after 30 s (%d at the start)\n", n,
                threads_at_start);
    return sim_group_teardown(state);
}

static int count_threads_then_setup(void **state)
{
    threads_at_start = threads_now();
    return sim_group_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_stalled_lookup_keeps_the_timeout_and_the_loop, setup),
        cmocka_unit_test_setup(cancel_and_free_during_a_lookup, setup),
        cmocka_unit_test_setup(blocking_calls_during_a_lookup, setup),
        cmocka_unit_test_setup(a_burst_of_stalled_lookups, setup),
    };
    return cmocka_run_group_tests_name("stalled name lookups", tests, count_threads_then_setup,
                                       wait_for_lookup_threads);
}
