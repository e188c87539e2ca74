/**
 * @file
 * libcoord — C client for the Coord Parking Access API.
 *
 * The one include of the public API, and its reference documentation:
 * the blocking calls here, the non-blocking calls in coord/async.h, which
 * this header includes. C99, usable from C++. Every function returns a coord_status (or documents
 * why it cannot fail); details of the last failure on a client are kept in a
 * coord_error record readable with coord_client_last_error().
 *
 * Thread safety: coord_global_init() / coord_global_cleanup() must be called
 * while no other thread runs libcoord or libcurl (they wrap
 * curl_global_init/cleanup). After that, any number of clients may be used
 * concurrently, one thread per client at a time: a client is never shared
 * between threads without the caller's own lock. coord_strerror(),
 * coord_status_name(), coord_version() and the pure helpers are safe anywhere.
 *
 * Compatibility: within one SONAME (libcoord.so.1) functions are only added,
 * enum values only appended, and no public struct changes its size or moves
 * a field; a program built against an older 1.x header runs unchanged.
 */
#ifndef COORD_COORD_H
#define COORD_COORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Major version of this header, and the number of the SONAME it belongs to. */
#define COORD_VERSION_MAJOR 1
/** Minor version of this header: raised when functions are added. */
#define COORD_VERSION_MINOR 1
/** Patch version of this header: raised for fixes. */
#define COORD_VERSION_PATCH 0
/** This header's version as text; coord_version() tells the library's. */
#define COORD_VERSION_STRING "1.1.0"
/** Single number for compile-time comparisons: 0xMMmmpp. */
#define COORD_VERSION_NUM \
    ((COORD_VERSION_MAJOR << 16) | (COORD_VERSION_MINOR << 8) | COORD_VERSION_PATCH)

#if defined(_WIN32)
#  define COORD_API
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define COORD_API __attribute__((visibility("default")))
#else
#  define COORD_API
#endif

#if defined(__GNUC__) && (__GNUC__ >= 4)
#  define COORD_NODISCARD __attribute__((warn_unused_result))
#else
#  define COORD_NODISCARD
#endif

/** Production base URL of the Parking Access API. */
#define COORD_BASE_URL_PRODUCTION "https://api.coord.co/v1/access/parking"
/** Sandbox base URL; sandbox access keys begin with "sandbox-". */
#define COORD_BASE_URL_SANDBOX "https://api.sandbox.coord.co/v1/access/parking"

/* Bounds. Every string the library stores lives in fixed storage of these
 * sizes (the NUL included); a longer value from the server is an error
 * (COORD_ERR_BAD_RESPONSE), never silently truncated. */
#define COORD_ID_MAX 128            /**< location_id, user_id, resource_id */
#define COORD_TIME_MAX 40           /**< RFC 3339 text, e.g. 2018-04-12T00:14:20.292Z */
#define COORD_CURRENCY_MAX 4        /**< ISO 4217: three letters */
#define COORD_BARCODE_DATA_MAX 2048 /**< barcode payload (Aztec holds at most 1914 bytes) */
#define COORD_BARCODE_FORMAT_MAX 32 /**< e.g. "aztec" */
#define COORD_MESSAGE_MAX 256       /**< server error message, error detail */
#define COORD_EMAIL_MAX 255         /**< e-mail address of a test user (RFC 5321: 254) */
#define COORD_TOKEN_MAX 8192u       /**< bearer token (JWT) + NUL: holds any token libcoord accepts */

/* Default limits of a new client (see coord_client_set_timeouts() and
 * coord_client_set_max_response_size()). */
#define COORD_DEFAULT_CONNECT_TIMEOUT_MS 10000u         /**< time allowed to connect */
#define COORD_DEFAULT_TIMEOUT_MS 30000u                 /**< time allowed for a whole call */
#define COORD_DEFAULT_MAX_RESPONSE_SIZE (1024u * 1024u) /**< largest answer accepted, in bytes */
/** Most sessions a new client's list calls put in an array (1 MiB of them). */
#define COORD_DEFAULT_MAX_SESSIONS 256u
/**
 * Decode memory: cJSON may ask for at most this many times a client's
 * maximum response size to parse one answer; an answer that needs more is
 * refused with COORD_ERR_RESPONSE_TOO_LARGE (see
 * coord_client_set_max_response_size()).
 */
#define COORD_DECODE_MEMORY_FACTOR 8u

/* Default retry policy of a new client (see coord_client_set_retry()). */
#define COORD_DEFAULT_RETRY_MAX_ATTEMPTS 3u    /**< requests per call, the first one included */
#define COORD_DEFAULT_RETRY_BASE_DELAY_MS 100u /**< base of the backoff between attempts */
#define COORD_DEFAULT_RETRY_MAX_DELAY_MS 2000u /**< longest backoff between two attempts */
/** Longest Retry-After the SDK waits for; a server asking more is not retried. */
#define COORD_RETRY_AFTER_MAX_MS 60000u
/** Least time a retry must have left of the call's total timeout after its wait. */
#define COORD_RETRY_MIN_ATTEMPT_MS 10

/**
 * @name Coord error codes
 * Codes in the Coord error body {"code", "message"} that the SDK recognises.
 * Coord never published them; these are the values libcoord's simulator sends
 * and the SDK's documented assumption (see coord_end_session()).
 * @{
 */
/** The session is gate-controlled: it is ended at the gate (see coord_end_session()). */
#define COORD_API_CODE_PHYSICAL_CHECKOUT 4001
/** The session was already ended. */
#define COORD_API_CODE_SESSION_ENDED 4091
/** The user already has an active session at the location (see coord_session_create()). */
#define COORD_API_CODE_SESSION_ACTIVE 4092
/** @} */

/** Result of every call. Values are stable within SONAME 1. */
typedef enum coord_status {
    COORD_OK = 0,
    COORD_ERR_INVALID_ARGUMENT = 1,  /**< NULL, empty, too long or control characters; nothing sent */
    COORD_ERR_OUT_OF_MEMORY = 2,
    COORD_ERR_TRANSPORT = 3,         /**< DNS, connect, send/receive failure */
    COORD_ERR_TLS = 4,               /**< TLS handshake or certificate verification failed */
    COORD_ERR_TIMEOUT = 5,           /**< connect or total timeout passed (or HTTP 408) */
    COORD_ERR_UNAUTHORIZED = 6,      /**< HTTP 401 or 403: key or token missing, invalid, insufficient; or no token set (not sent) */
    COORD_ERR_NOT_FOUND = 7,         /**< HTTP 404 */
    COORD_ERR_REFUSED = 8,           /**< any other HTTP 4xx: the server refused the request */
    COORD_ERR_RATE_LIMITED = 9,      /**< HTTP 429 */
    COORD_ERR_SERVER = 10,           /**< HTTP 5xx */
    COORD_ERR_BAD_RESPONSE = 11,     /**< malformed or unexpected answer (JSON, types, ranges, status, another session than asked, header lines over 64 KiB); never retried */
    COORD_ERR_RESPONSE_TOO_LARGE = 12, /**< answer over the maximum response size, or too big to decode (COORD_DECODE_MEMORY_FACTOR) */
    COORD_ERR_PHYSICAL_CHECKOUT = 13,  /**< gate-controlled session (redemption_info): end it at the gate */
    COORD_ERR_ALREADY_ENDED = 14,      /**< the session was already ended */
    COORD_ERR_SESSION_ACTIVE = 15,     /**< the user already has an active session there */
    COORD_ERR_CANCELLED = 16,          /**< cancelled: coord_call_cancel(), coord_client_cancel() */
    COORD_ERR_STORAGE = 17             /**< durable storage failed (the outbox, libcoord-outbox: disk full, I/O or fsync error, a file that is not a usable outbox, a store another process holds); what was asked is not recorded */
} coord_status;

/** Money in the currency's smallest unit: amount 1234 + "USD" is 12.34 USD. */
typedef struct coord_money {
    int64_t amount;                    /**< in the currency's smallest unit (cents for USD) */
    char currency[COORD_CURRENCY_MAX]; /**< ISO 4217, three upper-case letters */
} coord_money;

/** Bill of an ended session. */
typedef struct coord_billing_info {
    uint8_t has_cost;  /**< 0: the server sent "cost": null (or none): not yet calculated */
    coord_money cost;  /**< valid when has_cost; a real cost of 0 has has_cost = 1 */
} coord_billing_info;

/** What a user presents at the gate of a gate-controlled session. */
typedef struct coord_redemption_info {
    char barcode_data[COORD_BARCODE_DATA_MAX];     /**< raw data to render; may be "" */
    char barcode_format[COORD_BARCODE_FORMAT_MAX]; /**< "aztec" is the only published value */
} coord_redemption_info;

