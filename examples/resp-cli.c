/*
 * resp-cli: a pipelining Redis client written with genwire.
 *
 *   resp-cli [-h HOST] [-p PORT] [-s SOCKET] [-3] [--pipeline N]
 *
 * Reads commands from standard input, one per line, split as redis-cli
 * splits them; sends them with up to N in flight (default 1); prints each
 * reply as one line of JSON (the mapping of docs/resp.md), as soon as it is
 * decoded.  -3 sends HELLO 3 first (its reply is printed too).  Push
 * messages are printed as they arrive and do not count as replies.  Exit 0
 * at end of input once every reply arrived; 1 with "resp-cli: <what>" on a
 * protocol or connection error.  SIGINT and SIGTERM end it after writing
 * what it has.
 *
 * Two tasks on one executor: the sender reads standard input and writes
 * commands, waiting on an event while N are in flight; the receiver reads
 * replies with the tree reader and writes them out.  The connection is
 * made with a plain socket (net.h had not landed when this was written),
 * then driven as a non-blocking gw_fdio.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <genwire/frame.h>
#include <genwire/resp.h>

#include "../tools/resp-text.h"

#define BUF      (256u << 10)
#define LINE_MAX_BYTES (8u << 20) /* the longest command line */
#define MAX_ARGS 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

typedef struct cli {
    gw_fdio sock, in, out;
    gw_bufreader sin;    /* standard input */
    gw_bufreader rin;    /* the replies */
    gw_bufwriter wout;   /* to the server */
    gw_bufwriter sout;   /* standard output */
    gw_record_reader lines;
    gw_resp_writer rw;
    gw_resp_tree tree;
    gw_event room;       /* signalled when a reply arrives */
    gw_exec *ex;         /* the executor */
    gw_task *rtask;      /* the receiver's task */
    long inflight, pipeline;
    int input_done;      /* every command is sent */
    int hello;           /* send HELLO 3 first */
    int resp3;
    char *args, *json;
    size_t jcap;
    const char **argv;
    size_t *argl;
    char why[256];       /* the error, or "" */
} cli;

static int fail(cli *c, const char *what, int err)
{
    if (c->why[0] == 0)
        snprintf(c->why, sizeof(c->why), "%s: %s", what, gw_strerror(err));
    return err;
}

/* ---- the sender -------------------------------------------------------------- */

typedef struct sender {
    GW_FRAME(gw_wait);
    cli *c;
    gw_io_op *op;
    int res;
    long argc;
    int ret;
} sender;

