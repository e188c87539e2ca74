/* Text checks, redaction and wiping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void text_ok(void **state)
{
    (void)state;
    assert_true(coord_text_ok("abc", 4));
    assert_false(coord_text_ok("abcd", 4)); /* needs room for the NUL */
    assert_false(coord_text_ok("", 4));
    assert_false(coord_text_ok(NULL, 4));
    assert_false(coord_text_ok("a\rb", 8));
    assert_false(coord_text_ok("a\x7f", 8));
    assert_true(coord_text_ok("caf\xc3\xa9", 8)); /* UTF-8 is not a control character */
}

static void redact(void **state)
{
    char text[64];
    (void)state;

    strcpy(text, "key=sek and again sek.");
    coord_redact(text, sizeof(text), "sek");
    assert_string_equal(text, "key=[redacted] and again [redacted].");

    /* a secret found inside the mark itself must not loop forever */
    strcpy(text, "a d a");
    coord_redact(text, sizeof(text), "d");
    assert_string_equal(text, "a [redacted] a");
    strcpy(text, "xx");
    coord_redact(text, sizeof(text), "x");
    assert_string_equal(text, "[redacted][redacted]");

    /* growth past the buffer cuts the text, never the bounds */
    char small[16];
    strcpy(small, "k=LONGSECRETk");
    coord_redact(small, sizeof(small), "k");
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_null(strstr(small, "k="));

    /* a text cut to its buffer ends with the start of the secret: a real
     * test token (300+ bytes) echoed in a 256-byte message did this */
    strcpy(text, "token eyJhbGciOiJI");
    coord_redact(text, sizeof(text), "eyJhbGciOiJIUzI1NiJ9.payload.signature");
    assert_string_equal(text, "token [redacted]");
    strcpy(small, "tok: abcdefgh");
    coord_redact(small, sizeof(small), "abcdefghijkl");
    assert_string_equal(small, "tok: [redacted]");
    strcpy(small, "0123456789abcd");
    coord_redact(small, sizeof(small), "abcdefghijkl"); /* the mark is cut to fit */
    assert_string_equal(small, "0123456789[reda");
    strcpy(text, "ends in abc");                      /* under 4 bytes: kept */
    coord_redact(text, sizeof(text), "abcdefghijkl");
    assert_string_equal(text, "ends in abc");

    /* a shorter text leaves nothing of the secret past its NUL */
    memset(text, 0, sizeof(text));
    strcpy(text, "a-0123456789abcdefghijklmnopqrstuvwxyz-b");
    coord_redact(text, sizeof(text), "0123456789abcdefghijklmnopqrstuvwxyz");
    assert_string_equal(text, "a-[redacted]-b");
    for (size_t i = strlen(text); i < sizeof(text); i++)
        assert_int_equal(text[i], 0);
    memset(text, 0, sizeof(text));
    strcpy(text, "id: 0123456789abcdefghijklmnop");   /* cut: the secret's start */
    coord_redact(text, sizeof(text), "0123456789abcdefghijklmnopqrstuvwxyz");
    assert_string_equal(text, "id: [redacted]");
    for (size_t i = strlen(text); i < sizeof(text); i++)
        assert_int_equal(text[i], 0);

    strcpy(text, "nothing here");
    coord_redact(text, sizeof(text), "");
    coord_redact(text, sizeof(text), NULL);
    assert_string_equal(text, "nothing here");
}

/* text after coord_redact(text, secret), in a 128-byte buffer */
static const char *redacted(const char *text, const char *secret)
{
    static char buf[128];

    snprintf(buf, sizeof(buf), "%s", text);
    coord_redact(buf, sizeof(buf), secret);
    return buf;
}

/* A server echoes the key the way it travelled or the way
 * its framework re-encodes it. Every spelling is redacted. */
static void redact_every_spelling(void **state)
{
    static const char key[] = "K3Y+S/cr=t&zq 81";
    static const char *const echoes[] = {
        "bad key K3Y+S/cr=t&zq 81; try again",                 /* raw */
        "bad key K3Y%2BS%2Fcr%3Dt%26zq%2081; try again",       /* curl_easy_escape */
        "bad key K3Y%2bS%2fcr%3dt%26zq%2081; try again",       /* lower-case hex */
        "bad key K3Y%2BS%2Fcr%3Dt%26zq+81; try again",         /* form: '+' for the space */
        "bad key K3Y%2bS/cr=t%26zq+81; try again",             /* a mix: quote_plus, safe "/=" */
        "bad key %4B%33%59%2B%53%2F%63%72%3D%74%26%7A%71%20%38%31; try again", /* all escaped */
    };
    (void)state;

    for (size_t i = 0; i < sizeof(echoes) / sizeof(echoes[0]); i++)
        assert_string_equal(redacted(echoes[i], key), "bad key [redacted]; try again");
    /* the raw '+' of the key is not a space: "K3Y S" is another text */
    assert_string_equal(redacted("K3Y S/cr=t&zq 81", key), "K3Y S/cr=t&zq 81");
    /* a cut-off echo in any spelling, even inside an escape */
    assert_string_equal(redacted("key=K3Y%2bS%2", key), "key=[redacted]");
    /* a '%' in the secret: raw, escaped, and a secret that holds "%25" itself */
    assert_string_equal(redacted("a 50%off b 50%25off", "50%off"), "a [redacted] b [redacted]");
    assert_string_equal(redacted("a x%25y b x%2525y", "x%25y"), "a [redacted] b [redacted]");
}

