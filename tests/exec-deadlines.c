/*
 * The exec suite's cases of a deadline that passes while the descriptor is
 * already ready: input arrives, then the executor does not run until after
 * the deadline (the process descheduled, a turn that ran long, a caller that
 * came back late).  The task must wake as ready, not as timed out: the
 * executor looks at the descriptors before it calls a wait on one a
 * timeout (gen/exec.c, expire_timers), and a look that may have missed the
 * descriptor (more ready than epoll's event array holds; a look made before
 * the wait began) does not count.  Time is not faked: the loop is
 * blocked on purpose until the deadline has passed, so each case is
 * deterministic whatever the machine's load.
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

#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <genwire/exec.h>

#include "gwt.h"
#include "test-exec.h"

#define MS 1000000LL

/* Blocks the thread (not the executor's way: a plain sleep) until gw_now()
 * is past t. */
static void sleep_past(int64_t t)
{
    while (gw_now() <= t) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Waits once for fd to be readable, with a deadline `ns` after it starts;
 * records the deadline and how the wait ended. */
typedef struct deadline_reader {
    GW_FRAME(gw_wait);
    int fd;
    int64_t ns, deadline;
    gw_wake woke;
    short revents;
    int ret;
} deadline_reader;

GW_GENERATOR(deadline_reader, NULL);
GW_BODY(deadline_reader, s)
{
    GW_BEGIN(s);
    s->deadline = gw_now() + s->ns;
    GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fd, s->deadline));
    s->woke = s->_out->woke;
    s->revents = s->_out->revents;
    GW_END(s);
}

static void deadline_reader_init(deadline_reader *r, int fd, int64_t ns)
{
    GW_INIT(r, deadline_reader);
    r->fd = fd;
    r->ns = ns;
    r->deadline = 0;
    r->woke = GW_WOKE_NONE;
    r->revents = 0;
}

/* n readers of their own socket pairs, nothing ever written to them,
 * waiting with a deadline far away: descriptors that must never wake. */
typedef struct idle_set {
    int n;
    int (*fds)[2];
    deadline_reader *w;
} idle_set;

static void idle_set_spawn(idle_set *set, gw_exec *ex, int n)
{
    int i;

    set->n = n;
    set->fds = calloc((size_t)n, sizeof(*set->fds));
    set->w = calloc((size_t)n, sizeof(*set->w));
    assert_non_null(set->fds);
    assert_non_null(set->w);
    for (i = 0; i < n; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, set->fds[i]), 0);
        deadline_reader_init(&set->w[i], set->fds[i][0], 60000 * MS);
        assert_non_null(GW_SPAWN(ex, &set->w[i], NULL, NULL));
    }
}

/* Asserts that every reader of the set still waits. */
static void idle_set_check(const idle_set *set)
{
    int i;

    for (i = 0; i < set->n; i++)
        assert_int_equal(set->w[i].woke, GW_WOKE_NONE);
}

/* Closes the set's descriptors and frees it (after gw_exec_free). */
static void idle_set_free(idle_set *set)
{
    int i;

    for (i = 0; i < set->n; i++) {
        close(set->fds[i][0]);
        close(set->fds[i][1]);
    }
    free(set->w);
    free(set->fds);
}

/* Between turns: both readers wait with a 20 ms deadline; one gets a byte,
 * then the caller does not run a turn until both deadlines have passed.
 * The next turn wakes the one with input as ready (POLLIN) and times out
 * the other, in the same turn. */
void test_deadline_passed_with_input_waiting(void **state)
{
    int fed[2], idle[2];
    deadline_reader a, b;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fed), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, idle), 0);
    deadline_reader_init(&a, fed[0], 20 * MS);
    deadline_reader_init(&b, idle[0], 20 * MS);
    assert_non_null(GW_SPAWN(ex, &a, NULL, NULL));
    assert_non_null(GW_SPAWN(ex, &b, NULL, NULL));
    assert_int_equal(gw_exec_run_once(ex, 0), 2); /* both wait; nothing ready yet */
    assert_int_equal(a.woke, GW_WOKE_NONE);
    assert_int_equal(write(fed[1], "x", 1), 1);
    sleep_past(a.deadline > b.deadline ? a.deadline : b.deadline);
    assert_int_equal(gw_exec_run_once(ex, 0), 0);
    print_message("# %s: input before the deadline: woke %s\n", gw_exec_backend_name(ex),
                  a.woke == GW_WOKE_READY ? "ready" : "timed out");
    assert_int_equal(a.woke, GW_WOKE_READY);
    assert_true(a.revents & POLLIN);
    assert_int_equal(b.woke, GW_WOKE_TIMEOUT); /* no input: still a timeout */
    assert_int_equal(b.revents, 0);
    gw_exec_free(ex);
    close(fed[0]);
    close(fed[1]);
    close(idle[0]);
    close(idle[1]);
}

