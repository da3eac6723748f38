/*
 * The net suites' shared helpers (tests/net-util.h): descriptor counting,
 * the counting allocator, run_until, the echo server and client, a connect
 * to a full accept queue, a stalled reader or writer, a connected pair.
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

#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gwt.h"
#include "net-util.h"

/* Descriptors open in this process. */
int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the DIR's own */
}
/* Under valgrind the big cases shrink (it sets LD_PRELOAD for its client). */
int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");

    return p != NULL && strstr(p, "vgpreload") != NULL;
}
/* How late a timer may fire here: a few ms on an idle machine; more under
 * the sanitizers and valgrind, and on a loaded 2-core CI box. */
int64_t slack_ms(int64_t plain)
{
#if defined(__SANITIZE_ADDRESS__)
    plain *= 6;
#endif
    return (under_valgrind() ? 300 > plain ? 300 : plain : plain) * MS;
}
void raise_nofile(rlim_t want)
{
    struct rlimit r;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &r), 0);
    if (r.rlim_cur < want) {
        r.rlim_cur = want < r.rlim_max ? want : r.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &r), 0);
    }
}

/* A counting allocator: live allocations and bytes through gw_malloc. */
long live_allocs;
static void *count_malloc(size_t n, void *ud)
{
    size_t *p = malloc(n + sizeof(size_t) * 2);

    (void)ud;
    if (p == NULL)
        return NULL;
    live_allocs++;
    p[0] = n;
    return p + 2;
}
static void *count_realloc(void *q, size_t n, void *ud)
{
    size_t *p;

    if (q == NULL)
        return count_malloc(n, ud);
    p = realloc((size_t *)q - 2, n + sizeof(size_t) * 2);
    if (p == NULL)
        return NULL;
    p[0] = n;
    return p + 2;
}
static void count_free(void *q, void *ud)
{
    (void)ud;
    if (q == NULL)
        return;
    live_allocs--;
    free((size_t *)q - 2);
}

const gw_allocator counting_allocator = {count_malloc, count_realloc, count_free, NULL};

GW_GENERATOR(alarm_task, NULL);
GW_BODY(alarm_task, s)
{
    GW_BEGIN(s);
    GW_YIELD(s, gw_wait_until(gw_now() + s->ns));
    *s->flag = 1;
    GW_YIELD(s, gw_wait_ready()); /* see COUNT_DONE (net-util.h) */
    GW_END(s);
}

void alarm_init(alarm_task *al, int64_t ns, int *flag)
{
    GW_INIT(al, alarm_task);
    al->ns = ns;
    al->flag = flag;
}

/* run_until's timer task, while it lives. */
static gw_task *limit_task;

static void limit_done(gw_task *t, int cancelled, void *ud)
{
    (void)t;
    (void)cancelled;
    free(ud);
    limit_task = NULL;
}

long run_until(gw_exec *ex, const int *done, int target, int64_t limit_ns)
{
    int64_t end = gw_now() + limit_ns;
    long turns = 0;
    alarm_task *al = calloc(1, sizeof(*al));
    static int fired;

    /* A timer at the limit, so that a turn never blocks past it. */
    assert_non_null(al);
    alarm_init(al, limit_ns, &fired);
    assert_non_null(limit_task = GW_SPAWN(ex, al, limit_done, al));
    while (*done < target && gw_now() < end) {
        assert_true(gw_exec_run_once(ex, 1) >= 0);
        turns++;
    }
    if (limit_task != NULL)
        gw_task_cancel(ex, limit_task);
    return turns;
}

/* ---- an echo server ------------------------------------------------------ */

static void echo_conn_cleanup(gw_frame *f)
{
    echo_conn *e = (echo_conn *)(void *)f;

    gw_conn_close(&e->c);
}

GW_GENERATOR(echo_conn, echo_conn_cleanup);
GW_BODY(echo_conn, s)
{
    GW_BEGIN(s);
    s->c.io.r.timeout = s->srv->idle;
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->c.io.r, s->buf, sizeof(s->buf), 1));
        if (s->op->ret < 0 || s->op->n == 0)
            break;
        GW_AWAIT(s, op, gw_write(&s->c.io.w, s->buf, s->op->n));
        if (s->op->ret < 0)
            break;
    }
    if (s->op->ret == GW_ETIMEDOUT)
        s->srv->timeouts++;
    else if (s->op->ret < 0)
        s->srv->resets++;
    else
        s->srv->eof++;
    gw_conn_close(&s->c);
    GW_END(s);
}

static void echo_conn_done(gw_task *t, int cancelled, void *ud)
{
    echo_conn *e = ud;

    (void)t;
    (void)cancelled;
    e->srv->live--;
    free(e);
}

static void server_cleanup(gw_frame *f)
{
    server *s = (server *)(void *)f;

    free(s->next);
    s->next = NULL;
    gw_listener_close(&s->l);
}

