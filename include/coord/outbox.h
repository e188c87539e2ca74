/**
 * @file outbox.h
 * The durable outbox: ends of parking sessions that survive outages and
 * power cuts (libcoord-outbox, pkg-config coord-outbox, CMake coord::outbox).
 *
 * A kiosk records "end this session" with coord_outbox_end(); when that
 * returns COORD_OK the intent is in an SQLite file, committed and synced.
 * A drain (blocking, coord_outbox_drain(), or on a coord_loop,
 * coord_outbox_drain_start()) sends the pending intents through the
 * replay-safe end and records each one's result -- the ended session with
 * its bill, or a final refusal -- durably before the application can read
 * it with coord_outbox_results(). A result is handed out again (after a
 * restart too) until coord_outbox_ack() has recorded its acknowledgement,
 * and never after.
 *
 * The library is built on libcoord's public API only and links SQLite;
 * libcoord itself never does. docs/OUTBOX.md has the design, the state
 * machine and how it is tested.
 *
 * @par What is guaranteed
 *  - An intent whose coord_outbox_end() returned COORD_OK is, in the end,
 *    either ended at the server (result COORD_OUTBOX_ENDED, with the
 *    session and its bill), or reported as refused or expired -- never
 *    silently dropped: a kill of the process or a power cut at any instant
 *    loses nothing that was acknowledged as recorded.
 *  - The outbox never ends a session twice: the server refuses a second
 *    end (HTTP 409), and the outbox then fetches the session and reports it
 *    as ended, with its bill (session.recovered = 1), not as "already ended".
 *  - A result is stored before the application can see it and is handed out
 *    until acknowledged. Exactly-once *delivery* to an application that may
 *    crash between reading a result and acknowledging it is impossible: the
 *    application sees such a result again after its restart. Every result
 *    carries its intent's id (unique in the file, never reused): make your
 *    own processing idempotent on it.
 *
 * @par What is not
 *  - The API has no end-time parameter: the server stamps end_time when the
 *    end arrives, so a queued end bills the time it waited. The outbox keeps
 *    requested_at_ms (when the driver asked) beside the server's end_time
 *    (drift_ms) so that an operator can settle the difference.
 *  - requested_at_ms is the application's clock, or the system's wall clock
 *    (CLOCK_REALTIME) when it passes 0: a kiosk without a real-time clock
 *    stamps whatever time it has until NTP sets it; expiry uses the same
 *    clock. Times are int64 milliseconds; the system clock is read with a
 *    64-bit time_t wherever the C library offers one (glibc 2.34 and later,
 *    Debian 12 armhf included), so it does not end in 2038.
 *
 * @par Durability
 * The file is an SQLite database in WAL mode with synchronous=FULL: a commit
 * is synced (fsync) before the function that made it returns. (With NORMAL
 * the last commits can be lost at a power cut: the outbox never uses it.)
 * Each state change is one transaction; a drain groups the changes of one
 * step into one. A full disk, an I/O error or a failed fsync fails the call
 * with COORD_ERR_STORAGE: a failed fsync is never retried as if it had
 * worked. After such a failure what the failed commit wrote may or may not
 * be on disk: treat it as not recorded (and coord_outbox_find() tells,
 * after the fault, whether it is there). The store works again once the
 * fault clears.
 *
 * @par One process per file
 * An open outbox holds an exclusive lock on its file until it is closed: a
 * second open, from this process or another, fails with COORD_ERR_STORAGE,
 * reason COORD_OUTBOX_REASON_BUSY. (The CLI's `coord outbox list` therefore
 * reads a file only while the kiosk does not hold it.)
 *
 * @par Threads
 * An outbox belongs to one thread at a time; different outboxes (files) are
 * independent.
 *
 * @par Size
 * At most max_intents intents (pending and unacknowledged results) are
 * stored (coord_outbox_set_limits()); each takes at most about 1 KiB of the
 * file (ids, times, detail and the bill's fields), so the file stays under
 * about max_intents KiB plus SQLite's pages and a WAL, which is checkpointed
 * every 1,000 pages and truncated to 4 MiB. Acknowledged intents are deleted.
 */
