/* The drain: pending intents sent through the replay-safe end on a
 * coord_loop, their results recorded. One step records what finished and
 * marks what starts next in a single transaction (one fsync), then starts
 * the calls: an attempt is counted on disk before its end is sent, a result
 * is on disk before the application can read it. The blocking drain is the
 * non-blocking one driven by its own loop. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* What a result row keeps of an ended session: a slot holds this, not the
 * 4 KiB coord_session, so that a drain can hold many results per place in
 * flight (bigger groups per commit) in little memory. */
typedef struct ob_bill {
    int64_t flags; /* OB_HAS_* and OB_RECOVERED: the row's s_flags */
    int64_t start_time_ms;
    int64_t end_time_ms;
    int64_t amount;
    char user_id[COORD_ID_MAX];
    char resource_id[COORD_ID_MAX];
    char start_time[COORD_TIME_MAX];
    char end_time[COORD_TIME_MAX];
    char currency[COORD_CURRENCY_MAX];
} ob_bill;

/* A slot is in one of the drain's queues, or its call is in flight. */
typedef struct ob_slot {
    int fetched; /* status and bill come from the recovery fetch */
    int64_t id;
    int64_t session_id;
    uint32_t attempts; /* with this one */
    coord_status status;
    coord_call *call;
    ob_drain *drain;
    char location_id[COORD_ID_MAX];
    char detail[COORD_MESSAGE_MAX];
    ob_bill bill;
} ob_slot;

/* A queue of slot indices, nslots long: every slot fits in any queue. */
typedef struct ob_queue {
    uint32_t *at;
    uint32_t head, count;
} ob_queue;

struct ob_drain {
    coord_outbox *ob;
    coord_loop *loop;
    coord_client *client;
    sqlite3_stmt *update, *select, *count; /* prepared once per drain */
    uint32_t active;     /* calls in flight: at most max_active */
    /* Each slot not in flight is in one queue, so that a call's end, a
     * step and a claim cost the same whatever the number of slots. */
    ob_queue free;       /* slots holding nothing */
    ob_queue claimed;    /* attempt counted (committed); the end waits for a place */
    ob_queue fetches;    /* refused as already ended: the recovery fetch waits for a place */
    ob_queue done;       /* finished: the outcome is recorded by the next commit */
    uint32_t max_active; /* the outbox's max_in_flight */
    int64_t cursor;     /* the last id this pass took */
    int pass_failed;    /* a send of this pass failed: the next pass waits */
    uint32_t backoffs;  /* passes in a row that failed */
    int64_t resume_at;  /* monotonic ms: the next pass starts then */
    int no_new_sends;   /* the blocking drain's deadline: only record */
    int exhausted;      /* this pass has claimed the last pending intent */
    int64_t committed_at; /* monotonic ms of the last step's commit */
    coord_outbox_drain_stats stats;
    uint32_t nslots; /* OB_SLOTS_PER_CALL x max_active: the calls, results to record, claimed ahead */
    ob_slot slots[];
};

static void start_more(ob_drain *d);

static void push(const ob_drain *d, ob_queue *q, uint32_t slot)
{
    q->at[(q->head + q->count++) % d->nslots] = slot;
}

static uint32_t pop(const ob_drain *d, ob_queue *q)
{
    uint32_t slot = q->at[q->head];

    q->head = (q->head + 1) % d->nslots;
    q->count--;
    return slot;
}

/* the k-th slot of q, k < q->count */
static ob_slot *peek(ob_drain *d, const ob_queue *q, uint32_t k)
{
    return &d->slots[q->at[(q->head + k) % d->nslots]];
}

/* A step commits at least this often while calls are in flight, and sooner
 * when half the places have results to record or the claimed reserve runs
 * low: one fsync per group of results, not per result. */
#define OB_COMMIT_EVERY_MS 50
/* Slots per place in flight: a result waits in its slot for the next
 * commit while the claimed reserve keeps the places busy. A commit's fsync
 * stops the loop (every call in flight waits for it), so the group is
 * made large: up to half the slots, 16 results per place, before the time
 * bound; a slot is under 1 KiB. */
#define OB_SLOTS_PER_CALL 32u