GW_GENERATOR(server, server_cleanup);
GW_BODY(server, s)
{
    GW_BEGIN(s);
    for (;;) {
        s->next = calloc(1, sizeof(*s->next));
        assert_non_null(s->next);
        gw_conn_init(&s->next->c);
        GW_AWAIT(s, op, gw_accept(&s->l, &s->next->c));
        assert_int_equal(s->op->ret, 0);
        GW_INIT(s->next, echo_conn);
        s->next->srv = s;
        assert_non_null(GW_SPAWN(s->ex, s->next, echo_conn_done, s->next));
        s->next = NULL;
        s->accepted++;
        s->live++;
    }
    GW_END(s);
}

/* Listens on addr and spawns the server; returns 0 or gw_listen's error. */
int server_start(server *s, gw_exec *ex, const char *addr, int64_t idle)
{
    gw_net_opts o;
    int err;

    memset(s, 0, sizeof(*s));
    memset(&o, 0, sizeof(o));
    o.flags = GW_NET_NODELAY;
    o.backlog = 2048;
    if ((err = gw_listen(&s->l, addr, &o, NULL)) != 0)
        return err;
    GW_INIT(s, server);
    s->ex = ex;
    s->idle = idle;
    assert_non_null(GW_SPAWN(ex, s, NULL, NULL));
    return 0;
}

/* ---- a client ------------------------------------------------------------ */

/* Connects, then `rounds` times writes `chunk` bytes and reads them back;
 * with reset_after > 0, resets the connection after that many rounds, in
 * the middle of a write. */

static void client_cleanup(gw_frame *f)
{
    gw_conn_close(&((client *)(void *)f)->c);
}

GW_GENERATOR(client, client_cleanup);
GW_BODY(client, s)
{
    size_t k;

    GW_BEGIN(s);
    GW_AWAIT(s, cop, gw_connect(&s->c, s->addr, NULL));
    if ((s->err = s->cop->ret) != 0)
        goto out;
    s->t0 = gw_now();
    for (s->i = 0; s->i < s->rounds; s->i++) {
        for (k = 0; k < s->chunk; k++)
            s->tx[k] = (uint8_t)(k * 7 + (size_t)s->i + (uintptr_t)s);
        if (s->reset_after > 0 && s->i == s->reset_after) {
            /* Half a message, then a reset. */
            GW_AWAIT(s, op, gw_write(&s->c.io.w, s->tx, s->chunk / 2));
            gw_conn_reset(&s->c);
            goto out;
        }
        s->rx[0] = (uint8_t)~s->tx[0];
        if (gw_now() - s->t0 > s->gap)
            s->gap = gw_now() - s->t0;
        s->t0 = gw_now();
        GW_AWAIT(s, op, gw_write(&s->c.io.w, s->tx, s->chunk));
        if ((s->err = s->op->ret) != 0)
            goto out;
        GW_AWAIT(s, op, gw_read(&s->c.io.r, s->rx, s->chunk, s->chunk));
        if ((s->err = s->op->ret) != 0)
            goto out;
        if (gw_now() - s->t0 > s->worst)
            s->worst = gw_now() - s->t0;
        if (memcmp(s->tx, s->rx, s->chunk) != 0) {
            s->err = GW_EINVAL;
            goto out;
        }
    }
out:
    gw_conn_close(&s->c);
    COUNT_DONE(s, s->done);
    GW_END(s);
}

void client_init(client *c, const char *addr, int rounds, size_t chunk, int *done)
{
    memset(c, 0, sizeof(*c));
    GW_INIT(c, client);
    gw_conn_init(&c->c);
    c->addr = addr;
    c->rounds = rounds;
    c->chunk = chunk;
    c->done = done;
}

/* ---- IPv6 and Unix sockets ----------------------------------------------- */

/* Echo through a server on `listen_addr`; returns 0, or the listen error. */
int echo_round(const char *listen_addr)
{
    server srv;
    client c;
    int done = 0, err;
    gw_exec *ex = gw_exec_new();

    if ((err = server_start(&srv, ex, listen_addr, 0)) != 0) {
        gw_exec_free(ex);
        return err;
    }
    client_init(&c, srv.l.addr, 5, 1000, &done);
    GW_SPAWN(ex, &c, NULL, NULL);
    run_until(ex, &done, 1, 5000 * MS);
    assert_int_equal(done, 1);
    assert_int_equal(c.err, 0);
    assert_int_equal(srv.accepted, 1);
    gw_exec_free(ex); /* cancels the server, which closes the listener */
    return 0;
}

/* A listener with a full accept queue: a connect to it hangs in SYN_SENT.
 * Returns the listener's fd; *port its port; *held the queued client. */
int full_listener(int *port, int *held)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 0), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    *held = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*held, (struct sockaddr *)&a, sizeof(a)), 0); /* fills the queue */
    usleep(20000);
    return fd;
}

/* Connects with a connect_timeout; records how long it took. */

static void timed_connect_cleanup(gw_frame *f)
{
    gw_conn_close(&((timed_connect *)(void *)f)->c);
}

