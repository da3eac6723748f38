/*
 * The HTTP/1.1 message reader (include/genwire/http.h, gw_http_reader): the
 * head parser core run over a bufreader's buffer as bytes arrive, the body
 * framing it implies (gw_bounded, the chunked layer, or the stream to its
 * end), and the content codings undone by inflate layers.  The reader's
 * states (rd->_state):
 *
 *   R_HEAD  --read_head-->  R_BODY  --body at its end-->  R_HEAD
 *                               |                           (keep-alive)
 *                               +--> R_END       (the connection ends)
 *                               +--> R_UPGRADED  (another protocol follows)
 *
 * gw_http_read_head in R_BODY first reads and drops what is left of the
 * body, then moves on as the arrows say.
 */
#include <stdint.h>
#include <string.h>

#include "genwire/alloc.h"
#include "genwire/http.h"

#include "transport/io-impl.h"

enum { R_HEAD = 0, R_BODY, R_END, R_UPGRADED };

/* Content codings, as kept in rd->_coding. */
enum { C_GZIP = 0, C_DEFLATE = 1 };

/* Sets the reader's sticky error (the first one wins); returns it. */
static int fail(gw_http_reader *rd, int err, uint64_t off)
{
    return gw_error_set(&rd->err, &rd->err_off, err, off);
}

/* ---- the body as the caller reads it ------------------------------------- */

