/*
 * The RESP2/RESP3 event reader (gw_resp_reader in include/genwire/resp.h).
 *
 * One step parses one event out of the bytes already buffered, in place:
 * step() is a pure function of the reader's state and the buffer
 * that returns an event, "need n bytes", or an error, and the generator
 * gw_resp_next() only fills the buffer between steps.  A step never
 * consumes a value partly: it takes a whole line (or a whole bulk string and
 * its CRLF) or nothing, except for strings too long for the buffer, which it
 * hands out in pieces from state RS_STRING.  So nothing buffered is ever
 * moved per value, and a value that is whole in the buffer costs one step.
 * A line scan remembers how far it has searched (_ls), so a line that
 * arrives a byte at a time costs O(n) in total.  The lexical cores (line
 * scan, numbers, the double grammar) are in resp-lex.c, the strings that
 * come in pieces (states RS_STRING and RS_CHUNK) in resp-string.c.
 *
 * gw_resp_try_next() first tries fast_value(), which takes the commonest
 * values (an integer, a bulk or an array with a short decimal header, whole
 * in the buffer) in one pass with no call, and hands an owed END out
 * directly; anything it does not take goes to step(), which decides every
 * error, so the two paths cannot disagree.
 *
 * States, and the transitions between them:
 *
 *   RS_VALUE  -- `$N` too long for the buffer, `!N`, `=N` --> RS_STRING
 *   RS_VALUE  -- `$?` --> RS_CHUNK -- `;N` --> RS_STRING --> RS_CHUNK
 *                                  -- `;0` --> RS_VALUE
 *   RS_STRING -- the last piece and its CRLF --> RS_VALUE (or RS_CHUNK)
 *
 * Aggregates live on an explicit stack of _lim.max_depth frames allocated
 * at init.  A member completes its aggregate by counting down `left`; the
 * aggregate's END event is then owed (_pend_end) and handed out by the next
 * step.  Attributes are an aggregate whose completion does not count as a
 * member of the one around it: it sets _attr until the value they belong to
 * arrives.
 */
#include "genwire/resp.h"

#include <stdlib.h>
#include <string.h>

#include "genwire/alloc.h"
#include "parsers/resp/resp-impl.h"
#include "transport/io-impl.h"

/* Nonzero for the bytes that begin a value. */
static const uint8_t resp_type_class[256] = {
    ['+'] = 1, ['-'] = 1, [':'] = 1, ['$'] = 1, ['*'] = 1, ['_'] = 1, [','] = 1, ['#'] = 1,
    ['!'] = 1, ['='] = 1, ['('] = 1, ['%'] = 1, ['~'] = 1, ['|'] = 1, ['>'] = 1,
};

int gw__resp_fail(gw_resp_reader *rd, int err, uint64_t off)
{
    rd->err = err;
    rd->err_off = off;
    rd->_state = RS_FAILED;
    return err;
}

int gw_resp_reader_init(gw_resp_reader *rd, gw_bufreader *src, const gw_resp_limits *lim)
{
    gw_resp_limits l = {0, 0, 0, 0, 0};

    memset(rd, 0, sizeof(*rd));
    rd->_state = RS_VALUE;
    rd->_src = src;
    rd->_strlen = UINT64_MAX;
    if (lim != NULL)
        l = *lim;
    if (l.max_depth == 0)
        l.max_depth = GW_RESP_DEFAULT_MAX_DEPTH;
    if (l.max_bulk == 0)
        l.max_bulk = GW_RESP_DEFAULT_MAX_BULK;
    if (l.max_elements == 0)
        l.max_elements = GW_RESP_DEFAULT_MAX_ELEMENTS;
    if (l.max_total == 0)
        l.max_total = GW_RESP_DEFAULT_MAX_TOTAL;
    if (l.max_line == 0)
        l.max_line = GW_RESP_DEFAULT_MAX_LINE;
    if (src == NULL || l.max_depth > 65536 || (src->src != NULL && src->cap < 8))
        return gw__resp_fail(rd, GW_EINVAL, 0);
    /* A line, its type byte and CRLF must fit the buffer. */
    if (src->src != NULL && l.max_line > src->cap - 3)
        l.max_line = src->cap - 3;
    rd->_lim = l;
    gw_linescan_init(&rd->_ls, l.max_line, GW_LINE_STRICT);
    rd->_stack = gw_malloc(l.max_depth * sizeof(*rd->_stack));
    if (rd->_stack == NULL)
        return gw__resp_fail(rd, GW_ENOMEM, 0);
    return 0;
}

