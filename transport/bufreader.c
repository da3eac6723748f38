/*
 * The buffered reader (gw_bufreader in include/genwire/io.h): one buffer,
 * allocated at init, over any AsyncRead.  Decoders read it in place through
 * avail / peek / consume and yield from gw_bufreader_fill only when it runs
 * dry, so generator overhead is paid per refill, not per byte or record.  As
 * an AsyncRead of its own it serves from the buffer first and reads large
 * requests straight into the caller's memory.  It knows no protocol.
 */
#include "genwire/io.h"

#include <stdlib.h>

#include "genwire/alloc.h"
#include <string.h>

#include "transport/io-impl.h"

/* Reads into a large buffer are capped at this, so that a buffer sized for
 * the largest record is touched (and made resident) only as far as records
 * actually need. */
#define READ_CHUNK (256u << 10)

/*
 * Makes room for `want` more bytes after the buffered ones: starts over at
 * the front when the buffer is empty, and moves the buffered bytes to the
 * front when the tail is too short or the read position has passed the
 * middle (cheap then, as few bytes are left), which keeps the working set at
 * the front of the buffer.
 */
static void make_room(gw_bufreader *b, size_t want)
{
    if (b->pos == b->end) {
        b->base += b->pos;
        b->pos = b->end = 0;
    } else if (b->cap - b->end < want || b->pos >= b->cap / 2) {
        memmove(b->buf, b->buf + b->pos, b->end - b->pos);
        b->base += b->pos;
        b->end -= b->pos;
        b->pos = 0;
    }
}

/* How much to ask the source for when `want` more bytes are needed. */
static size_t read_room(const gw_bufreader *b, size_t want)
{
    size_t room = b->cap - b->end;

    return room > READ_CHUNK && want <= READ_CHUNK ? READ_CHUNK : room;
}

typedef gw_io_op buf_fill;
GW_GENERATOR(buf_fill, NULL);
GW_BODY(buf_fill, s)
{
    gw_bufreader *b = s->obj;

    GW_BEGIN(s);
    if (b->r.err != 0)
        GW_RETURN(s, b->r.err);
    /* At end of stream no more bytes can come: that is the answer even
     * when min is more than the buffer could hold. */
    if (s->min > b->cap && !gw_bufreader_eof(b))
        GW_RETURN(s, GW_ETOO_LARGE);
    while (gw_bufreader_avail(b) < s->min && !gw_bufreader_eof(b)) {
        make_room(b, s->min - gw_bufreader_avail(b));
        GW_AWAIT(s, sub,
                 gw_try_read(b->src, b->buf + b->end, read_room(b, s->min - gw_bufreader_avail(b)),
                             s->min - gw_bufreader_avail(b)));
        b->end += s->sub->n;
        if (s->sub->ret < 0) {
            b->r.err = s->sub->ret;
            GW_RETURN(s, s->sub->ret);
        }
    }
    s->n = gw_bufreader_avail(b);
    GW_RETURN(s, 0);
    GW_END(s);
}

gw_io_op *gw_bufreader_fill(gw_bufreader *b, size_t min)
{
    return GW__IO_READ(&b->fill_op, buf_fill, b, NULL, 0, min);
}

/* The bufreader as an AsyncRead. */
typedef gw_io_op buf_read;
GW_GENERATOR(buf_read, NULL);
GW_BODY(buf_read, s)
{
    gw_bufreader *b = s->obj;
    size_t take;

    GW_BEGIN(s);
    for (;;) {
        take = gw_bufreader_avail(b);
        if (take > s->len - s->n)
            take = s->len - s->n;
        memcpy(s->buf + s->n, gw_bufreader_peek(b), take);
        gw_bufreader_consume(b, take);
        s->n += take;
        b->r.nread += take;
        if (s->n >= s->min || s->n == s->len)
            break;
        if (gw_bufreader_eof(b)) {
            b->r.eof = 1;
            break;
        }
        if (s->len - s->n >= b->cap) {
            /* Large request, empty buffer: read straight into the caller's
             * memory. */
            GW_AWAIT(s, sub, gw_try_read(b->src, s->buf + s->n, s->len - s->n, s->min - s->n));
            s->n += s->sub->n;
            b->r.nread += s->sub->n;
            b->base += s->sub->n; /* the buffer is empty: pos == end */
        } else {
            b->base += b->pos;
            b->pos = b->end = 0;
            GW_AWAIT(s, sub, gw_try_read(b->src, b->buf, b->cap, s->min - s->n));
            b->end = s->sub->n;
        }
        if (s->sub->ret < 0) {
            b->r.err = s->sub->ret;
            GW_RETURN(s, s->sub->ret);
        }
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *buf_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    gw_bufreader *b = GW__CONTAINER_OF(r, gw_bufreader, r);

    return GW__IO_READ(&r->op, buf_read, b, buf, cap, min);
}

static const gw_reader_ops bufreader_ops = {"bufreader", buf_try_read};

int gw_bufreader_init(gw_bufreader *b, gw_reader *src, size_t cap)
{
    memset(b, 0, sizeof(*b));
    gw_reader_init(&b->r, &bufreader_ops);
    if (cap == 0 || src == NULL)
        return GW_EINVAL;
    if ((b->buf = gw_malloc(cap)) == NULL)
        return GW_ENOMEM;
    b->src = src;
    b->cap = cap;
    return 0;
}

void gw_bufreader_init_mem(gw_bufreader *b, const void *data, size_t len)
{
    memset(b, 0, sizeof(*b));
    gw_reader_init(&b->r, &bufreader_ops);
    b->buf =
        (uint8_t *)(uintptr_t)data; /* never written: with no source, nothing is read into it */
    b->cap = len;
    b->end = len;
}

void gw_bufreader_fini(gw_bufreader *b)
{
    if (b->src != NULL)
        gw_free(b->buf);
    b->buf = NULL;
}
