/* The clock-offset estimate (clock.c) with the times given: the middle of
 * the exchange against the Date header, averaging near estimates, replacing
 * far ones, forgetting the estimate when the wall clock is set, and the
 * sentence a failed certificate check gets. Also the HTTP-date and UTC
 * formatting it builds on (time.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* 2026-12-07 12:00:00 UTC; the notes that need a clock after the build use 2100 */
static const int64_t NOON = 1796644800000;
static const int64_t DAY = 86400000;

/* One answer dated date_ms, the request sent at wall time sent_ms, its
 * answer back trip_ms later; monotonic time runs with the wall clock. */
static void sample(coord_clock *c, int64_t date_ms, int64_t sent_ms, int64_t trip_ms)
{
    coord_clock_sample_in in = {date_ms, sent_ms, sent_ms + trip_ms, sent_ms + trip_ms};

    coord_clock_sample(c, &in);
}

static void no_estimate_before_an_answer(void **state)
{
    coord_clock c = {0};
    int64_t out = 42;
    char note[COORD_MESSAGE_MAX];

    (void)state;
    assert_int_equal(coord_clock_offset(&c, NOON, NOON, &out), 0);
    assert_int_equal(out, 42);
    /* a right clock and no estimate: nothing to say */
    assert_int_equal(coord_clock_note(&c, INT64_C(4102444800000), NOON, note, sizeof(note)), 0);
}

static void offset_is_date_against_the_middle_of_the_exchange(void **state)
{
    coord_clock c = {0};
    int64_t out = 0;

    (void)state;
    /* the server's clock one day ahead: Date counts whole seconds (+500 ms) */
    sample(&c, NOON + DAY + 100000, NOON + 99000, 2000); /* middle: NOON + 100 s */
    assert_int_equal(coord_clock_offset(&c, NOON + 101000, NOON + 101000, &out), 1);
    assert_int_equal(out, DAY + 500);
    /* behind: negative */
    memset(&c, 0, sizeof(c));
    sample(&c, NOON - 3600000, NOON, 0);
    assert_int_equal(coord_clock_offset(&c, NOON, NOON, &out), 1);
    assert_int_equal(out, -3600000 + 500);
}

static void near_estimates_are_averaged_far_ones_replace(void **state)
{
    coord_clock c = {0};
    int64_t out = 0;

    (void)state;
    sample(&c, NOON, NOON, 0);                 /* +500 */
    sample(&c, NOON + 2000, NOON + 1000, 0);   /* +1500: within 2 s, a quarter of the way */
    assert_int_equal(coord_clock_offset(&c, NOON + 1000, NOON + 1000, &out), 1);
    assert_int_equal(out, 750);
    sample(&c, NOON + 2000 + DAY, NOON + 2000, 0); /* the server's clock was set: replaced */
    assert_int_equal(coord_clock_offset(&c, NOON + 2000, NOON + 2000, &out), 1);
    assert_int_equal(out, DAY + 500);
}

static void slow_or_backward_exchanges_are_ignored(void **state)
{
    coord_clock c = {0};
    int64_t out = 0;

    (void)state;
    sample(&c, NOON + DAY, NOON, 10001);       /* over 10 s: Date could be anywhere in it */
    sample(&c, NOON + DAY, NOON, -1);          /* the wall clock went back meanwhile */
    assert_int_equal(coord_clock_offset(&c, NOON, NOON, &out), 0);
    sample(&c, NOON + DAY, NOON, 10000);
    assert_int_equal(coord_clock_offset(&c, NOON + 10000, NOON + 10000, &out), 1);
    assert_int_equal(out, DAY + 500 - 5000);
}

static void a_wall_clock_set_forgets_the_estimate(void **state)
{
    coord_clock c = {0};
    coord_clock_sample_in in = {NOON + DAY, NOON - 1000, NOON, 5000}; /* monotonic: 5 s */
    int64_t out = 0;

    (void)state;
    coord_clock_sample(&c, &in);
    /* a minute later by both clocks, and 1.9 s of drift: kept */
    assert_int_equal(coord_clock_offset(&c, NOON + 61900, 65000, &out), 1);
    /* the wall clock set a day forward (NTP at boot): forgotten */
    assert_int_equal(coord_clock_offset(&c, NOON + DAY + 60000, 65000, &out), 0);
    assert_int_equal(coord_clock_offset(&c, NOON + 60000, 65000, &out), 0);
    /* the next answer estimates again */
    in.received_wall_ms = NOON + DAY + 70000;
    in.sent_wall_ms = in.received_wall_ms;
    in.date_ms = in.received_wall_ms;
    in.received_mono_ms = 75000;
    coord_clock_sample(&c, &in);
    assert_int_equal(coord_clock_offset(&c, NOON + DAY + 70000, 75000, &out), 1);
    assert_int_equal(out, 500);
}

