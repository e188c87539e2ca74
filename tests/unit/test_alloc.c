/* The allocator: application hooks, libc's defaults, and the watch on
 * cJSON's allocations that tells out of memory from malformed JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "internal.h"

/* A small allocator that records what the library asked of it. */
typedef struct recorder {
    int mallocs, reallocs, frees, callocs;
    size_t last_size, malloc_bytes;
    int fail;
} recorder;

static void *rec_malloc(size_t size, void *user_data)
{
    recorder *r = user_data;
    r->mallocs++;
    r->last_size = size;
    r->malloc_bytes += size;
    return r->fail ? NULL : malloc(size);
}

static void *rec_realloc(void *ptr, size_t size, void *user_data)
{
    recorder *r = user_data;
    r->reallocs++;
    r->last_size = size;
    return r->fail ? NULL : realloc(ptr, size);
}

static void rec_free(void *ptr, void *user_data)
{
    recorder *r = user_data;
    assert_non_null(ptr); /* the library never frees NULL through the hooks */
    r->frees++;
    free(ptr);
}

static void *rec_calloc(size_t count, size_t size, void *user_data)
{
    recorder *r = user_data;
    r->callocs++;
    return r->fail ? NULL : calloc(count, size);
}

/* Install the recorder r as the allocator, a holding its hooks. */
static void install_recorder(coord_allocator *a, recorder *r)
{
    memset(a, 0, sizeof(*a));
    a->malloc_fn = rec_malloc;
    a->realloc_fn = rec_realloc;
    a->free_fn = rec_free;
    a->user_data = r;
    assert_int_equal(coord_set_allocator(a), COORD_OK);
}

static void allocator_rejects_incomplete_hooks(void **state)
{
    recorder r = {0};
    coord_allocator a;
    (void)state;

    memset(&a, 0, sizeof(a));
    a.malloc_fn = rec_malloc;
    a.realloc_fn = rec_realloc;
    a.user_data = &r;
    assert_int_equal(coord_set_allocator(&a), COORD_ERR_INVALID_ARGUMENT); /* no free_fn */
    a.free_fn = rec_free;
    a.reserved[3] = &r;
    assert_int_equal(coord_set_allocator(&a), COORD_ERR_INVALID_ARGUMENT); /* reserved set */
    /* nothing was installed: libc still serves */
    char *p = coord_malloc(8);
    assert_non_null(p);
    coord_free(p);
    assert_int_equal(r.mallocs + r.frees, 0);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
}

static void allocator_routes_and_derives_calloc(void **state)
{
    recorder r = {0};
    coord_allocator a;
    unsigned char *p;
    (void)state;

    install_recorder(&a, &r);

    p = coord_calloc(4, 8); /* no calloc_fn: malloc_fn, then zeroed */
    assert_int_equal(r.mallocs, 1);
    assert_int_equal(r.last_size, 32);
    for (size_t i = 0; i < 32; i++)
        assert_int_equal(p[i], 0);
    p = coord_realloc(p, 64);
    assert_int_equal(r.reallocs, 1);
    coord_free(p);
    coord_free(NULL); /* skipped, never reaches free_fn */
    assert_int_equal(r.frees, 1);
    assert_null(coord_calloc(SIZE_MAX / 2, 4)); /* overflow: refused before any call */
    assert_int_equal(r.mallocs, 1);
    p = coord_realloc(NULL, 5); /* realloc of NULL is a malloc */
    assert_int_equal(r.mallocs, 2);
    coord_free(p);
    p = coord_malloc(0); /* never a zero size */
    assert_int_equal(r.last_size, 1);
    coord_free(p);

    a.calloc_fn = rec_calloc;
    assert_int_equal(coord_set_allocator(&a), COORD_OK);
    p = coord_calloc(2, 3);
    assert_int_equal(r.callocs, 1);
    coord_free(p);

    r.fail = 1;
    assert_null(coord_strdup("x"));
    assert_null(coord_calloc(1, 1));
    r.fail = 0;
    assert_int_equal(r.mallocs, 4); /* calloc derived, realloc(NULL), malloc(0), strdup */
    assert_int_equal(r.callocs, 2);
    assert_int_equal(r.frees, 4);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    p = coord_malloc(8); /* libc again */
    coord_free(p);
    assert_int_equal(r.mallocs, 4);
    assert_int_equal(r.frees, 4);
}

