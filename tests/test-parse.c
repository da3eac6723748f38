/*
 * Tests of the pure parsing cores (transport/parse.c, include/genwire/
 * parse.h): big-endian loads and stores, decimal and hex numbers at and
 * around every overflow boundary, and the line scan in both modes, every
 * vector fed at every split point (the scan is resumed as bytes arrive and
 * must give the answer it gives on the whole input).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/parse.h>

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static void test_u32be(void **state)
{
    uint8_t b[4];

    (void)state;
    gw_store_u32be(b, 0x01020304u);
    assert_memory_equal(b, "\x01\x02\x03\x04", 4);
    assert_int_equal(gw_load_u32be(b), 0x01020304u);
    gw_store_u32be(b, 0xfffffffeu);
    assert_memory_equal(b, "\xff\xff\xff\xfe", 4);
    assert_int_equal(gw_load_u32be(b), 0xfffffffeu);
}

static void test_digits(void **state)
{
    (void)state;
    assert_int_equal(gw_digits(S("123:"), 10), 3);
    assert_int_equal(gw_digits(S("12ab;"), 10), 2);
    assert_int_equal(gw_digits(S("12aBf;"), 16), 5);
    assert_int_equal(gw_digits(S("g"), 16), 0);
    assert_int_equal(gw_digits(S("777"), 10), 3); /* runs to the end: may go on */
    assert_int_equal(gw_digits(S("777"), 8), 0);  /* only 10 and 16 */
}

