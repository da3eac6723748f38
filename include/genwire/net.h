/*
 * genwire sockets: connect, listen and accept over TCP (IPv4, IPv6) and
 * Unix stream sockets, with deadlines.
 *
 * Addresses are text: "host:port" ("127.0.0.1:8080", "localhost:80"),
 * "[v6addr]:port" ("[::1]:8080"), or "unix:PATH".  Host names go through
 * getaddrinfo(), which BLOCKS the calling thread (and so every task of its
 * executor) until the resolver answers; pass numeric addresses, or resolve
 * elsewhere and use gw_connect_addr, where that matters.
 *
 * connect and accept are generators like the rest of the transport:
 *
 *     GW_AWAIT(s, op, gw_connect(&s->conn, "127.0.0.1:6379", &opts));
 *     if (s->op->ret < 0) ... gw_conn_strerror(&s->conn, s->op->ret, ...) ...
 *     GW_AWAIT(s, io, gw_write(&s->conn.io.w, "PING\r\n", 6));
 *
 * A connection's reader and writer are the fd transport (gw_fdio in io.h),
 * so their deadlines (gw_reader.deadline / .timeout, the same for the
 * writer) apply: a read or write still waiting when they pass fails with a
 * sticky GW_ETIMEDOUT on that side; gw_conn_strerror says which.  Servers get
 * an idle timeout by setting the read side's timeout.
 *
 * Every socket is non-blocking and close-on-exec.  SIGPIPE never reaches
 * the process (see gw_fdio).
 */
#ifndef GENWIRE_NET_H
#define GENWIRE_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "genwire/exec.h"
#include "genwire/gen.h"
#include "genwire/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room for any address as text: "[v6]:port" or "unix:" and a socket path. */
#define GW_NET_ADDRSTRLEN 120

/* gw_net_opts.flags */
#define GW_NET_NODELAY   1u /* TCP_NODELAY on TCP sockets (connected and accepted) */
#define GW_NET_KEEPALIVE 2u /* SO_KEEPALIVE, with keepalive_idle_s if set */

/* Options for connect, listen and accept.  Zero is the default for every
 * field; a NULL options pointer means all defaults. */
typedef struct gw_net_opts {
    unsigned flags;          /* GW_NET_*; default none */
    int keepalive_idle_s;    /* TCP_KEEPIDLE in seconds with GW_NET_KEEPALIVE; 0: the system's */
    int backlog;             /* listen: the accept queue; 0: 511 (the kernel caps it) */
    int64_t connect_timeout; /* connect: ns for the whole attempt, every address; 0: none */
    int64_t accept_backoff;  /* accept: the longest pause when out of descriptors, ns; 0: 100 ms */
} gw_net_opts;

/* The frame of one connect or accept.  Fields starting with _ are private. */
typedef struct gw_net_op {
    GW_FRAME(gw_wait);
    void *obj; /* the connection or listener */
    int ret;   /* 0, or a negative gw error */
    /* private */
    struct gw_conn *_conn;       /* accept: where the new connection goes */
    const gw_net_opts *_opts;    /* the options, or NULL */
    struct addrinfo *_ai, *_cur; /* connect: getaddrinfo's list, the address tried */
    struct sockaddr_storage _sa; /* connect: the address tried */
    socklen_t _salen;            /* its length */
    int _fd;                     /* connect: the socket being connected, or -1 */
    int64_t _deadline;           /* connect: when the whole attempt gives up */
    int64_t _pause;              /* accept: the current back-off, ns */
} gw_net_op;

/*
 * A connected stream socket: read io.r, write io.w, the descriptor io.fd.
 * Caller-allocated; zero it or gw_conn_init before use.
 */
typedef struct gw_conn {
    gw_fdio io;                   /* the socket as AsyncRead and AsyncWrite */
    int open;                     /* nonzero while it holds a socket */
    char addr[GW_NET_ADDRSTRLEN]; /* connect: the address (last) tried; accept: the peer */
    int sys_errno;                /* errno behind the last connect or socket error */
    gw_net_op op;                 /* the connect in progress */
} gw_conn;

/* gw_conn_init: an empty connection (no socket).  Never suspends. */
void gw_conn_init(gw_conn *c);

