/* Time: RFC 3339 date-times as milliseconds since the epoch, Retry-After
 * values as delays, HTTP-dates (the Date header), the wall clock as a
 * date, and the monotonic clock the library waits by.
 *
 * The calendar is ours, in int64_t: libc's strptime/timegm work in time_t,
 * which is 32 bits on some 32-bit ARM systems, and there they silently
 * return wrong instants past 2038 or before 1902. The date is checked here
 * (day of month, leap years) and counted with the days-from-civil algorithm
 * (proleptic Gregorian calendar). HTTP-dates are libcurl's to read
 * (curl_getdate), the one libcurl call outside the transport. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <time.h>

#include <curl/curl.h>

#include "internal.h"

/* c's value as a decimal digit; above 9 when c is not one. */
static unsigned digit(char c)
{
    return (unsigned char)c - (unsigned)'0';
}

/* The value of the two decimal digits at p, or -1 when one is not a digit
 * (a NUL included: nothing past it is read). */
static int two_digits(const char *p)
{
    unsigned tens = digit(p[0]), ones;

    if (tens > 9)
        return -1;
    ones = digit(p[1]);
    if (ones > 9)
        return -1;
    return (int)(tens * 10 + ones);
}

static int is_leap_year(int year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int days_in_month(int year, int month)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to year-month-day (a valid date, year 0..9999): the
 * days-from-civil algorithm (H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"). The year is counted from March, so that February's leap day ends it, and
 * shifted by 400 years (146,097 days: the calendar repeats) so that every
 * quantity stays positive. */
static int64_t days_from_civil(unsigned year, unsigned month, unsigned day)
{
    unsigned y = year + 400 - (month <= 2);
    unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;

    /* 719,468 days from 0000-03-01 to 1970-01-01 */
    return (int64_t)(y * 365 + y / 4 - y / 100 + y / 400 + day_of_year) - 146097 - 719468;
}

/* The fraction (".d+", at most 9 digits) as milliseconds, sub-millisecond
 * digits dropped; *p moves past it. -1 when malformed. */
static int fraction_ms(const char **p)
{
    const char *q = *p;
    int ms = 0, n = 0;

    if (*q != '.')
        return 0;
    for (q++; digit(*q) <= 9; q++, n++) {
        if (n >= 9)
            return -1; /* beyond nanoseconds is not a timestamp */
        if (n < 3)
            ms = ms * 10 + (int)digit(*q);
    }
    if (n == 0)
        return -1;
    for (; n < 3; n++)
        ms *= 10;
    *p = q;
    return ms;
}

/* "Z" or "+hh:mm" / "-hh:mm" as seconds east of UTC; *p moves past it.
 * Returns 0 on success, -1 when malformed. */
static int offset_seconds(const char **p, int64_t *out)
{
    const char *q = *p;

    if (*q == 'Z' || *q == 'z') {
        *out = 0;
        *p = q + 1;
        return 0;
    }
    if (*q == '+' || *q == '-') {
        int hh = two_digits(q + 1), mm;

        if (hh < 0 || q[3] != ':')
            return -1;
        mm = two_digits(q + 4);
        if (mm < 0 || hh > 23 || mm > 59)
            return -1;
        *out = (int64_t)(hh * 3600 + mm * 60) * (*q == '-' ? -1 : 1);
        *p = q + 6;
        return 0;
    }
    return -1;
}

int coord_rfc3339_parse(const char *text, int64_t *out_ms)
{
    const char *p;
    int64_t offset_s, days;
    int century, year, month, day, hh, mm, ss, ms;

    /* full-date "T" partial-time, field by field: reading stops at a NUL */
    century = two_digits(text);
    if (century < 0)
        return -1;
    year = two_digits(text + 2);
    if (year < 0 || text[4] != '-')
        return -1;
    year += century * 100;
    month = two_digits(text + 5);
    if (month < 0 || text[7] != '-')
        return -1;
    day = two_digits(text + 8);
    if (day < 0 || (text[10] != 'T' && text[10] != 't'))
        return -1;
    hh = two_digits(text + 11);
    if (hh < 0 || text[13] != ':')
        return -1;
    mm = two_digits(text + 14);
    if (mm < 0 || text[16] != ':')
        return -1;
    ss = two_digits(text + 17); /* 60: a leap second, which counts as the next second */
    if (ss < 0)
        return -1;
    p = text + 19;
    ms = fraction_ms(&p);
    if (ms < 0 || offset_seconds(&p, &offset_s) != 0 || *p != '\0')
        return -1;
    /* every month has 28 days: only the 29th to 31st need its length */
    if (month < 1 || month > 12 || day < 1 || (day > 28 && day > days_in_month(year, month)) ||
        hh > 23 || mm > 59 || ss > 60)
        return -1;
    days = days_from_civil((unsigned)year, (unsigned)month, (unsigned)day);
    *out_ms = (days * 86400 + hh * 3600 + mm * 60 + ss - offset_s) * 1000 + ms;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int coord_retry_after_parse(const char *value, int64_t now_s, uint64_t *out_ms)
{
    uint64_t seconds = 0;

    while (is_space(*value))
        value++;
    if (digit(*value) <= 9) { /* delay-seconds */
        /* saturating: a delay beyond any clock still means "not now", and
         * must stop the retries as any delay beyond the cap does */
        for (; digit(*value) <= 9; value++)
            seconds = seconds < UINT64_MAX / 10 ? seconds * 10 + digit(*value) : UINT64_MAX;
        while (is_space(*value))
            value++;
        if (*value != '\0')
            return -1;
    } else if (is_letter(*value)) { /* HTTP-date: IMF-fixdate, RFC 850 or asctime */
        time_t when = curl_getdate(value, NULL);

        /* -1: not a date, or one beyond libcurl's time_t (with 32 bits,
         * after 2038-01-19); a valid date is never -1 */
        if (when == (time_t)-1)
            return -1;
        seconds = (int64_t)when > now_s ? (uint64_t)((int64_t)when - now_s) : 0;
    } else {
        return -1;
    }
    *out_ms = seconds <= UINT64_MAX / 1000 ? seconds * 1000 : UINT64_MAX;
    return 0;
}

int64_t coord_wall_s(void)
{
    return (int64_t)time(NULL);
}

int64_t coord_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int coord_http_date_parse(const char *value, int64_t *out_ms)
{
    time_t when;

    while (is_space(*value))
        value++;
    if (!is_letter(*value))
        return -1; /* a date starts with its day's name; curl_getdate takes much else */
    when = curl_getdate(value, NULL);
    if (when == (time_t)-1) /* not a date, or beyond a 32-bit time_t */
        return -1;
    *out_ms = (int64_t)when * 1000;
    return 0;
}

/* The date of a day counted from 1970-01-01: the inverse of days_from_civil
 * (H. Hinnant's civil-from-days), shifted by 400-year eras so that every
 * quantity is non-negative for days from year 0 on. */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                       /* 0..146096 */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            /* 0..365 */
    unsigned mp = (5 * doy + 2) / 153;                                 /* March = 0 */

    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)yoe + era * 400 + (*month <= 2);
}

void coord_format_utc(int64_t ms, char *out, size_t size)
{
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); /* floor */
    int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400), year;
    int64_t in_day = s - days * 86400;
    unsigned month, day;

    civil_from_days(days, &year, &month, &day);
    coord_set_text(out, size, "%04lld-%02u-%02u %02u:%02u:%02u UTC", (long long)year, month, day,
                   (unsigned)(in_day / 3600), (unsigned)(in_day / 60 % 60),
                   (unsigned)(in_day % 60));
}

int64_t coord_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t coord_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
