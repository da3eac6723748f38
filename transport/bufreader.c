/*
 * The buffered reader (gw_bufreader in include/genwire/io.h): one buffer,
 * allocated at init, over any AsyncRead.  Decoders read it in place through
 * avail / peek / consume and yield from gw_bufreader_fill only when it runs
 * dry, so generator overhead is paid per refill, not per byte or record.  As
 * an AsyncRead of its own it serves from the buffer first and reads large
 * requests straight into the caller's memory.  The primitives parsers share
 * for reading a stream live here too: need N bytes (fill and classify, with
 * the sticky error set in one place) and the resumable line scan's
 * generator.  It knows no protocol.
 */
#include "genwire/io.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "genwire/alloc.h"

#include "transport/io-impl.h"

/* Reads into a large buffer are capped at this, so that a buffer sized for
 * the largest record is touched (and made resident) only as far as records
 * actually need. */
#define READ_CHUNK (256u << 10)

/* Where reads land is kept on a multiple of this: the kernel's copy into
 * memory 1 to 31 bytes past the source's offset in its page is about 3x
 * slower (bench/README.md), and sources hand out data from the start of a
 * page (files read from page-aligned offsets, a pipe's pages). */
#define READ_ALIGN 64u

/* Where to put k buffered bytes so that the byte after them is on a
 * READ_ALIGN boundary, if want more bytes still fit after them; else 0. */
static size_t aligned_start(const gw_bufreader *b, size_t k, size_t want)
{
    size_t p = (size_t)(0u - (uintptr_t)(b->buf + k)) % READ_ALIGN;

    return p + k <= b->cap && want <= b->cap - p - k ? p : 0;
}

/*
 * Makes room for `want` more bytes after the buffered ones: starts over near
 * the front when the buffer is empty, and moves the buffered bytes near the
 * front when the tail is too short or the read position has passed the
 * middle (cheap then, as few bytes are left), which keeps the working set at
 * the front of the buffer.  "Near": so that the read lands on a READ_ALIGN
 * boundary.  b->base (the offset of buf[0]) moves with them, modulo 2^64.
 */
static void make_room(gw_bufreader *b, size_t want)
{
    size_t k = b->end - b->pos, p;

    if (b->pos == b->end || b->cap - b->end < want || b->pos >= b->cap / 2) {
        p = aligned_start(b, k, want);
        memmove(b->buf + p, b->buf + b->pos, k);
        b->base = b->base + b->pos - p;
        b->pos = p;
        b->end = p + k;
    }
}

/* How much to ask the source for when `want` more bytes are needed. */
static size_t read_room(const gw_bufreader *b, size_t want)
{
    size_t room = b->cap - b->end;

    return room > READ_CHUNK && want <= READ_CHUNK ? READ_CHUNK : room;
}

/* What a buf_fill frame (op->len) is doing. */
enum { FILL_PLAIN, FILL_NEED, FILL_LINE };

/* The cleanup of fill_op: a cancelled fill may have lost bytes the source
 * read, so the bufreader (and the caller's slot of a need or a line) get a
 * sticky GW_ECANCELLED. */
static void fill_cancelled(gw_frame *f)
{
    gw_io_op *op = (gw_io_op *)(void *)f;
    gw_bufreader *b = GW__CONTAINER_OF(op, gw_bufreader, fill_op);
    uint64_t end = gw_bufreader_offset(b) + gw_bufreader_avail(b);

    gw_reader_fail(&b->r, GW_ECANCELLED, end);
    if (op->len != FILL_PLAIN)
        gw_error_set(b->_err, b->_err_off, GW_ECANCELLED, end);
}

/*
 * The result of a fill, a need or a line, once the loop has stopped with rc
 * (0 or the error that stopped it) and k (the line scan's last result).
 * Sets the caller's sticky error for a need or a line.
 */
