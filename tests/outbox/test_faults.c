/* The outbox under I/O faults (the power-cut VFS injects them): a full
 * disk (ENOSPC) and a failing write, a failing fsync, a failing read.
 * Each call fails with COORD_ERR_STORAGE, claims nothing it did not
 * record, and the store works again once the fault clears. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coord/outbox.h"
#include "outbox_test.h"
#include "powercut_vfs.h"
#include "sim_client.h"

static int setup(void **state)
{
    (void)state;
    sim_reset();
    for (int kind = 0; kind < PCV_KINDS; kind++)
        pcv_fail(kind, 1, 0);
    return 0;
}

static coord_outbox *fresh(const char *name)
{
    char path[512], wal[600];
    obt_path(path, sizeof(path), name);
    remove(path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    remove(wal);
    return obt_open(path);
}

static void reopen(coord_outbox **ob, const char *name)
{
    char path[512];
    obt_path(path, sizeof(path), name);
    coord_outbox_close(*ob);
    *ob = obt_open(path);
}

static void assert_storage(coord_outbox *ob, coord_status st, int32_t reason)
{
    const coord_outbox_error *e = coord_outbox_last_error(ob);
    assert_int_equal(st, COORD_ERR_STORAGE);
    assert_int_equal(e->status, COORD_ERR_STORAGE);
    if (e->reason != reason)
        fail_msg("reason %s, expected %s (%s)", coord_outbox_reason_name(e->reason),
                 coord_outbox_reason_name(reason), e->detail);
    assert_true(e->sqlite_code != 0);
    assert_true(strlen(e->detail) > 0);
}

/* Every write of the transaction fails with ENOSPC in turn, then its fsync. */
static void a_failed_enqueue_is_not_recorded(void **state)
{
    coord_outbox *ob = fresh("enqueue.outbox");
    coord_outbox_item item;
    int64_t id = -1;
    long failures = 0;

    (void)state;
    for (long n = 1; n <= 3; n++) {
        pcv_fail(PCV_WRITE, n, 1);
        assert_storage(ob, coord_outbox_end(ob, "F1", 100 + n, 0, &id), COORD_OUTBOX_REASON_DISK_FULL);
        assert_int_equal(id, 0);
        assert_int_equal(coord_outbox_find(ob, "F1", 100 + n, &item), COORD_ERR_NOT_FOUND);
        failures++;
    }
    pcv_fail(PCV_SYNC, 1, 1);
    assert_storage(ob, coord_outbox_end(ob, "F1", 200, 0, &id), COORD_OUTBOX_REASON_IO);
    failures++;
    assert_int_equal(pcv_failed(PCV_WRITE) + pcv_failed(PCV_SYNC) >= failures, 1);
    /* the fault cleared: the store works, in this process and the next */
    assert_int_equal(coord_outbox_end(ob, "F1", 300, 0, &id), COORD_OK);
    assert_true(id > 0);
    reopen(&ob, "enqueue.outbox");
    assert_int_equal(coord_outbox_find(ob, "F1", 300, &item), COORD_OK);
    assert_int_equal(item.id, id);
    for (long n = 1; n <= 3; n++)
        assert_int_equal(coord_outbox_find(ob, "F1", 100 + n, &item), COORD_ERR_NOT_FOUND);
    assert_int_equal(coord_outbox_find(ob, "F1", 200, &item), COORD_ERR_NOT_FOUND);
    coord_outbox_close(ob);
}

/* A failed batch records none of it. */
static void a_failed_batch_records_nothing(void **state)
{
    coord_outbox *ob = fresh("batch.outbox");
    coord_outbox_request reqs[50];
    coord_outbox_stats st;
    int64_t ids[50];

    (void)state;
    for (int i = 0; i < 50; i++)
        reqs[i] = (coord_outbox_request){"F2", 1000 + i, 0};
    pcv_fail(PCV_SYNC, 1, 1);
    assert_storage(ob, coord_outbox_end_batch(ob, reqs, 50, ids), COORD_OUTBOX_REASON_IO);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[49], 0);
    assert_int_equal(coord_outbox_stats_get(ob, &st), COORD_OK);
    assert_int_equal(st.pending, 0);
    assert_int_equal(coord_outbox_end_batch(ob, reqs, 50, ids), COORD_OK);
    assert_int_equal(coord_outbox_stats_get(ob, &st), COORD_OK);
    assert_int_equal(st.pending, 50);
    coord_outbox_close(ob);
}

