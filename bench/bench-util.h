/*
 * What the C benchmarks share: thread CPU time (on these shared machines
 * wall time swings by more than the differences measured), a fatal error,
 * a small deterministic random generator for their data sets, and
 * interleaved rounds: the sides of a comparison (genwire and its baseline)
 * run in short alternating slices within each round, each round's ratio is
 * kept, and the median of the per-round ratios is the figure a goal is
 * judged on, so that one slow burst of the machine moves one round, not the
 * result.  Header only; each benchmark is one program.
 */
#ifndef GENWIRE_BENCH_UTIL_H
#define GENWIRE_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds of CPU time this thread has used. */
static inline double bench_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints "NAME: what" on standard error and exits with status 1. */
static inline void bench_die(const char *name, const char *what)
{
    fprintf(stderr, "%s: %s\n", name, what);
    exit(1);
}

/* xorshift64*: the next number of the sequence in *s (nonzero). */
static inline uint64_t bench_rnd(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- interleaved rounds -------------------------------------------------- */

#define BENCH_MAX_SIDES  16
#define BENCH_MAX_ROUNDS 64

/* Runs one slice of side `side` (0 .. nsides-1) of a comparison; what a
 * slice is (so many values, so many bytes of a stream that the side
 * resumes where its last slice stopped) the benchmark decides, the same
 * work for every side. */
typedef void bench_slice_fn(void *ctx, int side);

/* The CPU seconds of every side in every round of one bench_interleave. */
typedef struct bench_rounds {
    int nsides, rounds;
    double t[BENCH_MAX_SIDES][BENCH_MAX_ROUNDS];
} bench_rounds;

/* One ratio num/den of the times of two sides: the median of the per-round
 * ratios (the figure to judge), their least and greatest, and the ratio of
 * the two sides' best rounds (the best-of figure of the older programs). */
typedef struct bench_ratio {
    double median, lo, hi, best;
} bench_ratio;

/*
 * For a side whose slices resume one stream: a step function asked for
 * `want` units (bytes, messages) does at least that many, starting a new
 * stream where one ends; asked for 0, it does the rest of one stream and
 * ends it.  bench_slice_full: the step has done its `want` (never for 0).
 * bench_stream_end: the stream just ended (*live is cleared, so the next
 * step starts another); nonzero when the step, asked for 0, is done.
 */
static inline int bench_slice_full(uint64_t done, uint64_t want)
{
    return want != 0 && done >= want;
}

static inline int bench_stream_end(int *live, uint64_t want)
{
    *live = 0;
    return want == 0;
}

/*
 * bench_interleave: `rounds` rounds, each of `slices` slices of every one of
 * the nsides sides, timed one slice at a time in thread CPU time and summed
 * per side and round into br.  Slice k of a round runs the sides in turn
 * from side k % nsides, so that no side always follows the same one.
 * Each slice's time includes about one reading of the clock (a system call:
 * 0.9 us on the project's machine), which pulls every ratio towards 1 by
 * that over the slice's time: make a slice long beside it (100 us is 1%).
 */
static inline void bench_interleave(bench_rounds *br, int nsides, int rounds, int slices,
                                    bench_slice_fn *fn, void *ctx)
{
    int r, k, i;

    if (nsides < 1 || nsides > BENCH_MAX_SIDES || rounds < 1 || rounds > BENCH_MAX_ROUNDS ||
        slices < 1)
        bench_die("bench", "bench_interleave: bad sides, rounds or slices");
    br->nsides = nsides;
    br->rounds = rounds;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < nsides; i++)
            br->t[i][r] = 0;
        for (k = 0; k < slices; k++)
            for (i = 0; i < nsides; i++) {
                int side = (k + i) % nsides;
                double t0 = bench_cpu_s();

                fn(ctx, side);
                br->t[side][r] += bench_cpu_s() - t0;
            }
    }
}

/* The least time of a side over the rounds. */
static inline double bench_best(const bench_rounds *br, int side)
{
    double b = br->t[side][0];
    int r;

    for (r = 1; r < br->rounds; r++)
        if (br->t[side][r] < b)
            b = br->t[side][r];
    return b;
}

/* The median of v[0..n-1] (n >= 1; the mean of the middle two when n is
 * even); sorts v. */
static inline double bench_median(double *v, int n)
{
    int i, j;

    for (i = 1; i < n; i++) {
        double x = v[i];

        for (j = i; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The ratio of side num's time over side den's, round by round. */
static inline bench_ratio bench_ratio_of(const bench_rounds *br, int num, int den)
{
    double v[BENCH_MAX_ROUNDS] = {0};
    bench_ratio q;
    int r;

    for (r = 0; r < br->rounds; r++)
        v[r] = br->t[num][r] / br->t[den][r];
    q.median = bench_median(v, br->rounds);
    q.lo = v[0];
    q.hi = v[br->rounds - 1];
    q.best = bench_best(br, num) / bench_best(br, den);
    return q;
}

#endif /* GENWIRE_BENCH_UTIL_H */
