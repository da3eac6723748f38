/*
 * The lexical cores of the RESP reader (resp-read.c): the names of the
 * types, the scan for the CRLF that ends a value's header line, and the
 * numbers and number-like texts of RESP3's grammar.  Pure functions over
 * bytes in memory (the line scan keeps its resume point in the reader);
 * nothing here suspends or allocates.  The common case of a short decimal
 * header (":1234", "$5", "*10") has a one-pass fast path inline in
 * resp-impl.h; what it does not take comes here, through the shared
 * primitives of parse.h (gw_line_scan, gw_parse_i64, gw_parse_u64).
 * Doubles convert in the C locale, whatever the program's.
 */
#define _POSIX_C_SOURCE 200809L

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genwire/parse.h"
#include "parsers/resp/resp-impl.h"

const char *gw_resp_type_name(int type)
{
    switch (type) {
    case GW_RESP_SIMPLE:
        return "simple";
    case GW_RESP_ERROR:
        return "error";
    case GW_RESP_INTEGER:
        return "integer";
    case GW_RESP_BULK:
        return "bulk";
    case GW_RESP_ARRAY:
        return "array";
    case GW_RESP_NULL:
        return "null";
    case GW_RESP_DOUBLE:
        return "double";
    case GW_RESP_BOOL:
        return "boolean";
    case GW_RESP_BLOB_ERROR:
        return "blob-error";
    case GW_RESP_VERBATIM:
        return "verbatim";
    case GW_RESP_BIGNUM:
        return "bignum";
    case GW_RESP_MAP:
        return "map";
    case GW_RESP_SET:
        return "set";
    case GW_RESP_ATTRIBUTE:
        return "attribute";
    case GW_RESP_PUSH:
        return "push";
    case GW_RESP_END:
        return "end";
    default:
        return "?";
    }
}

int gw__resp_line(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off, size_t *eol,
                  size_t *need)
{
    /* The line's content starts after the type byte p[0]. */
    ptrdiff_t r = gw_line_scan(&rd->_ls, p + 1, n - 1);

    if (r > 0) {
        *eol = rd->_ls.len + 1;
        return 1;
    }
    if (r == GW_INCOMPLETE) {
        *need = n + 1;
        return 0;
    }
    if (r == GW_ELINE_TOO_LONG)
        return gw__resp_fail(rd, GW_ERESP_LINE_TOO_LONG, off);
    /* A bare LF is the error; for a bare CR, the byte after it. */
    return gw__resp_fail(rd, GW_ERESP_CRLF, off + 1 + rd->_ls.bad + (r == GW_EBARE_CR));
}

int gw__resp_parse_len(const uint8_t *p, size_t n, int64_t *v)
{
    uint64_t x;

    if (n == 1 && p[0] == '?') {
        *v = -2;
        return 0;
    }
    if (n == 2 && p[0] == '-' && p[1] == '1') {
        *v = -1;
        return 0;
    }
    /* At most 18 digits: the length plus its CRLF cannot overflow. */
    if (n > 18 || gw_parse_u64(p, n, 10, UINT64_MAX, &x) != 0)
        return -1;
    *v = (int64_t)x;
    return 0;
}

int gw__resp_parse_int(const uint8_t *p, size_t n, int64_t *v)
{
    /* RESP3's grammar allows a '+' where gw_parse_i64 takes only '-'. */
    if (n > 0 && p[0] == '+') {
        p++;
        n--;
        if (n > 0 && p[0] == '-')
            return -1;
    }
    return gw_parse_i64(p, n, v) == 0 ? 0 : -1;
}

/* Length of the run of decimal digits at p[0..n). */
static size_t digits(const uint8_t *p, size_t n)
{
    return gw_digits(p, n, 10);
}

int gw__resp_valid_double(const uint8_t *p, size_t n)
{
    size_t i = 0, k;

    if ((n == 3 && memcmp(p, "inf", 3) == 0) || (n == 4 && memcmp(p, "-inf", 4) == 0) ||
        (n == 3 && memcmp(p, "nan", 3) == 0))
        return 1;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    if ((k = digits(p + i, n - i)) == 0)
        return 0;
    i += k;
    if (i < n && p[i] == '.') {
        i++;
        if ((k = digits(p + i, n - i)) == 0)
            return 0;
        i += k;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        if ((k = digits(p + i, n - i)) == 0)
            return 0;
        i += k;
    }
    return i == n;
}

int gw__resp_valid_bignum(const uint8_t *p, size_t n)
{
    size_t i = n > 0 && (p[0] == '+' || p[0] == '-');

    return i < n && digits(p + i, n - i) == n - i;
}

/* Switches the calling thread to the C locale until c_locale_end; *saved
 * is the locale to go back to.  If no C locale object can be had the
 * thread's stays (glibc's newlocale of "C" allocates nothing and cannot
 * fail). */
static locale_t c_locale_begin(locale_t *saved)
{
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);

    *saved = c != (locale_t)0 ? uselocale(c) : (locale_t)0;
    return c;
}

static void c_locale_end(locale_t c, locale_t saved)
{
    if (c != (locale_t)0) {
        uselocale(saved);
        freelocale(c);
    }
}

double gw__resp_strtod(const char *s)
{
    locale_t saved, c = c_locale_begin(&saved);
    double v = strtod(s, NULL);

    c_locale_end(c, saved);
    return v;
}

size_t gw__resp_double_text(char *buf, double v)
{
    locale_t saved, c;
    int prec, n;

    if (isnan(v))
        return (size_t)snprintf(buf, 32, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, 32, v < 0 ? "-inf" : "inf");
    c = c_locale_begin(&saved);
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    n = snprintf(buf, 32, "%.*g", prec, v);
    c_locale_end(c, saved);
    return (size_t)n;
}
