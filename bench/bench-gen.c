/*
 * Benchmark: the cost of resuming a generator, against a plain indirect
 * call doing the same work (returning the next counter value), in the same
 * run, and at nesting depths 1, 4, 16 and 64 (a chain of yield-from frames
 * whose innermost one yields), beside the same chains resumed naively (each
 * level calling the next).  Prints ns per value and the ratios the design
 * promises: depth 1 within 2x of the indirect call, depth 64 within 1.5x of
 * depth 1.  Every side runs in every round, in slices of a million values
 * taking turns (bench_interleave, thread CPU time), so that a slow moment
 * of these shared machines falls on all sides alike; the ratios judged are
 * the medians of the per-round ratios, printed beside the best-of figures.
 *
 * Usage: bench-gen [MILLIONS] [ROUNDS]   (defaults: 50 million values per
 * round, 7 rounds)
 */
#include <genwire/exec.h>
#include <genwire/gen.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"

#define SLICE 1000000u /* values per slice */

/* ---- baseline: an iterator behind a function pointer --------------------- */

typedef struct counter {
    uint64_t i; /* the next value */
} counter;

static uint64_t counter_next(counter *c)
{
    return c->i++;
}

/* The pointer is read through a volatile so that the call stays indirect. */
static uint64_t (*volatile counter_fn)(counter *) = counter_next;

__attribute__((noinline)) static uint64_t run_indirect(counter *c, uint64_t n)
{
    uint64_t (*fn)(counter *) = counter_fn;
    uint64_t sum = 0, k;

    for (k = 0; k < n; k++)
        sum += fn(c);
    return sum;
}

/* ---- generators ---------------------------------------------------------- */

typedef struct link {
    GW_FRAME(uint64_t);
    struct link *child; /* the next frame down, or NULL: this one yields */
    uint64_t i;         /* leaf: the next value */
    uint64_t ret;       /* unused */
} link;

GW_GENERATOR(link, NULL);
GW_BODY(link, s)
{
    GW_BEGIN(s);
    if (s->child != NULL) {
        GW_YIELD_FROM(s, s->child);
        GW_EXIT(s);
    }
    for (;;) {
        GW_YIELD(s, s->i);
        s->i++;
    }
    GW_END(s);
}

/* The same chain delegating the way CPython and Rust do: every resume
 * enters the root, which resumes its child, down to the leaf.  Not a
 * genwire API: the baseline that shows what O(1) resume saves. */
typedef struct naive {
    struct naive *child; /* the next frame down, or NULL: this one yields */
    uint64_t i;          /* leaf: the next value */
} naive;

__attribute__((noinline)) static uint64_t naive_resume(naive *f)
{
    if (f->child != NULL)
        return naive_resume(f->child);
    return f->i++;
}

static uint64_t (*volatile naive_fn)(naive *) = naive_resume;

__attribute__((noinline)) static uint64_t run_naive(naive *root, uint64_t n)
{
    uint64_t (*fn)(naive *) = naive_fn;
    uint64_t sum = 0, k;

    for (k = 0; k < n; k++)
        sum += fn(root);
    return sum;
}

/* Drives a stack for n values; noinline so that the compiler cannot see
 * which body the frame holds. */
__attribute__((noinline)) static uint64_t run_stack(gw_stack *st, const uint64_t *slot, uint64_t n)
{
    uint64_t sum = 0, k;

    for (k = 0; k < n; k++) {
        gw_next(st);
        sum += *slot;
    }
    return sum;
}

/* ---- the sides ----------------------------------------------------------- */

#define NDEPTHS 4
static const size_t depths[NDEPTHS] = {1, 4, 16, 64};

/* Side 0 the indirect call, 1..4 resume at each depth, 5..8 the naive
 * chain at each depth.  Every side's state lives across slices and rounds:
 * each slice continues its counter, and every side sums what it was given. */
enum { S_INDIRECT, S_RESUME, S_NAIVE = S_RESUME + NDEPTHS, NSIDES = S_NAIVE + NDEPTHS };

typedef struct sides {
    counter c;
    link *fr[NDEPTHS];
    gw_stack st[NDEPTHS];
    uint64_t v[NDEPTHS]; /* each stack's yield slot */
    naive *nv[NDEPTHS];
    uint64_t slice;       /* values per slice */
    uint64_t sum[NSIDES]; /* what each side has summed */
} sides;

