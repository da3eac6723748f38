/*
 * What the net suites (tests/test-net-*.c) share: descriptor counting, a
 * counting allocator, a bounded executor loop, an echo server and an echo
 * client on net.h, a connect with a timeout, a reader or writer that stalls
 * until its deadline, a connected loopback pair, and the slack a timing
 * check allows on this machine.  Built into each net test (tests/meson.build).
 * Include cmocka.h first.
 */
#ifndef GW_TESTS_NET_UTIL_H
#define GW_TESTS_NET_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <genwire/alloc.h>
#include <genwire/exec.h>
#include <genwire/io.h>
#include <genwire/net.h>

#define MS (1000000LL)

/* Each net suite's first call: SIGPIPE back to its default (the fd
 * transport must keep it away on its own), and the default backend named
 * on the TAP stream. */
void net_suite_init(void);

/* Descriptors open in this process. */
int count_fds(void);

/* Nonzero under valgrind, where the big cases shrink. */
int under_valgrind(void);

/* How late a timer may fire here, in ns, for a bound of `plain` ms on an
 * idle machine: more under ASan and valgrind. */
int64_t slack_ms(int64_t plain);

/* Times a timing check is tried before it fails: one attempt a loaded
 * machine delayed is not a late timer, the same lateness every time is. */
#define TIMING_ATTEMPTS 3

/* One attempt of a timing check. */
typedef struct timing {
    int64_t took; /* what the library took, ns: never under the check's want */
    /* How late bare poll() calls of the same length, on the same descriptor
     * in the same state, returned right after (bare_poll_late): the
     * machine's own timer lateness at that moment, allowed on top of the
     * slack.  0 when not measured. */
    int64_t base;
    /* Nonzero: the attempt proves nothing either way (the machine ran the
     * test itself too late to tell, e.g. a client of the server under test
     * left longer than the timeout between its writes); it is retried. */
    int void_;
} timing;

/* check_late: runs once(ud, &t) until t.took is under want + slack +
 * t.base, at most TIMING_ATTEMPTS times; t.took must be at least want on
 * every attempt that is not void.  Fails the case if every attempt was late
 * or void. */
void check_late(void (*once)(void *ud, timing *t), void *ud, int64_t want, int64_t slack);

/* bare_poll_late: the worse of two poll() calls of `ns` on fd for `events`
 * (fd -1: on no descriptor) that time out: how late poll() itself returns
 * here and now, in ns.  Fails the case if fd becomes ready meanwhile. */
int64_t bare_poll_late(int fd, short events, int64_t ns);

/* bare_full_write_late: the same for a write that stalls: the worse of two
 * fresh loopback TCP pairs, each sender filled with send() until EAGAIN,
 * then one poll() of `ns` for POLLOUT on it.  A fresh pair, not the one
 * the case used: right after the fill the kernel is still busy with it, and
 * a poll() then returns later than on a socket full for a while. */
int64_t bare_full_write_late(int64_t ns);

/* Raises the soft RLIMIT_NOFILE to `want` (at most the hard limit). */
void raise_nofile(rlim_t want);

/* A counting allocator: live_allocs is the allocations alive through it. */
extern const gw_allocator counting_allocator;
extern long live_allocs;

/* A timer task that sets *flag after ns. */
typedef struct alarm_task {
    GW_FRAME(gw_wait);
    int64_t ns;
    int *flag;
    int ret;
} alarm_task;
void alarm_init(alarm_task *al, int64_t ns, int *flag);

/* Runs ex until *done reaches `target` or `limit_ns` passes (a timer task
 * bounds every turn); returns the turns.  The limit is a liveness bound,
 * not a timing check: make it generous.  Every task that counts itself in
 * *done must do it with COUNT_DONE. */
long run_until(gw_exec *ex, const int *done, int target, int64_t limit_ns);

