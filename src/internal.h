/* What the library's files share, and nothing more. Not installed. */
#ifndef COORD_INTERNAL_H
#define COORD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "coord/coord.h"

#define COORD_HIDDEN __attribute__((visibility("hidden")))

/* Upper bounds on what a caller may configure. */
#define COORD_URL_MAX 2048u
#define COORD_KEY_MAX 1024u
#define COORD_USER_AGENT_MAX 256u
#define COORD_MIN_RESPONSE_SIZE 1024u
#define COORD_MAX_RESPONSE_SIZE (64u * 1024u * 1024u)
#define COORD_REQUEST_MAX_HEADERS 4u
#define COORD_PATH_MAX 4096u        /* CA file or directory path */
#define COORD_PIN_MAX 512u          /* a few "sha256//..." pins joined by ';' */
/* An answer's header lines together: more is a bad answer, not retried. A
 * Coord answer's take a few hundred bytes; libcurl's own limit, reported as
 * a receive error, is 300 KiB. */
#define COORD_HEADER_BLOCK_MAX (64u * 1024u)

/* ---- COORD_MINIMAL: the firmware build (make MINIMAL=1) -------------------
 * Logging text, log callbacks and debug hooks go inside #ifndef COORD_MINIMAL
 * so that the firmware build carries neither their code nor their strings.
 * Public functions stay (the ABI does not depend on the build); what they
 * would log is simply not produced. Statuses and the last-error record are
 * not logging: they are identical in both builds. */

/* ---- ABI: sizes frozen within SONAME 1 (docs/HACKING.md "The ABI") ------------- */

/* Fails to compile when a public struct changes size. Adding a field to
 * coord_session? Put it above `reserved` and shrink `reserved` by the bytes
 * the field takes (padding included) until this holds again. */
#define COORD_ABI_SIZE(type, size) \
    typedef char coord_abi_size_##type[(sizeof(type) == (size)) ? 1 : -1]
#if UINTPTR_MAX == UINT64_MAX /* sizes recorded for LP64 (x86_64, aarch64) */
COORD_ABI_SIZE(coord_session, 4096);
COORD_ABI_SIZE(coord_money, 16);
COORD_ABI_SIZE(coord_billing_info, 24);
COORD_ABI_SIZE(coord_redemption_info, 2080);
COORD_ABI_SIZE(coord_allocator, 72);
COORD_ABI_SIZE(coord_session_list, 64);
COORD_ABI_SIZE(coord_retry_reason, 8);
COORD_ABI_SIZE(coord_call_record, 512);
#elif UINTPTR_MAX == UINT32_MAX && defined(__arm__)
/* sizes recorded for ILP32 ARM (armhf, armel): int64_t is 8-aligned there as
 * on LP64, so only the structs holding pointers differ. (i386 aligns int64_t
 * to 4: its sizes would be others again, and are not recorded.) */
COORD_ABI_SIZE(coord_session, 4096);
COORD_ABI_SIZE(coord_money, 16);
COORD_ABI_SIZE(coord_billing_info, 24);
COORD_ABI_SIZE(coord_redemption_info, 2080);
COORD_ABI_SIZE(coord_allocator, 36);
COORD_ABI_SIZE(coord_session_list, 60);
COORD_ABI_SIZE(coord_retry_reason, 8);
COORD_ABI_SIZE(coord_call_record, 512);
#endif

/* ---- alloc.c: the allocator (coord_set_allocator) ------------------------- */

/* Every allocation the library makes goes through these. */
COORD_HIDDEN void *coord_malloc(size_t size);
COORD_HIDDEN void *coord_calloc(size_t count, size_t size);
COORD_HIDDEN void *coord_realloc(void *ptr, size_t size);
COORD_HIDDEN void coord_free(void *ptr);
/* strdup that returns NULL on NULL input too. */
COORD_HIDDEN char *coord_strdup(const char *s);
/* 1 while an application allocator is installed (coord_set_allocator). */
COORD_HIDDEN int coord_allocator_installed(void);
/* pin 1: libcurl now runs on the installed allocator, which must stay until
 * the matching pin 0 (coord_global_init / coord_global_cleanup). */
COORD_HIDDEN void coord_allocator_pin(int pin);
/* Allocations that failed on this thread so far: every function above
 * counts, and the coord_libc_* ones libcurl runs on when no application
 * allocator is installed (coord_global_init). */
COORD_HIDDEN unsigned long coord_alloc_failures(void);
COORD_HIDDEN void *coord_libc_malloc(size_t size);
COORD_HIDDEN void *coord_libc_calloc(size_t count, size_t size);
COORD_HIDDEN void *coord_libc_realloc(void *ptr, size_t size);
COORD_HIDDEN char *coord_libc_strdup(const char *s);
/* Around a cJSON parse: begin watches cJSON's allocations on this thread,
 * refusing any beyond budget bytes asked for in all (budget > 0; counted
 * as asked, so the tree and scratch copies cJSON frees again are bounded
 * together, never under-counted). end stops watching and says
 * why the parse's NULL, if it returned one, is not malformed JSON:
 * COORD_ERR_OUT_OF_MEMORY (the allocator failed), COORD_ERR_RESPONSE_TOO_LARGE
 * (past the budget), or COORD_OK (no allocation failed). Outside a watch
 * cJSON allocates without a limit (the application's own use of cJSON). */
COORD_HIDDEN void coord_json_alloc_begin(size_t budget);
COORD_HIDDEN coord_status coord_json_alloc_end(void);

/* ---- money.c: the ISO 4217 table, for its tests -------------------------- */

/* Rows of the table of currencies, and the code of row i (NULL past the end). */
COORD_HIDDEN size_t coord_currency_count(void);
COORD_HIDDEN const char *coord_currency_code_at(size_t i);

/* ---- util.c: text checks and secret handling ----------------------------- */

/* 1 when s is non-NULL, 1..max-1 bytes long, and free of control characters. */
COORD_HIDDEN int coord_text_ok(const char *s, size_t max);
/* Overwrite n bytes so that the compiler cannot drop the stores. */
COORD_HIDDEN void coord_wipe(void *p, size_t n);
/* 64 random bits to seed a generator: the kernel's (getrandom), so that
 * kiosks that boot together do not retry in lockstep; where the kernel has
 * none to give, the clock and salt's address. */
