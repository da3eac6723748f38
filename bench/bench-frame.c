/*
 * Benchmark: record decoding through gw_record_reader against a straight
 * hand-written decode loop over the same bytes, in the same run.
 *
 *  - 10 million 16-byte records, u32be and varint, from memory: records per
 *    second of the genwire reader (driven as a generator) over the hand
 *    loop's, goal >= 0.9x, once taking each record with GW_RECORD_NEXT and
 *    once taking the buffered ones with the gw_record_scan batch loop;
 *  - heap allocations per record in that run, from a counting allocator
 *    installed with gw_set_allocator; goal 0;
 *  - 1 MiB records: the reader hands them out in place, so it must be at
 *    least as fast as a memcpy of the same bytes.
 * Each figure is the best of several rounds, in thread CPU time.
 *
 * Usage: bench-frame [MILLIONS [FORMAT [PATH]]]   (default 10 million
 * records, both formats, both paths; FORMAT u32be or varint runs one, PATH
 * next or scan one genwire path, e.g. under callgrind)
 */
#define _POSIX_C_SOURCE 200809L

#include <genwire/alloc.h>
#include <genwire/exec.h>
#include <genwire/frame.h>
#include <genwire/gen.h>
#include <genwire/io.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

#define ROUNDS 25

/* The genwire paths to run: 0 GW_RECORD_NEXT, 1 gw_record_scan. */
static int first_path = 0, last_path = 1;

/* ---- counting allocator ------------------------------------------------- */

static uint64_t nallocs;

