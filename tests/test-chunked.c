/*
 * Tests of the HTTP/1.1 chunked decoder (parsers/framing/chunked.c, the
 * chunked section of include/genwire/frame.h): valid streams give their
 * body and leave the bytes after the message in the bufreader; invalid ones
 * their own error at the offset of the bad byte, again on every later read;
 * and the pure chunk-size core.  Every vector goes through the shared split
 * helper (whole, every split point, one byte at a time, random pieces) under
 * several bufreader capacities and read sizes, and over plain memory
 * (chunked-check.h).  Errors after data, cancels and source errors are in
 * test-chunked-errors.c, the encoder in test-chunked-writer.c.
 */
#include "chunked-check.h"

/* ---- valid streams ------------------------------------------------------- */

static void test_single_chunk(void **state)
{
    (void)state;
    OK("5\r\nhello\r\n0\r\n\r\n", "hello");
    OK("0\r\n\r\n", "");
    OK("1\r\n\0\r\n0\r\n\r\n", "\0");
    OK("2\r\n\r\n\r\n0\r\n\r\n", "\r\n"); /* CRLF inside data is data */
}

static void test_many_chunks(void **state)
{
    (void)state;
    OK("1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n", "abcdef");
    OK("1\r\nx\r\n1\r\ny\r\n1\r\nz\r\n1\r\n!\r\n0\r\n\r\n", "xyz!");
}

static void test_hex_case(void **state)
{
    (void)state;
    OK("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij");
    OK("1F\r\n0123456789012345678901234567890\r\n1f\r\nabcdefghijabcdefghijabcdefghija\r\n"
       "0\r\n\r\n",
       "0123456789012345678901234567890abcdefghijabcdefghijabcdefghija");
    OK("00005\r\nhello\r\n00\r\n\r\n", "hello"); /* leading zeros; "00" is a last-chunk */
}

static void test_sixteen_digits(void **state)
{
    (void)state;
    OK("000000000000000A\r\n0123456789\r\n0000000000000000\r\n\r\n", "0123456789");
    /* The largest size parses; its data is then cut short. */
    ERR("FFFFFFFFFFFFFFFF\r\nabc", GW_ETRUNCATED, 21, "abc");
}

static void test_extensions(void **state)
{
    (void)state;
    OK("5;name=value\r\nhello\r\n0\r\n\r\n", "hello");
    OK("5;a\r\nhello\r\n0;b;c=d\r\n\r\n", "hello");
    OK("5 ; a = \"q\\\"uo;ted\" ;b;c=d\t;\te\r\nhello\r\n0;last\r\n\r\n", "hello");
    OK("3;x=\"\"\r\nabc\r\n0\r\n\r\n", "abc");                /* empty quoted value */
    OK("3;x=\"\\\\ \t\x80\xff\"\r\nabc\r\n0\r\n\r\n", "abc"); /* pairs, obs-text */
    OK("3;!#$%&'*+-.^_`|~09AZaz=!#$%&'*+-.^_`|~\r\nabc\r\n0\r\n\r\n", "abc");
    OK("3 ;a\r\nabc\r\n0\r\n\r\n", "abc");
    OK("3;a=\"b\" ;c\r\nabc\r\n0\r\n\r\n", "abc");
}

static void test_trailers(void **state)
{
    (void)state;
    OK("3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:\t12 34 \r\nEmpty:\r\n\r\n", "abc");
    OK("0\r\nA:b\r\n\r\n", "");
    OK("0\r\nA: \x80\xff \"q\" \\ ~\r\n\r\n", "");
}

