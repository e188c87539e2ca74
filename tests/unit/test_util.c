/* Text checks, redaction and wiping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

    strcpy(text, "nothing here");
    coord_redact(text, sizeof(text), "");
    coord_redact(text, sizeof(text), NULL);
    assert_string_equal(text, "nothing here");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_ok),
        cmocka_unit_test(redact),
        cmocka_unit_test(wipe_and_free),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
