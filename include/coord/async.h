/**
 * @file
 * libcoord's non-blocking calls: a loop runs many calls on one thread.
 *
 * Included by coord/coord.h, so that one include gives the whole API;
 * it may also be included on its own (it includes coord/coord.h).
 *
 * Every API call has a form that starts it and returns at once; a loop
 * (coord_loop: one libcurl multi handle) runs the calls, and a callback
 * receives each result. Many calls are in flight on one thread: they share
 * connections (and, over TLS, HTTP/2 streams where the server offers them),
 * and retries, Retry-After, the replay-safe end's fetch and
 * coord_session_wait_async()'s polls run on timers, never in a sleep.
 *
 * Two ways to drive a loop:
 *  - without an event loop of your own: coord_loop_run() until no call is
 *    left, or coord_loop_run_once() from your own loop's idle step;
 *  - inside your event loop (poll, libuv, libevent, GLib...): set
 *    coord_loop_set_callbacks() before the first call. libcoord then tells
 *    you which sockets to watch and when its next timeout is; you tell it
 *    what became ready (coord_loop_socket_ready()) and when the timeout
 *    passed (coord_loop_timeout()). examples/adapters/ has one page each
 *    for poll(), libuv and libevent.
 *
 * Threads: a loop, the calls on it and the clients those calls use belong to
 * one thread at a time, the one driving the loop; every callback runs on it,
 * from inside coord_loop_run*(), coord_loop_socket_ready() or
 * coord_loop_timeout(). Several loops may run on several threads, each with
 * its own clients. A client may also make blocking calls on the loop's
 * thread (they block it). coord_client_cancel() is the only function that
 * may be called from another thread.
 *
 * A call handle (coord_call) is valid from the start function's return until
 * its callback returns; the callback is called exactly once for every call
 * that started (COORD_OK from the start function), whether it succeeds,
 * fails, times out or is cancelled. The loop reuses the objects of ended
 * calls, so a handle kept after its callback may point at another call:
 * to cancel a call later (a "cancel" button, a timeout of the application's
 * own), keep its id (coord_call_id(), never reused within a loop) and
 * cancel with coord_loop_cancel(), which answers COORD_ERR_NOT_FOUND once
 * the call is over. The handle itself is for the call's own callback and
 * for code that runs before the callback can have run. A start function that fails calls no
 * callback, sends nothing, and records why in coord_client_last_error().
 * Completions write no client's last-error record: the callback gets the
 * call's own record.
 *
 * Bounds: at most max_calls calls of a loop are in flight (sending,
 * awaiting an answer, or waiting before a retry); more wait in a queue, in
 * the order they were started. Every call is bounded by its total timeout
 * counted from its start, the time in the queue included: its client's, or
 * for a wait, the wait's own (coord_session_wait_async()), whose first poll
 * begins when the wait leaves the queue. A transfer waiting inside libcurl
 * for a connection (max_host_connections) counts too, and so does the
 * lookup of the base URL's host name: a call ends by its deadline and a
 * cancel returns at once even while a DNS server does not answer (the
 * lookup goes on in a thread of libcurl's, which ends by itself when the
 * resolver gives up; docs/GUIDE.md "Name lookups").
 *
 * Memory: the loop keeps the objects of ended calls (about 7.5 KiB each)
 * for its next calls, and each client keeps the libcurl handles its
 * non-blocking calls used (with their answer buffers), until the loop or
 * the client is freed: after a burst of N calls in flight, up to N of each.
 * The queue itself has no bound: each call in it holds its object, so an
 * application that may start more calls than it can hold counts them.
 *
 * Connections: over HTTP/1.1 each call in flight needs a connection of its
 * own, up to max_host_connections per host (coord_loop_set_limits()). Over
 * TLS, a server that speaks HTTP/2 carries many calls on one connection:
 * the first call to a host goes alone, and the host's other calls wait in
 * the loop until its answer tells the protocol (they are bounded by their
 * total timeouts there too); once hosts of the loop answered over HTTP/2
 * (and none over HTTP/1.x), a host gets at most
 * coord_loop_set_multiplexed_connections() connections (default 4), and
 * calls beyond what they carry wait inside libcurl. A burst of 1,000 calls
 * to an HTTP/2 server then opens at most 4 connections instead of up to
 * 64 (and runs faster: fewer handshakes). A loop whose hosts speak both
 * keeps max_host_connections for all of them (libcurl has one limit).
 * When a host's first call gets no answer (refused, timed out), the calls
 * held for it are sent at once, as without the wait.
 */
