/* What the outbox's tests share: a scratch directory, a client of the
 * simulator, its charge ledger. Test-side only. */
#ifndef OUTBOX_TEST_H
#define OUTBOX_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "coord/outbox.h"

/* PATH of NAME in this process's scratch directory (removed at exit). */
void obt_path(char *buf, size_t size, const char *name);
/* A client of the simulator as the seeded sessions' user, with quick
 * retries (attempts, 10 ms base, 50 ms cap) and short timeouts. */
coord_client *obt_client(uint32_t attempts);
/* A client of a loopback port that refuses connections. */
coord_client *obt_down_client(void);
/* An active session at location, started 30 minutes ago (its bill: 100
 * cents at the simulator's default 200/hour). */
int64_t obt_session(const char *location);
/* The charge ledger: how many times the simulator ended (location, id);
 * the most ends of any one session; all ends. */
long obt_ledger_count(const char *location, int64_t id);
long obt_ledger_max(void);
long obt_ledger_total(void);
/* The simulator's drop-after-apply rate and its outage/restart. */
void obt_drop_ends(double rate, int seed);
void obt_outage(double seconds);
/* Open with COORD_OUTBOX_CREATE, asserting success. */
coord_outbox *obt_open(const char *path);
/* Every result, acknowledged; returns how many. */
size_t obt_ack_all(coord_outbox *ob);
/* A file's bytes hashed (FNV-1a), -1 when it cannot be read. */
int64_t obt_file_hash(const char *path);
/* Write size bytes of data to path (creating or replacing it). */
void obt_write_file(const char *path, const void *data, size_t size);

#endif