#ifndef COORD_OUTBOX_H
#define COORD_OUTBOX_H

#include "coord/coord.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open outbox file. Opaque; close with coord_outbox_close(). */
typedef struct coord_outbox coord_outbox;

/** coord_outbox_open() flag: create the file when it does not exist. */
#define COORD_OUTBOX_CREATE 1u

/** Default of coord_outbox_set_limits()'s max_intents. */
#define COORD_OUTBOX_DEFAULT_MAX_INTENTS 10000u
/** Largest max_intents accepted. */
#define COORD_OUTBOX_MAX_INTENTS_LIMIT 1000000u
/** Default of coord_outbox_set_limits()'s expire_after_ms: 7 days. */
#define COORD_OUTBOX_DEFAULT_EXPIRE_AFTER_MS (7 * 24 * 3600 * 1000LL)
/** Default of coord_outbox_set_limits()'s max_attempts. */
#define COORD_OUTBOX_DEFAULT_MAX_ATTEMPTS 1000u
/** Default of coord_outbox_set_drain()'s max_in_flight. */
#define COORD_OUTBOX_DEFAULT_IN_FLIGHT 16u
/** Largest max_in_flight accepted. */
#define COORD_OUTBOX_IN_FLIGHT_LIMIT 1024u
/** Default of coord_outbox_set_drain()'s backoff_base_ms. */
#define COORD_OUTBOX_DEFAULT_BACKOFF_BASE_MS 1000u
/** Default of coord_outbox_set_drain()'s backoff_max_ms. */
#define COORD_OUTBOX_DEFAULT_BACKOFF_MAX_MS 60000u
/** Most requests coord_outbox_end_batch() takes at once. */
#define COORD_OUTBOX_BATCH_MAX 1000u

/** Where an intent is. Values are stable within SONAME 1. */
typedef enum coord_outbox_state {
    COORD_OUTBOX_PENDING = 0, /**< recorded, to be sent (perhaps sent, its answer not yet recorded) */
    COORD_OUTBOX_ENDED = 1,   /**< result: the session is ended; session and bill in the item */
    COORD_OUTBOX_REFUSED = 2, /**< result: a final refusal (status: PHYSICAL_CHECKOUT, NOT_FOUND, REFUSED) */
    COORD_OUTBOX_EXPIRED = 3  /**< result: older than expire_after_ms or out of attempts; never sent again */
} coord_outbox_state;

/** Why a call failed with COORD_ERR_STORAGE. Values are stable within SONAME 1. */
typedef enum coord_outbox_reason {
    COORD_OUTBOX_REASON_NONE = 0,         /**< no storage failure */
    COORD_OUTBOX_REASON_MISSING = 1,      /**< the file does not exist (and COORD_OUTBOX_CREATE was not given) */
    COORD_OUTBOX_REASON_NO_DIRECTORY = 2, /**< the file's directory does not exist */
    COORD_OUTBOX_REASON_NOT_AN_OUTBOX = 3,/**< empty, not an SQLite database, or another application's database */
    COORD_OUTBOX_REASON_CORRUPT = 4,      /**< an outbox whose pages are damaged (left untouched) */
    COORD_OUTBOX_REASON_NEWER_VERSION = 5,/**< an outbox of a newer schema than this library knows */
    COORD_OUTBOX_REASON_BUSY = 6,         /**< another process or handle holds the file */
    COORD_OUTBOX_REASON_READ_ONLY = 7,    /**< the file or its directory cannot be written */
    COORD_OUTBOX_REASON_DISK_FULL = 8,    /**< no space left on the device (ENOSPC) */
    COORD_OUTBOX_REASON_IO = 9,           /**< an I/O error: read, write or fsync failed (EIO) */
    COORD_OUTBOX_REASON_FULL = 10         /**< max_intents are stored: acknowledge results first */
} coord_outbox_reason;

