/* Allocator hooks under failure: for every k, fail the k-th allocation of
 * "create a client, end a session, free the client" against the simulator,
 * until a run needs fewer than k allocations and succeeds. Every failing run
 * must return a clean status, leave no block alive and free nothing foreign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "../support/counting_alloc.h"
#include "sim_client.h"

#define LOT "OOM-LOT"
#define MAX_K 20000 /* far above any run; stops a sweep that never ends */

typedef struct outcome {
    coord_status status;
    coord_error error;
    coord_session session;
    long failures;
    long calls;
} outcome;

/* One run with the k-th allocation failing (k = 0: none fails). */
static void run_once(long k, int64_t session_id, const char *token, outcome *out)
{
    coord_client *c = NULL;

    memset(out, 0, sizeof(*out));
    counting_arm(k);
    out->status = coord_client_new(sim_api_base(), sim_key(), &c);
    if (out->status != COORD_OK)
        assert_null(c);
    if (out->status == COORD_OK)
        out->status = coord_client_set_bearer_token(c, token); /* a user transaction */
    if (out->status == COORD_OK)
        out->status = coord_end_session(c, LOT, session_id, &out->session);
    if (c != NULL)
        out->error = *coord_client_last_error(c);
    coord_client_free(c);
    out->failures = counting_failures();
    out->calls = counting_calls();
    counting_arm(0);
}

/* Returns how many allocations a successful run made. Counts the statuses
 * of failing runs in counts[status]. */
static long sweep(int curl_on_hooks, long counts[])
{
    long k, live_before;
    outcome o;

    const char *token = sim_user_token(); /* fetched before any failure is armed */

    sim_reset();
    sim_location(LOT, 200, 0, 0);
    for (k = 1; k <= MAX_K; k++) {
        int64_t id = sim_session(LOT, 30, 0, NULL, 0);

        live_before = counting_live();
        run_once(k, id, token, &o);
        /* every block the run took came back, and only ours were freed */
        assert_int_equal(counting_live(), live_before);
        assert_int_equal(counting_foreign_frees(), 0);
        if (o.failures == 0) {
            assert_int_equal(o.status, COORD_OK);
            assert_int_equal(o.session.id, id);
            assert_int_equal(o.session.billing_info.cost.amount, 100); /* 30 min at 2.00/h */
            assert_true(o.calls < k);
            return o.calls;
        }
        assert_int_equal(o.failures, 1);
        if (!curl_on_hooks) {
            assert_int_equal(o.status, COORD_ERR_OUT_OF_MEMORY);
        } else if (o.status == COORD_OK) {
            /* libcurl absorbed the failure (a cache it could not fill) */
            assert_int_equal(o.session.id, id);
            assert_int_equal(o.session.billing_info.cost.amount, 100);
        } else if (o.status == COORD_ERR_UNAUTHORIZED) {
            /* libcurl 7.88 lost the query string (or a header) to the failure
             * and sent the request without it: the server refused the
             * missing key (403) or token (401) */
            char seen[8192], want[8200];
            if (o.error.http_status == 401) {
                snprintf(want, sizeof(want), "Bearer %s", token);
                assert_true(sim_last_request("headers", "authorization", seen, sizeof(seen)) != 0
                            || strcmp(seen, want) != 0);
            } else {
                assert_int_equal(o.error.http_status, 403);
                assert_int_not_equal(sim_last_request("query", "access_key", seen, sizeof(seen)),
                                     0);
            }
        } else if (o.status == COORD_ERR_TRANSPORT) {
            assert_int_equal(o.error.http_status, 0); /* e.g. resolving the host failed */
        } else {
            assert_int_equal(o.status, COORD_ERR_OUT_OF_MEMORY);
        }
        if (o.error.status != COORD_OK) { /* a client existed: its record agrees */
            assert_int_equal(o.error.status, o.status);
            assert_true(o.error.detail[0] != '\0');
        }
        counts[o.status]++;
    }
    fail_msg("sweep did not end within %d allocations", MAX_K);
    return -1;
}

/* libcurl initialised on libc's allocator first: the hooks see exactly
 * libcoord's and cJSON's allocations, and each failure is OUT_OF_MEMORY. */
