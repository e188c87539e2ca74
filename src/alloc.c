/* The library's allocator: the application's hooks (coord_set_allocator())
 * or libc's, and cJSON's allocations routed through them while an
 * application allocator is installed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* The application's allocator, when one is installed. Process-global because
 * the cJSON and libcurl hooks it feeds are: see coord_set_allocator(). */
static coord_allocator hooks;
static int have_hooks;
/* libcurl was initialised on the installed hooks: they must stay. */
static unsigned pinned;

/* Set when one of cJSON's allocations failed on this thread since
 * coord_json_alloc_begin(): cJSON reports that as a parse error, which must
 * not pass for a malformed answer. Per thread because clients decode in
 * parallel and cJSON's hooks carry no context. */
static __thread int json_out_of_memory;

static void *json_malloc(size_t size)
{
    void *p = coord_malloc(size);

    if (p == NULL)
        json_out_of_memory = 1;
    return p;
}

/* cJSON's allocations follow the application's allocator while one is
 * installed, libc's otherwise (cJSON's own defaults). */
static void route_json_allocations(int to_hooks)
{
    cJSON_Hooks json_hooks = {json_malloc, coord_free};

    cJSON_InitHooks(to_hooks ? &json_hooks : NULL);
}

coord_status coord_set_allocator(const coord_allocator *allocator)
{
    size_t i;

    if (pinned > 0)
        return COORD_ERR_INVALID_ARGUMENT;
    if (allocator == NULL) {
        memset(&hooks, 0, sizeof(hooks));
        have_hooks = 0;
        route_json_allocations(0);
        return COORD_OK;
    }
    if (allocator->malloc_fn == NULL || allocator->realloc_fn == NULL ||
        allocator->free_fn == NULL)
        return COORD_ERR_INVALID_ARGUMENT;
    for (i = 0; i < sizeof(allocator->reserved) / sizeof(allocator->reserved[0]); i++)
        if (allocator->reserved[i] != NULL)
            return COORD_ERR_INVALID_ARGUMENT;
    hooks = *allocator;
    have_hooks = 1;
    route_json_allocations(1);
    return COORD_OK;
}

int coord_allocator_installed(void)
{
    return have_hooks;
}

void coord_allocator_pin(int pin)
{
    if (pin)
        pinned++;
    else if (pinned > 0)
        pinned--;
}

void *coord_malloc(size_t size)
{
    if (!have_hooks)
        return malloc(size);
    return hooks.malloc_fn(size != 0 ? size : 1, hooks.user_data);
}

void *coord_calloc(size_t count, size_t size)
{
    void *p;

    if (!have_hooks)
        return calloc(count, size);
    if (count == 0 || size == 0)
        count = size = 1;
    if (hooks.calloc_fn != NULL)
        return hooks.calloc_fn(count, size, hooks.user_data);
    if (count > SIZE_MAX / size)
        return NULL;
    p = hooks.malloc_fn(count * size, hooks.user_data);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *coord_realloc(void *ptr, size_t size)
{
    if (!have_hooks)
        return realloc(ptr, size);
    if (ptr == NULL)
        return coord_malloc(size);
    return hooks.realloc_fn(ptr, size != 0 ? size : 1, hooks.user_data);
}

void coord_free(void *ptr)
{
    if (ptr == NULL)
        return;
    if (have_hooks)
        hooks.free_fn(ptr, hooks.user_data);
    else
        free(ptr);
}

char *coord_strdup(const char *s)
{
    size_t n;
    char *copy;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    copy = coord_malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

void coord_json_alloc_begin(void)
{
    json_out_of_memory = 0;
}

coord_status coord_json_alloc_end(void)
{
    return json_out_of_memory ? COORD_ERR_OUT_OF_MEMORY : COORD_OK;
}
