/* What the files of libcoord-outbox share, and nothing more. The library
 * uses libcoord's public API only (coord/coord.h). */
#ifndef COORD_OUTBOX_INTERNAL_H
#define COORD_OUTBOX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "coord/outbox.h"

/* The file's identity: PRAGMA application_id ("Coob") and user_version. */
#define OB_APPLICATION_ID 0x436f6f62
#define OB_SCHEMA_VERSION 1

/* The columns every item is read from, in coord_ob_read_item()'s order. */
#define OB_ITEM_COLUMNS                                                              \
    "id, location_id, session_id, requested_at_ms, recorded_at_ms, completed_at_ms, " \
    "state, status, attempts, detail, s_user_id, s_resource_id, s_start_time, "      \
    "s_end_time, s_start_time_ms, s_end_time_ms, s_flags, s_amount, s_currency"

/* Bits of s_flags: the session's has_* flags and recovered. */
#define OB_HAS_START 1
#define OB_HAS_END 2
#define OB_HAS_BILLING 4
#define OB_HAS_COST 8
#define OB_RECOVERED 16

typedef struct ob_drain ob_drain; /* drain.c */

struct coord_outbox {
    sqlite3 *db;
    coord_outbox_error err;
    uint32_t stored; /* rows in the file: kept by every commit (the lock is ours) */
    uint32_t max_intents;
    int64_t expire_after_ms;
    uint32_t max_attempts;
    uint32_t max_in_flight;
    uint32_t backoff_base_ms;
    uint32_t backoff_max_ms;
    ob_drain *drain; /* NULL when no drain is in progress */
};

/* store.c: SQLite and the error record */
coord_status coord_ob_fail(coord_outbox_error *err, coord_status status, int32_t reason,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Records SQLite's failure rc of `what` (status and reason from rc and errno). */
coord_status coord_ob_fail_sqlite(coord_outbox *ob, int rc, const char *what);
void coord_ob_clear_error(coord_outbox *ob);
coord_status coord_ob_open_store(const char *path, uint32_t flags, sqlite3 **out_db,
                           coord_outbox_error *err);
coord_status coord_ob_prepare(coord_outbox *ob, const char *sql, sqlite3_stmt **out_stmt);
/* BEGIN IMMEDIATE / COMMIT (synced) / ROLLBACK (never fails the caller). */
coord_status coord_ob_begin(coord_outbox *ob);
coord_status coord_ob_commit(coord_outbox *ob);
void coord_ob_rollback(coord_outbox *ob);
/* Runs a statement without results; SQLITE_DONE is COORD_OK. */
coord_status coord_ob_step_done(coord_outbox *ob, sqlite3_stmt *stmt, const char *what);
/* Fills item from a row of OB_ITEM_COLUMNS; COORD_ERR_STORAGE (CORRUPT) for
 * a value that does not fit. */
coord_status coord_ob_read_item(coord_outbox *ob, sqlite3_stmt *stmt, coord_outbox_item *item);

/* outbox.c */
int coord_ob_location_ok(const char *location_id);
int64_t coord_ob_wall_ms(void);
int64_t coord_ob_mono_ms(void);

#endif