void gw_resp_reader_fini(gw_resp_reader *rd)
{
    gw_free(rd->_stack);
    rd->_stack = NULL;
}

int gw_resp_reader_idle(const gw_resp_reader *rd)
{
    return rd->_state == RS_VALUE && rd->_depth == 0 && !rd->_attr && !rd->_pend_end;
}

/*
 * The value of type byte t at offset `off` has started: checks the total
 * per reply, and the element limit of a streamed aggregate it belongs to
 * (attributes are no element of it: the value they belong to is).
 */
static int begin_value(gw_resp_reader *rd, uint8_t t, uint64_t off)
{
    if (++rd->_total > rd->_lim.max_total)
        return gw__resp_fail(rd, GW_ERESP_REPLY_TOO_LARGE, off);
    if (rd->_depth > 0 && t != GW_RESP_ATTRIBUTE) {
        const gw__resp_frame *f = &rd->_stack[rd->_depth - 1];
        if (f->streamed) {
            uint64_t seen = f->left + 1;
            if (f->type == GW_RESP_MAP)
                seen = (seen + 1) / 2;
            if (seen > rd->_lim.max_elements)
                return gw__resp_fail(rd, GW_ERESP_TOO_MANY_ELEMENTS, off);
        }
    }
    return 0;
}

/* Hands out the END event owed for the top frame and pops it. */
static int emit_end(gw_resp_reader *rd, uint64_t off)
{
    gw_resp_event *ev = &rd->ev;
    uint8_t type = rd->_stack[--rd->_depth].type;

    rd->_pend_end = 0;
    ev->type = GW_RESP_END;
    ev->agg = type;
    ev->flags = 0;
    ev->depth = rd->_depth;
    ev->data = NULL;
    ev->len = 0;
    ev->offset = off;
    if (type == GW_RESP_ATTRIBUTE)
        rd->_attr = 1;
    else
        gw__resp_complete(rd);
    return 1;
}

/* Opens an aggregate of `count` members (-2: streamed) whose header is at
 * off. */
static int open_aggregate(gw_resp_reader *rd, uint8_t t, int64_t count, uint64_t off)
{
    gw_resp_event *ev = &rd->ev;
    gw__resp_frame *f;

    if (count == -2 && (t == GW_RESP_ATTRIBUTE || t == GW_RESP_PUSH))
        return gw__resp_fail(rd, GW_ERESP_LENGTH, off);
    if (count >= 0 && (uint64_t)count > rd->_lim.max_elements)
        return gw__resp_fail(rd, GW_ERESP_TOO_MANY_ELEMENTS, off);
    if (rd->_depth == rd->_lim.max_depth)
        return gw__resp_fail(rd, GW_ERESP_DEPTH, off);
    f = &rd->_stack[rd->_depth++];
    f->type = t;
    f->streamed = count == -2;
    f->left = count < 0 ? 0 : (uint64_t)count << (t == GW_RESP_MAP || t == GW_RESP_ATTRIBUTE);
    ev->type = t;
    ev->integer = count < 0 ? -1 : count;
    ev->flags = count == -2 ? GW_RESP_STREAMED : 0;
    ev->depth = rd->_depth - 1;
    ev->data = NULL;
    ev->len = 0;
    if (t != GW_RESP_ATTRIBUTE)
        rd->_attr = 0;
    if (count == 0)
        rd->_pend_end = 1;
    return 1;
}

/*
 * One step at the type byte p[0] (n > 0 bytes buffered, at stream offset
 * off).  Returns 1 with rd->ev set and rd->_consume the bytes it used; 2 if
 * it consumed a header but has no event yet; 0 if it needs *need bytes
 * buffered; or an error.
 */