static void slice(void *ctx, int side)
{
    sides *s = ctx;

    if (side == S_INDIRECT)
        s->sum[side] += run_indirect(&s->c, s->slice);
    else if (side < S_NAIVE)
        s->sum[side] += run_stack(&s->st[side - S_RESUME], &s->v[side - S_RESUME], s->slice);
    else
        s->sum[side] += run_naive(s->nv[side - S_NAIVE], s->slice);
}

static void sides_init(sides *s, uint64_t per_slice)
{
    size_t d, i;

    memset(s, 0, sizeof(*s));
    s->slice = per_slice;
    for (d = 0; d < NDEPTHS; d++) {
        link *fr = calloc(depths[d], sizeof(*fr));
        naive *nv = calloc(depths[d], sizeof(*nv));

        if (fr == NULL || nv == NULL)
            bench_die("bench-gen", "out of memory");
        for (i = depths[d]; i-- > 0;) {
            GW_INIT(&fr[i], link);
            fr[i].child = i + 1 < depths[d] ? &fr[i + 1] : NULL;
            nv[i].child = i + 1 < depths[d] ? &nv[i + 1] : NULL;
        }
        GW_START(&s->st[d], &fr[0], &s->v[d]);
        s->fr[d] = fr;
        s->nv[d] = nv;
    }
}

int main(int argc, char **argv)
{
    static sides s;
    static bench_rounds br;
    uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 50) * 1000000ull, want;
    int rounds = argc > 2 ? atoi(argv[2]) : 7, slices, i;
    double per;
    bench_ratio q1, q64;
    size_t d;

    if (n < SLICE || rounds < 1 || rounds > BENCH_MAX_ROUNDS)
        bench_die("bench-gen", "usage: bench-gen [MILLIONS] [ROUNDS 1..64]");
    slices = (int)(n / SLICE);
    sides_init(&s, SLICE);
    bench_interleave(&br, NSIDES, rounds, slices, slice, &s);
    /* Every side returned 0, 1, 2, ... once each: the same sum (mod 2^64). */
    n = (uint64_t)slices * SLICE;
    want = (uint64_t)rounds * n;
    want = want % 2 ? (want - 1) / 2 * want : want / 2 * (want - 1);
    for (i = 0; i < NSIDES; i++)
        if (s.sum[i] != want) {
            fprintf(stderr, "bench-gen: side %d computed %llu, want %llu\n", i,
                    (unsigned long long)s.sum[i], (unsigned long long)want);
            return 1;
        }
    per = 1e9 / (double)n;
    printf("generator resume vs indirect call, %llu values per round, %d rounds, every side in\n"
           "slices of %u values taking turns; ns/value of the best round; ratios: median of\n"
           "the per-round ratios [least-greatest round], then the best rounds' ratio\n",
           (unsigned long long)n, rounds, SLICE);
    printf("%-22s %8.3f ns/value\n", "indirect call", bench_best(&br, S_INDIRECT) * per);
    for (d = 0; d < NDEPTHS; d++) {
        bench_ratio qi = bench_ratio_of(&br, S_RESUME + (int)d, S_INDIRECT);
        bench_ratio q = bench_ratio_of(&br, S_RESUME + (int)d, S_RESUME);

        printf("resume at depth %-6zu %8.3f ns/value  %5.2fx indirect [%.2f-%.2f] best %.2f  "
               "%5.2fx depth 1 [%.2f-%.2f] best %.2f\n",
               depths[d], bench_best(&br, S_RESUME + (int)d) * per, qi.median, qi.lo, qi.hi,
               qi.best, q.median, q.lo, q.hi, q.best);
    }
    for (d = 0; d < NDEPTHS; d++) {
        bench_ratio qi = bench_ratio_of(&br, S_NAIVE + (int)d, S_INDIRECT);

        printf("naive chain, depth %-3zu %8.3f ns/value  %5.2fx indirect [%.2f-%.2f] best %.2f  "
               "(resume walks the chain)\n",
               depths[d], bench_best(&br, S_NAIVE + (int)d) * per, qi.median, qi.lo, qi.hi,
               qi.best);
    }
    q1 = bench_ratio_of(&br, S_RESUME, S_INDIRECT);
    q64 = bench_ratio_of(&br, S_RESUME + 3, S_RESUME);
    printf("ratio (median of %d rounds) depth1/indirect %.2f (goal <= 2.0), depth64/depth1 %.2f "
           "(goal <= 1.5); best-of: %.2f, %.2f\n",
           rounds, q1.median, q64.median, q1.best, q64.best);
    for (d = 0; d < NDEPTHS; d++) {
        free(s.fr[d]);
        free(s.nv[d]);
    }
    return 0;
}
