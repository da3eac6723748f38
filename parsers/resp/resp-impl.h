/*
 * Private to parsers/resp/: what the reader's files (resp-read.c, the state
 * machine; resp-lex.c, the lexical cores), the tree and the writer share.
 * Not installed.
 */
#ifndef GENWIRE_RESP_IMPL_H
#define GENWIRE_RESP_IMPL_H

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

/*
 * The fast path of a header line: if p[1..] is `-`? then 1 to 18 digits,
 * then CRLF, all within the n bytes at p, sets *v and returns the index of
 * the CR, having looked at each byte once.  Returns 0 for anything else
 * (a '+', more digits, no CRLF yet, an error), which the line scan and
 * gw__resp_parse_int / _len then decide.
 */
static inline size_t gw__resp_fast_number(const uint8_t *p, size_t n, int64_t *v)
{
    size_t i = 1, d0, end = n < 21 ? n : 21; /* type, sign, 18 digits, then the CR */
    uint64_t x = 0;
    int neg = n > 1 && p[1] == '-';

    i += (size_t)neg;
    d0 = i;
    while (i < end && (unsigned)(p[i] - '0') <= 9)
        x = x * 10 + (unsigned)(p[i++] - '0');
    if (i == d0 || i - d0 > 18 || i + 1 >= n || p[i] != '\r' || p[i + 1] != '\n')
        return 0;
    *v = neg ? -(int64_t)x : (int64_t)x;
    return i;
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
