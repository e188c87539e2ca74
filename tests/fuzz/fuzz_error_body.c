/* libFuzzer harness: coord_decode_error_body, the parser of every non-2xx
 * answer. On success the message is NUL-terminated within its buffer and
 * clean (well-formed UTF-8, no control characters), and a smaller buffer
 * gets the same text cut short (a character cut in two becomes '?'); on
 * failure the outputs are not written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void require(int ok)
{
    if (!ok)
        abort();
}

static void require_clean(const char *s)
{
    require(coord_utf8_valid(s, strlen(s)));
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        require(*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size > 0 ? size : 1);
    char message[COORD_MESSAGE_MAX], tiny[4];
    int32_t code = 12345, code2 = 0;
    coord_status st;

    if (json == NULL)
        return 0;
    if (size > 0)
        memcpy(json, data, size);
    memset(message, 'x', sizeof(message));
    st = coord_decode_error_body(json, size, &code, message, sizeof(message));
    if (st == COORD_OK) {
        require(memchr(message, '\0', sizeof(message)) != NULL);
        require_clean(message);
        memset(tiny, 'x', sizeof(tiny));
        require(coord_decode_error_body(json, size, &code2, tiny, sizeof(tiny)) == COORD_OK);
        require(code2 == code);
        require(memchr(tiny, '\0', sizeof(tiny)) != NULL);
        require_clean(tiny);
        for (size_t i = 0; tiny[i] != '\0'; i++)
            require(tiny[i] == message[i] || tiny[i] == '?');
    } else {
        /* too large: a text whose tree would take more than 8 times its length */
        require(st == COORD_ERR_BAD_RESPONSE || st == COORD_ERR_RESPONSE_TOO_LARGE);
        require(code == 12345);
    }
    free(json);
    return 0;
}
