/*
 * The exec suite's edge cases of the executor core (gen/exec.c): deadlines
 * at the ends of int64_t, which the executor's own arithmetic (the poll
 * timeout, deadline - now) must survive.  A case that would sleep in poll()
 * for good runs in a child process that the test kills after a time limit,
 * so that the suite fails instead of hanging.
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

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <genwire/exec.h>

#include "gwt.h"
#include "test-exec.h"

#define MS 1000000LL

/* In the child: reports a failed check and exits with status 1. */
#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

/* Runs fn in a child process and fails the test unless it exits with
 * status 0 within limit_ms (ten times that under valgrind); a child still
 * running then is killed. */
static void in_child(void (*fn)(void), int64_t limit_ms, const char *what)
{
    int64_t limit = limit_ms * MS * (gwt_sampling() ? 10 : 1), start = gw_now();
    int status = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    for (;;) {
        struct timespec ts = {0, 1000000};
        pid_t r = waitpid(pid, &status, WNOHANG);

        assert_true(r >= 0);
        if (r == pid)
            break;
        if (gw_now() - start > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("%s: still running after %lld ms", what, (long long)(limit / MS));
        }
        nanosleep(&ts, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: the child failed (status %d)", what, status);
}

/* Yields one wait record, then records how it ended. */
typedef struct one_wait {
    GW_FRAME(gw_wait);
    gw_wait w;    /* what to yield */
    gw_wake woke; /* how it ended */
    int ret;
} one_wait;

GW_GENERATOR(one_wait, NULL);
GW_BODY(one_wait, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, s->w);
    s->woke = s->_out->woke;
    GW_END(s);
}

/* Runs one task yielding w to its end on a new executor and returns how its
 * wait ended; checks that run() returns 0 and done ran once, uncancelled. */
static gw_wake run_one_wait(gw_wait w)
{
    one_wait ow;
    int counts[2] = {0, 0};
    gw_exec *ex = gw_exec_new();

    CHILD_CHECK(ex != NULL);
    GW_INIT(&ow, one_wait);
    ow.w = w;
    ow.woke = GW_WOKE_NONE;
    CHILD_CHECK(GW_SPAWN(ex, &ow, done_count, counts) != NULL);
    CHILD_CHECK(gw_exec_run(ex) == 0);
    CHILD_CHECK(counts[0] == 1 && counts[1] == 0);
    gw_exec_free(ex);
    return ow.woke;
}

/* Deadlines at and near INT64_MIN (long past): a timer wakes at once, a
 * wait on a silent socket or an unsignalled event times out at once; at
 * INT64_MAX - 1 (a deadline, not GW_NO_DEADLINE, but never reached), a
 * readable socket wakes its reader at once. */
static void deadline_extremes(void)
{
    const int64_t past[] = {INT64_MIN, INT64_MIN + 1, INT64_MIN + 1000 * MS, -1, 0};
    int64_t start = gw_now();
    gw_event ev = GW_EVENT_INIT;
    size_t i;
    int fds[2];

    CHILD_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    for (i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
        CHILD_CHECK(run_one_wait(gw_wait_until(past[i])) == GW_WOKE_READY);
        CHILD_CHECK(run_one_wait(gw_wait_fd(GW_WAIT_READ, fds[0], past[i])) == GW_WOKE_TIMEOUT);
        CHILD_CHECK(run_one_wait(gw_wait_event(&ev, past[i])) == GW_WOKE_TIMEOUT);
    }
    CHILD_CHECK(write(fds[1], "x", 1) == 1);
    CHILD_CHECK(run_one_wait(gw_wait_fd(GW_WAIT_READ, fds[0], INT64_MAX - 1)) == GW_WOKE_READY);
    CHILD_CHECK(run_one_wait(gw_wait_fd(GW_WAIT_WRITE, fds[0], INT64_MAX - 1)) == GW_WOKE_READY);
    close(fds[0]);
    close(fds[1]);
    /* 16 short runs: nothing here sleeps. */
    CHILD_CHECK(gw_now() - start < 1000 * MS * (gwt_sampling() ? 10 : 1));
}

/* Issue 9 (second round), item 1: the poll timeout was computed as
 * deadline - now, which overflows for a deadline near INT64_MIN and came
 * out as the largest timeout (about 10^9 ms) instead of 0. */
void test_deadline_int64_min(void **state)
{
    (void)state;
    in_child(deadline_extremes, 5000, "waits with deadlines near INT64_MIN and INT64_MAX");
}
