/*
 * Shared by the fuzz harnesses: the libFuzzer entry point's declaration,
 * result collection and the sink writer (from tests/gwt-core.h, the same
 * as the suites'), and the push-mode driver that feeds an input to a
 * decoder in pieces chosen by the input itself.  Harnesses compare the
 * result of a split feed with the whole feed and with a reference, and call
 * fz_check() on every property, which aborts so that any engine reports it.
 */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/exec.h>
#include <genwire/gen.h>
#include <genwire/io.h>

#include "tests/gwt-core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a decode produced: output bytes or records, error and offset; the
 * suites' gwt_result and its helpers (tests/gwt-core.h), by the harnesses'
 * names. */
typedef gwt_result fz_result;
#define fz_result_bytes  gwt_result_bytes
#define fz_result_record gwt_result_record
#define fz_result_free   gwt_result_free

/* Aborts unless a and b are identical. */
void fz_result_same(const fz_result *a, const fz_result *b, const char *what);

/* A feed schedule: piece sizes drawn from a seed; seed 0 feeds whole. */
typedef struct fz_feed {
    const uint8_t *in;
    size_t len, pos;
    uint64_t seed;     /* PRNG state; 0: one piece */
    unsigned maxpiece; /* the largest piece */
} fz_feed;

/* Drives st until it returns, feeding `pipe` from feed whenever the decoder
 * waits on pipe->readable; aborts on any other wait. */
void fz_drive(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, fz_feed *feed);

/* Runs op, which must finish without waiting (aborts with `what` if it
 * waits); returns op->ret. */
int fz_run_now(gw_io_op *op, const char *what);

/*
 * A generator that reads r to its end, up to readsize bytes a read into
 * buf, waiting for min, appending what each read gives (the bytes of a
 * failing read too) to out; it returns 0, or the error that ended it in
 * `ret`.  It checks that every read stays within buf and that a read gives
 * less than min (nothing, at min 1) only at the end.
 */
typedef struct fz_drain {
    GW_FRAME(gw_wait);
    gw_reader *r;    /* the reader under test */
    fz_result *out;  /* where the bytes go */
    uint8_t *buf;    /* readsize bytes */
    size_t readsize; /* bytes asked per read */
    size_t min;      /* bytes waited for per read (fz_drain_init: 1) */
    gw_io_op *op;    /* the read in progress */
    int ret;         /* 0 or the error */
} fz_drain;

/* Initialises d as a drain of r into out through buf[0 .. readsize), min 1
 * (set d->min after it for another). */
void fz_drain_init(fz_drain *d, gw_reader *r, fz_result *out, uint8_t *buf, size_t readsize);

/* Aborts with a message when cond is false. */
#define fz_check(cond, what) fz__check((cond), (what), __FILE__, __LINE__)
void fz__check(int cond, const char *what, const char *file, int line);

#endif /* GW_FUZZ_H */
