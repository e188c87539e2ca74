/* The session endpoints, each in both forms: its X_result() function
 * says what the exchange's outcome means, and the blocking form (begin,
 * build, run, result) and the non-blocking one (begin, build, hand the call
 * to its loop; X_complete: result, then coord_call_deliver) share it.
 * The lists are in lists.c, the sandbox's calls in testing.c. A static
 * program of blocking calls links none of the loop when it is linked with
 * --gc-sections (docs/BUILDING.md "Static programs"). */
#include <string.h>

#include "internal.h"

/* ---- shared by the calls that answer one session (testing.c's too) ---- */

coord_status coord_session_exchange_begin(coord_exchange *ex, coord_client *client,
                                          coord_operation operation, const char *location_id,
                                          int64_t session_id, uint32_t max_ms,
                                          coord_session *out)
{
    coord_exchange_begin(ex, client, operation, max_ms, location_id, session_id);
    if (out == NULL)
        return coord_exchange_fail(ex, COORD_ERR_INVALID_ARGUMENT, "out_session is NULL");
    memset(out, 0, sizeof(*out));
    return COORD_OK;
}

/* A 2xx answer that is a session at the location the call addressed (its
 * default when the answer names none). A session elsewhere is a bad answer:
 * a confused or hostile server must not have the caller act on a session
 * it did not ask about. */
static coord_status session_at_location(coord_exchange *ex, coord_session *out)
{
    coord_decode_limits limits;
    coord_status st;

    coord_client_decode_limits(ex->client, &limits);
    st = coord_decode_session(ex->response.body, ex->response.body_len, &limits, out,
                              &ex->error);
    if (st != COORD_OK)
        return st;
    if (out->location_id[0] == '\0') { /* the builder checked that it fits */
        coord_copy_text(out->location_id, sizeof(out->location_id), ex->location_id);
    } else if (strcmp(out->location_id, ex->location_id) != 0) {
        memset(out, 0, sizeof(*out));
        return coord_exchange_fail(ex, COORD_ERR_BAD_RESPONSE, "the answer is a session at "
                               "another location than %s", ex->location_id);
    }
    return COORD_OK;
}

/* A 2xx answer that is the session the call addressed. */
static coord_status the_session(coord_exchange *ex, coord_session *out)
{
    coord_status st = session_at_location(ex, out);

    if (st == COORD_OK && out->id != ex->session_id) {
        st = coord_exchange_fail(ex, COORD_ERR_BAD_RESPONSE, "the answer is session %lld, not "
                             "%lld", (long long)out->id, (long long)ex->session_id);
        memset(out, 0, sizeof(*out));
    }
    return st;
}

coord_status coord_session_no_client(coord_session *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    return COORD_ERR_INVALID_ARGUMENT;
}

/* ---- end ---- */

/* The end's fetch after a lost answer (coord_exchange_recover) came back with st. */
static coord_status recovered_end(coord_exchange *ex, coord_status st, coord_session *out)
{
    char why[COORD_MESSAGE_MAX];

    if (st == COORD_OK)
        st = the_session(ex, out);
    if (st == COORD_OK && !out->has_end_time)
        st = coord_exchange_fail(ex, COORD_ERR_BAD_RESPONSE,
                             "session was refused as ended but has no end_time");
    if (st == COORD_OK) {
        out->recovered = 1;
        return COORD_OK;
    }
    memset(out, 0, sizeof(*out));
    coord_copy_text(why, sizeof(why), ex->error.detail); /* it is rewritten below */
    return coord_exchange_fail(ex, COORD_ERR_ALREADY_ENDED, "session already ended, probably by "
                           "this call's lost attempt; fetching it failed: %s", why);
}

/* The session and its bill, a recovered end, or a named refusal
 * (gate-controlled, already ended). */
coord_status coord_end_result(coord_exchange *ex, coord_status st, coord_session *out)
{
    if (st == COORD_ERR_CANCELLED)
        return st;
    if (ex->progress.recovering)
        return recovered_end(ex, st, out);
    if (st == COORD_OK)
        return the_session(ex, out);
    if (coord_error_is_gate_refusal(&ex->error))
        return COORD_ERR_PHYSICAL_CHECKOUT;
    /* 409 with an answer: the end of this call's own lost attempt is recovered above */
    if (st == COORD_ERR_REFUSED && ex->error.http_status == 409)
        return COORD_ERR_ALREADY_ENDED;
    return st;
}

