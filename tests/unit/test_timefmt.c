/* RFC 3339 -> epoch milliseconds: the parser checked against
 * libc's timegm over four centuries, and the calendar's edges. */
#define _DEFAULT_SOURCE 1 /* timegm */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "internal.h"

static int days_in(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Every day from 1800 to 2200 (with a time that varies), against timegm. */
static void every_day_agrees_with_timegm(void **state)
{
    char text[64]; /* room for any int the compiler can imagine: -Wformat-truncation at -O1 */
    int64_t ms;
    (void)state;

    for (int year = 1800; year <= 2200; year++) {
        for (int month = 1; month <= 12; month++) {
            for (int day = 1; day <= days_in(year, month); day++) {
                struct tm tm = {0};
                int hour = (year + day) % 24, minute = (month * day) % 60, second = day % 60;

                tm.tm_year = year - 1900;
                tm.tm_mon = month - 1;
                tm.tm_mday = day;
                tm.tm_hour = hour;
                tm.tm_min = minute;
                tm.tm_sec = second;
                snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.123Z", year, month,
                         day, hour, minute, second);
                assert_int_equal(coord_rfc3339_parse(text, &ms), 0);
                assert_int_equal(ms, (int64_t)timegm(&tm) * 1000 + 123);
            }
        }
    }
}

static void calendar_edges(void **state)
{
    static const char *const bad[] = {
        "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2019-02-29T00:00:00Z",
        "2018-04-31T00:00:00Z", "2018-00-10T00:00:00Z", "2018-01-00T00:00:00Z",
        "2018-12-32T00:00:00Z", "2018-01-01T23:59:61Z", "2018-01-01T23:60:00Z",
        "2018-01-01T24:00:00Z", "2018-0a-01T00:00:00Z", "2018-01-01T00:00:0",
        "2018-01-01", "2018-01-01T00:00:00", "2018-01-01T00:00:00+01", "2018/01/01T00:00:00Z",
    };
    int64_t ms;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ms = 7;
        assert_int_equal(coord_rfc3339_parse(bad[i], &ms), -1);
        assert_int_equal(ms, 7); /* untouched on failure */
    }
    assert_int_equal(coord_rfc3339_parse("2000-02-29T00:00:00Z", &ms), 0);
    assert_int_equal(ms, INT64_C(951782400000));
    assert_int_equal(coord_rfc3339_parse("2400-02-29T12:00:00Z", &ms), 0);
    assert_int_equal(ms, INT64_C(13574606400000));
    assert_int_equal(coord_rfc3339_parse("0000-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, INT64_C(-62167219200000));
    assert_int_equal(coord_rfc3339_parse("9999-12-31T23:59:59.999Z", &ms), 0);
    assert_int_equal(ms, INT64_C(253402300799999));
    /* a leap second is the next second; offsets move the instant */
    assert_int_equal(coord_rfc3339_parse("2016-12-31T23:59:60Z", &ms), 0);
    assert_int_equal(ms, INT64_C(1483228800000));
    assert_int_equal(coord_rfc3339_parse("2017-01-01T05:30:00+05:30", &ms), 0);
    assert_int_equal(ms, INT64_C(1483228800000));
    assert_int_equal(coord_rfc3339_parse("2016-12-31T14:00:00-10:00", &ms), 0);
    assert_int_equal(ms, INT64_C(1483228800000));
}

/* The days libc converted are remembered per thread: a second timestamp on
 * a remembered day must still get its own time of day, and its time checked. */
static void remembered_days_still_check_the_time(void **state)
{
    static const char *const days[] = {"2024-02-29", "1999-12-31", "2024-03-01"};
    char text[64];
    int64_t ms, first;
    (void)state;

    for (int round = 0; round < 2; round++) {
        for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
            struct tm tm = {0};

            tm.tm_year = atoi(days[d]) - 1900;
            tm.tm_mon = atoi(days[d] + 5) - 1;
            tm.tm_mday = atoi(days[d] + 8);
            snprintf(text, sizeof(text), "%sT00:00:00Z", days[d]);
            assert_int_equal(coord_rfc3339_parse(text, &first), 0);
            assert_int_equal(first, (int64_t)timegm(&tm) * 1000);
            snprintf(text, sizeof(text), "%sT23:59:59.5+01:00", days[d]);
            assert_int_equal(coord_rfc3339_parse(text, &ms), 0);
            assert_int_equal(ms, first + (86399 - 3600) * INT64_C(1000) + 500);
            snprintf(text, sizeof(text), "%sT23:59:60Z", days[d]);
            assert_int_equal(coord_rfc3339_parse(text, &ms), 0);
            assert_int_equal(ms, first + 86400 * INT64_C(1000));
            ms = 7;
            snprintf(text, sizeof(text), "%sT24:00:00Z", days[d]);
            assert_int_equal(coord_rfc3339_parse(text, &ms), -1);
            snprintf(text, sizeof(text), "%sT12:60:00Z", days[d]);
            assert_int_equal(coord_rfc3339_parse(text, &ms), -1);
            snprintf(text, sizeof(text), "%sT12:00:61Z", days[d]);
            assert_int_equal(coord_rfc3339_parse(text, &ms), -1);
            assert_int_equal(ms, 7);
        }
    }
}

/* A date libc refused is not remembered: asking again is refused again. */
static void refused_dates_stay_refused(void **state)
{
    int64_t ms = 7;
    (void)state;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(coord_rfc3339_parse("2019-02-29T00:00:00Z", &ms), -1);
        assert_int_equal(coord_rfc3339_parse("2019-02-28T00:00:00Z", &ms), 0);
        assert_int_equal(ms, INT64_C(1551312000000));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_day_agrees_with_timegm),
        cmocka_unit_test(calendar_edges),
        cmocka_unit_test(remembered_days_still_check_the_time),
        cmocka_unit_test(refused_dates_stay_refused),
    };
    return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
