/* Pure: money as text. The API's amounts are int64 in the currency's
 * smallest unit; ISO 4217 says how many decimals that unit is. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct currency_info {
    char code[4];
    uint8_t exponent;
} currency_info;

/* ISO 4217's list of codes and minor units (the list published by SIX,
 * 2025), sorted by code for bsearch (tests/unit/test_money.c checks the
 * order). "N.A." minor units (precious metals, SDR, testing, no currency)
 * are 0: the amount is whole units. Withdrawn codes kept: CUC, HRK, SLL,
 * ZWL, ANG (old bills). */
static const currency_info currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
    {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2},
    {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2},
    {"COU", 2}, {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2},
    {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2},
    {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HRK", 2}, {"HTG", 2},
    {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
    {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
    {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
    {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
    {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2},
    {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2},
    {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2},
    {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2},
    {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2},
    {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2},
    {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2},
    {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4},
    {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0},
    {"XAG", 0}, {"XAU", 0}, {"XBA", 0}, {"XBB", 0}, {"XBC", 0}, {"XBD", 0}, {"XCD", 2},
    {"XCG", 2}, {"XDR", 0}, {"XOF", 0}, {"XPD", 0}, {"XPF", 0}, {"XPT", 0}, {"XSU", 0},
    {"XTS", 0}, {"XUA", 0}, {"XXX", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
    {"ZWL", 2},
};

/* 10^0 .. 10^4: the largest exponent in the table is 4 (CLF, UYW). */
static const uint64_t powers_of_ten[] = {1, 10, 100, 1000, 10000};

size_t coord_currency_count(void)
{
    return sizeof(currencies) / sizeof(currencies[0]);
}

const char *coord_currency_code_at(size_t i)
{
    return i < coord_currency_count() ? currencies[i].code : NULL;
}

static int code_ok(const char *c)
{
    return c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' &&
           c[2] <= 'Z' && c[3] == '\0';
}

static int by_code(const void *key, const void *entry)
{
    return strcmp(key, ((const currency_info *)entry)->code);
}

coord_status coord_currency_exponent(const char *currency, uint8_t *out_exponent)
{
    const currency_info *found;

    if (currency == NULL || out_exponent == NULL || !code_ok(currency))
        return COORD_ERR_INVALID_ARGUMENT;
    found = bsearch(currency, currencies, coord_currency_count(), sizeof(currencies[0]),
                    by_code);
    *out_exponent = found != NULL ? found->exponent : COORD_CURRENCY_DEFAULT_EXPONENT;
    return found != NULL ? COORD_OK : COORD_ERR_NOT_FOUND;
}

coord_status coord_money_format(const coord_money *money, char *out_text, size_t size)
{
    uint8_t exponent;
    uint64_t magnitude, unit;
    const char *sign;
    int n;

    if (out_text == NULL || size == 0)
        return COORD_ERR_INVALID_ARGUMENT;
    out_text[0] = '\0';
    if (money == NULL ||
        coord_currency_exponent(money->currency, &exponent) == COORD_ERR_INVALID_ARGUMENT)
        return COORD_ERR_INVALID_ARGUMENT;
    /* in uint64_t: -INT64_MIN does not fit an int64_t */
    magnitude = money->amount < 0 ? 0u - (uint64_t)money->amount : (uint64_t)money->amount;
    sign = money->amount < 0 ? "-" : "";
    unit = powers_of_ten[exponent];
    if (exponent == 0)
        n = snprintf(out_text, size, "%s%" PRIu64 " %s", sign, magnitude, money->currency);
    else
        n = snprintf(out_text, size, "%s%" PRIu64 ".%0*" PRIu64 " %s", sign, magnitude / unit,
                     (int)exponent, magnitude % unit, money->currency);
    if (n < 0 || (size_t)n >= size) {
        out_text[0] = '\0';
        return COORD_ERR_INVALID_ARGUMENT;
    }
    return COORD_OK;
}