GW_GENERATOR(sender, NULL);
GW_BODY(sender, s)
{
    cli *c = s->c;

    GW_BEGIN(s);
    if (c->hello) {
        static const char *hello[2] = {"HELLO", "3"};
        GW_AWAIT(s, op, gw_resp_write_command(&c->rw, 2, hello, NULL));
        c->inflight++;
    }
    for (;;) {
        if (stop)
            break;
        /* Flush before waiting for room or for input. */
        if (c->inflight >= c->pipeline) {
            GW_AWAIT(s, op, gw_flush(&c->wout.w));
            if (s->op->ret < 0)
                GW_RETURN(s, fail(c, "write", s->op->ret));
        }
        /* A full window drains to half before more is sent, so that
         * commands go out in batches, not one per reply. */
        if (c->inflight >= c->pipeline)
            while (c->inflight > c->pipeline / 2 && !stop)
                GW_YIELD(s, gw_wait_event(&c->room, GW_NO_DEADLINE));
        if ((s->res = gw_record_try_next(&c->lines)) == 0) {
            GW_AWAIT(s, op, gw_flush(&c->wout.w));
            if (s->op->ret < 0)
                GW_RETURN(s, fail(c, "write", s->op->ret));
            GW_AWAIT(s, op, gw_record_next(&c->lines));
            s->res = s->op->ret;
        }
        if (s->res < 0)
            GW_RETURN(s, fail(c, "standard input", s->res));
        if (s->res == 0)
            break;
        s->argc = resp_split((const char *)c->lines.data, c->lines.len, c->args, c->argv, c->argl,
                             MAX_ARGS);
        if (s->argc < 0) {
            snprintf(c->why, sizeof(c->why), "input: unbalanced quotes");
            GW_RETURN(s, GW_EINVAL);
        }
        if (s->argc == 0)
            continue;
        GW_AWAIT(s, op, gw_resp_write_command(&c->rw, (size_t)s->argc, c->argv, c->argl));
        if (s->op->ret < 0)
            GW_RETURN(s, fail(c, "write", s->op->ret));
        c->inflight++;
    }
    GW_AWAIT(s, op, gw_flush(&c->wout.w));
    if (s->op->ret < 0)
        GW_RETURN(s, fail(c, "write", s->op->ret));
    c->input_done = 1;
    if (c->inflight == 0)
        gw_task_cancel(c->ex, c->rtask); /* it is waiting for a reply that will not come */
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Nonzero for the push that answers a (un)subscribe command in RESP3 (one
 * channel per command is counted as its reply). */
static int confirms(const gw_resp_value *v)
{
    const char *k;

    if (v->len == 0 || (v->elems[0].type != GW_RESP_BULK && v->elems[0].type != GW_RESP_SIMPLE))
        return 0;
    k = v->elems[0].str;
    return strstr(k, "subscribe") != NULL && strcmp(k, "message") != 0;
}

/* ---- the receiver --------------------------------------------------------------- */

typedef struct receiver {
    GW_FRAME(gw_wait);
    cli *c;
    gw_io_op *op;
    int res;
    int ret;
} receiver;

GW_GENERATOR(receiver, NULL);
GW_BODY(receiver, s)
{
    cli *c = s->c;
    const gw_resp_value *v;
    size_t n;

    GW_BEGIN(s);
    for (;;) {
        /* The socket is always read: pushes may come at any time.  The
         * sender cancels this task if input ends with nothing in flight. */
        if (stop || (c->inflight == 0 && c->input_done))
            break;
        if ((s->res = gw_resp_tree_try_next(&c->tree)) == 0) {
            /* No whole reply buffered: what was decoded goes out before
             * waiting for more. */
            GW_AWAIT(s, op, gw_flush(&c->sout.w));
            GW_AWAIT(s, op, gw_resp_tree_next(&c->tree));
            s->res = s->op->ret;
        }
        if (s->res < 0)
            GW_RETURN(s, fail(c, "reply", s->res));
        if (s->res == 0) {
            snprintf(c->why, sizeof(c->why), "connection closed by the server");
            GW_RETURN(s, GW_ETRUNCATED);
        }
        v = c->tree.value;
        n = resp_json_bound(v) + 1;
        if (n > c->jcap) {
            free(c->json);
            c->jcap = n;
            if ((c->json = malloc(n)) == NULL)
                GW_RETURN(s, fail(c, "reply", GW_ENOMEM));
        }
        n = resp_json(v, c->json);
        c->json[n++] = '\n';
        GW_AWAIT(s, op, gw_write(&c->sout.w, c->json, n));
        if ((c->tree.value->type != GW_RESP_PUSH || confirms(c->tree.value)) && c->inflight > 0) {
            c->inflight--;
            gw_event_signal(&c->room);
        }
    }
    GW_AWAIT(s, op, gw_flush(&c->sout.w));
    GW_RETURN(s, 0);
    GW_END(s);
}

/* ---- set-up ------------------------------------------------------------------------- */

static int connect_to(const char *host, const char *port, const char *path, char *why, size_t n)
{
    int fd = -1;

    if (path != NULL) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(sa.sun_path)) {
            snprintf(why, n, "socket path too long");
            return -1;
        }
        strcpy(sa.sun_path, path);
        if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
            connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            snprintf(why, n, "connect %s: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        return fd;
    } else {
        struct addrinfo hints, *res, *ai;
        int e;
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
            snprintf(why, n, "%s: %s", host, gai_strerror(e));
            return -1;
        }
        for (ai = res; ai != NULL; ai = ai->ai_next) {
            if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0)
                continue;
            if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
                break;
            close(fd);
            fd = -1;
        }
        if (fd < 0)
            snprintf(why, n, "connect %s:%s: %s", host, port, strerror(errno));
        freeaddrinfo(res);
        return fd;
    }
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = "6379", *path = NULL;
    static cli c;
    sender snd;
    receiver rcv;
    gw_frame_limits lim;
    gw_exec *ex;
    struct sigaction sa;
    int fd, i, err = 0;

    c.pipeline = 1;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            port = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "-3") == 0)
            c.hello = c.resp3 = 1;
        else if (strcmp(argv[i], "--pipeline") == 0 && i + 1 < argc && atol(argv[i + 1]) > 0)
            c.pipeline = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: resp-cli [-h HOST] [-p PORT] [-s SOCKET] [-3] [--pipeline N]\n");
            return 2;
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((fd = connect_to(host, port, path, c.why, sizeof(c.why))) < 0) {
        fprintf(stderr, "resp-cli: %s\n", c.why);
        return 1;
    }
    c.args = malloc(LINE_MAX_BYTES);
    c.argv = malloc(MAX_ARGS * sizeof(*c.argv));
    c.argl = malloc(MAX_ARGS * sizeof(*c.argl));
    gw_frame_limits_default(&lim);
    lim.max_record = lim.max_line = LINE_MAX_BYTES - 2;
    lim.max_empty = GW_UNLIMITED;
    if (c.args == NULL || c.argv == NULL || c.argl == NULL ||
        gw_fdio_init(&c.sock, fd, GW_FDIO_OWN | GW_FDIO_NONBLOCK) < 0 ||
        gw_fdio_init(&c.in, 0, GW_FDIO_NONBLOCK) < 0 || gw_fdio_init(&c.out, 1, 0) < 0 ||
        gw_bufreader_init(&c.sin, &c.in.r, LINE_MAX_BYTES) < 0 ||
        gw_bufreader_init(&c.rin, &c.sock.r, BUF) < 0 ||
        gw_bufwriter_init(&c.wout, &c.sock.w, BUF) < 0 ||
        gw_bufwriter_init(&c.sout, &c.out.w, BUF) < 0 ||
        gw_record_reader_init(&c.lines, &c.sin, GW_FRAME_LINES, &lim, GW_RECORD_ASSEMBLE) < 0 ||
        gw_resp_tree_init(&c.tree, &c.rin, NULL) < 0 || (ex = gw_exec_new()) == NULL) {
        fprintf(stderr, "resp-cli: out of memory\n");
        return 1;
    }
    gw_resp_writer_init(&c.rw, &c.wout);
    GW_INIT(&snd, sender);
    snd.c = &c;
    snd.ret = 0;
    GW_INIT(&rcv, receiver);
    rcv.c = &c;
    rcv.ret = 0;
    c.ex = ex;
    if ((c.rtask = GW_SPAWN(ex, &rcv, NULL, NULL)) == NULL || GW_SPAWN(ex, &snd, NULL, NULL) == NULL) {
        fprintf(stderr, "resp-cli: out of memory\n");
        return 1;
    }
    while (gw_exec_ntasks(ex) > 0 && err >= 0) {
        err = gw_exec_run_once(ex, 1);
        if (c.why[0] != 0)
            break;
    }
    gw_exec_free(ex);
    gw_fdio_fini(&c.in);
    if (c.why[0] == 0 && snd.ret < 0)
        fail(&c, "send", snd.ret);
    if (c.why[0] == 0 && err < 0)
        fail(&c, "executor", err);
    if (c.why[0] != 0) {
        fflush(stdout);
        fprintf(stderr, "resp-cli: %s\n", c.why);
        return 1;
    }
    return 0;
}