static void test_rest_stays(void **state)
{
    (void)state;
    ck_ok(S("0\r\n\r\nNEXT"), S(""), S("NEXT"));
    ck_ok(S("2\r\nhi\r\n0\r\nT: v\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), S("hi"),
          S("5\r\nhello\r\n0\r\n\r\n"));
    ck_ok(S("0\r\n\r\n\r\n"), S(""), S("\r\n"));
}

/* Chunks larger than every buffer: read straight into the caller's memory. */
static void test_large_chunks(void **state)
{
    enum { N = 600 };
    char *in = malloc(2 * N + 64), *body = malloc(2 * N);
    size_t len = 0, i;

    (void)state;
    assert_non_null(in);
    assert_non_null(body);
    for (i = 0; i < 2 * N; i++)
        body[i] = (char)('a' + i % 23);
    len += (size_t)sprintf(in + len, "%x\r\n", N);
    memcpy(in + len, body, N);
    len += N;
    len += (size_t)sprintf(in + len, "\r\n%X;e=1\r\n", N);
    memcpy(in + len, body + N, N);
    len += N;
    len += (size_t)sprintf(in + len, "\r\n0\r\n\r\n");
    ck_ok(in, len, body, 2 * N, "", 0);
    free(in);
    free(body);
}

/* A second message on the same bufreader, with a new init. */
static void test_two_messages(void **state)
{
    static const char in[] = "3\r\nabc\r\n0\r\n\r\n4\r\ndefg\r\n0\r\n\r\n";
    gw_bufreader br;
    gw_chunked_reader c;
    uint8_t out[16];
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    gw_bufreader_init_mem(&br, in, sizeof(in) - 1);
    gw_chunked_reader_init(&c, &br, NULL);
    op = gw_read(&c.r, out, sizeof(out), 3);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 3);
    assert_memory_equal(out, "abc", 3);
    assert_true(c.r.eof); /* the last-chunk was buffered: parsed in the same call */
    assert_int_equal(c.r.nread, 3);
    assert_int_equal(gw_bufreader_offset(&br), 13);
    gw_chunked_reader_init(&c, &br, NULL);
    op = gw_try_read(&c.r, out, sizeof(out), sizeof(out));
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 4);
    assert_memory_equal(out, "defg", 4);
    assert_true(c.r.eof);
    assert_int_equal(gw_bufreader_avail(&br), 0);
}

/* min 0 never waits, even with nothing buffered. */
static void test_min_zero(void **state)
{
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_reader c;
    uint8_t out[16];
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    gw_chunked_reader_init(&c, &br, NULL);
    op = gw_try_read(&c.r, out, sizeof(out), 0);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 0);
    assert_false(c.r.eof);
    /* A partial size line is parsed and remembered. */
    gw_mempipe_feed(&pipe, "5;a=\"x", 6);
    op = gw_try_read(&c.r, out, sizeof(out), 1);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_ptr_equal(w.event, &pipe.readable);
    gw_mempipe_feed(&pipe, "\"\r\nhel", 6);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->n, 3);
    assert_memory_equal(out, "hel", 3);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* ---- invalid streams ----------------------------------------------------- */

