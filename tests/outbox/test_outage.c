/* An outage: 500 ends queued while the server is down, a
 * tenth of the answers dropped after the server applied the end, the
 * server restarted mid-drain and the kiosk restarted mid-drain: every
 * session ended once, every bill delivered and acknowledged, the drift
 * (end_time - requested_at) recorded. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "coord/outbox.h"
#include "outbox_test.h"
#include "sim_client.h"

#define INTENTS 500

static int64_t sids[INTENTS];

static void wait_for_simulator(void)
{
    double deadline = sim_now_s() + 20;
    char out[64];
    /* sim_call exits on failure: probe with a client's call instead */
    coord_client *probe = obt_client(1);
    coord_session s;

    while (coord_session_get(probe, "OUT", sids[0], &s) == COORD_ERR_TRANSPORT) {
        assert_true(sim_now_s() < deadline);
        nanosleep(&(struct timespec){0, 50000000L}, NULL);
    }
    coord_client_free(probe);
    assert_int_equal(sim_call("GET", "/_sim/stats", NULL, out, sizeof(out)), 200);
}

/* Steps a non-blocking drain until it is over or `until_results` results are recorded. */
static coord_outbox_drain_stats drive(coord_outbox *ob, coord_loop *loop, uint32_t until_results)
{
    coord_outbox_drain_stats ds;
    int64_t wait = 0;

    for (;;) {
        assert_int_equal(coord_outbox_drain_step(ob, &wait, &ds), COORD_OK);
        if (wait < 0 || ds.ended + ds.refused + ds.expired >= until_results)
            return ds;
        assert_true(coord_loop_calls(loop) <= 16);
        if (coord_loop_calls(loop) > 0)
            assert_int_equal(coord_loop_run_once(loop, (uint32_t)wait), COORD_OK);
        else
            nanosleep(&(struct timespec){0, (long)wait * 1000000L}, NULL);
    }
}

static void five_hundred_ends_survive_an_outage(void **state)
{
    static coord_outbox_item items[100];
    static coord_outbox_request reqs[100];
    char path[512];
    coord_client *client = obt_client(3);
    coord_loop *loop = NULL;
    coord_outbox *ob;
    coord_outbox_drain_stats ds;
    coord_outbox_stats st;
    struct timespec now;
    int64_t asked_at, after = 0;
    size_t n, delivered = 0;
    uint32_t recovered = 0;

    (void)state;
    sim_reset();
    for (int i = 0; i < INTENTS; i++)
        sids[i] = obt_session("OUT");
    obt_path(path, sizeof(path), "outage.outbox");
    ob = obt_open(path);
    assert_int_equal(coord_outbox_set_drain(ob, 16, 50, 400), COORD_OK);
    clock_gettime(CLOCK_REALTIME, &now);
    asked_at = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    for (int i = 0; i < INTENTS; i += 100) {
        for (int j = 0; j < 100; j++)
            reqs[j] = (coord_outbox_request){"OUT", sids[i + j], asked_at};
        assert_int_equal(coord_outbox_end_batch(ob, reqs, 100, NULL), COORD_OK);
    }

    /* the server goes down: a drain gets nowhere, everything stays pending */
    obt_outage(2.0);
    nanosleep(&(struct timespec){0, 200000000L}, NULL);
    assert_int_equal(coord_outbox_drain(ob, client, 800, &ds), COORD_ERR_TIMEOUT);
    assert_int_equal(ds.ended, 0);
    assert_int_equal(ds.pending, INTENTS);
    assert_int_equal(ds.last_failure, COORD_ERR_TRANSPORT);
    wait_for_simulator();

    /* back, but a tenth of the answers are lost after the end was applied */
    obt_drop_ends(0.1, 7);
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    assert_int_equal(coord_outbox_drain_start(ob, loop, client), COORD_OK);
    (void)drive(ob, loop, 150);
    /* the server restarts mid-drain (every connection dropped) */
    obt_outage(0.3);
    ds = drive(ob, loop, 300);
    recovered = ds.recovered;
    /* the kiosk restarts mid-drain: calls in flight cancelled, store reopened */
    coord_outbox_close(ob);
    coord_loop_free(loop);
    ob = obt_open(path);
    assert_int_equal(coord_outbox_set_drain(ob, 16, 50, 400), COORD_OK);
    assert_int_equal(coord_outbox_stats_get(ob, &st), COORD_OK);
    assert_true(st.pending > 0 && st.pending < INTENTS);
    assert_int_equal(st.pending + st.results, INTENTS);
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    assert_int_equal(coord_outbox_drain_start(ob, loop, client), COORD_OK);
    ds = drive(ob, loop, UINT32_MAX);
    recovered += ds.recovered;
    assert_int_equal(ds.pending, 0);
    coord_loop_free(loop);

    /* every bill delivered, acknowledged, and every session ended once */
    assert_int_equal(obt_ledger_total(), INTENTS);
    assert_int_equal(obt_ledger_max(), 1);
    do {
        assert_int_equal(coord_outbox_results(ob, after, items, 100, &n), COORD_OK);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(items[i].state, COORD_OUTBOX_ENDED);
            assert_int_equal(items[i].status, COORD_OK);
            assert_int_equal(items[i].requested_at_ms, asked_at);
            assert_int_equal(items[i].session.billing_info.cost.amount, 100);
            assert_int_equal(items[i].drift_ms, items[i].session.end_time_ms - asked_at);
            assert_true(items[i].drift_ms >= 1500); /* it waited out the outage */
            assert_int_equal(obt_ledger_count("OUT", items[i].session_id), 1);
            assert_int_equal(coord_outbox_ack(ob, items[i].id), COORD_OK);
            after = items[i].id;
        }
        delivered += n;
    } while (n > 0);
    assert_int_equal(delivered, INTENTS);
    assert_true(recovered > 0); /* some answers were lost and recovered */
    assert_int_equal(coord_outbox_stats_get(ob, &st), COORD_OK);
    assert_int_equal(st.pending + st.results, 0);
    printf("outage: %d ends, %u recovered after a lost answer, all ended once\n", INTENTS,
           recovered);
    obt_drop_ends(0, 0);
    coord_outbox_close(ob);
    coord_client_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(five_hundred_ends_survive_an_outage),
    };
    return cmocka_run_group_tests_name("outbox outage (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
