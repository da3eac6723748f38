/*
 * The exec suite's SIGPIPE cases for the fd transport (transport/fd.c): a
 * write whose reader has gone is GW_EPIPE and never a signal, over a pipe
 * and over a socket, whatever SIGPIPE's disposition and whether the caller
 * blocks it; a SIGPIPE the caller had pending stays theirs; an fd that stops
 * being a socket still gets GW_EPIPE; and what each write costs in signal
 * system calls: none on a socket, a regular file or a device, or a pipe
 * while SIGPIPE is ignored (and not blocked), two on any other pipe.
 * pthread_sigmask, sigpending and sigaction are counted here (the library's
 * calls resolve to the executable's definitions first).
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
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <genwire/io.h>

#include "gwt.h"
#include "test-exec.h"

/* Signal system calls made while `counting`. */
static int counting, sig_calls;

int pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
    static int (*real)(int, const sigset_t *, sigset_t *);

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_sigmask");
    sig_calls += counting;
    return real(how, set, old);
}

int sigpending(sigset_t *set)
{
    static int (*real)(sigset_t *);

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "sigpending");
    sig_calls += counting;
    return real(set);
}

int sigaction(int sig, const struct sigaction *restrict sa, struct sigaction *restrict old)
{
    static int (*real)(int, const struct sigaction *, struct sigaction *);

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "sigaction");
    sig_calls += counting;
    return real(sig, sa, old);
}

/* SIGPIPE's disposition set to h. */
static void sigpipe_action(void (*h)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = h;
    assert_int_equal(sigaction(SIGPIPE, &sa, NULL), 0);
}

/* Nonzero if a SIGPIPE is pending for this thread or the process. */
static int sigpipe_pending(void)
{
    sigset_t p;

    assert_int_equal(sigpending(&p), 0);
    return sigismember(&p, SIGPIPE);
}

/* Nonzero if this thread blocks SIGPIPE. */
static int sigpipe_blocked(void)
{
    sigset_t m;

    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &m), 0);
    return sigismember(&m, SIGPIPE);
}

/* Takes back a pending SIGPIPE; returns 1 if there was one. */
static int take_sigpipe(void)
{
    sigset_t s;
    struct timespec zero = {0, 0};

    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    return sigtimedwait(&s, NULL, &zero) == SIGPIPE;
}

/* Blocks (on = 1) or unblocks SIGPIPE in this thread. */
static void block_sigpipe(int on)
{
    sigset_t s;

    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    assert_int_equal(pthread_sigmask(on ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL), 0);
}

/* *w gets the write end of a pipe whose other end is
 * closed (broken_pipe), or of a socket pair (broken_socket). */
