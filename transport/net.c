/*
 * Sockets (include/genwire/net.h): address parsing, connect with each
 * resolved address in turn, listen, and accept with a timer back-off when
 * the process runs out of descriptors.  A connection's bytes go through the
 * fd transport (transport/fd.c); this file only makes and closes sockets.
 * It knows nothing of any protocol.
 */
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, SOCK_CLOEXEC, NI_MAXHOST */

#include "genwire/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "genwire/error.h"

#define DEFAULT_BACKLOG 511
#define DEFAULT_BACKOFF (100 * 1000000LL)

/* ---- addresses ---------------------------------------------------------- */

/* A parsed address: a Unix path, or a host and a port (service) string. */
typedef struct parsed {
    int is_unix;
    char host[GW_NET_ADDRSTRLEN];
    char port[64];
    struct sockaddr_un un;
} parsed;

static int parse_addr(const char *addr, parsed *p)
{
    const char *colon, *host = addr;
    size_t hlen;

    memset(p, 0, sizeof(*p));
    if (addr == NULL)
        return GW_EADDRESS;
    if (strncmp(addr, "unix:", 5) == 0) {
        size_t n = strlen(addr + 5);
        if (n == 0 || n >= sizeof(p->un.sun_path))
            return GW_EADDRESS;
        p->is_unix = 1;
        p->un.sun_family = AF_UNIX;
        memcpy(p->un.sun_path, addr + 5, n + 1);
        return 0;
    }
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (close == NULL || close[1] != ':')
            return GW_EADDRESS;
        host = addr + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        if ((colon = strrchr(addr, ':')) == NULL || memchr(addr, ':', (size_t)(colon - addr)))
            return GW_EADDRESS; /* no port, or a bare IPv6 address without brackets */
        hlen = (size_t)(colon - addr);
    }
    if (hlen == 0 || hlen >= sizeof(p->host) || colon[1] == '\0' ||
        strlen(colon + 1) >= sizeof(p->port))
        return GW_EADDRESS;
    memcpy(p->host, host, hlen);
    p->host[hlen] = '\0';
    strcpy(p->port, colon + 1);
    if (strspn(p->port, "0123456789") == strlen(p->port) && atol(p->port) > 65535)
        return GW_EADDRESS; /* getaddrinfo would take it modulo 65536 */
    return 0;
}

/* getaddrinfo over a parsed host and port; *out is freed by freeaddrinfo. */
static int resolve(const parsed *p, int passive, struct addrinfo **out)
{
    struct addrinfo hints;
    int r;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    r = getaddrinfo(p->host, p->port, &hints, out);
    if (r == 0)
        return 0;
    return r == EAI_NONAME || r == EAI_NODATA || r == EAI_SERVICE ? GW_ENAME_NOT_FOUND
           : r == EAI_MEMORY                                      ? GW_ENOMEM
                                                                  : GW_ERESOLVE;
}

/* Formats a socket address as genwire's address text. */
static void format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];

    switch (sa->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, cap, "%s:%u", host, ntohs(in->sin_port));
        break;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
        break;
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const void *)sa;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path)
                       : 0;
        snprintf(out, cap, "unix:%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
        break;
    }
    default:
        snprintf(out, cap, "(family %d)", sa->sa_family);
    }
}

/* Applies the per-socket options to a TCP socket. */
static void apply_opts(int fd, int family, const gw_net_opts *o)
{
    int one = 1;

    if (o == NULL || (family != AF_INET && family != AF_INET6))
        return;
    if (o->flags & GW_NET_NODELAY)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (o->flags & GW_NET_KEEPALIVE) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        if (o->keepalive_idle_s > 0)
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o->keepalive_idle_s,
                       sizeof(o->keepalive_idle_s));
    }
}

/* Maps a connect errno to a gw error. */
static int connect_error(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return GW_ECONNREFUSED;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
        return GW_EUNREACHABLE;
    case ETIMEDOUT:
        return GW_ECONNECT_TIMEDOUT;
    case EMFILE:
    case ENFILE:
        return GW_EMFILE;
    default:
        return GW_ECONNECT;
    }
}

