/*
 * Record readers (gw_record_reader in include/genwire/frame.h): length
 * prefix (u8 .. u64le), varint, lines and netstring records parsed straight
 * out of a gw_bufreader.
 *
 * Two paths share one header parser.  gw_record_try_next() is the fast path:
 * it hands out a record that is whole in the buffer, zero-copy, without
 * suspending, and gives up (returns 0) on anything else.  gw_record_next() is
 * the generator that handles the rest: waiting for bytes, records larger than
 * the buffer (assembled once in a buffer that grows only as bytes arrive, or
 * handed out in pieces in stream mode), limits, truncation and malformed
 * headers, each with its error and the stream offset where it was found.
 * Records of the previous call are consumed lazily, at the start of the next.
 */
#include "genwire/frame.h"

#include <string.h>

#include "genwire/alloc.h"
#include "transport/io-impl.h"

/* Smallest bufreader a record reader accepts: room for any header. */
#define MIN_BUFFER 32

static const char *const format_names[GW_FRAME_NFORMATS] = {
    "u8", "u16be", "u16le", "u32be", "u32le", "u64be", "u64le", "varint", "lines", "netstring",
};

int gw_frame_format_parse(const char *name, gw_frame_format *out)
{
    int i;

    for (i = 0; i < GW_FRAME_NFORMATS; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (gw_frame_format)i;
            return 0;
        }
    }
    return GW_EINVAL;
}

const char *gw_frame_format_name(gw_frame_format fmt)
{
    return (unsigned)fmt < GW_FRAME_NFORMATS ? format_names[fmt] : "?";
}

void gw_frame_limits_default(gw_frame_limits *l)
{
    l->max_record = GW_FRAME_DEFAULT_MAX_RECORD;
    l->max_line = GW_FRAME_DEFAULT_MAX_LINE;
    l->max_empty = GW_FRAME_DEFAULT_MAX_EMPTY;
}

int gw_record_reader_init(gw_record_reader *rr, gw_bufreader *src, gw_frame_format fmt,
                          const gw_frame_limits *lim, int mode)
{
    memset(rr, 0, sizeof(*rr));
    if (lim != NULL)
        rr->_lim = *lim;
    else
        gw_frame_limits_default(&rr->_lim);
    if (src == NULL || (unsigned)fmt >= GW_FRAME_NFORMATS || src->cap < MIN_BUFFER ||
        (mode != GW_RECORD_ASSEMBLE && mode != GW_RECORD_STREAM))
        return GW_EINVAL;
    /* A line is always handed out in place: the buffer must hold the
     * longest line with its CR LF. */
    if (fmt == GW_FRAME_LINES && (rr->_lim.max_line > src->cap - 2))
        return GW_EINVAL;
    rr->_src = src;
    rr->_fmt = fmt;
    rr->_mode = mode;
    return 0;
}

void gw_record_reader_fini(gw_record_reader *rr)
{
    gw_free(rr->_big);
    rr->_big = NULL;
    rr->_bigcap = 0;
}

/*
 * Parses a record header from the n buffered bytes at p.  Returns the header
 * length (> 0) with *plen the payload length and *trail the bytes after the
 * payload; 0 if the header is not complete yet; or a negative error with
 * *bad the index of the offending byte.
 */
static int parse_header(gw_frame_format fmt, const uint8_t *p, size_t n, uint64_t *plen,
                        size_t *trail, size_t *bad)
{
    static const unsigned char width[] = {1, 2, 2, 4, 4, 8, 8};
    uint64_t v = 0;
    size_t i, w;

    *trail = 0;
    switch (fmt) {
    case GW_FRAME_U8:
    case GW_FRAME_U16BE:
    case GW_FRAME_U32BE:
    case GW_FRAME_U64BE:
        w = width[fmt];
        if (n < w)
            return 0;
        for (i = 0; i < w; i++)
            v = v << 8 | p[i];
        *plen = v;
        return (int)w;
    case GW_FRAME_U16LE:
    case GW_FRAME_U32LE:
    case GW_FRAME_U64LE:
        w = width[fmt];
        if (n < w)
            return 0;
        for (i = w; i-- > 0;)
            v = v << 8 | p[i];
        *plen = v;
        return (int)w;
    case GW_FRAME_VARINT:
        /* At most 10 bytes; the 10th holds bit 63 only, so it is 0 or 1. */
        for (i = 0; i < n && i < 10; i++) {
            if (i == 9 && p[i] > 1) {
                *bad = i;
                return GW_EVARINT;
            }
            v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
            if (!(p[i] & 0x80)) {
                *plen = v;
                return (int)i + 1;
            }
        }
        return 0;
    case GW_FRAME_NETSTRING:
        /* 1 to 20 digits, no leading zero but "0:", then ':'. */
        for (i = 0; i < n; i++) {
            if (p[i] >= '0' && p[i] <= '9') {
                uint64_t d = (uint64_t)(p[i] - '0');
                if (i == 20 || (i == 1 && p[0] == '0')) {
                    *bad = i;
                    return GW_ENETSTRING;
                }
                if (v > (UINT64_MAX - d) / 10) {
                    /* A 20-digit length past 2^64 - 1: larger than any limit. */
                    *bad = 0;
                    return GW_ERECORD_TOO_LARGE;
                }
                v = v * 10 + d;
            } else if (p[i] == ':' && i > 0) {
                *plen = v;
                *trail = 1;
                return (int)i + 1;
            } else {
                *bad = i;
                return GW_ENETSTRING;
            }
        }
        return 0;
    case GW_FRAME_LINES:
    case GW_FRAME_NFORMATS:
        break;
    }
    *bad = 0;
    return GW_EINVAL;
}

