/*
 * bench-net's parts (bench/bench-net.c, the driver and the load generator;
 * bench-net-gw.c, the server on genwire; bench-net-uv.c, the same server on
 * libuv): what a measurement is asked to do and what it measured.
 */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/exec.h>

#define MSG 64   /* bytes per message */
#define BUF 1024 /* each server's read buffer per connection */

/* The most connections a scenario opens; each process holds one end of each,
 * plus a few descriptors of its own (NEED_FDS is what RLIMIT_NOFILE must
 * allow). */
#define NCONN_MAX 10000
#define NEED_FDS  (NCONN_MAX + 64)

/* What the load generator is asked to do. */
typedef struct job {
    int port, nconn, nactive;
    double secs;
} job;

/* What the load generator sends when the window closes. */
typedef struct window {
    uint64_t count;  /* round trips in the window */
    uint64_t cpu_us; /* the server process's CPU time in it (/proc, 10 ms ticks), us */
} window;

/* What one server run measured. */
typedef struct result {
    window win; /* as the load generator sent it */
    int stop;   /* the window has closed */
} result;

/* Bytes the server under test has echoed since its window opened (both
 * servers add what each write accepted: one add per write, the same cost). */
extern uint64_t bench_echoed;

/*
 * The server's side of the window, called by each server's control-pipe
 * watcher when it sees the opening byte and then the count: resets
 * bench_echoed and, under callgrind, zeroes the counters and starts
 * instrumentation; at the close, dumps the counters ("window") and prints the
 * messages the server echoed in between, so that instructions per message
 * come from the server's own loop alone.
 */
void bench_window_open(void);
void bench_window_close(const char *server);

/* Nonzero when running under valgrind. */
int bench_under_callgrind(void);

/* Prints what failed, with errno, and exits 1. */
_Noreturn void bench_die(const char *what);

/* Writes all n bytes to fd, or dies. */
void bench_write_all(int fd, const void *p, size_t n);

/*
 * Runs one server on 127.0.0.1:0 until the load generator closes its window:
 * sends *j with the real port on jobfd, watches ctl (which it closes) for the
 * window's opening byte and then the count, and fills *res.
 */
void bench_run_genwire(gw_exec_backend backend, const job *j, int jobfd, int ctl, result *res);
void bench_run_libuv(const job *j, int jobfd, int ctl, result *res);

#endif /* BENCH_NET_H */
