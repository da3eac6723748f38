/*
 * gwt: helpers shared by the test suites.  The main one feeds a byte vector
 * to a decoder in push mode under many feed schedules (whole, split in two at
 * every point, one byte at a time, random pieces) and asserts that every
 * schedule gives the same result: records, bytes, error code and offset.
 * Every decoder test in genwire goes through it.  Decoders opt in to more
 * (gwt_check_splits_ex): feeding without ending, prompt output, and
 * varying the consumer's read size and min.
 */
#ifndef GWT_H
#define GWT_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/exec.h>
#include <genwire/gen.h>
#include <genwire/io.h>

#include "gwt-core.h"

/* One input and the schedule it is fed with: the piece boundaries `cuts`
 * (strictly increasing offsets inside the input). */
typedef struct gwt_feed {
    const uint8_t *in; /* the input */
    size_t len;        /* its length */
    const size_t *cuts;
    size_t ncuts;
    size_t pos;   /* bytes fed so far */
    size_t next;  /* index of the next cut */
    size_t waits; /* how many times the decoder waited for input */
} gwt_feed;

/* gwt_check_splits_ex flags: properties a decoder opts in to. */
/* GWT_NO_END: the input ends with a complete unit: every run feeds it
 * without ever ending it, and a decoder that waits again once it has all the
 * input fails. */
#define GWT_NO_END 1u
/* GWT_PROMPT: every run: once all the input is fed, the output must be
 * complete before the end of input is signalled (the end adds no record or
 * byte). */
#define GWT_PROMPT 2u
/* GWT_VARY_READS: also run under several consumer read shapes: feed->cap
 * from 1 to 4096, feed->min 0, 1 and cap (decoders read with
 * gwt_feed_cap/_min or consume with gwt_drain). */
#define GWT_VARY_READS 4u

/* GWT_SAMPLE: under valgrind (gwt_sampling), split in two at a sample of
 * offsets (every one within 8 bytes of either end and about 16 between)
 * instead of at each; the other schedules run as always.  For suites whose
 * every-split runs take minutes under valgrind; the normal and sanitizer
 * builds still try each. */
#define GWT_SAMPLE 8u

/* gwt_sampling: nonzero when GWT_SAMPLE applies: the test runs under
 * valgrind (its preload library is in LD_PRELOAD), or GWT_SAMPLE=1 is set in
 * the environment.  Suites may also use it to scale big cases down. */
int gwt_sampling(void);

/* The consumer's default buffer size. */
#define GWT_CAP 4096

/* The read shape of the run feed belongs to (GWT_CAP and 1 for a feed that
 * gwt_check_splits_ex did not make): how much the consumer asks for and how
 * much it waits for. */
size_t gwt_feed_cap(const gwt_feed *feed);
size_t gwt_feed_min(const gwt_feed *feed);

/*
 * gwt_drive: resumes `st` (which yields into *slot) until it returns.  Each
 * time it waits on pipe->readable, feeds the next piece of the input (or
 * finishes the pipe when all was fed).  Any other wait fails the test.
 */
void gwt_drive(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, gwt_feed *feed);

/* Runs one decode of feed->in under feed's schedule, filling *out. */
typedef void (*gwt_decode_fn)(gwt_feed *feed, gwt_result *out, void *ud);

/*
 * gwt_check_splits: runs `decode` on the input fed whole, split in two at
 * every offset, one byte at a time, and in 16 random schedules, asserting
 * that every result is identical to the whole one, which it leaves in
 * *whole (free it with gwt_result_free).
 */
void gwt_check_splits(const uint8_t *in, size_t len, gwt_decode_fn decode, void *ud,
                      gwt_result *whole);

/*
 * gwt_check_splits_ex: gwt_check_splits with the GWT_* properties in flags.
 * The reference result is always the whole input fed and then ended.
 */
void gwt_check_splits_ex(const uint8_t *in, size_t len, gwt_decode_fn decode, void *ud,
                         gwt_result *whole, unsigned flags);

/*
 * gwt_drain: the standard consumer of a byte layer under test: reads r to
 * its end (or error) with the run's read shape, appending the bytes to out,
 * and drives it with gwt_drive over pipe.  Sets out->err (and out->off from
 * r->err_off).  It checks the read contract as it goes: a read short of min
 * must come with end of stream; and at min 0, a read that returns nothing
 * is followed by a min-1 read, which must wait or take new input from the
 * pipe, else the min-0 read withheld bytes it could have decoded.
 */
void gwt_drain(gw_reader *r, gw_mempipe *pipe, gwt_feed *feed, gwt_result *out);

/* gwt_run_op: runs an operation frame to completion in push mode, failing
 * the test if it waits for anything; returns op->ret. */
int gwt_run_op(gw_io_op *op);

/* gwt_result_join: the records of r (made of gwt_result_record calls only)
 * as text, separated by sep, NUL-terminated in buf; records that do not fit
 * cap are left out. */
void gwt_result_join(const gwt_result *r, char sep, char *buf, size_t cap);

/*
 * Running a suite.  cmocka prints a skipped case as "not ok N # SKIP", which
 * TAP (and meson) count as a failure.  A suite whose cases may skip runs its
 * group with GWT_RUN_GROUP instead of cmocka_run_group_tests_name, and a
 * case skips with gwt_skip(reason): the runner (tests/gwt-run.c) reports it
 * as "ok N - name # SKIP reason", which meson counts as skipped.  Both need
 * cmocka.h included first.
 */
struct CMUnitTest;
int gwt_run_group(const char *name, const struct CMUnitTest *tests, size_t n);
#define GWT_RUN_GROUP(name, tests)                                                                 \
    gwt_run_group((name), (tests), sizeof(tests) / sizeof((tests)[0]))
/* gwt_skip(reason): says why on the TAP stream, then skips the case (a
 * statement: it does not return). */
#define gwt_skip(reason)                                                                           \
    do {                                                                                           \
        print_message("# skipped: %s\n", (reason));                                                \
        skip();                                                                                    \
    } while (0)

/*
 * A source that never waits and fails at the end of its input: each read
 * returns the input up to the feed's next cut (more pieces while fewer than
 * min bytes are in), and the read that reaches the end returns its bytes
 * together with the error fail_with (sticky; later reads fail with it and
 * no bytes).  A decoder over it must deliver every unit those bytes
 * complete before it reports the error, whatever the cuts.
 */
typedef struct gwt_failsrc {
    gw_reader r;    /* base */
    gwt_feed *feed; /* the input and its cuts; feed->pos is how much was read */
    int fail_with;  /* the error that comes with the last bytes */
} gwt_failsrc;

/* gwt_failsrc_init: a source over feed (not owned) failing with fail_with. */
void gwt_failsrc_init(gwt_failsrc *f, gwt_feed *feed, int fail_with);

/* A small deterministic PRNG for test data (xorshift64*). */
uint64_t gwt_rand(uint64_t *state);

#endif /* GWT_H */
