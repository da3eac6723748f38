/*
 * The net suites' load cases (transport/net.c, the executor): accept when
 * the process is out of descriptors (it backs off without spinning, keeps
 * the listener and serves again once descriptors are free), 1,000
 * concurrent clients with a tenth resetting mid-stream (every other client
 * gets its bytes back; descriptors and memory come back to where they
 * were), and slowloris (200 connections sending a byte a second are closed
 * at the idle timeout while 50 normal clients are served without delay).
 * Every address is loopback.
 */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gwt.h"
#include "net-util.h"

/* ---- accept when out of descriptors -------------------------------------- */

/*
 * Under valgrind a real EMFILE from accept4 cannot happen with the
 * connection left queued.  Valgrind keeps RLIMIT_NOFILE's soft limit as its
 * own bookkeeping (a lowered limit never reaches the kernel; getrlimit
 * reports 12 descriptors fewer than the kernel's, which valgrind keeps for
 * itself) and refuses the client any descriptor at or above it, so the
 * kernel still has a free descriptor when accept4 runs: it accepts,
 * valgrind closes the new descriptor and reports EMFILE, and the pending
 * connection is gone.  Exhausting the descriptors by opening files instead
 * ends the same way, since the client can never hold valgrind's 12.  (Both
 * seen with valgrind 3.19: after the EMFILE, the listener is no longer
 * readable and the next accept4 says EAGAIN.)  So under valgrind the case
 * runs against this accept4, which fails with EMFILE while fake_emfile is
 * set and is the C library's otherwise (the library's call resolves to the
 * executable's definition first): the back-off, the turn count and the
 * listener are checked as natively; only the kernel's part is not.
 */
static int fake_emfile;

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *restrict len, int flags)
{
    static int (*real)(int, __SOCKADDR_ARG, socklen_t *restrict, int);

    if (fake_emfile) {
        errno = EMFILE;
        return -1;
    }
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "accept4");
    return real(fd, addr, len, flags);
}

/* Takes the process's descriptors away (for real: the soft limit just above
 * the highest in use; under valgrind: fake_emfile), or gives them back. */
static void starve_fds(int on, int maxfd)
{
    static struct rlimit old;
    struct rlimit low;

    if (under_valgrind()) {
        if (on)
            print_message("# under valgrind accept4 fails with EMFILE on demand: valgrind would "
                          "accept and close the connection itself (see fake_emfile)\n");
        fake_emfile = on;
        return;
    }
    if (on) {
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
        low = old;
        low.rlim_cur = (rlim_t)maxfd + 1;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    } else {
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    }
}

static void test_accept_out_of_fds(void **state)
{
    enum { K = 5 };
    server srv;
    struct sockaddr_in a;
    int cl[K], i, flag = 0, maxfd = 0;
    long turns;
    alarm_task al;
    gw_exec *ex;

    (void)state;
    ex = gw_exec_new();
    assert_int_equal(server_start(&srv, ex, "127.0.0.1:0", 0), 0);
    assert_int_equal(gw_exec_run_once(ex, 0), 1); /* the server waits in accept */
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)gw_listener_port(&srv.l));
    for (i = 0; i < K; i++) {
        cl[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(cl[i], (struct sockaddr *)&a, sizeof(a)), 0);
        if (cl[i] > maxfd)
            maxfd = cl[i];
    }
    /* No descriptor left for accept4 (the epoll backend's is below maxfd). */
    starve_fds(1, maxfd);
    alarm_init(&al, 300 * MS, &flag);
    GW_SPAWN(ex, &al, NULL, NULL);
    turns = run_until(ex, &flag, 1, 60000 * MS);
    /* It backed off (1, 2, 4 ... 100 ms) rather than spun: about 9 pauses
     * in 300 ms, fewer if the machine is slow, never hundreds. */
    assert_true(srv.l.out_of_fds > 0);
    assert_true(srv.l.out_of_fds < 20);
    assert_true(turns < 40);
    assert_int_equal(srv.accepted, 0);
    assert_true(srv.l.fd >= 0);
    /* Descriptors come back: every pending connection is served. */
    starve_fds(0, maxfd);
    while (srv.accepted < K)
        assert_true(gw_exec_run_once(ex, 1) >= 0);
    for (i = 0; i < K; i++) {
        char b = 'a';
        assert_int_equal(write(cl[i], &b, 1), 1);
    }
    for (i = 0; i < K; i++) {
        char b = 0;
        /* Not blocking: the turn that echoes would go on to sleep, and
         * nothing else would wake it. */
        while (recv(cl[i], &b, 1, MSG_DONTWAIT) != 1)
            assert_true(gw_exec_run_once(ex, 0) >= 0);
        assert_int_equal(b, 'a');
        close(cl[i]);
    }
    gw_exec_free(ex);
}

