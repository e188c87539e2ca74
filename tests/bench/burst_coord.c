/* A burst: N ends started at once on a new loop with its default limits,
 * to a TLS server (tests/bench/tls_bursts.py runs it against a private
 * nginx, with and without HTTP/2, and counts the connections it opened).
 *
 *   burst_coord BASE_URL ACCESS_KEY CA_FILE N
 *
 * Cold: the client and the loop are new, so the burst makes its own TLS
 * handshakes, as a back office's bulk end does. */
#include "bench_util.h"

#include <coord/coord.h>

static long failed;

static void ended(coord_call *call, coord_status status, const coord_error *error,
                  const coord_session *session, void *user_data)
{
    (void)call;
    (void)session;
    (void)user_data;
    if (status != COORD_OK && failed++ == 0)
        fprintf(stderr, "call failed: %s: %s\n", coord_status_name(status), error->detail);
}

int main(int argc, char **argv)
{
    coord_client *client = NULL;
    coord_loop *loop = NULL;
    double w0, c0;
    long n;

    if (argc != 5) {
        fprintf(stderr, "usage: %s BASE_URL ACCESS_KEY CA_FILE N\n", argv[0]);
        return 2;
    }
    n = bench_count(argv[4]);
    if (coord_global_init() != COORD_OK ||
        coord_client_new(argv[1], argv[2], &client) != COORD_OK ||
        coord_client_set_ca_file(client, argv[3]) != COORD_OK ||
        coord_client_set_bearer_token(client, "nginx-takes-any-token") != COORD_OK ||
        coord_loop_new(&loop) != COORD_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    w0 = bench_wall();
    c0 = bench_cpu();
    for (long i = 0; i < n; i++)
        if (coord_end_session_async(loop, client, "LOT-1", i + 1, ended, NULL, NULL) != COORD_OK)
            failed++;
    if (coord_loop_run(loop) != COORD_OK || failed != 0)
        return 1;
    bench_report(n, bench_wall() - w0, bench_cpu() - c0, NULL);
    coord_loop_free(loop);
    coord_client_free(client);
    coord_global_cleanup();
    return 0;
}
