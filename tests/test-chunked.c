/*
 * Tests of the HTTP/1.1 chunked transfer coding layer
 * (parsers/framing/chunked.c, the chunked section of
 * include/genwire/frame.h).  Every decoder vector goes through the shared
 * split helper (whole, every split point, one byte at a time, random
 * pieces) under several bufreader capacities and read sizes, and over plain
 * memory; valid streams must give their body and leave the bytes after the
 * message in the bufreader, invalid ones their own error at the offset of
 * the bad byte, again on every later read.  The encoder is checked byte for
 * byte on small cases and by round trips through the decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/frame.h>
#include <genwire/io.h>

#include "gwt.h"

/* ---- the decode driver ---------------------------------------------------- */

/* How one decode is run. */
typedef struct ck_params {
    size_t pipecap;               /* capacity of the pipe */
    size_t brcap;                 /* capacity of the bufreader over the pipe */
    size_t rdcap;                 /* bytes asked for per read */
    size_t rdmin;                 /* min per read (>= 1) */
    int mem;                      /* decode over the input in memory, no pipe */
    const gw_chunked_limits *lim; /* NULL: the defaults */
} ck_params;

/* Reads the body to its end or an error, checks that the error sticks and
 * that end of stream repeats, then reads what src holds after the message. */
typedef struct ck_drv {
    GW_FRAME(gw_wait);
    gw_chunked_reader *c; /* the decoder */
    gw_bufreader *br;     /* its input */
    gwt_result *out;      /* body bytes, then the rest of the input as a record */
    gwt_result rest;      /* the bytes after the message */
    gw_io_op *op;         /* the read in progress */
    uint8_t *tmp;         /* read buffer */
    size_t cap, min;      /* read size and min */
    int ret;              /* the decoder's result */
} ck_drv;

GW_GENERATOR(ck_drv, NULL);
GW_BODY(ck_drv, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->c->r, s->tmp, s->cap, s->min));
        assert_true(s->op->n <= s->cap);
        gwt_result_bytes(s->out, s->tmp, s->op->n);
        if (s->op->ret < 0)
            break;
        assert_true(s->op->n >= s->min || s->c->r.eof); /* short only at the end */
        if (s->c->r.eof)
            break;
    }
    s->ret = s->op->ret;
    if (s->ret < 0) {
        assert_int_equal(s->c->r.err, s->ret);
        s->out->err = s->ret;
        s->out->off = s->c->r.err_off;
        /* The error sticks. */
        GW_AWAIT(s, op, gw_try_read(&s->c->r, s->tmp, s->cap, s->min));
        assert_int_equal(s->op->ret, s->ret);
        assert_int_equal(s->op->n, 0);
        assert_int_equal(s->c->r.err_off, s->out->off);
        GW_EXIT(s);
    }
    /* End of the body repeats. */
    GW_AWAIT(s, op, gw_try_read(&s->c->r, s->tmp, s->cap, s->min));
    assert_int_equal(s->op->ret, 0);
    assert_int_equal(s->op->n, 0);
    assert_true(s->c->r.eof);
    /* The bytes after the message are still in the bufreader. */
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->br->r, s->tmp, s->cap, s->cap));
        assert_int_equal(s->op->ret, 0);
        gwt_result_bytes(&s->rest, s->tmp, s->op->n);
        if (s->op->n < s->cap)
            break;
    }
    gwt_result_record(s->out, s->rest.data, s->rest.len);
    gwt_result_free(&s->rest);
    GW_END(s);
}

static void ck_decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const ck_params *p = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_reader c;
    ck_drv d;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, p->pipecap), 0);
    if (p->mem)
        gw_bufreader_init_mem(&br, feed->in, feed->len);
    else
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, p->brcap), 0);
    gw_chunked_reader_init(&c, &br, p->lim);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, ck_drv);
    d.c = &c;
    d.br = &br;
    d.out = out;
    d.cap = p->rdcap;
    d.min = p->rdmin;
    d.tmp = malloc(d.cap);
    assert_non_null(d.tmp);
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, &pipe, feed);
    if (p->mem)
        assert_int_equal(feed->waits, 0); /* over memory nothing waits */
    free(d.tmp);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The schedules every vector runs under. */
