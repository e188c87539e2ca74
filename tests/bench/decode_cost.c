/* Decode cost, for callgrind: coord_session_decode of the end answer K times
 * against a bare cJSON_Parse + cJSON_Delete of the same bytes K times. The
 * driver collects instructions inside run_coord / run_cjson only
 * (--toggle-collect), so start-up and file reading are not counted.
 *
 *   decode_cost coord|cjson FILE K
 *   decode_cost count FILE K   allocations per decode (no callgrind) */
#include "bench_util.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <coord/coord.h>

static char json[65536];
static size_t json_len;

__attribute__((noinline)) static int run_coord(long k)
{
    coord_session s;
    char detail[256];
    int bad = 0;

    for (long i = 0; i < k; i++)
        bad |= coord_session_decode(json, json_len, &s, detail, sizeof(detail)) != COORD_OK;
    return bad;
}

__attribute__((noinline)) static int run_cjson(long k)
{
    int bad = 0;

    for (long i = 0; i < k; i++) {
        cJSON *root = cJSON_ParseWithLength(json, json_len);

        bad |= root == NULL;
        cJSON_Delete(root);
    }
    return bad;
}

/* Allocations of one coord_session_decode (all of them cJSON's: libcoord's
 * decoder allocates nothing of its own), counted through coord_set_allocator:
 * what the loops' valgrind totals hold besides libcurl's and libcoord's. */
static long allocations;

static void *count_malloc(size_t size, void *user_data)
{
    (void)user_data;
    allocations++;
    return malloc(size);
}

static void *count_realloc(void *ptr, size_t size, void *user_data)
{
    (void)user_data;
    allocations++;
    return realloc(ptr, size);
}

static void count_free(void *ptr, void *user_data)
{
    (void)user_data;
    free(ptr);
}

static int count_allocations(long k)
{
    coord_allocator counting = {count_malloc, count_realloc, count_free, NULL, NULL,
                                {NULL, NULL, NULL, NULL}};

    if (coord_set_allocator(&counting) != COORD_OK || run_coord(k) != 0)
        return 1;
    printf("RESULT calls=%ld allocs_per_decode=%.2f\n", k, (double)allocations / (double)k);
    return coord_set_allocator(NULL) == COORD_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    FILE *f;
    long k;

    if (argc != 4) {
        fprintf(stderr, "usage: %s coord|cjson|count FILE K\n", argv[0]);
        return 2;
    }
    k = bench_count(argv[3]);
    f = fopen(argv[2], "rb");
    if (f == NULL) {
        perror(argv[2]);
        return 1;
    }
    json_len = fread(json, 1, sizeof(json) - 1, f);
    fclose(f);
    if (strcmp(argv[1], "coord") == 0)
        return run_coord(k);
    if (strcmp(argv[1], "cjson") == 0)
        return run_cjson(k);
    if (strcmp(argv[1], "count") == 0)
        return count_allocations(k);
    fprintf(stderr, "mode must be coord, cjson or count\n");
    return 2;
}