static int fill_result(gw_bufreader *b, gw_io_op *s, int rc, ptrdiff_t k)
{
    size_t avail = gw_bufreader_avail(b);
    /* Where the input ended or failed; a request too large for the buffer
     * is reported where the unit starts, the same whatever the split. */
    uint64_t end = gw_bufreader_offset(b) + (rc == GW_ETOO_LARGE ? 0 : avail);
    gw_linescan *ls = b->_line;

    s->n = avail;
    if (s->len == FILL_PLAIN)
        return rc;
    if (s->len == FILL_NEED) {
        if (avail >= s->min || (rc == 0 && avail == 0))
            return 0; /* enough, or a clean end */
        return gw_error_set(b->_err, b->_err_off, rc != 0 ? rc : GW_ETRUNCATED, end);
    }
    if (k > 0) {
        s->n = (size_t)k;
        return 0;
    }
    if (k < 0)
        return gw_error_set(b->_err, b->_err_off, (int)k, gw_bufreader_offset(b) + ls->bad);
    if (rc != 0)
        return gw_error_set(b->_err, b->_err_off, rc, end);
    /* End of stream without a terminator. */
    ls->scanned = 0;
    if (avail == 0)
        return 0;
    if ((ls->flags & (GW_LINE_LAST | GW_LINE_STRICT)) != GW_LINE_LAST)
        return gw_error_set(b->_err, b->_err_off, GW_ETRUNCATED, end);
    if (avail > ls->max) {
        ls->bad = 0;
        return gw_error_set(b->_err, b->_err_off, GW_ELINE_TOO_LONG, gw_bufreader_offset(b));
    }
    ls->len = avail;
    return 0;
}

/*
 * gw_bufreader_fill, _need and _line: one loop that reads from the source
 * until what the caller asked for is buffered (min bytes, or a whole line),
 * the stream ends, or an error comes.  Locals are recomputed on every resume.
 */
typedef gw_io_op buf_fill;
GW_GENERATOR(buf_fill, fill_cancelled);
GW_BODY(buf_fill, s)
{
    gw_bufreader *b = s->obj;
    ptrdiff_t k = 0;
    size_t want;
    int rc = 0, ret;

    GW_BEGIN(s);
    if (s->len != FILL_PLAIN && *b->_err != 0)
        GW_RETURN(s, *b->_err);
    /* No ops table: a bufreader never initialised (all zeros). */
    if (b->r.ops == NULL)
        gw_reader_fail(&b->r, GW_EINVAL, 0);
    for (rc = b->r.err; rc == 0;) {
        if (s->len == FILL_LINE) {
            k = gw_line_scan(b->_line, gw_bufreader_peek(b), gw_bufreader_avail(b));
            if (k != 0)
                break;
            want = gw_bufreader_avail(b) + 1;
        } else {
            want = s->min;
        }
        if (gw_bufreader_avail(b) >= want)
            break;
        /* A need or a line longer than the buffer over a source is too
         * large whether or not the end has been seen, so the answer does not
         * depend on how the input arrived.  For a plain fill, and over fixed
         * memory, the end of stream is the answer. */
        if (want > b->cap && b->src != NULL && s->len != FILL_PLAIN) {
            rc = gw_reader_fail(&b->r, GW_ETOO_LARGE, gw_bufreader_offset(b));
            break;
        }
        if (gw_bufreader_eof(b))
            break;
        if (want > b->cap) {
            rc = gw_reader_fail(&b->r, GW_ETOO_LARGE, gw_bufreader_offset(b));
            break;
        }
        make_room(b, want - gw_bufreader_avail(b));
        GW_AWAIT(s, sub,
                 gw_try_read(b->src, b->buf + b->end, read_room(b, want - gw_bufreader_avail(b)),
                             want - gw_bufreader_avail(b)));
        b->end += s->sub->n;
        if (s->sub->ret < 0)
            rc = s->sub->ret;
    }
    /* Bytes that came with an error (or were buffered before a sticky
     * one) may complete the line: it goes out first. */
    if (s->len == FILL_LINE && rc != 0 && k == 0)
        k = gw_line_scan(b->_line, gw_bufreader_peek(b), gw_bufreader_avail(b));
    ret = fill_result(b, s, rc, k);
    /* The source's error becomes the bufreader's only if it is this
     * operation's result.  A need or a line that it completed succeeds, and
     * the bytes still buffered after it stay readable through b->r (a
     * gw_bounded body after a head): the next operation that needs the
     * source gets the error from it, as that is sticky. */
    if (ret < 0 && ret == rc)
        gw_reader_fail(&b->r, rc, gw_bufreader_offset(b) + gw_bufreader_avail(b));
    GW_RETURN(s, ret);
    GW_END(s);
}

