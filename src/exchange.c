/* The engine: one API call, from its first attempt to its result. The
 * blocking front end (coord_exchange_run, below) and the non-blocking one
 * (loop.c) drive an exchange through the same steps:
 *
 *   first → [prepare → transfer → answered] → send again | recover | done
 *
 * The decision after each attempt is the pure retry step (retry.c). */
#include <string.h>

#include "internal.h"

/* The client's URL and credentials as they are now. An exchange that owns
 * its credentials borrows no Authorization line: its requests format their
 * own from the token. */
static void take_target(coord_exchange *ex)
{
    coord_client_target(ex->client, &ex->target);
    if (ex->owns_credentials)
        ex->target.authorization = NULL;
}

/* What every start shares: nothing done yet, the deadline from now. */
static void start(coord_exchange *ex, uint32_t max_ms)
{
    uint32_t total = coord_client_config(ex->client)->timeout_ms;
    int64_t now_us = coord_now_us();

    if (max_ms != 0 && max_ms < total)
        total = max_ms; /* coord_session_wait(): no poll outlives the wait */
    coord_request_init(&ex->request, ex->url_buf);
    ex->transport = NULL;
    memset(&ex->response, 0, sizeof(ex->response));
    memset(&ex->error, 0, sizeof(ex->error));
    memset(&ex->progress, 0, sizeof(ex->progress));
    ex->progress.started_us = now_us;
    ex->progress.timeout_ms = total;
    ex->progress.deadline_ms = now_us / 1000 + total;
    take_target(ex);
}

void coord_exchange_begin(coord_exchange *ex, coord_client *client, coord_operation operation,
                          uint32_t max_ms, const char *location_id, int64_t session_id)
{
    ex->client = client;
    ex->owns_credentials = 0;
    ex->operation = operation;
    ex->call_id = 0;
    ex->queued_us = 0;
    /* too long to copy: "", which the request builder refuses like the original */
    if (location_id == NULL ||
        !coord_copy_text(ex->location_id, sizeof(ex->location_id), location_id))
        ex->location_id[0] = '\0';
    ex->session_id = session_id;
    start(ex, max_ms);
}

void coord_exchange_own_credentials(coord_exchange *ex)
{
    ex->owns_credentials = 1;
    take_target(ex);
}

void coord_exchange_again(coord_exchange *ex, uint32_t max_ms)
{
    coord_request_free(&ex->request);
    start(ex, max_ms);
}

void coord_exchange_allow_recovery(coord_exchange *ex)
{
    ex->progress.can_recover = 1;
}

coord_next coord_exchange_first(coord_exchange *ex)
{
    coord_status st = coord_client_usable(ex->client, &ex->error);

    return st == COORD_OK ? coord_next_send(0) : coord_next_done(st);
}

int coord_exchange_expired(coord_exchange *ex)
{
    if (coord_now_ms() < ex->progress.deadline_ms)
        return 0;
    coord_exchange_fail(ex, COORD_ERR_TIMEOUT, "total timeout of %lu ms passed after %ld "
                        "attempt(s)", (unsigned long)ex->progress.timeout_ms,
                        (long)ex->error.attempts);
    return 1;
}

coord_status coord_exchange_prepare(coord_exchange *ex, coord_transport *t)
{
    coord_transport_config cfg = *coord_client_config(ex->client);
    int64_t left = ex->progress.deadline_ms - coord_now_ms();
    int32_t attempts = ex->error.attempts;
    char path[COORD_URL_MAX];

    /* the record describes the last attempt, and the count the whole call */
    memset(&ex->error, 0, sizeof(ex->error));
    ex->error.attempts = attempts;
    memset(&ex->response, 0, sizeof(ex->response));
    ex->transport = t;
    ex->progress.attempt_started_ms = coord_now_ms();
    ex->progress.attempt_wall_ms = coord_wall_ms();
    /* each attempt gets what is left of the call's time */
    if (left < (int64_t)cfg.timeout_ms)
        cfg.timeout_ms = left > 0 ? (uint32_t)left : 1;
    if (cfg.connect_timeout_ms > cfg.timeout_ms)
        cfg.connect_timeout_ms = cfg.timeout_ms;
    cfg.observed = coord_client_observes(ex->client);
    if (coord_client_logs(ex->client)) { /* the path without the query, which holds the key */
        coord_request_path(&ex->request, path, sizeof(path));
        coord_client_log(ex->client, COORD_LOG_DEBUG, "request %s %s (attempt %ld)",
                         ex->request.method, path, (long)attempts + 1);
    }
    return coord_transport_prepare(t, &cfg, &ex->request, &ex->error);
}

