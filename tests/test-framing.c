/*
 * Tests of the record readers (parsers/framing/records.c): valid vectors of
 * every format, the bad inputs each must reject with its own error and
 * offset, records and lines larger than the buffer (assembled and
 * streamed), limits that hold however the input arrives, sticky errors
 * (cancel and a failed init included), and what zero means in the limits.
 * Every decode goes through gwt_check_splits (frame-check.h): the whole
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

/* A reader refuses configurations it cannot honour, and nothing else:
 * small inputs in memory and lines longer than the buffer just work. */
static void test_reader_init(void **state)
{
    uint8_t mem[16];
    gw_mempipe pipe;
    gw_bufreader br, small, tiny;
    gw_record_reader rr;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 8), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 1024), 0);
    assert_int_equal(gw_bufreader_init(&tiny, &pipe.r, 31), 0);
    memset(mem, 0, sizeof(mem));
    gw_bufreader_init_mem(&small, mem, sizeof(mem));
    assert_int_equal(gw_record_reader_init(&rr, &small, GW_FRAME_U8, NULL, 0), 0);
    assert_int_equal(gw_record_reader_init(&rr, &small, GW_FRAME_NETSTRING, NULL, 0), 0);
    /* Lines with the default 64 KiB limit over a 1 KiB buffer. */
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_LINES, NULL, 0), 0);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_LINES, NULL, GW_RECORD_STREAM), 0);
    /* Over a stream, a buffer too small for the longest header. */
    assert_int_equal(gw_record_reader_init(&rr, &tiny, GW_FRAME_U8, NULL, 0), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_NFORMATS, NULL, 0), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U8, NULL, 7), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, NULL, GW_FRAME_U8, NULL, 0), GW_EINVAL);
    /* A failed init sticks: the reader fails every call with it. */
    assert_int_equal(rr.err, GW_EINVAL);
    assert_int_equal(gw_record_try_next(&rr), 0);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
    gw_record_reader_fini(&rr);
    gw_bufreader_fini(&tiny);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* A reader that was never initialised (all zeros) is refused, not run. */
static void test_reader_zeroed(void **state)
{
    gw_record_reader rr;

    (void)state;
    memset(&rr, 0, sizeof(rr));
    assert_int_equal(gw_record_try_next(&rr), 0);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
    assert_int_equal(rr.err, GW_EINVAL);
}

/* Defect 3: the lines limit is the same whether or not the LF came. */
static void test_lines_limit_without_lf(void **state)
{
    char in[80], rec[64];
    const char *w[1] = {rec};
    fcfg c = cfg_of(GW_FRAME_LINES); /* max_line 62 */

    (void)state;
    memset(in, 'L', sizeof(in));
    memset(rec, 'L', 62);
    rec[62] = 0;
    /* 62 bytes: a record, with its LF or without. */
    expect(&c, in, 62, w, 1, 0, 0);
    in[62] = '\n';
    expect(&c, in, 63, w, 1, 0, 0);
    /* 63 bytes: too long, without its LF as with it. */
    in[62] = 'L';
    expect(&c, in, 63, NULL, 0, GW_ELINE_TOO_LONG, 0);
    in[63] = '\n';
    expect(&c, in, 64, NULL, 0, GW_ELINE_TOO_LONG, 0);
    /* A CR is dropped only before an LF: at end of input it is data. */
    in[62] = '\r';
    in[63] = '\n';
    expect(&c, in, 64, w, 1, 0, 0);
    expect(&c, in, 63, NULL, 0, GW_ELINE_TOO_LONG, 0);
    /* After a good line, at that line's offset. */
    memcpy(in, "ok\n", 3);
    memset(in + 3, 'L', 63);
    expect(&c, in, 66, (const char *const[]){"ok"}, 1, GW_ELINE_TOO_LONG, 3);
}

/* Lines longer than the 64-byte buffer: assembled or streamed, with a CR
 * before the LF dropped wherever the buffer boundary falls, up to the
 * limit, with and without the LF. */
