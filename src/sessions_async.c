/* The session endpoints, non-blocking: each builds the request of its
 * blocking form (sessions.c) and hands the call to its loop (loop.c); when
 * the call is done, the same X_result() function as the blocking form
 * makes the result, and coord_call_deliver() hands it to the callback.
 * Apart from sessions.c so that a static program of blocking calls links
 * no loop. */
#include <string.h>

#include "internal.h"

coord_call *coord_async_begin(coord_loop *loop, coord_client *client,
                              const coord_call_callback *callback, coord_call_complete_fn complete,
                              coord_operation operation, const char *location_id,
                              int64_t session_id, coord_status *out_status)
{
    coord_call *call;

    *out_status = COORD_ERR_INVALID_ARGUMENT;
    if (client == NULL)
        return NULL;
    coord_client_clear_error(client);
    if (loop == NULL) {
        coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "loop is NULL");
        return NULL;
    }
    if (callback->on_session == NULL && callback->on_list == NULL &&
        callback->on_barcode == NULL && callback->on_token == NULL) {
        coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "on_done is NULL");
        return NULL;
    }
    call = coord_loop_call_new(loop, client, callback, operation, location_id, session_id);
    if (call == NULL) {
        *out_status = coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "out of memory for a call");
        return NULL;
    }
    call->state.complete = complete;
    *out_status = COORD_OK;
    return call;
}

coord_call *coord_session_async_begin(coord_loop *loop, coord_client *client,
                                      coord_session_fn on_done, void *user_data,
                                      coord_call_complete_fn complete, coord_operation operation,
                                      const char *location_id, int64_t session_id,
                                      coord_status *out_status)
{
    coord_call_callback callback = {.on_session = on_done, .user_data = user_data};

    return coord_async_begin(loop, client, &callback, complete, operation, location_id,
                             session_id, out_status);
}

/* ---- end ---- */

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

/* ---- lists ---- */

static void list_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_list_result(&call->exchange, st, &call->state.list));
}

/* Both list calls without blocking: location_id NULL lists the user's. */
static coord_status list_sessions_async(coord_loop *loop, coord_client *client,
                                        const char *location_id, coord_session_list_fn on_done,
                                        void *user_data, coord_call **out_call)
{
    coord_call_callback callback = {.on_list = on_done, .user_data = user_data};
    coord_status st;
    coord_call *call = coord_async_begin(loop, client, &callback, list_complete,
                                         location_id != NULL ? COORD_OP_LIST_LOCATION
                                                             : COORD_OP_LIST_USER,
                                         location_id, 0, &st);

    if (call == NULL)
        return st;
    st = coord_request_list_sessions(&call->exchange.request, &call->exchange.target,
                                     location_id, &call->exchange.error);
    return coord_loop_call_start(call, st, out_call);
}

coord_status coord_session_list_location_async(coord_loop *loop, coord_client *client,
                                               const char *location_id,
                                               coord_session_list_fn on_done, void *user_data,
                                               coord_call **out_call)
{
    if (client != NULL && location_id == NULL) {
        coord_client_clear_error(client);
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "location_id is NULL");
    }
    return list_sessions_async(loop, client, location_id, on_done, user_data, out_call);
}

coord_status coord_session_list_user_async(coord_loop *loop, coord_client *client,
                                           coord_session_list_fn on_done, void *user_data,
                                           coord_call **out_call)
{
    return list_sessions_async(loop, client, NULL, on_done, user_data, out_call);
}

/* ---- barcode ---- */

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
