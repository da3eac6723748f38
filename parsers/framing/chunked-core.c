/*
 * The HTTP/1.1 chunked transfer coding's decoder core (RFC 9112 section
 * 7.1; include/genwire/frame.h): a byte-at-a-time state machine over bytes
 * in memory, one transition table, that takes runs of token and text bytes,
 * and the common "CRLF, hex size, CRLF" between chunks, at once; the pure
 * entry points built on it, gw_chunk_size_parse and gw_chunked_decode (a whole buffer, decoded in
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

/* Character classes (RFC 9110 section 5.6), the low four bits of ck_class. */
#define CK_TCHAR  1u /* tchar: a token character */
#define CK_HEX    2u /* HEXDIG */
#define CK_FIELD  4u /* HTAB / SP / VCHAR / obs-text: field-value and quoted-pair */
#define CK_QDTEXT 8u /* qdtext: CK_FIELD without '"' and '\' */

/* What the framing machine's transition table (ck_next) tells bytes apart
 * by, the high four bits of ck_class: every byte with a transition of its
 * own, and the rest by class. */
enum {
    CK_B_CTL,    /* a control other than HTAB, CR and LF; DEL */
    CK_B_HEX,    /* a HEXDIG */
    CK_B_TCHAR,  /* a tchar that is not a HEXDIG */
    CK_B_VCHAR,  /* a VCHAR or obs-text not named below, not a tchar */
    CK_B_WS,     /* SP or HTAB */
    CK_B_CR,     /* CR */
    CK_B_LF,     /* LF */
    CK_B_SEMI,   /* ';' */
    CK_B_EQ,     /* '=' */
    CK_B_DQUOTE, /* '"' */
    CK_B_BSLASH, /* '\' */
    CK_B_COLON,  /* ':' */
    CK_NBYTES    /* the number of the above */
};

/* The table's entries, by the byte's kind and classes. */
#define CT (CK_B_CTL << 4)
#define WS (CK_B_WS << 4 | CK_FIELD | CK_QDTEXT)
#define TK (CK_B_TCHAR << 4 | CK_TCHAR | CK_FIELD | CK_QDTEXT)
#define HX (CK_B_HEX << 4 | CK_TCHAR | CK_HEX | CK_FIELD | CK_QDTEXT)
#define VC (CK_B_VCHAR << 4 | CK_FIELD | CK_QDTEXT)
#define CR (CK_B_CR << 4)
#define LF (CK_B_LF << 4)
#define SC (CK_B_SEMI << 4 | CK_FIELD | CK_QDTEXT)
#define EQ (CK_B_EQ << 4 | CK_FIELD | CK_QDTEXT)
#define DQ (CK_B_DQUOTE << 4 | CK_FIELD)
#define BS (CK_B_BSLASH << 4 | CK_FIELD)
#define CO (CK_B_COLON << 4 | CK_FIELD | CK_QDTEXT)

// clang-format off
static const uint8_t ck_class[256] = {
    CT, CT, CT, CT, CT, CT, CT, CT, CT, WS, LF, CT, CT, CR, CT, CT, /* 0x00 */
    CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, CT, /* 0x10 */
    WS, TK, DQ, TK, TK, TK, TK, TK, VC, VC, TK, TK, VC, TK, TK, VC, /* 0x20 */
    HX, HX, HX, HX, HX, HX, HX, HX, HX, HX, CO, SC, VC, EQ, VC, VC, /* 0x30 */
    VC, HX, HX, HX, HX, HX, HX, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x40 */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VC, BS, VC, TK, TK, /* 0x50 */
    TK, HX, HX, HX, HX, HX, HX, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x60 */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VC, TK, VC, TK, CT, /* 0x70 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0x80 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0x90 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0xa0 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0xb0 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0xc0 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0xd0 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0xe0 */
    VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, VC, /* 0xf0 */
};
// clang-format on

#undef CT
#undef WS
#undef TK
#undef HX
#undef VC
#undef CR
#undef LF
#undef SC
#undef EQ
#undef DQ
#undef BS
#undef CO

#define CK_IS(ch, cls) ((ck_class[(ch)] & (cls)) != 0)
#define CK_BYTE(ch)    (ck_class[(ch)] >> 4)