/* Closes fd, telling the executors first. */
static void close_fd(int fd)
{
    if (fd >= 0) {
        gw_exec_forget_fd(fd);
        close(fd);
    }
}

/* ---- connections -------------------------------------------------------- */

void gw_conn_init(gw_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->io.fd = -1;
}

static void connect_cleanup(gw_frame *f)
{
    gw_net_op *s = (gw_net_op *)(void *)f;

    close_fd(s->_fd);
    s->_fd = -1;
    if (s->_ai != NULL)
        freeaddrinfo(s->_ai);
    s->_ai = s->_cur = NULL;
}

/* Starts a non-blocking connect of a new socket to s->_sa.  Returns 0 when
 * connected or in progress (s->_fd set), else a gw error. */
static int start_connect(gw_net_op *s, gw_conn *c)
{
    int fd = socket(s->_sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    format_addr((struct sockaddr *)&s->_sa, s->_salen, c->addr, sizeof(c->addr));
    if (fd < 0) {
        c->sys_errno = errno;
        return connect_error(errno);
    }
    apply_opts(fd, s->_sa.ss_family, s->_opts);
    s->_fd = fd;
    if (connect(fd, (struct sockaddr *)&s->_sa, s->_salen) == 0 || errno == EINPROGRESS ||
        errno == EINTR)
        return 0;
    c->sys_errno = errno;
    close_fd(fd);
    s->_fd = -1;
    return connect_error(c->sys_errno);
}

/* Takes the next address of the resolved list into s->_sa; 0 when none is
 * left. */
static int next_addr(gw_net_op *s)
{
    if (s->_cur == NULL)
        return 0;
    memcpy(&s->_sa, s->_cur->ai_addr, s->_cur->ai_addrlen);
    s->_salen = s->_cur->ai_addrlen;
    s->_cur = s->_cur->ai_next;
    return 1;
}

typedef gw_net_op net_connect;
GW_GENERATOR(net_connect, connect_cleanup);
GW_BODY(net_connect, s)
{
    gw_conn *c = s->obj;
    int err = 0, soerr;
    socklen_t slen;

    GW_BEGIN(s);
    if (s->ret != 0)
        GW_EXIT(s); /* failed before it started (c open, a malformed address) */
    if (s->_salen == 0) {
        /* Resolved here rather than in gw_connect, so that a connect that
         * never runs (it has no cleanup then) holds nothing: c->addr is the
         * whole address, parsed there already. */
        parsed p;
        if ((err = parse_addr(c->addr, &p)) == 0)
            err = resolve(&p, 0, &s->_ai);
        if (err != 0)
            GW_RETURN(s, err);
        s->_cur = s->_ai;
        next_addr(s);
    }
    for (;;) {
        if ((err = start_connect(s, c)) == 0) {
            GW_YIELD(s, gw_wait_fd(GW_WAIT_WRITE, s->_fd, s->_deadline));
            if (s->_out->woke == GW_WOKE_TIMEOUT) {
                err = GW_ECONNECT_TIMEDOUT;
                c->sys_errno = ETIMEDOUT;
            } else {
                soerr = 0;
                slen = sizeof(soerr);
                if (getsockopt(s->_fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
                    soerr = errno;
                if (soerr == 0)
                    break;
                c->sys_errno = soerr;
                err = connect_error(soerr);
            }
            close_fd(s->_fd);
            s->_fd = -1;
        }
        if (err == GW_ECONNECT_TIMEDOUT || !next_addr(s)) {
            connect_cleanup(&s->_gw); /* frees the address list */
            GW_RETURN(s, err);
        }
    }
    /* Connected: the socket becomes the connection's. */
    gw_fdio_init(&c->io, s->_fd, GW_FDIO_OWN);
    c->open = 1;
    s->_fd = -1;
    if (s->_ai != NULL)
        freeaddrinfo(s->_ai);
    s->_ai = s->_cur = NULL;
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Sets up c->op as a connect that starts at the first address. */
static gw_net_op *connect_op(gw_conn *c, const gw_net_opts *opts)
{
    gw_net_op *s = &c->op;

    GW_INIT(s, net_connect);
    s->obj = c;
    s->ret = 0;
    s->_opts = opts;
    s->_ai = s->_cur = NULL;
    s->_salen = 0;
    s->_fd = -1;
    s->_deadline = opts != NULL && opts->connect_timeout > 0 ? gw_deadline_in(opts->connect_timeout)
                                                             : GW_NO_DEADLINE;
    /* A connection in use is left as it is. */
    if (c->open)
        s->ret = GW_EINVAL;
    else
        c->sys_errno = 0;
    return s;
}

gw_net_op *gw_connect(gw_conn *c, const char *addr, const gw_net_opts *opts)
{
    gw_net_op *s = connect_op(c, opts);
    parsed p;

    if (s->ret != 0)
        return s;
    snprintf(c->addr, sizeof(c->addr), "%s", addr != NULL ? addr : "");
    if ((s->ret = parse_addr(addr, &p)) != 0)
        return s;
    if (p.is_unix) {
        memcpy(&s->_sa, &p.un, sizeof(p.un));
        s->_salen = sizeof(p.un);
        return s;
    }
    /* The body resolves c->addr (s->_salen 0), which must hold it whole. */
    if (strlen(addr) >= sizeof(c->addr))
        s->ret = GW_EADDRESS;
    return s;
}

gw_net_op *gw_connect_addr(gw_conn *c, const struct sockaddr *sa, socklen_t len,
                           const gw_net_opts *opts)
{
    gw_net_op *s = connect_op(c, opts);

    if (s->ret == 0 && (len == 0 || len > sizeof(s->_sa)))
        s->ret = GW_EADDRESS;
    if (s->ret != 0)
        return s;
    memcpy(&s->_sa, sa, len);
    s->_salen = len;
    format_addr(sa, len, c->addr, sizeof(c->addr));
    return s;
}

void gw_conn_close(gw_conn *c)
{
    if (!c->open)
        return;
    gw_fdio_fini(&c->io); /* owned: forgets and closes */
    c->open = 0;
}

void gw_conn_reset(gw_conn *c)
{
    struct linger lg = {1, 0};

    if (c->open)
        setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    gw_conn_close(c);
}

const char *gw_conn_strerror(const gw_conn *c, int err, char *buf, size_t len)
{
    if (err == GW_ETIMEDOUT && c->io.r.err == GW_ETIMEDOUT)
        snprintf(buf, len, "read from %s timed out", c->addr);
    else if (err == GW_ETIMEDOUT && c->io.w.err == GW_ETIMEDOUT)
        snprintf(buf, len, "write to %s timed out", c->addr);
    else if (err == GW_ECONNECT || err == GW_EIO)
        snprintf(buf, len, "%s: %s (%s)", gw_strerror(err), c->addr,
                 strerror(c->sys_errno ? c->sys_errno : c->io.sys_errno));
    else
        snprintf(buf, len, "%s: %s", gw_strerror(err), c->addr);
    return buf;
}

/* ---- listeners ---------------------------------------------------------- */

/* Binds and listens one socket on sa; returns the fd or -1 (errno set). */
static int bind_listen(const struct sockaddr *sa, socklen_t len, int backlog)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, e;

    if (fd < 0)
        return -1;
    if (sa->sa_family != AF_UNIX)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, sa, len) == 0 && listen(fd, backlog) == 0)
        return fd;
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

int gw_listen(gw_listener *l, const char *addr, const gw_net_opts *opts, int *sys_errno)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    struct addrinfo *ai = NULL, *a;
    parsed p;
    int err, fd = -1, e = 0;

    memset(l, 0, sizeof(*l));
    l->fd = -1;
    if (opts != NULL)
        l->opts = *opts;
    if (l->opts.backlog <= 0)
        l->opts.backlog = DEFAULT_BACKLOG;
    if (l->opts.accept_backoff <= 0)
        l->opts.accept_backoff = DEFAULT_BACKOFF;
    if ((err = parse_addr(addr, &p)) != 0)
        return err;
    if (p.is_unix) {
        fd = bind_listen((struct sockaddr *)&p.un, sizeof(p.un), l->opts.backlog);
        e = errno;
    } else {
        if ((err = resolve(&p, 1, &ai)) != 0)
            return err;
        for (a = ai; a != NULL && fd < 0; a = a->ai_next) {
            fd = bind_listen(a->ai_addr, a->ai_addrlen, l->opts.backlog);
            e = errno;
        }
        freeaddrinfo(ai);
    }
    if (fd < 0) {
        if (sys_errno != NULL)
            *sys_errno = e;
        return e == EADDRINUSE ? GW_EADDRINUSE : e == EMFILE || e == ENFILE ? GW_EMFILE : GW_EIO;
    }
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    l->fd = fd;
    l->family = ss.ss_family;
    if (p.is_unix)
        snprintf(l->addr, sizeof(l->addr), "%s", addr);
    else
        format_addr((struct sockaddr *)&ss, sslen, l->addr, sizeof(l->addr));
    return 0;
}

int gw_listener_port(const gw_listener *l)
{
    const char *colon = strrchr(l->addr, ':');

    return l->family == AF_UNIX || colon == NULL ? 0 : atoi(colon + 1);
}

/* An accept's deadline, fixed when it first waits (as gw__io_deadline). */
static int64_t accept_deadline(gw_net_op *s, const gw_listener *l)
{
    if (s->_deadline == 0) {
        int64_t d = l->timeout > 0 ? gw_deadline_in(l->timeout) : GW_NO_DEADLINE;
        s->_deadline = l->deadline > 0 && l->deadline < d ? l->deadline : d;
    }
    return s->_deadline;
}

/* When the current back-off pause ends: after s->_pause, or at the
 * accept's deadline if that comes first. */
static int64_t pause_end(gw_net_op *s, const gw_listener *l)
{
    int64_t d = accept_deadline(s, l), now = gw_now();

    return d - now < s->_pause ? d : now + s->_pause;
}

typedef gw_net_op net_accept;
GW_GENERATOR(net_accept, NULL);
GW_BODY(net_accept, s)
{
    gw_listener *l = s->obj;
    gw_conn *c = s->_conn;
    struct sockaddr_storage ss;
    socklen_t sslen;
    int fd;

    GW_BEGIN(s);
    if (s->ret != 0)
        GW_EXIT(s);
    for (;;) {
        sslen = sizeof(ss);
        fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            break;
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            s->_pause = 0;
            break;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
            continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            l->out_of_fds++;
            s->_pause = s->_pause == 0 ? 1000000 : s->_pause * 2;
            if (s->_pause > l->opts.accept_backoff)
                s->_pause = l->opts.accept_backoff;
            break;
        default:
            c->sys_errno = errno;
            GW_RETURN(s, GW_EIO);
        }
        /* Not a switch of ours around a yield (gen.h rule 3). */
        if (s->_pause > 0) {
            /* The back-off ends at the deadline at the latest. */
            GW_YIELD(s, gw_wait_until(pause_end(s, l)));
            if (gw_now() >= accept_deadline(s, l))
                GW_RETURN(s, GW_ETIMEDOUT);
        } else {
            GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, l->fd, accept_deadline(s, l)));
            if (s->_out->woke == GW_WOKE_TIMEOUT)
                GW_RETURN(s, GW_ETIMEDOUT);
        }
    }
    apply_opts(fd, ss.ss_family, &l->opts);
    gw_fdio_init(&c->io, fd, GW_FDIO_OWN);
    c->open = 1;
    if (ss.ss_family == AF_UNIX)
        snprintf(c->addr, sizeof(c->addr), "%s", l->addr);
    else
        format_addr((struct sockaddr *)&ss, sslen, c->addr, sizeof(c->addr));
    GW_RETURN(s, 0);
    GW_END(s);
}

gw_net_op *gw_accept(gw_listener *l, gw_conn *c)
{
    gw_net_op *s = &l->op;

    GW_INIT(s, net_accept);
    s->obj = l;
    s->ret = 0;
    s->_conn = c;
    s->_pause = 0;
    s->_deadline = 0;
    if (l->fd < 0 || c->open)
        s->ret = GW_EINVAL;
    return s;
}

void gw_listener_close(gw_listener *l)
{
    if (l == NULL || l->fd < 0)
        return;
    close_fd(l->fd);
    l->fd = -1;
    if (l->family == AF_UNIX && strncmp(l->addr, "unix:", 5) == 0)
        unlink(l->addr + 5);
}