static const ck_params ck_modes[] = {
    {64, 1, 1, 1, 0, NULL},       /* one byte of buffer, one byte per read */
    {64, 3, 7, 1, 0, NULL},       /* a tiny buffer */
    {64, 16, 64, 1, 0, NULL},     /* reads larger than the buffer: read straight through */
    {64, 16, 64, 64, 0, NULL},    /* the same, reads that wait for all 64 */
    {64, 4096, 4096, 1, 0, NULL}, /* a large buffer */
    {64, 5, 4096, 4096, 0, NULL}, /* whole-body reads over a small buffer */
    {64, 0, 10, 3, 1, NULL},      /* over memory */
};
#define CK_NMODES (sizeof(ck_modes) / sizeof(ck_modes[0]))

/* The one schedule for the largest vectors, which have a split point per
 * byte: a mid-sized buffer and reads. */
static const ck_params ck_big_mode[] = {{64, 512, 512, 1, 0, NULL}};

/* Runs `in` under each of the nmodes modes (with limits lim) and returns the
 * whole-feed result of the first, after checking all modes agree. */
static void ck_run(const void *in, size_t len, const gw_chunked_limits *lim, const ck_params *modes,
                   size_t nmodes, gwt_result *first)
{
    size_t i;

    for (i = 0; i < nmodes; i++) {
        ck_params p = modes[i];
        gwt_result r;

        p.lim = lim;
        gwt_check_splits(in, len, ck_decode, &p, &r);
        if (i == 0) {
            *first = r;
            continue;
        }
        assert_int_equal(r.err, first->err);
        assert_int_equal(r.off, first->off);
        assert_int_equal(r.len, first->len);
        assert_memory_equal(r.data, first->data, r.len);
        gwt_result_free(&r);
    }
}

/* The decoder read by gwt_drain, the standard consumer: under
 * GWT_VARY_READS it reads with every cap and min (min 0 included, which
 * must decode what is buffered), under GWT_NO_END it must return the end of
 * the body without waiting for the end of input. */
static void ck_decode_drain(gwt_feed *feed, gwt_result *out, void *ud)
{
    const ck_params *p = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_reader c;

    assert_int_equal(gw_mempipe_init(&pipe, p->pipecap), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, p->brcap), 0);
    gw_chunked_reader_init(&c, &br, p->lim);
    gwt_drain(&c.r, &pipe, feed, out);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* Runs `in` through gwt_drain under every split and read shape with flags
 * (GWT_VARY_READS, and GWT_NO_END for a body with nothing after it), over a
 * 3-byte bufreader and, for vectors of up to 64 bytes, a 4096-byte one; the
 * bytes must be body[0..blen) and the error err at off. */
static void ck_drain_check(const void *in, size_t len, const gw_chunked_limits *lim,
                           unsigned flags, const char *body, size_t blen, int err, uint64_t off)
{
    static const size_t brcaps[] = {3, 4096};
    size_t i;

    /* Longer vectors over the small buffer only, to stay quick under
     * valgrind. */
    for (i = 0; i < (len <= 64 ? 2u : 1u); i++) {
        ck_params p = {64, brcaps[i], 0, 0, 0, lim};
        gwt_result r;

        gwt_check_splits_ex(in, len, ck_decode_drain, &p, &r, flags);
        assert_int_equal(r.err, err);
        if (err != 0)
            assert_int_equal(r.off, off);
        assert_int_equal(r.len, blen);
        assert_memory_equal(r.data, body, blen);
        gwt_result_free(&r);
    }
}

/* Checks a valid stream under limits lim: its body, then `rest` left in
 * src. */
static void ck_ok_lim(const char *in, size_t len, const gw_chunked_limits *lim, const char *body,
                      size_t blen, const char *rest, size_t rlen)
{
    gwt_result r;
    uint64_t n;

    ck_run(in, len, lim, ck_modes, CK_NMODES, &r);
    if (r.err != 0)
        print_error("unexpected %s at %llu\n", gw_errname(r.err), (unsigned long long)r.off);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.len, blen + 8 + rlen);
    assert_memory_equal(r.data, body, blen);
    memcpy(&n, r.data + blen, 8);
    assert_int_equal(n, rlen);
    assert_memory_equal(r.data + blen + 8, rest, rlen);
    gwt_result_free(&r);
    /* A body with nothing after it is complete without the end of input. */
    ck_drain_check(in, len, lim, GWT_VARY_READS | (rlen == 0 ? GWT_NO_END : 0), body, blen, 0, 0);
}

static void ck_ok(const char *in, size_t len, const char *body, size_t blen, const char *rest,
                  size_t rlen)
{
    ck_ok_lim(in, len, NULL, body, blen, rest, rlen);
}

