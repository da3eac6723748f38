/*
 * Benchmark: the compression layers against raw zlib loops doing the same
 * work in the same run.  The data set is 64 MiB of generated web-server log
 * lines (timestamps, addresses, paths, status codes, sizes, user agents),
 * compressible about 7.5:1 at level 6, like real logs.
 *
 * inflate: the zlib stream of the data decoded by the inflate layer over a
 *   bufreader on the compressed bytes in memory, read 64 KiB at a time,
 *   against a plain inflate() loop over the same bytes into a 64 KiB buffer;
 *   where ISA-L is built in, also the layer on its ISA-L backend against a
 *   plain isal_inflate() loop (raw deflate after the 2-byte zlib header, as
 *   the backend does) with the same buffer.
 * deflate: the data written 64 KiB at a time to the deflate layer (level 6,
 *   64 KiB output buffer) over a writer that discards, against a plain
 *   deflate() loop with the same input pieces and output buffer size.
 *
 * Each figure is the best of several rounds, the two sides alternating, timed
 * in thread CPU time, since the machines are shared and noisy.  Before
 * timing, both sides' outputs are checked (CRC-32) against each other.  Prints MB/s and the ratio
 * layer/raw (the goal is at least 0.97).
 *
 * Usage: bench-inflate [MIB] [ROUNDS]   (defaults: 64 MiB, 7 rounds)
 */
#define _POSIX_C_SOURCE 200809L

#include <genwire/compress.h>
#include <genwire/exec.h>
#include <genwire/gen.h>
#include <genwire/io.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

#include <zlib.h>
#if GW_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define CHUNK (64u << 10)

/* Thread CPU time: on these shared machines wall time swings by more than
 * the differences measured. */
/* ---- the data set -------------------------------------------------------- */

/* n bytes of access-log lines, the same on every run. */
static uint8_t *make_logs(size_t n)
{
    static const char *const methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    static const char *const paths[] = {"/",
                                        "/index.html",
                                        "/api/v1/users",
                                        "/api/v1/orders",
                                        "/static/app.js",
                                        "/static/style.css",
                                        "/images/logo.png",
                                        "/search",
                                        "/login",
                                        "/api/v1/items"};
    static const int statuses[] = {200, 200, 200, 200, 304, 301, 404, 500};
    static const char *const agents[] = {
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "curl/7.88.1", "python-requests/2.31.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"};
    uint8_t *p = malloc(n);
    uint64_t s = 0x5eed, t = 1700000000;
    size_t pos = 0;
    char line[512];
    int len;

    if (p == NULL)
        bench_die("bench-inflate", "out of memory");
    while (pos < n) {
        uint64_t r = bench_rnd(&s);
        t += r % 3;
        len = snprintf(line, sizeof(line),
                       "10.%u.%u.%u - - [%llu] \"%s %s?id=%llu HTTP/1.1\" %d %llu \"-\" \"%s\"\n",
                       (unsigned)(r >> 8) % 4, (unsigned)(r >> 16) % 256, (unsigned)(r >> 24) % 256,
                       (unsigned long long)t, methods[(r >> 32) % 6], paths[(r >> 36) % 10],
                       (unsigned long long)((r >> 40) % 100000), statuses[(r >> 44) % 8],
                       (unsigned long long)((r >> 48) % 50000), agents[(r >> 60) % 5]);
        if ((size_t)len > n - pos)
            len = (int)(n - pos);
        memcpy(p + pos, line, (size_t)len);
        pos += (size_t)len;
    }
    return p;
}

/* ---- running operations -------------------------------------------------- */

/* Runs an operation that never waits (memory below, a discarding writer). */
static int run(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    if (gw_next(&st) != GW_RETURNED)
        bench_die("bench-inflate", "an operation waited");
    return op->ret;
}

/* When set, the discarding writer and raw_deflate checksum what they emit. */
static uint32_t *emit_crc;

/* A writer that discards what it is given, at once. */
typedef gw_io_op null_op;
GW_GENERATOR(null_op, NULL);
GW_BODY(null_op, s)
{
    GW_BEGIN(s);
    if (emit_crc != NULL && s->len > 0)
        *emit_crc = (uint32_t)crc32(*emit_crc, s->src, (uInt)s->len);
    s->n = s->len;
    GW_END(s);
}

static gw_io_op *null_start(gw_writer *w, const uint8_t *buf, size_t len)
{
    gw_io_op *op = &w->op;

    GW_INIT(op, null_op);
    op->obj = w;
    op->src = buf;
    op->len = len;
    op->ret = 0;
    op->n = 0;
    w->nwritten += len;
    return op;
}

static gw_io_op *null_flush(gw_writer *w)
{
    return null_start(w, NULL, 0);
}

static const gw_writer_ops null_ops = {"null", null_start, null_flush, null_flush};

/* ---- inflate ------------------------------------------------------------- */

static uint8_t outbuf[CHUNK];