/*
 * The framing machine (ck_frame), one byte at a time: ck_next[state][kind]
 * is the state after a byte of that kind, plus 1, or 0 where the byte is
 * wrong there, with the error ck_err[state] (GW_ECHUNK_CRLF for a LF where
 * none is due, whatever the state).  What a transition does besides
 * (a size digit, the end of a size line) is in ck_frame.
 */
#define CK_TO(st) ((st) + 1)
/* The bytes of a class, to one state: tchar; qdtext; field bytes (HTAB /
 * SP / VCHAR / obs-text). */
#define CK_TCHAR_TO(st) [CK_B_HEX] = CK_TO(st), [CK_B_TCHAR] = CK_TO(st)
#define CK_QDTEXT_TO(st)                                                                           \
    CK_TCHAR_TO(st), [CK_B_VCHAR] = CK_TO(st), [CK_B_WS] = CK_TO(st), [CK_B_SEMI] = CK_TO(st),     \
                     [CK_B_EQ] = CK_TO(st), [CK_B_COLON] = CK_TO(st)
#define CK_FIELD_TO(st) CK_QDTEXT_TO(st), [CK_B_DQUOTE] = CK_TO(st), [CK_B_BSLASH] = CK_TO(st)

static const uint8_t ck_next[CK_DONE + 1][CK_NBYTES] = {
    /* A sign, whitespace, "0x" ...: not a size. */
    [CK_SIZE0] = {[CK_B_HEX] = CK_TO(CK_SIZE)},
    /* A 17th digit, zeros or not, is refused in ck_frame; "5a!" here. */
    [CK_SIZE] = {[CK_B_HEX] = CK_TO(CK_SIZE),
                 [CK_B_SEMI] = CK_TO(CK_EXT_NAME0),
                 [CK_B_WS] = CK_TO(CK_EXT_SEMI),
                 [CK_B_CR] = CK_TO(CK_SIZE_LF)},
    /* Whitespace not followed by an extension is refused. */
    [CK_EXT_SEMI] = {[CK_B_SEMI] = CK_TO(CK_EXT_NAME0), [CK_B_WS] = CK_TO(CK_EXT_SEMI)},
    [CK_EXT_NAME0] = {CK_TCHAR_TO(CK_EXT_NAME), [CK_B_WS] = CK_TO(CK_EXT_NAME0)},
    [CK_EXT_NAME] =
        {CK_TCHAR_TO(CK_EXT_NAME), [CK_B_CR] = CK_TO(CK_SIZE_LF), [CK_B_SEMI] = CK_TO(CK_EXT_NAME0),
         [CK_B_EQ] = CK_TO(CK_EXT_VAL0), [CK_B_WS] = CK_TO(CK_EXT_EQ)},
    [CK_EXT_EQ] = {[CK_B_EQ] = CK_TO(CK_EXT_VAL0),
                   [CK_B_SEMI] = CK_TO(CK_EXT_NAME0),
                   [CK_B_WS] = CK_TO(CK_EXT_EQ)},
    [CK_EXT_VAL0] = {CK_TCHAR_TO(CK_EXT_TOKEN), [CK_B_DQUOTE] = CK_TO(CK_EXT_QUOTED),
                     [CK_B_WS] = CK_TO(CK_EXT_VAL0)},
    [CK_EXT_TOKEN] = {CK_TCHAR_TO(CK_EXT_TOKEN), [CK_B_CR] = CK_TO(CK_SIZE_LF),
                      [CK_B_SEMI] = CK_TO(CK_EXT_NAME0), [CK_B_WS] = CK_TO(CK_EXT_SEMI)},
    /* A CR or a control: an unterminated or bad string. */
    [CK_EXT_QUOTED] = {CK_QDTEXT_TO(CK_EXT_QUOTED), [CK_B_DQUOTE] = CK_TO(CK_EXT_QEND),
                       [CK_B_BSLASH] = CK_TO(CK_EXT_QPAIR)},
    /* Any field byte may be escaped. */
    [CK_EXT_QPAIR] = {CK_FIELD_TO(CK_EXT_QUOTED)},
    [CK_EXT_QEND] = {[CK_B_CR] = CK_TO(CK_SIZE_LF),
                     [CK_B_SEMI] = CK_TO(CK_EXT_NAME0),
                     [CK_B_WS] = CK_TO(CK_EXT_SEMI)},
    /* The size line's end: ck_frame chooses data or the trailer. */
    [CK_SIZE_LF] = {[CK_B_LF] = CK_TO(CK_DATA)},
    /* Anything but CR after the data: it is longer than its size. */
    [CK_DATA_CR] = {[CK_B_CR] = CK_TO(CK_DATA_LF)},
    [CK_DATA_LF] = {[CK_B_LF] = CK_TO(CK_SIZE0)},
    /* Not a name: an empty one, or obs-fold. */
    [CK_TR_LINE] = {CK_TCHAR_TO(CK_TR_NAME), [CK_B_CR] = CK_TO(CK_END_LF)},
    /* Whitespace before the ':' is not a name byte either. */
    [CK_TR_NAME] = {CK_TCHAR_TO(CK_TR_NAME), [CK_B_COLON] = CK_TO(CK_TR_VALUE)},
    [CK_TR_VALUE] = {CK_FIELD_TO(CK_TR_VALUE), [CK_B_CR] = CK_TO(CK_TR_LF)},
    [CK_TR_LF] = {[CK_B_LF] = CK_TO(CK_TR_LINE)},
    [CK_END_LF] = {[CK_B_LF] = CK_TO(CK_DONE)},
    /* CK_DATA and CK_DONE are not states the machine runs in. */
};

