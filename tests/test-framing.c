/*
 * Tests of the record readers and writers (parsers/framing/records.c,
 * record-writer.c): valid vectors of every format, the bad inputs each must
 * reject with its own error and offset, records larger than the buffer
 * (assembled and streamed), sticky errors, and encode -> decode round trips
 * of random records.  Every decode goes through gwt_check_splits: the whole
 * input, every split point, one byte at a time and random pieces.
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

#include "gwt.h"

/* How to decode. */
typedef struct fcfg {
    gw_frame_format fmt;
    int mode;            /* GW_RECORD_ASSEMBLE or GW_RECORD_STREAM */
    int scan;            /* take what it can with gw_record_scan first */
    size_t bufcap;       /* the bufreader's capacity */
    gw_frame_limits lim; /* the limits */
} fcfg;

/* Reads every record into out; stream-mode pieces are joined per record. */
typedef struct consumer {
    GW_FRAME(gw_wait);
    gw_record_reader *rr;
    gwt_result *out;
    gwt_result piece; /* the record being joined */
    int scan;         /* use the batch fast path */
    gw_io_op *op;
    int res; /* result of the last next */
    int ret; /* 0 at a clean end, else the error */
} consumer;

GW_GENERATOR(consumer, NULL);
GW_BODY(consumer, s)
{
    GW_BEGIN(s);
    for (;;) {
        if (s->scan) {
            gw_record_scan sc;
            gw_record_scan_begin(s->rr, &sc);
            while (gw_record_scan_next(s->rr, &sc))
                gwt_result_record(s->out, sc.data, sc.len);
            gw_record_scan_end(s->rr, &sc);
        }
        GW_RECORD_NEXT(s, op, s->rr, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        gwt_result_bytes(&s->piece, s->rr->data, s->rr->len);
        if (s->rr->last) {
            gwt_result_record(s->out, s->piece.data, s->piece.len);
            s->piece.len = 0;
        }
    }
    GW_END(s);
}

static void decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const fcfg *cfg = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_record_reader rr;
    consumer c;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, cfg->bufcap), 0);
    assert_int_equal(gw_record_reader_init(&rr, &br, cfg->fmt, &cfg->lim, cfg->mode), 0);
    GW_INIT(&c, consumer);
    c.rr = &rr;
    c.out = out;
    memset(&c.piece, 0, sizeof(c.piece));
    c.scan = cfg->scan;
    c.ret = 0;
    GW_START(&st, &c, &w);
    gwt_drive(&st, &w, &pipe, feed);
    out->err = c.ret;
    if (c.ret < 0) {
        /* The error sticks: both paths fail the same way. */
        out->off = rr.err_off;
        assert_int_equal(rr.err, c.ret);
        assert_int_equal(gw_record_try_next(&rr), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), c.ret);
        assert_int_equal(rr.err_off, out->off);
    } else {
        /* A clean end stays a clean end. */
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), 0);
    }
    gwt_result_free(&c.piece);
    gw_record_reader_fini(&rr);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static fcfg cfg_of(gw_frame_format fmt)
{
    fcfg c;

    c.fmt = fmt;
    c.mode = GW_RECORD_ASSEMBLE;
    c.scan = 0;
    c.bufcap = 64;
    gw_frame_limits_default(&c.lim);
    c.lim.max_line = 62;
    return c;
}

/* Checks that in (len bytes) decodes to the n records in want[] and then
 * the error err (0: clean end) at offset off, in both modes. */
