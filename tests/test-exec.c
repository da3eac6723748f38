/*
 * Tests of the poll() executor (gen/exec.c): timer ordering, fairness of
 * voluntary yields, events between tasks over a memory pipe, EINTR during
 * poll, cancelling a task blocked on a socket, and a loopback TCP exchange
 * of 64 MiB each way through the fd transport, then the same with the peer
 * resetting the connection mid-stream.
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

/* ---- timers and fairness ------------------------------------------------- */

typedef struct sleeper {
    GW_FRAME(gw_wait);
    int64_t delay_ns; /* how long to sleep */
    int id;           /* written to the log on waking */
    int *log, *nlog;  /* the wake log */
    int64_t woke_at;  /* gw_now() on waking */
    int ret;          /* unused */
} sleeper;

GW_GENERATOR(sleeper, NULL);
GW_BODY(sleeper, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_until(gw_now() + s->delay_ns));
    assert_int_equal(s->_out->woke, GW_WOKE_READY);
    s->woke_at = gw_now();
    s->log[(*s->nlog)++] = s->id;
    GW_END(s);
}

static void done_count(gw_task *t, int cancelled, void *ud)
{
    int *counts = ud;

    (void)t;
    counts[cancelled ? 1 : 0]++;
}

static void test_timer_order(void **state)
{
    static const int ms[] = {30, 10, 50, 20, 0, 40};
    sleeper sl[6];
    int log[6], nlog = 0, counts[2] = {0, 0};
    int64_t start = gw_now();
    gw_exec *ex = gw_exec_new();
    int i;

    (void)state;
    for (i = 0; i < 6; i++) {
        GW_INIT(&sl[i], sleeper);
        sl[i].delay_ns = ms[i] * 1000000LL;
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

typedef struct spinner {
    GW_FRAME(gw_wait);
    int id, n, i; /* which task, how many turns, turn */
    char *log;    /* appended to on each turn */
    size_t *nlog;
    int ret;
} spinner;

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

static void test_ready_is_fair(void **state)
{
    spinner sp[3];
    char log[16] = {0};
    size_t nlog = 0;
    gw_exec *ex = gw_exec_new();
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        GW_INIT(&sp[i], spinner);
        sp[i].id = i;
        sp[i].n = 3;
        sp[i].log = log;
        sp[i].nlog = &nlog;
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

typedef struct pipe_consumer {
    GW_FRAME(gw_wait);
    gw_reader *r;
    uint8_t buf[5];
    size_t got; /* bytes received */
    gw_io_op *op;
    int ret; /* 0 if every byte matched */
} pipe_consumer;

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
    GW_INIT(&sp, spinner);
    sp.id = 0;
    sp.n = 5;
    sp.log = log;
    sp.nlog = &nlog;
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

/* Sleeps until GW_NO_DEADLINE: never. */
typedef struct forever {
    GW_FRAME(gw_wait);
    int *cleaned;
    int ret;
} forever;

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

/* Issue 9, defect 2: a timer wait without a deadline is stuck, not lost:
 * run() reports it and free() runs its cleanup and its done function. */
static void test_timer_without_deadline(void **state)
{
    forever f;
    int cleaned = 0, counts[2] = {0, 0};
    gw_exec *ex = gw_exec_new();

    (void)state;
    GW_INIT(&f, forever);
    f.cleaned = &cleaned;
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
    sleeper sl;
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

static void test_tcp_exchange_64mib(void **state)
{
    const uint64_t total = 64ull << 20;
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
static void test_tcp_peer_reset(void **state)
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
static void blocked_reader_init(blocked_reader *br, gw_fdio *io, int fds[2], int *cleaned)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(gw_fdio_init(io, fds[0], GW_FDIO_NONBLOCK), 0);
    GW_INIT(br, blocked_reader);
    br->io = io;
    br->held = NULL;
    br->cleaned = cleaned;
}

static void test_cancel_blocked_on_socket(void **state)
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
static void test_pollhup_wakes_reader(void **state)
{
    pipe_consumer cons;
    gw_fdio io;
    int fds[2];
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(gw_fdio_init(&io, fds[0], GW_FDIO_NONBLOCK | GW_FDIO_OWN), 0);
    GW_INIT(&cons, pipe_consumer);
    cons.r = &io.r;
    cons.got = 0;
    cons.ret = 0;
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

/* ---- the backends -------------------------------------------------------- */

/* GW_EXEC_BACKEND picks gw_exec_new's backend; both can be asked for. */
static void test_backend_selection(void **state)
{
    const char *env = getenv("GW_EXEC_BACKEND");
    gw_exec *ex = gw_exec_new(), *p = gw_exec_new_backend(GW_EXEC_POLL);
    gw_exec *e = gw_exec_new_backend(GW_EXEC_EPOLL);

    (void)state;
    assert_non_null(ex);
    if (env != NULL)
        assert_string_equal(gw_exec_backend_name(ex), env);
    print_message("# backend: %s\n", gw_exec_backend_name(ex));
    assert_string_equal(gw_exec_backend_name(p), "poll");
#ifdef GW_HAVE_EPOLL
    assert_non_null(e);
    assert_string_equal(gw_exec_backend_name(e), "epoll");
#else
    assert_null(e);
#endif
    gw_exec_free(ex);
    gw_exec_free(p);
    gw_exec_free(e);
}

/* Waits for fd to be readable (with a deadline) and records how it woke. */
typedef struct fd_waiter {
    GW_FRAME(gw_wait);
    int fd;
    int64_t timeout_ns;
    int64_t sleep_ns; /* then sleeps this long, if nonzero */
    gw_wake woke;
    int ret;
} fd_waiter;

GW_GENERATOR(fd_waiter, NULL);
GW_BODY(fd_waiter, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, s->fd, gw_now() + s->timeout_ns));
    s->woke = s->_out->woke;
    if (s->sleep_ns > 0)
        GW_YIELD(s, gw_wait_until(gw_now() + s->sleep_ns));
    GW_END(s);
}

static void fd_waiter_init(fd_waiter *w, int fd, int64_t timeout_ns, int64_t sleep_ns)
{
    GW_INIT(w, fd_waiter);
    w->fd = fd;
    w->timeout_ns = timeout_ns;
    w->sleep_ns = sleep_ns;
    w->woke = GW_WOKE_NONE;
}

/* A task that woke on a readable fd and then sleeps without reading it must
 * not make every turn return at once (epoll keeps the registration: the
 * direction nobody waits on is dropped after it fires once). */
static void test_readable_fd_nobody_waits_on(void **state)
{
    fd_waiter w;
    int fds[2], turns = 0;
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    fd_waiter_init(&w, fds[0], 1000000000LL, 50 * 1000000LL);
    GW_SPAWN(ex, &w, NULL, NULL);
    while (gw_exec_run_once(ex, 1) > 0)
        turns++;
    assert_int_equal(w.woke, GW_WOKE_READY);
    assert_true(turns <= 4);
    gw_exec_free(ex);
    close(fds[0]);
    close(fds[1]);
}

/* A descriptor closed through the fd transport and its number handed out
 * again: a task waiting on the new file wakes when it becomes readable. */
static void test_fd_number_reused(void **state)
{
    fd_waiter w;
    gw_fdio io;
    int a[2], b[2];
    gw_exec *ex = gw_exec_new();

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    fd_waiter_init(&w, a[0], 1000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0); /* a[0] is now registered */
    assert_int_equal(w.woke, GW_WOKE_READY);
    assert_int_equal(gw_fdio_init(&io, a[0], GW_FDIO_OWN), 0);
    gw_fdio_fini(&io); /* closes a[0], telling the executor */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    assert_int_equal(b[0], a[0]); /* the lowest free number comes back */
    fd_waiter_init(&w, b[0], 1000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    assert_int_equal(gw_exec_run_once(ex, 0), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(w.woke, GW_WOKE_READY); /* not GW_WOKE_TIMEOUT */
    gw_exec_free(ex);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* A regular file is always ready, as poll() says, under either backend. */
static void test_regular_file_is_ready(void **state)
{
    fd_waiter w;
    FILE *f = tmpfile();
    gw_exec *ex = gw_exec_new();
    int64_t start = gw_now();

    (void)state;
    assert_non_null(f);
    fd_waiter_init(&w, fileno(f), 1000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(w.woke, GW_WOKE_READY);
    assert_true(gw_now() - start < 500000000LL);
    gw_exec_free(ex);
    fclose(f);
}

/* Many tasks waiting, some waking: each wakes exactly when its fd is
 * readable, whatever order the others stop waiting in (exercises the
 * pollfd array's swap-remove and epoll's per-fd lists). */
static void test_many_waiters_wake_right(void **state)
{
    enum { N = 64 };
    fd_waiter w[N];
    int fds[N][2], i;
    gw_exec *ex = gw_exec_new();

    (void)state;
    for (i = 0; i < N; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
        /* Every third times out after 20 ms, the others get a byte. */
        fd_waiter_init(&w[i], fds[i][0], i % 3 == 0 ? 20000000LL : 2000000000LL, 0);
        GW_SPAWN(ex, &w[i], NULL, NULL);
    }
    assert_int_equal(gw_exec_run_once(ex, 0), N);
    for (i = N - 1; i >= 0; i -= 2)
        if (i % 3 != 0)
            assert_int_equal(write(fds[i][1], "x", 1), 1);
    assert_true(gw_exec_run_once(ex, 0) >= 0);
    for (i = 0; i < N; i += 2)
        if (i % 3 != 0)
            assert_int_equal(write(fds[i][1], "x", 1), 1);
    assert_int_equal(gw_exec_run(ex), 0);
    for (i = 0; i < N; i++) {
        assert_int_equal(w[i].woke, i % 3 == 0 ? GW_WOKE_TIMEOUT : GW_WOKE_READY);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    gw_exec_free(ex);
}

/* gw_exec_dump: one paragraph per task with its state, wait and backtrace. */
static void test_dump(void **state)
{
    blocked_reader br;
    fd_waiter w;
    forever f;
    spinner sp;
    gw_fdio io;
    char log[8], *text = NULL, want[128];
    size_t nlog = 0, len = 0;
    int fds[2], cleaned = 0, fcleaned = 0;
    FILE *out;
    gw_exec *ex = gw_exec_new();

    (void)state;
    blocked_reader_init(&br, &io, fds, &cleaned);
    GW_SPAWN(ex, &br, NULL, NULL);
    fd_waiter_init(&w, fds[0], 5000000000LL, 0);
    GW_SPAWN(ex, &w, NULL, NULL);
    GW_INIT(&f, forever);
    f.cleaned = &fcleaned;
    GW_SPAWN(ex, &f, NULL, NULL);
    GW_INIT(&sp, spinner);
    sp.id = 0;
    sp.n = 5;
    sp.log = log;
    sp.nlog = &nlog;
    GW_SPAWN(ex, &sp, NULL, NULL);
    assert_int_equal(gw_exec_run_once(ex, 0), 4);
    out = open_memstream(&text, &len);
    assert_int_equal(gw_exec_dump(ex, out), 4);
    fclose(out);
    snprintf(want, sizeof(want), "task 1: waiting for fd %d to be readable, no deadline\n"
             "    #0 fd_read at ", fds[0]);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "    #1 read_exact at "));
    assert_non_null(strstr(text, "    #2 blocked_reader at "));
    snprintf(want, sizeof(want), "task 2: waiting for fd %d to be readable, 4", fds[0]);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, " ms to its deadline\n    #0 fd_waiter at "));
    assert_non_null(strstr(text, "task 3: sleeping forever (no deadline)\n    #0 forever at "));
    assert_non_null(strstr(text, "task 4: ready\n    #0 spinner at "));
    free(text);
    gw_exec_free(ex);
    assert_int_equal(cleaned, 1);
    gw_fdio_fini(&io);
    close(fds[0]);
    close(fds[1]);
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
        cmocka_unit_test(test_dump),
    };

    signal(SIGPIPE, SIG_DFL);
    return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
