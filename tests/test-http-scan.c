/*
 * Tests of the HTTP head parser's scanning fast paths (parsers/http/scan.h
 * and the whole-line path of head-core.h): every instruction-set flavour
 * must give exactly what the portable one gives, on inputs built so that
 * the fast paths run (a field line with more than 64 bytes after its
 * start, or among the last 64 bytes of a longer input), byte by byte over
 * every byte value and position, around the 64-byte window's edges, on a
 * line after another in the same window, at the limits, and fed in pieces
 * of every size.  Each case also checks the
 * outcome itself against the grammar, so that flavours agreeing on a wrong
 * answer fail too.  And the case-insensitive compare gw_http_span_eq on
 * every pair of bytes, and the framing rules' name match on every near
 * miss of a name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/http.h>

int gw__http_isa_best(void);
int gw__http_set_isa(int want);

/* One parse's outcome, spans as offsets from the input's start. */
typedef struct outcome {
    int r, err;
    size_t err_off, nfields;
    size_t span[16][4];
} outcome;

/* Parses in[0 .. len) under flavour isa, fed in pieces of `piece` bytes
 * (0: whole), each call given every byte so far in a fresh copy. */
static outcome parse_with(int isa, const char *in, size_t len, size_t piece,
                          const gw_http_limits *lim)
{
    gw_http_field f[16];
    gw_http_parser p;
    gw_http_head h;
    outcome o;
    size_t have = 0, i;
    char *copy = NULL;

    memset(&o, 0, sizeof(o));
    gw__http_set_isa(isa);
    assert_int_equal(gw_http_parser_init(&p, GW_HTTP_REQUEST, f, 16, lim, 0), 0);
    do {
        have = piece == 0 || len - have < piece ? len : have + piece;
        free(copy);
        copy = malloc(have + 1);
        assert_non_null(copy);
        memcpy(copy, in, have);
        o.r = gw_http_parse(&p, copy, have, &h);
    } while (o.r == 0 && have < len);
    if (o.r < 0) {
        o.err = o.r;
        o.err_off = p.err_off;
    } else if (o.r > 0) {
        o.nfields = h.nfields;
        for (i = 0; i < h.nfields && i < 16; i++) {
            o.span[i][0] = (size_t)(h.fields[i].name.p - copy);
            o.span[i][1] = h.fields[i].name.len;
            o.span[i][2] = (size_t)(h.fields[i].value.p - copy);
            o.span[i][3] = h.fields[i].value.len;
        }
    }
    free(copy);
    gw__http_set_isa(0);
    return o;
}

/* Parses under every flavour (whole, and in pieces of 1, 7 and 64 bytes)
 * and checks that all agree with the portable whole parse, returned. */
static outcome parse_all(const char *in, size_t len, const gw_http_limits *lim)
{
    static const size_t pieces[] = {0, 1, 7, 64};
    outcome first = parse_with(1, in, len, 0, lim);
    int isa, best = gw__http_isa_best();
    size_t k;

    for (isa = 1; isa <= best; isa++)
        for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
            outcome o = parse_with(isa, in, len, pieces[k], lim);
            if (memcmp(&o, &first, sizeof(o)) != 0)
                fail_msg("flavour %d, pieces of %zu: r %d (%s at %zu) vs %d (%s at %zu): %.*s", isa,
                         pieces[k], o.r, gw_errname(o.err), o.err_off, first.r,
                         gw_errname(first.err), first.err_off, (int)len, in);
        }
    return first;
}

static const char pad[] = "Pad: ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
                          "ppppppppppppppp\r\n\r\n";

/* Two shapes of head around the line under test: "GET / HTTP/1.1", the
 * line, a long field line and the end (the line has more than 64 bytes
 * after it); or a long request-line, the line and the end (the line is
 * among the last 64 bytes, classified from the input's last 64). */
static const char *const starts[2] = {"GET / HTTP/1.1\r\n",
                                      "GET /0123456789012345678901234567890123 HTTP/1.1\r\n"};
static const char *const ends[2] = {pad, "\r\n"};

/* starts[shape] line ends[shape] into buf; returns the length. */
static size_t build(char *buf, int shape, const char *line, size_t n)
{
    size_t a = strlen(starts[shape]), z = strlen(ends[shape]);

    memcpy(buf, starts[shape], a);
    memcpy(buf + a, line, n);
    memcpy(buf + a + n, ends[shape], z);
    return a + n + z;
}

static int is_tchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Every byte value at every position of a field line the fast path takes
 * whole: in the name, right after the colon, inside and at the end of the
 * value. */