/* One accept: its result, and a count run_until waits for. */
typedef struct one_accept {
    GW_FRAME(gw_wait);
    gw_listener *l;
    gw_conn c;
    gw_net_op *op;
    int ret;
    int done;
} one_accept;

GW_GENERATOR(one_accept, NULL);
GW_BODY(one_accept, s)
{
    GW_BEGIN(s);
    GW_AWAIT(s, op, gw_accept(s->l, &s->c));
    s->ret = s->op->ret;
    COUNT_DONE(s, &s->done);
    GW_END(s);
}

/* An accept with a 50 ms timeout, a connection pending and no descriptor
 * for it: GW_ETIMEDOUT at the deadline.  The back-off once ignored the
 * deadline and waited for descriptors for ever (here: still waiting at
 * run_until's 2 s). */
static void test_accept_timeout_out_of_fds(void **state)
{
    gw_listener l;
    struct sockaddr_in a;
    one_accept acc;
    int cl;
    int64_t start, took;
    gw_exec *ex;

    (void)state;
    ex = gw_exec_new();
    assert_int_equal(gw_listen(&l, "127.0.0.1:0", NULL, NULL), 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)gw_listener_port(&l));
    cl = socket(AF_INET, SOCK_STREAM, 0); /* the lowest free: every one below is in use */
    assert_int_equal(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
    l.timeout = 50 * MS;
    memset(&acc, 0, sizeof(acc));
    GW_INIT(&acc, one_accept);
    acc.l = &l;
    gw_conn_init(&acc.c);
    starve_fds(1, cl);
    start = gw_now();
    assert_non_null(GW_SPAWN(ex, &acc, NULL, NULL));
    run_until(ex, &acc.done, 1, 2000 * MS);
    took = gw_now() - start;
    starve_fds(0, cl);
    assert_int_equal(acc.done, 1);
    assert_int_equal(acc.ret, GW_ETIMEDOUT);
    assert_true(l.out_of_fds > 0);
    assert_true(took >= 50 * MS);
    assert_true(took < 50 * MS + slack_ms(100));
    close(cl);
    gw_listener_close(&l);
    gw_exec_free(ex);
}

/* ---- 1,000 concurrent clients, a tenth resetting ------------------------- */

/* One round of n clients against srv; returns the clients that failed. */
static void many_clients_round(gw_exec *ex, server *srv, int n)
{
    client *c = calloc((size_t)n, sizeof(*c));
    int i, done = 0, resets = 0;

    assert_non_null(c);
    srv->eof = srv->resets = 0;
    for (i = 0; i < n; i++) {
        client_init(&c[i], srv->l.addr, 16, 1024, &done);
        if (i % 10 == 3) {
            c[i].reset_after = 5;
            resets++;
        }
        assert_non_null(GW_SPAWN(ex, &c[i], NULL, NULL));
    }
    run_until(ex, &done, n, 120000 * MS); /* a liveness bound */
    if (done != n)
        gw_exec_dump(ex, stderr);
    assert_int_equal(done, n);
    for (i = 0; i < n; i++) {
        if (c[i].reset_after == 0 && c[i].err != 0)
            fail_msg("client %d: %s", i, gw_strerror(c[i].err));
        assert_true(c[i].reset_after == 0 || c[i].err == 0);
    }
    /* The server sees every connection end: a reset or a clean end; and
     * the clients' tasks end (COUNT_DONE leaves them one more turn) before
     * their frames are freed.  The server is the one task left. */
    while (srv->live > 0 || gw_exec_ntasks(ex) > 1)
        assert_true(gw_exec_run_once(ex, 0) >= 0);
    assert_int_equal(srv->eof + srv->resets, n);
    assert_true(srv->resets <= resets);
    free(c);
}