/* What a finished slot's outcome means. */
typedef enum outcome { OUT_ENDED, OUT_REFUSED, OUT_RETRY, OUT_FETCH, OUT_DROP } outcome;

static outcome classify(const ob_slot *s)
{
    switch (s->status) {
    case COORD_OK:
        return (s->bill.flags & OB_HAS_END) != 0 ? OUT_ENDED : OUT_RETRY;
    case COORD_ERR_ALREADY_ENDED:
        return s->fetched ? OUT_RETRY : OUT_FETCH;
    case COORD_ERR_PHYSICAL_CHECKOUT:
    case COORD_ERR_NOT_FOUND:
    case COORD_ERR_REFUSED:
    case COORD_ERR_INVALID_ARGUMENT:
    case COORD_ERR_SESSION_ACTIVE:
        return OUT_REFUSED;
    case COORD_ERR_CANCELLED:
        return OUT_DROP;
    default:
        return OUT_RETRY;
    }
}

static void keep_bill(ob_bill *b, const coord_session *ss)
{
    b->flags = (ss->has_start_time ? OB_HAS_START : 0) | (ss->has_end_time ? OB_HAS_END : 0) |
               (ss->has_billing_info ? OB_HAS_BILLING : 0) |
               (ss->billing_info.has_cost ? OB_HAS_COST : 0) |
               (ss->recovered ? OB_RECOVERED : 0);
    b->start_time_ms = ss->start_time_ms;
    b->end_time_ms = ss->end_time_ms;
    b->amount = ss->billing_info.cost.amount;
    /* the decoder's fields fit: same sizes, NUL-terminated */
    memcpy(b->user_id, ss->user_id, sizeof(b->user_id));
    memcpy(b->resource_id, ss->resource_id, sizeof(b->resource_id));
    memcpy(b->start_time, ss->start_time, sizeof(b->start_time));
    memcpy(b->end_time, ss->end_time, sizeof(b->end_time));
    memcpy(b->currency, ss->billing_info.cost.currency, sizeof(b->currency));
}

static void finish(ob_slot *s, coord_status status, const coord_error *error,
                   const coord_session *session)
{
    ob_drain *d = s->drain;

    s->call = NULL;
    s->status = status;
    if (status == COORD_OK && session != NULL)
        keep_bill(&s->bill, session);
    if (status != COORD_OK && error != NULL)
        memcpy(s->detail, error->detail, sizeof(s->detail));
    s->detail[sizeof(s->detail) - 1] = '\0';
    push(d, classify(s) == OUT_FETCH ? &d->fetches : &d->done, (uint32_t)(s - d->slots));
}

/* A call ended: its place goes to the next claimed intent at once, so that
 * the calls in flight never wait for the next step's commit. */
static void on_end(coord_call *call, coord_status status, const coord_error *error,
                   const coord_session *session, void *user_data)
{
    ob_slot *s = user_data;
    (void)call;
    finish(s, status, error, session);
    s->drain->active--;
    if (status != COORD_ERR_CANCELLED)
        start_more(s->drain);
}

static void on_fetch(coord_call *call, coord_status status, const coord_error *error,
                     const coord_session *session, void *user_data)
{
    ob_slot *s = user_data;
    (void)call;
    s->fetched = 1;
    finish(s, status, error, session);
    if (status == COORD_OK)
        s->bill.flags |= OB_RECOVERED;
    s->drain->active--;
    if (status != COORD_ERR_CANCELLED)
        start_more(s->drain);
}

/* ---- recording ------------------------------------------------------------- */

