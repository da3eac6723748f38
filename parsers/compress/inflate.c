/*
 * The inflate layer (gw_inflate in include/genwire/compress.h): an AsyncRead
 * of the bytes zlib decompresses from a gw_bufreader.  zlib reads straight
 * out of the bufreader's buffer and writes straight into the caller's buffer;
 * the layer only moves the pointers, counts, enforces the output and ratio
 * limits, turns zlib's verdicts into genwire errors with their offsets, and
 * strings concatenated gzip members together.  It does not parse any header
 * itself: zlib does, byte by byte, so a gzip extra field of any length
 * streams through without being buffered.
 *
 * States (z->_state):
 *
 *     ST_STREAM --Z_STREAM_END--> ST_AFTER --gzip member follows--> ST_STREAM
 *                                     |
 *                                     +--end of input (or STOP_AT_END)--> ST_DONE
 *
 * and any error leaves the state as it is: the sticky z->r.err answers every
 * later read.
 *
 * The output limits are enforced before zlib writes: the room given to zlib
 * is clamped to what the limits still allow, computed from the compressed
 * bytes read so far.  When that is nothing, zlib gets one byte of scratch
 * space (z->_probe) to show whether more output is due, and its input one
 * byte at a time, so that when the byte appears the input read is exactly
 * what its code needed; the byte is handed on only if the limits, re-checked
 * with that input, allow it.  Where the layer stops, and the offset it
 * reports, then depend on the stream alone, not on how its bytes arrived.
 */
#include "genwire/compress.h"

#include <limits.h>
#include <string.h>

#include "genwire/alloc.h"
#include "parsers/compress/zcommon.h"
#include "transport/io-impl.h"

enum {
    ST_STREAM = 0, /* inside a stream or gzip member: zlib is decoding */
    ST_AFTER,      /* a stream or member ended; what follows is not known yet */
    ST_DONE        /* clean end: reads return end of stream */
};

/* What one call of step() achieved. */
enum {
    STEP_PROGRESS = 0, /* zlib read or wrote something */
    STEP_END,          /* the stream or member ended (state is now ST_AFTER) */
    STEP_STARVED       /* zlib needs more input to go on */
};

/* zlib's messages for Z_DATA_ERROR that are not about the compressed data
 * itself; any other message is GW_EZ_DATA. */
static const struct {
    const char *msg;
    int err;
} zlib_verdicts[] = {
    {"incorrect header check", GW_EZ_HEADER}, {"unknown compression method", GW_EZ_HEADER},
    {"invalid window size", GW_EZ_HEADER},    {"unknown header flags set", GW_EZ_HEADER},
    {"header crc mismatch", GW_EZ_HEADER},    {"incorrect data check", GW_EZ_CHECKSUM},
    {"incorrect length check", GW_EZ_LENGTH},
};

/* Sets the sticky error; returns it. */
static int fail(gw_inflate *z, int err, uint64_t off, const char *msg)
{
    z->r.err = err;
    z->r.err_off = off;
    z->msg = msg;
    return err;
}

/* The output the ratio limit allows for the input read so far. */
static uint64_t ratio_budget(const gw_inflate *z)
{
    if (z->in_total > UINT64_MAX / z->opts.max_ratio)
        return UINT64_MAX;
    return z->in_total * z->opts.max_ratio;
}

/* Turns zlib's verdict zr into a genwire error. */
static int zlib_error(gw_inflate *z, int zr)
{
    uint64_t off = gw_bufreader_offset(z->src);
    const char *msg = z->_zs->msg;
    size_t i;
    int err = GW_EZ_DATA;

    /* The last byte zlib read is the one in which it found the error. */
    if (off > 0)
        off--;
    if (zr == Z_MEM_ERROR)
        return fail(z, GW_ENOMEM, off, NULL);
    if (zr == Z_NEED_DICT)
        return fail(z, GW_EZ_HEADER, off, "preset dictionary not supported");
    if (zr != Z_DATA_ERROR || msg == NULL)
        return fail(z, GW_ELIBRARY, off, msg);
    for (i = 0; i < sizeof(zlib_verdicts) / sizeof(zlib_verdicts[0]); i++) {
        if (strcmp(msg, zlib_verdicts[i].msg) == 0) {
            err = zlib_verdicts[i].err;
            break;
        }
    }
    /* A later gzip member whose magic is wrong is not a member at all: bytes
     * after the last one. */
    if (err == GW_EZ_HEADER && z->members > 0 && z->_gzip &&
        gw_bufreader_offset(z->src) - z->_start <= 2)
        return fail(z, GW_ETRAILING_DATA, z->_start, NULL);
    return fail(z, err, off, msg);
}

/* Hands out the byte a probe produced, if the limits allow it. */
static int take_probe(gw_inflate *z, uint8_t *out)
{
    if (z->opts.max_output != GW_UNLIMITED && z->out_total >= z->opts.max_output)
        return fail(z, GW_EOUTPUT_LIMIT, gw_bufreader_offset(z->src), NULL);
    if (z->opts.max_ratio != (uint32_t)GW_UNLIMITED && z->out_total >= ratio_budget(z))
        return fail(z, GW_ERATIO_LIMIT, gw_bufreader_offset(z->src), NULL);
    out[0] = z->_probe;
    z->out_total++;
    return 0;
}

/*
 * The limits allow no more output for the input read so far: finds out
 * whether zlib has another byte to give, into z->_probe.  zlib decodes ahead
 * of its output (after filling the output space it goes on to decode the next
 * code if input is there), so here it gets no input at first, then one byte:
 * when the byte appears, the input read is exactly what the code that made
 * it needed, however the input arrived.  Same results as step().
 */
