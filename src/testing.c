/* The sandbox-only endpoints: simulated redemption and test user tokens,
 * blocking and non-blocking (see sessions.c for the shape). */
#include <string.h>

#include "internal.h"

/* ---- simulated redemption ---- */

static coord_status simulate_result(coord_call_state *call, coord_status st, coord_session *out)
{
    if (st == COORD_OK)
        return coord_session_answer(call, out);
    if (st == COORD_ERR_REFUSED && call->error.http_status == 409)
        return COORD_ERR_ALREADY_ENDED; /* redeemed or ended already */
    return st;
}

coord_status coord_test_simulate_redemption(coord_client *client, const char *location_id,
                                            int64_t session_id, uint32_t duration_m,
                                            coord_session *out_session)
{
    coord_call_state call;
    coord_status st;

    if (client == NULL)
        return coord_session_no_client(out_session);
    st = coord_session_call_begin(&call, client, location_id, session_id, 0, out_session);
    if (st == COORD_OK)
        st = coord_request_simulate_redemption(&call.request, &call.target, call.location_id,
                                               session_id, duration_m, &call.error);
    if (st == COORD_OK)
        st = simulate_result(&call, coord_call_run(&call), out_session);
    return coord_call_end(&call, st);
}

static void simulate_complete(coord_call *call, coord_status st)
{
    st = simulate_result(&call->state, st, &call->session);
    call->has_session = st == COORD_OK;
    call->deliver(call, st);
}

coord_status coord_test_simulate_redemption_async(coord_loop *loop, coord_client *client,
                                                  const char *location_id, int64_t session_id,
                                                  uint32_t duration_m, coord_session_fn on_done,
                                                  void *user_data, coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, location_id,
                                                 session_id, &st);

    if (call == NULL)
        return st;
    call->complete = simulate_complete;
    st = coord_request_simulate_redemption(&call->state.request, &call->state.target,
                                           call->state.location_id, session_id, duration_m,
                                           &call->state.error);
    return coord_loop_call_start(call, st, out_call);
}

/* ---- test user tokens ---- */

coord_status coord_test_create_jwt(coord_client *client, const char *email,
                                   const char *external_uid, char *out_token,
                                   size_t token_size)
{
    coord_call_state call;
    coord_decode_limits limits;
    coord_status st;

    if (out_token != NULL && token_size > 0)
        out_token[0] = '\0';
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(&call, client, 0, NULL, 0);
    if (out_token == NULL || token_size == 0)
        st = coord_call_fail(&call, COORD_ERR_INVALID_ARGUMENT,
                             "out_token must not be NULL and token_size not 0");
    else
        st = coord_request_create_jwt(&call.request, &call.target, email, external_uid,
                                      &call.error);
    if (st == COORD_OK)
        st = coord_call_run(&call);
    coord_client_decode_limits(client, &limits);
    if (st == COORD_OK)
        st = coord_decode_jwt(call.response.body, call.response.body_len, &limits, out_token,
                              token_size, &call.error);
    /* the answer carried the token (and a refusal's body may echo secrets) */
    coord_transport_wipe_body(coord_client_transport(client));
    return coord_call_end(&call, st);
}

static void jwt_complete(coord_call *call, coord_status st)
{
    coord_decode_limits limits;

    coord_client_decode_limits(call->state.client, &limits);
    if (st == COORD_OK)
        st = coord_decode_jwt(call->state.response.body, call->state.response.body_len, &limits,
                              call->token, call->token_size, &call->state.error);
    if (call->transport != NULL) /* the answer carried the token */
        coord_transport_wipe_body(call->transport);
    call->deliver(call, st);
}

coord_status coord_test_create_jwt_async(coord_loop *loop, coord_client *client,
                                         const char *email, const char *external_uid,
                                         coord_token_fn on_done, void *user_data,
                                         coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_async_begin(loop, client, on_done != NULL, NULL, 0, &st);

    if (call == NULL)
        return st;
    call->on_token = on_done;
    call->user_data = user_data;
    call->deliver = coord_call_deliver_token;
    call->complete = jwt_complete;
    call->token_size = COORD_TOKEN_MAX;
    call->token = coord_malloc(call->token_size);
    if (call->token == NULL)
        st = coord_call_fail(&call->state, COORD_ERR_OUT_OF_MEMORY, "out of memory for a token");
    else
        st = coord_request_create_jwt(&call->state.request, &call->state.target, email,
                                      external_uid, &call->state.error);
    return coord_loop_call_start(call, st, out_call);
}
