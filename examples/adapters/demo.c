/* The calls the adapter examples run: end sessions concurrently, print each
 * result as it arrives. See demo.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "demo.h"

static int initialised;
static coord_client *client;
static int64_t *ids; /* one per call, its user_data: a pointer holds no int64_t on 32 bits */
static int failures;

/* One JSON line on stdout, the bill as a person reads it ("3.00 USD"); a
 * failure's detail (the server's text) on stderr. */
static void ended(coord_call *call, coord_status status, const coord_error *error,
                  const coord_session *session, void *user_data)
{
    int64_t id = *(const int64_t *)user_data;
    char bill[COORD_MONEY_TEXT_MAX] = "";

    (void)call;
    if (status == COORD_OK && session->billing_info.has_cost &&
        coord_money_format(&session->billing_info.cost, bill, sizeof(bill)) != COORD_OK)
        snprintf(bill, sizeof(bill), "?");
    if (status == COORD_OK) {
        printf("{\"id\":%" PRId64 ",\"status\":\"%s\",\"bill\":\"%s\"}\n", id,
               coord_status_name(status), bill);
    } else {
        printf("{\"id\":%" PRId64 ",\"status\":\"%s\"}\n", id, coord_status_name(status));
        fprintf(stderr, "session %" PRId64 ": %s: %s\n", id, coord_status_name(status),
                error->detail);
    }
    fflush(stdout);
    failures += status != COORD_OK;
}

static int usage(const char *program)
{
    fprintf(stderr, "usage: COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... "
                    "%s LOCATION SESSION_ID... (whole numbers)\n", program);
    return 2;
}

int demo_start(coord_loop *loop, int argc, char **argv)
{
    /* secrets from the environment: arguments show in process lists */
    const char *url = getenv("COORD_BASE_URL"), *key = getenv("COORD_ACCESS_KEY");
    const char *token = getenv("COORD_TOKEN");

    if (argc < 3 || url == NULL || key == NULL || token == NULL)
        return usage(argv[0]);
    ids = calloc((size_t)(argc - 2), sizeof(*ids));
    if (ids == NULL) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char *end;

        errno = 0;
        ids[i - 2] = strtoll(argv[i], &end, 10);
        if (errno != 0 || end == argv[i] || *end != '\0')
            return usage(argv[0]);
    }
    initialised = coord_global_init() == COORD_OK;
    if (!initialised || coord_client_new(url, key, &client) != COORD_OK ||
        coord_client_set_bearer_token(client, token) != COORD_OK) {
        fprintf(stderr, "%s: cannot make a client (check COORD_BASE_URL, COORD_ACCESS_KEY "
                "and COORD_TOKEN)\n", argv[0]);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        coord_status st = coord_end_session_async(loop, client, argv[1], ids[i - 2], ended,
                                                  &ids[i - 2], NULL);

        if (st != COORD_OK) {
            fprintf(stderr, "session %" PRId64 ": not started: %s: %s\n", ids[i - 2],
                    coord_status_name(st), coord_client_last_error(client)->detail);
            return 1;
        }
    }
    return 0;
}

int demo_finish(void)
{
    coord_client_free(client);
    if (initialised)
        coord_global_cleanup();
    free(ids);
    return failures == 0 ? 0 : 1;
}