coord_status coord_end_session(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    coord_exchange ex;
    coord_status st;

    if (client == NULL)
        return coord_session_no_client(out_session);
    st = coord_session_exchange_begin(&ex, client, COORD_OP_END_SESSION, location_id,
                                      session_id, 0, out_session);
    if (st == COORD_OK)
        st = coord_request_end_session(&ex.request, &ex.target, ex.location_id, session_id,
                                       &ex.error);
    if (st == COORD_OK) {
        coord_exchange_allow_recovery(&ex); /* the replay-safe end */
        st = coord_end_result(&ex, coord_exchange_run(&ex), out_session);
    }
    return coord_exchange_end(&ex, st);
}

/* The location of a session the caller holds, copied into location_id
 * (session and out_session may be the same struct); the client's record
 * says what is wrong with it. */
coord_status coord_held_session_location(coord_client *client, const coord_session *session,
                                         char location_id[COORD_ID_MAX])
{
    if (session->has_redemption_info)
        return coord_client_fail(client, COORD_ERR_PHYSICAL_CHECKOUT,
                                 "session %lld at %s carries redemption_info: "
                                 "it is ended at the gate, not through the API",
                                 (long long)session->id,
                                 memchr(session->location_id, '\0', COORD_ID_MAX) != NULL
                                     ? session->location_id : "?");
    if (!coord_copy_text(location_id, COORD_ID_MAX, session->location_id))
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "session location_id is not terminated");
    if (location_id[0] == '\0')
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "session has no location_id");
    return COORD_OK;
}

coord_status coord_session_end(coord_client *client, const coord_session *session,
                               coord_session *out_session)
{
    char location_id[COORD_ID_MAX];
    coord_status st;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (session == NULL || out_session == NULL)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "session and out_session must not be NULL");
    st = coord_held_session_location(client, session, location_id);
    if (st != COORD_OK)
        return st;
    return coord_end_session(client, location_id, session->id, out_session);
}

static void end_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_end_result(&call->exchange, st, &call->session));
}

coord_status coord_end_session_async(coord_loop *loop, coord_client *client,
                                     const char *location_id, int64_t session_id,
                                     coord_session_fn on_done, void *user_data,
                                     coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, end_complete,
                                                 COORD_OP_END_SESSION, location_id, session_id,
                                                 &st);

    if (call == NULL)
        return st;
    st = coord_request_end_session(&call->exchange.request, &call->exchange.target,
                                   call->exchange.location_id, session_id,
                                   &call->exchange.error);
    coord_exchange_allow_recovery(&call->exchange);
    return coord_loop_call_start(call, st, out_call);
}

coord_status coord_session_end_async(coord_loop *loop, coord_client *client,
                                     const coord_session *session, coord_session_fn on_done,
                                     void *user_data, coord_call **out_call)
{
    char location_id[COORD_ID_MAX];
    coord_status st;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (loop == NULL || session == NULL)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "loop and session must not be NULL");
    st = coord_held_session_location(client, session, location_id);
    if (st != COORD_OK)
        return st;
    return coord_end_session_async(loop, client, location_id, session->id, on_done, user_data,
                                   out_call);
}
/* ---- create ---- */

/* A new session (any id, at the location addressed), or "already active". */
coord_status coord_create_result(coord_exchange *ex, coord_status st, coord_session *out)
{
    if (st == COORD_OK)
        return session_at_location(ex, out);
    if (st == COORD_ERR_REFUSED && ex->error.http_status == 409)
        return COORD_ERR_SESSION_ACTIVE;
    return st;
}

coord_status coord_session_create(coord_client *client, const char *location_id,
                                  const char *resource_id, coord_session *out_session)
{
    coord_exchange ex;
    coord_status st;

    if (client == NULL)
        return coord_session_no_client(out_session);
    st = coord_session_exchange_begin(&ex, client, COORD_OP_CREATE_SESSION, location_id, 0, 0,
                                      out_session);
    if (st == COORD_OK)
        st = coord_request_create_session(&ex.request, &ex.target, ex.location_id,
                                          resource_id, &ex.error);
    if (st == COORD_OK)
        st = coord_create_result(&ex, coord_exchange_run(&ex), out_session);
    return coord_exchange_end(&ex, st);
}

static void create_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_create_result(&call->exchange, st, &call->session));
}

coord_status coord_session_create_async(coord_loop *loop, coord_client *client,
                                        const char *location_id, const char *resource_id,
                                        coord_session_fn on_done, void *user_data,
                                        coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, create_complete,
                                                 COORD_OP_CREATE_SESSION, location_id, 0, &st);

    if (call == NULL)
        return st;
    st = coord_request_create_session(&call->exchange.request, &call->exchange.target,
                                      call->exchange.location_id, resource_id,
                                      &call->exchange.error);
    return coord_loop_call_start(call, st, out_call);
}
/* ---- get ---- */

coord_status coord_get_result(coord_exchange *ex, coord_status st, coord_session *out)
{
    return st == COORD_OK ? the_session(ex, out) : st;
}

