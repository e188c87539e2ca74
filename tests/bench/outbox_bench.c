/* The outbox's figures for make bench (bench.py reads the RESULT line).
 *
 *   outbox_bench enqueue DIR N         N single enqueues (each one commit and
 *                                      fsync): p50/p99 latency; then N in
 *                                      batches of 100: intents/s
 *   outbox_bench drain BASE KEY TOKEN DIR N INFLIGHT
 *                                      N intents recorded (untimed), then
 *                                      one blocking drain of them, INFLIGHT
 *                                      in flight: ends/s
 *
 * Intents are (L<i>, 1): the bench's nginx answers every end with session
 * 1. With drain, the RESULT line adds rss_stored_kb (resident after
 * recording N, before draining): the drain's peak (maxrss_kb) minus it is
 * what draining costs, bounded by INFLIGHT, not by N. */
#include "bench_util.h"

#include <coord/outbox.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static coord_outbox *open_fresh(const char *dir, const char *name)
{
    char path[1024], side[1100];
    coord_outbox *ob = NULL;
    coord_outbox_error err;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    remove(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    remove(side);
    if (coord_outbox_open(path, COORD_OUTBOX_CREATE, &ob, &err) != COORD_OK ||
        coord_outbox_set_limits(ob, COORD_OUTBOX_MAX_INTENTS_LIMIT,
                                COORD_OUTBOX_DEFAULT_EXPIRE_AFTER_MS, 10) != COORD_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.detail);
        exit(1);
    }
    return ob;
}

/* n intents (L<first..>, 1) in batches of up to batch */
static void record(coord_outbox *ob, long first, long n, long batch)
{
    static coord_outbox_request reqs[COORD_OUTBOX_BATCH_MAX];
    static char names[COORD_OUTBOX_BATCH_MAX][24];

    for (long done = 0; done < n;) {
        long k = n - done < batch ? n - done : batch;
        for (long i = 0; i < k; i++) {
            snprintf(names[i], sizeof(names[i]), "L%ld", first + done + i);
            reqs[i] = (coord_outbox_request){names[i], 1, 0};
        }
        if (coord_outbox_end_batch(ob, reqs, (size_t)k, NULL) != COORD_OK) {
            fprintf(stderr, "record: %s\n", coord_outbox_last_error(ob)->detail);
            exit(1);
        }
        done += k;
    }
}

static int enqueue(const char *dir, long n)
{
    coord_outbox *ob = open_fresh(dir, "enqueue.outbox");
    int64_t *lat = calloc((size_t)n, sizeof(*lat));
    double w0, c0, w1, c1, bw0, bw1;
    char extra[160];

    if (lat == NULL)
        return 1;
    w0 = bench_wall();
    c0 = bench_cpu();
    for (long i = 0; i < n; i++) {
        double t = bench_wall();
        record(ob, i, 1, 1);
        lat[i] = (int64_t)((bench_wall() - t) * 1e6);
    }
    c1 = bench_cpu();
    w1 = bench_wall();
    qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
    coord_outbox_close(ob);
    ob = open_fresh(dir, "batch.outbox");
    bw0 = bench_wall();
    record(ob, 0, n, 100);
    bw1 = bench_wall();
    coord_outbox_close(ob);
    snprintf(extra, sizeof(extra), "p50_us=%lld p99_us=%lld batch_per_s=%.0f",
             (long long)lat[n / 2], (long long)lat[(n * 99) / 100], (double)n / (bw1 - bw0));
    bench_report(n, w1 - w0, c1 - c0, extra);
    free(lat);
    return 0;
}

static int drain(char **argv, long n, long inflight)
{
    coord_client *client = NULL;
    coord_outbox *ob = open_fresh(argv[5], "drain.outbox");
    coord_outbox_drain_stats ds;
    double w0, c0, w1, c1;
    char extra[96];
    long stored;
    coord_status st;

    if (coord_client_new(argv[2], argv[3], &client) != COORD_OK ||
        coord_client_set_bearer_token(client, argv[4]) != COORD_OK ||
        coord_outbox_set_drain(ob, (uint32_t)inflight, 0, 10) != COORD_OK)
        return 1;
    record(ob, 0, n, COORD_OUTBOX_BATCH_MAX);
    stored = bench_status_kb("VmRSS");
    w0 = bench_wall();
    c0 = bench_cpu();
    st = coord_outbox_drain(ob, client, 3600000, &ds);
    c1 = bench_cpu();
    w1 = bench_wall();
    if (st != COORD_OK || ds.ended != (uint32_t)n) {
        fprintf(stderr, "drain: %s, %u ended of %ld: %s\n", coord_status_name(st), ds.ended, n,
                coord_outbox_last_error(ob)->detail);
        return 1;
    }
    snprintf(extra, sizeof(extra), "rss_stored_kb=%ld", stored);
    bench_report(n, w1 - w0, c1 - c0, extra);
    coord_outbox_close(ob);
    coord_client_free(client);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    if (coord_global_init() != COORD_OK)
        return 1;
    if (argc == 4 && strcmp(argv[1], "enqueue") == 0)
        rc = enqueue(argv[2], bench_count(argv[3]));
    else if (argc == 8 && strcmp(argv[1], "drain") == 0)
        rc = drain(argv, bench_count(argv[6]), bench_count(argv[7]));
    else {
        fprintf(stderr, "usage: %s enqueue DIR N | drain BASE KEY TOKEN DIR N INFLIGHT\n",
                argv[0]);
        rc = 2;
    }
    coord_global_cleanup();
    return rc;
}
