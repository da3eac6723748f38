/*
 * bench-exec-turn: what one executor turn costs with few and with many
 * registered descriptors, on each fd backend.
 *
 *   bench-exec-turn [TURNS [N...]]
 *
 * For each N (default 10 and 10,000) and each backend, N idle tasks wait to
 * read an eventfd nobody writes, and one task ping-pongs a byte through a
 * pipe: it waits for the pipe to be readable, reads the byte and writes it
 * back, so every turn has exactly one ready descriptor.  After 100 turns of
 * warm-up it times up to TURNS turns (default 20,000; fewer if they take
 * more than a second of wall time, in steps of 100, which poll() over 10,000
 * descriptors does) and prints the turns timed, the user and the system
 * CPU time per turn (getrusage), then the same with a deadline on
 * every wait (as a server with an idle timeout has), which puts every task
 * in the timer heap ("fd+timer"), then with the active task yielding
 * (GW_WAIT_READY) instead of waiting ("yield"): no descriptor is ready, yet
 * a turn that has a task ready still looks for fd events without blocking.
 * User time is the executor's own work; system time is mostly poll() or
 * epoll_wait() themselves.
 *
 * Under valgrind --tool=callgrind --instr-atstart=no the timed turns are
 * bracketed with callgrind's client requests (one dump per row, named
 * "turns N BACKEND"), so that callgrind counts the user-space instructions
 * of exactly those turns; divide by TURNS.  The raw baseline is the turn's
 * own system calls: a turn with nothing of the executor's would still make
 * one poll() or epoll_wait(), one read() and one write().
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <genwire/exec.h>
#include <genwire/gen.h>

#ifdef BENCH_HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#endif

#define HOUR_NS 3600000000000LL

static const char *const mode_name[] = {"fd", "fd+timer", "yield"};

static void die(const char *what)
{
    fprintf(stderr, "bench-exec-turn: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A wait deadline, or none. */
static int64_t deadline_of(int with_deadline)
{
    return with_deadline ? gw_now() + HOUR_NS : GW_NO_DEADLINE;
}

/* An idle task: waits forever to read an eventfd nobody writes. */
typedef struct idle_task {
    GW_FRAME(gw_wait);
    int fd, with_deadline;
    int ret;
} idle_task;

GW_GENERATOR(idle_task, NULL);
GW_BODY(idle_task, s)
{
    GW_BEGIN(s);
    for (;;)
        GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fd, deadline_of(s->with_deadline)));
    GW_END(s);
}

/* The one active task: a byte round a pipe, one wait per turn; or, in
 * mode YIELD, a voluntary yield per turn (a task that computes and lets
 * others run between steps). */
enum { FD, DEADLINES, YIELD };
typedef struct ping_task {
    GW_FRAME(gw_wait);
    int r, w, mode;
    char b;
    int ret;
} ping_task;

GW_GENERATOR(ping_task, NULL);
GW_BODY(ping_task, s)
{
    GW_BEGIN(s);
    for (;;) {
        if (s->mode == YIELD) {
            GW_YIELD(s, gw_wait_ready());
            continue;
        }
        GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->r, deadline_of(s->mode == DEADLINES)));
        if (read(s->r, &s->b, 1) != 1 || write(s->w, &s->b, 1) != 1)
            die("the pipe");
    }
    GW_END(s);
}

static double cpu_s(int sys)
{
    struct rusage ru;
    const struct timeval *tv = sys ? &ru.ru_stime : &ru.ru_utime;

    getrusage(RUSAGE_SELF, &ru);
    return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/* One row: n idle tasks and the ping task on `backend`, `turns` turns. */
static void row(gw_exec_backend backend, int n, int turns, int mode)
{
    gw_exec *ex = gw_exec_new_backend(backend);
    idle_task *idle = calloc((size_t)(n > 0 ? n : 1), sizeof(*idle));
    ping_task ping;
    int p[2], i;
    double u0, s0, u1, s1, t0;
    int done;
    char label[64];

    if (ex == NULL)
        return; /* backend not built in */
    if (idle == NULL)
        die("calloc");
    for (i = 0; i < n; i++) {
        if ((idle[i].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
            die("eventfd");
        idle[i].with_deadline = mode == DEADLINES;
        GW_INIT(&idle[i], idle_task);
        if (GW_SPAWN(ex, &idle[i], NULL, NULL) == NULL)
            die("spawn");
    }
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        die("pipe");
    memset(&ping, 0, sizeof(ping));
    ping.r = p[0];
    ping.w = p[1];
    ping.mode = mode;
    GW_INIT(&ping, ping_task);
    if (GW_SPAWN(ex, &ping, NULL, NULL) == NULL || write(p[1], "x", 1) != 1)
        die("the ping task");
    for (i = 0; i < 100; i++)
        if (gw_exec_run_once(ex, 1) < 0)
            die("gw_exec_run_once");
    snprintf(label, sizeof(label), "turns %d %s %s", n, gw_exec_backend_name(ex), mode_name[mode]);
    u0 = cpu_s(0);
    s0 = cpu_s(1);
#ifdef BENCH_HAVE_CALLGRIND_H
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
#endif
    t0 = (double)gw_now();
    for (done = 0; done < turns && (done == 0 || (double)gw_now() - t0 < 1e9); done += 100)
        for (i = 0; i < 100 && done + i < turns; i++)
            if (gw_exec_run_once(ex, 1) < 0)
                die("gw_exec_run_once");
    if (done > turns)
        done = turns;
#ifdef BENCH_HAVE_CALLGRIND_H
    CALLGRIND_DUMP_STATS_AT(label);
    CALLGRIND_STOP_INSTRUMENTATION;
#endif
    u1 = cpu_s(0);
    s1 = cpu_s(1);
    printf("%-8d %-6s %-10s %8d %14.3f %14.3f\n", n, gw_exec_backend_name(ex), mode_name[mode],
           done, (u1 - u0) * 1e6 / done, (s1 - s0) * 1e6 / done);
    fflush(stdout);
    gw_exec_free(ex);
    for (i = 0; i < n; i++)
        close(idle[i].fd);
    close(p[0]);
    close(p[1]);
    free(idle);
}

int main(int argc, char **argv)
{
    static const gw_exec_backend backends[] = {GW_EXEC_POLL, GW_EXEC_EPOLL};
    int turns = argc > 1 ? atoi(argv[1]) : 20000, def[] = {10, 10000}, *ns = def, nn = 2, i, b, d;
    struct rlimit rl;

    if (turns <= 0) {
        fprintf(stderr, "usage: bench-exec-turn [TURNS [N...]]\n");
        return 2;
    }
    if (argc > 2) {
        nn = argc - 2;
        if ((ns = calloc((size_t)nn, sizeof(*ns))) == NULL)
            die("calloc");
        for (i = 0; i < nn; i++)
            ns[i] = atoi(argv[i + 2]);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    printf("bench-exec-turn: one ready pipe among N idle eventfds, %d turns per row; "
           "CPU per turn from getrusage (RLIMIT_NOFILE %lu)\n\n",
           turns, (unsigned long)rl.rlim_cur);
    printf("%-8s %-6s %-10s %8s %14s %14s\n", "N idle", "poller", "active", "turns", "user us/turn",
           "system us/turn");
    for (d = FD; d <= YIELD; d++)
        for (i = 0; i < nn; i++)
            for (b = 0; b < 2; b++)
                row(backends[b], ns[i], turns, d);
    if (ns != def)
        free(ns);
    return 0;
}
