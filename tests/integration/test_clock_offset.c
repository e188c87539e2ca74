/* The client's estimate of the server's clock, from the Date header of its
 * answers (coord_client_clock_offset_ms), against the simulator with its
 * clock moved (/_sim/clock): blocking and non-blocking calls, an answer
 * of any status, an Age header ignored, a server clock set. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "coord/coord.h"
#include "sim_client.h"

/* The estimate is good to about a second (Date counts whole seconds). */
#define NEAR_MS 2000

static void set_clock(const char *json)
{
    char reply[256];

    assert_int_equal(sim_call("POST", "/_sim/clock", json, reply, sizeof(reply)), 200);
}

static void assert_offset_near(coord_client *c, int64_t want_ms)
{
    int64_t offset = 0;

    assert_int_equal(coord_client_clock_offset_ms(c, &offset), COORD_OK);
    if (offset < want_ms - NEAR_MS || offset > want_ms + NEAR_MS)
        fail_msg("clock offset %lld ms, expected %lld +- %d", (long long)offset,
                 (long long)want_ms, NEAR_MS);
}

/* One call whose answer is a 404 (no such session): any answer tells the time. */
static void call(coord_client *c)
{
    coord_session s;

    assert_int_equal(coord_session_get(c, "NO-LOT", 1, &s), COORD_ERR_NOT_FOUND);
}

/* The dates libcurl's parser was handed, in order: this program's
 * curl_getdate comes before libcurl's (libcoord is linked in statically),
 * notes the text and hands it on. */
#define DATES_KEPT 64
static char dates[DATES_KEPT][40];
static int dates_parsed;

time_t curl_getdate(const char *p, const time_t *unused)
{
    static time_t (*libcurls)(const char *, const time_t *);

    if (libcurls == NULL)
        *(void **)&libcurls = dlsym(RTLD_NEXT, "curl_getdate"); /* POSIX's way to a function */
    if (dates_parsed < DATES_KEPT)
        snprintf(dates[dates_parsed], sizeof(dates[0]), "%s", p);
    dates_parsed++;
    return libcurls(p, unused);
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    dates_parsed = 0;
    return 0;
}

static void none_before_an_answer(void **state)
{
    coord_client *c = sim_user_client();
    int64_t offset = 7;
    (void)state;

    assert_int_equal(coord_client_clock_offset_ms(c, &offset), COORD_ERR_NOT_FOUND);
    assert_int_equal(offset, 7);
    assert_int_equal(coord_client_clock_offset_ms(c, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_clock_offset_ms(NULL, &offset), COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

static void a_right_clock_is_near_zero(void **state)
{
    coord_client *c = sim_user_client();
    (void)state;

    call(c);
    assert_offset_near(c, 0);
    coord_client_free(c);
}

/* A Date changes once a second and parsing one costs a tenth of a call:
 * the handle parses a Date only when it differs from the last it read. */
static void a_date_seen_again_is_not_parsed_again(void **state)
{
    coord_client *c = sim_user_client();
    int i;
    (void)state;

    for (i = 0; i < 20; i++)
        call(c);
    assert_in_range(dates_parsed, 1, 20);
    for (i = 1; i < dates_parsed && i < DATES_KEPT; i++)
        if (strcmp(dates[i - 1], dates[i]) == 0)
            fail_msg("Date \"%s\" parsed twice in a row (parse %d)", dates[i], i + 1);
    assert_offset_near(c, 0);
    coord_client_free(c);
}

static void a_server_a_day_ahead_then_an_hour_behind(void **state)
{
    coord_client *c = sim_user_client();
    (void)state;

    set_clock("{\"date_offset\": 86400}");
    call(c);
    assert_offset_near(c, 86400000);
    call(c);
    assert_offset_near(c, 86400000);
    /* the server's clock set: the next answer replaces the estimate */
    set_clock("{\"date_offset\": -3600}");
    call(c);
    assert_offset_near(c, -3600000);
    coord_client_free(c);
}

/* An answer with an Age header was kept by a cache: its Date is the
 * origin's, from when it made the answer, and says nothing of now. */
static void answers_with_an_age_are_ignored(void **state)
{
    coord_client *c = sim_user_client();
    int64_t offset = 0;
    (void)state;

    set_clock("{\"date_offset\": -7200, \"age\": 7200}");
    call(c);
    assert_int_equal(coord_client_clock_offset_ms(c, &offset), COORD_ERR_NOT_FOUND);
    set_clock("{\"date_offset\": 0, \"age\": null}");
    call(c);
    assert_offset_near(c, 0);
    set_clock("{\"date_offset\": 86400, \"age\": 0}");
    call(c);
    assert_offset_near(c, 0);
    coord_client_free(c);
}

static void ended(coord_call *call_, coord_status status, const coord_error *error,
                  const coord_session *session, void *user_data)
{
    (void)call_;
    (void)error;
    (void)session;
    *(coord_status *)user_data = status;
}

static void non_blocking_calls_tell_the_time_too(void **state)
{
    coord_client *c = sim_user_client();
    coord_status got = COORD_ERR_CANCELLED;
    coord_loop *loop = NULL;
    (void)state;

    set_clock("{\"date_offset\": -86400}");
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    assert_int_equal(coord_session_get_async(loop, c, "NO-LOT", 1, ended, &got, NULL),
                     COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(got, COORD_ERR_NOT_FOUND);
    assert_offset_near(c, -86400000);
    coord_loop_free(loop);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(none_before_an_answer, setup),
        cmocka_unit_test_setup(a_right_clock_is_near_zero, setup),
        cmocka_unit_test_setup(a_date_seen_again_is_not_parsed_again, setup),
        cmocka_unit_test_setup(a_server_a_day_ahead_then_an_hour_behind, setup),
        cmocka_unit_test_setup(answers_with_an_age_are_ignored, setup),
        cmocka_unit_test_setup(non_blocking_calls_tell_the_time_too, setup),
    };

    return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
