/* How many connections a burst of non-blocking calls opens, over TLS to a
 * private nginx (tests/threads/with_nginx.sh with COORD_NGINX_TLS=h2 or
 * http1.1), counted from nginx's access log ($connection of each request):
 *   h2       1,000 ends started at once on one loop open at most 4
 *            connections (coord_loop_set_multiplexed_connections'
 *            default), again at most 4 for a second burst on the same
 *            loop, and 1 with that limit set to 1;
 *   http1.1  a burst of 200 still runs on up to max_host_connections (64)
 *            connections, not 4.
 * Every answer is checked to be its own call's (nginx builds it from the
 * path). Also: when a host's first call gets no answer (nothing listens),
 * the calls held behind it fail at once, as they did before the hold. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

enum { MAX_CALLS = 1000 };

static const char *env(const char *name)
{
    const char *value = getenv(name);

    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set: run this test through COORD_NGINX_TLS=h2 (or "
                "http1.1) tests/threads/with_nginx.sh\n", name);
        exit(2);
    }
    return value;
}

static int over_h2(void)
{
    return strcmp(env("COORD_NGINX_TLS"), "h2") == 0;
}

typedef struct burst {
    int64_t ended[MAX_CALLS]; /* the session id each call's answer carried */
    coord_status status[MAX_CALLS];
    int done;
} burst;

static burst b;

static void ended(coord_call *call, coord_status status, const coord_error *error,
                  const coord_session *session, void *user_data)
{
    size_t i = (size_t)(uintptr_t)user_data;

    (void)call;
    if (status != COORD_OK && b.done == 0)
        printf("call %zu: %s: %s\n", i, coord_status_name(status), error->detail);
    b.status[i] = status;
    b.ended[i] = status == COORD_OK ? session->id : -1;
    b.done++;
}

static coord_client *nginx_client(void)
{
    coord_client *c = NULL;

    assert_int_equal(coord_client_new(env("COORD_NGINX_URL"), env("COORD_NGINX_KEY"), &c),
                     COORD_OK);
    assert_int_equal(coord_client_set_ca_file(c, env("COORD_NGINX_CA")), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "nginx-takes-any-token"), COORD_OK);
    return c;
}

static void empty_log(void)
{
    FILE *f = fopen(env("COORD_NGINX_ACCESS_LOG"), "w"); /* nginx appends: O_APPEND */

    assert_non_null(f);
    fclose(f);
}

/* Distinct connections in the access log once it holds n lines (nginx
 * writes a line after its answer went out: it may trail the client); every
 * line is a 200 over the protocol wanted. */
static int connections_in_log(int n, const char *protocol)
{
    static long seen[MAX_CALLS];
    char line[256], proto[32];
    int lines = 0, distinct = 0;

    for (int tries = 0; tries < 100; tries++) {
        FILE *f = fopen(env("COORD_NGINX_ACCESS_LOG"), "r");
        struct timespec pause = {0, 50000000};

        assert_non_null(f);
        lines = distinct = 0;
        while (fgets(line, sizeof(line), f) != NULL && lines < MAX_CALLS) {
            long connection;
            int status, known = 0;

            assert_int_equal(sscanf(line, "%ld %31s %d", &connection, proto, &status), 3);
            assert_string_equal(proto, protocol);
            assert_int_equal(status, 200);
            for (int i = 0; i < distinct && !known; i++)
                known = seen[i] == connection;
            if (!known)
                seen[distinct++] = connection;
            lines++;
        }
        fclose(f);
        if (lines >= n)
            break;
        nanosleep(&pause, NULL);
    }
    assert_int_equal(lines, n);
    return distinct;
}

/* n ends started at once on loop; every one answered with its own session. */
static void run_burst(coord_loop *loop, coord_client *c, int n)
{
    memset(&b, 0, sizeof(b));
    for (int i = 0; i < n; i++)
        assert_int_equal(coord_end_session_async(loop, c, "LOT-H2", i + 1, ended,
                                                 (void *)(uintptr_t)i, NULL), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(b.done, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(b.status[i], COORD_OK);
        assert_int_equal(b.ended[i], i + 1);
    }
}

static void an_http2_burst_shares_four_connections(void **state)
{
    coord_client *c;
    coord_loop *loop = NULL;
    int first, second;
    (void)state;

    if (!over_h2())
        skip();
    c = nginx_client();
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    empty_log();
    run_burst(loop, c, 1000);
    first = connections_in_log(1000, "HTTP/2.0");
    empty_log();
    run_burst(loop, c, 1000); /* warm: the loop knows the host speaks HTTP/2 */
    second = connections_in_log(1000, "HTTP/2.0");
    printf("connections for 1,000 calls over HTTP/2: %d, then %d\n", first, second);
    assert_in_range(first, 1, 4);
    assert_in_range(second, 0, 4); /* 0: the first burst's connections carried it */
    coord_loop_free(loop);
    coord_client_free(c);
}

static void the_multiplexed_limit_is_the_applications(void **state)
{
    coord_client *c;
    coord_loop *loop = NULL;
    (void)state;

    if (!over_h2())
        skip();
    c = nginx_client();
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    assert_int_equal(coord_loop_set_multiplexed_connections(loop, 0), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_loop_set_multiplexed_connections(loop, 10001),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_loop_set_multiplexed_connections(NULL, 1), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_loop_set_multiplexed_connections(loop, 1), COORD_OK);
    empty_log();
    run_burst(loop, c, 600); /* beyond what one connection carries at once (nginx: 128) */
    assert_int_equal(connections_in_log(600, "HTTP/2.0"), 1);
    coord_loop_free(loop);
    coord_client_free(c);
}

static void http1_keeps_a_connection_per_call(void **state)
{
    coord_client *c;
    coord_loop *loop = NULL;
    int n;
    (void)state;

    if (over_h2())
        skip();
    c = nginx_client();
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    empty_log();
    run_burst(loop, c, 200);
    n = connections_in_log(200, "HTTP/1.1");
    printf("connections for 200 calls over HTTP/1.1: %d\n", n);
    assert_in_range(n, 5, COORD_DEFAULT_LOOP_MAX_HOST_CONNECTIONS);
    coord_loop_free(loop);
    coord_client_free(c);
}

/* https:// on a loopback port where nothing listens. */
static void refused_https_base(char *base, size_t size)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    snprintf(base, size, "https://127.0.0.1:%u/v1/access/parking", (unsigned)ntohs(a.sin_port));
}

static void calls_held_behind_a_refused_first_call_fail_at_once(void **state)
{
    char base[128];
    coord_client *c = NULL;
    coord_loop *loop = NULL;
    double t0;
    (void)state;

    refused_https_base(base, sizeof(base));
    assert_int_equal(coord_client_new(base, "refused-key", &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, "refused-token"), COORD_OK);
    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    memset(&b, 0, sizeof(b));
    t0 = sim_now_s();
    for (int i = 0; i < 50; i++)
        assert_int_equal(coord_end_session_async(loop, c, "LOT-H2", i + 1, ended,
                                                 (void *)(uintptr_t)i, NULL), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(b.done, 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(b.status[i], COORD_ERR_TRANSPORT); /* refused, not timed out */
    assert_true(sim_now_s() - t0 < 10.0);
    coord_loop_free(loop);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_http2_burst_shares_four_connections),
        cmocka_unit_test(the_multiplexed_limit_is_the_applications),
        cmocka_unit_test(http1_keeps_a_connection_per_call),
        cmocka_unit_test(calls_held_behind_a_refused_first_call_fail_at_once),
    };

    return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
