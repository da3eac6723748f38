/*
 * The signal handling and main loop the example servers share
 * (echo-server, http-serve): SIGUSR1 prints the task dump on standard
 * error; SIGTERM and SIGINT cancel the acceptor task (whose cleanup closes
 * the listener), let open connections finish for up to a second, and end
 * the loop.  Signals reach the loop through a pipe: the handler sets a flag
 * and writes a byte, a task waiting on the pipe wakes, the turn returns,
 * and the loop acts on the flag (the dump is not async-signal-safe, so
 * never in the handler).
 */
#ifndef SERVER_LOOP_H
#define SERVER_LOOP_H

#include <genwire/exec.h>
#include <genwire/net.h>

/* server_loop_init: the signal pipe, the handlers (and SIGPIPE ignored),
 * and the task that waits on the pipe, spawned on ex.  0, or -1 with errno
 * set (or ENOMEM). */
int server_loop_init(gw_exec *ex);

/* server_listen: gw_listen on addr with default options; 0, or -1 after
 * "NAME: cannot listen on ADDR: why" on standard error. */
int server_listen(const char *name, gw_listener *l, const char *addr);

/*
 * server_loop_run: writes "listening on ADDR" (l->addr) on standard output
 * and flushes it, then turns ex until a stop signal came and then either
 * *live (the caller's count of connection tasks) reached 0 or a second
 * passed; cancels `acceptor` when the signal comes.  Frees ex (cancelling
 * what is left) and returns the exit status: 0, or 1 if the executor
 * failed (said on standard error).
 */
int server_loop_run(const char *name, gw_exec *ex, const gw_listener *l, gw_task *acceptor,
                    const long *live);

/* server_loop_stopping: nonzero once a stop signal came. */
int server_loop_stopping(void);

/* server_loop_wake: makes the current or next turn return promptly (call
 * it when the last connection ends while stopping).  Async-signal-safe. */
void server_loop_wake(void);

/*
 * The acceptor task: accepts connections on a listener forever and hands
 * each to the caller.  `alloc` makes a zeroed connection frame and points
 * *conn at its gw_conn (NULL: out of memory, tried again 10 ms later);
 * `start` initialises and spawns it (0), or refuses it (-1: the acceptor
 * closes the connection and keeps the frame for the next one).  Cancelling
 * it (server_loop_run does, on SIGTERM) frees the frame in waiting and
 * closes the listener.
 */
typedef struct accept_task {
    GW_FRAME(gw_wait);
    gw_listener *l;                 /* the listener, closed by the cleanup */
    void *(*alloc)(gw_conn **conn); /* see above */
    int (*start)(void *frame);      /* see above */
    void *next;                     /* the frame of the connection being accepted */
    gw_conn *conn;                  /* its connection */
    gw_net_op *op;
    int ret;
} accept_task;

/* server_acceptor_spawn: starts the acceptor task *a on ex; the task, or
 * NULL when out of memory. */
gw_task *server_acceptor_spawn(gw_exec *ex, accept_task *a, gw_listener *l,
                               void *(*alloc)(gw_conn **conn), int (*start)(void *frame));

/* server_option_number: a decimal option value from 0 to max, or -1. */
long server_option_number(const char *s, long max);

#endif