static void test_every_byte(void **state)
{
    static const char line[] = "X-Field-Name: some value text\r\n";
    const size_t colon = 12, n = sizeof(line) - 1;
    char buf[256], l[64];
    size_t j, len;
    int c, shape;

    (void)state;
    for (shape = 0; shape < 2; shape++)
        for (j = 0; j < n - 2; j++)
            for (c = 0; c < 256; c++) {
                outcome o;
                int ok;

                memcpy(l, line, n);
                l[j] = (char)c;
                len = build(buf, shape, l, n);
                o = parse_all(buf, len, NULL);
                if (j == 0)
                    ok = is_tchar(c);
                else if (j < colon)
                    ok = is_tchar(c) || c == ':';
                else if (j == colon)
                    ok = c == ':';
                else
                    ok = c == '\t' || (c >= 0x20 && c != 0x7f);
                if ((o.r > 0) != ok)
                    fail_msg("shape %d, byte 0x%02x at %zu: r %d (%s at %zu)", shape, c, j, o.r,
                             gw_errname(o.err), o.err_off);
                if (ok) {
                    assert_int_equal(o.r, (int)len);
                    assert_int_equal(o.nfields, 2 - shape);
                }
            }
}

/* Lines of every length from 4 to 80 bytes, with and without whitespace
 * around the value: the CRLF before, at and past the 64-byte window. */
static void test_window_edges(void **state)
{
    char buf[512], l[128];
    size_t n, len, ws, at;
    int shape;

    (void)state;
    for (shape = 0; shape < 2; shape++)
        for (n = 4; n <= 80; n++)
            for (ws = 0; ws < (n < 7 ? 1u : 4u); ws++) {
                outcome o;
                size_t vlen = n - 4 - (ws & 1) - (ws >> 1);

                /* "A:" then the value, then CRLF: n bytes in all. */
                at = strlen(starts[shape]);
                memset(l, 'v', n);
                l[0] = 'A';
                l[1] = ':';
                if (ws & 1)
                    l[2] = ' ';
                if (ws & 2)
                    l[n - 3] = '\t';
                l[n - 2] = '\r';
                l[n - 1] = '\n';
                len = build(buf, shape, l, n);
                o = parse_all(buf, len, NULL);
                assert_int_equal(o.r, (int)len);
                assert_int_equal(o.nfields, 2 - shape);
                assert_int_equal(o.span[0][0], at);
                assert_int_equal(o.span[0][1], 1);
                assert_int_equal(o.span[0][2], at + 2 + (ws & 1));
                assert_int_equal(o.span[0][3], vlen);
                /* A bare CR, a bare LF and a control at the line's end. */
                l[n - 1] = 'x';
                len = build(buf, shape, l, n);
                o = parse_all(buf, len, NULL);
                assert_int_equal(o.err, GW_EHTTP_BARE_CR);
                assert_int_equal(o.err_off, at + n - 1);
                l[n - 2] = '\n';
                len = build(buf, shape, l, n);
                o = parse_all(buf, len, NULL);
                assert_int_equal(o.err, GW_EHTTP_BARE_LF);
                assert_int_equal(o.err_off, at + n - 2);
                l[n - 2] = 0x01;
                len = build(buf, shape, l, n);
                o = parse_all(buf, len, NULL);
                assert_int_equal(o.err, GW_EHTTP_FIELD_VALUE);
                assert_int_equal(o.err_off, at + n - 2);
            }
}

/* Runs of whitespace around a value, the fast path's masks at work: every
 * count of leading and trailing SP / HTAB (mixed) from 0 to 5 around values
 * of 0, 1 and 30 bytes (a value of whitespace only is empty, at its end),
 * each span checked against the grammar's. */
static void test_ows_runs(void **state)
{
    static const size_t vlens[] = {0, 1, 30};
    char buf[512], l[128];
    size_t lead, trail, k, n, len, at, i;
    int shape;

    (void)state;
    for (shape = 0; shape < 2; shape++)
        for (k = 0; k < sizeof(vlens) / sizeof(vlens[0]); k++)
            for (lead = 0; lead <= 5; lead++)
                for (trail = 0; trail <= 5; trail++) {
                    outcome o;
                    size_t v = vlens[k];

                    /* "Name:" lead value trail CRLF */
                    at = strlen(starts[shape]);
                    memcpy(l, "Name:", 5);
                    n = 5;
                    for (i = 0; i < lead; i++)
                        l[n++] = (i + trail) % 2 ? '\t' : ' ';
                    for (i = 0; i < v; i++)
                        l[n++] = i % 7 == 3 ? ' ' : 'v'; /* inner SP stays */
                    if (v > 0)
                        l[n - 1] = 'v';
                    for (i = 0; i < trail; i++)
                        l[n++] = (i + lead) % 3 ? ' ' : '\t';
                    l[n++] = '\r';
                    l[n++] = '\n';
                    len = build(buf, shape, l, n);
                    o = parse_all(buf, len, NULL);
                    assert_int_equal(o.r, (int)len);
                    assert_int_equal(o.nfields, 2 - shape);
                    assert_int_equal(o.span[0][1], 4);
                    assert_int_equal(o.span[0][3], v);
                    assert_int_equal(o.span[0][2], at + 5 + (v > 0 ? lead : lead + trail));
                }
}

/* "A:" + value + CRLF, n bytes in all (n >= 4), into l; the value has a
 * leading SP when ws is set. */
static void short_line(char *l, size_t n, char name, int ws)
{
    memset(l, 'v', n);
    l[0] = name;
    l[1] = ':';
    if (ws && n > 4)
        l[2] = ' ';
    l[n - 2] = '\r';
    l[n - 1] = '\n';
}

