/*
 * Tests of the RESP reader (parsers/resp/resp-read.c, include/genwire/resp.h):
 * every RESP2 and RESP3 type and every class of bad input, each vector
 * through gwt_check_splits (whole, every split point, a byte at a time,
 * random pieces) under two bufreader capacities (64 bytes, so that long
 * strings come in pieces, and 4096) and over plain memory.  Each event is
 * serialised as one record, "depth:type:payload", string pieces joined, so
 * that a vector's expected output is one line of text; errors are checked
 * with their offset, and for stickiness.  Tree and writer tests are in
 * test-resp-tree.c.
 */
#include "resp-check.h"

/* ---- every type ------------------------------------------------------------- */

static void test_resp2_types(void **state)
{
    (void)state;
    expect("+OK\r\n", "0:simple:OK", 0, 0);
    expect("+\r\n", "0:simple:", 0, 0);
    expect("-ERR unknown command\r\n", "0:error:ERR unknown command", 0, 0);
    expect(":0\r\n:-12\r\n:+7\r\n", "0:integer:0|0:integer:-12|0:integer:7", 0, 0);
    expect(":9223372036854775807\r\n:-9223372036854775808\r\n",
           "0:integer:9223372036854775807|0:integer:-9223372036854775808", 0, 0);
    expect("$5\r\nhello\r\n$0\r\n\r\n", "0:bulk:hello|0:bulk:", 0, 0);
    expect("$4\r\na\r\nb\r\n", "0:bulk:a\r\nb", 0, 0);
    expect("$-1\r\n*-1\r\n", "0:null:$|0:null:*", 0, 0);
    expect("*2\r\n$3\r\nGET\r\n:1\r\n", "0:array[2]|1:bulk:GET|1:integer:1|0:end:array", 0, 0);
    expect("*0\r\n", "0:array[0]|0:end:array", 0, 0);
    expect("*2\r\n*1\r\n+a\r\n*0\r\n",
           "0:array[2]|1:array[1]|2:simple:a|1:end:array|1:array[0]|1:end:array|0:end:array", 0, 0);
    expect("*3\r\n$-1\r\n*-1\r\n:5\r\n", "0:array[3]|1:null:$|1:null:*|1:integer:5|0:end:array", 0,
           0);
    expect("", "", 0, 0);
}

static void test_resp3_types(void **state)
{
    (void)state;
    expect("_\r\n", "0:null:_", 0, 0);
    expect(",3.141\r\n,-1.5e-3\r\n,10\r\n,1E+2\r\n",
           "0:double:3.141=3.141|0:double:-1.5e-3=-0.0015|0:double:10=10|0:double:1E+2=100", 0, 0);
    expect(",inf\r\n,-inf\r\n,nan\r\n", "0:double:inf=inf|0:double:-inf=-inf|0:double:nan=nan", 0,
           0);
    expect("#t\r\n#f\r\n", "0:boolean:t|0:boolean:f", 0, 0);
    expect("!21\r\nSYNTAX invalid syntax\r\n", "0:blob-error:SYNTAX invalid syntax", 0, 0);
    expect("=15\r\ntxt:Some string\r\n", "0:verbatim/txt:Some string", 0, 0);
    expect("=4\r\nmkd:\r\n", "0:verbatim/mkd:", 0, 0);
    expect("(3492890328409238509324850943850943825024385\r\n",
           "0:bignum:3492890328409238509324850943850943825024385", 0, 0);
    expect("(-1\r\n", "0:bignum:-1", 0, 0);
    expect("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
           "0:map[2]|1:simple:first|1:integer:1|1:simple:second|1:integer:2|0:end:map", 0, 0);
    expect("~3\r\n+a\r\n+b\r\n#t\r\n", "0:set[3]|1:simple:a|1:simple:b|1:boolean:t|0:end:set", 0,
           0);
    expect(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
           "0:push[3]|1:bulk:message|1:bulk:ch|1:bulk:hi|0:end:push", 0, 0);
    expect("%0\r\n~0\r\n>0\r\n", "0:map[0]|0:end:map|0:set[0]|0:end:set|0:push[0]|0:end:push", 0,
           0);
}