/* A read that fails (EIO) fails the open; the next one reads. */
static void a_failed_read_fails_the_call(void **state)
{
    char path[512];
    coord_outbox *ob = fresh("read.outbox");
    coord_outbox_error err;
    coord_outbox_item items[4];
    size_t n = 9;

    (void)state;
    assert_int_equal(coord_outbox_end(ob, "F3", 1, 0, NULL), COORD_OK);
    coord_outbox_close(ob);
    obt_path(path, sizeof(path), "read.outbox");
    pcv_fail(PCV_READ, 1, 1000);
    ob = (coord_outbox *)&ob;
    assert_int_equal(coord_outbox_open(path, 0, &ob, &err), COORD_ERR_STORAGE);
    assert_null(ob);
    assert_int_equal(err.reason, COORD_OUTBOX_REASON_IO);
    assert_true(pcv_failed(PCV_READ) > 0);
    pcv_fail(PCV_READ, 1, 0);
    ob = obt_open(path);
    assert_int_equal(coord_outbox_list(ob, 0, items, 4, &n), COORD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].session_id, 1);
    coord_outbox_close(ob);
}

/* A result whose recording fails is not handed out; the drain stops with
 * the storage status; the next drain ends the session's intent once
 * (a second end is refused and the session fetched). Then an ack whose
 * fsync fails is not an ack: the result is handed out again. */
static void a_failed_drain_or_ack_claims_nothing(void **state)
{
    coord_client *client = obt_client(2);
    coord_outbox *ob = fresh("drain.outbox");
    coord_outbox_drain_stats ds;
    coord_outbox_item items[4];
    int64_t sid = obt_session("F4");
    size_t n = 0;

    (void)state;
    assert_int_equal(coord_outbox_end(ob, "F4", sid, 0, NULL), COORD_OK);
    /* the first sync is the claim (attempt 1), the second the result */
    pcv_fail(PCV_SYNC, 2, 1);
    assert_storage(ob, coord_outbox_drain(ob, client, 10000, &ds), COORD_OUTBOX_REASON_IO);
    assert_int_equal(ds.sent, 1);
    assert_int_equal(ds.ended, 0);
    assert_int_equal(obt_ledger_count("F4", sid), 1); /* the server did end it */
    assert_int_equal(coord_outbox_results(ob, 0, items, 4, &n), COORD_OK);
    assert_int_equal(n, 0); /* nothing claimed */

    pcv_fail(PCV_WRITE, 1, 1);
    assert_storage(ob, coord_outbox_drain(ob, client, 10000, &ds), COORD_OUTBOX_REASON_DISK_FULL);
    assert_int_equal(ds.sent, 0);

    assert_int_equal(coord_outbox_drain(ob, client, 10000, &ds), COORD_OK);
    assert_int_equal(ds.ended, 1);
    assert_int_equal(ds.recovered, 1);
    assert_int_equal(obt_ledger_count("F4", sid), 1);
    assert_int_equal(coord_outbox_results(ob, 0, items, 4, &n), COORD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].state, COORD_OUTBOX_ENDED);
    assert_int_equal(items[0].status, COORD_OK);
    assert_int_equal(items[0].session.billing_info.cost.amount, 100);

    pcv_fail(PCV_SYNC, 1, 1);
    assert_storage(ob, coord_outbox_ack(ob, items[0].id), COORD_OUTBOX_REASON_IO);
    reopen(&ob, "drain.outbox");
    assert_int_equal(coord_outbox_results(ob, 0, items, 4, &n), COORD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(coord_outbox_ack(ob, items[0].id), COORD_OK);
    reopen(&ob, "drain.outbox");
    assert_int_equal(coord_outbox_results(ob, 0, items, 4, &n), COORD_OK);
    assert_int_equal(n, 0);
    coord_outbox_close(ob);
    coord_client_free(client);
}

/* Creating a store on a full disk fails and leaves no outbox behind. */
static void a_failed_creation_leaves_nothing(void **state)
{
    char path[512];
    coord_outbox *ob = NULL;
    coord_outbox_error err;

    (void)state;
    obt_path(path, sizeof(path), "create.outbox");
    pcv_fail(PCV_WRITE, 1, 1000);
    assert_int_equal(coord_outbox_open(path, COORD_OUTBOX_CREATE, &ob, &err), COORD_ERR_STORAGE);
    if (err.reason != COORD_OUTBOX_REASON_DISK_FULL)
        fail_msg("reason %s (%s, sqlite %d)", coord_outbox_reason_name(err.reason), err.detail,
                 err.sqlite_code);
    assert_int_equal(obt_file_hash(path), -1);
    pcv_fail(PCV_WRITE, 1, 0);
    ob = obt_open(path);
    assert_int_equal(coord_outbox_end(ob, "F5", 1, 0, NULL), COORD_OK);
    coord_outbox_close(ob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_failed_enqueue_is_not_recorded, setup),
        cmocka_unit_test_setup(a_failed_batch_records_nothing, setup),
        cmocka_unit_test_setup(a_failed_read_fails_the_call, setup),
        cmocka_unit_test_setup(a_failed_drain_or_ack_claims_nothing, setup),
        cmocka_unit_test_setup(a_failed_creation_leaves_nothing, setup),
    };
    if (pcv_register() != 0)
        return 2;
    return cmocka_run_group_tests_name("outbox I/O faults (power-cut VFS, simulator)", tests,
                                       sim_group_setup, sim_group_teardown);
}
