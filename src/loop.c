/* The non-blocking front end: calls driven by one libcurl multi handle and a
 * heap of timers, from the application's event loop (socket and timer
 * callbacks, curl_multi_socket_action) or from coord_loop_run's own
 * (curl_multi_poll). A call takes the same steps as in the blocking front
 * end (exchange.c): after each answer the engine decides; waits are timers
 * (timers.c). */
#include <limits.h>
#include <string.h>

#include <curl/curl.h>

#include "internal.h"
#include "transport_curl.h"

/* TLS hosts whose protocol the loop tracks at once; a further host takes
 * the slot of one without a handshake under way (it is probed again when
 * it comes back). */
#define HOST_SLOTS 8

/* What the loop knows of a TLS host (scheme, host and port): whether it
 * multiplexes calls on a connection (HTTP/2), and the call whose transfer
 * will tell when that is not known yet. */
typedef enum host_protocol { HOST_UNKNOWN, HOST_SERIAL, HOST_MULTIPLEXED } host_protocol;

typedef struct loop_host {
    uint64_t origin;     /* 0: a free slot */
    host_protocol protocol;
    coord_call *probe;   /* RUNNING, the first call to the host; NULL: none */
} loop_host;

struct coord_loop {
    CURLM *multi;
    coord_loop_socket_fn on_socket; /* NULL: driven by coord_loop_run*() */
    coord_loop_timer_fn on_timer;
    void *user_data;
    int64_t curl_due_ms;    /* libcurl's own timer (with callbacks); -1: none */
    int64_t told_due_ms;    /* the application's timer as last asked for; -1: none */
    /* libcurl, or the application's socket or timer callback, is running:
     * libcurl takes no multi call now, so cancels wait for dispatch() */
    int nested;
    int cancels_pending;    /* calls with cancel_requested set */
    int closing;            /* coord_loop_free() runs: no call may start */
    coord_call *first;      /* the calls in the loop, in the order they started */
    coord_call *last;
    coord_call *queue_head; /* QUEUED calls, first started first */
    coord_call *queue_tail;
    coord_call *held_head;  /* HELD calls: their host's first handshake is under way */
    coord_call *held_tail;
    loop_host hosts[HOST_SLOTS];
    size_t next_slot;       /* the slot a new host takes when every one is used */
    /* Connections per host: max_host_connections while any host of the
     * loop answered over HTTP/1.x (each call needs a connection of its
     * own), max_multiplexed_connections once hosts answered over HTTP/2
     * and none over HTTP/1.x. libcurl has one limit for all hosts. */
    uint32_t max_host_connections;
    uint32_t max_multiplexed_connections;
    long applied_connections; /* the limit libcurl has now */
    int seen_serial;        /* an answer came over HTTP/1.x */
    int seen_multiplexed;   /* an answer came over HTTP/2 */
    coord_timers timers;    /* WAITING, QUEUED and RUNNING calls; room for every call made */
    size_t allocated;       /* call objects made (in the loop or in the pool) */
    coord_call *pool;       /* ended calls, for the next ones (linked by next) */
    uint32_t calls;         /* in the loop: in flight and queued */
    uint32_t in_flight;     /* RUNNING and WAITING */
    uint32_t max_calls;
    int started;            /* a call was started: the callbacks cannot change */
    uint64_t last_id;       /* of the last call started: ids count from 1 */
};

/* ---- telling the application's event loop ---- */

static int on_libcurl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    coord_loop *loop = userp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= COORD_WATCH_IN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= COORD_WATCH_OUT;
    loop->on_socket(loop, (int)fd, events, loop->user_data, socketp); /* REMOVE: 0 */
    return 0;
}

/* Ask the application for a timer at the earliest of libcurl's and ours,
 * when that changed. */
static void tell_timer(coord_loop *loop)
{
    const coord_call *first = coord_timers_first(&loop->timers);
    int64_t due = loop->curl_due_ms, now;

    if (loop->on_timer == NULL)
        return;
    if (first != NULL && (due < 0 || first->state.due_ms < due))
        due = first->state.due_ms;
    if (due == loop->told_due_ms)
        return;
    loop->told_due_ms = due;
    now = coord_now_ms();
    loop->nested++;
    loop->on_timer(loop, due < 0 ? -1 : due > now ? due - now : 0, loop->user_data);
    loop->nested--;
}