static coord_status record_result(coord_outbox *ob, sqlite3_stmt *stmt, const ob_slot *s,
                                  coord_outbox_state state, coord_status status, int64_t now)
{
    const ob_bill *b = &s->bill;
    int ended = state == COORD_OUTBOX_ENDED;

    sqlite3_reset(stmt);
    sqlite3_bind_int(stmt, 1, (int)state);
    sqlite3_bind_int(stmt, 2, (int)status);
    sqlite3_bind_text(stmt, 3, ended ? "" : s->detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, state == COORD_OUTBOX_PENDING ? 0 : now);
    sqlite3_bind_text(stmt, 5, ended ? b->user_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, ended ? b->resource_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, ended ? b->start_time : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, ended ? b->end_time : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 9, ended ? b->start_time_ms : 0);
    sqlite3_bind_int64(stmt, 10, ended ? b->end_time_ms : 0);
    sqlite3_bind_int64(stmt, 11, ended ? b->flags : 0);
    sqlite3_bind_int64(stmt, 12, ended ? b->amount : 0);
    sqlite3_bind_text(stmt, 13, ended ? b->currency : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 14, s->id);
    return coord_ob_step_done(ob, stmt, "recording a result");
}

/* Writes the outcomes of the finished slots; fills counts for the stats,
 * applied only once the transaction commits. */
static coord_status record_finished(ob_drain *d, sqlite3_stmt *update, int64_t now,
                                    coord_outbox_drain_stats *delta)
{
    coord_status st = COORD_OK;

    for (uint32_t k = 0; k < d->done.count && st == COORD_OK; k++) {
        ob_slot *s = peek(d, &d->done, k);
        coord_outbox_state state = COORD_OUTBOX_PENDING;
        coord_status status = s->status;

        switch (classify(s)) {
        case OUT_ENDED:
            state = COORD_OUTBOX_ENDED;
            /* found ended at the first attempt: ended by someone else */
            status = s->fetched && s->attempts <= 1 ? COORD_ERR_ALREADY_ENDED : COORD_OK;
            delta->ended++;
            delta->recovered += (s->bill.flags & OB_RECOVERED) != 0;
            break;
        case OUT_REFUSED:
            state = COORD_OUTBOX_REFUSED;
            delta->refused++;
            break;
        case OUT_RETRY:
            if (status == COORD_OK) {
                status = COORD_ERR_BAD_RESPONSE;
                snprintf(s->detail, sizeof(s->detail), "%s",
                         "the session fetched after the end is not ended");
            }
            delta->failures++;
            delta->last_failure = (int32_t)status;
            if (s->attempts >= d->ob->max_attempts) {
                state = COORD_OUTBOX_EXPIRED;
                delta->expired++;
            }
            break;
        case OUT_FETCH:
        case OUT_DROP:
            continue;
        }
        st = record_result(d->ob, update, s, state, status, now);
    }
    return st;
}

/* Takes the next pending intents of this pass into free slots (counting
 * their attempt) or reports them EXPIRED; *out_exhausted when the pass
 * reached the last pending intent. */
