/* One call, from its first attempt to its result: the per-call state that
 * the blocking front end (coord_call_run, below) and the non-blocking one
 * drive through the same steps:
 *
 *   first → [prepare → exchange → answered] → send again | recover | done
 *
 * The decision after each attempt is the pure retry step (retry.c). */
#include <string.h>

#include "internal.h"

void coord_call_begin(coord_call_state *call, coord_client *client, uint32_t max_ms,
                      const char *location_id, int64_t session_id)
{
    uint32_t total = coord_client_config(client)->timeout_ms;

    if (max_ms != 0 && max_ms < total)
        total = max_ms; /* coord_session_wait(): no poll outlives the wait */
    memset(&call->error, 0, sizeof(call->error));
    memset(&call->response, 0, sizeof(call->response));
    coord_request_init(&call->request);
    call->client = client;
    coord_client_target(client, &call->target);
    call->timeout_ms = total;
    call->deadline_ms = coord_now_ms() + total;
    call->retries = 0;
    call->answer_lost = 0;
    call->can_recover = 0;
    call->recovering = 0;
    call->detached = 0;
    /* too long to copy: "", which the request builder refuses like the
     * original; a wait's next poll begins again with the copy itself */
    if (location_id == NULL)
        call->location_id[0] = '\0';
    else if (location_id != call->location_id &&
             !coord_copy_text(call->location_id, sizeof(call->location_id), location_id))
        call->location_id[0] = '\0';
    call->session_id = session_id;
}

void coord_call_detach_target(coord_call_state *call)
{
    call->target.authorization = NULL; /* the builders then copy the token */
    call->detached = 1;
}

void coord_call_allow_recovery(coord_call_state *call)
{
    call->can_recover = 1;
}

coord_next coord_call_first(coord_call_state *call)
{
    coord_status st = coord_client_usable(call->client, &call->error);

    return st == COORD_OK ? coord_next_send(0) : coord_next_done(st);
}

int coord_call_expired(coord_call_state *call)
{
    if (coord_now_ms() < call->deadline_ms)
        return 0;
    coord_call_fail(call, COORD_ERR_TIMEOUT, "total timeout of %lu ms passed after %ld attempt(s)",
                    (unsigned long)call->timeout_ms, (long)call->error.attempts);
    return 1;
}

coord_status coord_call_prepare(coord_call_state *call, coord_transport *t)
{
    coord_transport_config cfg = *coord_client_config(call->client);
    int64_t left = call->deadline_ms - coord_now_ms();
    int32_t attempts = call->error.attempts;
    char path[COORD_URL_MAX];

    /* the record describes the last attempt, and the count the whole call */
    memset(&call->error, 0, sizeof(call->error));
    call->error.attempts = attempts;
    memset(&call->response, 0, sizeof(call->response));
    call->attempt_started_ms = coord_now_ms();
    /* each attempt gets what is left of the call's time */
    if (left < (int64_t)cfg.timeout_ms)
        cfg.timeout_ms = left > 0 ? (uint32_t)left : 1;
    if (cfg.connect_timeout_ms > cfg.timeout_ms)
        cfg.connect_timeout_ms = cfg.timeout_ms;
    if (coord_client_logs(call->client)) { /* the path without the query, which holds the key */
        coord_request_path(&call->request, path, sizeof(path));
        coord_client_log(call->client, COORD_LOG_DEBUG, "request %s %s (attempt %ld)",
                         call->request.method, path, (long)attempts + 1);
    }
    return coord_transport_prepare(t, &cfg, &call->request, &call->error);
}

/* Secrets out of one of the record's texts: the client's key and token,
 * and the token the request carries -- a non-blocking call sends its own
 * copy, and the client's may have been replaced or cleared since. */
static void redact_secrets(const coord_call_state *call, char *text, size_t size)
{
    coord_client_redact(call->client, text, size);
    coord_redact(text, size, coord_request_bearer_token(&call->request));
}

/* A non-2xx answer into the record: its HTTP status, the Coord error body
 * when it carries one, and the status that HTTP status means. */
static coord_status map_answer(coord_call_state *call)
{
    coord_error *e = &call->error;
    const coord_response *r = &call->response;
    coord_status st = coord_status_from_http(r->http_status), body;

    e->http_status = (int32_t)r->http_status;
    if (st == COORD_OK)
        return COORD_OK;
    body = coord_decode_error_body(r->body, r->body_len, &e->api_code, e->api_message,
                                   sizeof(e->api_message));
    if (body == COORD_OK) {
        e->has_api_error = 1;
        /* before it is quoted: a long echoed token would push the rest out */
        redact_secrets(call, e->api_message, sizeof(e->api_message));
        return coord_call_fail(call, st, "HTTP %ld: %s (code %ld)", r->http_status,
                               e->api_message, (long)e->api_code);
    }
    /* the HTTP status is the answer; failing to read its body does not hide it */
    if (body == COORD_ERR_OUT_OF_MEMORY)
        return coord_call_fail(call, st, "HTTP %ld; out of memory decoding its error body",
                               r->http_status);
    return coord_call_fail(call, st, "HTTP %ld (%s) without a Coord error body", r->http_status,
                           r->content_type[0] != '\0' ? r->content_type : "no Content-Type");
}

/* Append to the record's detail (a reason that no retry follows). */
static void append_detail(coord_error *e, const char *retry_after, const char *beyond)
{
    size_t n = strlen(e->detail);

    coord_set_text(e->detail + n, sizeof(e->detail) - n, "; Retry-After %s s is beyond %s",
                   retry_after, beyond);
}