/* Sets the sticky error and returns it. */
static int fail(gw_record_reader *rr, int err, uint64_t off)
{
    rr->err = err;
    rr->err_off = off;
    return err;
}

/* Counts an empty record; nonzero if that breaks the limit. */
static int empty_flood(gw_record_reader *rr, uint64_t plen)
{
    if (plen != 0) {
        rr->_nempty = 0;
        return 0;
    }
    return ++rr->_nempty > rr->_lim.max_empty;
}

/* Sets the current record to len bytes at data. */
static void set_record(gw_record_reader *rr, const uint8_t *data, size_t len, uint64_t off,
                       int last)
{
    rr->data = data;
    rr->len = len;
    rr->offset = off;
    rr->last = last;
    rr->_scan = 0;
}

/* Lines, fast path: a whole line in the buffer. */
static int try_line(gw_record_reader *rr, const uint8_t *p, size_t n)
{
    size_t lim = rr->_lim.max_line + 2, len;
    const uint8_t *lf = memchr(p, '\n', n < lim ? n : lim);

    if (lf == NULL)
        return 0;
    len = (size_t)(lf - p);
    if (len > 0 && p[len - 1] == '\r')
        len--;
    if (len > rr->_lim.max_line || (len == 0 && rr->_nempty + 1 > rr->_lim.max_empty))
        return 0;
    empty_flood(rr, len);
    set_record(rr, p, len, gw_bufreader_offset(rr->_src), 1);
    rr->_consume = (size_t)(lf - p) + 1;
    return 1;
}

int gw__record_try_next(gw_record_reader *rr)
{
    gw_bufreader *b = rr->_src;
    const uint8_t *p;
    uint64_t plen;
    size_t n, trail, bad, total;
    int h;

    if (rr->err != 0 || rr->_left != 0 || rr->_trail != 0)
        return 0;
    gw_bufreader_consume(b, rr->_consume);
    rr->_consume = 0;
    p = gw_bufreader_peek(b);
    n = gw_bufreader_avail(b);
    if (rr->_fmt == GW_FRAME_LINES)
        return try_line(rr, p, n);
    h = parse_header(rr->_fmt, p, n, &plen, &trail, &bad);
    if (h <= 0 || plen > rr->_lim.max_record || plen > n)
        return 0;
    total = (size_t)h + (size_t)plen + trail;
    if (total > n || (trail != 0 && p[h + plen] != ','))
        return 0;
    if (plen == 0 && rr->_nempty + 1 > rr->_lim.max_empty)
        return 0;
    empty_flood(rr, plen);
    set_record(rr, p + h, (size_t)plen, gw_bufreader_offset(b), 1);
    rr->_consume = total;
    return 1;
}

/* Grows the assembly buffer to hold at least `need` bytes, at most `max`. */
static int big_reserve(gw_record_reader *rr, size_t need, size_t max)
{
    size_t cap = rr->_bigcap ? rr->_bigcap : 4096;
    uint8_t *p;

    if (need <= rr->_bigcap)
        return 0;
    while (cap < need)
        cap *= 2;
    if (cap > max)
        cap = max;
    if ((p = gw_realloc(rr->_big, cap)) == NULL)
        return GW_ENOMEM;
    rr->_big = p;
    rr->_bigcap = cap;
    return 0;
}

