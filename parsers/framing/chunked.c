/*
 * The HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1) as a reading
 * byte layer (gw_chunked_reader in include/genwire/frame.h); the writing
 * layer is in chunked-writer.c.
 *
 * The decoder is an AsyncRead over a gw_bufreader.  Its framing (chunk-size
 * lines with their extensions, the CRLF after chunk data, the trailer
 * section) is parsed by a byte-at-a-time state machine run inline over the
 * bytes already buffered, which takes runs of token and text bytes, and the
 * common "CRLF, hex size, CRLF" between chunks, at once.  No generator is
 * entered per byte or per chunk, and the read operation suspends only when
 * the buffer runs dry.  Because the
 * machine keeps its place inside a line, nothing ever has to be buffered
 * whole and any buffer capacity works.  Chunk data is copied once, from the
 * bufreader into the caller's memory, or read straight into it when the
 * buffer is empty and the request is large.
 *
 * Decoder states, in stream order (each line is a path through them):
 *
 *   SIZE0 -> SIZE -> [extensions: EXT_SEMI EXT_NAME0 EXT_NAME EXT_EQ
 *                     EXT_VAL0 EXT_TOKEN EXT_QUOTED EXT_QPAIR EXT_QEND]
 *         -> SIZE_LF -> DATA -> DATA_CR -> DATA_LF -> SIZE0      (size > 0)
 *                    -> TR_LINE -> TR_NAME -> TR_VALUE -> TR_LF -> TR_LINE
 *                       TR_LINE -> END_LF -> DONE                 (size 0)
 */
#include "genwire/frame.h"

#include <string.h>

#include "genwire/alloc.h"
#include "transport/io-impl.h"

/* ---- decoder ------------------------------------------------------------- */

/* The decoder's states.  (No magic first value to range-check on entry, as
 * zlib has: its state sits behind a pointer that can be NULL, while here a
 * reader that was never initialised has no ops table, so a read of it never
 * reaches this file.) */
enum {
    CK_SIZE0 = 0,  /* the first hex digit of a chunk size */
    CK_SIZE,       /* more hex digits, or what follows them */
    CK_EXT_SEMI,   /* whitespace after the size or a value: ';' must follow */
    CK_EXT_NAME0,  /* after ';': optional whitespace, then an extension name */
    CK_EXT_NAME,   /* in an extension name */
    CK_EXT_EQ,     /* whitespace after a name: '=' or ';' must follow */
    CK_EXT_VAL0,   /* after '=': optional whitespace, then a value */
    CK_EXT_TOKEN,  /* in a token value */
    CK_EXT_QUOTED, /* in a quoted-string value */
    CK_EXT_QPAIR,  /* after a backslash in a quoted string */
    CK_EXT_QEND,   /* after the closing quote */
    CK_SIZE_LF,    /* the chunk-size line's CR seen: LF must follow */
    CK_DATA,       /* chunk data: c->left bytes to go */
    CK_DATA_CR,    /* after the data: CR must follow */
    CK_DATA_LF,    /* after the data's CR: LF must follow */
    CK_TR_LINE,    /* the start of a trailer field line, or of the final CRLF */
    CK_TR_NAME,    /* in a field name */
    CK_TR_VALUE,   /* in a field value, after the ':' */
    CK_TR_LF,      /* a field line's CR seen: LF must follow */
    CK_END_LF,     /* the final CR seen: LF must follow */
    CK_DONE        /* the body is complete; nothing more is read */
};

/* Character classes (RFC 9110 section 5.6). */
#define CK_TCHAR  1u /* tchar: a token character */
#define CK_HEX    2u /* HEXDIG */
#define CK_FIELD  4u /* HTAB / SP / VCHAR / obs-text: field-value and quoted-pair */
#define CK_QDTEXT 8u /* qdtext: CK_FIELD without '"' and '\' */

static const uint8_t ck_class[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  12, 0,  0,  0,  0,  0,  0,  /* 0x00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x10 */
    12, 13, 4,  13, 13, 13, 13, 13, 12, 12, 13, 13, 12, 13, 13, 12, /* 0x20 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 12, 12, 12, 12, 12, 12, /* 0x30 */
    12, 15, 15, 15, 15, 15, 15, 13, 13, 13, 13, 13, 13, 13, 13, 13, /* 0x40 */
    13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 12, 4,  12, 13, 13, /* 0x50 */
    13, 15, 15, 15, 15, 15, 15, 13, 13, 13, 13, 13, 13, 13, 13, 13, /* 0x60 */
    13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 12, 13, 12, 13, 0,  /* 0x70 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0x80 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0x90 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0xa0 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0xb0 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0xc0 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0xd0 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0xe0 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0xf0 */
};

