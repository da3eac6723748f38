/*
 * Fuzz harness: the deflate layer (parsers/compress/deflate.c) round-trips
 * through the inflate layer and through zlib, and its flushes make
 * everything written so far decodable.
 *
 * Input: byte 0 picks the format (bits 0-1, mod 3), the level (bits 2-3:
 * 1, 6, 9, or GW_DEFLATE_STORE) and whether to flush after each piece (bit 4); byte 1 the
 * output buffer size; byte 2 the size of the pieces written; byte 3 the
 * inflate side's feed seed; the rest is the data.
 *
 * Properties: every operation succeeds; after each flush, zlib's inflate()
 * of the bytes written below so far yields exactly the data written so far;
 * the whole stream decodes to the data with the inflate layer fed in pieces
 * and with zlib's inflate(), which also finds its end exactly at the end.
 */
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include <genwire/compress.h>

#include "fuzz.h"

/* A streaming zlib inflate() that checks each flushed prefix. */
typedef struct peer {
    z_stream zs;   /* zlib's inflater */
    size_t fed;    /* compressed bytes given to it */
    fz_result out; /* what it produced */
    int zr;        /* its last verdict */
} peer;

static void peer_take(peer *p, const fz_result *comp)
{
    uint8_t buf[4096];

    p->zs.next_in = comp->data + p->fed;
    p->zs.avail_in = (uInt)(comp->len - p->fed);
    do {
        p->zs.next_out = buf;
        p->zs.avail_out = sizeof(buf);
        p->zr = inflate(&p->zs, Z_NO_FLUSH);
        fz_result_bytes(&p->out, buf, sizeof(buf) - p->zs.avail_out);
    } while (p->zr == Z_OK && p->zs.avail_out == 0);
    fz_check(p->zr == Z_OK || p->zr == Z_STREAM_END || p->zr == Z_BUF_ERROR, "zlib accepts it");
    p->fed = comp->len - p->zs.avail_in;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int levels[] = {1, 6, 9, GW_DEFLATE_STORE};
    static const int wbits[] = {15 + 16, 15, -15};
    const uint8_t *in;
    size_t len, piece, pos;
    gw_deflate_opts o;
    gw_deflate d;
    gwt_sink k;
    peer p;
    int flush;

    if (size < 4)
        return 0;
    in = data + 4;
    len = size - 4;
    gw_deflate_opts_default(&o);
    o.format = (gw_zformat)((data[0] & 3) % 3);
    o.level = levels[(data[0] >> 2) & 3];
    o.buffer = 1 + (size_t)data[1] * 13;
    flush = (data[0] >> 4) & 1;
    piece = 1 + (size_t)data[2] * 5;

    gwt_sink_init(&k, 0);
    memset(&p, 0, sizeof(p));
    fz_check(inflateInit2(&p.zs, wbits[o.format]) == Z_OK, "zlib init");
    fz_check(gw_deflate_init(&d, &k.w, &o) == 0, "deflate init");
    for (pos = 0; pos < len; pos += piece) {
        size_t n = len - pos < piece ? len - pos : piece;
        fz_check(fz_run_now(gw_write(&d.w, in + pos, n), "write waits") == 0, "write");
        if (flush) {
            fz_check(fz_run_now(gw_flush(&d.w), "flush waits") == 0, "flush");
            peer_take(&p, &k.got);
            fz_check(p.out.len == pos + n && memcmp(p.out.data, in, p.out.len) == 0,
                     "a flush makes everything written decodable");
        }
    }
    fz_check(fz_run_now(gw_close(&d.w), "close waits") == 0, "close");
    fz_check(k.closes == 1 && d.in_total == len && d.out_total == k.got.len, "closed and counted");
    gw_deflate_fini(&d);
    peer_take(&p, &k.got);
    fz_check(p.zr == Z_STREAM_END && p.fed == k.got.len, "zlib finds the end at the end");
    fz_check(p.out.len == len && (len == 0 || memcmp(p.out.data, in, len) == 0), "zlib round-trip");
    inflateEnd(&p.zs);
    fz_result_free(&p.out);

    /* The inflate layer, fed in pieces. */
    {
        fz_feed feed = {k.got.data, k.got.len, 0, data[3] | 0x100u, 1 + data[3] % 50};
        static uint8_t buf[777];
        fz_drain dr;
        gw_mempipe pipe;
        gw_bufreader br;
        gw_inflate z;
        gw_inflate_opts io;
        fz_result back;
        gw_wait w;
        gw_stack st;

        memset(&back, 0, sizeof(back));
        gw_inflate_opts_default(&io);
        io.format = o.format;
        fz_check(gw_mempipe_init(&pipe, 61) == 0, "pipe");
        fz_check(gw_bufreader_init(&br, &pipe.r, 1 + data[3] % 100) == 0, "bufreader");
        fz_check(gw_inflate_init(&z, &br, &io) == 0, "inflate init");
        fz_drain_init(&dr, &z.r, &back, buf, sizeof(buf));
        GW_START(&st, &dr, &w);
        fz_drive(&st, &w, &pipe, &feed);
        fz_check(dr.ret == 0, "the inflate layer decodes it");
        fz_check(back.len == len && (len == 0 || memcmp(back.data, in, len) == 0),
                 "inflate layer round-trip");
        gw_inflate_fini(&z);
        gw_bufreader_fini(&br);
        gw_mempipe_fini(&pipe);
        fz_result_free(&back);
    }
    fz_result_free(&k.got);
    return 0;
}
