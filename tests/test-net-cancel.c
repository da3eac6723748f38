/*
 * The net suites' cancellation cases: cancelling a task blocked in
 * connect, accept, read or write releases its socket (the process holds
 * the descriptors it held before, counted in /proc/self/fd).
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

#include <unistd.h>

#include "gwt.h"
#include "net-util.h"

/* ---- cancelling blocked tasks releases their sockets ---------------------- */

/* Runs `t`'s executor until it is blocked, cancels it, and checks the
 * process holds `fds` descriptors again. */
static void cancel_and_count(gw_exec *ex, gw_task *t, int fds, int *cleaned)
{
    int i;

    for (i = 0; i < 3; i++)
        assert_true(gw_exec_run_once(ex, 0) >= 1);
    assert_true(count_fds() > fds);
    gw_task_cancel(ex, t);
    assert_int_equal(count_fds(), fds);
    if (cleaned != NULL)
        assert_int_equal(*cleaned, 1);
}

static void test_cancel_in_connect(void **state)
{
    timed_connect tc;
    int port, held, lfd, fds;
    gw_exec *ex = gw_exec_new();
    gw_task *t;

    (void)state;
    lfd = full_listener(&port, &held);
    fds = count_fds();
    timed_connect_init(&tc, port, 0);
    t = GW_SPAWN(ex, &tc, NULL, NULL);
    cancel_and_count(ex, t, fds, NULL); /* the connect's own cleanup closed it */
    gw_exec_free(ex);
    close(held);
    close(lfd);
}

/* A server blocked in accept; its cleanup closes the listener. */
static void test_cancel_in_accept(void **state)
{
    int fds = count_fds();
    server srv;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(server_start(&srv, ex, "127.0.0.1:0", 0), 0);
    assert_int_equal(gw_exec_run_once(ex, 0), 1);
    assert_int_equal(count_fds(), fds + 1 + (strcmp(gw_exec_backend_name(ex), "epoll") == 0));
    gw_exec_free(ex); /* cancels the server */
    assert_int_equal(count_fds(), fds);
    assert_true(srv.l.fd < 0);
}

/* Blocked reading (nothing comes) or writing (nobody reads): cancelling
 * the task runs its cleanup, which closes the connection. */
static void check_cancel_io(int write)
{
    gw_conn *a = calloc(1, sizeof(*a)), b;
    stalled *st = calloc(1, sizeof(*st));
    int fds = count_fds();
    gw_exec *ex = gw_exec_new();
    gw_task *t;
    int extra = strcmp(gw_exec_backend_name(ex), "epoll") == 0; /* its descriptor */

    assert_non_null(a);
    assert_non_null(st);
    conn_pair("127.0.0.1:0", a, &b);
    stalled_init(st, a, write);
    t = GW_SPAWN(ex, st, NULL, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(gw_exec_run_once(ex, 0), 1);
    assert_int_equal(count_fds(), fds + extra + 2);
    gw_task_cancel(ex, t);
    gw_conn_close(a); /* stalled has no cleanup of its own: the owner closes */
    gw_conn_close(&b);
    gw_exec_free(ex);
    assert_int_equal(count_fds(), fds);
    free(a);
    free(st);
}

static void test_cancel_in_read(void **state)
{
    (void)state;
    check_cancel_io(0);
}

static void test_cancel_in_write(void **state)
{
    (void)state;
    check_cancel_io(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_in_connect),
        cmocka_unit_test(test_cancel_in_accept),
        cmocka_unit_test(test_cancel_in_read),
        cmocka_unit_test(test_cancel_in_write),
    };

    net_suite_init();
    return GWT_RUN_GROUP("net-cancel", tests);
}
