/*
 * Tests of the compression layers (parsers/compress/, include/genwire/
 * compress.h).  The inflate layer decodes streams made by the gzip command
 * and by Python's zlib module (tests/compress/mkstreams.py) byte for byte,
 * reports every kind of corruption with zlib's words and the right offset,
 * strings gzip members together, refuses trailing data, stops bombs at the
 * cap, and treats every truncation as an error; the deflate layer's streams
 * decode with gzip -d and Python's zlib, and its flush makes everything
 * written so far decodable.  Every decode runs at every split point of its
 * input (gwt_check_splits).  Allocation failures are injected at each
 * allocation in turn, and layers closed mid-stream must release zlib's state
 * (the ASan build checks for leaks).
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

#include "gwt.h"

/* ---- helpers ------------------------------------------------------------- */

/* Whether valgrind runs us (it preloads its own library into its client):
 * the long loops then sample. */
static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");

    return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* Runs an operation to completion in push mode; the only wait allowed is a
 * voluntary one (GW_WAIT_READY), which is answered at once. */
static void run_op(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    while (gw_next(&st) == GW_YIELDED)
        assert_int_equal(w.kind, GW_WAIT_READY);
}

/* Reads a whole file into a malloc'd buffer. */
static uint8_t *read_file(const char *path, size_t *len)
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

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A scratch directory for files shared with gzip and python. */
static char tmpdir[64];

/* A path in tmpdir; the last four stay valid, so that one command can
 * name several. */
static const char *tmp_path(const char *name)
{
    static char paths[4][256];
    static unsigned next;
    char *path = paths[next++ % 4];

    snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
    return path;
}

static void run_cmd(const char *fmt, ...)
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
static uint8_t *make_text(size_t n, uint64_t seed)
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
static gw_inflate_backend backend = GW_INFLATE_BACKEND_ZLIB;

/* gw_inflate_opts_default with the backend under test. */
static void opts_default(gw_inflate_opts *o)
{
    gw_inflate_opts_default(o);
    o->backend = backend;
}

/* A bufreader capacity the backend under test takes (ISA-L needs room for
 * what it reads ahead). */
static size_t bufcap_for(size_t cap)
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
static void normalise(gwt_result *r)
{
    if (backend != GW_INFLATE_BACKEND_ISAL)
        return;
    if (r->err == GW_EZ_DATA || r->err == GW_ERATIO_LIMIT)
        r->len = 0;
    if (r->err == GW_EZ_DATA)
        r->off = 0;
}

/* ---- the inflate layer driven by gwt ------------------------------------- */

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

static void drain_init(drain *d, gw_reader *r, gwt_result *out, uint8_t *buf, size_t readsize,
                       size_t min)
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
static void drive_no_end(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, gwt_feed *feed)
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

static void decode_inflate(gwt_feed *feed, gwt_result *out, void *ud)
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
static void decode_mem(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *out)
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

static void cfg_init(infl_cfg *cfg, gw_zformat fmt, size_t bufcap, size_t readsize, size_t min)
{
    memset(cfg, 0, sizeof(*cfg));
    opts_default(&cfg->opts);
    cfg->opts.format = fmt;
    cfg->bufcap = bufcap;
    cfg->readsize = readsize;
    cfg->min = min;
}

static void expect_prefix(const gwt_result *res, const char *what, const uint8_t *want,
                          size_t wlen, int err, uint64_t off);

/* gwt_check_splits on fewer schedules: whole (left in *res), a byte at a
 * time, and split in two at 48 random points, each compared with the whole. */
static void check_sampled(const uint8_t *in, size_t len, infl_cfg *cfg, gwt_result *res)
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
static void check_all(const uint8_t *in, size_t len, gw_zformat fmt, gwt_result *res,
                      const char **msg)
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
    /* ISA-L's state is large to set up: past 1500 bytes, sampled splits. */
    if (backend == GW_INFLATE_BACKEND_ISAL && len > 1500)
        check_sampled(in, len, &a, res);
    else
        gwt_check_splits(in, len, decode_inflate, &a, res);
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

/* ---- vectors from Python's zlib module ----------------------------------- */

static int err_by_name(const char *name)
{
    static const struct {
        const char *name;
        int err;
    } names[] = {
        {"ok", 0},
        {"Z_HEADER", GW_EZ_HEADER},
        {"Z_DATA", GW_EZ_DATA},
        {"Z_CHECKSUM", GW_EZ_CHECKSUM},
        {"Z_LENGTH", GW_EZ_LENGTH},
        {"TRAILING_DATA", GW_ETRAILING_DATA},
        {"TRUNCATED", GW_ETRUNCATED},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].err;
    fail_msg("unknown error name %s", name);
    return 1;
}