/* Secrets out of one of the record's texts: the client's key and token,
 * and the token the request carries -- a non-blocking call sends its own
 * copy, and the client's may have been replaced or cleared since. */
static void redact_secrets(const coord_exchange *ex, char *text, size_t size)
{
    coord_client_redact(ex->client, text, size);
    coord_redact(text, size, coord_request_bearer_token(&ex->request));
}

/* A non-2xx answer into the record: its HTTP status, the Coord error body
 * when it carries one, and the status that HTTP status means. */
static coord_status map_answer(coord_exchange *ex)
{
    coord_error *e = &ex->error;
    const coord_response *r = &ex->response;
    coord_status st = coord_status_from_http(r->http_status), body;

    e->http_status = (int32_t)r->http_status;
    if (st == COORD_OK)
        return COORD_OK;
    body = coord_decode_error_body(r->body, r->body_len, &e->api_code, e->api_message,
                                   sizeof(e->api_message));
    if (body == COORD_OK) {
        e->has_api_error = 1;
        /* before it is quoted: a long echoed token would push the rest out */
        redact_secrets(ex, e->api_message, sizeof(e->api_message));
        return coord_exchange_fail(ex, st, "HTTP %ld: %s (code %ld)", r->http_status,
                                   e->api_message, (long)e->api_code);
    }
    /* the HTTP status is the answer; failing to read its body does not hide it */
    if (body == COORD_ERR_OUT_OF_MEMORY)
        return coord_exchange_fail(ex, st, "HTTP %ld; out of memory decoding its error body",
                                   r->http_status);
    return coord_exchange_fail(ex, st, "HTTP %ld (%s) without a Coord error body",
                               r->http_status,
                               r->content_type[0] != '\0' ? r->content_type : "no Content-Type");
}

/* Append to the record's detail (a reason that no retry follows). */
static void append_detail(coord_error *e, const char *retry_after, const char *beyond)
{
    size_t n = strlen(e->detail);

    coord_set_text(e->detail + n, sizeof(e->detail) - n, "; Retry-After %s s is beyond %s",
                   retry_after, beyond);
}

/* A certificate that failed its check because the local clock is wrong
 * looks like any other failed check: say what the clock reads when that
 * may be why. */
static void note_clock(coord_exchange *ex)
{
    coord_error *e = &ex->error;
    char note[COORD_MESSAGE_MAX];
    size_t n = strlen(e->detail);

    if (coord_client_clock_note(ex->client, note, sizeof(note)))
        coord_set_text(e->detail + n, sizeof(e->detail) - n, "; %s", note);
}

/* libcurl's own resend of a request counts as an attempt of its own. */
static void count_attempt(coord_error *e, uint32_t sent)
{
    e->attempts += sent > 1 ? (int32_t)sent : 1;
}

void coord_exchange_abandon_attempt(coord_exchange *ex, uint32_t sent)
{
    count_attempt(&ex->error, sent);
}

/* What the retry step reads of the exchange after an attempt that ended
 * with st. */
static coord_retry_state retry_state(coord_exchange *ex, coord_status st)
{
    const coord_exchange_progress *p = &ex->progress;
    coord_retry_state state;

    state.policy = *coord_client_retry(ex->client);
    state.idempotent = ex->request.idempotent;
    /* a gate-controlled refusal is named, never recovered */
    state.can_recover = p->can_recover && !p->recovering &&
                        !coord_error_is_gate_refusal(&ex->error);
    state.answer_lost = p->answer_lost;
    state.attempts = (uint32_t)ex->error.attempts;
    state.retries = p->retries;
    state.left_ms = p->deadline_ms - coord_now_ms();
    state.now_s = coord_wall_s();
    state.status = st;
    state.http_status = ex->error.http_status;
    state.retry_after = ex->response.retry_after;
    return state;
}