static void test_lines_longer_than_buffer(void **state)
{
    char in[900], a[400], b[400];
    const char *w[3] = {a, b, "end"};
    size_t k, n;
    fcfg c = cfg_of(GW_FRAME_LINES);

    (void)state;
    c.lim.max_line = 300;
    for (k = 58; k < 72; k++) {
        /* a: k bytes then CR LF; b: a CR inside, then CR CR LF. */
        memset(a, 'A', k);
        a[k] = 0;
        memset(b, 'B', 100);
        b[40] = '\r';
        b[100] = '\r';
        b[101] = 0;
        n = (size_t)sprintf(in, "%s\r\n%s\r\nend", a, b);
        expect(&c, in, n, w, 3, 0, 0);
        /* The end of input after a CR: the CR is data. */
        n = (size_t)sprintf(in, "%s\r\n%s", a, b);
        expect(&c, in, n, w, 2, 0, 0);
    }
    /* The limit: 300 is fine, 301 is not, with or without the LF. */
    memset(a, 'A', 300);
    a[300] = 0;
    memset(in, 'A', 302);
    in[300] = '\r';
    in[301] = '\n';
    expect(&c, in, 302, w, 1, 0, 0);
    expect(&c, in, 300, w, 1, 0, 0);
    expect(&c, in, 301, NULL, 0, GW_ELINE_TOO_LONG, 0); /* 300 and a CR */
    in[300] = 'A';
    expect(&c, in, 302, NULL, 0, GW_ELINE_TOO_LONG, 0);
    expect(&c, in, 301, NULL, 0, GW_ELINE_TOO_LONG, 0);
    memcpy(in, "ok\n", 3);
    memset(in + 3, 'L', 400);
    expect(&c, in, 403, (const char *const[]){"ok"}, 1, GW_ELINE_TOO_LONG, 3);
    /* A fuzz finding (fuzz/crashes/frame-lines): with the empty-record
     * limit on, a line longer than the buffer did not reset the count of
     * consecutive empty lines, so the empties after it were refused. */
    {
        char l[101];
        const char *we[6] = {"", "", l, "", "", "x"};
        fcfg e = c;

        memset(l, 'A', 100);
        l[100] = 0;
        e.lim.max_empty = 2;
        n = (size_t)sprintf(in, "\n\n%s\n\n\nx\n", l);
        expect(&e, in, n, we, 6, 0, 0);
        n = (size_t)sprintf(in, "\n\n%s\n\n\n\n", l);
        expect(&e, in, n, we, 5, GW_ETOO_MANY_EMPTY, n - 1);
    }
    /* The default limit (64 KiB) over the 64-byte buffer. */
    c.lim.max_line = 0;
    memset(in, 'D', 650);
    in[650] = '\n';
    memcpy(in + 651, "end", 3);
    {
        char d[651];
        const char *wd[2] = {d, "end"};
        memset(d, 'D', 650);
        d[650] = 0;
        expect(&c, in, 654, wd, 2, 0, 0);
    }
}

/* Inputs in memory shorter than any buffer a stream would need. */
static void test_small_memory(void **state)
{
    static const struct {
        gw_frame_format fmt;
        const char *in;
        size_t len, nrec;
    } cases[] = {
        // clang-format off
        {GW_FRAME_U8, "\x02hi\x00", 4, 2},
        {GW_FRAME_U32BE, "\0\0\0\x01z", 5, 1},
        {GW_FRAME_NETSTRING, "2:hi,", 5, 1},
        {GW_FRAME_LINES, "a\nbc", 4, 2},
        {GW_FRAME_VARINT, "", 0, 0},
        // clang-format on
    };
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_bufreader br;
        gw_record_reader rr;
        gw_io_op *op;

        gw_bufreader_init_mem(&br, cases[i].in, cases[i].len);
        assert_int_equal(gw_record_reader_init(&rr, &br, cases[i].fmt, NULL, 0), 0);
        for (n = 0;; n++) {
            op = gw_record_next(&rr);
            if (gwt_run_op(op) != 1)
                break;
        }
        assert_int_equal(op->ret, 0);
        assert_int_equal(n, cases[i].nrec);
        gw_record_reader_fini(&rr);
    }
}

/* 0 in a limit is its default; GW_UNLIMITED switches it off. */
static void test_zero_means_default(void **state)
{
    char big[1000];
    const char *w[1] = {big};
    fcfg c = cfg_of(GW_FRAME_U32BE);

    (void)state;
    memset(&c.lim, 0, sizeof(c.lim));
    memset(big, 'z', 999);
    big[999] = 0;
    memcpy(big, "\0\0\x03\xe3", 4); /* 995: u32be header, then 995 'z' */
    {
        char rec[996];
        const char *wr[1] = {rec};
        memset(rec, 'z', 995);
        rec[995] = 0;
        expect(&c, big, 999, wr, 1, 0, 0);
    }
    c.fmt = GW_FRAME_LINES;
    memset(big, 'l', 999);
    expect(&c, big, 999, w, 1, 0, 0);
    /* Unlimited: a 9 MiB record in memory, in place. */
    {
        size_t len = (9u << 20) + 8;
        uint8_t *m = calloc(1, len);
        gw_bufreader br;
        gw_record_reader rr;
        gw_frame_limits lim = {GW_UNLIMITED, (size_t)GW_UNLIMITED, GW_UNLIMITED};

        assert_non_null(m);
        m[5] = 0x90; /* u64be 0x900000: 9 MiB */
        gw_bufreader_init_mem(&br, m, len);
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U64BE, &lim, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), 1);
        assert_int_equal(rr.len, 9u << 20);
        assert_ptr_equal(rr.data, m + 8);
        gw_bufreader_init_mem(&br, m, len);
        memset(&lim, 0, sizeof(lim));
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U64BE, &lim, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ERECORD_TOO_LARGE);
        free(m);
    }
}

