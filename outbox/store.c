/* The SQLite file: opening (checks, atomic creation), transactions, the
 * error record, reading an item. The only file that knows the schema's DDL. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const char schema_sql[] =
    "CREATE TABLE intent ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " location_id TEXT NOT NULL,"
    " session_id INTEGER NOT NULL,"
    " requested_at_ms INTEGER NOT NULL,"
    " recorded_at_ms INTEGER NOT NULL,"
    " completed_at_ms INTEGER NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " detail TEXT NOT NULL DEFAULT '',"
    " s_user_id TEXT NOT NULL DEFAULT '',"
    " s_resource_id TEXT NOT NULL DEFAULT '',"
    " s_start_time TEXT NOT NULL DEFAULT '',"
    " s_end_time TEXT NOT NULL DEFAULT '',"
    " s_start_time_ms INTEGER NOT NULL DEFAULT 0,"
    " s_end_time_ms INTEGER NOT NULL DEFAULT 0,"
    " s_flags INTEGER NOT NULL DEFAULT 0,"
    " s_amount INTEGER NOT NULL DEFAULT 0,"
    " s_currency TEXT NOT NULL DEFAULT '',"
    " UNIQUE (location_id, session_id));"
    /* results only: a pending intent is found by rowid from the drain's cursor,
     * so an end's result costs one index insertion, not a move */
    "CREATE INDEX intent_results ON intent (id) WHERE state != 0;";

/* ---- the error record --------------------------------------------------- */

coord_status coord_ob_fail(coord_outbox_error *err, coord_status status, int32_t reason,
                     const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return status;
    err->status = (int32_t)status;
    err->reason = reason;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return status;
}

void coord_ob_clear_error(coord_outbox *ob)
{
    memset(&ob->err, 0, sizeof(ob->err));
}

static int32_t reason_of(int rc, int os_errno)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return COORD_OUTBOX_REASON_DISK_FULL;
    case SQLITE_CORRUPT:
        return COORD_OUTBOX_REASON_CORRUPT;
    case SQLITE_NOTADB:
        return COORD_OUTBOX_REASON_NOT_AN_OUTBOX;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return COORD_OUTBOX_REASON_BUSY;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return COORD_OUTBOX_REASON_READ_ONLY;
    case SQLITE_CANTOPEN:
        if (os_errno == EACCES || os_errno == EROFS || os_errno == EPERM)
            return COORD_OUTBOX_REASON_READ_ONLY;
        if (os_errno == ENOENT || os_errno == ENOTDIR)
            return COORD_OUTBOX_REASON_NO_DIRECTORY;
        return COORD_OUTBOX_REASON_IO;
    default:
        return os_errno == ENOSPC ? COORD_OUTBOX_REASON_DISK_FULL : COORD_OUTBOX_REASON_IO;
    }
}

static coord_status fail_db(sqlite3 *db, coord_outbox_error *err, int rc, const char *what)
{
    int os_errno = db != NULL ? sqlite3_system_errno(db) : 0;
    const char *message = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

    if ((rc & 0xff) == SQLITE_NOMEM)
        return coord_ob_fail(err, COORD_ERR_OUT_OF_MEMORY, COORD_OUTBOX_REASON_NONE,
                       "%s: out of memory", what);
    coord_ob_fail(err, COORD_ERR_STORAGE, reason_of(rc, os_errno), "%s: %s%s%s", what, message,
            os_errno != 0 ? ": " : "", os_errno != 0 ? strerror(os_errno) : "");
    if (err != NULL) {
        err->sqlite_code = rc;
        err->os_errno = os_errno;
    }
    return COORD_ERR_STORAGE;
}

coord_status coord_ob_fail_sqlite(coord_outbox *ob, int rc, const char *what)
{
    return fail_db(ob->db, &ob->err, rc, what);
}

/* ---- statements and transactions ---------------------------------------- */

coord_status coord_ob_prepare(coord_outbox *ob, const char *sql, sqlite3_stmt **out_stmt)
{
    int rc = sqlite3_prepare_v2(ob->db, sql, -1, out_stmt, NULL);
    return rc == SQLITE_OK ? COORD_OK : coord_ob_fail_sqlite(ob, rc, "prepare");
}

