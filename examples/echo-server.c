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
 * Signals reach the loop through a pipe: the handler sets a flag and writes
 * a byte, a task waiting on the pipe wakes, the turn returns, and the loop
 * acts on the flag (the dump is not async-signal-safe, so never in the
 * handler).
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

#define MS (1000000LL)

static volatile sig_atomic_t want_dump, want_stop;
static int stopping; /* the listener is closed; waiting for connections to end */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    char b = (char)sig;

    if (sig == SIGUSR1)
        want_dump = 1;
    else
        want_stop = 1;
    if (write(sig_pipe[1], &b, 1) < 0) {
        /* The pipe is full: a wake-up is already pending. */
    }
    errno = saved;
}

/* Makes the current or next turn return promptly: a byte for the signal
 * task (a turn that ran tasks still waits for events before returning). */
static void wake_loop(void)
{
    if (write(sig_pipe[1], "", 1) < 0) {
        /* The pipe is full: a wake-up is already pending. */
    }
}

/* The server's state, shared by its tasks. */
typedef struct server {
    gw_exec *ex;
    gw_listener l;
    int64_t idle;  /* ns, 0: none */
    long max_conns;
    long live;     /* connection tasks alive */
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
    if (stopping && srv->live == 0)
        wake_loop();
}

/* Accepts connections and spawns a task for each. */
typedef struct accept_task {
    GW_FRAME(gw_wait);
    server *srv;
    conn_task *next; /* the connection being accepted */
    gw_net_op *op;
    int ret;
} accept_task;

static void accept_cleanup(gw_frame *f)
{
    accept_task *s = (accept_task *)(void *)f;

    free(s->next);
    s->next = NULL;
    gw_listener_close(&s->srv->l);
}

GW_GENERATOR(accept_task, accept_cleanup);
GW_BODY(accept_task, s)
{
    GW_BEGIN(s);
    for (;;) {
        if (s->next == NULL && (s->next = calloc(1, sizeof(*s->next))) == NULL) {
            GW_YIELD(s, gw_wait_until(gw_now() + 10 * MS)); /* out of memory: later */
            continue;
        }
        gw_conn_init(&s->next->c);
        GW_AWAIT(s, op, gw_accept(&s->srv->l, &s->next->c));
        if (s->op->ret != 0)
            continue; /* a transient accept error (it already backed off) */
        if (s->srv->live >= s->srv->max_conns) {
            gw_conn_close(&s->next->c); /* over the limit: accepted and closed at once */
            continue;
        }
        GW_INIT(s->next, conn_task);
        s->next->srv = s->srv;
        if (GW_SPAWN(s->srv->ex, s->next, conn_done, s->next) == NULL) {
            gw_conn_close(&s->next->c);
            continue;
        }
        s->srv->live++;
        s->next = NULL;
    }
    GW_END(s);
}

/* Waits on the signal pipe; each byte ends a turn so the loop sees the
 * flags. */
typedef struct signal_task {
    GW_FRAME(gw_wait);
    gw_fdio io;
    uint8_t b[64];
    gw_io_op *op;
    int ret;
} signal_task;

GW_GENERATOR(signal_task, NULL);
GW_BODY(signal_task, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->io.r, s->b, sizeof(s->b), 1));
        if (s->op->ret != 0 || s->op->n == 0)
            break;
    }
    GW_END(s);
}

/* Sleeps until the grace period for open connections is over. */
typedef struct grace_task {
    GW_FRAME(gw_wait);
    int64_t until;
    int over; /* set when it wakes */
    int ret;
} grace_task;

GW_GENERATOR(grace_task, NULL);
GW_BODY(grace_task, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_until(s->until));
    s->over = 1;
    wake_loop();
    GW_END(s);
}

static int usage(const char *msg)
{
    fprintf(stderr, "echo-server: %s\nusage: echo-server [--listen ADDR] [--idle-timeout MS] "
                    "[--max-conns N]\n",
            msg);
    return 2;
}

/* A non-negative decimal option value, or -1. */
static long number(const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    return errno != 0 || end == s || *end != '\0' || v < 0 || v > 1000000000L ? -1 : v;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1:0";
    long idle_ms = 60000, max = 1000;
    static server srv;
    static accept_task acc;
    static signal_task sig;
    static grace_task grace;
    struct sigaction sa;
    gw_task *acc_task, *sig_task;
    int i, err, sys = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: echo-server [--listen ADDR] [--idle-timeout MS] [--max-conns N]\n");
            return 0;
        }
        if (i + 1 >= argc)
            return usage("missing value or unknown option");
        if (strcmp(argv[i], "--listen") == 0)
            addr = argv[++i];
        else if (strcmp(argv[i], "--idle-timeout") == 0 && (idle_ms = number(argv[++i])) >= 0)
            continue;
        else if (strcmp(argv[i], "--max-conns") == 0 && (max = number(argv[++i])) >= 0)
            continue;
        else
            return usage("bad option or value (numbers: 0 to 1000000000)");
    }
    srv.idle = idle_ms * MS;
    srv.max_conns = max;
    if (pipe(sig_pipe) != 0 || fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) != 0 ||
        (srv.ex = gw_exec_new()) == NULL) {
        perror("echo-server");
        return 1;
    }
    if ((err = gw_listen(&srv.l, addr, NULL, &sys)) != 0) {
        fprintf(stderr, "echo-server: cannot listen on %s: %s%s%s\n", addr, gw_strerror(err),
                sys ? ": " : "", sys ? strerror(sys) : "");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    GW_INIT(&acc, accept_task);
    acc.srv = &srv;
    GW_INIT(&sig, signal_task);
    gw_fdio_init(&sig.io, sig_pipe[0], GW_FDIO_NONBLOCK);
    if ((acc_task = GW_SPAWN(srv.ex, &acc, NULL, NULL)) == NULL ||
        (sig_task = GW_SPAWN(srv.ex, &sig, NULL, NULL)) == NULL) {
        fprintf(stderr, "echo-server: out of memory\n");
        return 1;
    }
    printf("listening on %s\n", srv.l.addr);
    fflush(stdout);

    for (;;) {
        if (gw_exec_run_once(srv.ex, 1) < 0) {
            perror("echo-server: poll");
            return 1;
        }
        if (want_dump) {
            want_dump = 0;
            gw_exec_dump(srv.ex, stderr);
            fflush(stderr);
        }
        if (want_stop && !stopping) {
            /* Close the listener (the accept task's cleanup) and give the
             * open connections a second. */
            stopping = 1;
            gw_task_cancel(srv.ex, acc_task);
            GW_INIT(&grace, grace_task);
            grace.until = gw_now() + 1000 * MS;
            if (GW_SPAWN(srv.ex, &grace, NULL, NULL) == NULL)
                break;
        }
        if (stopping && (srv.live == 0 || grace.over))
            break;
    }
    gw_exec_free(srv.ex); /* cancels what is left: their cleanups close the sockets */
    (void)sig_task;
    gw_fdio_fini(&sig.io);
    return 0;
}