static void test_python_vectors(void **state)
{
    const char *srcdir = getenv("GW_SOURCE_DIR");
    char line[512], name[128], fmtname[16], errname[32], msg[128], path[512];
    FILE *manifest;
    int count = 0;

    (void)state;
    assert_non_null(srcdir);
    run_cmd("/usr/bin/python3 %s/tests/compress/mkstreams.py %s", srcdir, tmp_path("py"));
    manifest = fopen(tmp_path("py/manifest.txt"), "r");
    assert_non_null(manifest);
    while (fgets(line, sizeof(line), manifest) != NULL) {
        long long off;
        gw_zformat fmt;
        uint8_t *in, *raw;
        size_t inlen, rawlen;
        gwt_result res;
        const char *got_msg;
        int err;
        char *p;

        assert_int_equal(
            sscanf(line, "%127s %15s %31s %lld %127s", name, fmtname, errname, &off, msg), 5);
        for (p = msg; *p; p++)
            if (*p == '_')
                *p = ' ';
        assert_int_equal(gw_zformat_parse(fmtname, &fmt), 0);
        err = err_by_name(errname);
        snprintf(path, sizeof(path), "%s/py/%s.z", tmpdir, name);
        in = read_file(path, &inlen);
        snprintf(path, sizeof(path), "%s/py/%s.raw", tmpdir, name);
        raw = read_file(path, &rawlen);
        if (getenv("GWZ_VERBOSE") != NULL)
            print_message("vector %s\n", name);
        check_all(in, inlen, fmt, &res, &got_msg);
        if (backend == GW_INFLATE_BACKEND_ISAL) {
            gwt_result rz;
            infl_cfg zc;
            cfg_init(&zc, fmt, 4096, 65536, 1);
            zc.opts.backend = GW_INFLATE_BACKEND_ZLIB;
            decode_mem(in, inlen, &zc, &rz);
            if (getenv("GWZ_VERBOSE") != NULL &&
                (rz.err != res.err || rz.off != res.off || rz.len != res.len))
                print_message("DIFF %s: zlib %s at %llu len %zu; isal %s at %llu len %zu (%s)\n", name,
                       gw_errname(rz.err), (unsigned long long)rz.off, rz.len, gw_errname(res.err),
                       (unsigned long long)res.off, res.len, got_msg);
            gwt_result_free(&rz);
        }
        if (res.err != err || (off >= 0 && res.off != (uint64_t)off && !(backend == GW_INFLATE_BACKEND_ISAL && err == GW_EZ_DATA)))
            fail_msg("%s: error %s at %llu, expected %s at %lld (%s)", name, gw_errname(res.err),
                     (unsigned long long)res.off, errname, off, got_msg);
        if (err == 0) {
            assert_int_equal(res.len, rawlen);
            assert_string_equal(got_msg, "");
        } else {
            assert_true(res.len <= rawlen);
        }
        if (res.len > 0 && memcmp(res.data, raw, res.len) != 0)
            fail_msg("%s: output differs from the original", name);
        /* ISA-L has its own words for corrupt deflate data (compress.h). */
        if (strcmp(msg, "-") != 0 && (backend == GW_INFLATE_BACKEND_ZLIB || res.err != GW_EZ_DATA))
            assert_string_equal(got_msg, msg);
        gwt_result_free(&res);
        free(in);
        free(raw);
        count++;
    }
    fclose(manifest);
    assert_true(count >= 60);
}

/* ---- streams made by the gzip command ------------------------------------ */

static void check_gzip_file(const char *gzname, const uint8_t *plain, size_t plen)
{
    uint8_t *in;
    size_t inlen;
    gwt_result res;
    infl_cfg cfg;

    in = read_file(tmp_path(gzname), &inlen);
    check_all(in, inlen, GW_ZFORMAT_GZIP, &res, NULL);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, plen);
    assert_memory_equal(res.data, plain, plen);
    gwt_result_free(&res);
    /* auto recognises gzip, concatenated members included. */
    cfg_init(&cfg, GW_ZFORMAT_AUTO, 64, 100, 1);
    decode_mem(in, inlen, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, plen);
    assert_memory_equal(res.data, plain, plen);
    gwt_result_free(&res);
    free(in);
}

static void test_gzip_command(void **state)
{
    size_t n = 6000;
    uint8_t *plain = make_text(n, 42), *both;
    const char *levels[] = {"-1", "-6", "-9"};
    char name[32];
    size_t i;

    (void)state;
    write_file(tmp_path("plain.txt"), plain, n);
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "cmd%s.gz", levels[i]);
        run_cmd("gzip -c -n %s %s > %s", levels[i], tmp_path("plain.txt"), tmp_path(name));
        check_gzip_file(name, plain, n);
    }
    /* With the file name and time stored (FNAME). */
    run_cmd("cd %s && gzip -c plain.txt > named.gz", tmpdir);
    check_gzip_file("named.gz", plain, n);
    /* Two members, as `gzip -c a >> x; gzip -c b >> x` makes them. */
    run_cmd("gzip -c -n %s > %s && gzip -c -9 %s >> %s", tmp_path("plain.txt"), tmp_path("two.gz"),
            tmp_path("plain.txt"), tmp_path("two.gz"));
    both = malloc(2 * n);
    assert_non_null(both);
    memcpy(both, plain, n);
    memcpy(both + n, plain, n);
    check_gzip_file("two.gz", both, 2 * n);
    /* An empty file. */
    write_file(tmp_path("empty.txt"), "", 0);
    run_cmd("gzip -c -n %s > %s", tmp_path("empty.txt"), tmp_path("empty.gz"));
    check_gzip_file("empty.gz", plain, 0);
    free(both);
    free(plain);
}