/* coord_copy_text copies what fits and reads no further than size bytes:
 * the source below has no NUL at all (ASan in check-asan sees any overread). */
static void copy_text_is_bounded(void **state)
{
    char unterminated[4] = {'a', 'b', 'c', 'd'};
    char dst[8] = "keep";
    (void)state;

    assert_int_equal(coord_copy_text(dst, sizeof(unterminated), unterminated), 0);
    assert_string_equal(dst, "keep");
    assert_int_equal(coord_copy_text(dst, 4, "abcd"), 0);
    assert_string_equal(dst, "keep");
    assert_int_equal(coord_copy_text(dst, 4, "abc"), 1);
    assert_string_equal(dst, "abc");
}

static void wipe_and_free(void **state)
{
    char buf[8] = "secret!";
    char *dup = coord_strdup("token");
    (void)state;

    coord_wipe(buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0);
    assert_string_equal(dup, "token");
    coord_secret_free(&dup);
    assert_null(dup);
    coord_secret_free(&dup); /* twice is harmless */
    assert_null(coord_strdup(NULL));
}

/* The wipe is libc's explicit_bzero where libc has it
 * (glibc 2.25), whose stores no optimiser may drop. This program's own
 * explicit_bzero takes the place of libc's for libcoord.a (the executable's
 * symbol comes first) and counts the calls before doing the same wipe. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
static int explicit_bzero_calls;

void explicit_bzero(void *p, size_t n);
void explicit_bzero(void *p, size_t n)
{
    volatile unsigned char *v = p;

    explicit_bzero_calls++;
    while (n-- > 0)
        *v++ = 0;
}

static void wipe_is_explicit_bzero(void **state)
{
    char key[] = "sandbox-secret";
    char *copy = coord_strdup("eyJ.token.sig");
    (void)state;

    explicit_bzero_calls = 0;
    coord_wipe(key, sizeof(key));
    assert_int_equal(explicit_bzero_calls, 1);
    for (size_t i = 0; i < sizeof(key); i++)
        assert_int_equal(key[i], 0);
    coord_secret_free(&copy); /* wipes, then frees */
    assert_int_equal(explicit_bzero_calls, 2);
}
#endif

static void utf8(void **state)
{
    char text[32];
    (void)state;

    assert_true(coord_utf8_valid("", 0));
    assert_true(coord_utf8_valid("plain", 5));
    assert_true(coord_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x85\xbf", 14));
    assert_false(coord_utf8_valid("caf\xe9", 4));          /* Latin-1 */
    assert_false(coord_utf8_valid("\xc3", 1));             /* cut short */
    assert_false(coord_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(coord_utf8_valid("\xe0\x80\xaf", 3));     /* overlong, 3 bytes */
    assert_false(coord_utf8_valid("\xed\xa0\x80", 3));     /* a UTF-16 surrogate */
    assert_false(coord_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(coord_utf8_valid("\x80", 1));             /* lone continuation */
    assert_false(coord_utf8_valid("\xff", 1));

    strcpy(text, "ok \xc3\xa9\x1b[31m\xe9\n\xc3");
    coord_text_clean(text);
    assert_string_equal(text, "ok \xc3\xa9?[31m???");
}

/* The ASCII fast path reads eight bytes at a time: a bad or multi-byte
 * sequence must be found at any offset, in a word or in the tail. */
static void utf8_long_ascii_runs(void **state)
{
    char buf[64];
    (void)state;

    for (size_t at = 0; at < 40; at++) {
        memset(buf, 'a', sizeof(buf));
        assert_true(coord_utf8_valid(buf, 48));
        buf[at] = (char)0xc3;
        buf[at + 1] = (char)0xa9; /* é */
        assert_true(coord_utf8_valid(buf, 48));
        buf[at + 1] = 'x'; /* cut short */
        assert_false(coord_utf8_valid(buf, 48));
        buf[at] = (char)0xff;
        assert_false(coord_utf8_valid(buf, 48));
        assert_true(coord_utf8_valid(buf, at)); /* the bad byte just past the end */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8),
        cmocka_unit_test(utf8_long_ascii_runs),
        cmocka_unit_test(text_ok),
        cmocka_unit_test(redact),
        cmocka_unit_test(redact_every_spelling),
        cmocka_unit_test(copy_text_is_bounded),
        cmocka_unit_test(wipe_and_free),
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
        cmocka_unit_test(wipe_is_explicit_bzero),
#endif
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
