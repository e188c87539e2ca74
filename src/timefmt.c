/* RFC 3339 date-time -> milliseconds since the epoch (UTC).
 *
 * libc does the calendar: strptime reads the date, timegm turns it into the
 * instant of its midnight. strptime is lenient (single digits, spaces), so
 * the fixed shape of RFC 3339 is checked first; timegm normalises impossible
 * dates (31 April becomes 1 May), so a changed field means the date is
 * invalid. The time of day is seconds added to that midnight. */
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

/* Midnight (UTC) of the date in text[0..10), in seconds since the epoch,
 * from libc; -1 when the date does not exist. Out of line: the rare path. */
static __attribute__((noinline)) int day_start(const char *text, int64_t *out_s)
{
    char head[20]; /* "YYYY-MM-DDT00:00:00" */
    struct tm tm, asked;
    const char *p;
    time_t secs;

    memcpy(head, text, 10);
    memcpy(head + 10, "T00:00:00", 10);
    memset(&tm, 0, sizeof(tm));
    p = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL || *p != '\0')
        return -1;
    asked = tm;
    secs = timegm(&tm);
    if (tm.tm_year != asked.tm_year || tm.tm_mon != asked.tm_mon ||
        tm.tm_mday != asked.tm_mday)
        return -1;
    *out_s = (int64_t)secs;
    return 0;
}

/* The days libc last converted on this thread. A session's times mostly
 * fall on a day seen just before (start and end, the sessions of a list),
 * and strptime + timegm cost ~1,450 instructions a timestamp, most of a
 * decode's own work (callgrind). Only dates libc accepted are kept. */
#define REMEMBERED_DAYS 2

static __thread struct day_memo {
    struct {
        char date[10]; /* "YYYY-MM-DD"; all NUL: empty */
        int64_t start_s;
    } day[REMEMBERED_DAYS];
    unsigned next;
} remembered;

static int day_start_remembered(const char *text, int64_t *out_s)
{
    struct day_memo *r = &remembered; /* one TLS lookup */
    unsigned i;

    for (i = 0; i < REMEMBERED_DAYS; i++) {
        if (memcmp(r->day[i].date, text, 10) == 0) {
            *out_s = r->day[i].start_s;
            return 0;
        }
    }
    if (day_start(text, out_s) != 0)
        return -1;
    i = r->next++ % REMEMBERED_DAYS;
    memcpy(r->day[i].date, text, 10);
    r->day[i].start_s = *out_s;
    return 0;
}

int coord_rfc3339_parse(const char *text, int64_t *out_ms)
{
    const char *p;
    int64_t offset_s, day_s;
    int ms, hh, mm, ss;

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
    hh = two_digits(text + 11);
    mm = two_digits(text + 14);
    ss = two_digits(text + 17); /* 60: a leap second, which counts as the next second */
    if (hh > 23 || mm > 59 || ss > 60 || day_start_remembered(text, &day_s) != 0)
        return -1;
    *out_ms = (day_s + hh * 3600 + mm * 60 + ss - offset_s) * 1000 + ms;
    return 0;
}
