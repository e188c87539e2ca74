/* End a parking session and print it with its bill.
 *
 *   COORD_ACCESS_KEY=... end_session [BASE_URL] LOCATION_ID SESSION_ID
 *
 * BASE_URL defaults to the production API; COORD_TOKEN, when set, is sent
 * as the user's bearer token. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <coord/coord.h>

static void print_session(const coord_session *s)
{
    printf("session %" PRId64 " at %s\n", s->id, s->location_id);
    printf("  user:     %s\n", s->user_id[0] ? s->user_id : "(none)");
    if (s->resource_id[0])
        printf("  resource: %s\n", s->resource_id);
    if (s->has_start_time)
        printf("  started:  %s (%" PRId64 " ms)\n", s->start_time, s->start_time_ms);
    if (s->has_end_time)
        printf("  ended:    %s (%" PRId64 " ms)\n", s->end_time, s->end_time_ms);
    if (s->has_start_time && s->has_end_time)
        printf("  duration: %" PRId64 " min\n", (s->end_time_ms - s->start_time_ms) / 60000);
    if (s->has_billing_info && s->billing_info.has_cost) {
        const coord_money *m = &s->billing_info.cost;
        int64_t whole = m->amount / 100, cents = m->amount % 100;
        printf("  bill:     %" PRId64 ".%02" PRId64 " %s (amount %" PRId64 " in minor units)\n",
               whole, cents < 0 ? -cents : cents, m->currency, m->amount);
    } else if (s->has_billing_info) {
        printf("  bill:     not yet calculated\n");
    }
}

int main(int argc, char **argv)
{
    const char *key = getenv("COORD_ACCESS_KEY");
    const char *token = getenv("COORD_TOKEN");
    const char *base = argc == 4 ? argv[1] : COORD_BASE_URL_PRODUCTION;
    coord_client *client = NULL;
    coord_session session;
    coord_status st;
    char *end;

    if ((argc != 3 && argc != 4) || key == NULL) {
        fprintf(stderr, "usage: COORD_ACCESS_KEY=... %s [BASE_URL] LOCATION_ID SESSION_ID\n",
                argv[0]);
        return 2;
    }
    long long id = strtoll(argv[argc - 1], &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "SESSION_ID must be an integer\n");
        return 2;
    }
    if (coord_global_init() != COORD_OK)
        return 1;
    st = coord_client_new(base, key, &client);
    if (st == COORD_OK && token != NULL)
        st = coord_client_set_bearer_token(client, token);
    if (st == COORD_OK)
        st = coord_end_session(client, argv[argc - 2], (int64_t)id, &session);
    if (st == COORD_OK) {
        print_session(&session);
    } else {
        const coord_error *e = coord_client_last_error(client);
        fprintf(stderr, "end_session: %s (HTTP %d): %s\n", coord_status_name(st),
                e != NULL ? (int)e->http_status : 0, e != NULL ? e->detail : coord_strerror(st));
    }
    coord_client_free(client);
    coord_global_cleanup();
    return st == COORD_OK ? 0 : 1;
}
