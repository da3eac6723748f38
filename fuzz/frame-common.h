/*
 * The body shared by the record-reader harnesses (fuzz-frame-*.c): each
 * harness includes this file after defining FRAME_FORMATS, the formats it
 * may pick from.
 *
 * Input: byte 0 picks the format, byte 1 the limits and mode, byte 2 the
 * buffer size, byte 3 the feed schedule's seed, byte 4 its largest piece;
 * the rest is the stream.
 *
 * Properties: (1) the stream fed in pieces gives the same records, error and
 * error offset as fed whole, in assemble mode and in stream mode (records
 * joined from their pieces), and as read straight from memory; (2) no record
 * is longer than max_record (max_line for lines), however it arrived; (3)
 * where the whole stream decoded cleanly and the format's encoding of it is
 * canonical, re-encoding the records with the record writer reproduces the
 * input byte for byte.  Lines may be longer than the buffer (up to four
 * times), so the assembled and streamed line paths are reached too.
 */
#ifndef GW_FRAME_COMMON_H
#define GW_FRAME_COMMON_H

#include <stdlib.h>
#include <string.h>

#include <genwire/frame.h>

#include "fuzz.h"

typedef struct frame_cfg {
    gw_frame_format fmt;
    gw_frame_limits lim;
    int mode;
    size_t bufcap;
} frame_cfg;

typedef struct frame_consumer {
    GW_FRAME(gw_wait);
    gw_record_reader *rr;
    fz_result *out;
    fz_result piece; /* the record being joined from pieces */
    uint64_t limit;  /* the longest record the limits allow */
    uint64_t at;     /* stream offset where the next record starts */
    gw_io_op *op;
    int res;
    int ret;
} frame_consumer;

GW_GENERATOR(frame_consumer, NULL);
GW_BODY(frame_consumer, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_RECORD_NEXT(s, op, s->rr, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        fz_result_bytes(&s->piece, s->rr->data, s->rr->len);
        fz_check(s->piece.len <= s->limit, "a record within its limit");
        fz_check(gw_record_offset(s->rr) == s->at, "a record's offset where the last one ended");
        if (s->rr->last) {
            s->at = gw_bufreader_offset(s->rr->_src);
            fz_result_record(s->out, s->piece.data, s->piece.len);
            s->piece.len = 0;
        }
    }
    GW_END(s);
}

/* The longest record the limits of cfg allow. */
static uint64_t frame_limit(const frame_cfg *cfg)
{
    if (cfg->fmt == GW_FRAME_LINES)
        return cfg->lim.max_line ? cfg->lim.max_line : GW_FRAME_DEFAULT_MAX_LINE;
    return cfg->lim.max_record ? cfg->lim.max_record : GW_FRAME_DEFAULT_MAX_RECORD;
}

/* Decodes in[0..len) fed in pieces (seed, maxpiece) through a pipe, or
 * straight from memory when maxpiece is 0. */