#ifndef COORD_ASYNC_H
#define COORD_ASYNC_H

/* The types and calls this part builds on. coord.h includes this header
 * only at its end, after all it declares, so either may be included first. */
#include "coord.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default of coord_loop_set_limits()'s max_calls. */
#define COORD_DEFAULT_LOOP_MAX_CALLS 256u
/** Default of coord_loop_set_limits()'s max_host_connections. */
#define COORD_DEFAULT_LOOP_MAX_HOST_CONNECTIONS 64u
/** Default of coord_loop_set_multiplexed_connections(). */
#define COORD_DEFAULT_LOOP_MAX_MULTIPLEXED_CONNECTIONS 4u

/** Events on a socket, for coord_loop_socket_fn and coord_loop_socket_ready(). */
#define COORD_WATCH_IN 1    /**< readable */
#define COORD_WATCH_OUT 2   /**< writable */
#define COORD_WATCH_ERROR 4 /**< an error or hang-up (coord_loop_socket_ready() only) */

/** A loop: runs non-blocking calls. Opaque; free with coord_loop_free(). */
typedef struct coord_loop coord_loop;
/** One non-blocking call in flight. Opaque; valid until its callback returns. */
typedef struct coord_call coord_call;

/**
 * libcoord asks the application's event loop to watch a socket.
 * @param loop         the loop
 * @param fd           the socket
 * @param events       COORD_WATCH_IN and/or COORD_WATCH_OUT; 0: stop
 *                     watching fd (forget what was set for it)
 * @param user_data    given to coord_loop_set_callbacks()
 * @param socket_data  what the application attached to fd with
 *                     coord_loop_assign(), NULL until then
 * Called from inside libcoord's loop functions (and from libcurl): it may
 * call coord_loop_assign() and coord_call_cancel(), no other libcoord
 * function.
 */
typedef void (*coord_loop_socket_fn)(coord_loop *loop, int fd, int events, void *user_data,
                                     void *socket_data);

/**
 * libcoord asks the application's event loop for a timer: call
 * coord_loop_timeout() once timeout_ms have passed (0: as soon as possible,
 * from the event loop, not from inside this callback). -1: no timer is
 * needed. A new request replaces the previous one.
 * Called from inside libcoord's loop functions and start functions (and
 * from libcurl): it may call coord_call_cancel(), no other libcoord function.
 */
typedef void (*coord_loop_timer_fn)(coord_loop *loop, int64_t timeout_ms, void *user_data);

/**
 * Create a loop (one libcurl multi handle) with COORD_DEFAULT_LOOP_MAX_CALLS
 * and COORD_DEFAULT_LOOP_MAX_HOST_CONNECTIONS.
 * @param out_loop  receives the loop on COORD_OK; NULL otherwise
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL out_loop),
 *         COORD_ERR_OUT_OF_MEMORY.
 */
COORD_API COORD_NODISCARD coord_status coord_loop_new(coord_loop **out_loop);

/**
 * Free a loop. Calls still in it are cancelled first: each callback runs
 * with COORD_ERR_CANCELLED (a call started from such a callback is refused
 * with COORD_ERR_INVALID_ARGUMENT). Free the loop before the clients its
 * calls use. Not from inside a callback of the loop.
 * @param loop  a loop from coord_loop_new(), or NULL (a no-op)
 */
COORD_API void coord_loop_free(coord_loop *loop);

/**
 * Bound the loop.
 * @param loop                  the loop
 * @param max_calls             calls in flight at once, 1..100000; more wait
 *                              in a queue (first started, first run)
 * @param max_host_connections  connections to one host, 1..10000; transfers
 *                              beyond them wait inside libcurl for a
 *                              connection (CURLMOPT_MAX_HOST_CONNECTIONS).
 *                              Over HTTP/2 the smaller of this and
 *                              coord_loop_set_multiplexed_connections()
 *                              applies (see "Connections" above)
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL loop, out of range).
 */
