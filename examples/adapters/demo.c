/* The calls the adapter examples run: end sessions concurrently, print each
 * result as it arrives. See demo.h. */
#include <stdio.h>
#include <stdlib.h>

#include "demo.h"

static coord_client *client;
static int failures;

static void ended(coord_call *call, coord_status status, const coord_error *error,
                  const coord_session *session, void *user_data)
{
    long long id = (long long)(intptr_t)user_data;

    (void)call;
    if (status == COORD_OK)
        printf("{\"id\":%lld,\"status\":\"%s\",\"amount\":%lld,\"currency\":\"%s\"}\n", id,
               coord_status_name(status), (long long)session->billing_info.cost.amount,
               session->billing_info.cost.currency);
    else
        printf("{\"id\":%lld,\"status\":\"%s\",\"detail\":\"%s\"}\n", id,
               coord_status_name(status), error->detail);
    fflush(stdout);
    failures += status != COORD_OK;
}

int demo_start(coord_loop *loop, int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s BASE_URL KEY TOKEN LOCATION SESSION_ID...\n", argv[0]);
        return 2;
    }
    if (coord_global_init() != COORD_OK || coord_client_new(argv[1], argv[2], &client) != COORD_OK ||
        coord_client_set_bearer_token(client, argv[3]) != COORD_OK) {
        fprintf(stderr, "%s: cannot make a client\n", argv[0]);
        return 1;
    }
    for (int i = 5; i < argc; i++) {
        long long id = strtoll(argv[i], NULL, 10);
        coord_status st = coord_end_session_async(loop, client, argv[4], (int64_t)id, ended,
                                                  (void *)(intptr_t)id, NULL);

        if (st != COORD_OK) {
            fprintf(stderr, "%s: %s: %s\n", argv[0], coord_status_name(st),
                    coord_client_last_error(client)->detail);
            return 1;
        }
    }
    return 0;
}

int demo_finish(void)
{
    coord_client_free(client);
    coord_global_cleanup();
    return failures == 0 ? 0 : 1;
}
