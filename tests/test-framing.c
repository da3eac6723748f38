/*
 * Tests of the record readers (parsers/framing/records.c): valid vectors of
 * every format, the bad inputs each must reject with its own error and
 * offset, records larger than the buffer (assembled and streamed), limits
 * that hold however the input arrives, and the pure header core.  The
 * reader's other contracts (init, zero in the limits, long lines, sticky
 * cancel) are in test-framing-reader.c, a failing input in
 * test-framing-errors.c.  Every decode goes through gwt_check_splits (frame-check.h): the whole
 * input, every split point, one byte at a time and random pieces, in
 * assemble mode, stream mode and through the batch scan.  The writers and
 * the encode -> decode round trips are in test-record-writer.c.
 */
#include "frame-check.h"

static void test_formats_and_names(void **state)
{
    gw_frame_format f;
    int i;

    (void)state;
    for (i = 0; i < GW_FRAME_NFORMATS; i++) {
        assert_int_equal(gw_frame_format_parse(gw_frame_format_name((gw_frame_format)i), &f), 0);
        assert_int_equal(f, i);
    }
    assert_int_equal(gw_frame_format_parse("u24be", &f), GW_EINVAL);
    assert_string_equal(gw_frame_format_name(GW_FRAME_NFORMATS), "?");
}

static void test_length_prefix_valid(void **state)
{
    static const char *const want[] = {"abc", "", "z"};
    fcfg c;

    (void)state;
    c = cfg_of(GW_FRAME_U8);
    expect(&c,
           VEC("\x03"
               "abc\x00\x01z"),
           want, 3, 0, 0);
    c = cfg_of(GW_FRAME_U16BE);
    expect(&c,
           VEC("\x00\x03"
               "abc\x00\x00\x00\x01z"),
           want, 3, 0, 0);
    c = cfg_of(GW_FRAME_U16LE);
    expect(&c,
           VEC("\x03\x00"
               "abc\x00\x00\x01\x00z"),
           want, 3, 0, 0);
    c = cfg_of(GW_FRAME_U32BE);
    expect(&c,
           VEC("\x00\x00\x00\x03"
               "abc\x00\x00\x00\x00\x00\x00\x00\x01z"),
           want, 3, 0, 0);
    c = cfg_of(GW_FRAME_U32LE);
    expect(&c,
           VEC("\x03\x00\x00\x00"
               "abc\x00\x00\x00\x00\x01\x00\x00\x00z"),
           want, 3, 0, 0);
    c = cfg_of(GW_FRAME_U64BE);
    expect(&c,
           VEC("\0\0\0\0\0\0\0\x03"
               "abc\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01z"),
           want, 3, 0, 0);
    c = cfg_of(GW_FRAME_U64LE);
    expect(&c,
           VEC("\x03\0\0\0\0\0\0\0"
               "abc\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0z"),
           want, 3, 0, 0);
    /* Empty input: a clean end with no records. */
    c = cfg_of(GW_FRAME_U32BE);
    expect(&c, "", 0, want, 0, 0, 0);
}

static void test_length_prefix_bad(void **state)
{
    fcfg c;

    (void)state;
    /* A declared length far above the limit, with few bytes behind it. */
    c = cfg_of(GW_FRAME_U64BE);
    expect(&c,
           VEC("\xff\xff\xff\xff\xff\xff\xff\xff"
               "abc"),
           NULL, 0, GW_ERECORD_TOO_LARGE, 0);
    c = cfg_of(GW_FRAME_U32LE);
    c.lim.max_record = 4;
    expect(&c, VEC("\x01\0\0\0x\x05\0\0\0hello"), (const char *const[]){"x"}, 1,
           GW_ERECORD_TOO_LARGE, 5);
    /* End of input inside a header, and inside a payload. */
    c = cfg_of(GW_FRAME_U32BE);
    expect(&c, VEC("\x00\x00"), NULL, 0, GW_ETRUNCATED, 2);
    expect(&c,
           VEC("\x00\x00\x00\x05"
               "ab"),
           NULL, 0, GW_ETRUNCATED, 6);
    c = cfg_of(GW_FRAME_U16LE);
    expect(&c, VEC("\x01\x00z\x02"), (const char *const[]){"z"}, 1, GW_ETRUNCATED, 4);
    /* A flood of empty records. */
    c = cfg_of(GW_FRAME_U8);
    c.lim.max_empty = 3;
    expect(&c, VEC("\x00\x00\x00\x01x\x00\x00\x00\x00"),
           (const char *const[]){"", "", "", "x", "", "", ""}, 7, GW_ETOO_MANY_EMPTY, 8);
}

