/*
 * The exec suite's cases of a deadline that passes while the descriptor is
 * already ready: input arrives, then the executor does not run until after
 * the deadline (the process descheduled, a turn that ran long, a caller that
 * came back late).  The task must wake as ready, not as timed out: the
 * executor looks at the descriptors before it calls a wait on one a
 * timeout (gen/exec.c, expire_timers).  Time is not faked: the loop is
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
    enum { N = 40 };
    int(*fds)[2] = calloc(N, sizeof(*fds)), fed[2], i, turns = 0;
    deadline_reader *w = calloc(N, sizeof(*w)), r;
    staller st;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_non_null(fds);
    assert_non_null(w);
    for (i = 0; i < N; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
        deadline_reader_init(&w[i], fds[i][0], 60000 * MS);
        assert_non_null(GW_SPAWN(ex, &w[i], NULL, NULL));
    }
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
    for (i = 0; i < N; i++)
        assert_int_equal(w[i].woke, GW_WOKE_NONE); /* the idle ones still wait */
    gw_exec_free(ex);
    for (i = 0; i < N; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    close(fed[0]);
    close(fed[1]);
    free(w);
    free(fds);
}