/* The error of a byte ck_next refuses, by state (a LF aside). */
static const int8_t ck_err[CK_DONE + 1] = {
    [CK_SIZE0] = GW_ECHUNK_SIZE,    [CK_SIZE] = GW_ECHUNK_SIZE,     [CK_EXT_SEMI] = GW_ECHUNK_EXT,
    [CK_EXT_NAME0] = GW_ECHUNK_EXT, [CK_EXT_NAME] = GW_ECHUNK_EXT,  [CK_EXT_EQ] = GW_ECHUNK_EXT,
    [CK_EXT_VAL0] = GW_ECHUNK_EXT,  [CK_EXT_TOKEN] = GW_ECHUNK_EXT, [CK_EXT_QUOTED] = GW_ECHUNK_EXT,
    [CK_EXT_QPAIR] = GW_ECHUNK_EXT, [CK_EXT_QEND] = GW_ECHUNK_EXT,  [CK_SIZE_LF] = GW_ECHUNK_CRLF,
    [CK_DATA] = GW_EINVAL,          [CK_DATA_CR] = GW_ECHUNK_CRLF,  [CK_DATA_LF] = GW_ECHUNK_CRLF,
    [CK_TR_LINE] = GW_ETRAILER,     [CK_TR_NAME] = GW_ETRAILER,     [CK_TR_VALUE] = GW_ETRAILER,
    [CK_TR_LF] = GW_ECHUNK_CRLF,    [CK_END_LF] = GW_ECHUNK_CRLF,   [CK_DONE] = GW_EINVAL,
};

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
        uint8_t ch, next;
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

        if ((next = ck_next[st][CK_BYTE(ch)]) == 0) {
            err = ch == '\n' ? GW_ECHUNK_CRLF : ck_err[st]; /* a LF without its CR */
            break;
        }
        st = next - 1;
        if (st == CK_SIZE) {
            /* A digit: the first, or one more (only sizes that fit). */
            if (was == CK_SIZE0) {
                c->left = 0;
                c->ndigits = 0;
            } else if (c->ndigits == 16) {
                err = GW_ECHUNK_SIZE; /* a 17th digit, zeros or not */
                break;
            }
            c->left = c->left << 4 | ck_hexval(ch);
            c->ndigits++;
        } else if (was == CK_SIZE_LF) {
            c->line_len = 0;
            if (c->left == 0) {
                c->trailer_len = 0;
                st = CK_TR_LINE;
            }
        }
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
#undef CK_BYTE
#undef CK_TO
#undef CK_TCHAR_TO
#undef CK_QDTEXT_TO
#undef CK_FIELD_TO
#undef CK_TCHAR
#undef CK_HEX
#undef CK_FIELD
#undef CK_QDTEXT