/* The baseline: inflate() over the whole input into a 64 KiB buffer. */
__attribute__((noinline)) static uint64_t raw_inflate(const uint8_t *in, size_t len)
{
    z_stream zs;
    uint64_t total = 0;
    int zr;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15) != Z_OK)
        bench_die("bench-inflate", "inflateInit2");
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    do {
        zs.next_out = outbuf;
        zs.avail_out = CHUNK;
        zr = inflate(&zs, Z_NO_FLUSH);
        total += CHUNK - zs.avail_out;
    } while (zr == Z_OK);
    if (zr != Z_STREAM_END)
        bench_die("bench-inflate", "raw inflate failed");
    inflateEnd(&zs);
    return total;
}

#if GW_HAVE_ISAL
/* The ISA-L baseline: isal_inflate() over the deflate data after the zlib
 * header into a 64 KiB buffer, computing the Adler-32 as the backend does
 * (the 4-byte trailer is left unchecked). */
__attribute__((noinline)) static uint64_t raw_isal(const uint8_t *in, size_t len)
{
    static struct inflate_state st;
    uint64_t total = 0;

    isal_inflate_init(&st);
    st.crc_flag = ISAL_ZLIB_NO_HDR;
    st.next_in = (uint8_t *)(uintptr_t)(in + 2);
    st.avail_in = (uint32_t)(len - 2);
    do {
        st.next_out = outbuf;
        st.avail_out = CHUNK;
        if (isal_inflate(&st) != ISAL_DECOMP_OK)
            bench_die("bench-inflate", "raw isal_inflate failed");
        total += CHUNK - st.avail_out;
    } while (st.block_state != ISAL_BLOCK_FINISH);
    return total;
}
#endif

/* The layer: reads of 64 KiB from the inflate layer over the same bytes. */
__attribute__((noinline)) static uint64_t layer_inflate(const uint8_t *in, size_t len,
                                                        uint32_t *crc, gw_inflate_backend be)
{
    gw_bufreader br;
    gw_inflate z;
    gw_inflate_opts o;
    gw_io_op *op;
    uint64_t total = 0;

    gw_bufreader_init_mem(&br, in, len);
    gw_inflate_opts_default(&o);
    o.format = GW_ZFORMAT_ZLIB;
    o.backend = be;
    if (gw_inflate_init(&z, &br, &o) != 0)
        bench_die("bench-inflate", "gw_inflate_init");
    for (;;) {
        if (run(op = gw_try_read(&z.r, outbuf, CHUNK, 1)) != 0)
            bench_die("bench-inflate", gw_inflate_msg(&z));
        if (op->n == 0)
            break;
        if (crc != NULL)
            *crc = (uint32_t)crc32(*crc, outbuf, (uInt)op->n);
        total += op->n;
    }
    gw_inflate_fini(&z);
    return total;
}

/* ---- deflate ------------------------------------------------------------- */

/* The baseline: deflate() of 64 KiB pieces into a 64 KiB buffer. */
__attribute__((noinline)) static uint64_t raw_deflate(const uint8_t *in, size_t len)
{
    z_stream zs;
    uint64_t total = 0;
    size_t pos = 0, n;
    int zr, flush;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        bench_die("bench-inflate", "deflateInit2");
    zs.next_out = outbuf;
    zs.avail_out = CHUNK;
    do {
        n = len - pos < CHUNK ? len - pos : CHUNK;
        zs.next_in = (Bytef *)(uintptr_t)(in + pos);
        zs.avail_in = (uInt)n;
        pos += n;
        flush = pos == len ? Z_FINISH : Z_NO_FLUSH;
        for (;;) {
            zr = deflate(&zs, flush);
            if (zs.avail_out == 0) {
                total += CHUNK; /* the buffer is "written" */
                if (emit_crc != NULL)
                    *emit_crc = (uint32_t)crc32(*emit_crc, outbuf, CHUNK);
                zs.next_out = outbuf;
                zs.avail_out = CHUNK;
                continue;
            }
            if (flush == Z_NO_FLUSH || zr == Z_STREAM_END)
                break;
        }
    } while (pos < len);
    total += CHUNK - zs.avail_out;
    if (emit_crc != NULL)
        *emit_crc = (uint32_t)crc32(*emit_crc, outbuf, CHUNK - zs.avail_out);
    deflateEnd(&zs);
    return total;
}