static int on_libcurl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    coord_loop *loop = userp;

    (void)multi;
    loop->curl_due_ms = timeout_ms < 0 ? -1 : coord_now_ms() + timeout_ms;
    tell_timer(loop);
    return 0;
}

/* ---- connection economy: one connection's worth of handshake first ---- */

/* The scheme, host and port of url (up to the path), hashed (FNV-1a): the
 * libcurl connection pool's key, without keeping the text. Never 0. */
static uint64_t origin_of(const char *url)
{
    const char *p = strstr(url, "://");
    uint64_t h = 14695981039346656037u;

    p = p != NULL ? p + 3 : url;
    p += strcspn(p, "/?#");
    for (const char *c = url; c < p; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211u;
    return h != 0 ? h : 1;
}

static loop_host *find_host(coord_loop *loop, uint64_t origin)
{
    for (size_t i = 0; i < HOST_SLOTS; i++)
        if (loop->hosts[i].origin == origin)
            return &loop->hosts[i];
    return NULL;
}

/* The host's slot, a new one when the loop does not know it; NULL when
 * every slot has a handshake under way (the call is then sent as before). */
static loop_host *take_host(coord_loop *loop, uint64_t origin)
{
    loop_host *h = find_host(loop, origin);

    for (size_t tries = 0; h == NULL && tries < HOST_SLOTS; tries++) {
        loop_host *slot = &loop->hosts[loop->next_slot];

        loop->next_slot = (loop->next_slot + 1) % HOST_SLOTS;
        if (slot->probe == NULL) {
            slot->origin = origin;
            slot->protocol = HOST_UNKNOWN;
            h = slot;
        }
    }
    return h;
}

/* libcurl's connection limit from what the loop has seen (see the struct). */
static void apply_connection_limit(coord_loop *loop)
{
    long limit = (long)loop->max_host_connections;

    if (loop->seen_multiplexed && !loop->seen_serial &&
        loop->max_multiplexed_connections < loop->max_host_connections)
        limit = (long)loop->max_multiplexed_connections;
    if (limit != loop->applied_connections &&
        curl_multi_setopt(loop->multi, CURLMOPT_MAX_HOST_CONNECTIONS, limit) == CURLM_OK)
        loop->applied_connections = limit;
}

/* A held call times out where it waits. */
static void held_expired(coord_call *call)
{
    coord_exchange_fail(&call->exchange, COORD_ERR_TIMEOUT, "total timeout of %lu ms passed "
                        "while the call waited for the first connection to its host (its TLS "
                        "handshake tells whether calls can share a connection)",
                        (unsigned long)call->exchange.progress.timeout_ms);
    call->state.complete(call, COORD_ERR_TIMEOUT);
}

static void held_remove(coord_loop *loop, coord_call *call)
{
    coord_call **link = &loop->held_head, *before = NULL;

    while (*link != call) {
        before = *link;
        link = &(*link)->state.held_next;
    }
    *link = call->state.held_next;
    if (loop->held_tail == call)
        loop->held_tail = before;
    call->state.held_next = NULL;
}

/* Over TLS, a host's first connection tells by its handshake (ALPN) whether
 * the host speaks HTTP/2, and so whether calls share connections. Until its
 * first call's transfer ends, the host's other calls wait here rather than
 * in libcurl: with libcurl 7.88, transfers added while that is unknown, or
 * beyond what the connections made so far can carry, each open a
 * connection of their own (a burst of 1,000 opened 51, up to the limit),
 * and the connection limit the answer calls for (apply_connection_limit)
 * must be in place before they reach libcurl. Plain HTTP is told only by
 * the first answer, always HTTP/1.1: nothing is held. 1 when the call is
 * held (and is sent again by release_held()). */
static int hold_for_handshake(coord_call *call)
{
    coord_loop *loop = call->state.loop;
    const char *url = call->exchange.request.url;
    const loop_host *h;

    call->state.origin = 0;
    if (url == NULL || strncmp(url, "https:", 6) != 0)
        return 0;
    call->state.origin = origin_of(url);
    h = find_host(loop, call->state.origin);
    if (call->state.skip_hold || h == NULL || h->protocol != HOST_UNKNOWN || h->probe == NULL)
        return 0;
    call->state.phase = COORD_PHASE_HELD;
    if (loop->held_tail != NULL)
        loop->held_tail->state.held_next = call;
    else
        loop->held_head = call;
    loop->held_tail = call;
    call->state.due_ms = call->exchange.progress.deadline_ms;
    call->state.on_due = held_expired;
    coord_timers_add(&loop->timers, call);
    return 1;
}

/* 1 when the call should wait for a connection being made to its host
 * rather than open another (CURLOPT_PIPEWAIT): over TLS, to a host not
 * known to answer over HTTP/1.x, whose handshake tells whether calls can
 * share a connection. Not to a host known to answer over HTTP/1.x: there
 * is nothing to wait for, and libcurl 7.88 wakes waiting transfers only
 * one per finished transfer (a burst over HTTP/1.1 was once seen to go
 * over a single connection; the cause is not pinned down). Over plain HTTP
 * the protocol is told only by the first answer: a slow one would hold up
 * every call. */
static long may_share_a_connection(const coord_call *call)
{
    const loop_host *h;

    if (call->state.origin == 0) /* plain HTTP (see hold_for_handshake) */
        return 0L;
    h = find_host(call->state.loop, call->state.origin);
    return h == NULL || h->protocol != HOST_SERIAL ? 1L : 0L;
}

/* A call's transfer is in libcurl: the first to a TLS host whose protocol
 * is not known is its probe. */
static void transfer_added(coord_call *call)
{
    loop_host *h;

    if (call->state.origin == 0)
        return;
    h = take_host(call->state.loop, call->state.origin);
    if (h != NULL && h->protocol == HOST_UNKNOWN && h->probe == NULL)
        h->probe = call;
}

/* The held calls of a host go on, each sent from the loop's next turn.
 * After a probe that learned nothing (no answer: refused, timed out,
 * cancelled) they are sent as they would have been without the hold, so
 * that a host that is down fails them as fast as before. */
static void release_held(coord_loop *loop, uint64_t origin, int learned)
{
    coord_call *call = loop->held_head, *next;

    for (; call != NULL; call = next) {
        next = call->state.held_next;
        if (call->state.origin != origin)
            continue;
        held_remove(loop, call);
        coord_timers_remove(&loop->timers, call);
        call->state.skip_hold = !learned;
        coord_loop_call_after(call, 0, coord_loop_call_send);
    }
}

/* A call's transfer left libcurl; version is libcurl's CURLINFO_HTTP_VERSION
 * of its answer (0: none). What it tells goes to the loop's connection
 * limit and, for a probe, to its host and the calls held for it. */
static void transfer_ended(coord_call *call, long version)
{
    coord_loop *loop = call->state.loop;
    loop_host *h = call->state.origin != 0 ? find_host(loop, call->state.origin) : NULL;

    if (version == CURL_HTTP_VERSION_2_0)
        loop->seen_multiplexed = 1;
    else if (version != 0)
        loop->seen_serial = 1;
    apply_connection_limit(loop);
    if (h == NULL || h->probe != call)
        return;
    h->probe = NULL;
    if (version != 0)
        h->protocol = version == CURL_HTTP_VERSION_2_0 ? HOST_MULTIPLEXED : HOST_SERIAL;
    release_held(loop, h->origin, version != 0);
}

/* ---- a call's way through the loop ---- */

/* What a libcurl multi failure means for the caller. */
static coord_status status_of(CURLMcode mc)
{
    if (mc == CURLM_OK)
        return COORD_OK;
    return mc == CURLM_OUT_OF_MEMORY ? COORD_ERR_OUT_OF_MEMORY : COORD_ERR_TRANSPORT;
}

/* Add and remove a transfer: libcurl may call the application's socket
 * and timer callbacks from inside. */
static CURLMcode add_transfer(coord_loop *loop, coord_transport *t)
{
    CURLMcode mc;

    loop->nested++;
    mc = curl_multi_add_handle(loop->multi, coord_transport_handle(t));
    loop->nested--;
    return mc;
}

static void remove_transfer(coord_loop *loop, coord_transport *t)
{
    loop->nested++;
    curl_multi_remove_handle(loop->multi, coord_transport_handle(t));
    loop->nested--;
}

/* A running call stops before libcurl ended its transfer: the transfer
 * leaves libcurl, and its attempt counts (the server may have it). */
static void stop_transfer(coord_call *call)
{
    remove_transfer(call->state.loop, call->state.transport);
    transfer_ended(call, 0);
    coord_exchange_abandon_attempt(&call->exchange, coord_transport_sent(call->state.transport));
    call->state.phase = COORD_PHASE_WAITING;
}

/* A running call at its deadline that libcurl has not ended: a transfer
 * waiting for a connection (max_host_connections) is not timed out by
 * libcurl itself. */
static void running_expired(coord_call *call)
{
    stop_transfer(call);
    coord_exchange_fail(&call->exchange, COORD_ERR_TIMEOUT, "total timeout of %lu ms passed before "
                    "the transfer ended (waiting for a connection? see max_host_connections)",
                    (unsigned long)call->exchange.progress.timeout_ms);
    call->state.complete(call, COORD_ERR_TIMEOUT);
}

/* How long after its deadline a running call is ended by the loop: libcurl
 * ends a transfer at the deadline itself (CURLOPT_TIMEOUT_MS) with its own
 * detail; the loop's timer is for the transfers it does not time out. */
#define RUNNING_GRACE_MS 100

void coord_loop_call_after(coord_call *call, uint32_t delay_ms, coord_call_due_fn on_due)
{
    call->state.phase = COORD_PHASE_WAITING;
    call->state.due_ms = coord_now_ms() + delay_ms;
    call->state.on_due = on_due;
    coord_timers_add(&call->state.loop->timers, call);
}

/* Follow the engine's decision after an answer. */
static void advance(coord_call *call, coord_next next)
{
    if (next.kind == COORD_NEXT_RECOVER)
        next = coord_exchange_recover(&call->exchange);
    if (next.kind == COORD_NEXT_DONE)
        call->state.complete(call, next.status);
    else if (next.delay_ms == 0)
        coord_loop_call_send(call);
    else
        coord_loop_call_after(call, next.delay_ms, coord_loop_call_send);
}

/* A failure before the request reached libcurl: the engine decides, as
 * after any failed attempt. */
static void not_sent(coord_call *call, coord_status status)
{
    advance(call, coord_exchange_answered(&call->exchange, status));
}

void coord_loop_call_send(coord_call *call)
{
    coord_exchange *ex = &call->exchange;
    coord_status st = COORD_OK;
    CURLMcode mc;
    CURL *easy;

    if (coord_exchange_expired(ex)) {
        call->state.complete(call, COORD_ERR_TIMEOUT);
        return;
    }
    if (hold_for_handshake(call))
        return;
    if (call->state.transport == NULL)
        st = coord_client_take_transport(ex->client, &call->state.transport,
                                         &call->state.transport_version, &ex->error);
    if (st != COORD_OK) {
        call->state.complete(call, st);
        return;
    }
    st = coord_exchange_prepare(ex, call->state.transport);
    if (st != COORD_OK) {
        not_sent(call, st);
        return;
    }
    easy = coord_transport_handle(call->state.transport);
    if (curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)call) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_PIPEWAIT, may_share_a_connection(call)) != CURLE_OK) {
        not_sent(call, coord_exchange_fail(ex, COORD_ERR_TRANSPORT,
                                       "libcurl refused the call's options"));
        return;
    }
    mc = add_transfer(call->state.loop, call->state.transport);
    if (mc != CURLM_OK) {
        not_sent(call, coord_exchange_fail(ex, status_of(mc), "libcurl refused the transfer: %s",
                                       curl_multi_strerror(mc)));
        return;
    }
    transfer_added(call);
    call->state.phase = COORD_PHASE_RUNNING;
    call->state.due_ms = ex->progress.deadline_ms + RUNNING_GRACE_MS;
    call->state.on_due = running_expired;
    coord_timers_add(&call->state.loop->timers, call);
}