static int value_step(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off, size_t *need)
{
    gw_resp_event *ev = &rd->ev;
    uint8_t t = p[0];
    size_t eol;
    int64_t v = 0;
    int r, fast = 0;

    /* An unknown type byte is an error at once, not after its line. */
    if (t != '.' && resp_type_class[t] == 0)
        return gw__resp_fail(rd, t == ';' ? GW_ERESP_STREAM : GW_ERESP_TYPE, off);
    /* A short decimal header (":1234", "$5", "*10") is read in one pass;
     * anything else goes through the line scan. */
    if ((eol = gw__resp_fast_number(p, n, &v)) != 0 && eol - 1 <= rd->_lim.max_line) {
        rd->_ls.scanned = 0;
        fast = 1;
    } else if ((r = gw__resp_line(rd, p, n, off, &eol, need)) <= 0) {
        return r;
    }
    ev->offset = off;
    ev->wire = t;
    ev->depth = rd->_depth;
    ev->flags = 0;
    if (t == '.') {
        const gw__resp_frame *f = rd->_depth > 0 ? &rd->_stack[rd->_depth - 1] : NULL;
        if (rd->_attr)
            return gw__resp_fail(rd, GW_ERESP_ATTRIBUTE, off);
        if (f == NULL || !f->streamed || eol != 1 || (f->type == GW_RESP_MAP && f->left % 2 != 0))
            return gw__resp_fail(rd, GW_ERESP_STREAM, off);
        rd->_consume = 3;
        return emit_end(rd, off + 3);
    }
    if (t == '|' && rd->_attr)
        return gw__resp_fail(rd, GW_ERESP_ATTRIBUTE, off);
    if ((r = begin_value(rd, t, off)) < 0)
        return r;
    rd->_consume = eol + 2;
    ev->data = p + 1; /* the line's text, for the types that have one */
    ev->len = eol - 1;
    switch (t) {
    case '+':
    case '-':
        ev->type = t;
        break;
    case ':':
        if (fast)
            ev->integer = v;
        else if (gw__resp_parse_int(p + 1, eol - 1, &ev->integer) < 0)
            return gw__resp_fail(rd, GW_ERESP_INTEGER, off);
        ev->type = GW_RESP_INTEGER;
        break;
    case '(':
        if (!gw__resp_valid_bignum(p + 1, eol - 1))
            return gw__resp_fail(rd, GW_ERESP_INTEGER, off);
        ev->type = GW_RESP_BIGNUM;
        break;
    case ',':
        if (!gw__resp_valid_double(p + 1, eol - 1))
            return gw__resp_fail(rd, GW_ERESP_DOUBLE, off);
        ev->type = GW_RESP_DOUBLE;
        ev->dbl = gw__resp_strtod((const char *)p + 1); /* stops at the CR */
        break;
    case '#':
        if (eol != 2 || (p[1] != 't' && p[1] != 'f'))
            return gw__resp_fail(rd, GW_ERESP_BOOL, off);
        ev->type = GW_RESP_BOOL;
        ev->integer = p[1] == 't';
        break;
    case '_':
        if (eol != 1)
            return gw__resp_fail(rd, GW_ERESP_CRLF, off + 1);
        ev->type = GW_RESP_NULL;
        break;
    case '$':
    case '!':
    case '=':
        if ((!(fast && v >= -1) && gw__resp_parse_len(p + 1, eol - 1, &v) < 0) ||
            (v < 0 && t != '$'))
            return gw__resp_fail(rd, GW_ERESP_LENGTH, off);
        if (v == -1) {
            ev->type = GW_RESP_NULL;
            ev->flags = GW_RESP_NULL2;
            break;
        }
        rd->_voff = off;
        rd->_stype = t;
        memset(rd->_sfmt, 0, 4);
        if (v == -2) {
            if (t != '$')
                return gw__resp_fail(rd, GW_ERESP_LENGTH, off);
            ev->size = 0;
            rd->_strlen = 0;
            rd->_state = RS_CHUNK;
            return 2;
        }
        if ((uint64_t)v > rd->_lim.max_bulk)
            return gw__resp_fail(rd, GW_ERESP_BULK_TOO_LARGE, off);
        if (t == '=' && v < 4)
            return gw__resp_fail(rd, GW_ERESP_VERBATIM, off);
        ev->size = (uint64_t)v;
        /* A verbatim string's format first: it comes before the payload's
         * CRLF, so it is checked as soon as its 4 bytes are here. */
        if (t == '=' && n >= eol + 2 + 4 && p[eol + 2 + 3] != ':')
            return gw__resp_fail(rd, GW_ERESP_VERBATIM, off);
        if ((uint64_t)v + 2 <= n - eol - 2) {
            /* Whole in the buffer: the common case. */
            const uint8_t *q = p + eol + 2;
            size_t len = (size_t)v;
            if (q[len] != '\r' || q[len + 1] != '\n')
                return gw__resp_fail(rd, GW_ERESP_CRLF, off + eol + 2 + len + (q[len] == '\r'));
            if (t == '=') {
                memcpy(ev->fmt, q, 3);
                ev->fmt[3] = 0;
                q += 4;
                len -= 4;
            }
            ev->type = t == '$' ? GW_RESP_BULK : t;
            ev->data = q;
            ev->len = len;
            rd->_consume = eol + 2 + (size_t)v + 2;
            break;
        }
        if (eol + 2 + (uint64_t)v + 2 <= rd->_src->cap || gw_bufreader_eof(rd->_src)) {
            /* It will fit (or nothing more will come): wait for all of it,
             * header included, unless a byte of its CRLF is already wrong. */
            size_t cr = eol + 2 + (size_t)v;
            if (n > cr && p[cr] != '\r')
                return gw__resp_fail(rd, GW_ERESP_CRLF, off + cr);
            rd->_consume = 0;
            rd->_total--;
            rd->_ls.scanned = eol - 1; /* resume at the CR */
            *need = eol + 2 + (size_t)v + 2;
            return 0;
        }
        /* Longer than the buffer: in pieces. */
        rd->_left = (uint64_t)v;
        rd->_strlen = UINT64_MAX;
        rd->_sfmt[3] = t == '=';
        rd->_state = RS_STRING;
        return 2;
    case '*':
    case '%':
    case '~':
    case '|':
    case '>':
        if ((!(fast && v >= -1) && gw__resp_parse_len(p + 1, eol - 1, &v) < 0) ||
            (v == -1 && t != '*'))
            return gw__resp_fail(rd, GW_ERESP_LENGTH, off);
        if (v == -1) {
            ev->type = GW_RESP_NULL;
            ev->flags = GW_RESP_NULL2;
            break;
        }
        if (t == '>' && rd->_depth > 0)
            return gw__resp_fail(rd, GW_ERESP_PUSH_NESTED, off);
        return open_aggregate(rd, t, v, off);
    }
    gw__resp_complete(rd);
    return 1;
}

