/* What decoding an answer may take, over real HTTP against the simulator:
 * cJSON's tree is bounded by COORD_DECODE_MEMORY_FACTOR times the client's
 * maximum response size, a list's array by the client's maximum sessions
 * and that memory, and the
 * *_each list calls take any number of sessions in one struct. The peak is
 * measured with a counting allocator (installed after coord_global_init(),
 * so that it sees libcoord's allocations, not libcurl's). */
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

#define LOT "LOT-MEM"
#define KIOSK_MAX_RESPONSE (64u * 1024u)

/* The next API answer: 200, application/json, with this body. */
static void answer(const char *body)
{
    static const char head[] = "{\"mode\":\"status\",\"status\":200,"
                               "\"content_type\":\"application/json\",\"body\":\"";
    size_t n = sizeof(head) - 1;
    char *fault = malloc(n + 2 * strlen(body) + 3);

    assert_non_null(fault);
    memcpy(fault, head, n);
    for (const char *p = body; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fault[n++] = '\\';
        fault[n++] = *p;
    }
    memcpy(fault + n, "\"}", 3);
    sim_fault(fault);
    free(fault);
}

/* "[0,0,...]" of `zeros` zeros: the densest JSON for cJSON (a 64-byte item
 * and a scratch copy per 2 bytes of text). */
static void answer_zeros(size_t zeros)
{
    char *body = malloc(2 * zeros + 2);

    assert_non_null(body);
    body[0] = '[';
    for (size_t i = 0; i < zeros; i++) {
        body[1 + 2 * i] = '0';
        body[2 + 2 * i] = ',';
    }
    body[2 * zeros] = ']';
    body[2 * zeros + 1] = '\0';
    answer(body);
    free(body);
}

/* A list as a hostile server might send: n entries {"id":N}, 119 KB for 10,000. */
static void answer_ids(size_t n)
{
    size_t size = n * 16 + 3, at = 0;
    char *body = malloc(size);

    assert_non_null(body);
    body[at++] = '[';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(body + at, size - at, "%s{\"id\":%zu}", i ? "," : "", i + 1);
    body[at++] = ']';
    body[at] = '\0';
    answer(body);
    free(body);
}

static coord_client *client_with_max_response(uint32_t max_bytes)
{
    coord_client *c = sim_user_client();

    assert_int_equal(coord_client_set_max_response_size(c, max_bytes), COORD_OK);
    return c;
}

/* A list call's peak, in bytes libcoord held at once beyond what was alive
 * before it. */
static size_t list_peak(coord_client *c, coord_status want, coord_session_list *list)
{
    size_t before = counting_live_bytes();

    counting_peak_reset();
    assert_int_equal(coord_session_list_user(c, list), want);
    return counting_peak_bytes() - before;
}

/* A kiosk client (64 KiB answers): an answer within its size cap whose tree
 * would take 2 MB is refused once cJSON has asked for 512 KiB. */
static void dense_answer_within_the_cap_is_refused(void **state)
{
    long live = counting_live();
    coord_client *c = client_with_max_response(KIOSK_MAX_RESPONSE);
    coord_session_list list;
    size_t peak;
    (void)state;

    answer_zeros(30000); /* 60,001 bytes: under the cap */
    peak = list_peak(c, COORD_ERR_RESPONSE_TOO_LARGE, &list);
    assert_string_equal(coord_client_last_error(c)->detail,
                        "parsing the answer takes more than 524288 bytes");
    assert_int_equal(coord_client_last_error(c)->http_status, 200);
    assert_null(list.sessions);
    print_message("    kiosk client, 60 KB of zeros: peak %zu bytes (cJSON alone would ask "
                  "~2 MB)\n", peak);
    /* the tree's budget, and the body (its buffer may have grown to twice it) */
    assert_true(peak <= COORD_DECODE_MEMORY_FACTOR * KIOSK_MAX_RESPONSE + 2 * KIOSK_MAX_RESPONSE);
    coord_client_free(c);
    assert_int_equal(counting_live(), live); /* everything given back */
}

/* A new client (1 MiB answers): a 1 MiB answer of zeros asked cJSON for
 * 34 MB before the bound; now 8 MiB at most. */
