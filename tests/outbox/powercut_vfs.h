/* A test SQLite VFS over the default one that models a power cut: writes
 * are kept aside (reads see them) until the file is synced; a cut at the
 * N-th write or sync drops every unsynced write (or, in "random" mode, a
 * random subset of them reaches the disk) and ends the process at once.
 * It also injects the I/O faults of docs/OUTBOX.md: a write that fails
 * with ENOSPC (SQLITE_FULL), an fsync that fails (its writes are lost), a
 * read that fails (EIO). Test-side only. */
#ifndef POWERCUT_VFS_H
#define POWERCUT_VFS_H

enum { PCV_WRITE = 0, PCV_SYNC = 1, PCV_READ = 2, PCV_KINDS = 3 };

/* The exit status of a process cut by the VFS. */
#define PCV_CUT_EXIT 77

/* Registers the VFS "powercut" as SQLite's default; 0 on success. */
int pcv_register(void);
/* Cut at the n-th write-or-sync from now (1: the next); 0: never. With
 * keep_random, each unsynced write survives the cut with probability 1/2
 * (seeded with seed). */
void pcv_set_cut(long n, int keep_random, unsigned seed);
/* Writes and syncs seen since registration. */
long pcv_events(void);
/* From the n-th operation of kind from now (1: the next), count operations
 * fail (writes: SQLITE_FULL, ENOSPC; syncs: SQLITE_IOERR_FSYNC, EIO, the
 * file's unsynced writes lost; reads: SQLITE_IOERR_READ, EIO); count 0 clears. */
void pcv_fail(int kind, long n, long count);
/* Operations of kind that failed so far. */
long pcv_failed(int kind);

#endif
