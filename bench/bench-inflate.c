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
 * The sides of each comparison take turns in slices of 4 MiB (of output for
 * inflate, of input for deflate), each resuming its stream where its last
 * slice stopped (one stream per side a round), timed in thread CPU time
 * (bench_interleave), since the machines are shared and noisy.  Before
 * timing, both sides' outputs are checked (CRC-32) against each other.
 * Prints MB/s of the best round and the ratio layer/raw as the median of
 * the per-round ratios (the figure judged; the goal is at least 0.97),
 * with the best rounds' ratio beside it.
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

/* ---- the sides: each a stream resumed slice by slice ------------------------ */

#define SLICE (4u << 20) /* bytes per slice */

typedef struct side {
    int live;    /* a stream in progress */
    size_t pos;  /* deflate: where in the input */
    z_stream zs; /* the raw zlib loops */
#if GW_HAVE_ISAL
    struct inflate_state is; /* the raw ISA-L loop */
#endif
    gw_bufreader br; /* the inflate layer */
    gw_inflate z;
    gw_writer sink; /* the deflate layer */
    gw_deflate d;
} side;

/* Each step function below does `want` bytes (at least; a 64 KiB piece
 * more at most) of output (inflate) or input (deflate), starting a new
 * stream where the last one ended; with want 0, the rest of one stream,
 * which it ends.  Returns the bytes done. */

static uint8_t outbuf[CHUNK];

/* When set, the inflate loops checksum what they produce. */
static uint32_t *out_crc;

static void produced(size_t n)
{
    if (out_crc != NULL)
        *out_crc = (uint32_t)crc32(*out_crc, outbuf, (uInt)n);
}