static int step(gw_resp_reader *rd, size_t *need)
{
    gw_bufreader *b = rd->_src;
    const uint8_t *p;
    uint64_t off;
    size_t n;
    int r;

    /* Failed (its init too, when src may be NULL), or never initialised
     * (all zeros: a state out of range, src NULL): nothing to look at. */
    if (rd->_state < RS_VALUE || rd->_state > RS_CHUNK)
        return rd->err != 0 ? rd->err : gw__resp_fail(rd, GW_EINVAL, 0);
    for (;;) {
        b->pos += rd->_consume;
        rd->_consume = 0;
        p = b->buf + b->pos;
        n = b->end - b->pos;
        off = b->base + b->pos;
        if (rd->_state == RS_VALUE) {
            if (rd->_pend_end)
                return emit_end(rd, off);
            if (n == 0) {
                *need = 1;
                return 0;
            }
            r = value_step(rd, p, n, off, need);
        } else if (rd->_state == RS_STRING) {
            if (n == 0) {
                *need = 1;
                return 0;
            }
            r = gw__resp_string_piece(rd, p, n, off, need);
        } else {
            if (n == 0) {
                *need = 1;
                return 0;
            }
            r = gw__resp_chunk_header(rd, p, n, off, need);
        }
        if (r != 2)
            return r;
    }
}

/*
 * The fast path of the commonest values, whole in the buffer at p[0..n)
 * (stream offset off): an integer, a bulk string or an array with a short
 * unsigned decimal header, in a reply with no attributes pending and not
 * inside a streamed aggregate.  Returns 1 with the event set, as step()
 * would; 0 to leave the value to step(), which also reports every error:
 * this path decides nothing else, so the two cannot disagree.
 */
