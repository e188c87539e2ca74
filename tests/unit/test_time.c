/* src/time.c: RFC 3339 -> epoch milliseconds, with fixed expected values
 * (never libc's calendar, whose time_t is 32 bits on some ARM systems),
 * Retry-After values, and the monotonic clock. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "internal.h"

#define DAY_MS INT64_C(86400000)

static int64_t parsed(const char *text)
{
    int64_t ms = INT64_MIN;

    assert_int_equal(coord_rfc3339_parse(text, &ms), 0);
    return ms;
}

static void refused(const char *text)
{
    int64_t ms = 7;

    assert_int_equal(coord_rfc3339_parse(text, &ms), -1);
    assert_int_equal(ms, 7); /* untouched on failure */
}

/* The instants a 32-bit time_t gets wrong, and the calendar's edges. */
static void fixed_instants(void **state)
{
    (void)state;
    assert_int_equal(parsed("0000-01-01T00:00:00Z"), INT64_C(-62167219200000));
    assert_int_equal(parsed("1900-01-01T00:00:00Z"), INT64_C(-2208988800000));
    assert_int_equal(parsed("1901-12-13T12:00:00Z"), INT64_C(-2147515200000));
    assert_int_equal(parsed("1969-12-31T23:59:59Z"), INT64_C(-1000));
    assert_int_equal(parsed("1970-01-01T00:00:00Z"), INT64_C(0));
    assert_int_equal(parsed("2000-02-29T00:00:00Z"), INT64_C(951782400000));
    assert_int_equal(parsed("2038-01-19T03:14:07Z"), INT64_C(2147483647000));
    assert_int_equal(parsed("2038-01-19T03:14:08Z"), INT64_C(2147483648000));
    assert_int_equal(parsed("2038-01-20T00:00:00Z"), INT64_C(2147558400000));
    assert_int_equal(parsed("2040-06-01T12:00:00Z"), INT64_C(2222164800000));
    assert_int_equal(parsed("2100-02-28T00:00:00Z"), INT64_C(4107456000000));
    assert_int_equal(parsed("2100-03-01T00:00:00Z"), INT64_C(4107542400000));
    assert_int_equal(parsed("2400-02-29T12:00:00Z"), INT64_C(13574606400000));
    assert_int_equal(parsed("9999-12-31T23:59:59Z"), INT64_C(253402300799000));
    assert_int_equal(parsed("9999-12-31T23:59:59.999Z"), INT64_C(253402300799999));
}