/* COUNT_DONE(s, done): increments *done, then yields one turn (suspends).
 * A turn runs the ready tasks and then blocks until the next fd event or
 * deadline when none is left ready: without the yield, the turn that made
 * the count reach run_until's target would go on to sleep until something
 * else happened, as late as run_until's own limit when nothing else was
 * left (slowloris once waited 60 s that way with every client done).  The
 * task still ready keeps that wait from blocking, so run_until sees the
 * count as soon as the turn ends. */
#define COUNT_DONE(s, done)                                                                        \
    do {                                                                                           \
        (*(done))++;                                                                               \
        GW_YIELD(s, gw_wait_ready());                                                              \
    } while (0)

/* ---- an echo server ---- */

typedef struct server server;

/* One accepted connection: echoes until end of stream or an error. */
typedef struct echo_conn {
    GW_FRAME(gw_wait);
    server *srv;
    gw_conn c;
    uint8_t buf[4096];
    gw_io_op *op;
    int ret;
} echo_conn;

struct server {
    GW_FRAME(gw_wait);
    gw_exec *ex;
    gw_listener l;
    int64_t idle;    /* read timeout of each connection, 0: none */
    echo_conn *next; /* the connection being accepted */
    gw_net_op *op;
    int accepted, eof, resets, timeouts; /* what happened to the connections */
    int live;                            /* connections open */
    int ret;
};

/* Listens on addr (TCP_NODELAY, backlog 2048) and spawns the server on ex;
 * returns 0 or gw_listen's error.  Cancelling the server closes the
 * listener. */
int server_start(server *s, gw_exec *ex, const char *addr, int64_t idle);

/* ---- an echo client ---- */

/* Connects, then `rounds` times writes `chunk` bytes and reads them back;
 * with reset_after > 0, resets the connection after that many rounds, in
 * the middle of a write. */
typedef struct client {
    GW_FRAME(gw_wait);
    const char *addr;
    int rounds, reset_after, i;
    size_t chunk;
    uint8_t tx[1024], rx[1024];
    gw_conn c;
    gw_net_op *cop;
    gw_io_op *op;
    int *done;     /* incremented when it ends */
    int err;       /* the first error */
    int64_t t0;    /* when the current round trip began */
    int64_t worst; /* the slowest round trip, ns */
    /* The longest time from the connect, or from the start of one write,
     * to the start of the next: at least as long as the server waited for
     * this client's next bytes at any time. */
    int64_t gap;
    int ret;
} client;

void client_init(client *c, const char *addr, int rounds, size_t chunk, int *done);

/* An echo server on listen_addr and one client of 5 rounds; returns 0, or
 * the listen error. */
int echo_round(const char *listen_addr);

/* ---- connects that hang, and stalls ---- */

/* A listener with a full accept queue: a connect to it hangs in SYN_SENT.
 * Returns the listener's fd; *port its port; *held the queued client. */
int full_listener(int *port, int *held);

/* Connects to addr with o; records how long it took and the error. */
typedef struct timed_connect {
    GW_FRAME(gw_wait);
    char addr[64];
    gw_net_opts o;
    gw_conn c;
    gw_net_op *op;
    int64_t took;
    int err;
    int ret;
} timed_connect;
void timed_connect_init(timed_connect *tc, int port, int64_t timeout);

/* Reads (or writes, if `write`) on c with the side's timeout until an error;
 * records the error, the time from the failing operation's start, and the
 * next operation's error (sticky: the same, at once). */
typedef struct stalled {
    GW_FRAME(gw_wait);
    gw_conn *c;
    int write;
    uint8_t buf[65536];
    gw_io_op *op;
    int64_t took;
    int err, again;
    int ret;
} stalled;
void stalled_init(stalled *st, gw_conn *c, int write);

/* A connected pair over loopback: *a connected with gw_connect, *b accepted. */
void conn_pair(const char *listen_addr, gw_conn *a, gw_conn *b);

#endif /* GW_TESTS_NET_UTIL_H */
