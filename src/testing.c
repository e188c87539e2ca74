/* The sandbox-only endpoints: simulated redemption and test user tokens. */
#include <string.h>

#include "internal.h"

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
        st = coord_call_run(&call);
    if (st == COORD_OK)
        st = coord_session_answer(&call, out_session);
    else if (call.error.http_status == 409) /* redeemed or ended already */
        st = COORD_ERR_ALREADY_ENDED;
    return coord_call_end(&call, st);
}

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
