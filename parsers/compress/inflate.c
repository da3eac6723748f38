/*
 * The inflate layer (gw_inflate in include/genwire/compress.h): an AsyncRead
 * of the bytes a backend (zlib or ISA-L, parsers/compress/zback.h)
 * decompresses from a gw_bufreader.  The backend reads straight out of the
 * bufreader's buffer and writes straight into the caller's buffer; the layer
 * moves the pointers, counts, enforces the output and ratio limits, turns
 * verdicts into genwire errors with their offsets, and strings concatenated
 * gzip members together, the same way whichever backend decodes.
 *
 * States (z->_state):
 *
 *     ST_STREAM --member or stream ends--> ST_AFTER --gzip member follows--> ST_STREAM
 *                                              |
 *                                              +--end of input (or STOP_AT_END)--> ST_DONE
 *
 * and any error leaves the state as it is: the sticky z->r.err answers every
 * later read.
 *
 * The output limits are enforced before the backend writes: the room it is
 * given is clamped to what the limits still allow, computed from the
 * compressed bytes read so far.  When that is nothing, the backend gets one
 * byte of scratch space (z->_probe) to show whether more output is due, and
 * its input one byte at a time, so that when the byte appears the input read
 * is what its code needed (exactly so with zlib; ISA-L may have read ahead,
 * as compress.h says); the byte is handed on only if the limits, re-checked
 * with that input, allow it.
 */
#include "genwire/compress.h"

#include <string.h>

#include "genwire/alloc.h"
#include "parsers/compress/zback.h"
#include "transport/io-impl.h"

enum {
    ST_STREAM = 0, /* inside a stream or gzip member: the backend is decoding */
    ST_AFTER,      /* a stream or member ended; what follows is not known yet */
    ST_DONE        /* clean end: reads return end of stream */
};

/* What one call of step() achieved. */
enum {
    STEP_PROGRESS = 0, /* the backend read or wrote something */
    STEP_END,          /* the stream or member ended (state is now ST_AFTER) */
    STEP_STARVED       /* the backend needs more input to go on */
};

/* The output the ratio limit allows for the input read so far. */
static uint64_t ratio_budget(const gw_inflate *z)
{
    if (z->in_total > UINT64_MAX / z->opts.max_ratio)
        return UINT64_MAX;
    return z->in_total * z->opts.max_ratio;
}

/* The sticky error (gw_reader_fail, io.h) with the backend's message msg,
 * which z->msg keeps only if this error is the first. */
static int with_msg(gw_inflate *z, int err, uint64_t off, const char *msg)
{
    if (z->r.err == 0)
        z->msg = msg;
    return gw_reader_fail(&z->r, err, off);
}

/* A backend's error err found at offset off. */
static int backend_error(gw_inflate *z, int err, uint64_t off, const char *msg)
{
    /* A later gzip member whose magic is wrong is not a member at all: bytes
     * after the last one. */
    if (err == GW_EZ_HEADER && z->members > 0 && z->_gzip && off - z->_start <= 1)
        return gw_reader_fail(&z->r, GW_ETRAILING_DATA, z->_start);
    return with_msg(z, err, off, msg);
}

/*
 * One backend run over the first `avail` buffered bytes into out[0 .. room):
 * consumes what it used, counts the input, sets *made.  Returns a STEP_*
 * value or a negative error (sticky).  Does not count the output.
 */
static int run(gw_inflate *z, size_t avail, uint8_t *out, size_t room, size_t *made)
{
    gw_bufreader *src = z->src;
    uint64_t base = gw_bufreader_offset(src);
    size_t used = avail, ahead = z->_ahead, at = 0;
    const char *msg = NULL;
    int rc;

    *made = room;
    rc = z->_be->run(z, gw_bufreader_peek(src), &used, out, made, &msg, &at);
    gw_bufreader_consume(src, used);
    z->in_total += used;
    if (rc < 0) /* at is just past the error's byte */
        return backend_error(z, rc, base + at > 0 ? base + at - 1 : 0, msg);
    if (rc == GW__ZB_END) {
        z->members++;
        z->_state = ST_AFTER;
        return STEP_END;
    }
    if (used > 0 || *made > 0 || z->_ahead != ahead)
        return STEP_PROGRESS;
    if (avail > z->_ahead) /* stuck with new input and room: cannot happen */
        return with_msg(z, GW_ELIBRARY, gw_bufreader_offset(src), "inflate made no progress");
    return STEP_STARVED;
}

/* Where a limit error is reported: just past the input that made the byte
 * refused with zlib; ISA-L reads ahead by an amount that depends on how the
 * input arrived, so there it is the start of the stream or member. */
static uint64_t limit_offset(const gw_inflate *z)
{
    if (z->backend == GW_INFLATE_BACKEND_ISAL)
        return z->_start;
    return gw_bufreader_offset(z->src);
}