/* ---- a memory sink: the writer under the deflate layer ------------------- */

typedef struct memsink {
    gw_writer w;       /* the sink as an AsyncWrite */
    uint8_t *data;     /* what was written */
    size_t len, cap;   /* bytes written, allocated */
    size_t fail_after; /* a write that would pass this many bytes fails with GW_EIO */
    int yield_each;    /* each operation first waits once (GW_WAIT_READY) */
    int flushes;       /* flushes seen */
    int closed;        /* a close was seen */
} memsink;

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

static void sink_init(memsink *m)
{
    memset(m, 0, sizeof(*m));
    gw_writer_init(&m->w, &sink_ops);
    m->fail_after = SIZE_MAX;
}

/* Compresses data with the deflate layer, written in pieces of `chunk`
 * bytes; returns the stream (malloc'd). */
static uint8_t *deflate_layer(const uint8_t *data, size_t len, gw_zformat fmt, int level,
                              size_t bufsize, size_t chunk, size_t *outlen)
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

/* Decodes a stream with Python's zlib (wbits for the format) into a file. */
static void python_inflate(gw_zformat fmt, const char *in, const char *out)
{
    static const int wbits[] = {31, 15, -15};

    run_cmd("/usr/bin/python3 -c 'import sys, zlib; d = zlib.decompressobj(%d); "
            "o = d.decompress(open(sys.argv[1], \"rb\").read()); "
            "assert d.eof and not d.unused_data; open(sys.argv[2], \"wb\").write(o)' %s %s",
            wbits[fmt], in, out);
}

static void test_deflate_peers(void **state)
{
    static const int levels[] = {0, 1, 6, 9};
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
static void test_deflate_roundtrip_splits(void **state)
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
static void test_deflate_flush(void **state)
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
        gwt_check_splits(m.data, m.len, decode_inflate, &cfg, &res);
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
static void test_deflate_tiny_buffer(void **state)
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
    gwt_check_splits(m.data, m.len, decode_inflate, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, sizeof(data));
    assert_memory_equal(res.data, data, sizeof(data));
    gwt_result_free(&res);
    gw_deflate_fini(&d);
    free(m.data);
}

/* An error of the writer below sticks. */
static void test_deflate_dst_error(void **state)
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
    o.level = 0;
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

/* ---- truncation ---------------------------------------------------------- */

/* Every proper prefix of a small stream is an error, never short output. */
static void test_truncation_every_offset(void **state)
{
    size_t n = 400, clen, k;
    uint8_t *plain = make_text(n, 3), *comp;
    gwt_result res;
    infl_cfg cfg;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        comp = deflate_layer(plain, n, (gw_zformat)fmt, 9, 4096, n, &clen);
        assert_true(clen < 300);
        for (k = 0; k < clen; k++) {
            cfg_init(&cfg, (gw_zformat)fmt, 16, 7, 1);
            gwt_check_splits(comp, k, decode_inflate, &cfg, &res);
            if (res.err != GW_ETRUNCATED || res.off != k)
                fail_msg("%s cut at %zu of %zu: %s at %llu", gw_zformat_name((gw_zformat)fmt), k,
                         clen, gw_errname(res.err), (unsigned long long)res.off);
            assert_true(res.len <= n);
            if (res.len > 0)
                assert_memory_equal(res.data, plain, res.len);
            gwt_result_free(&res);
        }
        cfg_init(&cfg, (gw_zformat)fmt, 16, 7, 1);
        gwt_check_splits(comp, clen, decode_inflate, &cfg, &res);
        assert_int_equal(res.err, 0);
        assert_int_equal(res.len, n);
        gwt_result_free(&res);
        free(comp);
    }
    free(plain);
}

/* ---- trailing data and STOP_AT_END --------------------------------------- */

