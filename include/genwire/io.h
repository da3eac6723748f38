/*
 * genwire transports: the AsyncRead and AsyncWrite contracts and their
 * implementations (non-blocking fd, in-memory pipe, buffered reader and
 * writer).
 *
 * Every operation is a generator whose values are gw_wait records.  An
 * object holds the frame of its one operation in progress (a gw_io_op), so
 * starting an operation returns a pointer to that frame and the caller runs
 * it with yield-from, with no allocation:
 *
 *     s->op = gw_read(s->src, s->hdr, 4, 4);
 *     GW_YIELD_FROM(s, s->op);           (or: GW_AWAIT(s, op, gw_read(...)))
 *     if (s->op->ret < 0) ... error ...
 *     use s->op->n bytes
 *
 * One operation per direction at a time: starting a second read on the same
 * reader while one is suspended is a bug (it would reinitialise the frame);
 * debug builds stop it with an assertion in gw_try_read, gw_read, gw_write,
 * gw_flush, gw_close and the bufreader's fill.  A
 * reader and a writer on one socket are independent.
 *
 * Errors stick: once an operation on a reader or writer has failed, every
 * later operation on it fails with the same code.  A reader or writer that
 * was never initialised (all zeros: no ops table) fails every operation
 * with GW_EINVAL, sticky, instead of crashing.  The contracts every
 * reader, writer and layer keeps are stated once in docs/contracts.md.
 */
#ifndef GENWIRE_IO_H
#define GENWIRE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"
#include "genwire/exec.h"
#include "genwire/gen.h"
#include "genwire/parse.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The frame of one transport operation.  Its fields are the operation's
 * arguments, its progress, and its results; implementations share this one
 * frame type so that any reader's operation can be yielded from.
 */
typedef struct gw_io_op {
    GW_FRAME(gw_wait);
    void *obj;            /* the reader or writer this operation belongs to */
    uint8_t *buf;         /* read: where the bytes go */
    const uint8_t *src;   /* write: the bytes to write */
    size_t len;           /* read: capacity of buf; write: bytes at src */
    size_t min;           /* read: how many bytes to wait for */
    struct gw_io_op *sub; /* a lower layer's operation this one is waiting in */
    /* Results. */
    int ret;  /* 0 on success, else a negative gw error */
    size_t n; /* bytes transferred, also on failure (those before the error) */
    /* The operation's deadline (gw_now() ns), fixed when it first waits
     * from the object's deadline and timeout; 0 until then. */
    int64_t deadline;
} gw_io_op;

/*
 * GW_AWAIT(s, field, start): stores the operation frame returned by the call
 * `start` in s->field and yields from it.  May suspend.
 */
#define GW_AWAIT(s, field, start)                                                                  \
    do {                                                                                           \
        (s)->field = (start);                                                                      \
        GW_YIELD_FROM(s, (s)->field);                                                              \
    } while (0)

/*
 * Options and limits structs, everywhere in genwire: a field left 0 means
 * the documented default.  Where a limit may be switched off, the value
 * GW_UNLIMITED (all bits set, converted to the field's own type) says so.
 */
#define GW_UNLIMITED (~(uint64_t)0)

/* ---- Sticky errors, finished operations, cancellation -------------------- */

/*
 * gw_error_set: the one sticky-error setter.  If *err is 0, stores code (a
 * negative gw error) in *err and off in *err_off (when err_off is not NULL);
 * an error already there stays, so every later operation reports the first
 * one.  Returns *err.  Never suspends.
 */
static inline int gw_error_set(int *err, uint64_t *err_off, int code, uint64_t off)
{
    if (*err == 0 && code < 0) {
        *err = code;
        if (err_off != NULL)
            *err_off = off;
    }
    return *err;
}

/*
 * gw_io_finished: makes *op an operation of obj that has already finished
 * with result ret (op->n 0), and returns it: what an implementation hands
 * back when its arguments or its object's state rule the real operation out
 * (a sticky error, a closed writer).  Running it returns at once.
 */
gw_io_op *gw_io_finished(gw_io_op *op, void *obj, int ret);

/*
 * Cancellation.  Cancelling a task (gw_exec_cancel) or closing a stack
 * (gw_stack_close) runs the cleanup of every live frame, innermost first.
 * An operation cancelled while suspended may have moved bytes it will now
 * never report (read into a buffer, taken from the caller, half a record
 * written), so the object it belongs to cannot go on: every transport
 * operation's cleanup makes GW_ECANCELLED the object's sticky error, and so
 * must every layer's.  For an operation frame kept in its reader's or
 * writer's base (r->op, w->op), name one of these as the GW_GENERATOR
 * cleanup, or call it from your own cleanup:
 */