#define CK_IS(ch, cls) ((ck_class[(ch)] & (cls)) != 0)
#define CK_WS(ch)      ((ch) == ' ' || (ch) == '\t')

/* The value of a hex digit (one that CK_HEX accepts). */
static unsigned ck_hexval(uint8_t ch)
{
    return ch <= '9' ? (unsigned)(ch - '0') : (unsigned)((ch | 0x20) - 'a' + 10);
}

/* The length of the run of class-cls bytes that starts p[0..n). */
static size_t ck_span(const uint8_t *p, size_t n, unsigned cls)
{
    size_t k = 0;

    while (k + 4 <= n && (ck_class[p[k]] & ck_class[p[k + 1]] & ck_class[p[k + 2]] &
                          ck_class[p[k + 3]] & cls) != 0)
        k += 4;
    while (k < n && CK_IS(p[k], cls))
        k++;
    return k;
}

/*
 * The fast path of CK_SIZE0: if q[0..n) starts with a whole chunk-size line
 * of 1 to 16 hex digits and CRLF, within max_line, takes it as the machine
 * would (setting left and ndigits) and returns its length; otherwise
 * returns 0 and changes nothing.
 */
static size_t ck_simple_size(gw_chunked_reader *c, const uint8_t *q, size_t n)
{
    uint64_t v;
    size_t k = gw_digits(q, n < 17 ? n : 17, 16);

    if (k == 0 || k > 16 || k > c->lim.max_line || n - k < 2 || q[k] != '\r' || q[k + 1] != '\n' ||
        gw_parse_u64(q, k, 16, UINT64_MAX, &v) != 0)
        return 0;
    c->left = v;
    c->ndigits = (unsigned)k;
    return k + 2;
}

/* Nonzero for the states in which a LF is the expected byte. */
static int ck_lf_state(int st)
{
    return st == CK_SIZE_LF || st == CK_DATA_LF || st == CK_TR_LF || st == CK_END_LF;
}

/*
 * Runs the framing machine over p[0..avail) from c->state until it reaches
 * CK_DATA or CK_DONE (or, if line_only, the end of a chunk-size line), runs
 * out of bytes, or finds an error.  Sets *used to the bytes accepted (a bad
 * byte is not among them).  Returns 0 or a negative error.  Never suspends.
 */
