/*
 * The bounded reader (gw_bounded in include/genwire/io.h): an AsyncRead of
 * exactly the next n bytes of a gw_bufreader, for Content-Length bodies and
 * RESP bulk strings.  Every read is passed to the bufreader as a read of at
 * most the bytes left, so the bufreader serves it from its buffer (or reads
 * a large one straight into the caller's memory) and whatever follows the n
 * bytes stays buffered there.  It knows no protocol.
 */
#include "genwire/io.h"

#include "transport/io-impl.h"

typedef gw_io_op bounded_read;
GW_GENERATOR(bounded_read, gw_reader_cancelled);
GW_BODY(bounded_read, s)
{
    gw_bounded *br = s->obj;
    size_t cap = s->len, min = s->min;

    GW_BEGIN(s);
    if (cap > br->left)
        cap = (size_t)br->left;
    if (min > cap)
        min = cap;
    if (cap > 0) {
        GW_AWAIT(s, sub, gw_try_read(&br->src->r, s->buf, cap, min));
        s->n = s->sub->n;
        br->left -= s->n;
        br->r.nread += s->n;
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_reader_fail(&br->r, s->sub->ret, gw_bufreader_offset(br->src)));
        /* Short of what was asked, or nothing left beneath (a read with
         * min 0 reports no end of stream): the body was cut off. */
        if (br->left > 0 &&
            (s->n < s->sub->min || (gw_bufreader_eof(br->src) && gw_bufreader_avail(br->src) == 0)))
            GW_RETURN(s, gw_reader_fail(&br->r, GW_ETRUNCATED, gw_bufreader_offset(br->src)));
    }
    /* The last byte is out: end of stream now, not at the next read. */
    if (br->left == 0)
        br->r.eof = 1;
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_TRY_READ(bounded_try_read, gw_bounded, r, bounded_read)

static const gw_reader_ops bounded_ops = {"bounded", bounded_try_read};

void gw_bounded_init(gw_bounded *br, gw_bufreader *src, uint64_t n)
{
    gw_reader_init(&br->r, &bounded_ops);
    br->src = src;
    br->left = n;
    br->r.eof = n == 0;
}