static void broken_pipe(int *w)
{
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    *w = fds[1];
}
static void broken_socket(int *w)
{
    int fds[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    close(fds[0]);
    *w = fds[1];
}

/* Writes to fd (its reader gone) through an owned fdio: GW_EPIPE, sticky;
 * nothing pending afterwards and the thread's mask as it was. */
static void expect_epipe(int fd)
{
    int blocked = sigpipe_blocked();
    gw_fdio out;

    assert_int_equal(gw_fdio_init(&out, fd, GW_FDIO_OWN | GW_FDIO_NONBLOCK), 0);
    assert_int_equal(gwt_run_op(gw_write(&out.w, "data", 4)), GW_EPIPE);
    assert_int_equal(out.sys_errno, EPIPE);
    assert_int_equal(gwt_run_op(gw_write(&out.w, "more", 4)), GW_EPIPE);
    gw_fdio_fini(&out);
    assert_false(sigpipe_pending());
    assert_int_equal(sigpipe_blocked(), blocked);
}

/* The reader gone, SIGPIPE at its default (terminate) and ignored: the
 * process lives and the write is GW_EPIPE, over a pipe and a socket. */
void test_fd_reader_gone_is_epipe(void **state)
{
    int fd, i;

    (void)state;
    for (i = 0; i < 2; i++) {
        sigpipe_action(i == 0 ? SIG_DFL : SIG_IGN);
        broken_pipe(&fd);
        expect_epipe(fd);
        broken_socket(&fd);
        expect_epipe(fd);
    }
    sigpipe_action(SIG_DFL);
}

/* The caller blocks SIGPIPE.  With none pending, the write's is taken back;
 * with one of theirs pending, it is left for them (it would be lost if the
 * transport took it: signals of one number do not queue). */
void test_fd_caller_blocks_sigpipe(void **state)
{
    int fd;

    (void)state;
    sigpipe_action(SIG_DFL);
    block_sigpipe(1);
    broken_pipe(&fd);
    expect_epipe(fd); /* nothing pending afterwards, still blocked */

    assert_int_equal(raise(SIGPIPE), 0);
    assert_true(sigpipe_pending());
    broken_pipe(&fd);
    {
        gw_fdio out;
        assert_int_equal(gw_fdio_init(&out, fd, GW_FDIO_OWN), 0);
        assert_int_equal(gwt_run_op(gw_write(&out.w, "data", 4)), GW_EPIPE);
        gw_fdio_fini(&out);
    }
    assert_true(sigpipe_pending()); /* theirs, still there */
    assert_true(sigpipe_blocked());
    assert_true(take_sigpipe());
    assert_false(sigpipe_pending());
    block_sigpipe(0);
}

/* SIGPIPE ignored but blocked at init: the write's SIGPIPE would stay
 * pending (a blocked signal is not discarded), so the pipe still has it
 * blocked around each write and taken back; ignored and not blocked, none
 * is raised.  Nothing is pending afterwards either way. */
void test_fd_ignored_sigpipe(void **state)
{
    int fd;

    (void)state;
    sigpipe_action(SIG_IGN);
    block_sigpipe(1);
    broken_pipe(&fd);
    expect_epipe(fd);
    block_sigpipe(0);
    broken_pipe(&fd);
    expect_epipe(fd);
    sigpipe_action(SIG_DFL);
}

/* An fdio made on a socket whose fd then becomes a pipe (dup2): send()
 * fails with ENOTSOCK and the write goes on as a pipe's, GW_EPIPE and no
 * signal, rather than an I/O error. */
void test_fd_socket_replaced_by_pipe(void **state)
{
    int sock, pw;
    gw_fdio out;

    (void)state;
    sigpipe_action(SIG_DFL);
    broken_socket(&sock);
    assert_int_equal(gw_fdio_init(&out, sock, GW_FDIO_OWN), 0);
    assert_true(out.is_socket);
    broken_pipe(&pw);
    assert_int_equal(dup2(pw, sock), sock);
    close(pw);
    assert_int_equal(gwt_run_op(gw_write(&out.w, "data", 4)), GW_EPIPE);
    assert_int_equal(out.sys_errno, EPIPE);
    assert_false(out.is_socket);
    gw_fdio_fini(&out);
    assert_false(sigpipe_pending());
}

/* Signal system calls for `n` writes of 100 bytes to fd (a reader keeps
 * room in it: n * 100 fits any pipe or socket buffer). */
static int sig_calls_per_writes(int fd, int n)
{
    char buf[100];
    gw_fdio out;
    int i;

    memset(buf, 'x', sizeof(buf));
    assert_int_equal(gw_fdio_init(&out, fd, 0), 0);
    counting = 1;
    sig_calls = 0;
    for (i = 0; i < n; i++)
        assert_int_equal(gwt_run_op(gw_write(&out.w, buf, sizeof(buf))), 0);
    counting = 0;
    gw_fdio_fini(&out);
    return sig_calls;
}

/* What keeping SIGPIPE away costs per write: nothing on a socket
 * (MSG_NOSIGNAL), a regular file or /dev/null (they cannot raise it), or a
 * pipe while the process ignores SIGPIPE; two calls on any other pipe
 * (block, restore), also when SIGPIPE is ignored but blocked; decided at
 * init, with no sigaction() or sigpending() per write. */
void test_fd_sigpipe_cost_per_write(void **state)
{
    enum { N = 20 };
    char path[] = "/tmp/gw-sigpipe-XXXXXX";
    int fds[2], fd;

    (void)state;
    sigpipe_action(SIG_DFL);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(sig_calls_per_writes(fds[1], N), 0);
    close(fds[0]);
    close(fds[1]);

    assert_true((fd = mkstemp(path)) >= 0);
    unlink(path);
    assert_int_equal(sig_calls_per_writes(fd, N), 0);
    close(fd);

    assert_true((fd = open("/dev/null", O_WRONLY)) >= 0);
    assert_int_equal(sig_calls_per_writes(fd, N), 0);
    close(fd);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(sig_calls_per_writes(fds[1], N), 2 * N);
    sigpipe_action(SIG_IGN);
    assert_int_equal(sig_calls_per_writes(fds[1], N), 0);
    block_sigpipe(1);
    assert_int_equal(sig_calls_per_writes(fds[1], N), 2 * N);
    block_sigpipe(0);
    sigpipe_action(SIG_DFL);
    close(fds[0]);
    close(fds[1]);
}
