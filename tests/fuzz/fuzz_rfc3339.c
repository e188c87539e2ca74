/* libFuzzer harness: coord_rfc3339_parse. Any text is either refused or
 * gives an instant whose UTC rendering (four-digit years) parses back to the
 * same instant. The rendering uses the inverse of the parser's calendar
 * (civil-from-days, not libc: time_t may be 32 bits), so the two check each
 * other; a date-time in UTC without a leap second renders as it was written,
 * so a date that does not exist (2100-02-29) cannot be accepted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void require(int ok)
{
    if (!ok)
        abort();
}

/* The date of day `days` since 1970-01-01 (proleptic Gregorian): the
 * civil-from-days algorithm (H. Hinnant), eras of 400 years. */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                    /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* 0..365, from March */
    int64_t mp = (5 * doy + 2) / 153;                                  /* 0..11, March = 0 */

    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    int64_t ms = INT64_MIN, again = INT64_MIN;

    if (size > 256) /* the decoder never passes more than COORD_TIME_MAX */
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (coord_rfc3339_parse(text, &ms) == 0) {
        char back[64];
        int64_t secs = floor_div(ms, 1000), days = floor_div(secs, 86400), year;
        int64_t in_day = secs - days * 86400;
        int month, day;

        require(ms != INT64_MIN);
        civil_from_days(days, &year, &month, &day);
        if (year < 0 || year > 9999)
            goto done; /* an offset moved it out of four-digit years: not renderable */
        snprintf(back, sizeof(back), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)year, month,
                 day, (int)(in_day / 3600), (int)(in_day / 60 % 60), (int)(in_day % 60),
                 (int)(ms - secs * 1000));
        require(coord_rfc3339_parse(back, &again) == 0);
        require(again == ms);
        /* in UTC, without a leap second, the fields come back as written */
        if ((text[19] == 'Z' || text[19] == 'z' || text[19] == '.') &&
            memcmp(text + 17, "60", 2) != 0 && strchr(text, '+') == NULL &&
            strchr(text + 19, '-') == NULL) {
            require(memcmp(back, text, 10) == 0);
            require(memcmp(back + 11, text + 11, 8) == 0);
        }
    }
done:
    free(text);
    return 0;
}