/* gw_reader_cancelled: cleanup of an operation frame stored in a
 * gw_reader's `op` member: sets the reader's sticky GW_ECANCELLED (err_off
 * is then the count of bytes delivered before, r->nread). */
void gw_reader_cancelled(gw_frame *op);

/* gw_writer_cancelled: cleanup of an operation frame stored in a
 * gw_writer's `op` member: sets the writer's sticky GW_ECANCELLED. */
void gw_writer_cancelled(gw_frame *op);

/* ---- AsyncRead ---------------------------------------------------------- */

typedef struct gw_reader gw_reader;

/* What an AsyncRead implementation provides. */
typedef struct gw_reader_ops {
    const char *name; /* for messages: "fd", "mempipe", "bufreader", "gzip" ... */
    /* Initialises r->op as a try_read of up to cap bytes into buf, done once
     * at least min bytes arrived or the stream ended; returns &r->op.
     * Called only when r->err is 0. */
    gw_io_op *(*try_read)(gw_reader *r, uint8_t *buf, size_t cap, size_t min);
} gw_reader_ops;

/* The AsyncRead base: the first member of every reader. */
struct gw_reader {
    const gw_reader_ops *ops; /* the implementation */
    gw_io_op op;              /* the implementation's operation in progress */
    gw_io_op wrap;            /* gw_read's frame, around op */
    int err;                  /* the sticky error, or 0 */
    uint64_t err_off;         /* where in this reader's input the error was found */
    int eof;                  /* nonzero once end of stream was seen */
    uint64_t nread;           /* bytes delivered so far */
    size_t expected, got;     /* the sizes of the last GW_EUNEXPECTED_EOF from gw_read */
    /* Deadlines, honoured by the fd transport (and so by sockets): an
     * operation still waiting at `deadline` (gw_now() ns), or `timeout` ns
     * after it first had to wait, fails with the sticky GW_ETIMEDOUT on
     * this reader.  0: none (the default).  Set them between operations. */
    int64_t deadline, timeout;
};

/* For implementations: sets up the base of a new reader. */
void gw_reader_init(gw_reader *r, const gw_reader_ops *ops);

/* gw_reader_fail: gw_error_set on the reader's err and err_off: makes code
 * the sticky error (unless one is set), found at input offset off; returns
 * the sticky error. */
static inline int gw_reader_fail(gw_reader *r, int code, uint64_t off)
{
    return gw_error_set(&r->err, &r->err_off, code, off);
}

/*
 * gw_try_read: reads up to `cap` bytes into buf; the operation finishes once
 * at least `min` bytes (min <= cap) have arrived, or at end of stream, or on
 * error.  Result: op->ret is 0 and op->n the count (< min only at end of
 * stream, when r->eof is set), or op->ret < 0.  min = 0 never suspends.
 * Returns the operation frame to yield from.  May suspend.
 */
gw_io_op *gw_try_read(gw_reader *r, void *buf, size_t cap, size_t min);

/*
 * gw_read: as gw_try_read, but an end of stream before `min` bytes is the
 * error GW_EUNEXPECTED_EOF, with r->expected = min and r->got = the bytes
 * read (they are in buf, and op->n says how many).  May suspend.
 */
gw_io_op *gw_read(gw_reader *r, void *buf, size_t cap, size_t min);

/*
 * gw_reader_strerror: formats the reader's sticky or last error as a
 * sentence into buf (NUL-terminated, truncated to len), with the details the
 * code alone does not carry, e.g. "unexpected end of stream: expected 4 but
 * got 1 bytes".  Returns buf.
 */
const char *gw_reader_strerror(const gw_reader *r, int err, char *buf, size_t len);

/* ---- AsyncWrite --------------------------------------------------------- */

typedef struct gw_writer gw_writer;

/* What an AsyncWrite implementation provides; each initialises w->op and
 * returns it.  Called only when w->err is 0 and the writer is not closed. */
typedef struct gw_writer_ops {
    const char *name;
    gw_io_op *(*write)(gw_writer *w, const uint8_t *buf, size_t len);
    gw_io_op *(*flush)(gw_writer *w);
    gw_io_op *(*close)(gw_writer *w);
} gw_writer_ops;

