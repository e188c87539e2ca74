/* The session endpoints, non-blocking: each builds the request of its
 * blocking form (sessions.c) and hands the call to its loop (loop.c), which
 * makes the same result with the same function when the call is done. */
#include <string.h>

#include "internal.h"

coord_call *coord_async_begin(coord_loop *loop, coord_client *client, int has_callback,
                              const char *location_id, int64_t session_id,
                              coord_status *out_status)
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
    if (!has_callback) {
        coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "on_done is NULL");
        return NULL;
    }
    call = coord_loop_call_new(loop, client, location_id, session_id);
    if (call == NULL) {
        *out_status = coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "out of memory for a call");
        return NULL;
    }
    *out_status = COORD_OK;
    return call;
}

coord_call *coord_session_async_begin(coord_loop *loop, coord_client *client,
                                      coord_session_fn on_done, void *user_data,
                                      const char *location_id, int64_t session_id,
                                      coord_status *out_status)
{
    coord_call *call = coord_async_begin(loop, client, on_done != NULL, location_id, session_id,
                                         out_status);

    if (call != NULL) {
        call->on_session = on_done;
        call->user_data = user_data;
        call->deliver = coord_call_deliver_session;
    }
    return call;
}

static void end_complete(coord_call *call, coord_status st)
{
    st = coord_end_result(&call->state, st, &call->session);
    call->has_session = st == COORD_OK;
    call->deliver(call, st);
}

coord_status coord_end_session_async(coord_loop *loop, coord_client *client,
                                     const char *location_id, int64_t session_id,
                                     coord_session_fn on_done, void *user_data,
                                     coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, location_id,
                                                 session_id, &st);

    if (call == NULL)
        return st;
    call->complete = end_complete;
    st = coord_request_end_session(&call->state.request, &call->state.target,
                                   call->state.location_id, session_id, &call->state.error);
    coord_call_allow_recovery(&call->state);
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

static void create_complete(coord_call *call, coord_status st)
{
    st = coord_create_result(&call->state, st, &call->session);
    call->has_session = st == COORD_OK;
    call->deliver(call, st);
}

coord_status coord_session_create_async(coord_loop *loop, coord_client *client,
                                        const char *location_id, const char *resource_id,
                                        coord_session_fn on_done, void *user_data,
                                        coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, location_id, 0,
                                                 &st);

    if (call == NULL)
        return st;
    call->complete = create_complete;
    st = coord_request_create_session(&call->state.request, &call->state.target,
                                      call->state.location_id, resource_id, &call->state.error);
    return coord_loop_call_start(call, st, out_call);
}

static void get_complete(coord_call *call, coord_status st)
{
    if (st == COORD_OK)
        st = coord_session_answer(&call->state, &call->session);
    call->has_session = st == COORD_OK;
    call->deliver(call, st);
}

coord_status coord_session_get_async(coord_loop *loop, coord_client *client,
                                     const char *location_id, int64_t session_id,
                                     coord_session_fn on_done, void *user_data,
                                     coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, location_id,
                                                 session_id, &st);

    if (call == NULL)
        return st;
    call->complete = get_complete;
    st = coord_request_get_session(&call->state.request, &call->state.target,
                                   call->state.location_id, session_id, &call->state.error);
    return coord_loop_call_start(call, st, out_call);
}

static void list_complete(coord_call *call, coord_status st)
{
    if (st == COORD_OK)
        st = coord_list_answer(&call->state, &call->list);
    call->deliver(call, st);
}

