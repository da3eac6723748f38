/*
 * Record readers (gw_record_reader in include/genwire/frame.h): length
 * prefix (u8 .. u64le), varint, lines and netstring records parsed straight
 * out of a gw_bufreader.
 *
 * Two paths share one header parser (gw_frame_header_parse, a pure function
 * over bytes, in frame-header.c).  gw_record_try_next() is the fast path: it
 * hands out a record
 * that is whole in the buffer, zero-copy, without suspending, and gives up
 * (returns 0) on anything else.  gw_record_next() is the generator that
 * handles the rest: waiting for bytes, records larger than the buffer
 * (assembled once in a buffer that grows only as bytes arrive, or handed out
 * in pieces in stream mode), limits, truncation and malformed headers, each
 * with its error and the stream offset where it was found.  A record's bytes
 * are consumed from the bufreader when it is handed out; they stay where they
 * are until the next call on the reader.
 *
 * The reader's states, kept in the reader (not in a frame) so that each call
 * starts where the last one stopped:
 *
 *   HEAD --record whole in the buffer (or fits it, once filled)--> HEAD
 *   HEAD --header of a payload larger than the buffer--> BODY
 *        BODY --payload moved out (assembled, or handed out in pieces)--> HEAD
 *        BODY --payload assembled, netstring--> TRAIL --','--> HEAD
 *   HEAD --lines: a full buffer and no LF--> LINE --LF or end of input--> HEAD
 *   any  --error (sticky in rr->err)--> every later call fails the same way
 */
#include "genwire/frame.h"

#include <string.h>

#include "genwire/alloc.h"
#include "transport/io-impl.h"

/* The reader's states.  They start at a magic value, as zlib's do: a reader
 * that was never initialised (all zeros) is refused, not run. */
enum {
    RR_HEAD = 0x7230, /* at a record boundary: a header (or a line) starts here */
    RR_BODY,          /* a payload larger than the buffer: rr->_left bytes of it to go */
    RR_TRAIL,         /* assemble mode: a netstring payload is in, its ',' must follow */
    RR_LINE           /* a line longer than the buffer: rr->_lseen bytes of it moved out */
};

/* Smallest bufreader over a stream a record reader accepts: room for any
 * header (a netstring's 20 digits and ':' is the longest). */
#define MIN_BUFFER 32

/* Nonzero when the consecutive-empty-records limit is switched on. */
static int empty_limited(const gw_record_reader *rr)
{
    return rr->_lim.max_empty != 0 && rr->_lim.max_empty != GW_UNLIMITED;
}

/* Enters state st; the inline fast path applies only at a record boundary,
 * with no error, for u32be and varint, and with no empty-record count to
 * keep; for varint, only when every one-byte length (under 128) is within
 * the limit, so that it need not check it. */
static void set_state(gw_record_reader *rr, int st)
{
    rr->_state = st;
    rr->_fast = 0;
    if (st == RR_HEAD && rr->err == 0 && !empty_limited(rr)) {
        if (rr->_fmt == GW_FRAME_U32BE)
            rr->_fast = GW__RECORD_FAST_U32BE;
        else if (rr->_fmt == GW_FRAME_VARINT && rr->_lim.max_record >= 0x7f)
            rr->_fast = GW__RECORD_FAST_VARINT;
    }
}

/* Makes err the sticky error (unless one is set), found at offset off, and
 * returns the sticky error; the inline fast path stops applying. */
static int fail(gw_record_reader *rr, int err, uint64_t off)
{
    rr->_fast = 0;
    return gw_error_set(&rr->err, &rr->err_off, err, off);
}

int gw_record_reader_init(gw_record_reader *rr, gw_bufreader *src, gw_frame_format fmt,
                          const gw_frame_limits *lim, int mode)
{
    memset(rr, 0, sizeof(*rr));
    rr->last = 1;
    rr->_state = RR_HEAD;
    if (lim != NULL)
        rr->_lim = *lim;
    if (rr->_lim.max_record == 0)
        rr->_lim.max_record = GW_FRAME_DEFAULT_MAX_RECORD;
    if (rr->_lim.max_line == 0)
        rr->_lim.max_line = GW_FRAME_DEFAULT_MAX_LINE;
    if (src == NULL || (unsigned)fmt >= GW_FRAME_NFORMATS ||
        (src->src != NULL && src->cap < MIN_BUFFER) ||
        (mode != GW_RECORD_ASSEMBLE && mode != GW_RECORD_STREAM))
        return fail(rr, GW_EINVAL, 0);
    rr->_src = src;
    rr->_fmt = fmt;
    rr->_mode = mode;
    set_state(rr, RR_HEAD);
    return 0;
}