/* A get whose total timeout is cut to max_ms (0: the client's): also the
 * poll of coord_session_wait() (operation COORD_OP_WAIT_POLL). */
static coord_status get_session(coord_client *client, coord_operation operation,
                                const char *location_id, int64_t session_id, uint32_t max_ms,
                                coord_session *out)
{
    coord_exchange ex;
    coord_status st = coord_session_exchange_begin(&ex, client, operation, location_id,
                                                   session_id, max_ms, out);

    if (st == COORD_OK)
        st = coord_request_get_session(&ex.request, &ex.target, ex.location_id, session_id,
                                       &ex.error);
    if (st == COORD_OK)
        st = coord_get_result(&ex, coord_exchange_run(&ex), out);
    return coord_exchange_end(&ex, st);
}

coord_status coord_session_get(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    if (client == NULL)
        return coord_session_no_client(out_session);
    return get_session(client, COORD_OP_GET_SESSION, location_id, session_id, 0, out_session);
}

static void get_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_get_result(&call->exchange, st, &call->session));
}

coord_status coord_session_get_async(coord_loop *loop, coord_client *client,
                                     const char *location_id, int64_t session_id,
                                     coord_session_fn on_done, void *user_data,
                                     coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, get_complete,
                                                 COORD_OP_GET_SESSION, location_id, session_id,
                                                 &st);

    if (call == NULL)
        return st;
    st = coord_request_get_session(&call->exchange.request, &call->exchange.target,
                                   call->exchange.location_id, session_id,
                                   &call->exchange.error);
    return coord_loop_call_start(call, st, out_call);
}
/* ---- barcode ---- */

coord_status coord_barcode_result(coord_exchange *ex, coord_status st, coord_redemption_info *out)
{
    coord_decode_limits limits;

    if (st != COORD_OK)
        return st;
    coord_client_decode_limits(ex->client, &limits);
    return coord_decode_barcode(ex->response.body, ex->response.body_len, &limits, out,
                                &ex->error);
}

coord_status coord_barcode_create(coord_client *client, coord_redemption_info *out_barcode)
{
    coord_exchange ex;
    coord_status st;

    if (out_barcode != NULL)
        memset(out_barcode, 0, sizeof(*out_barcode));
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_exchange_begin(&ex, client, COORD_OP_CREATE_BARCODE, 0, NULL, 0);
    if (out_barcode == NULL)
        st = coord_exchange_fail(&ex, COORD_ERR_INVALID_ARGUMENT, "out_barcode is NULL");
    else
        st = coord_request_create_barcode(&ex.request, &ex.target, &ex.error);
    if (st == COORD_OK)
        st = coord_barcode_result(&ex, coord_exchange_run(&ex), out_barcode);
    return coord_exchange_end(&ex, st);
}

static void barcode_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_barcode_result(&call->exchange, st, call->state.barcode));
}

coord_status coord_barcode_create_async(coord_loop *loop, coord_client *client,
                                        coord_barcode_fn on_done, void *user_data,
                                        coord_call **out_call)
{
    coord_call_callback callback = {.on_barcode = on_done, .user_data = user_data};
    coord_status st;
    coord_call *call = coord_async_begin(loop, client, &callback, barcode_complete,
                                         COORD_OP_CREATE_BARCODE, NULL, 0, &st);

    if (call == NULL)
        return st;
    call->state.barcode = coord_malloc(sizeof(*call->state.barcode));
    if (call->state.barcode == NULL)
        st = coord_exchange_fail(&call->exchange, COORD_ERR_OUT_OF_MEMORY,
                                 "out of memory for a barcode");
    else
        st = coord_request_create_barcode(&call->exchange.request, &call->exchange.target,
                                          &call->exchange.error);
    return coord_loop_call_start(call, st, out_call);
}
/* ---- waiting for a session (its plan: wait.c) ---- */

/* Poll, pause, poll... until the plan says the wait is done. */
static coord_status wait_polls(coord_client *client, const char *location_id,
                               int64_t session_id, coord_wait_plan *w, coord_session *out)
{
    coord_session seen;
    coord_next next;
    coord_error record;
    coord_status st;

    do {
        st = get_session(client, COORD_OP_WAIT_POLL, location_id, session_id,
                         coord_wait_poll_budget(w, coord_now_ms()), &seen);
        if (st == COORD_OK)
            *out = seen;
        next = coord_wait_after_poll(w, st, &seen, coord_now_ms());
        if (next.kind == COORD_NEXT_SEND) {
            if (coord_client_sleep(client, next.delay_ms) != COORD_OK)
                return coord_client_fail(client, COORD_ERR_CANCELLED, "cancelled by "
                                         "coord_client_cancel() after %lu polls",
                                         (unsigned long)w->polls);
            next = coord_wait_after_pause(w, coord_now_ms());
        }
    } while (next.kind == COORD_NEXT_SEND);
    /* the record is the last poll's, or when the deadline ended the wait, the wait's */
    record = *coord_client_last_error(client);
    st = coord_wait_finish(w, next.status, &record, location_id, session_id);
    if (w->expired)
        coord_client_publish(client, &record);
    return st;
}

