/* Small helpers every file uses: text checks, secret wiping, redaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *coord_malloc(size_t size)
{
    return malloc(size);
}

void *coord_calloc(size_t count, size_t size)
{
    return calloc(count, size);
}

void *coord_realloc(void *ptr, size_t size)
{
    return realloc(ptr, size);
}

void coord_free(void *ptr)
{
    free(ptr);
}

int coord_text_ok(const char *s, size_t max)
{
    size_t n;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (n = 0; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n + 1 >= max || c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

void coord_wipe(void *p, size_t n)
{
    /* volatile stores: an optimiser may not drop them as dead writes */
    volatile unsigned char *v = (volatile unsigned char *)p;

    while (n-- > 0)
        *v++ = 0;
}

char *coord_strdup(const char *s)
{
    size_t n;
    char *copy;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    copy = coord_malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

void coord_secret_free(char **secret)
{
    if (*secret == NULL)
        return;
    coord_wipe(*secret, strlen(*secret));
    coord_free(*secret);
    *secret = NULL;
}

void coord_redact(char *text, size_t size, const char *secret)
{
    static const char mark[] = "[redacted]";
    size_t slen, mlen = sizeof(mark) - 1;
    char *hit, *from = text;

    if (text == NULL || size == 0 || secret == NULL || secret[0] == '\0')
        return;
    slen = strlen(secret);
    while ((hit = strstr(from, secret)) != NULL) {
        size_t tail = strlen(hit + slen) + 1; /* with the NUL */
        size_t room = size - (size_t)(hit - text);

        if (mlen + tail > room) /* cut the tail rather than overflow */
            tail = room > mlen ? room - mlen : 0;
        if (tail == 0) {
            *hit = '\0';
            return;
        }
        memmove(hit + mlen, hit + slen, tail);
        memcpy(hit, mark, mlen);
        text[size - 1] = '\0';
        from = hit + mlen; /* the mark itself may contain the secret */
    }
}

void coord_set_text(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (dst == NULL || size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}
