/* What the outbox's tests share (outbox_test.h). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "outbox_test.h"
#include "sim_client.h"

static char scratch[512];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_scratch(void)
{
    if (scratch[0] != '\0')
        nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void obt_path(char *buf, size_t size, const char *name)
{
    if (scratch[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof(scratch), "%s/coord_outbox.XXXXXX", tmp != NULL ? tmp : "/tmp");
        if (mkdtemp(scratch) == NULL) {
            fprintf(stderr, "mkdtemp %s failed\n", scratch);
            exit(2);
        }
        atexit(remove_scratch);
    }
    snprintf(buf, size, "%s/%s", scratch, name);
}

coord_client *obt_client(uint32_t attempts)
{
    coord_client *c = sim_user_client();
    assert_int_equal(coord_client_set_retry(c, attempts, 10, 50), COORD_OK);
    assert_int_equal(coord_client_set_timeouts(c, 2000, 5000), COORD_OK);
    return c;
}

coord_client *obt_down_client(void)
{
    char base[256];
    coord_client *c;

    sim_closed_port_base(base, sizeof(base));
    c = sim_user_client_at(base, sim_key());
    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    return c;
}

int64_t obt_session(const char *location)
{
    return sim_session(location, 30, 0, NULL, 0);
}

static cJSON *ledger(void)
{
    static char out[1 << 20];
    cJSON *doc;

    assert_int_equal(sim_call("GET", "/_sim/ledger", NULL, out, sizeof(out)), 200);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    return doc;
}

static long ledger_number(const char *name)
{
    cJSON *doc = ledger();
    long n = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, name));
    cJSON_Delete(doc);
    return n;
}

long obt_ledger_count(const char *location, int64_t id)
{
    cJSON *doc = ledger(), *e;
    long n = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "ends"))
    {
        const char *loc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "location_id"));
        double sid = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "session_id"));
        if (loc != NULL && strcmp(loc, location) == 0 && (int64_t)sid == id)
            n = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "count"));
    }
    cJSON_Delete(doc);
    return n;
}

long obt_ledger_max(void)
{
    return ledger_number("max");
}

long obt_ledger_total(void)
{
    return ledger_number("total");
}

void obt_drop_ends(double rate, int seed)
{
    char body[96];
    snprintf(body, sizeof(body), "{\"rate\": %.3f, \"seed\": %d}", rate, seed);
    assert_int_equal(sim_call("POST", "/_sim/drop_ends", body, NULL, 0), 200);
}

void obt_outage(double seconds)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"seconds\": %.3f}", seconds);
    assert_int_equal(sim_call("POST", "/_sim/outage", body, NULL, 0), 200);
}

coord_outbox *obt_open(const char *path)
{
    coord_outbox *ob = NULL;
    coord_outbox_error err;
    coord_status st = coord_outbox_open(path, COORD_OUTBOX_CREATE, &ob, &err);

    if (st != COORD_OK)
        fail_msg("open %s: %s: %s", path, coord_status_name(st), err.detail);
    assert_non_null(ob);
    return ob;
}

size_t obt_ack_all(coord_outbox *ob)
{
    static coord_outbox_item items[64];
    size_t n, total = 0;

    do {
        assert_int_equal(coord_outbox_results(ob, 0, items, 64, &n), COORD_OK);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(coord_outbox_ack(ob, items[i].id), COORD_OK);
        total += n;
    } while (n > 0);
    return total;
}

int64_t obt_file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t h = 1469598103934665603ull;
    int c;

    if (f == NULL)
        return -1;
    while ((c = getc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ull;
    fclose(f);
    return (int64_t)(h >> 1);
}

void obt_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}