static void test_varint(void **state)
{
    static const char *const want[] = {"abc", ""};
    static const char *const one5[] = {"abcde"};
    char big[3 + 200];
    fcfg c = cfg_of(GW_FRAME_VARINT);

    (void)state;
    expect(&c,
           VEC("\x03"
               "abc\x00"),
           want, 2, 0, 0);
    /* A two-byte length: 200 = 0xC8 0x01, larger than the 64-byte buffer. */
    big[0] = (char)0xc8;
    big[1] = 0x01;
    memset(big + 2, 'v', 200);
    big[202] = 0;
    {
        char rec[201];
        const char *w[1] = {rec};
        memset(rec, 'v', 200);
        rec[200] = 0;
        expect(&c, big, 202, w, 1, 0, 0);
    }
    /* 11 bytes: the 10th byte is above 0x01. */
    expect(&c, VEC("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), NULL, 0, GW_EVARINT, 9);
    expect(&c, VEC("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"), NULL, 0, GW_EVARINT, 9);
    /* The largest 10-byte varint is well-formed, and far over the limit. */
    expect(&c, VEC("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), NULL, 0, GW_ERECORD_TOO_LARGE, 0);
    /* Cut at end of input. */
    expect(&c, VEC("\x01x\x80\x80"), (const char *const[]){"x"}, 1, GW_ETRUNCATED, 4);
    /* A limit under 127: one-byte lengths are checked too (the inline fast
     * path, which skips the check, is off for such a limit). */
    c.lim.max_record = 5;
    expect(&c, VEC("\005abcde\006abcdef"), one5, 1, GW_ERECORD_TOO_LARGE, 6);
}

static void test_lines(void **state)
{
    static const char *const want[] = {"abc", "de", "", "", "last"};
    char longline[100];
    fcfg c = cfg_of(GW_FRAME_LINES);

    (void)state;
    expect(&c, VEC("abc\nde\r\n\n\r\nlast"), want, 5, 0, 0);
    expect(&c, VEC("abc\nde\r\n\n\r\nlast\n"), want, 5, 0, 0);
    /* A CR not before an LF is data. */
    expect(&c, VEC("a\rb\nx\r"), (const char *const[]){"a\rb", "x\r"}, 2, 0, 0);
    /* A line of exactly max_line (62) with its CR LF is fine; one more byte
     * is not, and neither is a line that never ends. */
    memset(longline, 'L', sizeof(longline));
    longline[62] = '\r';
    longline[63] = '\n';
    {
        char rec[63];
        const char *w[1] = {rec};
        memset(rec, 'L', 62);
        rec[62] = 0;
        expect(&c, longline, 64, w, 1, 0, 0);
    }
    longline[62] = 'L';
    longline[63] = '\r';
    longline[64] = '\n';
    expect(&c, longline, 65, NULL, 0, GW_ELINE_TOO_LONG, 0);
    expect(&c, longline, 64, NULL, 0, GW_ELINE_TOO_LONG, 0);
    expect(&c, VEC("ok\nLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"),
           (const char *const[]){"ok"}, 1, GW_ELINE_TOO_LONG, 3);
    /* An unterminated last line within the limit is a record. */
    expect(&c, VEC("ok\nLLL"), (const char *const[]){"ok", "LLL"}, 2, 0, 0);
    /* Empty lines past the limit. */
    c.lim.max_empty = 2;
    expect(&c, VEC("\n\r\nx\n\n\n\n"), (const char *const[]){"", "", "x", "", ""}, 5,
           GW_ETOO_MANY_EMPTY, 7);
}

static void test_netstring(void **state)
{
    static const char *const want[] = {"abc", "", "hello"};
    fcfg c = cfg_of(GW_FRAME_NETSTRING);

    (void)state;
    expect(&c, VEC("3:abc,0:,5:hello,"), want, 3, 0, 0);
    /* Leading zero, missing comma, too many digits, sign, non-digit. */
    expect(&c, VEC("03:abc,"), NULL, 0, GW_ENETSTRING, 1);
    expect(&c, VEC("00:,"), NULL, 0, GW_ENETSTRING, 1);
    expect(&c, VEC("3:abc,3:abcX"), (const char *const[]){"abc"}, 1, GW_ENETSTRING_COMMA, 11);
    /* One rule for a length too long: more than 20 digits, or 20 digits
     * above 2^64 - 1, is a length over any limit, GW_ERECORD_TOO_LARGE at
     * the record's start, however many digits and whatever follows them. */
    expect(&c, VEC("100000000000000000000:"), NULL, 0, GW_ERECORD_TOO_LARGE, 0);
    expect(&c, VEC("999999999999999999999999999999:x,"), NULL, 0, GW_ERECORD_TOO_LARGE, 0);
    expect(&c, VEC("3:abc,12345678901234567890123x"), (const char *const[]){"abc"}, 1,
           GW_ERECORD_TOO_LARGE, 6);
    {
        char many[3001];
        memset(many, '7', 3000);
        many[3000] = ':';
        expect(&c, many, sizeof(many), NULL, 0, GW_ERECORD_TOO_LARGE, 0);
        expect(&c, many, 25, NULL, 0, GW_ERECORD_TOO_LARGE, 0); /* cut short, too */
    }
    expect(&c, VEC("99999999999999999999:"), NULL, 0, GW_ERECORD_TOO_LARGE, 0);
    expect(&c, VEC("-1:x,"), NULL, 0, GW_ENETSTRING, 0);
    expect(&c, VEC("+1:x,"), NULL, 0, GW_ENETSTRING, 0);
    expect(&c, VEC("1a:x,"), NULL, 0, GW_ENETSTRING, 1);
    expect(&c, VEC(":x,"), NULL, 0, GW_ENETSTRING, 0);
    expect(&c, VEC(" 1:x,"), NULL, 0, GW_ENETSTRING, 0);
    /* Truncated in the length, the payload and before the comma. */
    expect(&c, VEC("12"), NULL, 0, GW_ETRUNCATED, 2);
    expect(&c, VEC("5:ab"), NULL, 0, GW_ETRUNCATED, 4);
    expect(&c, VEC("2:ab"), NULL, 0, GW_ETRUNCATED, 4);
}

/* Records larger than the 64-byte buffer: assembled whole in one mode,
 * in pieces joined by the consumer in the other; both checked by expect(). */
static void test_records_larger_than_buffer(void **state)
{
    char in[600], rec[501];
    const char *w[2] = {rec, "tail"};
    size_t i, n;
    fcfg c;

    (void)state;
    for (i = 0; i < 500; i++)
        rec[i] = (char)('a' + i % 26);
    rec[500] = 0;
    c = cfg_of(GW_FRAME_U32BE);
    memcpy(in, "\x00\x00\x01\xf4", 4);
    memcpy(in + 4, rec, 500);
    memcpy(in + 504, "\x00\x00\x00\x04tail", 8);
    expect(&c, in, 512, w, 2, 0, 0);
    expect(&c, in, 300, w, 0, GW_ETRUNCATED, 300);

    c = cfg_of(GW_FRAME_NETSTRING);
    n = (size_t)sprintf(in, "500:");
    memcpy(in + n, rec, 500);
    n += 500;
    memcpy(in + n, ",4:tail,", 8);
    expect(&c, in, n + 8, w, 2, 0, 0);
    in[n] = ';';
    expect(&c, in, n + 8, w, 0, GW_ENETSTRING_COMMA, n);
    expect(&c, in, n, w, 0, GW_ETRUNCATED, n);
}

/* The pure header core: lengths, incomplete prefixes, errors with the
 * index of the bad byte, the same answer however much has arrived. */
static void test_header_core(void **state)
{
    static const struct {
        gw_frame_format fmt;
        const char *in;
        size_t len;
        int ret;
        uint64_t plen;
        size_t bad;
    } v[] = {
        {GW_FRAME_NETSTRING, "12:abc", 6, 3, 12, 0},
        {GW_FRAME_NETSTRING, "0:,", 3, 2, 0, 0},
        {GW_FRAME_NETSTRING, "18446744073709551615:", 21, 21, UINT64_MAX, 0},
        {GW_FRAME_NETSTRING, "18446744073709551616:", 21, GW_ERECORD_TOO_LARGE, 0, 0},
        {GW_FRAME_NETSTRING, "012:", 4, GW_ENETSTRING, 0, 1},
        {GW_FRAME_NETSTRING, "123456789012345678901", 21, GW_ERECORD_TOO_LARGE, 0, 0},
        {GW_FRAME_NETSTRING, "99999999999999999999", 20, GW_ERECORD_TOO_LARGE, 0, 0},
        {GW_FRAME_NETSTRING, "100000000000000000000:", 22, GW_ERECORD_TOO_LARGE, 0, 0},
        {GW_FRAME_NETSTRING, "1x:", 3, GW_ENETSTRING, 0, 1},
        {GW_FRAME_NETSTRING, ":", 1, GW_ENETSTRING, 0, 0},
        {GW_FRAME_VARINT, "\xac\x02", 2, 2, 300, 0},
        {GW_FRAME_VARINT, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, 10, UINT64_MAX, 0},
        {GW_FRAME_VARINT, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, GW_EVARINT, 0, 9},
        {GW_FRAME_U32BE, "\0\0\1\0", 4, 4, 256, 0},
        {GW_FRAME_U16LE, "\1\2", 2, 2, 0x201, 0},
        {GW_FRAME_U64BE, "\0\0\0\0\0\0\0\7", 8, 8, 7, 0},
        {GW_FRAME_LINES, "abc\n", 4, GW_EINVAL, 0, 0},
    };
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint64_t plen = 77;
        size_t bad = 99;
        int r = gw_frame_header_parse(v[i].fmt, v[i].in, v[i].len, &plen, &bad);

        assert_int_equal(r, v[i].ret);
        if (r > 0) {
            assert_int_equal(plen, v[i].plen);
            for (k = 0; k < (size_t)r; k++)
                assert_int_equal(gw_frame_header_parse(v[i].fmt, v[i].in, k, &plen, NULL), 0);
        } else {
            assert_int_equal(bad, v[i].bad);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_and_names),
        cmocka_unit_test(test_length_prefix_valid),
        cmocka_unit_test(test_length_prefix_bad),
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_netstring),
        cmocka_unit_test(test_records_larger_than_buffer),
        cmocka_unit_test(test_header_core),
    };

    return cmocka_run_group_tests_name("framing", tests, NULL, NULL);
}
