/*
 * The helpers of the compression suite (tests/compress-test.h): the
 * inflate layer driven by gwt, from memory and over a failing source, the
 * split checks, a memory sink for the deflate layer, scratch files.
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

/* ---- files and commands ------------------------------------------------------------- */

/* Runs an operation to completion in push mode; the only wait allowed is a
 * voluntary one (GW_WAIT_READY), which is answered at once. */
void run_op(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    while (gw_next(&st) == GW_YIELDED)
        assert_int_equal(w.kind, GW_WAIT_READY);
}

/* Reads a whole file into a malloc'd buffer. */
uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A scratch directory for files shared with gzip and python. */
char tmpdir[64];

/* A path in tmpdir; the last four stay valid, so that one command can
 * name several. */
const char *tmp_path(const char *name)
{
    static char paths[4][256];
    static unsigned next;
    char *path = paths[next++ % 4];

    snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
    return path;
}

void run_cmd(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

/* Deterministic, compressible text. */
uint8_t *make_text(size_t n, uint64_t seed)
{
    static const char *const words[] = {"lorem ",  "ipsum ", "dolor ", "generator ", "yield ",
                                        "frame\n", "zlib ",  "gzip ",  "window ",    "0x1f8b "};
    uint8_t *p = malloc(n ? n : 1);
    size_t i = 0;

    assert_non_null(p);
    while (i < n) {
        const char *w = words[gwt_rand(&seed) % 10];
        while (*w && i < n)
            p[i++] = (uint8_t)*w++;
    }
    return p;
}

/* ---- the backend under test ---------------------------------------------- */

/* Every inflate case runs once per backend built in: main() runs the group
 * with this set to each in turn. */
gw_inflate_backend backend = GW_INFLATE_BACKEND_ZLIB;

/* gw_inflate_opts_default with the backend under test. */
void opts_default(gw_inflate_opts *o)
{
    gw_inflate_opts_default(o);
    o->backend = backend;
}

/* A bufreader capacity the backend under test takes (ISA-L needs room for
 * what it reads ahead). */
size_t bufcap_for(size_t cap)
{
    if (backend == GW_INFLATE_BACKEND_ISAL && cap < GW_INFLATE_ISAL_MIN_BUFFER)
        return GW_INFLATE_ISAL_MIN_BUFFER;
    return cap;
}

/*
 * What compress.h lets differ on ISA-L, taken out of a result before it is
 * compared across splits: on corrupt deflate data (GW_EZ_DATA) the bytes
 * delivered before the error and the offset, on the ratio limit the bytes.
 * The error code itself must still agree.
 */
void normalise(gwt_result *r)
{
    if (backend != GW_INFLATE_BACKEND_ISAL)
        return;
    if (r->err == GW_EZ_DATA || r->err == GW_ERATIO_LIMIT)
        r->len = 0;
    if (r->err == GW_EZ_DATA)
        r->off = 0;
}

/* ---- the inflate layer driven by gwt ------------------------------------- */

GW_GENERATOR(drain, NULL);
GW_BODY(drain, s)
{
    GW_BEGIN(s);
    for (;;) {
        s->want = s->min;
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, s->readsize, s->want));
        if (s->op->ret == 0 && s->op->n == 0 && s->want == 0 && !s->r->eof) {
            s->want = 1;
            GW_AWAIT(s, op, gw_try_read(s->r, s->buf, s->readsize, s->want));
        }
        gwt_result_bytes(s->out, s->buf, s->op->n);
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        assert_true(s->op->n <= s->readsize);
        if (s->op->n < s->want || (s->op->n == 0 && s->r->eof)) {
            assert_true(s->r->eof);
            GW_RETURN(s, 0);
        }
    }
    GW_END(s);
}

void drain_init(drain *d, gw_reader *r, gwt_result *out, uint8_t *buf, size_t readsize, size_t min)
{
    GW_INIT(d, drain);
    d->r = r;
    d->out = out;
    d->buf = buf;
    d->readsize = readsize;
    d->min = min;
    d->ret = 0;
}

