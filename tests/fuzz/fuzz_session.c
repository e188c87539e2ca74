/* libFuzzer harness: coord_decode_session and the public coord_session_decode.
 * Besides the sanitizers' checks, it asserts the decoder's contract
 * (require_session in fuzz_check.h) and, on failure, a zeroed session and a
 * terminated, non-empty detail. */
#include "fuzz_check.h"

static void check(coord_status st, const coord_session *s, const coord_error *err)
{
    if (st != COORD_OK) {
        require(st == COORD_ERR_BAD_RESPONSE || st == COORD_ERR_RESPONSE_TOO_LARGE ||
                st == COORD_ERR_OUT_OF_MEMORY);
        require_error(st, err);
        require(all_zero(s, sizeof(*s)));
        return;
    }
    require_session(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_copy(data, size);
    char small[8];
    coord_error err;
    coord_session s, t;
    coord_status st;

    if (json == NULL)
        return 0;
    memset(&err, 'x', sizeof(err));
    st = coord_decode_session(json, size, &limits, &s, &err);
    check(st, &s, &err);

    /* the public wrapper agrees, always terminates its detail, and truncates
     * it safely */
    memset(small, 'x', sizeof(small));
    require(coord_session_decode(json, size, &t, small, sizeof(small)) == st);
    require(memchr(small, '\0', sizeof(small)) != NULL);
    require((st == COORD_OK) == (small[0] == '\0'));
    if (st == COORD_OK)
        require_same_session(&s, &t);
    else
        require(all_zero(&t, sizeof(t)));
    free(json);
    return 0;
}