/* A line after a short one, so that it is classified from the masks of the
 * window the short one was found in, shifted: every length of the first
 * line up to the window's size, the second of lengths around the rest of
 * the window, whole and with a bare CR at its end. */
static void test_shared_window(void **state)
{
    static const size_t second[] = {4, 5, 9, 20, 33, 40, 55, 60, 62, 63, 64, 65, 70};
    char buf[512], l[256];
    size_t a, n, k, len, at;
    int shape;

    (void)state;
    for (shape = 0; shape < 2; shape++)
        for (a = 4; a <= 64; a++)
            for (k = 0; k < sizeof(second) / sizeof(second[0]); k++) {
                outcome o;

                n = second[k];
                at = strlen(starts[shape]);
                short_line(l, a, 'A', 1);
                short_line(l + a, n, 'B', (int)(a & 1));
                len = build(buf, shape, l, a + n);
                o = parse_all(buf, len, NULL);
                assert_int_equal(o.r, (int)len);
                assert_int_equal(o.nfields, 3 - shape);
                assert_int_equal(o.span[1][0], at + a);
                assert_int_equal(o.span[1][1], 1);
                assert_int_equal(o.span[1][2], at + a + 2 + ((a & 1) && n > 4));
                assert_int_equal(o.span[1][3], n - 4 - ((a & 1) && n > 4));
                l[a + n - 1] = 'x';
                len = build(buf, shape, l, a + n);
                o = parse_all(buf, len, NULL);
                assert_int_equal(o.err, GW_EHTTP_BARE_CR);
                assert_int_equal(o.err_off, at + a + n - 1);
            }
}

/* The fast path stops at the field limit and at the head limit exactly as
 * the general states do. */
static void test_limits(void **state)
{
    char buf[1024];
    size_t len = 16, i, head;
    gw_http_limits lim = {0, 3, 0};
    outcome o;

    (void)state;
    memcpy(buf, "GET / HTTP/1.1\r\n", 16);
    for (i = 0; i < 8; i++)
        len += (size_t)sprintf(buf + len, "Field-%zu: value %zu\r\n", i, i);
    len += (size_t)sprintf(buf + len, "%s", pad);
    o = parse_all(buf, len, &lim);
    assert_int_equal(o.err, GW_EHTTP_TOO_MANY_FIELDS);
    assert_int_equal(o.err_off, 16 + 3 * 18);
    lim.max_fields = 0;
    o = parse_all(buf, len, NULL);
    assert_int_equal(o.r, (int)len);
    assert_int_equal(o.nfields, 9);
    /* A head limit inside each line, and on either side of its CRLF. */
    for (head = 30; head < len; head += 3) {
        lim.max_head = head;
        o = parse_all(buf, len, &lim);
        assert_int_equal(o.err, GW_EHTTP_HEAD_TOO_LARGE);
        assert_int_equal(o.err_off, head);
    }
}

/* gw_http_span_eq against a plain reference on every pair of bytes, and
 * at the ends of either side. */
static void test_span_eq(void **state)
{
    char lit[3] = {'x', 0, 0}, sp[2] = {'x', 0};
    int a, b;

    (void)state;
    for (a = 0; a < 256; a++)
        for (b = 1; b < 256; b++) {
            gw_http_span s = {sp, 2};
            int la = a >= 'A' && a <= 'Z' ? a + 32 : a, lb = b >= 'A' && b <= 'Z' ? b + 32 : b;
            sp[1] = (char)a;
            lit[1] = (char)b;
            assert_int_equal(gw_http_span_eq(s, lit), la == lb);
            s.len = 1;
            assert_int_equal(gw_http_span_eq(s, lit), 0); /* the span is shorter */
            s.len = 2;
            lit[1] = 0;
            assert_int_equal(gw_http_span_eq(s, lit), 0); /* the literal is shorter */
        }
}

/* The framing rules find Transfer-Encoding in any case and nothing else:
 * every tchar at every position of the name. */
static void test_framing_names(void **state)
{
    static const char name[] = "Transfer-Encoding";
    char buf[128];
    size_t j, n = sizeof(name) - 1;
    int c;

    (void)state;
    for (j = 0; j < n; j++)
        for (c = 1; c < 256; c++) {
            gw_http_field f[4];
            gw_http_parser p;
            gw_http_head h;
            gw_http_framing fr;
            int lc = c >= 'A' && c <= 'Z' ? c + 32 : c, lo = name[j] | 0x20, len;

            if (!is_tchar(c))
                continue;
            len = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\n%s: chunked\r\n\r\n", name);
            buf[17 + j] = (char)c;
            assert_int_equal(gw_http_parser_init(&p, GW_HTTP_REQUEST, f, 4, NULL, 0), 0);
            assert_int_equal(gw_http_parse(&p, buf, (size_t)len, &h), len);
            assert_int_equal(gw_http_framing_of(&h, -1, &fr), 0);
            assert_int_equal(fr.body == GW_HTTP_BODY_CHUNKED, name[j] == '-' ? c == '-' : lc == lo);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte),    cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_shared_window), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_span_eq),       cmocka_unit_test(test_framing_names),
        cmocka_unit_test(test_ows_runs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