/* Hands out the byte a probe produced, if the limits allow it. */
static int take_probe(gw_inflate *z, uint8_t *out)
{
    if (z->opts.max_output != GW_UNLIMITED && z->out_total >= z->opts.max_output)
        return gw_reader_fail(&z->r, GW_EOUTPUT_LIMIT, limit_offset(z));
    if (z->opts.max_ratio != (uint32_t)GW_UNLIMITED && z->out_total >= ratio_budget(z))
        return gw_reader_fail(&z->r, GW_ERATIO_LIMIT, limit_offset(z));
    out[0] = z->_probe;
    z->out_total++;
    return 0;
}

/*
 * The limits allow no more output for the input read so far: finds out
 * whether the backend has another byte to give, into z->_probe.  A backend
 * decodes ahead of its output when input is there, so here it gets no new
 * input at first, then one byte at a time.  Same results as step().
 */
static int probe(gw_inflate *z, uint8_t *out, size_t *got)
{
    size_t give = 0, made;
    uint64_t before;
    int rc;

    *got = 0;
    for (;;) {
        before = z->in_total;
        rc = run(z, z->_ahead + give, &z->_probe, 1, &made);
        if (made > 0) {
            int lim = take_probe(z, out);
            if (lim < 0)
                return lim;
            *got = 1;
        }
        /* A byte read without output may have raised the ratio's budget:
         * step() recomputes it. */
        if (rc != STEP_STARVED || *got > 0 || z->in_total != before)
            return rc == STEP_STARVED ? STEP_PROGRESS : rc;
        if (give == 0 && gw_bufreader_avail(z->src) > z->_ahead) {
            give = 1; /* nothing without input: try one byte */
            continue;
        }
        return STEP_STARVED;
    }
}

/*
 * Runs the backend once over the buffered input into out[0 .. room), room >
 * 0, within the limits.  Sets *got to the bytes written to out.  Returns a
 * STEP_* value or a negative error (already made sticky).  Never suspends.
 */
static int step(gw_inflate *z, uint8_t *out, size_t room, size_t *got)
{
    gw_bufreader *src = z->src;
    size_t avail = gw_bufreader_avail(src), allow = room;
    uint64_t left;
    int rc;

    *got = 0;
    if (z->opts.max_output != GW_UNLIMITED) {
        left = z->opts.max_output - z->out_total;
        if (left < allow)
            allow = (size_t)left;
    }
    if (z->opts.max_ratio != (uint32_t)GW_UNLIMITED) {
        left = ratio_budget(z);
        left = left > z->out_total ? left - z->out_total : 0;
        if (left < allow)
            allow = (size_t)left;
    }
    if (z->in_total == 0 && avail > 0 && z->opts.format == GW_ZFORMAT_AUTO)
        z->_gzip = gw_bufreader_peek(src)[0] == 0x1f; /* as zlib tells them apart */
    if (allow == 0)
        return probe(z, out, got);
    rc = run(z, avail, out, allow, got);
    z->out_total += *got;
    return rc;
}

/*
 * After a stream or member ended: decides between a clean end, another gzip
 * member and trailing data.  With GW_INFLATE_STOP_AT_END the end is clean at
 * once, whatever follows (nothing after it is read, so a peer that sends
 * nothing more does not keep the reader waiting); otherwise it needs at
 * least one byte buffered or the input at its end.  Returns 0 or a negative
 * error.  Never suspends.
 */
static int after_stream(gw_inflate *z)
{
    gw_bufreader *src = z->src;

    if ((z->opts.flags & GW_INFLATE_STOP_AT_END) || gw_bufreader_avail(src) == 0) {
        z->_state = ST_DONE;
        return 0;
    }
    if (!z->_gzip || gw_bufreader_peek(src)[0] != 0x1f)
        return gw_reader_fail(&z->r, GW_ETRAILING_DATA, gw_bufreader_offset(src));
    /* Another member: gzip only from now on, also if the format was auto. */
    if (z->_be->next_member(z) != 0)
        return gw_reader_fail(&z->r, GW_ELIBRARY, gw_bufreader_offset(src));
    z->_start = gw_bufreader_offset(src);
    z->_state = ST_STREAM;
    return 0;
}

/* Whether the layer must wait for input before after_stream can decide. */
static int after_needs_input(const gw_inflate *z)
{
    return !(z->opts.flags & GW_INFLATE_STOP_AT_END) && gw_bufreader_avail(z->src) == 0 &&
           !gw_bufreader_eof(z->src);
}

/* Releases the backend's state. */
static void release(gw_inflate *z)
{
    if (z->_be != NULL)
        z->_be->end(z);
}

/* The error of the fill below, once what it buffered is decoded: at the end
 * of what it delivered, which is past the bytes ISA-L still holds (z->_ahead,
 * the only ones left buffered then), as it is past zlib's. */
