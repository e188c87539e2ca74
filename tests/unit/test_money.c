/* Money as text: every exponent ISO 4217 uses, signs, the int64 limits,
 * unknown and malformed codes, buffers too small. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

typedef struct money_case {
    int64_t amount;
    const char *currency;
    const char *text;
} money_case;

static const money_case cases[] = {
    {300, "USD", "3.00 USD"},      /* the README's first program: not "300 USD" */
    {555, "USD", "5.55 USD"},
    {5, "USD", "0.05 USD"},
    {0, "USD", "0.00 USD"},
    {-5, "EUR", "-0.05 EUR"},      /* a refund */
    {-1234, "EUR", "-12.34 EUR"},
    {100, "GBP", "1.00 GBP"},
    {300, "JPY", "300 JPY"},       /* exponent 0 */
    {-300, "KRW", "-300 KRW"},
    {1500, "ISK", "1500 ISK"},
    {7, "CLP", "7 CLP"},
    {1500, "BHD", "1.500 BHD"},    /* exponent 3 */
    {5, "KWD", "0.005 KWD"},
    {-1, "TND", "-0.001 TND"},
    {12345, "JOD", "12.345 JOD"},
    {1, "CLF", "0.0001 CLF"},      /* exponent 4 */
    {123456, "UYW", "12.3456 UYW"},
    {42, "XAU", "42 XAU"},         /* ISO "N.A.": whole units */
    {42, "XXX", "42 XXX"},
    {1234, "QQQ", "12.34 QQQ"},    /* not in ISO 4217: COORD_CURRENCY_DEFAULT_EXPONENT */
    {INT64_MAX, "USD", "92233720368547758.07 USD"},
    {INT64_MIN, "USD", "-92233720368547758.08 USD"},
    {INT64_MIN, "JPY", "-9223372036854775808 JPY"},
    {INT64_MIN, "CLF", "-922337203685477.5808 CLF"},
    {INT64_MIN + 1, "BHD", "-9223372036854775.807 BHD"},
};

static void formats_every_case(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        coord_money m = {cases[i].amount, ""};
        char text[COORD_MONEY_TEXT_MAX];

        memcpy(m.currency, cases[i].currency, 4);
        assert_int_equal(coord_money_format(&m, text, sizeof(text)), COORD_OK);
        assert_string_equal(text, cases[i].text);
    }
}

static void exponents(void **state)
{
    static const struct {
        const char *code;
        uint8_t exponent;
    } known[] = {{"USD", 2}, {"EUR", 2}, {"JPY", 0}, {"KRW", 0}, {"VND", 0}, {"BHD", 3},
                 {"KWD", 3}, {"TND", 3}, {"IQD", 3}, {"LYD", 3}, {"OMR", 3}, {"CLF", 4},
                 {"UYW", 4}, {"XDR", 0}, {"AED", 2}, {"ZWL", 2}, {"ZWG", 2}};
    uint8_t e = 99;

    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        e = 99;
        assert_int_equal(coord_currency_exponent(known[i].code, &e), COORD_OK);
        assert_int_equal(e, known[i].exponent);
    }
    e = 99;
    assert_int_equal(coord_currency_exponent("QQQ", &e), COORD_ERR_NOT_FOUND);
    assert_int_equal(e, COORD_CURRENCY_DEFAULT_EXPONENT);
    assert_int_equal(coord_currency_exponent("AAA", &e), COORD_ERR_NOT_FOUND); /* before the first */
    assert_int_equal(coord_currency_exponent("ZZZ", &e), COORD_ERR_NOT_FOUND); /* after the last */
    assert_int_equal(coord_currency_exponent("usd", &e), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_currency_exponent("US", &e), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_currency_exponent("USDX", &e), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_currency_exponent("", &e), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_currency_exponent(NULL, &e), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_currency_exponent("USD", NULL), COORD_ERR_INVALID_ARGUMENT);
}

/* bsearch needs the order; every row is found, with an exponent the
 * formatter has a power of ten for. */
static void table_sorted_and_reachable(void **state)
{
    size_t n = coord_currency_count();

    (void)state;
    assert_true(n > 170);
    assert_null(coord_currency_code_at(n));
    for (size_t i = 0; i < n; i++) {
        const char *code = coord_currency_code_at(i);
        uint8_t e = 99;

        if (i > 0)
            assert_true(strcmp(coord_currency_code_at(i - 1), code) < 0);
        assert_int_equal(coord_currency_exponent(code, &e), COORD_OK);
        assert_true(e <= 4);
    }
}

static void small_buffers_and_bad_input(void **state)
{
    coord_money m = {300, "USD"};
    char text[COORD_MONEY_TEXT_MAX];

    (void)state;
    /* "3.00 USD" is 8 characters: 9 bytes fit, 8 do not, and nothing cut is left */
    assert_int_equal(coord_money_format(&m, text, 9), COORD_OK);
    assert_string_equal(text, "3.00 USD");
    memset(text, 'x', sizeof(text));
    assert_int_equal(coord_money_format(&m, text, 8), COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(text, "");
    assert_int_equal(text[8], 'x'); /* nothing written past the size it was given */
    memset(text, 'x', sizeof(text));
    assert_int_equal(coord_money_format(&m, text, 1), COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(text, "");
    assert_int_equal(coord_money_format(&m, text, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_money_format(&m, NULL, 9), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_money_format(NULL, text, sizeof(text)), COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(text, "");
    memcpy(m.currency, "us", 3);
    assert_int_equal(coord_money_format(&m, text, sizeof(text)), COORD_ERR_INVALID_ARGUMENT);
    assert_string_equal(text, "");
    memset(&m, 0, sizeof(m)); /* a zeroed money: no currency */
    assert_int_equal(coord_money_format(&m, text, sizeof(text)), COORD_ERR_INVALID_ARGUMENT);
}

/* The longest text there is fits COORD_MONEY_TEXT_MAX. */
static void longest_text_fits(void **state)
{
    coord_money m = {INT64_MIN, "CLF"};
    char text[COORD_MONEY_TEXT_MAX];

    (void)state;
    assert_int_equal(coord_money_format(&m, text, sizeof(text)), COORD_OK);
    assert_true(strlen(text) < COORD_MONEY_TEXT_MAX);
    for (size_t i = 0; i < coord_currency_count(); i++) {
        memcpy(m.currency, coord_currency_code_at(i), 4);
        assert_int_equal(coord_money_format(&m, text, sizeof(text)), COORD_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_every_case),
        cmocka_unit_test(exponents),
        cmocka_unit_test(table_sorted_and_reachable),
        cmocka_unit_test(small_buffers_and_bad_input),
        cmocka_unit_test(longest_text_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