static void expect(const fcfg *base, const void *in, size_t len, const char *const *want, size_t n,
                   int err, uint64_t off)
{
    gwt_result r;
    size_t i, pos;
    int mode;

    /* Assemble mode, stream mode, and assemble mode through the batch scan. */
    for (mode = 0; mode < 3; mode++) {
        fcfg cfg = *base;
        cfg.mode = mode == 1 ? GW_RECORD_STREAM : GW_RECORD_ASSEMBLE;
        cfg.scan = mode == 2;
        gwt_check_splits(in, len, decode, &cfg, &r);
        if (r.err != err || r.records != n || (err != 0 && r.off != off))
            print_error("%s: got err %s off %llu records %zu, want %s off %llu records %zu\n",
                        gw_frame_format_name(cfg.fmt), gw_errname(r.err), (unsigned long long)r.off,
                        r.records, gw_errname(err), (unsigned long long)off, n);
        assert_int_equal(r.err, err);
        assert_int_equal(r.records, n);
        if (err != 0)
            assert_int_equal(r.off, off);
        for (i = 0, pos = 0; i < n; i++) {
            uint64_t rl;
            memcpy(&rl, r.data + pos, sizeof(rl));
            assert_int_equal(rl, strlen(want[i]));
            assert_memory_equal(r.data + pos + 8, want[i], rl);
            pos += 8 + rl;
        }
        gwt_result_free(&r);
    }
}

#define VEC(s) s, sizeof(s) - 1

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
    expect(&c, VEC("100000000000000000000:"), NULL, 0, GW_ENETSTRING, 20);
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

/* A reader refuses configurations it cannot honour. */
static void test_reader_init(void **state)
{
    uint8_t mem[16];
    gw_mempipe pipe;
    gw_bufreader br, small;
    gw_record_reader rr;
    gw_frame_limits lim;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 8), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 1024), 0);
    gw_bufreader_init_mem(&small, mem, sizeof(mem));
    assert_int_equal(gw_record_reader_init(&rr, &small, GW_FRAME_U8, NULL, 0), GW_EINVAL);
    /* Lines need the longest line in the buffer. */
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_LINES, NULL, 0), GW_EINVAL);
    gw_frame_limits_default(&lim);
    lim.max_line = 1022;
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_LINES, &lim, 0), 0);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_NFORMATS, NULL, 0), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U8, NULL, 7), GW_EINVAL);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* ---- encode -> decode ----------------------------------------------------- */

/* Writes records into a pipe through a bufwriter, then closes. */
typedef struct producer {
    GW_FRAME(gw_wait);
    gw_record_writer *rw;
    gw_bufwriter *bw;
    const uint8_t *const *recs; /* the records */
    const size_t *lens;
    size_t n, i;
    gw_io_op *op;
    int ret;
} producer;

