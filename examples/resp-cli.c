/*
 * resp-cli: a pipelining Redis client written with genwire.
 *
 *   resp-cli [-h HOST] [-p PORT] [-s SOCKET] [-3] [--pipeline N] [--batch B]
 *
 * Reads commands from standard input, one per line, split as redis-cli
 * splits them; sends them with up to N replies owed (default 1), in writes
 * of up to B replies' worth (default N/2, rounded up), so that the next
 * batch goes out while the server still answers the one before; prints each
 * reply as one line of JSON (the mapping of docs/resp.md), as soon as it is
 * decoded.  -3 sends HELLO 3 first (its reply is printed too).  Push
 * messages are printed as they arrive and do not count as replies; so are
 * the messages of a subscribed RESP2 connection (arrays on the wire), which
 * are printed as pushes, {"push": [...]}, as in RESP3.  Exit 0 at end of
 * input once every reply arrived; 1 with "resp-cli: <what>" on a protocol or
 * connection error.  SIGINT and SIGTERM end it after writing what it has.
 *
 * Three tasks on one executor: the connector (gw_connect, with a deadline),
 * then the sender, which reads standard input and writes commands, waiting
 * on an event while its next batch would make more than N replies owed, and
 * the receiver, which reads replies with the tree reader and writes them
 * out, and lets the sender run as soon as a reply made room for its batch.
 *
 * What is in flight is counted in replies, not commands: a (P|S)SUBSCRIBE
 * or (P|S)UNSUBSCRIBE of k channels is answered by k confirmations (pushes
 * in RESP3, arrays in RESP2), and one without channels by one per channel
 * then subscribed (at least one), which the sender learns by letting the
 * replies before it arrive first.  Messages (pushes, or in RESP2 the
 * message arrays of a subscribed connection) are never replies.
 *
 * The state of the connection follows the replies of the commands that
 * change it, whether typed or sent by -3: HELLO's reply gives the protocol
 * ("proto"), RESET's returns to RESP2 with no subscriptions.  The sender
 * numbers the replies it owes, so the receiver knows which reply is
 * theirs.  That accounting is in resp-cli-track.c, the state both files
 * share in resp-cli.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <genwire/frame.h>
#include <genwire/net.h>
#include <genwire/resp.h>

#include "../tools/resp-text.h"
#include "resp-cli.h"

#define BUF             (256u << 10)
#define LINE_MAX_BYTES  (8u << 20) /* the longest command line */
#define MAX_ARGS        65536
#define CONNECT_TIMEOUT (10 * 1000000000ll) /* ns for the whole connect */

static volatile sig_atomic_t stop;

static const char usage[] =
    "usage: resp-cli [-h HOST] [-p PORT] [-s SOCKET] [-3] [--pipeline N] [--batch B]\n";
static const char help[] =
    "Sends the commands of standard input (one a line, split as redis-cli splits\n"
    "them) to a Redis server, and prints each reply as a line of JSON.\n"
    "  -h HOST, -p PORT  the server (127.0.0.1, 6379); -s SOCKET: a Unix socket\n"
    "  -3                send HELLO 3 first (RESP3)\n"
    "  --pipeline N      at most N replies owed at once (1)\n"
    "  --batch B         commands go out in writes of at most B replies' worth,\n"
    "                    as soon as the window has room for them (N/2, rounded\n"
    "                    up): the next batch is sent while the server still\n"
    "                    answers the last\n"
    "Exit 0 once every reply arrived, 1 on a protocol or connection error.\n";

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int fail(cli *c, const char *what, int err)
{
    if (c->why[0] == 0)
        snprintf(c->why, sizeof(c->why), "%s: %s", what, gw_strerror(err));
    return err;
}

/* ---- the sender -------------------------------------------------------------- */

/*
 * Commands are encoded into wout as they are read, and counted as queued;
 * the queue goes out in one write when the window has room for all of it
 * and either the input pauses or the next command cannot join it (the queue
 * holds a batch, the command is too large for the buffer, or it needs the
 * replies before it).  So the next batch is ready while the server answers
 * those in flight, and goes out as soon as enough of their replies arrived:
 * with batches of half a window, the server has the next half queued while
 * the client handles the replies of the last, instead of both taking turns.
 */
typedef struct sender {
    GW_FRAME(gw_wait);
    cli *c;
    gw_io_op *op;
    int res;
    long argc;
    long owed; /* replies the held command will get, or -1 before it is known */
    int mark;  /* its mark */
    int have;  /* a command is held in c->argv */
    int send;  /* the queue goes out next */
    int ret;
} sender;

