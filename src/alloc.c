/* The library's allocator: the application's hooks (coord_set_allocator())
 * or libc's; cJSON's allocations routed through them, and watched while a
 * decoder parses: out of memory told from malformed JSON, and a budget. */
#include <pthread.h>
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

/* cJSON's allocations on this thread while a decoder parses, between
 * coord_json_alloc_begin() and coord_json_alloc_end(). Per thread because
 * clients decode in parallel and cJSON's hooks, process-global, carry no
 * context. */
typedef struct json_watch {
    /* bytes cJSON may still ask for: what is left of the budget while a
     * parse is watched, SIZE_MAX otherwise (the application's own use of
     * cJSON); counted as asked, freed or not (the tree is kept, and what
     * cJSON frees meanwhile, a number's scratch copy, is small), so never
     * less than what the parse holds */
    size_t left;
    coord_status failed; /* why an allocation failed: COORD_OK while none did */
} json_watch;

static __thread json_watch watch = {SIZE_MAX, COORD_OK};

/* Allocations that failed on this thread: libcoord's, cJSON's and, once
 * coord_global_init() initialised libcurl, libcurl's. libcurl 7.88 reports
 * an answer header line over its limit as out of memory: the transport
 * tells that from a real shortage by this count. */
static __thread unsigned long failed_allocations;

static void *counted(void *p)
{
    if (p == NULL)
        failed_allocations++;
    return p;
}

static void *json_malloc(size_t size)
{
    void *p = NULL;

    if (size > watch.left)
        watch.failed = COORD_ERR_RESPONSE_TOO_LARGE;
    else if ((p = coord_malloc(size)) == NULL)
        watch.failed = COORD_ERR_OUT_OF_MEMORY;
    else
        watch.left -= size;
    return p;
}

/* cJSON's hooks are installed once, for the process, and stay: they follow
 * whichever allocator is installed when cJSON calls them. */
static pthread_once_t json_hooks_once = PTHREAD_ONCE_INIT;

static void install_json_hooks(void)
{
    cJSON_Hooks json_hooks = {json_malloc, coord_free};

    cJSON_InitHooks(&json_hooks);
}

coord_status coord_set_allocator(const coord_allocator *allocator)
{
    size_t i;

    if (pinned > 0)
        return COORD_ERR_INVALID_ARGUMENT;
    pthread_once(&json_hooks_once, install_json_hooks);
    if (allocator == NULL) {
        memset(&hooks, 0, sizeof(hooks));
        have_hooks = 0;
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
        return counted(malloc(size));
    return counted(hooks.malloc_fn(size != 0 ? size : 1, hooks.user_data));
}

void *coord_calloc(size_t count, size_t size)
{
    void *p;

    if (!have_hooks)
        return counted(calloc(count, size));
    if (count == 0 || size == 0)
        count = size = 1;
    if (hooks.calloc_fn != NULL)
        return counted(hooks.calloc_fn(count, size, hooks.user_data));
    if (count > SIZE_MAX / size)
        return counted(NULL);
    p = counted(hooks.malloc_fn(count * size, hooks.user_data));
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *coord_realloc(void *ptr, size_t size)
{
    if (!have_hooks)
        return counted(realloc(ptr, size));
    if (ptr == NULL)
        return coord_malloc(size);
    return counted(hooks.realloc_fn(ptr, size != 0 ? size : 1, hooks.user_data));
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

unsigned long coord_alloc_failures(void)
{
    return failed_allocations;
}

/* libcurl's allocator while the application installed none: libc's,
 * counted. Not coord_malloc: libcurl must keep the allocator it started
 * with, and an application may install one later. */
void *coord_libc_malloc(size_t size)
{
    return counted(malloc(size));
}

void *coord_libc_calloc(size_t count, size_t size)
{
    return counted(calloc(count, size));
}

void *coord_libc_realloc(void *ptr, size_t size)
{
    return counted(realloc(ptr, size));
}

char *coord_libc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = coord_libc_malloc(n);

    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

void coord_json_alloc_begin(size_t budget)
{
    pthread_once(&json_hooks_once, install_json_hooks);
    watch.left = budget;
    watch.failed = COORD_OK;
}

coord_status coord_json_alloc_end(void)
{
    watch.left = SIZE_MAX;
    return watch.failed;
}