COORD_HIDDEN uint64_t coord_random_seed(const void *salt);
/* Copy src with its NUL into dst when it fits in size bytes and return 1;
 * otherwise leave dst as it is and return 0. Reads at most size bytes of src. */
COORD_HIDDEN int coord_copy_text(char *dst, size_t size, const char *src);
/* Wipe a NUL-terminated secret, free it, and set the pointer to NULL. */
COORD_HIDDEN void coord_secret_free(char **secret);
/* Replace every occurrence of secret (if non-empty) in text with "[redacted]",
 * within text's size; the result stays NUL-terminated. An occurrence is the
 * secret in any URL spelling a server may echo: each byte raw, as %XX (hex
 * in either case) or, for a space, '+' (form encoding). A text that ends
 * with 4 or more bytes of the secret's start (cut to its buffer) loses that
 * tail too. */
COORD_HIDDEN void coord_redact(char *text, size_t size, const char *secret);
/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). cJSON does not check this. */
COORD_HIDDEN int coord_utf8_valid(const char *s, size_t n);
/* Replace control characters and bytes of malformed UTF-8 with '?', in place:
 * server text is made safe to show and to log. */
COORD_HIDDEN void coord_text_clean(char *s);
/* snprintf into a fixed buffer, tolerating NULL/0 destinations. */
COORD_HIDDEN void coord_set_text(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- status.c: statuses and the error record ------------------------------ */

/* Values of coord_status: raise it with every status appended to the enum
 * (status.c's table of names and texts checks it at compile time). */
#define COORD_STATUS_COUNT ((unsigned)COORD_ERR_STORAGE + 1u)

/* Status for a non-2xx HTTP answer (before endpoint-specific refinement). */
COORD_HIDDEN coord_status coord_status_from_http(long http_status);
/* Record a failure in e: its status and a formatted detail (cut to fit);
 * no other field changes. Returns status. */
COORD_HIDDEN coord_status coord_error_fail(coord_error *e, coord_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Is a refused call the server saying "this session checks out at the
 * gate"? HTTP 4xx with Coord code COORD_API_CODE_PHYSICAL_CHECKOUT, or a
 * message naming redemption_info: Coord published no code (see
 * coord_end_session() in coord.h). */
COORD_HIDDEN int coord_error_is_gate_refusal(const coord_error *e);

/* ---- request.c: pure request building ------------------------------------ */

/* The start of the bearer token's header line: the client's prepared line,
 * a request's own, and the token read back from it for redaction. */
#define COORD_AUTHORIZATION_PREFIX "Authorization: Bearer "

/* Where and as whom a request goes; borrowed from the client. */
typedef struct coord_target {
    const char *base_url;     /* no trailing '/' */
    const char *access_key;
    const char *bearer_token; /* NULL: none */
    /* "Authorization: Bearer <token>" prepared by the client, so that a call
     * formats nothing; NULL: built from bearer_token per request. */
    const char *authorization;
} coord_target;

/* A built request; free it with coord_request_free(), which wipes what holds
 * secrets. The URL is written into url_buf, storage its owner gives to
 * coord_request_init() (an exchange's: no allocation per call). Each build
 * and free clears every other field in one statement, so that none is left
 * stale; not the storage, whose 2 KiB are written before they are read.
 * headers point at literals, the target's authorization line, or
 * owned_header. body is borrowed. */
typedef struct coord_request {
    char *url_buf; /* COORD_URL_MAX bytes, the owner's; kept by every reset */
    const char *method;
    char *url; /* url_buf once built, NULL otherwise; holds the access key */
    const char *headers[COORD_REQUEST_MAX_HEADERS];
    size_t header_count;
    const char *body;
    size_t body_len;
    int idempotent; /* may be sent again after a lost answer; from the method, POST: 0 */
    char *owned_body; /* the body when the builder made it; freed with the request */
    char *owned_header; /* an Authorization line formatted here, or NULL */
} coord_request;

/* Every builder below takes an empty out (coord_request_init(), or
 * coord_request_free() after a build), leaves it empty (safe to free) when
 * it fails, and writes why into err (coord_error_fail), never quoting the key. */

/* Build method + URL base/seg1/seg2/...?access_key=KEY, every segment and
 * the key escaped by libcurl, plus the headers. */
COORD_HIDDEN coord_status coord_request_build(coord_request *out, const coord_target *target,
                                              const char *method,
                                              const char *const *segments, size_t nsegments,
                                              const char *body, size_t body_len,
                                              coord_error *err);
/* PUT {base}/{location_id}/session/{session_id}/end, arguments validated. */
COORD_HIDDEN coord_status coord_request_end_session(coord_request *out,
                                                    const coord_target *target,
                                                    const char *location_id,
                                                    int64_t session_id, coord_error *err);
/* GET {base}/{location_id}/session/{session_id}, arguments validated. */
COORD_HIDDEN coord_status coord_request_get_session(coord_request *out,
                                                    const coord_target *target,
                                                    const char *location_id,
                                                    int64_t session_id, coord_error *err);
/* POST {base}/{location_id}/session with {} or {"resource_id": ...}. */
COORD_HIDDEN coord_status coord_request_create_session(coord_request *out,
                                                       const coord_target *target,
                                                       const char *location_id,
                                                       const char *resource_id,
                                                       coord_error *err);
/* GET {base}/{location_id}/session, or GET {base}/session when location_id is NULL */
COORD_HIDDEN coord_status coord_request_list_sessions(coord_request *out,
                                                      const coord_target *target,
                                                      const char *location_id,
                                                      coord_error *err);
/* POST {base}/barcode with {} */
COORD_HIDDEN coord_status coord_request_create_barcode(coord_request *out,
                                                       const coord_target *target,
                                                       coord_error *err);
/* POST {base}/testing/{location_id}/{session_id}/simulate_redemption */
COORD_HIDDEN coord_status coord_request_simulate_redemption(coord_request *out,
                                                            const coord_target *target,
                                                            const char *location_id,
                                                            int64_t session_id,
                                                            uint32_t duration_m,
                                                            coord_error *err);
/* POST {scheme://host[:port]}/v1/users/testing/create_jwt: the base URL's
 * path is replaced (libcurl's URL API parses it). */
COORD_HIDDEN coord_status coord_request_create_jwt(coord_request *out,
                                                   const coord_target *target,
                                                   const char *email, const char *external_uid,
                                                   coord_error *err);
/* The token of the Authorization line the request formatted itself (a
 * non-blocking call's), or NULL: for redaction. */
COORD_HIDDEN const char *coord_request_bearer_token(const coord_request *req);
/* An empty request, safe to free, that builds its URL in url_buf (the
 * caller's, as long as the request lives). */
COORD_HIDDEN void coord_request_init(coord_request *req, char url_buf[COORD_URL_MAX]);
COORD_HIDDEN void coord_request_free(coord_request *req);
/* The request's path, as sent but without the query (which holds the key):
 * what logs may show. Truncated to size. */
COORD_HIDDEN void coord_request_path(const coord_request *req, char *out, size_t size);

/* ---- transport_curl.c: libcurl easy handles -------------------------------- */

typedef struct coord_transport coord_transport;

/* What a client asks of every exchange (the strings belong to the client). */
typedef struct coord_transport_config {
    const char *user_agent;
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    uint32_t max_response_size;
    int observed; /* the client has an observer: the answer's request id is kept */
} coord_transport_config;

/* An answer: status and body (NUL-terminated, owned by the transport and
 * valid until its next prepare or free). */
typedef struct coord_response {
    long http_status;
    const char *body;
    size_t body_len;
    uint32_t sent;          /* times the request went out (0: never connected) */
    char content_type[64];  /* "" when absent or longer */
    char retry_after[64];   /* the Retry-After header's value, "" when absent */
    int has_date;           /* a Date header was read into date_ms... */
    int64_t date_ms;
    int has_age;            /* ... and an Age header came with it (a cache's answer) */
    int cert_failed;        /* the server's certificate failed verification */
} coord_response;

COORD_HIDDEN coord_status coord_transport_new(coord_transport **out);
COORD_HIDDEN void coord_transport_free(coord_transport *t);
/* Trust anchors: both NULL restores libcurl's built-in defaults; otherwise
 * exactly the given file and/or directory are trusted (a NULL one is off),
 * so that a configured private CA never silently adds the system store. */
COORD_HIDDEN coord_status coord_transport_set_trust(coord_transport *t, const char *ca_file,
                                                    const char *ca_path, coord_error *err);
/* Where the handle connects: proxy "" directly, the environment's proxy
 * variables ignored (the default); a proxy URL through that proxy, NO_PROXY
 * ignored too; NULL as the environment says (libcurl's rules). */
COORD_HIDDEN coord_status coord_transport_set_proxy(coord_transport *t, const char *proxy,
                                                    coord_error *err);
/* Public-key pin list ("sha256//..."[;...]); NULL removes the pin. */
COORD_HIDDEN coord_status coord_transport_set_pin(coord_transport *t, const char *pin,
                                                  coord_error *err);
/* Overwrite the kept response body (after it carried a secret). */
COORD_HIDDEN void coord_transport_wipe_body(coord_transport *t);
/* Give the handle req and cfg (only what changed since its last exchange)
 * and empty the answer buffer. Any HTTP status is COORD_OK for the
 * transport; the call maps it. */
COORD_HIDDEN coord_status coord_transport_prepare(coord_transport *t,
                                                  const coord_transport_config *cfg,
                                                  const coord_request *req, coord_error *err);
/* What libcurl tells of the handle's last transfer, into a record: its
 * timings, reuse, HTTP version, bytes and the answer's X-Request-Id
 * (cleaned, not yet redacted); has_timings 0 and nothing else written when
 * no transfer ran since the last prepare. Read only for an observer. */
COORD_HIDDEN void coord_transport_observe(coord_transport *t, coord_call_record *out);
/* Connections the last transfer opened (0 when none ran since prepare);
 * read from libcurl once per transfer. */
COORD_HIDDEN uint32_t coord_transport_connects(coord_transport *t);
/* Run the prepared exchange on this thread (curl_easy_perform). A non-zero
 * *cancel (written by another thread) aborts it with COORD_ERR_CANCELLED;
 * cancel may be NULL. */
COORD_HIDDEN coord_status coord_transport_perform(coord_transport *t, const int *cancel,
                                                  coord_response *out, coord_error *err);

/* ---- decode.c: pure cJSON -> typed structs -------------------------------- */
/* Each decoder fills out on COORD_OK and leaves it zeroed otherwise, with
 * err->status and err->detail saying why (no other field of err is touched). */

/* The client's limits a decoder applies (coord_client_decode_limits(); a
 * new client's for the public decoders). */
typedef struct coord_decode_limits {
    /* cJSON may take COORD_DECODE_MEMORY_FACTOR times this to parse an
     * answer, and a list's array as much again; more is
     * COORD_ERR_RESPONSE_TOO_LARGE */
    uint32_t max_response_size;
    uint32_t max_sessions; /* entries of a list's array; more is COORD_ERR_RESPONSE_TOO_LARGE */
} coord_decode_limits;

COORD_HIDDEN coord_status coord_decode_session(const char *json, size_t len,
                                               const coord_decode_limits *limits,
                                               coord_session *out, coord_error *err);
/* A Coord error body {"code": int32, "message": string}. COORD_OK only when
 * the text is such a body; message is truncated to fit. cJSON may take
 * COORD_DECODE_MEMORY_FACTOR times the text's length (at least of
 * COORD_MIN_RESPONSE_SIZE) to parse it: a text that needs more is
 * COORD_ERR_RESPONSE_TOO_LARGE, one that runs out of memory
 * COORD_ERR_OUT_OF_MEMORY, anything else not a body COORD_ERR_BAD_RESPONSE. */
COORD_HIDDEN coord_status coord_decode_error_body(const char *json, size_t len,
                                                  int32_t *out_code,
                                                  char *out_message, size_t message_size);
COORD_HIDDEN coord_status coord_decode_session_list(const char *json, size_t len,
                                                    const coord_decode_limits *limits,
                                                    coord_session_list *out,
                                                    coord_error *err);
/* The same answer without an array: every entry is decoded and checked,
 * then, when all are good, decoded again into *one and handed to fn, until
 * fn returns non-zero. No count limit: the memory is cJSON's tree (bounded
 * as for every answer) and one session. *one is zeroed on failure. */
COORD_HIDDEN coord_status coord_decode_session_list_each(const char *json, size_t len,
                                                         const coord_decode_limits *limits,
                                                         coord_session *one,
                                                         coord_session_each_fn fn, void *user_data,
                                                         coord_error *err);
/* {"data": string, "format": string}, both required. */
COORD_HIDDEN coord_status coord_decode_barcode(const char *json, size_t len,
                                               const coord_decode_limits *limits,
                                               coord_redemption_info *out,
                                               coord_error *err);
/* {"jwt_token": string}: copied into out (size bytes); every other copy the
 * decoder made is wiped. COORD_ERR_INVALID_ARGUMENT when it does not fit. */
COORD_HIDDEN coord_status coord_decode_jwt(const char *json, size_t len,
                                           const coord_decode_limits *limits,
                                           char *out, size_t size, coord_error *err);
/* A JSON object of string members, for request bodies: member i is
 * names[i]: values[i], skipped when values[i] is NULL. Returns a
 * coord_malloc'd NUL-terminated text (free with coord_free) or NULL when
 * out of memory. cJSON does the escaping. */
COORD_HIDDEN char *coord_encode_strings(const char *const *names, const char *const *values,
                                        size_t n);

/* ---- time.c: RFC 3339, Retry-After, the monotonic clock ------------------ */

/* Parse an RFC 3339 date-time (years 0000-9999) into milliseconds since the
 * epoch (UTC), whatever the width of time_t. Returns 0 on success, -1 when
 * text is not RFC 3339 or names a date that does not exist (2100-02-29). */
COORD_HIDDEN int coord_rfc3339_parse(const char *text, int64_t *out_ms);
/* Milliseconds of CLOCK_MONOTONIC. */
COORD_HIDDEN int64_t coord_now_ms(void);
/* Microseconds of CLOCK_MONOTONIC (coord_now_ms() is this / 1000). */
COORD_HIDDEN int64_t coord_now_us(void);
/* Seconds since the epoch (the wall clock), to read a Retry-After date by.
 * Where time_t is 32 bits (armhf without 64-bit time) it ends in 2038, as
 * do the dates curl_getdate() can return there: such a Retry-After then
 * counts as absent. */
COORD_HIDDEN int64_t coord_wall_s(void);
/* Milliseconds since the epoch by the wall clock (CLOCK_REALTIME), which the
 * clock-offset estimate compares with the server's Date header. Where time_t
 * is 32 bits it reads as 1901 after 2038-01-19 (the seconds wrap). */
COORD_HIDDEN int64_t coord_wall_ms(void);
/* An HTTP-date (the Date header; RFC 9110's three forms, by curl_getdate)
 * as milliseconds since the epoch. Returns 0, or -1 when value is not one,
 * or names an instant beyond a 32-bit time_t (out_ms untouched). */
COORD_HIDDEN int coord_http_date_parse(const char *value, int64_t *out_ms);
/* ms since the epoch as "YYYY-MM-DD hh:mm:ss UTC", cut to size. */
COORD_HIDDEN void coord_format_utc(int64_t ms, char *out, size_t size);
/* A Retry-After value as a delay from now_s (seconds since the epoch):
 * delay-seconds, or an HTTP-date in any of RFC 9110's three forms (read by
 * curl_getdate; a past date is 0). A delay too large to count in
 * milliseconds saturates at UINT64_MAX: it is still a delay beyond any cap.
 * Returns 0, or -1 when the value is neither (out_ms untouched). */
COORD_HIDDEN int coord_retry_after_parse(const char *value, int64_t now_s, uint64_t *out_ms);

/* ---- clock.c: the server's clock, from its Date headers -------------------- */

/* The estimate of how far the server's clock runs ahead of the local wall
 * clock (negative: behind), kept by each client. */
typedef struct coord_clock {
    int has_offset;
    int64_t offset_ms;   /* server minus local */
    int64_t wall_at_ms;  /* the local wall clock when last estimated */
    int64_t mono_at_ms;  /* the monotonic clock then */
} coord_clock;

/* One answer's Date (an answer without an Age header: a cache's answer was
 * dated by the origin, earlier) and the local clocks around it. */
typedef struct coord_clock_sample_in {
    int64_t date_ms;          /* the answer's Date */
    int64_t sent_wall_ms;     /* the wall clock when the request went to libcurl */
    int64_t received_wall_ms; /* ... and when its answer was back */
    int64_t received_mono_ms; /* the monotonic clock then */
} coord_clock_sample_in;

/* Take one answer into the estimate: the offset of Date from the middle of
 * the exchange. The first estimate, one after the wall clock was set, or
 * one more than 2 s from the last replaces it; nearer ones are averaged in.
 * An exchange that took over 10 s (or a negative time) is ignored. */
COORD_HIDDEN void coord_clock_sample(coord_clock *c, const coord_clock_sample_in *in);
/* 1 and *out_ms when there is an estimate; 0 when none, or when the wall
 * clock was set since it was made (it is then forgotten). */
COORD_HIDDEN int coord_clock_offset(coord_clock *c, int64_t wall_ms, int64_t mono_ms,
                                    int64_t *out_ms);
/* After a failed certificate check: 1 and a sentence about the clock in out
 * when the wall clock reads a time before the library was built, or more
 * than 5 minutes from the server's by the estimate; 0 otherwise. */
COORD_HIDDEN int coord_clock_note(coord_clock *c, int64_t wall_ms, int64_t mono_ms, char *out,
                                  size_t size);

/* ---- retry.c: the pure retry step ------------------------------------------ */

typedef struct coord_retry_policy {
    uint32_t max_attempts;  /* 1: no retry */
    uint32_t base_delay_ms;
    uint32_t max_delay_ms;
} coord_retry_policy;

/* Is a failed attempt worth another? Transport failures and timeouts with no
 * answer, and HTTP 408, 429, 500, 502, 503, 504. Never TLS or other 4xx. */
COORD_HIDDEN int coord_retry_is_retryable(coord_status status, long http_status);
/* Could the server have carried out a request whose answer was this? sent is
 * how often it went out (coord_response.sent). */
COORD_HIDDEN int coord_retry_may_have_applied(coord_status status, long http_status,
                                              uint32_t sent);
/* The next number of a per-client PRNG (splitmix64). */
COORD_HIDDEN uint64_t coord_rng_next(uint64_t *state);
/* Delay before retry number `retry` (0 for the first): uniform in
 * [0, min(max_delay, base_delay * 2^retry)]. */
COORD_HIDDEN uint32_t coord_retry_backoff_ms(const coord_retry_policy *policy, uint32_t retry,
                                             uint64_t *rng);

/* What to do next with a call. */
typedef enum coord_next_kind {
    COORD_NEXT_SEND,    /* send the request (again), after delay_ms */
    COORD_NEXT_RECOVER, /* fetch the session that an unanswered end most likely ended */
    COORD_NEXT_DONE     /* the call is over, with status */
} coord_next_kind;

typedef struct coord_next {
    coord_next_kind kind;
    uint32_t delay_ms;     /* COORD_NEXT_SEND */
    coord_status status;   /* COORD_NEXT_DONE */
    /* DONE because the answer's Retry-After asks for too long: beyond "the
     * cap" or "the total timeout"; NULL otherwise */
    const char *retry_after_beyond;
} coord_next;

/* Everything the retry step reads about a call after one of its attempts. */
typedef struct coord_retry_state {
    coord_retry_policy policy;
    int idempotent;        /* the request may be sent again */
    int can_recover;       /* a 409 after a lost answer is fetched (the replay-safe end) */
    int answer_lost;       /* an attempt the server may have carried out got no answer */
    uint32_t attempts;     /* requests sent so far, the last one included */
    uint32_t retries;      /* retries so far */
    int64_t left_ms;       /* of the call's total timeout, now */
    int64_t now_s;         /* wall clock, for a Retry-After date */
    /* the last attempt */
    coord_status status;   /* COORD_OK: a 2xx answer */
    long http_status;      /* 0: no answer */
    const char *retry_after; /* the answer's Retry-After, "" when none */
} coord_retry_state;

/* The two decisions most steps make: done with status, or send after delay_ms. */
COORD_HIDDEN coord_next coord_next_done(coord_status status);
COORD_HIDDEN coord_next coord_next_send(uint32_t delay_ms);

/* The retry step: given a call's state after an attempt, send again (now or
 * after a delay), recover an ended session, or finish. Pure: no clock, no
 * sleep, no I/O; the jitter comes from *rng. */
COORD_HIDDEN coord_next coord_retry_next(const coord_retry_state *state, uint64_t *rng);

/* ---- exchange.c: the engine, one API call from its first attempt to its result */

/* What an exchange has done so far: all of it starts clean (zero) for each
 * exchange, cleared in one statement (coord_exchange_begin). */
typedef struct coord_exchange_progress {
    int64_t started_us;         /* monotonic: for the record's elapsed_us */
    int64_t deadline_ms;        /* monotonic: the start + the total timeout */
    int64_t attempt_started_ms; /* monotonic, for the log's duration */
    int64_t attempt_wall_ms;    /* the wall clock then, for the Date header's offset */
    uint32_t timeout_ms;        /* the total timeout (for the detail of a timeout) */
    uint32_t retries;           /* retries so far, for the backoff */
    int answer_lost;            /* an attempt the server may have carried out got no answer */
    int can_recover;            /* the replay-safe end: see coord_exchange_allow_recovery() */
    int recovering;             /* the request is the recovery fetch */
    /* for the record (coord_call_record): the whole call's retries and why
     * (retries above restarts for the recovery fetch), connections opened */
    uint32_t retried;
    coord_retry_reason retry_reasons[COORD_RECORD_RETRIES_MAX];
    uint32_t connections;
    int observed;               /* its record went to the observer */
} coord_exchange_progress;

/* Everything one API call needs while it runs: its request, its attempts
 * and its record. A blocking call keeps it on the public function's stack,
 * a non-blocking one in its coord_call; the client keeps only its
 * configuration, its libcurl handle and the last call's record. */
typedef struct coord_exchange {
    coord_client *client;
    coord_target target;       /* the client's URL and credentials, as of the start */
    coord_request request;     /* built by the endpoint; the recovery fetch replaces it */
    char url_buf[COORD_URL_MAX]; /* the request's URL: holds the access key */
    coord_transport *transport; /* of the last attempt: the answer's body lives there */
    coord_response response;   /* the last answer */
    coord_error error;         /* the record being built: published by coord_exchange_end() */
    coord_exchange_progress progress;
    /* the exchange outlives the public function that started it: see
     * coord_exchange_own_credentials() */
    int owns_credentials;
    /* the location and session the call addresses: a copy, because the
     * caller's location id may live in the output the call fills */
    char location_id[COORD_ID_MAX];
    int64_t session_id;
    /* for the record: what the call is, and what the loop knows of it */
    coord_operation operation;
    uint64_t call_id;          /* non-blocking: coord_call_id(); 0 blocking */
    int64_t queued_us;         /* non-blocking: time in the loop's queue */
} coord_exchange;

/* Start an exchange of operation on client: an empty record, the deadline
 * (the client's total timeout, or max_ms when that is shorter and not 0),
 * the client's URL and credentials, borrowed. Keeps a copy of location_id
 * (NULL or too long: "", for the builder to refuse). */
COORD_HIDDEN void coord_exchange_begin(coord_exchange *ex, coord_client *client,
                                       coord_operation operation, uint32_t max_ms,
                                       const char *location_id, int64_t session_id);
/* A non-blocking call outlives the public function that started it: the
 * client's token may change (or be freed) before its requests are built or
 * sent. From here on the exchange's requests carry their own copy of the
 * token's Authorization line instead of borrowing the client's (each takes
 * the token in force when it is built); coord_exchange_again() keeps that. */
COORD_HIDDEN void coord_exchange_own_credentials(coord_exchange *ex);
/* The same exchange begun again for its next request (a wait's next poll):
 * a new record, answer and deadline (as coord_exchange_begin()); the
 * client, the location, the session and the credentials' ownership kept.
 * Frees the request it had. */
COORD_HIDDEN void coord_exchange_again(coord_exchange *ex, uint32_t max_ms);
/* Let a 409 after a lost answer recover the session (coord_end_session()). */
COORD_HIDDEN void coord_exchange_allow_recovery(coord_exchange *ex);
/* The first step of an exchange whose request is built. */
COORD_HIDDEN coord_next coord_exchange_first(coord_exchange *ex);
/* Before an attempt: 1 (and the record says so) when the total timeout has
 * passed; 0 when there is time for one more. */
COORD_HIDDEN int coord_exchange_expired(coord_exchange *ex);
/* Before an attempt on transport t: the record emptied for it (the attempt
 * count kept), its timeouts cut to what is left, t given the request. */
COORD_HIDDEN coord_status coord_exchange_prepare(coord_exchange *ex, coord_transport *t);
/* After an attempt that ended with `performed` (the transport's status):
 * the answer mapped into the record, logged, and the retry step taken. */
COORD_HIDDEN coord_next coord_exchange_answered(coord_exchange *ex, coord_status performed);
/* An attempt libcurl still had when the non-blocking call gave it up
 * (cancelled, or at its deadline), having sent it `sent` times: it counts,
 * as the blocking form counts an attempt its cancel or timeout ends. */
COORD_HIDDEN void coord_exchange_abandon_attempt(coord_exchange *ex, uint32_t sent);
/* The replay-safe end's fetch: the request becomes the GET of the session. */
COORD_HIDDEN coord_next coord_exchange_recover(coord_exchange *ex);
/* The blocking front end: step, perform, sleep, until the exchange is done. */
COORD_HIDDEN coord_status coord_exchange_run(coord_exchange *ex);
/* Hand the exchange's call record, with status st, to the client's
 * observer, if it has one and this exchange's record was not handed yet
 * (a non-blocking wait hands each poll's as the poll ends). Nothing for an
 * exchange whose request was never built (refused arguments). */
COORD_HIDDEN void coord_exchange_observe(coord_exchange *ex, coord_status st);
/* Finish: the record gets status st, its texts lose the client's secrets,
 * the observer gets the call record (coord_exchange_observe), the request
 * is freed. Returns st. */
COORD_HIDDEN coord_status coord_exchange_finalize(coord_exchange *ex, coord_status st);
/* Finish a blocking call: coord_exchange_finalize(), and the record becomes
 * the client's last error. Returns st. */
COORD_HIDDEN coord_status coord_exchange_end(coord_exchange *ex, coord_status st);
/* Record a failure in the exchange's record (coord_error_fail); returns status. */
#define coord_exchange_fail(ex, ...) coord_error_fail(&(ex)->error, __VA_ARGS__)

/* ---- loop.c: the non-blocking front end ------------------------------------ */

/* A wait (coord_session_wait() and its non-blocking form): what it waits
 * for, until when, and how far it got. */
typedef struct coord_wait_plan {
    coord_wait_for until;
    int64_t deadline_ms;  /* monotonic */
    uint32_t timeout_ms;
    uint32_t interval_ms;
    uint32_t polls;
    int expired;          /* the deadline ended it (not a poll's own failure) */
} coord_wait_plan;

/* What a call is doing in its loop. */
typedef enum coord_call_phase {
    COORD_PHASE_QUEUED,  /* the loop is full: waits for a call to end */
    COORD_PHASE_WAITING, /* waits for its timer (before a retry, a wait's next poll) */
    COORD_PHASE_RUNNING, /* its request is in libcurl */
    COORD_PHASE_HELD,    /* waits for its host's first TLS handshake to tell its protocol */
    COORD_PHASE_DONE     /* its callback runs, or ran */
} coord_call_phase;

/* The engine said done: the endpoint makes the result (its X_result()
 * function) and hands it on with coord_call_deliver(). */
typedef void (*coord_call_complete_fn)(coord_call *call, coord_status status);
/* A call's timer expired. */
typedef void (*coord_call_due_fn)(coord_call *call);

/* The application's callback: the one member set is the kind of result
 * the call makes. */
typedef struct coord_call_callback {
    coord_session_fn on_session;
    coord_session_list_fn on_list;
    coord_barcode_fn on_barcode;
    coord_token_fn on_token;
    void *user_data;
} coord_call_callback;

/* A call's place in its loop and its results: all of it starts clean
 * (zero) for each call, cleared in one statement (coord_loop_call_new),
 * so that nothing comes back stale from the loop's pool. */
typedef struct coord_call_state {
    coord_loop *loop;
    coord_call *prev, *next;         /* the loop's calls, in the order they started */
    coord_call *queue_next;          /* QUEUED: the next in the queue */
    int64_t queued_at_us;            /* QUEUED: when it entered the queue, for its record */
    coord_call *held_next;           /* HELD: the next held call */
    uint64_t origin;                 /* its URL's scheme, host and port, hashed (loop.c) */
    int skip_hold;                   /* its host's probe failed: sent as without the hold */
    coord_call_phase phase;
    uint64_t id;                     /* coord_call_id(): the loop's count, never reused */
    /* the whole call's bound, the time in the queue included: its total
     * timeout, or a wait's own; and when it passes */
    uint32_t timeout_ms;
    int64_t deadline_ms;
    coord_call_due_fn start;         /* what runs when the call has its place in the loop */
    int cancel_requested;            /* coord_call_cancel() while libcurl ran: see loop.c */
    size_t timer;                    /* its place in the loop's timer heap, or NO_TIMER */
    /* WAITING: when to go on; QUEUED: its deadline; RUNNING: its deadline,
     * for a transfer libcurl does not time out */
    int64_t due_ms;
    coord_call_due_fn on_due;
    coord_transport *transport;      /* from the client's pool: from the first send to the end */
    uint32_t transport_version;
    coord_call_complete_fn complete; /* the endpoint's step when the exchange is done */
    coord_call_callback callback;
    /* results besides the session */
    int has_session;                 /* a wait's last session seen, also on failure */
    coord_session_list list;
    coord_redemption_info *barcode;  /* allocated by the barcode call only */
    char *token;                     /* allocated by the jwt call only: a secret */
    size_t token_size;
    coord_wait_plan wait;            /* coord_session_wait_async() */
} coord_call_state;

/* A non-blocking call: where it is in its loop, its engine, and the result
 * it owns until its callback returns. */
struct coord_call {
    coord_call_state state;
    coord_exchange exchange;         /* begun for each call (coord_exchange_begin) */
    coord_session session;           /* a result: written before it is read */
};

/* ---- timers.c: the loop's timers -------------------------------------------- */

/* A call's state.timer when it has none. */
#define COORD_NO_TIMER ((size_t)-1)

/* Calls waiting for their state.due_ms, earliest first (a binary heap). */
typedef struct coord_timers {
    coord_call **calls;
    size_t count;
    size_t size;  /* allocated */
} coord_timers;

/* Room for n timers at once; COORD_ERR_OUT_OF_MEMORY leaves the heap as it was. */
COORD_HIDDEN coord_status coord_timers_reserve(coord_timers *h, size_t n);
/* Add a call with no timer (reserve room first: adding never fails). */
COORD_HIDDEN void coord_timers_add(coord_timers *h, coord_call *call);
/* Remove a call's timer; its state.timer becomes COORD_NO_TIMER. */
COORD_HIDDEN void coord_timers_remove(coord_timers *h, coord_call *call);
/* The call due first, or NULL when no timer is set. */
COORD_HIDDEN coord_call *coord_timers_first(const coord_timers *h);
COORD_HIDDEN void coord_timers_free(coord_timers *h);

/* A call of loop for client, from the loop's pool: its state clean, its
 * exchange begun for location_id/session_id, owning its credentials; NULL
 * when out of memory. The endpoint then builds its request and sets
 * complete (and may change start, timeout_ms and deadline_ms: a wait). */
COORD_HIDDEN coord_call *coord_loop_call_new(coord_loop *loop, coord_client *client,
                                             const coord_call_callback *callback,
                                             coord_operation operation,
                                             const char *location_id, int64_t session_id);

/* The checks every non-blocking start function makes (a loop, a client, a
 * callback), then a call of the loop (coord_loop_call_new()) that runs
 * complete when its exchange is done. NULL (and *out_status, recorded in
 * the client's last error) when it cannot start. */
COORD_HIDDEN coord_call *coord_async_begin(coord_loop *loop, coord_client *client,
                                           const coord_call_callback *callback,
                                           coord_call_complete_fn complete,
                                           coord_operation operation,
                                           const char *location_id, int64_t session_id,
                                           coord_status *out_status);
/* The same for a call that answers one session to on_done. */
COORD_HIDDEN coord_call *coord_session_async_begin(coord_loop *loop, coord_client *client,
                                                   coord_session_fn on_done, void *user_data,
                                                   coord_call_complete_fn complete,
                                                   coord_operation operation,
                                                   const char *location_id,
                                                   int64_t session_id, coord_status *out_status);
/* Start a call whose request the endpoint built (built: the builder's
 * status). On COORD_OK the call runs and its callback will be called; on
 * any other status it is released without a callback, and its record is
 * the client's last error. */
COORD_HIDDEN coord_status coord_loop_call_start(coord_call *call, coord_status built,
                                                coord_call **out_call);
/* Send the call's request now (its exchange already holds it). */
COORD_HIDDEN void coord_loop_call_send(coord_call *call);
/* Run on_due after delay_ms. */
COORD_HIDDEN void coord_loop_call_after(coord_call *call, uint32_t delay_ms,
                                        coord_call_due_fn on_due);
/* The result to the application's callback (the session when status is
 * COORD_OK or has_session says so; the list, barcode or token on COORD_OK),
 * then the call ends: its record finalized, its handle back to the client's
 * pool, the call back to the loop's pool, a queued call started. */
COORD_HIDDEN void coord_call_deliver(coord_call *call, coord_status status);

/* ---- wait.c: a wait's plan ----------------------------------------------- */

/* The arguments of both forms of the wait; the record says what is wrong. */
COORD_HIDDEN coord_status coord_wait_arguments_ok(coord_wait_for until, uint32_t interval_ms,
                                                  coord_error *e);
/* A plan that starts now. */
COORD_HIDDEN void coord_wait_plan_init(coord_wait_plan *w, coord_wait_for until,
                                       uint32_t timeout_ms, uint32_t interval_ms);
/* How long the next poll may take: what is left of the wait (0: the wait's
 * one poll keeps the client's own timeouts, as documented). */
COORD_HIDDEN uint32_t coord_wait_poll_budget(const coord_wait_plan *w, int64_t now);
/* After a poll that ended with st (seen filled on COORD_OK): the wait is
 * done with a status (w->expired: because of its deadline), or polls again
 * after delay_ms. */
COORD_HIDDEN coord_next coord_wait_after_poll(coord_wait_plan *w, coord_status st,
                                              const coord_session *seen, int64_t now);
/* After a pause: is there time for a poll? One with less than
 * COORD_RETRY_MIN_ATTEMPT_MS could only be cut short by the deadline. */
COORD_HIDDEN int coord_wait_has_time(const coord_wait_plan *w, int64_t now);
/* After the pause coord_wait_after_poll() asked for: poll now (SEND), or
 * done with COORD_ERR_TIMEOUT (w->expired) when no time is left for one. */
COORD_HIDDEN coord_next coord_wait_after_pause(coord_wait_plan *w, int64_t now);
/* The status of a wait that is done, its last poll having ended with st:
 * st, or when the deadline ended it COORD_ERR_TIMEOUT with e rewritten to
 * say so (coord_wait_timed_out()). Both front ends end their waits here. */
COORD_HIDDEN coord_status coord_wait_finish(coord_wait_plan *w, coord_status st, coord_error *e,
                                            const char *location_id, int64_t session_id);
/* The record of a wait its deadline ended. */
COORD_HIDDEN coord_status coord_wait_timed_out(coord_wait_plan *w, coord_error *e,
                                               const char *location_id, int64_t session_id);

/* ---- sessions.c, lists.c, testing.c: the endpoints ------------------------ */

/* Begin an exchange that answers one session into *out, its total timeout
 * cut to max_ms (0: the client's). location_id is copied first: it may live
 * in *out (coord_session_get(c, s.location_id, s.id, &s)), which is zeroed
 * next. */
COORD_HIDDEN coord_status coord_session_exchange_begin(coord_exchange *ex, coord_client *client,
                                                       coord_operation operation,
                                                       const char *location_id,
                                                       int64_t session_id, uint32_t max_ms,
                                                       coord_session *out);
/* A public call made without a client: out (if any) zeroed, as every
 * failure leaves it; COORD_ERR_INVALID_ARGUMENT. */
COORD_HIDDEN coord_status coord_session_no_client(coord_session *out);
/* The location of a session the caller holds, copied into location_id
 * (session and out_session may be the same struct); the client's record
 * says what is wrong with it (gate-controlled, no location). */
COORD_HIDDEN coord_status coord_held_session_location(coord_client *client,
                                                      const coord_session *session,
                                                      char location_id[COORD_ID_MAX]);

/* Each endpoint's result, shared by its blocking and non-blocking forms:
 * what the exchange's outcome st means. On COORD_OK the answer is decoded
 * into out (a session must be the one the call addressed: another is
 * COORD_ERR_BAD_RESPONSE, out zeroed); a refusal the endpoint knows is
 * named (gate-controlled, already ended, already active); an end's
 * recovery fetch is made a recovered end. Returns the call's status. */
COORD_HIDDEN coord_status coord_get_result(coord_exchange *ex, coord_status st,
                                           coord_session *out);
COORD_HIDDEN coord_status coord_end_result(coord_exchange *ex, coord_status st,
                                           coord_session *out);
COORD_HIDDEN coord_status coord_create_result(coord_exchange *ex, coord_status st,
                                              coord_session *out);
COORD_HIDDEN coord_status coord_list_result(coord_exchange *ex, coord_status st,
                                            coord_session_list *out);
COORD_HIDDEN coord_status coord_barcode_result(coord_exchange *ex, coord_status st,
                                               coord_redemption_info *out);
COORD_HIDDEN coord_status coord_simulate_result(coord_exchange *ex, coord_status st,
                                                coord_session *out);
/* The token into out (size bytes); the answer that carried it is wiped
 * from the transport, whatever st. */
COORD_HIDDEN coord_status coord_jwt_result(coord_exchange *ex, coord_status st, char *out,
                                           size_t size);

/* ---- client.c: what calls use of a client ---------------------------------- */

/* The client's destination and credentials, for the request builder. */
COORD_HIDDEN void coord_client_target(const coord_client *client, coord_target *out);
/* Its limits, retry policy and jitter generator. */
COORD_HIDDEN const coord_transport_config *coord_client_config(const coord_client *client);
/* What its answers' decoders may take (decode.c). */
COORD_HIDDEN void coord_client_decode_limits(const coord_client *client,
                                             coord_decode_limits *out);
COORD_HIDDEN const coord_retry_policy *coord_client_retry(const coord_client *client);
COORD_HIDDEN uint64_t *coord_client_rng(coord_client *client);
/* The client's own libcurl handle, for blocking calls. */
COORD_HIDDEN coord_transport *coord_client_transport(coord_client *client);
/* A libcurl handle for a non-blocking call, from the client's pool (or new),
 * configured with the client's TLS settings; *out_version tells which
 * settings, for coord_client_put_transport(). */
COORD_HIDDEN coord_status coord_client_take_transport(coord_client *client, coord_transport **out,
                                                      uint32_t *out_version, coord_error *err);
/* Give a handle back to the pool, or free it when the client's TLS settings
 * changed since it was taken. */
COORD_HIDDEN void coord_client_put_transport(coord_client *client, coord_transport *t,
                                             uint32_t version);
/* A blocking call starts on the client (calls nest: a wait's polls): from
 * here to coord_client_call_finished() coord_client_cancel() can cancel it.
 * Returns the flag it sets, for the transfer to watch. */
COORD_HIDDEN const int *coord_client_call_started(coord_client *client);
COORD_HIDDEN void coord_client_call_finished(coord_client *client);
/* Sleep ms milliseconds, or less when coord_client_cancel() cancels the
 * blocking call. Returns COORD_OK, or COORD_ERR_CANCELLED. */
COORD_HIDDEN coord_status coord_client_sleep(coord_client *client, uint32_t ms);
/* COORD_OK, or why calls are refused now (a pin that could not be set). */
COORD_HIDDEN coord_status coord_client_usable(coord_client *client, coord_error *err);
/* Redact the client's secrets -- the access key and the bearer token, in
 * every spelling coord_redact() knows -- from text. The one place that knows
 * which secrets a client holds: every error record a call publishes, every
 * failure recorded by a setter and every log line ends with it. */
COORD_HIDDEN void coord_client_redact(const coord_client *client, char *text, size_t size);
/* Make e (a call's finalized record: see coord_exchange_finalize) the
 * client's last-error record. */
COORD_HIDDEN void coord_client_publish(coord_client *client, const coord_error *e);
/* Record a failure in the client's record, for the public functions that
 * start no call (setters, argument checks): as coord_error_fail, secrets
 * redacted. Returns status. */
COORD_HIDDEN coord_status coord_client_fail(coord_client *client, coord_status status,
                                            const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An answer's Date header into the client's clock estimate (the exchange
 * went to libcurl at sent_wall_ms, wall clock). */
COORD_HIDDEN void coord_client_clock_sample(coord_client *client, const coord_response *r,
                                            int64_t sent_wall_ms);
/* After a failed certificate check: a sentence about the clock (see
 * coord_clock_note()) into out, or 0 when there is none to say. */
COORD_HIDDEN int coord_client_clock_note(coord_client *client, char *out, size_t size);
/* Empty the client's last-error record: the first thing every public call does. */
COORD_HIDDEN void coord_client_clear_error(coord_client *client);
/* 1 when the client has an observer: call records are made only then. */
COORD_HIDDEN int coord_client_observes(const coord_client *client);
/* Hand a call record to the client's observer (when it has one). */
COORD_HIDDEN void coord_client_observe(coord_client *client, const coord_call_record *record);
/* 1 when the client has a log callback: log lines are formatted only then. */
COORD_HIDDEN int coord_client_logs(const coord_client *client);
/* Format a message, redact the key and token, pass it to the log callback.
 * The firmware build drops the call, its format string and its arguments. */
#ifdef COORD_MINIMAL
#define coord_client_log(client, ...) ((void)(client))
#else
COORD_HIDDEN void coord_client_log(coord_client *client, coord_log_level level,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif

#endif