COORD_API COORD_NODISCARD coord_status coord_loop_set_limits(coord_loop *loop,
                                                            uint32_t max_calls,
                                                            uint32_t max_host_connections);

/**
 * Bound the connections to a host that speaks HTTP/2, where each carries
 * many calls (streams): applies once the loop's hosts answered over HTTP/2
 * and none over HTTP/1.x, when smaller than max_host_connections (see
 * "Connections" above). Default COORD_DEFAULT_LOOP_MAX_MULTIPLEXED_CONNECTIONS.
 * @param loop             the loop
 * @param max_connections  1..10000
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL loop, out of range).
 */
COORD_API COORD_NODISCARD coord_status coord_loop_set_multiplexed_connections(
    coord_loop *loop, uint32_t max_connections);

/**
 * Drive the loop from the application's event loop (see above). Set both
 * callbacks before the loop's first call, or never: a loop with callbacks
 * is driven only by coord_loop_socket_ready() and coord_loop_timeout(), one
 * without only by coord_loop_run() and coord_loop_run_once().
 * @param loop       the loop
 * @param on_socket  required
 * @param on_timer   required
 * @param user_data  passed to both; not owned
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL loop or callback,
 *         or calls already started on the loop).
 */
COORD_API COORD_NODISCARD coord_status coord_loop_set_callbacks(coord_loop *loop,
                                                               coord_loop_socket_fn on_socket,
                                                               coord_loop_timer_fn on_timer,
                                                               void *user_data);

/**
 * Attach the application's data to a socket libcoord asked it to watch
 * (curl_multi_assign): it comes back as socket_data in coord_loop_socket_fn.
 * @param loop         the loop
 * @param fd           a socket coord_loop_socket_fn asked to watch
 * @param socket_data  the application's data for it; not owned
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT (NULL loop, or fd is not a
 *         socket of the loop).
 */
COORD_API COORD_NODISCARD coord_status coord_loop_assign(coord_loop *loop, int fd,
                                                        void *socket_data);

/**
 * Tell the loop that a watched socket is ready; runs what that allows,
 * including the callbacks of calls that finish.
 * @param loop    the loop
 * @param fd      the socket, as coord_loop_socket_fn named it
 * @param events  COORD_WATCH_IN, COORD_WATCH_OUT, COORD_WATCH_ERROR, or-ed
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL loop, a loop
 *         without callbacks, or called from inside them),
 *         COORD_ERR_OUT_OF_MEMORY or COORD_ERR_TRANSPORT (libcurl failed).
 *         The status is for the application's log: the calls it concerned
 *         report through their callbacks.
 */
COORD_API coord_status coord_loop_socket_ready(coord_loop *loop, int fd,
                                                              int events);

/**
 * Tell the loop that the timer it asked for has expired; runs what is due
 * (timeouts, retries, polls, queued calls) and the callbacks of calls that
 * finish. Calling it early does no harm.
 * @param loop  the loop
 * @return as coord_loop_socket_ready().
 */
COORD_API coord_status coord_loop_timeout(coord_loop *loop);

/**
 * Run the loop once without an event loop of the application's: wait at
 * most max_wait_ms for a socket or a timer (curl_multi_poll), then run what
 * is ready and the callbacks of calls that finish. Returns at once when no
 * call is in the loop.
 * @param loop         the loop
 * @param max_wait_ms  the longest wait for a socket or a timer
 * @return COORD_OK, COORD_ERR_INVALID_ARGUMENT (NULL loop, or a loop with
 *         callbacks), COORD_ERR_OUT_OF_MEMORY, COORD_ERR_TRANSPORT (libcurl
 *         failed to wait for its sockets).
 */
COORD_API COORD_NODISCARD coord_status coord_loop_run_once(coord_loop *loop,
                                                          uint32_t max_wait_ms);

/**
 * Run the loop until no call is left in it (calls started by callbacks
 * included): coord_loop_run_once() repeated.
 * @param loop  the loop
 * @return as coord_loop_run_once().
 */
