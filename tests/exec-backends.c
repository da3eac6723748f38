/*
 * The exec suite's backend cases: GW_EXEC_BACKEND's choice, a readable fd
 * nobody waits on, an fd number reused, a regular file, many waiters waking
 * right, a ready fd seen soon among many idle ones while a task keeps
 * yielding, and gw_exec_dump's report.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <genwire/exec.h>
#include <genwire/io.h>

#include "gwt.h"
#include "test-exec.h"
/* ---- the backends -------------------------------------------------------- */

/* GW_EXEC_BACKEND picks gw_exec_new's backend; both can be asked for. */
void test_backend_selection(void **state)
{
    const char *env = getenv("GW_EXEC_BACKEND");
    gw_exec *ex = gw_exec_new(), *p = gw_exec_new_backend(GW_EXEC_POLL);
    gw_exec *e = gw_exec_new_backend(GW_EXEC_EPOLL);

    (void)state;
    assert_non_null(ex);
    if (env != NULL)
        assert_string_equal(gw_exec_backend_name(ex), env);
    print_message("# backend: %s\n", gw_exec_backend_name(ex));
    assert_string_equal(gw_exec_backend_name(p), "poll");
#ifdef GW_HAVE_EPOLL
    assert_non_null(e);
    assert_string_equal(gw_exec_backend_name(e), "epoll");
#else
    assert_null(e);
#endif
    gw_exec_free(ex);
    gw_exec_free(p);
    gw_exec_free(e);
}

/* Waits for fd to be readable (with a deadline) and records how it woke. */
typedef struct fd_waiter {
    GW_FRAME(gw_wait);
    int fd;
    int64_t timeout_ns;
    int64_t sleep_ns; /* then sleeps this long, if nonzero */
    gw_wake woke;
    int ret;
} fd_waiter;

GW_GENERATOR(fd_waiter, NULL);
GW_BODY(fd_waiter, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fd, gw_now() + s->timeout_ns));
    s->woke = s->_out->woke;
    if (s->sleep_ns > 0)
        GW_YIELD(s, gw_wait_until(gw_now() + s->sleep_ns));
    GW_END(s);
}

static void fd_waiter_init(fd_waiter *w, int fd, int64_t timeout_ns, int64_t sleep_ns)
{
    GW_INIT(w, fd_waiter);
    w->fd = fd;
    w->timeout_ns = timeout_ns;
    w->sleep_ns = sleep_ns;
    w->woke = GW_WOKE_NONE;
}

/* A task that woke on a readable fd and then sleeps without reading it must
 * not make every turn return at once (epoll keeps the registration: the
 * direction nobody waits on is dropped after it fires once). */
void test_readable_fd_nobody_waits_on(void **state)
{
    fd_waiter w;
    int fds[2], turns = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    fd_waiter_init(&w, fds[0], 1000000000LL, 50 * 1000000LL);
    GW_SPAWN(ex, &w, NULL, NULL);
    while (gw_exec_run_once(ex, 1) > 0)
        turns++;
    assert_int_equal(w.woke, GW_WOKE_READY);
    assert_true(turns <= 4);
    gw_exec_free(ex);
    close(fds[0]);
    close(fds[1]);
}

/* A descriptor closed through the fd transport and its number handed out
 * again: a task waiting on the new file wakes when it becomes readable. */
