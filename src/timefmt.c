/* RFC 3339 date-time -> milliseconds since the epoch (UTC).
 *
 * libc does the calendar: strptime reads the fields, timegm turns them into
 * an instant. strptime is lenient (single digits, spaces), so the fixed
 * shape of RFC 3339 is checked first; timegm normalises impossible dates
 * (31 April becomes 1 May), so a changed field means the date is invalid. */
#define _DEFAULT_SOURCE 1 /* timegm */
#define _XOPEN_SOURCE 700 /* strptime */
#include <string.h>
#include <time.h>

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

/* The fraction (".d+", at most 9 digits) as milliseconds, sub-millisecond
 * digits dropped; *p moves past it. -1 when malformed. */
static int fraction_ms(const char **p)
{
    const char *q = *p;
    int ms = 0, n = 0;

    if (*q != '.')
        return 0;
    for (q++; is_digit(*q); q++, n++) {
        if (n >= 9)
            return -1; /* beyond nanoseconds is not a timestamp */
        if (n < 3)
            ms = ms * 10 + (*q - '0');
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
    if ((*q == '+' || *q == '-') && digits(q, 1, 2) && q[3] == ':' && digits(q, 4, 2)) {
        int hh = two_digits(q + 1), mm = two_digits(q + 4);

        if (hh > 23 || mm > 59)
            return -1;
        *out = (int64_t)(hh * 3600 + mm * 60) * (*q == '-' ? -1 : 1);
        *p = q + 6;
        return 0;
    }
    return -1;
}

int coord_rfc3339_parse(const char *text, int64_t *out_ms)
{
    char head[20]; /* "YYYY-MM-DDTHH:MM:SS" */
    struct tm tm, asked;
    const char *p;
    int64_t offset_s;
    time_t secs;
    int ms, leap;

    /* full-date "T" partial-time; && stops at a NUL before the shape ends */
    if (!(digits(text, 0, 4) && text[4] == '-' && digits(text, 5, 2) && text[7] == '-' &&
          digits(text, 8, 2) && (text[10] == 'T' || text[10] == 't') &&
          digits(text, 11, 2) && text[13] == ':' && digits(text, 14, 2) && text[16] == ':' &&
          digits(text, 17, 2)))
        return -1;
    p = text + 19;
    ms = fraction_ms(&p);
    if (ms < 0 || offset_seconds(&p, &offset_s) != 0 || *p != '\0')
        return -1;

    memcpy(head, text, 19);
    head[10] = 'T';
    head[19] = '\0';
    memset(&tm, 0, sizeof(tm));
    p = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL || *p != '\0' || tm.tm_sec > 60)
        return -1;
    /* RFC 3339 allows a leap second: it counts as the next second */
    leap = tm.tm_sec == 60;
    if (leap)
        tm.tm_sec = 59;
    asked = tm;
    secs = timegm(&tm);
    if (tm.tm_year != asked.tm_year || tm.tm_mon != asked.tm_mon ||
        tm.tm_mday != asked.tm_mday || tm.tm_hour != asked.tm_hour ||
        tm.tm_min != asked.tm_min || tm.tm_sec != asked.tm_sec)
        return -1;
    *out_ms = ((int64_t)secs + leap - offset_s) * 1000 + ms;
    return 0;
}