static int src_error(gw_inflate *z)
{
    return gw_reader_fail(&z->r, z->_src_err,
                          gw_bufreader_offset(z->src) + gw_bufreader_avail(z->src));
}

/* A read abandoned mid-way (its task cancelled): the stream cannot go on. */
static void infl_cleanup(gw_frame *f)
{
    gw_io_op *op = (gw_io_op *)(void *)f;
    gw_inflate *z = op->obj;

    release(z);
    gw_reader_fail(&z->r, GW_ECANCELLED, gw_bufreader_offset(z->src));
}

/*
 * The layer's try_read: decompresses into s->buf until s->min bytes came,
 * s->buf is full, or the input runs dry with s->min reached.  An error of
 * the fill below is held in z->_src_err until the bytes that fill buffered
 * have been decoded: what was decoded before an error is always delivered.
 */
typedef gw_io_op infl_read;
GW_GENERATOR(infl_read, infl_cleanup);
GW_BODY(infl_read, s)
{
    gw_inflate *z = s->obj;
    size_t got;
    int rc;

    GW_BEGIN(s);
    for (;;) {
        if (z->_state == ST_DONE) {
            z->r.eof = 1;
            break;
        }
        if (z->_state == ST_AFTER) {
            if (after_needs_input(z)) {
                if (z->_src_err != 0)
                    GW_RETURN(s, src_error(z));
                if (s->n >= s->min)
                    break;
                GW_FILL(s, sub, z->src, 1);
                if (s->sub != NULL && s->sub->ret < 0)
                    z->_src_err = s->sub->ret;
                continue;
            }
            rc = after_stream(z);
            if (rc < 0)
                GW_RETURN(s, rc);
            continue;
        }
        if (s->n == s->len)
            break;
        rc = step(z, s->buf + s->n, s->len - s->n, &got);
        s->n += got;
        z->r.nread += got;
        if (rc < 0)
            GW_RETURN(s, rc);
        if (rc != STEP_STARVED)
            continue;
        if (z->_src_err != 0)
            GW_RETURN(s, src_error(z));
        if (gw_bufreader_eof(z->src))
            GW_RETURN(
                s, gw_reader_fail(&z->r, GW_ETRUNCATED, gw_bufreader_offset(z->src) + z->_ahead));
        if (s->n >= s->min)
            break;
        /* More than the backend already holds. */
        GW_FILL(s, sub, z->src, z->_ahead + 1);
        if (s->sub != NULL && s->sub->ret < 0)
            z->_src_err = s->sub->ret;
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *infl_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    gw_inflate *z = GW__CONTAINER_OF(r, gw_inflate, r);

    return GW__IO_READ(&r->op, infl_read, z, buf, cap, min);
}

static const gw_reader_ops inflate_ops = {"inflate", infl_try_read};

void gw_inflate_opts_default(gw_inflate_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = GW_ZFORMAT_GZIP;
    o->max_output = GW_INFLATE_DEFAULT_MAX_OUTPUT;
    o->max_ratio = GW_INFLATE_DEFAULT_MAX_RATIO;
    o->flags = 0;
    o->backend = GW_INFLATE_BACKEND_DEFAULT;
}

int gw_inflate_init(gw_inflate *z, gw_bufreader *src, const gw_inflate_opts *o)
{
    int rc;

    memset(z, 0, sizeof(*z));
    gw_reader_init(&z->r, &inflate_ops);
    if (o != NULL)
        z->opts = *o;
    else
        gw_inflate_opts_default(&z->opts);
    /* Zero is the default; GW_UNLIMITED stays as it is and switches the
     * limit off. */
    if (z->opts.max_output == 0)
        z->opts.max_output = GW_INFLATE_DEFAULT_MAX_OUTPUT;
    if (z->opts.max_ratio == 0)
        z->opts.max_ratio = GW_INFLATE_DEFAULT_MAX_RATIO;
    if (src == NULL || (unsigned)z->opts.format >= GW_ZFORMAT_NFORMATS)
        return gw_reader_fail(&z->r, GW_EINVAL, 0);
    z->src = src;
    z->_start = gw_bufreader_offset(src);
    if ((rc = gw__inflate_pick(z)) != 0)
        return gw_reader_fail(&z->r, rc, z->_start);
    z->_gzip = z->opts.format == GW_ZFORMAT_GZIP;
    if ((rc = z->_be->init(z)) != 0)
        return gw_reader_fail(&z->r, rc, z->_start);
    return 0;
}

void gw_inflate_fini(gw_inflate *z)
{
    release(z);
}

const char *gw_inflate_msg(const gw_inflate *z)
{
    if (z->r.err == 0)
        return "";
    if (z->msg != NULL)
        return z->msg;
    return gw_strerror(z->r.err);
}