static void test_attributes(void **state)
{
    (void)state;
    /* Top level: the attributes, then the value they belong to. */
    expect("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n",
           "0:attribute[1]|1:simple:key-popularity|1:map[1]|2:bulk:a|2:double:0.19=0.19|1:end:"
           "map|0:end:attribute|0:array[2]|1:integer:2039123|1:integer:9543892|0:end:array",
           0, 0);
    /* Inside an aggregate: not counted as a member. */
    expect("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
           "0:array[2]|1:integer:1|1:attribute[1]|2:simple:ttl|2:integer:3600|1:end:attribute|1:"
           "integer:2|0:end:array",
           0, 0);
    expect("|0\r\n+x\r\n", "0:attribute[0]|0:end:attribute|0:simple:x", 0, 0);
    /* On a push message. */
    expect("|1\r\n+a\r\n+b\r\n>1\r\n+c\r\n",
           "0:attribute[1]|1:simple:a|1:simple:b|0:end:attribute|0:push[1]|1:simple:c|0:end:push",
           0, 0);
    /* Attributes must have a value. */
    expect("|1\r\n+a\r\n+b\r\n", "0:attribute[1]|1:simple:a|1:simple:b|0:end:attribute",
           GW_ETRUNCATED, 12);
    expect("*?\r\n|0\r\n.\r\n", "0:array[-1]|1:attribute[0]|1:end:attribute", GW_ERESP_ATTRIBUTE,
           8);
    expect("|0\r\n|0\r\n", "0:attribute[0]|0:end:attribute", GW_ERESP_ATTRIBUTE, 4);
    expect("|?\r\n", "", GW_ERESP_LENGTH, 0);
}

static void test_streamed(void **state)
{
    (void)state;
    expect("$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", "0:bulk~:Hello word", 0, 0);
    expect("$?\r\n;0\r\n", "0:bulk~:", 0, 0);
    expect("*?\r\n:1\r\n:2\r\n.\r\n", "0:array[-1]|1:integer:1|1:integer:2|0:end:array", 0, 0);
    expect("~?\r\n+a\r\n.\r\n", "0:set[-1]|1:simple:a|0:end:set", 0, 0);
    expect("%?\r\n+a\r\n:1\r\n.\r\n", "0:map[-1]|1:simple:a|1:integer:1|0:end:map", 0, 0);
    expect("*?\r\n.\r\n", "0:array[-1]|0:end:array", 0, 0);
    expect("*?\r\n*?\r\n$?\r\n;1\r\nx\r\n;0\r\n.\r\n.\r\n",
           "0:array[-1]|1:array[-1]|2:bulk~:x|1:end:array|0:end:array", 0, 0);
    /* Malformed streamed forms. */
    expect("%?\r\n+a\r\n.\r\n", "0:map[-1]|1:simple:a", GW_ERESP_STREAM, 8);
    expect(".\r\n", "", GW_ERESP_STREAM, 0);
    expect("*1\r\n.\r\n", "0:array[1]", GW_ERESP_STREAM, 4);
    expect("*?\r\n.x\r\n", "0:array[-1]", GW_ERESP_STREAM, 4);
    expect(";3\r\nabc\r\n", "", GW_ERESP_STREAM, 0);
    expect("$?\r\n+a\r\n", "", GW_ERESP_STREAM, 4);
    expect("$?\r\n;x\r\n", "", GW_ERESP_LENGTH, 4);
    expect("$?\r\n;-1\r\n", "", GW_ERESP_LENGTH, 4);
    expect("$?\r\n;2\r\nabc\r\n", "", GW_ERESP_CRLF, 10);
    expect("!?\r\n", "", GW_ERESP_LENGTH, 0);
    expect(">?\r\n", "", GW_ERESP_LENGTH, 0);
    expect("*?\r\n:1\r\n", "0:array[-1]|1:integer:1", GW_ETRUNCATED, 8);
}