/*
 * gw_connect: connects c to `addr` (the forms above, at most
 * GW_NET_ADDRSTRLEN - 1 bytes; copied).  When it first runs it resolves the
 * address (which blocks for names; an operation that never runs holds
 * nothing), then tries each address in order: a non-blocking connect(), a
 * wait for writable, SO_ERROR; the first that connects wins.
 * Result in op->ret: 0 (c->io is ready, c->addr the address connected to),
 * or the error of the last address tried, which c->addr names:
 * GW_ECONNREFUSED, GW_EUNREACHABLE, GW_ECONNECT_TIMEDOUT (opts'
 * connect_timeout passed), GW_ENAME_NOT_FOUND, GW_ERESOLVE (the resolver
 * failed otherwise), GW_ENOMEM (the resolver ran out of memory),
 * GW_EADDRESS (malformed addr), GW_EMFILE (no descriptor), GW_ECONNECT
 * (another errno, in c->sys_errno).  c must hold no socket: if it does, the
 * result is GW_EINVAL and c is left as it was.  Cancelling it mid-connect
 * closes the socket being connected.
 * May suspend (and blocks in getaddrinfo for names).
 */
gw_net_op *gw_connect(gw_conn *c, const char *addr, const gw_net_opts *opts);

/* gw_connect_addr: as gw_connect, to one socket address (copied). */
gw_net_op *gw_connect_addr(gw_conn *c, const struct sockaddr *sa, socklen_t len,
                           const gw_net_opts *opts);

/*
 * gw_conn_close: closes the socket (a plain close: no shutdown handshake;
 * use gw_close(&c->io.w) first for that) and tells the executors of this
 * thread (gw_exec_forget_fd).  A no-op on a connection without a socket.
 * Never suspends.
 */
void gw_conn_close(gw_conn *c);

/*
 * gw_conn_reset: closes the socket with SO_LINGER 0, so the peer sees a
 * reset (ECONNRESET) rather than an end of stream.  Never suspends.
 */
void gw_conn_reset(gw_conn *c);

/*
 * gw_conn_strerror: `err` as a sentence naming the side and the address:
 * "connection refused: 127.0.0.1:1", "read from 127.0.0.1:5000 timed out",
 * "write to unix:/tmp/s timed out".  Writes into buf (NUL-terminated,
 * truncated to len) and returns it.
 */
const char *gw_conn_strerror(const gw_conn *c, int err, char *buf, size_t len);

/* A listening socket. */
typedef struct gw_listener {
    int fd;                       /* the socket, or -1 */
    int family;                   /* AF_INET, AF_INET6 or AF_UNIX */
    char addr[GW_NET_ADDRSTRLEN]; /* the bound address, with the real port */
    gw_net_opts opts;             /* copied at listen; applied to accepted sockets */
    uint64_t out_of_fds;          /* times accept found no descriptor left (EMFILE, ENFILE...) */
    int64_t deadline, timeout;    /* for accept, as gw_reader's: GW_ETIMEDOUT; 0: none */
    gw_net_op op;                 /* the accept in progress */
} gw_listener;

/*
 * gw_listen: binds and listens on `addr` (the forms above; a port of 0
 * picks a free one, which l->addr and gw_listener_port then give), with
 * SO_REUSEADDR on TCP and opts->backlog.  A Unix path must not exist yet;
 * gw_listener_close removes it.  Returns 0, or GW_EADDRESS, GW_EADDRINUSE,
 * GW_ENAME_NOT_FOUND, GW_ERESOLVE, GW_ENOMEM (the resolver's), GW_EMFILE,
 * GW_EIO (errno in *sys_errno if not NULL).  Does not suspend (getaddrinfo
 * blocks for names).
 */
int gw_listen(gw_listener *l, const char *addr, const gw_net_opts *opts, int *sys_errno);

/* gw_listener_port: the bound TCP port, 0 for Unix sockets. */
int gw_listener_port(const gw_listener *l);

/*
 * gw_accept: waits for the next connection and puts it in c (which must
 * hold no socket): accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC, the listener's
 * options applied, c->addr the peer.  ECONNABORTED and EINTR are retried.
 * Out of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM) it does not spin and
 * does not close the listener: it sleeps on a timer, 1 ms first, doubling up
 * to opts.accept_backoff, then tries again; the pending connections wait in
 * the kernel's queue meanwhile (l->out_of_fds counts these pauses).  No
 * pause lasts past the accept's deadline: one that passes while out of
 * descriptors is GW_ETIMEDOUT as well.  Result in op->ret: 0, GW_ETIMEDOUT
 * (the listener's deadline or timeout), GW_EIO (errno in c->sys_errno), or
 * GW_EINVAL at once, c untouched, when the listener has no socket or c
 * holds one.  One accept per listener at a time.  May suspend.
 */
gw_net_op *gw_accept(gw_listener *l, gw_conn *c);

/* gw_listener_close: closes the socket (and removes a Unix socket's path).
 * NULL-safe and idempotent.  Never suspends. */
void gw_listener_close(gw_listener *l);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_NET_H */
