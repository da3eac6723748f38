/*
 * chunked-check.h: the chunked decoder's test driver, shared by
 * test-chunked.c, test-chunked-errors.c and test-chunked-writer.c: the
 * consumer of chunked-drv.h (shared with fuzz/fuzz-chunked.c), the decode
 * modes (pipe and bufreader capacities, read
 * sizes, plain memory), and the checks ck_ok / ck_err_lim that run a vector
 * through gwt_check_splits in every mode.  Under valgrind the split-in-two
 * runs are sampled (GWT_SAMPLE); the normal and sanitizer builds try every
 * offset.  Static functions: include it once per test program.
 */
#ifndef CHUNKED_CHECK_H
#define CHUNKED_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/frame.h>
#include <genwire/io.h>

#include "gwt.h"

/* The consumer (chunked-drv.h) fails a case the cmocka way. */
#define CK_DRV_CHECK(cond, what) assert_true(cond)
#include "chunked-drv.h"

/* ---- the decode driver ---------------------------------------------------- */

/* How one decode is run. */
typedef struct ck_params {
    size_t pipecap;               /* capacity of the pipe */
    size_t brcap;                 /* capacity of the bufreader over the pipe */
    size_t rdcap;                 /* bytes asked for per read */
    size_t rdmin;                 /* min per read (>= 1) */
    int mem;                      /* decode over the input in memory, no pipe */
    const gw_chunked_limits *lim; /* NULL: the defaults */
} ck_params;

static inline void ck_decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const ck_params *p = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_reader c;
    ck_drv d;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, p->pipecap), 0);
    if (p->mem)
        gw_bufreader_init_mem(&br, feed->in, feed->len);
    else
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, p->brcap), 0);
    gw_chunked_reader_init(&c, &br, p->lim);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, ck_drv);
    d.c = &c;
    d.br = &br;
    d.out = out;
    d.cap = p->rdcap;
    d.min = p->rdmin;
    d.tmp = malloc(d.cap);
    assert_non_null(d.tmp);
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, &pipe, feed);
    if (p->mem)
        assert_int_equal(feed->waits, 0); /* over memory nothing waits */
    free(d.tmp);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The schedules every vector runs under. */
static const ck_params ck_modes[] = {
    {64, 1, 1, 1, 0, NULL},       /* one byte of buffer, one byte per read */
    {64, 3, 7, 1, 0, NULL},       /* a tiny buffer */
    {64, 16, 64, 1, 0, NULL},     /* reads larger than the buffer: read straight through */
    {64, 16, 64, 64, 0, NULL},    /* the same, reads that wait for all 64 */
    {64, 4096, 4096, 1, 0, NULL}, /* a large buffer */
    {64, 5, 4096, 4096, 0, NULL}, /* whole-body reads over a small buffer */
    {64, 0, 10, 3, 1, NULL},      /* over memory */
};
#define CK_NMODES (sizeof(ck_modes) / sizeof(ck_modes[0]))

/* The one schedule for the largest vectors, which have a split point per
 * byte: a mid-sized buffer and reads. */
static const ck_params ck_big_mode[] = {{64, 512, 512, 1, 0, NULL}};

/* Runs `in` under each of the nmodes modes (with limits lim) and returns the
 * whole-feed result of the first, after checking all modes agree. */
static inline void ck_run(const void *in, size_t len, const gw_chunked_limits *lim,
                          const ck_params *modes, size_t nmodes, gwt_result *first)
{
    size_t i;

    for (i = 0; i < nmodes; i++) {
        ck_params p = modes[i];
        gwt_result r;

        p.lim = lim;
        gwt_check_splits_ex(in, len, ck_decode, &p, &r, GWT_SAMPLE);
        if (i == 0) {
            *first = r;
            continue;
        }
        assert_int_equal(r.err, first->err);
        assert_int_equal(r.off, first->off);
        assert_int_equal(r.len, first->len);
        assert_memory_equal(r.data, first->data, r.len);
        gwt_result_free(&r);
    }
}

/* The decoder read by gwt_drain, the standard consumer: under
 * GWT_VARY_READS it reads with every cap and min (min 0 included, which
 * must decode what is buffered), under GWT_NO_END it must return the end of
 * the body without waiting for the end of input. */
