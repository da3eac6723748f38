/*
 * Fuzz harness: the memory pipe + buffered reader and the stream primitives
 * parsers share, through a toy record format read three ways: in place with
 * need N (GW_NEED) / peek / consume, through a bounded reader in small reads,
 * and by copying through the bufreader as an AsyncRead.
 *
 * Input: byte 0 picks the buffer capacity (1..64), byte 1 the feed
 * schedule's seed (0: whole), byte 2 its largest piece; the rest is the
 * stream.  Stream: records, each a header byte H then a payload: H < 0x40
 * means H bytes read in place (header + payload must fit the buffer, else
 * GW_ETOO_LARGE at the record; end of input inside it is GW_ETRUNCATED where
 * the input ended); 0x40 <= H < 0x80 means H & 0x3f bytes read through a
 * gw_bounded 3 bytes at a time (cut short: GW_ETRUNCATED where the input
 * ended); H >= 0x80 means H & 0x7f bytes copied out with gw_read
 * (GW_EUNEXPECTED_EOF at the record).
 *
 * Properties: the split feed gives the same records, error and error offset
 * as the whole feed, and both equal a plain loop over the same bytes.
 */
#include <string.h>

#include "fuzz.h"

typedef struct toyrec {
    GW_FRAME(gw_wait);
    gw_bufreader *br;
    fz_result *out;
    gw_io_op *op;
    gw_bounded body;  /* the bounded reader of a 0x40 record */
    uint64_t start;   /* stream offset of the current record */
    size_t need;      /* in place: header + payload; else the payload */
    size_t got;       /* bounded: payload bytes read so far */
    int err;          /* the sticky slot of GW_NEED */
    uint64_t err_off; /* ... and its offset */
    uint8_t tmp[128]; /* copied payloads */
    int ret;
} toyrec;

GW_GENERATOR(toyrec, NULL);
GW_BODY(toyrec, s)
{
    uint8_t h;

    GW_BEGIN(s);
    for (;;) {
        GW_NEED(s, op, s->br, 1, &s->err, &s->err_off);
        if (gw_bufreader_avail(s->br) == 0) {
            s->out->off = s->err_off;
            GW_RETURN(s, s->err);
        }
        s->start = gw_bufreader_offset(s->br);
        h = gw_bufreader_peek(s->br)[0];
        if (h & 0x80) {
            gw_bufreader_consume(s->br, 1);
            s->need = h & 0x7f;
            GW_AWAIT(s, op, gw_read(&s->br->r, s->tmp, s->need, s->need));
            if (s->op->ret < 0) {
                s->out->off = s->start;
                GW_RETURN(s, s->op->ret);
            }
            fz_result_record(s->out, s->tmp, s->need);
            continue;
        }
        if (h & 0x40) {
            gw_bufreader_consume(s->br, 1);
            s->need = h & 0x3f;
            gw_bounded_init(&s->body, s->br, s->need);
            for (s->got = 0; !s->body.r.eof;) {
                GW_AWAIT(s, op,
                         gw_try_read(&s->body.r, s->tmp + s->got,
                                     s->need - s->got < 3 ? s->need - s->got : 3, 1));
                s->got += s->op->n;
                if (s->op->ret < 0) {
                    s->out->off = s->body.r.err_off;
                    GW_RETURN(s, s->op->ret);
                }
            }
            fz_check(s->got == s->need, "bounded: every byte, then its end");
            fz_result_record(s->out, s->tmp, s->need);
            continue;
        }
        s->need = 1 + (size_t)h;
        GW_NEED(s, op, s->br, s->need, &s->err, &s->err_off);
        if (gw_bufreader_avail(s->br) < s->need) {
            fz_check(s->err != 0, "need: short is an error inside a record");
            s->out->off = s->err_off;
            GW_RETURN(s, s->err);
        }
        fz_result_record(s->out, gw_bufreader_peek(s->br) + 1, s->need - 1);
        gw_bufreader_consume(s->br, s->need);
    }
    GW_END(s);
}

static void decode(const uint8_t *in, size_t len, size_t cap, uint64_t seed, unsigned maxpiece,
                   fz_result *out)
{
    fz_feed feed = {in, len, 0, seed, maxpiece};
    gw_mempipe pipe;
    gw_bufreader br;
    toyrec dec;
    gw_wait w;
    gw_stack st;

    fz_check(gw_mempipe_init(&pipe, 97) == 0, "pipe");
    fz_check(gw_bufreader_init(&br, &pipe.r, cap) == 0, "bufreader");
    GW_INIT(&dec, toyrec);
    dec.br = &br;
    dec.out = out;
    dec.err = 0;
    dec.err_off = 0;
    dec.ret = 0;
    GW_START(&st, &dec, &w);
    fz_drive(&st, &w, &pipe, &feed);
    out->err = dec.ret;
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The same format parsed by a plain loop over memory. */
static void reference(const uint8_t *in, size_t len, size_t cap, fz_result *out)
{
    size_t pos = 0;

    while (pos < len) {
        uint8_t h = in[pos];
        size_t n = h & (h & 0x80 ? 0x7f : 0x3f);
        if (!(h & 0xc0) && 1 + n > cap) {
            out->err = GW_ETOO_LARGE;
            out->off = pos;
            return;
        }
        if (len - pos - 1 < n) {
            out->err = h & 0x80 ? GW_EUNEXPECTED_EOF : GW_ETRUNCATED;
            out->off = h & 0x80 ? pos : len;
            return;
        }
        fz_result_record(out, in + pos + 1, n);
        pos += 1 + n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_result whole, split, ref;
    size_t cap;

    if (size < 3)
        return 0;
    cap = 1 + data[0] % 64;
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&ref, 0, sizeof(ref));
    decode(data + 3, size - 3, cap, 0, 1, &whole);
    decode(data + 3, size - 3, cap, data[1] | 0x100u, 1 + data[2] % 32, &split);
    reference(data + 3, size - 3, cap, &ref);
    fz_result_same(&whole, &split, "whole vs split feed");
    fz_result_same(&whole, &ref, "decoder vs plain loop");
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&ref);
    return 0;
}