static int ck_frame(gw_chunked_reader *c, const uint8_t *p, size_t avail, size_t *used,
                    int line_only)
{
    int st = c->state;
    int err = 0;
    size_t i = 0, n;

    while (i < avail) {
        uint8_t ch;
        int was;

        /* The common case whole in the buffer: CRLF after the data, then a
         * size line without extensions, taken at once.  Anything else (or a
         * line cut by the end of the buffer) goes through the machine. */
        if (st == CK_DATA_CR && avail - i >= 2 && p[i] == '\r' && p[i + 1] == '\n') {
            i += 2;
            st = CK_SIZE0;
            continue;
        }
        if (st == CK_SIZE0 && (n = ck_simple_size(c, p + i, avail - i)) > 0) {
            i += n;
            if (c->left != 0) {
                st = CK_DATA;
                break;
            }
            c->trailer_len = 0;
            st = CK_TR_LINE;
            if (line_only)
                break;
            continue;
        }

        /* Runs of name, token, quoted-string and field-value bytes are taken
         * at once, within the limit; the byte after a run goes through the
         * machine below.  (line_len and trailer_len never exceed their
         * limits outside an error.) */
        if (st == CK_EXT_NAME || st == CK_EXT_TOKEN || st == CK_EXT_QUOTED) {
            n = c->lim.max_line - c->line_len;
            n = ck_span(p + i, avail - i < n ? avail - i : n,
                        st == CK_EXT_QUOTED ? CK_QDTEXT : CK_TCHAR);
            c->line_len += n;
            i += n;
        } else if (st == CK_TR_NAME || st == CK_TR_VALUE) {
            n = c->lim.max_trailer - c->trailer_len;
            n = ck_span(p + i, avail - i < n ? avail - i : n,
                        st == CK_TR_VALUE ? CK_FIELD : CK_TCHAR);
            c->trailer_len += n;
            i += n;
        }
        if (i == avail)
            break;
        ch = p[i];
        was = st;

        if (ch == '\n' && !ck_lf_state(st)) {
            err = GW_ECHUNK_CRLF; /* a LF without its CR */
            break;
        }
        switch (st) {
        case CK_SIZE0:
            if (!CK_IS(ch, CK_HEX)) {
                err = GW_ECHUNK_SIZE; /* empty size, sign, whitespace ... */
                break;
            }
            c->left = ck_hexval(ch);
            c->ndigits = 1;
            st = CK_SIZE;
            break;
        case CK_SIZE:
            if (CK_IS(ch, CK_HEX)) {
                if (c->ndigits == 16) {
                    err = GW_ECHUNK_SIZE; /* a 17th digit, zeros or not */
                    break;
                }
                c->left = c->left << 4 | ck_hexval(ch);
                c->ndigits++;
            } else if (ch == ';') {
                st = CK_EXT_NAME0;
            } else if (CK_WS(ch)) {
                st = CK_EXT_SEMI;
            } else if (ch == '\r') {
                st = CK_SIZE_LF;
            } else {
                err = GW_ECHUNK_SIZE; /* "0x10", "5a!" ... */
            }
            break;
        case CK_EXT_SEMI:
            if (ch == ';')
                st = CK_EXT_NAME0;
            else if (!CK_WS(ch))
                err = GW_ECHUNK_EXT; /* whitespace not followed by an extension */
            break;
        case CK_EXT_NAME0:
            if (CK_IS(ch, CK_TCHAR))
                st = CK_EXT_NAME;
            else if (!CK_WS(ch))
                err = GW_ECHUNK_EXT;
            break;
        case CK_EXT_NAME:
            if (ch == '\r')
                st = CK_SIZE_LF;
            else if (ch == ';')
                st = CK_EXT_NAME0;
            else if (ch == '=')
                st = CK_EXT_VAL0;
            else if (CK_WS(ch))
                st = CK_EXT_EQ;
            else if (!CK_IS(ch, CK_TCHAR))
                err = GW_ECHUNK_EXT;
            break;
        case CK_EXT_EQ:
            if (ch == '=')
                st = CK_EXT_VAL0;
            else if (ch == ';')
                st = CK_EXT_NAME0;
            else if (!CK_WS(ch))
                err = GW_ECHUNK_EXT;
            break;
        case CK_EXT_VAL0:
            if (ch == '"')
                st = CK_EXT_QUOTED;
            else if (CK_IS(ch, CK_TCHAR))
                st = CK_EXT_TOKEN;
            else if (!CK_WS(ch))
                err = GW_ECHUNK_EXT;
            break;
        case CK_EXT_TOKEN:
            if (ch == '\r')
                st = CK_SIZE_LF;
            else if (ch == ';')
                st = CK_EXT_NAME0;
            else if (CK_WS(ch))
                st = CK_EXT_SEMI;
            else if (!CK_IS(ch, CK_TCHAR))
                err = GW_ECHUNK_EXT;
            break;
        case CK_EXT_QUOTED:
            if (ch == '"')
                st = CK_EXT_QEND;
            else if (ch == '\\')
                st = CK_EXT_QPAIR;
            else if (!CK_IS(ch, CK_QDTEXT))
                err = GW_ECHUNK_EXT; /* CR or a control: unterminated or bad */
            break;
        case CK_EXT_QPAIR:
            if (CK_IS(ch, CK_FIELD))
                st = CK_EXT_QUOTED;
            else
                err = GW_ECHUNK_EXT;
            break;
        case CK_EXT_QEND:
            if (ch == '\r')
                st = CK_SIZE_LF;
            else if (ch == ';')
                st = CK_EXT_NAME0;
            else if (CK_WS(ch))
                st = CK_EXT_SEMI;
            else
                err = GW_ECHUNK_EXT;
            break;
        case CK_SIZE_LF:
            if (ch != '\n') {
                err = GW_ECHUNK_CRLF;
                break;
            }
            c->line_len = 0;
            if (c->left == 0) {
                c->trailer_len = 0;
                st = CK_TR_LINE;
            } else {
                st = CK_DATA;
            }
            break;
        case CK_DATA_CR:
            if (ch == '\r')
                st = CK_DATA_LF;
            else
                err = GW_ECHUNK_CRLF; /* chunk data longer than its size */
            break;
        case CK_DATA_LF:
            if (ch == '\n')
                st = CK_SIZE0;
            else
                err = GW_ECHUNK_CRLF;
            break;
        case CK_TR_LINE:
            if (ch == '\r')
                st = CK_END_LF;
            else if (CK_IS(ch, CK_TCHAR))
                st = CK_TR_NAME;
            else
                err = GW_ETRAILER; /* an empty name, or obs-fold */
            break;
        case CK_TR_NAME:
            if (ch == ':')
                st = CK_TR_VALUE;
            else if (!CK_IS(ch, CK_TCHAR))
                err = GW_ETRAILER; /* includes whitespace before the ':' */
            break;
        case CK_TR_VALUE:
            if (ch == '\r')
                st = CK_TR_LF;
            else if (!CK_IS(ch, CK_FIELD))
                err = GW_ETRAILER;
            break;
        case CK_TR_LF:
            if (ch == '\n')
                st = CK_TR_LINE;
            else
                err = GW_ECHUNK_CRLF;
            break;
        case CK_END_LF:
            if (ch == '\n')
                st = CK_DONE;
            else
                err = GW_ECHUNK_CRLF;
            break;
        default:
            err = GW_EINVAL; /* CK_DATA and CK_DONE are not handled here */
            break;
        }
        if (err != 0)
            break;
        /* Limits, on bytes the syntax accepted. */
        if (was <= CK_EXT_QEND && st != CK_SIZE_LF && ++c->line_len > c->lim.max_line) {
            err = GW_ECHUNK_EXT;
            break;
        }
        if (was >= CK_TR_LINE && was <= CK_TR_LF && st != CK_END_LF &&
            ++c->trailer_len > c->lim.max_trailer) {
            err = GW_ETRAILER;
            break;
        }
        i++;
        if (st == CK_DATA || st == CK_DONE || (line_only && st == CK_TR_LINE))
            break;
    }
    c->state = st;
    *used = i;
    return err;
}