/* The attempt's log lines: its answer, then the retry or the failure that
 * follows it. The record's texts are redacted already. */
static void log_answer(coord_exchange *ex, coord_status st, coord_next next)
{
    char path[COORD_URL_MAX];

    if (!coord_client_logs(ex->client))
        return;
    coord_request_path(&ex->request, path, sizeof(path));
    coord_client_log(ex->client, COORD_LOG_INFO, "response %s %s: %s, HTTP %ld, %ld ms "
                     "(attempt %ld)", ex->request.method, path, coord_status_name(st),
                     (long)ex->error.http_status,
                     (long)(coord_now_ms() - ex->progress.attempt_started_ms),
                     (long)ex->error.attempts);
    if (next.kind == COORD_NEXT_SEND)
        coord_client_log(ex->client, COORD_LOG_WARN, "retry %s %s in %lu ms after %s: %s",
                         ex->request.method, path, (unsigned long)next.delay_ms,
                         coord_status_name(st), ex->error.detail);
    else if (next.kind == COORD_NEXT_DONE && st != COORD_OK)
        coord_client_log(ex->client, COORD_LOG_ERROR, "%s %s failed after %ld attempt(s): %s: "
                         "%s", ex->request.method, path, (long)ex->error.attempts,
                         coord_status_name(st), ex->error.detail);
}

/* A retry follows an attempt that ended with st: counted for the backoff
 * and, with its reason, for the record. */
static void note_retry(coord_exchange_progress *p, coord_status st, int32_t http_status)
{
    if (p->retried < COORD_RECORD_RETRIES_MAX) {
        p->retry_reasons[p->retried].status = (int32_t)st;
        p->retry_reasons[p->retried].http_status = http_status;
    }
    p->retried++;
    p->retries++;
}

coord_next coord_exchange_answered(coord_exchange *ex, coord_status performed)
{
    coord_error *e = &ex->error;
    const coord_response *r = &ex->response;
    coord_status st = performed;
    coord_retry_state state;
    coord_next next;

    count_attempt(e, r->sent);
    if (coord_client_observes(ex->client) && ex->transport != NULL)
        ex->progress.connections += coord_transport_connects(ex->transport);
    if (r->has_date)
        coord_client_clock_sample(ex->client, r, ex->progress.attempt_wall_ms);
    if (r->cert_failed)
        note_clock(ex);
    if (st == COORD_OK)
        st = map_answer(ex);
    else /* a status line that came before the failure (cut off, too large) */
        e->http_status = (int32_t)r->http_status;
    ex->progress.answer_lost |= coord_retry_may_have_applied(st, e->http_status, r->sent);

    state = retry_state(ex, st);
    next = coord_retry_next(&state, coord_client_rng(ex->client));
    if (next.kind == COORD_NEXT_DONE && next.retry_after_beyond != NULL)
        append_detail(e, r->retry_after, next.retry_after_beyond);
    if (next.kind == COORD_NEXT_SEND)
        note_retry(&ex->progress, st, e->http_status);
    redact_secrets(ex, e->detail, sizeof(e->detail)); /* before a log line quotes it */
    log_answer(ex, st, next);
    return next;
}

coord_next coord_exchange_recover(coord_exchange *ex)
{
    coord_status st;

    coord_client_log(ex->client, COORD_LOG_INFO, "end of session %lld: an answer was lost "
                     "and the retry found it ended; fetching it", (long long)ex->session_id);
    coord_request_free(&ex->request);
    take_target(ex); /* the token in force now */
    ex->progress.recovering = 1;
    ex->progress.retries = 0;
    st = coord_request_get_session(&ex->request, &ex->target, ex->location_id, ex->session_id,
                                   &ex->error);
    return st == COORD_OK ? coord_next_send(0) : coord_next_done(st);
}

