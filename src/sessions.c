/* The session endpoints: validate, build, send, map, decode. */
#include <string.h>

#include "internal.h"

/* Is a refused end the server saying "this session checks out at the gate"?
 * Coord published no code for it: see coord_end_session() in coord.h. */
static int is_physical_checkout_refusal(const coord_error *e)
{
    return e->http_status >= 400 && e->http_status <= 499 && e->has_api_error &&
           (e->api_code == COORD_API_CODE_PHYSICAL_CHECKOUT ||
            strstr(e->api_message, "redemption_info") != NULL);
}

/* An end was refused as already ended (409) after an attempt of the same
 * call lost its answer: that attempt most likely did the ending. Fetch the
 * session so the caller gets it and its bill, as if the answer had come. */
static coord_status recover_ended(coord_client *client, const char *location_id,
                                  int64_t session_id, coord_session *out_session)
{
    char detail[COORD_MESSAGE_MAX] = "";
    coord_request req;
    coord_response resp;
    coord_target target;
    coord_status st;

    coord_client_log(client, COORD_LOG_INFO, "end of session %lld: an answer was lost and "
                     "the retry found it ended; fetching it", (long long)session_id);
    coord_client_target(client, &target);
    st = coord_request_get_session(&req, &target, location_id, session_id,
                                   detail, sizeof(detail));
    if (st == COORD_OK) {
        st = coord_client_send(client, &req, &resp);
        coord_request_free(&req);
    } else {
        st = coord_call_fail_detail(client, st, detail);
    }
    if (st == COORD_OK) {
        st = coord_decode_session(resp.body, resp.body_len, out_session, detail, sizeof(detail));
        if (st == COORD_OK && !out_session->has_end_time)
            coord_set_text(detail, sizeof(detail), "session was refused as ended but has no "
                           "end_time"), st = COORD_ERR_BAD_RESPONSE;
        if (st != COORD_OK)
            coord_call_fail_detail(client, st, detail);
    }
    if (st != COORD_OK) {
        memset(out_session, 0, sizeof(*out_session));
        return coord_call_fail(client, COORD_ERR_ALREADY_ENDED, "session already ended, "
                               "probably by this call's lost attempt; fetching it failed: %s",
                               coord_client_last_error(client)->detail);
    }
    out_session->recovered = 1;
    return COORD_OK;
}

/* Name the refusals of an end: gate-controlled, already ended, or ended by
 * this call's own attempt whose answer was lost. */
static coord_status end_refused(coord_client *client, coord_status st, const char *location_id,
                                int64_t session_id, coord_session *out_session)
{
    coord_error *e = coord_client_error(client);

    if (is_physical_checkout_refusal(e))
        st = COORD_ERR_PHYSICAL_CHECKOUT;
    else if (e->http_status == 409 && coord_client_answer_lost(client))
        return recover_ended(client, location_id, session_id, out_session);
    else if (e->http_status == 409)
        st = COORD_ERR_ALREADY_ENDED;
    e->status = (int32_t)st;
    return st;
}

coord_status coord_end_session(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    char detail[COORD_MESSAGE_MAX] = "";
    coord_request req;
    coord_response resp;
    coord_target target;
    coord_status st;

    if (client == NULL) {
        if (out_session != NULL)
            memset(out_session, 0, sizeof(*out_session));
        return COORD_ERR_INVALID_ARGUMENT;
    }
    coord_call_begin(client);
    if (out_session == NULL)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT, "out_session is NULL");
    memset(out_session, 0, sizeof(*out_session));

    coord_client_target(client, &target);
    st = coord_request_end_session(&req, &target, location_id, session_id,
                                   detail, sizeof(detail));
    if (st != COORD_OK)
        return coord_call_fail_detail(client, st, detail);
    st = coord_client_send(client, &req, &resp);
    coord_request_free(&req);
    if (st != COORD_OK)
        st = end_refused(client, st, location_id, session_id, out_session);
    else if ((st = coord_decode_session(resp.body, resp.body_len, out_session, detail,
                                        sizeof(detail))) != COORD_OK)
        coord_call_fail_detail(client, st, detail);
    if (st != COORD_OK)
        return st;
    if (out_session->location_id[0] == '\0')
        memcpy(out_session->location_id, location_id, strlen(location_id) + 1);
    return COORD_OK;
}

coord_status coord_session_end(coord_client *client, const coord_session *session,
                               coord_session *out_session)
{
    char location_id[COORD_ID_MAX];
    int64_t id;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (session == NULL || out_session == NULL)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "session and out_session must not be NULL");
    if (session->has_redemption_info)
        return coord_call_fail(client, COORD_ERR_PHYSICAL_CHECKOUT,
                               "session %lld at %s carries redemption_info: "
                               "it is ended at the gate, not through the API",
                               (long long)session->id,
                               memchr(session->location_id, '\0', COORD_ID_MAX) != NULL
                                   ? session->location_id : "?");
    /* copy first: session and out_session may be the same struct */
    if (memchr(session->location_id, '\0', COORD_ID_MAX) == NULL)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "session location_id is not terminated");
    memcpy(location_id, session->location_id, COORD_ID_MAX);
    id = session->id;
    if (location_id[0] == '\0')
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "session has no location_id");
    return coord_end_session(client, location_id, id, out_session);
}