/* The answers libcurl finished: each goes to its call's engine. */
static void take_answers(coord_loop *loop)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(loop->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result; /* msg is gone once the handle is removed */
        char *owner = NULL;
        long version = 0;
        coord_call *call;
        coord_status st;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner); /* set by coord_loop_call_send */
        call = (coord_call *)(void *)owner;
        if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) != CURLE_OK)
            version = 0;
        remove_transfer(loop, call->state.transport);
        transfer_ended(call, version);
        if (call->state.timer != COORD_NO_TIMER)
            coord_timers_remove(&loop->timers, call); /* the timer of its deadline */
        call->state.phase = COORD_PHASE_WAITING; /* until the engine decides */
        st = coord_transport_result(call->state.transport, rc, &call->exchange.response,
                                    &call->exchange.error);
        advance(call, coord_exchange_answered(&call->exchange, st));
    }
}

/* Run the timers that are due; a timer set while they run is in the future. */
static void fire_timers(coord_loop *loop)
{
    int64_t now = coord_now_ms();

    coord_call *call;

    while ((call = coord_timers_first(&loop->timers)) != NULL && call->state.due_ms <= now) {
        coord_timers_remove(&loop->timers, call);
        call->state.on_due(call);
    }
}

static void queue_remove(coord_loop *loop, coord_call *call)
{
    coord_call **link = &loop->queue_head, *before = NULL;

    if (call->state.queued_at_us != 0) /* observed: its record tells the time queued */
        call->exchange.queued_us = coord_now_us() - call->state.queued_at_us;

    while (*link != call) {
        before = *link;
        link = &(*link)->state.queue_next;
    }
    *link = call->state.queue_next;
    if (loop->queue_tail == call)
        loop->queue_tail = before;
    call->state.queue_next = NULL;
}