/* cJSON's allocations follow the installed allocator, and a failed one is
 * seen by the watch around the parse; without the failure the watch is
 * clear again. */
static void json_allocations_are_watched(void **state)
{
    recorder r = {0};
    coord_allocator a;
    cJSON *root;
    (void)state;

    install_recorder(&a, &r);

    coord_json_alloc_begin(4096);
    root = cJSON_Parse("{\"id\":1}");
    assert_non_null(root);
    assert_int_equal(coord_json_alloc_end(), COORD_OK);
    /* cJSON's allocations reach the recorder: at least the object and its
     * member (the member's name is a third one, but a lower bound does not
     * depend on how cJSON keeps names) */
    assert_true(r.mallocs >= 2);
    cJSON_Delete(root);
    assert_int_equal(r.frees, r.mallocs);

    r.fail = 1;
    coord_json_alloc_begin(4096);
    assert_null(cJSON_Parse("{\"id\":1}"));
    assert_int_equal(coord_json_alloc_end(), COORD_ERR_OUT_OF_MEMORY);
    r.fail = 0;

    coord_json_alloc_begin(4096); /* a new parse starts clear */
    assert_null(cJSON_Parse("{\"id\":")); /* malformed, not out of memory */
    assert_int_equal(coord_json_alloc_end(), COORD_OK);
    assert_int_equal(r.frees, r.mallocs - 1); /* the refused allocation was never freed */

    /* back to libc: cJSON no longer reaches the recorder */
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
    root = cJSON_Parse("[1]");
    cJSON_Delete(root);
    assert_int_equal(r.frees, r.mallocs - 1);
}

/* While a parse is watched, cJSON gets at most the budget, counted over all
 * its allocations: the one that would pass it is refused before it reaches
 * the allocator. Outside a watch there is no limit. */
static void json_budget_is_enforced(void **state)
{
    static const char text[] = "[\"0123456789abcdef\",\"0123456789abcdef\"]";
    recorder r = {0};
    coord_allocator a;
    cJSON *root;
    size_t needed;
    (void)state;

    install_recorder(&a, &r);

    /* what the tree takes: the array and two strings, each an item and its text */
    root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON_Delete(root);
    assert_int_equal(r.mallocs, 5);
    needed = r.malloc_bytes;
    assert_true(needed > 3 * sizeof(cJSON) + 2 * 16);

    coord_json_alloc_begin(needed); /* exactly enough */
    root = cJSON_Parse(text);
    assert_non_null(root);
    assert_int_equal(coord_json_alloc_end(), COORD_OK);
    cJSON_Delete(root);

    r.mallocs = r.frees = 0;
    coord_json_alloc_begin(needed - 1);
    assert_null(cJSON_Parse(text));
    assert_int_equal(coord_json_alloc_end(), COORD_ERR_RESPONSE_TOO_LARGE);
    assert_int_equal(r.frees, r.mallocs); /* what it took is given back */
    assert_int_equal(r.mallocs, 4); /* the last string's text never reached the allocator */

    root = cJSON_Parse(text); /* not watched: no limit */
    assert_non_null(root);
    cJSON_Delete(root);
    assert_int_equal(coord_set_allocator(NULL), COORD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocator_rejects_incomplete_hooks),
        cmocka_unit_test(allocator_routes_and_derives_calloc),
        cmocka_unit_test(json_allocations_are_watched),
        cmocka_unit_test(json_budget_is_enforced),
    };
    return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