/* Strings longer than the buffer come in pieces; joined they are whole. */
static void test_long_strings(void **state)
{
    static char in[5000], want[128];
    rcfg cfg = cfg_default(0);
    size_t n;

    (void)state;
    n = (size_t)sprintf(in, "$3000\r\n");
    memset(in + n, 'x', 3000);
    n += 3000;
    n += (size_t)sprintf(in + n, "\r\n=204\r\ntxt:");
    memset(in + n, 'y', 200);
    n += 200;
    n += (size_t)sprintf(in + n, "\r\n*1\r\n!100\r\n");
    memset(in + n, 'z', 100);
    n += 100;
    n += (size_t)sprintf(in + n, "\r\n");
    snprintf(want, sizeof(want),
             "0:bulk:<3000 bytes>|0:verbatim/txt:<200 bytes>|0:array[1]|1:blob-error:<100 "
             "bytes>|0:end:array");
    expect_cfg(&cfg, in, n, want, 0, 0);
    /* A bad CRLF after a long string, and truncation inside one. */
    in[7 + 3000] = 'q';
    expect_cfg(&cfg, in, n, "", GW_ERESP_CRLF, 3007);
    expect_cfg(&cfg, in, 1000, "", GW_ETRUNCATED, 1000);
    /* A long verbatim string without its colon. */
    n = (size_t)sprintf(in, "=300\r\ntxtx");
    memset(in + n, 'y', 296);
    n += 296;
    n += (size_t)sprintf(in + n, "\r\n");
    expect_cfg(&cfg, in, n, "", GW_ERESP_VERBATIM, 0);
}

/* ---- bad input ----------------------------------------------------------------- */

/* Fuzz finding (resp-split, a hang): a verbatim string longer than the
 * buffer whose text is empty, with an 8-byte buffer. */
static void test_verbatim_small_buffer(void **state)
{
    rcfg cfg = cfg_default(8);

    (void)state;
    expect_cfg(&cfg, "=4\r\ntxt:abc\r\n", 13, "", GW_ERESP_CRLF, 8);
    expect_cfg(&cfg, "=4\r\ntxt:\r\n(23\r\n", 15, "0:verbatim/txt:|0:bignum:23", 0, 0);
    expect_cfg(&cfg, "=5\r\ntxt:x\r\n", 11, "0:verbatim/txt:x", 0, 0);
}

static void test_bad_type(void **state)
{
    static const vec v[] = {
        {"x\r\n", "", GW_ERESP_TYPE, 0},
        {"+OK\r\n@", "0:simple:OK", GW_ERESP_TYPE, 5},
        {"*2\r\n:1\r\nhello\r\n", "0:array[2]|1:integer:1", GW_ERESP_TYPE, 8},
        {"\r\n", "", GW_ERESP_TYPE, 0},
        {" +OK\r\n", "", GW_ERESP_TYPE, 0},
    };

    (void)state;
    expect_all(v, sizeof(v) / sizeof(v[0]));
}

static void test_bad_lengths(void **state)
{
    static const vec v[] = {
        {"$\r\n", "", GW_ERESP_LENGTH, 0},
        {"$-2\r\n", "", GW_ERESP_LENGTH, 0},
        {"$+5\r\nhello\r\n", "", GW_ERESP_LENGTH, 0},
        {"$5x\r\nhello\r\n", "", GW_ERESP_LENGTH, 0},
        {"$ 5\r\nhello\r\n", "", GW_ERESP_LENGTH, 0},
        {"$1234567890123456789\r\n", "", GW_ERESP_LENGTH, 0},
        {"*-2\r\n", "", GW_ERESP_LENGTH, 0},
        {"*a\r\n", "", GW_ERESP_LENGTH, 0},
        {"%-1\r\n", "", GW_ERESP_LENGTH, 0},
        {"!-1\r\n", "", GW_ERESP_LENGTH, 0},
        {"=3\r\ntxt\r\n", "", GW_ERESP_VERBATIM, 0},
        {"=5\r\ntxt-a\r\n", "", GW_ERESP_VERBATIM, 0},
        /* Fuzz findings (resp-split): the format is checked before the CRLF
         * after the payload, and as soon as its 4 bytes are here. */
        {"=5\r\nabcdeXY", "", GW_ERESP_VERBATIM, 0},
        {"=5\r\nabcd", "", GW_ERESP_VERBATIM, 0},
        {"=9\r\nabcdefgh\r\n", "", GW_ERESP_VERBATIM, 0},
        {"$3\r\nhello\r\n", "", GW_ERESP_CRLF, 7},
        {"$6\r\nhello\r\n", "", GW_ERESP_CRLF, 10},
        {"$5\r\nhello\r\r", "", GW_ERESP_CRLF, 10},
        {"$5\r\nhelloXY", "", GW_ERESP_CRLF, 9},
    };

    (void)state;
    expect_all(v, sizeof(v) / sizeof(v[0]));
}