static void test_stop_at_end(void **state)
{
    size_t n = 1000, clen;
    uint8_t *plain = make_text(n, 11), *comp, *in;
    gw_bufreader br;
    gw_inflate z;
    gw_inflate_opts o;
    uint8_t buf[512];
    gw_io_op *op;
    size_t total = 0;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        comp = deflate_layer(plain, n, (gw_zformat)fmt, 6, 4096, n, &clen);
        /* Followed by a second stream, left for the next reader. */
        in = malloc(2 * clen);
        assert_non_null(in);
        memcpy(in, comp, clen);
        memcpy(in + clen, comp, clen);
        gw_bufreader_init_mem(&br, in, 2 * clen);
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        o.flags = GW_INFLATE_STOP_AT_END;
        assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
        total = 0;
        for (;;) {
            run_op(op = gw_try_read(&z.r, buf, sizeof(buf), 1));
            assert_int_equal(op->ret, 0);
            assert_memory_equal(buf, plain + total, op->n);
            total += op->n;
            if (op->n == 0)
                break;
        }
        assert_true(z.r.eof);
        assert_int_equal(total, n);
        assert_int_equal(gw_bufreader_avail(&br), clen);
        assert_int_equal(gw_bufreader_offset(&br), clen);
        gw_inflate_fini(&z);
        /* The second stream, by a second layer whose offsets continue. */
        assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
        run_op(op = gw_read(&z.r, buf, sizeof(buf), sizeof(buf)));
        assert_int_equal(op->ret, 0);
        assert_memory_equal(buf, plain, sizeof(buf));
        gw_inflate_fini(&z);
        free(in);
        free(comp);
    }
    free(plain);
}

/* Fails unless res is the valid prefix `want` then err at off. */
static void expect_prefix(const gwt_result *res, const char *what, const uint8_t *want,
                          size_t wlen, int err, uint64_t off)
{
    if (res->err != err || res->off != off || res->len != wlen)
        fail_msg("%s: %s at %llu after %zu bytes, expected %s at %llu after %zu", what,
                 gw_errname(res->err), (unsigned long long)res->off, res->len, gw_errname(err),
                 (unsigned long long)off, wlen);
    if (wlen > 0)
        assert_memory_equal(res->data, want, wlen);
}

/* Issue 9, defect 4: with STOP_AT_END the end of the member is reported as
 * soon as its last byte came, with nothing after it and the input not ended
 * (a keep-alive peer that sends nothing more), whatever the split and the
 * read sizes; bytes that follow are left unread. */
static void test_stop_at_end_no_wait(void **state)
{
    static const char next[] = "GET /next HTTP/1.1\r\n";
    static const size_t reads[][2] = {{7, 1}, {5, 0}, {4096, 4096}, {65536, 1}};
    size_t n = 3000, clen, i;
    uint8_t *plain = make_text(n, 21), *comp, *in;
    gwt_result res;
    infl_cfg cfg;
    int fmt, tail;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt < GW_ZFORMAT_NFORMATS; fmt++) {
        comp = deflate_layer(plain, n, fmt == GW_ZFORMAT_AUTO ? GW_ZFORMAT_ZLIB : (gw_zformat)fmt,
                             6, 4096, n, &clen);
        in = malloc(clen + sizeof(next));
        assert_non_null(in);
        memcpy(in, comp, clen);
        memcpy(in + clen, next, sizeof(next) - 1);
        for (tail = 0; tail < 2; tail++) {
            for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
                cfg_init(&cfg, (gw_zformat)fmt, 16, reads[i][0], reads[i][1]);
                cfg.opts.flags = GW_INFLATE_STOP_AT_END;
                cfg.noend = 1;
                gwt_check_splits(in, clen + (tail ? sizeof(next) - 1 : 0), decode_inflate, &cfg,
                                 &res);
                expect_prefix(&res, "stop at end", plain, n, 0, 0);
                gwt_result_free(&res);
            }
        }
        free(in);
        free(comp);
    }
    free(plain);
}

/* Decodes `in` at every split point, and under other read sizes (min 0
 * included) fed whole, a byte at a time and split at 8 random points, each
 * time expecting exactly the valid prefix `want` and then the error err at
 * offset off. */
static void check_prefix(const uint8_t *in, size_t len, const gw_inflate_opts *o, int src_fails,
                         const uint8_t *want, size_t wlen, int err, uint64_t off)
{
    static const size_t reads[][2] = {{7, 1}, {3, 0}, {1000, 1000}, {65536, 1}};
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    uint64_t seed = len;
    gwt_result res;
    infl_cfg cfg;
    size_t i, k;

    assert_non_null(cuts);
    for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        cfg_init(&cfg, o->format, 16, reads[i][0], reads[i][1]);
        cfg.opts = *o;
        cfg.src_fails = src_fails;
        if (i == 0) {
            gwt_check_splits(in, len, decode_inflate, &cfg, &res);
            expect_prefix(&res, "every split", want, wlen, err, off);
            gwt_result_free(&res);
            continue;
        }
        for (k = 0; k < 10; k++) {
            gwt_feed feed = {in, len, cuts, 0, 0, 0, 0};
            size_t j;

            if (k == 1)
                for (j = 1; j < len; j++)
                    cuts[feed.ncuts++] = j;
            else if (k > 1 && len > 1)
                cuts[feed.ncuts++] = 1 + gwt_rand(&seed) % (len - 1);
            memset(&res, 0, sizeof(res));
            decode_inflate(&feed, &res, &cfg);
            expect_prefix(&res, "other read sizes", want, wlen, err, off);
            gwt_result_free(&res);
        }
    }
    free(cuts);
}