GW_GENERATOR(timed_connect, timed_connect_cleanup);
GW_BODY(timed_connect, s)
{
    GW_BEGIN(s);
    s->took = gw_now();
    GW_AWAIT(s, op, gw_connect(&s->c, s->addr, &s->o));
    s->took = gw_now() - s->took;
    s->err = s->op->ret;
    GW_END(s);
}
void timed_connect_init(timed_connect *tc, int port, int64_t timeout)
{
    memset(tc, 0, sizeof(*tc));
    GW_INIT(tc, timed_connect);
    gw_conn_init(&tc->c);
    snprintf(tc->addr, sizeof(tc->addr), "127.0.0.1:%d", port);
    tc->o.connect_timeout = timeout;
}

/* ---- read and write deadlines ------------------------------------------- */

/* Reads (or writes, if `write`) on c with the side's timeout until an error;
 * records the error and the time from the operation's start. */

GW_GENERATOR(stalled, NULL);
GW_BODY(stalled, s)
{
    GW_BEGIN(s);
    for (;;) {
        s->took = gw_now();
        if (s->write)
            GW_AWAIT(s, op, gw_write(&s->c->io.w, s->buf, sizeof(s->buf)));
        else
            GW_AWAIT(s, op, gw_read(&s->c->io.r, s->buf, 1, 1));
        s->took = gw_now() - s->took;
        if ((s->err = s->op->ret) != 0)
            break;
    }
    /* Sticky: the next operation fails the same way at once. */
    if (s->write)
        s->op = gw_write(&s->c->io.w, s->buf, 1);
    else
        s->op = gw_read(&s->c->io.r, s->buf, 1, 1);
    s->again = gwt_run_op(s->op);
    GW_END(s);
}

/* A connected pair over loopback: *a connected with gw_connect, *b accepted. */
void conn_pair(const char *listen_addr, gw_conn *a, gw_conn *b)
{
    gw_listener l;
    gw_exec *ex = gw_exec_new();

    assert_int_equal(gw_listen(&l, listen_addr, NULL, NULL), 0);
    gw_conn_init(a);
    gw_conn_init(b);
    gw_connect(a, l.addr, NULL);
    gw_accept(&l, b);
    /* Both as tasks of a throwaway executor, through their op frames. */
    assert_non_null(GW_SPAWN(ex, &a->op, NULL, NULL));
    assert_non_null(GW_SPAWN(ex, &l.op, NULL, NULL));
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(a->op.ret, 0);
    assert_int_equal(l.op.ret, 0);
    gw_exec_free(ex);
    gw_listener_close(&l);
}
void stalled_init(stalled *st, gw_conn *c, int write)
{
    memset(st, 0, sizeof(*st));
    GW_INIT(st, stalled);
    st->c = c;
    st->write = write;
}

void check_late(void (*once)(void *ud, timing *t), void *ud, int64_t want, int64_t slack)
{
    timing t;
    int i;

    for (i = 0; i < TIMING_ATTEMPTS; i++) {
        memset(&t, 0, sizeof(t));
        once(ud, &t);
        if (t.void_) {
            print_message("# attempt %d proves nothing (see the case), tried again\n", i + 1);
            continue;
        }
        assert_true(t.took >= want); /* never early, on any attempt */
        if (t.took < want + slack + t.base)
            return;
        print_message("# attempt %d: %.1f ms, more than %.1f + %.1f ms + the %.1f ms a bare "
                      "poll() was late\n",
                      i + 1, (double)t.took / 1e6, (double)want / 1e6, (double)slack / 1e6,
                      (double)t.base / 1e6);
    }
    fail_msg("late or void on every one of %d attempts: %.1f ms for %.1f ms (bare poll() %.1f ms "
             "late)",
             TIMING_ATTEMPTS, (double)t.took / 1e6, (double)want / 1e6, (double)t.base / 1e6);
}

/* One poll() of ns on fd for events, which must time out; how late. */
static int64_t bare_poll_late_once(int fd, short events, int64_t ns)
{
    struct pollfd p = {fd, events, 0};
    int64_t t = gw_now();

    assert_int_equal(poll(&p, fd < 0 ? 0 : 1, (int)((ns + MS - 1) / MS)), 0);
    return gw_now() - t - ns;
}

int64_t bare_poll_late(int fd, short events, int64_t ns)
{
    int64_t a = bare_poll_late_once(fd, events, ns), b = bare_poll_late_once(fd, events, ns);

    return a > b ? a : b;
}

int64_t bare_full_write_late(int64_t ns)
{
    static uint8_t buf[65536];
    int64_t worst = 0, late;
    int i;

    for (i = 0; i < 2; i++) {
        gw_conn a, b;

        conn_pair("127.0.0.1:0", &a, &b);
        while (send(a.io.fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
            ;
        late = bare_poll_late_once(a.io.fd, POLLOUT, ns);
        if (late > worst)
            worst = late;
        gw_conn_close(&a);
        gw_conn_close(&b);
    }
    return worst;
}

void net_suite_init(void)
{
    gw_exec *ex = gw_exec_new();

    signal(SIGPIPE, SIG_DFL); /* the fd transport must keep it away on its own */
    assert_non_null(ex);
    print_message("# executor backend: %s\n", gw_exec_backend_name(ex));
    gw_exec_free(ex);
}