static void test_thousand_clients(void **state)
{
    const char *env = getenv("GWT_NET_CLIENTS");
    int n = env != NULL ? atoi(env) : 1000, fds;
    long live;
    server srv;
    gw_exec *ex;

    (void)state;
    if (env == NULL && under_valgrind())
        n = 100;
    raise_nofile((rlim_t)(2 * n + 64));
    gw_set_allocator(&counting_allocator);
    live_allocs = 0;
    ex = gw_exec_new();
    assert_int_equal(server_start(&srv, ex, "127.0.0.1:0", 0), 0);
    fds = count_fds();
    many_clients_round(ex, &srv, n);
    assert_int_equal(srv.accepted, n);
    assert_int_equal(count_fds(), fds);
    live = live_allocs; /* the executor's arrays, grown for n tasks */
    many_clients_round(ex, &srv, n);
    assert_int_equal(srv.accepted, 2 * n);
    assert_int_equal(count_fds(), fds);
    assert_int_equal(live_allocs, live); /* a second round grows nothing */
    gw_exec_free(ex);
    assert_int_equal(live_allocs, 0);
    gw_set_allocator(NULL);
}

/* ---- slowloris ----------------------------------------------------------- */

/* Sends one byte, reads its echo, waits `gap` without sending, and records
 * when the server closed the connection (end of stream or reset). */
typedef struct slow_client {
    GW_FRAME(gw_wait);
    const char *addr;
    int64_t gap;
    gw_conn c;
    uint8_t b;
    gw_net_op *cop;
    gw_io_op *op;
    int64_t last_byte, closed_after; /* when it last sent; how long until the close */
    int *done;
    int ret;
} slow_client;

static void slow_client_cleanup(gw_frame *f)
{
    gw_conn_close(&((slow_client *)(void *)f)->c);
}

GW_GENERATOR(slow_client, slow_client_cleanup);
GW_BODY(slow_client, s)
{
    GW_BEGIN(s);
    GW_AWAIT(s, cop, gw_connect(&s->c, s->addr, NULL));
    assert_int_equal(s->cop->ret, 0);
    s->closed_after = -1;
    for (;;) {
        s->b = 'x';
        GW_AWAIT(s, op, gw_write(&s->c.io.w, &s->b, 1));
        if (s->op->ret != 0)
            break;
        s->last_byte = gw_now();
        GW_AWAIT(s, op, gw_read(&s->c.io.r, &s->b, 1, 1));
        if (s->op->ret != 0)
            break;
        /* The next byte only after `gap`: watch for the close meanwhile. */
        s->c.io.r.timeout = s->gap;
        GW_AWAIT(s, op, gw_try_read(&s->c.io.r, &s->b, 1, 1));
        s->c.io.r.timeout = 0;
        if (s->op->ret == GW_ETIMEDOUT)
            break; /* not closed: fails below */
        if (s->op->ret != 0 || s->op->n == 0) {
            s->closed_after = gw_now() - s->last_byte;
            break;
        }
    }
    gw_conn_close(&s->c);
    COUNT_DONE(s, s->done);
    GW_END(s);
}

#define IDLE (250 * MS)

