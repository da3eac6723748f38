/*
 * Fuzz harness: the memory pipe + buffered reader, through a toy record
 * format read both ways a decoder can: in place with fill / peek / consume,
 * and by copying through the bufreader as an AsyncRead.
 *
 * Input: byte 0 picks the buffer capacity (1..64), byte 1 the feed
 * schedule's seed (0: whole), byte 2 its largest piece; the rest is the
 * stream.  Stream: records, each a header byte H then a payload: H < 0x80
 * means H bytes read in place (header + payload must fit the buffer, else
 * GW_ETOO_LARGE); H >= 0x80 means H & 0x7f bytes copied out with gw_read.
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
    uint64_t start;   /* stream offset of the current record */
    size_t need;      /* in place: header + payload */
    uint8_t tmp[128]; /* copied payloads */
    int ret;
} toyrec;

GW_GENERATOR(toyrec, NULL);
GW_BODY(toyrec, s)
{
    uint8_t h;

    GW_BEGIN(s);
    for (;;) {
        GW_FILL(s, op, s->br, 1);
        if (gw_bufreader_avail(s->br) == 0)
            GW_RETURN(s, s->br->r.err);
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
        s->need = 1 + (size_t)h;
        GW_FILL(s, op, s->br, s->need);
        if (gw_bufreader_avail(s->br) < s->need) {
            s->out->off = s->start;
            if (s->need > s->br->cap)
                GW_RETURN(s, GW_ETOO_LARGE);
            GW_RETURN(s, GW_EUNEXPECTED_EOF);
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
        size_t n = h & 0x7f;
        if (!(h & 0x80) && 1 + n > cap) {
            out->err = GW_ETOO_LARGE;
            out->off = pos;
            return;
        }
        if (len - pos - 1 < n) {
            out->err = GW_EUNEXPECTED_EOF;
            out->off = pos;
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