static void *count_malloc(size_t n, void *ud)
{
    (void)ud;
    nallocs++;
    return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    nallocs++;
    return realloc(p, n);
}
static void count_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* ---- data ----------------------------------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t i = 0;

    while (v >= 0x80) {
        p[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[i++] = (uint8_t)v;
    return i;
}

/* n records of rlen bytes each in fmt; returns the stream, its length in *len. */
static uint8_t *make_stream(gw_frame_format fmt, size_t n, size_t rlen, size_t *len)
{
    size_t hmax = 10, i, pos = 0, k;
    uint8_t *p = malloc(n * (hmax + rlen));

    for (i = 0; i < n; i++) {
        if (fmt == GW_FRAME_U32BE) {
            p[pos] = (uint8_t)(rlen >> 24);
            p[pos + 1] = (uint8_t)(rlen >> 16);
            p[pos + 2] = (uint8_t)(rlen >> 8);
            p[pos + 3] = (uint8_t)rlen;
            pos += 4;
        } else {
            pos += put_varint(p + pos, rlen);
        }
        for (k = 0; k < rlen; k++)
            p[pos + k] = (uint8_t)(i + k);
        pos += rlen;
    }
    *len = pos;
    return p;
}

/* ---- the hand-written loops ------------------------------------------------ */

/* What both sides compute per record, so that neither can skip the payload:
 * length plus first and last byte. */
#define DIGEST(sum, p, n) ((sum) += (n) + ((n) ? (uint64_t)(p)[0] + (p)[(n)-1] : 0))

__attribute__((noinline)) static uint64_t hand_u32be(const uint8_t *p, size_t len, uint64_t *nrec)
{
    size_t pos = 0;
    uint64_t sum = 0, k = 0;

    while (len - pos >= 4) {
        uint32_t n = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
                     (uint32_t)p[pos + 2] << 8 | p[pos + 3];
        if (n > GW_FRAME_DEFAULT_MAX_RECORD || len - pos - 4 < n)
            break;
        DIGEST(sum, p + pos + 4, n);
        pos += 4 + n;
        k++;
    }
    *nrec = k;
    return sum;
}

__attribute__((noinline)) static uint64_t hand_varint(const uint8_t *p, size_t len, uint64_t *nrec)
{
    size_t pos = 0;
    uint64_t sum = 0, k = 0;

    while (pos < len) {
        uint64_t n = 0;
        size_t i;
        for (i = 0; i < 10 && pos + i < len; i++) {
            n |= (uint64_t)(p[pos + i] & 0x7f) << (7 * i);
            if (!(p[pos + i] & 0x80))
                break;
        }
        if (i == 10 || pos + i >= len)
            break;
        pos += i + 1;
        if (n > GW_FRAME_DEFAULT_MAX_RECORD || len - pos < n)
            break;
        DIGEST(sum, p + pos, n);
        pos += (size_t)n;
        k++;
    }
    *nrec = k;
    return sum;
}

/* ---- the genwire reader, as a generator ------------------------------------ */

/* One frame type for both paths; each path has its own body, as a user
 * writes one loop or the other, so neither pays for the other's test. */
typedef struct reader_task {
    GW_FRAME(gw_wait);
    gw_record_reader *rr;
    uint64_t sum, n; /* digest and record count */
    gw_io_op *op;
    int res;
    int ret;
} reader_task;

/* One record with GW_RECORD_NEXT, digested and counted; the end of the
 * stream or an error finishes the body. */
#define NEXT_RECORD(s)                                                                             \
    do {                                                                                           \
        GW_RECORD_NEXT(s, op, (s)->rr, (s)->res);                                                  \
        if ((s)->res <= 0)                                                                         \
            GW_RETURN(s, (s)->res);                                                                \
        DIGEST((s)->sum, (s)->rr->data, (s)->rr->len);                                             \
        (s)->n++;                                                                                  \
    } while (0)

/* Each record taken with GW_RECORD_NEXT. */
typedef reader_task reader_next;
GW_GENERATOR(reader_next, NULL);
GW_BODY(reader_next, s)
{
    GW_BEGIN(s);
    for (;;) {
        NEXT_RECORD(s);
    }
    GW_END(s);
}

/* The buffered records taken with the gw_record_scan batch loop, the rest
 * with GW_RECORD_NEXT. */
typedef reader_task reader_scan;
GW_GENERATOR(reader_scan, NULL);
GW_BODY(reader_scan, s)
{
    GW_BEGIN(s);
    for (;;) {
        {
            gw_record_scan sc;
            uint64_t sum = 0, k = 0;
            gw_record_scan_begin(s->rr, &sc);
            while (gw_record_scan_next(s->rr, &sc)) {
                DIGEST(sum, sc.data, sc.len);
                k++;
            }
            gw_record_scan_end(s->rr, &sc);
            s->sum += sum;
            s->n += k;
        }
        NEXT_RECORD(s);
    }
    GW_END(s);
}

__attribute__((noinline)) static uint64_t gw_decode(gw_frame_format fmt, int scan, const uint8_t *p,
                                                    size_t len, uint64_t *nrec)
{
    gw_bufreader br;
    gw_record_reader rr;
    reader_task t;
    gw_wait w;
    gw_stack st;

    gw_bufreader_init_mem(&br, p, len);
    if (gw_record_reader_init(&rr, &br, fmt, NULL, GW_RECORD_ASSEMBLE) != 0)
        abort();
    if (scan)
        GW_INIT(&t, reader_scan);
    else
        GW_INIT(&t, reader_next);
    t.rr = &rr;
    t.sum = t.n = 0;
    GW_START(&st, &t, &w);
    while (gw_next(&st) == GW_YIELDED)
        ;
    if (t.ret != 0)
        abort();
    gw_record_reader_fini(&rr);
    *nrec = t.n;
    return t.sum;
}

/* Thread CPU time: wall time on the shared machine swings with the other
 * processes by more than the differences measured. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Times the hand loop and both genwire paths, interleaved in each round.
 * The goal's figure is the ratio of the best rounds (the hand loop's best
 * over genwire's); the median of the per-round ratios and their least and
 * greatest follow it. */
static void small_records(gw_frame_format fmt, size_t n)
{
    size_t len;
    uint8_t *p = make_stream(fmt, n, 16, &len);
    bench_rounds br;
    uint64_t hs = 0, gs, hn = 0, gn, allocs[2] = {0, 0};
    int r, scan;

    br.nsides = 3; /* the hand loop, then each genwire path */
    br.rounds = ROUNDS;
    for (r = 0; r < ROUNDS; r++) {
        double t0 = now_s();
        hs = fmt == GW_FRAME_U32BE ? hand_u32be(p, len, &hn) : hand_varint(p, len, &hn);
        br.t[0][r] = now_s() - t0;
        for (scan = first_path; scan <= last_path; scan++) {
            nallocs = 0;
            t0 = now_s();
            gs = gw_decode(fmt, scan, p, len, &gn);
            br.t[1 + scan][r] = now_s() - t0;
            allocs[scan] = nallocs;
            if (hs != gs || hn != gn || hn != n) {
                fprintf(stderr, "bench-frame: %s: results differ\n", gw_frame_format_name(fmt));
                exit(1);
            }
        }
    }
    for (scan = first_path; scan <= last_path; scan++) {
        bench_ratio q = bench_ratio_of(&br, 0, 1 + scan);
        printf("%-7s %zu x 16 B, %s: hand loop %6.1f Mrec/s, genwire %6.1f Mrec/s, ratio "
               "%.3f (goal >= 0.9), median of rounds %.3f [%.3f-%.3f], allocations %llu (%.6f "
               "per record)\n",
               gw_frame_format_name(fmt), n, scan ? "gw_record_scan" : "GW_RECORD_NEXT",
               (double)n / bench_best(&br, 0) / 1e6, (double)n / bench_best(&br, 1 + scan) / 1e6,
               q.best, q.median, q.lo, q.hi, (unsigned long long)allocs[scan],
               (double)allocs[scan] / (double)n);
    }
    free(p);
}

static void large_records(void)
{
    const size_t n = 256, rlen = 1u << 20;
    size_t len;
    uint8_t *p = make_stream(GW_FRAME_U32BE, n, rlen, &len);
    uint8_t *dst = malloc(rlen);
    double mc = 1e30, gen = 1e30;
    uint64_t gs = 0, gn = 0, ms = 0;
    int r;

    for (r = 0; r < ROUNDS; r++) {
        double t0 = now_s(), t;
        size_t i;
        ms = 0;
        for (i = 0; i < n; i++) {
            memcpy(dst, p + i * (4 + rlen) + 4, rlen);
            DIGEST(ms, dst, rlen);
        }
        t = now_s() - t0;
        if (t < mc)
            mc = t;
        t0 = now_s();
        gs = gw_decode(GW_FRAME_U32BE, 0, p, len, &gn);
        t = now_s() - t0;
        if (t < gen)
            gen = t;
    }
    if (gs != ms || gn != n) {
        fprintf(stderr, "bench-frame: 1 MiB records: results differ\n");
        exit(1);
    }
    printf("u32be   %zu x 1 MiB: memcpy %8.1f MB/s, genwire %10.1f MB/s, ratio %.1f (goal >= 1: "
           "zero-copy)\n",
           n, (double)len / mc / 1e6, (double)len / gen / 1e6, mc / gen);
    free(dst);
    free(p);
}

int main(int argc, char **argv)
{
    size_t n = (size_t)(argc > 1 ? strtoull(argv[1], NULL, 10) : 10) * 1000000u;
    gw_allocator counting = {count_malloc, count_realloc, count_free, NULL};

    const char *only = argc > 2 ? argv[2] : NULL;

    if (argc > 3) {
        first_path = last_path = strcmp(argv[3], "scan") == 0;
    }

    gw_set_allocator(&counting);
    printf("record decoding vs a hand-written loop, best of %d rounds\n", ROUNDS);
    if (only == NULL || strcmp(only, "u32be") == 0)
        small_records(GW_FRAME_U32BE, n);
    if (only == NULL || strcmp(only, "varint") == 0)
        small_records(GW_FRAME_VARINT, n);
    if (only == NULL)
        large_records();
    return 0;
}