static void test_bad_numbers(void **state)
{
    static const vec v[] = {
        {":9223372036854775808\r\n", "", GW_ERESP_INTEGER, 0},
        {":-9223372036854775809\r\n", "", GW_ERESP_INTEGER, 0},
        {":99999999999999999999999\r\n", "", GW_ERESP_INTEGER, 0},
        {":\r\n", "", GW_ERESP_INTEGER, 0},
        {":-\r\n", "", GW_ERESP_INTEGER, 0},
        {":1.5\r\n", "", GW_ERESP_INTEGER, 0},
        {": 1\r\n", "", GW_ERESP_INTEGER, 0},
        {"(\r\n", "", GW_ERESP_INTEGER, 0},
        {"(12a\r\n", "", GW_ERESP_INTEGER, 0},
        {",\r\n", "", GW_ERESP_DOUBLE, 0},
        {",1.\r\n", "", GW_ERESP_DOUBLE, 0},
        {",.5\r\n", "", GW_ERESP_DOUBLE, 0},
        {",1e\r\n", "", GW_ERESP_DOUBLE, 0},
        {",Inf\r\n", "", GW_ERESP_DOUBLE, 0},
        {",+inf\r\n", "", GW_ERESP_DOUBLE, 0},
        {",-nan\r\n", "", GW_ERESP_DOUBLE, 0},
        {",0x10\r\n", "", GW_ERESP_DOUBLE, 0},
        {",1 \r\n", "", GW_ERESP_DOUBLE, 0},
        {"#\r\n", "", GW_ERESP_BOOL, 0},
        {"#x\r\n", "", GW_ERESP_BOOL, 0},
        {"#tt\r\n", "", GW_ERESP_BOOL, 0},
        {"#T\r\n", "", GW_ERESP_BOOL, 0},
        {"_x\r\n", "", GW_ERESP_CRLF, 1},
    };

    (void)state;
    expect_all(v, sizeof(v) / sizeof(v[0]));
}

static void test_bad_crlf(void **state)
{
    static const vec v[] = {
        {"+OK\n", "", GW_ERESP_CRLF, 3},
        {"+O\nK\r\n", "", GW_ERESP_CRLF, 2},
        {"+OK\rx\r\n", "", GW_ERESP_CRLF, 4},
        {":1\n", "", GW_ERESP_CRLF, 2},
        {"$1\nx\r\n", "", GW_ERESP_CRLF, 2},
        {"*1\r\n+a\n", "0:array[1]", GW_ERESP_CRLF, 6},
        {"$1\r\nx\n", "", GW_ERESP_CRLF, 5},
        {"$1\r\nx", "", GW_ETRUNCATED, 5},
        {"+OK", "", GW_ETRUNCATED, 3},
        {"+OK\r", "", GW_ETRUNCATED, 4},
        {"*2\r\n+a\r\n", "0:array[2]|1:simple:a", GW_ETRUNCATED, 8},
    };

    (void)state;
    expect_all(v, sizeof(v) / sizeof(v[0]));
}

static void test_push_nested(void **state)
{
    static const vec v[] = {
        {"*1\r\n>1\r\n+a\r\n", "0:array[1]", GW_ERESP_PUSH_NESTED, 4},
        {"%1\r\n+k\r\n>0\r\n", "0:map[1]|1:simple:k", GW_ERESP_PUSH_NESTED, 8},
        {"|1\r\n>0\r\n", "0:attribute[1]", GW_ERESP_PUSH_NESTED, 4},
    };

    (void)state;
    expect_all(v, sizeof(v) / sizeof(v[0]));
}

/* ---- limits ----------------------------------------------------------------------- */

