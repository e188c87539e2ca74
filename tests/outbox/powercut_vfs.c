/* The power-cut VFS (powercut_vfs.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "powercut_vfs.h"

typedef struct pending {
    struct pending *next;
    sqlite3_int64 offset;
    int amount;
    unsigned char data[];
} pending;

typedef struct pc_file {
    sqlite3_file base;
    struct pc_file *next_open; /* every open file, for the cut */
    pending *head, *tail;      /* unsynced writes, oldest first */
    sqlite3_file *real;        /* the default VFS's file, right after this struct */
} pc_file;

static sqlite3_vfs pc_vfs;
static sqlite3_vfs *real_vfs;
static pc_file *open_files;
static long events, cut_at;
static int keep_random;
static unsigned rng_state = 1;
static long fail_from[PCV_KINDS], fail_count[PCV_KINDS], seen[PCV_KINDS], failed[PCV_KINDS];

static unsigned next_random(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 16;
}

static int faulty(int kind)
{
    seen[kind]++;
    if (fail_count[kind] > 0 && seen[kind] >= fail_from[kind] &&
        seen[kind] < fail_from[kind] + fail_count[kind]) {
        failed[kind]++;
        return 1;
    }
    return 0;
}

static void drop_pending(pc_file *f)
{
    while (f->head != NULL) {
        pending *p = f->head;
        f->head = p->next;
        free(p);
    }
    f->tail = NULL;
}

static int apply_pending(pc_file *f)
{
    int rc = SQLITE_OK;
    for (pending *p = f->head; p != NULL && rc == SQLITE_OK; p = p->next)
        rc = f->real->pMethods->xWrite(f->real, p->data, p->amount, p->offset);
    drop_pending(f);
    return rc;
}

/* The power goes: what was synced stays, the rest is lost (or, in random
 * mode, partly written), and the process ends without another instruction. */
static void power_cut(void)
{
    if (keep_random) {
        for (pc_file *f = open_files; f != NULL; f = f->next_open)
            for (pending *p = f->head; p != NULL; p = p->next)
                if (next_random() & 1)
                    (void)f->real->pMethods->xWrite(f->real, p->data, p->amount, p->offset);
    }
    _exit(PCV_CUT_EXIT);
}

static void count_event(void)
{
    events++;
    if (cut_at > 0 && events >= cut_at)
        power_cut();
}

/* ---- io methods ------------------------------------------------------------- */

static int pc_close(sqlite3_file *file)
{
    pc_file *f = (pc_file *)file;
    pc_file **link = &open_files;
    int rc;

    while (*link != NULL && *link != f)
        link = &(*link)->next_open;
    if (*link == f)
        *link = f->next_open;
    /* a file closed normally reaches the disk in time (the OS writes it) */
    (void)apply_pending(f);
    rc = f->real->pMethods != NULL ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    return rc;
}

static int pc_size(sqlite3_file *file, sqlite3_int64 *out_size)
{
    pc_file *f = (pc_file *)file;
    int rc = f->real->pMethods->xFileSize(f->real, out_size);
    for (pending *p = f->head; rc == SQLITE_OK && p != NULL; p = p->next)
        if (p->offset + p->amount > *out_size)
            *out_size = p->offset + p->amount;
    return rc;
}

static int pc_read(sqlite3_file *file, void *buf, int amount, sqlite3_int64 offset)
{
    pc_file *f = (pc_file *)file;
    sqlite3_int64 size = 0;
    int rc;

    if (faulty(PCV_READ)) {
        errno = EIO;
        return SQLITE_IOERR_READ;
    }
    rc = f->real->pMethods->xRead(f->real, buf, amount, offset);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
        return rc;
    for (pending *p = f->head; p != NULL; p = p->next) {
        sqlite3_int64 lo = p->offset > offset ? p->offset : offset;
        sqlite3_int64 hi = p->offset + p->amount < offset + amount ? p->offset + p->amount
                                                                   : offset + amount;
        if (lo < hi)
            memcpy((unsigned char *)buf + (lo - offset), p->data + (lo - p->offset),
                   (size_t)(hi - lo));
    }
    if (rc == SQLITE_IOERR_SHORT_READ) {
        rc = pc_size(file, &size);
        if (rc == SQLITE_OK && size < offset + amount)
            rc = SQLITE_IOERR_SHORT_READ;
    }
    return rc;
}

