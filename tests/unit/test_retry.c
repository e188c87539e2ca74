/* Retry policy: what is retried, what may have been applied, full-jitter
 * backoff bounds (Retry-After values: test_time.c), and the retry step over
 * every status, Retry-After and deadline edge (no server: the step is pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void retryable_failures(void **state)
{
    static const long retried[] = {500, 502, 503, 504};
    static const long final[] = {200, 301, 400, 401, 403, 404, 405, 409, 413, 422, 501, 505};
    (void)state;

    /* whole answers: the status their HTTP status maps to */
    for (size_t i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
        assert_true(coord_retry_is_retryable(COORD_ERR_SERVER, retried[i]));
    assert_true(coord_retry_is_retryable(COORD_ERR_TIMEOUT, 408));
    assert_true(coord_retry_is_retryable(COORD_ERR_RATE_LIMITED, 429));
    assert_false(coord_retry_is_retryable(COORD_ERR_SERVER, 501));
    assert_false(coord_retry_is_retryable(COORD_ERR_SERVER, 505));
    for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
        assert_false(coord_retry_is_retryable(COORD_ERR_REFUSED, final[i]));
    /* no answer: the transport's verdict decides */
    assert_true(coord_retry_is_retryable(COORD_ERR_TRANSPORT, 0));
    assert_true(coord_retry_is_retryable(COORD_ERR_TIMEOUT, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_TLS, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_RESPONSE_TOO_LARGE, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_OUT_OF_MEMORY, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_INVALID_ARGUMENT, 0));
    /* a failure after the status line keeps it and is
     * judged by what failed: cut off is retried, bad or oversized is not */
    assert_true(coord_retry_is_retryable(COORD_ERR_TRANSPORT, 200));
    assert_true(coord_retry_is_retryable(COORD_ERR_TIMEOUT, 200));
    assert_false(coord_retry_is_retryable(COORD_ERR_RESPONSE_TOO_LARGE, 503));
    assert_false(coord_retry_is_retryable(COORD_ERR_BAD_RESPONSE, 200));
}

static void may_have_applied(void **state)
{
    (void)state;
    assert_false(coord_retry_may_have_applied(COORD_ERR_TRANSPORT, 0, 0)); /* never connected */
    assert_true(coord_retry_may_have_applied(COORD_ERR_TRANSPORT, 0, 1));
    assert_true(coord_retry_may_have_applied(COORD_ERR_TIMEOUT, 0, 1));
    assert_true(coord_retry_may_have_applied(COORD_ERR_REFUSED, 409, 2)); /* libcurl re-sent */
    assert_true(coord_retry_may_have_applied(COORD_ERR_SERVER, 500, 1));
    assert_true(coord_retry_may_have_applied(COORD_ERR_SERVER, 502, 1));
    assert_true(coord_retry_may_have_applied(COORD_ERR_SERVER, 504, 1));
    assert_false(coord_retry_may_have_applied(COORD_ERR_SERVER, 503, 1));
    assert_false(coord_retry_may_have_applied(COORD_ERR_RATE_LIMITED, 429, 1));
    assert_false(coord_retry_may_have_applied(COORD_ERR_REFUSED, 409, 1));
    assert_false(coord_retry_may_have_applied(COORD_ERR_TLS, 0, 1));
    assert_false(coord_retry_may_have_applied(COORD_OK, 200, 1));
    /* an answer cut off after its status line: the request was carried out */
    assert_true(coord_retry_may_have_applied(COORD_ERR_TRANSPORT, 200, 1));
    assert_false(coord_retry_may_have_applied(COORD_ERR_TIMEOUT, 408, 1)); /* "not done" */
    assert_false(coord_retry_may_have_applied(COORD_ERR_RESPONSE_TOO_LARGE, 500, 1));
}