coord_status coord_session_wait(coord_client *client, const char *location_id,
                                int64_t session_id, coord_wait_for until,
                                uint32_t timeout_ms, uint32_t interval_ms,
                                coord_session *out_session)
{
    char location[COORD_ID_MAX];
    coord_wait_plan w;
    coord_error why;
    coord_status st;

    /* copied before out_session is zeroed: it may hold the location */
    if (location_id != NULL && coord_copy_text(location, sizeof(location), location_id))
        location_id = location;
    if (client == NULL)
        return coord_session_no_client(out_session);
    coord_client_clear_error(client);
    if (out_session == NULL)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "out_session is NULL");
    memset(out_session, 0, sizeof(*out_session));
    if (coord_wait_arguments_ok(until, interval_ms, &why) != COORD_OK)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "%s", why.detail);
    coord_wait_plan_init(&w, until, timeout_ms, interval_ms);
    coord_client_call_started(client); /* coord_client_cancel() reaches the sleeps too */
    st = wait_polls(client, location_id, session_id, &w, out_session);
    coord_client_call_finished(client);
    return st;
}

/* ---- wait: each poll is a get on the call's exchange, begun again; the
 * pauses between polls are the loop's timers (the plan: wait.c) ---- */

static void wait_poll(coord_call *call);

static void wait_done(coord_call *call, coord_status st)
{
    coord_exchange *ex = &call->exchange;

    coord_call_deliver(call, coord_wait_finish(&call->state.wait, st, &ex->error,
                                               ex->location_id, ex->session_id));
}

static void wait_after_pause(coord_call *call)
{
    coord_next next = coord_wait_after_pause(&call->state.wait, coord_now_ms());

    if (next.kind == COORD_NEXT_SEND)
        wait_poll(call);
    else
        wait_done(call, next.status);
}

static void wait_poll_complete(coord_call *call, coord_status st)
{
    coord_session seen;
    coord_next next;

    st = coord_get_result(&call->exchange, st, &seen);
    coord_exchange_observe(&call->exchange, st); /* each poll its record, as when blocking */
    if (st == COORD_OK) { /* the last seen stays until a new one */
        call->session = seen;
        call->state.has_session = 1;
    }
    if (st == COORD_ERR_CANCELLED) {
        coord_call_deliver(call, st);
        return;
    }
    next = coord_wait_after_poll(&call->state.wait, st, &seen, coord_now_ms());
    if (next.kind == COORD_NEXT_SEND)
        coord_loop_call_after(call, next.delay_ms, wait_after_pause);
    else
        wait_done(call, next.status);
}

/* A poll, with what is left of the wait: also the first, begun when the
 * call has its place in the loop, so that time in the queue takes nothing
 * from its budget. */
static void wait_poll(coord_call *call)
{
    coord_exchange *ex = &call->exchange;
    coord_status st;

    coord_exchange_again(ex, coord_wait_poll_budget(&call->state.wait, coord_now_ms()));
    st = coord_request_get_session(&ex->request, &ex->target, ex->location_id, ex->session_id,
                                   &ex->error);
    if (st != COORD_OK)
        coord_call_deliver(call, st);
    else
        coord_loop_call_send(call);
}

coord_status coord_session_wait_async(coord_loop *loop, coord_client *client,
                                      const char *location_id, int64_t session_id,
                                      coord_wait_for until, uint32_t timeout_ms,
                                      uint32_t interval_ms, coord_session_fn on_done,
                                      void *user_data, coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data,
                                                 wait_poll_complete, COORD_OP_WAIT_POLL,
                                                 location_id, session_id, &st);
    coord_exchange *ex;

    if (call == NULL)
        return st;
    ex = &call->exchange;
    call->state.start = wait_poll;
    coord_wait_plan_init(&call->state.wait, until, timeout_ms, interval_ms);
    /* bounded by its own timeout, in the queue too (a wait of 0 ms: by the
     * total timeout of its one poll) */
    if (timeout_ms > 0) {
        call->state.timeout_ms = timeout_ms;
        call->state.deadline_ms = call->state.wait.deadline_ms;
    }
    st = coord_wait_arguments_ok(until, interval_ms, &ex->error);
    if (st == COORD_OK) /* built now to check the arguments; built again for each poll */
        st = coord_request_get_session(&ex->request, &ex->target, ex->location_id, session_id,
                                       &ex->error);
    return coord_loop_call_start(call, st, out_call);
}