static void test_bad_size(void **state)
{
    (void)state;
    ERR("FFFFFFFFFFFFFFFF0\r\n", GW_ECHUNK_SIZE, 16, "");
    ERR("0000000000000000A\r\nabcdefghij\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 16, "");
    ERR("00000000000000000\r\n\r\n", GW_ECHUNK_SIZE, 16, "");
    ERR("0x10\r\n0123456789abcdef\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 1, "");
    ERR("+5\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 0, "");
    ERR("-1\r\nh\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 0, "");
    ERR("\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 0, "");
    ERR(";a=b\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 0, "");
    ERR(" 5\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 0, "");
    ERR("5g\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_SIZE, 1, "");
    ERR("2\r\nhi\r\nz\r\n", GW_ECHUNK_SIZE, 7, "hi");
}

static void test_bare_lf(void **state)
{
    (void)state;
    ERR("5\nhello\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 1, "");
    ERR("\n", GW_ECHUNK_CRLF, 0, "");
    ERR("5;a=b\nhello\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 5, "");
    ERR("5\r\nhello\n0\r\n\r\n", GW_ECHUNK_CRLF, 8, "hello");
    ERR("0\r\nA: b\n\r\n", GW_ECHUNK_CRLF, 7, "");
    ERR("0\r\n\n", GW_ECHUNK_CRLF, 3, "");
    ERR("5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 6, "");
}

static void test_bare_cr(void **state)
{
    (void)state;
    ERR("5\rhello\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 2, "");
    ERR("5\r\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 2, "");
    ERR("5\r\nhello\rX0\r\n\r\n", GW_ECHUNK_CRLF, 9, "hello");
    ERR("0\r\nA: b\rc\r\n\r\n", GW_ECHUNK_CRLF, 8, "");
    ERR("0\r\n\rX", GW_ECHUNK_CRLF, 4, "");
}

static void test_missing_crlf_after_data(void **state)
{
    (void)state;
    ERR("5\r\nhelloX\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 8, "hello");
    ERR("5\r\nhello0\r\n\r\n", GW_ECHUNK_CRLF, 8, "hello");
    /* Data shorter than its size swallows the CR; the LF is then bare. */
    ERR("5\r\nhell\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 8, "hell\r");
}

static void test_bad_extensions(void **state)
{
    (void)state;
    /* An unterminated quoted value. */
    ERR("5;a=\"abc\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 8, "");
    ERR("5;a=\"abc\\\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 9, "");
    ERR("5;\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 2, "");
    ERR("5 \r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 2, "");
    ERR("5;a \r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 4, "");
    ERR("5;a b\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 4, "");
    ERR("5;a=\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 4, "");
    ERR("5;a==b\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 4, "");
    ERR("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 7, "");
    ERR("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 5, "");
    ERR("5;a=\"\\\x7f\"\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 6, "");
    ERR("5;a=b\"\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 5, "");
    ERR("5;a@b\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 3, "");
    ERR("5;;a\r\nhello\r\n0\r\n\r\n", GW_ECHUNK_EXT, 2, "");
    ERR("0;\x80\r\n\r\n", GW_ECHUNK_EXT, 2, "");
}

/* The chunk-size line is capped at max_line bytes before its CRLF. */
static void test_line_limit(void **state)
{
    gw_chunked_limits lim = {8, 0};

    (void)state;
    /* "5;abcdef" is 8 bytes: allowed. */
    ck_ok_lim(S("5;abcdef\r\nhello\r\n0;abcdef\r\n\r\n"), &lim, S("hello"), "", 0);
    ck_err_lim(S("5;abcdefg\r\nhello\r\n0\r\n\r\n"), &lim, 0, GW_ECHUNK_EXT, 8, "", 0);
    ck_err_lim(S("5;a=\"bcde\r\nhello\r\n0\r\n\r\n"), &lim, 0, GW_ECHUNK_EXT, 8, "", 0);
    ck_err_lim(S("5\r\nhello\r\n0;abcdefg\r\n\r\n"), &lim, 0, GW_ECHUNK_EXT, 18, "hello", 5);
    /* The size counts too. */
    lim.max_line = 4;
    ck_ok_lim(S("0005\r\nhello\r\n0\r\n\r\n"), &lim, S("hello"), "", 0);
    ck_err_lim(S("00005\r\nhello\r\n0\r\n\r\n"), &lim, 0, GW_ECHUNK_EXT, 4, "", 0);
}

/* A 1 MB extension fails at the byte past the default limit. */
static void test_huge_extension(void **state)
{
    size_t n = 1u << 20, len = 0;
    char *in = malloc(n + 64);
    gw_chunked_limits lim = {256, 0};

    (void)state;
    assert_non_null(in);
    memcpy(in, "5;", 2);
    memset(in + 2, 'x', n);
    len = 2 + n;
    memcpy(in + len, "\r\nhello\r\n0\r\n\r\n", 14);
    len += 14;
    /* Every split point (a million of them) under a 256-byte limit, so
     * that each costs little... */
    ck_err_lim(in, len, &lim, 1, GW_ECHUNK_EXT, 256, "", 0);
    /* ...and with the default limit, fed whole in every mode. */
    ck_whole_err(in, len, GW_ECHUNK_EXT, GW_CHUNKED_DEFAULT_MAX_LINE);
    free(in);
}

static void test_truncated(void **state)
{
    (void)state;
    ERR("", GW_ETRUNCATED, 0, "");
    ERR("5", GW_ETRUNCATED, 1, "");
    ERR("5\r", GW_ETRUNCATED, 2, "");
    ERR("5;a=\"abc", GW_ETRUNCATED, 8, "");
    ERR("5\r\nhel", GW_ETRUNCATED, 6, "hel");
    ERR("5\r\nhello", GW_ETRUNCATED, 8, "hello");
    ERR("5\r\nhello\r", GW_ETRUNCATED, 9, "hello");
    ERR("5\r\nhello\r\n", GW_ETRUNCATED, 10, "hello"); /* no last-chunk */
    ERR("5\r\nhello\r\n0\r\n", GW_ETRUNCATED, 13, "hello");
    ERR("5\r\nhello\r\n0\r\nA: b\r\n", GW_ETRUNCATED, 19, "hello");
    ERR("5\r\nhello\r\n0\r\n\r", GW_ETRUNCATED, 14, "hello");
}

static void test_bad_trailers(void **state)
{
    (void)state;
    ERR("0\r\nBad Name: x\r\n\r\n", GW_ETRAILER, 6, "");
    ERR("0\r\n: x\r\n\r\n", GW_ETRAILER, 3, "");
    ERR("0\r\nA : x\r\n\r\n", GW_ETRAILER, 4, "");
    ERR("0\r\nA\r\n\r\n", GW_ETRAILER, 4, "");
    ERR("0\r\nA: \x01\r\n\r\n", GW_ETRAILER, 6, "");
    ERR("0\r\nA: \x7f\r\n\r\n", GW_ETRAILER, 6, "");
    ERR("0\r\nA: b\r\n c\r\n\r\n", GW_ETRAILER, 9, ""); /* obs-fold */
    ERR("0\r\n\x80: b\r\n\r\n", GW_ETRAILER, 3, "");
}

/* The trailer field lines are capped at max_trailer bytes. */
static void test_trailer_limit(void **state)
{
    gw_chunked_limits lim = {0, 16};
    size_t n = 16500, len;
    char *in = malloc(n + 64);

    (void)state;
    /* "A: 0123456789\r\n" is 15 bytes: 'B' is the 16th, its ':' one too many. */
    ck_err_lim(S("0\r\nA: 0123456789\r\nB:\r\n\r\n"), &lim, 0, GW_ETRAILER, 19, "", 0);
    /* 17 bytes: the LF is one too many; the final CRLF does not count. */
    ck_ok_lim(S("0\r\nA: 0123456789a\r\n\r\n"), &lim, S(""), "", 0);
    ck_err_lim(S("0\r\nA: 0123456789ab\r\n\r\n"), &lim, 0, GW_ETRAILER, 19, "", 0);
    lim.max_trailer = 17;
    ck_ok_lim(S("0\r\nA: 0123456789ab\r\n\r\n"), &lim, S(""), "", 0);
    ck_err_lim(S("0\r\nA: 0123456789ab\r\nN\r\n"), &lim, 0, GW_ETRAILER, 20, "", 0);
    /* An oversized trailer with the default limit. */
    assert_non_null(in);
    memcpy(in, "0\r\nX: ", 6);
    memset(in + 6, 'a', n);
    memcpy(in + 6 + n, "\r\n\r\n", 4);
    len = n + 10;
    ck_err_lim(in, len, NULL, 1, GW_ETRAILER, 3 + GW_CHUNKED_DEFAULT_MAX_TRAILER, "", 0);
    free(in);
}

/* Defect 13: an error after good data delivers exactly the body decoded
 * before it, whatever the split, the read size and min. */
/* The pure core of a chunk-size line: the same answers as the decoder, every
 * proper prefix of a line incomplete, and the index of a bad byte. */
static void test_size_line_core(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        ptrdiff_t ret;
        uint64_t size;
        size_t bad;
    } v[] = {
        {"5\r\n", 0, 3, 5, 0},
        {"0\r\n", 0, 3, 0, 0},
        {"00\r\nT: v\r\n", 0, 4, 0, 0},
        {"1a;x=\"y\\\"\" ; b\r\nDATA", 0, 16, 26, 0},
        {"FFFFFFFFFFFFFFFF\r\n", 0, 18, UINT64_MAX, 0},
        {"FFFFFFFFFFFFFFFF0\r\n", 0, GW_ECHUNK_SIZE, 0, 16},
        {"g\r\n", 0, GW_ECHUNK_SIZE, 0, 0},
        {"5\n", 0, GW_ECHUNK_CRLF, 0, 1},
        {"5\rx", 0, GW_ECHUNK_CRLF, 0, 2},
        {"5;a=\x01\r\n", 0, GW_ECHUNK_EXT, 0, 4},
        {"5;abcdef\r\n", 4, GW_ECHUNK_EXT, 0, 4},
        {"5;abc\r\n", 5, 7, 5, 0},
    };
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t len = strlen(v[i].in), bad = 99;
        uint64_t size = 12345;
        ptrdiff_t r = gw_chunk_size_parse(v[i].in, len, v[i].max, &size, &bad);

        assert_int_equal(r, v[i].ret);
        if (r > 0) {
            assert_int_equal(size, v[i].size);
            for (k = 0; k < (size_t)r; k++) {
                size = 12345;
                assert_int_equal(gw_chunk_size_parse(v[i].in, k, v[i].max, &size, NULL),
                                 GW_INCOMPLETE);
                assert_int_equal(size, 12345); /* written only on success */
            }
        } else {
            assert_int_equal(bad, v[i].bad);
            for (k = 0; k <= v[i].bad; k++)
                assert_int_equal(gw_chunk_size_parse(v[i].in, k, v[i].max, &size, NULL),
                                 GW_INCOMPLETE);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_chunk),   cmocka_unit_test(test_many_chunks),
        cmocka_unit_test(test_hex_case),       cmocka_unit_test(test_sixteen_digits),
        cmocka_unit_test(test_extensions),     cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_rest_stays),     cmocka_unit_test(test_large_chunks),
        cmocka_unit_test(test_two_messages),   cmocka_unit_test(test_min_zero),
        cmocka_unit_test(test_bad_size),       cmocka_unit_test(test_bare_lf),
        cmocka_unit_test(test_bare_cr),        cmocka_unit_test(test_missing_crlf_after_data),
        cmocka_unit_test(test_bad_extensions), cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_huge_extension), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_trailers),   cmocka_unit_test(test_trailer_limit),
        cmocka_unit_test(test_size_line_core),
    };

    /* CK_FILTER=pattern runs only the tests whose names match. */
    if (getenv("CK_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CK_FILTER"));
    return cmocka_run_group_tests_name("chunked", tests, NULL, NULL);
}