static void full_jitter_bounds(void **state)
{
    const coord_retry_policy p = {5, 100, 1000};
    const uint32_t ceiling[] = {100, 200, 400, 800, 1000, 1000, 1000};
    uint64_t rng = 42;
    (void)state;

    for (uint32_t retry = 0; retry < 7; retry++) {
        uint32_t lo = UINT32_MAX, hi = 0;

        for (int i = 0; i < 2000; i++) {
            uint32_t d = coord_retry_backoff_ms(&p, retry, &rng);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        /* within [0, ceiling], and spread over it (2000 draws) */
        assert_true(hi <= ceiling[retry]);
        assert_true(hi >= ceiling[retry] * 9 / 10);
        assert_true(lo <= ceiling[retry] / 10);
    }
    /* huge retry numbers cannot overflow the ceiling */
    assert_true(coord_retry_backoff_ms(&p, 1000000, &rng) <= 1000);
    const coord_retry_policy zero = {3, 0, 0};
    assert_int_equal(coord_retry_backoff_ms(&zero, 2, &rng), 0);
}

static void generators_differ_by_seed(void **state)
{
    uint64_t a = 1, b = 2;
    (void)state;
    assert_true(coord_rng_next(&a) != coord_rng_next(&b));
    assert_true(coord_rng_next(&a) != coord_rng_next(&a));
}

/* ---- the retry step ---- */

/* A call's state after one failed attempt: 3 attempts allowed, plenty of time. */
static coord_retry_state after_failure(coord_status status, long http_status)
{
    coord_retry_state s;

    memset(&s, 0, sizeof(s));
    s.policy.max_attempts = 3;
    s.policy.base_delay_ms = 100;
    s.policy.max_delay_ms = 1000;
    s.idempotent = 1;
    s.attempts = 1;
    s.left_ms = 30000;
    /* 10 s before Sun, 06 Nov 1994 08:49:37 GMT: see NOV_1994_S and
     * retry_after_http_dates in tests/unit/test_time.c */
    s.now_s = 784111777 - 10;
    s.status = status;
    s.http_status = http_status;
    s.retry_after = "";
    return s;
}

static coord_next step(const coord_retry_state *s)
{
    uint64_t rng = 7;

    return coord_retry_next(s, &rng);
}

static void assert_done(coord_next next, coord_status status)
{
    assert_int_equal(next.kind, COORD_NEXT_DONE);
    assert_string_equal(coord_status_name(next.status), coord_status_name(status));
}

/* Every status with and without an answer: retried exactly when the policy
 * says so, otherwise done with that status. */
static void step_for_every_status(void **state)
{
    static const long answers[] = {0, 200, 400, 401, 403, 404, 408, 409, 429,
                                   500, 501, 502, 503, 504};
    (void)state;

    for (int st = COORD_OK; st <= COORD_ERR_SESSION_ACTIVE; st++) {
        for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
            coord_retry_state s = after_failure((coord_status)st, answers[i]);
            coord_next next = step(&s);

            if (st == COORD_OK) {
                assert_done(next, COORD_OK);
            } else if (coord_retry_is_retryable((coord_status)st, answers[i])) {
                assert_int_equal(next.kind, COORD_NEXT_SEND);
                assert_true(next.delay_ms <= 100); /* first retry: [0, base] */
            } else {
                assert_done(next, (coord_status)st);
                assert_null(next.retry_after_beyond);
            }
        }
    }
}

static void step_stops_at_the_policy(void **state)
{
    coord_retry_state s = after_failure(COORD_ERR_SERVER, 503);
    (void)state;

    s.attempts = 3; /* the last one allowed */
    assert_done(step(&s), COORD_ERR_SERVER);
    s.attempts = 2;
    assert_int_equal(step(&s).kind, COORD_NEXT_SEND);
    s.idempotent = 0; /* a POST: never sent twice */
    assert_done(step(&s), COORD_ERR_SERVER);
    s = after_failure(COORD_ERR_TRANSPORT, 0);
    s.idempotent = 0;
    assert_done(step(&s), COORD_ERR_TRANSPORT);
}

static void step_recovers_only_a_lost_end(void **state)
{
    coord_retry_state s = after_failure(COORD_ERR_REFUSED, 409);
    (void)state;

    assert_done(step(&s), COORD_ERR_REFUSED); /* not an end */
    s.can_recover = 1;
    assert_done(step(&s), COORD_ERR_REFUSED); /* no answer was lost: ended before */
    s.answer_lost = 1;
    assert_int_equal(step(&s).kind, COORD_NEXT_RECOVER);
    s.attempts = 3; /* recovery is not a retry: the attempt budget does not stop it */
    assert_int_equal(step(&s).kind, COORD_NEXT_RECOVER);
    s.http_status = 404; /* only "already ended" means the lost attempt ended it */
    s.status = COORD_ERR_NOT_FOUND;
    assert_done(step(&s), COORD_ERR_NOT_FOUND);
}

