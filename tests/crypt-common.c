/*
 * The crypt suite's shared helpers (tests/test-crypt.h): streams encrypted
 * into memory, decrypting a vector under every feed schedule and read
 * shape, and the four-message fixture.
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

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <genwire/alloc.h>
#include <genwire/crypt.h>
#include <genwire/io.h>

#include "gwt.h"

#define HDR GW_CRYPT_HEADER_BYTES
#define MIB (1u << 20)
#include "test-crypt.h"

/* The key every fuzz seed uses: fuzz/fuzz-decrypt.c has the same. */
const uint8_t fuzz_key[GW_KEY_BYTES] = {
    0x67, 0x65, 0x6e, 0x77, 0x69, 0x72, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

gw_key *key_filled(uint8_t v)
{
    uint8_t b[GW_KEY_BYTES];
    gw_key *k = NULL;
    size_t i;

    for (i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(v + i * 13);
    assert_int_equal(gw_key_from_bytes(&k, b, sizeof(b)), 0);
    return k;
}

void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1;
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(gwt_rand(&s) >> 56);
}

/* ---- encrypting into memory ------------------------------------------- */

void enc_open(enc_ctx *c, const gw_key *k, size_t msize, size_t cap)
{
    gw_crypt_options o = {msize};

    assert_int_equal(gw_mempipe_init(&c->pipe, cap), 0);
    assert_int_equal(gw_encrypt_init(&c->e, &c->pipe.w, k, &o), 0);
}

void enc_write(enc_ctx *c, const void *p, size_t n)
{
    gw_io_op *op = gw_write(&c->e.w, p, n);

    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, n);
}

void enc_op(gw_io_op *op)
{
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
}

/* Closes the layer and returns the ciphertext (malloc'd) and its length. */
uint8_t *enc_finish(enc_ctx *c, size_t *len)
{
    uint8_t *out;

    enc_op(gw_close(&c->e.w));
    assert_true(c->pipe.finished);
    *len = c->pipe.end - c->pipe.pos;
    out = malloc(*len ? *len : 1);
    assert_non_null(out);
    memcpy(out, c->pipe.buf + c->pipe.pos, *len);
    gw_encrypt_fini(&c->e);
    gw_mempipe_fini(&c->pipe);
    return out;
}

/* Encrypts `len` bytes with random write sizes and random flush, push and
 * rekey points drawn from seed, in messages of msize. */
uint8_t *encrypt_random(const gw_key *k, size_t msize, const uint8_t *data, size_t len,
                        uint64_t seed, size_t *outlen)
{
    uint64_t s = seed | 1;
    size_t pos = 0, n;
    enc_ctx c;

    enc_open(&c, k, msize, 64 + 24 * len + 4 * MIB);
    while (pos < len) {
        uint64_t x = gwt_rand(&s);
        n = 1 + (size_t)(x % (x & 1 ? 37 : 3 * msize + 7));
        if (n > len - pos)
            n = len - pos;
        enc_write(&c, data + pos, n);
        pos += n;
        switch ((x >> 40) % 8) {
        case 0:
            enc_op(gw_flush(&c.e.w));
            break;
        case 1:
            enc_op(gw_encrypt_push(&c.e));
            break;
        case 2:
            enc_op(gw_encrypt_rekey(&c.e));
            break;
        default:
            break;
        }
    }
    return enc_finish(&c, outlen);
}

/* Encrypts n messages: piece i (lens[i] bytes of data, consecutive) is
 * written then flushed, except the last, which is written then closed, so
 * that it carries TAG_FINAL. */
uint8_t *encrypt_pieces(const gw_key *k, const uint8_t *data, const size_t *lens, size_t n,
                        size_t *outlen)
{
    size_t i, pos = 0;
    enc_ctx c;

    enc_open(&c, k, GW_CRYPT_MAX_MESSAGE, 4 * MIB);
    for (i = 0; i < n; i++) {
        enc_write(&c, data + pos, lens[i]);
        pos += lens[i];
        if (i + 1 < n && lens[i] > 0)
            enc_op(gw_flush(&c.e.w));
        else if (i + 1 < n)
            enc_op(gw_encrypt_push(&c.e)); /* an empty message needs a tag to go out */
    }
    return enc_finish(&c, outlen);
}

/* The offsets of the messages of a well-formed stream (offs[i] is where
 * message i's prefix starts, offs[n] the end); returns n. */