static void one_mebibyte_of_zeros(void **state)
{
    coord_client *c = sim_user_client();
    coord_session_list list;
    size_t peak;
    (void)state;

    answer_zeros(524000); /* 1,048,001 bytes */
    peak = list_peak(c, COORD_ERR_RESPONSE_TOO_LARGE, &list);
    assert_string_equal(coord_client_last_error(c)->detail,
                        "parsing the answer takes more than 8388608 bytes");
    print_message("    new client, 1 MiB of zeros: peak %zu bytes\n", peak);
    assert_true(peak <= COORD_DECODE_MEMORY_FACTOR * COORD_DEFAULT_MAX_RESPONSE_SIZE +
                            2 * COORD_DEFAULT_MAX_RESPONSE_SIZE);
    coord_client_free(c);
}

/* Coord's own answers take ~4 times their size: a kiosk client lists 40
 * full sessions well within its budget. */
static void real_answers_fit(void **state)
{
    coord_client *c = client_with_max_response(KIOSK_MAX_RESPONSE);
    coord_session_list list;
    size_t peak;
    (void)state;

    sim_reset();
    sim_location(LOT, 300, 0, 0);
    for (int i = 0; i < 40; i++)
        sim_session(LOT, 60 + i, 0, NULL, 0);
    peak = list_peak(c, COORD_OK, &list);
    assert_int_equal(list.count, 40);
    print_message("    kiosk client, 40 sessions: peak %zu bytes, %zu of them the array\n", peak,
                  (size_t)list.count * sizeof(coord_session));
    assert_true(peak <= COORD_DECODE_MEMORY_FACTOR * KIOSK_MAX_RESPONSE + 2 * KIOSK_MAX_RESPONSE +
                            list.count * sizeof(coord_session));
    coord_session_list_free(&list);
    coord_client_free(c);
}

/* ---- the list's array, and the list without one ---- */

/* 119 KB of 10,000 {"id":N} allocated 10,000 sessions (41 MB) before; now
 * the array is refused by the client's maximum sessions (256), and raised
 * to 10,000, by its memory (8 times the maximum response size). */
static void ten_thousand_ids_no_longer_allocate_41_mb(void **state)
{
    coord_client *c = sim_user_client();
    coord_session_list list;
    size_t peak;
    (void)state;

    answer_ids(10000);
    peak = list_peak(c, COORD_ERR_RESPONSE_TOO_LARGE, &list);
    assert_string_equal(coord_client_last_error(c)->detail,
                        "session list has more than 256 entries");
    print_message("    10,000 ids, new client: peak %zu bytes\n", peak);
    assert_true(peak < 4 * 1024 * 1024);

    assert_int_equal(coord_client_set_max_sessions(c, 10000), COORD_OK);
    answer_ids(10000);
    peak = list_peak(c, COORD_ERR_RESPONSE_TOO_LARGE, &list);
    assert_string_equal(coord_client_last_error(c)->detail,
                        "session list of 10000 entries needs more than 8388608 bytes");
    assert_true(peak < 4 * 1024 * 1024);

    /* within both limits the array is allocated: 256 sessions, 1 MiB */
    answer_ids(256);
    peak = list_peak(c, COORD_OK, &list);
    assert_int_equal(list.count, 256);
    assert_int_equal(list.sessions[255].id, 256);
    assert_true(peak >= 256 * sizeof(coord_session));
    coord_session_list_free(&list);
    coord_client_free(c);
}

typedef struct walk {
    long calls;
    long stop_after;      /* 0: never */
    int64_t last_id;
    int in_order;
    char first_location[COORD_ID_MAX];
    coord_session *struct_handed;
} walk;

static int take(coord_session *session, void *user_data)
{
    walk *w = user_data;

    if (w->calls == 0)
        strcpy(w->first_location, session->location_id);
    w->in_order &= session->id == w->last_id + 1;
    w->last_id = session->id;
    w->struct_handed = session;
    w->calls++;
    return w->stop_after != 0 && w->calls >= w->stop_after;
}

/* The same 10,000 sessions, one at a time in the caller's struct: no array,
 * no count limit; the peak is the body and cJSON's tree. */