static void step_follows_retry_after(void **state)
{
    coord_retry_state s = after_failure(COORD_ERR_SERVER, 503);
    coord_next next;
    (void)state;

    s.retry_after = "2";
    next = step(&s);
    assert_int_equal(next.kind, COORD_NEXT_SEND);
    assert_int_equal(next.delay_ms, 2000); /* exactly, no jitter */
    s.retry_after = "Sun, 06 Nov 1994 08:49:37 GMT"; /* 10 s after now_s */
    next = step(&s);
    assert_int_equal(next.kind, COORD_NEXT_SEND);
    assert_int_equal(next.delay_ms, 10000);
    s.retry_after = "60"; /* the cap itself is waited */
    s.left_ms = 1000000;
    assert_int_equal(step(&s).delay_ms, COORD_RETRY_AFTER_MAX_MS);
    s.left_ms = 60000 + COORD_RETRY_MIN_ATTEMPT_MS;
    assert_int_equal(step(&s).kind, COORD_NEXT_SEND);
    s.left_ms -= 1; /* the retry would have less than its minimum time */
    next = step(&s);
    assert_done(next, COORD_ERR_SERVER);
    assert_string_equal(next.retry_after_beyond, "the total timeout");
    s.left_ms = 1000000;
    s.retry_after = "61";
    next = step(&s);
    assert_done(next, COORD_ERR_SERVER);
    assert_string_equal(next.retry_after_beyond, "the cap");
    s.retry_after = "soon"; /* not a Retry-After: the backoff decides */
    next = step(&s);
    assert_int_equal(next.kind, COORD_NEXT_SEND);
    assert_true(next.delay_ms <= 100);
    s.status = COORD_ERR_RATE_LIMITED;
    s.http_status = 429;
    s.retry_after = "1";
    assert_int_equal(step(&s).delay_ms, 1000);
}

/* The backoff never waits past the call's deadline: a retry needs at least
 * COORD_RETRY_MIN_ATTEMPT_MS after its wait. */
static void step_respects_the_deadline(void **state)
{
    coord_retry_state s = after_failure(COORD_ERR_TIMEOUT, 0);
    uint64_t rng = 1;
    (void)state;

    s.retries = 2; /* third wait: [0, 400] */
    s.left_ms = 400 + COORD_RETRY_MIN_ATTEMPT_MS;
    for (int i = 0; i < 500; i++) {
        coord_next next = coord_retry_next(&s, &rng);

        assert_int_equal(next.kind, COORD_NEXT_SEND);
        assert_true(next.delay_ms <= 400);
    }
    s.left_ms = COORD_RETRY_MIN_ATTEMPT_MS - 1;
    for (int i = 0; i < 500; i++)
        assert_done(coord_retry_next(&s, &rng), COORD_ERR_TIMEOUT);
    s.left_ms = 0;
    assert_done(step(&s), COORD_ERR_TIMEOUT);
    s.left_ms = -5; /* the attempt overran the deadline */
    assert_done(step(&s), COORD_ERR_TIMEOUT);
    /* between: whether a retry fits depends on the drawn wait, never more */
    s.left_ms = 200;
    for (int i = 0; i < 500; i++) {
        coord_next next = coord_retry_next(&s, &rng);

        if (next.kind == COORD_NEXT_SEND)
            assert_true(next.delay_ms + COORD_RETRY_MIN_ATTEMPT_MS <= 200);
        else
            assert_done(next, COORD_ERR_TIMEOUT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retryable_failures),
        cmocka_unit_test(may_have_applied),
        cmocka_unit_test(full_jitter_bounds),
        cmocka_unit_test(generators_differ_by_seed),
        cmocka_unit_test(step_for_every_status),
        cmocka_unit_test(step_stops_at_the_policy),
        cmocka_unit_test(step_recovers_only_a_lost_end),
        cmocka_unit_test(step_follows_retry_after),
        cmocka_unit_test(step_respects_the_deadline),
    };
    return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