static inline int fast_value(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off)
{
    gw_resp_event *ev = &rd->ev;
    gw__resp_frame *f = rd->_depth > 0 ? &rd->_stack[rd->_depth - 1] : NULL;
    const uint8_t t = p[0];
    size_t i; /* the index of the header's CR */
    uint64_t x = 0;

    if ((t != ':' && t != '$' && t != '*') || rd->_attr || (f != NULL && f->streamed))
        return 0;
    if ((i = gw__resp_digits_crlf(p + 1, n - 1, &x)) == 0 || i > rd->_lim.max_line ||
        rd->_total >= rd->_lim.max_total)
        return 0;
    i++;
    if (t == '$') {
        const uint8_t *q = p + i + 2;
        if (x > rd->_lim.max_bulk || x + 2 > n - i - 2 || q[x] != '\r' || q[x + 1] != '\n')
            return 0;
        ev->type = GW_RESP_BULK;
        ev->data = q;
        ev->len = (size_t)x;
        ev->size = x;
        rd->_consume = i + 4 + (size_t)x;
    } else if (t == ':') {
        ev->type = GW_RESP_INTEGER;
        ev->data = p + 1;
        ev->len = i - 1;
        ev->integer = (int64_t)x;
        rd->_consume = i + 2;
    } else {
        if (x == 0 || x > rd->_lim.max_elements || rd->_depth == rd->_lim.max_depth)
            return 0;
        ev->type = GW_RESP_ARRAY;
        ev->data = NULL;
        ev->len = 0;
        ev->integer = (int64_t)x;
        rd->_consume = i + 2;
    }
    ev->wire = t;
    ev->flags = 0;
    ev->depth = rd->_depth;
    ev->offset = off;
    rd->_ls.scanned = 0;
    rd->_total++;
    if (t == '*') {
        f = &rd->_stack[rd->_depth++];
        f->type = GW_RESP_ARRAY;
        f->streamed = 0;
        f->left = x;
    } else if (f == NULL) {
        rd->_total = 0;
    } else if (--f->left == 0) {
        rd->_pend_end = 1;
    }
    return 1;
}

int gw_resp_try_next(gw_resp_reader *rd)
{
    gw_bufreader *b = rd->_src;
    size_t need;

    if (rd->_state == RS_VALUE) {
        b->pos += rd->_consume;
        rd->_consume = 0;
        if (rd->_pend_end)
            return emit_end(rd, b->base + b->pos);
        if (b->end - b->pos >= 4 &&
            fast_value(rd, b->buf + b->pos, b->end - b->pos, b->base + b->pos))
            return 1;
    }
    return step(rd, &need);
}

/* The cleanup of a gw_resp_next abandoned mid-way (its task cancelled):
 * the fill beneath may have taken bytes the reader will never see, so it
 * gets the sticky GW_ECANCELLED (unless an error is there already), at the
 * end of what was buffered. */
static void resp_next_cancelled(gw_frame *f)
{
    gw_resp_reader *rd = ((gw_io_op *)(void *)f)->obj;
    gw_bufreader *b = rd->_src;

    if (rd->err == 0)
        gw__resp_fail(rd, GW_ECANCELLED, gw_bufreader_offset(b) + gw_bufreader_avail(b));
}

typedef gw_io_op resp_next;
GW_GENERATOR(resp_next, resp_next_cancelled);
GW_BODY(resp_next, s)
{
    gw_resp_reader *rd = s->obj;
    gw_bufreader *b = rd->_src;
    int r;

    GW_BEGIN(s);
    for (;;) {
        if ((r = step(rd, &s->min)) != 0)
            GW_RETURN(s, r);
        if (gw_bufreader_eof(b)) {
            if (gw_bufreader_avail(b) == 0 && gw_resp_reader_idle(rd))
                GW_RETURN(s, 0);
            GW_RETURN(s, gw__resp_fail(rd, GW_ETRUNCATED,
                                       gw_bufreader_offset(b) + gw_bufreader_avail(b)));
        }
        GW_AWAIT(s, sub, gw_bufreader_fill(b, s->min));
        if (s->sub->ret < 0) {
            /* The bytes that came with a source error may complete an
             * event: it is handed out first, and the error (sticky in the
             * bufreader) when more is needed. */
            if ((r = step(rd, &s->min)) != 0)
                GW_RETURN(s, r);
            GW_RETURN(
                s, gw__resp_fail(rd, s->sub->ret, gw_bufreader_offset(b) + gw_bufreader_avail(b)));
        }
    }
    GW_END(s);
}

gw_io_op *gw_resp_next(gw_resp_reader *rd)
{
    return GW__IO_START(&rd->_op, resp_next, rd);
}
