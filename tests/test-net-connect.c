/*
 * Tests of connect and listen (transport/net.c) and of deadlines on the fd
 * transport, under the executor: a refused connect, malformed and unknown
 * addresses, a connect, a read and a write that pass their deadlines
 * (GW_ETIMEDOUT within a few milliseconds, sticky, naming the side), timeouts
 * of INT64_MAX (no deadline, not an overflow), IPv6
 * and Unix sockets, names through the resolver.  Every address is loopback.
 * Timing checks allow the slack of tests/net-util.h on top of how late a
 * bare poll() in the same state was just after, and a few attempts.
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
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gwt.h"
#include "net-util.h"

/* ---- connect ------------------------------------------------------------- */

/* A port on 127.0.0.1 with nothing listening. */
static int closed_port(void)
{
    gw_listener l;
    int port;

    assert_int_equal(gw_listen(&l, "127.0.0.1:0", NULL, NULL), 0);
    port = gw_listener_port(&l);
    assert_true(port > 0);
    gw_listener_close(&l);
    return port;
}

static void test_connect_refused(void **state)
{
    client c;
    char addr[64], msg[128], want[128];
    int done = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", closed_port());
    client_init(&c, addr, 1, 16, &done);
    GW_SPAWN(ex, &c, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(c.err, GW_ECONNREFUSED);
    assert_string_equal(c.c.addr, addr);
    snprintf(want, sizeof(want), "connection refused: %s", addr);
    assert_string_equal(gw_conn_strerror(&c.c, c.err, msg, sizeof(msg)), want);
    gw_exec_free(ex);
}

/* Runs a connect or accept that must finish without waiting; its ret. */
static int run_net_op(gw_net_op *op)
{
    gw_stack st;
    gw_wait w;

    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    return op->ret;
}

/* Addresses that cannot be parsed or resolved fail at once, distinctly. */
static void test_connect_bad_addresses(void **state)
{
    static const char *const bad[] = {"127.0.0.1", "::1:80", "[::1]80", ":80",
                                      "host:",     "unix:",  NULL};
    gw_conn c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gw_conn_init(&c);
        assert_int_equal(run_net_op(gw_connect(&c, bad[i], NULL)), GW_EADDRESS);
    }
    gw_conn_init(&c);
    assert_int_equal(run_net_op(gw_connect(&c, "localhost:no-such-service-gw", NULL)),
                     GW_ENAME_NOT_FOUND);
    assert_int_equal(gw_listen(&(gw_listener){0}, "nonsense", NULL, NULL), GW_EADDRESS);
}
/* A connect or an accept into a connection that holds a socket is
 * GW_EINVAL and leaves it as it was: gw_connect used to write the new
 * address over c->addr (so gw_conn_strerror named the wrong peer) and
 * clear c->sys_errno first. */
static void test_connect_into_open_conn(void **state)
{
    gw_conn a, b;
    gw_listener l;
    char addr[GW_NET_ADDRSTRLEN];
    uint8_t buf[1];

    (void)state;
    conn_pair("127.0.0.1:0", &a, &b);
    snprintf(addr, sizeof(addr), "%s", a.addr);
    a.sys_errno = ECONNRESET; /* as left by an earlier error */
    assert_int_equal(run_net_op(gw_connect(&a, "127.0.0.1:9", NULL)), GW_EINVAL);
    assert_string_equal(a.addr, addr);
    assert_int_equal(a.sys_errno, ECONNRESET);
    assert_int_equal(gw_listen(&l, "127.0.0.1:0", NULL, NULL), 0);
    assert_int_equal(run_net_op(gw_accept(&l, &a)), GW_EINVAL);
    assert_string_equal(a.addr, addr);
    gw_listener_close(&l);
    assert_true(a.open);
    assert_int_equal(gwt_run_op(gw_write(&a.io.w, "x", 1)), 0);
    assert_int_equal(poll(&(struct pollfd){b.io.fd, POLLIN, 0}, 1, 5000), 1);
    assert_int_equal(read(b.io.fd, buf, 1), 1); /* still the same socket */
    gw_conn_close(&a);
    gw_conn_close(&b);
}

/* A connect started and never run holds nothing: not started, it has no
 * cleanup to run (gen.h), so gw_connect used to resolve at once and leave
 * getaddrinfo's list behind, for LeakSanitizer and valgrind to report, when
 * the op was dropped or its task freed before its first turn.  The same
 * address, run, still connects. */