static coord_status exec(coord_outbox *ob, const char *sql, const char *what)
{
    int rc = sqlite3_exec(ob->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? COORD_OK : coord_ob_fail_sqlite(ob, rc, what);
}

coord_status coord_ob_begin(coord_outbox *ob)
{
    return exec(ob, "BEGIN IMMEDIATE", "begin");
}

coord_status coord_ob_commit(coord_outbox *ob)
{
    coord_status st = exec(ob, "COMMIT", "commit");
    if (st != COORD_OK)
        coord_ob_rollback(ob);
    return st;
}

void coord_ob_rollback(coord_outbox *ob)
{
    /* after an I/O error SQLite may have rolled back already */
    if (!sqlite3_get_autocommit(ob->db))
        (void)sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
}

coord_status coord_ob_step_done(coord_outbox *ob, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    return rc == SQLITE_DONE ? COORD_OK : coord_ob_fail_sqlite(ob, rc, what);
}

/* ---- reading an item ----------------------------------------------------- */

static int copy_text(char *dst, size_t size, sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    size_t len = (size_t)sqlite3_column_bytes(stmt, col);

    if (text == NULL)
        len = 0;
    if (len >= size)
        return -1;
    if (len > 0)
        memcpy(dst, text, len);
    dst[len] = '\0';
    return 0;
}

coord_status coord_ob_read_item(coord_outbox *ob, sqlite3_stmt *stmt, coord_outbox_item *item)
{
    coord_session *s = &item->session;
    int64_t flags = sqlite3_column_int64(stmt, 16);
    int64_t attempts = sqlite3_column_int64(stmt, 8);

    memset(item, 0, sizeof(*item));
    item->id = sqlite3_column_int64(stmt, 0);
    item->session_id = sqlite3_column_int64(stmt, 2);
    item->requested_at_ms = sqlite3_column_int64(stmt, 3);
    item->recorded_at_ms = sqlite3_column_int64(stmt, 4);
    item->completed_at_ms = sqlite3_column_int64(stmt, 5);
    item->state = (int32_t)sqlite3_column_int(stmt, 6);
    item->status = (int32_t)sqlite3_column_int(stmt, 7);
    item->attempts = attempts < 0 ? 0 : attempts > UINT32_MAX ? UINT32_MAX : (uint32_t)attempts;
    if (copy_text(item->location_id, sizeof(item->location_id), stmt, 1) != 0 ||
        copy_text(item->detail, sizeof(item->detail), stmt, 9) != 0)
        goto corrupt;
    if (item->state == COORD_OUTBOX_ENDED) {
        s->id = item->session_id;
        memcpy(s->location_id, item->location_id, sizeof(s->location_id));
        if (copy_text(s->user_id, sizeof(s->user_id), stmt, 10) != 0 ||
            copy_text(s->resource_id, sizeof(s->resource_id), stmt, 11) != 0 ||
            copy_text(s->start_time, sizeof(s->start_time), stmt, 12) != 0 ||
            copy_text(s->end_time, sizeof(s->end_time), stmt, 13) != 0 ||
            copy_text(s->billing_info.cost.currency, sizeof(s->billing_info.cost.currency),
                      stmt, 18) != 0)
            goto corrupt;
        s->start_time_ms = sqlite3_column_int64(stmt, 14);
        s->end_time_ms = sqlite3_column_int64(stmt, 15);
        s->has_start_time = (flags & OB_HAS_START) != 0;
        s->has_end_time = (flags & OB_HAS_END) != 0;
        s->has_billing_info = (flags & OB_HAS_BILLING) != 0;
        s->billing_info.has_cost = (flags & OB_HAS_COST) != 0;
        s->recovered = (flags & OB_RECOVERED) != 0;
        s->billing_info.cost.amount = sqlite3_column_int64(stmt, 17);
        if (s->has_end_time)
            item->drift_ms = s->end_time_ms - item->requested_at_ms;
    }
    return COORD_OK;
corrupt:
    memset(item, 0, sizeof(*item));
    return coord_ob_fail(&ob->err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_CORRUPT,
                   "intent row has a text longer than its field");
}

/* ---- opening -------------------------------------------------------------- */

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out_value)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            *out_value = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* The pragmas of every connection: WAL without shared memory (the exclusive
 * lock makes the file one process's), synced commits, a bounded WAL. */
static int configure(sqlite3 *db)
{
    int rc = sqlite3_exec(db,
                          "PRAGMA locking_mode=EXCLUSIVE;"
                          "PRAGMA journal_mode=WAL;"
                          "PRAGMA synchronous=FULL;"
                          "PRAGMA journal_size_limit=4194304;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        sqlite3_extended_result_codes(db, 1);
    return rc;
}

static int sync_path(const char *path, int directory)
{
    int fd = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* dirname into buf: "." for a bare name */
static void directory_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash == NULL ? 0 : (size_t)(slash - path);

    if (slash == path)
        len = 1;
    if (len == 0 || len >= size) {
        snprintf(buf, size, ".");
        return;
    }
    memcpy(buf, path, len);
    buf[len] = '\0';
}

/* A new outbox: made whole under a temporary name, synced, then renamed
 * into place and the directory synced, so that the path holds either
 * nothing or a complete, empty outbox. */
static coord_status create_store(const char *path, const char *dir, coord_outbox_error *err)
{
    char sql[128];
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    sqlite3 *db = NULL;
    coord_status st = COORD_OK;
    int rc;

    if (tmp == NULL)
        return coord_ob_fail(err, COORD_ERR_OUT_OF_MEMORY, 0, "creating %s: out of memory", path);
    snprintf(tmp, len + 16, "%s.new", path);
    unlink(tmp); /* a creation killed earlier: ours, never an outbox */
    snprintf(tmp + len, 16, ".new-wal");
    unlink(tmp);
    snprintf(tmp + len, 16, ".new");
    rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = configure(db);
    snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d;",
             OB_APPLICATION_ID, OB_SCHEMA_VERSION);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = fail_db(db, err, rc, "creating the outbox");
        goto cleanup;
    }
    /* closing checkpoints the WAL into the file and removes it */
    rc = sqlite3_close(db);
    db = NULL;
    if (rc != SQLITE_OK) {
        st = coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_IO,
                     "creating the outbox: closing: %s", sqlite3_errstr(rc));
        goto cleanup;
    }
    if (sync_path(tmp, 0) != 0 || rename(tmp, path) != 0 || sync_path(dir, 1) != 0) {
        int e = errno;
        st = coord_ob_fail(err, COORD_ERR_STORAGE,
                     e == ENOSPC ? COORD_OUTBOX_REASON_DISK_FULL
                     : e == EACCES || e == EROFS ? COORD_OUTBOX_REASON_READ_ONLY
                                                 : COORD_OUTBOX_REASON_IO,
                     "creating the outbox: %s", strerror(e));
        if (err != NULL)
            err->os_errno = e;
    }