/* Queued calls take the places calls freed: each is sent by the loop's
 * next turn (a timer due now), so that neither a cancel nor a chain of
 * calls that end at once runs callbacks on one another's stack. */
static void admit_queued(coord_loop *loop)
{
    while (loop->queue_head != NULL && loop->in_flight < loop->max_calls) {
        coord_call *call = loop->queue_head;

        queue_remove(loop, call);
        /* the timer of its deadline: checked again when it is sent */
        coord_timers_remove(&loop->timers, call);
        loop->in_flight++;
        coord_loop_call_after(call, 0, call->state.start);
    }
}

/* A queued call reached its deadline before the loop had room for it
 * (it leaves the queue when it is delivered). */
static void queue_expired(coord_call *call)
{
    coord_exchange_fail(&call->exchange, COORD_ERR_TIMEOUT, "total timeout of %lu ms passed while "
                    "the call waited for room in the loop (%lu calls in flight)",
                    (unsigned long)call->state.timeout_ms, (unsigned long)call->state.loop->max_calls);
    call->state.complete(call, COORD_ERR_TIMEOUT);
}

/* Cancels asked for while libcurl or the application's socket or timer
 * callback ran, done now. */
static void cancel_pending(coord_loop *loop)
{
    coord_call *call;

    while (loop->cancels_pending) {
        loop->cancels_pending = 0;
        for (call = loop->first; call != NULL; call = call->state.next) {
            if (call->state.cancel_requested) {
                (void)coord_call_cancel(call);
                loop->cancels_pending = 1; /* the list changed: from the start */
                break;
            }
        }
    }
}