/**
 * A parking session. A session is identified by the pair (location_id, id):
 * ids are unique only within a location.
 *
 * Strings are NUL-terminated in the fixed storage above; an empty string
 * means the server did not send the field (bytes after the NUL are
 * unspecified: compare strings, not whole structs). Times keep the server's RFC 3339
 * text and the same instant as milliseconds since the Unix epoch (UTC);
 * digits below the millisecond are dropped.
 *
 * The struct holds no pointers: copy it, keep it on the stack or in static
 * storage; nothing to free. Its size is fixed within SONAME 1 (4096 bytes).
 */
typedef struct coord_session {
    int64_t id;                     /**< unique within its location */
    char location_id[COORD_ID_MAX]; /**< from the answer, else the location the call addressed */
    char user_id[COORD_ID_MAX];     /**< the user the session belongs to */
    char resource_id[COORD_ID_MAX]; /**< stall, charger or pump; "" when absent */
    uint8_t has_start_time;         /**< 0 until a gate-controlled session is redeemed */
    uint8_t has_end_time;           /**< 0 while the session is active */
    uint8_t has_billing_info;       /**< set on ended sessions */
    uint8_t has_redemption_info;    /**< set on gate-controlled sessions */
    char start_time[COORD_TIME_MAX];        /**< RFC 3339, as the server sent it; valid when has_start_time */
    char end_time[COORD_TIME_MAX];          /**< RFC 3339, as the server sent it; valid when has_end_time */
    int64_t start_time_ms;                  /**< start_time in ms since the Unix epoch (UTC) */
    int64_t end_time_ms;                    /**< end_time in ms since the Unix epoch (UTC) */
    coord_billing_info billing_info;        /**< valid when has_billing_info */
    coord_redemption_info redemption_info;  /**< valid when has_redemption_info */
    /* New fields go here, above `reserved`, which shrinks by their size
     * (padding included): sizeof(coord_session) never changes. */
    uint8_t recovered; /**< 1: an end whose answer was lost; the session was fetched afterwards (replay-safe end) */
    uint8_t reserved[1495]; /**< always zero; future fields */
} coord_session;

/**
 * What went wrong in the last failed call on a client. Cleared (status
 * COORD_OK, zeros, empty strings) at the start of each call.
 */
typedef struct coord_error {
    int32_t status;         /**< a coord_status */
    int32_t http_status;    /**< HTTP status of the answer, 0 when no status line arrived; kept when the answer then failed (cut off, too large, bad headers) */
    uint8_t has_api_error;  /**< the answer carried a Coord error body */
    int32_t api_code;       /**< its "code", when has_api_error */
    char api_message[COORD_MESSAGE_MAX]; /**< its "message", when has_api_error; secrets redacted as in detail */
    char detail[COORD_MESSAGE_MAX];      /**< human-readable detail; never holds the key or token, raw, percent-encoded (either case) or form-encoded: "[redacted]" */
    /* -- hardening: retries -- */
    int32_t attempts; /**< HTTP requests the call sent or tried (retries and a recovery fetch included); 0: none */
} coord_error;

/** Opaque client: configuration, one reusable libcurl handle, last error. */
typedef struct coord_client coord_client;

/* ------------------------------------------------------------------------ */
/* Library                                                                   */

/**
 * Initialise libcurl for the process (curl_global_init(CURL_GLOBAL_DEFAULT)).
 * Call once at start-up, before any thread uses libcoord, unless the
 * application initialises libcurl itself. When an allocator was installed
 * with coord_set_allocator(), libcurl is initialised with
 * curl_global_init_mem() so that its allocations go through it as well.
 * @return COORD_OK, COORD_ERR_OUT_OF_MEMORY, or COORD_ERR_TRANSPORT when
 *         libcurl could not initialise.
 */
COORD_API COORD_NODISCARD coord_status coord_global_init(void);

/** Release what coord_global_init() took. Call once, after all clients are freed. */
COORD_API void coord_global_cleanup(void);

/* ------------------------------------------------------------------------ */
/* Memory: allocator hooks                                                   */

/**
 * The application's allocator. Every allocation libcoord makes goes through
 * it: clients, requests, the response buffer, and cJSON's allocations while
 * decoding. libcurl's allocations go through it too when it is installed
 * before coord_global_init() (see coord_set_allocator()).
 *
 * The library calls the functions only with: size > 0; ptr != NULL for
 * realloc_fn and free_fn (a NULL free is skipped, realloc of NULL becomes
 * malloc_fn). Each must behave like its libc namesake (NULL on failure, the
 * old block kept when realloc_fn fails) and be thread-safe when clients are
 * used from several threads (libcurl may also call it from its resolver
 * thread). Memory returned must be aligned for any type (as malloc's is).
 *
 * Zero-initialise the struct before filling it ({0} or memset): reserved
 * must stay zero; future versions may give it a meaning where zero keeps
 * today's behaviour.
 */
typedef struct coord_allocator {
    void *(*malloc_fn)(size_t size, void *user_data);               /**< required */
    void *(*realloc_fn)(void *ptr, size_t size, void *user_data);   /**< required */
    void (*free_fn)(void *ptr, void *user_data);                    /**< required */
    /** Optional: NULL derives calloc from malloc_fn (overflow-checked, then zeroed). */
    void *(*calloc_fn)(size_t count, size_t size, void *user_data);
    void *user_data; /**< passed to every function above; the library never reads it */
    void *reserved[4]; /**< must be NULL */
} coord_allocator;

/**
 * Install the application's allocator for the whole process, or restore the
 * defaults (libc malloc/realloc/calloc/free) with NULL. The struct is copied.
 *
 * Process-global, like the cJSON and libcurl hooks it feeds: call it at
 * start-up, while no other thread uses libcoord, BEFORE any client exists,
 * and before coord_global_init() if libcurl's allocations should go through
 * it too. Memory is always returned to the allocator that gave it, so the
 * allocator must not change while anything allocated with it is alive: free
 * every client first.
 *
 * cJSON (cJSON_InitHooks) and libcurl (curl_global_init_mem) each have one
 * set of hooks per process. libcoord installs cJSON's once, at this call or
 * its first decode, whichever comes first, and keeps them: they pass every
 * allocation to the installed allocator (libc's without one) and, while
 * libcoord parses an answer on that thread, bound the parse's memory (see
 * COORD_DECODE_MEMORY_FACTOR) and tell cJSON's out-of-memory from malformed
 * JSON. If the application uses cJSON itself, its cJSON allocations follow
 * the installed allocator too, without a bound; if it installs cJSON hooks
 * of its own after that, libcoord's bound and out-of-memory detection are
 * gone (a failed allocation then reads as malformed JSON). libcurl is routed
 * only when coord_global_init() is the first curl_global_init* of the
 * process and runs after this call; libcurl then keeps these hooks until
 * coord_global_cleanup(), and coord_set_allocator() refuses to change them
 * until then. Libraries below libcurl (OpenSSL, libc's resolver) keep their
 * own allocators.
 *
 * @param allocator  the hooks (copied), or NULL for the defaults
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT when malloc_fn,
 *         realloc_fn or free_fn is NULL, reserved is not all NULL, or
 *         libcurl is running on the current allocator (between
 *         coord_global_init() and coord_global_cleanup()); nothing changes
 *         then.
 */
COORD_API COORD_NODISCARD coord_status coord_set_allocator(const coord_allocator *allocator);

/**
 * The version of the library linked (COORD_VERSION_STRING is the header's).
 * @return static text, e.g. "1.1.0"
 */
COORD_API const char *coord_version(void);

/**
 * Human-readable text of a status.
 * @param status  any value
 * @return static text; never NULL ("unknown status" for a value not in coord_status)
 */
COORD_API const char *coord_strerror(coord_status status);

/**
 * The enumerator name of a status.
 * @param status  any value
 * @return static text, e.g. "COORD_ERR_NOT_FOUND"; never NULL
 */
COORD_API const char *coord_status_name(coord_status status);

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

/**
 * Create a client.
 *
 * The client starts with COORD_DEFAULT_CONNECT_TIMEOUT_MS,
 * COORD_DEFAULT_TIMEOUT_MS, COORD_DEFAULT_MAX_RESPONSE_SIZE, user agent
 * "libcoord/<version>", no bearer token and TLS verification on.
 *
 * @param base_url    base of the Parking Access API, e.g.
 *                    COORD_BASE_URL_PRODUCTION, COORD_BASE_URL_SANDBOX or a
 *                    simulator's "http://127.0.0.1:PORT/v1/access/parking";
 *                    NULL means production (which is offline: the client's
 *                    log warns of it). Checked with libcurl's URL
 *                    parser: scheme http or https, then "//" and a
 *                    non-empty host; no userinfo ("user:pass@"), query,
 *                    fragment (not even an empty "?" or "#") or backslash.
 *                    So no location id can change the host or the path
 *                    a request goes to. A trailing '/' is ignored. Copied.
 *                    Refused with COORD_ERR_INVALID_ARGUMENT: there is no
 *                    client to hold the reason, so coord_base_url_check()
 *                    names the part that is wrong (scheme, host, ...).
 *                    A path that does not end in /v1/access/parking is
 *                    accepted (a gateway may serve the API under a prefix
 *                    of its own, e.g. /coord/v1/access/parking, but not
 *                    elsewhere), with a warning in the client's log: the
 *                    calls will answer 404 "no such route" otherwise.
 * @param access_key  the API access key, sent as query parameter access_key;
 *                    non-empty, no control characters. A key shorter than
 *                    8 bytes is accepted with a warning in the client's
 *                    log: every occurrence of it in error text and log
 *                    lines is redacted, ordinary words too. Copied, and wiped
 *                    from memory when the client is freed (explicit_bzero
 *                    where libc has it). libcurl keeps copies of each
 *                    request's URL, and so of the key, which it frees
 *                    without wiping: see docs/SECURITY.md.
 * @param out_client  receives the new client on COORD_OK; set to NULL otherwise.
 *                    Free it with coord_client_free().
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL out_client or key, bad
 *         URL or key), COORD_ERR_OUT_OF_MEMORY (also when libcurl cannot
 *         allocate its handle or its parse of the URL), or COORD_ERR_TRANSPORT when libcurl refuses
 *         an option of the handle.
 */
