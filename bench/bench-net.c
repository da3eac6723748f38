/*
 * bench-net: an echo server on genwire's executor and net.h (both fd
 * backends, poll and epoll) beside the same server written on libuv
 * (Debian's libuv1-dev, epoll underneath, linked into this benchmark only),
 * driven in the same run by the same load generator (the servers are in
 * bench-net-gw.c and bench-net-uv.c).
 *
 *   bench-net [SECONDS [ROUNDS [SCENARIO [SERVER]]]]
 *
 * SECONDS per measurement (default 1), ROUNDS (default 3), SCENARIO 0..3 to
 * run only that row and SERVER 0..2 (libuv, genwire poll, genwire epoll) to
 * run only that server, for profiling (perf stat -p, strace -c -p); default
 * all of both.
 *
 * The load generator is a second process (a plain epoll loop, forked before
 * any server exists), so the server process holds one end of each
 * connection and the generator the other.  It opens N loopback TCP
 * connections to the server under test; on the A active ones it does
 * request/response ping-pong of 64-byte messages (write 64 bytes, read the
 * 64 echoed back, check them, write again); the other N - A connections
 * stay open and silent.  Scenarios: N = A = 100, 1,000 and 10,000, and N =
 * 10,000 with A = 100 (9,900 idle).  Each process raises RLIMIT_NOFILE's
 * soft limit to the hard one (20,000 here) and the header says so: 10,000
 * connections with both ends in one process would not fit, which is why
 * the generator is a second process.  After a warm-up
 * the generator counts completed round trips for SECONDS and brackets that
 * window with a byte and then the count on a control pipe, which the server
 * under test watches with its own loop; the server process's CPU time
 * across the window, read by the generator from /proc at its opening and
 * closing (10 ms ticks, the same utime + stime getrusage reports), gives CPU
 * microseconds per message.  Each round runs every server once, in rotating
 * order, and prints its rates, CPU and ratios with the load average when it
 * began; the table shows the best round of each and its ratio to libuv's
 * best, and the range of the per-round ratios.  Under valgrind (see
 * bench/bench-net-callgrind) the server also counts instructions inside its
 * own view of the window and prints how many messages it echoed in it.
 * Both servers read into a 1 KiB buffer per connection
 * and set TCP_NODELAY on accepted sockets; libuv writes with uv_try_write
 * (uv_write only for a remainder, which 64-byte echoes never leave).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h> /* RLIMIT_NOFILE */
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <genwire/exec.h>

#include "bench-net.h"

#ifdef BENCH_HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#endif

#define WARM 0.3 /* seconds of ping-pong before the window opens */

_Noreturn void bench_die(const char *what)
{
    fprintf(stderr, "bench-net: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* User plus system CPU time of process pid from /proc (clock ticks), in
 * microseconds. */
static uint64_t proc_cpu_us(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        bench_die("/proc/PID/stat");
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* After the command's closing parenthesis: fields 3 onwards; utime and
     * stime are fields 14 and 15. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        bench_die("parsing /proc/PID/stat");
    return (uint64_t)(ut + st) * 1000000u / (uint64_t)sysconf(_SC_CLK_TCK);
}

/* Raises RLIMIT_NOFILE's soft limit to the hard one; dies if even that
 * leaves fewer than `need` descriptors.  Returns the soft limit before. */
static unsigned long raise_nofile(unsigned long need)
{
    struct rlimit rl;
    unsigned long before;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        bench_die("getrlimit");
    before = (unsigned long)rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            bench_die("setrlimit RLIMIT_NOFILE");
    }
    if (rl.rlim_cur != RLIM_INFINITY && (unsigned long)rl.rlim_cur < need) {
        fprintf(stderr, "bench-net: RLIMIT_NOFILE's hard limit %lu is below the %lu needed\n",
                (unsigned long)rl.rlim_cur, need);
        exit(1);
    }
    return before;
}

uint64_t bench_echoed;

int bench_under_callgrind(void)
{
#ifdef BENCH_HAVE_CALLGRIND_H
    return RUNNING_ON_VALGRIND != 0;
#else
    return 0;
#endif
}

void bench_window_open(void)
{
    bench_echoed = 0;
#ifdef BENCH_HAVE_CALLGRIND_H
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
#endif
}

void bench_window_close(const char *server)
{
#ifdef BENCH_HAVE_CALLGRIND_H
    CALLGRIND_DUMP_STATS_AT("window");
    CALLGRIND_STOP_INSTRUMENTATION;
#endif
    if (bench_under_callgrind())
        printf("callgrind window: %s echoed %llu messages\n", server,
               (unsigned long long)(bench_echoed / MSG));
}

void bench_write_all(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            bench_die("write");
        p = (const char *)p + k;
        n -= (size_t)k;
    }
}

