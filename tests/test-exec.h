/*
 * Shared by the exec suite's files (tests/test-exec.c, exec-*.c): the
 * generators more than one file spawns (their frames here, their bodies in
 * test-exec.c and exec-sockets.c, each started by its _init function: a
 * generator's type is private to the file of its body), the done callback
 * that counts, and the cases each file defines for test-exec.c's list.
 */
#ifndef GW_TEST_EXEC_H
#define GW_TEST_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/exec.h>
#include <genwire/io.h>

typedef struct spinner {
    GW_FRAME(gw_wait);
    int id, n, i; /* which task, how many turns, turn */
    char *log;    /* appended to on each turn */
    size_t *nlog;
    int ret;
} spinner;

typedef struct pipe_consumer {
    GW_FRAME(gw_wait);
    gw_reader *r;
    uint8_t buf[5];
    size_t got; /* bytes received */
    gw_io_op *op;
    int ret; /* 0 if every byte matched */
} pipe_consumer;

/* Sleeps until GW_NO_DEADLINE: never. */
typedef struct forever {
    GW_FRAME(gw_wait);
    int *cleaned;
    int ret;
} forever;

/* A task blocked reading a silent socket is cancelled: its cleanup runs and
 * the executor is left empty. */
typedef struct blocked_reader {
    GW_FRAME(gw_wait);
    gw_fdio *io;
    uint8_t buf[16];
    void *held;   /* memory held while suspended */
    int *cleaned; /* set by cleanup */
    gw_io_op *op;
    int ret;
} blocked_reader;

/* spinner_init: sp yields READY n times, appending 'a' + id to log each turn. */
void spinner_init(spinner *sp, int id, int n, char *log, size_t *nlog);
/* pipe_consumer_init: c reads r to its end, checking the bytes count up. */
void pipe_consumer_init(pipe_consumer *c, gw_reader *r);
/* forever_init: f waits for GW_NO_DEADLINE; its cleanup adds 1 to *cleaned. */
void forever_init(forever *f, int *cleaned);
/* blocked_reader_init: br on a new socket pair, fds[0] wrapped in *io. */
void blocked_reader_init(blocked_reader *br, gw_fdio *io, int fds[2], int *cleaned);
/* done_count: a gw_task done callback counting into ((int *)ud)[cancelled]. */
void done_count(gw_task *t, int cancelled, void *ud);

/* exec-sockets.c: loopback TCP through the fd transport, cancel and POLLHUP. */
void test_tcp_exchange_64mib(void **state);
void test_tcp_peer_reset(void **state);
void test_cancel_blocked_on_socket(void **state);
void test_pollhup_wakes_reader(void **state);

/* exec-sigpipe.c: a write whose reader has gone is GW_EPIPE, never SIGPIPE. */
void test_fd_reader_gone_is_epipe(void **state);
void test_fd_caller_blocks_sigpipe(void **state);
void test_fd_ignored_sigpipe(void **state);
void test_fd_socket_replaced_by_pipe(void **state);
void test_fd_sigpipe_cost_per_write(void **state);

/* exec-backends.c: the poll() and epoll backends, and the dump. */
void test_backend_selection(void **state);
void test_readable_fd_nobody_waits_on(void **state);
void test_fd_number_reused(void **state);
void test_regular_file_is_ready(void **state);
void test_many_waiters_wake_right(void **state);
void test_yield_among_idle_fds_sees_ready_fd(void **state);
void test_dump(void **state);

/* exec-deadlines.c: a deadline that passes with the descriptor already ready. */
void test_deadline_passed_with_input_waiting(void **state);
void test_deadline_passed_in_a_long_turn(void **state);
void test_deadline_passed_with_more_ready_than_one_wait(void **state);
void test_deadline_passed_before_the_wait_began(void **state);

/* exec-edges.c: deadlines at the ends of int64_t, a task cancelled as it ends. */
void test_deadline_int64_min(void **state);
void test_done_cancels_its_own_task(void **state);
void test_wait_negative_fd(void **state);

#endif /* GW_TEST_EXEC_H */
