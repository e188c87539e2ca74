/* The session endpoints: each validates, builds its request, runs the call
 * and decodes the answer into the caller's struct. */
#include <string.h>

#include "internal.h"

/* ---- shared by the calls that answer one session (testing.c's too) ---- */

coord_status coord_session_call_begin(coord_call_state *call, coord_client *client,
                                      const char *location_id, int64_t session_id,
                                      uint32_t max_ms, coord_session *out)
{
    coord_call_begin(call, client, max_ms, location_id, session_id);
    if (out == NULL)
        return coord_call_fail(call, COORD_ERR_INVALID_ARGUMENT, "out_session is NULL");
    memset(out, 0, sizeof(*out));
    return COORD_OK;
}

coord_status coord_session_answer(coord_call_state *call, coord_session *out)
{
    coord_decode_limits limits;
    coord_status st;

    coord_client_decode_limits(call->client, &limits);
    st = coord_decode_session(call->response.body, call->response.body_len, &limits, out,
                              &call->error);

    if (st == COORD_OK && out->location_id[0] == '\0') /* the builder checked that it fits */
        coord_copy_text(out->location_id, sizeof(out->location_id), call->location_id);
    return st;
}

/* Called without a client: the output is zeroed, as every failure leaves it. */
coord_status coord_session_no_client(coord_session *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    return COORD_ERR_INVALID_ARGUMENT;
}

/* ---- end ---- */

/* The end's fetch after a lost answer (coord_call_recover) came back with st. */
static coord_status recovered_end(coord_call_state *call, coord_status st, coord_session *out)
{
    char why[COORD_MESSAGE_MAX];

    if (st == COORD_OK)
        st = coord_session_answer(call, out);
    if (st == COORD_OK && !out->has_end_time)
        st = coord_call_fail(call, COORD_ERR_BAD_RESPONSE,
                             "session was refused as ended but has no end_time");
    if (st == COORD_OK) {
        out->recovered = 1;
        return COORD_OK;
    }
    memset(out, 0, sizeof(*out));
    coord_copy_text(why, sizeof(why), call->error.detail); /* it is rewritten below */
    return coord_call_fail(call, COORD_ERR_ALREADY_ENDED, "session already ended, probably by "
                           "this call's lost attempt; fetching it failed: %s", why);
}

/* What an end call's outcome means: the session and its bill, a recovered
 * end, or a named refusal (gate-controlled, already ended). */
static coord_status end_result(coord_call_state *call, coord_status st, coord_session *out)
{
    if (call->recovering)
        return recovered_end(call, st, out);
    if (st == COORD_OK)
        return coord_session_answer(call, out);
    if (coord_error_is_gate_refusal(&call->error))
        return COORD_ERR_PHYSICAL_CHECKOUT;
    if (call->error.http_status == 409)
        return COORD_ERR_ALREADY_ENDED;
    return st;
}

coord_status coord_end_session(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    coord_call_state call;
    coord_status st;

    if (client == NULL)
        return coord_session_no_client(out_session);
    st = coord_session_call_begin(&call, client, location_id, session_id, 0, out_session);
    if (st == COORD_OK)
        st = coord_request_end_session(&call.request, &call.target, call.location_id, session_id,
                                       &call.error);
    if (st == COORD_OK) {
        coord_call_allow_recovery(&call); /* the replay-safe end */
        st = end_result(&call, coord_call_run(&call), out_session);
    }
    return coord_call_end(&call, st);
}

coord_status coord_session_end(coord_client *client, const coord_session *session,
                               coord_session *out_session)
{
    char location_id[COORD_ID_MAX];
    int64_t id;

    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_client_clear_error(client);
    if (session == NULL || out_session == NULL)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "session and out_session must not be NULL");
    if (session->has_redemption_info)
        return coord_client_fail(client, COORD_ERR_PHYSICAL_CHECKOUT,
                                 "session %lld at %s carries redemption_info: "
                                 "it is ended at the gate, not through the API",
                                 (long long)session->id,
                                 memchr(session->location_id, '\0', COORD_ID_MAX) != NULL
                                     ? session->location_id : "?");
    /* copy first: session and out_session may be the same struct */
    if (!coord_copy_text(location_id, sizeof(location_id), session->location_id))
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "session location_id is not terminated");
    id = session->id;
    if (location_id[0] == '\0')
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "session has no location_id");
    return coord_end_session(client, location_id, id, out_session);
}

