/*
 * The compression suite, deflate and lifetimes: the deflate layer's streams
 * decode with Python's zlib and the inflate layer at every split, its flush
 * makes what was written decodable, tiny buffers and failing writers; then
 * allocation failures injected at each allocation in turn, and layers
 * closed or cancelled mid-stream releasing their state (the ASan build
 * checks for leaks).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include <genwire/alloc.h>
#include <genwire/compress.h>
#include <genwire/io.h>

#include "compress-test.h"

/* Decodes a stream with Python's zlib (wbits for the format) into a file. */
static void python_inflate(gw_zformat fmt, const char *in, const char *out)
{
    static const int wbits[] = {31, 15, -15};

    run_cmd("/usr/bin/python3 -c 'import sys, zlib; d = zlib.decompressobj(%d); "
            "o = d.decompress(open(sys.argv[1], \"rb\").read()); "
            "assert d.eof and not d.unused_data; open(sys.argv[2], \"wb\").write(o)' %s %s",
            wbits[fmt], in, out);
}

void test_deflate_peers(void **state)
{
    static const int levels[] = {GW_DEFLATE_STORE, 1, 6, 9};
    size_t n = 100000, clen, olen, i;
    uint8_t *plain = make_text(n, 7), *comp, *back;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        for (i = 0; i < 4; i++) {
            comp = deflate_layer(plain, n, (gw_zformat)fmt, levels[i], 1000, 3333, &clen);
            write_file(tmp_path("layer.z"), comp, clen);
            python_inflate((gw_zformat)fmt, tmp_path("layer.z"), tmp_path("layer.out"));
            back = read_file(tmp_path("layer.out"), &olen);
            assert_int_equal(olen, n);
            assert_memory_equal(back, plain, n);
            free(back);
            if (fmt == GW_ZFORMAT_GZIP) {
                run_cmd("gzip -dc < %s > %s", tmp_path("layer.z"), tmp_path("layer.out"));
                back = read_file(tmp_path("layer.out"), &olen);
                assert_int_equal(olen, n);
                assert_memory_equal(back, plain, n);
                free(back);
            }
            free(comp);
        }
    }
    free(plain);
}

/* The layer's streams decode with the inflate layer at every split point. */
void test_deflate_roundtrip_splits(void **state)
{
    static const int levels[] = {1, 6, 9};
    size_t n = 5000, clen, i;
    uint8_t *plain = make_text(n, 9), *comp;
    gwt_result res;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        for (i = 0; i < 3; i++) {
            comp = deflate_layer(plain, n, (gw_zformat)fmt, levels[i], 64, 100, &clen);
            check_all(comp, clen, (gw_zformat)fmt, &res, NULL);
            assert_int_equal(res.err, 0);
            assert_int_equal(res.len, n);
            assert_memory_equal(res.data, plain, n);
            gwt_result_free(&res);
            free(comp);
        }
    }
    free(plain);
}

/* flush() makes everything written so far decodable by a peer. */
void test_deflate_flush(void **state)
{
    size_t n1 = 3000, n2 = 2000, olen;
    uint8_t *plain = make_text(n1 + n2, 77), *back;
    memsink m;
    gw_deflate d;
    gw_deflate_opts o;
    gw_io_op *op;
    gwt_result res;
    infl_cfg cfg;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        sink_init(&m);
        gw_deflate_opts_default(&o);
        o.format = (gw_zformat)fmt;
        assert_int_equal(gw_deflate_init(&d, &m.w, &o), 0);
        run_op(op = gw_write(&d.w, plain, n1));
        assert_int_equal(op->ret, 0);
        run_op(op = gw_flush(&d.w));
        assert_int_equal(op->ret, 0);
        assert_int_equal(m.flushes, 1);
        /* What was flushed decodes to everything written, then ends short. */
        cfg_init(&cfg, (gw_zformat)fmt, 16, 7, 1);
        check_splits(m.data, m.len, &cfg, &res);
        assert_int_equal(res.err, GW_ETRUNCATED);
        assert_int_equal(res.off, m.len);
        assert_int_equal(res.len, n1);
        assert_memory_equal(res.data, plain, n1);
        gwt_result_free(&res);
        /* And so it does for Python's zlib, without the end of the stream. */
        write_file(tmp_path("flushed.z"), m.data, m.len);
        run_cmd("/usr/bin/python3 -c 'import sys, zlib; d = zlib.decompressobj(%d); "
                "open(sys.argv[2], \"wb\").write(d.decompress(open(sys.argv[1], \"rb\").read()))' "
                "%s %s",
                fmt == GW_ZFORMAT_GZIP   ? 31
                : fmt == GW_ZFORMAT_ZLIB ? 15
                                         : -15,
                tmp_path("flushed.z"), tmp_path("flushed.out"));
        back = read_file(tmp_path("flushed.out"), &olen);
        assert_int_equal(olen, n1);
        assert_memory_equal(back, plain, n1);
        free(back);
        /* A second flush with nothing new is harmless. */
        run_op(op = gw_flush(&d.w));
        assert_int_equal(op->ret, 0);
        run_op(op = gw_write(&d.w, plain + n1, n2));
        assert_int_equal(op->ret, 0);
        run_op(op = gw_close(&d.w));
        assert_int_equal(op->ret, 0);
        assert_true(m.closed);
        assert_null(d._zs); /* released at close */
        run_op(op = gw_write(&d.w, plain, 1));
        assert_int_equal(op->ret, GW_ECLOSED);
        decode_mem(m.data, m.len, &cfg, &res);
        assert_int_equal(res.err, 0);
        assert_int_equal(res.len, n1 + n2);
        assert_memory_equal(res.data, plain, n1 + n2);
        gwt_result_free(&res);
        gw_deflate_fini(&d);
        gw_deflate_fini(&d); /* twice is fine */
        free(m.data);
    }
    free(plain);
}