COORD_API COORD_NODISCARD coord_status coord_client_new(const char *base_url,
                                                       const char *access_key,
                                                       coord_client **out_client);

/**
 * Free a client, wiping its secrets.
 * @param client  a client from coord_client_new(), or NULL (a no-op)
 */
COORD_API void coord_client_free(coord_client *client);

/**
 * Set or clear the user's bearer token (sent as "Authorization: Bearer ...").
 * @param client  a client from coord_client_new()
 * @param token  a JWT, non-empty, no control characters; NULL clears it.
 *               Copied; the previous token is wiped. A token shorter than
 *               8 bytes is accepted with a warning in the client's log
 *               (COORD_LOG_WARN, now or when a log is set): every
 *               occurrence of it in error text and log lines is redacted,
 *               ordinary words too ("Fail" blanks "Failed").
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT, COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_bearer_token(coord_client *client,
                                                                    const char *token);

/**
 * Set the User-Agent header.
 * @param client  a client from coord_client_new()
 * @param user_agent  printable text, at most 255 bytes; NULL restores
 *                    "libcoord/<version>". Copied.
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT, COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_user_agent(coord_client *client,
                                                                  const char *user_agent);

/**
 * Set the timeouts. No call can take longer than total_timeout_ms: it bounds
 * every attempt, the waits between retries and a replay-safe end's fetch.
 * @param client  a client from coord_client_new()
 * @param connect_timeout_ms  time allowed to connect (TCP + TLS), 1..total
 * @param total_timeout_ms    time allowed for a whole call, >= 1
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (0, or connect > total).
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_timeouts(coord_client *client,
                                                                uint32_t connect_timeout_ms,
                                                                uint32_t total_timeout_ms);

/**
 * Set the largest response body the client accepts; a larger answer fails
 * with COORD_ERR_RESPONSE_TOO_LARGE and is not kept. The limit is on the
 * body as decoded: a gzip answer may come longer than it decodes to. An
 * answer whose Content-Length no answer within the limit could have --
 * over max_bytes + max_bytes / 8 + 1 KiB -- is refused before its body is
 * read.
 *
 * Memory: decoding an answer builds cJSON's tree of it, which takes ~4
 * times the answer's size for Coord's answers (measured: 744 bytes for the
 * 191-byte end answer, 914 KB for a 240 KB list of 1,000 sessions) and up to
 * 32 times for the densest valid JSON (`[0,0,...]`). cJSON may ask for at
 * most COORD_DECODE_MEMORY_FACTOR (8) times max_bytes while it parses: an
 * answer that needs more fails with COORD_ERR_RESPONSE_TOO_LARGE (and frees
 * what it took). The peak of a call is then the body (at most max_bytes),
 * the tree (at most 8 * max_bytes) and what it decodes into (a list: its
 * array); bytes counted as asked of the allocator, whose own overhead per
 * block comes on top. Error bodies (non-2xx answers) get 8 times their
 * length. Keep the limit small on devices with little memory: 64 KiB holds
 * hundreds of sessions and bounds the tree at 512 KiB.
 * @param client  a client from coord_client_new()
 * @param max_bytes  1 KiB .. 64 MiB
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT outside that range.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_max_response_size(coord_client *client,
                                                                         uint32_t max_bytes);

/**
 * Set the most sessions the list calls (coord_session_list_location(),
 * coord_session_list_user()) put in a coord_session_list; an answer with
 * more fails with COORD_ERR_RESPONSE_TOO_LARGE. The array is bounded by
 * memory too: at most COORD_DECODE_MEMORY_FACTOR (8) times the maximum
 * response size (coord_client_set_max_response_size()), whichever limit is
 * lower. Each session takes sizeof(coord_session) (4096) bytes whatever the
 * answer holds: a 119 KB answer of 10,000 {"id":N} entries would take 41 MB.
 * The default, COORD_DEFAULT_MAX_SESSIONS (256), is 1 MiB of sessions. The
 * *_each list calls (coord_session_list_location_each()) need no array: they
 * take any number of sessions in one caller-provided coord_session.
 * @param client        a client from coord_client_new()
 * @param max_sessions  1 .. COORD_SESSION_LIST_MAX
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL client, out of range;
 *         the previous setting is kept).
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_max_sessions(coord_client *client,
                                                                    uint32_t max_sessions);

/* ------------------------------------------------------------------------ */
/* TLS                                                                       */
/*
 * Certificate and host-name verification are always on (libcurl's default,
 * set explicitly), with TLS 1.2 as the oldest protocol accepted. There is no
 * option to turn verification off: for a local test server, trust its CA
 * with coord_client_set_ca_file() instead. Every certificate problem -- an
 * unknown CA, a name that does not match, an expired certificate, a pin that
 * does not match, an unreadable CA file -- fails the call with COORD_ERR_TLS
 * and a detail saying which, and nothing is sent. These settings only affect
 * https:// base URLs.
 */

/**
 * Trust the CA certificates in a PEM file (libcurl's CURLOPT_CAINFO).
 *
 * Once a CA file or a CA directory is set, the client trusts exactly what
 * was configured (this file and/or the directory of
 * coord_client_set_ca_path()) and no longer the system's default store.
 * Clearing both restores the default store.
 *
 * The file is read when a connection is made, not here: a missing or
 * unreadable file makes calls fail with COORD_ERR_TLS.
 *
 * @param client  a client from coord_client_new()
 * @param path    file path, 1..4095 bytes, no control characters; NULL clears
 *                it. Copied.
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL client, bad path; the
 *         previous setting is kept), COORD_ERR_OUT_OF_MEMORY, or
 *         COORD_ERR_TLS when libcurl's TLS backend does not support the option.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_ca_file(coord_client *client,
                                                               const char *path);

/**
 * Trust the CA certificates in a directory prepared with `openssl rehash`
 * (libcurl's CURLOPT_CAPATH). Same rules as coord_client_set_ca_file(): with
 * either set, only the configured file and/or directory are trusted.
 *
 * @param client  a client from coord_client_new()
 * @param path    directory path, 1..4095 bytes, no control characters;
 *                NULL clears it. Copied.
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT, COORD_ERR_OUT_OF_MEMORY,
 *         COORD_ERR_TLS (option not supported by libcurl's TLS backend).
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_ca_path(coord_client *client,
                                                               const char *path);

/**
 * Pin the server's public key (libcurl's CURLOPT_PINNEDPUBLICKEY), on top
 * of certificate verification, never instead of it.
 *
 * A pin is "sha256//" followed by the base64 of the SHA-256 of the server
 * key's DER SubjectPublicKeyInfo (44 characters), e.g. from
 *   openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der
 *     | openssl dgst -sha256 -binary | base64
 * Several pins may be joined with ';' (the current key and its successor,
 * for rotation); the connection is accepted when any one matches.
 * A connection whose key matches none fails with COORD_ERR_TLS before any
 * request is sent.
 *
 * @param client  a client from coord_client_new()
 * @param pin     the pin list, at most 511 bytes; NULL removes the pin.
 *                Copied.
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL client, not of the form
 *         above; the previous pin is kept), COORD_ERR_OUT_OF_MEMORY, or
 *         COORD_ERR_TLS when libcurl's TLS backend does not support pinning.
 *         After COORD_ERR_OUT_OF_MEMORY or COORD_ERR_TLS the previous pin is
 *         gone too (libcurl drops it first), so the client fails closed:
 *         every call returns COORD_ERR_TLS until a pin (or NULL) is set
 *         successfully.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_pinned_public_key(coord_client *client,
                                                                         const char *pin);

/* ------------------------------------------------------------------------ */
/* Proxies                                                                   */
/*
 * A new client connects straight to its base URL's host. It ignores the
 * proxy environment variables libcurl would otherwise follow (http_proxy,
 * HTTPS_PROXY, ALL_PROXY, NO_PROXY and their other spellings): whoever sets
 * them would receive the access key and the bearer token -- in clear text
 * for an http:// base URL -- and be trusted with the answers. A proxy is
 * used only when the application asks for one, with one of the two calls
 * below.
 */

