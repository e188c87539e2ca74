/* What the library's files share, and nothing more. Not installed. */
#ifndef COORD_INTERNAL_H
#define COORD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "coord/coord.h"

#define COORD_HIDDEN __attribute__((visibility("hidden")))
/* Error paths: gcc optimises these functions, and the paths that lead to
 * them, for size and moves them out of the hot code. */
#define COORD_COLD __attribute__((cold))

/* Upper bounds on what a caller may configure. */
#define COORD_URL_MAX 2048u
#define COORD_KEY_MAX 1024u
#define COORD_USER_AGENT_MAX 256u
#define COORD_MIN_RESPONSE_SIZE 1024u
#define COORD_MAX_RESPONSE_SIZE (64u * 1024u * 1024u)
#define COORD_REQUEST_MAX_HEADERS 4u
#define COORD_PATH_MAX 4096u        /* CA file or directory path */
#define COORD_PIN_MAX 512u          /* a few "sha256//..." pins joined by ';' */

/* ---- COORD_MINIMAL: the firmware build (make MINIMAL=1) -------------------
 * Logging text, log callbacks and debug hooks go inside #ifndef COORD_MINIMAL
 * so that the firmware build carries neither their code nor their strings.
 * Public functions stay (the ABI does not depend on the build); what they
 * would log is simply not produced. Statuses and the last-error record are
 * not logging: they are identical in both builds. */

/* ---- ABI: sizes frozen within SONAME 1 (see "ABI" in coord.h) ------------- */

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
/* Around a cJSON parse: begin watches cJSON's allocations on this thread;
 * end returns COORD_ERR_OUT_OF_MEMORY when one of them failed since (the
 * parse's NULL then means out of memory, not malformed JSON), else COORD_OK. */
COORD_HIDDEN void coord_json_alloc_begin(void);
COORD_HIDDEN coord_status coord_json_alloc_end(void);

/* ---- util.c: text checks and secret handling ----------------------------- */

/* 1 when s is non-NULL, 1..max-1 bytes long, and free of control characters. */
COORD_HIDDEN int coord_text_ok(const char *s, size_t max);
/* Overwrite n bytes so that the compiler cannot drop the stores. */
COORD_HIDDEN void coord_wipe(void *p, size_t n);
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
 * tail too. Cold: error and log text only. */
COORD_HIDDEN COORD_COLD void coord_redact(char *text, size_t size, const char *secret);
/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). cJSON does not check this. */
COORD_HIDDEN int coord_utf8_valid(const char *s, size_t n);
/* Replace control characters and bytes of malformed UTF-8 with '?', in place:
 * server text is made safe to show and to log. */