/* On its second run, writes a byte to *poke_fd, blocks until *past has
 * passed (a turn that runs long), and stays ready for a few turns. */
typedef struct staller {
    GW_FRAME(gw_wait);
    int poke_fd, i;
    const int64_t *past;
    int ret;
} staller;

GW_GENERATOR(staller, NULL);
GW_BODY(staller, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_ready());
    assert_int_equal(write(s->poke_fd, "x", 1), 1);
    sleep_past(*s->past);
    for (s->i = 0; s->i < 3; s->i++)
        GW_YIELD(s, gw_wait_ready());
    GW_END(s);
}

/* Inside one turn: among N idle descriptors, a task feeds the reader and
 * then runs past the reader's deadline, and stays ready, so the poll
 * backend skips its look at the end of that turn (one task run is less than
 * nio / 16): the deadline is due before any look saw the input.  The reader
 * still wakes as ready. */
void test_deadline_passed_in_a_long_turn(void **state)
{
    int fed[2], turns = 0;
    idle_set set;
    deadline_reader r;
    staller st;
    gw_exec *ex = gw_exec_new();

    (void)state;
    idle_set_spawn(&set, ex, 40);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fed), 0);
    deadline_reader_init(&r, fed[0], 20 * MS);
    assert_non_null(GW_SPAWN(ex, &r, NULL, NULL));
    GW_INIT(&st, staller);
    st.poke_fd = fed[1];
    st.past = &r.deadline;
    assert_non_null(GW_SPAWN(ex, &st, NULL, NULL));
    while (r.woke == GW_WOKE_NONE) {
        assert_true(gw_exec_run_once(ex, 1) > 0);
        assert_true(++turns < 100);
    }
    print_message("# %s: input before the deadline, in a long turn: woke %s\n",
                  gw_exec_backend_name(ex), r.woke == GW_WOKE_READY ? "ready" : "timed out");
    assert_int_equal(r.woke, GW_WOKE_READY);
    assert_true(r.revents & POLLIN);
    idle_set_check(&set);
    gw_exec_free(ex);
    idle_set_free(&set);
    close(fed[0]);
    close(fed[1]);
}

/* Waits to read each of n descriptors in turn, with no deadline, feeding
 * each a byte first and reading it back after: under epoll every one stays
 * registered (gen/exec-epoll.c), with nobody waiting and nothing to read. */
typedef struct primer {
    GW_FRAME(gw_wait);
    int (*fds)[2];
    int n, i;
    int ret;
} primer;

GW_GENERATOR(primer, NULL);
GW_BODY(primer, s)
{
    char c;

    GW_BEGIN(s);
    for (s->i = 0; s->i < s->n; s->i++) {
        assert_int_equal(write(s->fds[s->i][1], "x", 1), 1);
        GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fds[s->i][0], GW_NO_DEADLINE));
        assert_int_equal(s->_out->woke, GW_WOKE_READY);
        assert_int_equal(read(s->fds[s->i][0], &c, 1), 1);
    }
    GW_END(s);
}

/* On its second run, writes a byte to each of n stale descriptors and then
 * to each of m fed ones, and blocks until *past has passed (a turn that
 * runs long). */
typedef struct flooder {
    GW_FRAME(gw_wait);
    int (*stale)[2], (*fed)[2];
    int n, m;
    const int64_t *past;
    int ret;
} flooder;

GW_GENERATOR(flooder, NULL);
GW_BODY(flooder, s)
{
    int i;

    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_ready());
    for (i = 0; i < s->n; i++)
        assert_int_equal(write(s->stale[i][1], "x", 1), 1);
    for (i = 0; i < s->m; i++)
        assert_int_equal(write(s->fed[i][1], "x", 1), 1);
    sleep_past(*s->past);
    GW_END(s);
}

/* More descriptors ready than one epoll_wait reports: the executor's event
 * array holds as many events as it has room for tasks (8 here), and 64
 * descriptors left registered by an earlier task (nobody waits on them)
 * become readable before the M readers' input, in one turn that runs past
 * the readers' deadlines.  The wait at the end of that turn reports only
 * the first 8, none of them a reader's: that look saw only part of what was
 * ready, so it does not count as having found the readers' descriptors
 * idle, and every reader wakes as ready.  A reader without input, due at
 * the same time, still times out. */
