/* Sandbox testing endpoints: test user tokens (simulated redemption is a
 * session call and lives in sessions.c). */
#include <string.h>

#include "internal.h"

coord_status coord_test_create_jwt(coord_client *client, const char *email,
                                   const char *external_uid, char *out_token,
                                   size_t token_size)
{
    char detail[COORD_MESSAGE_MAX];
    coord_error decode_err;
    coord_request req;
    coord_response resp;
    coord_target target;
    coord_status st;

    detail[0] = '\0'; /* not = "": that would zero all 256 bytes */
    if (out_token != NULL && token_size > 0)
        out_token[0] = '\0';
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (out_token == NULL || token_size == 0)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "out_token must not be NULL and token_size not 0");
    coord_client_target(client, &target);
    st = coord_request_create_jwt(&req, &target, email, external_uid, detail, sizeof(detail));
    st = coord_client_send_built(client, st, &req, detail, &resp);
    if (st != COORD_OK) {
        coord_client_wipe_response(client); /* a refusal's body may echo secrets too */
        return st;
    }
    st = coord_decode_jwt(resp.body, resp.body_len, out_token, token_size, &decode_err);
    coord_client_wipe_response(client); /* the answer carried the token */
    return st == COORD_OK ? st : coord_call_fail_detail(client, st, decode_err.detail);
}
