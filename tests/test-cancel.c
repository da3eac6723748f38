/*
 * The cancel suite (issue 9): every byte layer's operations cancelled at
 * each of their suspension points in turn (tests/gwt-cancel.h), over a
 * one-byte pipe so that each one suspends once per byte; each time the
 * layer must be left with the sticky GW_ECANCELLED, and its later
 * operations must fail with it (docs/contracts.md, "Cancel is an error").
 * This file has the fixture (tests/test-cancel.h) and the byte readers:
 * the bufreader's read, fill, need and line, the bounded reader, the
 * chunked decoder, decrypt, and inflate on each backend built in (zlib,
 * ISA-L); tests/cancel-records.c has the record reader, assembling and
 * streaming, and tests/cancel-writers.c the writers.  Each case prints its
 * count of cancels and asserts a minimum, so none can pass without
 * cancelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/compress.h>
#include <genwire/crypt.h>
#include <genwire/frame.h>
#include <genwire/io.h>

#include "test-cancel.h"

/* ---- the fixture ---------------------------------------------------------- */

void cfix_init(cfix *f, size_t cap, const uint8_t *in, size_t len)
{
    assert_int_equal(gw_mempipe_init(&f->p, cap), 0);
    f->in = in;
    f->len = len;
    f->fed = 0;
    f->drained = 0;
}

void cfix_fini(cfix *f)
{
    gw_mempipe_fini(&f->p);
}

void cfix_drain(cfix *f)
{
    f->drained += f->p.end - f->p.pos;
    f->p.pos = f->p.end = 0;
}

void cfix_progress(void *ud, const gw_wait *w)
{
    cfix *f = ud;

    assert_int_equal(w->kind, GW_WAIT_EVENT);
    if (w->event == &f->p.readable) {
        if (f->fed < f->len)
            f->fed += gw_mempipe_feed(&f->p, f->in + f->fed, 1);
        else
            gw_mempipe_finish(&f->p);
    } else {
        assert_ptr_equal(w->event, &f->p.writable);
        cfix_drain(f);
    }
}

int cfix_run(cfix *f, gw_io_op *op)
{
    gw_stack st;
    gw_wait w;

    GW_START(&st, op, &w);
    while (gw_next(&st) == GW_YIELDED)
        cfix_progress(f, &w);
    return op->ret;
}

size_t cfix_scale(size_t n)
{
    return gwt_sampling() ? n / 4 : n;
}

void cancel_report(const char *layer, size_t cancels, size_t min)
{
    print_message("# %s: %zu cancels\n", layer, cancels);
    assert_true(cancels >= min);
}

uint8_t *cfix_random(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n + 1);
    size_t i;

    assert_non_null(p);
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)gwt_rand(&seed);
    return p;
}

/* ---- byte readers: one read of the whole output --------------------------- */

/* The layers read through one gw_try_read of the whole output and one byte
 * more, so that the read goes on to the end of stream; the bufreader also
 * through its fill and need. */
typedef enum rlayer {
    R_READ,    /* the bufreader's read */
    R_FILL,    /* its fill of the whole buffer */
    R_NEED,    /* its need of the whole buffer */
    R_LINE,    /* its line: one line filling the buffer */
    R_BOUNDED, /* a bounded reader of all but the input's last 8 bytes */
    R_CHUNKED, /* the chunked decoder */
    R_DECRYPT, /* decrypt */
    R_INFLATE  /* inflate on a backend */
} rlayer;

typedef struct rfix {
    cfix f;                     /* first: cfix_progress */
    rlayer layer;               /* what is read */
    size_t brcap;               /* the bufreader's capacity */
    gw_inflate_backend backend; /* R_INFLATE */
    const gw_key *key;          /* R_DECRYPT */
    const uint8_t *in;          /* the input and its length */
    size_t inlen;
    const uint8_t *want; /* the output due and its length */
    size_t wantlen;
    size_t piece; /* 0: one read of it all; else reads of this many (rd_all) */
    uint8_t *buf; /* wantlen + 1 bytes */
    int err;      /* R_NEED's and R_LINE's error slot */
    uint64_t err_off;
    gw_linescan ls; /* R_LINE */
    gw_bufreader br;
    union {
        gw_bounded bd;
        gw_chunked_reader ck;
        gw_decrypt dec;
        gw_inflate inf;
    } u;
    gw_reader *top; /* the layer read */
    gw_io_op all;   /* rd_all's frame */
} rfix;