/* The AsyncWrite base: the first member of every writer. */
struct gw_writer {
    const gw_writer_ops *ops;  /* the implementation */
    gw_io_op op;               /* the operation in progress */
    int err;                   /* the sticky error, or 0 */
    int closed;                /* nonzero once close was started */
    uint64_t nwritten;         /* bytes accepted so far */
    int64_t deadline, timeout; /* as gw_reader's: GW_ETIMEDOUT on this writer */
};

/* For implementations: sets up the base of a new writer. */
void gw_writer_init(gw_writer *w, const gw_writer_ops *ops);

/* gw_writer_fail: makes code the writer's sticky error unless one is set;
 * returns the sticky error. */
static inline int gw_writer_fail(gw_writer *w, int code)
{
    return gw_error_set(&w->err, NULL, code, 0);
}

/*
 * gw_write: writes all `len` bytes; finishes once every byte has been
 * accepted by the layer (op->ret 0, op->n == len) or on error (op->ret < 0,
 * op->n the bytes accepted before it).  The bytes must stay valid until the
 * operation finishes.  May suspend.
 */
gw_io_op *gw_write(gw_writer *w, const void *buf, size_t len);

/* gw_flush: pushes everything accepted so far down to the lowest layer
 * (a buffered writer writes its buffer; a compressor emits a sync flush).
 * May suspend. */
gw_io_op *gw_flush(gw_writer *w);

/* gw_close: flushes and finishes the stream (a trailer, a final tag, a
 * shutdown).  Later writes fail with GW_ECLOSED.  May suspend. */
gw_io_op *gw_close(gw_writer *w);

/*
 * gw_flush_or_close: gw_close(w) if close is nonzero, else gw_flush(w): the
 * tail of a layer whose flush and close share one body (the convention is
 * op->min = 1 for close), after it has written what it buffered:
 *
 *     GW_AWAIT(s, sub, gw_flush_or_close(x->dst, s->min != 0));
 *     if (s->sub->ret < 0)
 *         GW_RETURN(s, gw_writer_fail(&x->w, s->sub->ret));
 *
 * May suspend.
 */
gw_io_op *gw_flush_or_close(gw_writer *w, int close);

/* ---- Non-blocking fd ---------------------------------------------------- */

/* gw_fdio_init flags. */
/* GW_FDIO_OWN: gw_fdio_fini closes the fd.  GW_FDIO_NONBLOCK: set O_NONBLOCK
 * now, restore the old flags in gw_fdio_fini (or in gw_close, if that closes
 * the fd first). */
#define GW_FDIO_OWN      1u
#define GW_FDIO_NONBLOCK 2u

/*
 * A file descriptor as both an AsyncRead (io->r) and an AsyncWrite (io->w).
 * EAGAIN becomes a wait on the fd, EINTR is retried, a write to a closed
 * pipe or socket is GW_EPIPE (SIGPIPE never reaches the process: a pipe's
 * writes block it around each write(), unless SIGPIPE is ignored and not
 * blocked by the thread when init runs; a program in that case must keep
 * ignoring it while it writes through the fdio), a reset
 * connection is GW_ECONNRESET, distinct from a clean end of stream.  Other
 * failures are GW_EIO with the errno in io->sys_errno (0 when write()
 * accepted no bytes without an error, which would otherwise spin).  close()
 * shuts a socket down for writing; for other fds, if owned, it restores the
 * flags GW_FDIO_NONBLOCK changed and closes the fd.
 */
typedef struct gw_fdio {
    gw_reader r;     /* the read side */
    gw_writer w;     /* the write side */
    int fd;          /* the descriptor; -1 after fini */
    int is_socket;   /* shutdown() and send(MSG_NOSIGNAL) apply */
    unsigned flags;  /* GW_FDIO_* given to init */
    int saved_flags; /* fcntl flags before GW_FDIO_NONBLOCK, or -1 */
    int sys_errno;   /* errno of the last GW_EIO */
    int rd_drained;  /* private: the last read emptied the socket, so the next waits for input */
    int wr_sigpipe;  /* private: a write may raise SIGPIPE (a pipe, the signal not ignored at
                        init): it is blocked around it */
} gw_fdio;

/* gw_fdio_init: wraps fd.  Returns 0, or GW_EIO if fcntl failed (errno in
 * io->sys_errno), which is then the sticky error of both sides, so every
 * operation fails with it.  Call gw_fdio_fini in either case. */
int gw_fdio_init(gw_fdio *io, int fd, unsigned flags);