/* Nonzero if the two bytes start a zlib stream (RFC 1950 2.2). */
static int zlib_header(const uint8_t *b)
{
    return (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((unsigned)b[0] << 8 | b[1]) % 31 == 0;
}

/* Sets up content-coding layer i over rd->_zin[i], once its input is
 * known; 0 or an error. */
static int coding_start(gw_http_reader *rd, unsigned i)
{
    gw_inflate_opts o;
    gw_bufreader *in = &rd->_zin[i];
    int r;

    gw_inflate_opts_default(&o);
    o.max_output = rd->_o.max_output;
    if (rd->_o.max_ratio != 0)
        o.max_ratio = rd->_o.max_ratio;
    o.format = GW_ZFORMAT_GZIP;
    if (rd->_coding[i] == C_DEFLATE)
        /* "deflate" is zlib-wrapped; raw deflate is taken too, as browsers do. */
        o.format = gw_bufreader_avail(in) >= 2 && zlib_header(gw_bufreader_peek(in))
                       ? GW_ZFORMAT_ZLIB
                       : GW_ZFORMAT_DEFLATE;
    r = gw_inflate_init(&rd->_z[i], in, &o);
    if (r == 0 && i + 1 < rd->_ncodings)
        r = gw_bufreader_init(&rd->_zin[i + 1], &rd->_z[i].r, GW_HTTP_DEFAULT_CODED_BUF);
    rd->_ready = i + 1;
    return r;
}

/* Releases the content-coding layers of the last message. */
static void codings_end(gw_http_reader *rd)
{
    unsigned i;

    for (i = 0; i < rd->_ready; i++)
        gw_inflate_fini(&rd->_z[i]);
    for (i = 0; i < rd->_ncodings && i <= rd->_ready; i++)
        gw_bufreader_fini(&rd->_zin[i]);
    rd->_ncodings = rd->_ready = 0;
}

/* The reader the body comes out of: the last inflate, or the framing. */
static gw_reader *body_top(gw_http_reader *rd)
{
    return rd->_ncodings > 0 ? &rd->_z[rd->_ncodings - 1].r : rd->_frame;
}

/* The cleanup of a body read abandoned mid-way (its task cancelled): the
 * layers beneath may have taken bytes it will never hand out, so the body
 * and the reader get the sticky GW_ECANCELLED, at the offset src had got
 * to; later body reads and gw_http_read_head fail with it. */
static void body_read_cancelled(gw_frame *f)
{
    gw_http_reader *rd = ((gw_io_op *)(void *)f)->obj;

    gw_reader_cancelled(f);
    fail(rd, GW_ECANCELLED, gw_bufreader_offset(rd->src));
}

typedef gw_io_op body_read;
GW_GENERATOR(body_read, body_read_cancelled);
GW_BODY(body_read, s)
{
    gw_http_reader *rd = s->obj;
    gw_reader *top;

    GW_BEGIN(s);
    if (rd->err == 0 && rd->_pending != 0)
        fail(rd, rd->_pending, rd->_pending_off);
    if (rd->err != 0)
        GW_RETURN(s, gw_reader_fail(&rd->_body, rd->err, rd->err_off));
    /* First read of a coded body: each layer starts once its input has
     * shown its first bytes (a deflate stream may be raw or zlib). */
    while (rd->_ready < rd->_ncodings) {
        if (rd->_coding[rd->_ready] == C_DEFLATE)
            GW_FILL(s, sub, &rd->_zin[rd->_ready], 2);
        if (coding_start(rd, rd->_ready) != 0)
            GW_RETURN(s, gw_reader_fail(&rd->_body, fail(rd, GW_ENOMEM, 0), 0));
    }
    top = body_top(rd);
    GW_AWAIT(s, sub, gw_try_read(top, s->buf, s->len, s->min));
    top = body_top(rd);
    s->n = s->sub->n;
    rd->_body.nread += s->n;
    if (s->sub->ret < 0) {
        fail(rd, s->sub->ret, top->err_off);
        GW_RETURN(s, gw_reader_fail(&rd->_body, rd->err, rd->err_off));
    }
    if (top->eof)
        rd->_body.eof = 1;
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *body_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    gw_http_reader *rd = GW__CONTAINER_OF(r, gw_http_reader, _body);

    return GW__IO_READ(&r->op, body_read, rd, buf, cap, min);
}

static const gw_reader_ops body_ops = {"http-body", body_try_read};

/* Reads the Content-Encoding fields of the head into rd->_coding,
 * outermost (last applied) first; 0 or an error. */
static int codings_of(gw_http_reader *rd)
{
    const gw_http_field *f = NULL;
    unsigned char listed[GW_HTTP_MAX_CODINGS];
    unsigned n = 0, i;

    while ((f = gw_http_find(&rd->head, "Content-Encoding", f)) != NULL) {
        gw_http_span v = f->value, e;
        while (gw_http_list_next(&v, &e)) {
            int c;
            if (gw_http_span_eq(e, "identity"))
                continue;
            if (gw_http_span_eq(e, "gzip") || gw_http_span_eq(e, "x-gzip"))
                c = C_GZIP;
            else if (gw_http_span_eq(e, "deflate"))
                c = C_DEFLATE;
            else {
                rd->coding = e;
                return GW_EHTTP_CODING;
            }
            if (n == GW_HTTP_MAX_CODINGS) {
                rd->coding = e;
                return GW_EHTTP_TOO_MANY_CODINGS;
            }
            listed[n++] = (unsigned char)c;
        }
    }
    for (i = 0; i < n; i++)
        rd->_coding[i] = listed[n - 1 - i];
    rd->_ncodings = n;
    return 0;
}

/* Sets up the body of the message whose head was just read. */
static int body_start(gw_http_reader *rd)
{
    gw_http_framing *fr = &rd->framing;
    int r;

    gw_reader_init(&rd->_body, &body_ops);
    rd->body = &rd->_body;
    rd->_pending = 0;
    rd->coding.p = NULL;
    rd->coding.len = 0;
    switch (fr->body) {
    case GW_HTTP_BODY_NONE:
        gw_bounded_init(&rd->_bounded, rd->src, 0);
        rd->_frame = &rd->_bounded.r;
        break;
    case GW_HTTP_BODY_LENGTH:
        gw_bounded_init(&rd->_bounded, rd->src, fr->length);
        rd->_frame = &rd->_bounded.r;
        break;
    case GW_HTTP_BODY_CHUNKED:
        gw_chunked_reader_init(&rd->_chunked, rd->src, &rd->_o.chunked);
        rd->_frame = &rd->_chunked.r;
        break;
    default:
        rd->_frame = &rd->src->r;
        break;
    }
    if (rd->_frame->eof) {
        rd->_body.eof = 1; /* nothing to decode */
        return 0;
    }
    if (rd->_o.flags & GW_HTTP_RAW_BODY)
        return 0;
    r = codings_of(rd);
    if (r < 0) {
        rd->_ncodings = 0;
        /* The head is fine; the body cannot be read. */
        rd->_pending = r;
        rd->_pending_off = rd->head_off - rd->head.lead + (uint64_t)(rd->coding.p - rd->head.base);
        return 0;
    }
    if (rd->_ncodings > 0 &&
        gw_bufreader_init(&rd->_zin[0], rd->_frame, GW_HTTP_DEFAULT_CODED_BUF) != 0) {
        rd->_ncodings = 0;
        return GW_ENOMEM;
    }
    return 0;
}

/* ---- gw_http_read_head --------------------------------------------------- */

/* The cleanup of a gw_http_read_head abandoned mid-way (its task
 * cancelled), in a head or in the body it was dropping: bytes may have been
 * taken that no head will account for, so the reader gets the sticky
 * GW_ECANCELLED, at the offset src had got to. */
static void read_head_cancelled(gw_frame *f)
{
    gw_http_reader *rd = ((gw_io_op *)(void *)f)->obj;

    fail(rd, GW_ECANCELLED, gw_bufreader_offset(rd->src));
}

/* The bytes of the whole empty lines (CRLF, or LF when lenient) at the
 * start of p[0 .. n). */
static size_t empty_lines(const uint8_t *p, size_t n, unsigned lenient)
{
    size_t i = 0;

    for (;;) {
        if (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n')
            i += 2;
        else if (i < n && p[i] == '\n' && lenient)
            i++;
        else
            return i;
    }
}

typedef gw_io_op read_head;
GW_GENERATOR(read_head, read_head_cancelled);
GW_BODY(read_head, s)
{
    gw_http_reader *rd = s->obj;
    gw_bufreader *src = rd->src;
    int r;

    GW_BEGIN(s);
    if (rd->err != 0)
        GW_RETURN(s, rd->err);
    if (rd->_state == R_BODY) {
        /* Drop what the caller left of the body. */
        while (!rd->_body.eof) {
            GW_AWAIT(s, sub, gw_try_read(&rd->_body, rd->_scratch, sizeof(rd->_scratch), 1));
            if (s->sub->ret < 0)
                GW_RETURN(s, fail(rd, s->sub->ret, rd->_body.err_off));
        }
        codings_end(rd);
        rd->_state = rd->framing.upgrade       ? R_UPGRADED
                     : rd->framing.interim     ? R_HEAD
                     : !rd->framing.keep_alive ? R_END
                                               : R_HEAD;
    }
    if (rd->_state == R_UPGRADED) {
        rd->upgraded = 1;
        GW_RETURN(s, 0);
    }
    if (rd->_state == R_END) {
        /* Nothing may follow: wait for the end of stream, so that the
         * result does not depend on when the next bytes arrive. */
        GW_NEED(s, sub, src, 1, &rd->err, &rd->err_off);
        if (rd->err != 0)
            GW_RETURN(s, rd->err);
        if (gw_bufreader_avail(src) > 0)
            GW_RETURN(s, fail(rd, GW_ETRAILING_DATA, gw_bufreader_offset(src)));
        GW_RETURN(s, 0);
    }
    gw_http_parser_reset(&rd->_p);
    for (;;) {
        if (!gw_http_parser_started(&rd->_p)) {
            /* Empty lines before the start line: gone as they come, so that
             * an end of stream after them is a clean one and max_head and
             * the head's length count from the start line whatever the
             * split.  What is not an empty line is left to the parser. */
            size_t k = empty_lines(gw_bufreader_peek(src), gw_bufreader_avail(src),
                                   rd->_o.flags & GW_HTTP_LENIENT_LF);
            if (k > 0) {
                gw_bufreader_consume(src, k);
                gw_http_parser_reset(&rd->_p);
            }
        }
        r = gw_http_parse(&rd->_p, gw_bufreader_peek(src), gw_bufreader_avail(src), &rd->head);
        if (r > 0)
            break;
        if (r < 0)
            GW_RETURN(s, fail(rd, r, gw_bufreader_offset(src) + rd->_p.err_off));
        GW_NEED(s, sub, src, gw_bufreader_avail(src) + 1, &rd->err, &rd->err_off);
        if (rd->err != 0)
            GW_RETURN(s, rd->err);
        if (gw_bufreader_avail(src) == 0)
            GW_RETURN(s, 0); /* the clean end: between messages */
    }
    rd->head_off = gw_bufreader_offset(src) + rd->head.lead;
    gw_bufreader_consume(src, (size_t)r);
    s->n = (size_t)r;
    r = gw_http_framing_of(&rd->head, rd->kind == GW_HTTP_RESPONSE ? rd->req_method : -1,
                           &rd->framing);
    if (r < 0)
        GW_RETURN(s, fail(rd, r, rd->head_off - rd->head.lead + rd->framing.err_off));
    r = body_start(rd);
    if (r < 0)
        GW_RETURN(s, fail(rd, r, rd->head_off));
    rd->_state = R_BODY;
    GW_RETURN(s, 0);
    GW_END(s);
}

gw_io_op *gw_http_read_head(gw_http_reader *rd)
{
    return GW__IO_START(&rd->_op, read_head, rd);
}

int gw_http_reader_init(gw_http_reader *rd, gw_bufreader *src, gw_http_kind kind,
                        const gw_http_reader_opts *o)
{
    gw_http_limits lim;
    size_t most;
    int r;

    memset(rd, 0, sizeof(*rd));
    rd->req_method = -1;
    /* The body exists from the start, so that a failed init's error reaches
     * its reads too. */
    gw_reader_init(&rd->_body, &body_ops);
    rd->_body.eof = 1;
    rd->body = &rd->_body;
    if (o != NULL)
        rd->_o = *o;
    /* A failed init sticks: every head and body read fails with its error. */
    if (src == NULL || (rd->_o.flags & ~(GW_HTTP_LENIENT_LF | GW_HTTP_RAW_BODY)) != 0)
        return fail(rd, GW_EINVAL, 0);
    rd->kind = kind;
    rd->src = src;
    lim = rd->_o.lim;
    if (lim.max_fields == 0)
        lim.max_fields = GW_HTTP_DEFAULT_MAX_FIELDS;
    if (lim.max_head == 0)
        lim.max_head = GW_HTTP_DEFAULT_MAX_HEAD;
    /* A head must fit the buffer, with the byte that shows it is over. */
    if (src->src != NULL && lim.max_head > src->cap - 1)
        lim.max_head = src->cap > 1 ? src->cap - 1 : 1;
    /* No more field lines than a head of max_head bytes (and, over memory,
     * of all the bytes) can hold, each at least "x:" LF: so the array's
     * size cannot wrap, and GW_UNLIMITED leaves max_head the limit. */
    most = (src->src == NULL && src->cap < lim.max_head ? src->cap : lim.max_head) / 3 + 1;
    if (lim.max_fields > most)
        lim.max_fields = most;
    if (lim.max_fields > SIZE_MAX / sizeof(*rd->_fields))
        return fail(rd, GW_ENOMEM, 0);
    rd->_fields = gw_malloc(lim.max_fields * sizeof(*rd->_fields));
    if (rd->_fields == NULL)
        return fail(rd, GW_ENOMEM, 0);
    r = gw_http_parser_init(&rd->_p, kind, rd->_fields, lim.max_fields, &lim,
                            rd->_o.flags & GW_HTTP_LENIENT_LF);
    if (r < 0)
        return fail(rd, r, 0);
    rd->_o.lim = rd->_p.lim;
    return 0;
}

void gw_http_reader_fini(gw_http_reader *rd)
{
    codings_end(rd);
    gw_free(rd->_fields);
    rd->_fields = NULL;
}