size_t message_offsets(const uint8_t *in, size_t len, size_t *offs, size_t max)
{
    size_t pos = HDR, n = 0;

    while (pos < len) {
        uint32_t l = (uint32_t)in[pos] << 24 | (uint32_t)in[pos + 1] << 16 |
                     (uint32_t)in[pos + 2] << 8 | in[pos + 3];
        assert_true(n < max);
        offs[n++] = pos;
        pos += 4 + l;
    }
    assert_int_equal(pos, len);
    offs[n] = pos;
    return n;
}

/* ---- decrypting under every feed schedule ------------------------------ */

/* Reads a reader to its end or first error, appending the bytes. */
typedef struct drain {
    GW_FRAME(gw_wait);
    gw_reader *r;    /* the reader */
    gwt_result *out; /* where the bytes go */
    uint8_t *buf;    /* readcap bytes */
    size_t cap, min; /* per read */
    gw_io_op *op;    /* the read in progress */
    int ret;         /* 0 at a clean end, else the error */
} drain;

GW_GENERATOR(drain, NULL);
GW_BODY(drain, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, s->cap, s->min));
        if (s->op->n > 0)
            gwt_result_bytes(s->out, s->buf, s->op->n);
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (s->op->n < s->min)
            assert_true(s->r->eof);
        if (s->op->n == 0 && s->r->eof)
            GW_RETURN(s, 0);
    }
    GW_END(s);
}

/* A decrypt layer set up as dp says, over a bufreader over a small pipe. */
typedef struct dec_stack {
    gw_mempipe pipe;
    gw_bufreader br;
    gw_decrypt d;
} dec_stack;

static void dec_stack_open(dec_stack *k, const dparams *dp)
{
    gw_crypt_options o = {dp->max};

    assert_int_equal(gw_mempipe_init(&k->pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&k->br, &k->pipe.r, dp->brcap), 0);
    assert_int_equal(gw_decrypt_init(&k->d, &k->br, dp->key, &o), 0);
}

static void dec_stack_close(dec_stack *k)
{
    gw_decrypt_fini(&k->d);
    gw_bufreader_fini(&k->br);
    gw_mempipe_fini(&k->pipe);
}

void decode_crypt(gwt_feed *feed, gwt_result *out, void *ud)
{
    const dparams *dp = ud;
    dec_stack k;
    drain dr;
    gw_wait w;
    gw_stack st;

    dec_stack_open(&k, dp);
    GW_INIT(&dr, drain);
    dr.r = &k.d.r;
    dr.out = out;
    dr.buf = malloc(dp->readcap);
    assert_non_null(dr.buf);
    dr.cap = dp->readcap;
    dr.min = dp->min;
    dr.ret = 0;
    GW_START(&st, &dr, &w);
    gwt_drive(&st, &w, &k.pipe, feed);
    assert_int_equal(dr.ret, k.d.r.err);
    out->err = k.d.r.err;
    out->off = k.d.r.err_off;
    if (k.d.r.err != 0) {
        /* Errors stick: the next read fails the same way at once. */
        gw_io_op *op = gw_try_read(&k.d.r, dr.buf, dp->readcap, 1);
        gwt_run_op(op);
        assert_int_equal(op->ret, k.d.r.err);
        assert_int_equal(op->n, 0);
    }
    free(dr.buf);
    dec_stack_close(&k);
}

/* The layer read by gwt_drain, the standard consumer, with the read shapes
 * of GWT_VARY_READS: min 0 must decode every message already buffered. */
static void decode_crypt_drain(gwt_feed *feed, gwt_result *out, void *ud)
{
    dec_stack k;

    dec_stack_open(&k, ud);
    gwt_drain(&k.d.r, &k.pipe, feed, out);
    dec_stack_close(&k);
}

/* The set-ups every vector is decoded with: ciphertext in place or
 * gathered, plaintext into the caller's buffer or through the leftover
 * buffer, reads that take what there is or wait for a full buffer. */
const dparams shapes[NSHAPES] = {
    {NULL, 4096, 4096, 1, 0},
    {NULL, 24, 5, 1, 0},
    {NULL, 100, 333, 333, 0},
};

/* Checks (and frees) a decode result: exactly plain[0..plen) released, then
 * error err at off (or a clean end). */
