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

/* Prints what failed, with errno, and exits 1. */
void bench_die(const char *what);

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
