/*
 * Fuzz harness: the HTTP/1.1 chunked decoder and encoder
 * (parsers/framing/chunked.c).
 *
 * Input: byte 0 picks the bufreader capacity (1..64, or 4096 when its top
 * bit is set), byte 1 the max_line limit (0: the default), byte 2 the
 * max_trailer limit (0: the default), byte 3 the feed schedule's seed and
 * byte 4 its largest piece, byte 5 the read size (1..128; odd: reads wait
 * for all of it, even: for one byte), byte 6 the encoder's chunk capacity
 * and flush points; the rest is the coded stream.
 *
 * Properties: the stream fed in pieces gives the same body bytes, error
 * code, error offset and bytes left after the message as fed whole, and as
 * decoded over plain memory; an error sticks; and the body decoded (all of
 * it, or the part before an error) re-encoded and decoded again comes back
 * unchanged with no error and nothing left over.
 */
#include <string.h>

#include <genwire/frame.h>

#include "fuzz.h"

/* The consumer, the same as the tests' (tests/chunked-drv.h). */
#define CK_DRV_CHECK(cond, what) fz_check(cond, what)
#include "tests/chunked-drv.h"

/* Decodes in[0..len): over a pipe fed by schedule (seed, maxpiece), or over
 * memory when brcap is 0.  Returns how many bytes of out are body. */
static size_t decode(const uint8_t *in, size_t len, size_t brcap, const gw_chunked_limits *lim,
                     size_t rdcap, size_t rdmin, uint64_t seed, unsigned maxpiece, fz_result *out)
{
    fz_feed feed = {in, len, 0, seed, maxpiece};
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_reader c;
    static uint8_t tmp[128];
    ck_drv d;
    gw_wait w;
    gw_stack st;

    fz_check(gw_mempipe_init(&pipe, 61) == 0, "pipe");
    if (brcap == 0)
        gw_bufreader_init_mem(&br, in, len);
    else
        fz_check(gw_bufreader_init(&br, &pipe.r, brcap) == 0, "bufreader");
    gw_chunked_reader_init(&c, &br, lim);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, ck_drv);
    d.c = &c;
    d.br = &br;
    d.out = out;
    d.tmp = tmp;
    d.cap = rdcap;
    d.min = rdmin;
    GW_START(&st, &d, &w);
    fz_drive(&st, &w, &pipe, &feed);
    fz_check(gw_stack_done(&st), "decoder finished");
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    return d.body_len;
}

/* Encodes body[0..len) in pieces and flushes chosen by `x`, into chunks of
 * at most cap bytes; checks that decoding gives the body back. */
static void round_trip(const uint8_t *body, size_t len, size_t cap, uint8_t x)
{
    gwt_sink cw;
    gw_chunked_writer cwr;
    fz_result again;
    size_t pos = 0, piece = 1 + (x >> 4);
    uint64_t chunks = 0;

    gwt_sink_init(&cw, 0);
    fz_check(gw_chunked_writer_init(&cwr, &cw.w, cap) == 0, "writer init");
    while (pos < len) {
        size_t n = len - pos < piece ? len - pos : piece;
        fz_check(fz_run_now(gw_write(&cwr.w, body + pos, n), "encode write waits") == 0,
                 "encode write");
        pos += n;
        if ((x & 8) && ++chunks % (1 + (x & 7)) == 0)
            fz_check(fz_run_now(gw_flush(&cwr.w), "encode flush waits") == 0, "encode flush");
        piece = 1 + (piece * 7 + x) % 97;
    }
    fz_check(fz_run_now(gw_close(&cwr.w), "encode close waits") == 0 && cw.closes == 1,
             "encode close");
    fz_check(cwr.w.nwritten == len, "every body byte accepted");
    memset(&again, 0, sizeof(again));
    decode(cw.got.data, cw.got.len, 0, NULL, 128, 1, 0, 1, &again);
    fz_check(again.err == 0, "re-encoded body decodes");
    fz_check(again.len == len + 8 && again.records == 1, "re-encoded body: length, no rest");
    fz_check(len == 0 || memcmp(again.data, body, len) == 0, "decode(encode(body)) == body");
    fz_result_free(&again);
    fz_result_free(&cw.got);
    gw_chunked_writer_fini(&cwr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_result whole, split, mem;
    gw_chunked_limits lim;
    size_t brcap, rdcap, rdmin, blen;

    if (size < 7)
        return 0;
    brcap = data[0] & 0x80 ? 4096 : 1 + data[0] % 64;
    lim.max_line = data[1];
    lim.max_trailer = data[2];
    rdcap = 1 + data[5] % 128;
    rdmin = data[5] & 1 ? rdcap : 1;
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&mem, 0, sizeof(mem));
    blen = decode(data + 7, size - 7, brcap, &lim, rdcap, rdmin, 0, 1, &whole);
    decode(data + 7, size - 7, brcap, &lim, rdcap, rdmin, data[3] | 0x100u, 1 + data[4] % 64,
           &split);
    decode(data + 7, size - 7, 0, &lim, rdcap, rdmin, 0, 1, &mem);
    fz_result_same(&whole, &split, "whole vs split feed");
    fz_result_same(&whole, &mem, "pipe vs memory");
    fz_check(whole.err != 0 || whole.records == 1, "a complete message leaves its rest");
    fz_check(whole.err == 0 || whole.records == 0, "an error leaves no rest record");
    fz_check(whole.err == 0 || whole.off <= size - 7, "error offset inside the input");
    if (whole.err == 0) {
        /* The rest is the input's tail, untouched. */
        size_t rlen = whole.len - blen - 8;
        fz_check(rlen <= size - 7 && memcmp(whole.data + blen + 8, data + size - rlen, rlen) == 0,
                 "the bytes after the message stay in src");
    }
    round_trip(whole.data, blen, 1 + data[6] % 32, data[6]);
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&mem);
    return 0;
}
