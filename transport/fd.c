/*
 * The non-blocking fd transport (gw_fdio in include/genwire/io.h): sockets,
 * pipes, terminals and regular files as AsyncRead and AsyncWrite.
 *
 * EAGAIN becomes a GW_WAIT_READ / GW_WAIT_WRITE on the fd, EINTR is retried
 * at once.  A socket read that got less than it asked for (or EAGAIN) has
 * emptied the socket, so the next read waits for input first instead of
 * paying a read(2) that would fail with EAGAIN: an echo costs a read and a
 * write per message, as on libuv (bench/bench-net).
 *
 * SIGPIPE never reaches the process, and what keeps it away is decided
 * once, at init, from the fd's type: a socket is written with
 * send(MSG_NOSIGNAL), as hiredis and curl do (and with write() from then on
 * if send() says it is no socket any longer: ENOTSOCK); a regular file, a
 * terminal or another device cannot raise SIGPIPE and gets a plain write();
 * so does a pipe or FIFO (or an fd fstat() cannot tell) when the process
 * ignores SIGPIPE and the calling thread does not block it at init, since
 * an ignored signal is then discarded as it is raised (a blocked one would
 * stay pending).  Any other pipe has SIGPIPE blocked in the calling thread
 * around each write(), and a SIGPIPE that the write raised is taken back
 * with sigtimedwait() before the mask is restored: two pthread_sigmask()
 * calls per write, a third (sigpending) only when the caller blocks SIGPIPE
 * itself and one may be pending already, which is then theirs and left
 * alone.  This file knows nothing of any protocol.
 */
#define _POSIX_C_SOURCE 200809L

#include "genwire/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "transport/io-impl.h"

/* Maps a failed read/write errno to a gw error, keeping the errno in
 * io->sys_errno; the caller makes it the reader's (at its offset) or the
 * writer's sticky error. */
static int errno_code(gw_fdio *io, int err)
{
    int code;

    switch (err) {
    case ECONNRESET:
        code = GW_ECONNRESET;
        break;
    case EPIPE:
        code = GW_EPIPE;
        break;
    case ETIMEDOUT:
        code = GW_ETIMEDOUT;
        break;
    default:
        code = GW_EIO;
        break;
    }
    io->sys_errno = err;
    return code;
}

/* Makes code the reader's sticky error, found where its input had got to:
 * after the bytes it delivered. */
static int read_fail(gw_fdio *io, int code)
{
    return gw_reader_fail(&io->r, code, io->r.nread);
}

/* write(2) to a pipe that cannot raise SIGPIPE in this process (see the
 * top of the file). */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
    sigset_t block, old, pending;
    int caller_blocks, was_pending = 0, saved;
    ssize_t k;

    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    /* With SIGPIPE unblocked until now, none can be pending for this
     * thread: one raised below is the write's.  A caller that blocks it may
     * have one pending, which the write's would merge into. */
    caller_blocks = sigismember(&old, SIGPIPE);
    if (caller_blocks && sigpending(&pending) == 0)
        was_pending = sigismember(&pending, SIGPIPE);
    k = write(fd, buf, len);
    saved = errno;
    if (k < 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&block, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    if (!caller_blocks)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return k;
}

/* Nonzero if SIGPIPE is ignored, and not blocked in this thread: a write
 * to a pipe then cannot raise it. */
static int sigpipe_ignored(void)
{
    struct sigaction sa;
    sigset_t mask;

    if (sigaction(SIGPIPE, NULL, &sa) != 0 || (sa.sa_flags & SA_SIGINFO) ||
        sa.sa_handler != SIG_IGN)
        return 0;
    return pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0 && !sigismember(&mask, SIGPIPE);
}

/* One write(2) of src to io->fd, by the means init chose. */
static ssize_t write_some(gw_fdio *io, const void *src, size_t len)
{
    ssize_t k;

    if (io->is_socket) {
        k = send(io->fd, src, len, MSG_NOSIGNAL);
        if (k >= 0 || errno != ENOTSOCK)
            return k;
        /* The fd is no socket any longer (dup2 put another file there):
         * from now on, what a pipe gets. */
        io->is_socket = 0;
        io->wr_sigpipe = !sigpipe_ignored();
    }
    if (io->wr_sigpipe)
        return write_nosigpipe(io->fd, src, len);
    return write(io->fd, src, len);
}