static void test_connect_never_run(void **state)
{
    gw_exec *ex = gw_exec_new();
    gw_listener l;
    gw_conn a, b;

    (void)state;
    assert_int_equal(gw_listen(&l, "127.0.0.1:0", NULL, NULL), 0);
    gw_conn_init(&a);
    gw_connect(&a, l.addr, NULL); /* dropped */
    gw_connect(&a, l.addr, NULL);
    assert_non_null(GW_SPAWN(ex, &a.op, NULL, NULL));
    gw_exec_free(ex); /* cancels the task before it ran */
    assert_false(a.open);
    ex = gw_exec_new();
    gw_conn_init(&b);
    gw_connect(&a, l.addr, NULL);
    gw_accept(&l, &b);
    assert_non_null(GW_SPAWN(ex, &a.op, NULL, NULL));
    assert_non_null(GW_SPAWN(ex, &l.op, NULL, NULL));
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(a.op.ret, 0);
    assert_int_equal(l.op.ret, 0);
    assert_string_equal(a.addr, l.addr);
    gw_exec_free(ex);
    gw_conn_close(&a);
    gw_conn_close(&b);
    gw_listener_close(&l);
}

/* One connect to a full accept queue with a 60 ms connect_timeout; its
 * duration, and how late a bare poll() of 60 ms was just after. */