/* Reads x->top to its end in reads of x->piece bytes (min 1), which
 * makes the layers hold back what does not fit, for the next read; returns
 * 0 (op->n the bytes read) or the error.  Its frame has no cleanup of its
 * own: what sticks is the layer's. */
typedef gw_io_op rd_all;
GW_GENERATOR(rd_all, NULL);
GW_BODY(rd_all, s)
{
    rfix *x = s->obj;
    size_t cap = x->wantlen + 1 - s->n;

    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, sub, gw_try_read(x->top, x->buf + s->n, cap < x->piece ? cap : x->piece, 1));
        s->n += s->sub->n;
        if (s->sub->ret < 0 || s->sub->n == 0)
            GW_RETURN(s, s->sub->ret);
    }
    GW_END(s);
}

static gw_io_op *r_start(void *ud)
{
    rfix *x = ud;
    gw_inflate_opts zo;

    cfix_init(&x->f, 1, x->in, x->inlen);
    assert_int_equal(gw_bufreader_init(&x->br, &x->f.p.r, x->brcap), 0);
    x->top = &x->br.r;
    x->err = 0;
    switch (x->layer) {
    case R_FILL:
        return gw_bufreader_fill(&x->br, x->brcap);
    case R_NEED:
        return gw_bufreader_need(&x->br, x->brcap, &x->err, &x->err_off);
    case R_LINE:
        gw_linescan_init(&x->ls, x->brcap - 2, 0);
        return gw_bufreader_line(&x->br, &x->ls, &x->err, &x->err_off);
    case R_BOUNDED:
        gw_bounded_init(&x->u.bd, &x->br, x->wantlen);
        x->top = &x->u.bd.r;
        break;
    case R_CHUNKED:
        gw_chunked_reader_init(&x->u.ck, &x->br, NULL);
        x->top = &x->u.ck.r;
        break;
    case R_DECRYPT:
        assert_int_equal(gw_decrypt_init(&x->u.dec, &x->br, x->key, NULL), 0);
        x->top = &x->u.dec.r;
        break;
    case R_INFLATE:
        memset(&zo, 0, sizeof(zo));
        zo.backend = x->backend;
        assert_int_equal(gw_inflate_init(&x->u.inf, &x->br, &zo), 0);
        assert_int_equal(x->u.inf.backend, x->backend);
        x->top = &x->u.inf.r;
        break;
    case R_READ:
        break;
    }
    if (x->piece != 0) {
        GW_INIT(&x->all, rd_all);
        x->all.obj = x;
        x->all.n = 0;
        return &x->all;
    }
    return gw_try_read(x->top, x->buf, x->wantlen + 1, x->wantlen + 1);
}

static void r_check(void *ud)
{
    rfix *x = ud;

    assert_int_equal(x->top->err, GW_ECANCELLED);
    if (x->layer == R_NEED || x->layer == R_LINE)
        assert_int_equal(x->err, GW_ECANCELLED);
    if (x->layer == R_BOUNDED)
        assert_int_equal(x->br.r.err, GW_ECANCELLED);
    if (x->layer == R_FILL || x->layer == R_NEED || x->layer == R_LINE)
        assert_int_equal(gwt_run_op(gw_bufreader_fill(&x->br, 1)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_try_read(x->top, x->buf, 1, 0)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_read(x->top, x->buf, 1, 1)), GW_ECANCELLED);
    assert_int_equal(x->top->err, GW_ECANCELLED);
}

static void r_finished(void *ud, gw_io_op *op)
{
    rfix *x = ud;

    assert_int_equal(op->ret, 0);
    if (x->layer == R_FILL || x->layer == R_NEED || x->layer == R_LINE) {
        assert_int_equal(gw_bufreader_avail(&x->br), x->wantlen);
        assert_memory_equal(gw_bufreader_peek(&x->br), x->want, x->wantlen);
        if (x->layer == R_LINE) {
            assert_int_equal(op->n, x->wantlen);
            assert_int_equal(x->ls.len, x->wantlen - 1);
        }
        return;
    }
    assert_int_equal(op->n, x->wantlen);
    assert_memory_equal(x->buf, x->want, x->wantlen);
    assert_true(x->top->eof);
}

