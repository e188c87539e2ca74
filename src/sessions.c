/* The session endpoints, blocking: each begins an exchange, builds its
 * request, runs it and makes the result with its X_result() function,
 * which the non-blocking form (sessions_async.c) shares. */
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

/* ---- lists ---- */

/* Entries without a location get the one the call addressed (when it
 * addressed one). */
coord_status coord_list_result(coord_exchange *ex, coord_status st, coord_session_list *out)
{
    coord_decode_limits limits;

    if (st != COORD_OK)
        return st;
    coord_client_decode_limits(ex->client, &limits);
    st = coord_decode_session_list(ex->response.body, ex->response.body_len, &limits, out,
                                   &ex->error);

    for (uint32_t i = 0; st == COORD_OK && ex->location_id[0] != '\0' && i < out->count; i++)
        if (out->sessions[i].location_id[0] == '\0')
            coord_copy_text(out->sessions[i].location_id, COORD_ID_MAX, ex->location_id);
    return st;
}

/* GET {base}/{location_id}/session, or the user's sessions everywhere
 * (GET {base}/session) when location_id is NULL. */
static coord_status list_sessions(coord_client *client, const char *location_id,
                                  coord_session_list *out)
{
    coord_exchange ex;
    coord_status st;

    coord_exchange_begin(&ex, client,
                         location_id != NULL ? COORD_OP_LIST_LOCATION : COORD_OP_LIST_USER, 0,
                         location_id, 0);
    if (out == NULL)
        st = coord_exchange_fail(&ex, COORD_ERR_INVALID_ARGUMENT, "out_list is NULL");
    else
        st = coord_request_list_sessions(&ex.request, &ex.target, location_id, &ex.error);
    if (st == COORD_OK)
        st = coord_list_result(&ex, coord_exchange_run(&ex), out);
    return coord_exchange_end(&ex, st);
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

/* ---- lists, one session at a time ---- */

/* The caller's callback, behind the call's own. */
typedef struct each_call {
    const char *location_id; /* the location the call addressed; "" for the user's list */
    coord_session_each_fn fn;
    void *user_data;
} each_call;

/* An entry without a location gets the one the call addressed, as in a list. */
static int with_location(coord_session *session, void *data)
{
    const each_call *each = data;

    if (session->location_id[0] == '\0')
        coord_copy_text(session->location_id, sizeof(session->location_id), each->location_id);
    return each->fn(session, each->user_data);
}

/* GET {base}/{location_id}/session, or GET {base}/session when location_id
 * is NULL, each session handed to fn in *session. */
static coord_status list_sessions_each(coord_client *client, const char *location_id,
                                       coord_session *session, coord_session_each_fn fn,
                                       void *user_data)
{
    coord_exchange ex;
    coord_decode_limits limits;
    each_call each;
    coord_status st;

    coord_exchange_begin(&ex, client,
                         location_id != NULL ? COORD_OP_LIST_LOCATION : COORD_OP_LIST_USER, 0,
                         location_id, 0);
    if (session == NULL || fn == NULL)
        st = coord_exchange_fail(&ex, COORD_ERR_INVALID_ARGUMENT, "session and fn must not be NULL");
    else
        st = coord_request_list_sessions(&ex.request, &ex.target, location_id, &ex.error);
    if (st == COORD_OK)
        st = coord_exchange_run(&ex);
    if (st == COORD_OK) {
        each.location_id = ex.location_id;
        each.fn = fn;
        each.user_data = user_data;
        coord_client_decode_limits(client, &limits);
        st = coord_decode_session_list_each(ex.response.body, ex.response.body_len, &limits,
                                            session, with_location, &each, &ex.error);
    }
    return coord_exchange_end(&ex, st);
}

coord_status coord_session_list_location_each(coord_client *client, const char *location_id,
                                              coord_session *session, coord_session_each_fn fn,
                                              void *user_data)
{
    if (session != NULL)
        memset(session, 0, sizeof(*session));
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    if (location_id == NULL) { /* NULL means "the user's" to list_sessions_each: refuse it here */
        coord_client_clear_error(client);
        return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "location_id is NULL");
    }
    return list_sessions_each(client, location_id, session, fn, user_data);
}

coord_status coord_session_list_user_each(coord_client *client, coord_session *session,
                                          coord_session_each_fn fn, void *user_data)
{
    if (session != NULL)
        memset(session, 0, sizeof(*session));
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    return list_sessions_each(client, NULL, session, fn, user_data);
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