/**
 * Send the client's requests through a proxy (libcurl's CURLOPT_PROXY).
 *
 * For an https:// base URL libcurl tunnels TLS through the proxy (CONNECT),
 * which then sees the host name and port only; for an http:// base URL the
 * proxy sees every request, the access key in its URL and the token in its
 * header included. NO_PROXY in the environment does not apply to this proxy.
 *
 * @param client  a client from coord_client_new()
 * @param proxy   "scheme://host[:port]" with scheme http, https, socks4,
 *                socks4a, socks5 or socks5h (the h: the proxy resolves host
 *                names), without credentials, query or fragment; NULL
 *                removes it (the client connects directly again, or follows
 *                the environment when coord_client_set_proxy_from_environment()
 *                allowed that). Copied.
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL client or a proxy not of
 *         that form; the previous setting is kept), COORD_ERR_OUT_OF_MEMORY.
 *         When libcurl could not take the setting (COORD_ERR_OUT_OF_MEMORY,
 *         or COORD_ERR_TRANSPORT from a libcurl built without proxy
 *         support) the client fails closed: every call returns
 *         COORD_ERR_TRANSPORT, nothing sent, until a proxy setting succeeds.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_proxy(coord_client *client,
                                                             const char *proxy);

/**
 * Let libcurl choose a proxy from the environment, as the curl tool does:
 * http_proxy (lower case only) for http:// URLs, HTTPS_PROXY or https_proxy
 * for https:// URLs, ALL_PROXY or all_proxy for both, and NO_PROXY or
 * no_proxy naming the hosts reached directly. Read at every connection.
 * Off by default; a proxy set with coord_client_set_proxy() takes
 * precedence over the environment.
 *
 * @param client  a client from coord_client_new()
 * @param use     1: follow the environment; 0: ignore it (the default)
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL client, use not 0 or
 *         1), or, failing closed as coord_client_set_proxy() does,
 *         COORD_ERR_OUT_OF_MEMORY or COORD_ERR_TRANSPORT.
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_proxy_from_environment(
    coord_client *client, int use);

/* ---- Retries and logging (hardening) ------------------------------------ */

/**
 * Set the retry policy. A call is sent again after a transport failure (no
 * answer, connection reset, refused or dropped), a timeout of one attempt,
 * or HTTP 408, 429, 500, 502, 503 or 504, until max_attempts requests have
 * been sent. Never retried: TLS and certificate failures, every other 4xx,
 * bad or oversized answers, and requests that are not idempotent (creating
 * a session): those fail at the first failure.
 *
 * Between attempts the client sleeps a random time in
 * [0, min(max_delay_ms, base_delay_ms * 2^n)] for the n-th retry ("full
 * jitter", from a per-client generator seeded by the kernel's getrandom(),
 * so that devices that start together do not retry in step), unless the
 * answer carried a Retry-After header (delta-seconds or HTTP-date): then it
 * waits exactly that long. A Retry-After over COORD_RETRY_AFTER_MAX_MS, or one that would
 * end after the call's total timeout, stops the retries at once.
 *
 * The total timeout (coord_client_set_timeouts()) bounds the whole call:
 * every attempt, every sleep, and a replay-safe end's fetch. Each attempt
 * gets what is left of it; a call never sleeps past it, and no retry starts
 * with less than COORD_RETRY_MIN_ATTEMPT_MS left (so an attempt that timed
 * out on the whole remaining time is the last one).
 *
 * Defaults: COORD_DEFAULT_RETRY_MAX_ATTEMPTS (3),
 * COORD_DEFAULT_RETRY_BASE_DELAY_MS (100), COORD_DEFAULT_RETRY_MAX_DELAY_MS
 * (2000). coord_client_last_error()->attempts tells how many were used.
 *
 * @param client  a client from coord_client_new()
 * @param max_attempts   1 (no retries) .. 10
 * @param base_delay_ms  0 .. 60000
 * @param max_delay_ms   base_delay_ms .. 60000
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL client, out of range).
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_retry(coord_client *client,
                                                             uint32_t max_attempts,
                                                             uint32_t base_delay_ms,
                                                             uint32_t max_delay_ms);

/** Severity of a log message. Values are stable within SONAME 1. */
typedef enum coord_log_level {
    COORD_LOG_DEBUG = 0, /**< each request sent: method, path, attempt */
    COORD_LOG_INFO = 1,  /**< each answer: status, duration; a recovered end */
    COORD_LOG_WARN = 2,  /**< a failed attempt that will be retried, and the delay; SSLKEYLOGFILE set */
    COORD_LOG_ERROR = 3  /**< a call that failed after its last attempt */
} coord_log_level;

/**
 * Receives the client's log messages, on the thread making the call.
 * @param level      the message's severity
 * @param message    NUL-terminated text without a trailing newline; valid only
 *                   during the call. It never holds the access key or the
 *                   bearer token (paths are logged without their query).
 * @param user_data  what was given to coord_client_set_log()
 * The callback must not call back into the same client.
 */
typedef void (*coord_log_fn)(coord_log_level level, const char *message, void *user_data);

/**
 * Send the client's request, answer and retry events to a callback.
 *
 * When SSLKEYLOGFILE was set in the environment as the client was created,
 * the first callback that takes COORD_LOG_WARN gets, at once, a warning
 * saying so: libcurl then writes the process's TLS session keys to that
 * file, and whoever reads it can decrypt the client's HTTPS traffic.
 *
 * @param client  a client from coord_client_new()
 * @param callback   NULL turns logging off (the default)
 * @param user_data  passed to every callback; may be NULL; not owned
 * @param min_level  messages below this level are not produced
 * In the firmware build (make MINIMAL=1, COORD_MINIMAL) logging is compiled
 * out: this call still validates and returns the same statuses, but the
 * callback is never called.
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL client, unknown level).
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_log(coord_client *client,
                                                           coord_log_fn callback,
                                                           void *user_data,
                                                           coord_log_level min_level);

/**
 * The record of the last call on this client.
 * @param client  a client from coord_client_new(), or NULL
 * @return the record, owned by the client and valid until the next call on
 *         it or its free; never NULL for a non-NULL client, NULL for NULL
 */
COORD_API const coord_error *coord_client_last_error(const coord_client *client);

/* ---- Observing calls: one record per call ------------------------------- */

/** What a call did, in a coord_call_record. Values are stable within SONAME 1. */
typedef enum coord_operation {
    COORD_OP_END_SESSION = 1,         /**< coord_end_session(), coord_session_end() and their non-blocking forms */
    COORD_OP_CREATE_SESSION = 2,      /**< coord_session_create() */
    COORD_OP_GET_SESSION = 3,         /**< coord_session_get() */
    COORD_OP_LIST_LOCATION = 4,       /**< coord_session_list_location(), its _each form */
    COORD_OP_LIST_USER = 5,           /**< coord_session_list_user(), its _each form */
    COORD_OP_WAIT_POLL = 6,           /**< one poll of coord_session_wait(): a record per poll */
    COORD_OP_CREATE_BARCODE = 7,      /**< coord_barcode_create() */
    COORD_OP_SIMULATE_REDEMPTION = 8, /**< coord_test_simulate_redemption() */
    COORD_OP_CREATE_JWT = 9           /**< coord_test_create_jwt() */
} coord_operation;

/** Retry reasons a record keeps: the first ones; `retries` counts them all. */
#define COORD_RECORD_RETRIES_MAX 4
/** Storage of a record's request id, its NUL included: a longer id is cut. */
#define COORD_REQUEST_ID_MAX 64

/** Why an attempt was retried: how it ended. */
typedef struct coord_retry_reason {
    int32_t status;      /**< a coord_status: COORD_ERR_TRANSPORT, COORD_ERR_SERVER, ... */
    int32_t http_status; /**< the answer's HTTP status, 0 when none arrived */
} coord_retry_reason;

/**
 * What one call did, for fleet telemetry: handed to the client's observer
 * (coord_client_set_observer()) once per call. It holds no secret: no
 * access key, no token, no URL (the request id is redacted as error
 * details are).
 *
 * Times are microseconds. The libcurl timings (dns_us .. total_us, from
 * CURLINFO_*_TIME_T) are of the call's last attempt, each counted from that
 * attempt's start, so that dns_us <= connect_us <= tls_us <= ttfb_us <=
 * total_us where they apply; they are 0 when has_timings is 0 (the last
 * attempt never ran: refused before sending, cancelled or timed out while
 * queued or in libcurl).
 *
 * The struct holds no pointers and is 512 bytes on every platform; new
 * fields take their bytes from the front of `reserved`, which the library
 * zeroes (see ABI above). `size` tells the size the library that filled it
 * knows.
 */