static void r_teardown(void *ud)
{
    rfix *x = ud;

    if (x->layer == R_DECRYPT)
        gw_decrypt_fini(&x->u.dec);
    if (x->layer == R_INFLATE)
        gw_inflate_fini(&x->u.inf);
    gw_bufreader_fini(&x->br);
    cfix_fini(&x->f);
}

static const gwt_cancel_case r_case = {"read",     r_start, cfix_progress, r_check, r_finished,
                                       r_teardown, 0};

/* Cancels x's read everywhere; returns the count. */
static size_t r_each(rfix *x)
{
    size_t n;

    x->buf = malloc(x->wantlen + 1);
    assert_non_null(x->buf);
    n = gwt_cancel_each(&r_case, x, NULL);
    free(x->buf);
    return n;
}

static void test_cancel_bufreader(void **state)
{
    size_t n = cfix_scale(300), caps[] = {8, 4096}, i;
    uint8_t *data = cfix_random(n, 1);
    rfix x;
    char name[64];

    (void)state;
    memset(&x, 0, sizeof(x));
    x.in = x.want = data;
    x.inlen = x.wantlen = n;
    /* Reads through the buffer, and straight into the caller's memory. */
    for (i = 0; i < 2; i++) {
        x.layer = R_READ;
        x.brcap = caps[i];
        snprintf(name, sizeof(name), "bufreader read (cap %zu)", caps[i]);
        cancel_report(name, r_each(&x), n);
    }
    x.brcap = n;
    x.layer = R_FILL;
    cancel_report("bufreader fill", r_each(&x), n);
    x.layer = R_NEED;
    cancel_report("bufreader need", r_each(&x), n);
    data[n - 1] = '\n';
    for (i = 0; i < n - 1; i++)
        data[i] = data[i] == '\n' || data[i] == '\r' ? 'x' : data[i];
    /* The buffer holds the line and one byte more (gw_bufreader_line). */
    x.layer = R_LINE;
    x.brcap = n + 1;
    cancel_report("bufreader line", r_each(&x), n);
    /* A bounded reader ends where its count does, before the input. */
    x.layer = R_BOUNDED;
    x.brcap = 8;
    x.wantlen = n - 8;
    cancel_report("bounded", r_each(&x), n - 8);
    free(data);
}

/* A chunked body of n data bytes: chunks of 1 to 23 bytes, every third
 * with an extension, then the last-chunk and a trailer field; *len is
 * the coding's length. */
static uint8_t *chunked_coding(const uint8_t *data, size_t n, size_t *len)
{
    uint8_t *c = malloc(n * 12 + 64);
    size_t pos = 0, i = 0, k = 0, sz;

    assert_non_null(c);
    while (i < n) {
        sz = k % 23 + 1 < n - i ? k % 23 + 1 : n - i;
        pos += (size_t)sprintf((char *)c + pos, k % 3 == 0 ? "%zx;ext=\"v\"\r\n" : "%zX\r\n", sz);
        memcpy(c + pos, data + i, sz);
        pos += sz;
        memcpy(c + pos, "\r\n", 2);
        pos += 2;
        i += sz;
        k++;
    }
    pos += (size_t)sprintf((char *)c + pos, "0\r\nX-Check: yes\r\n\r\n");
    *len = pos;
    return c;
}

static void test_cancel_chunked_reader(void **state)
{
    size_t n = cfix_scale(200), clen;
    uint8_t *data = cfix_random(n, 2), *coded = chunked_coding(data, n, &clen);
    rfix x;

    (void)state;
    memset(&x, 0, sizeof(x));
    x.layer = R_CHUNKED;
    x.brcap = 16;
    x.in = coded;
    x.inlen = clen;
    x.want = data;
    x.wantlen = n;
    /* Every byte of the coding, up to its final CRLF, is a suspension; in
     * one read, and in reads of 5 bytes. */
    cancel_report("chunked reader", r_each(&x), clen);
    x.piece = 5;
    cancel_report("chunked reader (reads of 5)", r_each(&x), clen);
    free(coded);
    free(data);
}