/* After libcurl ran: cancels asked for meanwhile, answers, timers, queued
 * calls, and the next timer. */
static void dispatch(coord_loop *loop)
{
    cancel_pending(loop);
    take_answers(loop);
    fire_timers(loop);
    admit_queued(loop);
    cancel_pending(loop);
    tell_timer(loop);
}

/* ---- ending a call ---- */

/* The call is over: out of libcurl, of the timers and of the queue. */
static void detach(coord_call *call)
{
    coord_loop *loop = call->state.loop;

    if (call->state.phase == COORD_PHASE_RUNNING)
        remove_transfer(loop, call->state.transport);
    if (call->state.timer != COORD_NO_TIMER)
        coord_timers_remove(&loop->timers, call);
    if (call->state.phase == COORD_PHASE_HELD)
        held_remove(loop, call);
    if (call->state.phase == COORD_PHASE_QUEUED)
        queue_remove(loop, call);
    else
        loop->in_flight--;
    call->state.phase = COORD_PHASE_DONE;
    call->state.cancel_requested = 0;
    loop->calls--; /* not in the loop any more, also for its own callback */
}

/* What the call holds goes back: its handle to the client's pool, its
 * results (unless the callback took the list) freed, the token wiped. */
static void free_results(coord_call *call)
{
    if (call->state.transport != NULL && call->state.token != NULL)
        coord_transport_wipe_body(call->state.transport); /* a cancelled token call's answer */
    if (call->state.transport != NULL)
        coord_client_put_transport(call->exchange.client, call->state.transport, call->state.transport_version);
    call->state.transport = NULL;
    coord_session_list_free(&call->state.list);
    coord_free(call->state.barcode);
    call->state.barcode = NULL;
    if (call->state.token != NULL)
        coord_wipe(call->state.token, call->state.token_size);
    coord_free(call->state.token);
    call->state.token = NULL;
}

/* After the callback: the call leaves the loop for its pool. */
static void release(coord_call *call)
{
    coord_loop *loop = call->state.loop;

    free_results(call);
    if (call->state.prev != NULL)
        call->state.prev->state.next = call->state.next;
    else
        loop->first = call->state.next;
    if (call->state.next != NULL)
        call->state.next->state.prev = call->state.prev;
    else
        loop->last = call->state.prev;
    call->state.next = loop->pool;
    loop->pool = call;
    admit_queued(loop);
}

