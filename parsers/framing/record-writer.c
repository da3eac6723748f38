/*
 * Record writers (gw_record_writer in include/genwire/frame.h): the encoding
 * side of the record formats.  Each record becomes header + payload (+ ','
 * for netstrings, LF for lines) in a gw_bufwriter; when the whole record fits
 * the writer's free space it is built there in place, so small records are
 * batched with one copy and no suspension.
 */
#include "genwire/frame.h"

#include <string.h>

#include "transport/io-impl.h"

int gw_record_writer_init(gw_record_writer *rw, gw_bufwriter *dst, gw_frame_format fmt,
                          uint64_t max_record)
{
    memset(rw, 0, sizeof(*rw));
    if (dst == NULL || (unsigned)fmt >= GW_FRAME_NFORMATS)
        return GW_EINVAL;
    rw->dst = dst;
    rw->fmt = fmt;
    rw->max_record = max_record != 0 ? max_record : GW_FRAME_DEFAULT_MAX_RECORD;
    return 0;
}

/* Writes the header of a len-byte record into hdr; returns its length, or a
 * negative error when the format cannot carry the record. */
static int make_header(gw_record_writer *rw, const uint8_t *data, size_t len, uint8_t *hdr)
{
    static const unsigned char width[] = {1, 2, 2, 4, 4, 8, 8};
    uint64_t v = len;
    size_t i, w;
    char digits[24];

    if (v > rw->max_record)
        return GW_ERECORD_TOO_LARGE;
    switch (rw->fmt) {
    case GW_FRAME_U8:
    case GW_FRAME_U16BE:
    case GW_FRAME_U32BE:
    case GW_FRAME_U64BE:
    case GW_FRAME_U16LE:
    case GW_FRAME_U32LE:
    case GW_FRAME_U64LE:
        w = width[rw->fmt];
        if (w < 8 && v >> (8 * w) != 0)
            return GW_ERECORD_TOO_LARGE;
        for (i = 0; i < w; i++) {
            int be = rw->fmt == GW_FRAME_U8 || rw->fmt == GW_FRAME_U16BE ||
                     rw->fmt == GW_FRAME_U32BE || rw->fmt == GW_FRAME_U64BE;
            hdr[be ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
        }
        return (int)w;
    case GW_FRAME_VARINT:
        for (i = 0; v >= 0x80; i++, v >>= 7)
            hdr[i] = (uint8_t)(v | 0x80);
        hdr[i] = (uint8_t)v;
        return (int)i + 1;
    case GW_FRAME_NETSTRING:
        i = sizeof(digits);
        do {
            digits[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        w = sizeof(digits) - i;
        memcpy(hdr, digits + i, w);
        hdr[w] = ':';
        return (int)w + 1;
    case GW_FRAME_LINES:
        /* A LF inside, or a CR at the end, would not decode as this record.
         * An empty one may come as (NULL, 0): nothing to look at. */
        if (len > 0 && (memchr(data, '\n', len) != NULL || data[len - 1] == '\r'))
            return GW_EINVAL;
        return 0;
    case GW_FRAME_NFORMATS:
        break;
    }
    return GW_EINVAL;
}

/* The byte after the payload, or -1 for none. */
static int trailer(gw_frame_format fmt)
{
    return fmt == GW_FRAME_NETSTRING ? ',' : fmt == GW_FRAME_LINES ? '\n' : -1;
}

/* Slow path: header, payload and trailer through gw_write.  `min` holds the
 * header length.  It suspends only inside a write of dst, so a write
 * abandoned mid-way (its task cancelled) is one of dst's: dst's own cleanup
 * makes GW_ECANCELLED its sticky error, as part of the record may be in it
 * already; this frame needs none. */
typedef gw_io_op record_write;
GW_GENERATOR(record_write, NULL);
GW_BODY(record_write, s)
{
    gw_record_writer *rw = s->obj;

    GW_BEGIN(s);
    GW_AWAIT(s, sub, gw_write(&rw->dst->w, rw->hdr, s->min));
    if (s->sub->ret < 0)
        GW_RETURN(s, s->sub->ret);
    GW_AWAIT(s, sub, gw_write(&rw->dst->w, s->src, s->len));
    if (s->sub->ret < 0)
        GW_RETURN(s, s->sub->ret);
    if (trailer(rw->fmt) >= 0) {
        rw->hdr[0] = (uint8_t)trailer(rw->fmt);
        GW_AWAIT(s, sub, gw_write(&rw->dst->w, rw->hdr, 1));
        if (s->sub->ret < 0)
            GW_RETURN(s, s->sub->ret);
    }
    s->n = s->len;
    GW_RETURN(s, 0);
    GW_END(s);
}

gw_io_op *gw_record_write(gw_record_writer *rw, const void *data, size_t len)
{
    size_t t = trailer(rw->fmt) >= 0 ? 1 : 0;
    gw_io_op *op;
    uint8_t *p;
    int h;

    /* A failed init, or none (all zeros), leaves no dst. */
    if (rw->dst == NULL)
        return gw_io_finished(&rw->op, rw, GW_EINVAL);
    h = make_header(rw, data, len, rw->hdr);
    if (h < 0)
        return gw_io_finished(&rw->op, rw, h);
    rw->hlen = (size_t)h;
    p = rw->dst->w.err == 0 && !rw->dst->w.closed
            ? gw_bufwriter_reserve(rw->dst, (size_t)h + len + t)
            : NULL;
    if (p != NULL) {
        /* Fast path: the whole record goes into the buffer in place. */
        memcpy(p, rw->hdr, (size_t)h);
        if (len > 0)
            memcpy(p + h, data, len);
        if (t)
            p[h + len] = (uint8_t)trailer(rw->fmt);
        gw_bufwriter_commit(rw->dst, (size_t)h + len + t);
        op = gw_io_finished(&rw->op, rw, 0);
        op->n = len;
        return op;
    }
    op = GW__IO_WRITE(&rw->op, record_write, rw, data, len);
    op->min = (size_t)h;
    return op;
}
