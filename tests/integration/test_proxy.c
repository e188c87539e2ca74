/* Proxies are explicit. The environment's proxy variables
 * used to send the key and the token to whatever proxy they named; now a
 * client ignores them unless told otherwise. A forwarding proxy started by
 * this test (tests/integration/forward_proxy.py) logs every request it sees. */
#define _POSIX_C_SOURCE 200809L /* fork, kill, setenv, mkstemp, fdopen */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

#define LOT "LOT-P"

static pid_t proxy_pid;
static char proxy_url[64];
static char proxy_log[256];

/* Stop the proxy, when one was started, and remove its log. */
static void end_proxy(void)
{
    if (proxy_pid > 0) {
        kill(proxy_pid, SIGTERM);
        waitpid(proxy_pid, NULL, 0);
    }
    unlink(proxy_log);
}

/* Start the proxy on an OS-chosen loopback port; it prints PROXY_PORT=N.
 * On failure it leaves nothing behind: cmocka runs no group teardown after
 * a failed group setup. */
static int start_proxy(void **state)
{
    const char *python = getenv("PYTHON") != NULL ? getenv("PYTHON") : "python3";
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    char line[64];
    int out[2], fd, port = 0, started;
    FILE *from;

    (void)state;
    snprintf(proxy_log, sizeof(proxy_log), "%s/coord_proxy_log.XXXXXX", tmp);
    fd = mkstemp(proxy_log);
    if (fd < 0)
        return -1;
    if (close(fd) != 0 || pipe(out) != 0) {
        unlink(proxy_log);
        return -1;
    }
    proxy_pid = fork();
    if (proxy_pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execlp(python, python, "tests/integration/forward_proxy.py", "--log", proxy_log,
               (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    from = fdopen(out[0], "r");
    started = proxy_pid > 0 && from != NULL && fgets(line, sizeof(line), from) != NULL &&
              sscanf(line, "PROXY_PORT=%d", &port) == 1;
    if (from != NULL)
        fclose(from);
    else
        close(out[0]);
    if (!started || coord_global_init() != COORD_OK) {
        end_proxy();
        return -1;
    }
    snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%d", port);
    return 0;
}

static int stop_proxy(void **state)
{
    (void)state;
    coord_global_cleanup();
    end_proxy();
    return 0;
}

/* What the proxy saw since the last setup: its request lines. */
static int proxied(char *lines, size_t size)
{
    FILE *f = fopen(proxy_log, "r");
    size_t n = f != NULL ? fread(lines, 1, size - 1, f) : 0;
    int count = 0;

    if (f != NULL)
        fclose(f);
    lines[n] = '\0';
    for (const char *p = lines; (p = strchr(p, '\n')) != NULL; p++)
        count++;
    return count;
}

static void clear_proxy_environment(void)
{
    static const char *const names[] = {"http_proxy", "HTTP_PROXY", "https_proxy",
                                        "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                        "no_proxy", "NO_PROXY"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
}

static int setup(void **state)
{
    FILE *f = fopen(proxy_log, "w"); /* empty the proxy's log */

    (void)state;
    if (f != NULL)
        fclose(f);
    clear_proxy_environment();
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    return 0;
}

static coord_client *new_client(void)
{
    coord_client *c = sim_user_client();

    assert_int_equal(coord_client_set_retry(c, 1, 0, 0), COORD_OK);
    return c;
}

/* A get of a seeded session must succeed, whichever way it travels. */
static void get_one(coord_client *c)
{
    int64_t id = sim_session(LOT, 5, 0, NULL, 0);
    coord_session s;

    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
}

static void the_environment_is_ignored_by_default(void **state)
{
    coord_client *c = new_client();
    char seen[4096];
    (void)state;

    setenv("http_proxy", proxy_url, 1);
    setenv("ALL_PROXY", proxy_url, 1);
    setenv("all_proxy", proxy_url, 1);
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 0);
    coord_client_free(c);
}

static void an_explicit_proxy_carries_every_call(void **state)
{
    coord_client *c = new_client();
    char seen[4096], want[512];
    (void)state;

    setenv("NO_PROXY", "*", 1); /* the environment cannot bypass an explicit proxy */
    assert_int_equal(coord_client_set_proxy(c, proxy_url), COORD_OK);
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 1);
    /* an http:// base: the proxy sees the key, as the header warns */
    snprintf(want, sizeof(want), "GET %s/" LOT "/session/", sim_api_base());
    assert_non_null(strstr(seen, want));
    assert_non_null(strstr(seen, "?access_key=sandbox-test-key HTTP/1.1\n"));
    /* removed: direct again */
    assert_int_equal(coord_client_set_proxy(c, NULL), COORD_OK);
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 1);
    coord_client_free(c);
}

static void the_environment_when_asked(void **state)
{
    coord_client *c = new_client();
    char seen[4096];
    (void)state;

    setenv("http_proxy", proxy_url, 1);
    assert_int_equal(coord_client_set_proxy_from_environment(c, 1), COORD_OK);
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 1);
    setenv("no_proxy", "127.0.0.1", 1); /* libcurl's rules, read at each connection */
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 1);
    unsetenv("no_proxy");
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 2);
    assert_int_equal(coord_client_set_proxy_from_environment(c, 0), COORD_OK);
    get_one(c);
    assert_int_equal(proxied(seen, sizeof(seen)), 2);
    assert_int_equal(coord_client_set_proxy_from_environment(c, 2), COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

static void on_session(coord_call *call, coord_status status, const coord_error *error,
                       const coord_session *session, void *user_data)
{
    (void)call;
    (void)error;
    *(coord_status *)user_data = status;
    assert_true(status != COORD_OK || session != NULL);
}

/* The non-blocking calls' handles follow the client's proxy setting too. */
static void non_blocking_calls_follow_the_setting(void **state)
{
    coord_client *c = new_client();
    int64_t id = sim_session(LOT, 5, 0, NULL, 0);
    coord_status done = COORD_ERR_TRANSPORT;
    coord_loop *loop = NULL;
    char seen[4096];
    (void)state;

    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    setenv("http_proxy", proxy_url, 1);
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &done, NULL), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(done, COORD_OK);
    assert_int_equal(proxied(seen, sizeof(seen)), 0);
    assert_int_equal(coord_client_set_proxy(c, proxy_url), COORD_OK);
    done = COORD_ERR_TRANSPORT;
    assert_int_equal(coord_session_get_async(loop, c, LOT, id, on_session, &done, NULL), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(done, COORD_OK);
    assert_int_equal(proxied(seen, sizeof(seen)), 1);
    coord_loop_free(loop);
    coord_client_free(c);
}

static void proxy_urls_are_checked(void **state)
{
    static const char *const bad[] = {
        "", "127.0.0.1:3128", "ftp://127.0.0.1:21", "http://", "http:///p",
        "http://user:secret@127.0.0.1:3128", "http://127.0.0.1:3128/?x", "http://p#",
        "http://p\\@evil.example", "http://127.0.0.1:99999", "http://p\n",
    };
    coord_client *c = new_client();
    char seen[4096];
    (void)state;

    assert_int_equal(coord_client_set_proxy(c, proxy_url), COORD_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (coord_client_set_proxy(c, bad[i]) != COORD_ERR_INVALID_ARGUMENT)
            fail_msg("proxy \"%s\" was accepted", bad[i]);
        assert_null(strstr(coord_client_last_error(c)->detail, "secret"));
    }
    get_one(c); /* the previous proxy is kept */
    assert_int_equal(proxied(seen, sizeof(seen)), 1);
    assert_int_equal(coord_client_set_proxy(c, "socks5h://127.0.0.1:1080"), COORD_OK);
    assert_int_equal(coord_client_set_proxy(c, "https://[::1]:3129/"), COORD_OK);
    assert_int_equal(coord_client_set_proxy(NULL, proxy_url), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_proxy_from_environment(NULL, 1),
                     COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

static void a_proxy_that_refuses_is_a_transport_error(void **state)
{
    coord_client *c = new_client();
    char closed[128];
    coord_session s;
    (void)state;

    sim_closed_port_base(closed, sizeof(closed));
    *strstr(closed, "/v1") = '\0'; /* the proxy is host:port only */
    assert_int_equal(coord_client_set_proxy(c, closed), COORD_OK);
    assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_TRANSPORT);
    assert_int_equal(sim_api_requests(), 0);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(the_environment_is_ignored_by_default, setup),
        cmocka_unit_test_setup(an_explicit_proxy_carries_every_call, setup),
        cmocka_unit_test_setup(the_environment_when_asked, setup),
        cmocka_unit_test_setup(non_blocking_calls_follow_the_setting, setup),
        cmocka_unit_test_setup(proxy_urls_are_checked, setup),
        cmocka_unit_test_setup(a_proxy_that_refuses_is_a_transport_error, setup),
    };
    return cmocka_run_group_tests_name("proxies (simulator, a test proxy)", tests, start_proxy,
                                       stop_proxy);
}