static void test_depth_limit(void **state)
{
    rcfg cfg = cfg_default(0);

    (void)state;
    cfg.lim.max_depth = 2;
    expect_cfg(&cfg, "*1\r\n*1\r\n:1\r\n", 12,
               "0:array[1]|1:array[1]|2:integer:1|1:end:array|0:end:array", 0, 0);
    expect_cfg(&cfg, "*1\r\n*1\r\n*1\r\n:1\r\n", 16, "0:array[1]|1:array[1]", GW_ERESP_DEPTH, 8);
    expect_cfg(&cfg, "*1\r\n*1\r\n|1\r\n", 12, "0:array[1]|1:array[1]", GW_ERESP_DEPTH, 8);
    expect_cfg(&cfg, "*1\r\n|0\r\n:1\r\n", 12,
               "0:array[1]|1:attribute[0]|1:end:attribute|1:integer:1|0:end:array", 0, 0);
    expect_cfg(&cfg, "*1\r\n%1\r\n*0\r\n", 12, "0:array[1]|1:map[1]", GW_ERESP_DEPTH, 8);
    /* The default: 64 levels. */
    {
        static char in[65 * 4 + 1];
        static char want[65 * 16];
        size_t i, w = 0;
        rcfg def = cfg_default(0);
        for (i = 0; i < 65; i++)
            memcpy(in + 4 * i, "*1\r\n", 4);
        for (i = 0; i < 64; i++)
            w += (size_t)sprintf(want + w, "%s%zu:array[1]", i ? "|" : "", i);
        expect_cfg(&def, in, 65 * 4, want, GW_ERESP_DEPTH, 64 * 4);
    }
}

static void test_size_limits(void **state)
{
    rcfg cfg = cfg_default(0);

    (void)state;
    cfg.lim.max_bulk = 5;
    expect_cfg(&cfg, "$5\r\nhello\r\n$6\r\nhello!\r\n", 24, "0:bulk:hello", GW_ERESP_BULK_TOO_LARGE,
               11);
    expect_cfg(&cfg, "!6\r\n", 4, "", GW_ERESP_BULK_TOO_LARGE, 0);
    expect_cfg(&cfg, "$?\r\n;3\r\nabc\r\n;3\r\ndef\r\n;0\r\n", 26, "", GW_ERESP_BULK_TOO_LARGE, 13);
    /* The default bulk limit, 512 MiB: the length alone, nothing allocated. */
    cfg = cfg_default(0);
    expect_cfg(&cfg, "$536870913\r\n", 12, "", GW_ERESP_BULK_TOO_LARGE, 0);
    expect_cfg(&cfg, "$536870912\r\nab", 14, "", GW_ETRUNCATED, 14);

    cfg = cfg_default(0);
    cfg.lim.max_elements = 2;
    expect_cfg(&cfg, "*2\r\n:1\r\n:2\r\n*3\r\n", 16,
               "0:array[2]|1:integer:1|1:integer:2|0:end:array", GW_ERESP_TOO_MANY_ELEMENTS, 12);
    expect_cfg(&cfg, "%3\r\n", 4, "", GW_ERESP_TOO_MANY_ELEMENTS, 0);
    expect_cfg(&cfg, "%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", 20,
               "0:map[2]|1:integer:1|1:integer:2|1:integer:3|1:integer:4|0:end:map", 0, 0);
    expect_cfg(&cfg, "~?\r\n:1\r\n:2\r\n:3\r\n.\r\n", 19, "0:set[-1]|1:integer:1|1:integer:2",
               GW_ERESP_TOO_MANY_ELEMENTS, 12);
    expect_cfg(&cfg, "%?\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n", 24,
               "0:map[-1]|1:integer:1|1:integer:2|1:integer:3|1:integer:4",
               GW_ERESP_TOO_MANY_ELEMENTS, 20);
    /* Attributes are no element of a streamed aggregate: the element over
     * the limit is the one at fault, after them (the attributes once were,
     * at their type byte). */
    expect_cfg(&cfg, "~?\r\n:1\r\n:2\r\n|1\r\n+a\r\n+b\r\n:3\r\n.\r\n", 31,
               "0:set[-1]|1:integer:1|1:integer:2|1:attribute[1]|2:simple:a|2:simple:b|"
               "1:end:attribute",
               GW_ERESP_TOO_MANY_ELEMENTS, 24);
    expect_cfg(&cfg, "%?\r\n:1\r\n:2\r\n:3\r\n|0\r\n:4\r\n|0\r\n:5\r\n", 32,
               "0:map[-1]|1:integer:1|1:integer:2|1:integer:3|1:attribute[0]|1:end:attribute|"
               "1:integer:4|1:attribute[0]|1:end:attribute",
               GW_ERESP_TOO_MANY_ELEMENTS, 28);
    /* A huge declared count allocates nothing and is not an error by itself. */
    cfg = cfg_default(0);
    expect_cfg(&cfg, "*4294967295\r\n:1\r\n", 17, "0:array[4294967295]|1:integer:1", GW_ETRUNCATED,
               17);
    expect_cfg(&cfg, "*4294967296\r\n", 13, "", GW_ERESP_TOO_MANY_ELEMENTS, 0);

    cfg = cfg_default(0);
    cfg.lim.max_total = 3;
    expect_cfg(&cfg, "*2\r\n:1\r\n:2\r\n*2\r\n:1\r\n*1\r\n:2\r\n", 28,
               "0:array[2]|1:integer:1|1:integer:2|0:end:array|0:array[2]|1:integer:1|1:array[1]",
               GW_ERESP_REPLY_TOO_LARGE, 24);
    expect_cfg(&cfg, ":1\r\n:2\r\n:3\r\n:4\r\n", 16,
               "0:integer:1|0:integer:2|0:integer:3|0:integer:4", 0, 0);
}

