/* The session lists, in both forms (the shape: sessions.c), and read one
 * session at a time. */
#include <string.h>

#include "internal.h"

/* ---- lists ---- */

/* The calls of one location's list refuse a NULL location_id, which means
 * "the user's" to the functions that serve both lists. */
static coord_status location_given(coord_client *client, const char *location_id)
{
    if (location_id != NULL)
        return COORD_OK;
    coord_client_clear_error(client);
    return coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "location_id is NULL");
}

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
    if (location_given(client, location_id) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
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
    if (client != NULL && location_given(client, location_id) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    return list_sessions_async(loop, client, location_id, on_done, user_data, out_call);
}

coord_status coord_session_list_user_async(coord_loop *loop, coord_client *client,
                                           coord_session_list_fn on_done, void *user_data,
                                           coord_call **out_call)
{
    return list_sessions_async(loop, client, NULL, on_done, user_data, out_call);
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
    if (location_given(client, location_id) != COORD_OK)
        return COORD_ERR_INVALID_ARGUMENT;
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