typedef struct coord_call_record {
    uint32_t size;                  /**< sizeof(coord_call_record) of the library that filled it */
    int32_t operation;              /**< a coord_operation */
    int64_t session_id;             /**< the session the call addressed; 0: none (create, lists, barcode, token) */
    char location_id[COORD_ID_MAX]; /**< the location the call addressed; "" when none */
    uint64_t call_id;               /**< a non-blocking call's coord_call_id(); 0 for a blocking call */
    int32_t status;                 /**< the call's coord_status, as returned or passed to its callback (a wait's poll: the poll's) */
    int32_t http_status;            /**< HTTP status of the last answer; 0 when none arrived */
    int32_t attempts;               /**< HTTP requests sent or tried, as coord_error.attempts */
    uint32_t retries;               /**< attempts that were retried (more than COORD_RECORD_RETRIES_MAX possible) */
    coord_retry_reason retry_reasons[COORD_RECORD_RETRIES_MAX]; /**< why, for the first min(retries, COORD_RECORD_RETRIES_MAX); the rest zero */
    uint8_t recovered;              /**< 1: the replay-safe end's recovery ran (an end whose answer was lost, fetched afterwards), whatever it found */
    uint8_t has_timings;            /**< 1: the last attempt ran in libcurl: the timings, reuse, version and bytes below are its */
    uint8_t connection_reused;      /**< 1: the last attempt was sent on a kept-alive connection (CURLINFO_NUM_CONNECTS 0) */
    uint8_t http_version;           /**< of the last answer: 10, 11, 20 or 30 (HTTP/1.0 .. HTTP/3); 0 when none */
    uint32_t connections_opened;    /**< connections the call's attempts opened (CURLINFO_NUM_CONNECTS, summed) */
    int64_t queued_us;              /**< non-blocking: time in the loop's queue waiting for room (coord_loop_set_limits()); 0 otherwise */
    int64_t elapsed_us;             /**< from the call's start to its result: every attempt, pause and the time queued */
    int64_t dns_us;                 /**< name resolved (~0 on a reused connection or a numeric host) */
    int64_t connect_us;             /**< TCP connected (~0 on a reused connection) */
    int64_t tls_us;                 /**< TLS handshake done; 0 over plain HTTP */
    int64_t ttfb_us;                /**< first byte of the answer received */
    int64_t total_us;               /**< the last attempt's transfer done */
    int64_t bytes_sent;             /**< by the last attempt: request line, headers and body */
    int64_t bytes_received;         /**< by the last attempt: status line, headers and body as they came (a gzip body compressed) */
    char request_id[COORD_REQUEST_ID_MAX]; /**< the last answer's X-Request-Id header, cut to fit, control bytes and bad UTF-8 as '?'; "" when absent */
    /* New fields go here, above `reserved`, which shrinks by their size
     * (padding included): sizeof(coord_call_record) never changes. */
    uint8_t reserved[168];          /**< always zero; future fields */
} coord_call_record;

/**
 * Receives the record of each call (coord_client_set_observer()).
 * @param record     valid only during the callback; copy what you keep
 * @param user_data  what was given to coord_client_set_observer()
 * The callback runs on the thread that made the call (blocking) or runs the
 * loop (non-blocking), and must not make calls on the client it observes.
 */
typedef void (*coord_observer_fn)(const coord_call_record *record, void *user_data);

/**
 * Hand the record of each call made on this client to a callback: blocking
 * and non-blocking calls alike, once each, after the call's result is made
 * and before the blocking function returns or the non-blocking call's
 * callback runs. A wait (coord_session_wait() and its non-blocking form)
 * gives one record per poll. A call refused for its arguments before its
 * request was built gives none (its status says why).
 *
 * Without an observer (the default) the library gathers none of it: the
 * libcurl timings are read only while one is set.
 *
 * The firmware build (make MINIMAL=1) keeps the observer: it is no log text.
 *
 * @param client     a client from coord_client_new()
 * @param observer   NULL stops observing (the default)
 * @param user_data  passed to every callback; may be NULL; not owned
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL client).
 */
COORD_API COORD_NODISCARD coord_status coord_client_set_observer(coord_client *client,
                                                                coord_observer_fn observer,
                                                                void *user_data);

/**
 * The name of an operation, for logs and telemetry: "end", "create", "get",
 * "list_location", "list_user", "wait_poll", "barcode", "simulate_redemption",
 * "create_jwt".
 * @param operation  a coord_operation (an int32_t from a record)
 * @return a static string; "unknown" for a value this library does not know
 */
COORD_API const char *coord_operation_name(int32_t operation);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                  */

/**
 * End an active parking session and return it with its bill.
 *
 * Sends PUT {base}/{location_id}/session/{session_id}/end?access_key=...
 * (with the bearer token when one is set). location_id is percent-escaped
 * by libcurl, so it can never change the path or the query; the ids "."
 * and ".." (which URL parsers resolve) are refused, as is every location
 * id of the other calls.
 *
 * A gate-controlled session (one that came with redemption_info) cannot be
 * ended through the API. The SDK recognises the server's refusal as an HTTP
 * 4xx answer whose Coord error body has code COORD_API_CODE_PHYSICAL_CHECKOUT
 * or whose message names "redemption_info", and reports
 * COORD_ERR_PHYSICAL_CHECKOUT. coord_session_end() also detects the case
 * locally, before any request.
 *
 * Replay-safe: the end is retried like any call (coord_client_set_retry()).
 * When an attempt that may have reached the server lost its answer and a
 * retry is then refused with HTTP 409, that attempt most likely ended the
 * session: the SDK fetches it (GET {base}/{location_id}/session/{session_id},
 * within the same total timeout) and returns COORD_OK with the ended session
 * and its bill, out_session->recovered = 1. A 409 with no earlier lost answer
 * in the same call is COORD_ERR_ALREADY_ENDED.
 *
 * @param client       a client from coord_client_new()
 * @param location_id  the location's id: 1..COORD_ID_MAX-1 bytes, no control
 *                     characters, not "." or ".."; may point into out_session
 * @param session_id   the session's id within that location
 * @param out_session  filled on COORD_OK (location_id defaults to the
 *                     argument when the answer omits it; an answer about
 *                     another id or location is COORD_ERR_BAD_RESPONSE);
 *                     zeroed otherwise
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument; nothing sent
 *   COORD_ERR_PHYSICAL_CHECKOUT  the session is gate-controlled
 *   COORD_ERR_ALREADY_ENDED      HTTP 409: the session was already ended (also
 *                                when the recovery fetch above failed)
 *   COORD_ERR_NOT_FOUND          no such location or session
 *   COORD_ERR_UNAUTHORIZED       access key (403) or token (401) refused, or no
 *                                token set (refused before sending)
 *   COORD_ERR_REFUSED, COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER
 *   COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT, COORD_ERR_TLS
 *   COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE, COORD_ERR_OUT_OF_MEMORY
 *   (details: coord_client_last_error())
 */
COORD_API COORD_NODISCARD coord_status coord_end_session(coord_client *client,
                                                        const char *location_id,
                                                        int64_t session_id,
                                                        coord_session *out_session);

/**
 * End the session a caller already holds (from an earlier answer).
 *
 * When session carries redemption_info, returns COORD_ERR_PHYSICAL_CHECKOUT
 * without any request. Otherwise the same as
 * coord_end_session(client, session->location_id, session->id, out_session).
 * session and out_session may be the same struct.
 *
 * @param client  a client from coord_client_new()
 * @param session      the session to end (its location_id, id, redemption_info)
 * @param out_session  as for coord_end_session()
 * @return as coord_end_session(); COORD_ERR_INVALID_ARGUMENT also when the
 *         session has no location_id.
 */
COORD_API COORD_NODISCARD coord_status coord_session_end(coord_client *client,
                                                        const coord_session *session,
                                                        coord_session *out_session);

/**
 * Decode a session from JSON text, without any I/O: the decoder every call
 * uses, offered for answers obtained elsewhere (caches, push messages, tests).
 *
 * Rules: unknown fields are ignored; a known field of the wrong JSON type is
 * an error naming the field; null is taken as absent for optional fields.
 * Integers (id, amount) must be whole numbers within +/-(2^53 - 1), the range
 * a JSON number read as a double holds exactly; anything else (fraction, 2^53
 * or beyond) is an error, never rounded. Times must be RFC 3339. A string
 * longer than its storage is an error.
 *
 * Memory: as for a new client's answers (coord_client_set_max_response_size()):
 * cJSON may ask for at most COORD_DECODE_MEMORY_FACTOR *
 * COORD_DEFAULT_MAX_RESPONSE_SIZE bytes (8 MiB) while it parses the text.
 *
 * @param json          the text; need not be NUL-terminated
 * @param len           its length in bytes
 * @param out_session   filled on COORD_OK; zeroed otherwise
 * @param out_detail    optional (may be NULL): receives a NUL-terminated
 *                      reason on failure, truncated to detail_size
 * @param detail_size   size of out_detail
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL json or out_session),
 *         COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE (parsing the
 *         text needs more than the memory above), COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_session_decode(const char *json, size_t len,
                                                           coord_session *out_session,
                                                           char *out_detail,
                                                           size_t detail_size);

/* ------------------------------------------------------------------------ */
/* Session lifecycle: create, get, list, wait                      */
/*                                                                           */
/* Sessions are user transactions: every call below except                  */
/* coord_test_create_jwt() is made on behalf of the user whose bearer token  */
/* is set on the client (coord_client_set_bearer_token()); without one the   */
/* call is refused before anything is sent, with COORD_ERR_UNAUTHORIZED      */
/* (http_status 0, attempts 0, a detail saying so): the server's 401.        */
/* coord_end_session() and coord_session_end() are refused the same way.     */

