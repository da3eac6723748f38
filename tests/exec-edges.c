/*
 * The exec suite's edge cases of the executor core (gen/exec.c): deadlines
 * at the ends of int64_t, which the executor's own arithmetic (the poll
 * timeout, deadline - now) must survive, and a task cancelled while it is
 * already finishing (from its own done callback), whose cleanup and done
 * must run once; a wait on a negative descriptor, which must end at once
 * on either backend.  A case that would sleep in poll() for good runs in a
 * child process that the test kills after a time limit, so that the suite
 * fails instead of hanging.
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

/* ---- a wait on a negative descriptor -------------------------------------- */

/* Waits to read and to write fd -1, without a deadline: each ends at once
 * with POLLNVAL. */
static void negative_fd(void)
{
    CHILD_CHECK(run_one_wait(gw_wait_fd(GW_WAIT_READ, -1, GW_NO_DEADLINE)) == GW_WOKE_READY);
    CHILD_CHECK(run_one_wait(gw_wait_fd(GW_WAIT_WRITE, -1, GW_NO_DEADLINE)) == GW_WOKE_READY);
}

/* A wait on a negative descriptor ends at once, on both backends, as one
 * that poll() reports invalid: epoll ended it with POLLNVAL, while poll(),
 * which skips negative entries, slept in gw_exec_run for good. */
void test_wait_negative_fd(void **state)
{
    (void)state;
    in_child(negative_fd, 2000, "waits on fd -1");
}

/* ---- a task cancelled while it finishes ---------------------------------- */

/* What the self-cancelling cases count. */
typedef struct self_cancel {
    gw_exec *ex;
    int cleaned; /* the generator's cleanup ran */
    int done[2]; /* done ran, by `cancelled` */
} self_cancel;

/* A task's done callback that cancels the task it was called for, every
 * time it is called. */
static void done_cancels_itself(gw_task *t, int cancelled, void *ud)
{
    self_cancel *sc = ud;

    sc->done[cancelled ? 1 : 0]++;
    gw_task_cancel(sc->ex, t);
}

/* A generator whose cleanup cancels its own task (with `in_cleanup` set);
 * it waits for GW_NO_DEADLINE or, with `finish` set, returns at once. */
typedef struct self_cleaner {
    GW_FRAME(gw_wait);
    self_cancel *sc;
    gw_task **task; /* its own task, set by the test after spawning */
    int finish;     /* return instead of waiting */
    int in_cleanup; /* the cleanup cancels the task too */
    int ret;
} self_cleaner;

static void self_cleaner_cleanup(gw_frame *f)
{
    self_cleaner *s = (self_cleaner *)(void *)f;

    if (++s->sc->cleaned == 1 && s->in_cleanup)
        gw_task_cancel(s->sc->ex, *s->task);
}

GW_GENERATOR(self_cleaner, self_cleaner_cleanup);
GW_BODY(self_cleaner, s)
{
    GW_BEGIN(s);
    if (!s->finish)
        GW_YIELD(s, gw_wait_until(GW_NO_DEADLINE));
    GW_END(s);
}

/* How the task ends in end_self_cancelling. */
enum self_end {
    END_RETURNS,  /* its generator returns */
    END_CANCEL,   /* gw_task_cancel from the test */
    END_EXEC_FREE /* gw_exec_free */
};

/* The task ends `how`, with its done callback (and, with in_cleanup, its
 * cleanup) cancelling its own task: the cleanup and done run once each. */
static void end_self_cancelling(enum self_end how, int in_cleanup)
{
    self_cancel sc = {NULL, 0, {0, 0}};
    self_cleaner s;
    gw_task *t;

    sc.ex = gw_exec_new();
    assert_non_null(sc.ex);
    GW_INIT(&s, self_cleaner);
    s.sc = &sc;
    s.task = &t;
    s.finish = how == END_RETURNS;
    s.in_cleanup = in_cleanup;
    t = GW_SPAWN(sc.ex, &s, done_cancels_itself, &sc);
    assert_non_null(t);
    if (how == END_RETURNS) {
        assert_int_equal(gw_exec_run(sc.ex), 0);
        assert_int_equal(sc.done[0], 1);
        assert_int_equal(sc.done[1], 0);
        assert_int_equal(sc.cleaned, 0); /* a cleanup runs on close only */
        gw_exec_free(sc.ex);
        return;
    }
    assert_int_equal(gw_exec_run(sc.ex), 1); /* stuck on GW_NO_DEADLINE */
    if (how == END_CANCEL) {
        gw_task_cancel(sc.ex, t);
        assert_int_equal(gw_exec_ntasks(sc.ex), 0);
    }
    gw_exec_free(sc.ex);
    assert_int_equal(sc.cleaned, 1);
    assert_int_equal(sc.done[0], 0);
    assert_int_equal(sc.done[1], 1);
}

/* Issue 9 (second round), item 2: a done callback that cancels its own task
 * went through the whole cancel again (a second close, unlink and done) and
 * recursed until the stack overflowed.  Cancelling a task that is already
 * finishing is a no-op, from its done callback or its cleanup. */
void test_done_cancels_its_own_task(void **state)
{
    int in_cleanup;

    (void)state;
    for (in_cleanup = 0; in_cleanup < 2; in_cleanup++) {
        end_self_cancelling(END_RETURNS, in_cleanup);
        end_self_cancelling(END_CANCEL, in_cleanup);
        end_self_cancelling(END_EXEC_FREE, in_cleanup);
    }
}
