/* What decoding an answer may take, over real HTTP against the simulator
 * (issue 12, point 8): cJSON's tree is bounded by COORD_DECODE_MEMORY_FACTOR
 * times the client's maximum response size. The peak is measured with a
 * counting allocator (installed after coord_global_init(), so that it sees
 * libcoord's allocations, not libcurl's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "counting_alloc.h"
#include "sim_client.h"

#define LOT "LOT-MEM"
#define KIOSK_MAX_RESPONSE (64u * 1024u)

/* The next API answer: 200, application/json, "[0,0,...]" of `zeros`
 * zeros -- the densest JSON for cJSON (a 64-byte item and a scratch copy
 * per 2 bytes of text). */
static void answer_zeros(size_t zeros)
{
    static const char head[] = "{\"mode\":\"status\",\"status\":200,"
                               "\"content_type\":\"application/json\",\"body\":\"[";
    size_t n = sizeof(head) - 1, size = n + 2 * zeros + 8;
    char *fault = malloc(size);

    assert_non_null(fault);
    memcpy(fault, head, n);
    for (size_t i = 0; i < zeros; i++) {
        fault[n++] = '0';
        fault[n++] = ',';
    }
    memcpy(fault + n - 1, "]\"}", 4);
    sim_fault(fault);
    free(fault);
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

static int setup(void **state)
{
    const char *token;

    sim_group_setup(state);
    token = sim_user_token(); /* fetched (and cached) before the allocator counts */
    (void)token;
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
    };
    return cmocka_run_group_tests_name("decode limits", tests, setup, teardown);
}