static void test_line_limit(void **state)
{
    rcfg cfg = cfg_default(0);
    static char in[200];

    (void)state;
    cfg.lim.max_line = 10;
    expect_cfg(&cfg, "+0123456789\r\n", 13, "0:simple:0123456789", 0, 0);
    expect_cfg(&cfg, "+0123456789A\r\n", 14, "", GW_ERESP_LINE_TOO_LONG, 0);
    expect_cfg(&cfg, "+0123456789A", 12, "", GW_ERESP_LINE_TOO_LONG, 0);
    /* Over the limit whatever ends it: a buffer that holds the CR may not
     * hold the byte after it (fuzz-resp-split). */
    expect_cfg(&cfg, "+0123456789A\rx", 14, "", GW_ERESP_LINE_TOO_LONG, 0);
    expect_cfg(&cfg, "+0123456789A\n", 13, "", GW_ERESP_LINE_TOO_LONG, 0);
    expect_cfg(&cfg, "+0123456789\rx", 13, "", GW_ERESP_CRLF, 12);
    expect_cfg(&cfg, "+0123456789", 11, "", GW_ETRUNCATED, 11);
    expect_cfg(&cfg, ":1\r\n-01234567890123\r\n", 21, "0:integer:1", GW_ERESP_LINE_TOO_LONG, 4);
    expect_cfg(&cfg, "$00000000005\r\nhello\r\n", 21, "", GW_ERESP_LINE_TOO_LONG, 0);
    /* The buffer caps the line: 64 bytes hold a line of 61. */
    cfg = cfg_default(64);
    memset(in, 'a', sizeof(in));
    in[0] = '+';
    memcpy(in + 62, "\r\n", 2);
    {
        char want[80] = "0:simple:";
        memset(want + 9, 'a', 61);
        want[70] = 0;
        expect_cfg(&cfg, in, 64, want, 0, 0);
    }
    memcpy(in + 62, "a\r\n", 3);
    expect_cfg(&cfg, in, 65, "", GW_ERESP_LINE_TOO_LONG, 0);
}

/* A value whole in the buffer is returned at once, without waiting for
 * more input (the pipe is fed but not finished). */