/* Checks an invalid stream under limits lim: error err at offset off, after
 * body.  big: only the one cheap schedule. */
static void ck_err_lim(const char *in, size_t len, const gw_chunked_limits *lim, int big, int err,
                       uint64_t off, const char *body, size_t blen)
{
    gwt_result r;

    ck_run(in, len, lim, big ? ck_big_mode : ck_modes, big ? 1 : CK_NMODES, &r);
    if (r.err != err || r.off != off)
        print_error("got %s at %llu, want %s at %llu\n", gw_errname(r.err),
                    (unsigned long long)r.off, gw_errname(err), (unsigned long long)off);
    assert_int_equal(r.err, err);
    assert_int_equal(r.off, off);
    assert_int_equal(r.records, 0);
    assert_int_equal(r.len, blen);
    assert_memory_equal(r.data, body, blen);
    gwt_result_free(&r);
    /* Exactly the valid prefix, whatever the read size and min. */
    if (!big)
        ck_drain_check(in, len, lim, GWT_VARY_READS, body, blen, err, off);
}

/* Checks an invalid stream fed whole (no split points), in every mode. */
static void ck_whole_err(const char *in, size_t len, int err, uint64_t off)
{
    size_t i;

    for (i = 0; i < CK_NMODES; i++) {
        gwt_feed feed = {(const uint8_t *)in, len, NULL, 0, 0, 0, 0};
        gwt_result r;

        memset(&r, 0, sizeof(r));
        ck_decode(&feed, &r, (void *)(uintptr_t)&ck_modes[i]);
        assert_int_equal(r.err, err);
        assert_int_equal(r.off, off);
        gwt_result_free(&r);
    }
}

#define S(lit)                  lit, sizeof(lit) - 1
#define OK(in, body)            ck_ok(S(in), S(body), "", 0)
#define ERR(in, err, off, body) ck_err_lim(S(in), NULL, 0, (err), (off), S(body))

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
static void test_error_after_data(void **state)
{
    (void)state;
    ERR("3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n", GW_ETRAILER, 14, "abc");
    ERR("3\r\nabc\r\n4\r\ndefg\r\nz\r\n", GW_ECHUNK_SIZE, 17, "abcdefg");
    ERR("3\r\nabc\r\n4\r\ndefgX\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 15, "abcdefg");
    ERR("3\r\nabc\r\n4;=\r\ndefg\r\n0\r\n\r\n", GW_ECHUNK_EXT, 10, "abc");
    ERR("3\r\nabc\r\n5\r\nde", GW_ETRUNCATED, 13, "abcde");
    ERR("3\r\nabc\r\n0\r\nT: v\r\n", GW_ETRUNCATED, 17, "abc");
}

/* Runs a read of c (cap bytes, min 1) over a pipe fed cut bytes; returns
 * nonzero if it is left suspended waiting for input. */
static int ck_suspend(gw_stack *st, gw_wait *w, gw_chunked_reader *c, uint8_t *buf, size_t cap)
{
    gw_io_op *op;

    for (;;) {
        op = gw_try_read(&c->r, buf, cap, 1);
        GW_START(st, op, w);
        if (gw_next(st) == GW_YIELDED)
            return 1;
        if (op->ret < 0 || c->r.eof)
            return 0;
    }
}

/* Defect 7: a read cancelled wherever it waits (inside a size line, an
 * extension, chunk data read through or buffered, a trailer) leaves
 * GW_ECANCELLED sticky; later reads fail with it. */
static void test_reader_cancel_sticks(void **state)
{
    static const char in[] = "5;a=\"q\"\r\nhello\r\n14\r\n0123456789abcdefghij\r\n0\r\nT: v\r\n\r\n";
    size_t len = sizeof(in) - 1, cut, brcap, suspended = 0;
    uint8_t out[64];

    (void)state;
    for (brcap = 1; brcap <= 64; brcap *= 4) {
        for (cut = 0; cut < len; cut++) {
            gw_mempipe pipe;
            gw_bufreader br;
            gw_chunked_reader c;
            gw_wait w;
            gw_stack st;

            assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
            assert_int_equal(gw_bufreader_init(&br, &pipe.r, brcap), 0);
            gw_chunked_reader_init(&c, &br, NULL);
            gw_mempipe_feed(&pipe, in, cut);
            if (ck_suspend(&st, &w, &c, out, sizeof(out))) {
                suspended++;
                gw_stack_close(&st);
                assert_int_equal(c.r.err, GW_ECANCELLED);
                gw_mempipe_feed(&pipe, in + cut, len - cut);
                gw_mempipe_finish(&pipe);
                assert_int_equal(gwt_run_op(gw_try_read(&c.r, out, sizeof(out), 1)),
                                 GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_read(&c.r, out, sizeof(out), 0)), GW_ECANCELLED);
            }
            gw_bufreader_fini(&br);
            gw_mempipe_fini(&pipe);
        }
    }
    assert_true(suspended >= len);
}