/* A tiny output buffer is raised to the minimum: with less room than a
 * sync-flush marker, zlib would emit markers for ever (found by
 * fuzz-deflate-roundtrip). */
void test_deflate_tiny_buffer(void **state)
{
    static const uint8_t data[] = "tiny buffer, flushed after every piece";
    memsink m;
    gw_deflate d;
    gw_deflate_opts o;
    gw_io_op *op;
    gwt_result res;
    infl_cfg cfg;
    size_t pos;

    (void)state;
    sink_init(&m);
    gw_deflate_opts_default(&o);
    o.format = GW_ZFORMAT_DEFLATE;
    o.buffer = 1;
    assert_int_equal(gw_deflate_init(&d, &m.w, &o), 0);
    assert_int_equal(d.opts.buffer, GW_DEFLATE_MIN_BUFFER);
    for (pos = 0; pos < sizeof(data); pos += 5) {
        size_t n = sizeof(data) - pos < 5 ? sizeof(data) - pos : 5;
        run_op(op = gw_write(&d.w, data + pos, n));
        assert_int_equal(op->ret, 0);
        run_op(op = gw_flush(&d.w));
        assert_int_equal(op->ret, 0);
    }
    run_op(op = gw_close(&d.w));
    assert_int_equal(op->ret, 0);
    cfg_init(&cfg, GW_ZFORMAT_DEFLATE, 16, 7, 1);
    check_splits(m.data, m.len, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, sizeof(data));
    assert_memory_equal(res.data, data, sizeof(data));
    gwt_result_free(&res);
    gw_deflate_fini(&d);
    free(m.data);
}

/* An error of the writer below sticks. */
void test_deflate_dst_error(void **state)
{
    size_t n = 200000;
    uint8_t *plain = make_text(n, 5);
    memsink m;
    gw_deflate d;
    gw_deflate_opts o;
    gw_io_op *op;

    (void)state;
    sink_init(&m);
    m.fail_after = 100;
    gw_deflate_opts_default(&o);
    o.buffer = 64;
    o.level = GW_DEFLATE_STORE;
    assert_int_equal(gw_deflate_init(&d, &m.w, &o), 0);
    run_op(op = gw_write(&d.w, plain, n));
    assert_int_equal(op->ret, GW_EIO);
    assert_true(op->n < n);
    assert_int_equal(d.w.err, GW_EIO);
    run_op(op = gw_write(&d.w, plain, 1));
    assert_int_equal(op->ret, GW_EIO);
    run_op(op = gw_close(&d.w));
    assert_int_equal(op->ret, GW_EIO);
    gw_deflate_fini(&d);
    free(m.data);
    free(plain);
}

/* Issue 9, section 2: a zeroed gw_deflate_opts is the defaults, as every
 * options struct is (docs/contracts.md): gzip at GW_DEFLATE_DEFAULT_LEVEL
 * and the default buffer, where level 0 used to store the data
 * uncompressed.  -1 is the default level too; GW_DEFLATE_STORE stores;
 * any other level outside 1 to 9 is GW_EINVAL. */
