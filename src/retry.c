/* Pure retry policy: which failures are retried, backoff with full jitter,
 * and the retry step that decides what a call does after each attempt. No
 * I/O and no clock: the caller passes the time. (Retry-After values are
 * read in time.c.) */
#include "internal.h"

/* A whole answer carried its HTTP status; a failure (TRANSPORT, TIMEOUT,
 * TOO_LARGE...) keeps the status line that came before it, if any, but is
 * judged by what failed. */
int coord_retry_is_retryable(coord_status status, long http_status)
{
    switch (status) {
    case COORD_ERR_TRANSPORT: /* no answer, or one cut off */
    case COORD_ERR_TIMEOUT:   /* HTTP 408 too */
        return 1;
    case COORD_ERR_RATE_LIMITED: /* HTTP 429 */
        return 1;
    case COORD_ERR_SERVER:
        return http_status == 500 || http_status == 502 || http_status == 503 ||
               http_status == 504;
    default: /* TLS, bad or oversized answers, every other refusal */
        return 0;
    }
}

int coord_retry_may_have_applied(coord_status status, long http_status, uint32_t sent)
{
    if (sent == 0)
        return 0; /* never connected: nothing reached the server */
    if (sent > 1)
        return 1; /* libcurl re-sent it: the first answer was lost */
    if (status == COORD_ERR_TRANSPORT || status == COORD_ERR_TIMEOUT)
        return http_status != 408; /* lost or cut off; a 408 says it was not */
    /* a gateway's 502/504 or a 500 may hide a request that was carried out */
    return status == COORD_ERR_SERVER &&
           (http_status == 500 || http_status == 502 || http_status == 504);
}

uint64_t coord_rng_next(uint64_t *state)
{
    /* splitmix64: tiny, seedable with anything, good enough for jitter */
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint32_t coord_retry_backoff_ms(const coord_retry_policy *policy, uint32_t retry,
                                uint64_t *rng)
{
    uint64_t ceiling = policy->base_delay_ms;

    /* full jitter: uniform in [0, min(max, base * 2^retry)] */
    while (retry-- > 0 && ceiling < policy->max_delay_ms)
        ceiling *= 2;
    if (ceiling > policy->max_delay_ms)
        ceiling = policy->max_delay_ms;
    return (uint32_t)(coord_rng_next(rng) % (ceiling + 1));
}

coord_next coord_next_done(coord_status status)
{
    coord_next next = {COORD_NEXT_DONE, 0, status, NULL};

    return next;
}

coord_next coord_next_send(uint32_t delay_ms)
{
    coord_next next = {COORD_NEXT_SEND, delay_ms, COORD_OK, NULL};

    return next;
}

/* Done, because the answer's Retry-After asks for longer than `beyond` allows. */
static coord_next done_retry_after_beyond(coord_status status, const char *beyond)
{
    coord_next next = coord_next_done(status);

    next.retry_after_beyond = beyond;
    return next;
}

coord_next coord_retry_next(const coord_retry_state *s, uint64_t *rng)
{
    uint64_t wait_ms;

    if (s->status == COORD_OK)
        return coord_next_done(COORD_OK);
    /* "already ended", and an earlier attempt of this end got no answer:
     * that attempt most likely ended the session */
    if (s->can_recover && s->status == COORD_ERR_REFUSED && s->http_status == 409 &&
        s->answer_lost) {
        coord_next next = {COORD_NEXT_RECOVER, 0, COORD_OK, NULL};

        return next;
    }
    if (!s->idempotent || s->attempts >= s->policy.max_attempts ||
        !coord_retry_is_retryable(s->status, s->http_status))
        return coord_next_done(s->status);
    if (s->retry_after[0] != '\0' &&
        coord_retry_after_parse(s->retry_after, s->now_s, &wait_ms) == 0) {
        /* the server said when: exactly then, or not at all */
        if (wait_ms > COORD_RETRY_AFTER_MAX_MS)
            return done_retry_after_beyond(s->status, "the cap");
        if ((int64_t)wait_ms + COORD_RETRY_MIN_ATTEMPT_MS > s->left_ms)
            return done_retry_after_beyond(s->status, "the total timeout");
        return coord_next_send((uint32_t)wait_ms);
    }
    wait_ms = coord_retry_backoff_ms(&s->policy, s->retries, rng);
    /* a retry needs time to run: one that timed out on the whole remaining
     * time is the last */
    if ((int64_t)wait_ms + COORD_RETRY_MIN_ATTEMPT_MS > s->left_ms)
        return coord_next_done(s->status);
    return coord_next_send((uint32_t)wait_ms);
}