/* Issue 9, defect 13: a read that fails delivers every byte decoded before
 * the error, whatever the split: trailing garbage after a gzip member, a
 * second zlib stream, the output cap, a bad checksum at the end, and an
 * error of the reader below that comes with the last bytes. */
static void test_error_after_good_data(void **state)
{
    char line[16];
    uint8_t *seq = NULL, *gz, *in, *z1, *zeros, *text;
    size_t seqlen = 0, gzlen, z1len, i, n;
    gw_inflate_opts o;
    int fmt;

    (void)state;
    /* (seq 1 1000 | gzip; printf x): the 1000 lines, then trailing data. */
    for (i = 1; i <= 1000; i++) {
        n = (size_t)snprintf(line, sizeof(line), "%zu\n", i);
        seq = realloc(seq, seqlen + n);
        assert_non_null(seq);
        memcpy(seq + seqlen, line, n);
        seqlen += n;
    }
    write_file(tmp_path("seq.txt"), seq, seqlen);
    run_cmd("gzip -c -n < %s > %s", tmp_path("seq.txt"), tmp_path("seq.gz"));
    gz = read_file(tmp_path("seq.gz"), &gzlen);
    in = malloc(gzlen + 1);
    assert_non_null(in);
    memcpy(in, gz, gzlen);
    in[gzlen] = 'x';
    opts_default(&o);
    check_prefix(in, gzlen + 1, &o, 0, seq, seqlen, GW_ETRAILING_DATA, gzlen);
    o.format = GW_ZFORMAT_AUTO;
    check_prefix(in, gzlen + 1, &o, 0, seq, seqlen, GW_ETRAILING_DATA, gzlen);
    free(in);

    /* Two zlib streams: the first one's bytes, then trailing data. */
    z1 = deflate_layer(seq, seqlen, GW_ZFORMAT_ZLIB, 6, 4096, seqlen, &z1len);
    in = malloc(2 * z1len);
    assert_non_null(in);
    memcpy(in, z1, z1len);
    memcpy(in + z1len, z1, z1len);
    for (fmt = GW_ZFORMAT_ZLIB; fmt <= GW_ZFORMAT_AUTO; fmt += GW_ZFORMAT_AUTO - GW_ZFORMAT_ZLIB) {
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        check_prefix(in, 2 * z1len, &o, 0, seq, seqlen, GW_ETRAILING_DATA, z1len);
    }
    free(in);
    free(z1);

    /* --max-output 100000 over 1 MB of zeros: 100000 bytes, then the cap. */
    n = 1u << 20;
    zeros = calloc(n, 1);
    assert_non_null(zeros);
    z1 = deflate_layer(zeros, n, GW_ZFORMAT_GZIP, 6, 65536, n, &z1len);
    opts_default(&o);
    o.max_output = 100000;
    {
        gwt_result res;
        infl_cfg cfg;

        cfg_init(&cfg, GW_ZFORMAT_GZIP, 16, 65536, 1);
        cfg.opts = o;
        gwt_check_splits(z1, z1len, decode_inflate, &cfg, &res);
        assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
        assert_int_equal(res.len, 100000);
        assert_memory_equal(res.data, zeros, 100000);
        gwt_result_free(&res);
    }
    free(z1);
    free(zeros);

    /* A bad CRC at the end: every byte, then the checksum error. */
    n = 5000;
    text = make_text(n, 23);
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_ZLIB; fmt++) {
        z1 = deflate_layer(text, n, (gw_zformat)fmt, 6, 4096, n, &z1len);
        z1[z1len - (fmt == GW_ZFORMAT_GZIP ? 8 : 4)] ^= 1;
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        check_prefix(z1, z1len, &o, 0, text, n, GW_EZ_CHECKSUM,
                     z1len - (fmt == GW_ZFORMAT_GZIP ? 5 : 1));
        free(z1);
    }

    /* The reader below fails right after the last byte, in the same read:
     * a whole stream is still all delivered (STOP_AT_END then needs nothing
     * more), and a cut one delivers what its bytes decode to. */
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        gwt_result half;
        infl_cfg cfg;

        z1 = deflate_layer(seq, 1000, (gw_zformat)fmt, 6, 4096, 1000, &z1len);
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        check_prefix(z1, z1len, &o, 1, seq, 1000, GW_EIO, z1len);
        o.flags = GW_INFLATE_STOP_AT_END;
        check_prefix(z1, z1len, &o, 1, seq, 1000, 0, 0);
        o.flags = 0;
        cfg_init(&cfg, (gw_zformat)fmt, 4096, 65536, 1);
        decode_mem(z1, z1len / 2, &cfg, &half);
        assert_int_equal(half.err, GW_ETRUNCATED);
        assert_true(half.len > 0);
        check_prefix(z1, z1len / 2, &o, 1, half.data, half.len, GW_EIO, z1len / 2);
        gwt_result_free(&half);
        free(z1);
    }
    free(text);
    free(gz);
    free(seq);
}