/*
 * gw_record_next's body.  The record reader's own fields carry the state
 * between suspensions: _left / _trail (a record whose payload is still
 * arriving), _biglen (bytes assembled), _scan (lines searched so far).  The
 * frame's `min` holds the record's header length, `n` its start offset.
 */
typedef gw_io_op record_next;
GW_GENERATOR(record_next, NULL);
GW_BODY(record_next, s)
{
    gw_record_reader *rr = s->obj;
    gw_bufreader *b = rr->_src;
    const uint8_t *p;
    uint64_t plen;
    size_t n, trail, bad, take;
    int h;

    GW_BEGIN(s);
    if (rr->err != 0)
        GW_RETURN(s, rr->err);
    gw_bufreader_consume(b, rr->_consume);
    rr->_consume = 0;
    if (rr->_left != 0)
        goto stream_piece;

    for (;;) {
        if (gw_record_try_next(rr))
            GW_RETURN(s, 1);
        p = gw_bufreader_peek(b);
        n = gw_bufreader_avail(b);
        if (rr->_fmt == GW_FRAME_LINES) {
            const uint8_t *lf;
            size_t lim = rr->_lim.max_line + 2;

            if (rr->_scan > n)
                rr->_scan = 0;
            lf = memchr(p + rr->_scan, '\n', (n < lim ? n : lim) - rr->_scan);
            if (lf != NULL) {
                size_t len = (size_t)(lf - p);
                rr->_scan = 0;
                if (len > 0 && p[len - 1] == '\r')
                    len--;
                if (len > rr->_lim.max_line)
                    GW_RETURN(s, fail(rr, GW_ELINE_TOO_LONG, gw_bufreader_offset(b)));
                /* Not taken by the fast path, and fits: the empty flood. */
                GW_RETURN(s, fail(rr, GW_ETOO_MANY_EMPTY, gw_bufreader_offset(b)));
            }
            if (n >= lim)
                GW_RETURN(s, fail(rr, GW_ELINE_TOO_LONG, gw_bufreader_offset(b)));
            rr->_scan = n;
            if (gw_bufreader_eof(b)) {
                rr->_scan = 0;
                if (n == 0)
                    GW_RETURN(s, 0);
                /* The last line, without LF: a record as it stands. */
                empty_flood(rr, n);
                set_record(rr, p, n, gw_bufreader_offset(b), 1);
                rr->_consume = n;
                GW_RETURN(s, 1);
            }
            GW_AWAIT(s, sub, gw_bufreader_fill(b, n + 1));
            if (s->sub->ret < 0)
                GW_RETURN(s, fail(rr, s->sub->ret, gw_bufreader_offset(b) + gw_bufreader_avail(b)));
            continue;
        }

        h = parse_header(rr->_fmt, p, n, &plen, &trail, &bad);
        if (h < 0)
            GW_RETURN(s, fail(rr, h, gw_bufreader_offset(b) + bad));
        if (h == 0) {
            /* Header incomplete. */
            if (gw_bufreader_eof(b)) {
                if (n == 0)
                    GW_RETURN(s, 0);
                GW_RETURN(s, fail(rr, GW_ETRUNCATED, gw_bufreader_offset(b) + n));
            }
            GW_AWAIT(s, sub, gw_bufreader_fill(b, n + 1));
            if (s->sub->ret < 0)
                GW_RETURN(s, fail(rr, s->sub->ret, gw_bufreader_offset(b) + gw_bufreader_avail(b)));
            continue;
        }
        if (plen > rr->_lim.max_record)
            GW_RETURN(s, fail(rr, GW_ERECORD_TOO_LARGE, gw_bufreader_offset(b)));
        if (plen == 0 && rr->_nempty + 1 > rr->_lim.max_empty)
            GW_RETURN(s, fail(rr, GW_ETOO_MANY_EMPTY, gw_bufreader_offset(b)));
        if (plen <= b->cap && (uint64_t)h + plen + trail <= b->cap) {
            /* Fits the buffer: wait for all of it, then hand it out in place. */
            if (n < (size_t)h + (size_t)plen + trail) {
                GW_AWAIT(s, sub, gw_bufreader_fill(b, (size_t)h + (size_t)plen + trail));
                if (s->sub->ret < 0)
                    GW_RETURN(
                        s, fail(rr, s->sub->ret, gw_bufreader_offset(b) + gw_bufreader_avail(b)));
                n = gw_bufreader_avail(b);
                /* The fill ran the generator: re-read what it may have moved. */
                p = gw_bufreader_peek(b);
                h = parse_header(rr->_fmt, p, n, &plen, &trail, &bad);
                if (n < (size_t)h + (size_t)plen + trail)
                    GW_RETURN(s, fail(rr, GW_ETRUNCATED, gw_bufreader_offset(b) + n));
            }
            if (trail != 0 && p[h + plen] != ',')
                GW_RETURN(s, fail(rr, GW_ENETSTRING_COMMA, gw_bufreader_offset(b) + h + plen));
            /* Whole and well-formed: the fast path takes it now. */
            if (gw_record_try_next(rr))
                GW_RETURN(s, 1);
            GW_RETURN(s, fail(rr, GW_EINVAL, gw_bufreader_offset(b)));
        }

        /* Larger than the buffer. */
        empty_flood(rr, plen);
        s->n = gw_bufreader_offset(b);
        gw_bufreader_consume(b, (size_t)h);
        rr->_left = plen;
        rr->_trail = trail;
        if (rr->_mode == GW_RECORD_STREAM) {
            rr->offset = s->n;
            goto stream_piece;
        }
        /* Assemble mode: copy it once, growing the buffer only as bytes
         * arrive. */
        rr->_biglen = 0;
        while (rr->_left > 0) {
            if (gw_bufreader_avail(b) == 0) {
                GW_AWAIT(s, sub, gw_bufreader_fill(b, 1));
                if (s->sub->ret < 0)
                    GW_RETURN(s, fail(rr, s->sub->ret, gw_bufreader_offset(b)));
                if (gw_bufreader_avail(b) == 0)
                    GW_RETURN(s, fail(rr, GW_ETRUNCATED, gw_bufreader_offset(b)));
            }
            take = gw_bufreader_avail(b);
            if (take > rr->_left)
                take = (size_t)rr->_left;
            if (big_reserve(rr, rr->_biglen + take, (size_t)(rr->_biglen + rr->_left)) != 0)
                GW_RETURN(s, fail(rr, GW_ENOMEM, gw_bufreader_offset(b)));
            memcpy(rr->_big + rr->_biglen, gw_bufreader_peek(b), take);
            gw_bufreader_consume(b, take);
            rr->_biglen += take;
            rr->_left -= take;
        }
        if (rr->_trail != 0) {
            GW_FILL(s, sub, b, 1);
            if (gw_bufreader_avail(b) == 0)
                GW_RETURN(
                    s, fail(rr, b->r.err != 0 ? b->r.err : GW_ETRUNCATED, gw_bufreader_offset(b)));
            if (gw_bufreader_peek(b)[0] != ',')
                GW_RETURN(s, fail(rr, GW_ENETSTRING_COMMA, gw_bufreader_offset(b)));
            gw_bufreader_consume(b, 1);
            rr->_trail = 0;
        }
        set_record(rr, rr->_big, rr->_biglen, s->n, 1);
        GW_RETURN(s, 1);
    }

stream_piece:
    /* Stream mode: the next piece of a record larger than the buffer.  The
     * last piece goes out only with its trailer (a netstring's ',') seen, so
     * a record marked last is a whole, well-formed one. */
    GW_FILL(s, sub, b, rr->_trail != 0 && rr->_left == 1 ? 2 : 1);
    n = gw_bufreader_avail(b);
    if (n == 0 || (rr->_trail != 0 && rr->_left == 1 && n < 2))
        GW_RETURN(s,
                  fail(rr, b->r.err != 0 ? b->r.err : GW_ETRUNCATED, gw_bufreader_offset(b) + n));
    p = gw_bufreader_peek(b);
    take = n < rr->_left ? n : (size_t)rr->_left;
    if (rr->_trail != 0 && take == rr->_left) {
        if (n == take)
            take--; /* keep one byte back until the trailer is buffered */
        else if (p[take] != ',')
            GW_RETURN(s, fail(rr, GW_ENETSTRING_COMMA, gw_bufreader_offset(b) + take));
    }
    rr->_left -= take;
    rr->_consume = take;
    if (rr->_left == 0 && rr->_trail != 0) {
        rr->_consume++;
        rr->_trail = 0;
    }
    rr->data = p;
    rr->len = take;
    rr->last = rr->_left == 0;
    GW_RETURN(s, 1);
    GW_END(s);
}

gw_io_op *gw_record_next(gw_record_reader *rr)
{
    return GW__IO_START(&rr->_op, record_next, rr);
}