/** What went wrong in the last failed call on an outbox (or in an open). */
typedef struct coord_outbox_error {
    int32_t status;      /**< a coord_status; COORD_OK after a call that succeeded */
    int32_t reason;      /**< a coord_outbox_reason when status is COORD_ERR_STORAGE */
    int32_t sqlite_code; /**< SQLite's extended result code, 0 when none */
    int32_t os_errno;    /**< the errno of the failing system call, 0 when unknown */
    char detail[COORD_MESSAGE_MAX]; /**< human-readable: what failed and SQLite's and the OS's reason */
} coord_outbox_error;

/** One end to record with coord_outbox_end_batch(). */
typedef struct coord_outbox_request {
    const char *location_id; /**< as for coord_end_session() */
    int64_t session_id;      /**< the session's id within that location */
    int64_t requested_at_ms; /**< when the driver asked, ms since the Unix epoch; 0: now */
} coord_outbox_request;

/**
 * An intent and, once it has one, its result. Plain data in your memory;
 * strings NUL-terminated.
 */
typedef struct coord_outbox_item {
    int64_t id;                     /**< the intent's id: unique in the file, never reused */
    char location_id[COORD_ID_MAX]; /**< the session's location */
    int64_t session_id;             /**< the session's id */
    int64_t requested_at_ms;        /**< when the driver asked (see "What is not") */
    int64_t recorded_at_ms;         /**< when coord_outbox_end() recorded it (wall clock) */
    int64_t completed_at_ms;        /**< when its result was recorded; 0 while pending */
    int64_t drift_ms;               /**< ENDED: session.end_time_ms - requested_at_ms (what the wait billed); else 0 */
    int32_t state;                  /**< a coord_outbox_state */
    int32_t status;                 /**< ENDED: COORD_OK, or COORD_ERR_ALREADY_ENDED when the session was
                                         found ended before this outbox's first attempt; REFUSED: the
                                         refusal; EXPIRED: the last attempt's failure (COORD_OK if none);
                                         PENDING: the last attempt's failure, COORD_OK before any */
    uint32_t attempts;              /**< ends sent (each with the client's retries), counted across restarts */
    uint32_t reserved0;             /**< always zero */
    char detail[COORD_MESSAGE_MAX]; /**< the last failure or refusal, in words; "" when none */
    coord_session session;          /**< ENDED: the session with end_time and billing_info; zero otherwise */
    uint8_t reserved[64];           /**< always zero; future fields */
} coord_outbox_item;

/** Counts of an outbox, from coord_outbox_stats(). */
typedef struct coord_outbox_stats {
    uint32_t pending;          /**< intents not yet completed */
    uint32_t results;          /**< results not yet acknowledged (ended, refused, expired) */
    int64_t oldest_pending_ms; /**< requested_at_ms of the oldest pending intent; 0 when none */
    int64_t oldest_age_ms;     /**< now - oldest_pending_ms on the wall clock; 0 when none */
    uint8_t reserved[32];      /**< always zero */
} coord_outbox_stats;

/** What a drain did, from coord_outbox_drain() and coord_outbox_drain_step(). */
typedef struct coord_outbox_drain_stats {
    uint32_t sent;       /**< ends sent (recovery fetches not counted) */
    uint32_t ended;      /**< results ENDED recorded (recovered ones included) */
    uint32_t recovered;  /**< of those, sessions fetched after a refused second end */
    uint32_t refused;    /**< results REFUSED recorded */
    uint32_t expired;    /**< results EXPIRED recorded */
    uint32_t failures;   /**< sends that failed transiently: the intent stays pending */
    uint32_t pending;    /**< pending intents left in the file when the drain returned */
    int32_t last_failure;/**< the coord_status of the last transient failure; COORD_OK when none */
    uint8_t reserved[32];/**< always zero */
} coord_outbox_drain_stats;