GW_GENERATOR(producer, NULL);
GW_BODY(producer, s)
{
    GW_BEGIN(s);
    for (s->i = 0; s->i < s->n; s->i++) {
        GW_AWAIT(s, op, gw_record_write(s->rw, s->recs[s->i], s->lens[s->i]));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
    }
    GW_AWAIT(s, op, gw_close(&s->bw->w));
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

static void test_round_trip_random(void **state)
{
    enum { NREC = 300 };
    uint64_t seed = 12345;
    int f;

    (void)state;
    for (f = 0; f < GW_FRAME_NFORMATS; f++) {
        uint8_t *recs[NREC];
        size_t lens[NREC], i, pos;
        gw_mempipe pipe;
        gw_bufwriter bw;
        gw_record_writer rw;
        gw_bufreader br;
        gw_record_reader rr;
        gw_frame_limits lim;
        producer prod;
        consumer cons;
        gwt_result out;
        gw_exec *ex = gw_exec_new();

        for (i = 0; i < NREC; i++) {
            size_t k, max = f == GW_FRAME_U8 ? 255 : 2000;
            lens[i] = gwt_rand(&seed) % 4 == 0 ? 0 : gwt_rand(&seed) % (max + 1);
            recs[i] = malloc(lens[i] + 1);
            for (k = 0; k < lens[i]; k++) {
                recs[i][k] = (uint8_t)gwt_rand(&seed);
                if (f == GW_FRAME_LINES && (recs[i][k] == '\n' || recs[i][k] == '\r'))
                    recs[i][k] = 'x';
            }
        }
        memset(&out, 0, sizeof(out));
        gw_frame_limits_default(&lim);
        lim.max_line = 4000;
        assert_int_equal(gw_mempipe_init(&pipe, 777), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 1000), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, (gw_frame_format)f, 0), 0);
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, 4096), 0);
        assert_int_equal(
            gw_record_reader_init(&rr, &br, (gw_frame_format)f, &lim, GW_RECORD_ASSEMBLE), 0);
        GW_INIT(&prod, producer);
        prod.rw = &rw;
        prod.bw = &bw;
        prod.recs = (const uint8_t *const *)recs;
        prod.lens = lens;
        prod.n = NREC;
        GW_INIT(&cons, consumer);
        cons.rr = &rr;
        cons.out = &out;
        cons.scan = f % 2; /* half the formats through the batch scan too */
        memset(&cons.piece, 0, sizeof(cons.piece));
        GW_SPAWN(ex, &prod, NULL, NULL);
        GW_SPAWN(ex, &cons, NULL, NULL);
        assert_int_equal(gw_exec_run(ex), 0);
        assert_int_equal(prod.ret, 0);
        assert_int_equal(cons.ret, 0);
        assert_int_equal(out.records, NREC);
        for (i = 0, pos = 0; i < NREC; i++) {
            uint64_t rl;
            memcpy(&rl, out.data + pos, 8);
            assert_int_equal(rl, lens[i]);
            assert_memory_equal(out.data + pos + 8, recs[i], lens[i]);
            pos += 8 + rl;
            free(recs[i]);
        }
        gwt_result_free(&out);
        gwt_result_free(&cons.piece);
        gw_record_reader_fini(&rr);
        gw_bufreader_fini(&br);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&pipe);
        gw_exec_free(ex);
    }
}

/* The writer refuses what its format cannot carry, and writes canonical
 * headers. */
static void test_writer(void **state)
{
    static const struct {
        gw_frame_format fmt;
        const char *out;
        size_t len;
    } cases[] = {
        {GW_FRAME_U8, "\x02hi", 3},
        {GW_FRAME_U16BE, "\x00\x02hi", 4},
        {GW_FRAME_U16LE, "\x02\x00hi", 4},
        {GW_FRAME_U32BE, "\x00\x00\x00\x02hi", 6},
        {GW_FRAME_U64LE, "\x02\0\0\0\0\0\0\0hi", 10},
        {GW_FRAME_VARINT, "\x02hi", 3},
        {GW_FRAME_LINES, "hi\n", 3},
        {GW_FRAME_NETSTRING, "2:hi,", 5},
    };
    uint8_t big[300];
    size_t i;

    (void)state;
    memset(big, 'b', sizeof(big));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_mempipe pipe;
        gw_bufwriter bw;
        gw_record_writer rw;
        uint8_t got[32];

        assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 8), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, cases[i].fmt, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "hi", 2)), 0);
        assert_int_equal(gwt_run_op(gw_flush(&bw.w)), 0);
        assert_int_equal(pipe.end - pipe.pos, cases[i].len);
        memcpy(got, pipe.buf + pipe.pos, cases[i].len);
        assert_memory_equal(got, cases[i].out, cases[i].len);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&pipe);
    }
    {
        gw_mempipe pipe;
        gw_bufwriter bw;
        gw_record_writer rw;

        assert_int_equal(gw_mempipe_init(&pipe, 1024), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 64), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U8, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 256)), GW_ERECORD_TOO_LARGE);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 255)), 0); /* through the slow path */
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_LINES, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "a\nb", 3)), GW_EINVAL);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "ab\r", 3)), GW_EINVAL);
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U32BE, 100), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 101)), GW_ERECORD_TOO_LARGE);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&pipe);
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
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_writer),
    };

    return cmocka_run_group_tests_name("framing", tests, NULL, NULL);
}
