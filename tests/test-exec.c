/*
 * Tests of the poll() executor (gen/exec.c): timer ordering, fairness of
 * voluntary yields, events between tasks over a memory pipe, EINTR during
 * poll, cancelling a task blocked on a socket, and a loopback TCP exchange
 * of 64 MiB each way through the fd transport, then the same with the peer
 * resetting the connection mid-stream.
 *
 * The socket, backend, SIGPIPE, deadline and edge cases are in
 * exec-sockets.c, exec-backends.c, exec-sigpipe.c, exec-deadlines.c and
 * exec-edges.c (test-exec.h); this file holds the rest and the list.
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

/* ---- timers and fairness ------------------------------------------------- */

typedef struct sleeper {
    GW_FRAME(gw_wait);
    int64_t delay_ns; /* how long to sleep */
    int64_t from;     /* sleeps until from + delay_ns; 0: from its first run */
    int id;           /* written to the log on waking */
    int *log, *nlog;  /* the wake log */
    int64_t woke_at;  /* gw_now() on waking */
    int ret;          /* unused */
} sleeper;

GW_GENERATOR(sleeper, NULL);
GW_BODY(sleeper, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_until((s->from != 0 ? s->from : gw_now()) + s->delay_ns));
    assert_int_equal(s->_out->woke, GW_WOKE_READY);
    s->woke_at = gw_now();
    s->log[(*s->nlog)++] = s->id;
    GW_END(s);
}

void done_count(gw_task *t, int cancelled, void *ud)
{
    int *counts = ud;

    (void)t;
    counts[cancelled ? 1 : 0]++;
}

static void test_timer_order(void **state)
{
    static const int ms[] = {30, 10, 50, 20, 0, 40};
    sleeper sl[6] = {0};
    int log[6], nlog = 0, counts[2] = {0, 0};
    int64_t start = gw_now();
    gw_exec *ex = gw_exec_new();
    int i;

    (void)state;
    for (i = 0; i < 6; i++) {
        GW_INIT(&sl[i], sleeper);
        sl[i].delay_ns = ms[i] * 1000000LL;
        /* Deadlines from one instant: each task's first run is the first
         * run of new code under valgrind, which can take longer than the
         * 10 ms between two deadlines (the order once came out wrong). */
        sl[i].from = start;
        sl[i].id = i;
        sl[i].log = log;
        sl[i].nlog = &nlog;
        assert_non_null(GW_SPAWN(ex, &sl[i], done_count, counts));
    }
    assert_int_equal(gw_exec_ntasks(ex), 6);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(nlog, 6);
    assert_int_equal(counts[0], 6);
    /* In deadline order, and none before its deadline. */
    assert_int_equal(log[0], 4);
    assert_int_equal(log[1], 1);
    assert_int_equal(log[2], 3);
    assert_int_equal(log[3], 0);
    assert_int_equal(log[4], 5);
    assert_int_equal(log[5], 2);
    for (i = 0; i < 6; i++)
        assert_true(sl[i].woke_at - start >= ms[i] * 1000000LL);
    gw_exec_free(ex);
}

GW_GENERATOR(spinner, NULL);
GW_BODY(spinner, s)
{
    GW_BEGIN(s);
    for (s->i = 0; s->i < s->n; s->i++) {
        s->log[(*s->nlog)++] = (char)('a' + s->id);
        GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

void spinner_init(spinner *sp, int id, int n, char *log, size_t *nlog)
{
    GW_INIT(sp, spinner);
    sp->id = id;
    sp->n = n;
    sp->log = log;
    sp->nlog = nlog;
}

static void test_ready_is_fair(void **state)
{
    spinner sp[3];
    char log[16] = {0};
    size_t nlog = 0;
    gw_exec *ex = gw_exec_new();
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        spinner_init(&sp[i], i, 3, log, &nlog);
        GW_SPAWN(ex, &sp[i], NULL, NULL);
    }
    /* One turn runs each ready task once. */
    assert_int_equal(gw_exec_run_once(ex, 0), 3);
    assert_string_equal(log, "abc");
    assert_int_equal(gw_exec_run(ex), 0);
    assert_string_equal(log, "abcabcabc");
    gw_exec_free(ex);
}

/* ---- events: two tasks over a small memory pipe ------------------------- */

typedef struct pipe_producer {
    GW_FRAME(gw_wait);
    gw_mempipe *p; /* where to write */
    uint8_t chunk[7];
    size_t total, sent; /* bytes to send, sent so far */
    gw_io_op *op;
    int ret;
} pipe_producer;

GW_GENERATOR(pipe_producer, NULL);
GW_BODY(pipe_producer, s)
{
    size_t i;

    GW_BEGIN(s);
    while (s->sent < s->total) {
        for (i = 0; i < sizeof(s->chunk); i++)
            s->chunk[i] = (uint8_t)(s->sent + i);
        GW_AWAIT(s, op, gw_write(&s->p->w, s->chunk, sizeof(s->chunk)));
        assert_int_equal(s->op->ret, 0);
        s->sent += sizeof(s->chunk);
    }
    GW_AWAIT(s, op, gw_close(&s->p->w));
    GW_END(s);
}

GW_GENERATOR(pipe_consumer, NULL);
GW_BODY(pipe_consumer, s)
{
    size_t i;

    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, sizeof(s->buf), 1));
        assert_int_equal(s->op->ret, 0);
        if (s->op->n == 0)
            break;
        for (i = 0; i < s->op->n; i++)
            if (s->buf[i] != (uint8_t)(s->got + i))
                s->ret = -1;
        s->got += s->op->n;
    }
    GW_END(s);
}