/**
 * Open (and, with COORD_OUTBOX_CREATE, create) an outbox file.
 *
 * A new file is made beside the path under a temporary name, given its
 * schema, synced and renamed into place, so that a kill or a power cut
 * during creation leaves either no outbox or a whole one. An existing file
 * is checked (application id, schema version, SQLite's quick_check) and is
 * never modified, deleted or overwritten when it is refused.
 *
 * @param path       the file; its directory must exist
 * @param flags      0, or COORD_OUTBOX_CREATE
 * @param out_outbox receives the outbox on COORD_OK; NULL otherwise
 * @param out_error  optional (may be NULL): why the open failed; status COORD_OK on success
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT  NULL path or out_outbox, an unknown flag
 *   COORD_ERR_OUT_OF_MEMORY
 *   COORD_ERR_STORAGE           with out_error->reason MISSING, NO_DIRECTORY,
 *                               NOT_AN_OUTBOX, CORRUPT, NEWER_VERSION, BUSY,
 *                               READ_ONLY, DISK_FULL or IO
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_open(const char *path, uint32_t flags,
                                                        coord_outbox **out_outbox,
                                                        coord_outbox_error *out_error);

/**
 * Close an outbox: a drain in progress is stopped first
 * (coord_outbox_drain_stop()), the WAL is checkpointed, the lock released.
 * Nothing recorded is lost by closing or by not closing.
 * @param outbox  an outbox from coord_outbox_open(), or NULL (a no-op)
 */
COORD_API void coord_outbox_close(coord_outbox *outbox);

/**
 * The record of the last call on this outbox.
 * @param outbox  an outbox, or NULL
 * @return owned by the outbox, valid until its next call or its close; NULL for NULL
 */
COORD_API const coord_outbox_error *coord_outbox_last_error(const coord_outbox *outbox);

