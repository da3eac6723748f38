/*
 * The AsyncRead / AsyncWrite contracts (include/genwire/io.h): the base
 * objects, the checks every operation shares (sticky errors, closed
 * writers), and gw_read, which turns a short end of stream into an error.
 * The implementations live beside this file, one per transport.
 */
#include "genwire/io.h"

#include "transport/io-impl.h"

#include <stdio.h>
#include <string.h>

/* An operation that has already finished with op->ret: returned in place of
 * the real one when the arguments or the object's state rule it out. */
typedef gw_io_op io_finished;
GW_GENERATOR(io_finished, NULL);
GW_BODY(io_finished, s)
{
    GW_BEGIN(s);
    GW_END(s);
}

static gw_io_op *finished_op(gw_io_op *op, void *obj, int ret)
{
    GW__IO_START(op, io_finished, obj);
    op->ret = ret;
    return op;
}

void gw_reader_init(gw_reader *r, const gw_reader_ops *ops)
{
    memset(r, 0, sizeof(*r));
    r->ops = ops;
}

gw_io_op *gw_try_read(gw_reader *r, void *buf, size_t cap, size_t min)
{
    if (r->err != 0)
        return finished_op(&r->op, r, r->err);
    if (min > cap)
        return finished_op(&r->op, r, GW_EINVAL);
    return r->ops->try_read(r, buf, cap, min);
}

/* gw_read: gw_try_read, and a short end of stream is an error. */
typedef gw_io_op read_exact;
GW_GENERATOR(read_exact, NULL);
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
        GW_RETURN(s, GW_EUNEXPECTED_EOF);
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

gw_io_op *gw_read(gw_reader *r, void *buf, size_t cap, size_t min)
{
    return GW__IO_READ(&r->wrap, read_exact, r, buf, cap, min);
}

const char *gw_reader_strerror(const gw_reader *r, int err, char *buf, size_t len)
{
    if (err == GW_EUNEXPECTED_EOF)
        snprintf(buf, len, "%s: expected %zu but got %zu bytes", gw_strerror(err), r->expected,
                 r->got);
    else
        snprintf(buf, len, "%s", gw_strerror(err));
    return buf;
}

void gw_writer_init(gw_writer *w, const gw_writer_ops *ops)
{
    memset(w, 0, sizeof(*w));
    w->ops = ops;
}

gw_io_op *gw_write(gw_writer *w, const void *buf, size_t len)
{
    if (w->err != 0)
        return finished_op(&w->op, w, w->err);
    if (w->closed)
        return finished_op(&w->op, w, GW_ECLOSED);
    return w->ops->write(w, buf, len);
}

gw_io_op *gw_flush(gw_writer *w)
{
    if (w->err != 0)
        return finished_op(&w->op, w, w->err);
    if (w->closed)
        return finished_op(&w->op, w, GW_ECLOSED);
    return w->ops->flush(w);
}

gw_io_op *gw_close(gw_writer *w)
{
    if (w->err != 0)
        return finished_op(&w->op, w, w->err);
    if (w->closed)
        return finished_op(&w->op, w, 0);
    w->closed = 1;
    return w->ops->close(w);
}
