/*
 * Private to parsers/resp/: what the reader's files (resp-read.c, the state
 * machine; resp-lex.c, the lexical cores), the tree and the writer share.
 * Not installed.
 */
#ifndef GENWIRE_RESP_IMPL_H
#define GENWIRE_RESP_IMPL_H

#include <string.h>

#include "genwire/resp.h"

/* Reader states.  They start at a magic value, as zlib's do, so that a
 * reader that was never initialised is caught by a range check. */
enum {
    RS_VALUE = 0x7250, /* at the type byte of a value, or an END is owed */
    RS_STRING,         /* inside the payload of a long string or a chunk: _left to go */
    RS_CHUNK,          /* streamed string: at the `;` of the next chunk */
    RS_FAILED          /* an error is stored; every call returns it */
};

/* Stores err (found at stream offset off) in the reader, where it sticks;
 * returns err. */
int gw__resp_fail(gw_resp_reader *rd, int err, uint64_t off);

/*
 * The CRLF that ends the header line starting at p[0] (the type byte; n
 * bytes buffered, at stream offset off), resuming the scan in rd->_ls.
 * Returns 1 with *eol the index of the CR; 0 if more bytes are needed
 * (*need set); or an error (GW_ERESP_CRLF, GW_ERESP_LINE_TOO_LONG), stored.
 */
int gw__resp_line(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off, size_t *eol,
                  size_t *need);

/* A length or count p[0..n): at most 18 digits, "-1" (*v = -1) or "?"
 * (*v = -2).  Returns 0, or -1 if malformed. */
int gw__resp_parse_len(const uint8_t *p, size_t n, int64_t *v);

/* A signed 64-bit decimal p[0..n) with an optional '+' or '-'.  Returns 0,
 * or -1 if malformed or out of range. */
int gw__resp_parse_int(const uint8_t *p, size_t n, int64_t *v);

/* Nonzero if p[0..n) is a double (or big number) as RESP3 writes it. */
int gw__resp_valid_double(const uint8_t *p, size_t n);
int gw__resp_valid_bignum(const uint8_t *p, size_t n);

/* RESP's doubles have '.' for their decimal point whatever setlocale() the
 * program made: strtod and printf run in the C locale here (uselocale, for
 * the calling thread only).  gw__resp_strtod: strtod of a text that
 * gw__resp_valid_double accepted (it stops at the CR).
 * gw__resp_double_text: the text of v in buf (32 bytes: %.17g fits), the
 * shortest %.*g that reads back the same, or nan, inf, -inf; returns its
 * length. */
double gw__resp_strtod(const char *s);
size_t gw__resp_double_text(char *buf, double v);

/* Eight ASCII digits, the first (most significant) in the lowest byte of
 * w, as their value: three multiplies, each joining pairs of the last. */
static inline uint64_t gw__resp_swar8(uint64_t w)
{
    w = (w & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
    w = (w & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
    return (w & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32;
}

/*
 * The digits of a short decimal header: if p[0..k) are 1 to 18 digits and
 * CRLF follows, all within the n bytes at p, sets *v and returns k; returns
 * 0 for anything else (no digit, more digits, no CRLF yet, another byte),
 * which the line scan and gw__resp_parse_int / _len then decide.  One digit
 * is tried first; then, where 9 bytes are buffered, up to 7 digits and the
 * CRLF are judged in one 8-byte word, whatever their number, without a
 * branch per digit; otherwise (and for 8 or more digits) a byte at a time,
 * with the same result.
 */
static inline size_t gw__resp_digits_crlf(const uint8_t *p, size_t n, uint64_t *v)
{
    size_t i = 0, end = n < 18 ? n : 18;
    uint64_t x = 0;

    /* One digit (most lengths and counts): three compares. */
    if (n >= 3 && p[1] == '\r' && (unsigned)(p[0] - '0') <= 9 && p[2] == '\n') {
        *v = (unsigned)(p[0] - '0');
        return 1;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 9) {
        uint64_t w, nd;
        unsigned k;

        memcpy(&w, p, 8);
        /* The high bit of each byte that is no digit: set in the byte
         * itself (0x80 and up), or by b - 0x30 (below '0') or b + 0x46 (above
         * '9').  A borrow or carry out of a byte only reaches the bytes after
         * it, past the first non-digit, which are not looked at. */
        nd =
            (w | (w - 0x3030303030303030ull) | (w + 0x4646464646464646ull)) & 0x8080808080808080ull;
        if (nd != 0) {
            k = (unsigned)__builtin_ctzll(nd) >> 3; /* the first non-digit */
            if (k == 0 ||
                (k < 7 ? ((w >> (8 * k)) & 0xffff) != 0x0a0d : p[7] != '\r' || p[8] != '\n'))
                return 0;
            *v = gw__resp_swar8(w << (64 - 8 * k));
            return k;
        }
    }
#endif
    while (i < end && (unsigned)(p[i] - '0') <= 9)
        x = x * 10 + (unsigned)(p[i++] - '0');
    if (i == 0 || i + 1 >= n || p[i] != '\r' || p[i + 1] != '\n')
        return 0;
    *v = x;
    return i;
}

/*
 * The fast path of a header line: if p[1..] is `-`? then 1 to 18 digits,
 * then CRLF, all within the n bytes at p, sets *v and returns the index of
 * the CR.  Returns 0 for anything else (a '+', more digits, no CRLF yet, an
 * error), which the line scan and gw__resp_parse_int / _len then decide.
 */
static inline size_t gw__resp_fast_number(const uint8_t *p, size_t n, int64_t *v)
{
    size_t neg = n > 1 && p[1] == '-', k;
    uint64_t x;

    if ((k = gw__resp_digits_crlf(p + 1 + neg, n - 1 - neg, &x)) == 0)
        return 0;
    *v = neg ? -(int64_t)x : (int64_t)x;
    return 1 + neg + k;
}

/* A value has been handed out whole: counts it as a member of the
 * aggregate around it, if any. */
static inline void gw__resp_complete(gw_resp_reader *rd)
{
    gw__resp_frame *f;

    rd->_attr = 0;
    if (rd->_depth == 0) {
        rd->_total = 0;
        return;
    }
    f = &rd->_stack[rd->_depth - 1];
    if (f->streamed)
        f->left++;
    else if (--f->left == 0)
        rd->_pend_end = 1;
}

/*
 * The states RS_STRING and RS_CHUNK (resp-string.c): one step at p[0..n)
 * (n > 0, stream offset off), as resp-read.c's value step: 1 an event (a
 * piece), 2 a header consumed with no event yet, 0 *need bytes needed, or
 * an error.
 */
int gw__resp_string_piece(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off,
                          size_t *need);
int gw__resp_chunk_header(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off,
                          size_t *need);

#endif /* GENWIRE_RESP_IMPL_H */