static void each_takes_ten_thousand_in_one_struct(void **state)
{
    coord_client *c = sim_user_client();
    coord_session one;
    walk w = {0, 0, 0, 1, "", NULL};
    size_t before = counting_live_bytes(), peak;
    (void)state;

    answer_ids(10000);
    counting_peak_reset();
    assert_int_equal(coord_session_list_user_each(c, &one, take, &w), COORD_OK);
    peak = counting_peak_bytes() - before;
    assert_int_equal(w.calls, 10000);
    assert_true(w.in_order);
    assert_ptr_equal(w.struct_handed, &one);
    assert_int_equal(one.id, 10000);
    print_message("    10,000 ids one at a time: peak %zu bytes (an array would be 40,960,000)\n",
                  peak);
    assert_true(peak < 4 * 1024 * 1024);
    coord_client_free(c);
}

/* At a location: entries without location_id get the argument, the walk
 * stops when the callback says so, and it agrees with the list call. */
static void each_at_a_location(void **state)
{
    coord_client *c = sim_user_client();
    coord_session_list list;
    coord_session one;
    walk w = {0, 0, 0, 1, "", NULL};
    (void)state;

    sim_reset();
    sim_location(LOT, 300, 0, 0);
    for (int i = 0; i < 5; i++)
        sim_session(LOT, 60 + i, 0, NULL, 0);
    assert_int_equal(coord_session_list_location(c, LOT, &list), COORD_OK);
    assert_int_equal(list.count, 5);
    w.last_id = list.sessions[0].id - 1;
    assert_int_equal(coord_session_list_location_each(c, LOT, &one, take, &w), COORD_OK);
    assert_int_equal(w.calls, 5);
    assert_int_equal(w.last_id, list.sessions[4].id);
    assert_string_equal(w.first_location, LOT);
    coord_session_list_free(&list);

    memset(&w, 0, sizeof(w));
    w.in_order = 1;
    w.stop_after = 1;
    answer("[{\"id\":1},{\"id\":2,\"location_id\":\"ELSEWHERE\"}]");
    assert_int_equal(coord_session_list_location_each(c, LOT, &one, take, &w), COORD_OK);
    assert_int_equal(w.calls, 1);
    assert_string_equal(one.location_id, LOT); /* filled in: the answer had none */
    coord_client_free(c);
}

/* A malformed entry fails the call before the callback sees any; bad
 * arguments send nothing. */
static void each_fails_whole_and_checks_arguments(void **state)
{
    coord_client *c = sim_user_client();
    coord_session one;
    walk w = {0, 0, 0, 1, "", NULL};
    long requests;
    (void)state;

    answer("[{\"id\":1},{\"user_id\":\"u\"}]");
    memset(&one, 0xab, sizeof(one));
    assert_int_equal(coord_session_list_user_each(c, &one, take, &w), COORD_ERR_BAD_RESPONSE);
    assert_string_equal(coord_client_last_error(c)->detail, "field [1].id: missing");
    assert_int_equal(w.calls, 0);
    assert_int_equal(one.id, 0);

    requests = sim_api_requests();
    assert_int_equal(coord_session_list_user_each(c, &one, NULL, &w),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_location_each(c, LOT, NULL, take, &w),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_location_each(c, NULL, &one, take, &w),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_session_list_location_each(NULL, LOT, &one, take, &w),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(sim_api_requests(), requests);
    coord_client_free(c);
}

static int setup(void **state)
{
    if (sim_group_setup(state) != 0)
        return -1;
    (void)sim_user_token(); /* fetched (and cached) before the allocator counts */
    assert_int_equal(coord_set_allocator(counting_allocator()), COORD_OK);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(counting_foreign_frees(), 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    return sim_group_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense_answer_within_the_cap_is_refused),
        cmocka_unit_test(one_mebibyte_of_zeros),
        cmocka_unit_test(real_answers_fit),
        cmocka_unit_test(ten_thousand_ids_no_longer_allocate_41_mb),
        cmocka_unit_test(each_takes_ten_thousand_in_one_struct),
        cmocka_unit_test(each_at_a_location),
        cmocka_unit_test(each_fails_whole_and_checks_arguments),
    };
    return cmocka_run_group_tests_name("decode limits", tests, setup, teardown);
}