void test_fd_number_reused(void **state)
{
    fd_waiter w;
    gw_fdio io;
    int a[2], b[2];
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    fd_waiter_init(&w, a[0], 1000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0); /* a[0] is now registered */
    assert_int_equal(w.woke, GW_WOKE_READY);
    assert_int_equal(gw_fdio_init(&io, a[0], GW_FDIO_OWN), 0);
    gw_fdio_fini(&io); /* closes a[0], telling the executor */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    assert_int_equal(b[0], a[0]); /* the lowest free number comes back */
    fd_waiter_init(&w, b[0], 1000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    assert_int_equal(gw_exec_run_once(ex, 0), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(w.woke, GW_WOKE_READY); /* not GW_WOKE_TIMEOUT */
    gw_exec_free(ex);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* A regular file is always ready, as poll() says, under either backend. */
void test_regular_file_is_ready(void **state)
{
    fd_waiter w;
    FILE *f = tmpfile();
    gw_exec *ex = gw_exec_new();
    int64_t start = gw_now();

    (void)state;
    assert_non_null(f);
    fd_waiter_init(&w, fileno(f), 1000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(w.woke, GW_WOKE_READY);
    assert_true(gw_now() - start < 500000000LL);
    gw_exec_free(ex);
    fclose(f);
}

/* Many tasks waiting, some waking: each wakes exactly when its fd is
 * readable, whatever order the others stop waiting in (exercises the
 * pollfd array's swap-remove and epoll's per-fd lists). */
void test_many_waiters_wake_right(void **state)
{
    enum { N = 64 };
    fd_waiter w[N];
    int fds[N][2], i;
    gw_exec *ex = gw_exec_new();

    (void)state;
    for (i = 0; i < N; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
        /* Every third times out after 20 ms, the others get a byte. */
        fd_waiter_init(&w[i], fds[i][0], i % 3 == 0 ? 20000000LL : 2000000000LL, 0);
        GW_SPAWN(ex, &w[i], NULL, NULL);
    }
    assert_int_equal(gw_exec_run_once(ex, 0), N);
    for (i = N - 1; i >= 0; i -= 2)
        if (i % 3 != 0)
            assert_int_equal(write(fds[i][1], "x", 1), 1);
    assert_true(gw_exec_run_once(ex, 0) >= 0);
    for (i = 0; i < N; i += 2)
        if (i % 3 != 0)
            assert_int_equal(write(fds[i][1], "x", 1), 1);
    assert_int_equal(gw_exec_run(ex), 0);
    for (i = 0; i < N; i++) {
        assert_int_equal(w[i].woke, i % 3 == 0 ? GW_WOKE_TIMEOUT : GW_WOKE_READY);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    gw_exec_free(ex);
}

/* A task that yields GW_WAIT_READY forever, counting its runs; at run
 * `poke_at` it writes a byte to `poke_fd`. */
typedef struct yielder {
    GW_FRAME(gw_wait);
    int runs, poke_at, poke_fd;
    int ret;
} yielder;

GW_GENERATOR(yielder, NULL);
GW_BODY(yielder, s)
{
    GW_BEGIN(s);
    for (;;) {
        if (++s->runs == s->poke_at)
            assert_int_equal(write(s->poke_fd, "x", 1), 1);
        GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

/* Waits for fd to be readable, then notes how often the yielder had run. */
typedef struct watcher {
    GW_FRAME(gw_wait);
    int fd;
    const int *runs;
    int woke_at;
    int ret;
} watcher;

GW_GENERATOR(watcher, NULL);
GW_BODY(watcher, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fd, GW_NO_DEADLINE));
    s->woke_at = *s->runs;
    GW_END(s);
}

/* Among 200 idle descriptors, a task that keeps yielding makes poll() look
 * for fd events only once per nio / 16 task runs (each poll() scans every
 * descriptor; epoll looks every turn): a descriptor that becomes ready is
 * still seen within that many runs of the yielder, never starved. */
void test_yield_among_idle_fds_sees_ready_fd(void **state)
{
    enum { N = 200, POKE = 7 };
    fd_waiter *w = calloc(N, sizeof(*w));
    int(*fds)[2] = calloc(N, sizeof(*fds)), pair[2], i, turns = 0;
    size_t nio = N + 1;
    yielder y;
    watcher wt;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_non_null(w);
    assert_non_null(fds);
    for (i = 0; i < N; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
        fd_waiter_init(&w[i], fds[i][0], 60 * 1000000000LL, 0);
        assert_non_null(GW_SPAWN(ex, &w[i], NULL, NULL));
    }
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    GW_INIT(&wt, watcher);
    wt.fd = pair[0];
    wt.runs = &y.runs;
    wt.woke_at = -1;
    GW_INIT(&y, yielder);
    y.runs = 0;
    y.poke_at = POKE;
    y.poke_fd = pair[1];
    assert_non_null(GW_SPAWN(ex, &wt, NULL, NULL));
    assert_non_null(GW_SPAWN(ex, &y, NULL, NULL));
    while (wt.woke_at < 0) {
        assert_true(gw_exec_run_once(ex, 1) > 0);
        assert_true(++turns < 1000);
    }
    print_message("# %s: the ready fd seen %d yielder runs after it became ready\n",
                  gw_exec_backend_name(ex), wt.woke_at - POKE);
    assert_true(wt.woke_at >= POKE);
    assert_true((size_t)(wt.woke_at - POKE) <= nio / 16 + 2);
    if (strcmp(gw_exec_backend_name(ex), "epoll") == 0)
        assert_true(wt.woke_at - POKE <= 2);
    gw_exec_free(ex);
    for (i = 0; i < N; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    close(pair[0]);
    close(pair[1]);
    free(w);
    free(fds);
}

/* gw_exec_dump: one paragraph per task with its state, wait and backtrace. */
void test_dump(void **state)
{
    blocked_reader br;
    fd_waiter w;
    forever f;
    spinner sp;
    gw_fdio io;
    char log[8], *text = NULL, want[128];
    size_t nlog = 0, len = 0;
    int fds[2], cleaned = 0, fcleaned = 0;
    FILE *out;
    gw_exec *ex = gw_exec_new();

    (void)state;
    blocked_reader_init(&br, &io, fds, &cleaned);
    GW_SPAWN(ex, &br, NULL, NULL);
    fd_waiter_init(&w, fds[0], 5000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    forever_init(&f, &fcleaned);
    GW_SPAWN(ex, &f, NULL, NULL);
    spinner_init(&sp, 0, 5, log, &nlog);
    GW_SPAWN(ex, &sp, NULL, NULL);
    assert_int_equal(gw_exec_run_once(ex, 0), 4);
    out = open_memstream(&text, &len);
    assert_int_equal(gw_exec_dump(ex, out), 4);
    fclose(out);
    snprintf(want, sizeof(want),
             "task 1: waiting for fd %d to be readable, no deadline\n"
             "    #0 fd_read at ",
             fds[0]);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "    #1 read_exact at "));
    assert_non_null(strstr(text, "    #2 blocked_reader at "));
    snprintf(want, sizeof(want), "task 2: waiting for fd %d to be readable, 4", fds[0]);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, " ms to its deadline\n    #0 fd_waiter at "));
    assert_non_null(strstr(text, "task 3: sleeping forever (no deadline)\n    #0 forever at "));
    assert_non_null(strstr(text, "task 4: ready\n    #0 spinner at "));
    free(text);
    gw_exec_free(ex);
    assert_int_equal(cleaned, 1);
    gw_fdio_fini(&io);
    close(fds[0]);
    close(fds[1]);
}