static coord_status claim_next(ob_drain *d, sqlite3_stmt *select, sqlite3_stmt *update,
                               sqlite3_stmt *count, int64_t now, int *out_exhausted,
                               coord_outbox_drain_stats *delta)
{
    coord_outbox *ob = d->ob;
    uint32_t want = d->free.count, got = 0;
    int64_t from = d->cursor;
    coord_status st = COORD_OK;
    int rc;

    *out_exhausted = 0;
    if (want == 0)
        return COORD_OK;
    sqlite3_bind_int64(select, 1, d->cursor);
    sqlite3_bind_int64(select, 2, want);
    while (st == COORD_OK && (rc = sqlite3_step(select)) == SQLITE_ROW) {
        ob_slot scratch = {0};
        ob_slot *s = &scratch;
        int64_t requested = sqlite3_column_int64(select, 3);
        int64_t attempts = sqlite3_column_int64(select, 4);

        got++;
        d->cursor = sqlite3_column_int64(select, 0);
        if (now - requested >= ob->expire_after_ms || attempts >= ob->max_attempts) {
            scratch.id = d->cursor;
            snprintf(scratch.detail, sizeof(scratch.detail), "%s",
                     attempts >= ob->max_attempts ? "out of attempts"
                                                  : "expired: pending longer than expire_after_ms");
            st = record_result(ob, update, s, COORD_OUTBOX_EXPIRED,
                               (coord_status)sqlite3_column_int(select, 5), now);
            delta->expired++;
            continue;
        }
        s = &d->slots[pop(d, &d->free)];
        memset(s, 0, sizeof(*s));
        s->drain = d;
        s->id = d->cursor;
        s->session_id = sqlite3_column_int64(select, 2);
        s->attempts = (uint32_t)attempts + 1;
        snprintf(s->location_id, sizeof(s->location_id), "%s",
                 (const char *)sqlite3_column_text(select, 1));
        push(d, &d->claimed, (uint32_t)(s - d->slots));
    }
    if (st == COORD_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = coord_ob_fail_sqlite(ob, rc, "reading pending intents");
    sqlite3_reset(select);
    if (st == COORD_OK && got > 0) {
        /* every intent claimed above, in one statement (the expired ones are no longer pending) */
        sqlite3_reset(count);
        sqlite3_bind_int64(count, 1, from);
        sqlite3_bind_int64(count, 2, d->cursor);
        st = coord_ob_step_done(ob, count, "counting attempts");
    }
    *out_exhausted = got < want;
    return st;
}

/* One transaction: the finished slots' results, the next intents claimed. */
static coord_status commit_step(ob_drain *d, int claim, int *out_exhausted)
{
    coord_outbox *ob = d->ob;
    coord_outbox_drain_stats delta = {0};
    int64_t now = coord_ob_wall_ms();
    coord_status st;

    *out_exhausted = 0;
    st = coord_ob_begin(ob);
    if (st != COORD_OK)
        return st;
    st = record_finished(d, d->update, now, &delta);
    if (st == COORD_OK && claim)
        st = claim_next(d, d->select, d->update, d->count, now, out_exhausted, &delta);
    if (st == COORD_OK)
        st = coord_ob_commit(ob);
    else
        coord_ob_rollback(ob);
    if (st != COORD_OK)
        return st;
    /* durable: count it, free the recorded slots */
    d->stats.ended += delta.ended;
    d->stats.recovered += delta.recovered;
    d->stats.refused += delta.refused;
    d->stats.expired += delta.expired;
    d->stats.failures += delta.failures;
    if (delta.failures > 0) {
        d->stats.last_failure = delta.last_failure;
        d->pass_failed = 1;
    }
    while (d->done.count > 0)
        push(d, &d->free, pop(d, &d->done));
    return COORD_OK;
}

/* ---- the calls ------------------------------------------------------------- */

/* Starts the end of the next claimed slot (or, fetch, the recovery fetch of
 * the next slot waiting for one); a start that fails sends nothing and is
 * recorded as the attempt's failure by the next step. */
static void start_one(ob_drain *d, int fetch)
{
    ob_slot *s = &d->slots[pop(d, fetch ? &d->fetches : &d->claimed)];
    coord_status st;

    if (!fetch) {
        st = coord_end_session_async(d->loop, d->client, s->location_id, s->session_id, on_end,
                                     s, &s->call);
        d->stats.sent += st == COORD_OK;
    } else {
        s->fetched = 1;
        st = coord_session_get_async(d->loop, d->client, s->location_id, s->session_id,
                                     on_fetch, s, &s->call);
    }
    if (st == COORD_OK)
        d->active++;
    else
        finish(s, st, coord_client_last_error(d->client), NULL);
}

/* Fills the places in flight: recovery fetches first, then claimed ends. */
static void start_more(ob_drain *d)
{
    while (d->fetches.count > 0 && d->active < d->max_active)
        start_one(d, 1);
    while (d->claimed.count > 0 && d->active < d->max_active)
        start_one(d, 0);
}

/* Whether this step should commit now (see OB_COMMIT_EVERY_MS). */
static int commit_due(const ob_drain *d, int64_t now)
{
    if (d->no_new_sends || d->active == 0 || d->done.count >= d->nslots / 2)
        return 1;
    if (d->claimed.count < (d->max_active + 1) / 2 && !d->exhausted && now >= d->resume_at)
        return 1;
    return now - d->committed_at >= OB_COMMIT_EVERY_MS;
}

static uint32_t busy_slots(const ob_drain *d)
{
    return d->nslots - d->free.count;
}

static int64_t backoff_ms(ob_drain *d)
{
    uint64_t cap = d->ob->backoff_base_ms, r = 0;

    for (uint32_t i = 0; i < d->backoffs && cap < d->ob->backoff_max_ms; i++)
        cap *= 2;
    if (cap > d->ob->backoff_max_ms)
        cap = d->ob->backoff_max_ms;
    sqlite3_randomness(sizeof(r), &r);
    return cap == 0 ? 0 : (int64_t)(r % (cap + 1));
}

static void stop(coord_outbox *ob)
{
    ob_drain *d = ob->drain;

    if (d == NULL)
        return;
    for (uint32_t i = 0; i < d->nslots; i++)
        if (d->slots[i].call != NULL)
            (void)coord_call_cancel(d->slots[i].call); /* its callback runs now */
    sqlite3_finalize(d->update);
    sqlite3_finalize(d->select);
    sqlite3_finalize(d->count);
    ob->drain = NULL;
    free(d);
}

void coord_outbox_drain_stop(coord_outbox *outbox)
{
    if (outbox != NULL)
        stop(outbox);
}

coord_status coord_outbox_drain_start(coord_outbox *outbox, coord_loop *loop,
                                      coord_client *client)
{
    uint32_t nslots;
    uint32_t *at;
    ob_drain *d;
    coord_status st;

    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (loop == NULL || client == NULL || outbox->drain != NULL)
        return coord_ob_fail(&outbox->err, COORD_ERR_INVALID_ARGUMENT, 0,
                       "NULL loop or client, or a drain in progress");
    /* the slots, then the four queues' storage, in one block */
    nslots = OB_SLOTS_PER_CALL * outbox->max_in_flight;
    d = calloc(1, sizeof(*d) + nslots * sizeof(d->slots[0]) + 4 * (size_t)nslots * sizeof(*at));
    if (d == NULL)
        return coord_ob_fail(&outbox->err, COORD_ERR_OUT_OF_MEMORY, 0, "out of memory");
    d->ob = outbox;
    d->loop = loop;
    d->client = client;
    d->max_active = outbox->max_in_flight;
    d->nslots = nslots;
    at = (uint32_t *)(void *)&d->slots[nslots];
    d->free.at = at;
    d->claimed.at = at + nslots;
    d->fetches.at = at + 2 * (size_t)nslots;
    d->done.at = at + 3 * (size_t)nslots;
    for (uint32_t i = 0; i < nslots; i++)
        push(d, &d->free, i);
    d->resume_at = coord_ob_mono_ms();
    outbox->drain = d;
    st = coord_ob_prepare(outbox,
                          "UPDATE intent SET state = ?1, status = ?2, detail = ?3,"
                          " completed_at_ms = ?4, s_user_id = ?5, s_resource_id = ?6,"
                          " s_start_time = ?7, s_end_time = ?8, s_start_time_ms = ?9,"
                          " s_end_time_ms = ?10, s_flags = ?11, s_amount = ?12, s_currency = ?13"
                          " WHERE id = ?14 AND state = 0",
                          &d->update);
    if (st == COORD_OK)
        st = coord_ob_prepare(outbox,
                              "SELECT id, location_id, session_id, requested_at_ms, attempts,"
                              " status FROM intent WHERE state = 0 AND id > ?1 ORDER BY id"
                              " LIMIT ?2",
                              &d->select);
    if (st == COORD_OK)
        st = coord_ob_prepare(outbox,
                              "UPDATE intent SET attempts = attempts + 1"
                              " WHERE id > ?1 AND id <= ?2 AND state = 0",
                              &d->count);
    if (st != COORD_OK) {
        coord_outbox_error err = outbox->err;
        stop(outbox);
        outbox->err = err;
    }
    return st;
}

static coord_status count_pending(coord_outbox *ob, uint32_t *out_pending)
{
    coord_outbox_stats s;
    coord_status st = coord_outbox_stats_get(ob, &s);
    *out_pending = s.pending;
    return st;
}

coord_status coord_outbox_drain_step(coord_outbox *outbox, int64_t *out_wait_ms,
                                     coord_outbox_drain_stats *out_stats)
{
    ob_drain *d;
    int64_t now;
    int claim, exhausted = 0;
    coord_status st = COORD_OK; /* also when no commit is due yet: nothing failed */

    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (out_wait_ms == NULL || outbox->drain == NULL)
        return coord_ob_fail(&outbox->err, COORD_ERR_INVALID_ARGUMENT, 0,
                       "NULL out_wait_ms, or no drain started");
    d = outbox->drain;
    *out_wait_ms = -1;
    for (;;) {
        now = coord_ob_mono_ms();
        if (!commit_due(d, now)) {
            *out_wait_ms = OB_COMMIT_EVERY_MS - (now - d->committed_at);
            break;
        }
        claim = !d->no_new_sends && now >= d->resume_at;
        st = commit_step(d, claim, &exhausted);
        if (st != COORD_OK)
            break;
        d->committed_at = now;
        if (claim)
            d->exhausted = exhausted;
        start_more(d);
        if (d->done.count > 0)
            continue; /* a start failed: record it now */
        if (claim && exhausted && busy_slots(d) == 0) {
            if (!d->pass_failed)
                break; /* every pending intent was sent and recorded: over */
            d->backoffs++;
            d->resume_at = now + backoff_ms(d);
            d->pass_failed = 0;
            d->cursor = 0;
            d->exhausted = 0;
            if (d->resume_at <= now)
                continue;
        } else if (claim && exhausted && !d->pass_failed) {
            d->backoffs = 0;
        }
        *out_wait_ms = busy_slots(d) > 0 ? 100 : d->resume_at - now;
        if (*out_wait_ms < 0)
            *out_wait_ms = 0;
        break;
    }
    if (st == COORD_OK && *out_wait_ms < 0)
        st = count_pending(outbox, &d->stats.pending);
    if (out_stats != NULL)
        *out_stats = d->stats;
    if (st != COORD_OK || *out_wait_ms < 0) {
        coord_outbox_error err = outbox->err;
        stop(outbox);
        outbox->err = err;
    }
    return st;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

coord_status coord_outbox_drain(coord_outbox *outbox, coord_client *client, uint32_t timeout_ms,
                                coord_outbox_drain_stats *out_stats)
{
    coord_outbox_drain_stats stats = {0};
    coord_loop *loop = NULL;
    int64_t deadline = coord_ob_mono_ms() + timeout_ms, wait = 0;
    coord_status st;

    if (out_stats != NULL)
        memset(out_stats, 0, sizeof(*out_stats));
    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (client == NULL || outbox->drain != NULL)
        return coord_ob_fail(&outbox->err, COORD_ERR_INVALID_ARGUMENT, 0,
                       "NULL client, or a drain in progress");
    st = coord_loop_new(&loop);
    if (st == COORD_OK)
        st = coord_loop_set_limits(loop, outbox->max_in_flight, COORD_DEFAULT_LOOP_MAX_HOST_CONNECTIONS);
    if (st != COORD_OK) {
        coord_ob_fail(&outbox->err, st, 0, "making the drain's loop");
        goto cleanup;
    }
    st = coord_outbox_drain_start(outbox, loop, client);
    while (st == COORD_OK) {
        int64_t left = deadline - coord_ob_mono_ms();

        st = coord_outbox_drain_step(outbox, &wait, &stats);
        if (st != COORD_OK || wait < 0)
            break;
        if (left <= 0) {
            /* record what finished, send nothing more, then stop */
            outbox->drain->no_new_sends = 1;
            st = coord_outbox_drain_step(outbox, &wait, &stats);
            if (st == COORD_OK && wait >= 0) {
                stop(outbox);
                st = count_pending(outbox, &stats.pending);
                if (st == COORD_OK)
                    st = coord_ob_fail(&outbox->err, COORD_ERR_TIMEOUT, 0,
                                 "%u intents still pending at the deadline", stats.pending);
            }
            break;
        }
        if (wait > left)
            wait = left;
        if (coord_loop_calls(loop) > 0)
            st = coord_loop_run_once(loop, (uint32_t)wait);
        else
            sleep_ms(wait);
        if (st != COORD_OK)
            coord_ob_fail(&outbox->err, st, 0, "running the drain's loop");
    }
cleanup:
    stop(outbox);
    coord_loop_free(loop);
    if (out_stats != NULL)
        *out_stats = stats;
    return st;
}
