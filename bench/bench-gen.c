/*
 * Benchmark: the cost of resuming a generator, against a plain indirect
 * call doing the same work (returning the next counter value), in the same
 * run, and at nesting depths 1, 4, 16 and 64 (a chain of yield-from frames
 * whose innermost one yields).  Prints ns per value and the ratios the
 * design promises: depth 1 within 2x of the indirect call, depth 64 within
 * 1.5x of depth 1.  Each figure is the best of several rounds, since the
 * machines are shared and noisy.
 *
 * Usage: bench-gen [MILLIONS]   (default 50 million values per round)
 */
#include <genwire/exec.h>
#include <genwire/gen.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 7

static double now_s(void)
{
    return (double)gw_now() / 1e9;
}

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

__attribute__((noinline)) static uint64_t run_indirect(uint64_t n)
{
    uint64_t (*fn)(counter *) = counter_fn;
    counter c = {0};
    uint64_t sum = 0, k;

    for (k = 0; k < n; k++)
        sum += fn(&c);
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

static double time_naive(size_t depth, uint64_t n, uint64_t *check)
{
    naive *fr = calloc(depth, sizeof(*fr));
    uint64_t (*fn)(naive *) = naive_fn;
    double best = 1e30;
    int r;

    for (r = 0; r < ROUNDS; r++) {
        uint64_t sum = 0, k;
        double t0, t;
        size_t i;

        for (i = 0; i < depth; i++) {
            fr[i].child = i + 1 < depth ? &fr[i + 1] : NULL;
            fr[i].i = 0;
        }
        t0 = now_s();
        for (k = 0; k < n; k++)
            sum += fn(&fr[0]);
        t = now_s() - t0;
        *check = sum;
        if (t < best)
            best = t;
    }
    free(fr);
    return best / (double)n * 1e9;
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

static double time_depth(size_t depth, uint64_t n, uint64_t *check)
{
    link *fr = calloc(depth, sizeof(*fr));
    double best = 1e30;
    int r;

    for (r = 0; r < ROUNDS; r++) {
        uint64_t v = 0;
        gw_stack st;
        double t0, t;
        size_t i;

        for (i = depth; i-- > 0;) {
            GW_INIT(&fr[i], link);
            fr[i].child = i + 1 < depth ? &fr[i + 1] : NULL;
            fr[i].i = 0;
        }
        GW_START(&st, &fr[0], &v);
        t0 = now_s();
        *check = run_stack(&st, &v, n);
        t = now_s() - t0;
        if (t < best)
            best = t;
    }
    free(fr);
    return best / (double)n * 1e9;
}

int main(int argc, char **argv)
{
    static const size_t depths[] = {1, 4, 16, 64};
    uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 50) * 1000000ull;
    uint64_t want = n * (n - 1) / 2, got = 0;
    double base = 1e30, ns[4];
    int r;
    size_t d;

    for (r = 0; r < ROUNDS; r++) {
        double t0 = now_s(), t;
        got = run_indirect(n);
        t = now_s() - t0;
        if (t < base)
            base = t;
    }
    base = base / (double)n * 1e9;
    if (got != want) {
        fprintf(stderr, "bench-gen: baseline computed %llu, want %llu\n", (unsigned long long)got,
                (unsigned long long)want);
        return 1;
    }
    printf("generator resume vs indirect call, %llu values per round, best of %d rounds\n",
           (unsigned long long)n, ROUNDS);
    printf("%-22s %8.3f ns/value\n", "indirect call", base);
    for (d = 0; d < 4; d++) {
        ns[d] = time_depth(depths[d], n, &got);
        if (got != want) {
            fprintf(stderr, "bench-gen: depth %zu computed a wrong sum\n", depths[d]);
            return 1;
        }
        printf("resume at depth %-6zu %8.3f ns/value  %5.2fx indirect  %5.2fx depth 1\n", depths[d],
               ns[d], ns[d] / base, ns[d] / ns[0]);
    }
    for (d = 0; d < 4; d++) {
        double t = time_naive(depths[d], n, &got);
        if (got != want) {
            fprintf(stderr, "bench-gen: naive depth %zu computed a wrong sum\n", depths[d]);
            return 1;
        }
        printf(
            "naive chain, depth %-3zu %8.3f ns/value  %5.2fx indirect  (resume walks the chain)\n",
            depths[d], t, t / base);
    }
    printf("ratio depth1/indirect %.2f (goal <= 2.0), depth64/depth1 %.2f (goal <= 1.5)\n",
           ns[0] / base, ns[3] / ns[0]);
    return 0;
}