/* gw_fdio_fini: restores the fd's flags if init changed them, and closes it
 * if owned.  Safe twice, and on a gw_fdio never initialised (all zeros),
 * where it does nothing.  Never suspends. */
void gw_fdio_fini(gw_fdio *io);

/* ---- In-memory pipe ----------------------------------------------------- */

/*
 * A bounded byte pipe in memory: bytes fed (or written through io->w) are
 * read through io->r.  A reader that finds it empty waits on p->readable
 * (a GW_WAIT_EVENT); in push mode the driver sees that wait, feeds, and
 * resumes.  A writer that finds it full waits on p->writable.
 */
typedef struct gw_mempipe {
    gw_reader r;       /* the read end */
    gw_writer w;       /* the write end */
    uint8_t *buf;      /* cap bytes */
    size_t cap;        /* capacity */
    size_t pos, end;   /* the unread bytes are buf[pos..end) */
    int finished;      /* no more bytes will come */
    gw_event readable; /* signalled when bytes arrive or the pipe finishes */
    gw_event writable; /* signalled when space frees up */
} gw_mempipe;

/* gw_mempipe_init: a pipe holding at most cap (> 0) bytes.  Returns 0 or
 * GW_ENOMEM / GW_EINVAL; a failed init is the sticky error of both ends, so
 * every read, write, flush and close fails with it.  Call gw_mempipe_fini
 * in either case. */
int gw_mempipe_init(gw_mempipe *p, size_t cap);

/* gw_mempipe_fini: frees the buffer.  Never suspends. */
void gw_mempipe_fini(gw_mempipe *p);

/* gw_mempipe_feed: copies as many of the len bytes as fit and wakes the
 * reader; returns how many were taken (0 when full or finished).  Never
 * suspends. */
size_t gw_mempipe_feed(gw_mempipe *p, const void *data, size_t len);

/* gw_mempipe_finish: marks end of stream: once the buffered bytes are read,
 * reads return end of stream; writes, and a write waiting for room, fail
 * with GW_ECLOSED.  Never suspends. */
void gw_mempipe_finish(gw_mempipe *p);

/* ---- Buffered reader ---------------------------------------------------- */

/*
 * A buffer over any AsyncRead, read by decoders without copying: the bytes
 * buffered are gw_bufreader_peek(b)[0 .. gw_bufreader_avail(b)); a decoder
 * parses them in place, consumes what it used, and yields from
 * gw_bufreader_fill only when it needs more.  It is itself an AsyncRead
 * (b->r) that serves from the buffer first and reads large requests
 * straight into the caller's memory.
 */
typedef struct gw_bufreader {
    gw_reader r;      /* the bufreader as an AsyncRead */
    gw_reader *src;   /* the reader below, or NULL over fixed memory */
    uint8_t *buf;     /* cap bytes, allocated at init (or the caller's memory) */
    size_t cap;       /* capacity */
    size_t pos, end;  /* the buffered bytes are buf[pos..end) */
    uint64_t base;    /* stream offset of buf[0] */
    gw_io_op fill_op; /* the frame of gw_bufreader_fill, _need and _line */
    /* Private: the caller's sticky-error slot and line scan of the
     * gw_bufreader_need or gw_bufreader_line in progress. */
    int *_err;
    uint64_t *_err_off;
    gw_linescan *_line;
} gw_bufreader;

/* gw_bufreader_init: a buffer of cap (> 0) bytes over src, which it does not
 * own.  Returns 0 or GW_ENOMEM / GW_EINVAL; a failed init is the
 * bufreader's sticky error, so every later operation fails with it (call
 * gw_bufreader_fini all the same). */
int gw_bufreader_init(gw_bufreader *b, gw_reader *src, size_t cap);

/* gw_bufreader_init_mem: a bufreader over len bytes of the caller's memory,
 * which must outlive it (data may be NULL when len is 0: an empty stream):
 * everything is buffered from the start, and end of stream follows.
 * Decoders over it never copy and never wait. */
void gw_bufreader_init_mem(gw_bufreader *b, const void *data, size_t len);

/* gw_bufreader_eof: nonzero once the source has reported end of stream, so
 * the buffered bytes are all there will be. */
static inline int gw_bufreader_eof(const gw_bufreader *b)
{
    return b->src == NULL || b->src->eof;
}

/* gw_bufreader_fini: frees the buffer (not the caller's memory of
 * gw_bufreader_init_mem).  Never suspends. */
void gw_bufreader_fini(gw_bufreader *b);