/* Both list calls without blocking: location_id NULL lists the user's. */
static coord_status list_sessions_async(coord_loop *loop, coord_client *client,
                                        const char *location_id, coord_session_list_fn on_done,
                                        void *user_data, coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_async_begin(loop, client, on_done != NULL, location_id, 0, &st);

    if (call == NULL)
        return st;
    call->on_list = on_done;
    call->user_data = user_data;
    call->deliver = coord_call_deliver_list;
    call->complete = list_complete;
    st = coord_request_list_sessions(&call->state.request, &call->state.target, location_id,
                                     &call->state.error);
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

static void barcode_complete(coord_call *call, coord_status st)
{
    coord_decode_limits limits;

    coord_client_decode_limits(call->state.client, &limits);
    if (st == COORD_OK)
        st = coord_decode_barcode(call->state.response.body, call->state.response.body_len,
                                  &limits, call->barcode, &call->state.error);
    call->deliver(call, st);
}

coord_status coord_barcode_create_async(coord_loop *loop, coord_client *client,
                                        coord_barcode_fn on_done, void *user_data,
                                        coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_async_begin(loop, client, on_done != NULL, NULL, 0, &st);

    if (call == NULL)
        return st;
    call->on_barcode = on_done;
    call->user_data = user_data;
    call->deliver = coord_call_deliver_barcode;
    call->complete = barcode_complete;
    call->barcode = coord_malloc(sizeof(*call->barcode));
    if (call->barcode == NULL)
        st = coord_call_fail(&call->state, COORD_ERR_OUT_OF_MEMORY, "out of memory for a barcode");
    else
        st = coord_request_create_barcode(&call->state.request, &call->state.target,
                                          &call->state.error);
    return coord_loop_call_start(call, st, out_call);
}

/* The non-blocking wait: each poll is a get on the call's engine state; the
 * pauses between polls are the loop's timers. */
static void wait_next_poll(coord_call *call);
static void wait_poll(coord_call *call);

static void wait_poll_complete(coord_call *call, coord_status st)
{
    coord_call_state *state = &call->state;
    coord_session seen;
    coord_next next;

    if (st == COORD_OK)
        st = coord_session_answer(state, &seen); /* the last seen stays until a new one */
    if (st == COORD_OK) {
        call->session = seen;
        call->has_session = 1;
    }
    if (st == COORD_ERR_CANCELLED) {
        call->deliver(call, st);
        return;
    }
    next = coord_wait_after_poll(&call->wait, st, &seen, coord_now_ms());
    if (next.kind == COORD_NEXT_SEND)
        coord_loop_call_after(call, next.delay_ms, wait_next_poll);
    else if (call->wait.expired)
        call->deliver(call, coord_wait_timed_out(&call->wait, &state->error, state->location_id,
                                           state->session_id));
    else
        call->deliver(call, next.status);
}

static void wait_next_poll(coord_call *call)
{
    coord_call_state *state = &call->state;

    if (!coord_wait_has_time(&call->wait, coord_now_ms())) {
        call->deliver(call, coord_wait_timed_out(&call->wait, &state->error, state->location_id,
                                           state->session_id));
        return;
    }
    wait_poll(call);
}

/* A poll, with what is left of the wait: also the first, begun when the
 * call has its place in the loop, so that time in the queue takes nothing
 * from its budget. */
static void wait_poll(coord_call *call)
{
    coord_call_state *state = &call->state;
    coord_status st;

    coord_request_free(&state->request); /* the last poll's, or the one the start built */
    coord_call_begin(state, state->client, coord_wait_poll_budget(&call->wait, coord_now_ms()),
                     state->location_id, state->session_id);
    coord_call_detach_target(state);
    st = coord_request_get_session(&state->request, &state->target, state->location_id,
                                   state->session_id, &state->error);
    if (st != COORD_OK)
        call->deliver(call, st);
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
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, location_id,
                                                 session_id, &st);

    if (call == NULL)
        return st;
    call->complete = wait_poll_complete;
    call->start = wait_poll;
    coord_wait_plan_init(&call->wait, until, timeout_ms, interval_ms);
    /* bounded by its own timeout, in the queue too (0: by its one poll's) */
    if (timeout_ms > 0) {
        call->timeout_ms = timeout_ms;
        call->deadline_ms = call->wait.deadline_ms;
    }
    st = coord_wait_arguments_ok(until, interval_ms, &call->state.error);
    if (st == COORD_OK) {
        /* built now to check the arguments; begun again for the first poll */
        coord_call_begin(&call->state, client, timeout_ms, call->state.location_id, session_id);
        coord_call_detach_target(&call->state);
        st = coord_request_get_session(&call->state.request, &call->state.target,
                                       call->state.location_id, session_id, &call->state.error);
    }
    return coord_loop_call_start(call, st, out_call);
}
