/*
 * The AsyncRead / AsyncWrite contracts (include/genwire/io.h): the base
 * objects, the checks every operation shares (sticky errors, closed writers,
 * one operation at a time), gw_read, which turns a short end of stream into
 * an error, and the pieces every implementation uses: the finished
 * operation, the cancel cleanups and the flush-or-close tail.  The
 * implementations live beside this file, one per transport.
 */
#include "genwire/io.h"

#include "transport/io-impl.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* An operation that has already finished with op->ret. */
typedef gw_io_op io_finished;
GW_GENERATOR(io_finished, NULL);
GW_BODY(io_finished, s)
{
    GW_BEGIN(s);
    GW_END(s);
}

gw_io_op *gw_io_finished(gw_io_op *op, void *obj, int ret)
{
    GW__IO_START(op, io_finished, obj);
    op->ret = ret;
    return op;
}

void gw_reader_cancelled(gw_frame *op)
{
    gw_reader *r = GW__CONTAINER_OF(op, gw_reader, op);

    gw_reader_fail(r, GW_ECANCELLED, r->nread);
}

void gw_writer_cancelled(gw_frame *op)
{
    gw_writer_fail(GW__CONTAINER_OF(op, gw_writer, op), GW_ECANCELLED);
}

/* The cleanup of gw_read's frame, which lives in r->wrap. */
static void wrap_cancelled(gw_frame *op)
{
    gw_reader *r = GW__CONTAINER_OF(op, gw_reader, wrap);

    gw_reader_fail(r, GW_ECANCELLED, r->nread);
}

void gw_reader_init(gw_reader *r, const gw_reader_ops *ops)
{
    memset(r, 0, sizeof(*r));
    r->ops = ops;
}

gw_io_op *gw_try_read(gw_reader *r, void *buf, size_t cap, size_t min)
{
    assert(!gw__io_suspended(&r->op) && "a second read while one is suspended");
    if (r->err != 0)
        return gw_io_finished(&r->op, r, r->err);
    /* No ops table: a reader that was never initialised (all zeros). */
    if (min > cap || r->ops == NULL)
        return gw_io_finished(&r->op, r, gw_reader_fail(r, GW_EINVAL, r->nread));
    return r->ops->try_read(r, buf, cap, min);
}

/* gw_read: gw_try_read, and a short end of stream is an error. */
typedef gw_io_op read_exact;
GW_GENERATOR(read_exact, wrap_cancelled);
GW_BODY(read_exact, s)
{
    gw_reader *r = s->obj;

    GW_BEGIN(s);
    GW_AWAIT(s, sub, gw_try_read(r, s->buf, s->len, s->min));
    s->n = s->sub->n;
    if (s->sub->ret < 0)
        GW_RETURN(s, s->sub->ret);
    if (s->n < s->min) {
        r->expected = s->min;
        r->got = s->n;
        GW_RETURN(s, gw_reader_fail(r, GW_EUNEXPECTED_EOF, r->nread));
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

gw_io_op *gw_read(gw_reader *r, void *buf, size_t cap, size_t min)
{
    assert(!gw__io_suspended(&r->wrap) && "a second read while one is suspended");
    return GW__IO_READ(&r->wrap, read_exact, r, buf, cap, min);
}

const char *gw_reader_strerror(const gw_reader *r, int err, char *buf, size_t len)
{
    if (err == GW_EUNEXPECTED_EOF)
        snprintf(buf, len, "%s: expected %zu but got %zu bytes", gw_strerror(err), r->expected,
                 r->got);
    else if (err == GW_ETIMEDOUT && r->err == GW_ETIMEDOUT)
        snprintf(buf, len, "read timed out: the reader's deadline passed");
    else
        snprintf(buf, len, "%s", gw_strerror(err));
    return buf;
}

void gw_writer_init(gw_writer *w, const gw_writer_ops *ops)
{
    memset(w, 0, sizeof(*w));
    w->ops = ops;
}

/* Nonzero when a writer operation may start: no sticky error, an ops
 * table, not closed.  Tested inline, so that gw_write and gw_flush end in
 * a tail call of the implementation's entry point. */
static int write_may_start(const gw_writer *w)
{
    return w->err == 0 && w->ops != NULL && !w->closed;
}

/* The finished operation a writer hands back when write_may_start says
 * no. */
static gw_io_op *write_refused(gw_writer *w)
{
    if (w->err != 0)
        return gw_io_finished(&w->op, w, w->err);
    /* No ops table: a writer that was never initialised (all zeros). */
    if (w->ops == NULL)
        return gw_io_finished(&w->op, w, gw_writer_fail(w, GW_EINVAL));
    return gw_io_finished(&w->op, w, GW_ECLOSED);
}

gw_io_op *gw_write(gw_writer *w, const void *buf, size_t len)
{
    assert(!gw__io_suspended(&w->op) && "a second write while one is suspended");
    if (!write_may_start(w))
        return write_refused(w);
    return w->ops->write(w, buf, len);
}

gw_io_op *gw_flush(gw_writer *w)
{
    assert(!gw__io_suspended(&w->op) && "a second write while one is suspended");
    if (!write_may_start(w))
        return write_refused(w);
    return w->ops->flush(w);
}

gw_io_op *gw_close(gw_writer *w)
{
    assert(!gw__io_suspended(&w->op) && "a second write while one is suspended");
    if (w->err != 0)
        return gw_io_finished(&w->op, w, w->err);
    if (w->ops == NULL)
        return gw_io_finished(&w->op, w, gw_writer_fail(w, GW_EINVAL));
    if (w->closed)
        return gw_io_finished(&w->op, w, 0);
    w->closed = 1;
    return w->ops->close(w);
}

gw_io_op *gw_flush_or_close(gw_writer *w, int close)
{
    return close ? gw_close(w) : gw_flush(w);
}