/** Most sessions a client can be set to accept in a list (coord_client_set_max_sessions()). */
#define COORD_SESSION_LIST_MAX 10000u
/** Shortest poll interval coord_session_wait() accepts, in milliseconds. */
#define COORD_WAIT_MIN_INTERVAL_MS 10u
/** Longest stay coord_test_simulate_redemption() accepts: 366 days, in minutes. */
#define COORD_REDEMPTION_MAX_MINUTES 527040u

/**
 * A list of sessions, in the order the server sent them. The array is the
 * one heap result of libcoord: allocated by the call that fills the list,
 * released by coord_session_list_free(). Its size is bounded by the
 * client's limits: at most its maximum sessions (coord_client_set_max_sessions(),
 * default COORD_DEFAULT_MAX_SESSIONS) and at most COORD_DECODE_MEMORY_FACTOR
 * times its maximum response size.
 */
typedef struct coord_session_list {
    coord_session *sessions; /**< count entries; NULL when count is 0 */
    uint32_t count;          /**< number of sessions */
    uint8_t reserved[52];    /**< always zero; future fields (64 bytes on LP64, 60 on armhf) */
} coord_session_list;

/** What coord_session_wait() waits for. */
typedef enum coord_wait_for {
    COORD_WAIT_STARTED = 1, /**< start_time is set (or end_time: an ended session has started) */
    COORD_WAIT_ENDED = 2    /**< end_time is set */
} coord_wait_for;

/**
 * Open a session for the current user at a location.
 *
 * Sends POST {base}/{location_id}/session with the JSON body {} or
 * {"resource_id": "..."}. The answer either has start_time (the session runs
 * now) or, at a gate-controlled location, carries redemption_info and no
 * start_time: the user presents that barcode at the gate, and
 * coord_session_wait() sees it start. At most one session per user and
 * location is active: a second create is refused with HTTP 409 (Coord code
 * COORD_API_CODE_SESSION_ACTIVE in libcoord's simulator), reported as
 * COORD_ERR_SESSION_ACTIVE.
 *
 * @param client       a client with the user's bearer token
 * @param location_id  1..COORD_ID_MAX-1 bytes, no control characters
 * @param resource_id  stall, charger or pump, same rules; NULL for none
 * @param out_session  filled on COORD_OK (location_id defaults to the
 *                     argument when the answer omits it; an answer at another
 *                     location is COORD_ERR_BAD_RESPONSE); zeroed otherwise
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument; nothing sent
 *   COORD_ERR_SESSION_ACTIVE     HTTP 409: the user already has an active session there
 *   COORD_ERR_NOT_FOUND          no such location
 *   COORD_ERR_UNAUTHORIZED       access key (403) or token (401) refused, or no
 *                                token set (refused before sending)
 *   COORD_ERR_REFUSED, COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER
 *   COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT, COORD_ERR_TLS
 *   COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE, COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_session_create(coord_client *client,
                                                           const char *location_id,
                                                           const char *resource_id,
                                                           coord_session *out_session);

/**
 * Get one session (poll it to see a gate-controlled session start or end).
 *
 * Sends GET {base}/{location_id}/session/{session_id}.
 *
 * @param client  a client from coord_client_new()
 * @param location_id  the location's id, as for coord_end_session()
 * @param session_id   the session's id within that location
 * @param out_session  filled on COORD_OK (location_id defaults to the
 *                     argument; an answer about another id or location is
 *                     COORD_ERR_BAD_RESPONSE); zeroed otherwise
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument; nothing sent
 *   COORD_ERR_NOT_FOUND          no such session for this user at this location
 *   COORD_ERR_UNAUTHORIZED, COORD_ERR_REFUSED, COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER
 *   COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT, COORD_ERR_TLS
 *   COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE, COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_session_get(coord_client *client,
                                                        const char *location_id,
                                                        int64_t session_id,
                                                        coord_session *out_session);

/**
 * List the current user's sessions at a location, in the server's order; at
 * most one of them is active (see coord_session_list_find_active()).
 *
 * Sends GET {base}/{location_id}/session; the answer is a JSON array of
 * sessions. Entries without location_id get the argument.
 *
 * @param client  a client from coord_client_new()
 * @param location_id  the location's id, as for coord_end_session()
 * @param out_list  filled on COORD_OK, then owned by the caller: release it
 *                  with coord_session_list_free(); zeroed otherwise (nothing
 *                  to free)
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument; nothing sent
 *   COORD_ERR_NOT_FOUND          no such location
 *   COORD_ERR_RESPONSE_TOO_LARGE the answer exceeded the maximum response size,
 *                                parsing it would need more memory than that
 *                                allows (COORD_DECODE_MEMORY_FACTOR), or its
 *                                array would hold more than the client's
 *                                maximum sessions or take more than that memory
 *                                (coord_client_set_max_sessions(); the *_each
 *                                form has no array)
 *   COORD_ERR_BAD_RESPONSE       not an array, or an entry is malformed: the
 *                                detail names it by index, e.g. "field [3].id: missing"
 *   COORD_ERR_UNAUTHORIZED, COORD_ERR_REFUSED, COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER
 *   COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT, COORD_ERR_TLS, COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_location(coord_client *client,
                                                                  const char *location_id,
                                                                  coord_session_list *out_list);

/**
 * List the current user's sessions at every location (GET {base}/session).
 * @param client  a client from coord_client_new()
 * @param out_list  as for coord_session_list_location()
 * @return the statuses of coord_session_list_location(), without
 *         COORD_ERR_NOT_FOUND for a location
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_user(coord_client *client,
                                                              coord_session_list *out_list);

/**
 * Release a list's array and zero the list; freeing twice is safe.
 * @param list  a list filled by this library, a zeroed list or NULL (no-op)
 */
COORD_API void coord_session_list_free(coord_session_list *list);

/**
 * Find the active session (no end_time) in a list. No I/O; thread-safe for
 * a list no one modifies.
 *
 * @param list         a list filled by this library (or zeroed)
 * @param location_id  only sessions at this location; NULL for any (a user's
 *                     list can hold one active session per location)
 * @param out_session  receives a pointer into the list (valid until it is
 *                     freed) to the first active match on COORD_OK; NULL otherwise
 * @return COORD_OK, COORD_ERR_NOT_FOUND when no session matches, or
 *         COORD_ERR_INVALID_ARGUMENT (NULL list or out_session).
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_find_active(
    const coord_session_list *list, const char *location_id,
    const coord_session **out_session);

/**
 * Decode a JSON array of sessions without I/O (the decoder the list calls
 * use). Each entry follows coord_session_decode()'s rules; errors name the
 * entry's index ("field [3].id: not a number", "[2]: not an object").
 * Limits as for a new client: parsing takes at most the memory
 * coord_session_decode() allows, and the array holds at most
 * COORD_DEFAULT_MAX_SESSIONS (256) sessions; for more, decode with
 * coord_session_list_decode_each(), which needs no array.
 *
 * @param json         the text; need not be NUL-terminated
 * @param len          its length in bytes
 * @param out_list     filled on COORD_OK (free with coord_session_list_free());
 *                     zeroed otherwise
 * @param out_detail   optional (may be NULL): receives a NUL-terminated
 *                     reason on failure, truncated to detail_size
 * @param detail_size  size of out_detail
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL json or out_list),
 *         COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE (more than
 *         COORD_DEFAULT_MAX_SESSIONS entries, or parsing needs more memory
 *         than allowed), COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_decode(const char *json, size_t len,
                                                                coord_session_list *out_list,
                                                                char *out_detail,
                                                                size_t detail_size);

/* ---- Lists one session at a time: no array ------------------------------ */

/**
 * Receives one session of a list, in the server's order, from
 * coord_session_list_decode_each(), coord_session_list_location_each() or
 * coord_session_list_user_each().
 *
 * @param session    the coord_session the caller gave the call, now holding
 *                   this session; the next one replaces it. The callback may
 *                   read and change it, and copy what it wants to keep.
 * @param user_data  what the caller gave the call
 * @return 0 to go on with the next session; any other value stops the walk
 *         (the call then returns COORD_OK).
 * The callback must not call into the client the list call runs on.
 */
typedef int (*coord_session_each_fn)(coord_session *session, void *user_data);

