/*
 * gwt-core: the part of the test helpers that needs no test framework, so
 * that the fuzz harnesses (fuzz/fuzz.h) build on the same pieces as the
 * suites (tests/gwt.h, which includes this): what a decoder produced
 * (gwt_result), a writer that keeps what it is given (gwt_sink), and
 * running an operation that must finish without waiting.  Running out of
 * memory here aborts, which cmocka and every fuzzing engine report.
 */
#ifndef GWT_CORE_H
#define GWT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/exec.h>
#include <genwire/gen.h>
#include <genwire/io.h>

/* What a decoder produced from one input: its output bytes or records
 * (records are appended as a u64 length then the payload), its error code
 * and the offset of the error. */
typedef struct gwt_result {
    uint8_t *data;   /* the output, serialised */
    size_t len, cap; /* bytes used and allocated */
    size_t records;  /* how many gwt_result_record calls */
    int err;         /* 0, or the decoder's error */
    uint64_t off;    /* where the error was found */
} gwt_result;

/* Appends raw bytes to the output. */
void gwt_result_bytes(gwt_result *r, const void *p, size_t n);
/* Appends one record (its length, then its bytes). */
void gwt_result_record(gwt_result *r, const void *p, size_t n);
/* Frees the output and zeroes the result. */
void gwt_result_free(gwt_result *r);

/* A writer that keeps what it is given, counts calls, and can be told to
 * fail: the bottom of an encoder under test.  Every operation finishes at
 * once. */
typedef struct gwt_sink {
    gw_writer w;                      /* base */
    gwt_result got;                   /* the bytes written (or one record per write) */
    unsigned writes, flushes, closes; /* calls seen */
    int fail_with;                    /* writes fail with this, if nonzero */
    int records;                      /* keep each write as a record, not as bytes */
} gwt_sink;

/* gwt_sink_init: an empty sink; records nonzero keeps writes apart. */
void gwt_sink_init(gwt_sink *k, int records);

/* gwt_run_once: starts op in push mode and resumes it once; returns what
 * gw_next returned, GW_RETURNED when op finished without waiting (its
 * result is then op->ret).  The callers fail in their own way otherwise:
 * gwt_run_op (tests/gwt.h), fz_run_now (fuzz/fuzz.h). */
int gwt_run_once(gw_io_op *op);

#endif /* GWT_CORE_H */
