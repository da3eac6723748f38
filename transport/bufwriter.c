/*
 * The buffered writer (gw_bufwriter in include/genwire/io.h): batches small
 * writes into one buffer, allocated at init, in front of any AsyncWrite, and
 * passes large ones straight through.  Encoders may also build their output
 * in place with reserve / commit.  It knows no protocol.
 */
#include "genwire/io.h"

#include <string.h>

#include "genwire/alloc.h"

#include "transport/io-impl.h"

typedef gw_io_op bw_write;
GW_GENERATOR(bw_write, gw_writer_cancelled);
GW_BODY(bw_write, s)
{
    gw_bufwriter *b = s->obj;
    size_t take;

    GW_BEGIN(s);
    if (s->len <= b->cap - b->len) {
        if (s->len > 0) /* s->src may be NULL then */
            memcpy(b->buf + b->len, s->src, s->len);
        b->len += s->len;
        s->n = s->len;
        b->w.nwritten += s->len;
        GW_RETURN(s, 0);
    }
    if (b->len > 0) {
        /* Top the buffer up, then write it whole. */
        take = b->cap - b->len;
        memcpy(b->buf + b->len, s->src, take);
        b->len = b->cap;
        s->n = take;
        b->w.nwritten += take;
        GW_AWAIT(s, sub, gw_write(b->dst, b->buf, b->len));
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_writer_fail(&b->w, s->sub->ret));
        b->len = 0;
    }
    if (s->len - s->n >= b->cap) {
        GW_AWAIT(s, sub, gw_write(b->dst, s->src + s->n, s->len - s->n));
        b->w.nwritten += s->sub->n;
        s->n += s->sub->n;
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_writer_fail(&b->w, s->sub->ret));
    } else {
        memcpy(b->buf, s->src + s->n, s->len - s->n);
        b->len = s->len - s->n;
        b->w.nwritten += b->len;
        s->n = s->len;
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Flush, and for close (op->min set) also close the writer below. */
typedef gw_io_op bw_flush;
GW_GENERATOR(bw_flush, gw_writer_cancelled);
GW_BODY(bw_flush, s)
{
    gw_bufwriter *b = s->obj;

    GW_BEGIN(s);
    if (b->len > 0) {
        GW_AWAIT(s, sub, gw_write(b->dst, b->buf, b->len));
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_writer_fail(&b->w, s->sub->ret));
        b->len = 0;
    }
    GW_AWAIT(s, sub, gw_flush_or_close(b->dst, s->min != 0));
    if (s->sub->ret < 0)
        GW_RETURN(s, gw_writer_fail(&b->w, s->sub->ret));
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_WRITE(bw_write_start, gw_bufwriter, w, bw_write)
GW__IO_DEFINE_WRITER_OP(bw_flush_start, gw_bufwriter, w, bw_flush)
GW__IO_DEFINE_CLOSE_AS_FLUSH(bw_close_start, bw_flush_start)

static const gw_writer_ops bufwriter_ops = {"bufwriter", bw_write_start, bw_flush_start,
                                            bw_close_start};

int gw_bufwriter_init(gw_bufwriter *b, gw_writer *dst, size_t cap)
{
    memset(b, 0, sizeof(*b));
    gw_writer_init(&b->w, &bufwriter_ops);
    /* A failed init sticks: every operation fails with its error. */
    if (cap == 0 || dst == NULL)
        return gw_writer_fail(&b->w, GW_EINVAL);
    if ((b->buf = gw_malloc(cap)) == NULL)
        return gw_writer_fail(&b->w, GW_ENOMEM);
    b->dst = dst;
    b->cap = cap;
    return 0;
}

void gw_bufwriter_fini(gw_bufwriter *b)
{
    gw_free(b->buf);
    b->buf = NULL;
}