static void test_cancel_decrypt(void **state)
{
    static const uint8_t kb[GW_KEY_BYTES] = {7, 1, 2, 3};
    size_t n = cfix_scale(200);
    uint8_t *data = cfix_random(n, 3);
    gw_crypt_options opt = {40};
    gw_key *key;
    gwt_sink k;
    gw_encrypt e;
    rfix x;

    (void)state;
    assert_int_equal(gw_key_from_bytes(&key, kb, sizeof(kb)), 0);
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_encrypt_init(&e, &k.w, key, &opt), 0);
    assert_int_equal(gwt_run_op(gw_write(&e.w, data, n)), 0);
    assert_int_equal(gwt_run_op(gw_close(&e.w)), 0);
    gw_encrypt_fini(&e);
    memset(&x, 0, sizeof(x));
    x.layer = R_DECRYPT;
    x.brcap = 64;
    x.key = key;
    x.in = k.got.data;
    x.inlen = k.got.len;
    x.want = data;
    x.wantlen = n;
    cancel_report("decrypt", r_each(&x), k.got.len);
    /* Messages gathered past the smallest bufreader, and plaintext held
     * back for the next of reads of 7 bytes. */
    x.brcap = GW_CRYPT_MIN_BUFFER;
    x.piece = 7;
    cancel_report("decrypt (gathered, reads of 7)", r_each(&x), k.got.len);
    gwt_result_free(&k.got);
    gw_key_free(key);
    free(data);
}

/* Text that compresses about 5 to 1: words from a small list. */
static uint8_t *words(size_t n, uint64_t seed)
{
    static const char *const w[] = {"cancel ", "every ", "suspension ", "point ", "sticks ",
                                    "layer ",  "error ", "\n",          "gzip ",  "of "};
    uint8_t *p = malloc(n + 16);
    size_t pos = 0;

    assert_non_null(p);
    while (pos < n) {
        const char *s = w[gwt_rand(&seed) % 10];
        size_t l = strlen(s) < n - pos ? strlen(s) : n - pos;
        memcpy(p + pos, s, l);
        pos += l;
    }
    return p;
}

static void test_cancel_inflate(void **state)
{
    static const gw_inflate_backend backends[] = {GW_INFLATE_BACKEND_ZLIB, GW_INFLATE_BACKEND_ISAL};
    size_t n = cfix_scale(1200), i, ran = 0;
    uint8_t *data = words(n, 4);
    gw_deflate_opts dopt;
    gw_deflate d;
    gwt_sink k;
    rfix x;

    (void)state;
    gwt_sink_init(&k, 0);
    gw_deflate_opts_default(&dopt);
    assert_int_equal(gw_deflate_init(&d, &k.w, &dopt), 0);
    assert_int_equal(gwt_run_op(gw_write(&d.w, data, n)), 0);
    assert_int_equal(gwt_run_op(gw_close(&d.w)), 0);
    gw_deflate_fini(&d);
    for (i = 0; i < 2; i++) {
        char name[64];

        if (!gw_inflate_backend_available(backends[i]))
            continue;
        memset(&x, 0, sizeof(x));
        x.layer = R_INFLATE;
        x.backend = backends[i];
        x.brcap = x.backend == GW_INFLATE_BACKEND_ISAL ? GW_INFLATE_ISAL_MIN_BUFFER : 64;
        x.in = k.got.data;
        x.inlen = k.got.len;
        x.want = data;
        x.wantlen = n;
        snprintf(name, sizeof(name), "inflate (%s, %zu bytes of gzip)",
                 gw_inflate_backend_name(x.backend), k.got.len);
        cancel_report(name, r_each(&x), k.got.len);
        x.piece = 100;
        snprintf(name, sizeof(name), "inflate (%s, reads of 100)",
                 gw_inflate_backend_name(x.backend));
        cancel_report(name, r_each(&x), k.got.len);
        ran++;
    }
    assert_true(ran >= 1);
    gwt_result_free(&k.got);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_bufreader),      cmocka_unit_test(test_cancel_chunked_reader),
        cmocka_unit_test(test_cancel_decrypt),        cmocka_unit_test(test_cancel_inflate),
        cmocka_unit_test(test_cancel_record_reader),  cmocka_unit_test(test_cancel_bufwriter),
        cmocka_unit_test(test_cancel_chunked_writer), cmocka_unit_test(test_cancel_encrypt),
        cmocka_unit_test(test_cancel_deflate),
    };

    return cmocka_run_group_tests_name("cancel", tests, NULL, NULL);
}
