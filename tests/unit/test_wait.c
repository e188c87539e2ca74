/* A wait's plan (wait.c), without a server: when it polls again, how long a
 * poll may take, when the deadline ends it, and the arguments it takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* A wait of 1000 ms polling every 100 ms, its deadline at t = 1000. */
static coord_wait_plan plan(coord_wait_for until)
{
    coord_wait_plan w;

    coord_wait_plan_init(&w, until, 1000, 100);
    w.deadline_ms = 1000;
    return w;
}

static coord_session session(int started, int ended)
{
    coord_session s;

    memset(&s, 0, sizeof(s));
    s.id = 7;
    s.has_start_time = (uint8_t)started;
    s.has_end_time = (uint8_t)ended;
    return s;
}

static void a_poll_that_sees_the_goal_ends_the_wait(void **state)
{
    coord_wait_plan w = plan(COORD_WAIT_STARTED);
    coord_session started = session(1, 0), ended = session(1, 1), waiting = session(0, 0);
    coord_next next;
    (void)state;

    next = coord_wait_after_poll(&w, COORD_OK, &started, 200);
    assert_int_equal(next.kind, COORD_NEXT_DONE);
    assert_int_equal(next.status, COORD_OK);
    assert_int_equal(w.polls, 1);
    w = plan(COORD_WAIT_STARTED); /* an ended session has started */
    assert_int_equal(coord_wait_after_poll(&w, COORD_OK, &ended, 200).kind, COORD_NEXT_DONE);
    w = plan(COORD_WAIT_ENDED);
    next = coord_wait_after_poll(&w, COORD_OK, &started, 200);
    assert_int_equal(next.kind, COORD_NEXT_SEND);
    assert_int_equal(coord_wait_after_poll(&w, COORD_OK, &ended, 300).status, COORD_OK);
    assert_int_equal(w.polls, 2);
    w = plan(COORD_WAIT_ENDED);
    assert_int_equal(coord_wait_after_poll(&w, COORD_OK, &waiting, 0).kind, COORD_NEXT_SEND);
}

static void the_next_poll_waits_the_interval_never_past_the_deadline(void **state)
{
    coord_wait_plan w = plan(COORD_WAIT_ENDED);
    coord_session s = session(1, 0);
    coord_next next;
    (void)state;

    next = coord_wait_after_poll(&w, COORD_OK, &s, 200);
    assert_int_equal(next.kind, COORD_NEXT_SEND);
    assert_int_equal(next.delay_ms, 100);
    next = coord_wait_after_poll(&w, COORD_OK, &s, 930); /* 70 ms left: until the deadline */
    assert_int_equal(next.delay_ms, 70);
    /* 105 ms left: after 100 ms a poll would have 5 ms, less than it needs */
    next = coord_wait_after_poll(&w, COORD_OK, &s, 895);
    assert_int_equal(next.delay_ms, 105);
    next = coord_wait_after_poll(&w, COORD_OK, &s, 100 - COORD_RETRY_MIN_ATTEMPT_MS + 800);
    assert_int_equal(next.delay_ms, 100);
    assert_true(coord_wait_has_time(&w, 1000 - COORD_RETRY_MIN_ATTEMPT_MS));
    assert_false(coord_wait_has_time(&w, 1000 - COORD_RETRY_MIN_ATTEMPT_MS + 1));
    assert_false(coord_wait_has_time(&w, 1200));
}

static void the_deadline_and_a_polls_own_failure(void **state)
{
    coord_wait_plan w = plan(COORD_WAIT_ENDED);
    coord_session s = session(0, 0);
    coord_next next;
    (void)state;

    /* a poll's own timeout before the deadline is the poll's failure */
    next = coord_wait_after_poll(&w, COORD_ERR_TIMEOUT, &s, 500);
    assert_int_equal(next.kind, COORD_NEXT_DONE);
    assert_int_equal(next.status, COORD_ERR_TIMEOUT);
    assert_int_equal(w.expired, 0);
    /* at the deadline it is the wait's */
    w = plan(COORD_WAIT_ENDED);
    next = coord_wait_after_poll(&w, COORD_ERR_TIMEOUT, &s, 1000);
    assert_int_equal(next.status, COORD_ERR_TIMEOUT);
    assert_int_equal(w.expired, 1);
    w = plan(COORD_WAIT_ENDED);
    next = coord_wait_after_poll(&w, COORD_OK, &s, 1000); /* answered, not there, no time */
    assert_int_equal(next.kind, COORD_NEXT_DONE);
    assert_int_equal(w.expired, 1);
    /* any other failure ends the wait with it */
    static const coord_status others[] = {COORD_ERR_NOT_FOUND, COORD_ERR_UNAUTHORIZED,
                                          COORD_ERR_TRANSPORT, COORD_ERR_CANCELLED,
                                          COORD_ERR_BAD_RESPONSE};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        w = plan(COORD_WAIT_ENDED);
        next = coord_wait_after_poll(&w, others[i], &s, 1200);
        assert_int_equal(next.kind, COORD_NEXT_DONE);
        assert_int_equal(next.status, others[i]);
        assert_int_equal(w.expired, 0);
    }
}

static void budgets_records_and_arguments(void **state)
{
    coord_wait_plan w = plan(COORD_WAIT_STARTED);
    coord_error e;
    (void)state;

    assert_int_equal(coord_wait_poll_budget(&w, 250), 750);
    assert_int_equal(coord_wait_poll_budget(&w, 1000), 0); /* the client's own timeouts */
    assert_int_equal(coord_wait_poll_budget(&w, 5000), 0);
    memset(&e, 0, sizeof(e));
    w.polls = 4;
    assert_int_equal(coord_wait_timed_out(&w, &e, "LOT-9", 42), COORD_ERR_TIMEOUT);
    assert_string_equal(e.detail, "session 42 at LOT-9 not started after 1000 ms (4 polls)");
    assert_int_equal(w.expired, 1);
    assert_int_equal(coord_wait_arguments_ok(COORD_WAIT_ENDED, COORD_WAIT_MIN_INTERVAL_MS, &e),
                     COORD_OK);
    assert_int_equal(coord_wait_arguments_ok(COORD_WAIT_ENDED, 3600000, &e), COORD_OK);
    assert_int_equal(coord_wait_arguments_ok((coord_wait_for)0, 100, &e),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(e.detail, "until"));
    assert_int_equal(coord_wait_arguments_ok(COORD_WAIT_ENDED, COORD_WAIT_MIN_INTERVAL_MS - 1, &e),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_wait_arguments_ok(COORD_WAIT_ENDED, 3600001, &e),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(e.detail, "interval_ms"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_poll_that_sees_the_goal_ends_the_wait),
        cmocka_unit_test(the_next_poll_waits_the_interval_never_past_the_deadline),
        cmocka_unit_test(the_deadline_and_a_polls_own_failure),
        cmocka_unit_test(budgets_records_and_arguments),
    };
    return cmocka_run_group_tests_name("wait", tests, NULL, NULL);
}