/**
 * Decode a JSON array of sessions without I/O and without an array: each
 * session is decoded into *session and handed to fn, one after the other.
 * The memory is cJSON's tree of the text (at most the memory
 * coord_session_decode() allows) and the caller's one struct, whatever the
 * number of entries: there is no count limit.
 *
 * Every entry is checked before the first is handed over: when the call
 * fails, fn was never called. Each entry follows coord_session_decode()'s
 * rules, and errors name its index as coord_session_list_decode()'s do.
 *
 * @param json         the text; need not be NUL-terminated
 * @param len          its length in bytes
 * @param session      the caller's struct each session is decoded into; on
 *                     COORD_OK it holds the last session handed over (zeroed
 *                     when there was none); zeroed otherwise
 * @param fn           called once per session, in order, until it returns non-zero
 * @param user_data    passed to fn; may be NULL
 * @param out_detail   optional (may be NULL): receives a NUL-terminated
 *                     reason on failure, truncated to detail_size
 * @param detail_size  size of out_detail
 * @return COORD_OK (also when fn stopped the walk), COORD_ERR_INVALID_ARGUMENT
 *         (NULL json, session or fn), COORD_ERR_BAD_RESPONSE,
 *         COORD_ERR_RESPONSE_TOO_LARGE (parsing needs more memory than
 *         allowed), COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_decode_each(const char *json,
                                                                     size_t len,
                                                                     coord_session *session,
                                                                     coord_session_each_fn fn,
                                                                     void *user_data,
                                                                     char *out_detail,
                                                                     size_t detail_size);

/**
 * List the current user's sessions at a location one at a time, without an
 * array: GET {base}/{location_id}/session, as coord_session_list_location(),
 * each session decoded into *session and handed to fn. The memory is the
 * answer (at most the maximum response size), cJSON's tree of it (at most
 * COORD_DECODE_MEMORY_FACTOR times that) and the caller's one struct,
 * whatever the number of sessions: the client's maximum sessions does not
 * apply. Entries without location_id get the argument.
 *
 * Every entry is checked before the first is handed over: when the call
 * fails, fn was never called. fn runs on the calling thread during the call.
 *
 * @param client       a client from coord_client_new()
 * @param location_id  the location's id, as for coord_end_session()
 * @param session      the caller's struct each session is decoded into; on
 *                     COORD_OK it holds the last session handed over (zeroed
 *                     when there was none); zeroed otherwise
 * @param fn           called once per session, in order, until it returns non-zero
 * @param user_data    passed to fn; may be NULL
 * @return COORD_OK (also when fn stopped the walk), or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument (NULL session or fn too); nothing sent
 *   COORD_ERR_NOT_FOUND          no such location
 *   COORD_ERR_RESPONSE_TOO_LARGE the answer exceeded the maximum response size,
 *                                or parsing it would need more memory than
 *                                that allows (COORD_DECODE_MEMORY_FACTOR)
 *   COORD_ERR_BAD_RESPONSE       not an array, or an entry is malformed: the
 *                                detail names it by index, e.g. "field [3].id: missing"
 *   COORD_ERR_UNAUTHORIZED, COORD_ERR_REFUSED, COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER
 *   COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT, COORD_ERR_TLS, COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_location_each(coord_client *client,
                                                                       const char *location_id,
                                                                       coord_session *session,
                                                                       coord_session_each_fn fn,
                                                                       void *user_data);

/**
 * List the current user's sessions at every location one at a time
 * (GET {base}/session), as coord_session_list_location_each() does for one.
 * @param client     a client from coord_client_new()
 * @param session    as for coord_session_list_location_each()
 * @param fn         as for coord_session_list_location_each()
 * @param user_data  passed to fn; may be NULL
 * @return the statuses of coord_session_list_location_each(), without
 *         COORD_ERR_NOT_FOUND for a location
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_user_each(coord_client *client,
                                                                   coord_session *session,
                                                                   coord_session_each_fn fn,
                                                                   void *user_data);

/**
 * Poll a session until it has started or ended, or the deadline passes.
 *
 * Calls coord_session_get() at once, then every interval_ms, sleeping in
 * between (nanosleep; no busy loop), never past the deadline: each poll's
 * HTTP timeouts are cut to the time left. The first error other than the
 * deadline ends the wait with that status.
 *
 * @param client  a client from coord_client_new()
 * @param location_id  the location's id, as for coord_end_session()
 * @param session_id   the session's id within that location
 * @param until        COORD_WAIT_STARTED or COORD_WAIT_ENDED
 * @param timeout_ms   the deadline, from the call; 0 polls exactly once,
 *                     that poll bounded by the client's own timeouts
 * @param interval_ms  pause between polls, COORD_WAIT_MIN_INTERVAL_MS..3600000
 * @param out_session  the last session seen, whatever the status (zeroed
 *                     when no poll succeeded)
 * @return COORD_OK (the condition holds for out_session), or
 *   COORD_ERR_TIMEOUT            the deadline passed first (last_error's
 *                                detail says how many polls were made)
 *   COORD_ERR_INVALID_ARGUMENT   bad argument; nothing sent
 *   any status of coord_session_get()
 */
COORD_API COORD_NODISCARD coord_status coord_session_wait(coord_client *client,
                                                         const char *location_id,
                                                         int64_t session_id,
                                                         coord_wait_for until,
                                                         uint32_t timeout_ms,
                                                         uint32_t interval_ms,
                                                         coord_session *out_session);

/**
 * Create a barcode for the current user to scan on entry and exit.
 *
 * Coord never published this call's body. libcoord's assumption, which its
 * simulator implements: POST {base}/barcode with the body {}, answered by
 * {"data": "<raw data to render>", "format": "aztec"} (both required).
 *
 * @param client       a client with the user's bearer token
 * @param out_barcode  filled on COORD_OK (the same struct a gate-controlled
 *                     session carries); zeroed otherwise
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT, COORD_ERR_UNAUTHORIZED,
 *         COORD_ERR_NOT_FOUND, COORD_ERR_REFUSED, COORD_ERR_RATE_LIMITED,
 *         COORD_ERR_SERVER, COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT,
 *         COORD_ERR_TLS, COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE,
 *         COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_barcode_create(coord_client *client,
                                                           coord_redemption_info *out_barcode);

/* ------------------------------------------------------------------------ */
/* Sandbox testing helpers                                                   */

/**
 * Act as if a test user checked in at the gate now and checked out
 * duration_m minutes later (sandbox test users only).
 *
 * Sends POST {base}/testing/{location_id}/{session_id}/simulate_redemption
 * with the body {"duration_m": N}. Coord did not publish the answer;
 * libcoord assumes the session (now with start_time, end_time and
 * billing_info), as its simulator sends.
 *
 * @param client       a client with the test user's bearer token
 * @param location_id  the location's id, as for coord_end_session()
 * @param session_id   the session's id within that location
 * @param duration_m   0..COORD_REDEMPTION_MAX_MINUTES
 * @param out_session  filled on COORD_OK; zeroed otherwise
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument; nothing sent
 *   COORD_ERR_ALREADY_ENDED      HTTP 409: the session was already redeemed or ended
 *   COORD_ERR_NOT_FOUND          no such session for this user
 *   COORD_ERR_REFUSED            e.g. the session is not gate-controlled (400)
 *   COORD_ERR_UNAUTHORIZED       key or token refused, or the user is not a test user
 *   COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER, COORD_ERR_TIMEOUT,
 *   COORD_ERR_TRANSPORT, COORD_ERR_TLS, COORD_ERR_BAD_RESPONSE,
 *   COORD_ERR_RESPONSE_TOO_LARGE, COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_test_simulate_redemption(coord_client *client,
                                                                     const char *location_id,
                                                                     int64_t session_id,
                                                                     uint32_t duration_m,
                                                                     coord_session *out_session);

/**
 * Create a test user's token (sandbox back ends; valid one hour).
 *
 * Sends POST {scheme}://{host}[:{port}]/v1/users/testing/create_jwt?access_key=...
 * -- the Users API on the same host as the client's base URL, so it works
 * for production, sandbox and custom hosts (the base URL's path is not
 * used) -- with the body {"email": "...", "external_uid": "..."}; the answer
 * is {"jwt_token": "..."}. No bearer token is needed or sent.
 *
 * The token is a secret: it is written only into out_token, the copies the
 * call made are wiped, and it never appears in error text. Set it with
 * coord_client_set_bearer_token() to act as the user; wipe out_token when done.
 *
 * @param client        a client from coord_client_new() (its access key and host)
 * @param email         1..COORD_EMAIL_MAX-1 bytes with an '@', no control characters
 * @param external_uid  your id for the user (1..COORD_ID_MAX-1 bytes), or NULL
 * @param out_token     receives the NUL-terminated token on COORD_OK; an
 *                      empty string otherwise
 * @param token_size    its size; COORD_TOKEN_MAX always suffices
 * @return COORD_OK, or
 *   COORD_ERR_INVALID_ARGUMENT   bad argument (nothing sent), or the token
 *                                does not fit in token_size bytes
 *   COORD_ERR_BAD_RESPONSE       no usable jwt_token in the answer (missing,
 *                                not a string, empty, control characters or
 *                                COORD_TOKEN_MAX bytes or more)
 *   COORD_ERR_UNAUTHORIZED       access key refused
 *   COORD_ERR_REFUSED            e.g. the server refused the e-mail (400)
 *   COORD_ERR_NOT_FOUND, COORD_ERR_RATE_LIMITED, COORD_ERR_SERVER,
 *   COORD_ERR_TIMEOUT, COORD_ERR_TRANSPORT, COORD_ERR_TLS,
 *   COORD_ERR_RESPONSE_TOO_LARGE, COORD_ERR_OUT_OF_MEMORY
 */