/* Defect 7: the writer cancelled while it waits for room below (in a write
 * of a buffered chunk or one straight from the caller, a flush, a close):
 * GW_ECANCELLED sticks and no last-chunk follows the torn chunk. */
static void test_writer_cancel_sticks(void **state)
{
    static uint8_t body[100];
    size_t cap, which, cancelled = 0;

    (void)state;
    memset(body, 'b', sizeof(body));
    for (which = 0; which < 4; which++) {
        for (cap = 1; cap < 40; cap += 3) {
            gw_mempipe p;
            gw_chunked_writer cw;
            gw_io_op *op;
            gw_wait w;
            gw_stack st;

            assert_int_equal(gw_mempipe_init(&p, cap), 0);
            assert_int_equal(gw_chunked_writer_init(&cw, &p.w, 16), 0);
            if (which >= 2) {
                op = gw_write(&cw.w, body, 5); /* pending, for the flush or close */
                GW_START(&st, op, &w);
                assert_int_equal(gw_next(&st), GW_RETURNED);
            }
            op = which == 0   ? gw_write(&cw.w, body, 10)
                 : which == 1 ? gw_write(&cw.w, body, sizeof(body))
                 : which == 2 ? gw_flush(&cw.w)
                              : gw_close(&cw.w);
            GW_START(&st, op, &w);
            if (gw_next(&st) == GW_YIELDED) {
                cancelled++;
                gw_stack_close(&st);
                assert_int_equal(cw.w.err, GW_ECANCELLED);
                p.pos = p.end = 0;
                assert_int_equal(gwt_run_op(gw_write(&cw.w, "x", 1)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_flush(&cw.w)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_close(&cw.w)), GW_ECANCELLED);
                assert_int_equal(p.end, 0);
            }
            gw_chunked_writer_fini(&cw);
            gw_mempipe_fini(&p);
        }
    }
    assert_true(cancelled > 20);
}

/* A writer whose init failed fails every operation the same way. */
static void test_writer_failed_init_sticks(void **state)
{
    gwt_sink k;
    gw_chunked_writer cw;

    (void)state;
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_chunked_writer_init(&cw, &k.w, 0), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_write(&cw.w, "abc", 3)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_flush(&cw.w)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_close(&cw.w)), GW_EINVAL);
    gw_chunked_writer_fini(&cw);
    assert_int_equal(gw_chunked_writer_init(&cw, NULL, 8), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_close(&cw.w)), GW_EINVAL);
    gw_chunked_writer_fini(&cw);
    assert_int_equal(k.writes + k.closes, 0);
}

/* GW_UNLIMITED switches the line and trailer limits off. */
static void test_unlimited(void **state)
{
    gw_chunked_limits lim = {(size_t)GW_UNLIMITED, (size_t)GW_UNLIMITED};
    enum { N = 20000 };
    char *in = malloc(2 * N + 64);
    size_t len, i;

    (void)state;
    assert_non_null(in);
    memcpy(in, "3;", 2);
    memset(in + 2, 'e', N);
    len = 2 + N;
    memcpy(in + len, "\r\nabc\r\n0\r\nT:", 12);
    len += 12;
    memset(in + len, 'v', N);
    len += N;
    memcpy(in + len, "\r\n\r\n", 4);
    len += 4;
    /* Too long for every split point: fed whole, in every mode. */
    for (i = 0; i < CK_NMODES; i++) {
        gwt_feed feed = {(const uint8_t *)in, len, NULL, 0, 0, 0, 0};
        ck_params p = ck_modes[i];
        gwt_result r;

        p.lim = &lim;
        memset(&r, 0, sizeof(r));
        ck_decode(&feed, &r, &p);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.len, 3 + 8);
        assert_memory_equal(r.data, "abc", 3);
        gwt_result_free(&r);
    }
    free(in);
}