void test_deflate_zero_is_default(void **state)
{
    static const int bad[] = {-3, 10, -100, 1000};
    size_t n = 100000, zlen, mlen, dlen, slen, i;
    uint8_t *plain = make_text(n, 3), *z, *m1, *d, *s;
    gw_deflate_opts o;
    gw_deflate df;
    memsink m;

    (void)state;
    memset(&o, 0, sizeof(o));
    sink_init(&m);
    assert_int_equal(gw_deflate_init(&df, &m.w, &o), 0);
    assert_int_equal(df.opts.format, GW_ZFORMAT_GZIP);
    assert_int_equal(df.opts.level, GW_DEFLATE_DEFAULT_LEVEL);
    assert_int_equal(df.opts.buffer, GW_DEFLATE_DEFAULT_BUFFER);
    gw_deflate_fini(&df);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o.level = bad[i];
        assert_int_equal(gw_deflate_init(&df, &m.w, &o), GW_EINVAL);
        assert_int_equal(df.w.err, GW_EINVAL);
        gw_deflate_fini(&df);
    }
    free(m.data);

    /* Level 0 and -1 write what the default level writes; stored blocks
     * are the input and a few bytes more. */
    z = deflate_layer(plain, n, GW_ZFORMAT_GZIP, 0, 0, 4096, &zlen);
    m1 = deflate_layer(plain, n, GW_ZFORMAT_GZIP, -1, 0, 4096, &mlen);
    d = deflate_layer(plain, n, GW_ZFORMAT_GZIP, GW_DEFLATE_DEFAULT_LEVEL, 0, 4096, &dlen);
    s = deflate_layer(plain, n, GW_ZFORMAT_GZIP, GW_DEFLATE_STORE, 0, 4096, &slen);
    assert_true(dlen < n / 2);
    assert_int_equal(zlen, dlen);
    assert_memory_equal(z, d, dlen);
    assert_int_equal(mlen, dlen);
    assert_memory_equal(m1, d, dlen);
    assert_true(slen > n);
    free(z);
    free(m1);
    free(d);
    free(s);
    free(plain);
}

/* ---- allocation failures ------------------------------------------------- */

static struct {
    long count;   /* allocations so far */
    long fail_at; /* the allocation that fails (1-based), or 0 */
    long live;    /* allocated and not freed */
} ac;

static void *ac_malloc(size_t n, void *ud)
{
    void *p;

    (void)ud;
    if (++ac.count == ac.fail_at)
        return NULL;
    if ((p = malloc(n)) != NULL)
        ac.live++;
    return p;
}

static void *ac_realloc(void *p, size_t n, void *ud)
{
    void *q;

    (void)ud;
    if (++ac.count == ac.fail_at)
        return NULL;
    q = realloc(p, n);
    if (q != NULL && p == NULL)
        ac.live++;
    return q;
}

static void ac_free(void *p, void *ud)
{
    (void)ud;
    if (p != NULL)
        ac.live--;
    free(p);
}

static void ac_start(long fail_at)
{
    static const gw_allocator a = {ac_malloc, ac_realloc, ac_free, NULL};

    ac.count = 0;
    ac.fail_at = fail_at;
    ac.live = 0;
    gw_set_allocator(&a);
}

void test_alloc_failure_inflate(void **state)
{
    size_t n = 20000, clen, total;
    uint8_t *plain = make_text(n, 13), *comp;
    uint8_t buf[4096];
    gw_bufreader br;
    gw_inflate z;
    gw_inflate_opts o;
    gw_io_op *op;
    long k, failures = 0;
    int fmt, rc;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt < GW_ZFORMAT_NFORMATS; fmt++) {
        comp = deflate_layer(plain, n, fmt == GW_ZFORMAT_AUTO ? GW_ZFORMAT_GZIP : (gw_zformat)fmt,
                             6, 4096, n, &clen);
        for (k = 1;; k++) {
            ac_start(k);
            gw_bufreader_init_mem(&br, comp, clen);
            opts_default(&o);
            o.format = (gw_zformat)fmt;
            rc = gw_inflate_init(&z, &br, &o);
            total = 0;
            if (rc == 0) {
                do {
                    run_op(op = gw_try_read(&z.r, buf, sizeof(buf), 1));
                    assert_memory_equal(buf, plain + total, op->n);
                    total += op->n;
                } while (op->ret == 0 && op->n > 0);
                rc = op->ret;
                if (rc < 0) {
                    /* Sticky: the next read fails the same way. */
                    run_op(op = gw_try_read(&z.r, buf, sizeof(buf), 1));
                    assert_int_equal(op->ret, rc);
                }
            }
            gw_inflate_fini(&z);
            gw_set_allocator(NULL);
            assert_int_equal(ac.live, 0);
            if (ac.count < k) { /* nothing failed: every allocation was tried */
                assert_int_equal(rc, 0);
                assert_int_equal(total, n);
                break;
            }
            assert_int_equal(rc, GW_ENOMEM);
            failures++;
        }
        /* zlib: the z_stream, its state, the window; ISA-L: its state. */
        assert_true(k >= (backend == GW_INFLATE_BACKEND_ISAL ? 2 : 3));
        free(comp);
    }
    assert_true(failures >= (backend == GW_INFLATE_BACKEND_ISAL ? 4 : 8));
    free(plain);
}