COORD_HIDDEN void coord_text_clean(char *s);
/* snprintf into a fixed buffer, tolerating NULL/0 destinations. */
COORD_HIDDEN COORD_COLD void coord_set_text(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- request.c: pure request building ------------------------------------ */

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
 * secrets. The URL lives in url_buf (no allocation per call); headers point at
 * literals, the target's authorization line, or owned_header. body is borrowed. */
typedef struct coord_request {
    const char *method;
    char *url; /* url_buf once built, NULL otherwise; holds the access key */
    const char *headers[COORD_REQUEST_MAX_HEADERS];
    size_t header_count;
    const char *body;
    size_t body_len;
    int idempotent; /* may be sent again after a lost answer; from the method, POST: 0 */
    char *owned_body; /* the body when the builder made it; freed with the request */
    char *owned_header; /* an Authorization line formatted here, or NULL */
    char url_buf[COORD_URL_MAX];
} coord_request;

/* Build method + URL base/seg1/seg2/...?access_key=KEY, every segment and
 * the key escaped by libcurl, plus the headers. On failure out is left
 * empty (safe to free) and detail says why, never quoting the key. */
COORD_HIDDEN coord_status coord_request_build(coord_request *out, const coord_target *target,
                                              const char *method,
                                              const char *const *segments, size_t nsegments,
                                              const char *body, size_t body_len,
                                              char *detail, size_t detail_size);
/* PUT {base}/{location_id}/session/{session_id}/end, arguments validated. */
COORD_HIDDEN coord_status coord_request_end_session(coord_request *out,
                                                    const coord_target *target,
                                                    const char *location_id,
                                                    int64_t session_id,
                                                    char *detail, size_t detail_size);
/* GET {base}/{location_id}/session/{session_id}, arguments validated. */
COORD_HIDDEN coord_status coord_request_get_session(coord_request *out,
                                                    const coord_target *target,
                                                    const char *location_id,
                                                    int64_t session_id,
                                                    char *detail, size_t detail_size);
COORD_HIDDEN void coord_request_free(coord_request *req);
/* The request's path, as sent but without the query (which holds the key):
 * what logs may show. Truncated to size. */
COORD_HIDDEN void coord_request_path(const coord_request *req, char *out, size_t size);

/* Session lifecycle requests (issue 3); each validates its arguments. The
 * body, when there is one, is owned by the request (owned_body). */
COORD_HIDDEN coord_status coord_request_create_session(coord_request *out,
                                                       const coord_target *target,
                                                       const char *location_id,
                                                       const char *resource_id,
                                                       char *detail, size_t detail_size);
/* GET {base}/{location_id}/session, or GET {base}/session when location_id is NULL */
COORD_HIDDEN coord_status coord_request_list_sessions(coord_request *out,
                                                      const coord_target *target,
                                                      const char *location_id,
                                                      char *detail, size_t detail_size);
COORD_HIDDEN coord_status coord_request_create_barcode(coord_request *out,
                                                       const coord_target *target,
                                                       char *detail, size_t detail_size);
COORD_HIDDEN coord_status coord_request_simulate_redemption(coord_request *out,
                                                            const coord_target *target,
                                                            const char *location_id,
                                                            int64_t session_id,
                                                            uint32_t duration_m,
                                                            char *detail, size_t detail_size);
/* POST {scheme://host[:port]}/v1/users/testing/create_jwt: the base URL's
 * path is replaced (libcurl's URL API parses it). */
COORD_HIDDEN coord_status coord_request_create_jwt(coord_request *out,
                                                   const coord_target *target,
                                                   const char *email, const char *external_uid,
                                                   char *detail, size_t detail_size);

/* ---- transport_curl.c: the only user of the libcurl easy API -------------- */

typedef struct coord_transport coord_transport;

typedef struct coord_transport_config {
    const char *user_agent;
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    uint32_t max_response_size;
} coord_transport_config;

/* An answer: status and body (NUL-terminated, owned by the transport and
 * valid until its next perform or free). */
typedef struct coord_response {
    long http_status;
    const char *body;
    size_t body_len;
    uint32_t sent;          /* times the request went out (0: never connected) */
    char content_type[64];  /* "" when absent or longer */
    char retry_after[64];   /* the Retry-After header's value, "" when absent */
} coord_response;

COORD_HIDDEN coord_status coord_transport_new(coord_transport **out);
COORD_HIDDEN void coord_transport_free(coord_transport *t);
/* Trust anchors: both NULL restores libcurl's built-in defaults; otherwise
 * exactly the given file and/or directory are trusted (a NULL one is off),
 * so that a configured private CA never silently adds the system store. */
COORD_HIDDEN coord_status coord_transport_set_trust(coord_transport *t, const char *ca_file,
                                                    const char *ca_path,
                                                    char *detail, size_t detail_size);
/* Public-key pin list ("sha256//..."[;...]); NULL removes the pin. */
COORD_HIDDEN coord_status coord_transport_set_pin(coord_transport *t, const char *pin,
                                                  char *detail, size_t detail_size);
/* Overwrite the kept response body (after it carried a secret). */
COORD_HIDDEN void coord_transport_wipe_body(coord_transport *t);
/* Perform one exchange on the transport's reused handle. Any HTTP status
 * is COORD_OK here; the caller maps it. */
COORD_HIDDEN coord_status coord_transport_perform(coord_transport *t,
                                                  const coord_transport_config *cfg,
                                                  const coord_request *req,
                                                  coord_response *out,
                                                  char *detail, size_t detail_size);

/* ---- decode.c: pure cJSON -> typed structs -------------------------------- */
/* Each decoder fills out on COORD_OK and leaves it zeroed otherwise, with
 * err->status and err->detail saying why (no other field of err is touched). */

COORD_HIDDEN coord_status coord_decode_session(const char *json, size_t len,
                                               coord_session *out, coord_error *err);
/* A Coord error body {"code": int32, "message": string}. COORD_OK only when
 * the text is such a body; message is truncated to fit. */
COORD_HIDDEN coord_status coord_decode_error_body(const char *json, size_t len,
                                                  int32_t *out_code,
                                                  char *out_message, size_t message_size);

/* Session lifecycle (issue 3). */
COORD_HIDDEN coord_status coord_decode_session_list(const char *json, size_t len,
                                                    coord_session_list *out,
                                                    coord_error *err);
/* {"data": string, "format": string}, both required. */
COORD_HIDDEN coord_status coord_decode_barcode(const char *json, size_t len,
                                               coord_redemption_info *out,
                                               coord_error *err);
/* {"jwt_token": string}: copied into out (size bytes); every other copy the
 * decoder made is wiped. COORD_ERR_INVALID_ARGUMENT when it does not fit. */
COORD_HIDDEN coord_status coord_decode_jwt(const char *json, size_t len,
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
/* Sleep ms milliseconds; a signal that cuts the sleep short does not shorten it. */
COORD_HIDDEN void coord_sleep_ms(uint64_t ms);
/* A Retry-After value as a delay from now_s (seconds since the epoch):
 * delay-seconds, or an HTTP-date in any of RFC 9110's three forms (read by
 * curl_getdate; a past date is 0). A delay too large to count in
 * milliseconds saturates at UINT64_MAX: it is still a delay beyond any cap.
 * Returns 0, or -1 when the value is neither (out_ms untouched). */
COORD_HIDDEN int coord_retry_after_parse(const char *value, int64_t now_s, uint64_t *out_ms);

/* ---- retry.c: pure retry policy ------------------------------------------ */

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

/* ---- status.c ------------------------------------------------------------ */

/* Values of coord_status: raise it with every status appended to the enum
 * (status.c's table of names and texts checks it at compile time). */
#define COORD_STATUS_COUNT ((unsigned)COORD_ERR_SESSION_ACTIVE + 1u)

/* Status for a non-2xx HTTP answer (before endpoint-specific refinement). */
COORD_HIDDEN coord_status coord_status_from_http(long http_status);
/* Record a failure in e: its status, and its detail formatted from fmt
 * (truncated to fit). Touches no other field of e. Returns status. */
COORD_HIDDEN coord_status coord_error_fail(coord_error *e, coord_status status,
                                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- client.c: what endpoints use ----------------------------------------- */

/* Clear the client's last-error record; call first in every public call. */
COORD_HIDDEN void coord_call_begin(coord_client *client);
/* Redact the client's secrets -- the access key and the bearer token, in
 * every spelling coord_redact() knows -- from text. The one place that knows
 * which secrets a client holds: every write to the error record (detail,
 * api_message) and every log line ends with it. */
COORD_HIDDEN COORD_COLD void coord_client_redact(const coord_client *client, char *text,
                                                 size_t size);
/* Record a failure (status + formatted detail, secrets redacted); returns status. */
COORD_HIDDEN COORD_COLD coord_status coord_call_fail(coord_client *client, coord_status status,
                                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The client's destination and credentials, for the request builder. */
COORD_HIDDEN void coord_client_target(const coord_client *client, coord_target *out);
/* Send req; on a 2xx answer return COORD_OK with the body in out. Otherwise
 * record the HTTP status, the Coord error body and the mapped status. */
COORD_HIDDEN coord_status coord_client_send(coord_client *client, const coord_request *req,
                                            coord_response *out);
/* Record a status (and detail) built by a pure stage: request or decode. */
COORD_HIDDEN COORD_COLD coord_status coord_call_fail_detail(coord_client *client, coord_status status,
                                                 const char *detail);
/* The record, writable by endpoints that refine a status. */
COORD_HIDDEN coord_error *coord_client_error(coord_client *client);
/* Did an attempt of this call that the server may have carried out get no
 * answer (see coord_retry_may_have_applied)? Reset by coord_call_begin. */
COORD_HIDDEN int coord_client_answer_lost(const coord_client *client);
/* Format a message, redact the key and token, pass it to the log callback.
 * The firmware build drops the call, its format string and its arguments. */
#ifdef COORD_MINIMAL
#define coord_client_log(client, ...) ((void)(client))
#else
COORD_HIDDEN COORD_COLD void coord_client_log(coord_client *client, coord_log_level level,
                                              const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif
/* Cap the connect and total timeouts of the client's next calls at max_ms
 * (0 removes the cap); used by coord_session_wait() to honour its deadline. */
COORD_HIDDEN void coord_client_cap_timeouts(coord_client *client, uint32_t max_ms);
/* The send step of an endpoint: req was built with status `built` (detail
 * says why building failed); send it as coord_client_send() does, then free it. */
COORD_HIDDEN coord_status coord_client_send_built(coord_client *client, coord_status built,
                                                  coord_request *req, const char *detail,
                                                  coord_response *out);
/* Wipe the last response body kept by the transport (it held a secret). */
COORD_HIDDEN void coord_client_wipe_response(coord_client *client);

#endif
