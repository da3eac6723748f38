/*
 * The cancel suite's writers (tests/test-cancel.c has the readers and the
 * fixture): the bufwriter, the chunked encoder, encrypt and deflate, each
 * writing into a one-byte pipe (deflate's write into a 64-byte one, see
 * below), and each of their operations cancelled at every suspension: a
 * write, and a flush, a close (and for encrypt a push and a rekey) of bytes
 * written before.  Each time the layer must keep GW_ECANCELLED, and its
 * later writes, flushes and closes must fail with it.
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

typedef enum wlayer { W_BUFWRITER, W_CHUNKED, W_ENCRYPT, W_DEFLATE } wlayer;

/* The operation cancelled.  All but OP_WRITE run after a write of the
 * data, which the layer's buffer holds whole. */
typedef enum wop { OP_WRITE, OP_FLUSH, OP_CLOSE, OP_PUSH, OP_REKEY } wop;

static const char *const op_names[] = {"write", "flush", "close", "push", "rekey"};

typedef struct wfix {
    cfix f;              /* first: cfix_progress */
    wlayer layer;        /* the layer */
    wop op;              /* what is cancelled */
    size_t pipecap;      /* the pipe's capacity */
    size_t cap;          /* the layer's buffer (or message size) */
    int level;           /* W_DEFLATE: the level */
    const gw_key *key;   /* W_ENCRYPT */
    const uint8_t *data; /* the bytes written */
    size_t n;
    union {
        gw_bufwriter bw;
        gw_chunked_writer cw;
        gw_encrypt enc;
        gw_deflate def;
    } u;
    gw_writer *top; /* the layer's writer */
} wfix;

static gw_io_op *w_op(wfix *x, wop op)
{
    switch (op) {
    case OP_WRITE:
        return gw_write(x->top, x->data, x->n);
    case OP_FLUSH:
        return gw_flush(x->top);
    case OP_CLOSE:
        return gw_close(x->top);
    case OP_PUSH:
        return gw_encrypt_push(&x->u.enc);
    case OP_REKEY:
        return gw_encrypt_rekey(&x->u.enc);
    }
    return NULL;
}

static gw_io_op *w_start(void *ud)
{
    wfix *x = ud;
    gw_writer *dst;
    gw_crypt_options co = {0};
    gw_deflate_opts zo;

    cfix_init(&x->f, x->pipecap, NULL, 0);
    dst = &x->f.p.w;
    switch (x->layer) {
    case W_BUFWRITER:
        assert_int_equal(gw_bufwriter_init(&x->u.bw, dst, x->cap), 0);
        x->top = &x->u.bw.w;
        break;
    case W_CHUNKED:
        assert_int_equal(gw_chunked_writer_init(&x->u.cw, dst, x->cap), 0);
        x->top = &x->u.cw.w;
        break;
    case W_ENCRYPT:
        co.message_size = x->cap;
        assert_int_equal(gw_encrypt_init(&x->u.enc, dst, x->key, &co), 0);
        x->top = &x->u.enc.w;
        break;
    case W_DEFLATE:
        gw_deflate_opts_default(&zo);
        zo.level = x->level;
        zo.buffer = x->cap;
        assert_int_equal(gw_deflate_init(&x->u.def, dst, &zo), 0);
        x->top = &x->u.def.w;
        break;
    }
    if (x->op != OP_WRITE) {
        assert_int_equal(cfix_run(&x->f, gw_write(x->top, x->data, x->n)), 0);
        /* The layer holds it all: the operation below has it to write. */
        assert_int_equal(x->f.drained + x->f.p.end, 0);
    }
    return w_op(x, x->op);
}

static void w_check(void *ud)
{
    wfix *x = ud;
    int op;

    assert_int_equal(x->top->err, GW_ECANCELLED);
    cfix_drain(&x->f);
    for (op = OP_WRITE; op <= (x->layer == W_ENCRYPT ? OP_REKEY : OP_CLOSE); op++)
        assert_int_equal(gwt_run_op(w_op(x, (wop)op)), GW_ECANCELLED);
    assert_int_equal(x->top->err, GW_ECANCELLED);
}

static void w_finished(void *ud, gw_io_op *op)
{
    wfix *x = ud;

    assert_int_equal(op->ret, 0);
    assert_true(x->f.drained + (x->f.p.end - x->f.p.pos) > 0);
}