static void impossible_dates_and_times_are_refused(void **state)
{
    static const char *const bad[] = {
        "2100-02-29T00:00:00Z", "2040-02-30T00:00:00Z", "1900-02-29T00:00:00Z",
        "2019-02-29T00:00:00Z", "2018-04-31T00:00:00Z", "2018-13-01T00:00:00Z",
        "2018-00-10T00:00:00Z", "2018-01-00T00:00:00Z", "2018-12-32T00:00:00Z",
        "2018-01-01T24:00:00Z", "2018-01-01T23:60:00Z", "2018-01-01T23:59:61Z",
        "2018-01-01T00:00:00+24:00", "2018-01-01T00:00:00-00:60",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(bad[i]);
}

static void the_shape_is_rfc_3339(void **state)
{
    static const char *const bad[] = {
        "", "2018-0a-01T00:00:00Z", "2018-01-01T00:00:0", "2018-01-01", "2018-01-01T00:00:00",
        "2018-01-01T00:00:00+01", "2018/01/01T00:00:00Z", "2018-01-01 00:00:00Z",
        "2018-01-01T00:00:00ZZ", "2018-01-01T00:00:00.Z", "2018-01-01T00:00:00.1234567890Z",
        "+2018-01-01T00:00:00Z", "18-01-01T00:00:00Z", "2018-1-01T00:00:00Z",
        "2018-01-01T00:00:00+0100", " 2018-01-01T00:00:00Z",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(bad[i]);
    /* lower-case t and z are allowed by RFC 3339 */
    assert_int_equal(parsed("1970-01-01t00:00:00z"), 0);
}

static void fractions_offsets_and_leap_seconds(void **state)
{
    (void)state;
    assert_int_equal(parsed("1970-01-01T00:00:00.5Z"), 500);
    assert_int_equal(parsed("1970-01-01T00:00:00.05Z"), 50);
    assert_int_equal(parsed("1970-01-01T00:00:00.123456789Z"), 123); /* below ms: dropped */
    assert_int_equal(parsed("1969-12-31T23:59:59.999Z"), -1);
    /* a leap second is the next second; offsets move the instant */
    assert_int_equal(parsed("2016-12-31T23:59:60Z"), INT64_C(1483228800000));
    assert_int_equal(parsed("2017-01-01T05:30:00+05:30"), INT64_C(1483228800000));
    assert_int_equal(parsed("2016-12-31T14:00:00-10:00"), INT64_C(1483228800000));
    assert_int_equal(parsed("2017-01-01T00:00:00-00:00"), INT64_C(1483228800000));
    assert_int_equal(parsed("2038-01-20T01:00:00.25+01:00"), INT64_C(2147558400250));
    /* an offset may carry the instant across the year 0000 or 9999 */
    assert_int_equal(parsed("0000-01-01T00:00:00+00:01"), INT64_C(-62167219260000));
    assert_int_equal(parsed("9999-12-31T23:59:59-23:59"), INT64_C(253402387139000));
}

/* A fixed table of dates, through the public decoder: on armhf (32-bit time_t)
 * these were -1000, 43199000 and 43199000 with COORD_OK, and the impossible
 * dates were accepted. */
static void session_times_read_right_on_every_target(void **state)
{
    static const struct {
        const char *time;
        int64_t ms;
    } right[] = {
        {"2038-01-20T00:00:00Z", INT64_C(2147558400000)},
        {"2040-06-01T12:00:00Z", INT64_C(2222164800000)},
        {"1901-12-13T12:00:00Z", INT64_C(-2147515200000)},
    };
    static const char *const impossible[] = {"2100-02-29T00:00:00Z", "2040-02-30T00:00:00Z"};
    char json[160], detail[256];
    coord_session s;
    (void)state;

    for (size_t i = 0; i < sizeof(right) / sizeof(right[0]); i++) {
        snprintf(json, sizeof(json), "{\"id\":1,\"start_time\":\"%s\",\"end_time\":\"%s\"}",
                 right[i].time, right[i].time);
        assert_int_equal(coord_session_decode(json, strlen(json), &s, detail, sizeof(detail)),
                         COORD_OK);
        assert_int_equal(s.start_time_ms, right[i].ms);
        assert_int_equal(s.end_time_ms, right[i].ms);
    }
    for (size_t i = 0; i < sizeof(impossible) / sizeof(impossible[0]); i++) {
        snprintf(json, sizeof(json), "{\"id\":1,\"end_time\":\"%s\"}", impossible[i]);
        assert_int_equal(coord_session_decode(json, strlen(json), &s, detail, sizeof(detail)),
                         COORD_ERR_BAD_RESPONSE);
    }
}

/* "YYYY-MM-DDT00:00:00Z" without printf: this runs 3.65 million times. */
static void write_day(char *text, int year, int month, int day)
{
    memcpy(text, "0000-00-00T00:00:00Z", 21);
    text[0] = (char)('0' + year / 1000);
    text[1] = (char)('0' + year / 100 % 10);
    text[2] = (char)('0' + year / 10 % 10);
    text[3] = (char)('0' + year % 10);
    text[5] = (char)('0' + month / 10);
    text[6] = (char)('0' + month % 10);
    text[8] = (char)('0' + day / 10);
    text[9] = (char)('0' + day % 10);
}

/* Every day of years 0000-9999 exists and starts exactly one day after the
 * one before; the 29th to 32nd that do not exist are refused. Anchored at
 * 0000-01-01 (fixed above), this proves every date, leap years included. */
static void every_day_follows_the_one_before(void **state)
{
    char text[32];
    int64_t ms, expected = INT64_C(-62167219200000);
    long days = 0, leap_days = 0;
    (void)state;

    for (int year = 0; year <= 9999; year++) {
        for (int month = 1; month <= 12; month++) {
            int day;

            for (day = 1; day <= 31; day++) {
                write_day(text, year, month, day);
                if (coord_rfc3339_parse(text, &ms) != 0)
                    break;
                assert_int_equal(ms, expected);
                expected += DAY_MS;
                days++;
                leap_days += month == 2 && day == 29;
            }
            assert_true(day >= 29); /* every month has 28 days */
            for (; day <= 31; day++) {
                write_day(text, year, month, day);
                assert_int_equal(coord_rfc3339_parse(text, &ms), -1);
            }
        }
    }
    /* 10,000 Gregorian years: 2,425 leap days (97 in each 400 years) */
    assert_int_equal(leap_days, 2425);
    assert_int_equal(days, 10000L * 365 + 2425);
    assert_int_equal(expected - DAY_MS, parsed("9999-12-31T00:00:00Z"));
}

/* The time of day adds to its day's midnight, whatever the day. */
static void time_of_day_adds_to_the_day(void **state)
{
    static const char *const days[] = {"1901-12-13", "2024-02-29", "1999-12-31", "2038-01-19",
                                       "2106-02-07"};
    char text[64];
    (void)state;

    for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
        int64_t midnight;

        memcpy(text, days[d], 10);
        strcpy(text + 10, "T00:00:00Z");
        midnight = parsed(text);
        strcpy(text + 10, "T23:59:59.5+01:00");
        assert_int_equal(parsed(text), midnight + (86399 - 3600) * INT64_C(1000) + 500);
        strcpy(text + 10, "T23:59:60Z");
        assert_int_equal(parsed(text), midnight + DAY_MS);
        strcpy(text + 10, "T12:34:56Z");
        assert_int_equal(parsed(text), midnight + (12 * 3600 + 34 * 60 + 56) * INT64_C(1000));
    }
}

/* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch. */
#define NOV_1994_S INT64_C(784111777)

static uint64_t delay_ms(const char *value, int64_t now_s)
{
    uint64_t ms = 7;

    assert_int_equal(coord_retry_after_parse(value, now_s, &ms), 0);
    return ms;
}

static void retry_after_delay_seconds(void **state)
{
    (void)state;
    assert_int_equal(delay_ms("120", 0), 120000);
    assert_int_equal(delay_ms(" 0 ", 0), 0);
    assert_int_equal(delay_ms("\t61\t", 0), 61000);
    assert_int_equal(delay_ms("007", 0), 7000);
}

/* A delay beyond any cap is a delay, however large: never "absent". */
static void retry_after_huge_delays_saturate(void **state)
{
    (void)state;
    assert_int_equal(delay_ms("99999999999", 0), UINT64_C(99999999999000));
    /* the largest delay-seconds the milliseconds hold, and one beyond */
    assert_int_equal(delay_ms("18446744073709551", 0), UINT64_C(18446744073709551000));
    assert_int_equal(delay_ms("18446744073709552", 0), UINT64_MAX);
    assert_int_equal(delay_ms("99999999999999999999", 0), UINT64_MAX);
    /* as long as the transport keeps (63 bytes) */
    assert_int_equal(delay_ms("999999999999999999999999999999999999999999999999999999999999999", 0),
                     UINT64_MAX);
}

/* RFC 9110: a recipient must accept all three HTTP-date forms. */
static void retry_after_http_dates(void **state)
{
    (void)state;
    assert_int_equal(delay_ms("Sun, 06 Nov 1994 08:49:37 GMT", NOV_1994_S - 10), 10000);
    assert_int_equal(delay_ms("Sunday, 06-Nov-94 08:49:37 GMT", NOV_1994_S - 10), 10000);
    assert_int_equal(delay_ms("Sun Nov  6 08:49:37 1994", NOV_1994_S - 10), 10000);
    assert_int_equal(delay_ms(" Sun, 06 Nov 1994 08:49:37 GMT ", NOV_1994_S - 10), 10000);
    /* a date in the past means "now" */
    assert_int_equal(delay_ms("Sun, 06 Nov 1994 08:49:37 GMT", NOV_1994_S + 60), 0);
    /* 1969-12-31T23:59:59Z is time_t -1, yet a date: libcurl returns 0 for it */
    assert_int_equal(delay_ms("Wed, 31 Dec 1969 23:59:59 GMT", -10), 10000);
}

/* curl_getdate returns -1 for a date its time_t cannot hold: with 32 bits
 * (armhf), any after 2038-01-19. It must not pass for a date in 1969. */
static void retry_after_dates_beyond_time_t(void **state)
{
    uint64_t ms = 7;
    int rc = coord_retry_after_parse("Fri, 01 Jun 2040 12:00:00 GMT", NOV_1994_S, &ms);
    (void)state;

    if (sizeof(time_t) >= 8) {
        assert_int_equal(rc, 0);
        assert_int_equal(ms, (UINT64_C(2222164800) - (uint64_t)NOV_1994_S) * 1000);
    } else {
        assert_int_equal(rc, -1);
        assert_int_equal(ms, 7);
    }
}

static void retry_after_neither_is_refused(void **state)
{
    static const char *const bad[] = {
        "", " ", "-1", "+5", "1.5", "12s", "12 34", "0x10", "soon", "Sun",
        "Sun, 06 Nov 1994 25:49:37 GMT", "\"Sun, 06 Nov 1994 08:49:37 GMT\"",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ms = 7;

        assert_int_equal(coord_retry_after_parse(bad[i], NOV_1994_S, &ms), -1);
        assert_int_equal(ms, 7); /* untouched */
    }
}

static void the_clock_is_monotonic(void **state)
{
    const struct timespec pause = {0, 20 * 1000000L};
    int64_t before, after;
    (void)state;

    before = coord_now_ms();
    while (nanosleep(&pause, NULL) != 0)
        ; /* a signal cut it short: the check below needs the whole 20 ms */
    after = coord_now_ms();
    assert_true(before > 0);
    assert_true(after - before >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_instants),
        cmocka_unit_test(impossible_dates_and_times_are_refused),
        cmocka_unit_test(the_shape_is_rfc_3339),
        cmocka_unit_test(fractions_offsets_and_leap_seconds),
        cmocka_unit_test(session_times_read_right_on_every_target),
        cmocka_unit_test(every_day_follows_the_one_before),
        cmocka_unit_test(time_of_day_adds_to_the_day),
        cmocka_unit_test(retry_after_delay_seconds),
        cmocka_unit_test(retry_after_huge_delays_saturate),
        cmocka_unit_test(retry_after_http_dates),
        cmocka_unit_test(retry_after_dates_beyond_time_t),
        cmocka_unit_test(retry_after_neither_is_refused),
        cmocka_unit_test(the_clock_is_monotonic),
    };
    return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
