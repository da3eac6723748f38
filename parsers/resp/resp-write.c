/*
 * The RESP writer (gw_resp_writer in include/genwire/resp.h) and its pure
 * cores, gw_resp_format_command and gw_resp_format_value.
 *
 * Every write is "a header, a payload, a CRLF" (a command is that once per
 * argument, after the array header).  One generator writes them: straight
 * into the bufwriter's free space when it all fits (no call below, the
 * common case), through gw_write otherwise; a payload of at least
 * GW_RESP_WRITE_DIRECT bytes goes from the caller's memory to the writer
 * below the bufwriter, after flushing what is buffered, so it is never
 * copied.
 */
#include "genwire/resp.h"

#include <stdlib.h>
#include <string.h>

#include "genwire/alloc.h"
#include "parsers/resp/resp-impl.h"
#include "transport/io-impl.h"

/* Writes the decimal of v at p; returns its length (at most 20). */
static size_t put_u64(uint8_t *p, uint64_t v)
{
    uint8_t tmp[20];
    size_t n = 0, i;

    /* Most lengths and counts: one or two digits, no loop. */
    if (v < 10) {
        p[0] = (uint8_t)('0' + v);
        return 1;
    }
    if (v < 100) {
        p[0] = (uint8_t)('0' + v / 10);
        p[1] = (uint8_t)('0' + v % 10);
        return 2;
    }
    do {
        tmp[n++] = (uint8_t)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* Writes "<type><v>\r\n" at p (v may be negative); returns its length. */
static size_t put_header(uint8_t *p, int type, int64_t v)
{
    size_t n = 1;

    p[0] = (uint8_t)type;
    if (v < 0) {
        p[n++] = '-';
        n += put_u64(p + n, 0 - (uint64_t)v);
    } else {
        n += put_u64(p + n, (uint64_t)v);
    }
    p[n++] = '\r';
    p[n++] = '\n';
    return n;
}

/* The length of the decimal of v. */
static size_t u64_len(uint64_t v)
{
    size_t n = 1;

    if (v < 10)
        return 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static size_t arg_len(const char *const *argv, const size_t *argl, size_t i)
{
    return argl != NULL ? argl[i] : strlen(argv[i]);
}

/* Writes "$<n>\r\n", the payload and CRLF at out; returns the length. */
static size_t put_bulk(uint8_t *out, const char *p, size_t n)
{
    size_t pos = 1;

    out[0] = '$';
    pos += put_u64(out + 1, n);
    out[pos++] = '\r';
    out[pos++] = '\n';
    if (n > 0)
        memcpy(out + pos, p, n);
    pos += n;
    out[pos++] = '\r';
    out[pos++] = '\n';
    return pos;
}

size_t gw_resp_format_command(uint8_t *out, size_t cap, size_t argc, const char *const *argv,
                              const size_t *argl)
{
    size_t bound = 23, need, i, n, pos;

    /* A bound first (a header is at most 23 bytes): when it fits, which is
     * the common case, the exact length is not computed apart. */
    for (i = 0; i < argc && bound <= cap; i++)
        bound += 25 + arg_len(argv, argl, i);
    if (bound > cap) {
        need = 3 + u64_len(argc);
        for (i = 0; i < argc; i++) {
            n = arg_len(argv, argl, i);
            need += 5 + u64_len(n) + n;
        }
        if (need > cap)
            return need;
    }
    pos = put_header(out, '*', (int64_t)argc);
    for (i = 0; i < argc; i++)
        pos += put_bulk(out + pos, argv[i], arg_len(argv, argl, i));
    return pos;
}

/* ---- values --------------------------------------------------------------- */

/* Appends n bytes to out[*pos] if they fit cap; always advances *pos. */
static void put(uint8_t *out, size_t cap, size_t *pos, const void *p, size_t n)
{
    if (*pos <= cap && n <= cap - *pos && n > 0)
        memcpy(out + *pos, p, n);
    *pos += n;
}

static void put_hdr(uint8_t *out, size_t cap, size_t *pos, int type, int64_t v)
{
    uint8_t h[24];

    put(out, cap, pos, h, put_header(h, type, v));
}

static void format_value(uint8_t *out, size_t cap, size_t *pos, const gw_resp_value *v)
{
    size_t i;

    if (v->attrs != NULL || v->nattrs > 0) {
        put_hdr(out, cap, pos, '|', (int64_t)(v->nattrs / 2));
        for (i = 0; i < v->nattrs; i++)
            format_value(out, cap, pos, &v->attrs[i]);
    }
    switch (v->type) {
    case GW_RESP_SIMPLE:
    case GW_RESP_ERROR:
    case GW_RESP_BIGNUM:
        put(out, cap, pos, &v->type, 1);
        put(out, cap, pos, v->str, v->len);
        put(out, cap, pos, "\r\n", 2);
        break;
    case GW_RESP_DOUBLE:
        if (v->str != NULL) {
            put(out, cap, pos, ",", 1);
            put(out, cap, pos, v->str, v->len);
        } else {
            char t[40];
            t[0] = ',';
            put(out, cap, pos, t, 1 + gw__resp_double_text(t + 1, v->dbl));
        }
        put(out, cap, pos, "\r\n", 2);
        break;
    case GW_RESP_INTEGER:
        put_hdr(out, cap, pos, ':', v->integer);
        break;
    case GW_RESP_BOOL:
        put(out, cap, pos, v->integer ? "#t\r\n" : "#f\r\n", 4);
        break;
    case GW_RESP_NULL:
        put(out, cap, pos,
            v->wire == '$'   ? "$-1\r\n"
            : v->wire == '*' ? "*-1\r\n"
                             : "_\r\n",
            v->wire == '$' || v->wire == '*' ? 5 : 3);
        break;
    case GW_RESP_BULK:
    case GW_RESP_BLOB_ERROR:
        put_hdr(out, cap, pos, v->type, (int64_t)v->len);
        put(out, cap, pos, v->str, v->len);
        put(out, cap, pos, "\r\n", 2);
        break;
    case GW_RESP_VERBATIM:
        put_hdr(out, cap, pos, '=', (int64_t)v->len + 4);
        put(out, cap, pos, v->fmt, 3);
        put(out, cap, pos, ":", 1);
        put(out, cap, pos, v->str, v->len);
        put(out, cap, pos, "\r\n", 2);
        break;
    default: /* the aggregates */
        put_hdr(out, cap, pos, v->type,
                (int64_t)(v->type == GW_RESP_MAP || v->type == GW_RESP_ATTRIBUTE ? v->len / 2
                                                                                 : v->len));
        for (i = 0; i < v->len; i++)
            format_value(out, cap, pos, &v->elems[i]);
        break;
    }
}

size_t gw_resp_format_value(uint8_t *out, size_t cap, const gw_resp_value *v)
{
    size_t pos = 0;

    format_value(out, cap, &pos, v);
    return pos;
}

/* ---- the writer's operation ------------------------------------------------ */

/* The cleanup of a write abandoned mid-way (its task cancelled): part of
 * a value may be in the stream, so the bufwriter gets the sticky
 * GW_ECANCELLED (its own cleanup has set it when the cancel came in one of
 * its writes; not when it came in a large payload's write to the writer
 * below it), and the value's buffer is freed. */
static void resp_write_cancelled(gw_frame *f)
{
    gw_resp_writer *w = ((gw_io_op *)(void *)f)->obj;

    gw_writer_fail(&w->dst->w, GW_ECANCELLED);
    gw_free(w->_tmp);
    w->_tmp = NULL;
}

/* The error a write must finish with before it starts: the bufwriter's
 * sticky error, GW_ECLOSED once it was closed, or 0. */
static int write_refused(const gw_bufwriter *b)
{
    return b->w.err != 0 ? b->w.err : b->w.closed ? GW_ECLOSED : 0;
}

typedef gw_io_op resp_write;
GW_GENERATOR(resp_write, resp_write_cancelled);
GW_BODY(resp_write, s)
{
    gw_resp_writer *w = s->obj;
    gw_bufwriter *b = w->dst;
    uint8_t *room;
    size_t n;
    int r = 0;

    GW_BEGIN(s);
    if ((r = s->ret) < 0 || (r = write_refused(b)) < 0)
        goto done;
    for (;;) {
        if (w->_argv != NULL) {
            /* The next argument of a command: its header after the array's. */
            n = w->_i == 0 ? put_header(w->_hdr, '*', (int64_t)w->_argc) : 0;
            if (w->_i == w->_argc) {
                if (n == 0)
                    break;
                /* An empty command: the array's header alone, then done. */
                w->_hlen = n;
                w->_pay = NULL;
                w->_plen = 0;
                w->_crlf = 0;
                w->_argv = NULL;
            } else {
                w->_plen = arg_len(w->_argv, w->_argl, w->_i);
                w->_hlen = n + put_header(w->_hdr + n, '$', (int64_t)w->_plen);
                w->_pay = (const uint8_t *)w->_argv[w->_i];
                w->_crlf = 1;
                w->_i++;
            }
        }
        n = w->_hlen + w->_plen + (w->_crlf ? 2u : 0u);
        if (w->_plen < GW_RESP_WRITE_DIRECT && (room = gw_bufwriter_reserve(b, n)) != NULL) {
            memcpy(room, w->_hdr, w->_hlen);
            if (w->_plen > 0)
                memcpy(room + w->_hlen, w->_pay, w->_plen);
            if (w->_crlf)
                memcpy(room + w->_hlen + w->_plen, "\r\n", 2);
            gw_bufwriter_commit(b, n);
        } else {
            GW_AWAIT(s, sub, gw_write(&b->w, w->_hdr, w->_hlen));
            if ((r = s->sub->ret) < 0)
                goto done;
            if (w->_plen >= GW_RESP_WRITE_DIRECT) {
                /* Large: from the caller's memory to the writer below. */
                GW_AWAIT(s, sub, gw_flush(&b->w));
                if ((r = s->sub->ret) < 0)
                    goto done;
                GW_AWAIT(s, sub, gw_write(b->dst, w->_pay, w->_plen));
                b->w.nwritten += s->sub->n;
                if ((r = s->sub->ret) < 0) {
                    b->w.err = r;
                    goto done;
                }
            } else if (w->_plen > 0) {
                GW_AWAIT(s, sub, gw_write(&b->w, w->_pay, w->_plen));
                if ((r = s->sub->ret) < 0)
                    goto done;
            }
            if (w->_crlf) {
                GW_AWAIT(s, sub, gw_write(&b->w, "\r\n", 2));
                if ((r = s->sub->ret) < 0)
                    goto done;
            }
        }
        if (w->_argv == NULL)
            break;
    }
done:
    gw_free(w->_tmp);
    w->_tmp = NULL;
    GW_RETURN(s, r);
    GW_END(s);
}

/* Starts the operation: header h (hlen bytes, copied), payload, CRLF. */
static gw_io_op *start(gw_resp_writer *w, const void *h, size_t hlen, const void *pay, size_t plen,
                       int crlf, int err)
{
    gw_io_op *op = GW__IO_START(&w->_op, resp_write, w);

    op->ret = err;
    w->_argv = NULL;
    if (hlen > 0)
        memcpy(w->_hdr, h, hlen);
    w->_hlen = hlen;
    w->_pay = pay;
    w->_plen = plen;
    w->_crlf = crlf;
    return op;
}

void gw_resp_writer_init(gw_resp_writer *w, gw_bufwriter *dst)
{
    memset(w, 0, sizeof(*w));
    w->dst = dst;
}

gw_io_op *gw_resp_write_command(gw_resp_writer *w, size_t argc, const char *const *argv,
                                const size_t *argl)
{
    gw_bufwriter *b = w->dst;
    gw_io_op *op = start(w, NULL, 0, NULL, 0, 0, 0);
    size_t room = b->cap - b->len, n, i;

    /* The common case, a command of small arguments that fits: formatted
     * in place. */
    for (i = 0; i < argc && room > 0; i++)
        if (arg_len(argv, argl, i) >= GW_RESP_WRITE_DIRECT)
            room = 0;
    if (write_refused(b) == 0 &&
        (n = gw_resp_format_command(b->buf + b->len, room, argc, argv, argl)) <= room) {
        gw_bufwriter_commit(b, n);
        return op;
    }
    w->_argv = argv;
    w->_argl = argl;
    w->_argc = argc;
    w->_i = 0;
    return op;
}

gw_io_op *gw_resp_write_string(gw_resp_writer *w, int type, const void *s, size_t len,
                               const char *fmt)
{
    uint8_t h[32];
    size_t n;

    switch (type) {
    case GW_RESP_SIMPLE:
    case GW_RESP_ERROR:
        if (len > 0 && (memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL))
            return start(w, NULL, 0, NULL, 0, 0, GW_EINVAL);
        h[0] = (uint8_t)type;
        return start(w, h, 1, s, len, 1, 0);
    case GW_RESP_DOUBLE:
    case GW_RESP_BIGNUM:
        if (type == GW_RESP_DOUBLE ? !gw__resp_valid_double(s, len)
                                   : !gw__resp_valid_bignum(s, len))
            return start(w, NULL, 0, NULL, 0, 0, GW_EINVAL);
        h[0] = (uint8_t)type;
        return start(w, h, 1, s, len, 1, 0);
    case GW_RESP_BULK:
    case GW_RESP_BLOB_ERROR:
        return start(w, h, put_header(h, type, (int64_t)len), s, len, 1, 0);
    case GW_RESP_VERBATIM:
        if (fmt == NULL || strlen(fmt) != 3)
            return start(w, NULL, 0, NULL, 0, 0, GW_EINVAL);
        n = put_header(h, '=', (int64_t)len + 4);
        memcpy(h + n, fmt, 3);
        h[n + 3] = ':';
        return start(w, h, n + 4, s, len, 1, 0);
    default:
        return start(w, NULL, 0, NULL, 0, 0, GW_EINVAL);
    }
}

gw_io_op *gw_resp_write_integer(gw_resp_writer *w, int64_t v)
{
    uint8_t h[32];

    return start(w, h, put_header(h, ':', v), NULL, 0, 0, 0);
}

gw_io_op *gw_resp_write_bool(gw_resp_writer *w, int v)
{
    return start(w, v ? "#t\r\n" : "#f\r\n", 4, NULL, 0, 0, 0);
}

gw_io_op *gw_resp_write_double(gw_resp_writer *w, double v)
{
    char t[40];
    size_t n;

    t[0] = ',';
    n = 1 + gw__resp_double_text(t + 1, v);
    memcpy(t + n, "\r\n", 2);
    return start(w, t, n + 2, NULL, 0, 0, 0);
}

gw_io_op *gw_resp_write_null(gw_resp_writer *w, int wire)
{
    if (wire == '$' || wire == '*')
        return start(w, wire == '$' ? "$-1\r\n" : "*-1\r\n", 5, NULL, 0, 0, 0);
    return start(w, "_\r\n", 3, NULL, 0, 0, wire == '_' ? 0 : GW_EINVAL);
}

gw_io_op *gw_resp_write_aggregate(gw_resp_writer *w, int type, int64_t count)
{
    uint8_t h[32];
    int ok = type == GW_RESP_ARRAY || type == GW_RESP_MAP || type == GW_RESP_SET ||
             type == GW_RESP_ATTRIBUTE || type == GW_RESP_PUSH;

    if (!ok || count < -1 || (count == -1 && (type == GW_RESP_ATTRIBUTE || type == GW_RESP_PUSH)))
        return start(w, NULL, 0, NULL, 0, 0, GW_EINVAL);
    if (count == -1) {
        h[0] = (uint8_t)type;
        memcpy(h + 1, "?\r\n", 3);
        return start(w, h, 4, NULL, 0, 0, 0);
    }
    return start(w, h, put_header(h, type, count), NULL, 0, 0, 0);
}

gw_io_op *gw_resp_write_end(gw_resp_writer *w)
{
    return start(w, ".\r\n", 3, NULL, 0, 0, 0);
}

gw_io_op *gw_resp_write_value(gw_resp_writer *w, const gw_resp_value *v)
{
    gw_bufwriter *b = w->dst;
    size_t room = b->cap - b->len, n;
    int r = write_refused(b);

    if (r < 0)
        return start(w, NULL, 0, NULL, 0, 0, r);
    if ((n = gw_resp_format_value(b->buf + b->len, room, v)) <= room) {
        gw_bufwriter_commit(b, n);
        return start(w, NULL, 0, NULL, 0, 0, 0);
    }
    n = gw_resp_format_value(NULL, 0, v);
    if ((w->_tmp = gw_malloc(n)) == NULL)
        return start(w, NULL, 0, NULL, 0, 0, GW_ENOMEM);
    gw_resp_format_value(w->_tmp, n, v);
    return start(w, NULL, 0, w->_tmp, n, 0, 0);
}