cleanup:
    if (db != NULL)
        sqlite3_close(db);
    if (st != COORD_OK)
        unlink(tmp);
    free(tmp);
    return st;
}

/* Refuses a file that is not a usable outbox, touching nothing in it. */
static coord_status check_store(sqlite3 *db, const char *path, coord_outbox_error *err)
{
    int64_t app_id = 0, version = 0;
    sqlite3_stmt *stmt = NULL;
    coord_status st = COORD_OK;
    int rc;

    if (sqlite3_db_readonly(db, "main") == 1)
        return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_READ_ONLY,
                       "%s: the file cannot be written", path);
    rc = pragma_int(db, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK)
        rc = pragma_int(db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK)
        return fail_db(db, err, rc, "reading the file's header");
    if (app_id != OB_APPLICATION_ID)
        return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_NOT_AN_OUTBOX,
                       "%s: an SQLite database, but not an outbox (application_id 0x%08llx)",
                       path, (unsigned long long)(uint32_t)app_id);
    if (version > OB_SCHEMA_VERSION)
        return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_NEWER_VERSION,
                       "%s: outbox schema version %lld; this library knows up to %d", path,
                       (long long)version, OB_SCHEMA_VERSION);
    if (version < 1)
        return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_NOT_AN_OUTBOX,
                       "%s: outbox without a schema version", path);
    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *verdict = (const char *)sqlite3_column_text(stmt, 0);
        if (verdict == NULL || strcmp(verdict, "ok") != 0)
            st = coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_CORRUPT,
                         "%s: damaged: %s", path, verdict != NULL ? verdict : "?");
    } else {
        st = fail_db(db, err, rc, "checking the file");
    }
    sqlite3_finalize(stmt);
    return st;
}

coord_status coord_ob_open_store(const char *path, uint32_t flags, sqlite3 **out_db,
                           coord_outbox_error *err)
{
    char dir[4096];
    struct stat sb;
    sqlite3 *db = NULL;
    coord_status st;
    int rc;

    *out_db = NULL;
    directory_of(path, dir, sizeof(dir));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_NO_DIRECTORY,
                       "%s: no such directory", dir);
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT)
            return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_IO, "%s: %s", path,
                           strerror(errno));
        if ((flags & COORD_OUTBOX_CREATE) == 0)
            return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_MISSING,
                           "%s: no such outbox", path);
        st = create_store(path, dir, err);
        if (st != COORD_OK)
            return st;
    } else if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
        return coord_ob_fail(err, COORD_ERR_STORAGE, COORD_OUTBOX_REASON_NOT_AN_OUTBOX,
                       "%s: %s, not an outbox", path,
                       S_ISREG(sb.st_mode) ? "an empty file" : "not a regular file");
    }
    /* never SQLITE_OPEN_CREATE here: a file that vanished is not recreated */
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        /* read the header before anything can write: a foreign file stays untouched */
        sqlite3_extended_result_codes(db, 1);
        rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        st = fail_db(db, err, rc, "opening the outbox");
        goto fail;
    }
    st = check_store(db, path, err);
    if (st != COORD_OK)
        goto fail;
    rc = configure(db);
    if (rc == SQLITE_OK)
        /* a write transaction takes the exclusive lock, held until close */
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE; COMMIT;", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = fail_db(db, err, rc, "opening the outbox");
        goto fail;
    }
    *out_db = db;
    return COORD_OK;
fail:
    sqlite3_close(db);
    return st;
}