void coord_call_deliver(coord_call *call, coord_status status)
{
    const coord_call_callback *cb = &call->state.callback;
    const coord_error *e = &call->exchange.error;
    int ok = status == COORD_OK;

    detach(call);
    coord_exchange_finalize(&call->exchange, status);
    if (cb->on_session != NULL)
        cb->on_session(call, status, e, ok || call->state.has_session ? &call->session : NULL,
                       cb->user_data);
    else if (cb->on_list != NULL)
        cb->on_list(call, status, e, ok ? &call->state.list : NULL, cb->user_data);
    else if (cb->on_barcode != NULL)
        cb->on_barcode(call, status, e, ok ? call->state.barcode : NULL, cb->user_data);
    else
        cb->on_token(call, status, e, ok ? call->state.token : NULL, cb->user_data);
    release(call);
}

coord_status coord_call_cancel(coord_call *call)
{
    if (call == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    if (call->state.phase == COORD_PHASE_DONE)
        return COORD_OK; /* its callback runs: it is over */
    if (call->state.loop->nested) { /* libcurl takes no call now: when it has returned */
        call->state.cancel_requested = 1;
        call->state.loop->cancels_pending = 1;
        return COORD_OK;
    }
    if (call->state.phase == COORD_PHASE_RUNNING)
        stop_transfer(call);
    coord_exchange_fail(&call->exchange, COORD_ERR_CANCELLED, "cancelled by coord_call_cancel() after "
                    "%ld attempt(s)", (long)call->exchange.error.attempts);
    coord_call_deliver(call, COORD_ERR_CANCELLED);
    return COORD_OK;
}

coord_status coord_loop_cancel(coord_loop *loop, uint64_t call_id)
{
    coord_call *call;

    if (loop == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    for (call = loop->first; call != NULL; call = call->state.next)
        if (call->state.id == call_id && call->state.phase != COORD_PHASE_DONE)
            return coord_call_cancel(call);
    return COORD_ERR_NOT_FOUND; /* over (its callback ran or runs), or never started */
}

uint64_t coord_call_id(const coord_call *call)
{
    return call != NULL ? call->state.id : 0;
}

/* ---- starting a call ---- */

coord_call *coord_loop_call_new(coord_loop *loop, coord_client *client,
                                const coord_call_callback *callback, coord_operation operation,
                                const char *location_id, int64_t session_id)
{
    coord_call *call = loop->pool;

    if (call != NULL) {
        loop->pool = call->state.next;
    } else {
        /* every call made may need a timer at once: never refused one later */
        if (coord_timers_reserve(&loop->timers, loop->allocated + 1) != COORD_OK)
            return NULL;
        call = coord_malloc(sizeof(*call));
        if (call == NULL)
            return NULL;
        loop->allocated++;
    }
    /* the exchange and the session (7 KiB) are begun or written before
     * they are read: only the state is cleared */
    memset(&call->state, 0, sizeof(call->state));
    call->state.loop = loop;
    call->state.phase = COORD_PHASE_WAITING;
    call->state.start = coord_loop_call_send;
    call->state.timer = COORD_NO_TIMER;
    call->state.callback = *callback;
    coord_exchange_begin(&call->exchange, client, operation, 0, location_id, session_id);
    coord_exchange_own_credentials(&call->exchange);
    call->state.timeout_ms = call->exchange.progress.timeout_ms;
    call->state.deadline_ms = call->exchange.progress.deadline_ms;
    return call;
}

coord_call *coord_async_begin(coord_loop *loop, coord_client *client,
                              const coord_call_callback *callback, coord_call_complete_fn complete,
                              coord_operation operation, const char *location_id,
                              int64_t session_id, coord_status *out_status)
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
    if (callback->on_session == NULL && callback->on_list == NULL &&
        callback->on_barcode == NULL && callback->on_token == NULL) {
        coord_client_fail(client, COORD_ERR_INVALID_ARGUMENT, "on_done is NULL");
        return NULL;
    }
    call = coord_loop_call_new(loop, client, callback, operation, location_id, session_id);
    if (call == NULL) {
        *out_status = coord_client_fail(client, COORD_ERR_OUT_OF_MEMORY, "out of memory for a call");
        return NULL;
    }
    call->state.complete = complete;
    *out_status = COORD_OK;
    return call;
}

coord_call *coord_session_async_begin(coord_loop *loop, coord_client *client,
                                      coord_session_fn on_done, void *user_data,
                                      coord_call_complete_fn complete, coord_operation operation,
                                      const char *location_id, int64_t session_id,
                                      coord_status *out_status)
{
    coord_call_callback callback = {.on_session = on_done, .user_data = user_data};

    return coord_async_begin(loop, client, &callback, complete, operation, location_id,
                             session_id, out_status);
}

coord_status coord_loop_call_start(coord_call *call, coord_status built, coord_call **out_call)
{
    coord_loop *loop = call->state.loop;

    if (built == COORD_OK && loop->closing)
        built = coord_exchange_fail(&call->exchange, COORD_ERR_INVALID_ARGUMENT,
                                "the loop is being freed");
    if (built == COORD_OK)
        built = coord_client_usable(call->exchange.client, &call->exchange.error);
    if (built != COORD_OK) { /* nothing sent, no callback: the record says why */
        coord_exchange_end(&call->exchange, built);
        free_results(call);
        call->state.next = loop->pool;
        loop->pool = call;
        return built;
    }
    call->state.prev = loop->last;
    if (loop->last != NULL)
        loop->last->state.next = call;
    else
        loop->first = call;
    loop->last = call;
    loop->calls++;
    loop->started = 1;
    call->state.id = ++loop->last_id;
    call->exchange.call_id = call->state.id;
    if (loop->in_flight < loop->max_calls) {
        /* sent from the loop, not from here: a callback never runs inside
         * a start function */
        loop->in_flight++;
        coord_loop_call_after(call, 0, call->state.start);
    } else {
        call->state.phase = COORD_PHASE_QUEUED;
        if (coord_client_observes(call->exchange.client))
            call->state.queued_at_us = coord_now_us();
        call->state.due_ms = call->state.deadline_ms;
        call->state.on_due = queue_expired;
        coord_timers_add(&loop->timers, call);
        if (loop->queue_tail != NULL)
            loop->queue_tail->state.queue_next = call;
        else
            loop->queue_head = call;
        loop->queue_tail = call;
    }
    tell_timer(loop);
    if (out_call != NULL)
        *out_call = call;
    return COORD_OK;
}

/* ---- the loop ---- */

coord_status coord_loop_new(coord_loop **out_loop)
{
    coord_loop *loop;

    if (out_loop == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    *out_loop = NULL;
    loop = coord_calloc(1, sizeof(*loop));
    if (loop == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    loop->multi = curl_multi_init();
    loop->max_host_connections = COORD_DEFAULT_LOOP_MAX_HOST_CONNECTIONS;
    loop->max_multiplexed_connections = COORD_DEFAULT_LOOP_MAX_MULTIPLEXED_CONNECTIONS;
    if (loop->multi != NULL)
        apply_connection_limit(loop);
    if (loop->multi == NULL || loop->applied_connections == 0) {
        coord_loop_free(loop);
        return COORD_ERR_OUT_OF_MEMORY;
    }
    loop->max_calls = COORD_DEFAULT_LOOP_MAX_CALLS;
    loop->curl_due_ms = -1;
    loop->told_due_ms = -1;
    *out_loop = loop;
    return COORD_OK;
}

void coord_loop_free(coord_loop *loop)
{
    if (loop == NULL)
        return;
    loop->closing = 1; /* a callback that starts a call again gets a refusal */
    while (loop->first != NULL)
        (void)coord_call_cancel(loop->first);
    while (loop->pool != NULL) {
        coord_call *call = loop->pool;

        loop->pool = call->state.next;
        coord_free(call);
    }
    coord_timers_free(&loop->timers);
    if (loop->multi != NULL)
        curl_multi_cleanup(loop->multi);
    coord_free(loop);
}

coord_status coord_loop_set_limits(coord_loop *loop, uint32_t max_calls,
                                   uint32_t max_host_connections)
{
    if (loop == NULL || max_calls < 1 || max_calls > 100000 || max_host_connections < 1 ||
        max_host_connections > 10000)
        return COORD_ERR_INVALID_ARGUMENT;
    loop->max_host_connections = max_host_connections;
    apply_connection_limit(loop);
    loop->max_calls = max_calls;
    return COORD_OK;
}

coord_status coord_loop_set_multiplexed_connections(coord_loop *loop, uint32_t max_connections)
{
    if (loop == NULL || max_connections < 1 || max_connections > 10000)
        return COORD_ERR_INVALID_ARGUMENT;
    loop->max_multiplexed_connections = max_connections;
    apply_connection_limit(loop);
    return COORD_OK;
}

coord_status coord_loop_set_callbacks(coord_loop *loop, coord_loop_socket_fn on_socket,
                                      coord_loop_timer_fn on_timer, void *user_data)
{
    if (loop == NULL || on_socket == NULL || on_timer == NULL || loop->started)
        return COORD_ERR_INVALID_ARGUMENT;
    if (curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, on_libcurl_socket) != CURLM_OK ||
        curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop) != CURLM_OK ||
        curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, on_libcurl_timer) != CURLM_OK ||
        curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop) != CURLM_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    loop->on_socket = on_socket;
    loop->on_timer = on_timer;
    loop->user_data = user_data;
    return COORD_OK;
}