/* The same at the scale of the report (a bad CRC after megabytes held back
 * the last 55 KB): fed whole and in random pieces, every byte comes out. */
static void test_error_after_good_data_large(void **state)
{
    size_t n = 4u << 20, clen, ncuts, pos, k;
    uint8_t *text = make_text(n, 29), *comp;
    size_t *cuts = malloc(sizeof(size_t) * 8192);
    uint64_t seed = 5;
    infl_cfg cfg;

    (void)state;
    assert_non_null(cuts);
    comp = deflate_layer(text, n, GW_ZFORMAT_GZIP, 1, 65536, n, &clen);
    comp[clen - 8] ^= 0x80;
    for (k = 0; k < 3; k++) {
        gwt_feed feed = {comp, clen, cuts, 0, 0, 0, 0};
        gwt_result res;

        memset(&res, 0, sizeof(res));
        ncuts = 0;
        for (pos = 0; k > 0 && ncuts < 8192;) {
            pos += 1 + gwt_rand(&seed) % (k == 1 ? 70000 : 3000);
            if (pos >= clen)
                break;
            cuts[ncuts++] = pos;
        }
        feed.ncuts = ncuts;
        cfg_init(&cfg, GW_ZFORMAT_GZIP, 65536, 131072, 1);
        cfg.pipecap = 65536;
        decode_inflate(&feed, &res, &cfg);
        expect_prefix(&res, "4 MiB, bad CRC", text, n, GW_EZ_CHECKSUM, clen - 5);
        gwt_result_free(&res);
    }
    free(cuts);
    free(comp);
    free(text);
}

/* ---- what the differential fuzzer found (fuzz/fuzz-inflate-diff.c) ------ */

/* Inputs on which the backends' verdicts differ in a way compress.h
 * documents ("Backend differences").  Each is decoded on both backends from
 * memory and at every split point. */
static void test_backend_differences(void **state)
{
    /* A dynamic block (also in fuzz/corpus/inflate-diff/code-set-*): the
     * literal 'A' 1 bit, end-of-block 2 bits, no other literal or length (an
     * incomplete set: 3/4 of the code space), then AAAA and the end. */
#define INCOMPLETE_LITLEN                                                                          \
    0x05, 0xe0, 0x01, 0x09, 0x00, 0x00, 0x00, 0x80, 0x20, 0x6c, 0xf3, 0xff, 0xa9, 0x84, 0x00
    static const struct {
        gw_zformat fmt;
        uint8_t in[80];
        size_t len;
        int zlib_err, isal_err; /* the verdicts seen */
        const char *zlib_msg;   /* zlib's words */
        const char *isal_out;   /* what ISA-L delivers */
    } v[] = {
        /* 2. A dynamic block header that ISA-L refuses while zlib, short of
         * input, is still reading it. */
        {GW_ZFORMAT_DEFLATE, {0x1c, 0x00, 0x00, 0x20, 0x80, 0x05, 0x00}, 7, GW_ETRUNCATED,
         GW_EZ_DATA, NULL, ""},
        /* 1. An incomplete literal/length code: zlib refuses the header,
         * ISA-L decodes the four literals the stream uses and accepts it. */
        {GW_ZFORMAT_DEFLATE, {INCOMPLETE_LITLEN}, 15, GW_EZ_DATA, 0, "invalid literal/lengths set",
         "AAAA"},
        /* The same block as a gzip member with the right CRC-32 and
         * length: the checksum does not catch it. */
        {GW_ZFORMAT_GZIP,
         {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, INCOMPLETE_LITLEN, 0xf1, 0x08, 0x0d, 0x9b, 4, 0,
          0, 0},
         33, GW_EZ_DATA, 0, "invalid literal/lengths set", "AAAA"},
        /* An incomplete code-length code (symbols 0, 1 and 2 of 2 bits
         * each), the 258 lengths spelt out one by one. */
        {GW_ZFORMAT_DEFLATE,
         {0x05, 0xe0, 0x01, 0x08, 0x00, 0x00, 0x00, 0x80, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x24, 0x04},
         75, GW_EZ_DATA, 0, "invalid code lengths set", "AAAA"},
    };
#undef INCOMPLETE_LITLEN
    gw_inflate_backend bes[2] = {GW_INFLATE_BACKEND_ZLIB, GW_INFLATE_BACKEND_ISAL};
    size_t i, k, pass;

    (void)state;
    /* cmocka's skip() prints "not ok", which meson counts as a failure. */
    if (!gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL))
        return;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        for (k = 0; k < 2; k++) {
            for (pass = 0; pass < 2; pass++) {
                gwt_result res;
                infl_cfg cfg;
                int want = k == 0 ? v[i].zlib_err : v[i].isal_err;

                cfg_init(&cfg, v[i].fmt, 4096, 65536, 1);
                cfg.opts.backend = bes[k];
                if (pass == 0)
                    decode_mem(v[i].in, v[i].len, &cfg, &res);
                else
                    gwt_check_splits(v[i].in, v[i].len, decode_inflate, &cfg, &res);
                if (res.err != want)
                    fail_msg("vector %zu on %s (%s): %s, expected %s", i,
                             gw_inflate_backend_name(bes[k]), pass ? "splits" : "memory",
                             gw_errname(res.err), gw_errname(want));
                if (k == 0 && v[i].zlib_msg != NULL)
                    assert_string_equal(cfg.msg, v[i].zlib_msg);
                else if (want == 0)
                    expect_prefix(&res, "ISA-L", (const uint8_t *)v[i].isal_out,
                                  strlen(v[i].isal_out), 0, 0);
                gwt_result_free(&res);
            }
        }
    }
}

