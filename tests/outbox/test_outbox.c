/* The outbox against the simulator: record, drain, results, acknowledge;
 * lost answers, refusals, expiry, bounds, bad files, the non-blocking drain. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "coord/outbox.h"
#include "outbox_test.h"
#include "sim_client.h"

static coord_outbox_item items[64];

static int setup(void **state)
{
    (void)state;
    sim_reset();
    return 0;
}

static void path_of(char *buf, size_t size, const char *name)
{
    char wal[1100];
    obt_path(buf, size, name);
    remove(buf);
    snprintf(wal, sizeof(wal), "%s-wal", buf);
    remove(wal);
}

/* The whole cycle: recorded, sent, the bill recorded and handed out until
 * acknowledged, the session ended once. */
static void records_drains_and_delivers_the_bill(void **state)
{
    char path[512];
    coord_client *client = obt_client(3);
    coord_outbox *ob;
    coord_outbox_drain_stats ds;
    coord_outbox_stats st;
    int64_t sid = obt_session("L1"), id = 0, id2 = 0, before = 0;
    size_t n = 0;

    (void)state;
    path_of(path, sizeof(path), "cycle.outbox");
    ob = obt_open(path);
    {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        before = (int64_t)now.tv_sec * 1000 - 90000; /* the driver asked 90 s ago */
    }
    assert_int_equal(coord_outbox_end(ob, "L1", sid, before, &id), COORD_OK);
    assert_true(id > 0);
    /* the same session again: the same intent, nothing new */
    assert_int_equal(coord_outbox_end(ob, "L1", sid, 0, &id2), COORD_OK);
    assert_int_equal(id2, id);
    assert_int_equal(coord_outbox_stats_get(ob, &st), COORD_OK);
    assert_int_equal(st.pending, 1);
    assert_int_equal(st.results, 0);
    assert_int_equal(st.oldest_pending_ms, before);
    assert_true(st.oldest_age_ms > 0);
    assert_int_equal(coord_outbox_results(ob, 0, items, 64, &n), COORD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(coord_outbox_ack(ob, id), COORD_ERR_INVALID_ARGUMENT); /* pending */

    assert_int_equal(coord_outbox_drain(ob, client, 10000, &ds), COORD_OK);
    assert_int_equal(ds.sent, 1);
    assert_int_equal(ds.ended, 1);
    assert_int_equal(ds.recovered, 0);
    assert_int_equal(ds.pending, 0);
    assert_int_equal(obt_ledger_count("L1", sid), 1);

    /* handed out again after a restart, until acknowledged */
    coord_outbox_close(ob);
    ob = obt_open(path);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(coord_outbox_results(ob, 0, items, 64, &n), COORD_OK);
        assert_int_equal(n, 1);
        assert_int_equal(items[0].id, id);
        assert_int_equal(items[0].state, COORD_OUTBOX_ENDED);
        assert_int_equal(items[0].status, COORD_OK);
        assert_int_equal(items[0].attempts, 1);
        assert_string_equal(items[0].location_id, "L1");
        assert_int_equal(items[0].session.id, sid);
        assert_true(items[0].session.has_end_time);
        assert_true(items[0].session.has_billing_info);
        assert_true(items[0].session.billing_info.has_cost);
        assert_int_equal(items[0].session.billing_info.cost.amount, 100);
        assert_string_equal(items[0].session.billing_info.cost.currency, "USD");
        assert_string_equal(items[0].session.user_id, SIM_DEFAULT_USER);
        assert_int_equal(items[0].requested_at_ms, before);
        assert_int_equal(items[0].drift_ms, items[0].session.end_time_ms - before);
        assert_true(items[0].drift_ms >= 90000 && items[0].drift_ms < 150000);
        assert_true(items[0].completed_at_ms >= items[0].recorded_at_ms);
    }
    assert_int_equal(coord_outbox_ack(ob, id), COORD_OK);
    assert_int_equal(coord_outbox_ack(ob, id), COORD_ERR_NOT_FOUND);
    coord_outbox_close(ob);
    ob = obt_open(path);
    assert_int_equal(coord_outbox_results(ob, 0, items, 64, &n), COORD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(coord_outbox_find(ob, "L1", sid, &items[0]), COORD_ERR_NOT_FOUND);
    /* a drain with nothing pending sends nothing */
    assert_int_equal(coord_outbox_drain(ob, client, 1000, &ds), COORD_OK);
    assert_int_equal(ds.sent, 0);
    assert_int_equal(obt_ledger_total(), 1);
    coord_outbox_close(ob);
    coord_client_free(client);
}

/* An end that the server applied but whose answer was lost, with no retry
 * left in the call: the intent stays pending; the next drain's end is
 * refused (409), the session fetched and recorded as ended, with its bill. */
static void a_lost_answer_is_recovered_by_the_next_drain(void **state)
{
    char path[512];
    coord_client *client = obt_client(1);
    coord_outbox *ob;
    coord_outbox_drain_stats ds;
    coord_outbox_item item;
    int64_t sid = obt_session("L2"), id = 0;

    (void)state;
    path_of(path, sizeof(path), "lost.outbox");
    ob = obt_open(path);
    assert_int_equal(coord_outbox_set_drain(ob, 4, 0, 0), COORD_OK);
    assert_int_equal(coord_outbox_set_limits(ob, 100, 3600000, 5), COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L2", sid, 0, &id), COORD_OK);
    sim_fault("{\"mode\": \"end_then_drop\", \"count\": 1}");
    assert_int_equal(coord_outbox_drain(ob, client, 10000, &ds), COORD_OK);
    assert_int_equal(ds.sent, 2);
    assert_int_equal(ds.failures, 1);
    assert_int_equal(ds.last_failure, COORD_ERR_TRANSPORT);
    assert_int_equal(ds.ended, 1);
    assert_int_equal(ds.recovered, 1);
    assert_int_equal(obt_ledger_count("L2", sid), 1);
    assert_int_equal(coord_outbox_get(ob, id, &item), COORD_OK);
    assert_int_equal(item.state, COORD_OUTBOX_ENDED);
    assert_int_equal(item.status, COORD_OK); /* ours, not "already ended" */
    assert_int_equal(item.attempts, 2);
    assert_true(item.session.recovered);
    assert_int_equal(item.session.billing_info.cost.amount, 100);
    coord_outbox_close(ob);
    coord_client_free(client);
}

/* A session ended before the outbox's first attempt: reported ended, with
 * its bill, and status COORD_ERR_ALREADY_ENDED says it was not this end. */
static void a_session_ended_elsewhere_is_reported_with_its_bill(void **state)
{
    char path[512];
    coord_client *client = obt_client(2);
    coord_outbox *ob;
    coord_session s;
    int64_t sid = obt_session("L3"), id = 0;

    (void)state;
    path_of(path, sizeof(path), "elsewhere.outbox");
    ob = obt_open(path);
    assert_int_equal(coord_end_session(client, "L3", sid, &s), COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L3", sid, 0, &id), COORD_OK);
    assert_int_equal(coord_outbox_drain(ob, client, 10000, NULL), COORD_OK);
    assert_int_equal(coord_outbox_get(ob, id, &items[0]), COORD_OK);
    assert_int_equal(items[0].state, COORD_OUTBOX_ENDED);
    assert_int_equal(items[0].status, COORD_ERR_ALREADY_ENDED);
    assert_string_equal(items[0].session.end_time, s.end_time);
    assert_int_equal(items[0].session.billing_info.cost.amount, s.billing_info.cost.amount);
    assert_int_equal(obt_ledger_count("L3", sid), 1);
    coord_outbox_close(ob);
    coord_client_free(client);
}

/* Final refusals are results; an unreachable server leaves intents pending,
 * and a drain's deadline says so. */
static void refusals_are_results_and_outages_stay_pending(void **state)
{
    char path[512];
    coord_client *client = obt_client(2), *down = obt_down_client();
    coord_outbox *ob;
    coord_outbox_drain_stats ds;
    coord_outbox_request reqs[3];
    int64_t ids[3], gate = sim_session("L4", 5, 1, NULL, 0);
    size_t n;

    (void)state;
    path_of(path, sizeof(path), "refusals.outbox");
    ob = obt_open(path);
    reqs[0] = (coord_outbox_request){"L4", gate, 0};
    reqs[1] = (coord_outbox_request){"L4", 999999, 0};
    reqs[2] = (coord_outbox_request){"NOWHERE", 1, 0};
    assert_int_equal(coord_outbox_end_batch(ob, reqs, 3, ids), COORD_OK);
    assert_true(ids[0] < ids[1] && ids[1] < ids[2]);

    assert_int_equal(coord_outbox_set_drain(ob, 2, 20, 40), COORD_OK);
    assert_int_equal(coord_outbox_drain(ob, down, 300, &ds), COORD_ERR_TIMEOUT);
    assert_int_equal(coord_outbox_last_error(ob)->status, COORD_ERR_TIMEOUT);
    assert_int_equal(ds.pending, 3);
    assert_true(ds.failures >= 3);
    assert_int_equal(ds.last_failure, COORD_ERR_TRANSPORT);
    assert_int_equal(coord_outbox_list(ob, 0, items, 64, &n), COORD_OK);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].state, COORD_OUTBOX_PENDING);
    assert_int_equal(items[0].status, COORD_ERR_TRANSPORT);
    assert_true(items[0].attempts >= 1);
    assert_true(strlen(items[0].detail) > 0);

    assert_int_equal(coord_outbox_drain(ob, client, 10000, &ds), COORD_OK);
    assert_int_equal(ds.refused, 3);
    assert_int_equal(coord_outbox_results(ob, 0, items, 64, &n), COORD_OK);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].state, COORD_OUTBOX_REFUSED);
    assert_int_equal(items[0].status, COORD_ERR_PHYSICAL_CHECKOUT);
    assert_int_equal(items[1].status, COORD_ERR_NOT_FOUND);
    assert_int_equal(items[2].status, COORD_ERR_NOT_FOUND);
    assert_int_equal(items[0].session.id, 0); /* no session on a refusal */
    assert_int_equal(obt_ack_all(ob), 3);
    assert_int_equal(obt_ledger_total(), 0);
    coord_outbox_close(ob);
    coord_client_free(client);
    coord_client_free(down);
}

