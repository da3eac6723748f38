/*
 * The HTTP/1.1 chunked transfer coding's decoder core (RFC 9112 section
 * 7.1; include/genwire/frame.h): a byte-at-a-time state machine over bytes
 * in memory that takes runs of token and text bytes, and the common "CRLF,
 * hex size, CRLF" between chunks, at once; the pure entry points built on
 * it, gw_chunk_size_parse and gw_chunked_decode (a whole buffer, decoded in
 * place if asked, as picohttpparser's phr_decode_chunked does); and
 * gw__chunked_run, which the AsyncRead layer in chunked.c runs over its
 * buffered bytes.  The machine keeps its place inside a line, so input may
 * be cut anywhere.
 *
 * States, in stream order (each line is a path through them):
 *
 *   SIZE0 -> SIZE -> [extensions: EXT_SEMI EXT_NAME0 EXT_NAME EXT_EQ
 *                     EXT_VAL0 EXT_TOKEN EXT_QUOTED EXT_QPAIR EXT_QEND]
 *         -> SIZE_LF -> DATA -> DATA_CR -> DATA_LF -> SIZE0      (size > 0)
 *                    -> TR_LINE -> TR_NAME -> TR_VALUE -> TR_LF -> TR_LINE
 *                       TR_LINE -> END_LF -> DONE                 (size 0)
 */
#include <string.h>

#include "chunked-impl.h"

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

/* The value of a hex digit (one that CK_HEX accepts), without a branch:
 * the low nibble, plus 9 for the letters (0x41-0x46, 0x61-0x66). */
static unsigned ck_hexval(uint8_t ch)
{
    return (unsigned)(ch & 0xf) + 9u * (unsigned)(ch >> 6);
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
 * of 1 to 16 hex digits and CRLF, within max_line, sets *size and *ndigits
 * as the machine would and returns the line's length; otherwise returns 0
 * and sets nothing.
 */
static size_t ck_simple_size(const uint8_t *q, size_t n, size_t max_line, uint64_t *size,
                             unsigned *ndigits)
{
    size_t k = 0, most = n < 16 ? n : 16;
    uint64_t v = 0;

    /* At most 16 digits, which always fit: a 17th is left to the machine,
     * which refuses it. */
    while (k < most && CK_IS(q[k], CK_HEX))
        v = v << 4 | ck_hexval(q[k++]);
    if (k == 0 || k > max_line || n - k < 2 || q[k] != '\r' || q[k + 1] != '\n')
        return 0;
    *size = v;
    *ndigits = (unsigned)k;
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
        if (st == CK_SIZE0 &&
            (n = ck_simple_size(p + i, avail - i, c->lim.max_line, &c->left, &c->ndigits)) > 0) {
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

int gw__chunked_run(gw_chunked_reader *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                    size_t *used, size_t *n)
{
    size_t i = 0, k = *n, take;
    uint64_t left = c->left;
    int st = c->state, rc = 0;

    /* The state, the chunk's bytes left and the output count are kept in
     * locals here and written back to c only around the machine: the common
     * path (data, CRLF, a size line, data ...) touches c not at all. */
    for (;;) {
        if (st == CK_DATA) {
            take = cap - k;
            if (take > len - i)
                take = len - i;
            if (take > left)
                take = (size_t)left;
            if (take == 0)
                break; /* out is full, or in used up */
            memmove(out + k, in + i, take);
            i += take;
            k += take;
            left -= take;
            if (left != 0)
                continue;
            st = CK_DATA_CR;
        }
        /* The plain framing between chunks, whole in the bytes, taken here
         * without entering the machine: CRLF after the data, a size line
         * of hex digits only, and an empty trailer after the last-chunk. */
        if (st == CK_DATA_CR && len - i >= 2 && in[i] == '\r' && in[i + 1] == '\n') {
            i += 2;
            st = CK_SIZE0;
        }
        if (st == CK_SIZE0 &&
            (take = ck_simple_size(in + i, len - i, c->lim.max_line, &left, &c->ndigits)) > 0) {
            i += take;
            if (left != 0) {
                st = CK_DATA;
                continue;
            }
            if (len - i >= 2 && in[i] == '\r' && in[i + 1] == '\n') {
                i += 2;
                st = CK_DONE;
                break;
            }
            c->trailer_len = 0;
            st = CK_TR_LINE;
        }
        if (st == CK_DONE || i == len)
            break;
        c->state = st;
        c->left = left;
        rc = ck_frame(c, in + i, len - i, &take, 0);
        st = c->state;
        left = c->left;
        i += take;
        if (rc < 0)
            break;
    }
    c->state = st;
    c->left = left;
    *n = k;
    *used = i;
    return rc;
}

int gw_chunked_decode(gw_chunked_reader *c, const void *in, size_t len, void *out, size_t *used,
                      size_t *n)
{
    int rc;

    *used = 0;
    *n = 0;
    if (c->r.err != 0)
        return c->r.err;
    if (c->state == CK_DONE)
        return 1;
    rc = gw__chunked_run(c, in, len, out, len, used, n);
    c->r.nread += *n;
    if (rc < 0) {
        c->r.err = rc;
        c->r.err_off = *used;
        return rc;
    }
    return c->state == CK_DONE;
}

#undef CK_IS
#undef CK_WS
#undef CK_TCHAR
#undef CK_HEX
#undef CK_FIELD
#undef CK_QDTEXT