void pipe_consumer_init(pipe_consumer *c, gw_reader *r)
{
    GW_INIT(c, pipe_consumer);
    c->r = r;
    c->got = 0;
    c->ret = 0;
}

static void test_event_pipe_between_tasks(void **state)
{
    gw_mempipe p;
    pipe_producer prod;
    pipe_consumer cons;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 3), 0); /* smaller than either's chunks */
    GW_INIT(&prod, pipe_producer);
    prod.p = &p;
    prod.total = 7 * 1000;
    prod.sent = 0;
    GW_INIT(&cons, pipe_consumer);
    cons.r = &p.r;
    cons.got = 0;
    cons.ret = 0;
    GW_SPAWN(ex, &cons, NULL, NULL);
    GW_SPAWN(ex, &prod, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(cons.got, 7000);
    assert_int_equal(cons.ret, 0);
    gw_exec_free(ex);
    gw_mempipe_fini(&p);
}

/* A task parked on an event nobody signals: run() reports it, free()
 * cancels it. */
static void test_stuck_task_reported(void **state)
{
    gw_mempipe p;
    pipe_consumer cons;
    int counts[2] = {0, 0};
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 3), 0);
    GW_INIT(&cons, pipe_consumer);
    cons.r = &p.r;
    cons.got = 0;
    GW_SPAWN(ex, &cons, done_count, counts);
    assert_int_equal(gw_exec_run(ex), 1);
    gw_exec_free(ex);
    assert_int_equal(counts[1], 1);
    gw_mempipe_fini(&p);
}

/* ---- cancel during a turn, timers without a deadline --------------------- */

/* Cancels *victim (once) when it first runs, then yields READY; counts its
 * runs and fails if it runs more than once in one turn. */
typedef struct canceller {
    GW_FRAME(gw_wait);
    gw_exec *ex;
    gw_task **victim; /* the task to cancel, set by the test */
    int *turns;       /* turns the test has started */
    int runs;         /* times resumed */
    int n;            /* how many turns to live */
    int ret;
} canceller;

GW_GENERATOR(canceller, NULL);
GW_BODY(canceller, s)
{
    GW_BEGIN(s);
    for (;;) {
        s->runs++;
        if (s->runs > *s->turns)
            fail_msg("resumed %d times in %d turns", s->runs, *s->turns);
        if (*s->victim != NULL) {
            gw_task_cancel(s->ex, *s->victim);
            *s->victim = NULL;
        }
        if (s->runs >= s->n)
            break;
        GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

/* Issue 9, defect 1: a task that cancels the turn's last ready task, then
 * yields READY, neither livelocks nor touches the freed task. */
static void test_cancel_last_ready_mid_turn(void **state)
{
    canceller c;
    spinner sp;
    char log[8] = {0};
    size_t nlog = 0;
    int turns = 0, counts[2] = {0, 0};
    gw_task *victim;
    gw_exec *ex = gw_exec_new();

    (void)state;
    GW_INIT(&c, canceller);
    c.ex = ex;
    c.victim = &victim;
    c.turns = &turns;
    c.runs = 0;
    c.n = 3;
    spinner_init(&sp, 0, 5, log, &nlog);
    assert_non_null(GW_SPAWN(ex, &c, done_count, counts));
    victim = GW_SPAWN(ex, &sp, done_count, counts); /* the last ready task */
    assert_non_null(victim);
    while (gw_exec_ntasks(ex) > 0) {
        turns++;
        assert_true(turns < 10);
        assert_true(gw_exec_run_once(ex, 0) >= 0);
    }
    assert_int_equal(c.runs, 3);
    assert_int_equal(turns, 3);
    assert_int_equal(nlog, 0); /* the spinner never ran */
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 1);
    gw_exec_free(ex);
}

/* A done callback that cancels another task. */
static gw_task *done_victim;
static void done_cancels(gw_task *t, int cancelled, void *ud)
{
    (void)t;
    (void)cancelled;
    if (done_victim != NULL) {
        gw_task *v = done_victim;
        done_victim = NULL;
        gw_task_cancel(ud, v);
    }
}

/* The same from a done callback: the task that ends first cancels the
 * turn's last ready task. */
static void test_done_cancels_last_ready(void **state)
{
    spinner a, b;
    char log[16] = {0};
    size_t nlog = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    GW_INIT(&a, spinner);
    a.id = 0;
    a.n = 0; /* returns on its first run */
    a.log = log;
    a.nlog = &nlog;
    GW_INIT(&b, spinner);
    b.id = 1;
    b.n = 3;
    b.log = log;
    b.nlog = &nlog;
    assert_non_null(GW_SPAWN(ex, &a, done_cancels, ex));
    done_victim = GW_SPAWN(ex, &b, NULL, NULL);
    assert_non_null(done_victim);
    assert_int_equal(gw_exec_run_once(ex, 0), 0);
    assert_null(done_victim);
    assert_int_equal(nlog, 0);
    gw_exec_free(ex);
}

static void forever_cleanup(gw_frame *f)
{
    *((forever *)(void *)f)->cleaned += 1;
}

GW_GENERATOR(forever, forever_cleanup);
GW_BODY(forever, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_until(GW_NO_DEADLINE));
    fail_msg("a timer without a deadline woke");
    GW_END(s);
}

