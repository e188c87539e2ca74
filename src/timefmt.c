/* RFC 3339 date-time -> milliseconds since the epoch (UTC). */
#include <stddef.h>

#include "internal.h"

static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* 1 when text[from..from+n) are all digits. */
static int digits(const char *text, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; i++)
        if (!is_digit(text[i]))
            return 0;
    return 1;
}

static int two_digits(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static int days_in_month(int year, int month)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar
 * (eras of 400 years, years starting in March so that the leap day is last). */
static int64_t days_from_civil(int year, int month, int day)
{
    int y = month <= 2 ? year - 1 : year;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int64_t)era * 146097 + doe - 719468;
}

/* The fields sit at fixed places once the shape is checked, so this is plain
 * arithmetic: libc's strptime + timegm cost ~1,500 instructions per time
 * (callgrind), more than the whole cJSON parse of an answer's other fields. */
int coord_rfc3339_parse(const char *text, int64_t *out_ms)
{
    const char *p;
    int64_t ms = 0, offset_s = 0;
    int year, month, day, hour, minute, second;

    /* full-date "T" partial-time; && stops at a NUL before the shape ends */
    if (!(digits(text, 0, 4) && text[4] == '-' && digits(text, 5, 2) && text[7] == '-' &&
          digits(text, 8, 2) && (text[10] == 'T' || text[10] == 't') &&
          digits(text, 11, 2) && text[13] == ':' && digits(text, 14, 2) && text[16] == ':' &&
          digits(text, 17, 2)))
        return -1;
    year = two_digits(text) * 100 + two_digits(text + 2);
    month = two_digits(text + 5);
    day = two_digits(text + 8);
    hour = two_digits(text + 11);
    minute = two_digits(text + 14);
    second = two_digits(text + 17);
    /* second 60: RFC 3339 allows a leap second; it counts as the next second */
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 60)
        return -1;

    /* then the optional fraction and the offset */
    p = text + 19;
    if (p[0] == '.' && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && !is_digit(p[4])) {
        /* milliseconds, what Coord sends: the loop below in one step */
        ms = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        p += 4;
    } else if (*p == '.') {
        int n = 0;

        for (p++; is_digit(*p); p++, n++) {
            if (n < 3)
                ms = ms * 10 + (*p - '0');
            if (n >= 9)
                return -1; /* beyond nanoseconds is not a timestamp */
        }
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            ms *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && digits(p, 1, 2) && p[3] == ':' && digits(p, 4, 2)) {
        int hh = two_digits(p + 1);
        int mm = two_digits(p + 4);

        if (hh > 23 || mm > 59)
            return -1;
        offset_s = (int64_t)(hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *out_ms = (days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
               second - offset_s) * 1000 + ms;
    return 0;
}
