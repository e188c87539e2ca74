/* Clock health: how far the local wall clock is from the server's, estimated
 * from the Date header of its answers, and what a failed certificate check
 * should say about the clock. Pure: every time is passed in (int64
 * milliseconds), so that the estimate is tested without a clock. */
#include "internal.h"

/* The build's date, seconds since the epoch: the Makefile passes the last
 * commit's (or SOURCE_DATE_EPOCH), so that a rebuild of the same source is
 * the same library. The fallback, for a tree outside git, is release
 * 1.1.0's date. */
#ifndef COORD_BUILD_EPOCH
#define COORD_BUILD_EPOCH 1796515200 /* 2026-12-06 00:00:00 UTC */
#endif

/* An answer whose round trip took longer says little about when its Date
 * was written. */
#define CLOCK_MAX_ROUND_TRIP_MS 10000
/* The wall clock and the monotonic clock disagreeing by more than this
 * since the last estimate: the wall clock was set (NTP at boot, an
 * operator), so the estimate is stale. Also the step between two estimates
 * beyond which the new one replaces the old instead of being averaged in. */
#define CLOCK_JUMP_MS 2000
/* An offset beyond this is worth naming when a certificate check fails. */
#define CLOCK_NOTE_OFFSET_MS (5 * 60 * 1000)

static int64_t distance(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

/* Did the wall clock jump since the estimate was made? */
static int jumped(const coord_clock *c, int64_t wall_ms, int64_t mono_ms)
{
    return distance(wall_ms - c->wall_at_ms, mono_ms - c->mono_at_ms) > CLOCK_JUMP_MS;
}

void coord_clock_sample(coord_clock *c, const coord_clock_sample_in *in)
{
    int64_t trip = in->received_wall_ms - in->sent_wall_ms, offset;

    if (trip < 0 || trip > CLOCK_MAX_ROUND_TRIP_MS)
        return; /* the wall clock moved during the exchange, or too slow to tell */
    /* the server wrote Date between send and receive; it counts whole
     * seconds, so its clock read D.000 to D.999: the middle of each */
    offset = in->date_ms + 500 - (in->sent_wall_ms + trip / 2);
    if (!c->has_offset || jumped(c, in->received_wall_ms, in->received_mono_ms) ||
        distance(offset, c->offset_ms) > CLOCK_JUMP_MS)
        c->offset_ms = offset; /* first, or either clock was set: start again */
    else
        c->offset_ms += (offset - c->offset_ms) / 4; /* smooths the whole seconds */
    c->has_offset = 1;
    c->wall_at_ms = in->received_wall_ms;
    c->mono_at_ms = in->received_mono_ms;
}

int coord_clock_offset(coord_clock *c, int64_t wall_ms, int64_t mono_ms, int64_t *out_ms)
{
    if (c->has_offset && jumped(c, wall_ms, mono_ms))
        c->has_offset = 0;
    if (!c->has_offset)
        return 0;
    *out_ms = c->offset_ms;
    return 1;
}

/* "1 d 2 h", "3 h 4 min", "5 min 6 s", rounded to the last unit shown:
 * an estimate a second short of a day is "1 d 0 h", not "23 h 59 min" (the
 * Date header counts whole seconds). */
static void format_span(int64_t ms, char *out, size_t size)
{
    int64_t s = (ms + 500) / 1000;

    if (s >= 86400 - 1800) {
        int64_t hours = (s + 1800) / 3600;

        coord_set_text(out, size, "%lld d %lld h", (long long)(hours / 24),
                       (long long)(hours % 24));
    } else if (s >= 3600 - 30) {
        int64_t minutes = (s + 30) / 60;

        coord_set_text(out, size, "%lld h %lld min", (long long)(minutes / 60),
                       (long long)(minutes % 60));
    } else {
        coord_set_text(out, size, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
    }
}

int coord_clock_note(coord_clock *c, int64_t wall_ms, int64_t mono_ms, char *out, size_t size)
{
    char now[40], then[40], span[40];
    int64_t offset;

    coord_format_utc(wall_ms, now, sizeof(now));
    if (wall_ms < (int64_t)COORD_BUILD_EPOCH * 1000) {
        coord_format_utc((int64_t)COORD_BUILD_EPOCH * 1000, then, sizeof(then));
        then[10] = '\0'; /* the day */
        coord_set_text(out, size, "the system clock reads %s, before this library was "
                       "built (%s); certificate checks need the right time", now, then);
        return 1;
    }
    if (coord_clock_offset(c, wall_ms, mono_ms, &offset) &&
        distance(offset, 0) > CLOCK_NOTE_OFFSET_MS) {
        format_span(distance(offset, 0), span, sizeof(span));
        coord_set_text(out, size, "the system clock reads %s, %s %s the server's (its Date "
                       "header); certificate checks need the right time", now, span,
                       offset > 0 ? "behind" : "ahead of");
        return 1;
    }
    return 0;
}