/* The blocking front end's steps; *cancel is set by coord_client_cancel(). */
static coord_status run_blocking(coord_exchange *ex, const int *cancel)
{
    coord_transport *t = coord_client_transport(ex->client);
    coord_next next = coord_exchange_first(ex);
    coord_status st;

    for (;;) {
        switch (next.kind) {
        case COORD_NEXT_DONE:
            return next.status;
        case COORD_NEXT_RECOVER:
            next = coord_exchange_recover(ex);
            break;
        case COORD_NEXT_SEND:
            if (next.delay_ms > 0 && coord_client_sleep(ex->client, next.delay_ms) != COORD_OK)
                return coord_exchange_fail(ex, COORD_ERR_CANCELLED, "cancelled by "
                                           "coord_client_cancel() after %ld attempt(s)",
                                           (long)ex->error.attempts);
            if (coord_exchange_expired(ex))
                return COORD_ERR_TIMEOUT;
            st = coord_exchange_prepare(ex, t);
            if (st == COORD_OK)
                st = coord_transport_perform(t, cancel, &ex->response, &ex->error);
            next = coord_exchange_answered(ex, st);
            break;
        }
    }
}

coord_status coord_exchange_run(coord_exchange *ex)
{
    const int *cancel = coord_client_call_started(ex->client);
    coord_status st = run_blocking(ex, cancel);

    coord_client_call_finished(ex->client);
    return st;
}

/* The call record of an exchange that ended with st. */
static void make_record(coord_exchange *ex, coord_status st, coord_call_record *r)
{
    const coord_exchange_progress *p = &ex->progress;

    memset(r, 0, sizeof(*r));
    r->size = (uint32_t)sizeof(*r);
    r->operation = (int32_t)ex->operation;
    r->session_id = ex->session_id;
    /* the text, not the buffer: the bytes past its end are not the record's */
    coord_copy_text(r->location_id, sizeof(r->location_id), ex->location_id);
    r->call_id = ex->call_id;
    r->status = (int32_t)st;
    r->http_status = ex->error.http_status;
    r->attempts = ex->error.attempts;
    r->retries = p->retried;
    memcpy(r->retry_reasons, p->retry_reasons, sizeof(r->retry_reasons));
    r->recovered = p->recovering ? 1 : 0;
    r->connections_opened = p->connections;
    r->queued_us = ex->queued_us;
    r->elapsed_us = coord_now_us() - p->started_us;
    if (ex->transport != NULL)
        coord_transport_observe(ex->transport, r);
    /* a server may echo anything in its request id, a token included */
    redact_secrets(ex, r->request_id, sizeof(r->request_id));
}

void coord_exchange_observe(coord_exchange *ex, coord_status st)
{
    coord_call_record record;

    /* no request built and none sent: arguments refused, nothing to observe */
    if (!coord_client_observes(ex->client) || ex->progress.observed ||
        (ex->request.method == NULL && ex->error.attempts == 0))
        return;
    make_record(ex, st, &record);
    ex->progress.observed = 1;
    ex->queued_us = 0; /* a wait's later polls were not queued */
    coord_client_observe(ex->client, &record);
}

coord_status coord_exchange_finalize(coord_exchange *ex, coord_status st)
{
    ex->error.status = (int32_t)st;
    /* last, whatever wrote the texts: no writer can put a secret past this */
    redact_secrets(ex, ex->error.detail, sizeof(ex->error.detail));
    redact_secrets(ex, ex->error.api_message, sizeof(ex->error.api_message));
    coord_exchange_observe(ex, st);
    coord_request_free(&ex->request);
    return st;
}

coord_status coord_exchange_end(coord_exchange *ex, coord_status st)
{
    coord_exchange_finalize(ex, st);
    coord_client_publish(ex->client, &ex->error);
    return st;
}

/* Indexed by coord_operation: one name per value. */
static const char *const operation_names[] = {
    "unknown", "end", "create", "get", "list_location", "list_user", "wait_poll",
    "barcode", "simulate_redemption", "create_jwt",
};
typedef char coord_operation_names_cover_the_enum[
    sizeof(operation_names) / sizeof(operation_names[0]) == (size_t)COORD_OP_CREATE_JWT + 1 ? 1
                                                                                          : -1];

const char *coord_operation_name(int32_t operation)
{
    if (operation < 0 ||
        (size_t)operation >= sizeof(operation_names) / sizeof(operation_names[0]))
        return operation_names[0];
    return operation_names[operation];
}
