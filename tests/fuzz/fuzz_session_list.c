/* libFuzzer harness: coord_decode_session_list and the public
 * coord_session_list_decode / coord_session_list_free. On success every
 * entry meets the session contract (fuzz_check.h) and count matches the
 * array; on failure the list is zeroed (nothing to free) and the detail is
 * terminated and non-empty. */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_copy(data, size);
    char small[8];
    coord_error err;
    coord_session_list list, again;
    coord_status st;

    if (json == NULL)
        return 0;
    memset(&err, 'x', sizeof(err));
    st = coord_decode_session_list(json, size, &limits, &list, &err);
    if (st == COORD_OK) {
        require(list.count <= COORD_SESSION_LIST_MAX);
        require((list.count == 0) == (list.sessions == NULL));
        require(all_zero(list.reserved, sizeof(list.reserved)));
        for (uint32_t i = 0; i < list.count; i++)
            require_session(&list.sessions[i]);
    } else {
        require(st == COORD_ERR_BAD_RESPONSE || st == COORD_ERR_RESPONSE_TOO_LARGE ||
                st == COORD_ERR_OUT_OF_MEMORY);
        require_error(st, &err);
        require(all_zero(&list, sizeof(list)));
    }

    /* the public wrapper agrees entry for entry */
    memset(small, 'x', sizeof(small));
    require(coord_session_list_decode(json, size, &again, small, sizeof(small)) == st);
    require(memchr(small, '\0', sizeof(small)) != NULL);
    require(again.count == list.count);
    for (uint32_t i = 0; i < list.count; i++)
        require_same_session(&again.sessions[i], &list.sessions[i]);
    coord_session_list_free(&again);
    require(all_zero(&again, sizeof(again)));
    coord_session_list_free(&again); /* twice is safe */
    coord_session_list_free(&list);
    free(json);
    return 0;
}