void test_alloc_failure_deflate(void **state)
{
    size_t n = 20000;
    uint8_t *plain = make_text(n, 14);
    memsink m;
    gw_deflate d;
    gw_deflate_opts o;
    gw_io_op *op;
    long k;
    int rc;

    (void)state;
    for (k = 1;; k++) {
        sink_init(&m);
        ac_start(k);
        gw_deflate_opts_default(&o);
        rc = gw_deflate_init(&d, &m.w, &o);
        if (rc == 0) {
            run_op(op = gw_write(&d.w, plain, n));
            assert_int_equal(op->ret, 0);
            run_op(op = gw_close(&d.w));
            rc = op->ret;
        }
        gw_deflate_fini(&d);
        gw_set_allocator(NULL);
        assert_int_equal(ac.live, 0);
        free(m.data);
        if (ac.count < k) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, GW_ENOMEM);
    }
    assert_true(k >= 5);
    free(plain);
}

/* ---- closing mid-stream -------------------------------------------------- */

void test_cancel_inflate(void **state)
{
    size_t n = 50000, clen;
    uint8_t *plain = make_text(n, 15), *comp;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_inflate z;
    gw_inflate_opts o;
    uint8_t buf[100000];
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    comp = deflate_layer(plain, n, GW_ZFORMAT_GZIP, 6, 4096, n, &clen);
    assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, bufcap_for(128)), 0);
    opts_default(&o);
    assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
    op = gw_read(&z.r, buf, sizeof(buf), n);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_int_equal(gw_mempipe_feed(&pipe, comp, 200), 200);
    assert_int_equal(gw_next(&st), GW_YIELDED); /* mid-stream, waiting for more */
    assert_non_null(z._bs);
    gw_stack_close(&st);
    assert_null(z._bs);
    assert_int_equal(z.r.err, GW_ECANCELLED);
    run_op(op = gw_try_read(&z.r, buf, 10, 1));
    assert_int_equal(op->ret, GW_ECANCELLED);
    gw_inflate_fini(&z);

    /* fini alone, with a read suspended, releases it too. */
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, bufcap_for(128)), 0);
    opts_default(&o);
    assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
    op = gw_read(&z.r, buf, sizeof(buf), n);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_int_equal(gw_mempipe_feed(&pipe, comp, 200), 200);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    gw_inflate_fini(&z);
    assert_null(z._bs);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    free(comp);
    free(plain);
}

/* Cancelling an executor task suspended inside the layer releases it. */
void test_cancel_task(void **state)
{
    size_t n = 50000, clen;
    uint8_t *plain = make_text(n, 17), *comp, *buf = malloc(4096);
    gw_mempipe pipe;
    gw_bufreader br;
    gw_inflate z;
    gw_inflate_opts o;
    gwt_result out;
    gw_exec *ex = gw_exec_new();
    gw_task *t;
    drain d;

    (void)state;
    assert_non_null(ex);
    assert_non_null(buf);
    memset(&out, 0, sizeof(out));
    comp = deflate_layer(plain, n, GW_ZFORMAT_ZLIB, 6, 4096, n, &clen);
    assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, bufcap_for(64)), 0);
    opts_default(&o);
    o.format = GW_ZFORMAT_ZLIB;
    assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
    drain_init(&d, &z.r, &out, buf, 4096, 1);
    t = GW_SPAWN(ex, &d, NULL, NULL);
    assert_non_null(t);
    assert_int_equal(gw_mempipe_feed(&pipe, comp, 200), 200);
    assert_int_equal(gw_exec_run_once(ex, 0), 1); /* decodes what came, then waits */
    assert_true(out.len > 0);
    assert_memory_equal(out.data, plain, out.len);
    assert_non_null(z._bs);
    gw_task_cancel(ex, t);
    assert_null(z._bs);
    assert_int_equal(z.r.err, GW_ECANCELLED);
    gw_exec_free(ex);
    gw_inflate_fini(&z);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    gwt_result_free(&out);
    free(comp);
    free(plain);
    free(buf);
}

void test_cancel_deflate(void **state)
{
    size_t n = 300000;
    uint8_t *plain = make_text(n, 16);
    memsink m;
    gw_deflate d;
    gw_deflate_opts o;
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    sink_init(&m);
    m.yield_each = 1;
    gw_deflate_opts_default(&o);
    o.buffer = 256;
    assert_int_equal(gw_deflate_init(&d, &m.w, &o), 0);
    op = gw_write(&d.w, plain, n);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED); /* waiting in the sink */
    gw_stack_close(&st);
    assert_null(d._zs);
    assert_int_equal(d.w.err, GW_ECANCELLED);
    run_op(op = gw_write(&d.w, plain, 1));
    assert_int_equal(op->ret, GW_ECANCELLED);
    gw_deflate_fini(&d);
    free(m.data);
    free(plain);
}