/* Too old, or out of attempts: EXPIRED, reported like a result, never sent. */
static void old_intents_expire_and_are_reported(void **state)
{
    char path[512];
    coord_client *client = obt_client(1), *down = obt_down_client();
    coord_outbox *ob;
    coord_outbox_drain_stats ds;
    coord_outbox_item item;
    int64_t old = obt_session("L5"), tried = obt_session("L5"), id_old, id_tried;
    struct timespec now;

    (void)state;
    clock_gettime(CLOCK_REALTIME, &now);
    path_of(path, sizeof(path), "expiry.outbox");
    ob = obt_open(path);
    assert_int_equal(coord_outbox_set_limits(ob, 100, 60000, 2), COORD_OK);
    assert_int_equal(coord_outbox_set_drain(ob, 4, 0, 0), COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L5", old, (int64_t)now.tv_sec * 1000 - 120000, &id_old),
                     COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L5", tried, 0, &id_tried), COORD_OK);
    assert_int_equal(coord_outbox_drain(ob, down, 10000, &ds), COORD_OK);
    assert_int_equal(ds.expired, 2);
    assert_int_equal(ds.sent, 2); /* the old one never */
    assert_int_equal(coord_outbox_get(ob, id_old, &item), COORD_OK);
    assert_int_equal(item.state, COORD_OUTBOX_EXPIRED);
    assert_int_equal(item.attempts, 0);
    assert_non_null(strstr(item.detail, "expired"));
    assert_int_equal(coord_outbox_get(ob, id_tried, &item), COORD_OK);
    assert_int_equal(item.state, COORD_OUTBOX_EXPIRED);
    assert_int_equal(item.attempts, 2);
    assert_int_equal(item.status, COORD_ERR_TRANSPORT);
    /* expired intents are never sent again */
    assert_int_equal(coord_outbox_drain(ob, client, 10000, &ds), COORD_OK);
    assert_int_equal(ds.sent, 0);
    assert_int_equal(obt_ledger_total(), 0);
    coord_outbox_close(ob);
    coord_client_free(client);
    coord_client_free(down);
}

/* At max_intents the outbox refuses to record (reason FULL), until a result
 * is acknowledged. */
static void a_full_outbox_refuses_and_says_so(void **state)
{
    char path[512];
    coord_client *client = obt_client(2);
    coord_outbox *ob;
    int64_t id = 7;

    (void)state;
    path_of(path, sizeof(path), "full.outbox");
    ob = obt_open(path);
    assert_int_equal(coord_outbox_set_limits(ob, 2, 3600000, 10), COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L6", obt_session("L6"), 0, NULL), COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L6", obt_session("L6"), 0, NULL), COORD_OK);
    assert_int_equal(coord_outbox_end(ob, "L6", 424242, 0, &id), COORD_ERR_STORAGE);
    assert_int_equal(id, 0);
    assert_int_equal(coord_outbox_last_error(ob)->reason, COORD_OUTBOX_REASON_FULL);
    assert_int_equal(coord_outbox_find(ob, "L6", 424242, &items[0]), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_outbox_drain(ob, client, 10000, NULL), COORD_OK);
    /* results count until acknowledged */
    assert_int_equal(coord_outbox_end(ob, "L6", 424242, 0, NULL), COORD_ERR_STORAGE);
    assert_int_equal(obt_ack_all(ob), 2);
    assert_int_equal(coord_outbox_end(ob, "L6", 424242, 0, NULL), COORD_OK);
    coord_outbox_close(ob);
    coord_client_free(client);
}