COORD_API COORD_NODISCARD coord_status coord_loop_run(coord_loop *loop);

/**
 * The calls in a loop.
 * @param loop  the loop, or NULL
 * @return the calls in flight and queued (a call in its own callback is
 *         no longer counted); 0 for NULL
 */
COORD_API uint32_t coord_loop_calls(const coord_loop *loop);

/**
 * Cancel a call: wherever it is -- queued, connecting, sending, awaiting the
 * answer, waiting before a retry or between the polls of a wait -- it stops
 * (over HTTP/1.1 its connection is closed, over HTTP/2 its stream reset),
 * and its callback runs before this function returns, with
 * COORD_ERR_CANCELLED; no other call's callback runs inside it. A cancelled
 * request may or may not have reached the server. On the loop's thread
 * only. From inside coord_loop_socket_fn or coord_loop_timer_fn (libcurl
 * is running then) the cancel is recorded and done, with the callback, when
 * the loop function that called them returns.
 * @param call  a call whose callback has not returned yet; cancelling from
 *              inside its own callback does nothing
 * @return COORD_OK, or COORD_ERR_INVALID_ARGUMENT for NULL.
 */
COORD_API coord_status coord_call_cancel(coord_call *call);

/**
 * The call's id: unique within its loop (counted from 1, never reused
 * while the loop lives), unlike the handle, whose object the loop reuses
 * for later calls. Keep it to cancel the call later with
 * coord_loop_cancel().
 * @param call  a call whose callback has not returned yet (its own
 *              callback included), or NULL
 * @return the id; 0 for NULL
 */
COORD_API uint64_t coord_call_id(const coord_call *call);

/**
 * Cancel the call with this id, if it is still in the loop: as
 * coord_call_cancel() (its callback runs before this returns, or, from
 * inside coord_loop_socket_fn or coord_loop_timer_fn, when the loop
 * function that called them returns). A call that is over -- its callback
 * has run or is running -- is not found: an id kept after the call ended
 * can never cancel another call. On the loop's thread only. Looks through
 * the loop's calls (in flight and queued).
 * @param loop     the loop the call was started on
 * @param call_id  from coord_call_id()
 * @return COORD_OK (cancelled), COORD_ERR_NOT_FOUND (no such call in the
 *         loop: over, or never started there), COORD_ERR_INVALID_ARGUMENT
 *         for a NULL loop.
 */
COORD_API coord_status coord_loop_cancel(coord_loop *loop, uint64_t call_id);

/**
 * The result of a call answering one session (end, create, get, wait,
 * simulated redemption).
 * @param call       the call; valid until this callback returns
 * @param status     COORD_OK or the call's failure (the statuses of its
 *                   blocking form), or COORD_ERR_CANCELLED
 * @param error      the call's record (as coord_client_last_error() would
 *                   be after the blocking form); valid during the callback
 * @param session    on COORD_OK the session; for a wait also the last
 *                   session seen when the wait failed (else NULL). Owned by
 *                   the call and valid during the callback: copy it to keep it.
 * @param user_data  given to the start function
 */
typedef void (*coord_session_fn)(coord_call *call, coord_status status, const coord_error *error,
                                 const coord_session *session, void *user_data);

/**
 * The result of a list call.
 * @param call       the call; valid until this callback returns
 * @param status     as for coord_session_fn
 * @param error      as for coord_session_fn
 * @param list       on COORD_OK the list, else NULL. The call frees it after
 *                   the callback returns, unless the callback takes it: copy
 *                   the struct and zero the original (`mine = *list;
 *                   memset(list, 0, sizeof(*list));`), then free it with
 *                   coord_session_list_free().
 * @param user_data  given to the start function
 */
typedef void (*coord_session_list_fn)(coord_call *call, coord_status status,
                                      const coord_error *error, coord_session_list *list,
                                      void *user_data);

/**
 * The result of coord_barcode_create_async().
 * @param call       the call; valid until this callback returns
 * @param status     as for coord_session_fn
 * @param error      as for coord_session_fn
 * @param barcode    on COORD_OK the barcode, else NULL; owned by the call,
 *                   valid during the callback.
 * @param user_data  given to the start function
 */