static void the_note_names_a_clock_before_the_build(void **state)
{
    coord_clock c = {0};
    char note[COORD_MESSAGE_MAX];

    (void)state;
    assert_int_equal(coord_clock_note(&c, 12000, 12000, note, sizeof(note)), 1);
    assert_non_null(strstr(note, "the system clock reads 1970-01-01 00:00:12 UTC, before this "
                                 "library was built ("));
    assert_non_null(strstr(note, "); certificate checks need the right time"));
}

static void the_note_names_an_offset_beyond_five_minutes(void **state)
{
    coord_clock c = {0};
    char note[COORD_MESSAGE_MAX];
    int64_t now = INT64_C(4102444800000); /* 2100-01-01: after the build */

    (void)state;
    sample(&c, now + DAY + 2 * 3600000 - 500, now, 0);
    assert_int_equal(coord_clock_note(&c, now, now, note, sizeof(note)), 1);
    assert_string_equal(note, "the system clock reads 2100-01-01 00:00:00 UTC, 1 d 2 h behind "
                              "the server's (its Date header); certificate checks need the "
                              "right time");
    memset(&c, 0, sizeof(c));
    sample(&c, now - 301000 - 500, now, 0);
    assert_int_equal(coord_clock_note(&c, now, now, note, sizeof(note)), 1);
    assert_non_null(strstr(note, ", 5 min 1 s ahead of the server's"));
    /* a second short of a day, as the Date header's whole seconds make it */
    memset(&c, 0, sizeof(c));
    sample(&c, now + DAY - 1000 - 500, now, 0);
    assert_int_equal(coord_clock_note(&c, now, now, note, sizeof(note)), 1);
    assert_non_null(strstr(note, ", 1 d 0 h behind the server's"));
    memset(&c, 0, sizeof(c));
    sample(&c, now + 3600000 - 20000 - 500, now, 0);
    assert_int_equal(coord_clock_note(&c, now, now, note, sizeof(note)), 1);
    assert_non_null(strstr(note, ", 1 h 0 min behind the server's"));
    memset(&c, 0, sizeof(c));
    sample(&c, now + 299000 - 500, now, 0); /* within 5 minutes: not the clock's fault */
    assert_int_equal(coord_clock_note(&c, now, now, note, sizeof(note)), 0);
}

static void http_dates_in_milliseconds(void **state)
{
    int64_t ms = 7;

    (void)state;
    assert_int_equal(coord_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &ms), 0);
    assert_int_equal(ms, INT64_C(784111777000));
    assert_int_equal(coord_http_date_parse(" Thu, 01 Jan 1970 00:00:00 GMT", &ms), 0);
    assert_int_equal(ms, 0);
    ms = 7;
    assert_int_equal(coord_http_date_parse("120", &ms), -1);  /* curl_getdate would take it */
    assert_int_equal(coord_http_date_parse("", &ms), -1);
    assert_int_equal(coord_http_date_parse("yesterday", &ms), -1);
    assert_int_equal(ms, 7);
}

static void utc_dates_on_our_calendar(void **state)
{
    char text[40];

    (void)state;
    coord_format_utc(0, text, sizeof(text));
    assert_string_equal(text, "1970-01-01 00:00:00 UTC");
    coord_format_utc(INT64_C(951782400999), text, sizeof(text)); /* a leap day */
    assert_string_equal(text, "2000-02-29 00:00:00 UTC");
    coord_format_utc(INT64_C(2147483648000), text, sizeof(text)); /* past a 32-bit time_t */
    assert_string_equal(text, "2038-01-19 03:14:08 UTC");
    coord_format_utc(-1, text, sizeof(text));
    assert_string_equal(text, "1969-12-31 23:59:59 UTC");
    coord_format_utc(INT64_C(-2208988800000), text, sizeof(text));
    assert_string_equal(text, "1900-01-01 00:00:00 UTC");
    coord_format_utc(INT64_C(253402300799000), text, sizeof(text));
    assert_string_equal(text, "9999-12-31 23:59:59 UTC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_estimate_before_an_answer),
        cmocka_unit_test(offset_is_date_against_the_middle_of_the_exchange),
        cmocka_unit_test(near_estimates_are_averaged_far_ones_replace),
        cmocka_unit_test(slow_or_backward_exchanges_are_ignored),
        cmocka_unit_test(a_wall_clock_set_forgets_the_estimate),
        cmocka_unit_test(the_note_names_a_clock_before_the_build),
        cmocka_unit_test(the_note_names_an_offset_beyond_five_minutes),
        cmocka_unit_test(http_dates_in_milliseconds),
        cmocka_unit_test(utc_dates_on_our_calendar),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