static void test_no_wait(void **state)
{
    const char *in = "*2\r\n+a\r\n$3\r\nabc\r\n";
    gw_mempipe pipe;
    gw_bufreader br;
    gw_resp_reader rd;
    int n = 0, r;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
    assert_int_equal(gw_resp_reader_init(&rd, &br, NULL), 0);
    assert_int_equal(gw_mempipe_feed(&pipe, in, strlen(in)), strlen(in));
    while (n < 4) {
        gw_io_op *op = gw_resp_next(&rd);
        gw_wait w;
        gw_stack st;
        GW_START(&st, op, &w);
        assert_int_equal(gw_next(&st), GW_RETURNED);
        r = op->ret;
        assert_int_equal(r, 1);
        n++;
    }
    assert_int_equal(rd.ev.type, GW_RESP_END);
    assert_int_equal(rd.ev.offset, strlen(in)); /* just past the aggregate's last byte */
    assert_true(gw_resp_reader_idle(&rd));
    assert_int_equal(gw_resp_try_next(&rd), 0);
    gw_resp_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* Decodes feed through a source that fails with GW_ECONNRESET along with
 * its last bytes; the source never waits, so neither may the reader. */
static void decode_failing(gwt_feed *feed, gwt_result *out, void *ud)
{
    const rcfg *cfg = ud;
    gwt_failsrc src;
    gw_bufreader br;
    gw_resp_reader rd;
    consumer c;
    gw_wait w;
    gw_stack st;

    gwt_failsrc_init(&src, feed, GW_ECONNRESET);
    assert_int_equal(gw_bufreader_init(&br, &src.r, cfg->bufcap), 0);
    assert_int_equal(gw_resp_reader_init(&rd, &br, &cfg->lim), 0);
    consumer_start(&c, &st, &w, &rd, cfg, out);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    out->err = c.ret;
    out->off = rd.err_off;
    assert_int_equal(gw_resp_try_next(&rd), c.ret);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), c.ret);
    gwt_result_free(&c.piece);
    gw_resp_reader_fini(&rd);
    gw_bufreader_fini(&br);
}

/* A source error that comes with the last bytes: every event those bytes
 * complete is handed out first, then the error at their end, whatever the
 * split (it was the error at once when the bytes came in the read that
 * failed). */
static void test_source_error(void **state)
{
    static const char in[] = ":7\r\n*2\r\n$3\r\nabc\r\n+partial";
    static const char *const want[] = {"", "0:integer:7", "0:integer:7|0:array[2]",
                                       "0:integer:7|0:array[2]|1:bulk:abc",
                                       "0:integer:7|0:array[2]|1:bulk:abc"};
    size_t ends[5] = {3, 6, 10, 17, sizeof(in) - 1}, caps[2] = {16, 4096}, e, k;
    char got[256];

    (void)state;
    for (e = 0; e < 5; e++)
        for (k = 0; k < 2; k++) {
            rcfg cfg = cfg_default(caps[k]);
            gwt_result r;
            gwt_check_splits((const uint8_t *)in, ends[e], decode_failing, &cfg, &r);
            gwt_result_join(&r, '|', got, sizeof(got));
            assert_string_equal(got, want[e]);
            assert_int_equal(r.err, GW_ECONNRESET);
            assert_int_equal(r.off, ends[e]);
            gwt_result_free(&r);
        }
}

static void test_init_errors(void **state)
{
    gw_bufreader br;
    gw_resp_reader rd;
    gw_resp_limits lim = {70000, 0, 0, 0, 0};

    (void)state;
    gw_bufreader_init_mem(&br, "+a\r\n", 4);
    assert_int_equal(gw_resp_reader_init(&rd, &br, &lim), GW_EINVAL);
    assert_int_equal(gw_resp_try_next(&rd), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), GW_EINVAL);
    gw_resp_reader_fini(&rd);
    assert_int_equal(gw_resp_reader_init(&rd, NULL, NULL), GW_EINVAL);
    gw_resp_reader_fini(&rd);
    assert_string_equal(gw_resp_type_name(GW_RESP_MAP), "map");
    assert_string_equal(gw_resp_type_name('?'), "?");
}

/* A reader (and a tree) that was never initialised, all zeros, fails every
 * call with GW_EINVAL, sticky (docs/contracts.md): its state is no state
 * the reader knows, which resp-impl.h's magic first state is there to
 * catch; step() used to look at the NULL source first and crash. */