/* One slowloris run: SLOW clients that send a byte a second and FAST echo
 * clients against a server with IDLE as its idle timeout.  Every slow
 * connection is closed, none before IDLE; every fast client is served.
 * t->took is the later of the latest close and IDLE plus the slowest fast
 * round trip, so that check_late bounds both by IDLE + slack.
 *
 * The fast clients run on the server's own thread, and on a loaded 2-core
 * machine one turn of its 250 to 500 tasks takes 100 to 500 ms (measured at
 * a load of 17: two turns in a row can pass IDLE before a client whose echo
 * came early in one turn writes again late in the next).  A fast client
 * that left IDLE between two writes was idle as far as the server could
 * see, and the server's idle timeout closing it is right: such an attempt
 * proves nothing and is tried again.  A fast client closed although it
 * never left IDLE between writes is a failure. */
static void slowloris_once(void *ud, timing *t)
{
    enum { SLOW = 200, FAST = 50 };
    slow_client *sl = calloc(SLOW, sizeof(*sl));
    client *fc = calloc(FAST, sizeof(*fc));
    int sdone = 0, fdone = 0, i, idle_fast = 0;
    int64_t late = 0;
    server srv;
    gw_exec *ex = gw_exec_new();

    (void)ud;
    assert_non_null(sl);
    assert_non_null(fc);
    raise_nofile(2 * (SLOW + FAST) + 64);
    assert_int_equal(server_start(&srv, ex, "127.0.0.1:0", IDLE), 0);
    for (i = 0; i < SLOW; i++) {
        GW_INIT(&sl[i], slow_client);
        gw_conn_init(&sl[i].c);
        sl[i].addr = srv.l.addr;
        sl[i].gap = 1000 * MS; /* one byte a second */
        sl[i].done = &sdone;
        GW_SPAWN(ex, &sl[i], NULL, NULL);
    }
    for (i = 0; i < FAST; i++) {
        client_init(&fc[i], srv.l.addr, under_valgrind() ? 10 : 200, 64, &fdone);
        GW_SPAWN(ex, &fc[i], NULL, NULL);
    }
    run_until(ex, &sdone, SLOW, 60000 * MS);
    assert_int_equal(sdone, SLOW);
    for (i = 0; i < SLOW; i++) {
        /* Closed at the idle timeout, not at the next byte (a second). */
        assert_true(sl[i].closed_after >= IDLE);
        if (sl[i].closed_after > late)
            late = sl[i].closed_after;
    }
    run_until(ex, &fdone, FAST, 120000 * MS);
    assert_int_equal(fdone, FAST);
    for (i = 0; i < FAST; i++) {
        if (fc[i].err != 0) {
            if (fc[i].gap < IDLE)
                fail_msg("fast client %d: %s, though it never left more than %.1f ms between "
                         "writes",
                         i, gw_strerror(fc[i].err), (double)fc[i].gap / 1e6);
            idle_fast++;
            continue;
        }
        if (IDLE + fc[i].worst > late)
            late = IDLE + fc[i].worst; /* no round trip waited on the slow ones */
    }
    if (idle_fast > 0)
        print_message("# %d fast clients left more than %.0f ms between two writes (this thread "
                      "ran them late) and the idle timeout closed them\n",
                      idle_fast, (double)IDLE / 1e6);
    /* The server timed out every slow connection, and no fast one that kept
     * writing. */
    assert_int_equal(srv.timeouts, SLOW + idle_fast);
    gw_exec_free(ex);
    free(sl);
    free(fc);
    t->took = late;
    t->void_ = idle_fast > 0;
}

static void test_slowloris(void **state)
{
    (void)state;
    check_late(slowloris_once, NULL, IDLE, 600 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_out_of_fds),
        cmocka_unit_test(test_accept_timeout_out_of_fds),
        cmocka_unit_test(test_thousand_clients),
        cmocka_unit_test(test_slowloris),
    };

    net_suite_init();
    return GWT_RUN_GROUP("net-load", tests);
}