/* ---- files that are not usable outboxes -------------------------------------- */

static void assert_refused(const char *path, uint32_t flags, int32_t reason)
{
    coord_outbox *ob = (coord_outbox *)&ob;
    coord_outbox_error err;
    int64_t before = obt_file_hash(path);

    assert_int_equal(coord_outbox_open(path, flags, &ob, &err), COORD_ERR_STORAGE);
    assert_null(ob);
    assert_int_equal(err.status, COORD_ERR_STORAGE);
    if (err.reason != reason)
        fail_msg("%s: reason %s, expected %s (%s)", path, coord_outbox_reason_name(err.reason),
                 coord_outbox_reason_name(reason), err.detail);
    assert_true(strlen(err.detail) > 0);
    assert_int_equal(obt_file_hash(path), before); /* untouched */
}

static void make_sqlite(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void bad_files_are_refused_and_left_alone(void **state)
{
    char path[600], good[512], dir[512];
    unsigned char noise[8192];
    coord_outbox *ob, *second = NULL;
    coord_outbox_error err;
    FILE *f;
    long size;

    (void)state;
    path_of(path, sizeof(path), "no-such-dir/x.outbox");
    assert_refused(path, COORD_OUTBOX_CREATE, COORD_OUTBOX_REASON_NO_DIRECTORY);
    path_of(path, sizeof(path), "missing.outbox");
    assert_refused(path, 0, COORD_OUTBOX_REASON_MISSING);
    assert_int_equal(access(path, F_OK), -1); /* not created without the flag */

    path_of(path, sizeof(path), "empty.outbox");
    obt_write_file(path, "", 0);
    assert_refused(path, COORD_OUTBOX_CREATE, COORD_OUTBOX_REASON_NOT_AN_OUTBOX);

    path_of(path, sizeof(path), "noise.outbox");
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (unsigned char)(i * 7919u + 13u);
    obt_write_file(path, noise, sizeof(noise));
    assert_refused(path, COORD_OUTBOX_CREATE, COORD_OUTBOX_REASON_NOT_AN_OUTBOX);

    path_of(path, sizeof(path), "foreign.db");
    make_sqlite(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    assert_refused(path, COORD_OUTBOX_CREATE, COORD_OUTBOX_REASON_NOT_AN_OUTBOX);

    /* an outbox with rows, then a newer schema, then cut short */
    path_of(good, sizeof(good), "good.outbox");
    ob = obt_open(good);
    for (int i = 0; i < 300; i++)
        assert_int_equal(coord_outbox_end(ob, "L7", 1000 + i, 0, NULL), COORD_OK);
    /* one process per file: a second open is refused while it is held */
    assert_refused(good, 0, COORD_OUTBOX_REASON_BUSY);
    coord_outbox_close(ob);

    path_of(path, sizeof(path), "newer.outbox");
    make_sqlite(path, "PRAGMA application_id = 1131376482; PRAGMA user_version = 2;"
                      "CREATE TABLE intent (id INTEGER PRIMARY KEY);");
    assert_refused(path, 0, COORD_OUTBOX_REASON_NEWER_VERSION);

    path_of(path, sizeof(path), "truncated.outbox");
    f = fopen(good, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    assert_true(size > 16384);
    {
        unsigned char *copy = malloc((size_t)size);
        f = fopen(good, "rb");
        assert_int_equal(fread(copy, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        obt_write_file(path, copy, (size_t)size / 2);
        free(copy);
    }
    assert_refused(path, 0, COORD_OUTBOX_REASON_CORRUPT);

    /* a read-only directory (root writes anywhere: checked only as a user) */
    if (geteuid() != 0) {
        path_of(dir, sizeof(dir), "readonly");
        assert_int_equal(mkdir(dir, 0500), 0);
        snprintf(path, sizeof(path), "%s/x.outbox", dir);
        assert_refused(path, COORD_OUTBOX_CREATE, COORD_OUTBOX_REASON_READ_ONLY);
        chmod(dir, 0700);
    }
    /* the good one still opens, its 300 intents intact */
    assert_int_equal(coord_outbox_open(good, 0, &second, &err), COORD_OK);
    assert_int_equal(coord_outbox_list(second, 299 - 64, items, 64, &(size_t){0}), COORD_OK);
    assert_int_equal(coord_outbox_find(second, "L7", 1299, &items[0]), COORD_OK);
    assert_int_equal(items[0].state, COORD_OUTBOX_PENDING);
    coord_outbox_close(second);
}

static void arguments_are_checked(void **state)
{
    char path[512];
    coord_outbox *ob;
    coord_outbox_error err;
    coord_client *client = obt_client(1);
    int64_t wait;
    size_t n;
    char long_id[COORD_ID_MAX + 1];

    (void)state;
    memset(long_id, 'x', COORD_ID_MAX);
    long_id[COORD_ID_MAX] = '\0';
    path_of(path, sizeof(path), "args.outbox");
    assert_int_equal(coord_outbox_open(NULL, 0, &ob, &err), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_open(path, 8, &ob, &err), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_open(path, 0, NULL, NULL), COORD_ERR_INVALID_ARGUMENT);
    ob = obt_open(path);
    assert_int_equal(coord_outbox_end(NULL, "L", 1, 0, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_end(ob, "", 1, 0, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_end(ob, "..", 1, 0, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_end(ob, "a\nb", 1, 0, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_end(ob, long_id, 1, 0, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_end(ob, "L", 1, -5, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_end_batch(ob, NULL, 1, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_set_limits(ob, 0, 1000, 1), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_set_limits(ob, 10, 0, 1), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_set_drain(ob, 0, 0, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_set_drain(ob, 4, 100, 10), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_results(ob, 0, items, 0, &n), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_drain(ob, NULL, 10, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_drain_step(ob, &wait, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_outbox_ack(ob, 12345), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_outbox_get(ob, 12345, &items[0]), COORD_ERR_NOT_FOUND);
    assert_string_equal(coord_outbox_state_name(COORD_OUTBOX_EXPIRED), "EXPIRED");
    assert_string_equal(coord_outbox_state_name(9), "UNKNOWN");
    assert_string_equal(coord_outbox_reason_name(COORD_OUTBOX_REASON_FULL), "FULL");
    assert_string_equal(coord_status_name(COORD_ERR_STORAGE), "COORD_ERR_STORAGE");
    assert_null(coord_outbox_last_error(NULL));
    coord_outbox_close(ob);
    coord_outbox_close(NULL);
    coord_client_free(client);
}

/* The non-blocking drain on the application's loop: 40 ends, 8 in flight. */
static void drains_on_a_loop(void **state)
{
    char path[512];
    coord_client *client = obt_client(3);
    coord_loop *loop = NULL;
    coord_outbox *ob;
    coord_outbox_drain_stats ds;
    int64_t sids[40], wait = 0;
    int steps = 0;
    size_t n = 0, total = 0;
    int64_t after = 0;

    (void)state;
    path_of(path, sizeof(path), "loop.outbox");
    ob = obt_open(path);
    for (int i = 0; i < 40; i++) {
        sids[i] = obt_session("L8");
        assert_int_equal(coord_outbox_end(ob, "L8", sids[i], 0, NULL), COORD_OK);
    }
    assert_int_equal(coord_outbox_set_drain(ob, 8, 10, 100), COORD_OK);
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    assert_int_equal(coord_outbox_drain_start(ob, loop, client), COORD_OK);
    assert_int_equal(coord_outbox_drain_start(ob, loop, client), COORD_ERR_INVALID_ARGUMENT);
    for (;;) {
        assert_int_equal(coord_outbox_drain_step(ob, &wait, &ds), COORD_OK);
        if (wait < 0)
            break;
        assert_true(coord_loop_calls(loop) <= 8);
        assert_int_equal(coord_loop_run_once(loop, (uint32_t)wait), COORD_OK);
        assert_true(++steps < 100000);
    }
    assert_int_equal(ds.sent, 40);
    assert_int_equal(ds.ended, 40);
    assert_int_equal(ds.pending, 0);
    do {
        assert_int_equal(coord_outbox_results(ob, after, items, 64, &n), COORD_OK);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(items[i].state, COORD_OUTBOX_ENDED);
            assert_int_equal(items[i].session.billing_info.cost.amount, 100);
            after = items[i].id;
        }
        total += n;
    } while (n > 0);
    assert_int_equal(total, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(obt_ledger_count("L8", sids[i]), 1);
    coord_outbox_close(ob);
    coord_loop_free(loop);
    coord_client_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(records_drains_and_delivers_the_bill, setup),
        cmocka_unit_test_setup(a_lost_answer_is_recovered_by_the_next_drain, setup),
        cmocka_unit_test_setup(a_session_ended_elsewhere_is_reported_with_its_bill, setup),
        cmocka_unit_test_setup(refusals_are_results_and_outages_stay_pending, setup),
        cmocka_unit_test_setup(old_intents_expire_and_are_reported, setup),
        cmocka_unit_test_setup(a_full_outbox_refuses_and_says_so, setup),
        cmocka_unit_test_setup(bad_files_are_refused_and_left_alone, setup),
        cmocka_unit_test_setup(arguments_are_checked, setup),
        cmocka_unit_test_setup(drains_on_a_loop, setup),
    };
    return cmocka_run_group_tests_name("outbox (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
