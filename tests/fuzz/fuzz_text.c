/* libFuzzer harness: the UTF-8 checks applied to server text --
 * coord_utf8_valid (the decoder's gate) and coord_text_clean (what error
 * details and logs show). A cleaned text is well-formed UTF-8 without
 * control characters; text that already was is left unchanged; cleaning
 * twice changes nothing more; a valid text cut between two characters stays
 * valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void require(int ok)
{
    if (!ok)
        abort();
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *clean;
    size_t n;
    int valid;

    text = malloc(size + 1);
    clean = malloc(size + 1);
    if (text == NULL || clean == NULL) {
        free(text);
        free(clean);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    n = strlen(text); /* up to the first NUL, as the library sees strings */

    valid = coord_utf8_valid(text, n);
    require(valid == 0 || valid == 1);
    memcpy(clean, text, n + 1);
    coord_text_clean(clean);
    require(strlen(clean) == n);
    require(coord_utf8_valid(clean, n));
    require(!has_control(clean));
    if (valid && !has_control(text))
        require(memcmp(clean, text, n) == 0);
    for (size_t i = 0; i < n; i++)
        require(clean[i] == text[i] || clean[i] == '?');
    memcpy(text, clean, n + 1);
    coord_text_clean(text);
    require(memcmp(text, clean, n + 1) == 0);
    if (valid && n > 0) { /* a prefix cut before a lead byte is still valid */
        size_t i = n / 2;

        while (i > 0 && ((unsigned char)clean[i] & 0xc0) == 0x80)
            i--;
        require(coord_utf8_valid(clean, i));
    }
    free(text);
    free(clean);
    return 0;
}
