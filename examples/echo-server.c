/*
 * echo-server: a TCP or Unix socket echo server on genwire's executor, and
 * the program the net tests drive as a user would.
 *
 *   echo-server [--listen ADDR] [--idle-timeout MS] [--max-conns N]
 *
 * ADDR is host:port, [v6addr]:port or unix:PATH (default 127.0.0.1:0).  The
 * first line on standard output, flushed at once, is "listening on ADDR"
 * with the real port.  Every connection is one task that echoes every byte
 * (straight-line generator code below); one idle for MS milliseconds
 * (default 60000; 0: never) is closed.  Beyond N connections (default 1000)
 * a new one is accepted and closed at once.  SIGUSR1 prints the task dump on
 * standard error.  SIGTERM and SIGINT close the listener, let the open
 * connections finish for up to a second, then exit 0.
 *
 * The signal pipe and the main loop are examples/server-loop.c, shared
 * with http-serve.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <genwire/exec.h>
#include <genwire/io.h>
#include <genwire/net.h>

#include "server-loop.h"

#define MS (1000000LL)

/* The server's state, shared by its tasks. */
typedef struct server {
    gw_exec *ex;
    gw_listener l;
    int64_t idle; /* ns, 0: none */
    long max_conns;
    long live; /* connection tasks alive */
} server;

/* One connection: read what came, write it back, until the peer ends,
 * an error, or the idle timeout. */
typedef struct conn_task {
    GW_FRAME(gw_wait);
    server *srv;
    gw_conn c;
    uint8_t buf[16384];
    gw_io_op *op;
    int ret;
} conn_task;

static void conn_cleanup(gw_frame *f)
{
    gw_conn_close(&((conn_task *)(void *)f)->c);
}

GW_GENERATOR(conn_task, conn_cleanup);
GW_BODY(conn_task, s)
{
    GW_BEGIN(s);
    s->c.io.r.timeout = s->srv->idle;
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->c.io.r, s->buf, sizeof(s->buf), 1));
        if (s->op->ret != 0 || s->op->n == 0)
            break;
        GW_AWAIT(s, op, gw_write(&s->c.io.w, s->buf, s->op->n));
        if (s->op->ret != 0)
            break;
    }
    gw_conn_close(&s->c);
    GW_END(s);
}

static void conn_done(gw_task *t, int cancelled, void *ud)
{
    conn_task *c = ud;
    server *srv = c->srv;

    (void)t;
    (void)cancelled;
    srv->live--;
    free(c);
    if (server_loop_stopping() && srv->live == 0)
        server_loop_wake();
}

static server srv;

/* A new connection's frame, for the acceptor. */
static void *conn_alloc(gw_conn **conn)
{
    conn_task *c = calloc(1, sizeof(*c));

    if (c != NULL)
        *conn = &c->c;
    return c;
}

/* Starts a connection's task, or refuses it beyond the limit. */
static int conn_start(void *frame)
{
    conn_task *c = frame;

    if (srv.live >= srv.max_conns)
        return -1;
    GW_INIT(c, conn_task);
    c->srv = &srv;
    if (GW_SPAWN(srv.ex, c, conn_done, c) == NULL)
        return -1;
    srv.live++;
    return 0;
}

static int usage(const char *msg)
{
    fprintf(stderr,
            "echo-server: %s\nusage: echo-server [--listen ADDR] [--idle-timeout MS] "
            "[--max-conns N]\n",
            msg);
    return 2;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1:0";
    long idle_ms = 60000, max = 1000;
    static accept_task acc;
    gw_task *acc_task;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: echo-server [--listen ADDR] [--idle-timeout MS] [--max-conns N]\n");
            return 0;
        }
        if (i + 1 >= argc)
            return usage("missing value or unknown option");
        if (strcmp(argv[i], "--listen") == 0)
            addr = argv[++i];
        else if (strcmp(argv[i], "--idle-timeout") == 0 &&
                 (idle_ms = server_option_number(argv[++i], 1000000000L)) >= 0)
            continue;
        else if (strcmp(argv[i], "--max-conns") == 0 &&
                 (max = server_option_number(argv[++i], 1000000000L)) >= 0)
            continue;
        else
            return usage("bad option or value (numbers: 0 to 1000000000)");
    }
    srv.idle = idle_ms * MS;
    srv.max_conns = max;
    if ((srv.ex = gw_exec_new()) == NULL || server_loop_init(srv.ex) != 0) {
        perror("echo-server");
        return 1;
    }
    if (server_listen("echo-server", &srv.l, addr) != 0)
        return 1;
    if ((acc_task = server_acceptor_spawn(srv.ex, &acc, &srv.l, conn_alloc, conn_start)) == NULL) {
        fprintf(stderr, "echo-server: out of memory\n");
        return 1;
    }
    return server_loop_run("echo-server", srv.ex, &srv.l, acc_task, &srv.live);
}
