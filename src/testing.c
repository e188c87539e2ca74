/* The sandbox-only endpoints: simulated redemption and test user tokens,
 * blocking and non-blocking (the shape: sessions.c). */
#include <string.h>

#include "internal.h"

/* ---- simulated redemption ---- */

/* The session, or "already redeemed or ended". */
coord_status coord_simulate_result(coord_exchange *ex, coord_status st, coord_session *out)
{
    if (st == COORD_ERR_REFUSED && ex->error.http_status == 409)
        return COORD_ERR_ALREADY_ENDED;
    return coord_get_result(ex, st, out);
}

coord_status coord_test_simulate_redemption(coord_client *client, const char *location_id,
                                            int64_t session_id, uint32_t duration_m,
                                            coord_session *out_session)
{
    coord_exchange ex;
    coord_status st;

    if (client == NULL)
        return coord_session_no_client(out_session);
    st = coord_session_exchange_begin(&ex, client, COORD_OP_SIMULATE_REDEMPTION, location_id,
                                      session_id, 0, out_session);
    if (st == COORD_OK)
        st = coord_request_simulate_redemption(&ex.request, &ex.target, ex.location_id,
                                               session_id, duration_m, &ex.error);
    if (st == COORD_OK)
        st = coord_simulate_result(&ex, coord_exchange_run(&ex), out_session);
    return coord_exchange_end(&ex, st);
}

static void simulate_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_simulate_result(&call->exchange, st, &call->session));
}

coord_status coord_test_simulate_redemption_async(coord_loop *loop, coord_client *client,
                                                  const char *location_id, int64_t session_id,
                                                  uint32_t duration_m, coord_session_fn on_done,
                                                  void *user_data, coord_call **out_call)
{
    coord_status st;
    coord_call *call = coord_session_async_begin(loop, client, on_done, user_data, simulate_complete,
                                                 COORD_OP_SIMULATE_REDEMPTION,
                                                 location_id, session_id, &st);

    if (call == NULL)
        return st;
    st = coord_request_simulate_redemption(&call->exchange.request, &call->exchange.target,
                                           call->exchange.location_id, session_id, duration_m,
                                           &call->exchange.error);
    return coord_loop_call_start(call, st, out_call);
}

/* ---- test user tokens ---- */

coord_status coord_jwt_result(coord_exchange *ex, coord_status st, char *out, size_t size)
{
    coord_decode_limits limits;

    coord_client_decode_limits(ex->client, &limits);
    if (st == COORD_OK)
        st = coord_decode_jwt(ex->response.body, ex->response.body_len, &limits, out, size,
                              &ex->error);
    /* the answer carried the token (and a refusal's body may echo secrets) */
    if (ex->transport != NULL)
        coord_transport_wipe_body(ex->transport);
    return st;
}

coord_status coord_test_create_jwt(coord_client *client, const char *email,
                                   const char *external_uid, char *out_token,
                                   size_t token_size)
{
    coord_exchange ex;
    coord_status st;

    if (out_token != NULL && token_size > 0)
        out_token[0] = '\0';
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_exchange_begin(&ex, client, COORD_OP_CREATE_JWT, 0, NULL, 0);
    if (out_token == NULL || token_size == 0)
        st = coord_exchange_fail(&ex, COORD_ERR_INVALID_ARGUMENT,
                                 "out_token must not be NULL and token_size not 0");
    else
        st = coord_request_create_jwt(&ex.request, &ex.target, email, external_uid, &ex.error);
    if (st == COORD_OK)
        st = coord_jwt_result(&ex, coord_exchange_run(&ex), out_token, token_size);
    return coord_exchange_end(&ex, st);
}

static void jwt_complete(coord_call *call, coord_status st)
{
    coord_call_deliver(call, coord_jwt_result(&call->exchange, st, call->state.token,
                                              call->state.token_size));
}

coord_status coord_test_create_jwt_async(coord_loop *loop, coord_client *client,
                                         const char *email, const char *external_uid,
                                         coord_token_fn on_done, void *user_data,
                                         coord_call **out_call)
{
    coord_call_callback callback = {.on_token = on_done, .user_data = user_data};
    coord_status st;
    coord_call *call = coord_async_begin(loop, client, &callback, jwt_complete,
                                         COORD_OP_CREATE_JWT, NULL, 0, &st);

    if (call == NULL)
        return st;
    call->state.token_size = COORD_TOKEN_MAX;
    call->state.token = coord_malloc(call->state.token_size);
    if (call->state.token == NULL)
        st = coord_exchange_fail(&call->exchange, COORD_ERR_OUT_OF_MEMORY,
                                 "out of memory for a token");
    else
        st = coord_request_create_jwt(&call->exchange.request, &call->exchange.target, email,
                                      external_uid, &call->exchange.error);
    return coord_loop_call_start(call, st, out_call);
}