/* The baseline: inflate() over the whole input into a 64 KiB buffer. */
__attribute__((noinline)) static uint64_t raw_inflate(side *s, const uint8_t *in, size_t len,
                                                      uint64_t want)
{
    uint64_t total = 0;
    int zr;

    for (;;) {
        if (!s->live) {
            memset(&s->zs, 0, sizeof(s->zs));
            if (inflateInit2(&s->zs, 15) != Z_OK)
                bench_die("bench-inflate", "inflateInit2");
            s->zs.next_in = (Bytef *)(uintptr_t)in;
            s->zs.avail_in = (uInt)len;
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        s->zs.next_out = outbuf;
        s->zs.avail_out = CHUNK;
        zr = inflate(&s->zs, Z_NO_FLUSH);
        produced(CHUNK - s->zs.avail_out);
        total += CHUNK - s->zs.avail_out;
        if (zr == Z_STREAM_END) {
            inflateEnd(&s->zs);
            if (bench_stream_end(&s->live, want))
                return total;
        } else if (zr != Z_OK) {
            bench_die("bench-inflate", "raw inflate failed");
        }
    }
}

#if GW_HAVE_ISAL
/* The ISA-L baseline: isal_inflate() over the deflate data after the zlib
 * header into a 64 KiB buffer, computing the Adler-32 as the backend does
 * (the 4-byte trailer is left unchecked). */
__attribute__((noinline)) static uint64_t raw_isal(side *s, const uint8_t *in, size_t len,
                                                   uint64_t want)
{
    uint64_t total = 0;

    for (;;) {
        if (!s->live) {
            isal_inflate_init(&s->is);
            s->is.crc_flag = ISAL_ZLIB_NO_HDR;
            s->is.next_in = (uint8_t *)(uintptr_t)(in + 2);
            s->is.avail_in = (uint32_t)(len - 2);
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        s->is.next_out = outbuf;
        s->is.avail_out = CHUNK;
        if (isal_inflate(&s->is) != ISAL_DECOMP_OK)
            bench_die("bench-inflate", "raw isal_inflate failed");
        produced(CHUNK - s->is.avail_out);
        total += CHUNK - s->is.avail_out;
        if (s->is.block_state == ISAL_BLOCK_FINISH) {
            if (bench_stream_end(&s->live, want))
                return total;
        }
    }
}
#endif

/* The layer: reads of 64 KiB from the inflate layer over the same bytes. */
__attribute__((noinline)) static uint64_t layer_inflate(side *s, const uint8_t *in, size_t len,
                                                        gw_inflate_backend be, uint64_t want)
{
    gw_inflate_opts o;
    gw_io_op *op;
    uint64_t total = 0;

    for (;;) {
        if (!s->live) {
            gw_bufreader_init_mem(&s->br, in, len);
            gw_inflate_opts_default(&o);
            o.format = GW_ZFORMAT_ZLIB;
            o.backend = be;
            if (gw_inflate_init(&s->z, &s->br, &o) != 0)
                bench_die("bench-inflate", "gw_inflate_init");
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        if (run(op = gw_try_read(&s->z.r, outbuf, CHUNK, 1)) != 0)
            bench_die("bench-inflate", gw_inflate_msg(&s->z));
        produced(op->n);
        total += op->n;
        if (op->n == 0) {
            gw_inflate_fini(&s->z);
            if (bench_stream_end(&s->live, want))
                return total;
        }
    }
}

/* The baseline: deflate() of 64 KiB pieces into a 64 KiB buffer; *out
 * (unless NULL): the bytes the stream that ended came to. */
__attribute__((noinline)) static uint64_t raw_deflate(side *s, const uint8_t *in, size_t len,
                                                      uint64_t want, uint64_t *out)
{
    uint64_t total = 0;
    size_t n;
    int zr, flush;

    for (;;) {
        if (!s->live) {
            memset(&s->zs, 0, sizeof(s->zs));
            if (deflateInit2(&s->zs, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                bench_die("bench-inflate", "deflateInit2");
            s->zs.next_out = outbuf;
            s->zs.avail_out = CHUNK;
            s->pos = 0;
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        n = len - s->pos < CHUNK ? len - s->pos : CHUNK;
        s->zs.next_in = (Bytef *)(uintptr_t)(in + s->pos);
        s->zs.avail_in = (uInt)n;
        s->pos += n;
        total += n;
        flush = s->pos == len ? Z_FINISH : Z_NO_FLUSH;
        for (;;) {
            zr = deflate(&s->zs, flush);
            if (zr == Z_STREAM_ERROR)
                bench_die("bench-inflate", "raw deflate failed");
            if (s->zs.avail_out == 0) {
                if (emit_crc != NULL) /* the buffer is "written" */
                    *emit_crc = (uint32_t)crc32(*emit_crc, outbuf, CHUNK);
                s->zs.next_out = outbuf;
                s->zs.avail_out = CHUNK;
                continue;
            }
            if (flush == Z_NO_FLUSH || zr == Z_STREAM_END)
                break;
        }
        if (flush == Z_FINISH) {
            if (emit_crc != NULL)
                *emit_crc = (uint32_t)crc32(*emit_crc, outbuf, CHUNK - s->zs.avail_out);
            if (out != NULL)
                *out = s->zs.total_out;
            deflateEnd(&s->zs);
            if (bench_stream_end(&s->live, want))
                return total;
        }
    }
}

/* The layer: 64 KiB writes, then close, over the discarding writer. */
__attribute__((noinline)) static uint64_t layer_deflate(side *s, const uint8_t *in, size_t len,
                                                        uint64_t want, uint64_t *out)
{
    gw_deflate_opts o;
    uint64_t total = 0;
    size_t n;

    for (;;) {
        if (!s->live) {
            gw_writer_init(&s->sink, &null_ops);
            gw_deflate_opts_default(&o);
            o.format = GW_ZFORMAT_ZLIB;
            o.level = 6;
            o.buffer = CHUNK;
            if (gw_deflate_init(&s->d, &s->sink, &o) != 0)
                bench_die("bench-inflate", "gw_deflate_init");
            s->pos = 0;
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        n = len - s->pos < CHUNK ? len - s->pos : CHUNK;
        if (run(gw_write(&s->d.w, in + s->pos, n)) != 0)
            bench_die("bench-inflate", "deflate write");
        s->pos += n;
        total += n;
        if (s->pos == len) {
            if (run(gw_close(&s->d.w)) != 0)
                bench_die("bench-inflate", "deflate close");
            if (out != NULL)
                *out = s->sink.nwritten;
            gw_deflate_fini(&s->d);
            if (bench_stream_end(&s->live, want))
                return total;
        }
    }
}

/* ---- the runs ------------------------------------------------------------ */

enum { RAW_ZLIB, LAYER_ZLIB, RAW_ISAL, LAYER_ISAL, NINFLATE };
enum { RAW_DEFLATE, LAYER_DEFLATE, NDEFLATE };

typedef struct bench {
    side s[NINFLATE];  /* the inflate sides */
    side sd[NDEFLATE]; /* the deflate sides */
    const uint8_t *data, *comp;
    size_t n, clen;
} bench;

static void inflate_slice(void *ctx, int which)
{
    bench *b = ctx;
    side *s = &b->s[which];
    uint64_t done =
        which == RAW_ZLIB ? raw_inflate(s, b->comp, b->clen, SLICE)
#if GW_HAVE_ISAL
        : which == RAW_ISAL
            ? raw_isal(s, b->comp, b->clen, SLICE)
#endif
            : layer_inflate(s, b->comp, b->clen,
                            which == LAYER_ZLIB ? GW_INFLATE_BACKEND_ZLIB : GW_INFLATE_BACKEND_ISAL,
                            SLICE);

    if (done < SLICE)
        bench_die("bench-inflate", "a slice came short");
}

static void deflate_slice(void *ctx, int which)
{
    bench *b = ctx;
    side *s = &b->sd[which];
    uint64_t done = which == RAW_DEFLATE ? raw_deflate(s, b->data, b->n, SLICE, NULL)
                                         : layer_deflate(s, b->data, b->n, SLICE, NULL);

    if (done < SLICE)
        bench_die("bench-inflate", "a slice came short");
}

/* Prints one comparison's line. */
static void print_ratio(const char *what, const bench_rounds *br, int raw, int layer, size_t n)
{
    bench_ratio q = bench_ratio_of(br, raw, layer);

    printf("%s: raw %.1f MB/s, layer %.1f MB/s, layer/raw %.3f [%.3f-%.3f], best-of %.3f\n", what,
           (double)n / bench_best(br, raw) / 1e6, (double)n / bench_best(br, layer) / 1e6, q.median,
           q.lo, q.hi, q.best);
}

/* Decodes one whole stream on side `which` from a fresh state, checking its
 * output against the data. */
static void check_inflate(bench *b, int which, const char *what)
{
    uint32_t crc = (uint32_t)crc32(0, NULL, 0);
    side *s = &b->s[which];
    uint64_t got;

    out_crc = &crc;
    got = which == RAW_ZLIB ? raw_inflate(s, b->comp, b->clen, 0)
#if GW_HAVE_ISAL
          : which == RAW_ISAL
              ? raw_isal(s, b->comp, b->clen, 0)
#endif
              : layer_inflate(
                    s, b->comp, b->clen,
                    which == LAYER_ZLIB ? GW_INFLATE_BACKEND_ZLIB : GW_INFLATE_BACKEND_ISAL, 0);
    out_crc = NULL;
    if (got != b->n || crc != (uint32_t)crc32(crc32(0, NULL, 0), b->data, (uInt)b->n))
        bench_die("bench-inflate", what);
}

int main(int argc, char **argv)
{
    static bench b;
    static bench_rounds br;
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
    int rounds = argc > 2 ? atoi(argv[2]) : 7, ninflate = NINFLATE;
    size_t n = mib << 20;
    uint8_t *data, *comp;
    uLongf clen;
    uint32_t crc_a, crc_b;
    uint64_t a = 0, c = 0;

    if (mib == 0 || n % SLICE != 0 || rounds <= 0 || rounds > BENCH_MAX_ROUNDS)
        bench_die("bench-inflate", "usage: bench-inflate [MIB, a multiple of 4] [ROUNDS 1..64]");
    data = make_logs(n);
    clen = compressBound((uLong)n);
    if ((comp = malloc(clen)) == NULL)
        bench_die("bench-inflate", "out of memory");
    if (compress2(comp, &clen, data, (uLong)n, 6) != Z_OK)
        bench_die("bench-inflate", "compress2");
    printf("data: %zu MiB of log lines, zlib level 6: %lu bytes (%.2f:1)\n", mib,
           (unsigned long)clen, (double)n / (double)clen);
    b.data = data;
    b.comp = comp;
    b.n = n;
    b.clen = clen;

    /* Check once, untimed, that every side does the whole job. */
    check_inflate(&b, LAYER_ZLIB, "the inflate layer's output differs");
    check_inflate(&b, RAW_ZLIB, "the raw inflate's output differs");
#if GW_HAVE_ISAL
    check_inflate(&b, LAYER_ISAL, "the inflate layer's output on ISA-L differs");
    check_inflate(&b, RAW_ISAL, "the raw isal_inflate's output differs");
#else
    ninflate = RAW_ISAL;
#endif
    crc_a = crc_b = (uint32_t)crc32(0, NULL, 0);
    emit_crc = &crc_a;
    raw_deflate(&b.sd[RAW_DEFLATE], data, n, 0, &a);
    emit_crc = &crc_b;
    layer_deflate(&b.sd[LAYER_DEFLATE], data, n, 0, &c);
    emit_crc = NULL;
    if (a != c || crc_a != crc_b)
        bench_die("bench-inflate", "the deflate layer's output differs from raw deflate's");

    printf("each comparison: its sides taking turns in %u MiB slices, MB/s of the best round; "
           "layer/raw: the median\nof the per-round ratios [least-greatest], then the best "
           "rounds' ratio\n",
           SLICE >> 20);
    bench_interleave(&br, ninflate, rounds, (int)(n / SLICE), inflate_slice, &b);
    printf("(%d rounds) ", rounds);
    print_ratio("inflate", &br, RAW_ZLIB, LAYER_ZLIB, n);
#if GW_HAVE_ISAL
    printf("(%d rounds) ", rounds);
    print_ratio("inflate on ISA-L", &br, RAW_ISAL, LAYER_ISAL, n);
    printf("inflate layer on ISA-L vs layer on zlib: %.2fx (median)\n",
           bench_ratio_of(&br, LAYER_ZLIB, LAYER_ISAL).median);
#endif
    bench_interleave(&br, NDEFLATE, (rounds + 1) / 2, (int)(n / SLICE), deflate_slice, &b);
    printf("(%d rounds) ", (rounds + 1) / 2);
    print_ratio("deflate level 6", &br, RAW_DEFLATE, LAYER_DEFLATE, n);
    free(comp);
    free(data);
    return 0;
}
