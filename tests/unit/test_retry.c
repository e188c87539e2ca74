/* Retry policy: what is retried, what may have been applied, full-jitter
 * backoff bounds (Retry-After values: test_time.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void retryable_failures(void **state)
{
    static const long retried[] = {408, 429, 500, 502, 503, 504};
    static const long final[] = {200, 301, 400, 401, 403, 404, 405, 409, 413, 422, 501, 505};
    (void)state;

    for (size_t i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
        assert_true(coord_retry_is_retryable(COORD_ERR_SERVER, retried[i]));
    for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
        assert_false(coord_retry_is_retryable(COORD_ERR_REFUSED, final[i]));
    /* no answer: the transport's verdict decides */
    assert_true(coord_retry_is_retryable(COORD_ERR_TRANSPORT, 0));
    assert_true(coord_retry_is_retryable(COORD_ERR_TIMEOUT, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_TLS, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_RESPONSE_TOO_LARGE, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_OUT_OF_MEMORY, 0));
    assert_false(coord_retry_is_retryable(COORD_ERR_INVALID_ARGUMENT, 0));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retryable_failures),
        cmocka_unit_test(may_have_applied),
        cmocka_unit_test(full_jitter_bounds),
        cmocka_unit_test(generators_differ_by_seed),
    };
    return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