/* A source that gives a few bytes and then fails. */
typedef struct bad_src {
    gw_reader r;      /* base */
    const char *data; /* what it gives before failing */
    size_t len, pos;  /* its length, bytes given */
} bad_src;

typedef gw_io_op bad_read;
GW_GENERATOR(bad_read, NULL);
GW_BODY(bad_read, s)
{
    bad_src *b = s->obj;
    size_t take = b->len - b->pos;

    GW_BEGIN(s);
    if (take == 0) {
        b->r.err = GW_ECONNRESET;
        GW_RETURN(s, GW_ECONNRESET);
    }
    if (take > s->len)
        take = s->len;
    memcpy(s->buf, b->data + b->pos, take);
    b->pos += take;
    s->n = take;
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *bad_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    gw_io_op *op = &r->op;

    GW_INIT(op, bad_read);
    op->obj = r;
    op->buf = buf;
    op->len = cap;
    op->min = min;
    op->n = 0;
    op->ret = 0;
    return op;
}
static const gw_reader_ops bad_ops = {"bad", bad_try_read};

/* An error of the source is passed on with the offset reached, and sticks. */
static void test_source_error(void **state)
{
    size_t caps[] = {1, 4, 64};
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        bad_src src;
        gw_bufreader br;
        gw_chunked_reader c;
        uint8_t out[64];
        gw_io_op *op;

        memset(&src, 0, sizeof(src));
        gw_reader_init(&src.r, &bad_ops);
        src.data = "5\r\nhello\r\n3\r\nab";
        src.len = strlen(src.data);
        assert_int_equal(gw_bufreader_init(&br, &src.r, caps[i]), 0);
        gw_chunked_reader_init(&c, &br, NULL);
        op = gw_read(&c.r, out, sizeof(out), sizeof(out));
        assert_int_equal(gwt_run_op(op), GW_ECONNRESET);
        assert_int_equal(op->n, 7);
        assert_memory_equal(out, "helloab", 7);
        assert_int_equal(c.r.err, GW_ECONNRESET);
        assert_int_equal(c.r.err_off, 15); /* all of it was read */
        op = gw_try_read(&c.r, out, sizeof(out), 1);
        assert_int_equal(gwt_run_op(op), GW_ECONNRESET);
        assert_int_equal(op->n, 0);
        gw_bufreader_fini(&br);
    }
}

/* ---- encoder ------------------------------------------------------------- */

#define ASSERT_GOT(cw, lit)                                                                        \
    do {                                                                                           \
        assert_int_equal((cw).got.len, sizeof(lit) - 1);                                           \
        assert_memory_equal((cw).got.data, lit, sizeof(lit) - 1);                                  \
    } while (0)

static void test_encode_exact(void **state)
{
    gwt_sink cw;
    gw_chunked_writer cwr;
    static uint8_t big[300];

    (void)state;
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 16), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "hello", 5)), 0);
    assert_int_equal(cw.got.len, 0); /* buffered */
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    ASSERT_GOT(cw, "5\r\nhello\r\n0\r\n\r\n");
    assert_int_equal(cw.closes, 1);
    assert_int_equal(cwr.w.nwritten, 5);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "x", 1)), GW_ECLOSED);
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);

    /* A flush per chunk; an empty flush emits nothing. */
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 16), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(cw.got.len, 0);
    assert_int_equal(cw.flushes, 1);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "hello", 5)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, " world", 6)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "", 0)), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    ASSERT_GOT(cw, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);

    /* A full buffer is a chunk; a large write goes straight through. */
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 4), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "ab", 2)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "cdefghijkl", 10)), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    ASSERT_GOT(cw, "4\r\nabcd\r\n4\r\nefgh\r\n4\r\nijkl\r\n0\r\n\r\n");
    assert_int_equal(cwr.w.nwritten, 12);
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);

    /* Lowercase hex sizes. */
    gwt_sink_init(&cw, 0);
    memset(big, 'z', sizeof(big));
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 255), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, big, sizeof(big))), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    assert_int_equal(cw.got.len, 4 + 255 + 2 + 4 + 45 + 2 + 5);
    assert_memory_equal(cw.got.data, "ff\r\nzz", 6);
    assert_memory_equal(cw.got.data + 4 + 255, "\r\n2d\r\nz", 7);
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);
}