void forever_init(forever *f, int *cleaned)
{
    GW_INIT(f, forever);
    f->cleaned = cleaned;
}

/* Issue 9, defect 2: a timer wait without a deadline is stuck, not lost:
 * run() reports it and free() runs its cleanup and its done function. */
static void test_timer_without_deadline(void **state)
{
    forever f;
    int cleaned = 0, counts[2] = {0, 0};
    gw_exec *ex = gw_exec_new();

    (void)state;
    forever_init(&f, &cleaned);
    assert_non_null(GW_SPAWN(ex, &f, done_count, counts));
    assert_int_equal(gw_exec_run(ex), 1);
    assert_int_equal(gw_exec_ntasks(ex), 1);
    gw_exec_free(ex);
    assert_int_equal(cleaned, 1);
    assert_int_equal(counts[1], 1);
}

/* ---- EINTR during poll --------------------------------------------------- */

static void on_alarm(int sig)
{
    (void)sig;
}

static void test_eintr_keeps_deadline(void **state)
{
    struct sigaction sa;
    struct itimerval it;
    sleeper sl = {0};
    int log[1], nlog = 0;
    int64_t start;
    gw_exec *ex = gw_exec_new();

    (void)state;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART: poll() fails with EINTR */
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof(it));
    it.it_value.tv_usec = 5000;
    it.it_interval.tv_usec = 5000; /* every 5 ms while we sleep 60 ms */
    GW_INIT(&sl, sleeper);
    sl.delay_ns = 60 * 1000000LL;
    sl.id = 0;
    sl.log = log;
    sl.nlog = &nlog;
    GW_SPAWN(ex, &sl, NULL, NULL);
    start = gw_now();
    setitimer(ITIMER_REAL, &it, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    assert_int_equal(nlog, 1);
    assert_true(sl.woke_at - start >= 60 * 1000000LL);
    gw_exec_free(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_ready_is_fair),
        cmocka_unit_test(test_event_pipe_between_tasks),
        cmocka_unit_test(test_stuck_task_reported),
        cmocka_unit_test(test_eintr_keeps_deadline),
        cmocka_unit_test(test_tcp_exchange_64mib),
        cmocka_unit_test(test_tcp_peer_reset),
        cmocka_unit_test(test_cancel_blocked_on_socket),
        cmocka_unit_test(test_pollhup_wakes_reader),
        cmocka_unit_test(test_cancel_last_ready_mid_turn),
        cmocka_unit_test(test_done_cancels_last_ready),
        cmocka_unit_test(test_timer_without_deadline),
        cmocka_unit_test(test_backend_selection),
        cmocka_unit_test(test_readable_fd_nobody_waits_on),
        cmocka_unit_test(test_fd_number_reused),
        cmocka_unit_test(test_regular_file_is_ready),
        cmocka_unit_test(test_many_waiters_wake_right),
        cmocka_unit_test(test_yield_among_idle_fds_sees_ready_fd),
        cmocka_unit_test(test_deadline_passed_with_input_waiting),
        cmocka_unit_test(test_deadline_passed_in_a_long_turn),
        cmocka_unit_test(test_deadline_passed_with_more_ready_than_one_wait),
        cmocka_unit_test(test_deadline_passed_before_the_wait_began),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_fd_reader_gone_is_epipe),
        cmocka_unit_test(test_fd_caller_blocks_sigpipe),
        cmocka_unit_test(test_fd_ignored_sigpipe),
        cmocka_unit_test(test_fd_socket_replaced_by_pipe),
        cmocka_unit_test(test_fd_sigpipe_cost_per_write),
        cmocka_unit_test(test_deadline_int64_min),
        cmocka_unit_test(test_done_cancels_its_own_task),
        cmocka_unit_test(test_wait_negative_fd),
    };

    signal(SIGPIPE, SIG_DFL);
    return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