typedef void (*coord_barcode_fn)(coord_call *call, coord_status status, const coord_error *error,
                                 const coord_redemption_info *barcode, void *user_data);

/**
 * The result of coord_test_create_jwt_async().
 * @param call       the call; valid until this callback returns
 * @param status     as for coord_session_fn
 * @param error      as for coord_session_fn
 * @param token      on COORD_OK the NUL-terminated token, else NULL; a secret,
 *                   owned by the call and wiped when the callback returns: copy
 *                   it (e.g. into coord_client_set_bearer_token()) to keep it.
 * @param user_data  given to the start function
 */
typedef void (*coord_token_fn)(coord_call *call, coord_status status, const coord_error *error,
                               const char *token, void *user_data);

/**
 * @name Start functions of the non-blocking calls
 * Each takes the loop, the client whose settings,
 * credentials and retry policy the call uses, the arguments of its blocking
 * form, the callback (required) and user_data for it, and out_call: where
 * to put the call's handle (optional, NULL when not wanted). Each returns
 * COORD_OK (the call is in the loop; its callback will run exactly once),
 * or without sending anything and without calling the callback:
 * COORD_ERR_INVALID_ARGUMENT (NULL loop, client or callback, an argument
 * the blocking form refuses), COORD_ERR_OUT_OF_MEMORY, COORD_ERR_TLS (the
 * client's pin could not be set: see coord_client_set_pinned_public_key()),
 * COORD_ERR_TRANSPORT (its proxy setting could not be applied: see
 * coord_client_set_proxy()),
 * or COORD_ERR_PHYSICAL_CHECKOUT (coord_session_end_async() of a
 * gate-controlled session); coord_client_last_error() says why.
 * @{
 */

