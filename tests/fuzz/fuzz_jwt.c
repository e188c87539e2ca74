/* libFuzzer harness: coord_decode_jwt ({"jwt_token": string}), with a
 * full-size and a tiny output buffer. On success the token is usable as a
 * bearer token (1..COORD_TOKEN_MAX-1 bytes, no control characters) and the
 * same in both buffers when it fits; a token that does not fit is
 * COORD_ERR_INVALID_ARGUMENT; on any failure the output is wiped. */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char token[COORD_TOKEN_MAX];
    char *json = fuzz_copy(data, size);
    char tiny[16];
    coord_error err;
    coord_status st, st_tiny;

    if (json == NULL)
        return 0;
    memset(token, 'x', sizeof(token));
    memset(&err, 'x', sizeof(err));
    st = coord_decode_jwt(json, size, &limits, token, sizeof(token), &err);
    if (st == COORD_OK) {
        require(coord_text_ok(token, COORD_TOKEN_MAX));
    } else {
        require(st == COORD_ERR_BAD_RESPONSE || st == COORD_ERR_RESPONSE_TOO_LARGE ||
                st == COORD_ERR_OUT_OF_MEMORY);
        require_error(st, &err);
        require(all_zero(token, sizeof(token)));
    }
    memset(tiny, 'x', sizeof(tiny));
    st_tiny = coord_decode_jwt(json, size, &limits, tiny, sizeof(tiny), &err);
    if (st_tiny == COORD_OK) {
        require(st == COORD_OK && strcmp(tiny, token) == 0);
    } else {
        require(all_zero(tiny, sizeof(tiny)));
        if (st == COORD_OK)
            require(st_tiny == COORD_ERR_INVALID_ARGUMENT && strlen(token) >= sizeof(tiny));
    }
    free(json);
    return 0;
}