coord_status coord_loop_assign(coord_loop *loop, int fd, void *socket_data)
{
    if (loop == NULL ||
        curl_multi_assign(loop->multi, (curl_socket_t)fd, socket_data) != CURLM_OK)
        return COORD_ERR_INVALID_ARGUMENT;
    return COORD_OK;
}

/* curl_multi_socket_action, with libcurl's calls back into us marked. */
static CURLMcode socket_action(coord_loop *loop, curl_socket_t fd, int events)
{
    int running;
    CURLMcode mc;

    loop->nested++;
    mc = curl_multi_socket_action(loop->multi, fd, events, &running);
    loop->nested--;
    return mc;
}

coord_status coord_loop_socket_ready(coord_loop *loop, int fd, int events)
{
    int mask = 0;
    CURLMcode mc;

    if (loop == NULL || loop->on_socket == NULL || loop->nested)
        return COORD_ERR_INVALID_ARGUMENT;
    if (events & COORD_WATCH_IN)
        mask |= CURL_CSELECT_IN;
    if (events & COORD_WATCH_OUT)
        mask |= CURL_CSELECT_OUT;
    if (events & COORD_WATCH_ERROR)
        mask |= CURL_CSELECT_ERR;
    mc = socket_action(loop, (curl_socket_t)fd, mask);
    dispatch(loop);
    return status_of(mc);
}

