/*
 * http-serve: a static file server on genwire's executor, each connection
 * one task written as straight-line generator code: read a request head
 * (gw_http_reader), open the file under the root (serve-files.c), write
 * the response head and the file through a buffered writer, and again for
 * the next request on the connection (keep-alive; pipelined requests are
 * answered in order, the responses flushed together once no request is
 * left buffered).  Text files go out gzip-coded and chunked when the
 * request accepts gzip (deflate layer, chunked writer).
 *
 *   http-serve [--listen ADDR] [--root DIR] [--header-timeout MS] [--idle-timeout MS]
 *
 * Errors from the parser's limits and rules become 400, 414, 431 or 505,
 * other methods than GET and HEAD 405, a request with a body 413; after
 * any of them the response says Connection: close, the write side is shut
 * down and the connection closes.  The first line on standard output is
 * "listening on ADDR"; SIGUSR1 prints the task dump; SIGTERM and SIGINT
 * stop accepting, let open connections finish for up to a second, and
 * exit 0 (examples/server-loop.c, shared with echo-server).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <genwire/compress.h>
#include <genwire/exec.h>
#include <genwire/frame.h>
#include <genwire/http.h>
#include <genwire/io.h>
#include <genwire/net.h>

#include "serve-files.h"
#include "server-loop.h"

#define MS (1000000LL)

static const char usage_text[] =
    "usage: http-serve [--listen ADDR] [--root DIR] [--header-timeout MS] [--idle-timeout MS]\n"
    "\n"
    "Serves the regular files under DIR (default .) over HTTP/1.1: GET and HEAD,\n"
    "keep-alive and pipelining, Content-Length for files, gzip content coding with\n"
    "chunked transfer coding for text files when the request's Accept-Encoding\n"
    "allows gzip (HTTP/1.1 requests only).  A directory serves its index.html.  No\n"
    "Range, no conditional requests, no directory listings, no TLS.\n"
    "\n"
    "  --listen ADDR         host:port, [v6addr]:port or unix:PATH (default\n"
    "                        127.0.0.1:0); the first line on standard output is\n"
    "                        \"listening on ADDR\" with the real port\n"
    "  --root DIR            the directory served; nothing outside it is: \"..\"\n"
    "                        and %2e%2e segments and NUL are 400, a symlink leading\n"
    "                        out of DIR is 404\n"
    "  --header-timeout MS   a request head must arrive whole within MS of the\n"
    "                        first byte of it (of the connection, for the first\n"
    "                        request; default 10000); else the connection closes\n"
    "  --idle-timeout MS     a keep-alive connection with no request for MS is\n"
    "                        closed (default 60000; 0: never)\n"
    "  --help                this text\n"
    "\n"
    "Statuses: 200, 400 (malformed request, smuggling attempts, bad paths), 404,\n"
    "405 (methods but GET and HEAD), 413 (a request body), 414 (target over 8192\n"
    "bytes), 431 (head over 32 KiB or over 100 fields), 505 (HTTP version not\n"
    "1.0 or 1.1).  After any but 200 and 404 the connection closes.\n"
    "SIGUSR1 writes the task dump to standard error; SIGTERM and SIGINT stop\n"
    "accepting, give open connections a second, and exit 0.\n";

static struct {
    gw_exec *ex;
    gw_listener l;
    serve_root root;
    int64_t header_timeout, idle_timeout; /* ns; idle 0: none */
    long live;                            /* connection tasks alive */
} srv;

#define HEAD_BUF 32768 /* a request head must fit: 431 beyond */

/* One connection. */
typedef struct conn_task {
    GW_FRAME(gw_wait);
    gw_conn c;
    gw_bufreader br;   /* requests */
    gw_http_reader rd; /* their heads */
    gw_bufwriter bw;   /* responses */
    int ready;         /* br, rd and bw are set up */
    int first;         /* no request yet on this connection */
    int status;        /* of the response being written */
    int head_only;     /* HEAD: no body */
    int keep;          /* the connection goes on after this response */
    int gzip;          /* the body goes out gzip-coded and chunked */
    serve_file f;      /* the file, f.fd -1 when none */
    uint64_t left;     /* bytes of the file still to send */
    size_t n;          /* bytes in buf */
    gw_deflate z;      /* gzip body: deflate -> chunked -> keep-open -> bw */
    gw_chunked_writer ch;
    serve_keep_open ko;
    gw_io_op *op;
    int ret;
    char head[1024];    /* the response head */
    uint8_t buf[65536]; /* file bytes on their way out */
} conn_task;