static void test_zeroed_reader(void **state)
{
    gw_resp_reader rd;
    gw_resp_tree t;
    int pass;

    (void)state;
    memset(&rd, 0, sizeof(rd));
    memset(&t, 0, sizeof(t));
    for (pass = 0; pass < 2; pass++) {
        assert_int_equal(gw_resp_try_next(&rd), GW_EINVAL);
        assert_int_equal(gwt_run_op(gw_resp_next(&rd)), GW_EINVAL);
        assert_int_equal(rd.err, GW_EINVAL);
        assert_int_equal(gw_resp_tree_try_next(&t), GW_EINVAL);
        assert_int_equal(gwt_run_op(gw_resp_tree_next(&t)), GW_EINVAL);
        assert_int_equal(t.rd.err, GW_EINVAL);
    }
    gw_resp_reader_fini(&rd);
    gw_resp_tree_fini(&t);
}

/* GW_RESP_NEXT and GW_RESP_TREE_NEXT evaluate their reader and result
 * arguments once (gen.h, rule 5), on the path that waits too; they used to
 * evaluate the reader twice (gw_resp_try_next, then gw_resp_next) and
 * assign the result twice. */
typedef struct once_drv {
    GW_FRAME(gw_wait);
    gw_resp_reader *rd;
    gw_resp_tree *t;
    gw_io_op *op;
    unsigned rd_evals, t_evals, res_evals;
    int res[4];
} once_drv;

static gw_resp_reader *once_rd(once_drv *s)
{
    s->rd_evals++;
    return s->rd;
}

static gw_resp_tree *once_t(once_drv *s)
{
    s->t_evals++;
    return s->t;
}

static int *once_res(once_drv *s)
{
    return &s->res[s->res_evals++ % 4];
}

GW_GENERATOR(once_drv, NULL);
GW_BODY(once_drv, s)
{
    GW_BEGIN(s);
    GW_RESP_NEXT(s, op, once_rd(s), *once_res(s));
    GW_RESP_TREE_NEXT(s, op, once_t(s), *once_res(s));
    GW_END(s);
}

static void test_next_macros_evaluate_once(void **state)
{
    gw_mempipe pipe[2];
    gw_bufreader br[2];
    gw_resp_reader rd;
    gw_resp_tree t;
    once_drv d;
    gw_wait w;
    gw_stack st;
    int i, fed = 0;

    (void)state;
    for (i = 0; i < 2; i++) {
        assert_int_equal(gw_mempipe_init(&pipe[i], 16), 0);
        assert_int_equal(gw_bufreader_init(&br[i], &pipe[i].r, 16), 0);
    }
    assert_int_equal(gw_resp_reader_init(&rd, &br[0], NULL), 0);
    assert_int_equal(gw_resp_tree_init(&t, &br[1], NULL), 0);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, once_drv);
    d.rd = &rd;
    d.t = &t;
    GW_START(&st, &d, &w);
    /* Each macro finds nothing buffered, waits, and gets its value. */
    while (gw_next(&st) == GW_YIELDED) {
        assert_true(fed < 2);
        assert_int_equal(gw_mempipe_feed(&pipe[fed], fed == 0 ? ":1\r\n" : "+a\r\n", 4), 4);
        fed++;
    }
    assert_int_equal(fed, 2);
    assert_int_equal(d.rd_evals, 1);
    assert_int_equal(d.t_evals, 1);
    assert_int_equal(d.res_evals, 2);
    assert_int_equal(d.res[0], 1);
    assert_int_equal(rd.ev.integer, 1);
    assert_int_equal(d.res[1], 1);
    assert_string_equal(t.value->str, "a");
    gw_resp_tree_fini(&t);
    gw_resp_reader_fini(&rd);
    for (i = 0; i < 2; i++) {
        gw_bufreader_fini(&br[i]);
        gw_mempipe_fini(&pipe[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp2_types),
        cmocka_unit_test(test_resp3_types),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_streamed),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_bad_type),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_crlf),
        cmocka_unit_test(test_push_nested),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_no_wait),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_verbatim_small_buffer),
        cmocka_unit_test(test_source_error),
        cmocka_unit_test(test_zeroed_reader),
        cmocka_unit_test(test_next_macros_evaluate_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