/**
 * coord_end_session() without blocking: the replay-safe end included.
 * @param loop         the loop that runs the call
 * @param client       the client whose settings, credentials and retry policy it uses
 * @param location_id  as for coord_end_session()
 * @param session_id   as for coord_end_session()
 * @param on_done      called exactly once with the result, after COORD_OK (required)
 * @param user_data    passed to on_done; not owned
 * @param out_call     receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_end_session_async(coord_loop *loop,
                                                              coord_client *client,
                                                              const char *location_id,
                                                              int64_t session_id,
                                                              coord_session_fn on_done,
                                                              void *user_data,
                                                              coord_call **out_call);

/**
 * coord_session_end() without blocking. session may be freed once this returns.
 * @param loop       the loop that runs the call
 * @param client     the client whose settings, credentials and retry policy it uses
 * @param session    as for coord_session_end()
 * @param on_done    called exactly once with the result, after COORD_OK (required)
 * @param user_data  passed to on_done; not owned
 * @param out_call   receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_session_end_async(coord_loop *loop,
                                                              coord_client *client,
                                                              const coord_session *session,
                                                              coord_session_fn on_done,
                                                              void *user_data,
                                                              coord_call **out_call);

/**
 * coord_session_create() without blocking.
 * @param loop         the loop that runs the call
 * @param client       the client whose settings, credentials and retry policy it uses
 * @param location_id  as for coord_session_create()
 * @param resource_id  as for coord_session_create()
 * @param on_done      called exactly once with the result, after COORD_OK (required)
 * @param user_data    passed to on_done; not owned
 * @param out_call     receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_session_create_async(coord_loop *loop,
                                                                 coord_client *client,
                                                                 const char *location_id,
                                                                 const char *resource_id,
                                                                 coord_session_fn on_done,
                                                                 void *user_data,
                                                                 coord_call **out_call);

/**
 * coord_session_get() without blocking.
 * @param loop         the loop that runs the call
 * @param client       the client whose settings, credentials and retry policy it uses
 * @param location_id  as for coord_session_get()
 * @param session_id   as for coord_session_get()
 * @param on_done      called exactly once with the result, after COORD_OK (required)
 * @param user_data    passed to on_done; not owned
 * @param out_call     receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_session_get_async(coord_loop *loop,
                                                              coord_client *client,
                                                              const char *location_id,
                                                              int64_t session_id,
                                                              coord_session_fn on_done,
                                                              void *user_data,
                                                              coord_call **out_call);

/**
 * coord_session_list_location() without blocking.
 * @param loop         the loop that runs the call
 * @param client       the client whose settings, credentials and retry policy it uses
 * @param location_id  as for coord_session_list_location()
 * @param on_done      called exactly once with the result, after COORD_OK (required)
 * @param user_data    passed to on_done; not owned
 * @param out_call     receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_location_async(
    coord_loop *loop, coord_client *client, const char *location_id,
    coord_session_list_fn on_done, void *user_data, coord_call **out_call);

/**
 * coord_session_list_user() without blocking.
 * @param loop       the loop that runs the call
 * @param client     the client whose settings, credentials and retry policy it uses
 * @param on_done    called exactly once with the result, after COORD_OK (required)
 * @param user_data  passed to on_done; not owned
 * @param out_call   receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_session_list_user_async(
    coord_loop *loop, coord_client *client, coord_session_list_fn on_done, void *user_data,
    coord_call **out_call);

/**
 * coord_session_wait() without blocking: the polls run on timers. The
 * callback's session is the last one seen, also when the wait fails.
 * @param loop         the loop that runs the call
 * @param client       the client whose settings, credentials and retry policy it uses
 * @param location_id  as for coord_session_wait()
 * @param session_id   as for coord_session_wait()
 * @param until        as for coord_session_wait()
 * @param timeout_ms   as for coord_session_wait()
 * @param interval_ms  as for coord_session_wait()
 * @param on_done      called exactly once with the result, after COORD_OK (required)
 * @param user_data    passed to on_done; not owned
 * @param out_call     receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_session_wait_async(coord_loop *loop,
                                                               coord_client *client,
                                                               const char *location_id,
                                                               int64_t session_id,
                                                               coord_wait_for until,
                                                               uint32_t timeout_ms,
                                                               uint32_t interval_ms,
                                                               coord_session_fn on_done,
                                                               void *user_data,
                                                               coord_call **out_call);

/**
 * coord_barcode_create() without blocking.
 * @param loop       the loop that runs the call
 * @param client     the client whose settings, credentials and retry policy it uses
 * @param on_done    called exactly once with the result, after COORD_OK (required)
 * @param user_data  passed to on_done; not owned
 * @param out_call   receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_barcode_create_async(coord_loop *loop,
                                                                 coord_client *client,
                                                                 coord_barcode_fn on_done,
                                                                 void *user_data,
                                                                 coord_call **out_call);

/**
 * coord_test_simulate_redemption() without blocking.
 * @param loop         the loop that runs the call
 * @param client       the client whose settings, credentials and retry policy it uses
 * @param location_id  as for coord_test_simulate_redemption()
 * @param session_id   as for coord_test_simulate_redemption()
 * @param duration_m   as for coord_test_simulate_redemption()
 * @param on_done      called exactly once with the result, after COORD_OK (required)
 * @param user_data    passed to on_done; not owned
 * @param out_call     receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_test_simulate_redemption_async(
    coord_loop *loop, coord_client *client, const char *location_id, int64_t session_id,
    uint32_t duration_m, coord_session_fn on_done, void *user_data, coord_call **out_call);

/**
 * coord_test_create_jwt() without blocking; the token arrives in on_done.
 * @param loop          the loop that runs the call
 * @param client        the client whose settings, credentials and retry policy it uses
 * @param email         as for coord_test_create_jwt()
 * @param external_uid  as for coord_test_create_jwt()
 * @param on_done       called exactly once with the result, after COORD_OK (required)
 * @param user_data     passed to on_done; not owned
 * @param out_call      receives the call's handle (valid until on_done returns); may be NULL
 * @return COORD_OK (the call is in the loop), or a start failure listed above
 *         (nothing sent, on_done not called)
 */
COORD_API COORD_NODISCARD coord_status coord_test_create_jwt_async(coord_loop *loop,
                                                                  coord_client *client,
                                                                  const char *email,
                                                                  const char *external_uid,
                                                                  coord_token_fn on_done,
                                                                  void *user_data,
                                                                  coord_call **out_call);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* COORD_ASYNC_H */
