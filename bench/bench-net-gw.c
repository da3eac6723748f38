/*
 * bench-net's server on genwire (bench/bench-net.h): net.h's listener and
 * one echo task per connection on the executor, the backend given.
 */
#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/error.h>
#include <genwire/exec.h>
#include <genwire/io.h>
#include <genwire/net.h>

#include "bench-net.h"

/* ---- the genwire server ----------------------------------------------------- */

/* One connection: echo until end of stream or an error. */
typedef struct g_conn {
    GW_FRAME(gw_wait);
    gw_conn c;
    gw_io_op *op;
    uint8_t buf[BUF];
    int ret;
} g_conn;

static void g_conn_cleanup(gw_frame *f)
{
    gw_conn_close(&((g_conn *)(void *)f)->c);
}

GW_GENERATOR(g_conn, g_conn_cleanup);
GW_BODY(g_conn, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->c.io.r, s->buf, sizeof(s->buf), 1));
        if (s->op->ret < 0 || s->op->n == 0)
            break;
        GW_AWAIT(s, op, gw_write(&s->c.io.w, s->buf, s->op->n));
        if (s->op->ret < 0)
            break;
        bench_echoed += s->op->n;
    }
    gw_conn_close(&s->c);
    GW_END(s);
}

static void g_conn_done(gw_task *t, int cancelled, void *ud)
{
    (void)t;
    (void)cancelled;
    free(ud);
}

/* The listener: accept, spawn a g_conn, again. */
typedef struct g_server {
    GW_FRAME(gw_wait);
    gw_exec *ex;
    gw_listener l;
    g_conn *next;
    gw_net_op *op;
    int ret;
} g_server;

static void g_server_cleanup(gw_frame *f)
{
    g_server *s = (g_server *)(void *)f;

    free(s->next);
    s->next = NULL;
}

GW_GENERATOR(g_server, g_server_cleanup);
GW_BODY(g_server, s)
{
    GW_BEGIN(s);
    for (;;) {
        if ((s->next = calloc(1, sizeof(*s->next))) == NULL)
            bench_die("calloc");
        gw_conn_init(&s->next->c);
        GW_AWAIT(s, op, gw_accept(&s->l, &s->next->c));
        if (s->op->ret != 0) {
            fprintf(stderr, "bench-net: accept: %s\n", gw_strerror(s->op->ret));
            exit(1);
        }
        GW_INIT(s->next, g_conn);
        if (GW_SPAWN(s->ex, s->next, g_conn_done, s->next) == NULL)
            bench_die("spawn");
        s->next = NULL;
    }
    GW_END(s);
}

/* The control pipe's watcher: the window's opening byte, then the count. */
typedef struct g_ctl {
    GW_FRAME(gw_wait);
    gw_fdio io;
    result *res;
    const char *name; /* the server's, for the callgrind line */
    gw_io_op *op;
    uint8_t b;
    int ret;
} g_ctl;

GW_GENERATOR(g_ctl, NULL);
GW_BODY(g_ctl, s)
{
    GW_BEGIN(s);
    GW_AWAIT(s, op, gw_read(&s->io.r, &s->b, 1, 1));
    bench_window_open();
    GW_AWAIT(s, op, gw_read(&s->io.r, &s->res->win, sizeof(s->res->win), sizeof(s->res->win)));
    bench_window_close(s->name);
    if (s->op->ret != 0)
        bench_die("control pipe");
    s->res->stop = 1;
    /* Ready again at once, so that this turn does not go on to sleep in
     * poll() (a turn sleeps after running its tasks unless one is ready). */
    GW_YIELD(s, gw_wait_ready());
    GW_END(s);
}

void bench_run_genwire(gw_exec_backend backend, const job *j, int jobfd, int ctl, result *res)
{
    gw_exec *ex = gw_exec_new_backend(backend);
    g_server srv;
    g_ctl c;
    gw_net_opts o;
    job jj = *j;

    if (ex == NULL)
        bench_die("gw_exec_new_backend");
    memset(&srv, 0, sizeof(srv));
    memset(&c, 0, sizeof(c));
    memset(&o, 0, sizeof(o));
    o.flags = GW_NET_NODELAY;
    if (gw_listen(&srv.l, "127.0.0.1:0", &o, NULL) != 0)
        bench_die("gw_listen");
    jj.port = gw_listener_port(&srv.l);
    GW_INIT(&srv, g_server);
    srv.ex = ex;
    GW_INIT(&c, g_ctl);
    c.res = res;
    c.name = backend == GW_EXEC_POLL ? "genwire poll" : "genwire epoll";
    if (gw_fdio_init(&c.io, ctl, GW_FDIO_OWN | GW_FDIO_NONBLOCK) != 0)
        bench_die("gw_fdio_init");
    if (GW_SPAWN(ex, &srv, NULL, NULL) == NULL || GW_SPAWN(ex, &c, NULL, NULL) == NULL)
        bench_die("spawn");
    bench_write_all(jobfd, &jj, sizeof(jj));
    while (!res->stop) {
        if (gw_exec_run_once(ex, 1) < 0)
            bench_die("gw_exec_run_once");
    }
    gw_exec_free(ex); /* cancels every connection, which closes it */
    gw_listener_close(&srv.l);
    gw_fdio_fini(&c.io); /* closes ctl */
}
