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
 * stay open and silent.  Scenarios: N = A = 100, 1,000 and 9,900 (9,900 so
 * that both ends would also fit one process under the hard limit of 20,000
 * descriptors), and N = 9,900 with A = 100 (9,800 idle).  After a warm-up
 * the generator counts completed round trips for SECONDS and brackets that
 * window with a byte and then the count on a control pipe, which the server
 * under test watches with its own loop; the server process's CPU time
 * across the window, read by the generator from /proc at its opening and
 * closing (10 ms ticks), gives CPU microseconds per message.  Each
 * round runs every server once, in rotating order; the table shows the best
 * round of each and its ratio to libuv's best, and the range of the
 * per-round ratios.  Both servers read into a 1 KiB buffer per connection
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

#define WARM 0.3 /* seconds of ping-pong before the window opens */

void bench_die(const char *what)
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

static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
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
 * closes, and returns. */
static void loadgen(const job *j, int ctl)
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
    for (i = 0; i < j->nconn; i++)
        close(fd[i]);
    close(ep);
    free(fd);
    free(got);
}

/* The generator process: reads a job from `in`, runs it, until in closes. */
static void loadgen_main(int in, int ctl)
{
    job j;

    raise_nofile();
    for (;;) {
        ssize_t k = read(in, &j, sizeof(j));
        if (k == 0)
            _exit(0);
        if (k != (ssize_t)sizeof(j))
            bench_die("job pipe");
        loadgen(&j, ctl);
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

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int nconn, nactive;
    } scen[] = {
        {"100 active", 100, 100},
        {"1000 active", 1000, 1000},
        {"9900 active", 9900, 9900},
        {"9800 idle + 100 active", 9900, 100},
    };
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 3, only = argc > 3 ? atoi(argv[3]) : -1;
    int only_server = argc > 4 ? atoi(argv[4]) : -1;
    int jp[2], cp[2], nserv = NSERVERS;
    size_t si;
    pid_t pid;
    gw_exec *probe = gw_exec_new_backend(GW_EXEC_EPOLL);

    if (probe == NULL)
        nserv = S_EPOLL; /* epoll not built in */
    gw_exec_free(probe);
    if (secs <= 0 || rounds <= 0) {
        fprintf(stderr, "usage: bench-net [SECONDS [ROUNDS]]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
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
           "process; %.1f s per measurement, best of %d rounds\n\n",
           MSG, secs, rounds);
    printf("%-24s %-14s %12s %12s %9s %14s\n", "connections", "server", "msgs/s", "CPU us/msg",
           "vs libuv", "round ratios");
    for (si = 0; si < sizeof(scen) / sizeof(scen[0]); si++) {
        job j = {0, scen[si].nconn, scen[si].nactive, secs};
        double best[NSERVERS] = {0}, cpu[NSERVERS] = {0}, rlo[NSERVERS], rhi[NSERVERS];
        int r, k;

        if (only >= 0 && (size_t)only != si)
            continue;
        for (k = 0; k < NSERVERS; k++)
            rlo[k] = 1e9, rhi[k] = 0;
        for (r = 0; r < rounds; r++) {
            double rate[NSERVERS] = {0}, us;
            for (k = 0; k < nserv; k++) {
                int which = (k + r) % nserv;
                if (only_server >= 0 && which != only_server)
                    continue;
                rate[which] = measure(which, &j, jp[1], cp[0], &us);
                if (rate[which] > best[which]) {
                    best[which] = rate[which];
                    cpu[which] = us;
                }
            }
            for (k = 1; k < nserv; k++) {
                double q = rate[S_LIBUV] > 0 ? rate[k] / rate[S_LIBUV] : 0;
                if (q < rlo[k])
                    rlo[k] = q;
                if (q > rhi[k])
                    rhi[k] = q;
            }
        }
        for (k = 0; k < nserv; k++) {
            printf("%-24s %-14s %12.0f %12.2f", k == 0 ? scen[si].name : "", server_name[k],
                   best[k], cpu[k]);
            if (k == S_LIBUV)
                printf(" %9s\n", "1.00");
            else
                printf(" %9.2f %6.2f..%.2f\n", best[S_LIBUV] > 0 ? best[k] / best[S_LIBUV] : 0,
                       rlo[k], rhi[k]);
        }
        fflush(stdout);
    }
    close(jp[1]);
    waitpid(pid, NULL, 0);
    return 0;
}