static void test_parse_u64(void **state)
{
    uint64_t v = 42;

    (void)state;
    assert_int_equal(gw_parse_u64(S("0"), 10, UINT64_MAX, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(gw_parse_u64(S("007"), 10, UINT64_MAX, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(gw_parse_u64(S("18446744073709551615"), 10, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    v = 42;
    assert_int_equal(gw_parse_u64(S("18446744073709551616"), 10, UINT64_MAX, &v), GW_ENUMBER_RANGE);
    assert_int_equal(gw_parse_u64(S("99999999999999999999999999999"), 10, UINT64_MAX, &v),
                     GW_ENUMBER_RANGE);
    assert_int_equal(v, 42); /* written only on success */
    /* Past 64 bits and then a non-digit: malformed, whatever the length. */
    assert_int_equal(gw_parse_u64(S("99999999999999999999x"), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("ffffffffffffffff"), 16, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(gw_parse_u64(S("10000000000000000"), 16, UINT64_MAX, &v), GW_ENUMBER_RANGE);
    assert_int_equal(gw_parse_u64(S("DeadBeef"), 16, UINT64_MAX, &v), 0);
    assert_int_equal(v, 0xdeadbeefu);
    /* The caller's bound. */
    assert_int_equal(gw_parse_u64(S("100"), 10, 100, &v), 0);
    assert_int_equal(gw_parse_u64(S("101"), 10, 100, &v), GW_ENUMBER_RANGE);
    /* Malformed. */
    assert_int_equal(gw_parse_u64(S(""), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("+1"), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("-1"), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S(" 1"), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("1 "), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("1a"), 10, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("0x1"), 16, UINT64_MAX, &v), GW_ENUMBER);
    assert_int_equal(gw_parse_u64(S("1"), 8, UINT64_MAX, &v), GW_ENUMBER);
}

static void test_parse_i64(void **state)
{
    int64_t v = 42;

    (void)state;
    assert_int_equal(gw_parse_i64(S("-1"), &v), 0);
    assert_true(v == -1);
    assert_int_equal(gw_parse_i64(S("9223372036854775807"), &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(gw_parse_i64(S("-9223372036854775808"), &v), 0);
    assert_true(v == INT64_MIN);
    v = 42;
    assert_int_equal(gw_parse_i64(S("9223372036854775808"), &v), GW_ENUMBER_RANGE);
    assert_int_equal(gw_parse_i64(S("-9223372036854775809"), &v), GW_ENUMBER_RANGE);
    assert_int_equal(gw_parse_i64(S("-"), &v), GW_ENUMBER);
    assert_int_equal(gw_parse_i64(S("--1"), &v), GW_ENUMBER);
    assert_int_equal(gw_parse_i64(S(""), &v), GW_ENUMBER);
    assert_int_equal(v, 42);
}

/* ---- line scan at every split -------------------------------------------- */

typedef struct line_case {
    const char *in; /* the bytes */
    size_t max;     /* the limit */
    unsigned flags; /* GW_LINE_* */
    ptrdiff_t want; /* the scan's answer on the whole input */
    size_t len;     /* content length (want > 0) or bad (want < 0) */
} line_case;

/* Scans in[0..n) resuming at each cut; returns the first nonzero answer, or
 * GW_INCOMPLETE once all n bytes were seen. */
static ptrdiff_t scan_cuts(const line_case *c, size_t n, const size_t *cuts, size_t ncuts,
                           gw_linescan *ls)
{
    const uint8_t *p = (const uint8_t *)c->in;
    size_t i;
    ptrdiff_t k;

    gw_linescan_init(ls, c->max, c->flags);
    for (i = 0; i <= ncuts; i++) {
        size_t upto = i < ncuts ? cuts[i] : n;
        k = gw_line_scan(ls, p, upto);
        if (k != GW_INCOMPLETE)
            return k;
        /* Everything given so far was looked at: the next call starts there. */
        assert_int_equal(ls->scanned, upto < c->max + 2 ? upto : c->max + 2);
    }
    return GW_INCOMPLETE;
}

static void check_line(const line_case *c)
{
    size_t n = strlen(c->in), i, j, cuts[2];
    gw_linescan ls;
    ptrdiff_t k;

    k = scan_cuts(c, n, NULL, 0, &ls);
    if (k != c->want)
        fail_msg("\"%s\" max %zu flags %u: %td, expected %td", c->in, c->max, c->flags, k, c->want);
    if (k > 0)
        assert_int_equal(ls.len, c->len);
    else if (k < 0)
        assert_int_equal(ls.bad, c->len);
    /* One or two cuts anywhere, and byte at a time: the same answer. */
    for (i = 0; i <= n; i++) {
        for (j = i; j <= n; j++) {
            cuts[0] = i;
            cuts[1] = j;
            assert_int_equal(scan_cuts(c, n, cuts, 2, &ls), c->want);
            if (k > 0)
                assert_int_equal(ls.len, c->len);
            else if (k < 0)
                assert_int_equal(ls.bad, c->len);
        }
    }
}

static void test_line_scan(void **state)
{
    static const line_case cases[] = {
        /* Lenient: LF ends a line, a CR before it is dropped, other CRs are content. */
        {"abc\n", 8, 0, 4, 3},
        {"abc\r\nxyz", 8, 0, 5, 3},
        {"\n", 8, 0, 1, 0},
        {"\r\n", 8, 0, 2, 0},
        {"a\rb\n", 8, 0, 4, 3},
        {"abc", 8, 0, GW_INCOMPLETE, 0},
        {"abc\r", 8, 0, GW_INCOMPLETE, 0},
        /* The limit is on the content, LF or not (defect 3 of issue 9). */
        {"abc\n", 3, 0, 4, 3},
        {"abc\r\n", 3, 0, 5, 3},
        {"abc\r", 3, 0, GW_INCOMPLETE, 0}, /* the CR may be the terminator's */
        {"abcd", 3, 0, GW_ELINE_TOO_LONG, 0},
        {"abcd\n", 3, 0, GW_ELINE_TOO_LONG, 0},
        {"abc\rx", 3, 0, GW_ELINE_TOO_LONG, 0},
        {"abc\r\r\n", 3, 0, GW_ELINE_TOO_LONG, 0},
        {"", 0, 0, GW_INCOMPLETE, 0},
        {"\n", 0, 0, 1, 0},
        {"x", 0, 0, GW_ELINE_TOO_LONG, 0},
        /* Strict: CRLF only. */
        {"GET / HTTP/1.1\r\nHost", 64, GW_LINE_STRICT, 16, 14},
        {"\r\n", 64, GW_LINE_STRICT, 2, 0},
        {"abc\n", 64, GW_LINE_STRICT, GW_EBARE_LF, 3},
        {"\n", 64, GW_LINE_STRICT, GW_EBARE_LF, 0},
        {"a\rb\r\n", 64, GW_LINE_STRICT, GW_EBARE_CR, 1},
        {"ab\r\r\n", 64, GW_LINE_STRICT, GW_EBARE_CR, 2},
        {"abc\r", 64, GW_LINE_STRICT, GW_INCOMPLETE, 0},
        {"abc", 64, GW_LINE_STRICT, GW_INCOMPLETE, 0},
        {"abc\r\n", 3, GW_LINE_STRICT, 5, 3},
        {"abc\r", 3, GW_LINE_STRICT, GW_INCOMPLETE, 0},
        {"abcd", 3, GW_LINE_STRICT, GW_ELINE_TOO_LONG, 0},
        {"abcd\r", 3, GW_LINE_STRICT, GW_ELINE_TOO_LONG, 0},
        {"abcd\r\n", 3, GW_LINE_STRICT, GW_ELINE_TOO_LONG, 0},
        /* Over the limit before the terminator is judged: a buffer of max + 2
         * bytes never shows what follows (fuzz-resp-split). */
        {"abcd\rx", 3, GW_LINE_STRICT, GW_ELINE_TOO_LONG, 0},
        {"abcd\n", 3, GW_LINE_STRICT, GW_ELINE_TOO_LONG, 0},
        {"abc\rx", 3, GW_LINE_STRICT, GW_EBARE_CR, 3},
        {"abc\n", 3, GW_LINE_STRICT, GW_EBARE_LF, 3},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_line(&cases[i]);
}

/* A long line that arrives a byte at a time: each call looks only at the new
 * byte (the resume point advances with the input), and the state is ready
 * for the next line after each one. */
static void test_line_scan_resumes(void **state)
{
    enum { N = 100000 };
    uint8_t *p = malloc(2 * (N + 2));
    gw_linescan ls;
    size_t i;

    (void)state;
    assert_non_null(p);
    memset(p, 'x', 2 * (N + 2));
    p[N] = '\r';
    p[N + 1] = '\n';
    p[2 * N + 2] = '\n';
    gw_linescan_init(&ls, N, 0);
    for (i = 1; i <= N + 1; i++) {
        assert_int_equal(gw_line_scan(&ls, p, i), GW_INCOMPLETE);
        assert_int_equal(ls.scanned, i);
    }
    assert_int_equal(gw_line_scan(&ls, p, N + 2), N + 2);
    assert_int_equal(ls.len, N);
    assert_int_equal(ls.scanned, 0);
    assert_int_equal(gw_line_scan(&ls, p + N + 2, N + 2), N + 1);
    assert_int_equal(ls.len, N);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32be),     cmocka_unit_test(test_digits),
        cmocka_unit_test(test_parse_u64), cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_line_scan), cmocka_unit_test(test_line_scan_resumes),
    };

    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
