/*
 * Shared by the cancel suite's files (tests/test-cancel.c, the byte
 * readers; tests/cancel-records.c, the record reader;
 * tests/cancel-writers.c, the writers): the fixture every case builds on, a
 * one-byte memory pipe that the layer under test reads from or writes into,
 * so that each operation suspends once per byte, and the progress callback
 * gwt_cancel_each calls between suspensions (feed the next byte, drain).
 */
#ifndef GW_TEST_CANCEL_H
#define GW_TEST_CANCEL_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/io.h>

#include "gwt-cancel.h"
#include "gwt.h"

/* The pipe at the bottom of a case, and what goes through it.  Each case's
 * fixture starts with one. */
typedef struct cfix {
    gw_mempipe p;      /* a reader's source or a writer's destination */
    const uint8_t *in; /* reader: the input, fed a byte per wait on readable */
    size_t len, fed;   /* its length, bytes fed so far */
    size_t drained;    /* writer: bytes taken out of the pipe on waits for room */
} cfix;

/* cfix_init: a pipe of cap bytes, to be fed in[0 .. len) (NULL, 0 for a
 * writer's). */
void cfix_init(cfix *f, size_t cap, const uint8_t *in, size_t len);

/* cfix_fini: frees the pipe. */
void cfix_fini(cfix *f);

/* cfix_progress: the gwt_cancel_case progress of every case (ud a fixture
 * starting with a cfix): on a wait for readable it feeds the next byte, or
 * finishes the pipe once all are fed; on a wait for writable it empties the
 * pipe.  Any other wait fails the test. */
void cfix_progress(void *ud, const gw_wait *w);

/* cfix_drain: empties the pipe (counting the bytes in f->drained). */
void cfix_drain(cfix *f);

/* cfix_run: runs op to its end, making progress at every wait; returns
 * op->ret. */
int cfix_run(cfix *f, gw_io_op *op);

/* cfix_scale: n, or about a quarter of it under valgrind (gwt_sampling). */
size_t cfix_scale(size_t n);

/* cfix_random: n pseudo-random bytes from seed (malloc'd, n + 1 bytes). */
uint8_t *cfix_random(size_t n, uint64_t seed);

/* cancel_report: prints a layer's count of cancels on the TAP stream and
 * asserts it is at least min, so that no case passes without cancelling. */
void cancel_report(const char *layer, size_t cancels, size_t min);

/* The record reader's case (tests/cancel-records.c). */
void test_cancel_record_reader(void **state);

/* The writers' cases (tests/cancel-writers.c). */
void test_cancel_bufwriter(void **state);
void test_cancel_chunked_writer(void **state);
void test_cancel_encrypt(void **state);
void test_cancel_deflate(void **state);

#endif /* GW_TEST_CANCEL_H */