/* gwt_drive without the end: feeds every piece but never finishes the pipe,
 * so a decoder that waits once everything was fed fails the test. */
void drive_no_end(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, gwt_feed *feed)
{
    while (gw_next(st) == GW_YIELDED) {
        size_t end, took;

        assert_ptr_equal(slot->event, &pipe->readable);
        if (feed->pos == feed->len)
            fail_msg("the decoder waits for more input after all %zu bytes came", feed->len);
        end = feed->next < feed->ncuts ? feed->cuts[feed->next] : feed->len;
        took = gw_mempipe_feed(pipe, feed->in + feed->pos, end - feed->pos);
        assert_true(took > 0);
        feed->pos += took;
        if (feed->pos == end && feed->next < feed->ncuts)
            feed->next++;
    }
}

/* A reader over another that fails with GW_EIO in the read that hands over
 * the last of `left` bytes: a source error that comes with data. */
typedef struct failsrc {
    gw_reader r;      /* base */
    gw_reader *below; /* the reader it passes on */
    size_t left;      /* bytes until the failure */
} failsrc;

typedef gw_io_op failsrc_op;
GW_GENERATOR(failsrc_op, NULL);
GW_BODY(failsrc_op, s)
{
    failsrc *f = s->obj;

    GW_BEGIN(s);
    GW_AWAIT(s, sub, gw_try_read(f->below, s->buf, s->len, s->min));
    s->n = s->sub->n;
    f->left -= s->n;
    if (s->sub->ret < 0)
        GW_RETURN(s, s->sub->ret);
    if (f->left == 0) {
        f->r.err = GW_EIO;
        GW_RETURN(s, GW_EIO);
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Sets the arguments of an operation frame just initialised with GW_INIT
 * and clears its results; returns it. */
static gw_io_op *op_args(gw_io_op *op, void *obj, uint8_t *buf, const uint8_t *src, size_t len,
                         size_t min)
{
    op->obj = obj;
    op->buf = buf;
    op->src = src;
    op->len = len;
    op->min = min;
    op->sub = NULL;
    op->ret = 0;
    op->n = 0;
    return op;
}

static gw_io_op *failsrc_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    GW_INIT(&r->op, failsrc_op);
    return op_args(&r->op, r, buf, NULL, cap, min);
}

static const gw_reader_ops failsrc_ops = {"failsrc", failsrc_read};

void decode_inflate(gwt_feed *feed, gwt_result *out, void *ud)
{
    infl_cfg *cfg = ud;
    gw_mempipe pipe;
    failsrc fs;
    gw_bufreader br;
    gw_inflate z;
    uint8_t *buf = malloc(cfg->readsize);
    drain d;
    gw_wait w;
    gw_stack st;

    assert_non_null(buf);
    assert_int_equal(gw_mempipe_init(&pipe, cfg->pipecap ? cfg->pipecap : 64), 0);
    gw_reader_init(&fs.r, &failsrc_ops);
    fs.below = &pipe.r;
    fs.left = feed->len;
    assert_int_equal(
        gw_bufreader_init(&br, cfg->src_fails ? &fs.r : &pipe.r, bufcap_for(cfg->bufcap)), 0);
    assert_int_equal(gw_inflate_init(&z, &br, &cfg->opts), 0);
    drain_init(&d, &z.r, out, buf, cfg->readsize, cfg->min);
    GW_START(&st, &d, &w);
    if (cfg->noend)
        drive_no_end(&st, &w, &pipe, feed);
    else
        gwt_drive(&st, &w, &pipe, feed);
    out->err = d.ret;
    assert_int_equal(d.ret, z.r.err);
    out->off = z.r.err_off;
    normalise(out);
    cfg->msg = gw_inflate_msg(&z);
    gw_inflate_fini(&z);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    free(buf);
}

/* Decodes from memory (a bufreader over the caller's bytes: nothing waits). */
void decode_mem(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *out)
{
    gw_bufreader br;
    gw_inflate z;
    uint8_t *buf = malloc(cfg->readsize);
    drain d;
    gw_wait w;
    gw_stack st;

    assert_non_null(buf);
    memset(out, 0, sizeof(*out));
    gw_bufreader_init_mem(&br, in, len);
    assert_int_equal(gw_inflate_init(&z, &br, &cfg->opts), 0);
    drain_init(&d, &z.r, out, buf, cfg->readsize, cfg->min);
    GW_START(&st, &d, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    out->err = d.ret;
    out->off = z.r.err_off;
    if (cfg->opts.backend == backend)
        normalise(out);
    cfg->msg = gw_inflate_msg(&z);
    gw_inflate_fini(&z);
    free(buf);
}

void cfg_init(infl_cfg *cfg, gw_zformat fmt, size_t bufcap, size_t readsize, size_t min)
{
    memset(cfg, 0, sizeof(*cfg));
    opts_default(&cfg->opts);
    cfg->opts.format = fmt;
    cfg->bufcap = bufcap;
    cfg->readsize = readsize;
    cfg->min = min;
}

/* gwt_check_splits of the inflate layer set up by cfg with GWT_SAMPLE: the
 * split-in-two runs at a sample of offsets under valgrind (gwt_sampling),
 * at every offset in the normal and sanitizer builds. */
void check_splits(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *res)
{
    gwt_check_splits_ex(in, len, decode_inflate, cfg, res, GWT_SAMPLE);
}

/* gwt_check_splits on fewer schedules: whole (left in *res), a byte at a
 * time, and split in two at 48 random points, each compared with the whole. */
void check_sampled(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *res)
{
    size_t *cuts = malloc((len + 1) * sizeof(*cuts)), k, j;
    uint64_t seed = len ^ 77;
    gwt_result r;

    assert_non_null(cuts);
    memset(res, 0, sizeof(*res));
    {
        gwt_feed feed = {in, len, cuts, 0, 0, 0, 0};
        decode_inflate(&feed, res, cfg);
    }
    for (k = 0; k < 49 && len > 1; k++) {
        gwt_feed feed = {in, len, cuts, 0, 0, 0, 0};

        if (k == 0)
            for (j = 1; j < len; j++)
                cuts[feed.ncuts++] = j;
        else
            cuts[feed.ncuts++] = 1 + gwt_rand(&seed) % (len - 1);
        memset(&r, 0, sizeof(r));
        decode_inflate(&feed, &r, cfg);
        expect_prefix(&r, "sampled split", res->data, res->len, res->err, res->off);
        gwt_result_free(&r);
    }
    free(cuts);
}

/* Checks the decode of `in` at every split point, then fed whole with other
 * buffer sizes and from memory; leaves the split-checked result in *res. */
void check_all(const uint8_t *in, size_t len, gw_zformat fmt, gwt_result *res, const char **msg)
{
    infl_cfg a, b;
    gwt_feed feed = {in, len, NULL, 0, 0, 0, 0};
    gwt_result r2, rm;

    /* Larger vectors are read in larger pieces, to keep the test quick. */
    if (len <= 1500)
        cfg_init(&a, fmt, 16, 7, 1);
    else if (len <= 4000)
        cfg_init(&a, fmt, 16, 200, 1);
    else
        cfg_init(&a, fmt, 4096, 4096, 1);
    a.pipecap = len > 4000 ? 4096 : 64;
    /* ISA-L's state is large to set up: past 1500 bytes, sampled splits;
     * under valgrind too past 300 (every split runs in the normal and the
     * sanitizer builds). */
    if ((backend == GW_INFLATE_BACKEND_ISAL && len > 1500) || (gwt_sampling() && len > 300))
        check_sampled(in, len, &a, res);
    else
        check_splits(in, len, &a, res);
    if (msg != NULL)
        *msg = a.msg;
    memset(&r2, 0, sizeof(r2));
    cfg_init(&b, fmt, 4096, 1000, 1000);
    decode_inflate(&feed, &r2, &b);
    cfg_init(&b, fmt, 4096, 65536, 1);
    decode_mem(in, len, &b, &rm);
    assert_int_equal(r2.err, res->err);
    assert_int_equal(rm.err, res->err);
    assert_int_equal(r2.off, res->off);
    assert_int_equal(rm.off, res->off);
    assert_int_equal(r2.len, res->len);
    assert_int_equal(rm.len, res->len);
    if (res->len > 0) {
        assert_memory_equal(r2.data, res->data, res->len);
        assert_memory_equal(rm.data, res->data, res->len);
    }
    gwt_result_free(&r2);
    gwt_result_free(&rm);
}

/* ---- a memory sink: the writer under the deflate layer ------------------- */

typedef gw_io_op sink_op;
GW_GENERATOR(sink_op, NULL);
GW_BODY(sink_op, s)
{
    memsink *m = s->obj;

    GW_BEGIN(s);
    if (m->yield_each)
        GW_YIELD(s, gw_wait_ready());
    if (s->min == 1) {
        m->flushes++;
    } else if (s->min == 2) {
        m->closed = 1;
    } else {
        if (m->len + s->len > m->fail_after) {
            m->w.err = GW_EIO;
            GW_RETURN(s, GW_EIO);
        }
        if (m->len + s->len > m->cap) {
            m->cap = (m->len + s->len) * 2;
            m->data = realloc(m->data, m->cap);
            assert_non_null(m->data);
        }
        memcpy(m->data + m->len, s->src, s->len);
        m->len += s->len;
        s->n = s->len;
        m->w.nwritten += s->len;
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *sink_start(gw_writer *w, const uint8_t *buf, size_t len, size_t mode)
{
    GW_INIT(&w->op, sink_op);
    return op_args(&w->op, w, NULL, buf, len, mode);
}

static gw_io_op *sink_write(gw_writer *w, const uint8_t *buf, size_t len)
{
    return sink_start(w, buf, len, 0);
}

static gw_io_op *sink_flush(gw_writer *w)
{
    return sink_start(w, NULL, 0, 1);
}

static gw_io_op *sink_close(gw_writer *w)
{
    return sink_start(w, NULL, 0, 2);
}

static const gw_writer_ops sink_ops = {"memsink", sink_write, sink_flush, sink_close};

void sink_init(memsink *m)
{
    memset(m, 0, sizeof(*m));
    gw_writer_init(&m->w, &sink_ops);
    m->fail_after = SIZE_MAX;
}

/* Compresses data with the deflate layer, written in pieces of `chunk`
 * bytes; returns the stream (malloc'd). */
uint8_t *deflate_layer(const uint8_t *data, size_t len, gw_zformat fmt, int level, size_t bufsize,
                       size_t chunk, size_t *outlen)
{
    memsink m;
    gw_deflate d;
    gw_deflate_opts o;
    gw_io_op *op;
    size_t pos;

    sink_init(&m);
    m.yield_each = 1;
    gw_deflate_opts_default(&o);
    o.format = fmt;
    o.level = level;
    o.buffer = bufsize;
    assert_int_equal(gw_deflate_init(&d, &m.w, &o), 0);
    for (pos = 0; pos < len; pos += chunk) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        run_op(op = gw_write(&d.w, data + pos, n));
        assert_int_equal(op->ret, 0);
        assert_int_equal(op->n, n);
    }
    run_op(op = gw_close(&d.w));
    assert_int_equal(op->ret, 0);
    assert_true(m.closed);
    assert_int_equal(d.in_total, len);
    assert_int_equal(d.out_total, m.len);
    gw_deflate_fini(&d);
    *outlen = m.len;
    return m.data;
}

/* Fails unless res is the valid prefix `want` then err at off. */
void expect_prefix(const gwt_result *res, const char *what, const uint8_t *want, size_t wlen,
                   int err, uint64_t off)
{
    if (res->err != err || res->off != off || res->len != wlen)
        fail_msg("%s: %s at %llu after %zu bytes, expected %s at %llu after %zu", what,
                 gw_errname(res->err), (unsigned long long)res->off, res->len, gw_errname(err),
                 (unsigned long long)off, wlen);
    if (wlen > 0)
        assert_memory_equal(res->data, want, wlen);
}