/* ---- the load generator: the same for every server ------------------------ */

/* Opens job->nconn connections, then ping-pongs on the first nactive of them
 * (registered with epoll once, level-triggered, for input only: a 64-byte
 * write to an empty socket is always accepted whole).  Writes 'S' on ctl
 * when the window opens, the round trips counted in it (a uint64_t) when it
 * closes, and returns the connections still open: closing them at once
 * would have the server see their ends inside its own window (its control
 * pipe and the hang-ups can arrive in one wakeup), so the caller closes them
 * once the server is gone (the next job, or the end). */
static int *loadgen(const job *j, int ctl)
{
    static uint8_t msg[MSG], rx[MSG];
    struct sockaddr_in sa;
    struct epoll_event evs[256];
    int *fd = calloc((size_t)j->nconn, sizeof(*fd));
    int *got = calloc((size_t)j->nconn, sizeof(*got));
    int ep = epoll_create1(EPOLL_CLOEXEC), i, one = 1;
    uint64_t count = 0, cpu_open = 0;
    double t_open, t_close;
    int open = 0;

    if (fd == NULL || got == NULL || ep < 0)
        bench_die("load generator set-up");
    for (i = 0; i < MSG; i++)
        msg[i] = (uint8_t)(i * 37 + 11);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)j->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < j->nconn; i++) {
        if ((fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            bench_die("socket");
        if (connect(fd[i], (struct sockaddr *)&sa, sizeof(sa)) != 0)
            bench_die("connect");
        setsockopt(fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    for (i = 0; i < j->nactive; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev) != 0)
            bench_die("epoll_ctl");
        if (write(fd[i], msg, MSG) != MSG)
            bench_die("first write");
    }
    t_open = mono_s() + WARM;
    t_close = t_open + j->secs;
    for (;;) {
        int k = epoll_wait(ep, evs, 256, 10), e;
        double now;

        if (k < 0 && errno != EINTR)
            bench_die("epoll_wait");
        for (e = 0; e < k; e++) {
            int c = (int)evs[e].data.u32;
            ssize_t n = read(fd[c], rx + got[c], (size_t)(MSG - got[c]));
            if (n <= 0) {
                if (n < 0 && errno == EAGAIN)
                    continue;
                bench_die("read from the server");
            }
            if ((got[c] += (int)n) < MSG)
                continue;
            if (memcmp(rx, msg, MSG) != 0) {
                fprintf(stderr, "bench-net: the server echoed other bytes\n");
                exit(1);
            }
            got[c] = 0;
            count++;
            if (write(fd[c], msg, MSG) != MSG)
                bench_die("write to the server");
        }
        now = mono_s();
        if (!open && now >= t_open) {
            bench_write_all(ctl, "S", 1);
            cpu_open = proc_cpu_us(getppid());
            count = 0;
            open = 1;
        } else if (open && now >= t_close) {
            window w = {count, proc_cpu_us(getppid()) - cpu_open};
            bench_write_all(ctl, &w, sizeof(w));
            break;
        }
    }
    close(ep);
    free(got);
    return fd;
}

/* The generator process: reads a job from `in`, runs it, until in closes. */
static void loadgen_main(int in, int ctl)
{
    job j, last = {0, 0, 0, 0};
    int *held = NULL, i;

    raise_nofile(NEED_FDS);
    for (;;) {
        ssize_t k = read(in, &j, sizeof(j));
        if (k == 0)
            _exit(0);
        if (k != (ssize_t)sizeof(j))
            bench_die("job pipe");
        for (i = 0; i < last.nconn; i++)
            close(held[i]);
        free(held);
        held = loadgen(&j, ctl);
        last = j;
    }
}

/* ---- the driver --------------------------------------------------------------- */

enum { S_LIBUV, S_POLL, S_EPOLL, NSERVERS };
static const char *const server_name[NSERVERS] = {"libuv", "genwire poll", "genwire epoll"};

/* One measurement of server `which` on job j; returns round trips per second
 * and sets *us_per_msg. */
static double measure(int which, const job *j, int jobfd, int ctl, double *us_per_msg)
{
    result res;
    int dup_ctl = dup(ctl); /* each server's handle closes what it was given */

    if (dup_ctl < 0)
        bench_die("dup");
    memset(&res, 0, sizeof(res));
    if (which == S_LIBUV)
        bench_run_libuv(j, jobfd, dup_ctl, &res);
    else
        bench_run_genwire(which == S_POLL ? GW_EXEC_POLL : GW_EXEC_EPOLL, j, jobfd, dup_ctl, &res);
    *us_per_msg = res.win.count ? (double)res.win.cpu_us / (double)res.win.count : 0;
    return (double)res.win.count / j->secs;
}

/* The 1-minute load average now, or -1. */
static double load1(void)
{
    double la[1];

    return getloadavg(la, 1) == 1 ? la[0] : -1;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int nconn, nactive;
    } scen[] = {
        {"100 active", 100, 100},
        {"1000 active", 1000, 1000},
        {"10000 active", NCONN_MAX, NCONN_MAX},
        {"9900 idle + 100 active", NCONN_MAX, 100},
    };
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 3, only = argc > 3 ? atoi(argv[3]) : -1;
    int only_server = argc > 4 ? atoi(argv[4]) : -1;
    int jp[2], cp[2], nserv = NSERVERS;
    unsigned long before;
    struct rlimit rl;
    size_t si;
    pid_t pid;
    gw_exec *probe = gw_exec_new_backend(GW_EXEC_EPOLL);

    if (probe == NULL)
        nserv = S_EPOLL; /* epoll not built in */
    gw_exec_free(probe);
    if (secs <= 0 || rounds <= 0) {
        fprintf(stderr, "usage: bench-net [SECONDS [ROUNDS [SCENARIO [SERVER]]]]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    before = raise_nofile(NEED_FDS);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (pipe2(jp, O_CLOEXEC) != 0 || pipe2(cp, O_CLOEXEC) != 0)
        bench_die("pipe");
    if ((pid = fork()) < 0)
        bench_die("fork");
    if (pid == 0) {
        close(jp[1]);
        close(cp[0]);
        loadgen_main(jp[0], cp[1]);
    }
    close(jp[0]);
    close(cp[1]);
    printf("bench-net: echo of %d-byte messages over loopback TCP, load generator in a second "
           "process; %.1f s per measurement, %d rounds, under %s\n",
           MSG, secs, rounds, bench_under_callgrind() ? "callgrind" : "no profiler");
    printf("RLIMIT_NOFILE: soft limit raised from %lu to %lu (the hard limit) in both processes; "
           "each holds one end of up to %d connections\n\n",
           before, (unsigned long)rl.rlim_cur, NCONN_MAX);
    for (si = 0; si < sizeof(scen) / sizeof(scen[0]); si++) {
        job j = {0, scen[si].nconn, scen[si].nactive, secs};
        double best[NSERVERS] = {0}, cpu[NSERVERS] = {0}, rlo[NSERVERS], rhi[NSERVERS];
        double lo_load = 1e9, hi_load = 0;
        int r, k;

        if (only >= 0 && (size_t)only != si)
            continue;
        printf("%s (%d connections open at once):\n", scen[si].name, scen[si].nconn);
        for (k = 0; k < NSERVERS; k++)
            rlo[k] = 1e9, rhi[k] = 0;
        for (r = 0; r < rounds; r++) {
            double rate[NSERVERS] = {0}, us[NSERVERS] = {0}, la = load1();
            if (la < lo_load)
                lo_load = la;
            if (la > hi_load)
                hi_load = la;
            for (k = 0; k < nserv; k++) {
                int which = (k + r) % nserv;
                if (only_server >= 0 && which != only_server)
                    continue;
                rate[which] = measure(which, &j, jp[1], cp[0], &us[which]);
                if (rate[which] > best[which]) {
                    best[which] = rate[which];
                    cpu[which] = us[which];
                }
            }
            printf("  round %d, load average %.2f:", r + 1, la);
            for (k = 0; k < nserv; k++) {
                if (rate[k] == 0)
                    continue;
                printf("  %s %.0f/s %.2f us", server_name[k], rate[k], us[k]);
                if (k != S_LIBUV && rate[S_LIBUV] > 0)
                    printf(" (%.2fx)", rate[k] / rate[S_LIBUV]);
            }
            printf("\n");
            for (k = 1; k < nserv; k++) {
                double q = rate[S_LIBUV] > 0 ? rate[k] / rate[S_LIBUV] : 0;
                if (q < rlo[k])
                    rlo[k] = q;
                if (q > rhi[k])
                    rhi[k] = q;
            }
            fflush(stdout);
        }
        printf("  %-14s %12s %12s %9s %14s   (best round of each; load %.2f..%.2f)\n", "server",
               "msgs/s", "CPU us/msg", "vs libuv", "round ratios", lo_load, hi_load);
        for (k = 0; k < nserv; k++) {
            printf("  %-14s %12.0f %12.2f", server_name[k], best[k], cpu[k]);
            if (k == S_LIBUV)
                printf(" %9s\n", "1.00");
            else
                printf(" %9.2f %6.2f..%.2f\n", best[S_LIBUV] > 0 ? best[k] / best[S_LIBUV] : 0,
                       rlo[k], rhi[k]);
        }
        printf("\n");
        fflush(stdout);
    }
    close(jp[1]);
    waitpid(pid, NULL, 0);
    return 0;
}
