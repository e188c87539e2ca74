/* libcoord's loop in a plain poll() loop: the glue is the first half of
 * this file (copy it); main() ends sessions with it (demo.c).
 *
 *   COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... poll LOCATION SESSION_ID...
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

#include <coord/coord.h>

#include "demo.h"

/* Sockets watched at once: a connection may open two while it connects
 * (IPv6 and IPv4), so main() keeps the loop's connections to half of it. */
#define WATCH_MAX 256

typedef struct poll_glue {
    struct pollfd fds[WATCH_MAX];
    nfds_t count;
    int64_t due_ms; /* libcoord's timer, on the monotonic clock; -1: none */
} poll_glue;

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcoord: watch fd for events (0: stop watching it). */
static void on_socket(coord_loop *loop, int fd, int events, void *user_data, void *socket_data)
{
    poll_glue *g = user_data;
    nfds_t i = 0;

    (void)loop;
    (void)socket_data;
    while (i < g->count && g->fds[i].fd != fd)
        i++;
    if (events == 0) {
        if (i < g->count)
            g->fds[i] = g->fds[--g->count];
        return;
    }
    if (i == g->count) {
        if (g->count == WATCH_MAX)
            return; /* cannot happen with the limits main() sets */
        /* the whole slot: a stale .revents would report the new socket ready */
        g->fds[g->count++] = (struct pollfd){.fd = fd};
    }
    g->fds[i].events = (short)(((events & COORD_WATCH_IN) ? POLLIN : 0) |
                               ((events & COORD_WATCH_OUT) ? POLLOUT : 0));
}

/* libcoord: call coord_loop_timeout() in timeout_ms (-1: no timer). */
static void on_timer(coord_loop *loop, int64_t timeout_ms, void *user_data)
{
    poll_glue *g = user_data;

    (void)loop;
    g->due_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* poll()'s timeout: until libcoord's timer is due (-1: no timer), at most INT_MAX ms. */
static int poll_timeout(const poll_glue *g)
{
    int64_t wait;

    if (g->due_ms < 0)
        return -1;
    wait = g->due_ms - now_ms();
    return wait < 0 ? 0 : wait > INT_MAX ? INT_MAX : (int)wait;
}

/* Run until no call is left. Returns 0, or -1 when poll() fails. */
static int poll_run(coord_loop *loop, poll_glue *g)
{
    while (coord_loop_calls(loop) > 0) {
        struct pollfd ready[WATCH_MAX];
        nfds_t n = 0;
        int rc = poll(g->fds, g->count, poll_timeout(g));

        if (rc < 0 && errno != EINTR)
            return -1;
        if (g->due_ms >= 0 && now_ms() >= g->due_ms) {
            g->due_ms = -1;
            (void)coord_loop_timeout(loop);
        }
        /* the callbacks may change g->fds: take the ready ones first */
        for (nfds_t i = 0; rc > 0 && i < g->count; i++)
            if (g->fds[i].revents != 0)
                ready[n++] = g->fds[i];
        for (nfds_t i = 0; i < n; i++)
            (void)coord_loop_socket_ready(loop, ready[i].fd,
                                          ((ready[i].revents & POLLIN) ? COORD_WATCH_IN : 0) |
                                          ((ready[i].revents & POLLOUT) ? COORD_WATCH_OUT : 0) |
                                          ((ready[i].revents & (POLLERR | POLLHUP))
                                               ? COORD_WATCH_ERROR : 0));
    }
    return 0;
}

int main(int argc, char **argv)
{
    poll_glue glue = {.count = 0, .due_ms = -1};
    coord_loop *loop = NULL;
    int rc, finished;

    if (coord_loop_new(&loop) != COORD_OK ||
        coord_loop_set_limits(loop, WATCH_MAX / 2, WATCH_MAX / 2) != COORD_OK ||
        coord_loop_set_callbacks(loop, on_socket, on_timer, &glue) != COORD_OK)
        return 1;
    rc = demo_start(loop, argc, argv);
    if (rc == 0 && poll_run(loop, &glue) != 0)
        perror("poll");
    coord_loop_free(loop);
    finished = demo_finish();
    return rc != 0 ? rc : finished;
}