/* op->n of gw_record_next is the bytes handed out, as io.h defines it. */
static void test_next_n_is_length(void **state)
{
    uint8_t in[200];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_record_reader rr;
    gw_io_op *op;
    int mode;

    (void)state;
    memset(in, 'q', sizeof(in));
    memcpy(in, "\0\0\0\x01x\0\0\0\x64", 9); /* "x", then a 100-byte record */
    for (mode = 0; mode < 2; mode++) {
        size_t got = 0;

        assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U32BE, NULL, mode), 0);
        gw_mempipe_feed(&pipe, in, 109);
        gw_mempipe_finish(&pipe);
        while ((op = gw_record_next(&rr), gwt_run_op(op)) == 1) {
            assert_int_equal(op->n, rr.len);
            got += op->n;
            assert_int_equal(rr.offset, got == 1 ? 0 : 5);
        }
        assert_int_equal(op->ret, 0);
        assert_int_equal(got, 101);
        gw_record_reader_fini(&rr);
        gw_bufreader_fini(&br);
        gw_mempipe_fini(&pipe);
    }
}

/* Defect 7: a reader cancelled wherever it waits (a header, a record that
 * fits the buffer, a payload or a line larger than it, a netstring's ',')
 * keeps GW_ECANCELLED; in stream mode it does not go on with a piece. */
static void test_reader_cancel_sticks(void **state)
{
    static const gw_frame_format fmts[] = {GW_FRAME_U32BE, GW_FRAME_VARINT, GW_FRAME_U16LE,
                                           GW_FRAME_LINES, GW_FRAME_NETSTRING};
    uint8_t big[100];
    const uint8_t *recs[4] = {(const uint8_t *)"abc", (const uint8_t *)"", big,
                              (const uint8_t *)"tail"};
    size_t lens[4] = {3, 0, sizeof(big), 4}, f, cut, suspended = 0;
    int mode;

    (void)state;
    memset(big, 'b', sizeof(big));
    for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        gwt_result enc;

        encode_records(fmts[f], recs, lens, 4, &enc);
        for (mode = 0; mode < 2; mode++) {
            for (cut = 0; cut <= enc.len; cut++) {
                gw_mempipe pipe;
                gw_bufreader br;
                gw_record_reader rr;
                gw_record_scan sc;
                gwt_result out;
                consumer c;
                gw_wait w;
                gw_stack st;

                memset(&out, 0, sizeof(out));
                assert_int_equal(gw_mempipe_init(&pipe, 512), 0);
                assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
                assert_int_equal(gw_record_reader_init(&rr, &br, fmts[f], NULL, mode), 0);
                memset(&c, 0, sizeof(c));
                GW_INIT(&c, consumer);
                c.rr = &rr;
                c.out = &out;
                c.limit = GW_FRAME_DEFAULT_MAX_RECORD;
                gw_mempipe_feed(&pipe, enc.data, cut);
                GW_START(&st, &c, &w);
                assert_int_equal(gw_next(&st), GW_YIELDED); /* the input has not ended */
                suspended++;
                gw_stack_close(&st);
                assert_int_equal(rr.err, GW_ECANCELLED);
                gw_mempipe_feed(&pipe, enc.data + cut, enc.len - cut);
                gw_mempipe_finish(&pipe);
                assert_int_equal(gw_record_try_next(&rr), 0);
                gw_record_scan_begin(&rr, &sc);
                assert_int_equal(gw_record_scan_next(&rr, &sc), 0);
                gw_record_scan_end(&rr, &sc);
                assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ECANCELLED);
                gwt_result_free(&out);
                gwt_result_free(&c.piece);
                gw_record_reader_fini(&rr);
                gw_bufreader_fini(&br);
                gw_mempipe_fini(&pipe);
            }
        }
        gwt_result_free(&enc);
    }
    assert_true(suspended > 500);
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
        cmocka_unit_test(test_reader_init),
        cmocka_unit_test(test_reader_zeroed),
        cmocka_unit_test(test_lines_limit_without_lf),
        cmocka_unit_test(test_lines_longer_than_buffer),
        cmocka_unit_test(test_small_memory),
        cmocka_unit_test(test_zero_means_default),
        cmocka_unit_test(test_next_n_is_length),
        cmocka_unit_test(test_reader_cancel_sticks),
        cmocka_unit_test(test_header_core),
    };

    return cmocka_run_group_tests_name("framing", tests, NULL, NULL);
}
