/*
 * The HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1) as a writing
 * byte layer (gw_chunked_writer in include/genwire/frame.h); the reading
 * layer is in chunked.c.
 *
 * The encoder is an AsyncWrite over any gw_writer that collects body bytes
 * in one buffer, allocated at init, and writes each chunk (size line, data,
 * CRLF) with a single write when it comes from that buffer.
 */
#include "genwire/frame.h"

#include <string.h>

#include "genwire/alloc.h"
#include "transport/io-impl.h"

/* ---- encoder ------------------------------------------------------------- */

/* The longest chunk-size line: 16 hex digits and CRLF. */
#define CK_HEAD_MAX 18

/* Writes the chunk-size line of a chunk of n (> 0) bytes so that it ends
 * just before `end`; returns its length. */
static size_t ck_head(uint8_t *end, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t *p = end;

    *--p = '\n';
    *--p = '\r';
    do {
        *--p = (uint8_t)hex[n & 15];
        n >>= 4;
    } while (n != 0);
    return (size_t)(end - p);
}

/* Starts the write of the pending bytes as one chunk: its size line goes in
 * the room before buf, its CRLF after the data. */
static gw_io_op *ck_emit(gw_chunked_writer *c)
{
    size_t hl = ck_head(c->buf, c->len);

    c->buf[c->len] = '\r';
    c->buf[c->len + 1] = '\n';
    return gw_write(c->dst, c->buf - hl, hl + c->len + 2);
}

/* Makes err the writer's sticky error (unless one is set); returns the
 * sticky error. */
static int ck_wfail(gw_chunked_writer *c, int err)
{
    return gw_writer_fail(&c->w, err);
}

/* Both operations live in c->w.op.  One abandoned mid-way (its task
 * cancelled) may leave a chunk half written below, so its cleanup,
 * gw_writer_cancelled, makes GW_ECANCELLED sticky: a later close must not
 * end the body as if it were whole. */
typedef gw_io_op ck_write;
GW_GENERATOR(ck_write, gw_writer_cancelled);
GW_BODY(ck_write, s)
{
    gw_chunked_writer *c = s->obj;
    size_t take, hl;

    GW_BEGIN(s);
    while (s->n < s->len) {
        if (c->len == 0 && s->len - s->n >= c->cap) {
            /* A whole chunk in the caller's memory: no copy. */
            hl = ck_head(c->head + sizeof(c->head), c->cap);
            GW_AWAIT(s, sub, gw_write(c->dst, c->head + sizeof(c->head) - hl, hl));
            if (s->sub->ret < 0)
                GW_RETURN(s, ck_wfail(c, s->sub->ret));
            GW_AWAIT(s, sub, gw_write(c->dst, s->src + s->n, c->cap));
            if (s->sub->ret < 0)
                GW_RETURN(s, ck_wfail(c, s->sub->ret));
            GW_AWAIT(s, sub, gw_write(c->dst, "\r\n", 2));
            if (s->sub->ret < 0)
                GW_RETURN(s, ck_wfail(c, s->sub->ret));
            s->n += c->cap;
            c->w.nwritten += c->cap;
            continue;
        }
        take = c->cap - c->len;
        if (take > s->len - s->n)
            take = s->len - s->n;
        memcpy(c->buf + c->len, s->src + s->n, take);
        c->len += take;
        s->n += take;
        c->w.nwritten += take;
        if (c->len == c->cap) {
            GW_AWAIT(s, sub, ck_emit(c));
            if (s->sub->ret < 0)
                GW_RETURN(s, ck_wfail(c, s->sub->ret));
            c->len = 0;
        }
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Flush, and for close (op->min set) the last-chunk and a close of dst. */
typedef gw_io_op ck_flush;
GW_GENERATOR(ck_flush, gw_writer_cancelled);
GW_BODY(ck_flush, s)
{
    gw_chunked_writer *c = s->obj;

    GW_BEGIN(s);
    if (c->len > 0) {
        GW_AWAIT(s, sub, ck_emit(c));
        if (s->sub->ret < 0)
            GW_RETURN(s, ck_wfail(c, s->sub->ret));
        c->len = 0;
    }
    if (s->min) {
        GW_AWAIT(s, sub, gw_write(c->dst, "0\r\n\r\n", 5));
        if (s->sub->ret < 0)
            GW_RETURN(s, ck_wfail(c, s->sub->ret));
    }
    GW_AWAIT(s, sub, gw_flush_or_close(c->dst, s->min != 0));
    if (s->sub->ret < 0)
        GW_RETURN(s, ck_wfail(c, s->sub->ret));
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_WRITE(ck_write_start, gw_chunked_writer, w, ck_write)
GW__IO_DEFINE_WRITER_OP(ck_flush_start, gw_chunked_writer, w, ck_flush)
GW__IO_DEFINE_CLOSE_AS_FLUSH(ck_close_start, ck_flush_start)

static const gw_writer_ops chunked_writer_ops = {"chunked", ck_write_start, ck_flush_start,
                                                 ck_close_start};

int gw_chunked_writer_init(gw_chunked_writer *c, gw_writer *dst, size_t cap)
{
    memset(c, 0, sizeof(*c));
    gw_writer_init(&c->w, &chunked_writer_ops);
    if (cap == 0 || dst == NULL || cap > (size_t)-1 - CK_HEAD_MAX - 2)
        return ck_wfail(c, GW_EINVAL);
    if ((c->_mem = gw_malloc(CK_HEAD_MAX + cap + 2)) == NULL)
        return ck_wfail(c, GW_ENOMEM);
    c->buf = c->_mem + CK_HEAD_MAX;
    c->dst = dst;
    c->cap = cap;
    return 0;
}

void gw_chunked_writer_fini(gw_chunked_writer *c)
{
    gw_free(c->_mem);
    c->_mem = NULL;
    c->buf = NULL;
}

#undef CK_HEAD_MAX
