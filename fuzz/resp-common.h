/*
 * Shared by the RESP fuzz harnesses: an event consumer that serialises
 * every event of a RESP stream (string pieces joined) into an fz_result,
 * checking the reader's limits on each one, and a decode over a memory pipe
 * fed in input-chosen pieces or over plain memory.
 */
#ifndef GW_RESP_COMMON_H
#define GW_RESP_COMMON_H

#include <stdio.h>
#include <string.h>

#include <genwire/resp.h>

#include "fuzz.h"

/* Reads every event into out. */
typedef struct rz_consumer {
    GW_FRAME(gw_wait);
    gw_resp_reader *rd;
    fz_result *out;
    fz_result piece; /* the string being joined */
    gw_io_op *op;
    int res;
    int ret;
} rz_consumer;

/* One event as a record: type, depth, flags, integer, then the string. */
static void rz_record(const gw_resp_reader *rd, fz_result *out, const fz_result *piece)
{
    const gw_resp_event *ev = &rd->ev;
    uint8_t hdr[24];
    int64_t iv = ev->type == GW_RESP_DOUBLE ? 0 : ev->integer;

    if (ev->type == GW_RESP_END || ev->type == GW_RESP_NULL)
        iv = ev->type == GW_RESP_END ? ev->agg : ev->wire;
    hdr[0] = (uint8_t)ev->type;
    hdr[1] = (uint8_t)(ev->flags & ~GW_RESP_MORE);
    memcpy(hdr + 2, &ev->depth, 4);
    memcpy(hdr + 6, &iv, 8);
    memcpy(hdr + 14, ev->type == GW_RESP_VERBATIM ? ev->fmt : "\0\0\0", 4);
    fz_result_bytes(out, hdr, 18);
    fz_result_record(out, piece->data, piece->len);
}

GW_GENERATOR(rz_consumer, NULL);
GW_BODY(rz_consumer, s)
{
    const gw_resp_event *ev = &s->rd->ev;
    const gw_resp_limits *lim = &s->rd->_lim;

    GW_BEGIN(s);
    for (;;) {
        GW_RESP_NEXT(s, op, s->rd, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        fz_check(s->res == 1, "next returns 1 for an event");
        fz_check(ev->depth <= lim->max_depth, "depth within the limit");
        if (ev->type == GW_RESP_SIMPLE || ev->type == GW_RESP_ERROR ||
            ev->type == GW_RESP_DOUBLE || ev->type == GW_RESP_BIGNUM)
            fz_check(ev->len <= lim->max_line, "line within the limit");
        if (ev->type >= GW_RESP_ARRAY && ev->type != GW_RESP_END && ev->integer >= 0 &&
            (ev->type == GW_RESP_ARRAY || ev->type == GW_RESP_MAP || ev->type == GW_RESP_SET ||
             ev->type == GW_RESP_ATTRIBUTE || ev->type == GW_RESP_PUSH))
            fz_check((uint64_t)ev->integer <= lim->max_elements, "count within the limit");
        if (ev->type != GW_RESP_END && ev->data != NULL && ev->len > 0)
            fz_result_bytes(&s->piece, ev->data, ev->len);
        if (ev->type == GW_RESP_BULK || ev->type == GW_RESP_BLOB_ERROR ||
            ev->type == GW_RESP_VERBATIM)
            fz_check(s->piece.len <= lim->max_bulk, "string within the bulk limit");
        if (ev->flags & GW_RESP_MORE)
            continue;
        rz_record(s->rd, s->out, &s->piece);
        s->piece.len = 0;
    }
    GW_END(s);
}

/* Decodes in[0..len) with limits *lim: over a pipe fed by (seed, maxpiece)
 * into a bufreader of brcap bytes, or over plain memory when brcap is 0.
 * Checks that an error sticks. */
static void rz_decode(const uint8_t *in, size_t len, size_t brcap, const gw_resp_limits *lim,
                      uint64_t seed, unsigned maxpiece, fz_result *out)
{
    fz_feed feed = {in, len, 0, seed, maxpiece};
    gw_mempipe pipe;
    gw_bufreader br;
    gw_resp_reader rd;
    rz_consumer c;
    gw_wait w;
    gw_stack st;

    fz_check(gw_mempipe_init(&pipe, 61) == 0, "pipe");
    if (brcap == 0)
        gw_bufreader_init_mem(&br, in, len);
    else
        fz_check(gw_bufreader_init(&br, &pipe.r, brcap) == 0, "bufreader");
    fz_check(gw_resp_reader_init(&rd, &br, lim) == 0, "reader");
    memset(&c, 0, sizeof(c));
    GW_INIT(&c, rz_consumer);
    c.rd = &rd;
    c.out = out;
    GW_START(&st, &c, &w);
    fz_drive(&st, &w, &pipe, &feed);
    out->err = c.ret;
    out->off = c.ret < 0 ? rd.err_off : 0;
    if (c.ret < 0) {
        fz_check(rd.err == c.ret, "error kept");
        fz_check(gw_resp_try_next(&rd) == c.ret, "error sticks (fast path)");
    } else {
        fz_check(gw_resp_reader_idle(&rd), "idle at a clean end");
    }
    fz_result_free(&c.piece);
    gw_resp_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

#endif /* GW_RESP_COMMON_H */