/* ---- create, get ---- */

coord_status coord_session_create(coord_client *client, const char *location_id,
                                  const char *resource_id, coord_session *out_session)
{
    coord_call_state call;
    coord_status st;

    if (client == NULL)
        return coord_session_no_client(out_session);
    st = coord_session_call_begin(&call, client, location_id, 0, 0, out_session);
    if (st == COORD_OK)
        st = coord_request_create_session(&call.request, &call.target, call.location_id,
                                          resource_id, &call.error);
    if (st == COORD_OK)
        st = coord_call_run(&call);
    if (st == COORD_OK)
        st = coord_session_answer(&call, out_session);
    else if (call.error.http_status == 409)
        st = COORD_ERR_SESSION_ACTIVE;
    return coord_call_end(&call, st);
}

/* A get whose total timeout is cut to max_ms (0: the client's): also the
 * poll of coord_session_wait(). */
static coord_status get_session(coord_client *client, const char *location_id,
                                int64_t session_id, uint32_t max_ms, coord_session *out)
{
    coord_call_state call;
    coord_status st = coord_session_call_begin(&call, client, location_id, session_id, max_ms, out);

    if (st == COORD_OK)
        st = coord_request_get_session(&call.request, &call.target, call.location_id, session_id,
                                       &call.error);
    if (st == COORD_OK)
        st = coord_call_run(&call);
    if (st == COORD_OK)
        st = coord_session_answer(&call, out);
    return coord_call_end(&call, st);
}

coord_status coord_session_get(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    if (client == NULL)
        return coord_session_no_client(out_session);
    return get_session(client, location_id, session_id, 0, out_session);
}

/* ---- lists ---- */

/* A 2xx answer that is a list; entries without a location get the one the
 * call addressed (when it addressed one). */
static coord_status list_answer(coord_call_state *call, coord_session_list *out)
{
    coord_decode_limits limits;
    coord_status st;

    coord_client_decode_limits(call->client, &limits);
    st = coord_decode_session_list(call->response.body, call->response.body_len, &limits, out,
                                   &call->error);

    for (uint32_t i = 0; st == COORD_OK && call->location_id[0] != '\0' && i < out->count; i++)
        if (out->sessions[i].location_id[0] == '\0')
            coord_copy_text(out->sessions[i].location_id, COORD_ID_MAX, call->location_id);
    return st;
}

/* GET {base}/{location_id}/session, or the user's sessions everywhere
 * (GET {base}/session) when location_id is NULL. */
static coord_status list_sessions(coord_client *client, const char *location_id,
                                  coord_session_list *out)
{
    coord_call_state call;
    coord_status st;

    coord_call_begin(&call, client, 0, location_id, 0);
    if (out == NULL)
        st = coord_call_fail(&call, COORD_ERR_INVALID_ARGUMENT, "out_list is NULL");
    else
        st = coord_request_list_sessions(&call.request, &call.target, location_id, &call.error);
    if (st == COORD_OK)
        st = coord_call_run(&call);
    if (st == COORD_OK)
        st = list_answer(&call, out);
    return coord_call_end(&call, st);
}

coord_status coord_session_list_location(coord_client *client, const char *location_id,
                                         coord_session_list *out_list)
{
    if (out_list != NULL)
        memset(out_list, 0, sizeof(*out_list));
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    if (location_id == NULL) { /* NULL means "the user's" to list_sessions: refuse it here */
        coord_client_clear_error(client);
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "location_id is NULL");
    }
    return list_sessions(client, location_id, out_list);
}

