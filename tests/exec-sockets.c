/*
 * The exec suite's socket cases: a loopback TCP exchange of 64 MiB each way
 * through the fd transport, the peer resetting mid-stream, cancelling a task
 * blocked on a socket, and a hung-up pipe waking its reader.
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
/* ---- sockets ------------------------------------------------------------- */

/* A listening loopback socket on an ephemeral port. */
static int listen_loopback(uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A connected pair of loopback TCP sockets. */
static void tcp_pair(int *client, int *server)
{
    struct sockaddr_in a;
    uint16_t port;
    int lfd = listen_loopback(&port);

    *client = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
    *server = accept(lfd, NULL, NULL);
    assert_true(*server >= 0);
    close(lfd);
}

/* The byte at stream offset i of a pattern seeded by `seed`. */
static uint8_t pattern(uint64_t i, uint8_t seed)
{
    return (uint8_t)((i * 31) ^ (i >> 9) ^ seed);
}

/* Closes a socket with an RST instead of a FIN. */
static void reset_connection(int fd)
{
    struct linger lg = {1, 0};

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

/* Sends `total` pattern bytes through a buffered writer, then closes, or,
 * if reset_fd >= 0, flushes and resets the connection instead. */
typedef struct sender {
    GW_FRAME(gw_wait);
    gw_writer *w;
    int reset_fd;
    uint8_t seed;
    uint64_t total, sent; /* bytes to send, sent so far */
    uint8_t chunk[3000];  /* odd size: writes straddle the buffer */
    gw_io_op *op;
    int ret; /* 0, or the error that stopped it */
} sender;

GW_GENERATOR(sender, NULL);
GW_BODY(sender, s)
{
    size_t i, n;

    GW_BEGIN(s);
    while (s->sent < s->total) {
        n = s->total - s->sent < sizeof(s->chunk) ? (size_t)(s->total - s->sent) : sizeof(s->chunk);
        for (i = 0; i < n; i++)
            s->chunk[i] = pattern(s->sent + i, s->seed);
        GW_AWAIT(s, op, gw_write(s->w, s->chunk, n));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        s->sent += s->op->n; /* not n: locals do not survive the yield */
    }
    if (s->reset_fd >= 0) {
        GW_AWAIT(s, op, gw_flush(s->w));
        reset_connection(s->reset_fd);
        GW_RETURN(s, s->op->ret);
    }
    GW_AWAIT(s, op, gw_close(s->w));
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

/* Receives through a buffered reader until end of stream, checking the
 * pattern; optionally resets the connection after `reset_after` bytes. */
typedef struct receiver {
    GW_FRAME(gw_wait);
    gw_bufreader *br;
    int fd; /* for the reset */
    uint8_t seed;
    uint64_t got;         /* bytes received */
    uint64_t reset_after; /* 0: never */
    int bad;              /* a byte differed from the pattern */
    gw_io_op *op;
    int ret;
} receiver;

GW_GENERATOR(receiver, NULL);
GW_BODY(receiver, s)
{
    const uint8_t *p;
    size_t i, n;

    GW_BEGIN(s);
    for (;;) {
        GW_FILL(s, op, s->br, 1);
        n = gw_bufreader_avail(s->br);
        if (n == 0)
            GW_RETURN(s, s->br->r.err);
        p = gw_bufreader_peek(s->br);
        for (i = 0; i < n; i++)
            if (p[i] != pattern(s->got + i, s->seed))
                s->bad = 1;
        gw_bufreader_consume(s->br, n);
        s->got += n;
        if (s->reset_after != 0 && s->got >= s->reset_after) {
            reset_connection(s->fd);
            GW_RETURN(s, 0);
        }
    }
    GW_END(s);
}

/* One side of a connection: an fdio, a buffered reader and writer. */
typedef struct side {
    gw_fdio io;
    gw_bufreader br;
    gw_bufwriter bw;
    sender tx;
    receiver rx;
} side;

static void side_init(side *sd, int fd, uint8_t tx_seed, uint8_t rx_seed, uint64_t total)
{
    memset(sd, 0, sizeof(*sd));
    assert_int_equal(gw_fdio_init(&sd->io, fd, GW_FDIO_NONBLOCK), 0);
    assert_int_equal(gw_bufreader_init(&sd->br, &sd->io.r, 16384), 0);
    assert_int_equal(gw_bufwriter_init(&sd->bw, &sd->io.w, 16384), 0);
    GW_INIT(&sd->tx, sender);
    sd->tx.w = &sd->bw.w;
    sd->tx.seed = tx_seed;
    sd->tx.total = total;
    sd->tx.reset_fd = -1;
    GW_INIT(&sd->rx, receiver);
    sd->rx.br = &sd->br;
    sd->rx.fd = fd;
    sd->rx.seed = rx_seed;
}

static void side_fini(side *sd)
{
    gw_bufreader_fini(&sd->br);
    gw_bufwriter_fini(&sd->bw);
    gw_fdio_fini(&sd->io);
}

/* 64 MiB each way; 16 MiB under valgrind (its preload library is in
 * LD_PRELOAD), where making and checking the bytes' pattern took 9 s at 64.
 * 16 MiB is still several times what the loopback sockets buffer, so the
 * writers still find them full and wait (strace here: 8 sends failed with
 * EAGAIN at 16 MiB, 45 at 64). */
void test_tcp_exchange_64mib(void **state)
{
    const char *pre = getenv("LD_PRELOAD");
    const uint64_t total = (pre != NULL && strstr(pre, "vgpreload") != NULL ? 16ull : 64ull) << 20;
    side *c = malloc(sizeof(*c)), *sv = malloc(sizeof(*sv));
    int cfd, sfd;
    gw_exec *ex = gw_exec_new();

    (void)state;
    tcp_pair(&cfd, &sfd);
    side_init(c, cfd, 1, 2, total);
    side_init(sv, sfd, 2, 1, total);
    GW_SPAWN(ex, &c->tx, NULL, NULL);
    GW_SPAWN(ex, &c->rx, NULL, NULL);
    GW_SPAWN(ex, &sv->tx, NULL, NULL);
    GW_SPAWN(ex, &sv->rx, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(c->tx.ret, 0);
    assert_int_equal(sv->tx.ret, 0);
    assert_int_equal(c->rx.ret, 0);
    assert_int_equal(sv->rx.ret, 0);
    assert_int_equal(c->rx.got, total);
    assert_int_equal(sv->rx.got, total);
    assert_false(c->rx.bad);
    assert_false(sv->rx.bad);
    side_fini(c);
    side_fini(sv);
    close(cfd);
    close(sfd);
    free(c);
    free(sv);
    gw_exec_free(ex);
}

/* The peer resets mid-stream.  A client that is writing must fail with
 * GW_ECONNRESET or GW_EPIPE (whichever the kernel reports first); a client
 * that is reading must fail with GW_ECONNRESET, never see a clean end.  (The
 * kernel reports a reset once per socket, so each case has one client task.) */
void test_tcp_peer_reset(void **state)
{
    const uint64_t total = 64ull << 20;
    side *c = malloc(sizeof(*c)), *sv = malloc(sizeof(*sv));
    int cfd, sfd;
    gw_exec *ex = gw_exec_new();

    (void)state;
    /* Writing client; the server reads 1 MiB and resets. */
    tcp_pair(&cfd, &sfd);
    side_init(c, cfd, 1, 2, total);
    side_init(sv, sfd, 2, 1, 0);
    sv->rx.reset_after = 1 << 20;
    GW_SPAWN(ex, &c->tx, NULL, NULL);
    GW_SPAWN(ex, &sv->rx, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_true(sv->rx.got >= 1 << 20);
    assert_true(c->tx.ret == GW_ECONNRESET || c->tx.ret == GW_EPIPE);
    assert_true(c->tx.sent < total);
    sv->io.fd = -1; /* closed by the reset */
    side_fini(c);
    side_fini(sv);
    close(cfd);

    /* Reading client; the server sends 3 MiB and resets. */
    tcp_pair(&cfd, &sfd);
    side_init(c, cfd, 1, 2, 0);
    side_init(sv, sfd, 2, 1, 3 << 20);
    sv->tx.reset_fd = sfd;
    GW_SPAWN(ex, &c->rx, NULL, NULL);
    GW_SPAWN(ex, &sv->tx, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(sv->tx.ret, 0);
    assert_int_equal(c->rx.ret, GW_ECONNRESET);
    assert_true(c->rx.got <= 3 << 20);
    assert_false(c->rx.bad);
    sv->io.fd = -1;
    side_fini(c);
    side_fini(sv);
    close(cfd);
    free(c);
    free(sv);
    gw_exec_free(ex);
}

static void blocked_reader_cleanup(gw_frame *f)
{
    blocked_reader *s = (blocked_reader *)(void *)f;

    free(s->held);
    s->held = NULL;
    *s->cleaned = 1;
}

GW_GENERATOR(blocked_reader, blocked_reader_cleanup);
GW_BODY(blocked_reader, s)
{
    GW_BEGIN(s);
    s->held = malloc(64);
    GW_AWAIT(s, op, gw_read(&s->io->r, s->buf, sizeof(s->buf), 1));
    free(s->held);
    s->held = NULL;
    GW_END(s);
}

/* A blocked_reader on a new socket pair: fds[0] wrapped in *io. */
void blocked_reader_init(blocked_reader *br, gw_fdio *io, int fds[2], int *cleaned)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(gw_fdio_init(io, fds[0], GW_FDIO_NONBLOCK), 0);
    GW_INIT(br, blocked_reader);
    br->io = io;
    br->held = NULL;
    br->cleaned = cleaned;
}

void test_cancel_blocked_on_socket(void **state)
{
    blocked_reader br;
    gw_fdio io;
    int fds[2], cleaned = 0, counts[2] = {0, 0};
    gw_exec *ex = gw_exec_new();
    gw_task *t;
    char bt[256];

    (void)state;
    blocked_reader_init(&br, &io, fds, &cleaned);
    t = GW_SPAWN(ex, &br, done_count, counts);
    assert_int_equal(gw_exec_run_once(ex, 0), 1);
    assert_non_null(br.held);
    /* The async backtrace shows where it waits: fd_read inside read_exact
     * inside blocked_reader. */
    gw_stack_format_backtrace(gw_task_stack(t), bt, sizeof(bt));
    assert_non_null(strstr(bt, "#0 fd_read at "));
    assert_non_null(strstr(bt, "#1 read_exact at "));
    assert_non_null(strstr(bt, "#2 blocked_reader at "));
    gw_task_cancel(ex, t);
    assert_int_equal(cleaned, 1);
    assert_null(br.held);
    assert_int_equal(counts[1], 1);
    assert_int_equal(gw_exec_ntasks(ex), 0);
    assert_int_equal(gw_exec_run(ex), 0);
    gw_fdio_fini(&io);
    close(fds[0]);
    close(fds[1]);
    gw_exec_free(ex);
}

/* A hung-up pipe wakes its reader, which then sees the end of stream. */
void test_pollhup_wakes_reader(void **state)
{
    pipe_consumer cons;
    gw_fdio io;
    int fds[2];
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(gw_fdio_init(&io, fds[0], GW_FDIO_NONBLOCK | GW_FDIO_OWN), 0);
    pipe_consumer_init(&cons, &io.r);
    GW_SPAWN(ex, &cons, NULL, NULL);
    assert_int_equal(gw_exec_run_once(ex, 0), 1);
    assert_int_equal(write(fds[1], "\x00\x01\x02", 3), 3);
    close(fds[1]);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(cons.got, 3);
    assert_int_equal(cons.ret, 0);
    gw_fdio_fini(&io);
    gw_exec_free(ex);
}
