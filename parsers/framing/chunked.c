/*
 * The HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1) as a reading
 * byte layer (gw_chunked_reader in include/genwire/frame.h); the writing
 * layer is in chunked-writer.c.
 *
 * The decoder is an AsyncRead over a gw_bufreader.  Its framing (chunk-size
 * lines with their extensions, the CRLF after chunk data, the trailer
 * section) is parsed by the state machine of chunked-core.c, run inline
 * over the bytes already buffered: no generator is entered per byte or per
 * chunk, and the read operation suspends only when the buffer runs dry.
 * Because the machine keeps its place inside a line, nothing ever has to be
 * buffered whole and any buffer capacity works.  Chunk data is copied once,
 * from the bufreader into the caller's memory, or read straight into it
 * when the buffer is empty and the request is large.
 */
#include "genwire/frame.h"

#include <string.h>

#include "chunked-impl.h"
#include "genwire/alloc.h"
#include "transport/io-impl.h"

/* ---- decoder: the AsyncRead layer --------------------------------------- */

/*
 * Decodes what is buffered in src without suspending: framing is parsed and
 * chunk data copied to out[*n..cap).  Stops when the buffer is empty, when
 * chunk data meets a full out, or at CK_DONE.  Returns 0, or a negative
 * error with c->r.err_off set to the bad byte's offset.
 */
static int ck_scan(gw_chunked_reader *c, uint8_t *out, size_t cap, size_t *n)
{
    gw_bufreader *b = c->src;
    size_t used;
    int rc = gw__chunked_run(c, gw_bufreader_peek(b), gw_bufreader_avail(b), out, cap, &used, n);

    gw_bufreader_consume(b, used);
    if (rc < 0)
        c->r.err_off = gw_bufreader_offset(b);
    return rc;
}

/* Makes err the reader's sticky error (unless one is set), found at offset
 * off; returns the sticky error. */
static int ck_fail(gw_chunked_reader *c, int err, uint64_t off)
{
    return gw_reader_fail(&c->r, err, off);
}

/* A read abandoned mid-way (its task cancelled): the caller never saw the
 * bytes it had taken, so the body cannot go on.  The offset is where the
 * decoder had got to in the coded input. */
static void ck_read_cleanup(gw_frame *f)
{
    gw_chunked_reader *c = ((gw_io_op *)(void *)f)->obj;

    ck_fail(c, GW_ECANCELLED, gw_bufreader_offset(c->src));
}

/* A read of the decoded body: op->buf, op->len (cap), op->min.  Whatever
 * ends it, the bytes decoded so far are in op->n and counted in r.nread. */
typedef gw_io_op ck_read;
GW_GENERATOR(ck_read, ck_read_cleanup);
GW_BODY(ck_read, s)
{
    gw_chunked_reader *c = s->obj;
    gw_bufreader *b = c->src;
    size_t room;
    int rc = 0;

    GW_BEGIN(s);
    for (;;) {
        if ((rc = ck_scan(c, s->buf, s->len, &s->n)) < 0) {
            rc = ck_fail(c, rc, c->r.err_off);
            break;
        }
        if (c->state == CK_DONE) {
            c->r.eof = 1;
            break;
        }
        if (s->n >= s->min)
            break;
        /* The buffer ran dry short of min. */
        room = s->len - s->n;
        if (room > c->left)
            room = (size_t)c->left;
        if (c->state == CK_DATA && room >= b->cap) {
            /* A large piece of chunk data: straight into the caller's
             * memory (the bufreader reads around its empty buffer). */
            GW_AWAIT(s, sub,
                     gw_try_read(&b->r, s->buf + s->n, room,
                                 room < s->min - s->n ? room : s->min - s->n));
            s->n += s->sub->n;
            c->left -= s->sub->n;
            if (c->left == 0)
                c->state = CK_DATA_CR;
            if (s->sub->ret < 0 || s->sub->n < s->sub->min) {
                rc = ck_fail(c, s->sub->ret < 0 ? s->sub->ret : GW_ETRUNCATED,
                             gw_bufreader_offset(b));
                break;
            }
            continue;
        }
        /* Framing or a small piece of data: more coded bytes, any number.
         * Nothing buffered at end of input is a truncation here. */
        GW_NEED(s, sub, b, 1, &c->r.err, &c->r.err_off);
        if (gw_bufreader_avail(b) == 0) {
            rc = ck_fail(c, GW_ETRUNCATED, gw_bufreader_offset(b));
            break;
        }
    }
    c->r.nread += s->n;
    GW_RETURN(s, rc);
    GW_END(s);
}

static gw_io_op *ck_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    gw_chunked_reader *c = GW__CONTAINER_OF(r, gw_chunked_reader, r);

    /* Initialised for gw_chunked_decode alone: no source to read. */
    if (c->src == NULL)
        return gw_io_finished(&r->op, r, ck_fail(c, GW_EINVAL, 0));
    return GW__IO_READ(&r->op, ck_read, c, buf, cap, min);
}

static const gw_reader_ops chunked_reader_ops = {"chunked", ck_try_read};

void gw_chunked_reader_init(gw_chunked_reader *c, gw_bufreader *src, const gw_chunked_limits *lim)
{
    /* Field by field: the reader base is cleared by gw_reader_init, and a
     * second memset of it would double the cost of a body's set-up. */
    gw_reader_init(&c->r, &chunked_reader_ops);
    c->src = src;
    c->lim.max_line = lim != NULL ? lim->max_line : 0;
    c->lim.max_trailer = lim != NULL ? lim->max_trailer : 0;
    c->left = 0;
    c->trailer_len = c->line_len = 0;
    c->ndigits = 0;
    if (c->lim.max_line == 0)
        c->lim.max_line = GW_CHUNKED_DEFAULT_MAX_LINE;
    if (c->lim.max_trailer == 0)
        c->lim.max_trailer = GW_CHUNKED_DEFAULT_MAX_TRAILER;
    c->state = CK_SIZE0;
}
