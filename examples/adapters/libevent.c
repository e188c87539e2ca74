/* libcoord's loop in libevent: the glue is the first half of this file
 * (copy it); main() ends sessions with it (demo.c).
 *
 *   COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... libevent LOCATION SESSION_ID...
 */
#include <event2/event.h>

#include <coord/coord.h>

#include "demo.h"

typedef struct event_glue {
    struct event_base *base;
    struct event *timer;
    coord_loop *loop;
} event_glue;

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
    event_glue *g = arg;

    (void)coord_loop_socket_ready(g->loop, (int)fd,
                                  ((what & EV_READ) ? COORD_WATCH_IN : 0) |
                                      ((what & EV_WRITE) ? COORD_WATCH_OUT : 0));
}

/* One event per watched socket, attached to it with coord_loop_assign(). */
static void on_socket(coord_loop *loop, int fd, int events, void *user_data, void *socket_data)
{
    event_glue *g = user_data;
    struct event *ev = socket_data;
    short what = (short)(((events & COORD_WATCH_IN) ? EV_READ : 0) |
                         ((events & COORD_WATCH_OUT) ? EV_WRITE : 0) | EV_PERSIST);

    if (ev != NULL) /* changed or stopped: a new one, or none */
        event_free(ev);
    if (events == 0)
        return;
    ev = event_new(g->base, fd, what, on_ready, g);
    if (ev != NULL && event_add(ev, NULL) != 0) {
        event_free(ev);
        ev = NULL;
    }
    if (coord_loop_assign(loop, fd, ev) != COORD_OK && ev != NULL)
        event_free(ev);
}

static void on_due(evutil_socket_t fd, short what, void *arg)
{
    event_glue *g = arg;

    (void)fd;
    (void)what;
    (void)coord_loop_timeout(g->loop);
}

static void on_timer(coord_loop *loop, int64_t timeout_ms, void *user_data)
{
    event_glue *g = user_data;
    struct timeval tv;

    (void)loop;
    if (timeout_ms < 0) {
        evtimer_del(g->timer);
        return;
    }
    tv.tv_sec = (long)(timeout_ms / 1000);
    tv.tv_usec = (long)(timeout_ms % 1000) * 1000;
    evtimer_add(g->timer, &tv);
}

static int event_glue_init(event_glue *g, struct event_base *base, coord_loop *loop)
{
    g->base = base;
    g->loop = loop;
    g->timer = evtimer_new(base, on_due, g);
    if (g->timer == NULL)
        return -1;
    return coord_loop_set_callbacks(loop, on_socket, on_timer, g) == COORD_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct event_base *base = event_base_new();
    event_glue glue;
    coord_loop *loop = NULL;
    int rc, finished;

    if (base == NULL || coord_loop_new(&loop) != COORD_OK || event_glue_init(&glue, base, loop) != 0)
        return 1;
    rc = demo_start(loop, argc, argv);
    while (rc == 0 && coord_loop_calls(loop) > 0)
        event_base_loop(base, EVLOOP_ONCE);
    coord_loop_free(loop);
    event_free(glue.timer);
    event_base_free(base);
    finished = demo_finish();
    return rc != 0 ? rc : finished;
}