/**
 * Bound the outbox.
 * @param outbox           the outbox
 * @param max_intents      intents stored at most (pending + unacknowledged
 *                         results): 1..COORD_OUTBOX_MAX_INTENTS_LIMIT; when
 *                         reached, coord_outbox_end() fails (reason FULL)
 * @param expire_after_ms  an intent still pending this long after its
 *                         requested_at_ms is reported EXPIRED instead of
 *                         being sent (never silently dropped); 1 .. 10 years
 * @param max_attempts     an intent whose sends failed this many times is
 *                         reported EXPIRED; 1..1000000
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL outbox, out of range).
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_set_limits(coord_outbox *outbox,
                                                              uint32_t max_intents,
                                                              int64_t expire_after_ms,
                                                              uint32_t max_attempts);

/**
 * Tune the drains.
 * @param outbox           the outbox
 * @param max_in_flight    ends in flight at once: 1..COORD_OUTBOX_IN_FLIGHT_LIMIT
 *                         (the memory of a drain is bounded by it, never by
 *                         the number stored)
 * @param backoff_base_ms  after a pass over the pending intents in which a
 *                         send failed, the next pass waits a random time in
 *                         [0, min(backoff_max_ms, backoff_base_ms * 2^n)]
 *                         for the n-th such pass ("full jitter"); 0..3600000
 * @param backoff_max_ms   backoff_base_ms..3600000
 * Each send itself follows the client's retry policy (coord_client_set_retry()).
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL outbox, out of range,
 *         or a drain in progress).
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_set_drain(coord_outbox *outbox,
                                                             uint32_t max_in_flight,
                                                             uint32_t backoff_base_ms,
                                                             uint32_t backoff_max_ms);

/**
 * Record the intent to end a session. On COORD_OK it is committed and
 * synced: it will be ended once or reported, whatever happens next.
 *
 * Recording a session that is already in the outbox (pending or with an
 * unacknowledged result) records nothing and returns COORD_OK with the
 * existing intent's id: an application that crashed during its own call
 * may simply call again.
 *
 * @param outbox           the outbox
 * @param location_id      as for coord_end_session(): 1..COORD_ID_MAX-1
 *                         bytes, no control characters, not "." or ".."
 * @param session_id       the session's id within that location
 * @param requested_at_ms  when the driver asked, ms since the Unix epoch
 *                         (UTC); 0: now, from the system's wall clock
 * @param out_id           optional (may be NULL): the intent's id
 * @return COORD_OK (recorded), or, the intent *not* recorded:
 *   COORD_ERR_INVALID_ARGUMENT  NULL outbox, a bad location_id, a negative requested_at_ms
 *   COORD_ERR_OUT_OF_MEMORY
 *   COORD_ERR_STORAGE           reason FULL, DISK_FULL, IO, READ_ONLY or BUSY
 *                               (coord_outbox_last_error(): SQLite's and the OS's reason)
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_end(coord_outbox *outbox,
                                                       const char *location_id,
                                                       int64_t session_id,
                                                       int64_t requested_at_ms,
                                                       int64_t *out_id);

/**
 * Record several intents in one transaction (one fsync): all or none.
 * @param outbox    the outbox
 * @param requests  count requests, each as the arguments of coord_outbox_end()
 * @param count     1..COORD_OUTBOX_BATCH_MAX
 * @param out_ids   optional (may be NULL): count ids, in the order of requests
 * @return as coord_outbox_end(); on failure none of them is recorded.
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_end_batch(coord_outbox *outbox,
                                                             const coord_outbox_request *requests,
                                                             size_t count, int64_t *out_ids);

/**
 * Drain the outbox, blocking: send pending intents (at most max_in_flight
 * at once) through the replay-safe end and record their results, until no
 * intent is pending or timeout_ms has passed. Transient failures (no
 * connection, timeouts, 5xx, 429, 401/403, bad answers) leave the intent
 * pending for a later pass, after a backoff (coord_outbox_set_drain()).
 * A session the server says is already ended is fetched
 * (coord_session_get()) and recorded as ENDED with its bill.
 *
 * @param outbox      the outbox; no non-blocking drain in progress
 * @param client      the client whose settings, credentials and retry policy the sends use
 * @param timeout_ms  the longest the drain runs; calls in flight then are cancelled
 *                    (their intents stay pending)
 * @param out_stats   optional (may be NULL): what the drain did
 * @return COORD_OK (nothing pending any more), or
 *   COORD_ERR_TIMEOUT           intents still pending at timeout_ms (out_stats->last_failure says why)
 *   COORD_ERR_INVALID_ARGUMENT  NULL outbox or client, a drain in progress
 *   COORD_ERR_OUT_OF_MEMORY
 *   COORD_ERR_STORAGE           recording failed: the drain stopped; the intents whose
 *                               results were not recorded stay pending
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_drain(coord_outbox *outbox,
                                                         coord_client *client,
                                                         uint32_t timeout_ms,
                                                         coord_outbox_drain_stats *out_stats);

/**
 * Start a non-blocking drain on a loop (coord_loop_new()). The ends run as
 * the application drives the loop; after each of its loop functions
 * returns (coord_loop_run_once(), coord_loop_socket_ready(),
 * coord_loop_timeout()) the application calls coord_outbox_drain_step(),
 * which records what finished and starts what may start.
 * @param outbox  the outbox; no drain in progress
 * @param loop    the loop that runs the sends; must outlive the drain
 * @param client  as for coord_outbox_drain(); must outlive the drain
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL argument, a drain in
 *         progress), COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_drain_start(coord_outbox *outbox,
                                                               coord_loop *loop,
                                                               coord_client *client);

/**
 * One step of a non-blocking drain: record the results of the sends that
 * finished (one transaction, synced), then start sends into the free
 * places. Call it after each of the loop's functions returns, and when
 * *out_wait_ms has passed.
 * @param outbox       the outbox, with a drain started
 * @param out_wait_ms  receives when to call again at the latest, in ms (the
 *                     end of a backoff); -1 when the drain is over (nothing
 *                     pending: the drain is then stopped)
 * @param out_stats    optional (may be NULL): the drain's figures so far
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL argument, no drain
 *         started), COORD_ERR_OUT_OF_MEMORY, or COORD_ERR_STORAGE (the drain
 *         is stopped: its calls cancelled, their intents still pending).
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_drain_step(coord_outbox *outbox,
                                                              int64_t *out_wait_ms,
                                                              coord_outbox_drain_stats *out_stats);

/**
 * Stop a non-blocking drain: its calls are cancelled (coord_call_cancel());
 * their intents stay pending, results not yet recorded are recorded again
 * by a later drain (a second end is refused and the session fetched).
 * @param outbox  the outbox, or NULL; nothing happens without a drain
 */