static void connect_timeout_once(void *ud, timing *t)
{
    timed_connect tc;
    int port, held, lfd, fds;
    char msg[128], want[128];
    gw_exec *ex = gw_exec_new();

    (void)ud;
    lfd = full_listener(&port, &held);
    fds = count_fds();
    timed_connect_init(&tc, port, 60 * MS);
    GW_SPAWN(ex, &tc, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(tc.err, GW_ECONNECT_TIMEDOUT);
    snprintf(want, sizeof(want), "connect timed out: 127.0.0.1:%d", port);
    assert_string_equal(gw_conn_strerror(&tc.c, tc.err, msg, sizeof(msg)), want);
    assert_int_equal(count_fds(), fds); /* the attempt's socket is closed */
    gw_exec_free(ex);
    close(held);
    close(lfd);
    t->took = tc.took;
    t->base = bare_poll_late(-1, 0, 60 * MS);
}

static void test_connect_deadline(void **state)
{
    (void)state;
    check_late(connect_timeout_once, NULL, 60 * MS, slack_ms(25));
}

/* ---- read and write deadlines ------------------------------------------- */

/* A read (*write == 0) or write (1) that stalls with a 40 ms timeout on its
 * side: GW_ETIMEDOUT, sticky, on that side only, named; its duration, and
 * how late a bare poll() of 40 ms was just after: on the same socket (still
 * empty) for a read, on a freshly filled one for a write.  The second
 * matters: on a loaded machine a poll() for POLLOUT on a loopback socket
 * just filled returns later than one on nothing (medians of 15-35 ms
 * against 2-8 ms at a load of 10 to 15, with no genwire code involved),
 * later than the slack alone. */
static void stall_once(void *ud, timing *t)
{
    int write = *(const int *)ud;
    gw_conn a, b;
    stalled st;
    char msg[256], want[256];
    gw_exec *ex = gw_exec_new();

    conn_pair("127.0.0.1:0", &a, &b);
    stalled_init(&st, &a, write);
    if (write)
        a.io.w.timeout = 40 * MS;
    else
        a.io.r.timeout = 40 * MS;
    GW_SPAWN(ex, &st, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(st.err, GW_ETIMEDOUT);
    assert_int_equal(st.again, GW_ETIMEDOUT);
    assert_int_equal(write ? a.io.w.err : a.io.r.err, GW_ETIMEDOUT);
    assert_int_equal(write ? a.io.r.err : a.io.w.err, 0); /* the other side is untouched */
    snprintf(want, sizeof(want), "%s %s timed out", write ? "write to" : "read from", a.addr);
    assert_string_equal(gw_conn_strerror(&a, st.err, msg, sizeof(msg)), want);
    t->took = st.took;
    t->base = write ? bare_full_write_late(40 * MS) : bare_poll_late(a.io.fd, POLLIN, 40 * MS);
    gw_exec_free(ex);
    gw_conn_close(&a);
    gw_conn_close(&b);
}

static void test_read_deadline(void **state)
{
    static const int rd = 0;

    (void)state;
    check_late(stall_once, (void *)&rd, 40 * MS, slack_ms(25));
}

static void test_write_deadline(void **state)
{
    static const int wr = 1;

    (void)state;
    check_late(stall_once, (void *)&wr, 40 * MS, slack_ms(25));
}

/* An absolute deadline 30 ms ahead, set before a read that would wait; the
 * time from setting it to the error, and a bare poll()'s lateness. */
static void absolute_once(void *ud, timing *t)
{
    gw_conn a, b;
    stalled st;
    gw_exec *ex = gw_exec_new();
    int64_t start;

    (void)ud;
    conn_pair("127.0.0.1:0", &a, &b);
    stalled_init(&st, &a, 0);
    start = gw_now();
    a.io.r.deadline = start + 30 * MS;
    GW_SPAWN(ex, &st, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(st.err, GW_ETIMEDOUT);
    t->took = gw_now() - start;
    t->base = bare_poll_late(a.io.fd, POLLIN, 30 * MS);
    gw_exec_free(ex);
    gw_conn_close(&a);
    gw_conn_close(&b);
}

static void test_absolute_deadline(void **state)
{
    (void)state;
    check_late(absolute_once, NULL, 30 * MS, slack_ms(25));
}

/* ---- IPv6 and Unix sockets ----------------------------------------------- */

static void test_ipv6_loopback(void **state)
{
    gw_listener l;
    char why[128];
    int err;

    (void)state;
    err = gw_listen(&l, "[::1]:0", NULL, NULL);
    if (err != 0) {
        snprintf(why, sizeof(why), "no IPv6 loopback here (%s)", gw_strerror(err));
        gwt_skip(why);
    }
    assert_true(strncmp(l.addr, "[::1]:", 6) == 0);
    gw_listener_close(&l);
    assert_int_equal(echo_round("[::1]:0"), 0);
}

static void test_unix_socket(void **state)
{
    char addr[96];

    (void)state;
    snprintf(addr, sizeof(addr), "unix:/tmp/gw-test-net-%d.sock", (int)getpid());
    unlink(addr + 5);
    assert_int_equal(echo_round(addr), 0);
    assert_int_equal(access(addr + 5, F_OK), -1); /* closing the listener removed it */
    /* Listening on a path that exists is an error, not a silent takeover. */
    {
        gw_listener l1, l2;
        assert_int_equal(gw_listen(&l1, addr, NULL, NULL), 0);
        assert_int_equal(gw_listen(&l2, addr, NULL, NULL), GW_EADDRINUSE);
        gw_listener_close(&l1);
    }
}

/* Names resolve: localhost reaches a server on 127.0.0.1. */
static void test_connect_by_name(void **state)
{
    server srv;
    client c;
    char addr[64];
    int done = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(server_start(&srv, ex, "127.0.0.1:0", 0), 0);
    snprintf(addr, sizeof(addr), "localhost:%d", gw_listener_port(&srv.l));
    client_init(&c, addr, 2, 100, &done);
    GW_SPAWN(ex, &c, NULL, NULL);
    run_until(ex, &done, 1, 5000 * MS);
    assert_int_equal(c.err, 0);
    gw_exec_free(ex);
}

/* ---- reads wait for input after emptying a socket ------------------------ */

/* read(2) as the C library's, counting the calls on one descriptor (the
 * library's calls resolve to the executable's definition first). */
static int counted_fd = -1;
static int counted_reads;

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*real)(int, void *, size_t);

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "read");
    if (fd == counted_fd)
        counted_reads++;
    return real(fd, buf, n);
}

/* A read that got less than it asked for emptied the socket: the next read
 * waits for input before calling read(2), instead of paying one that fails
 * with EAGAIN (one system call per message saved; bench-net measures it).
 * A read with min 0 still asks the socket at once. */