coord_status coord_loop_timeout(coord_loop *loop)
{
    CURLMcode mc = CURLM_OK;

    if (loop == NULL || loop->on_socket == NULL || loop->nested)
        return COORD_ERR_INVALID_ARGUMENT;
    loop->told_due_ms = -1; /* the application's timer fired: it has none now */
    if (loop->curl_due_ms >= 0 && loop->curl_due_ms <= coord_now_ms()) {
        loop->curl_due_ms = -1; /* libcurl sets its next one, if any */
        mc = socket_action(loop, CURL_SOCKET_TIMEOUT, 0);
    }
    dispatch(loop);
    return status_of(mc);
}

coord_status coord_loop_run_once(coord_loop *loop, uint32_t max_wait_ms)
{
    int64_t wait = max_wait_ms < INT_MAX ? max_wait_ms : INT_MAX; /* curl_multi_poll's int */
    const coord_call *first;
    int running;
    CURLMcode mc;

    if (loop == NULL || loop->on_socket != NULL || loop->nested)
        return COORD_ERR_INVALID_ARGUMENT;
    dispatch(loop); /* what is due already: calls just started, retries */
    if (loop->calls == 0)
        return COORD_OK;
    first = coord_timers_first(&loop->timers);
    if (first != NULL) {
        int64_t until = first->state.due_ms - coord_now_ms();

        wait = until < 0 ? 0 : until < wait ? until : wait;
    }
    /* returns early on socket activity, and at libcurl's own timeout */
    mc = curl_multi_poll(loop->multi, NULL, 0, (int)wait, NULL);
    if (mc == CURLM_OK) {
        loop->nested++;
        mc = curl_multi_perform(loop->multi, &running);
        loop->nested--;
    }
    dispatch(loop);
    return status_of(mc);
}

coord_status coord_loop_run(coord_loop *loop)
{
    coord_status st = COORD_OK;

    if (loop == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    while (st == COORD_OK && loop->calls > 0)
        st = coord_loop_run_once(loop, 1000);
    return st;
}

uint32_t coord_loop_calls(const coord_loop *loop)
{
    return loop != NULL ? loop->calls : 0;
}
