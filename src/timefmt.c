/* RFC 3339 date-time -> milliseconds since the epoch, with libc doing the
 * calendar work (strptime for the fields, timegm for the instant). */
#define _DEFAULT_SOURCE 1 /* timegm */
#define _XOPEN_SOURCE 700 /* strptime */
#include <string.h>
#include <time.h>

#include "internal.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 when text[from..from+n) are all digits. */
static int digits(const char *text, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; i++)
        if (!is_digit(text[i]))
            return 0;
    return 1;
}

int coord_rfc3339_parse(const char *text, int64_t *out_ms)
{
    /* full-date "T" partial-time, then optional fraction and the offset */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    char head[sizeof(shape)];
    struct tm tm, check;
    const char *p;
    int64_t ms = 0, offset_s = 0;
    time_t secs;
    int leap;

    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        char c = text[i];
        int ok = shape[i] == 'd' ? is_digit(c)
                 : shape[i] == 'T' ? (c == 'T' || c == 't')
                 : c == shape[i];
        if (!ok) /* also stops at a NUL before the shape ends */
            return -1;
    }
    memcpy(head, text, sizeof(shape) - 1);
    head[10] = 'T';
    head[sizeof(shape) - 1] = '\0';
    memset(&tm, 0, sizeof(tm));
    p = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL || *p != '\0')
        return -1;
    leap = tm.tm_sec == 60; /* RFC 3339 allows a leap second */
    if (tm.tm_sec > 60)
        return -1;
    if (leap)
        tm.tm_sec = 59;

    p = text + sizeof(shape) - 1;
    if (*p == '.') {
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
        int hh = (p[1] - '0') * 10 + (p[2] - '0');
        int mm = (p[4] - '0') * 10 + (p[5] - '0');

        if (hh > 23 || mm > 59)
            return -1;
        offset_s = (int64_t)(hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;

    check = tm;
    secs = timegm(&tm);
    /* timegm normalises 31 February into March: a changed field means the
     * date does not exist. */
    if (tm.tm_year != check.tm_year || tm.tm_mon != check.tm_mon ||
        tm.tm_mday != check.tm_mday || tm.tm_hour != check.tm_hour ||
        tm.tm_min != check.tm_min)
        return -1;
    *out_ms = ((int64_t)secs + leap - offset_s) * 1000 + ms;
    return 0;
}
