/*
 * What the C benchmarks share: thread CPU time (on these shared machines
 * wall time swings by more than the differences measured), a fatal error,
 * and a small deterministic random generator for their data sets.  Header
 * only; each benchmark is one program.
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

#endif /* GENWIRE_BENCH_UTIL_H */