COORD_API COORD_NODISCARD coord_status coord_test_create_jwt(coord_client *client,
                                                            const char *email,
                                                            const char *external_uid,
                                                            char *out_token,
                                                            size_t token_size);

/* ------------------------------------------------------------------------ */
/* Cancelling a blocking call from another thread                            */

/**
 * Cancel the blocking call in progress on client, from any thread (a
 * kiosk's "Cancel" button while a worker thread waits in a call).
 *
 * The call returns COORD_ERR_CANCELLED: at once when it is waiting (before
 * a retry, between the polls of coord_session_wait()), and within about a
 * second while a request is under way (libcurl checks between its progress
 * callbacks). A cancelled call may or may not have reached the server: a
 * cancelled end may have ended the session (coord_session_get() tells).
 * Nothing is retried after a cancellation.
 *
 * The only function that may be called on a client while another thread
 * uses it. With no blocking call in progress it does nothing: a later call
 * is not cancelled.
 *
 * @param client  a client from coord_client_new(), not being freed
 * @return COORD_OK when a call was in progress (it is being cancelled),
 *         COORD_ERR_NOT_FOUND when none was, COORD_ERR_INVALID_ARGUMENT for
 *         a NULL client.
 */
COORD_API coord_status coord_client_cancel(coord_client *client);

/* ------------------------------------------------------------------------ */
/* Money as text                                                             */

/**
 * @name Money as text
 * A coord_money holds its amount in the currency's smallest unit (ISO 4217
 * "minor unit"): 300 USD is 3.00 USD, 300 JPY is 300 JPY, 300 BHD is
 * 0.300 BHD. Print it through coord_money_format(), never as the bare amount.
 * @{
 */

/** Bytes that always hold coord_money_format()'s text, NUL included
 * ("-922337203685477.5808 CLF" is 25 characters). */
#define COORD_MONEY_TEXT_MAX 32u

/** Decimals assumed for a currency code that ISO 4217 does not list (see coord_currency_exponent()). */
#define COORD_CURRENCY_DEFAULT_EXPONENT 2u

/**
 * How many decimals a currency's minor unit has (its ISO 4217 exponent):
 * 2 for USD and EUR, 0 for JPY and KRW, 3 for BHD, KWD and TND, 4 for CLF
 * and UYW. Codes whose minor unit ISO 4217 lists as "N.A." (XAU, XDR, XXX,
 * ...) have 0: their amounts are whole units. Codes withdrawn since 2020
 * (HRK, SLL, ZWL, CUC, ANG) are still known: old bills may carry them.
 *
 * Pure: no client, no allocation, safe from any thread.
 *
 * @param currency      three upper-case letters, NUL-terminated (coord_money.currency)
 * @param out_exponent  receives the exponent on COORD_OK, and
 *                      COORD_CURRENCY_DEFAULT_EXPONENT on COORD_ERR_NOT_FOUND
 * @return COORD_OK, or
 *         COORD_ERR_NOT_FOUND         a well-formed code ISO 4217 does not list
 *                                     (or one newer than this library)
 *         COORD_ERR_INVALID_ARGUMENT  NULL argument, or currency is not three
 *                                     upper-case letters A-Z
 */
COORD_API COORD_NODISCARD coord_status coord_currency_exponent(const char *currency,
                                                              uint8_t *out_exponent);

/**
 * Write an amount of money as text in its currency's major unit, the ISO
 * code after it: "3.00 USD", "-0.05 EUR", "300 JPY", "1.500 BHD". The
 * decimal point is '.', no thousands separator, whatever the locale; a
 * negative amount (a refund) starts with '-', INT64_MIN included. The
 * exponent is coord_currency_exponent()'s; a code ISO 4217 does not list
 * is written with COORD_CURRENCY_DEFAULT_EXPONENT (2) decimals and still
 * returns COORD_OK (call coord_currency_exponent() to tell).
 *
 * Pure: no client, no allocation, safe from any thread.
 *
 * @param money     the amount and its currency (a session's billing_info.cost)
 * @param out_text  receives the NUL-terminated text on COORD_OK; "" on any
 *                  failure (never a cut-off amount, which would read as
 *                  another price)
 * @param size      its size in bytes; COORD_MONEY_TEXT_MAX always suffices
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT: NULL money or out_text,
 *         size 0, a currency that is not three upper-case letters, or a
 *         text that does not fit in size bytes (truncated: out_text is "")
 */
COORD_API COORD_NODISCARD coord_status coord_money_format(const coord_money *money,
                                                         char *out_text, size_t size);

/** @} */

/* ------------------------------------------------------------------------ */
/* Base URL check                                                            */

/**
 * Check a base URL as coord_client_new() does, and say what is wrong with
 * it: coord_client_new() refuses a bad one with COORD_ERR_INVALID_ARGUMENT
 * and no client to hold the reason.
 *
 * Pure: no client, no request; safe from any thread.
 *
 * @param base_url     the URL; NULL (the production URL) passes
 * @param out_detail   optional (may be NULL): receives a NUL-terminated
 *                     text, truncated to detail_size, that never quotes
 *                     the URL (it may hold a password): on failure which
 *                     part is wrong, e.g. "base URL: scheme \"htp\" is not
 *                     http or https", "base URL: no host after \"://\"",
 *                     "base URL: has a query ('?'): give the path only";
 *                     on COORD_OK "" or the warning coord_client_new()
 *                     logs for a path that does not end in
 *                     /v1/access/parking
 * @param detail_size  size of out_detail (COORD_MESSAGE_MAX suffices)
 * @return COORD_OK (usable; out_detail may hold a warning),
 *         COORD_ERR_INVALID_ARGUMENT (refused by coord_client_new()), or
 *         COORD_ERR_OUT_OF_MEMORY (libcurl could not allocate its parse)
 */
COORD_API COORD_NODISCARD coord_status coord_base_url_check(const char *base_url,
                                                           char *out_detail,
                                                           size_t detail_size);

/* ------------------------------------------------------------------------ */
/* Clock health                                                              */

/**
 * How far the server's clock runs ahead of this machine's wall clock
 * (negative: behind), as the client estimates it from the Date header of
 * the server's answers.
 *
 * Each answer (of any HTTP status, by a blocking or a non-blocking call)
 * that carries a Date header and no Age header (an answer a cache kept was
 * dated earlier) gives one estimate: its Date, which counts whole seconds,
 * against the middle of the time between the request's start and its
 * answer. Estimates within 2 s of the last are averaged in; one further
 * off replaces it. When the wall clock is set (it and the monotonic clock
 * disagree by over 2 s since the last answer: NTP at boot, an operator) the
 * estimate is forgotten until the next answer. Exchanges that took over
 * 10 s are ignored. The estimate is good to about a second: enough to tell a
 * kiosk whose clock is a day off, or in 1970, from one that is right.
 *
 * The same estimate explains certificate failures: when a server's
 * certificate fails verification (COORD_ERR_TLS) while this machine's clock
 * reads a time before the library was built, or more than 5 minutes from
 * the server's by the estimate, the error's detail says so: "...; the
 * system clock reads 1970-01-01 00:00:12 UTC, before this library was built
 * (2025-06-01); certificate checks need the right time", or "...; the
 * system clock reads 2025-06-02 10:00:00 UTC, 1 d 0 h behind the server's
 * (its Date header); certificate checks need the right time".
 *
 * Where time_t is 32 bits (armhf without 64-bit time) dates after
 * 2038-01-19 03:14:07 UTC cannot be read: from then on answers give no
 * estimate, and this machine's clock reads as 1901, which a failed
 * certificate check then names.
 *
 * Same thread rules as the client's calls.
 *
 * @param client  a client from coord_client_new()
 * @param out_ms  receives the offset in milliseconds on COORD_OK
 * @return COORD_OK, COORD_ERR_NOT_FOUND (no answer with a usable Date yet,
 *         or the wall clock was set since), COORD_ERR_INVALID_ARGUMENT (a
 *         NULL argument).
 */
COORD_API COORD_NODISCARD coord_status coord_client_clock_offset_ms(coord_client *client,
                                                                   int64_t *out_ms);

#ifdef __cplusplus
}
#endif

/* The parts of the API in their own headers. Last, so that each part finds
 * everything above declared whichever header the application includes. */
#include "async.h"

#endif /* COORD_COORD_H */