void gw_record_reader_fini(gw_record_reader *rr)
{
    gw_free(rr->_big);
    rr->_big = NULL;
    rr->_bigcap = 0;
}

/* Bytes after the payload: the netstring's ','. */
static size_t trailer_len(const gw_record_reader *rr)
{
    return rr->_fmt == GW_FRAME_NETSTRING ? 1 : 0;
}

/* Lines: how many bytes of a line may be looked at for its LF (the longest
 * line, its CR and its LF), saturating for GW_UNLIMITED. */
static size_t line_window(const gw_record_reader *rr)
{
    return rr->_lim.max_line > SIZE_MAX - 2 ? SIZE_MAX : rr->_lim.max_line + 2;
}

/* Nonzero if an empty record may be taken now; counts records for the
 * consecutive-empty limit, when it is on. */
static int count_record(gw_record_reader *rr, uint64_t plen, int take)
{
    if (!empty_limited(rr))
        return 1;
    if (plen != 0) {
        if (take)
            rr->_nempty = 0;
        return 1;
    }
    if (rr->_nempty >= rr->_lim.max_empty)
        return 0;
    if (take)
        rr->_nempty++;
    return 1;
}

/* Hands out len bytes at data as the current record (or piece), starting at
 * stream offset off, and consumes `used` bytes of the buffer. */
static void hand_out(gw_record_reader *rr, const uint8_t *data, size_t len, uint64_t off, int last,
                     size_t used)
{
    rr->data = data;
    rr->len = len;
    rr->_off = off;
    rr->_off_data = data;
    rr->last = last;
    rr->_scan = 0;
    gw_bufreader_consume(rr->_src, used);
}

/* Lines, in place: a whole line within the limit in the n bytes at p. */
static int try_line(gw_record_reader *rr, const uint8_t *p, size_t n)
{
    size_t lim = line_window(rr), len;
    const uint8_t *lf = memchr(p, '\n', n < lim ? n : lim);

    if (lf == NULL)
        return 0;
    len = (size_t)(lf - p);
    if (len > 0 && p[len - 1] == '\r')
        len--;
    if (len > rr->_lim.max_line || !count_record(rr, len, 1))
        return 0;
    hand_out(rr, p, len, gw_bufreader_offset(rr->_src), 1, (size_t)(lf - p) + 1);
    return 1;
}

