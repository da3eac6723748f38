/*
 * Shared by the RESP fuzz harnesses: an event consumer that serialises
 * every event of a RESP stream (string pieces joined) into an fz_result,
 * checking the reader's limits on each one, a reply consumer that writes
 * each tree back as RESP, and decodes of both over a memory pipe fed in
 * input-chosen pieces or over plain memory.
 */
#ifndef GW_RESP_COMMON_H
#define GW_RESP_COMMON_H

#include <stdio.h>
#include <stdlib.h>
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
        if (ev->type == GW_RESP_SIMPLE || ev->type == GW_RESP_ERROR || ev->type == GW_RESP_DOUBLE ||
            ev->type == GW_RESP_BIGNUM)
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

/* The input side of a decode: a bufreader of brcap bytes over a memory
 * pipe fed in the pieces (seed, maxpiece) choose, or over plain memory
 * when brcap is 0. */
typedef struct rz_input {
    fz_feed feed;
    gw_mempipe pipe;
    gw_bufreader br;
} rz_input;

static void rz_input_init(rz_input *in, const uint8_t *p, size_t len, size_t brcap, uint64_t seed,
                          unsigned maxpiece)
{
    fz_feed feed = {p, len, 0, seed, maxpiece};

    in->feed = feed;
    fz_check(gw_mempipe_init(&in->pipe, 61) == 0, "pipe");
    if (brcap == 0)
        gw_bufreader_init_mem(&in->br, p, len);
    else
        fz_check(gw_bufreader_init(&in->br, &in->pipe.r, brcap) == 0, "bufreader");
}

static void rz_input_fini(rz_input *in)
{
    gw_bufreader_fini(&in->br);
    gw_mempipe_fini(&in->pipe);
}

/* Decodes in[0..len) with limits *lim (see rz_input_init for the rest).
 * Checks that an error sticks. */
static void rz_decode(const uint8_t *in, size_t len, size_t brcap, const gw_resp_limits *lim,
                      uint64_t seed, unsigned maxpiece, fz_result *out)
{
    rz_input src;
    gw_resp_reader rd;
    rz_consumer c;
    gw_wait w;
    gw_stack st;

    rz_input_init(&src, in, len, brcap, seed, maxpiece);
    fz_check(gw_resp_reader_init(&rd, &src.br, lim) == 0, "reader");
    memset(&c, 0, sizeof(c));
    GW_INIT(&c, rz_consumer);
    c.rd = &rd;
    c.out = out;
    GW_START(&st, &c, &w);
    fz_drive(&st, &w, &src.pipe, &src.feed);
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
    rz_input_fini(&src);
}

/* Reads every reply of a tree into out, each written as RESP. */
typedef struct rz_tree_consumer {
    GW_FRAME(gw_wait);
    gw_resp_tree *t;
    fz_result *out;
    gw_io_op *op;
    int res;
    int ret;
} rz_tree_consumer;

GW_GENERATOR(rz_tree_consumer, NULL);
GW_BODY(rz_tree_consumer, s)
{
    size_t n;
    uint8_t *b;

    GW_BEGIN(s);
    for (;;) {
        GW_RESP_TREE_NEXT(s, op, s->t, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        n = gw_resp_format_value(NULL, 0, s->t->value);
        b = malloc(n + 1);
        fz_check(b != NULL, "memory");
        fz_check(gw_resp_format_value(b, n, s->t->value) == n, "size query agrees");
        fz_result_record(s->out, b, n);
        free(b);
    }
    GW_END(s);
}

/* The same input read as trees: each reply as one record, then the error
 * and its offset.  Checks that an error sticks. */
static void rz_tree_decode(const uint8_t *in, size_t len, size_t brcap, const gw_resp_limits *lim,
                           uint64_t seed, unsigned maxpiece, fz_result *out)
{
    rz_input src;
    gw_resp_tree t;
    rz_tree_consumer c;
    gw_wait w;
    gw_stack st;

    rz_input_init(&src, in, len, brcap, seed, maxpiece);
    fz_check(gw_resp_tree_init(&t, &src.br, lim) == 0, "tree");
    memset(&c, 0, sizeof(c));
    GW_INIT(&c, rz_tree_consumer);
    c.t = &t;
    c.out = out;
    GW_START(&st, &c, &w);
    fz_drive(&st, &w, &src.pipe, &src.feed);
    out->err = c.ret;
    out->off = c.ret < 0 ? t.rd.err_off : 0;
    if (c.ret < 0)
        fz_check(gw_resp_tree_try_next(&t) == c.ret, "error sticks (tree)");
    gw_resp_tree_fini(&t);
    rz_input_fini(&src);
}

#endif /* GW_RESP_COMMON_H */