static void w_teardown(void *ud)
{
    wfix *x = ud;

    switch (x->layer) {
    case W_BUFWRITER:
        gw_bufwriter_fini(&x->u.bw);
        break;
    case W_CHUNKED:
        gw_chunked_writer_fini(&x->u.cw);
        break;
    case W_ENCRYPT:
        gw_encrypt_fini(&x->u.enc);
        break;
    case W_DEFLATE:
        gw_deflate_fini(&x->u.def);
        break;
    }
    cfix_fini(&x->f);
}

static const gwt_cancel_case w_case = {"write",    w_start, cfix_progress, w_check, w_finished,
                                       w_teardown, 0};

/* Cancels x's operation op everywhere and reports it as "layer op"
 * with at least min cancels. */
static void w_each(wfix *x, const char *layer, wop op, size_t min)
{
    char name[64];

    x->op = op;
    snprintf(name, sizeof(name), "%s %s", layer, op_names[op]);
    cancel_report(name, gwt_cancel_each(&w_case, x, NULL), min);
}

void test_cancel_bufwriter(void **state)
{
    size_t n = cfix_scale(300);
    uint8_t *data = cfix_random(n, 11);
    wfix x;

    (void)state;
    memset(&x, 0, sizeof(x));
    x.layer = W_BUFWRITER;
    x.pipecap = 1;
    x.data = data;
    x.n = n;
    /* A write through a small buffer, then a flush and a close of a
     * buffer holding it all: a suspension for each byte. */
    x.cap = 16;
    w_each(&x, "bufwriter", OP_WRITE, n - 16);
    x.cap = 512;
    w_each(&x, "bufwriter", OP_FLUSH, n - 1);
    w_each(&x, "bufwriter", OP_CLOSE, n - 1);
    free(data);
}

void test_cancel_chunked_writer(void **state)
{
    size_t n = cfix_scale(300);
    uint8_t *data = cfix_random(n, 12);
    wfix x;

    (void)state;
    memset(&x, 0, sizeof(x));
    x.layer = W_CHUNKED;
    x.pipecap = 1;
    x.data = data;
    x.n = n;
    x.cap = 32;
    w_each(&x, "chunked writer", OP_WRITE, n - 32);
    x.cap = 512;
    w_each(&x, "chunked writer", OP_FLUSH, n);
    w_each(&x, "chunked writer", OP_CLOSE, n + 5);
    free(data);
}

void test_cancel_encrypt(void **state)
{
    static const uint8_t kb[GW_KEY_BYTES] = {9, 8, 7};
    size_t n = cfix_scale(200), op;
    uint8_t *data = cfix_random(n, 13);
    gw_key *key;
    wfix x;

    (void)state;
    assert_int_equal(gw_key_from_bytes(&key, kb, sizeof(kb)), 0);
    memset(&x, 0, sizeof(x));
    x.layer = W_ENCRYPT;
    x.pipecap = 1;
    x.key = key;
    x.data = data;
    x.n = n;
    /* Messages of 40 bytes sealed as the write goes; then the header and
     * one message of them all. */
    x.cap = 40;
    w_each(&x, "encrypt", OP_WRITE, GW_CRYPT_HEADER_BYTES + n);
    x.cap = 512;
    for (op = OP_FLUSH; op <= OP_REKEY; op++)
        w_each(&x, "encrypt", (wop)op, GW_CRYPT_HEADER_BYTES + n + GW_CRYPT_ABYTES);
    gw_key_free(key);
    free(data);
}

void test_cancel_deflate(void **state)
{
    size_t n = cfix_scale(1200), big = 40000;
    uint8_t *data = cfix_random(big, 14);
    wfix x;

    (void)state;
    memset(&x, 0, sizeof(x));
    x.layer = W_DEFLATE;
    x.data = data;
    x.cap = GW_DEFLATE_MIN_BUFFER;
    /* zlib holds a write's bytes until a block is due, so the write is of
     * 40000 random bytes stored (GW_DEFLATE_STORE), which come out about as many,
     * into a pipe of 64 bytes (256 under valgrind): a suspension each time
     * it fills. */
    x.level = GW_DEFLATE_STORE;
    x.n = big;
    x.pipecap = gwt_sampling() ? 256 : 64;
    w_each(&x, "deflate", OP_WRITE, big / x.pipecap / 2);
    /* The flush and the close of 1200 random bytes held in zlib: each
     * byte of their output a suspension. */
    x.level = 6;
    x.n = n;
    x.pipecap = 1;
    w_each(&x, "deflate", OP_FLUSH, n);
    w_each(&x, "deflate", OP_CLOSE, n);
    free(data);
}
