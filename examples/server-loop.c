/*
 * The example servers' signal pipe and main loop (server-loop.h).
 */
#define _GNU_SOURCE

#include "server-loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <genwire/io.h>
#include <genwire/net.h>

#define MS (1000000LL)

static volatile sig_atomic_t want_dump, want_stop;
static int stopping; /* the acceptor is cancelled; waiting for connections to end */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;

    if (sig == SIGUSR1)
        want_dump = 1;
    else
        want_stop = 1;
    server_loop_wake();
    errno = saved;
}

void server_loop_wake(void)
{
    if (write(sig_pipe[1], "", 1) < 0) {
        /* The pipe is full: a wake-up is already pending. */
    }
}

int server_loop_stopping(void)
{
    return stopping;
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
    do
        GW_AWAIT(s, op, gw_try_read(&s->io.r, s->b, sizeof(s->b), 1));
    while (s->op->ret == 0 && s->op->n > 0);
    GW_END(s);
}

/* Ends a turn when the grace period for open connections is over. */
typedef struct grace_task {
    GW_FRAME(gw_wait);
    int64_t until;
    int ret;
} grace_task;

GW_GENERATOR(grace_task, NULL);
GW_BODY(grace_task, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_until(s->until));
    GW_END(s);
}

static signal_task sig;
static grace_task grace;

int server_loop_init(gw_exec *ex)
{
    struct sigaction sa;

    if (pipe2(sig_pipe, O_CLOEXEC) != 0 || fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) != 0)
        return -1;
    GW_INIT(&sig, signal_task);
    if (gw_fdio_init(&sig.io, sig_pipe[0], GW_FDIO_NONBLOCK) != 0)
        return -1;
    if (GW_SPAWN(ex, &sig, NULL, NULL) == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int server_listen(const char *name, gw_listener *l, const char *addr)
{
    int err, sys = 0;

    if ((err = gw_listen(l, addr, NULL, &sys)) == 0)
        return 0;
    fprintf(stderr, "%s: cannot listen on %s: %s%s%s\n", name, addr, gw_strerror(err),
            sys ? ": " : "", sys ? strerror(sys) : "");
    return -1;
}

int server_loop_run(const char *name, gw_exec *ex, const gw_listener *l, gw_task *acceptor,
                    const long *live)
{
    printf("listening on %s\n", l->addr);
    fflush(stdout);
    for (;;) {
        if (gw_exec_run_once(ex, 1) < 0) {
            fprintf(stderr, "%s: poll: %s\n", name, strerror(errno));
            return 1;
        }
        if (want_dump) {
            want_dump = 0;
            gw_exec_dump(ex, stderr);
            fflush(stderr);
        }
        if (want_stop && !stopping) {
            stopping = 1;
            gw_task_cancel(ex, acceptor); /* its cleanup closes the listener */
            GW_INIT(&grace, grace_task);
            grace.until = gw_now() + 1000 * MS;
            if (GW_SPAWN(ex, &grace, NULL, NULL) == NULL)
                break;
        }
        if (stopping && (*live == 0 || gw_now() >= grace.until))
            break;
    }
    gw_exec_free(ex); /* cancels what is left: their cleanups close the sockets */
    return 0;
}

static void acceptor_cleanup(gw_frame *f)
{
    accept_task *s = (accept_task *)(void *)f;

    free(s->next);
    s->next = NULL;
    gw_listener_close(s->l);
}

GW_GENERATOR(accept_task, acceptor_cleanup);
GW_BODY(accept_task, s)
{
    GW_BEGIN(s);
    for (;;) {
        if (s->next == NULL && (s->next = s->alloc(&s->conn)) == NULL) {
            GW_YIELD(s, gw_wait_until(gw_now() + 10 * MS)); /* out of memory: later */
            continue;
        }
        gw_conn_init(s->conn);
        GW_AWAIT(s, op, gw_accept(s->l, s->conn));
        if (s->op->ret != 0)
            continue; /* a transient accept error (it already backed off) */
        if (s->start(s->next) != 0) {
            gw_conn_close(s->conn); /* refused: accepted and closed at once */
            continue;
        }
        s->next = NULL;
    }
    GW_END(s);
}

gw_task *server_acceptor_spawn(gw_exec *ex, accept_task *a, gw_listener *l,
                               void *(*alloc)(gw_conn **conn), int (*start)(void *frame))
{
    GW_INIT(a, accept_task);
    a->l = l;
    a->alloc = alloc;
    a->start = start;
    a->next = NULL;
    return GW_SPAWN(ex, a, NULL, NULL);
}

long server_option_number(const char *s, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    return errno != 0 || end == s || *end != '\0' || v < 0 || v > max ? -1 : v;
}