static int pc_write(sqlite3_file *file, const void *buf, int amount, sqlite3_int64 offset)
{
    pc_file *f = (pc_file *)file;
    pending *p;

    count_event();
    if (faulty(PCV_WRITE)) {
        errno = ENOSPC;
        return SQLITE_FULL;
    }
    p = malloc(sizeof(*p) + (size_t)amount);
    if (p == NULL)
        return SQLITE_IOERR_NOMEM;
    p->next = NULL;
    p->offset = offset;
    p->amount = amount;
    memcpy(p->data, buf, (size_t)amount);
    if (f->tail != NULL)
        f->tail->next = p;
    else
        f->head = p;
    f->tail = p;
    return SQLITE_OK;
}

static int pc_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    pc_file *f = (pc_file *)file;
    /* SQLite syncs before it truncates: what is pending is applied first */
    int rc = apply_pending(f);
    return rc == SQLITE_OK ? f->real->pMethods->xTruncate(f->real, size) : rc;
}

static int pc_sync(sqlite3_file *file, int flags)
{
    pc_file *f = (pc_file *)file;
    int rc;

    count_event();
    if (faulty(PCV_SYNC)) {
        drop_pending(f); /* the kernel dropped them: the data never reached the disk */
        errno = EIO;
        return SQLITE_IOERR_FSYNC;
    }
    rc = apply_pending(f);
    return rc == SQLITE_OK ? f->real->pMethods->xSync(f->real, flags) : rc;
}

#define PASS(name, ...) ((pc_file *)file)->real->pMethods->name(((pc_file *)file)->real, __VA_ARGS__)

static int pc_lock(sqlite3_file *file, int level) { return PASS(xLock, level); }
static int pc_unlock(sqlite3_file *file, int level) { return PASS(xUnlock, level); }
static int pc_check_lock(sqlite3_file *file, int *out) { return PASS(xCheckReservedLock, out); }
static int pc_control(sqlite3_file *file, int op, void *arg) { return PASS(xFileControl, op, arg); }
static int pc_shm_map(sqlite3_file *file, int pg, int size, int extend, void volatile **pp)
{
    return PASS(xShmMap, pg, size, extend, pp);
}
static int pc_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    return PASS(xShmLock, offset, n, flags);
}
static int pc_shm_unmap(sqlite3_file *file, int delete_flag) { return PASS(xShmUnmap, delete_flag); }

static int pc_sector_size(sqlite3_file *file)
{
    pc_file *f = (pc_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int pc_characteristics(sqlite3_file *file)
{
    pc_file *f = (pc_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static void pc_shm_barrier(sqlite3_file *file)
{
    pc_file *f = (pc_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static const sqlite3_io_methods pc_methods = {
    2, /* no xFetch: every read goes through pc_read */
    pc_close, pc_read, pc_write, pc_truncate, pc_sync, pc_size, pc_lock, pc_unlock,
    pc_check_lock, pc_control, pc_sector_size, pc_characteristics, pc_shm_map, pc_shm_lock,
    pc_shm_barrier, pc_shm_unmap, NULL, NULL,
};

/* ---- the VFS ------------------------------------------------------------------ */

static int pc_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    pc_file *f = (pc_file *)file;
    int rc;

    (void)vfs;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)(f + 1);
    rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        f->base.pMethods = NULL;
        return rc;
    }
    f->base.pMethods = &pc_methods;
    f->next_open = open_files;
    open_files = f;
    return SQLITE_OK;
}

static int pc_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int pc_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int pc_full_path(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, size, out);
}

static int pc_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int pc_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int pc_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int pc_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int pc_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int pcv_register(void)
{
    if (real_vfs != NULL)
        return 0;
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL)
        return -1;
    pc_vfs.iVersion = 2;
    pc_vfs.szOsFile = (int)sizeof(pc_file) + real_vfs->szOsFile;
    pc_vfs.mxPathname = real_vfs->mxPathname;
    pc_vfs.zName = "powercut";
    pc_vfs.xOpen = pc_open;
    pc_vfs.xDelete = pc_delete;
    pc_vfs.xAccess = pc_access;
    pc_vfs.xFullPathname = pc_full_path;
    pc_vfs.xRandomness = pc_randomness;
    pc_vfs.xSleep = pc_sleep;
    pc_vfs.xCurrentTime = pc_time;
    pc_vfs.xGetLastError = pc_last_error;
    pc_vfs.xCurrentTimeInt64 = pc_time64;
    return sqlite3_vfs_register(&pc_vfs, 1) == SQLITE_OK ? 0 : -1;
}

void pcv_set_cut(long n, int random_keep, unsigned seed)
{
    cut_at = n > 0 ? events + n : 0;
    keep_random = random_keep;
    rng_state = seed != 0 ? seed : 1;
}

long pcv_events(void)
{
    return events;
}

void pcv_fail(int kind, long n, long count)
{
    fail_from[kind] = seen[kind] + n;
    fail_count[kind] = count;
}

long pcv_failed(int kind)
{
    return failed[kind];
}