/* gw_bufreader_avail: how many bytes are buffered. */
static inline size_t gw_bufreader_avail(const gw_bufreader *b)
{
    return b->end - b->pos;
}

/* gw_bufreader_peek: the buffered bytes; valid until the next fill. */
static inline const uint8_t *gw_bufreader_peek(const gw_bufreader *b)
{
    return b->buf + b->pos;
}

/* gw_bufreader_consume: drops the first n (<= avail) buffered bytes. */
static inline void gw_bufreader_consume(gw_bufreader *b, size_t n)
{
    b->pos += n;
}

/* gw_bufreader_offset: the stream offset of gw_bufreader_peek(b)[0]. */
static inline uint64_t gw_bufreader_offset(const gw_bufreader *b)
{
    return b->base + b->pos;
}

/*
 * gw_bufreader_fill: waits until at least min bytes are buffered (moving the
 * buffered bytes to the front of the buffer if needed).  Result: op->ret 0
 * and op->n = avail, which is < min only at end of stream (gw_bufreader_eof);
 * GW_ETOO_LARGE if min > cap and the stream has not ended; or the source's
 * error.  Both errors become the bufreader's sticky error (b->r.err).
 * Finishes without suspending when min bytes are already buffered, but
 * decoders should test gw_bufreader_avail first (GW_FILL does) so that the
 * fast path makes no call at all.  May suspend.
 */
gw_io_op *gw_bufreader_fill(gw_bufreader *b, size_t min);

/* Internal: the start of GW_FILL and GW_NEED: NULL when enough is buffered. */
static inline gw_io_op *gw__fill_if(gw_bufreader *b, size_t min)
{
    return gw_bufreader_avail(b) >= min ? NULL : gw_bufreader_fill(b, min);
}

/* GW_FILL(s, field, b, min): yields from gw_bufreader_fill(b, min) only if
 * fewer than min bytes are buffered (s->field is then that operation, else
 * NULL).  Evaluates b and min once.  Test avail afterwards.  May suspend. */
#define GW_FILL(s, field, b, min)                                                                  \
    do {                                                                                           \
        if (((s)->field = gw__fill_if((b), (min))) != NULL)                                        \
            GW_YIELD_FROM(s, (s)->field);                                                          \
    } while (0)

/*
 * gw_bufreader_need: "I need n bytes of a unit": fills, then classifies the
 * outcome and, on failure, sets the caller's sticky error (*err, *err_off,
 * through gw_error_set) in this one place:
 *
 *   enough     op->ret 0, op->n = avail >= n;
 *   clean end  op->ret 0, op->n = 0: end of stream with nothing buffered
 *              (between units: the caller decides whether that is fine);
 *   truncated  op->ret GW_ETRUNCATED, op->n = avail (0 < avail < n): end of
 *              stream inside the unit, at offset gw_bufreader_offset(b) +
 *              avail, where the input ended;
 *   failure    op->ret the source's error or GW_ETOO_LARGE (n > cap), at
 *              the same offset; also the bufreader's sticky error.
 *
 * err_off may be NULL.  If *err is already set, the operation finishes at
 * once with it.  A cancel while it waits sets *err to GW_ECANCELLED.  A
 * source error that came with the bytes of a need that succeeds is left to
 * the next operation that needs the source, so the bytes buffered after
 * the unit stay readable, through b->r too.  May suspend.
 */
gw_io_op *gw_bufreader_need(gw_bufreader *b, size_t n, int *err, uint64_t *err_off);

/* Internal: the start of GW_NEED. */
static inline gw_io_op *gw__need_if(gw_bufreader *b, size_t n, int *err, uint64_t *err_off)
{
    return gw_bufreader_avail(b) >= n ? NULL : gw_bufreader_need(b, n, err, err_off);
}

/*
 * GW_NEED(s, field, b, n, err, err_off): gw_bufreader_need only if fewer than
 * n bytes are buffered, so the fast path makes no call.  Afterwards:
 *
 *     if (gw_bufreader_avail(b) < n) {      not enough:
 *         if (*err != 0) fail with *err;    truncated or failed, already sticky
 *         else clean end;
 *     }
 *
 * Evaluates each argument once.  May suspend.
 */
#define GW_NEED(s, field, b, n, err, err_off)                                                      \
    do {                                                                                           \
        if (((s)->field = gw__need_if((b), (n), (err), (err_off))) != NULL)                        \
            GW_YIELD_FROM(s, (s)->field);                                                          \
    } while (0)

