/*
 * bench-net's server on libuv (bench/bench-net.h), the same echo as
 * bench-net-gw.c's: uv_read_start into a buffer per connection, uv_try_write
 * back (uv_write for a remainder, which 64-byte echoes never leave).
 */
#define _GNU_SOURCE

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "bench-net.h"

/* ---- the libuv server ------------------------------------------------------- */

typedef struct u_conn {
    uv_tcp_t h;
    char buf[BUF];
} u_conn;

typedef struct u_write {
    uv_write_t req;
    uv_buf_t b;
} u_write;

static void u_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)suggested;
    *b = uv_buf_init(((u_conn *)h)->buf, BUF);
}

static void u_free(uv_handle_t *h)
{
    free(h);
}

static void u_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void u_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    if (n > 0) {
        uv_buf_t w = uv_buf_init(b->base, (unsigned)n);
        int k = uv_try_write(st, &w, 1);
        u_write *wr;

        if (k > 0)
            bench_echoed += (uint64_t)k;
        if (k == n)
            return;
        if (k == UV_EAGAIN)
            k = 0;
        if (k < 0) {
            uv_close((uv_handle_t *)st, u_free);
            return;
        }
        /* The rest, copied: the buffer is reused by the next read. */
        if ((wr = malloc(sizeof(*wr) + (size_t)(n - k))) == NULL)
            bench_die("malloc");
        memcpy(wr + 1, b->base + k, (size_t)(n - k));
        wr->b = uv_buf_init((char *)(wr + 1), (unsigned)(n - k));
        uv_write(&wr->req, st, &wr->b, 1, u_written);
        bench_echoed += (uint64_t)(n - k);
    } else if (n < 0) {
        uv_close((uv_handle_t *)st, u_free);
    }
}

static void u_connection(uv_stream_t *srv, int status)
{
    u_conn *c;

    if (status < 0 || (c = malloc(sizeof(*c))) == NULL)
        bench_die("libuv connection");
    uv_tcp_init(srv->loop, &c->h);
    c->h.data = NULL; /* u_close_walk frees it */
    if (uv_accept(srv, (uv_stream_t *)&c->h) != 0) {
        uv_close((uv_handle_t *)&c->h, u_free);
        return;
    }
    uv_tcp_nodelay(&c->h, 1);
    uv_read_start((uv_stream_t *)&c->h, u_alloc, u_read);
}

/* The control pipe, as g_ctl. */
typedef struct u_ctl {
    uv_pipe_t h;
    result *res;
    uint8_t got[1 + sizeof(window)];
    size_t n;
} u_ctl;

static void u_ctl_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    u_ctl *c = (u_ctl *)h;

    (void)suggested;
    *b = uv_buf_init((char *)c->got + c->n, (unsigned)(sizeof(c->got) - c->n));
}

static void u_ctl_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    u_ctl *c = (u_ctl *)st;
    (void)b;
    if (n < 0) {
        fprintf(stderr, "bench-net: control pipe: %s\n", uv_strerror((int)n));
        exit(1);
    }
    if (c->n == 0 && n > 0)
        bench_window_open();
    c->n += (size_t)n;
    if (c->n == sizeof(c->got)) {
        bench_window_close("libuv");
        memcpy(&c->res->win, c->got + 1, sizeof(c->res->win));
        c->res->stop = 1;
        uv_read_stop(st);
        uv_stop(st->loop);
    }
}

static void u_close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    /* The control pipe and the listener live on the stack. */
    uv_close(h, h->data == NULL ? u_free : NULL);
}

void bench_run_libuv(const job *j, int jobfd, int ctl, result *res)
{
    uv_loop_t loop;
    uv_tcp_t lis;
    u_ctl c;
    struct sockaddr_in sa;
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    job jj = *j;

    memset(&c, 0, sizeof(c));
    if (uv_loop_init(&loop) != 0)
        bench_die("uv_loop_init");
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(&loop, &lis);
    lis.data = &lis;
    if (uv_tcp_bind(&lis, (const struct sockaddr *)&sa, 0) != 0 ||
        uv_listen((uv_stream_t *)&lis, 511, u_connection) != 0 ||
        uv_tcp_getsockname(&lis, (struct sockaddr *)&ss, &len) != 0)
        bench_die("libuv listen");
    jj.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    uv_pipe_init(&loop, &c.h, 0);
    c.h.data = &c;
    c.res = res;
    if (uv_pipe_open(&c.h, ctl) != 0)
        bench_die("uv_pipe_open");
    uv_read_start((uv_stream_t *)&c.h, u_ctl_alloc, u_ctl_read);
    bench_write_all(jobfd, &jj, sizeof(jj));
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_walk(&loop, u_close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        bench_die("uv_loop_close");
}