ptrdiff_t gw_chunk_size_parse(const void *buf, size_t len, size_t max_line, uint64_t *size,
                              size_t *bad)
{
    gw_chunked_reader c;
    size_t used;
    int rc;

    /* The decoder's own machine, run from a fresh state over these bytes
     * only, stopping at the end of the line. */
    memset(&c, 0, sizeof(c));
    c.lim.max_line = max_line != 0 ? max_line : GW_CHUNKED_DEFAULT_MAX_LINE;
    c.lim.max_trailer = GW_CHUNKED_DEFAULT_MAX_TRAILER;
    c.state = CK_SIZE0;
    rc = ck_frame(&c, buf, len, &used, 1);
    if (rc < 0) {
        if (bad != NULL)
            *bad = used;
        return rc;
    }
    if (c.state != CK_DATA && c.state != CK_TR_LINE)
        return GW_INCOMPLETE;
    *size = c.left;
    return (ptrdiff_t)used;
}

/*
 * Decodes what is buffered in src without suspending: framing is parsed and
 * chunk data copied to out[*n..cap).  Stops when the buffer is empty, when
 * chunk data meets a full out, or at CK_DONE.  Returns 0, or a negative
 * error with c->r.err_off set to the bad byte's offset.
 */
static int ck_scan(gw_chunked_reader *c, uint8_t *out, size_t cap, size_t *n)
{
    gw_bufreader *b = c->src;
    size_t avail, take;
    int rc;

    for (;;) {
        avail = gw_bufreader_avail(b);
        if (c->state == CK_DATA) {
            take = cap - *n;
            if (take > avail)
                take = avail;
            if (take > c->left)
                take = (size_t)c->left;
            if (take == 0)
                return 0;
            memcpy(out + *n, gw_bufreader_peek(b), take);
            gw_bufreader_consume(b, take);
            *n += take;
            c->left -= take;
            if (c->left == 0)
                c->state = CK_DATA_CR;
            continue;
        }
        if (c->state == CK_DONE || avail == 0)
            return 0;
        rc = ck_frame(c, gw_bufreader_peek(b), avail, &take, 0);
        gw_bufreader_consume(b, take);
        if (rc < 0) {
            c->r.err_off = gw_bufreader_offset(b);
            return rc;
        }
    }
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

    return GW__IO_READ(&r->op, ck_read, c, buf, cap, min);
}

static const gw_reader_ops chunked_reader_ops = {"chunked", ck_try_read};

void gw_chunked_reader_init(gw_chunked_reader *c, gw_bufreader *src, const gw_chunked_limits *lim)
{
    memset(c, 0, sizeof(*c));
    gw_reader_init(&c->r, &chunked_reader_ops);
    c->src = src;
    if (lim != NULL)
        c->lim = *lim;
    if (c->lim.max_line == 0)
        c->lim.max_line = GW_CHUNKED_DEFAULT_MAX_LINE;
    if (c->lim.max_trailer == 0)
        c->lim.max_trailer = GW_CHUNKED_DEFAULT_MAX_TRAILER;
    c->state = CK_SIZE0;
}

#undef CK_IS
#undef CK_WS
#undef CK_TCHAR
#undef CK_HEX
#undef CK_FIELD
#undef CK_QDTEXT