/*
 * gw_bufreader_line: waits until a whole line is buffered, scanning with
 * gw_line_scan (parse.h) so that each byte is looked at once however the
 * bytes arrive.  The line starts at gw_bufreader_peek(b); the buffer must
 * hold it whole, terminator included (cap >= ls->max + 2).  Results:
 *
 *   a line     op->ret 0, op->n = its length with the terminator (consume
 *              that much), ls->len = its content length;
 *   clean end  op->ret 0, op->n = 0: end of stream, nothing buffered;
 *   last line  with GW_LINE_LAST (lenient mode), end of stream after a line
 *              without LF: op->n = ls->len = avail (over ls->max: an error);
 *   errors     GW_ELINE_TOO_LONG, GW_EBARE_CR, GW_EBARE_LF (at the line
 *              start + ls->bad), GW_ETRUNCATED (end of stream inside the
 *              line, at its end), GW_ETOO_LARGE (the line fits the limit but
 *              not the buffer) or the source's error; each is set in *err /
 *              *err_off as by gw_bufreader_need.
 *
 * A decoder's fast path calls gw_line_scan on the buffered bytes itself and
 * comes here only when it returned GW_INCOMPLETE; the scan resumes where it
 * stopped.  The lines among bytes that came with a source error (or were
 * buffered before it) are returned first; the error comes with the first
 * call that finds no whole line buffered.  May suspend.
 */
gw_io_op *gw_bufreader_line(gw_bufreader *b, gw_linescan *ls, int *err, uint64_t *err_off);

/* ---- Bounded reader ------------------------------------------------------ */

/*
 * An AsyncRead of exactly the next `n` bytes of a bufreader (a Content-Length
 * body, a RESP bulk string): it reads them through the bufreader, never asks
 * it for more, and leaves whatever follows buffered there for the next
 * message.  After n bytes it reports end of stream (r.eof), in the read that
 * delivers the last of them, so a layer on top (inflate, decrypt: give them
 * a gw_bufreader over this reader) sees the end without waiting for more
 * input.  End of stream beneath before n bytes is GW_ETRUNCATED, sticky, at
 * the bufreader offset where the input ended, and the read that finds it
 * returns the bytes it got first in op->n.  Errors of the bufreader are
 * passed on, sticky.
 */
typedef struct gw_bounded {
    gw_reader r;       /* the bounded reader as an AsyncRead */
    gw_bufreader *src; /* the bufreader beneath, not owned */
    uint64_t left;     /* bytes still to deliver */
} gw_bounded;

/* gw_bounded_init: a reader of the next n bytes of src, which must outlive
 * it.  Nothing to free; init again for the next message.  Never suspends. */
void gw_bounded_init(gw_bounded *br, gw_bufreader *src, uint64_t n);

/* ---- Buffered writer ---------------------------------------------------- */

/*
 * A buffer in front of any AsyncWrite: small writes are copied and batched,
 * large ones go straight through.  Encoders may also write in place:
 * gw_bufwriter_reserve() gives room in the buffer, gw_bufwriter_commit()
 * accepts what was written there.
 */
typedef struct gw_bufwriter {
    gw_writer w;    /* the bufwriter as an AsyncWrite */
    gw_writer *dst; /* the writer below, not owned */
    uint8_t *buf;   /* cap bytes */
    size_t cap;     /* capacity */
    size_t len;     /* bytes buffered */
} gw_bufwriter;

/* gw_bufwriter_init: a buffer of cap (> 0) bytes in front of dst, which it
 * does not own.  Returns 0 or GW_ENOMEM / GW_EINVAL; a failed init is the
 * bufwriter's sticky error, so every later operation fails with it (call
 * gw_bufwriter_fini all the same). */
int gw_bufwriter_init(gw_bufwriter *b, gw_writer *dst, size_t cap);

/* gw_bufwriter_fini: frees the buffer; bytes not flushed are dropped.
 * Never suspends. */
void gw_bufwriter_fini(gw_bufwriter *b);

/* gw_bufwriter_reserve: room for n bytes in the buffer, or NULL if fewer
 * than n are free (flush, or use gw_write).  Never suspends. */
static inline uint8_t *gw_bufwriter_reserve(gw_bufwriter *b, size_t n)
{
    return b->cap - b->len >= n ? b->buf + b->len : NULL;
}

/* gw_bufwriter_commit: accepts n bytes written at the reserved place. */
static inline void gw_bufwriter_commit(gw_bufwriter *b, size_t n)
{
    b->len += n;
    b->w.nwritten += n;
}

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_IO_H */
