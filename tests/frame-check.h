/*
 * frame-check.h: the record-reader test driver shared by test-framing.c and
 * test-record-writer.c: a consumer generator that reads every record (joining
 * stream-mode pieces and asserting that none is over the limit), a decode
 * function for gwt_check_splits, and expect(), which runs a vector in
 * assemble mode, stream mode and through the batch scan under every split,
 * requiring every complete record before the end of input (GWT_PROMPT).
 * Static functions: include it once per test program.
 */
#ifndef FRAME_CHECK_H
#define FRAME_CHECK_H

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
    uint64_t limit;   /* no record may be longer: max_record, or max_line for lines */
    uint64_t at;      /* stream offset where the next record starts */
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
            while (gw_record_scan_next(s->rr, &sc)) {
                assert_true(sc.len <= s->limit);
                assert_int_equal(gw_record_scan_offset(s->rr, &sc), s->at);
                s->at = s->rr->_src->base + sc._pos;
                gwt_result_record(s->out, sc.data, sc.len);
            }
            gw_record_scan_end(s->rr, &sc);
        }
        GW_RECORD_NEXT(s, op, s->rr, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        gwt_result_bytes(&s->piece, s->rr->data, s->rr->len);
        /* Every record, and every piece of one, is within the limit. */
        assert_true(s->piece.len <= s->limit);
        /* Each record (every piece of one) starts where the last one's bytes
         * ended, whichever path handed it out. */
        assert_int_equal(gw_record_offset(s->rr), s->at);
        if (s->rr->last) {
            s->at = gw_bufreader_offset(s->rr->_src);
            gwt_result_record(s->out, s->piece.data, s->piece.len);
            s->piece.len = 0;
        }
    }
    GW_END(s);
}

/* The longest record a reader with limits *lim may hand out. */
static inline uint64_t record_limit(const gw_frame_limits *lim, gw_frame_format fmt)
{
    if (fmt == GW_FRAME_LINES)
        return lim->max_line ? lim->max_line : GW_FRAME_DEFAULT_MAX_LINE;
    return lim->max_record ? lim->max_record : GW_FRAME_DEFAULT_MAX_RECORD;
}

/* Makes *c a consumer of rr's records into out, configured by cfg. */
static inline void consumer_init(consumer *c, gw_record_reader *rr, gwt_result *out,
                                 const fcfg *cfg)
{
    GW_INIT(c, consumer);
    c->rr = rr;
    c->out = out;
    memset(&c->piece, 0, sizeof(c->piece));
    c->scan = cfg->scan;
    c->limit = record_limit(&cfg->lim, cfg->fmt);
    c->at = 0;
    c->ret = 0;
}

static inline void decode(gwt_feed *feed, gwt_result *out, void *ud)
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
    consumer_init(&c, &rr, out, cfg);
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

static inline fcfg cfg_of(gw_frame_format fmt)
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
static inline void expect(const fcfg *base, const void *in, size_t len, const char *const *want,
                          size_t n, int err, uint64_t off)
{
    gwt_result r;
    size_t i, pos;
    int mode;

    /* Assemble mode, stream mode, and assemble mode through the batch scan. */
    for (mode = 0; mode < 3; mode++) {
        fcfg cfg = *base;
        cfg.mode = mode == 1 ? GW_RECORD_STREAM : GW_RECORD_ASSEMBLE;
        cfg.scan = mode == 2;
        /* Records complete in the input are all handed out before its end is
         * signalled (GWT_PROMPT), except a last line without its LF, which
         * only the end completes. */
        gwt_check_splits_ex(in, len, decode, &cfg, &r,
                            cfg.fmt != GW_FRAME_LINES || len == 0 ||
                                    ((const uint8_t *)in)[len - 1] == '\n'
                                ? GWT_PROMPT
                                : 0);
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

/* Encodes the n records (recs[i], lens[i] bytes) in fmt with a record
 * writer into *out, which the caller frees with gwt_result_free. */
static inline void encode_records(gw_frame_format fmt, const uint8_t *const *recs,
                                  const size_t *lens, size_t n, gwt_result *out)
{
    gwt_sink k;
    gw_bufwriter bw;
    gw_record_writer rw;
    size_t i;

    gwt_sink_init(&k, 0);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 4096), 0);
    assert_int_equal(gw_record_writer_init(&rw, &bw, fmt, 0), 0);
    for (i = 0; i < n; i++)
        assert_int_equal(gwt_run_op(gw_record_write(&rw, recs[i], lens[i])), 0);
    assert_int_equal(gwt_run_op(gw_close(&bw.w)), 0);
    gw_bufwriter_fini(&bw);
    *out = k.got;
}

#endif /* FRAME_CHECK_H */
