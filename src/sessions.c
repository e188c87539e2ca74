/* The session endpoints: validate, build, send, map, decode. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Is a refused end the server saying "this session checks out at the gate"?
 * Coord published no code for it: see coord_end_session() in coord.h. */
static int is_physical_checkout_refusal(const coord_error *e)
{
    return e->http_status >= 400 && e->http_status <= 499 && e->has_api_error &&
           (e->api_code == COORD_API_CODE_PHYSICAL_CHECKOUT ||
            strstr(e->api_message, "redemption_info") != NULL);
}

/* The calls that answer one session, and how each refines a refusal. */
typedef enum { CALL_GET, CALL_END, CALL_CREATE, CALL_SIMULATE } session_call;

static coord_status exchange(coord_client *client, session_call call,
                             const coord_target *target, const char *location_id,
                             int64_t session_id, const char *resource_id,
                             uint32_t duration_m, coord_session *out);

/* An end was refused as already ended (409) after an attempt of the same
 * call lost its answer: that attempt most likely did the ending. Fetch the
 * session so the caller gets it and its bill, as if the answer had come. */
static coord_status recover_ended(coord_client *client, const char *location_id,
                                  int64_t session_id, coord_session *out_session)
{
    coord_target target;
    coord_status st;

    coord_client_log(client, COORD_LOG_INFO, "end of session %lld: an answer was lost and "
                     "the retry found it ended; fetching it", (long long)session_id);
    coord_client_target(client, &target);
    st = exchange(client, CALL_GET, &target, location_id, session_id, NULL, 0, out_session);
    if (st == COORD_OK && !out_session->has_end_time)
        st = coord_call_fail(client, COORD_ERR_BAD_RESPONSE, "session was refused as ended "
                             "but has no end_time");
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

/* Refine the generic status of a refused call (see each function in coord.h).
 * For a simulated redemption only the 409: a refusal that names
 * redemption_info is not a gate checkout there. */
static coord_status refine(coord_client *client, session_call call, coord_status st,
                           const char *location_id, int64_t session_id, coord_session *out)
{
    coord_error *e = coord_client_error(client);

    if (call == CALL_END)
        return end_refused(client, st, location_id, session_id, out);
    if (call != CALL_GET && e->http_status == 409)
        e->status = (int32_t)(st = call == CALL_CREATE ? COORD_ERR_SESSION_ACTIVE
                                                       : COORD_ERR_ALREADY_ENDED);
    return st;
}

/* A location id may live inside the output (polling a held session with
 * coord_session_get(c, s.location_id, s.id, &s)): point *location_id at a
 * copy before the output is zeroed. An id too long to copy is left as it is
 * for the request builder to refuse. */
static void keep_location(const char **location_id, char copy[COORD_ID_MAX])
{
    if (location_id != NULL && *location_id != NULL &&
        coord_copy_text(copy, COORD_ID_MAX, *location_id))
        *location_id = copy;
}

/* Start a call: keep the location id, zero the output, clear the client's
 * record, get its target. */
static coord_status begin_call(coord_client *client, void *out, size_t size, const char *name,
                               coord_target *target, const char **location_id,
                               char location_copy[COORD_ID_MAX])
{
    keep_location(location_id, location_copy);
    if (out != NULL)
        memset(out, 0, size);
    if (client == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    coord_call_begin(client);
    if (out == NULL)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT, "%s is NULL", name);
    coord_client_target(client, target);
    return COORD_OK;
}

static void default_location(coord_session *s, const char *location_id)
{
    if (s->location_id[0] == '\0') /* validated by the request builder: it fits */
        coord_copy_text(s->location_id, sizeof(s->location_id), location_id);
}

/* Build, send, refine a refusal, decode: the exchange of every call
 * answering one session (and of the fetch that recovers an end whose answer
 * was lost). resource_id and duration_m are for CALL_CREATE and
 * CALL_SIMULATE. */
static coord_status exchange(coord_client *client, session_call call,
                             const coord_target *target, const char *location_id,
                             int64_t session_id, const char *resource_id,
                             uint32_t duration_m, coord_session *out)
{
    char detail[COORD_MESSAGE_MAX];
    coord_error decode_err;
    coord_request req;
    coord_response resp;
    coord_status st;

    detail[0] = '\0'; /* not = "": that would zero all 256 bytes */
    switch (call) {
    case CALL_END:
        st = coord_request_end_session(&req, target, location_id, session_id,
                                       detail, sizeof(detail));
        break;
    case CALL_CREATE:
        st = coord_request_create_session(&req, target, location_id, resource_id,
                                          detail, sizeof(detail));
        break;
    case CALL_SIMULATE:
        st = coord_request_simulate_redemption(&req, target, location_id, session_id,
                                               duration_m, detail, sizeof(detail));
        break;
    default:
        st = coord_request_get_session(&req, target, location_id, session_id,
                                       detail, sizeof(detail));
        break;
    }
    st = coord_client_send_built(client, st, &req, detail, &resp);
    if (st != COORD_OK)
        st = refine(client, call, st, location_id, session_id, out);
    else if ((st = coord_decode_session(resp.body, resp.body_len, out, &decode_err)) !=
             COORD_OK)
        coord_call_fail_detail(client, st, decode_err.detail);
    if (st != COORD_OK)
        return st;
    default_location(out, location_id);
    return COORD_OK;
}

/* Every call answering one session: validate, then the exchange. */
static coord_status one_session(coord_client *client, session_call call,
                                const char *location_id, int64_t session_id,
                                const char *resource_id, uint32_t duration_m,
                                coord_session *out)
{
    coord_target target;
    char loc[COORD_ID_MAX];
    coord_status st = begin_call(client, out, sizeof(*out), "out_session", &target,
                                 &location_id, loc);

    if (st != COORD_OK)
        return st;
    return exchange(client, call, &target, location_id, session_id, resource_id, duration_m,
                    out);
}

coord_status coord_end_session(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    return one_session(client, CALL_END, location_id, session_id, NULL, 0, out_session);
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

/* ---- session lifecycle (issue 3) ---- */

coord_status coord_session_create(coord_client *client, const char *location_id,
                                  const char *resource_id, coord_session *out_session)
{
    return one_session(client, CALL_CREATE, location_id, 0, resource_id, 0, out_session);
}

coord_status coord_session_get(coord_client *client, const char *location_id,
                               int64_t session_id, coord_session *out_session)
{
    return one_session(client, CALL_GET, location_id, session_id, NULL, 0, out_session);
}

coord_status coord_test_simulate_redemption(coord_client *client, const char *location_id,
                                            int64_t session_id, uint32_t duration_m,
                                            coord_session *out_session)
{
    return one_session(client, CALL_SIMULATE, location_id, session_id, NULL, duration_m,
                       out_session);
}

/* The calls without a session id: GET a list into out (a
 * coord_session_list; at location_id, or the user's everywhere when it is
 * NULL), or POST a barcode (a coord_redemption_info). One
 * validate-build-send-decode for both. */
static coord_status list_or_barcode(coord_client *client, const char *location_id,
                                    void *out, int barcode)
{
    char detail[COORD_MESSAGE_MAX];
    coord_error decode_err;
    coord_request req;
    coord_response resp;
    coord_target target;
    coord_session_list *list = out;
    coord_status st = begin_call(client, out, barcode ? sizeof(coord_redemption_info)
                                                      : sizeof(coord_session_list),
                                 barcode ? "out_barcode" : "out_list", &target, NULL, NULL);

    detail[0] = '\0'; /* not = "": that would zero all 256 bytes */
    if (st != COORD_OK)
        return st;
    if (barcode)
        st = coord_request_create_barcode(&req, &target, detail, sizeof(detail));
    else
        st = coord_request_list_sessions(&req, &target, location_id, detail, sizeof(detail));
    st = coord_client_send_built(client, st, &req, detail, &resp);
    if (st != COORD_OK)
        return st;
    if (barcode)
        st = coord_decode_barcode(resp.body, resp.body_len, out, &decode_err);
    else
        st = coord_decode_session_list(resp.body, resp.body_len, list, &decode_err);
    if (st != COORD_OK)
        return coord_call_fail_detail(client, st, decode_err.detail);
    for (uint32_t i = 0; !barcode && location_id != NULL && i < list->count; i++)
        default_location(&list->sessions[i], location_id);
    return COORD_OK;
}

static coord_status list_sessions(coord_client *client, const char *location_id,
                                  coord_session_list *out_list)
{
    return list_or_barcode(client, location_id, out_list, 0);
}

coord_status coord_session_list_location(coord_client *client, const char *location_id,
                                         coord_session_list *out_list)
{
    if (location_id == NULL) { /* NULL means "the user's" internally: refuse it here */
        if (out_list != NULL)
            memset(out_list, 0, sizeof(*out_list));
        if (client == NULL)
            return COORD_ERR_INVALID_ARGUMENT;
        coord_call_begin(client);
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT, "location_id is NULL");
    }
    return list_sessions(client, location_id, out_list);
}

coord_status coord_session_list_user(coord_client *client, coord_session_list *out_list)
{
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

coord_status coord_barcode_create(coord_client *client, coord_redemption_info *out_barcode)
{
    return list_or_barcode(client, NULL, out_barcode, 1);
}

/* ---- waiting for a session ---- */

static uint64_t monotonic_ms(void)
{
    return (uint64_t)coord_now_ms();
}

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
    coord_session seen;
    coord_target unused;
    uint64_t deadline, now;
    uint32_t polls = 0;
    char loc[COORD_ID_MAX];
    coord_status st = begin_call(client, out_session, sizeof(*out_session), "out_session",
                                 &unused, &location_id, loc);

    if (st != COORD_OK)
        return st;
    if (until != COORD_WAIT_STARTED && until != COORD_WAIT_ENDED)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "until must be COORD_WAIT_STARTED or COORD_WAIT_ENDED");
    if (interval_ms < COORD_WAIT_MIN_INTERVAL_MS || interval_ms > 3600000u)
        return coord_call_fail(client, COORD_ERR_INVALID_ARGUMENT,
                               "interval_ms must be %u..3600000", COORD_WAIT_MIN_INTERVAL_MS);
    deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        now = monotonic_ms();
        /* no poll may outlive the deadline (timeout 0: the one poll keeps the
         * client's own timeouts, as documented) */
        coord_client_cap_timeouts(client, deadline > now ? (uint32_t)(deadline - now) : 0);
        st = coord_session_get(client, location_id, session_id, &seen);
        coord_client_cap_timeouts(client, 0);
        polls++;
        now = monotonic_ms();
        if (st == COORD_OK) {
            *out_session = seen;
            if (reached(&seen, until))
                return COORD_OK;
        } else if (st != COORD_ERR_TIMEOUT || now < deadline) {
            return st; /* the poll's own failure */
        }
        if (now >= deadline)
            break;
        coord_sleep_ms(interval_ms < deadline - now ? interval_ms : deadline - now);
        if (monotonic_ms() >= deadline)
            break;
    }
    return coord_call_fail(client, COORD_ERR_TIMEOUT,
                           "session %lld at %s not %s after %lu ms (%lu polls)",
                           (long long)session_id, location_id,
                           until == COORD_WAIT_ENDED ? "ended" : "started",
                           (unsigned long)timeout_ms, (unsigned long)polls);
}
