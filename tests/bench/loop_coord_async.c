/* libcoord's non-blocking API: N end-session calls on one loop, INFLIGHT in
 * flight at a time (each answer starts the next call).
 *
 *   loop_coord_async BASE_URL ACCESS_KEY TOKEN N INFLIGHT
 *
 * A first, untimed round of INFLIGHT calls opens the connections; then N
 * timed calls. The result line adds rss_idle_kb: the resident set before
 * any call (client and loop made), for the memory each call in flight
 * costs. (cJSON's allocations: see loop_coord.c.) */
#include "bench_util.h"

#include <string.h>

#include <coord/coord.h>

typedef struct run {
    coord_loop *loop;
    coord_client *client;
    long to_start; /* calls still to start */
    long failed;
} run;

static void start_one(run *r);

static void ended(coord_call *call, coord_status status, const coord_error *error,
                  const coord_session *session, void *user_data)
{
    run *r = user_data;

    (void)call;
    if (status != COORD_OK || session->id != 1 || session->billing_info.cost.amount != 100) {
        if (r->failed++ == 0)
            fprintf(stderr, "call failed: %s: %s\n", coord_status_name(status), error->detail);
        return;
    }
    start_one(r);
}

static void start_one(run *r)
{
    if (r->to_start == 0)
        return;
    r->to_start--;
    if (coord_end_session_async(r->loop, r->client, "LOT-1", 1, ended, r, NULL) != COORD_OK &&
        r->failed++ == 0)
        fprintf(stderr, "start failed: %s\n", coord_client_last_error(r->client)->detail);
}

/* n calls, inflight at a time; 0 when every one succeeded. */
static int calls(run *r, long n, long inflight)
{
    r->to_start = n;
    for (long i = 0; i < inflight; i++)
        start_one(r);
    if (coord_loop_run(r->loop) != COORD_OK)
        return -1;
    return r->failed == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    run r = {NULL, NULL, 0, 0};
    double w0, c0, w1, c1;
    char extra[96];
    long n, inflight, idle;

    if (argc < 6) {
        fprintf(stderr, "usage: %s BASE_URL ACCESS_KEY TOKEN N INFLIGHT\n", argv[0]);
        return 2;
    }
    n = bench_count(argv[4]);
    inflight = bench_count(argv[5]);
    if (coord_global_init() != COORD_OK ||
        coord_client_new(argv[1], argv[2], &r.client) != COORD_OK ||
        coord_client_set_bearer_token(r.client, argv[3]) != COORD_OK ||
        coord_loop_new(&r.loop) != COORD_OK ||
        coord_loop_set_limits(r.loop, (uint32_t)inflight, (uint32_t)inflight) != COORD_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    idle = bench_status_kb("VmRSS");
    if (calls(&r, inflight, inflight) != 0)
        return 1;
    w0 = bench_wall();
    c0 = bench_cpu();
    if (calls(&r, n, inflight) != 0)
        return 1;
    c1 = bench_cpu();
    w1 = bench_wall();
    snprintf(extra, sizeof(extra), "rss_idle_kb=%ld", idle);
    bench_report(n, w1 - w0, c1 - c0, extra);
    coord_loop_free(r.loop);
    coord_client_free(r.client);
    coord_global_cleanup();
    return 0;
}
