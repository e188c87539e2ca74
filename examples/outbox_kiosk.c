/* A kiosk on the outbox (libcoord-outbox): ends recorded durably first,
 * sent by a non-blocking drain, every bill handed to the kiosk and
 * acknowledged -- across outages, kills and power cuts. make demo runs it.
 *
 *   outbox_kiosk PATH record LOCATION SESSION_ID...   record the ends (no server needed)
 *   outbox_kiosk PATH serve [SECONDS]                 drain and deliver the bills, until
 *                                                     nothing is pending (or SECONDS pass)
 *
 * The server: COORD_BASE_URL, COORD_ACCESS_KEY and COORD_TOKEN. serve runs
 * the drain on a coord_loop driven by coord_loop_run_once() (an event
 * loop's glue, examples/adapters/, drives it the same way: call
 * coord_outbox_drain_step() after each loop function returns). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coord/outbox.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int failed(const char *what, coord_status st, const coord_outbox *ob)
{
    const coord_outbox_error *e = coord_outbox_last_error(ob);
    fprintf(stderr, "kiosk: %s: %s%s%s\n", what, coord_status_name(st), e != NULL ? ": " : "",
            e != NULL ? e->detail : "");
    return 1;
}

static int record(coord_outbox *ob, const char *location, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) { /* every id a whole number, or none is recorded */
        char *end;

        errno = 0;
        (void)strtoll(argv[i], &end, 10);
        if (errno != 0 || end == argv[i] || *end != '\0') {
            fprintf(stderr, "kiosk: session id \"%s\" is not a whole number\n", argv[i]);
            return 2;
        }
    }
    for (int i = 0; i < argc; i++) {
        int64_t id = 0;
        coord_status st = coord_outbox_end(ob, location, strtoll(argv[i], NULL, 10), 0, &id);
        if (st != COORD_OK)
            return failed("record", st, ob); /* not recorded: tell the driver */
        printf("recorded: intent %lld, session %s/%s\n", (long long)id, location, argv[i]);
    }
    return 0;
}

/* Every result recorded so far: shown to the kiosk, then acknowledged. A
 * kill between the two shows it again after the restart (same intent id). */
static int deliver(coord_outbox *ob, unsigned *delivered)
{
    coord_outbox_item item;
    char bill[COORD_MONEY_TEXT_MAX];
    size_t n = 0;
    coord_status st;

    while ((st = coord_outbox_results(ob, 0, &item, 1, &n)) == COORD_OK && n == 1) {
        if (item.state == COORD_OUTBOX_ENDED && (!item.session.billing_info.has_cost ||
            coord_money_format(&item.session.billing_info.cost, bill, sizeof(bill)) != COORD_OK))
            snprintf(bill, sizeof(bill), "bill not yet calculated"); /* amount: in cents for USD */
        if (item.state == COORD_OUTBOX_ENDED)
            printf("bill: intent %lld, session %s/%lld, %s%s, waited %.1f s in the outbox\n",
                   (long long)item.id, item.location_id, (long long)item.session_id, bill,
                   item.session.recovered ? " (recovered after a lost answer)" : "",
                   (double)item.drift_ms / 1000.0);
        else
            printf("not ended: intent %lld, session %s/%lld: %s, %s\n", (long long)item.id,
                   item.location_id, (long long)item.session_id,
                   coord_outbox_state_name(item.state), item.detail);
        fflush(stdout);
        st = coord_outbox_ack(ob, item.id);
        if (st != COORD_OK)
            return failed("ack", st, ob);
        ++*delivered;
    }
    return st == COORD_OK ? 0 : failed("results", st, ob);
}

static int serve(coord_outbox *ob, int64_t seconds)
{
    const char *base = getenv("COORD_BASE_URL"), *key = getenv("COORD_ACCESS_KEY");
    const char *token = getenv("COORD_TOKEN");
    int64_t deadline = now_ms() + seconds * 1000, wait = 0;
    coord_client *client = NULL;
    coord_loop *loop = NULL;
    coord_outbox_drain_stats ds;
    coord_status st;
    unsigned delivered = 0, reported = 0;
    int rc = 1;

    if (base == NULL || key == NULL) {
        fprintf(stderr, "kiosk: set COORD_BASE_URL and COORD_ACCESS_KEY\n");
        return 2;
    }
    st = coord_client_new(base, key, &client);
    if (st == COORD_OK && token != NULL)
        st = coord_client_set_bearer_token(client, token);
    if (st == COORD_OK)
        st = coord_client_set_timeouts(client, 1000, 3000);
    if (st == COORD_OK)
        st = coord_loop_new(&loop);
    if (st == COORD_OK)
        st = coord_outbox_set_drain(ob, 8, 200, 1000);
    if (st == COORD_OK)
        st = coord_outbox_drain_start(ob, loop, client);
    if (st != COORD_OK) {
        failed("start", st, ob);
        goto done;
    }
    for (;;) {
        st = coord_outbox_drain_step(ob, &wait, &ds);
        if (st != COORD_OK || deliver(ob, &delivered) != 0)
            break;
        if (wait < 0) {
            printf("done: %u bills delivered and acknowledged; %u ends sent, %u failed "
                   "and were retried\n", delivered, ds.sent, ds.failures);
            rc = 0;
            break;
        }
        if (now_ms() >= deadline) {
            printf("stopping with intents pending (last failure: %s)\n",
                   coord_status_name((coord_status)ds.last_failure));
            break;
        }
        if (coord_loop_calls(loop) > 0) {
            st = coord_loop_run_once(loop, (uint32_t)wait);
            if (st != COORD_OK)
                break;
            continue;
        }
        /* nothing in flight: the drain waits out its backoff */
        if (ds.failures > reported) {
            printf("server unreachable (%s): %u sends failed, next try in %lld ms\n",
                   coord_status_name((coord_status)ds.last_failure), ds.failures,
                   (long long)wait);
            fflush(stdout);
            reported = ds.failures;
        }
        nanosleep(&(struct timespec){(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L},
                  NULL);
    }
    if (st != COORD_OK)
        failed("drain", st, ob);
done:
    coord_outbox_drain_stop(ob);
    coord_loop_free(loop);
    coord_client_free(client);
    return rc;
}

int main(int argc, char **argv)
{
    coord_outbox *ob = NULL;
    coord_outbox_error err;
    coord_status st;
    int rc;

    if (argc < 3 || (strcmp(argv[2], "record") == 0 && argc < 5) ||
        (strcmp(argv[2], "record") != 0 && strcmp(argv[2], "serve") != 0)) {
        fprintf(stderr, "usage: %s PATH record LOCATION SESSION_ID... | PATH serve [SECONDS]\n",
                argv[0]);
        return 2;
    }
    if (coord_global_init() != COORD_OK)
        return 1;
    st = coord_outbox_open(argv[1], COORD_OUTBOX_CREATE, &ob, &err);
    if (st != COORD_OK) {
        fprintf(stderr, "kiosk: %s: %s: %s\n", coord_status_name(st),
                coord_outbox_reason_name(err.reason), err.detail);
        coord_global_cleanup();
        return 1;
    }
    if (strcmp(argv[2], "record") == 0)
        rc = record(ob, argv[3], argc - 4, argv + 4);
    else
        rc = serve(ob, argc > 3 ? strtoll(argv[3], NULL, 10) : 600);
    coord_outbox_close(ob);
    coord_global_cleanup();
    return rc;
}
