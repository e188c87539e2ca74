/* A wait for a session to start or end (coord_session_wait() and its
 * non-blocking form): what it waits for, how long each poll may take, when
 * it polls again and when it is over. No I/O, no sleep: the front ends poll
 * and pause. */
#include <string.h>

#include "internal.h"

static int reached(const coord_session *s, coord_wait_for until)
{
    return until == COORD_WAIT_ENDED ? s->has_end_time
                                     : (s->has_start_time || s->has_end_time);
}

/* The arguments of both forms of the wait; the record says what is wrong. */
coord_status coord_wait_arguments_ok(coord_wait_for until, uint32_t interval_ms, coord_error *e)
{
    if (until != COORD_WAIT_STARTED && until != COORD_WAIT_ENDED)
        return coord_error_fail(e, COORD_ERR_INVALID_ARGUMENT,
                                "until must be COORD_WAIT_STARTED or COORD_WAIT_ENDED");
    if (interval_ms < COORD_WAIT_MIN_INTERVAL_MS || interval_ms > 3600000u)
        return coord_error_fail(e, COORD_ERR_INVALID_ARGUMENT, "interval_ms must be %u..3600000",
                                COORD_WAIT_MIN_INTERVAL_MS);
    return COORD_OK;
}

void coord_wait_plan_init(coord_wait_plan *w, coord_wait_for until, uint32_t timeout_ms,
                          uint32_t interval_ms)
{
    memset(w, 0, sizeof(*w));
    w->until = until;
    w->timeout_ms = timeout_ms;
    w->interval_ms = interval_ms;
    w->deadline_ms = coord_now_ms() + timeout_ms;
}

/* How long the next poll may take: what is left of the wait (0: the wait's
 * one poll keeps the client's own timeouts, as documented). */
uint32_t coord_wait_poll_budget(const coord_wait_plan *w, int64_t now)
{
    return w->deadline_ms > now ? (uint32_t)(w->deadline_ms - now) : 0;
}

/* After a poll that ended with st (seen filled on COORD_OK): the wait is
 * done with a status (expired: because of its deadline), or polls again
 * after delay_ms. Reads no clock. */
coord_next coord_wait_after_poll(coord_wait_plan *w, coord_status st,
                                 const coord_session *seen, int64_t now)
{
    int64_t left = w->deadline_ms - now;
    uint32_t delay_ms;

    w->polls++;
    if (st == COORD_OK && reached(seen, w->until))
        return coord_next_done(st);
    if (st != COORD_OK && (st != COORD_ERR_TIMEOUT || left > 0))
        return coord_next_done(st); /* the poll's own failure */
    if (left <= 0) {
        w->expired = 1;
        return coord_next_done(COORD_ERR_TIMEOUT);
    }
    delay_ms = (uint32_t)(w->interval_ms < left ? w->interval_ms : left);
    /* too little would be left for the poll after: wait out the deadline */
    if (left - delay_ms < COORD_RETRY_MIN_ATTEMPT_MS)
        delay_ms = (uint32_t)left;
    return coord_next_send(delay_ms);
}

/* After a pause: is there time for a poll? One with less than
 * COORD_RETRY_MIN_ATTEMPT_MS could only be cut short by the deadline. */
int coord_wait_has_time(const coord_wait_plan *w, int64_t now)
{
    return w->deadline_ms - now >= COORD_RETRY_MIN_ATTEMPT_MS;
}

coord_next coord_wait_after_pause(coord_wait_plan *w, int64_t now)
{
    if (coord_wait_has_time(w, now))
        return coord_next_send(0);
    w->expired = 1;
    return coord_next_done(COORD_ERR_TIMEOUT);
}

coord_status coord_wait_finish(coord_wait_plan *w, coord_status st, coord_error *e,
                               const char *location_id, int64_t session_id)
{
    if (!w->expired)
        return st; /* the last poll's own, with its record */
    return coord_wait_timed_out(w, e, location_id, session_id);
}

/* The record of a wait its deadline ended. */
coord_status coord_wait_timed_out(coord_wait_plan *w, coord_error *e, const char *location_id,
                                  int64_t session_id)
{
    w->expired = 1;
    return coord_error_fail(e, COORD_ERR_TIMEOUT,
                            "session %lld at %s not %s after %lu ms (%lu polls)",
                            (long long)session_id, location_id,
                            w->until == COORD_WAIT_ENDED ? "ended" : "started",
                            (unsigned long)w->timeout_ms, (unsigned long)w->polls);
}