static void frame_decode(const frame_cfg *cfg, const uint8_t *in, size_t len, uint64_t seed,
                         unsigned maxpiece, fz_result *out)
{
    fz_feed feed = {in, len, 0, seed, maxpiece};
    gw_mempipe pipe;
    gw_bufreader br;
    gw_record_reader rr;
    frame_consumer c;
    gw_wait w;
    gw_stack st;

    fz_check(gw_mempipe_init(&pipe, 61) == 0, "pipe");
    if (maxpiece == 0)
        gw_bufreader_init_mem(&br, in, len);
    else
        fz_check(gw_bufreader_init(&br, &pipe.r, cfg->bufcap) == 0, "bufreader");
    fz_check(gw_record_reader_init(&rr, &br, cfg->fmt, &cfg->lim, cfg->mode) == 0, "reader");
    GW_INIT(&c, frame_consumer);
    c.rr = &rr;
    c.out = out;
    memset(&c.piece, 0, sizeof(c.piece));
    c.limit = frame_limit(cfg);
    c.at = 0;
    c.ret = 0;
    GW_START(&st, &c, &w);
    if (maxpiece == 0)
        fz_check(gw_next(&st) == GW_RETURNED, "over memory nothing waits");
    else
        fz_drive(&st, &w, &pipe, &feed);
    out->err = c.ret;
    if (c.ret < 0) {
        gw_io_op *op = gw_record_next(&rr);
        out->off = rr.err_off;
        fz_check(gw_record_try_next(&rr) == 0, "error sticks (fast path)");
        GW_START(&st, op, &w);
        fz_check(gw_next(&st) == GW_RETURNED && op->ret == c.ret && rr.err_off == out->off,
                 "error sticks (gw_record_next)");
    }
    fz_result_free(&c.piece);
    gw_record_reader_fini(&rr);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* Re-encodes the records of r (serialised as fz_result_record wrote them). */
static void frame_reencode(const frame_cfg *cfg, const fz_result *r, fz_result *out)
{
    gw_mempipe pipe;
    gw_bufwriter bw;
    gw_record_writer rw;
    size_t pos = 0;

    fz_check(gw_mempipe_init(&pipe, r->len + 64) == 0, "pipe");
    fz_check(gw_bufwriter_init(&bw, &pipe.w, 50) == 0, "bufwriter");
    fz_check(gw_record_writer_init(&rw, &bw, cfg->fmt, UINT64_MAX) == 0, "writer");
    while (pos < r->len) {
        uint64_t n;
        gw_io_op *op;
        gw_wait w;
        gw_stack st;

        memcpy(&n, r->data + pos, sizeof(n));
        op = gw_record_write(&rw, r->data + pos + 8, (size_t)n);
        GW_START(&st, op, &w);
        fz_check(gw_next(&st) == GW_RETURNED, "a write into a large enough pipe never waits");
        fz_check(op->ret == 0, "a decoded record re-encodes");
        pos += 8 + (size_t)n;
    }
    {
        gw_io_op *op = gw_flush(&bw.w);
        gw_wait w;
        gw_stack st;
        GW_START(&st, op, &w);
        fz_check(gw_next(&st) == GW_RETURNED && op->ret == 0, "flush");
    }
    fz_result_bytes(out, pipe.buf + pipe.pos, pipe.end - pipe.pos);
    gw_bufwriter_fini(&bw);
    gw_mempipe_fini(&pipe);
}

/* Whether the input is the canonical encoding of what it decodes to, so
 * that re-encoding must reproduce it. */
static int frame_canonical(gw_frame_format fmt, const uint8_t *in, size_t len, size_t enclen)
{
    if (fmt == GW_FRAME_LINES)
        return memchr(in, '\r', len) == NULL && (len == 0 || in[len - 1] == '\n');
    if (fmt == GW_FRAME_VARINT)
        return enclen == len; /* an over-long varint re-encodes shorter */
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gw_frame_format formats[] = {FRAME_FORMATS};
    fz_result whole, split, stream, mem;
    frame_cfg cfg;
    const uint8_t *in;
    size_t len;

    if (size < 5)
        return 0;
    cfg.fmt = formats[data[0] % (sizeof(formats) / sizeof(formats[0]))];
    gw_frame_limits_default(&cfg.lim);
    cfg.bufcap = 32 + data[2] % 160;
    if (data[1] & 1)
        cfg.lim.max_record = data[1] >> 1;
    if (data[1] & 2)
        cfg.lim.max_empty = data[1] >> 4; /* 0: no limit */
    /* Lines: within the buffer, or up to four times longer than it. */
    cfg.lim.max_line = data[1] & 4 ? cfg.bufcap - 2 - (data[1] >> 3) % 16
                                   : (cfg.bufcap - 2) * (1 + (data[1] >> 3) % 4);
    in = data + 5;
    len = size - 5;
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&stream, 0, sizeof(stream));
    memset(&mem, 0, sizeof(mem));

    cfg.mode = GW_RECORD_ASSEMBLE;
    frame_decode(&cfg, in, len, 0, 1, &whole);
    frame_decode(&cfg, in, len, data[3] | 0x100u, 1 + data[4] % 40, &split);
    fz_result_same(&whole, &split, "whole vs split feed");
    cfg.mode = GW_RECORD_STREAM;
    frame_decode(&cfg, in, len, data[3] | 0x200u, 1 + data[4] % 7, &stream);
    fz_result_same(&whole, &stream, "assemble vs stream mode");
    frame_decode(&cfg, in, len, 0, 0, &mem);
    fz_result_same(&whole, &mem, "a pipe vs memory");

    if (whole.err == 0 && (cfg.fmt != GW_FRAME_LINES || frame_canonical(cfg.fmt, in, len, 0))) {
        fz_result enc;
        memset(&enc, 0, sizeof(enc));
        frame_reencode(&cfg, &whole, &enc);
        if (frame_canonical(cfg.fmt, in, len, enc.len))
            fz_check(enc.len == len && (len == 0 || memcmp(enc.data, in, len) == 0),
                     "re-encoding reproduces the input");
        fz_result_free(&enc);
    }
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&stream);
    fz_result_free(&mem);
    return 0;
}

#endif /* GW_FRAME_COMMON_H */