void test_deadline_passed_with_more_ready_than_one_wait(void **state)
{
    enum { N = 64, M = 4 };
    int stale[N][2], fed[M][2], idle[2], i, turns = 0;
    deadline_reader r[M], q;
    primer p;
    flooder f;
    int64_t last = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    for (i = 0; i < N; i++)
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, stale[i]), 0);
    GW_INIT(&p, primer);
    p.fds = stale;
    p.n = N;
    assert_non_null(GW_SPAWN(ex, &p, NULL, NULL));
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(p.i, N);
    for (i = 0; i < M; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fed[i]), 0);
        deadline_reader_init(&r[i], fed[i][0], 20 * MS);
        assert_non_null(GW_SPAWN(ex, &r[i], NULL, NULL));
    }
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, idle), 0);
    deadline_reader_init(&q, idle[0], 20 * MS);
    assert_non_null(GW_SPAWN(ex, &q, NULL, NULL));
    GW_INIT(&f, flooder);
    f.stale = stale;
    f.fed = fed;
    f.n = N;
    f.m = M;
    f.past = &last;
    assert_non_null(GW_SPAWN(ex, &f, NULL, NULL));
    assert_int_equal(gw_exec_run_once(ex, 0), M + 2); /* the readers wait */
    last = q.deadline;
    for (i = 0; i < M; i++) {
        assert_int_equal(r[i].woke, GW_WOKE_NONE);
        if (r[i].deadline > last)
            last = r[i].deadline;
    }
    while (gw_exec_run_once(ex, 1) > 0)
        assert_true(++turns < 100);
    for (i = 0; i < M; i++)
        print_message("# %s: reader %d among %d ready descriptors: woke %s\n",
                      gw_exec_backend_name(ex), i, N + M,
                      r[i].woke == GW_WOKE_READY ? "ready" : "timed out");
    for (i = 0; i < M; i++) {
        assert_int_equal(r[i].woke, GW_WOKE_READY);
        assert_true(r[i].revents & POLLIN);
    }
    assert_int_equal(q.woke, GW_WOKE_TIMEOUT);
    assert_int_equal(q.revents, 0);
    gw_exec_free(ex);
    close(idle[0]);
    close(idle[1]);
    for (i = 0; i < N; i++) {
        close(stale[i][0]);
        close(stale[i][1]);
    }
    for (i = 0; i < M; i++) {
        close(fed[i][0]);
        close(fed[i][1]);
    }
}

/* Takes its deadline from the clock, lets one turn pass, then waits to read
 * with that deadline: a deadline already passed when the wait begins (an
 * overall deadline a task checks late). */
typedef struct late_reader {
    GW_FRAME(gw_wait);
    int fd;
    int64_t deadline;
    gw_wake woke;
    short revents;
    int ret;
} late_reader;

GW_GENERATOR(late_reader, NULL);
GW_BODY(late_reader, s)
{
    GW_BEGIN(s);
    s->deadline = gw_now();
    GW_YIELD(s, gw_wait_ready());
    GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fd, s->deadline));
    s->woke = s->_out->woke;
    s->revents = s->_out->revents;
    GW_END(s);
}

/* A wait whose deadline passed before the executor's last look began, on a
 * descriptor that has input: that look did not include the descriptor (the
 * task was not waiting on it yet), and with tasks still ready among N idle
 * descriptors the poll backend skips the look at the end of the turn in
 * which the wait begins.  The reader still wakes as ready; one beside it
 * without input times out. */
void test_deadline_passed_before_the_wait_began(void **state)
{
    int fed[2], idle[2], turns = 0;
    idle_set set;
    late_reader r, q;
    staller st;
    int64_t zero = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    idle_set_spawn(&set, ex, 64);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fed), 0);
    GW_INIT(&r, late_reader);
    r.fd = fed[0];
    r.woke = GW_WOKE_NONE;
    assert_non_null(GW_SPAWN(ex, &r, NULL, NULL));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, idle), 0);
    GW_INIT(&q, late_reader);
    q.fd = idle[0];
    q.woke = GW_WOKE_NONE;
    assert_non_null(GW_SPAWN(ex, &q, NULL, NULL));
    GW_INIT(&st, staller);
    st.poke_fd = fed[1];
    st.past = &zero;
    assert_non_null(GW_SPAWN(ex, &st, NULL, NULL));
    while (r.woke == GW_WOKE_NONE || q.woke == GW_WOKE_NONE) {
        assert_true(gw_exec_run_once(ex, 1) > 0);
        assert_true(++turns < 100);
    }
    print_message("# %s: input, deadline passed before the wait began: woke %s\n",
                  gw_exec_backend_name(ex), r.woke == GW_WOKE_READY ? "ready" : "timed out");
    assert_int_equal(r.woke, GW_WOKE_READY);
    assert_true(r.revents & POLLIN);
    assert_int_equal(q.woke, GW_WOKE_TIMEOUT);
    assert_int_equal(q.revents, 0);
    idle_set_check(&set);
    gw_exec_free(ex);
    idle_set_free(&set);
    close(fed[0]);
    close(fed[1]);
    close(idle[0]);
    close(idle[1]);
}
