/* The outbox's API: open and close, limits, recording intents, reading
 * results and acknowledging them. The drain is in drain.c. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int64_t coord_ob_wall_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t coord_ob_mono_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The rules coord_end_session() applies to a location id. */
int coord_ob_location_ok(const char *location_id)
{
    size_t len;

    if (location_id == NULL)
        return 0;
    len = strlen(location_id);
    if (len == 0 || len >= COORD_ID_MAX || strcmp(location_id, ".") == 0 ||
        strcmp(location_id, "..") == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)location_id[i];
        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

static coord_status invalid(coord_outbox *ob, const char *why)
{
    return coord_ob_fail(&ob->err, COORD_ERR_INVALID_ARGUMENT, COORD_OUTBOX_REASON_NONE, "%s", why);
}

/* ---- lifecycle ------------------------------------------------------------ */

static coord_status count_rows(coord_outbox *ob)
{
    sqlite3_stmt *stmt = NULL;
    coord_status st = coord_ob_prepare(ob, "SELECT count(*) FROM intent", &stmt);
    int rc;

    if (st != COORD_OK)
        return st;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        ob->stored = (uint32_t)sqlite3_column_int64(stmt, 0);
    else
        st = coord_ob_fail_sqlite(ob, rc, "counting intents");
    sqlite3_finalize(stmt);
    return st;
}

coord_status coord_outbox_open(const char *path, uint32_t flags, coord_outbox **out_outbox,
                               coord_outbox_error *out_error)
{
    coord_outbox_error scratch;
    coord_outbox_error *err = out_error != NULL ? out_error : &scratch;
    coord_outbox *ob;
    coord_status st;

    memset(err, 0, sizeof(*err));
    if (out_outbox == NULL)
        return coord_ob_fail(err, COORD_ERR_INVALID_ARGUMENT, 0, "out_outbox is NULL");
    *out_outbox = NULL;
    if (path == NULL || path[0] == '\0' || (flags & ~COORD_OUTBOX_CREATE) != 0)
        return coord_ob_fail(err, COORD_ERR_INVALID_ARGUMENT, 0, "empty path or unknown flag");
    ob = calloc(1, sizeof(*ob));
    if (ob == NULL)
        return coord_ob_fail(err, COORD_ERR_OUT_OF_MEMORY, 0, "out of memory");
    ob->max_intents = COORD_OUTBOX_DEFAULT_MAX_INTENTS;
    ob->expire_after_ms = COORD_OUTBOX_DEFAULT_EXPIRE_AFTER_MS;
    ob->max_attempts = COORD_OUTBOX_DEFAULT_MAX_ATTEMPTS;
    ob->max_in_flight = COORD_OUTBOX_DEFAULT_IN_FLIGHT;
    ob->backoff_base_ms = COORD_OUTBOX_DEFAULT_BACKOFF_BASE_MS;
    ob->backoff_max_ms = COORD_OUTBOX_DEFAULT_BACKOFF_MAX_MS;
    st = coord_ob_open_store(path, flags, &ob->db, err);
    if (st == COORD_OK) {
        st = count_rows(ob);
        if (st != COORD_OK)
            *err = ob->err;
    }
    if (st != COORD_OK) {
        coord_outbox_close(ob);
        return st;
    }
    *out_outbox = ob;
    return COORD_OK;
}

void coord_outbox_close(coord_outbox *outbox)
{
    if (outbox == NULL)
        return;
    coord_outbox_drain_stop(outbox);
    sqlite3_close(outbox->db);
    free(outbox);
}

const coord_outbox_error *coord_outbox_last_error(const coord_outbox *outbox)
{
    return outbox != NULL ? &outbox->err : NULL;
}

coord_status coord_outbox_set_limits(coord_outbox *outbox, uint32_t max_intents,
                                     int64_t expire_after_ms, uint32_t max_attempts)
{
    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (max_intents < 1 || max_intents > COORD_OUTBOX_MAX_INTENTS_LIMIT || expire_after_ms < 1 ||
        expire_after_ms > 10LL * 366 * 24 * 3600 * 1000 || max_attempts < 1 ||
        max_attempts > 1000000u)
        return invalid(outbox, "limit out of range");
    outbox->max_intents = max_intents;
    outbox->expire_after_ms = expire_after_ms;
    outbox->max_attempts = max_attempts;
    return COORD_OK;
}

coord_status coord_outbox_set_drain(coord_outbox *outbox, uint32_t max_in_flight,
                                    uint32_t backoff_base_ms, uint32_t backoff_max_ms)
{
    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (outbox->drain != NULL)
        return invalid(outbox, "a drain is in progress");
    if (max_in_flight < 1 || max_in_flight > COORD_OUTBOX_IN_FLIGHT_LIMIT ||
        backoff_max_ms > 3600000u || backoff_base_ms > backoff_max_ms)
        return invalid(outbox, "drain setting out of range");
    outbox->max_in_flight = max_in_flight;
    outbox->backoff_base_ms = backoff_base_ms;
    outbox->backoff_max_ms = backoff_max_ms;
    return COORD_OK;
}

/* ---- recording ------------------------------------------------------------ */

/* Inserts one intent inside the caller's transaction, or finds the one
 * already recorded for the session; *out_new tells which. */
static coord_status insert_one(coord_outbox *ob, sqlite3_stmt *insert, sqlite3_stmt *find,
                               const coord_outbox_request *r, int64_t now, int64_t *out_id,
                               int *out_new)
{
    int rc;

    *out_new = 0;
    sqlite3_reset(find);
    sqlite3_bind_text(find, 1, r->location_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(find, 2, r->session_id);
    rc = sqlite3_step(find);
    if (rc == SQLITE_ROW) {
        *out_id = sqlite3_column_int64(find, 0);
        return COORD_OK;
    }
    if (rc != SQLITE_DONE)
        return coord_ob_fail_sqlite(ob, rc, "looking for the session");
    if (ob->stored >= ob->max_intents)
        return coord_ob_fail(&ob->err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_FULL,
                       "the outbox holds its maximum of %u intents: acknowledge results",
                       ob->max_intents);
    sqlite3_reset(insert);
    sqlite3_bind_text(insert, 1, r->location_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, r->session_id);
    sqlite3_bind_int64(insert, 3, r->requested_at_ms != 0 ? r->requested_at_ms : now);
    sqlite3_bind_int64(insert, 4, now);
    rc = sqlite3_step(insert);
    if (rc != SQLITE_DONE)
        return coord_ob_fail_sqlite(ob, rc, "recording the intent");
    *out_id = sqlite3_last_insert_rowid(ob->db);
    *out_new = 1;
    return COORD_OK;
}

coord_status coord_outbox_end_batch(coord_outbox *outbox, const coord_outbox_request *requests,
                                    size_t count, int64_t *out_ids)
{
    sqlite3_stmt *insert = NULL, *find = NULL;
    uint32_t added = 0;
    int64_t now;
    coord_status st;

    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (requests == NULL || count < 1 || count > COORD_OUTBOX_BATCH_MAX)
        return invalid(outbox, "no requests, or more than COORD_OUTBOX_BATCH_MAX");
    for (size_t i = 0; i < count; i++) {
        if (!coord_ob_location_ok(requests[i].location_id))
            return invalid(outbox, "bad location_id");
        if (requests[i].requested_at_ms < 0)
            return invalid(outbox, "negative requested_at_ms");
    }
    now = coord_ob_wall_ms();
    st = coord_ob_prepare(outbox,
                    "INSERT INTO intent (location_id, session_id, requested_at_ms, "
                    "recorded_at_ms) VALUES (?, ?, ?, ?)",
                    &insert);
    if (st == COORD_OK)
        st = coord_ob_prepare(outbox, "SELECT id FROM intent WHERE location_id = ? AND session_id = ?",
                        &find);
    if (st == COORD_OK)
        st = coord_ob_begin(outbox);
    if (st != COORD_OK)
        goto cleanup;
    for (size_t i = 0; i < count && st == COORD_OK; i++) {
        int64_t id = 0;
        int fresh = 0;
        st = insert_one(outbox, insert, find, &requests[i], now, &id, &fresh);
        if (out_ids != NULL)
            out_ids[i] = id;
        added += (uint32_t)fresh;
        outbox->stored += (uint32_t)fresh; /* the bound counts this batch's rows */
    }
    if (st == COORD_OK)
        st = coord_ob_commit(outbox);
    else
        coord_ob_rollback(outbox);
    if (st != COORD_OK) {
        outbox->stored -= added;
        if (out_ids != NULL)
            memset(out_ids, 0, count * sizeof(*out_ids));
    }
cleanup:
    sqlite3_finalize(insert);
    sqlite3_finalize(find);
    return st;
}

coord_status coord_outbox_end(coord_outbox *outbox, const char *location_id, int64_t session_id,
                              int64_t requested_at_ms, int64_t *out_id)
{
    coord_outbox_request r = {location_id, session_id, requested_at_ms};
    int64_t id = 0;
    coord_status st = coord_outbox_end_batch(outbox, &r, 1, &id);

    if (out_id != NULL)
        *out_id = id;
    return st;
}

/* ---- reading -------------------------------------------------------------- */

/* Runs a query of OB_ITEM_COLUMNS with (?1 = an int64) into items. */
static coord_status read_items(coord_outbox *ob, const char *sql, int64_t arg,
                               coord_outbox_item *items, size_t max, size_t *out_count)
{
    sqlite3_stmt *stmt = NULL;
    coord_status st;
    size_t n = 0;
    int rc = SQLITE_DONE;

    *out_count = 0;
    st = coord_ob_prepare(ob, sql, &stmt);
    if (st != COORD_OK)
        return st;
    sqlite3_bind_int64(stmt, 1, arg);
    sqlite3_bind_int64(stmt, 2, (int64_t)max);
    while (st == COORD_OK && n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        st = coord_ob_read_item(ob, stmt, &items[n++]);
    if (st == COORD_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = coord_ob_fail_sqlite(ob, rc, "reading intents");
    sqlite3_finalize(stmt);
    if (st == COORD_OK)
        *out_count = n;
    return st;
}

static coord_status read_page(coord_outbox *outbox, const char *sql, int64_t after_id,
                              coord_outbox_item *out_items, size_t max, size_t *out_count)
{
    if (outbox == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    if (out_count != NULL)
        *out_count = 0;
    if (out_items == NULL || out_count == NULL || max < 1 || max > COORD_OUTBOX_BATCH_MAX)
        return invalid(outbox, "NULL out_items or out_count, or max out of range");
    return read_items(outbox, sql, after_id, out_items, max, out_count);
}

coord_status coord_outbox_results(coord_outbox *outbox, int64_t after_id,
                                  coord_outbox_item *out_items, size_t max, size_t *out_count)
{
    return read_page(outbox,
                     "SELECT " OB_ITEM_COLUMNS " FROM intent WHERE state != 0 AND id > ?1 "
                     "ORDER BY id LIMIT ?2",
                     after_id, out_items, max, out_count);
}

coord_status coord_outbox_list(coord_outbox *outbox, int64_t after_id,
                               coord_outbox_item *out_items, size_t max, size_t *out_count)
{
    return read_page(outbox,
                     "SELECT " OB_ITEM_COLUMNS " FROM intent WHERE id > ?1 ORDER BY id LIMIT ?2",
                     after_id, out_items, max, out_count);
}

static coord_status read_one(coord_outbox *ob, sqlite3_stmt *stmt, coord_outbox_item *out_item)
{
    int rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW)
        return coord_ob_read_item(ob, stmt, out_item);
    if (rc == SQLITE_DONE)
        return coord_ob_fail(&ob->err, COORD_ERR_NOT_FOUND, 0, "no such intent");
    return coord_ob_fail_sqlite(ob, rc, "reading the intent");
}

/* One intent by a query of OB_ITEM_COLUMNS: with location_id, bound to ?1 and
 * n to ?2; without it, n to ?1. */
static coord_status lookup(coord_outbox *ob, const char *sql, const char *location_id, int64_t n,
                           coord_outbox_item *out_item)
{
    sqlite3_stmt *stmt = NULL;
    coord_status st;

    if (ob == NULL || out_item == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(ob);
    memset(out_item, 0, sizeof(*out_item));
    st = coord_ob_prepare(ob, sql, &stmt);
    if (st == COORD_OK) {
        if (location_id != NULL)
            sqlite3_bind_text(stmt, 1, location_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, location_id != NULL ? 2 : 1, n);
        st = read_one(ob, stmt, out_item);
    }
    sqlite3_finalize(stmt);
    return st;
}

coord_status coord_outbox_get(coord_outbox *outbox, int64_t id, coord_outbox_item *out_item)
{
    return lookup(outbox, "SELECT " OB_ITEM_COLUMNS " FROM intent WHERE id = ?1", NULL, id,
                  out_item);
}

coord_status coord_outbox_find(coord_outbox *outbox, const char *location_id, int64_t session_id,
                               coord_outbox_item *out_item)
{
    if (outbox != NULL && out_item != NULL && !coord_ob_location_ok(location_id)) {
        memset(out_item, 0, sizeof(*out_item));
        return invalid(outbox, "bad location_id");
    }
    return lookup(outbox,
                  "SELECT " OB_ITEM_COLUMNS " FROM intent WHERE location_id = ?1 AND session_id = ?2",
                  location_id, session_id, out_item);
}

coord_status coord_outbox_stats_get(coord_outbox *outbox, coord_outbox_stats *out_stats)
{
    sqlite3_stmt *stmt = NULL;
    coord_status st;
    int rc;

    if (outbox == NULL || out_stats == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_ob_clear_error(outbox);
    memset(out_stats, 0, sizeof(*out_stats));
    st = coord_ob_prepare(outbox,
                    "SELECT (SELECT count(*) FROM intent WHERE state = 0),"
                    " (SELECT count(*) FROM intent WHERE state != 0),"
                    " (SELECT min(requested_at_ms) FROM intent WHERE state = 0)",
                    &stmt);
    if (st != COORD_OK)
        return st;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        out_stats->pending = (uint32_t)sqlite3_column_int64(stmt, 0);
        out_stats->results = (uint32_t)sqlite3_column_int64(stmt, 1);
        out_stats->oldest_pending_ms = sqlite3_column_int64(stmt, 2);
        if (out_stats->pending > 0)
            out_stats->oldest_age_ms = coord_ob_wall_ms() - out_stats->oldest_pending_ms;
    } else {
        st = coord_ob_fail_sqlite(outbox, rc, "counting intents");
    }
    sqlite3_finalize(stmt);
    return st;
}

/* ---- acknowledging -------------------------------------------------------- */

coord_status coord_outbox_ack(coord_outbox *outbox, int64_t id)
{
    sqlite3_stmt *stmt = NULL;
    coord_outbox_item item;
    coord_status st;

    st = coord_outbox_get(outbox, id, &item);
    if (st != COORD_OK)
        return st;
    if (item.state == COORD_OUTBOX_PENDING)
        return invalid(outbox, "the intent is still pending: nothing to acknowledge");
    st = coord_ob_prepare(outbox, "DELETE FROM intent WHERE id = ? AND state != 0", &stmt);
    if (st == COORD_OK)
        st = coord_ob_begin(outbox);
    if (st == COORD_OK) {
        sqlite3_bind_int64(stmt, 1, id);
        st = coord_ob_step_done(outbox, stmt, "acknowledging");
        if (st == COORD_OK)
            st = coord_ob_commit(outbox);
        else
            coord_ob_rollback(outbox);
    }
    if (st == COORD_OK && outbox->stored > 0)
        outbox->stored--;
    sqlite3_finalize(stmt);
    return st;
}

/* ---- names ---------------------------------------------------------------- */

const char *coord_outbox_state_name(int32_t state)
{
    static const char *const names[] = {"PENDING", "ENDED", "REFUSED", "EXPIRED"};
    if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
        return "UNKNOWN";
    return names[state];
}

const char *coord_outbox_reason_name(int32_t reason)
{
    static const char *const names[] = {"NONE",     "MISSING",       "NO_DIRECTORY",
                                        "NOT_AN_OUTBOX", "CORRUPT",  "NEWER_VERSION",
                                        "BUSY",     "READ_ONLY",     "DISK_FULL",
                                        "IO",       "FULL"};
    typedef char names_match_enum[sizeof(names) / sizeof(names[0]) ==
                                          COORD_OUTBOX_REASON_FULL + 1 ? 1 : -1];
    (void)sizeof(names_match_enum);
    if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]))
        return "UNKNOWN";
    return names[reason];
}
