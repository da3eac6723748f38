/*
 * The pure parsing cores of include/genwire/parse.h: decimal and hex numbers
 * with overflow checks, and the resumable line scan.  Functions over bytes in
 * memory only: no reader, no generator, no allocation.  The generator that
 * runs the line scan over a stream is gw_bufreader_line (bufreader.c).
 */
#include "genwire/parse.h"

#include <string.h>

/* The value of digit c in base 16, or 16 if c is not a hex digit. */
static unsigned hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return 16;
}

/* The value of digit c in base (10 or 16), or base if it is not one. */
static unsigned digit(uint8_t c, unsigned base)
{
    if (base == 10)
        return c >= '0' && c <= '9' ? (unsigned)(c - '0') : 10;
    return hexval(c);
}

size_t gw_digits(const uint8_t *p, size_t n, unsigned base)
{
    size_t i = 0;

    if (base != 10 && base != 16)
        return 0;
    while (i < n && digit(p[i], base) < base)
        i++;
    return i;
}

int gw_parse_u64(const uint8_t *p, size_t n, unsigned base, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || (base != 10 && base != 16))
        return GW_ENUMBER;
    for (i = 0; i < n; i++) {
        unsigned d = digit(p[i], base);
        if (d >= base)
            return GW_ENUMBER;
        if (v > (UINT64_MAX - d) / base) {
            /* Past 64 bits: out of range, unless a later byte is not a
             * digit, which makes the whole span malformed. */
            return gw_digits(p + i, n - i, base) == n - i ? GW_ENUMBER_RANGE : GW_ENUMBER;
        }
        v = v * base + d;
    }
    if (v > max)
        return GW_ENUMBER_RANGE;
    *out = v;
    return 0;
}

int gw_parse_i64(const uint8_t *p, size_t n, int64_t *out)
{
    uint64_t v;
    int neg = n > 0 && p[0] == '-';
    int rc =
        gw_parse_u64(p + neg, n - (size_t)neg, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &v);

    if (rc != 0)
        return rc;
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

/* The line's content is len bytes: complete, unless that is over the limit. */
static ptrdiff_t line_done(gw_linescan *ls, size_t len, size_t total)
{
    ls->scanned = 0;
    if (len > ls->max) {
        ls->bad = 0;
        return GW_ELINE_TOO_LONG;
    }
    ls->len = len;
    return (ptrdiff_t)total;
}

static ptrdiff_t line_error(gw_linescan *ls, int err, size_t bad)
{
    ls->scanned = 0;
    ls->bad = bad;
    return err;
}

/* Lenient: LF ends a line, a CR just before it is dropped. */
static ptrdiff_t scan_lenient(gw_linescan *ls, const uint8_t *p, size_t n, size_t lim)
{
    const uint8_t *lf = lim > ls->scanned ? memchr(p + ls->scanned, '\n', lim - ls->scanned) : NULL;
    size_t i;

    if (lf != NULL) {
        i = (size_t)(lf - p);
        return line_done(ls, i > 0 && p[i - 1] == '\r' ? i - 1 : i, i + 1);
    }
    ls->scanned = lim;
    /* No LF in the window: over the limit once max + 1 content bytes are
     * certain, that is unless the last of them is a CR that an LF may end. */
    if (lim < n || (n > ls->max && (n - ls->max >= 2 || p[ls->max] != '\r')))
        return line_error(ls, GW_ELINE_TOO_LONG, 0);
    return GW_INCOMPLETE;
}

/* Strict: CRLF ends a line; no other CR or LF.  p[0 .. scanned) holds no CR
 * or LF, except that p[scanned - 1] may be a CR whose LF had not come.  A
 * byte at index max + 1 makes the line too long whatever it is, a CR or LF
 * included: a reader whose buffer holds max + 2 bytes sees that byte but not
 * the one after it, so the answer cannot depend on what follows. */
static ptrdiff_t scan_strict(gw_linescan *ls, const uint8_t *p, size_t n, size_t lim)
{
    size_t i = ls->scanned;

    if (lim > ls->max)
        lim = ls->max + 1;
    if (i > 0 && p[i - 1] == '\r') {
        if (i == n)
            return GW_INCOMPLETE;
        if (p[i] != '\n')
            return line_error(ls, GW_EBARE_CR, i - 1);
        return line_done(ls, i - 1, i + 1);
    }
    for (; i < lim; i++) {
        if (p[i] == '\n')
            return line_error(ls, GW_EBARE_LF, i);
        if (p[i] == '\r') {
            if (i + 1 == n) {
                ls->scanned = n;
                return GW_INCOMPLETE;
            }
            if (p[i + 1] != '\n')
                return line_error(ls, GW_EBARE_CR, i);
            return line_done(ls, i, i + 2);
        }
    }
    ls->scanned = lim;
    if (lim > ls->max)
        return line_error(ls, GW_ELINE_TOO_LONG, 0);
    return GW_INCOMPLETE;
}

ptrdiff_t gw_line_scan(gw_linescan *ls, const uint8_t *p, size_t n)
{
    /* The terminator of a line of max bytes ends by index max + 1: no byte
     * past max + 2 is ever looked at. */
    size_t lim = ls->max < n && n - ls->max > 2 ? ls->max + 2 : n;

    if (ls->scanned > n)
        ls->scanned = 0;
    if (ls->flags & GW_LINE_STRICT)
        return scan_strict(ls, p, n, lim);
    return scan_lenient(ls, p, n, lim);
}
