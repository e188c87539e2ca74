/* libcoord's loop in libuv: the glue is the first half of this file (copy
 * it); main() ends sessions with it (demo.c).
 *
 *   COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... libuv LOCATION SESSION_ID...
 */
#define _POSIX_C_SOURCE 200809L /* uv.h needs POSIX types */
#include <stdlib.h>

#include <uv.h>

#include <coord/coord.h>

#include "demo.h"

typedef struct uv_glue {
    uv_loop_t *uv;
    uv_timer_t timer;
    coord_loop *loop;
} uv_glue;

/* One per watched socket, attached to it with coord_loop_assign(). */
typedef struct watch {
    uv_poll_t poll;
    uv_glue *glue;
    int fd;
} watch;

static void on_ready(uv_poll_t *handle, int status, int events)
{
    watch *w = handle->data;

    (void)coord_loop_socket_ready(w->glue->loop, w->fd,
                                  status < 0 ? COORD_WATCH_ERROR
                                             : ((events & UV_READABLE) ? COORD_WATCH_IN : 0) |
                                                   ((events & UV_WRITABLE) ? COORD_WATCH_OUT : 0));
}

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

static void on_socket(coord_loop *loop, int fd, int events, void *user_data, void *socket_data)
{
    uv_glue *g = user_data;
    watch *w = socket_data;

    if (events == 0) {
        /* stop watching: the socket may be closed next, which uv_close()
         * alone makes safe (libuv's uv_poll_t documentation) */
        if (w != NULL)
            uv_close((uv_handle_t *)&w->poll, on_closed);
        return;
    }
    if (w == NULL) {
        w = calloc(1, sizeof(*w));
        if (w == NULL || uv_poll_init_socket(g->uv, &w->poll, fd) != 0) {
            free(w);
            return;
        }
        w->poll.data = w;
        w->glue = g;
        w->fd = fd;
        if (coord_loop_assign(loop, fd, w) != COORD_OK) {
            uv_close((uv_handle_t *)&w->poll, on_closed);
            return;
        }
    }
    uv_poll_start(&w->poll, ((events & COORD_WATCH_IN) ? UV_READABLE : 0) |
                                ((events & COORD_WATCH_OUT) ? UV_WRITABLE : 0),
                  on_ready);
}

static void on_due(uv_timer_t *timer)
{
    uv_glue *g = timer->data;

    (void)coord_loop_timeout(g->loop);
}

static void on_timer(coord_loop *loop, int64_t timeout_ms, void *user_data)
{
    uv_glue *g = user_data;

    (void)loop;
    if (timeout_ms < 0)
        uv_timer_stop(&g->timer);
    else
        uv_timer_start(&g->timer, on_due, (uint64_t)timeout_ms, 0);
}

static int uv_glue_init(uv_glue *g, uv_loop_t *uv, coord_loop *loop)
{
    g->uv = uv;
    g->loop = loop;
    g->timer.data = g;
    if (uv_timer_init(uv, &g->timer) != 0)
        return -1;
    return coord_loop_set_callbacks(loop, on_socket, on_timer, g) == COORD_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    uv_glue glue;
    coord_loop *loop = NULL;
    int rc, finished;

    if (coord_loop_new(&loop) != COORD_OK || uv_glue_init(&glue, uv_default_loop(), loop) != 0)
        return 1;
    rc = demo_start(loop, argc, argv);
    while (rc == 0 && coord_loop_calls(loop) > 0)
        uv_run(glue.uv, UV_RUN_ONCE);
    coord_loop_free(loop);
    uv_close((uv_handle_t *)&glue.timer, NULL);
    uv_run(glue.uv, UV_RUN_DEFAULT); /* the closes */
    uv_loop_close(glue.uv);
    finished = demo_finish();
    return rc != 0 ? rc : finished;
}