/* A stream cut inside its deflate data, at every third byte: GW_ETRUNCATED
 * at the end of input on both backends, ISA-L (over memory and through a
 * pipe) delivering a prefix of zlib's bytes and, at some cuts, fewer of them
 * (compress.h, "Backend differences"). */
static void test_backend_truncation(void **state)
{
    size_t n = 0, k, clen, cut, shorter[2] = {0, 0}, cuts = 0, pass;
    uint8_t *plain = malloc(20000), *comp;

    (void)state;
    assert_non_null(plain);
    for (k = 1; n < 19980; k++) /* seq 1 3999: mostly literals */
        n += (size_t)sprintf((char *)plain + n, "%zu\n", k);
    comp = deflate_layer(plain, n, GW_ZFORMAT_GZIP, 6, 65536, n, &clen);
    if (!gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL)) {
        free(comp);
        free(plain);
        return; /* not skip(): see test_backend_differences */
    }
    for (cut = 20; cut + 8 < clen; cut += under_valgrind() ? 97 : 3) {
        gwt_result zres, ires;
        infl_cfg cfg;

        cfg_init(&cfg, GW_ZFORMAT_GZIP, 4096, 65536, 1);
        cfg.opts.backend = GW_INFLATE_BACKEND_ZLIB;
        decode_mem(comp, cut, &cfg, &zres);
        expect_prefix(&zres, "zlib", plain, zres.len, GW_ETRUNCATED, cut);
        cfg.opts.backend = GW_INFLATE_BACKEND_ISAL;
        for (pass = 0; pass < 2; pass++) {
            if (pass == 0) {
                decode_mem(comp, cut, &cfg, &ires);
            } else {
                gwt_feed feed = {comp, cut, NULL, 0, 0, 0, 0};
                decode_inflate(&feed, &ires, &cfg);
            }
            expect_prefix(&ires, "ISA-L", plain, ires.len, GW_ETRUNCATED, cut);
            assert_true(ires.len <= zres.len);
            shorter[pass] += ires.len < zres.len;
            gwt_result_free(&ires);
        }
        cuts++;
        gwt_result_free(&zres);
    }
    /* The difference is real (the fuzz finding,
     * fuzz/corpus/inflate-diff/truncated-shorter, was one): seen here over
     * memory, where ISA-L gets the input in one piece, and not when it
     * comes through the 64-byte pipe. */
    assert_true(shorter[0] > 0 && shorter[0] < cuts);
    free(comp);
    free(plain);
}

/* ---- decompression bombs ------------------------------------------------- */

static void test_bomb(void **state)
{
    size_t n = 1u << 20, clen, i;
    uint8_t *zeros = calloc(n, 1), *comp;
    gwt_result res;
    infl_cfg cfg;

    (void)state;
    assert_non_null(zeros);
    comp = deflate_layer(zeros, n, GW_ZFORMAT_ZLIB, 9, 65536, n, &clen);
    assert_true(clen < n / 1000);

    /* The default ratio, 1032:1, lets the best deflate can do through. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 4096, 65536, 1);
    decode_mem(comp, clen, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, n);
    gwt_result_free(&res);

    /* A cap stops it: exactly the cap is delivered, not a byte more. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 16, 1000, 1);
    cfg.opts.max_output = 20000;
    gwt_check_splits(comp, clen, decode_inflate, &cfg, &res);
    assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
    assert_int_equal(res.len, 20000);
    for (i = 0; i < res.len; i++)
        assert_int_equal(res.data[i], 0);
    assert_true(res.off < clen);
    gwt_result_free(&res);
    cfg.readsize = 65536;
    cfg.bufcap = 4096;
    gwt_check_splits(comp, clen, decode_inflate, &cfg, &res);
    assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
    assert_int_equal(res.len, 20000);
    gwt_result_free(&res);

    /* A cap of exactly the size lets it through; one less does not. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 4096, 65536, 1);
    cfg.opts.max_output = n;
    decode_mem(comp, clen, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, n);
    gwt_result_free(&res);
    cfg.opts.max_output = n - 1;
    decode_mem(comp, clen, &cfg, &res);
    assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
    assert_int_equal(res.len, n - 1);
    gwt_result_free(&res);

    /* A tighter ratio stops it too, with its own error. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 16, 1000, 1);
    cfg.opts.max_ratio = 100;
    gwt_check_splits(comp, clen, decode_inflate, &cfg, &res);
    assert_int_equal(res.err, GW_ERATIO_LIMIT);
    if (backend == GW_INFLATE_BACKEND_ZLIB) { /* normalised away on ISA-L */
        assert_true(res.len > 0);
        assert_true(res.len <= 100 * res.off);
    }
    gwt_result_free(&res);
    free(comp);
    free(zeros);
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