/* Encodes the held command into wout's free space and queues it; 0 if it
 * does not fit (nothing written). */
static int queue_command(cli *c, sender *s)
{
    gw_bufwriter *b = &c->wout;
    size_t room = b->cap - b->len, n;

    if (b->w.err != 0 || c->queued + s->owed > c->batch)
        return 0;
    n = gw_resp_format_command(b->buf + b->len, room, (size_t)s->argc, c->argv, c->argl);
    if (n > room)
        return 0;
    gw_bufwriter_commit(b, n);
    owe(c, s->argc, s->owed, s->mark);
    c->queued += s->owed;
    return 1;
}

GW_GENERATOR(sender, NULL);
GW_BODY(sender, s)
{
    cli *c = s->c;

    GW_BEGIN(s);
    if (c->hello) {
        c->argv[0] = "HELLO";
        c->argv[1] = "3";
        c->argl[0] = 5;
        c->argl[1] = 1;
        s->argc = 2;
        s->have = 1;
        s->owed = -1;
    }
    for (;;) {
        if (stop)
            break;
        if (!s->have) {
            if ((s->res = gw_record_try_next(&c->lines)) == 0 && c->queued > 0) {
                s->send = 1; /* the input pauses: the queue goes out first */
            } else {
                if (s->res == 0) {
                    GW_AWAIT(s, op, gw_record_next(&c->lines));
                    s->res = s->op->ret;
                }
                if (s->res < 0)
                    GW_RETURN(s, fail(c, "standard input", s->res));
                if (s->res == 0)
                    break;
                s->argc = resp_split((const char *)c->lines.data, c->lines.len, c->args, c->argv,
                                     c->argl, MAX_ARGS);
                if (s->argc < 0) {
                    snprintf(c->why, sizeof(c->why), "input: unbalanced quotes");
                    GW_RETURN(s, GW_EINVAL);
                }
                if (s->argc == 0)
                    continue;
                s->have = 1;
                s->owed = -1;
            }
        }
        if (s->have && !s->send) {
            if (s->owed < 0) {
                s->mark = mark_of(c->argv[0], c->argl[0]);
                s->owed = replies_owed(c, s->argc, c->argv, c->argl);
            }
            if (s->owed == 0 || (s->mark != MARK_NONE && c->nmarks == NMARKS)) {
                /* It needs the replies before it: send them, wait for them. */
                if (c->queued > 0) {
                    s->send = 1;
                } else {
                    while (c->inflight > 0 && !stop)
                        GW_YIELD(s, gw_wait_event(&c->room, GW_NO_DEADLINE));
                    if (stop)
                        break;
                    s->owed = replies_owed(c, s->argc, c->argv, c->argl);
                }
            }
        }
        if (s->have && !s->send) {
            if (queue_command(c, s)) {
                s->have = 0;
                continue;
            }
            s->send = c->queued > 0;
        }
        if (s->send) {
            /* The queue goes out once the window has room for all of it. */
            c->waiting = 1;
            c->wake_at = c->pipeline - c->queued;
            while (c->inflight > c->wake_at && !stop)
                GW_YIELD(s, gw_wait_event(&c->room, GW_NO_DEADLINE));
            c->waiting = 0;
            if (stop)
                break;
            c->inflight += c->queued; /* before the write: replies may come during it */
            c->queued = 0;
            s->send = 0;
            GW_AWAIT(s, op, gw_flush(&c->wout.w));
            if (s->op->ret < 0)
                GW_RETURN(s, fail(c, "write", s->op->ret));
            continue;
        }
        /* The queue is empty and the command still does not join it: too
         * large for the buffer, or more replies than a batch.  It goes out
         * alone, once what is in flight leaves it room (or nothing is, for
         * one of more replies than a window). */
        c->waiting = 1;
        c->wake_at = s->owed < c->pipeline ? c->pipeline - s->owed : 0;
        while (c->inflight > c->wake_at && !stop)
            GW_YIELD(s, gw_wait_event(&c->room, GW_NO_DEADLINE));
        c->waiting = 0;
        if (stop)
            break;
        owe(c, s->argc, s->owed, s->mark);
        c->inflight += s->owed;
        s->have = 0;
        GW_AWAIT(s, op, gw_resp_write_command(&c->rw, (size_t)s->argc, c->argv, c->argl));
        if (s->op->ret < 0)
            GW_RETURN(s, fail(c, "write", s->op->ret));
        GW_AWAIT(s, op, gw_flush(&c->wout.w));
        if (s->op->ret < 0)
            GW_RETURN(s, fail(c, "write", s->op->ret));
    }
    c->waiting = 1;
    c->wake_at = c->pipeline - c->queued;
    while (c->inflight > c->wake_at && !stop)
        GW_YIELD(s, gw_wait_event(&c->room, GW_NO_DEADLINE));
    c->waiting = 0;
    c->inflight += c->queued;
    c->queued = 0;
    GW_AWAIT(s, op, gw_flush(&c->wout.w));
    if (s->op->ret < 0)
        GW_RETURN(s, fail(c, "write", s->op->ret));
    c->input_done = 1;
    if (c->inflight == 0)
        gw_task_cancel(c->ex, c->rtask); /* it is waiting for a reply that will not come */
    GW_RETURN(s, 0);
    GW_END(s);
}