static void test_read_waits_after_short_read(void **state)
{
    int sv[2];
    uint8_t buf[16];
    gw_fdio io;
    gw_io_op *op;
    gw_stack st;
    gw_wait w;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(gw_fdio_init(&io, sv[0], 0), 0);
    counted_fd = sv[0];
    counted_reads = 0;
    assert_int_equal(write(sv[1], "abc", 3), 3);
    op = gw_try_read(&io.r, buf, sizeof(buf), 1);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 3);
    assert_int_equal(counted_reads, 1); /* short: no second read to find EAGAIN */
    /* The next read waits first. */
    op = gw_try_read(&io.r, buf, sizeof(buf), 1);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_int_equal(w.kind, GW_WAIT_READ);
    assert_int_equal(w.fd, sv[0]);
    assert_int_equal(counted_reads, 1);
    assert_int_equal(write(sv[1], "de", 2), 2);
    w.woke = GW_WOKE_READY;
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->n, 2);
    assert_memory_equal(buf, "de", 2);
    assert_int_equal(counted_reads, 2);
    /* min 0: what is there now, with a read(2) even though it is empty. */
    op = gw_try_read(&io.r, buf, sizeof(buf), 0);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 0);
    assert_int_equal(counted_reads, 3);
    /* That EAGAIN emptied it too: the next read waits.  One that fills its
     * buffer leaves the socket maybe not empty: the read after it asks at
     * once. */
    op = gw_try_read(&io.r, buf, sizeof(buf), 1);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_int_equal(counted_reads, 3);
    assert_int_equal(write(sv[1], "0123456789abcdefXY", 18), 18);
    w.woke = GW_WOKE_READY;
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->n, 16);
    op = gw_try_read(&io.r, buf, sizeof(buf), 1);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 2);
    assert_int_equal(counted_reads, 5);
    counted_fd = -1;
    gw_fdio_fini(&io);
    close(sv[0]);
    close(sv[1]);
}

/* The deadline of the first wait of op (which must wait), in push mode; the
 * stack is closed after. */
static int64_t first_wait_deadline(gw_io_op *op)
{
    gw_stack st;
    gw_wait w;

    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    gw_stack_close(&st);
    return w.deadline;
}

/* Issue 9 (second round), item 1: a timeout of INT64_MAX ns (connect,
 * accept, a read, a write) is a deadline that never comes, not now +
 * INT64_MAX, which overflowed to a deadline long past: the operation timed
 * out at once (and UBSan reported the overflow). */
static void test_timeouts_int64_max(void **state)
{
    static uint8_t fill[65536];
    gw_net_opts o;
    gw_listener l;
    gw_conn c;
    gw_fdio io;
    int sv[2], port, held, lfd;
    gw_stack st;
    gw_wait w;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(gw_fdio_init(&io, sv[0], 0), 0);
    io.r.timeout = INT64_MAX;
    io.w.timeout = INT64_MAX;
    assert_int_equal(first_wait_deadline(gw_try_read(&io.r, fill, 1, 1)), GW_NO_DEADLINE);
    while (send(sv[0], fill, sizeof(fill), MSG_DONTWAIT) > 0)
        ;
    assert_int_equal(first_wait_deadline(gw_write(&io.w, fill, 1)), GW_NO_DEADLINE);
    gw_fdio_fini(&io);
    close(sv[0]);
    close(sv[1]);

    assert_int_equal(gw_listen(&l, "127.0.0.1:0", NULL, NULL), 0);
    l.timeout = INT64_MAX;
    gw_conn_init(&c);
    GW_START(&st, gw_accept(&l, &c), &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_int_equal(w.kind, GW_WAIT_READ);
    assert_int_equal(w.deadline, GW_NO_DEADLINE);
    gw_stack_close(&st);
    gw_listener_close(&l);

    lfd = full_listener(&port, &held);
    memset(&o, 0, sizeof(o));
    o.connect_timeout = INT64_MAX;
    gw_conn_init(&c);
    {
        char addr[64];
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        GW_START(&st, gw_connect(&c, addr, &o), &w);
        assert_int_equal(gw_next(&st), GW_YIELDED);
        assert_int_equal(w.kind, GW_WAIT_WRITE);
        assert_int_equal(w.deadline, GW_NO_DEADLINE);
        gw_stack_close(&st);
    }
    gw_conn_close(&c);
    close(held);
    close(lfd);
}

int main(void)
{
    // clang-format off
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_bad_addresses),
        cmocka_unit_test(test_connect_into_open_conn),
        cmocka_unit_test(test_connect_never_run),
        cmocka_unit_test(test_connect_deadline),
        cmocka_unit_test(test_read_deadline),
        cmocka_unit_test(test_write_deadline),
        cmocka_unit_test(test_absolute_deadline),
        cmocka_unit_test(test_ipv6_loopback),
        cmocka_unit_test(test_unix_socket),
        cmocka_unit_test(test_connect_by_name),
        cmocka_unit_test(test_read_waits_after_short_read),
        cmocka_unit_test(test_timeouts_int64_max),
    };
    // clang-format on

    net_suite_init();
    return GWT_RUN_GROUP("net-connect", tests);
}
