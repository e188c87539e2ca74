/* One kiosk cycle on an outbox, for the kill-point and power-cut runs
 * (crash_test.py): what the application was told goes to stdout, one
 * unbuffered line per claim, so that the driver knows exactly what had
 * been promised when the process died.
 *
 *   ob_cycle cycle PATH LOCATION SESSION_ID   open, end, drain, results, ack, close
 *   ob_cycle recover PATH LOCATION SESSION_ID open, find, drain, results, ack, close
 *
 * Lines: ENQUEUED id | FOUND id state | NOTFOUND | RESULT id state status
 * recovered amount drift_ms | ACKED id | DONE. The simulator is
 * COORD_SIM_URL. With OB_POWERCUT=N the power-cut VFS is the default
 * and the power goes at its N-th write or sync (OB_POWERCUT_RANDOM=seed:
 * a random part of the unsynced writes survives). Exit status: 0 done,
 * 1 a call failed (the line says which), 77 the power went. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord/outbox.h"
#include "powercut_vfs.h"

static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* one write: the driver sees the whole line or none of it */
    if (write(STDOUT_FILENO, line, (size_t)n) != n)
        _exit(3);
}

static int failed(const char *what, coord_status st, const coord_outbox *ob)
{
    const coord_outbox_error *e = coord_outbox_last_error(ob);
    say("FAILED %s %s %s", what, coord_status_name(st), e != NULL ? e->detail : "");
    return 1;
}

static int deliver(coord_outbox *ob)
{
    coord_outbox_item item;
    size_t n = 0;
    coord_status st;

    /* one at a time: the app sees a result, then acknowledges it */
    for (;;) {
        st = coord_outbox_results(ob, 0, &item, 1, &n);
        if (st != COORD_OK)
            return failed("results", st, ob);
        if (n == 0)
            return 0;
        say("RESULT %lld %s %s %d %lld %lld", (long long)item.id,
            coord_outbox_state_name(item.state), coord_status_name((coord_status)item.status),
            item.session.recovered, (long long)item.session.billing_info.cost.amount,
            (long long)item.drift_ms);
        st = coord_outbox_ack(ob, item.id);
        if (st != COORD_OK)
            return failed("ack", st, ob);
        say("ACKED %lld", (long long)item.id);
    }
}

int main(int argc, char **argv)
{
    char base[512];
    const char *url = getenv("COORD_SIM_URL"), *cut = getenv("OB_POWERCUT");
    const char *random_seed = getenv("OB_POWERCUT_RANDOM");
    coord_outbox *ob = NULL;
    coord_outbox_error err;
    coord_outbox_item item;
    coord_client *client = NULL;
    coord_status st;
    int64_t sid, id = 0;
    int recover, rc = 1;

    if (argc != 5 || url == NULL || (strcmp(argv[1], "cycle") && strcmp(argv[1], "recover"))) {
        fprintf(stderr, "usage: COORD_SIM_URL=... %s cycle|recover PATH LOCATION SESSION_ID\n",
                argv[0]);
        return 2;
    }
    recover = strcmp(argv[1], "recover") == 0;
    sid = strtoll(argv[4], NULL, 10);
    if (cut != NULL) {
        if (pcv_register() != 0)
            return 2;
        pcv_set_cut(atol(cut), random_seed != NULL,
                    random_seed != NULL ? (unsigned)atol(random_seed) : 0u);
    }
    snprintf(base, sizeof(base), "%s/v1/access/parking", url);
    if (coord_global_init() != COORD_OK ||
        coord_client_new(base, getenv("COORD_SIM_KEY") ? getenv("COORD_SIM_KEY")
                                                       : "sandbox-test-key", &client) != COORD_OK ||
        coord_client_set_bearer_token(client, "outbox-crash-token") != COORD_OK ||
        coord_client_set_retry(client, 3, 10, 50) != COORD_OK ||
        coord_client_set_timeouts(client, 2000, 5000) != COORD_OK)
        return 2;
    st = coord_outbox_open(argv[2], COORD_OUTBOX_CREATE, &ob, &err);
    if (st != COORD_OK) {
        say("FAILED open %s %s %s", coord_status_name(st), coord_outbox_reason_name(err.reason),
            err.detail);
        goto done;
    }
    if (coord_outbox_set_drain(ob, 4, 0, 10) != COORD_OK)
        goto done;
    if (recover) {
        st = coord_outbox_find(ob, argv[3], sid, &item);
        if (st == COORD_OK)
            say("FOUND %lld %s", (long long)item.id, coord_outbox_state_name(item.state));
        else if (st == COORD_ERR_NOT_FOUND)
            say("NOTFOUND");
        else
            goto fail;
    } else {
        st = coord_outbox_end(ob, argv[3], sid, 0, &id);
        if (st != COORD_OK)
            goto fail;
        say("ENQUEUED %lld", (long long)id);
    }
    st = coord_outbox_drain(ob, client, 20000, NULL);
    if (st != COORD_OK)
        goto fail;
    if (deliver(ob) != 0)
        goto done;
    say("DONE");
    rc = 0;
    goto done;
fail:
    failed(argv[1], st, ob);
done:
    coord_outbox_close(ob);
    coord_client_free(client);
    coord_global_cleanup();
    return rc;
}