coord_status coord_session_list_user(coord_client *client, coord_session_list *out_list)
{
    if (out_list != NULL)
        memset(out_list, 0, sizeof(*out_list));
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    return list_sessions(client, NULL, out_list);
}

void coord_session_list_free(coord_session_list *list)
{
    if (list == NULL)
        return;
    coord_free(list->sessions);
    memset(list, 0, sizeof(*list));
}

coord_status coord_session_list_find_active(const coord_session_list *list,
                                            const char *location_id,
                                            const coord_session **out_session)
{
    if (out_session != NULL)
        *out_session = NULL;
    if (list == NULL || out_session == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < list->count; i++) {
        const coord_session *s = &list->sessions[i];

        if (!s->has_end_time &&
            (location_id == NULL || strcmp(s->location_id, location_id) == 0)) {
            *out_session = s;
            return COORD_OK;
        }
    }
    return COORD_ERR_NOT_FOUND;
}

/* ---- barcode ---- */

coord_status coord_barcode_create(coord_client *client, coord_redemption_info *out_barcode)
{
    coord_call_state call;
    coord_decode_limits limits;
    coord_status st;

    if (out_barcode != NULL)
        memset(out_barcode, 0, sizeof(*out_barcode));
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(&call, client, 0, NULL, 0);
    if (out_barcode == NULL)
        st = coord_call_fail(&call, COORD_ERR_INVALID_ARGUMENT, "out_barcode is NULL");
    else
        st = coord_request_create_barcode(&call.request, &call.target, &call.error);
    if (st == COORD_OK)
        st = coord_call_run(&call);
    coord_client_decode_limits(client, &limits);
    if (st == COORD_OK)
        st = coord_decode_barcode(call.response.body, call.response.body_len, &limits,
                                  out_barcode, &call.error);
    return coord_call_end(&call, st);
}

/* ---- waiting for a session ---- */

static int reached(const coord_session *s, coord_wait_for until)
{
    return until == COORD_WAIT_ENDED ? s->has_end_time
                                     : (s->has_start_time || s->has_end_time);
}

coord_status coord_session_wait(coord_client *client, const char *location_id,
                                int64_t session_id, coord_wait_for until,
                                uint32_t timeout_ms, uint32_t interval_ms,
                                coord_session *out_session)
{
    char location[COORD_ID_MAX];
    coord_session seen;
    int64_t deadline, now;
    uint32_t polls = 0;
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
    if (until != COORD_WAIT_STARTED && until != COORD_WAIT_ENDED)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "until must be COORD_WAIT_STARTED or COORD_WAIT_ENDED");
    if (interval_ms < COORD_WAIT_MIN_INTERVAL_MS || interval_ms > 3600000u)
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT,
                                 "interval_ms must be %u..3600000", COORD_WAIT_MIN_INTERVAL_MS);
    deadline = coord_now_ms() + timeout_ms;
    for (;;) {
        now = coord_now_ms();
        /* no poll may outlive the deadline (timeout 0: the one poll keeps the
         * client's own timeouts, as documented) */
        st = get_session(client, location_id, session_id,
                         deadline > now ? (uint32_t)(deadline - now) : 0, &seen);
        polls++;
        now = coord_now_ms();
        if (st == COORD_OK) {
            *out_session = seen;
            if (reached(&seen, until))
                return COORD_OK;
        } else if (st != COORD_ERR_TIMEOUT || now < deadline) {
            return st; /* the poll's own failure */
        }
        if (now >= deadline)
            break;
        coord_sleep_ms((uint64_t)(interval_ms < deadline - now ? interval_ms : deadline - now));
        if (coord_now_ms() >= deadline)
            break;
    }
    return coord_client_fail(client, COORD_ERR_TIMEOUT,
                             "session %lld at %s not %s after %lu ms (%lu polls)",
                             (long long)session_id, location_id,
                             until == COORD_WAIT_ENDED ? "ended" : "started",
                             (unsigned long)timeout_ms, (unsigned long)polls);
}
