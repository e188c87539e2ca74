/* Counting, failing allocator for the allocator-hook tests. Each block
 * carries a header with a magic number and its size, so that a free of
 * memory from another allocator is caught instead of corrupting the heap. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counting_alloc.h"

#define MAGIC UINT64_C(0xC00DA110CA7ED000)

/* 16 bytes keep the user block aligned like malloc's (max_align_t). */
typedef union header {
    struct {
        uint64_t magic;
        uint64_t size;
    } h;
    long double align;
} header;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long calls, fail_at, failures, live, foreign;
static int fail_all;
/* Bytes handed out and not yet freed, their highest level and the largest
 * block since counting_peak_reset(). */
static size_t live_bytes, peak_bytes, largest;

/* 1 when this allocation must fail; counts it either way. */
static int next_fails(void)
{
    int fail;

    pthread_mutex_lock(&lock);
    calls++;
    fail = fail_all || (fail_at != 0 && calls == fail_at);
    if (fail)
        failures++;
    pthread_mutex_unlock(&lock);
    return fail;
}

/* n blocks more (or fewer), and `grown` bytes more, `shrunk` fewer; a block
 * of `grown` bytes was handed out. */
static void add_live(long n, size_t grown, size_t shrunk)
{
    pthread_mutex_lock(&lock);
    live += n;
    live_bytes = live_bytes + grown - shrunk;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    if (grown > largest)
        largest = grown;
    pthread_mutex_unlock(&lock);
}

static header *header_of(void *ptr)
{
    header *h = (header *)ptr - 1;

    if (h->h.magic != MAGIC) {
        pthread_mutex_lock(&lock);
        foreign++;
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    return h;
}

static void *c_malloc(size_t size, void *user_data)
{
    header *h;

    (void)user_data;
    if (next_fails() || size > SIZE_MAX - sizeof(header))
        return NULL;
    h = malloc(sizeof(header) + size);
    if (h == NULL)
        return NULL;
    h->h.magic = MAGIC;
    h->h.size = size;
    add_live(1, size, 0);
    return h + 1;
}

static void c_free(void *ptr, void *user_data)
{
    header *h = header_of(ptr);

    (void)user_data;
    if (h == NULL)
        return; /* leak it rather than corrupt the heap: the test fails on foreign */
    h->h.magic = 0;
    add_live(-1, 0, h->h.size);
    free(h);
}

static void *c_realloc(void *ptr, size_t size, void *user_data)
{
    header *h = header_of(ptr), *grown;
    size_t old_size;

    (void)user_data;
    if (h == NULL || size > SIZE_MAX - sizeof(header))
        return NULL;
    if (size > h->h.size && next_fails())
        return NULL;
    old_size = h->h.size;
    grown = realloc(h, sizeof(header) + size);
    if (grown == NULL)
        return NULL;
    grown->h.size = size;
    add_live(0, size, old_size);
    return grown + 1;
}

/* calloc_fn stays NULL: the library derives it from malloc_fn, which this
 * exercises on every client creation. */
static const coord_allocator allocator = {c_malloc, c_realloc, c_free, NULL, NULL,
                                          {NULL, NULL, NULL, NULL}};

const coord_allocator *counting_allocator(void)
{
    return &allocator;
}

void counting_arm(long k)
{
    pthread_mutex_lock(&lock);
    calls = 0;
    failures = 0;
    fail_at = k;
    fail_all = 0;
    pthread_mutex_unlock(&lock);
}

void counting_arm_all(void)
{
    pthread_mutex_lock(&lock);
    fail_all = 1;
    pthread_mutex_unlock(&lock);
}

static long read_locked(const long *v)
{
    long n;

    pthread_mutex_lock(&lock);
    n = *v;
    pthread_mutex_unlock(&lock);
    return n;
}

long counting_calls(void) { return read_locked(&calls); }
long counting_failures(void) { return read_locked(&failures); }
long counting_live(void) { return read_locked(&live); }
long counting_foreign_frees(void) { return read_locked(&foreign); }

void counting_peak_reset(void)
{
    pthread_mutex_lock(&lock);
    peak_bytes = live_bytes;
    largest = 0;
    pthread_mutex_unlock(&lock);
}

static size_t read_size_locked(const size_t *v)
{
    size_t n;

    pthread_mutex_lock(&lock);
    n = *v;
    pthread_mutex_unlock(&lock);
    return n;
}

size_t counting_peak_bytes(void) { return read_size_locked(&peak_bytes); }
size_t counting_live_bytes(void) { return read_size_locked(&live_bytes); }
size_t counting_largest(void) { return read_size_locked(&largest); }