static inline void ck_decode_drain(gwt_feed *feed, gwt_result *out, void *ud)
{
    const ck_params *p = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_reader c;

    assert_int_equal(gw_mempipe_init(&pipe, p->pipecap), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, p->brcap), 0);
    gw_chunked_reader_init(&c, &br, p->lim);
    gwt_drain(&c.r, &pipe, feed, out);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* Runs `in` through gwt_drain under every split and read shape with flags
 * (GWT_VARY_READS, and GWT_NO_END for a body with nothing after it), over a
 * 3-byte bufreader and, for vectors of up to 64 bytes, a 4096-byte one; the
 * bytes must be body[0..blen) and the error err at off. */
static inline void ck_drain_check(const void *in, size_t len, const gw_chunked_limits *lim,
                                  unsigned flags, const char *body, size_t blen, int err,
                                  uint64_t off)
{
    static const size_t brcaps[] = {3, 4096};
    size_t i;

    /* Longer vectors over the small buffer only, to stay quick under
     * valgrind. */
    for (i = 0; i < (len <= 64 ? 2u : 1u); i++) {
        ck_params p = {64, brcaps[i], 0, 0, 0, lim};
        gwt_result r;

        gwt_check_splits_ex(in, len, ck_decode_drain, &p, &r, flags | GWT_SAMPLE);
        assert_int_equal(r.err, err);
        if (err != 0)
            assert_int_equal(r.off, off);
        assert_int_equal(r.len, blen);
        assert_memory_equal(r.data, body, blen);
        gwt_result_free(&r);
    }
}

/* Checks a valid stream under limits lim: its body, then `rest` left in
 * src. */
static inline void ck_ok_lim(const char *in, size_t len, const gw_chunked_limits *lim,
                             const char *body, size_t blen, const char *rest, size_t rlen)
{
    gwt_result r;
    uint64_t n;

    ck_run(in, len, lim, ck_modes, CK_NMODES, &r);
    if (r.err != 0)
        print_error("unexpected %s at %llu\n", gw_errname(r.err), (unsigned long long)r.off);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.len, blen + 8 + rlen);
    assert_memory_equal(r.data, body, blen);
    memcpy(&n, r.data + blen, 8);
    assert_int_equal(n, rlen);
    assert_memory_equal(r.data + blen + 8, rest, rlen);
    gwt_result_free(&r);
    /* A body with nothing after it is complete without the end of input. */
    ck_drain_check(in, len, lim, GWT_VARY_READS | (rlen == 0 ? GWT_NO_END : 0), body, blen, 0, 0);
}

static inline void ck_ok(const char *in, size_t len, const char *body, size_t blen,
                         const char *rest, size_t rlen)
{
    ck_ok_lim(in, len, NULL, body, blen, rest, rlen);
}

/* Checks an invalid stream under limits lim: error err at offset off, after
 * body.  big: only the one cheap schedule. */
static inline void ck_err_lim(const char *in, size_t len, const gw_chunked_limits *lim, int big,
                              int err, uint64_t off, const char *body, size_t blen)
{
    gwt_result r;

    ck_run(in, len, lim, big ? ck_big_mode : ck_modes, big ? 1 : CK_NMODES, &r);
    if (r.err != err || r.off != off)
        print_error("got %s at %llu, want %s at %llu\n", gw_errname(r.err),
                    (unsigned long long)r.off, gw_errname(err), (unsigned long long)off);
    assert_int_equal(r.err, err);
    assert_int_equal(r.off, off);
    assert_int_equal(r.records, 0);
    assert_int_equal(r.len, blen);
    assert_memory_equal(r.data, body, blen);
    gwt_result_free(&r);
    /* Exactly the valid prefix, whatever the read size and min. */
    if (!big)
        ck_drain_check(in, len, lim, GWT_VARY_READS, body, blen, err, off);
}

/* Checks an invalid stream fed whole (no split points), in every mode. */
static inline void ck_whole_err(const char *in, size_t len, int err, uint64_t off)
{
    size_t i;

    for (i = 0; i < CK_NMODES; i++) {
        gwt_feed feed = {(const uint8_t *)in, len, NULL, 0, 0, 0, 0};
        gwt_result r;

        memset(&r, 0, sizeof(r));
        ck_decode(&feed, &r, (void *)(uintptr_t)&ck_modes[i]);
        assert_int_equal(r.err, err);
        assert_int_equal(r.off, off);
        gwt_result_free(&r);
    }
}

#define S(lit)                  lit, sizeof(lit) - 1
#define OK(in, body)            ck_ok(S(in), S(body), "", 0)
#define ERR(in, err, off, body) ck_err_lim(S(in), NULL, 0, (err), (off), S(body))

#endif /* CHUNKED_CHECK_H */
