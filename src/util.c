/* Small helpers every file uses: text checks, secret wiping, redaction,
 * a random seed. */
#define _DEFAULT_SOURCE 1       /* explicit_bzero, getrandom */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* glibc 2.25 brought both; elsewhere the portable fallbacks below */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#define COORD_HAVE_EXPLICIT_BZERO 1
#define COORD_HAVE_GETRANDOM 1
#include <sys/random.h>
#endif

#include "internal.h"

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
#ifdef COORD_HAVE_EXPLICIT_BZERO
    explicit_bzero(p, n); /* libc's promise that no optimiser drops the stores */
#else
    /* volatile stores: an optimiser may not drop them as dead writes */
    volatile unsigned char *v = (volatile unsigned char *)p;

    while (n-- > 0)
        *v++ = 0;
#endif
}

uint64_t coord_random_seed(const void *salt)
{
    uint64_t seed;

#ifdef COORD_HAVE_GETRANDOM
#ifdef GRND_INSECURE
    /* never blocks, even before the kernel's pool is ready (Linux 5.6) */
    if (getrandom(&seed, sizeof(seed), GRND_INSECURE) == (ssize_t)sizeof(seed))
        return seed;
#endif
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
#endif
    /* no kernel randomness: what differs between clients at least */
    seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^ (uint64_t)(uintptr_t)salt;
    return seed;
}

int coord_copy_text(char *dst, size_t size, const char *src)
{
    /* reads at most size bytes: src may be a caller's field that lacks a NUL */
    size_t n = strnlen(src, size);

    if (n >= size)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

void coord_secret_free(char **secret)
{
    if (*secret == NULL)
        return;
    coord_wipe(*secret, strlen(*secret));
    coord_free(*secret);
    *secret = NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* How many bytes at t spell the secret's byte c: 3 for %XX (hex in either
 * case), 1 for the byte itself or for '+' standing for a space (form
 * encoding), 0 for none. Only "%25" can be read both ways (an escaped '%',
 * or a '%' and "25"): raw_first picks the second reading. */
static size_t spelling(const char *t, unsigned char c, int raw_first)
{
    int hi = t[0] == '%' ? hex_value(t[1]) : -1;
    int lo = hi >= 0 ? hex_value(t[2]) : -1;

    if (raw_first && (unsigned char)t[0] == c)
        return 1;
    if (lo >= 0 && hi * 16 + lo == c)
        return 3;
    if ((unsigned char)t[0] == c || (t[0] == '+' && c == ' '))
        return 1;
    return 0;
}

/* Match the secret at t, each byte in any spelling. Returns the text bytes
 * taken; *matched is how many bytes of the secret they spell. */
static size_t spelled_as(const char *t, const char *secret, int raw_first, size_t *matched)
{
    size_t n = 0, i, k;

    for (i = 0; secret[i] != '\0' &&
                (k = spelling(t + n, (unsigned char)secret[i], raw_first)) > 0; i++)
        n += k;
    *matched = i;
    return n;
}

/* Escapes first (a secret echoed escaped: its '%' as "%25"), then raw
 * first (a secret holding "%25" itself, echoed as it is); the longer match. */
static size_t spelled(const char *t, const char *secret, size_t *matched)
{
    size_t raw_matched, n = spelled_as(t, secret, 0, matched);
    size_t raw_n = spelled_as(t, secret, 1, &raw_matched);

    if (raw_matched > *matched) {
        *matched = raw_matched;
        n = raw_n;
    }
    return n;
}

/* 1 when t holds nothing, or only the start of an escape ("%", "%X"): a
 * match that stopped here ran out of text, not out of agreement. */
static int cut_here(const char *t)
{
    return t[0] == '\0' ||
           (t[0] == '%' && (t[1] == '\0' || (hex_value(t[1]) >= 0 && t[2] == '\0')));
}

/* Replace the n bytes at `at` with the mark, within size; returns where
 * scanning goes on (after the mark), or NULL when the text ends there. */
static char *put_mark(char *text, size_t size, char *at, size_t n)
{
    static const char mark[] = "[redacted]";
    size_t mlen = sizeof(mark) - 1, room = size - (size_t)(at - text);
    size_t tail = strlen(at + n) + 1; /* with the NUL */
    char *old_end = at + n + tail - 1, *end;

    if (mlen + tail > room) /* cut the tail rather than overflow */
        tail = room > mlen ? room - mlen : 0;
    if (tail == 0) { /* not even the whole mark fits: cut the text here */
        memcpy(at, mark, room - 1);
        at[room - 1] = '\0';
        return NULL;
    }
    memmove(at + mlen, at + n, tail);
    memcpy(at, mark, mlen);
    text[size - 1] = '\0';
    /* a shorter text leaves the secret's bytes past its NUL: a record
     * copied whole (or dumped) must not carry them */
    end = at + strlen(at);
    if (old_end > end)
        coord_wipe(end + 1, (size_t)(old_end - end));
    return at + mlen; /* the mark itself may contain the secret */
}

void coord_redact(char *text, size_t size, const char *secret)
{
    char *at = text;

    if (text == NULL || size == 0 || secret == NULL || secret[0] == '\0')
        return;
    while (at != NULL && *at != '\0') {
        size_t matched, n = spelled(at, secret, &matched);

        if (secret[matched] == '\0')
            at = put_mark(text, size, at, n);
        else if (matched >= 4 && cut_here(at + n)) /* a secret's start, cut off */
            at = put_mark(text, size, at, strlen(at));
        else
            at++;
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

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0.
 * Refused: overlong forms, UTF-16 surrogates, code points above U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int coord_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, len;

    while (i < n) {
        /* ASCII, eight bytes at a time: nearly all of an API answer. A byte
         * at a time, validation cost more than cJSON's parse (callgrind). */
        while (n - i >= 8) {
            uint64_t w;

            memcpy(&w, p + i, sizeof(w));
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        while (i < n && p[i] < 0x80)
            i++;
        if (i >= n)
            break;
        len = utf8_sequence(p + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

void coord_text_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n, i = 0, len;

    if (s == NULL)
        return;
    n = strlen(s);
    while (i < n) {
        len = utf8_sequence(p + i, n - i);
        if (len == 0 || p[i] < 0x20 || p[i] == 0x7f) {
            p[i++] = '?';
            continue;
        }
        i += len;
    }
}
