/*
 * What the compression suite's files share (tests/test-compress*.c and
 * compress-test.c): the backend under test, the inflate layer driven by gwt
 * at every split point, from memory and through a failing source, a memory
 * sink under the deflate layer, files and commands in a scratch directory,
 * and the test cases main() in test-compress.c runs.
 */
#ifndef GENWIRE_COMPRESS_TEST_H
#define GENWIRE_COMPRESS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/compress.h>
#include <genwire/gen.h>
#include <genwire/io.h>

#include "gwt.h"

/* The backend the inflate cases run on (GWZ_BACKEND; main() sets it). */
extern gw_inflate_backend backend;
/* The scratch directory main() makes and removes. */
extern char tmpdir[64];

/* How one decode is set up. */
typedef struct infl_cfg {
    gw_inflate_opts opts; /* the layer's options */
    size_t bufcap;        /* the bufreader's capacity */
    size_t readsize;      /* bytes asked per read */
    size_t min;           /* minimum per read (gw_try_read's min); 0 is allowed */
    size_t pipecap;       /* the memory pipe's capacity; 0: 64 */
    int noend;            /* feed everything but never end the input: a wait after that fails */
    int src_fails;        /* the source fails (GW_EIO) where its input would end */
    const char *msg;      /* out: gw_inflate_msg after the last decode */
} infl_cfg;

/* Reads a reader to its end or error, appending what it delivers.  With
 * min 0, a read that brings nothing is followed by one with min 1, which
 * waits. */
typedef struct drain {
    GW_FRAME(gw_wait);
    gw_reader *r;    /* what to read */
    gwt_result *out; /* where the bytes go */
    uint8_t *buf;    /* readsize bytes */
    size_t readsize; /* bytes asked per read */
    size_t min;      /* min per read */
    size_t want;     /* min of the read in progress */
    gw_io_op *op;    /* the read in progress */
    int ret;         /* 0 at a clean end, else the error */
} drain;

typedef struct memsink {
    gw_writer w;       /* the sink as an AsyncWrite */
    uint8_t *data;     /* what was written */
    size_t len, cap;   /* bytes written, allocated */
    size_t fail_after; /* a write that would pass this many bytes fails with GW_EIO */
    int yield_each;    /* each operation first waits once (GW_WAIT_READY) */
    int flushes;       /* flushes seen */
    int closed;        /* a close was seen */
} memsink;

void run_op(gw_io_op *op);
uint8_t *read_file(const char *path, size_t *len);
void write_file(const char *path, const void *data, size_t len);
const char *tmp_path(const char *name);
void run_cmd(const char *fmt, ...);
uint8_t *make_text(size_t n, uint64_t seed);
void opts_default(gw_inflate_opts *o);
size_t bufcap_for(size_t cap);
void normalise(gwt_result *r);
void decode_inflate(gwt_feed *feed, gwt_result *out, void *ud);
void decode_mem(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *out);
void cfg_init(infl_cfg *cfg, gw_zformat fmt, size_t bufcap, size_t readsize, size_t min);
void expect_prefix(const gwt_result *res, const char *what, const uint8_t *want, size_t wlen,
                   int err, uint64_t off);
void check_splits(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *res);
void check_sampled(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *res);
void check_all(const uint8_t *in, size_t len, gw_zformat fmt, gwt_result *res, const char **msg);
void sink_init(memsink *m);
uint8_t *deflate_layer(const uint8_t *data, size_t len, gw_zformat fmt, int level, size_t bufsize,
                       size_t chunk, size_t *outlen);
void drain_init(drain *d, gw_reader *r, gwt_result *out, uint8_t *buf, size_t readsize, size_t min);
void drive_no_end(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, gwt_feed *feed);

/* The cases, by file. */
void test_deflate_peers(void **state);
void test_deflate_roundtrip_splits(void **state);
void test_deflate_flush(void **state);
void test_deflate_tiny_buffer(void **state);
void test_deflate_dst_error(void **state);
void test_deflate_zero_is_default(void **state);
void test_truncation_every_offset(void **state);
void test_stop_at_end(void **state);
void test_stop_at_end_no_wait(void **state);
void test_error_after_good_data(void **state);
void test_error_after_good_data_large(void **state);
void test_src_error_every_offset(void **state);
void test_backend_differences(void **state);
void test_backend_truncation(void **state);
void test_bomb(void **state);
void test_zero_means_default(void **state);
void test_alloc_failure_inflate(void **state);
void test_alloc_failure_deflate(void **state);
void test_cancel_inflate(void **state);
void test_cancel_task(void **state);
void test_cancel_deflate(void **state);
void test_python_vectors(void **state);
void test_gzip_command(void **state);
void test_names_and_args(void **state);

#endif /* GENWIRE_COMPRESS_TEST_H */