/* The layer: 64 KiB writes, then close, over the discarding writer. */
__attribute__((noinline)) static uint64_t layer_deflate(const uint8_t *in, size_t len)
{
    gw_writer sink;
    gw_deflate d;
    gw_deflate_opts o;
    size_t pos, n;
    uint64_t total;

    gw_writer_init(&sink, &null_ops);
    gw_deflate_opts_default(&o);
    o.format = GW_ZFORMAT_ZLIB;
    o.level = 6;
    o.buffer = CHUNK;
    if (gw_deflate_init(&d, &sink, &o) != 0)
        bench_die("bench-inflate", "gw_deflate_init");
    for (pos = 0; pos < len; pos += n) {
        n = len - pos < CHUNK ? len - pos : CHUNK;
        if (run(gw_write(&d.w, in + pos, n)) != 0)
            bench_die("bench-inflate", "deflate write");
    }
    if (run(gw_close(&d.w)) != 0)
        bench_die("bench-inflate", "deflate close");
    total = sink.nwritten;
    gw_deflate_fini(&d);
    return total;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
    int rounds = argc > 2 ? atoi(argv[2]) : 7, i;
    size_t n = mib << 20;
    uint8_t *data, *comp;
    uLongf clen;
    double t, raw_best = 1e9, layer_best = 1e9, rawd_best = 1e9, layerd_best = 1e9;
    double rawi_best = 1e9, layeri_best = 1e9; /* ISA-L, where built in */
    uint32_t crc = (uint32_t)crc32(0, NULL, 0), crc_a, crc_b;
    uint64_t a, b;

    (void)rawi_best;
    (void)layeri_best;
    if (mib == 0 || rounds <= 0)
        bench_die("bench-inflate", "usage: bench-inflate [MIB] [ROUNDS]");
    data = make_logs(n);
    clen = compressBound((uLong)n);
    if ((comp = malloc(clen)) == NULL)
        bench_die("bench-inflate", "out of memory");
    if (compress2(comp, &clen, data, (uLong)n, 6) != Z_OK)
        bench_die("bench-inflate", "compress2");
    printf("data: %zu MiB of log lines, zlib level 6: %lu bytes (%.2f:1)\n", mib,
           (unsigned long)clen, (double)n / (double)clen);

    /* Check once, untimed, that both sides do the whole job. */
    if (layer_inflate(comp, clen, &crc, GW_INFLATE_BACKEND_ZLIB) != n ||
        crc != (uint32_t)crc32(crc32(0, NULL, 0), data, (uInt)n))
        bench_die("bench-inflate", "the inflate layer's output differs");
    if (raw_inflate(comp, clen) != n)
        bench_die("bench-inflate", "the raw inflate's output differs");
#if GW_HAVE_ISAL
    crc = (uint32_t)crc32(0, NULL, 0);
    if (layer_inflate(comp, clen, &crc, GW_INFLATE_BACKEND_ISAL) != n ||
        crc != (uint32_t)crc32(crc32(0, NULL, 0), data, (uInt)n))
        bench_die("bench-inflate", "the inflate layer's output on ISA-L differs");
    if (raw_isal(comp, clen) != n)
        bench_die("bench-inflate", "the raw isal_inflate's output differs");
#endif
    crc_a = crc_b = (uint32_t)crc32(0, NULL, 0);
    emit_crc = &crc_a;
    a = raw_deflate(data, n);
    emit_crc = &crc_b;
    b = layer_deflate(data, n);
    emit_crc = NULL;
    if (a != b || crc_a != crc_b)
        bench_die("bench-inflate", "the deflate layer's output differs from raw deflate's");

    for (i = 0; i < rounds; i++) {
        t = bench_cpu_s();
        raw_inflate(comp, clen);
        t = bench_cpu_s() - t;
        if (t < raw_best)
            raw_best = t;
        t = bench_cpu_s();
        layer_inflate(comp, clen, NULL, GW_INFLATE_BACKEND_ZLIB);
        t = bench_cpu_s() - t;
        if (t < layer_best)
            layer_best = t;
#if GW_HAVE_ISAL
        t = bench_cpu_s();
        raw_isal(comp, clen);
        t = bench_cpu_s() - t;
        if (t < rawi_best)
            rawi_best = t;
        t = bench_cpu_s();
        layer_inflate(comp, clen, NULL, GW_INFLATE_BACKEND_ISAL);
        t = bench_cpu_s() - t;
        if (t < layeri_best)
            layeri_best = t;
#endif
    }
    printf("inflate (best of %d): raw zlib %.1f MB/s, layer %.1f MB/s, layer/raw %.3f\n", rounds,
           (double)n / raw_best / 1e6, (double)n / layer_best / 1e6, raw_best / layer_best);
#if GW_HAVE_ISAL
    printf("inflate on ISA-L (best of %d): raw isal %.1f MB/s, layer %.1f MB/s, layer/raw %.3f, "
           "layer vs layer on zlib %.2fx\n",
           rounds, (double)n / rawi_best / 1e6, (double)n / layeri_best / 1e6,
           rawi_best / layeri_best, layer_best / layeri_best);
#endif
    for (i = 0; i < (rounds + 1) / 2; i++) {
        t = bench_cpu_s();
        raw_deflate(data, n);
        t = bench_cpu_s() - t;
        if (t < rawd_best)
            rawd_best = t;
        t = bench_cpu_s();
        layer_deflate(data, n);
        t = bench_cpu_s() - t;
        if (t < layerd_best)
            layerd_best = t;
    }
    printf("deflate level 6 (best of %d): raw zlib %.1f MB/s, layer %.1f MB/s, layer/raw %.3f\n",
           (rounds + 1) / 2, (double)n / rawd_best / 1e6, (double)n / layerd_best / 1e6,
           rawd_best / layerd_best);
    free(comp);
    free(data);
    return 0;
}
