/* Pure retry policy: which failures are retried, backoff with full jitter.
 * No I/O and no clock. (Retry-After values are read in time.c.) */
#include "internal.h"

int coord_retry_is_retryable(coord_status status, long http_status)
{
    switch (http_status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return 1;
    case 0: /* no answer: the transport's verdict */
        return status == COORD_ERR_TRANSPORT || status == COORD_ERR_TIMEOUT;
    default:
        return 0;
    }
}

int coord_retry_may_have_applied(coord_status status, long http_status, uint32_t sent)
{
    if (sent == 0)
        return 0; /* never connected: nothing reached the server */
    if (sent > 1)
        return 1; /* libcurl re-sent it: the first answer was lost */
    if (http_status == 0)
        return status == COORD_ERR_TRANSPORT || status == COORD_ERR_TIMEOUT;
    /* a gateway's 502/504 or a 500 may hide a request that was carried out */
    return http_status == 500 || http_status == 502 || http_status == 504;
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
