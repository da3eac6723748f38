/*
 * The deflate layer (gw_deflate in include/genwire/compress.h): an
 * AsyncWrite that compresses with zlib into one output buffer, allocated at
 * init, and writes that buffer to the writer below whenever it fills.  A
 * flush is zlib's Z_SYNC_FLUSH followed by writing the buffer out and
 * flushing below, so the peer can decode everything written so far; a close
 * is Z_FINISH (the trailer), then the same, then closing the writer below and
 * releasing zlib's state.  It knows nothing of what it compresses.
 */
#include "genwire/compress.h"

#include <limits.h>
#include <string.h>

#include "genwire/alloc.h"
#include "parsers/compress/zcommon.h"
#include "transport/io-impl.h"

/* Releases zlib's state. */
static void release(gw_deflate *d)
{
    if (d->_zs == NULL)
        return;
    deflateEnd(d->_zs);
    gw_free(d->_zs);
    d->_zs = NULL;
}

/* An operation abandoned mid-way (its task cancelled): the stream cannot go
 * on, since part of the input may have been taken. */
static void defl_cleanup(gw_frame *f)
{
    gw_io_op *op = (gw_io_op *)(void *)f;
    gw_deflate *d = op->obj;

    release(d);
    gw_writer_fail(&d->w, GW_ECANCELLED);
}

/*
 * Every operation: compresses s->src[0 .. s->len) with the zlib flush mode
 * in s->min (Z_NO_FLUSH for a write, Z_SYNC_FLUSH for a flush, Z_FINISH for
 * a close), writing the buffer below each time it fills; a flush or close
 * then writes what is left and flushes or closes the writer below.
 */
typedef gw_io_op defl_op;
GW_GENERATOR(defl_op, defl_cleanup);
GW_BODY(defl_op, s)
{
    gw_deflate *d = s->obj;
    z_stream *zs = d->_zs;
    size_t avail, room, used;
    int zr;

    GW_BEGIN(s);
    if (zs == NULL)
        GW_RETURN(s, gw_writer_fail(&d->w, GW_ECLOSED));
    for (;;) {
        zs = d->_zs;
        avail = s->len - s->n;
        if (avail > UINT_MAX)
            avail = UINT_MAX;
        room = d->opts.buffer - d->_len;
        if (room > UINT_MAX)
            room = UINT_MAX;
        zs->next_in = s->src != NULL ? s->src + s->n : Z_NULL;
        zs->avail_in = (uInt)avail;
        zs->next_out = d->_buf + d->_len;
        zs->avail_out = (uInt)room;
        zr = deflate(zs, (int)s->min);
        if (zr == Z_STREAM_ERROR)
            GW_RETURN(s, gw_writer_fail(&d->w, GW_ELIBRARY));
        used = avail - zs->avail_in;
        s->n += used;
        d->in_total += used;
        d->w.nwritten += used;
        d->_len += room - zs->avail_out;
        d->out_total += room - zs->avail_out;
        if (zr == Z_STREAM_END)
            d->_ended = 1;
        if (zs->avail_out == 0) {
            /* The buffer is full: write it below, then go on. */
            GW_AWAIT(s, sub, gw_write(d->dst, d->_buf, d->_len));
            if (s->sub->ret < 0)
                GW_RETURN(s, gw_writer_fail(&d->w, s->sub->ret));
            d->_len = 0;
            if (!d->_ended)
                continue;
        }
        /* Room was left: zlib took all the input and, for a flush or a
         * close, emitted everything (a close: once it said Z_STREAM_END). */
        if (s->n < s->len || ((int)s->min == Z_FINISH && !d->_ended))
            continue;
        break;
    }
    if ((int)s->min == Z_NO_FLUSH)
        GW_RETURN(s, 0);
    if (d->_len > 0) {
        GW_AWAIT(s, sub, gw_write(d->dst, d->_buf, d->_len));
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_writer_fail(&d->w, s->sub->ret));
        d->_len = 0;
    }
    if ((int)s->min == Z_FINISH) {
        release(d);
        GW_AWAIT(s, sub, gw_close(d->dst));
    } else {
        GW_AWAIT(s, sub, gw_flush(d->dst));
    }
    if (s->sub->ret < 0)
        GW_RETURN(s, gw_writer_fail(&d->w, s->sub->ret));
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *defl_start(gw_writer *w, const uint8_t *buf, size_t len, int mode)
{
    gw_deflate *d = GW__CONTAINER_OF(w, gw_deflate, w);
    gw_io_op *op = GW__IO_WRITE(&w->op, defl_op, d, buf, len);

    op->min = (size_t)mode;
    return op;
}

static gw_io_op *defl_write(gw_writer *w, const uint8_t *buf, size_t len)
{
    return defl_start(w, buf, len, Z_NO_FLUSH);
}

static gw_io_op *defl_flush(gw_writer *w)
{
    return defl_start(w, NULL, 0, Z_SYNC_FLUSH);
}

static gw_io_op *defl_close(gw_writer *w)
{
    return defl_start(w, NULL, 0, Z_FINISH);
}

static const gw_writer_ops deflate_ops = {"deflate", defl_write, defl_flush, defl_close};

void gw_deflate_opts_default(gw_deflate_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = GW_ZFORMAT_GZIP;
    o->level = GW_DEFLATE_DEFAULT_LEVEL;
    o->buffer = GW_DEFLATE_DEFAULT_BUFFER;
}

int gw_deflate_init(gw_deflate *d, gw_writer *dst, const gw_deflate_opts *o)
{
    static const int window_bits[] = {15 + 16, 15, -15};
    z_stream *zs;
    int zr;

    memset(d, 0, sizeof(*d));
    gw_writer_init(&d->w, &deflate_ops);
    if (o != NULL)
        d->opts = *o;
    else
        gw_deflate_opts_default(&d->opts);
    if (d->opts.buffer == 0)
        d->opts.buffer = GW_DEFLATE_DEFAULT_BUFFER;
    else if (d->opts.buffer < GW_DEFLATE_MIN_BUFFER)
        d->opts.buffer = GW_DEFLATE_MIN_BUFFER;
    if (d->opts.level == 0 || d->opts.level == -1)
        d->opts.level = GW_DEFLATE_DEFAULT_LEVEL;
    if (dst == NULL || (unsigned)d->opts.format > GW_ZFORMAT_DEFLATE ||
        (d->opts.level != GW_DEFLATE_STORE && (d->opts.level < 1 || d->opts.level > 9)))
        return gw_writer_fail(&d->w, GW_EINVAL);
    d->dst = dst;
    if ((d->_buf = gw_malloc(d->opts.buffer)) == NULL)
        return gw_writer_fail(&d->w, GW_ENOMEM);
    if ((zs = gw_malloc(sizeof(*zs))) == NULL)
        return gw_writer_fail(&d->w, GW_ENOMEM);
    gw__zstream_setup(zs);
    zr = deflateInit2(zs, d->opts.level == GW_DEFLATE_STORE ? 0 : d->opts.level, Z_DEFLATED,
                      window_bits[d->opts.format], 8, Z_DEFAULT_STRATEGY);
    if (zr != Z_OK) {
        gw_free(zs);
        return gw_writer_fail(&d->w, zr == Z_MEM_ERROR ? GW_ENOMEM : GW_ELIBRARY);
    }
    d->_zs = zs;
    return 0;
}

void gw_deflate_fini(gw_deflate *d)
{
    release(d);
    gw_free(d->_buf);
    d->_buf = NULL;
}