/* libcurl's own resend of a request counts as an attempt of its own. */
static void count_attempt(coord_error *e, uint32_t sent)
{
    e->attempts += sent > 1 ? (int32_t)sent : 1;
}

void coord_call_abandon_attempt(coord_call_state *call, uint32_t sent)
{
    count_attempt(&call->error, sent);
}

coord_next coord_call_answered(coord_call_state *call, coord_status performed)
{
    coord_error *e = &call->error;
    const coord_response *r = &call->response;
    coord_status st = performed;
    coord_retry_state state;
    coord_next next;
    char path[COORD_URL_MAX];

    count_attempt(e, r->sent);
    if (st == COORD_OK)
        st = map_answer(call);
    else /* a status line that came before the failure (cut off, too large) */
        e->http_status = (int32_t)r->http_status;
    call->answer_lost |= coord_retry_may_have_applied(st, e->http_status, r->sent);

    state.policy = *coord_client_retry(call->client);
    state.idempotent = call->request.idempotent;
    /* a gate-controlled refusal is named, never recovered */
    state.can_recover = call->can_recover && !call->recovering &&
                        !coord_error_is_gate_refusal(e);
    state.answer_lost = call->answer_lost;
    state.attempts = (uint32_t)e->attempts;
    state.retries = call->retries;
    state.left_ms = call->deadline_ms - coord_now_ms();
    state.now_s = coord_wall_s();
    state.status = st;
    state.http_status = e->http_status;
    state.retry_after = r->retry_after;
    next = coord_retry_next(&state, coord_client_rng(call->client));

    if (next.kind == COORD_NEXT_DONE && next.retry_after_beyond != NULL)
        append_detail(e, r->retry_after, next.retry_after_beyond);
    if (next.kind == COORD_NEXT_SEND)
        call->retries++;
    redact_secrets(call, e->detail, sizeof(e->detail)); /* before a log line quotes it */
    if (!coord_client_logs(call->client))
        return next;
    coord_request_path(&call->request, path, sizeof(path));
    coord_client_log(call->client, COORD_LOG_INFO, "response %s %s: %s, HTTP %ld, %ld ms "
                     "(attempt %ld)", call->request.method, path, coord_status_name(st),
                     (long)e->http_status, (long)(coord_now_ms() - call->attempt_started_ms),
                     (long)e->attempts);
    if (next.kind == COORD_NEXT_SEND)
        coord_client_log(call->client, COORD_LOG_WARN, "retry %s %s in %lu ms after %s: %s",
                         call->request.method, path, (unsigned long)next.delay_ms,
                         coord_status_name(st), e->detail);
    else if (next.kind == COORD_NEXT_DONE && st != COORD_OK)
        coord_client_log(call->client, COORD_LOG_ERROR, "%s %s failed after %ld attempt(s): %s: %s",
                         call->request.method, path, (long)e->attempts, coord_status_name(st),
                         e->detail);
    return next;
}

coord_next coord_call_recover(coord_call_state *call)
{
    coord_status st;

    coord_client_log(call->client, COORD_LOG_INFO, "end of session %lld: an answer was lost "
                     "and the retry found it ended; fetching it", (long long)call->session_id);
    coord_request_free(&call->request);
    coord_client_target(call->client, &call->target); /* the token in force now */
    if (call->detached)
        coord_call_detach_target(call);
    call->recovering = 1;
    call->retries = 0;
    st = coord_request_get_session(&call->request, &call->target, call->location_id,
                                   call->session_id, &call->error);
    return st == COORD_OK ? coord_next_send(0) : coord_next_done(st);
}

/* The blocking front end's steps; *cancel is set by coord_client_cancel(). */
static coord_status run_blocking(coord_call_state *call, const int *cancel)
{
    coord_transport *t = coord_client_transport(call->client);
    coord_next next = coord_call_first(call);
    coord_status st;

    for (;;) {
        switch (next.kind) {
        case COORD_NEXT_DONE:
            return next.status;
        case COORD_NEXT_RECOVER:
            next = coord_call_recover(call);
            break;
        case COORD_NEXT_SEND:
            if (next.delay_ms > 0 && coord_client_sleep(call->client, next.delay_ms) != COORD_OK)
                return coord_call_fail(call, COORD_ERR_CANCELLED,
                                       "cancelled by coord_client_cancel() after %ld attempt(s)",
                                       (long)call->error.attempts);
            if (coord_call_expired(call))
                return COORD_ERR_TIMEOUT;
            st = coord_call_prepare(call, t);
            if (st == COORD_OK)
                st = coord_transport_perform(t, cancel, &call->response, &call->error);
            next = coord_call_answered(call, st);
            break;
        }
    }
}

coord_status coord_call_run(coord_call_state *call)
{
    const int *cancel = coord_client_call_started(call->client);
    coord_status st = run_blocking(call, cancel);

    coord_client_call_finished(call->client);
    return st;
}

coord_status coord_call_finalize(coord_call_state *call, coord_status st)
{
    call->error.status = (int32_t)st;
    /* last, whatever wrote the texts: no writer can put a secret past this */
    redact_secrets(call, call->error.detail, sizeof(call->error.detail));
    redact_secrets(call, call->error.api_message, sizeof(call->error.api_message));
    coord_request_free(&call->request);
    return st;
}

coord_status coord_call_end(coord_call_state *call, coord_status st)
{
    coord_call_finalize(call, st);
    coord_client_publish(call->client, &call->error);
    return st;
}