typedef gw_io_op fd_read;
GW_GENERATOR(fd_read, gw_reader_cancelled);
GW_BODY(fd_read, s)
{
    gw_fdio *io = s->obj;
    size_t asked;
    ssize_t k;

    GW_BEGIN(s);
    while (s->n < s->len) {
        /* The last read found the socket empty: wait for input rather than
         * pay a read that fails with EAGAIN (min 0 asks for what is there
         * now, so it reads). */
        if (io->rd_drained && s->n < s->min) {
            GW_YIELD(s, gw_wait_fd(GW_WAIT_READ, io->fd,
                                   gw__io_deadline(s, io->r.deadline, io->r.timeout)));
            if (s->_out->woke == GW_WOKE_TIMEOUT)
                GW_RETURN(s, read_fail(io, GW_ETIMEDOUT));
            io->rd_drained = 0;
        }
        asked = s->len - s->n;
        k = read(io->fd, s->buf + s->n, asked);
        if (k > 0) {
            s->n += (size_t)k;
            io->r.nread += (size_t)k;
            /* A stream socket hands out all it holds: less than asked
             * means it is empty now. */
            io->rd_drained = io->is_socket && (size_t)k < asked;
            if (s->n >= s->min)
                break;
        } else if (k == 0) {
            io->r.eof = 1;
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            io->rd_drained = 1; /* the top of the loop waits */
            if (s->n >= s->min)
                break;
        } else {
            GW_RETURN(s, read_fail(io, errno_code(io, errno)));
        }
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_TRY_READ(fd_try_read, gw_fdio, r, fd_read)

typedef gw_io_op fd_write;
GW_GENERATOR(fd_write, gw_writer_cancelled);
GW_BODY(fd_write, s)
{
    gw_fdio *io = s->obj;
    ssize_t k;

    GW_BEGIN(s);
    while (s->n < s->len) {
        k = write_some(io, s->src + s->n, s->len - s->n);
        if (k > 0) {
            s->n += (size_t)k;
            io->w.nwritten += (size_t)k;
        } else if (k == 0) {
            /* Nothing accepted and no error to wait on: retrying would
             * spin, so it is an I/O error (sys_errno 0). */
            GW_RETURN(s, gw_writer_fail(&io->w, errno_code(io, 0)));
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            GW_YIELD(s, gw_wait_fd(GW_WAIT_WRITE, io->fd,
                                   gw__io_deadline(s, io->w.deadline, io->w.timeout)));
            if (s->_out->woke == GW_WOKE_TIMEOUT)
                GW_RETURN(s, gw_writer_fail(&io->w, GW_ETIMEDOUT));
        } else {
            GW_RETURN(s, gw_writer_fail(&io->w, errno_code(io, errno)));
        }
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_WRITE(fd_write_start, gw_fdio, w, fd_write)

/* Flush has nothing to do: every accepted byte is already in the kernel. */
static gw_io_op *fd_flush(gw_writer *w)
{
    return gw_io_finished(&w->op, w, 0);
}

/* Puts back the flags GW_FDIO_NONBLOCK changed, once: they belong to the
 * open file description, shared with every dup of the fd. */
static void restore_flags(gw_fdio *io)
{
    if (io->saved_flags >= 0)
        fcntl(io->fd, F_SETFL, io->saved_flags);
    io->saved_flags = -1;
}

static gw_io_op *fd_close(gw_writer *w)
{
    gw_fdio *io = GW__CONTAINER_OF(w, gw_fdio, w);
    gw_io_op *op = gw_io_finished(&w->op, w, 0);

    if (io->is_socket) {
        if (shutdown(io->fd, SHUT_WR) != 0 && errno != ENOTCONN)
            op->ret = gw_writer_fail(w, errno_code(io, errno));
    } else if (io->flags & GW_FDIO_OWN) {
        restore_flags(io);
        gw_exec_forget_fd(io->fd);
        close(io->fd);
        io->fd = -1;
    }
    return op;
}

static const gw_reader_ops fd_reader_ops = {"fd", fd_try_read};
static const gw_writer_ops fd_writer_ops = {"fd", fd_write_start, fd_flush, fd_close};

int gw_fdio_init(gw_fdio *io, int fd, unsigned flags)
{
    struct stat st;

    gw_reader_init(&io->r, &fd_reader_ops);
    gw_writer_init(&io->w, &fd_writer_ops);
    io->fd = fd;
    io->flags = flags;
    io->saved_flags = -1;
    io->sys_errno = 0;
    if (fstat(fd, &st) == 0) {
        io->is_socket = S_ISSOCK(st.st_mode);
        io->wr_sigpipe = !io->is_socket && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) &&
                         !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode);
    } else {
        io->is_socket = 0;
        io->wr_sigpipe = 1;
    }
    if (io->wr_sigpipe)
        io->wr_sigpipe = !sigpipe_ignored();
    io->rd_drained = 0;
    if (flags & GW_FDIO_NONBLOCK) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
            io->sys_errno = errno;
            gw_reader_fail(&io->r, GW_EIO, 0);
            return gw_writer_fail(&io->w, GW_EIO);
        }
        if (!(fl & O_NONBLOCK))
            io->saved_flags = fl;
    }
    return 0;
}

void gw_fdio_fini(gw_fdio *io)
{
    /* Finished, or never initialised (all zeros: no ops table, and fd 0
     * and saved_flags 0 are not the caller's). */
    if (io->fd < 0 || io->r.ops == NULL)
        return;
    restore_flags(io);
    if (io->flags & GW_FDIO_OWN) {
        gw_exec_forget_fd(io->fd);
        close(io->fd);
    }
    io->fd = -1;
}
