/* libcoord: N sequential coord_end_session calls on one client.
 *
 *   loop_coord BASE_URL ACCESS_KEY TOKEN N [observe]
 *
 * "observe" sets an observer that does nothing (coord_client_set_observer):
 * what making each call's record costs.
 *
 * One untimed call first opens the connection; then N timed calls. (cJSON's
 * allocations per call, which the driver subtracts from valgrind's totals,
 * are counted by decode_cost count: libcoord installs cJSON's hooks itself.) */
#include "bench_util.h"

#include <string.h>

#include <coord/coord.h>

static void ignore_record(const coord_call_record *record, void *user_data)
{
    (void)record;
    (void)user_data;
}

static int end_once(coord_client *client, coord_session *s)
{
    coord_status st = coord_end_session(client, "LOT-1", 1, s);

    if (st != COORD_OK) {
        fprintf(stderr, "coord_end_session: %s: %s\n", coord_status_name(st),
                coord_client_last_error(client)->detail);
        return -1;
    }
    if (s->id != 1 || !s->billing_info.has_cost || s->billing_info.cost.amount != 100) {
        fprintf(stderr, "unexpected session decoded\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    coord_client *client = NULL;
    coord_session s;
    double w0, c0, w1, c1;
    long n, i;

    if (argc < 5) {
        fprintf(stderr, "usage: %s BASE_URL ACCESS_KEY TOKEN N\n", argv[0]);
        return 2;
    }
    n = bench_count(argv[4]);
    if (coord_global_init() != COORD_OK ||
        coord_client_new(argv[1], argv[2], &client) != COORD_OK ||
        coord_client_set_bearer_token(client, argv[3]) != COORD_OK ||
        (argc > 5 && strcmp(argv[5], "observe") == 0 &&
         coord_client_set_observer(client, ignore_record, NULL) != COORD_OK)) {
        fprintf(stderr, "client setup failed\n");
        return 1;
    }
    if (end_once(client, &s) != 0)
        return 1;
    w0 = bench_wall();
    c0 = bench_cpu();
    for (i = 0; i < n; i++)
        if (end_once(client, &s) != 0)
            return 1;
    c1 = bench_cpu();
    w1 = bench_wall();
    bench_report(n, w1 - w0, c1 - c0, NULL);
    coord_client_free(client);
    coord_global_cleanup();
    return 0;
}