static void test_encode_errors(void **state)
{
    gwt_sink cw;
    gw_chunked_writer cwr;

    (void)state;
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 0), GW_EINVAL);
    gw_chunked_writer_fini(&cwr);
    assert_int_equal(gw_chunked_writer_init(&cwr, NULL, 8), GW_EINVAL);
    gw_chunked_writer_fini(&cwr);

    /* An error below sticks. */
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 4), 0);
    cw.fail_with = GW_EPIPE;
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "abc", 3)), 0); /* buffered */
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "def", 3)), GW_EPIPE);
    assert_int_equal(cwr.w.err, GW_EPIPE);
    cw.fail_with = 0;
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "g", 1)), GW_EPIPE);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), GW_EPIPE);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), GW_EPIPE);
    assert_int_equal(cw.got.len, 0);
    gw_chunked_writer_fini(&cwr);
    gw_chunked_writer_fini(&cwr); /* twice is harmless */
    gwt_result_free(&cw.got);
}

/* Random bodies, random write sizes and flush points, random chunk sizes:
 * the decoder gives the body back under every schedule. */
static void test_round_trip(void **state)
{
    uint64_t seed = 0x5eed;
    int iter;

    (void)state;
    for (iter = 0; iter < 20; iter++) {
        size_t len = (size_t)(gwt_rand(&seed) % (iter < 10 ? 200 : 1200));
        size_t cap = 1 + (size_t)(gwt_rand(&seed) % (iter % 3 == 0 ? 8 : 600));
        uint8_t *body = malloc(len + 1);
        gwt_sink cw;
        gw_chunked_writer cwr;
        ck_params p = ck_modes[iter % CK_NMODES];
        gwt_result r;
        size_t pos = 0, i;

        assert_non_null(body);
        for (i = 0; i < len; i++)
            body[i] = (uint8_t)gwt_rand(&seed);
        gwt_sink_init(&cw, 0);
        assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, cap), 0);
        while (pos < len) {
            size_t n = (size_t)(gwt_rand(&seed) % 700);
            if (n > len - pos)
                n = len - pos;
            assert_int_equal(gwt_run_op(gw_write(&cwr.w, body + pos, n)), 0);
            pos += n;
            if (gwt_rand(&seed) % 4 == 0)
                assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
        }
        assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
        assert_int_equal(cwr.w.nwritten, len);
        gwt_check_splits(cw.got.data, cw.got.len, ck_decode, &p, &r);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.len, len + 8);
        assert_memory_equal(r.data, body, len);
        gwt_result_free(&r);
        gw_chunked_writer_fini(&cwr);
        gwt_result_free(&cw.got);
        free(body);
    }
}

/* Encoder into a memory pipe, decoder out of it. */
static void test_round_trip_pipe(void **state)
{
    enum { N = 100000 };
    uint8_t *body = malloc(N), *out = malloc(N + 1);
    uint64_t seed = 42;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_writer cwr;
    gw_chunked_reader c;
    gw_io_op *op;
    size_t i;

    (void)state;
    assert_non_null(body);
    assert_non_null(out);
    for (i = 0; i < N; i++)
        body[i] = (uint8_t)gwt_rand(&seed);
    assert_int_equal(gw_mempipe_init(&pipe, 2 * N), 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &pipe.w, 4000), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, body, 10)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, body + 10, N - 10)), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    assert_true(pipe.finished);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 512), 0);
    gw_chunked_reader_init(&c, &br, NULL);
    op = gw_read(&c.r, out, N + 1, N);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, N);
    assert_memory_equal(out, body, N);
    assert_int_equal(c.r.nread, N);
    /* min was met: the last-chunk may still be unread; the next read ends. */
    op = gw_try_read(&c.r, out, N + 1, 1);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 0);
    assert_true(c.r.eof);
    assert_int_equal(gw_bufreader_avail(&br), 0);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    gw_chunked_writer_fini(&cwr);
    free(body);
    free(out);
}

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
    const struct CMUnitTest chunked[] = {
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
        cmocka_unit_test(test_error_after_data), cmocka_unit_test(test_source_error),
        cmocka_unit_test(test_reader_cancel_sticks), cmocka_unit_test(test_writer_cancel_sticks),
        cmocka_unit_test(test_writer_failed_init_sticks), cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_size_line_core),
        cmocka_unit_test(test_encode_exact),   cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_round_trip_pipe),
    };

    /* CK_FILTER=pattern runs only the tests whose names match. */
    if (getenv("CK_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CK_FILTER"));
    return cmocka_run_group_tests_name("chunked", chunked, NULL, NULL);
}