static void library_and_cjson_allocations(void **state)
{
    long counts[32] = {0};
    long calls;
    (void)state;

    assert_int_equal(coord_global_init(), COORD_OK);
    assert_int_equal(coord_set_allocator(counting_allocator()), COORD_OK);
    assert_int_equal(counting_live(), 0);
    calls = sweep(0, counts);
    assert_int_equal(counting_live(), 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    coord_global_cleanup();
    assert_true(calls >= 5); /* client, key, URL, transport, request, cJSON at least */
    assert_int_equal(counts[COORD_ERR_OUT_OF_MEMORY], calls);
    print_message("libcoord + cJSON: %ld allocations per client + end-session; "
                  "%ld failure points, all COORD_ERR_OUT_OF_MEMORY\n", calls, calls);
}

/* Allocator installed before coord_global_init(): libcurl's allocations go
 * through it too (curl_global_init_mem), and it is pinned until cleanup. */
static void libcurl_allocations_too(void **state)
{
    long counts[32] = {0};
    long calls, live_after_init;
    (void)state;

    assert_int_equal(coord_set_allocator(counting_allocator()), COORD_OK);
    assert_int_equal(coord_global_init(), COORD_OK);
    live_after_init = counting_live();
    /* libcurl holds blocks from the hooks: they may not change now */
    assert_int_equal(coord_set_allocator(NULL), COORD_ERR_INVALID_ARGUMENT);
    calls = sweep(1, counts);
    /* nothing alive beyond libcurl's own global state */
    assert_int_equal(counting_live(), live_after_init);
    coord_global_cleanup();
    assert_int_equal(counting_live(), 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    assert_int_equal(counts[COORD_OK] + counts[COORD_ERR_OUT_OF_MEMORY] +
                     counts[COORD_ERR_TRANSPORT] + counts[COORD_ERR_UNAUTHORIZED], calls);
    assert_true(counts[COORD_ERR_OUT_OF_MEMORY] > counts[COORD_ERR_TRANSPORT]);
    print_message("with libcurl: %ld allocations per client + end-session (%ld held by "
                  "libcurl's global state); failures gave %ld COORD_ERR_OUT_OF_MEMORY, "
                  "%ld COORD_ERR_TRANSPORT, %ld COORD_ERR_UNAUTHORIZED, %ld absorbed (COORD_OK)\n",
                  calls, live_after_init, counts[COORD_ERR_OUT_OF_MEMORY],
                  counts[COORD_ERR_TRANSPORT], counts[COORD_ERR_UNAUTHORIZED], counts[COORD_OK]);
}

/* A refused call with a bearer token: every allocation of building the
 * token header and of decoding the 404's error body can fail. A failure
 * while reading the error body keeps the HTTP status (COORD_ERR_NOT_FOUND,
 * saying the body could not be read); any other is COORD_ERR_OUT_OF_MEMORY. */
static void refused_call_with_token(void **state)
{
    long k, body_failures = 0;
    const char *token = sim_user_token(); /* fetched before any failure is armed */
    (void)state;

    assert_int_equal(coord_global_init(), COORD_OK);
    assert_int_equal(coord_set_allocator(counting_allocator()), COORD_OK);
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    for (k = 1; k <= MAX_K; k++) {
        coord_client *c = NULL;
        coord_session s;
        coord_status st;
        const coord_error *e;

        counting_arm(k);
        st = coord_client_new(sim_api_base(), sim_key(), &c);
        if (st == COORD_OK)
            st = coord_client_set_bearer_token(c, token);
        if (st == COORD_OK)
            st = coord_end_session(c, LOT, 999999, &s);
        e = coord_client_last_error(c);
        if (counting_failures() == 0) {
            assert_int_equal(st, COORD_ERR_NOT_FOUND);
            assert_int_equal(e->has_api_error, 1);
            assert_string_equal(e->api_message, "session not found");
            coord_client_free(c);
            break;
        }
        if (st == COORD_ERR_NOT_FOUND) {
            assert_int_equal(e->http_status, 404);
            assert_int_equal(e->has_api_error, 0);
            assert_non_null(strstr(e->detail, "out of memory decoding its error body"));
            body_failures++;
        } else {
            assert_int_equal(st, COORD_ERR_OUT_OF_MEMORY);
        }
        coord_client_free(c);
        counting_arm(0);
        assert_int_equal(counting_live(), 0);
    }
    counting_arm(0);
    assert_true(k <= MAX_K);
    assert_true(body_failures >= 1);
    assert_int_equal(counting_live(), 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    coord_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(library_and_cjson_allocations),
        cmocka_unit_test(libcurl_allocations_too),
        cmocka_unit_test(refused_call_with_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