/* ---- the receiver --------------------------------------------------------------- */

typedef struct receiver {
    GW_FRAME(gw_wait);
    cli *c;
    gw_io_op *op;
    int res;
    int ret;
} receiver;

/* Writes v as a JSON line into standard output's buffer, straight into its
 * free space when the line fits; a message that RESP2 sent as an array is
 * written as a push.  Returns the bytes still to write from c->json
 * (0: none), or GW_ENOMEM. */
static long json_line(cli *c, const gw_resp_value *v, int message)
{
    gw_resp_value push;
    size_t n;
    char *p;

    if (message && v->type == GW_RESP_ARRAY) {
        push = *v;
        push.type = GW_RESP_PUSH;
        v = &push;
    }
    n = resp_json_bound(v) + 1;
    if ((p = (char *)gw_bufwriter_reserve(&c->sout, n)) != NULL) {
        n = resp_json(v, p);
        p[n++] = '\n';
        gw_bufwriter_commit(&c->sout, n);
        return 0;
    }
    if (n > c->jcap) {
        free(c->json);
        c->jcap = n;
        if ((c->json = malloc(n)) == NULL)
            return GW_ENOMEM;
    }
    n = resp_json(v, c->json);
    c->json[n++] = '\n';
    return (long)n;
}

GW_GENERATOR(receiver, NULL);
GW_BODY(receiver, s)
{
    cli *c = s->c;
    const gw_resp_value *v;
    long n;
    int reply;

    GW_BEGIN(s);
    for (;;) {
        /* The socket is always read: pushes may come at any time.  The
         * sender cancels this task if input ends with nothing in flight. */
        if (stop || (c->inflight == 0 && c->input_done))
            break;
        /* A sender that the last reply made room for sends first, even with
         * more replies buffered: the server gets its next batch while these
         * are handled. */
        if (c->waiting && c->inflight <= c->wake_at)
            GW_YIELD(s, gw_wait_ready());
        if ((s->res = gw_resp_tree_try_next(&c->tree)) == 0) {
            /* No whole reply buffered: what was decoded goes out before
             * waiting for more. */
            GW_AWAIT(s, op, gw_flush(&c->sout.w));
            if (s->op->ret < 0)
                GW_RETURN(s, fail(c, "standard output", s->op->ret));
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
        reply = is_reply(c, v) && c->inflight > 0;
        if (reply) {
            if (c->nmarks > 0 && c->marks[c->mhead].at == c->got_seq) {
                apply_mark(c, c->marks[c->mhead].what, v);
                c->mhead = (c->mhead + 1) % NMARKS;
                c->nmarks--;
            }
            c->got_seq++;
            c->inflight--;
            gw_event_signal(&c->room);
        }
        if ((n = json_line(c, v, !reply)) < 0)
            GW_RETURN(s, fail(c, "reply", (int)n));
        if (n > 0) {
            GW_AWAIT(s, op, gw_write(&c->sout.w, c->json, (size_t)n));
            if (s->op->ret < 0)
                GW_RETURN(s, fail(c, "standard output", s->op->ret));
        }
    }
    GW_AWAIT(s, op, gw_flush(&c->sout.w));
    if (s->op->ret < 0)
        GW_RETURN(s, fail(c, "standard output", s->op->ret));
    GW_RETURN(s, 0);
    GW_END(s);
}

/* ---- set-up ------------------------------------------------------------------------- */

/* Connects c->conn to addr, with a deadline for the whole attempt. */
typedef struct connector {
    GW_FRAME(gw_wait);
    cli *c;
    const char *addr;
    gw_net_opts opts;
    gw_net_op *op;
    int ret;
} connector;

GW_GENERATOR(connector, NULL);
GW_BODY(connector, s)
{
    char buf[200];

    GW_BEGIN(s);
    s->opts.flags = GW_NET_NODELAY;
    s->opts.connect_timeout = CONNECT_TIMEOUT;
    GW_AWAIT(s, op, gw_connect(&s->c->conn, s->addr, &s->opts));
    if (s->op->ret < 0)
        snprintf(s->c->why, sizeof(s->c->why), "%s",
                 gw_conn_strerror(&s->c->conn, s->op->ret, buf, sizeof(buf)));
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = "6379", *path = NULL;
    static cli c;
    static char addr[GW_NET_ADDRSTRLEN + 8];
    connector con;
    sender snd;
    receiver rcv;
    gw_frame_limits lim;
    gw_exec *ex;
    struct sigaction sa;
    int i, err = 0;

    c.pipeline = 1;
    c.proto = 2;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("%s%s", usage, help);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            port = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "-3") == 0)
            c.hello = 1;
        else if (strcmp(argv[i], "--pipeline") == 0 && i + 1 < argc && atol(argv[i + 1]) > 0)
            c.pipeline = atol(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc && atol(argv[i + 1]) > 0)
            c.batch = atol(argv[++i]);
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (c.batch == 0)
        c.batch = c.pipeline / 2 + c.pipeline % 2;
    if (c.batch > c.pipeline)
        c.batch = c.pipeline;
    if (path != NULL)
        snprintf(addr, sizeof(addr), "unix:%s", path);
    else
        snprintf(addr, sizeof(addr), strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed standard output is an error from write(), not a signal (and
     * the fd transport need not block the signal around every write). */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    if ((ex = gw_exec_new()) == NULL) {
        fprintf(stderr, "resp-cli: out of memory\n");
        return 1;
    }
    gw_conn_init(&c.conn);
    memset(&con, 0, sizeof(con));
    GW_INIT(&con, connector);
    con.c = &c;
    con.addr = addr;
    memset(&con.opts, 0, sizeof(con.opts));
    con.ret = 0;
    if (GW_SPAWN(ex, &con, NULL, NULL) == NULL || gw_exec_run(ex) < 0 || con.ret < 0) {
        fprintf(stderr, "resp-cli: %s\n", c.why[0] != 0 ? c.why : "out of memory");
        return 1;
    }
    c.args = malloc(LINE_MAX_BYTES);
    c.argv = malloc(MAX_ARGS * sizeof(*c.argv));
    c.argl = malloc(MAX_ARGS * sizeof(*c.argl));
    gw_frame_limits_default(&lim);
    lim.max_record = lim.max_line = LINE_MAX_BYTES - 2;
    lim.max_empty = GW_UNLIMITED;
    if (c.args == NULL || c.argv == NULL || c.argl == NULL ||
        gw_fdio_init(&c.in, 0, GW_FDIO_NONBLOCK) < 0 || gw_fdio_init(&c.out, 1, 0) < 0 ||
        gw_bufreader_init(&c.sin, &c.in.r, LINE_MAX_BYTES) < 0 ||
        gw_bufreader_init(&c.rin, &c.conn.io.r, BUF) < 0 ||
        gw_bufwriter_init(&c.wout, &c.conn.io.w, BUF) < 0 ||
        gw_bufwriter_init(&c.sout, &c.out.w, BUF) < 0 ||
        gw_record_reader_init(&c.lines, &c.sin, GW_FRAME_LINES, &lim, GW_RECORD_ASSEMBLE) < 0 ||
        gw_resp_tree_init(&c.tree, &c.rin, NULL) < 0) {
        fprintf(stderr, "resp-cli: out of memory\n");
        return 1;
    }
    gw_resp_writer_init(&c.rw, &c.wout);
    memset(&snd, 0, sizeof(snd));
    GW_INIT(&snd, sender);
    snd.c = &c;
    snd.ret = 0;
    memset(&rcv, 0, sizeof(rcv));
    GW_INIT(&rcv, receiver);
    rcv.c = &c;
    rcv.ret = 0;
    c.ex = ex;
    if ((c.rtask = GW_SPAWN(ex, &rcv, NULL, NULL)) == NULL ||
        GW_SPAWN(ex, &snd, NULL, NULL) == NULL) {
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
    gw_conn_close(&c.conn);
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
