/* The loop's timer heap (timers.c), without a loop: the call due first is
 * always first, a timer removed from anywhere leaves the others in order,
 * each call knows its place, and room is reserved ahead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

enum { N = 200 };

static coord_call *calls; /* N calls, zeroed: only their state is used */

static int setup(void **state)
{
    (void)state;
    calls = calloc(N, sizeof(*calls));
    assert_non_null(calls);
    for (size_t i = 0; i < N; i++)
        calls[i].state.timer = COORD_NO_TIMER;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(calls);
    return 0;
}

/* Every call in the heap is where its state.timer says, and no child is
 * due before its parent. */
static void assert_heap(const coord_timers *h)
{
    for (size_t i = 0; i < h->count; i++) {
        assert_int_equal(h->calls[i]->state.timer, i);
        if (i > 0)
            assert_true(h->calls[(i - 1) / 2]->state.due_ms <= h->calls[i]->state.due_ms);
    }
}

/* A fixed pseudo-random sequence: the same heap shapes on every run. */
static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void the_earliest_is_first_in_every_order(void **state)
{
    coord_timers h;
    uint64_t x = 88172645463325252ull;
    int64_t last = -1;
    (void)state;

    memset(&h, 0, sizeof(h));
    assert_null(coord_timers_first(&h));
    assert_int_equal(coord_timers_reserve(&h, N), COORD_OK);
    assert_true(h.size >= N);
    for (size_t i = 0; i < N; i++) {
        calls[i].state.due_ms = (int64_t)(next_random(&x) % 1000); /* ties too */
        coord_timers_add(&h, &calls[i]);
        assert_heap(&h);
    }
    assert_int_equal(h.count, N);
    /* taking the first each time yields the due times in order */
    while (coord_timers_first(&h) != NULL) {
        coord_call *first = coord_timers_first(&h);

        assert_true(first->state.due_ms >= last);
        last = first->state.due_ms;
        coord_timers_remove(&h, first);
        assert_int_equal(first->state.timer, COORD_NO_TIMER);
        assert_heap(&h);
    }
    assert_int_equal(h.count, 0);
    coord_timers_free(&h);
    assert_null(h.calls);
}

static void a_timer_removed_from_anywhere(void **state)
{
    coord_timers h;
    uint64_t x = 2463534242ull;
    (void)state;

    memset(&h, 0, sizeof(h));
    assert_int_equal(coord_timers_reserve(&h, N), COORD_OK);
    for (size_t i = 0; i < N; i++) {
        calls[i].state.due_ms = (int64_t)(next_random(&x) % 100000);
        coord_timers_add(&h, &calls[i]);
    }
    /* the last slot, the first, and from the middle (a cancel, an answer) */
    coord_timers_remove(&h, h.calls[h.count - 1]);
    assert_heap(&h);
    coord_timers_remove(&h, h.calls[0]);
    assert_heap(&h);
    for (size_t i = 0; i < N; i += 3)
        if (calls[i].state.timer != COORD_NO_TIMER) {
            coord_timers_remove(&h, &calls[i]);
            assert_int_equal(calls[i].state.timer, COORD_NO_TIMER);
            assert_heap(&h);
        }
    /* the rest still come out in order */
    for (int64_t last = -1; coord_timers_first(&h) != NULL;) {
        assert_true(coord_timers_first(&h)->state.due_ms >= last);
        last = coord_timers_first(&h)->state.due_ms;
        coord_timers_remove(&h, coord_timers_first(&h));
    }
    coord_timers_free(&h);
}

static void room_is_reserved_ahead(void **state)
{
    coord_timers h;
    (void)state;

    memset(&h, 0, sizeof(h));
    assert_int_equal(coord_timers_reserve(&h, 1), COORD_OK);
    assert_int_equal(h.size, 16); /* the first block */
    assert_int_equal(coord_timers_reserve(&h, 16), COORD_OK);
    assert_int_equal(h.size, 16); /* enough already: unchanged */
    assert_int_equal(coord_timers_reserve(&h, 17), COORD_OK);
    assert_int_equal(h.size, 32);
    assert_int_equal(coord_timers_reserve(&h, 100), COORD_OK);
    assert_int_equal(h.size, 128);
    coord_timers_free(&h);
    assert_int_equal(h.size, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_earliest_is_first_in_every_order, setup, teardown),
        cmocka_unit_test_setup_teardown(a_timer_removed_from_anywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(room_is_reserved_ahead, setup, teardown),
    };
    return cmocka_run_group_tests_name("timers", tests, NULL, NULL);
}