int gw__record_try_next(gw_record_reader *rr)
{
    gw_bufreader *b;
    const uint8_t *p;
    uint64_t plen;
    size_t n, t, total;
    int h;

    if (rr->err != 0 || rr->_state != RR_HEAD)
        return 0;
    b = rr->_src;
    p = gw_bufreader_peek(b);
    n = gw_bufreader_avail(b);
    if (rr->_fmt == GW_FRAME_LINES)
        return try_line(rr, p, n);
    h = gw_frame_header_parse(rr->_fmt, p, n, &plen, NULL);
    if (h <= 0 || plen > rr->_lim.max_record || plen > n)
        return 0;
    t = trailer_len(rr);
    total = (size_t)h + (size_t)plen + t;
    if (total > n || (t != 0 && p[total - 1] != ','))
        return 0;
    if (!count_record(rr, plen, 1))
        return 0;
    hand_out(rr, p + h, (size_t)plen, gw_bufreader_offset(b), 1, total);
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

/* Appends n buffered bytes to the assembly buffer (which may grow to max)
 * and consumes them. */
static int assemble(gw_record_reader *rr, size_t n, size_t max)
{
    if (n == 0)
        return 0;
    if (big_reserve(rr, rr->_biglen + n, max) != 0)
        return GW_ENOMEM;
    memcpy(rr->_big + rr->_biglen, gw_bufreader_peek(rr->_src), n);
    rr->_biglen += n;
    gw_bufreader_consume(rr->_src, n);
    return 0;
}

/* A call abandoned mid-way (its task cancelled): part of a record may have
 * been taken, so the reader cannot go on. */
static void record_next_cleanup(gw_frame *f)
{
    gw_record_reader *rr = ((gw_io_op *)(void *)f)->obj;

    fail(rr, GW_ECANCELLED, gw_bufreader_offset(rr->_src));
}

/*
 * RR_NEED(s, rr, b, k): k bytes of a unit (a header, a record, a piece):
 * gw_bufreader_need, whose verdict on a short input (truncated at the
 * offset where the input ended, or the input's own error) is the reader's
 * sticky error.  Afterwards fewer than k bytes are buffered only at a clean
 * end with nothing buffered.  One per line (it may suspend).
 */
#define RR_NEED(s, rr, b, k)                                                                       \
    do {                                                                                           \
        GW_NEED(s, sub, b, k, &(rr)->err, &(rr)->err_off);                                         \
        if ((rr)->err != 0)                                                                        \
            GW_RETURN(s, fail(rr, (rr)->err, 0));                                                  \
    } while (0)

/*
 * RR_MORE(s, rr, b): lines: one byte more than is buffered, or the end of
 * input (which ends a line without LF).  An error of the input fails the
 * reader at the offset it reached, but only once the bytes that came with
 * it have been looked at: they may hold whole lines, which go out first.
 * One per line (it may suspend).
 */
#define RR_MORE(s, rr, b)                                                                          \
    do {                                                                                           \
        (rr)->_had = gw_bufreader_avail(b);                                                        \
        GW_FILL(s, sub, b, (rr)->_had + 1);                                                        \
        if ((b)->r.err != 0 && gw_bufreader_avail(b) <= (rr)->_had)                                \
            GW_RETURN(s, fail(rr, (b)->r.err, gw_bufreader_offset(b) + gw_bufreader_avail(b)));    \
    } while (0)

/* RR_RECORD(s, rr): the call's result is the record now in rr. */
#define RR_RECORD(s, rr)                                                                           \
    do {                                                                                           \
        (s)->n = (rr)->len;                                                                        \
        GW_RETURN(s, 1);                                                                           \
    } while (0)

/* One call of gw_record_next: runs the states above until a record (or a
 * piece) is handed out, the input ends cleanly, or an error. */
typedef gw_io_op record_next;
GW_GENERATOR(record_next, record_next_cleanup);
GW_BODY(record_next, s)
{
    gw_record_reader *rr = s->obj;
    gw_bufreader *b = rr->_src;
    const uint8_t *p;
    uint64_t plen;
    size_t n, t, take, len, hold;
    int h;

    GW_BEGIN(s);
    if (rr->err != 0)
        GW_RETURN(s, rr->err);
    if (rr->_state < RR_HEAD || rr->_state > RR_LINE)
        GW_RETURN(s, fail(rr, GW_EINVAL, 0)); /* never initialised */
    for (;;) {
        p = gw_bufreader_peek(b);
        n = gw_bufreader_avail(b);

        if (rr->_state == RR_HEAD && rr->_fmt == GW_FRAME_LINES) {
            const uint8_t *lf;
            size_t lim = line_window(rr);

            if (try_line(rr, p, n))
                RR_RECORD(s, rr);
            if (rr->_scan > n)
                rr->_scan = 0;
            lf = memchr(p + rr->_scan, '\n', (n < lim ? n : lim) - rr->_scan);
            if (lf != NULL) {
                /* Found, and not taken: too long, or one empty line too many. */
                len = (size_t)(lf - p);
                if (len > 0 && p[len - 1] == '\r')
                    len--;
                GW_RETURN(s,
                          fail(rr, len > rr->_lim.max_line ? GW_ELINE_TOO_LONG : GW_ETOO_MANY_EMPTY,
                               gw_bufreader_offset(b)));
            }
            if (n >= lim)
                GW_RETURN(s, fail(rr, GW_ELINE_TOO_LONG, gw_bufreader_offset(b)));
            rr->_scan = n;
            if (gw_bufreader_eof(b)) {
                if (n == 0)
                    GW_RETURN(s, 0);
                /* The last line, without LF: a record as it stands, under
                 * the same limit as one with its LF. */
                if (n > rr->_lim.max_line)
                    GW_RETURN(s, fail(rr, GW_ELINE_TOO_LONG, gw_bufreader_offset(b)));
                count_record(rr, n, 1);
                hand_out(rr, p, n, gw_bufreader_offset(b), 1, n);
                RR_RECORD(s, rr);
            }
            if (n == b->cap) {
                /* Longer than the buffer: move it out as it arrives.  It
                 * is not empty, whatever follows. */
                count_record(rr, n, 1);
                rr->_start = gw_bufreader_offset(b);
                rr->_lseen = 0;
                rr->_biglen = 0;
                set_state(rr, RR_LINE);
                continue;
            }
            RR_MORE(s, rr, b);
            continue;
        }

        if (rr->_state == RR_HEAD) {
            if (gw__record_try_next(rr))
                RR_RECORD(s, rr);
            h = gw_frame_header_parse(rr->_fmt, p, n, &plen, &take);
            if (h < 0)
                GW_RETURN(s, fail(rr, h, gw_bufreader_offset(b) + take));
            if (h == 0) {
                /* The header is not all there yet: one byte more, or a
                 * clean end if nothing at all is left. */
                RR_NEED(s, rr, b, n + 1);
                if (gw_bufreader_avail(b) == 0)
                    GW_RETURN(s, 0);
                continue;
            }
            if (plen > rr->_lim.max_record)
                GW_RETURN(s, fail(rr, GW_ERECORD_TOO_LARGE, gw_bufreader_offset(b)));
            if (!count_record(rr, plen, 0))
                GW_RETURN(s, fail(rr, GW_ETOO_MANY_EMPTY, gw_bufreader_offset(b)));
            t = trailer_len(rr);
            if ((uint64_t)h + plen + t <= b->cap) {
                /* Fits the buffer: wait for all of it, then take it in place
                 * (if it is still not taken, it was cut short or its ','
                 * is missing). */
                RR_NEED(s, rr, b, (size_t)h + (size_t)plen + t);
                if (gw__record_try_next(rr))
                    RR_RECORD(s, rr);
                /* The need may have suspended: the locals are read again. */
                h = gw_frame_header_parse(rr->_fmt, gw_bufreader_peek(b), gw_bufreader_avail(b),
                                          &plen, NULL);
                GW_RETURN(s, fail(rr, GW_ENETSTRING_COMMA, gw_bufreader_offset(b) + h + plen));
            }
            /* Larger than the buffer. */
            count_record(rr, plen, 1);
            rr->_start = gw_bufreader_offset(b);
            gw_bufreader_consume(b, (size_t)h);
            rr->_left = plen;
            rr->_trail = t;
            rr->_biglen = 0;
            set_state(rr, RR_BODY);
            continue;
        }

        if (rr->_state == RR_BODY && rr->_mode == GW_RECORD_ASSEMBLE) {
            /* Copy it once, growing the buffer only as bytes arrive. */
            RR_NEED(s, rr, b, 1);
            take = gw_bufreader_avail(b);
            if (take == 0)
                GW_RETURN(s, fail(rr, GW_ETRUNCATED, gw_bufreader_offset(b)));
            if (take > rr->_left)
                take = (size_t)rr->_left;
            if (assemble(rr, take, (size_t)(rr->_biglen + rr->_left)) != 0)
                GW_RETURN(s, fail(rr, GW_ENOMEM, gw_bufreader_offset(b)));
            rr->_left -= take;
            if (rr->_left > 0)
                continue;
            if (rr->_trail != 0) {
                set_state(rr, RR_TRAIL);
                continue;
            }
            set_state(rr, RR_HEAD);
            hand_out(rr, rr->_big, rr->_biglen, rr->_start, 1, 0);
            RR_RECORD(s, rr);
        }

        if (rr->_state == RR_BODY) {
            /* Stream mode: the next piece.  The last piece goes out only
             * with its trailer (a netstring's ',') seen, so a record marked
             * last is a whole, well-formed one. */
            RR_NEED(s, rr, b, rr->_trail != 0 && rr->_left == 1 ? 2 : 1);
            hold = rr->_trail != 0 && rr->_left == 1 ? 2 : 1;
            p = gw_bufreader_peek(b);
            n = gw_bufreader_avail(b);
            if (n < hold)
                GW_RETURN(s, fail(rr, GW_ETRUNCATED, gw_bufreader_offset(b) + n));
            take = n < rr->_left ? n : (size_t)rr->_left;
            if (rr->_trail != 0 && take == rr->_left) {
                if (n == take)
                    take--; /* keep one byte back until the trailer is buffered */
                else if (p[take] != ',')
                    GW_RETURN(s, fail(rr, GW_ENETSTRING_COMMA, gw_bufreader_offset(b) + take));
            }
            rr->_left -= take;
            if (rr->_left == 0) {
                set_state(rr, RR_HEAD);
                hand_out(rr, p, take, rr->_start, 1, take + rr->_trail);
                rr->_trail = 0;
            } else {
                hand_out(rr, p, take, rr->_start, 0, take);
            }
            RR_RECORD(s, rr);
        }

        if (rr->_state == RR_TRAIL) {
            RR_NEED(s, rr, b, 1);
            if (gw_bufreader_avail(b) == 0)
                GW_RETURN(s, fail(rr, GW_ETRUNCATED, gw_bufreader_offset(b)));
            if (gw_bufreader_peek(b)[0] != ',')
                GW_RETURN(s, fail(rr, GW_ENETSTRING_COMMA, gw_bufreader_offset(b)));
            gw_bufreader_consume(b, 1);
            rr->_trail = 0;
            set_state(rr, RR_HEAD);
            hand_out(rr, rr->_big, rr->_biglen, rr->_start, 1, 0);
            RR_RECORD(s, rr);
        }

        /* RR_LINE: the buffer holds the line's continuation, the bytes
         * before it are assembled or handed out.  At most `lim` bytes of
         * the line are ever looked at. */
        take = line_window(rr) - rr->_lseen;
        if (take > n)
            take = n;
        {
            const uint8_t *lf = memchr(p, '\n', take);

            if (lf != NULL || gw_bufreader_eof(b)) {
                /* The line ends here: at its LF (a CR before it dropped), or
                 * at the end of input (a CR there is data). */
                len = lf != NULL ? (size_t)(lf - p) : n;
                if (lf != NULL && len > 0 && p[len - 1] == '\r')
                    len--;
                if (rr->_lseen + len > rr->_lim.max_line)
                    GW_RETURN(s, fail(rr, GW_ELINE_TOO_LONG, rr->_start));
                take = lf != NULL ? (size_t)(lf - p) + 1 : n;
                set_state(rr, RR_HEAD);
                if (rr->_mode == GW_RECORD_STREAM) {
                    hand_out(rr, p, len, rr->_start, 1, take);
                    RR_RECORD(s, rr);
                }
                if (assemble(rr, len, rr->_lim.max_line) != 0)
                    GW_RETURN(s, fail(rr, GW_ENOMEM, gw_bufreader_offset(b)));
                hand_out(rr, rr->_big, rr->_biglen, rr->_start, 1, take - len);
                RR_RECORD(s, rr);
            }
        }
        if (n >= line_window(rr) - rr->_lseen)
            GW_RETURN(s, fail(rr, GW_ELINE_TOO_LONG, rr->_start));
        /* No LF yet: move out all but the last byte (the last two if it is
         * a CR), so that the line's last piece is never empty and a CR
         * before its LF is never handed out. */
        hold = n > 0 && p[n - 1] == '\r' ? 2 : 1;
        take = n > hold ? n - hold : 0;
        if (take > 0 && rr->_mode == GW_RECORD_STREAM) {
            rr->_lseen += take;
            hand_out(rr, p, take, rr->_start, 0, take);
            RR_RECORD(s, rr);
        }
        if (assemble(rr, take, rr->_lim.max_line) != 0)
            GW_RETURN(s, fail(rr, GW_ENOMEM, gw_bufreader_offset(b)));
        rr->_lseen += take;
        RR_MORE(s, rr, b);
    }
    GW_END(s);
}

#undef RR_NEED
#undef RR_MORE
#undef RR_RECORD

gw_io_op *gw_record_next(gw_record_reader *rr)
{
    return GW__IO_START(&rr->_op, record_next, rr);
}