static int probe(gw_inflate *z, uint8_t *out, size_t *got)
{
    z_stream *zs = z->_zs;
    gw_bufreader *src = z->src;
    size_t give = 0, used;
    int zr, rc;

    *got = 0;
    for (;;) {
        zs->next_in = gw_bufreader_peek(src);
        zs->avail_in = (uInt)give;
        zs->next_out = &z->_probe;
        zs->avail_out = 1;
        zr = inflate(zs, Z_NO_FLUSH);
        used = give - zs->avail_in;
        gw_bufreader_consume(src, used);
        z->in_total += used;
        if (zs->avail_out == 0) {
            if ((rc = take_probe(z, out)) < 0)
                return rc;
            *got = 1;
        }
        if (zr == Z_STREAM_END) {
            z->members++;
            z->_state = ST_AFTER;
            return STEP_END;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            return zlib_error(z, zr);
        /* A byte read without output may have raised the ratio's budget:
         * step() recomputes it. */
        if (*got > 0 || used > 0)
            return STEP_PROGRESS;
        if (give == 0 && gw_bufreader_avail(src) > 0) {
            give = 1; /* nothing without input: try one byte */
            continue;
        }
        if (give == 0)
            return STEP_STARVED;
        /* A byte given and not taken, with room for output: cannot happen. */
        return fail(z, GW_ELIBRARY, gw_bufreader_offset(src), "inflate made no progress");
    }
}

/*
 * Runs zlib once over the buffered input into out[0 .. room), room > 0,
 * within the limits.  Sets *got to the bytes written to out.  Returns a
 * STEP_* value or a negative error (already made sticky).  Never suspends.
 */
static int step(gw_inflate *z, uint8_t *out, size_t room, size_t *got)
{
    z_stream *zs = z->_zs;
    gw_bufreader *src = z->src;
    size_t avail = gw_bufreader_avail(src), allow = room, used, made;
    uint64_t left;
    int zr;

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
    if (allow > UINT_MAX)
        allow = UINT_MAX;
    if (avail > UINT_MAX)
        avail = UINT_MAX;
    zs->next_in = gw_bufreader_peek(src);
    zs->avail_in = (uInt)avail;
    zs->next_out = out;
    zs->avail_out = (uInt)allow;
    zr = inflate(zs, Z_NO_FLUSH);
    used = avail - zs->avail_in;
    made = allow - zs->avail_out;
    gw_bufreader_consume(src, used);
    z->in_total += used;
    z->out_total += made;
    *got = made;
    if (zr == Z_STREAM_END) {
        z->members++;
        z->_state = ST_AFTER;
        return STEP_END;
    }
    if (zr == Z_OK || zr == Z_BUF_ERROR) {
        if (used > 0 || made > 0)
            return STEP_PROGRESS;
        if (zs->avail_in > 0) /* stuck with input and room: cannot happen */
            return fail(z, GW_ELIBRARY, gw_bufreader_offset(src), "inflate made no progress");
        return STEP_STARVED;
    }
    return zlib_error(z, zr);
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
        return fail(z, GW_ETRAILING_DATA, gw_bufreader_offset(src), NULL);
    /* Another member: gzip only from now on, also if the format was auto. */
    if (inflateReset2(z->_zs, 15 + 16) != Z_OK)
        return fail(z, GW_ELIBRARY, gw_bufreader_offset(src), NULL);
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

/* Releases zlib's state. */
static void release(gw_inflate *z)
{
    if (z->_zs == NULL)
        return;
    inflateEnd(z->_zs);
    gw_free(z->_zs);
    z->_zs = NULL;
}

/* A read abandoned mid-way (its task cancelled): the stream cannot go on. */
static void infl_cleanup(gw_frame *f)
{
    gw_io_op *op = (gw_io_op *)(void *)f;
    gw_inflate *z = op->obj;

    release(z);
    if (z->r.err == 0)
        fail(z, GW_ECANCELLED, gw_bufreader_offset(z->src), NULL);
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
                    GW_RETURN(s, fail(z, z->_src_err, gw_bufreader_offset(z->src), NULL));
                if (s->n >= s->min)
                    break;
                GW_AWAIT(s, sub, gw_bufreader_fill(z->src, 1));
                if (s->sub->ret < 0)
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
            GW_RETURN(s, fail(z, z->_src_err, gw_bufreader_offset(z->src), NULL));
        if (gw_bufreader_eof(z->src))
            GW_RETURN(s, fail(z, GW_ETRUNCATED, gw_bufreader_offset(z->src), NULL));
        if (s->n >= s->min)
            break;
        GW_AWAIT(s, sub, gw_bufreader_fill(z->src, 1));
        if (s->sub->ret < 0)
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
}

int gw_inflate_init(gw_inflate *z, gw_bufreader *src, const gw_inflate_opts *o)
{
    static const int window_bits[GW_ZFORMAT_NFORMATS] = {15 + 16, 15, -15, 15 + 32};
    z_stream *zs;
    int zr;

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
        return fail(z, GW_EINVAL, 0, NULL);
    z->src = src;
    z->_start = gw_bufreader_offset(src);
    z->_gzip = z->opts.format == GW_ZFORMAT_GZIP;
    if ((zs = gw_malloc(sizeof(*zs))) == NULL)
        return fail(z, GW_ENOMEM, z->_start, NULL);
    gw__zstream_setup(zs);
    zr = inflateInit2(zs, window_bits[z->opts.format]);
    if (zr != Z_OK) {
        gw_free(zs);
        return fail(z, zr == Z_MEM_ERROR ? GW_ENOMEM : GW_ELIBRARY, z->_start, NULL);
    }
    z->_zs = zs;
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