static void test_alloc_failure_inflate(void **state)
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

static void test_alloc_failure_deflate(void **state)
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

static void test_cancel_inflate(void **state)
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
static void test_cancel_task(void **state)
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

static void test_cancel_deflate(void **state)
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

/* ---- names and arguments ------------------------------------------------- */

static void test_names_and_args(void **state)
{
    gw_zformat f = GW_ZFORMAT_ZLIB;
    gw_inflate_opts io;
    gw_deflate_opts dop;
    gw_bufreader br;
    gw_inflate z;
    gw_deflate d;
    memsink m;

    (void)state;
    assert_int_equal(gw_zformat_parse("deflate", &f), 0);
    assert_int_equal(f, GW_ZFORMAT_DEFLATE);
    assert_int_equal(gw_zformat_parse("auto", &f), 0);
    assert_int_equal(f, GW_ZFORMAT_AUTO);
    assert_int_equal(gw_zformat_parse("gz", &f), GW_EINVAL);
    assert_int_equal(f, GW_ZFORMAT_AUTO);
    assert_string_equal(gw_zformat_name(GW_ZFORMAT_GZIP), "gzip");
    assert_string_equal(gw_zformat_name(GW_ZFORMAT_NFORMATS), "?");
    opts_default(&io);
    assert_int_equal(io.format, GW_ZFORMAT_GZIP);
    assert_int_equal(io.max_output, GW_INFLATE_DEFAULT_MAX_OUTPUT);
    assert_int_equal(io.max_ratio, 1032);

    gw_bufreader_init_mem(&br, "", 0);
    io.format = GW_ZFORMAT_NFORMATS;
    assert_int_equal(gw_inflate_init(&z, &br, &io), GW_EINVAL);
    gw_inflate_fini(&z);
    assert_int_equal(gw_inflate_init(&z, NULL, NULL), GW_EINVAL);
    gw_inflate_fini(&z);

    sink_init(&m);
    gw_deflate_opts_default(&dop);
    dop.format = GW_ZFORMAT_AUTO; /* not for writing */
    assert_int_equal(gw_deflate_init(&d, &m.w, &dop), GW_EINVAL);
    gw_deflate_fini(&d);
    gw_deflate_opts_default(&dop);
    dop.level = 10;
    assert_int_equal(gw_deflate_init(&d, &m.w, &dop), GW_EINVAL);
    gw_deflate_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_args),
        cmocka_unit_test(test_python_vectors),
        cmocka_unit_test(test_gzip_command),
        cmocka_unit_test(test_deflate_peers),
        cmocka_unit_test(test_deflate_roundtrip_splits),
        cmocka_unit_test(test_deflate_flush),
        cmocka_unit_test(test_deflate_tiny_buffer),
        cmocka_unit_test(test_deflate_dst_error),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_stop_at_end),
        cmocka_unit_test(test_stop_at_end_no_wait),
        cmocka_unit_test(test_error_after_good_data),
        cmocka_unit_test(test_error_after_good_data_large),
        cmocka_unit_test(test_backend_differences),
        cmocka_unit_test(test_backend_truncation),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_alloc_failure_inflate),
        cmocka_unit_test(test_alloc_failure_deflate),
        cmocka_unit_test(test_cancel_inflate),
        cmocka_unit_test(test_cancel_task),
        cmocka_unit_test(test_cancel_deflate),
    };
    int rc;

    if (getenv("GWZ_FILTER") != NULL)
        cmocka_set_test_filter(getenv("GWZ_FILTER"));
    /* GWZ_BACKEND=isal: the inflate cases on ISA-L (tests/meson.build
     * registers the suite once per backend built in). */
    if (getenv("GWZ_BACKEND") != NULL &&
        gw_inflate_backend_parse(getenv("GWZ_BACKEND"), &backend) != 0)
        return 1;
    if (!gw_inflate_backend_available(backend))
        return 1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/gw-compress-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    rc = cmocka_run_group_tests_name("compress", tests, NULL, NULL);
    run_cmd("rm -rf %s", tmpdir);
    return rc;
}