static void check_decrypted(gwt_result *r, size_t shape, const uint8_t *plain, size_t plen, int err,
                            uint64_t off)
{
    if (r->err != err || (err != 0 && r->off != off) || r->len != plen)
        print_error("shape %zu: err %s at %llu, %zu bytes; expected %s at %llu, %zu bytes\n", shape,
                    gw_errname(r->err), (unsigned long long)r->off, r->len, gw_errname(err),
                    (unsigned long long)off, plen);
    assert_int_equal(r->err, err);
    if (err != 0)
        assert_int_equal(r->off, off);
    assert_int_equal(r->len, plen);
    if (plen > 0)
        assert_memory_equal(r->data, plain, plen);
    gwt_result_free(r);
}

/* Decodes `in` under every schedule with each shape and checks the result:
 * exactly `plain` released, then error `err` at `off` (or a clean end). */
void expect_decrypt_n(const uint8_t *in, size_t len, const gw_key *k, size_t max, size_t nshapes,
                      const uint8_t *plain, size_t plen, int err, uint64_t off)
{
    size_t i;

    for (i = 0; i < nshapes; i++) {
        dparams dp = shapes[i];
        gwt_result r;

        dp.key = k;
        dp.max = max;
        /* GWT_SAMPLE: every split point in the normal and sanitizer
         * builds, a sample of them under valgrind. */
        gwt_check_splits_ex(in, len, decode_crypt, &dp, &r, GWT_SAMPLE);
        check_decrypted(&r, i, plain, plen, err, off);
        if (i > 0 || len > 400)
            continue; /* (larger vectors: too slow under valgrind) */
        /* The first shape's bufreader also under every read size and min:
         * exactly the verified prefix, and min 0 withholds nothing. */
        gwt_check_splits_ex(in, len, decode_crypt_drain, &dp, &r, GWT_VARY_READS | GWT_SAMPLE);
        check_decrypted(&r, i, plain, plen, err, off);
    }
}

void expect_decrypt(const uint8_t *in, size_t len, const gw_key *k, const uint8_t *plain,
                    size_t plen, int err, uint64_t off)
{
    expect_decrypt_n(in, len, k, 0, NSHAPES, plain, plen, err, off);
}

/* For vectors too large for every split point: whole, one byte at a time
 * over the first 5000 bytes then the rest at once, and random pieces. */
void expect_decrypt_large(const uint8_t *in, size_t len, const dparams *dp, const uint8_t *plain,
                          size_t plen, int err, uint64_t off)
{
    size_t ncut = len < 5001 ? len - 1 : 5000, i, n = 0;
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    uint64_t seed = 0x1234567;
    int sched;

    assert_non_null(cuts);
    for (sched = 0; sched < 3; sched++) {
        gwt_feed feed = {in, len, cuts, 0, 0, 0, 0};
        gwt_result r;

        if (sched == 1) {
            for (i = 0; i < ncut; i++)
                cuts[i] = i + 1;
            feed.ncuts = ncut;
        } else if (sched == 2) {
            size_t pos = 0;
            for (n = 0;;) {
                pos += 1 + gwt_rand(&seed) % 70000;
                if (pos >= len)
                    break;
                cuts[n++] = pos;
            }
            feed.ncuts = n;
        }
        memset(&r, 0, sizeof(r));
        decode_crypt(&feed, &r, (void *)dp);
        assert_int_equal(r.err, err);
        if (err != 0)
            assert_int_equal(r.off, off);
        assert_int_equal(r.len, plen);
        if (plen > 0)
            assert_memory_equal(r.data, plain, plen);
        gwt_result_free(&r);
    }
    free(cuts);
}

void fixture_make(fixture *f, uint8_t keyv)
{
    size_t i, n;

    f->k = key_filled(keyv);
    memcpy(f->data, "message-0message-two!!fin.", 26);
    f->lens[0] = 9;
    f->lens[1] = 0;
    f->lens[2] = 13;
    f->lens[3] = 4;
    f->c = encrypt_pieces(f->k, f->data, f->lens, 4, &f->clen);
    n = message_offsets(f->c, f->clen, f->offs, 5);
    assert_int_equal(n, 4);
    f->pre[0] = 0;
    for (i = 0; i < 4; i++)
        f->pre[i + 1] = f->pre[i] + f->lens[i];
}

void fixture_free(fixture *f)
{
    free(f->c);
    gw_key_free(f->k);
}