/* Starts fill_op as a fill of kind `kind`. */
static gw_io_op *start_fill(gw_bufreader *b, int kind, size_t min, int *err, uint64_t *err_off,
                            gw_linescan *ls)
{
    assert(!gw__io_suspended(&b->fill_op) && "a second fill while one is suspended");
    b->_err = err;
    b->_err_off = err_off;
    b->_line = ls;
    return GW__IO_READ(&b->fill_op, buf_fill, b, NULL, (size_t)kind, min);
}

gw_io_op *gw_bufreader_fill(gw_bufreader *b, size_t min)
{
    return start_fill(b, FILL_PLAIN, min, NULL, NULL, NULL);
}

gw_io_op *gw_bufreader_need(gw_bufreader *b, size_t n, int *err, uint64_t *err_off)
{
    return start_fill(b, FILL_NEED, n, err, err_off, NULL);
}

gw_io_op *gw_bufreader_line(gw_bufreader *b, gw_linescan *ls, int *err, uint64_t *err_off)
{
    return start_fill(b, FILL_LINE, 0, err, err_off, ls);
}

/* Copies as many buffered bytes as fit into the read s, and consumes them. */
static void serve(gw_bufreader *b, gw_io_op *s)
{
    size_t take = gw_bufreader_avail(b);

    if (take > s->len - s->n)
        take = s->len - s->n;
    if (take == 0)
        return; /* s->buf or the memory may be NULL then */
    memcpy(s->buf + s->n, gw_bufreader_peek(b), take);
    gw_bufreader_consume(b, take);
    s->n += take;
    b->r.nread += take;
}

/*
 * The bufreader as an AsyncRead.  Bytes the source returned together with
 * its error go out first: this read delivers those that fit, and succeeds
 * if that is at least its min bytes (a bounded body they complete ends
 * without an error) or if some do not fit (full: they stay buffered for
 * the next reads); otherwise it fails.  The read that finds the buffer
 * empty and needs more gets the error from the source, which keeps it.
 */
typedef gw_io_op buf_read;
GW_GENERATOR(buf_read, gw_reader_cancelled);
GW_BODY(buf_read, s)
{
    gw_bufreader *b = s->obj;

    GW_BEGIN(s);
    for (;;) {
        serve(b, s);
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
            serve(b, s);
            if (gw_bufreader_avail(b) > 0 || s->n >= s->min)
                GW_RETURN(s, 0); /* s->n == s->len, or enough */
            GW_RETURN(s, gw_reader_fail(&b->r, s->sub->ret, gw_bufreader_offset(b)));
        }
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_TRY_READ(buf_try_read, gw_bufreader, r, buf_read)

static const gw_reader_ops bufreader_ops = {"bufreader", buf_try_read};

int gw_bufreader_init(gw_bufreader *b, gw_reader *src, size_t cap)
{
    memset(b, 0, sizeof(*b));
    gw_reader_init(&b->r, &bufreader_ops);
    /* A failed init sticks: every operation fails with its error. */
    if (cap == 0 || src == NULL)
        return gw_reader_fail(&b->r, GW_EINVAL, 0);
    if ((b->buf = gw_malloc(cap)) == NULL)
        return gw_reader_fail(&b->r, GW_ENOMEM, 0);
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
