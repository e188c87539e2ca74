/* The loop's timers: a binary min-heap of calls on their due time. Each
 * call knows its place in the heap (state.timer), so that a call's timer
 * is removed in O(log n) when it ends early (an answer, a cancel). */
#include "internal.h"

static void place(coord_timers *h, size_t i, coord_call *call)
{
    h->calls[i] = call;
    call->state.timer = i;
}

static void up(coord_timers *h, size_t i)
{
    coord_call *call = h->calls[i];

    while (i > 0 && h->calls[(i - 1) / 2]->state.due_ms > call->state.due_ms) {
        place(h, i, h->calls[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(h, i, call);
}

static void down(coord_timers *h, size_t i)
{
    coord_call *call = h->calls[i];

    for (;;) {
        size_t child = 2 * i + 1;

        if (child >= h->count)
            break;
        if (child + 1 < h->count &&
            h->calls[child + 1]->state.due_ms < h->calls[child]->state.due_ms)
            child++;
        if (h->calls[child]->state.due_ms >= call->state.due_ms)
            break;
        place(h, i, h->calls[child]);
        i = child;
    }
    place(h, i, call);
}

coord_status coord_timers_reserve(coord_timers *h, size_t n)
{
    size_t size = h->size > 0 ? h->size : 16;
    coord_call **grown;

    if (n <= h->size)
        return COORD_OK;
    while (size < n)
        size *= 2;
    grown = coord_realloc(h->calls, size * sizeof(*grown));
    if (grown == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    h->calls = grown;
    h->size = size;
    return COORD_OK;
}

void coord_timers_add(coord_timers *h, coord_call *call)
{
    place(h, h->count++, call); /* room: coord_timers_reserve() */
    up(h, call->state.timer);
}

void coord_timers_remove(coord_timers *h, coord_call *call)
{
    size_t i = call->state.timer;
    coord_call *moved = h->calls[--h->count];

    call->state.timer = COORD_NO_TIMER;
    if (i == h->count)
        return;
    place(h, i, moved);
    up(h, i);
    down(h, moved->state.timer);
}

coord_call *coord_timers_first(const coord_timers *h)
{
    return h->count > 0 ? h->calls[0] : NULL;
}

void coord_timers_free(coord_timers *h)
{
    coord_free(h->calls);
    h->calls = NULL;
    h->count = h->size = 0;
}