COORD_API void coord_outbox_drain_stop(coord_outbox *outbox);

/**
 * The results not yet acknowledged, oldest intent first.
 * @param outbox     the outbox
 * @param after_id   only intents with a larger id (0: from the first), to page through
 * @param out_items  room for max items
 * @param max        1..COORD_OUTBOX_BATCH_MAX
 * @param out_count  receives how many were written (0 when none)
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT, COORD_ERR_OUT_OF_MEMORY,
 *         COORD_ERR_STORAGE (reason IO or CORRUPT).
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_results(coord_outbox *outbox, int64_t after_id,
                                                           coord_outbox_item *out_items, size_t max,
                                                           size_t *out_count);

/**
 * Every stored intent (pending and results), by id: what `coord outbox list` prints.
 * @param outbox     the outbox
 * @param after_id   only intents with a larger id (0: from the first)
 * @param out_items  room for max items
 * @param max        1..COORD_OUTBOX_BATCH_MAX
 * @param out_count  receives how many were written
 * @return as coord_outbox_results().
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_list(coord_outbox *outbox, int64_t after_id,
                                                        coord_outbox_item *out_items, size_t max,
                                                        size_t *out_count);

/**
 * Acknowledge a result: once this returns COORD_OK the acknowledgement is
 * synced and the intent deleted; it is never handed out again.
 * @param outbox  the outbox
 * @param id      the result's intent id
 * @return COORD_OK, or
 *   COORD_ERR_NOT_FOUND         no such intent (never recorded, or already acknowledged)
 *   COORD_ERR_INVALID_ARGUMENT  NULL outbox, or the intent is still pending
 *   COORD_ERR_OUT_OF_MEMORY
 *   COORD_ERR_STORAGE           the acknowledgement is not recorded (DISK_FULL, IO, ...)
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_ack(coord_outbox *outbox, int64_t id);

/**
 * One intent by id.
 * @param outbox    the outbox
 * @param id        the intent's id
 * @param out_item  filled on COORD_OK; zeroed otherwise
 * @return COORD_OK, COORD_ERR_NOT_FOUND (no such intent, or acknowledged),
 *         COORD_ERR_INVALID_ARGUMENT, COORD_ERR_OUT_OF_MEMORY, COORD_ERR_STORAGE.
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_get(coord_outbox *outbox, int64_t id,
                                                       coord_outbox_item *out_item);

/**
 * Find the intent for a session: did my coord_outbox_end() record it?
 * @param outbox       the outbox
 * @param location_id  the session's location
 * @param session_id   the session's id
 * @param out_item     filled on COORD_OK; zeroed otherwise
 * @return as coord_outbox_get(); COORD_ERR_NOT_FOUND: not recorded (or
 *         already acknowledged).
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_find(coord_outbox *outbox,
                                                        const char *location_id,
                                                        int64_t session_id,
                                                        coord_outbox_item *out_item);

/**
 * How many intents are pending and how old the oldest is.
 * @param outbox     the outbox
 * @param out_stats  filled on COORD_OK; zeroed otherwise
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT, COORD_ERR_OUT_OF_MEMORY, COORD_ERR_STORAGE.
 */
COORD_API COORD_NODISCARD coord_status coord_outbox_stats_get(coord_outbox *outbox,
                                                             coord_outbox_stats *out_stats);

/**
 * The name of a state ("PENDING", "ENDED", "REFUSED", "EXPIRED"), or "UNKNOWN".
 * @param state  a coord_outbox_state
 * @return static text
 */
COORD_API const char *coord_outbox_state_name(int32_t state);

/**
 * The name of a reason ("NONE", "MISSING", ..., "FULL"), or "UNKNOWN".
 * @param reason  a coord_outbox_reason
 * @return static text
 */
COORD_API const char *coord_outbox_reason_name(int32_t reason);

#ifdef __cplusplus
}
#endif

#endif /* COORD_OUTBOX_H */
