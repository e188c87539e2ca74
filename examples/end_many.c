/* end_many: end sessions, 16 at a time, on one thread (the non-blocking API
 * without an event loop of your own: coord_loop_run() until no call is left).
 *   COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... end_many LOCATION ID...
 * Secrets from the environment: arguments show in process lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <coord/coord.h>

typedef struct one_end {
    long long id;  /* a failed call gets no session: its id is kept here */
    int *failures; /* shared tally */
} one_end;

static void ended(coord_call *call, coord_status st, const coord_error *e,
                  const coord_session *s, void *user_data)
{
    one_end *one = user_data;
    char bill[COORD_MONEY_TEXT_MAX] = "bill not yet calculated";

    (void)call;
    if (st == COORD_OK && s->billing_info.has_cost)
        st = coord_money_format(&s->billing_info.cost, bill, sizeof(bill));
    if (st == COORD_OK) {
        printf("session %lld ended: %s\n", one->id, bill);
    } else {
        fprintf(stderr, "session %lld: %s: %s\n", one->id, coord_status_name(st), e->detail);
        (*one->failures)++;
    }
}

int main(int argc, char **argv)
{
    const char *url = getenv("COORD_BASE_URL"), *key = getenv("COORD_ACCESS_KEY");
    const char *token = getenv("COORD_TOKEN");
    coord_client *client = NULL;
    coord_loop *loop = NULL;
    one_end *ends = calloc(argc > 2 ? (size_t)argc - 2 : 1, sizeof(*ends));
    int failures = 0, started = 1, i;

    for (i = 2; ends != NULL && i < argc; i++) { /* every id a whole number, or nothing runs */
        char *end;

        errno = 0;
        ends[i - 2] = (one_end){strtoll(argv[i], &end, 10), &failures};
        if (errno != 0 || end == argv[i] || *end != '\0')
            break;
    }
    if (argc < 3 || ends == NULL || i < argc || !url || !key || !token) {
        fprintf(stderr, "usage: COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... "
                        "%s LOCATION ID... (whole numbers)\n", argv[0]);
        free(ends);
        return 2;
    }
    if (coord_global_init() != COORD_OK || coord_client_new(url, key, &client) != COORD_OK ||
        coord_client_set_bearer_token(client, token) != COORD_OK ||
        coord_loop_new(&loop) != COORD_OK || coord_loop_set_limits(loop, 16, 16) != COORD_OK) {
        fprintf(stderr, "cannot start: check COORD_BASE_URL and COORD_ACCESS_KEY\n");
        started = 0;
    }
    for (i = 2; started && i < argc; i++)
        if (coord_end_session_async(loop, client, argv[1], ends[i - 2].id, ended, &ends[i - 2],
                                    NULL) != COORD_OK) { /* nothing sent: say which, and why */
            fprintf(stderr, "session %lld: not started: %s\n", ends[i - 2].id,
                    coord_client_last_error(client)->detail);
            failures++;
        }
    if (started && coord_loop_run(loop) != COORD_OK) /* until no call is left */
        started = 0;
    coord_loop_free(loop); /* before the client its calls used */
    coord_client_free(client);
    coord_global_cleanup();
    free(ends);
    return started && failures == 0 ? 0 : 1;
}