static void conn_release(conn_task *s)
{
    if (s->f.fd >= 0)
        close(s->f.fd);
    s->f.fd = -1;
    if (s->ready) {
        gw_http_reader_fini(&s->rd);
        gw_bufreader_fini(&s->br);
        gw_bufwriter_fini(&s->bw);
        s->ready = 0;
    }
    gw_deflate_fini(&s->z);
    gw_chunked_writer_fini(&s->ch);
    gw_conn_close(&s->c);
}

static void conn_cleanup(gw_frame *f)
{
    conn_release((conn_task *)(void *)f);
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

/* The status for a head the reader refused; 0: close without answering
 * (timeouts, resets, a truncated head). */
static int status_of(conn_task *s, int err)
{
    const uint8_t *p = gw_bufreader_peek(&s->br);
    size_t n = gw_bufreader_avail(&s->br), k, sp, last;

    switch (err) {
    case GW_EHTTP_HEAD_TOO_LARGE:
    case GW_EHTTP_TOO_MANY_FIELDS:
        return 431;
    case GW_EHTTP_TARGET_TOO_LONG:
        return 414;
    case GW_EHTTP_VERSION:
        /* A well-formed request line with a version other than 1.0 and 1.1
         * ("GET / HTTP/2.0"): 505; anything else malformed: 400. */
        for (k = 0, sp = 0, last = 0; k < n && p[k] != '\r' && p[k] != '\n'; k++)
            if (p[k] == ' ')
                sp++, last = k;
        if (sp == 2 && k < n && p[k] == '\r' && k == last + 9 &&
            memcmp(p + last, " HTTP/", 6) == 0 && p[last + 6] >= '0' && p[last + 6] <= '9' &&
            p[last + 7] == '.' && p[last + 8] >= '0' && p[last + 8] <= '9')
            return 505;
        return 400;
    case GW_ETIMEDOUT:
    case GW_ETRUNCATED:
    case GW_ECONNRESET:
    case GW_EIO:
    case GW_ECANCELLED:
        return 0;
    default:
        return err <= -60 && err >= -79 ? 400 : 0;
    }
}

/* Decides the response to the head just read: status, file, coding. */
static void route(conn_task *s)
{
    const gw_http_head *h = &s->rd.head;
    const gw_http_framing *fr = &s->rd.framing;

    s->keep = fr->keep_alive && !fr->upgrade;
    s->head_only = h->method == GW_HTTP_HEAD;
    s->gzip = 0;
    if (h->method != GW_HTTP_GET && h->method != GW_HTTP_HEAD)
        s->status = 405;
    else if (fr->body == GW_HTTP_BODY_CHUNKED ||
             (fr->body == GW_HTTP_BODY_LENGTH && fr->length > 0))
        s->status = 413;
    else
        s->status = serve_open(&srv.root, h->target, &s->f);
    if (s->status != 200 && s->status != 404)
        s->keep = 0;
    if (s->status == 200) {
        s->left = s->f.size;
        s->gzip = s->f.text && h->minor == 1 && serve_accepts_gzip(h);
    }
}

/* Formats the response head into s->head; its length. */
static size_t response_head(conn_task *s)
{
    int n;
    const char *conn = !s->keep                ? "Connection: close\r\n"
                       : s->rd.head.minor == 0 ? "Connection: keep-alive\r\n"
                                               : "";

    if (s->status != 200) {
        n = snprintf(s->head, sizeof(s->head),
                     "HTTP/1.1 %d %s\r\nServer: genwire-http-serve\r\nDate: %s\r\n"
                     "Content-Type: text/plain\r\nContent-Length: %zu\r\n%s%s\r\n",
                     s->status, reason(s->status), serve_date(), strlen(reason(s->status)) + 5,
                     s->status == 405 ? "Allow: GET, HEAD\r\n" : "", conn);
    } else if (s->gzip) {
        n = snprintf(s->head, sizeof(s->head),
                     "HTTP/1.1 200 OK\r\nServer: genwire-http-serve\r\nDate: %s\r\n"
                     "Content-Type: %s\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                     "Transfer-Encoding: chunked\r\n%s\r\n",
                     serve_date(), s->f.content_type, conn);
    } else {
        n = snprintf(s->head, sizeof(s->head),
                     "HTTP/1.1 200 OK\r\nServer: genwire-http-serve\r\nDate: %s\r\n"
                     "Content-Type: %s\r\nContent-Length: %llu\r\n%s%s\r\n",
                     serve_date(), s->f.content_type, (unsigned long long)s->f.size,
                     s->f.text ? "Vary: Accept-Encoding\r\n" : "", conn);
    }
    return n > 0 && (size_t)n < sizeof(s->head) ? (size_t)n : 0;
}

/* Reads the next piece of the file into buf (s->n bytes); 0, or -1. */
static int file_piece(conn_task *s)
{
    ssize_t r;

    do
        r = read(s->f.fd, s->buf, s->left < sizeof(s->buf) ? (size_t)s->left : sizeof(s->buf));
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return -1; /* the file shrank or failed: the connection cannot go on */
    s->n = (size_t)r;
    s->left -= (uint64_t)r;
    return 0;
}

GW_GENERATOR(conn_task, conn_cleanup);
GW_BODY(conn_task, s)
{
    size_t hl;

    GW_BEGIN(s);
    if (gw_bufreader_init(&s->br, &s->c.io.r, HEAD_BUF + 1) != 0 ||
        gw_http_reader_init(&s->rd, &s->br, GW_HTTP_REQUEST, NULL) != 0 ||
        gw_bufwriter_init(&s->bw, &s->c.io.w, 65536) != 0) {
        s->ready = 1;
        conn_release(s);
        GW_EXIT(s);
    }
    s->ready = 1;
    s->first = 1;
    for (;;) {
        if (!s->first && gw_bufreader_avail(&s->br) == 0) {
            /* Idle between requests: wait for the first byte of the next. */
            s->c.io.r.deadline = srv.idle_timeout ? gw_now() + srv.idle_timeout : 0;
            GW_AWAIT(s, op, gw_bufreader_fill(&s->br, 1));
            if (s->op->ret < 0 || gw_bufreader_avail(&s->br) == 0)
                break;
        }
        s->first = 0;
        s->c.io.r.deadline = gw_now() + srv.header_timeout;
        GW_AWAIT(s, op, gw_http_read_head(&s->rd));
        s->c.io.r.deadline = 0;
        if (s->op->ret == 0 && s->op->n == 0)
            break; /* the client is done */
        if (s->op->ret < 0) {
            if ((s->status = status_of(s, s->op->ret)) == 0)
                break;
            s->keep = 0;
            s->head_only = 0;
            s->gzip = 0;
        } else {
            route(s);
        }
        /* The head, then the body. */
        if ((hl = response_head(s)) == 0)
            break;
        GW_AWAIT(s, op, gw_write(&s->bw.w, s->head, hl));
        if (s->op->ret < 0)
            break;
        if (s->status != 200) {
            if (!s->head_only) {
                hl = (size_t)snprintf(s->head, sizeof(s->head), "%d %s\n", s->status,
                                      reason(s->status));
                GW_AWAIT(s, op, gw_write(&s->bw.w, s->head, hl));
            }
        } else if (s->head_only) {
            /* HEAD: the fields GET would send, no body. */
        } else if (!s->gzip) {
            while (s->left > 0) {
                if (file_piece(s) != 0)
                    goto out;
                GW_AWAIT(s, op, gw_write(&s->bw.w, s->buf, s->n));
                if (s->op->ret < 0)
                    goto out;
            }
        } else {
            gw_deflate_opts zo;
            gw_deflate_opts_default(&zo);
            zo.level = 1;
            serve_keep_open_init(&s->ko, &s->bw.w);
            if (gw_chunked_writer_init(&s->ch, &s->ko.w, 16384) != 0 ||
                gw_deflate_init(&s->z, &s->ch.w, &zo) != 0)
                goto out;
            while (s->left > 0) {
                if (file_piece(s) != 0)
                    goto out;
                GW_AWAIT(s, op, gw_write(&s->z.w, s->buf, s->n));
                if (s->op->ret < 0)
                    goto out;
            }
            GW_AWAIT(s, op, gw_close(&s->z.w)); /* the trailer, the last chunk */
            gw_deflate_fini(&s->z);
            gw_chunked_writer_fini(&s->ch);
            if (s->op->ret < 0)
                goto out;
        }
        if (s->f.fd >= 0) {
            close(s->f.fd);
            s->f.fd = -1;
        }
        if (!s->keep)
            break;
        /* Pipelined requests already here are answered before the flush. */
        if (gw_bufreader_avail(&s->br) == 0) {
            GW_AWAIT(s, op, gw_flush(&s->bw.w));
            if (s->op->ret < 0)
                goto out;
        }
    }
    /* The end: what is buffered goes out, the write side is shut down, and
     * the request bytes still coming are read and dropped for up to a
     * second, so that the client sees the response rather than a reset. */
    GW_AWAIT(s, op, gw_close(&s->bw.w));
    if (s->op->ret == 0) {
        s->c.io.r.deadline = gw_now() + 1000 * MS;
        do
            GW_AWAIT(s, op, gw_try_read(&s->c.io.r, s->buf, sizeof(s->buf), 1));
        while (s->op->ret == 0 && s->op->n > 0);
    }
out:
    conn_release(s);
    GW_END(s);
}

static void conn_done(gw_task *t, int cancelled, void *ud)
{
    (void)t;
    (void)cancelled;
    srv.live--;
    free(ud);
    if (server_loop_stopping() && srv.live == 0)
        server_loop_wake();
}

/* A new connection's frame, for the acceptor. */
static void *conn_alloc(gw_conn **conn)
{
    conn_task *c = malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    c->ready = 0;
    c->f.fd = -1;
    memset(&c->z, 0, sizeof(c->z));
    memset(&c->ch, 0, sizeof(c->ch));
    *conn = &c->c;
    return c;
}

/* Starts a connection's task. */
static int conn_start(void *frame)
{
    conn_task *c = frame;

    GW_INIT(c, conn_task);
    if (GW_SPAWN(srv.ex, c, conn_done, c) == NULL)
        return -1;
    srv.live++;
    return 0;
}

static int usage(const char *msg)
{
    fprintf(stderr, "http-serve: %s\n%.*s", msg, (int)(strchr(usage_text, '\n') - usage_text + 1),
            usage_text);
    return 2;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1:0", *root = ".";
    long header_ms = 10000, idle_ms = 60000;
    static accept_task acc;
    gw_task *acc_task;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (i + 1 >= argc)
            return usage("missing value or unknown option");
        if (strcmp(argv[i], "--listen") == 0)
            addr = argv[++i];
        else if (strcmp(argv[i], "--root") == 0)
            root = argv[++i];
        else if (strcmp(argv[i], "--header-timeout") == 0 &&
                 (header_ms = server_option_number(argv[++i], 86400000L)) > 0)
            continue;
        else if (strcmp(argv[i], "--idle-timeout") == 0 &&
                 (idle_ms = server_option_number(argv[++i], 86400000L)) >= 0)
            continue;
        else
            return usage("bad option or value (timeouts: 0 to 86400000 ms, header > 0)");
    }
    srv.header_timeout = header_ms * MS;
    srv.idle_timeout = idle_ms * MS;
    if (serve_root_open(&srv.root, root) != 0) {
        fprintf(stderr, "http-serve: cannot serve %s: %s\n", root, strerror(errno));
        return 1;
    }
    if ((srv.ex = gw_exec_new()) == NULL || server_loop_init(srv.ex) != 0) {
        perror("http-serve");
        return 1;
    }
    if (server_listen("http-serve", &srv.l, addr) != 0)
        return 1;
    if ((acc_task = server_acceptor_spawn(srv.ex, &acc, &srv.l, conn_alloc, conn_start)) == NULL) {
        fprintf(stderr, "http-serve: out of memory\n");
        return 1;
    }
    return server_loop_run("http-serve", srv.ex, &srv.l, acc_task, &srv.live);
}
