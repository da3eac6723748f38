/*
 * Tests of the crypt family (parsers/crypt/, include/genwire/crypt.h): the
 * encrypt and decrypt layers round-tripping random data with random flush
 * points; every kind of damage a secretstream must refuse (flipped bits in
 * header, length, body and MAC; dropped, replayed, reordered and spliced
 * messages; a cut at every offset; bytes after the final message; lengths
 * out of range; the wrong key), each refused with the right error and
 * offset and without releasing a byte of the bad message; interoperation
 * with an independent peer (tests/crypt_peer.py, PyNaCl); and key files.
 * Every decode vector small enough goes through gwt_check_splits.
 *
 * With GW_CRYPT_CORPUS=DIR in the environment, the corpus test also writes
 * seed inputs for fuzz/fuzz-decrypt.c and fuzz/fuzz-crypt-roundtrip.c into
 * DIR/decrypt and DIR/crypt-roundtrip.
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

/* The key every fuzz seed uses: fuzz/fuzz-decrypt.c has the same. */
static const uint8_t fuzz_key[GW_KEY_BYTES] = {
    0x67, 0x65, 0x6e, 0x77, 0x69, 0x72, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static gw_key *key_filled(uint8_t v)
{
    uint8_t b[GW_KEY_BYTES];
    gw_key *k = NULL;
    size_t i;

    for (i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(v + i * 13);
    assert_int_equal(gw_key_from_bytes(&k, b, sizeof(b)), 0);
    return k;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1;
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(gwt_rand(&s) >> 56);
}

/* ---- encrypting into memory ------------------------------------------- */

/* An encrypt layer writing into a memory pipe large enough never to wait. */
typedef struct enc_ctx {
    gw_mempipe pipe; /* the ciphertext */
    gw_encrypt e;    /* the layer */
} enc_ctx;

static void enc_open(enc_ctx *c, const gw_key *k, size_t msize, size_t cap)
{
    gw_crypt_options o = {msize};

    assert_int_equal(gw_mempipe_init(&c->pipe, cap), 0);
    assert_int_equal(gw_encrypt_init(&c->e, &c->pipe.w, k, &o), 0);
}

static void enc_write(enc_ctx *c, const void *p, size_t n)
{
    gw_io_op *op = gw_write(&c->e.w, p, n);

    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, n);
}

static void enc_op(gw_io_op *op)
{
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
}

/* Closes the layer and returns the ciphertext (malloc'd) and its length. */
static uint8_t *enc_finish(enc_ctx *c, size_t *len)
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
static uint8_t *encrypt_random(const gw_key *k, size_t msize, const uint8_t *data, size_t len,
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
static uint8_t *encrypt_pieces(const gw_key *k, const uint8_t *data, const size_t *lens, size_t n,
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
static size_t message_offsets(const uint8_t *in, size_t len, size_t *offs, size_t max)
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

/* How a decode is set up: the key, the bufreader's capacity, the caller's
 * read size and minimum, the message limit. */
typedef struct dparams {
    const gw_key *key;
    size_t brcap;   /* bufreader capacity */
    size_t readcap; /* bytes per read */
    size_t min;     /* min per read (<= readcap) */
    size_t max;     /* max message; 0: default */
} dparams;

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

static void decode_crypt(gwt_feed *feed, gwt_result *out, void *ud)
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
static const dparams shapes[] = {
    {NULL, 4096, 4096, 1, 0},
    {NULL, 24, 5, 1, 0},
    {NULL, 100, 333, 333, 0},
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

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
static void expect_decrypt_n(const uint8_t *in, size_t len, const gw_key *k, size_t max,
                             size_t nshapes, const uint8_t *plain, size_t plen, int err,
                             uint64_t off)
{
    size_t i;

    for (i = 0; i < nshapes; i++) {
        dparams dp = shapes[i];
        gwt_result r;

        dp.key = k;
        dp.max = max;
        gwt_check_splits(in, len, decode_crypt, &dp, &r);
        check_decrypted(&r, i, plain, plen, err, off);
        if (i > 0 || len > 400)
            continue; /* (larger vectors: too slow under valgrind) */
        /* The first shape's bufreader also under every read size and min:
         * exactly the verified prefix, and min 0 withholds nothing. */
        gwt_check_splits_ex(in, len, decode_crypt_drain, &dp, &r, GWT_VARY_READS);
        check_decrypted(&r, i, plain, plen, err, off);
    }
}

static void expect_decrypt(const uint8_t *in, size_t len, const gw_key *k, const uint8_t *plain,
                           size_t plen, int err, uint64_t off)
{
    expect_decrypt_n(in, len, k, 0, NSHAPES, plain, plen, err, off);
}

/* For vectors too large for every split point: whole, one byte at a time
 * over the first 5000 bytes then the rest at once, and random pieces. */
static void expect_decrypt_large(const uint8_t *in, size_t len, const dparams *dp,
                                 const uint8_t *plain, size_t plen, int err, uint64_t off)
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

/* ---- round trips ------------------------------------------------------- */

static void test_roundtrip_random(void **state)
{
    gw_key *k = key_filled(1);
    uint8_t *data = malloc(3000);
    size_t msizes[] = {1, 7, 64, 500, 0};
    size_t i, len, clen;
    uint64_t seed = 42;

    (void)state;
    assert_non_null(data);
    for (i = 0; i < 12; i++) {
        size_t msize = msizes[i % 5];
        uint8_t *c;
        /* Ciphertext within a few KiB: every split point is tried. */
        len = (size_t)(gwt_rand(&seed) % (i < 4 ? 40 : msize == 0 || msize > 100 ? 2000 : 150));
        fill_random(data, len, i + 1);
        c = encrypt_random(k, msize, data, len, i * 7919 + 1, &clen);
        expect_decrypt(c, clen, k, data, len, 0, 0);
        free(c);
    }
    free(data);
    gw_key_free(k);
}

/* Large streams: many messages, messages larger than the bufreader and the
 * caller's reads, and messages of the largest size allowed. */
static void test_roundtrip_large(void **state)
{
    gw_key *k = key_filled(2);
    size_t len = 3 * MIB + 12345, clen;
    uint8_t *data = malloc(len), *c;
    dparams dp[] = {
        {k, 4096, 4096, 1, 0},       /* messages gathered, plaintext through _pbuf */
        {k, 2 * MIB, 3 * MIB, 1, 0}, /* all in place, straight into the caller's buffer */
        {k, 1000, 70000, 70000, 0},  /* full reads spanning messages */
    };
    size_t msizes[] = {0, GW_CRYPT_MAX_MESSAGE, 1000};
    size_t i, j;

    (void)state;
    assert_non_null(data);
    fill_random(data, len, 99);
    for (i = 0; i < 3; i++) {
        c = encrypt_random(k, msizes[i], data, len, 5 + i, &clen);
        for (j = 0; j < 3; j++)
            expect_decrypt_large(c, clen, &dp[j], data, len, 0, 0);
        free(c);
    }
    free(data);
    gw_key_free(k);
}

/* ---- the encrypt layer's messages ------------------------------------- */

/* Decrypts a whole stream over memory, recording each message's tag and
 * plaintext length (one message per read: reads of min 0 after the first
 * byte would not advance, so the caller's buffer is as large as it gets). */
static size_t message_tags(const gw_key *k, const uint8_t *in, size_t len, int *tags, size_t *lens,
                           size_t max)
{
    gw_bufreader br;
    gw_decrypt d;
    static uint8_t buf[GW_CRYPT_MAX_MESSAGE];
    size_t n = 0;

    gw_bufreader_init_mem(&br, in, len);
    assert_int_equal(gw_decrypt_init(&d, &br, k, NULL), 0);
    for (;;) {
        uint64_t before = d.messages;
        gw_io_op *op = gw_try_read(&d.r, buf, sizeof(buf), 1);
        gwt_run_op(op);
        assert_int_equal(op->ret, 0);
        if (d.messages > before) {
            /* Empty messages before a non-empty one are passed over in the
             * same read; the count says how many. */
            assert_true(n + (d.messages - before) <= max);
            while (before + 1 < d.messages) {
                tags[n] = -2; /* unknown: skipped inside the read */
                lens[n++] = 0;
                before++;
            }
            tags[n] = d.last_tag;
            lens[n++] = op->n;
        }
        if (op->n == 0 && d.r.eof)
            break;
    }
    gw_decrypt_fini(&d);
    return n;
}

static void test_encrypt_messages(void **state)
{
    gw_key *k = key_filled(3);
    uint8_t data[1000];
    int tags[16];
    size_t lens[16], clen, offs[16], n;
    uint8_t *c;
    enc_ctx e;
    gw_io_op *op;

    (void)state;
    fill_random(data, sizeof(data), 3);

    /* Message size 100: 350 bytes written at once are 3 messages sealed
     * straight from the caller's memory, 50 pending; flush seals those; a
     * flush with nothing pending seals nothing; push and rekey seal an
     * empty message; close an empty final one. */
    enc_open(&e, k, 100, 1 << 16);
    enc_write(&e, data, 350);
    assert_int_equal(e.e.messages, 3);
    enc_op(gw_flush(&e.e.w));
    assert_int_equal(e.e.messages, 4);
    enc_op(gw_flush(&e.e.w));
    assert_int_equal(e.e.messages, 4);
    enc_write(&e, data + 350, 30);
    enc_op(gw_encrypt_push(&e.e));
    enc_op(gw_encrypt_rekey(&e.e));
    enc_write(&e, data + 380, 70); /* 70 pending, then 30 fill the buffer: sealed at once */
    enc_write(&e, data + 450, 30);
    assert_int_equal(e.e.messages, 7);
    assert_int_equal(e.e.w.nwritten, 480);
    c = enc_finish(&e, &clen);
    n = message_offsets(c, clen, offs, 16);
    assert_int_equal(n, 8);
    assert_int_equal(clen, HDR + 8 * 21 + 480);
    n = message_tags(k, c, clen, tags, lens, 16);
    /* The empty rekey message is passed over inside the read that returns
     * the next message, so it shows as skipped. */
    assert_int_equal(n, 8);
    assert_int_equal(lens[0], 100);
    assert_int_equal(lens[3], 50);
    assert_int_equal(tags[3], GW_CRYPT_TAG_MESSAGE);
    assert_int_equal(lens[4], 30);
    assert_int_equal(tags[4], GW_CRYPT_TAG_PUSH);
    assert_int_equal(tags[5], -2);
    assert_int_equal(lens[6], 100);
    assert_int_equal(tags[7], GW_CRYPT_TAG_FINAL);
    assert_int_equal(lens[7], 0);
    expect_decrypt(c, clen, k, data, 480, 0, 0);
    free(c);

    /* A stream with nothing written: header and an empty final message. */
    enc_open(&e, k, 0, 1 << 16);
    c = enc_finish(&e, &clen);
    assert_int_equal(clen, HDR + 4 + 17);
    expect_decrypt(c, clen, k, NULL, 0, 0, 0);
    free(c);

    /* A flush before any data writes the header alone. */
    enc_open(&e, k, 0, 1 << 16);
    enc_op(gw_flush(&e.e.w));
    assert_int_equal(e.pipe.end - e.pipe.pos, HDR);
    enc_write(&e, "abc", 3);
    c = enc_finish(&e, &clen);
    assert_int_equal(clen, HDR + 4 + 17 + 3);
    expect_decrypt(c, clen, k, (const uint8_t *)"abc", 3, 0, 0);
    free(c);

    /* After close: writes, flushes, push and rekey fail; close again is 0. */
    enc_open(&e, k, 0, 1 << 16);
    enc_op(gw_close(&e.e.w));
    op = gw_write(&e.e.w, "x", 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    op = gw_flush(&e.e.w);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    op = gw_encrypt_push(&e.e);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    op = gw_encrypt_rekey(&e.e);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    enc_op(gw_close(&e.e.w));
    gw_encrypt_fini(&e.e);
    gw_mempipe_fini(&e.pipe);

    /* Options out of range. */
    {
        gw_crypt_options big = {GW_CRYPT_MAX_MESSAGE + 1};
        gw_mempipe p;
        gw_bufreader br;
        gw_decrypt d;
        gw_encrypt en;

        assert_int_equal(gw_mempipe_init(&p, 16), 0);
        assert_int_equal(gw_encrypt_init(&en, &p.w, k, &big), GW_EINVAL);
        gw_encrypt_fini(&en);
        assert_int_equal(gw_encrypt_init(&en, NULL, k, NULL), GW_EINVAL);
        gw_encrypt_fini(&en);
        assert_int_equal(gw_bufreader_init(&br, &p.r, GW_CRYPT_MIN_BUFFER - 1), 0);
        assert_int_equal(gw_decrypt_init(&d, &br, k, NULL), GW_EINVAL);
        gw_decrypt_fini(&d);
        gw_bufreader_fini(&br);
        assert_int_equal(gw_bufreader_init(&br, &p.r, 64), 0);
        assert_int_equal(gw_decrypt_init(&d, &br, k, &big), GW_EINVAL);
        gw_decrypt_fini(&d);
        assert_int_equal(gw_decrypt_init(&d, &br, NULL, NULL), GW_EINVAL);
        gw_decrypt_fini(&d);
        gw_bufreader_fini(&br);
        gw_mempipe_fini(&p);
    }
    gw_key_free(k);
}

/* A writer below that fails: the error reaches the caller and sticks. */
static void test_encrypt_dst_error(void **state)
{
    gw_key *k = key_filled(4);
    gw_mempipe p;
    gw_encrypt e;
    gw_crypt_options o = {10};
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 1000), 0);
    assert_int_equal(gw_encrypt_init(&e, &p.w, k, &o), 0);
    gw_mempipe_finish(&p); /* writes to a finished pipe fail with GW_ECLOSED */
    op = gw_write(&e.w, "0123456789abc", 13);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    assert_int_equal(e.w.err, GW_ECLOSED);
    op = gw_flush(&e.w);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    op = gw_encrypt_push(&e);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ECLOSED);
    gw_encrypt_fini(&e);
    gw_mempipe_fini(&p);
    gw_key_free(k);
}

/* Runs an encrypt-layer operation over a small pipe: each time it waits for
 * room, the pipe is drained into *out and the operation resumed. */
static void run_draining(gw_io_op *op, gw_mempipe *p, gwt_result *out, size_t *waits)
{
    uint8_t tmp[64];
    gw_io_op *rd;
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    while (gw_next(&st) == GW_YIELDED) {
        assert_int_equal(w.kind, GW_WAIT_EVENT);
        assert_ptr_equal(w.event, &p->writable);
        (*waits)++;
        do {
            rd = gw_try_read(&p->r, tmp, sizeof(tmp), 0);
            gwt_run_op(rd);
            gwt_result_bytes(out, tmp, rd->n);
        } while (rd->n > 0);
    }
    assert_int_equal(op->ret, 0);
}

/* The encrypt layer suspended in the writer below, at every size of it. */
static void test_encrypt_suspends(void **state)
{
    gw_key *k = key_filled(5);
    uint8_t data[700], tmp[64];
    size_t cap, waits = 0;
    gw_crypt_options o = {100};
    gw_mempipe p;
    gw_encrypt e;
    gwt_result out;
    gw_io_op *rd;

    (void)state;
    fill_random(data, sizeof(data), 5);
    for (cap = 1; cap < 40; cap += 3) {
        memset(&out, 0, sizeof(out));
        assert_int_equal(gw_mempipe_init(&p, cap), 0);
        assert_int_equal(gw_encrypt_init(&e, &p.w, k, &o), 0);
        run_draining(gw_write(&e.w, data, 250), &p, &out, &waits);
        run_draining(gw_flush(&e.w), &p, &out, &waits);
        run_draining(gw_write(&e.w, data + 250, 3), &p, &out, &waits);
        run_draining(gw_encrypt_rekey(&e), &p, &out, &waits);
        run_draining(gw_write(&e.w, data + 253, 447), &p, &out, &waits);
        run_draining(gw_encrypt_push(&e), &p, &out, &waits);
        run_draining(gw_close(&e.w), &p, &out, &waits);
        do {
            rd = gw_try_read(&p.r, tmp, sizeof(tmp), 0);
            gwt_run_op(rd);
            gwt_result_bytes(&out, tmp, rd->n);
        } while (rd->n > 0);
        gw_encrypt_fini(&e);
        gw_mempipe_fini(&p);
        expect_decrypt_n(out.data, out.len, k, 0, 1, data, sizeof(data), 0, 0);
        gwt_result_free(&out);
    }
    assert_true(waits > 100);
    gw_key_free(k);
}

/* A message that fails to verify leaves the caller's buffer untouched past
 * the bytes already returned, on both the direct and the leftover path. */
static void test_no_release_on_failure(void **state)
{
    gw_key *k = key_filled(6);
    uint8_t data[600], *c, buf[1000];
    size_t lens[3] = {200, 300, 100}, clen, offs[4], readcap, i;
    gw_bufreader br;
    gw_decrypt d;
    gw_io_op *op;

    (void)state;
    fill_random(data, sizeof(data), 6);
    c = encrypt_pieces(k, data, lens, 3, &clen);
    assert_int_equal(message_offsets(c, clen, offs, 4), 3);
    c[offs[1] + 4 + 150] ^= 0x20;
    for (readcap = 250; readcap <= 1000; readcap += 750) {
        memset(buf, 0xa5, sizeof(buf));
        gw_bufreader_init_mem(&br, c, clen);
        assert_int_equal(gw_decrypt_init(&d, &br, k, NULL), 0);
        op = gw_try_read(&d.r, buf, readcap, readcap);
        gwt_run_op(op);
        assert_int_equal(op->ret, GW_ECRYPT_AUTH);
        assert_int_equal(op->n, 200);
        assert_int_equal(d.r.err_off, offs[1]);
        assert_memory_equal(buf, data, 200);
        for (i = 200; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 0xa5);
        assert_true(d._pbuf == NULL || d._pend == 0);
        gw_decrypt_fini(&d);
    }
    free(c);
    gw_key_free(k);
}

/* ---- damage ------------------------------------------------------------ */

/* A stream of four messages (9, 0, 14 and 5 bytes; the last one final). */
typedef struct fixture {
    gw_key *k;
    uint8_t data[28];
    size_t lens[4];
    uint8_t *c;
    size_t clen;
    size_t offs[5];
    size_t pre[5]; /* plaintext bytes before message i */
} fixture;

static void fixture_make(fixture *f, uint8_t keyv)
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

static void fixture_free(fixture *f)
{
    free(f->c);
    gw_key_free(f->k);
}

static void test_clean_fixture(void **state)
{
    fixture f;

    (void)state;
    fixture_make(&f, 10);
    expect_decrypt(f.c, f.clen, f.k, f.data, 26, 0, 0);
    fixture_free(&f);
}

static void test_flipped_bits(void **state)
{
    fixture f;
    uint8_t *v;
    size_t bit, m;

    (void)state;
    fixture_make(&f, 11);
    v = malloc(f.clen);
    assert_non_null(v);

    /* The header: the first message fails to authenticate. */
    for (bit = 0; bit < HDR * 8; bit++) {
        memcpy(v, f.c, f.clen);
        v[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_decrypt(v, f.clen, f.k, NULL, 0, GW_ECRYPT_AUTH, HDR);
    }
    for (m = 0; m < 4; m++) {
        size_t start = f.offs[m], end = f.offs[m + 1];
        /* The length prefix: out of range, or a message that does not
         * authenticate, or one that runs past the end; always at this
         * message, and nothing of it released. */
        for (bit = 0; bit < 32; bit++) {
            gwt_result r;
            dparams dp = shapes[0];
            memcpy(v, f.c, f.clen);
            v[start + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            dp.key = f.k;
            gwt_check_splits(v, f.clen, decode_crypt, &dp, &r);
            assert_true(r.err == GW_ECRYPT_LENGTH || r.err == GW_ECRYPT_AUTH ||
                        r.err == GW_ETRUNCATED);
            if (bit < 8)
                assert_int_equal(r.err, GW_ECRYPT_LENGTH); /* >= 16 MiB */
            assert_int_equal(r.off, start);
            assert_int_equal(r.len, f.pre[m]);
            assert_memory_equal(r.data, f.data, f.pre[m]);
            gwt_result_free(&r);
        }
        /* Body and MAC (including the encrypted tag byte). */
        for (bit = 32; bit < (end - start) * 8; bit++) {
            memcpy(v, f.c, f.clen);
            v[start + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_decrypt_n(v, f.clen, f.k, 0, bit % 3 == 0 ? NSHAPES : 1, f.data, f.pre[m],
                             GW_ECRYPT_AUTH, start);
        }
    }
    free(v);
    fixture_free(&f);
}

/* Builds a stream from the header of `hs` and the messages idx[0..n) of
 * `ms` (offsets in moffs), returning its length. */
static size_t assemble(uint8_t *out, const uint8_t *hs, const uint8_t *ms, const size_t *moffs,
                       const int *idx, size_t n)
{
    size_t len = HDR, i, l;

    memcpy(out, hs, HDR);
    for (i = 0; i < n; i++) {
        l = moffs[idx[i] + 1] - moffs[idx[i]];
        memcpy(out + len, ms + moffs[idx[i]], l);
        len += l;
    }
    return len;
}

static void test_dropped_replayed_reordered_spliced(void **state)
{
    fixture f, g;
    uint8_t v[512];
    size_t len;
    static const int drop1[] = {0, 2, 3}, drop_final[] = {0, 1, 2}, dup[] = {0, 1, 2, 2, 3},
                     dup0[] = {0, 0, 1, 2, 3}, swap[] = {0, 2, 1, 3}, all[] = {0, 1, 2, 3},
                     final_twice[] = {0, 1, 2, 3, 3}, final_first[] = {3};

    (void)state;
    fixture_make(&f, 20);
    fixture_make(&g, 20); /* same key, its own header: another stream */
    assert_memory_not_equal(f.c, g.c, HDR);

    /* Dropped: a middle message, then the final one. */
    len = assemble(v, f.c, f.c, f.offs, drop1, 3);
    expect_decrypt(v, len, f.k, f.data, f.pre[1], GW_ECRYPT_AUTH, f.offs[1]);
    len = assemble(v, f.c, f.c, f.offs, drop_final, 3);
    expect_decrypt(v, len, f.k, f.data, f.pre[3], GW_ETRUNCATED, f.offs[3]);
    /* Replayed: the second copy fails. */
    len = assemble(v, f.c, f.c, f.offs, dup, 5);
    expect_decrypt(v, len, f.k, f.data, f.pre[3], GW_ECRYPT_AUTH, f.offs[3]);
    len = assemble(v, f.c, f.c, f.offs, dup0, 5);
    expect_decrypt(v, len, f.k, f.data, f.pre[1], GW_ECRYPT_AUTH, f.offs[1]);
    /* The final message replayed after itself: data after the final. */
    len = assemble(v, f.c, f.c, f.offs, final_twice, 5);
    expect_decrypt(v, len, f.k, f.data, 26, GW_ECRYPT_AFTER_FINAL, f.clen);
    /* Reordered. */
    len = assemble(v, f.c, f.c, f.offs, swap, 4);
    expect_decrypt(v, len, f.k, f.data, f.pre[1], GW_ECRYPT_AUTH, f.offs[1]);
    len = assemble(v, f.c, f.c, f.offs, final_first, 1);
    expect_decrypt(v, len, f.k, NULL, 0, GW_ECRYPT_AUTH, HDR);
    /* Spliced from the other stream: one message, or its header. */
    len = assemble(v, f.c, f.c, f.offs, all, 4);
    memcpy(v + f.offs[2], g.c + g.offs[2], g.offs[3] - g.offs[2]);
    expect_decrypt(v, len, f.k, f.data, f.pre[2], GW_ECRYPT_AUTH, f.offs[2]);
    len = assemble(v, g.c, f.c, f.offs, all, 4);
    expect_decrypt(v, len, f.k, NULL, 0, GW_ECRYPT_AUTH, HDR);
    /* The other stream whole is fine. */
    expect_decrypt(g.c, g.clen, g.k, g.data, 26, 0, 0);
    fixture_free(&f);
    fixture_free(&g);
}

static void test_cut_everywhere(void **state)
{
    fixture f;
    size_t cut, m;

    (void)state;
    fixture_make(&f, 30);
    for (cut = 0; cut < f.clen; cut++) {
        uint64_t off = 0;
        size_t pre = 0;
        if (cut >= HDR) {
            for (m = 0; f.offs[m + 1] <= cut; m++)
                ;
            off = f.offs[m];
            pre = f.pre[m];
        }
        expect_decrypt(f.c, cut, f.k, f.data, pre, GW_ETRUNCATED, off);
    }
    fixture_free(&f);
}

static void test_after_final(void **state)
{
    fixture f;
    uint8_t v[512];

    (void)state;
    fixture_make(&f, 40);
    memcpy(v, f.c, f.clen);
    v[f.clen] = 0;
    expect_decrypt(v, f.clen + 1, f.k, f.data, 26, GW_ECRYPT_AFTER_FINAL, f.clen);
    memset(v + f.clen, 0, 40);
    expect_decrypt(v, f.clen + 40, f.k, f.data, 26, GW_ECRYPT_AFTER_FINAL, f.clen);
    fixture_free(&f);
}

static void test_lengths_out_of_range(void **state)
{
    static const uint32_t bad[] = {0, 1, 16, GW_CRYPT_MAX_MESSAGE + 18, 0xffffffffu};
    fixture f;
    uint8_t v[512];
    size_t i, m;

    (void)state;
    fixture_make(&f, 50);
    for (m = 0; m < 4; m++) {
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            memcpy(v, f.c, f.clen);
            v[f.offs[m]] = (uint8_t)(bad[i] >> 24);
            v[f.offs[m] + 1] = (uint8_t)(bad[i] >> 16);
            v[f.offs[m] + 2] = (uint8_t)(bad[i] >> 8);
            v[f.offs[m] + 3] = (uint8_t)bad[i];
            expect_decrypt(v, f.clen, f.k, f.data, f.pre[m], GW_ECRYPT_LENGTH, f.offs[m]);
            /* The length alone is enough: nothing after it is needed. */
            expect_decrypt(v, f.offs[m] + 4, f.k, f.data, f.pre[m], GW_ECRYPT_LENGTH, f.offs[m]);
        }
        /* The largest length allowed is not refused as a length: the input
         * then ends inside the message. */
        memcpy(v, f.c, f.clen);
        v[f.offs[m]] = 0;
        v[f.offs[m] + 1] = 0x10;
        v[f.offs[m] + 2] = 0;
        v[f.offs[m] + 3] = 17;
        expect_decrypt(v, f.clen, f.k, f.data, f.pre[m], GW_ETRUNCATED, f.offs[m]);
    }
    /* A smaller limit: message 2 (13 bytes) is over a limit of 12, and
     * within one of 13. */
    expect_decrypt_n(f.c, f.clen, f.k, 12, NSHAPES, f.data, f.pre[2], GW_ECRYPT_LENGTH, f.offs[2]);
    expect_decrypt_n(f.c, f.clen, f.k, 13, NSHAPES, f.data, 26, 0, 0);
    fixture_free(&f);
}

static void test_wrong_key(void **state)
{
    fixture f;
    gw_key *other = key_filled(61);

    (void)state;
    fixture_make(&f, 60);
    expect_decrypt(f.c, f.clen, other, NULL, 0, GW_ECRYPT_AUTH, HDR);
    gw_key_free(other);
    fixture_free(&f);
}

/* A message at the largest size, gathered and in place, fed whole and in
 * pieces; one byte over the limit is refused before a byte of it is read. */
static void test_largest_message(void **state)
{
    gw_key *k = key_filled(70);
    uint8_t *data = malloc(GW_CRYPT_MAX_MESSAGE), *c;
    size_t lens[1] = {GW_CRYPT_MAX_MESSAGE}, clen;
    dparams dp[] = {
        {k, 4096, 65536, 1, 0},
        {k, 2 * MIB, 2 * MIB, 1, 0},
        {k, 2 * MIB, 1000, 1000, 0},
    };
    size_t i;

    (void)state;
    assert_non_null(data);
    fill_random(data, GW_CRYPT_MAX_MESSAGE, 70);
    /* A full buffer is sealed at once: the message, then an empty final. */
    c = encrypt_pieces(k, data, lens, 1, &clen);
    assert_int_equal(clen, HDR + 2 * (4 + 17) + GW_CRYPT_MAX_MESSAGE);
    for (i = 0; i < 3; i++)
        expect_decrypt_large(c, clen, &dp[i], data, GW_CRYPT_MAX_MESSAGE, 0, 0);
    /* With a limit one byte short. */
    dp[0].max = GW_CRYPT_MAX_MESSAGE - 1;
    expect_decrypt_large(c, clen, &dp[0], NULL, 0, GW_ECRYPT_LENGTH, HDR);
    free(c);
    free(data);
    gw_key_free(k);
}

/* ---- no copies, no allocations in the steady state --------------------- */

static size_t n_allocs;

static void *count_malloc(size_t n, void *ud)
{
    (void)ud;
    n_allocs++;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    n_allocs++;
    return realloc(p, n);
}

static void count_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void test_steady_state(void **state)
{
    static const gw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    gw_key *k = key_filled(80);
    size_t len = 200000, clen;
    uint8_t *data = malloc(len), *c, *out = malloc(len);
    uint8_t buf[8192];
    gw_bufreader br;
    gw_decrypt d;
    gw_io_op *op;
    size_t got = 0;
    gw_crypt_options o = {1000};
    enc_ctx e;

    (void)state;
    assert_non_null(data);
    assert_non_null(out);
    fill_random(data, len, 80);
    /* Encrypting: all buffers at init. */
    gw_set_allocator(&counting);
    enc_open(&e, k, 1000, 64 + 2 * len);
    n_allocs = 0;
    enc_write(&e, data, 777);
    enc_write(&e, data + 777, len - 777);
    assert_int_equal(n_allocs, 0);
    gw_set_allocator(NULL);
    c = enc_finish(&e, &clen);

    /* Decrypting over memory with reads larger than a message: in place,
     * straight into the caller's buffer, no allocation after init. */
    gw_set_allocator(&counting);
    gw_bufreader_init_mem(&br, c, clen);
    assert_int_equal(gw_decrypt_init(&d, &br, k, &o), 0);
    n_allocs = 0;
    for (;;) {
        op = gw_try_read(&d.r, buf, sizeof(buf), 1);
        gwt_run_op(op);
        assert_int_equal(op->ret, 0);
        if (op->n == 0)
            break;
        memcpy(out + got, buf, op->n);
        got += op->n;
    }
    assert_int_equal(n_allocs, 0);
    assert_null(d._pbuf);
    assert_null(d._cbuf);
    assert_int_equal(got, len);
    assert_memory_equal(out, data, len);
    gw_decrypt_fini(&d);
    gw_set_allocator(NULL);
    free(c);
    free(out);
    free(data);
    gw_key_free(k);
}

/* Over an fd: a pipe cut short is GW_ETRUNCATED; a source that fails
 * (a directory: EISDIR) gives its own error, sticky, at its offset. */
static void test_fd_source(void **state)
{
    fixture f;
    gw_fdio io;
    gw_bufreader br;
    gw_decrypt d;
    uint8_t buf[64];
    gw_io_op *op;
    int fds[2], fd;

    (void)state;
    fixture_make(&f, 90);
    fd = open("/", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(gw_fdio_init(&io, fd, GW_FDIO_OWN), 0);
    assert_int_equal(gw_bufreader_init(&br, &io.r, 64), 0);
    assert_int_equal(gw_decrypt_init(&d, &br, f.k, NULL), 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EIO);
    assert_int_equal(d.r.err, GW_EIO);
    assert_int_equal(d.r.err_off, 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EIO);
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_fdio_fini(&io);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], f.c, 30), 30);
    close(fds[1]);
    assert_int_equal(gw_fdio_init(&io, fds[0], GW_FDIO_OWN), 0);
    assert_int_equal(gw_bufreader_init(&br, &io.r, 64), 0);
    assert_int_equal(gw_decrypt_init(&d, &br, f.k, NULL), 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ETRUNCATED);
    assert_int_equal(d.r.err_off, HDR);
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_fdio_fini(&io);
    fixture_free(&f);
}

/* ---- keys -------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/gw-crypt-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *name, const void *p, size_t n, mode_t mode, char *path)
{
    int fd;

    snprintf(path, 256, "%s/%s", tmpdir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static const char good_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";

/* Encrypts with the key `a` and decrypts with `b`: 0 if they are the same. */
static int same_key(const gw_key *a, const gw_key *b)
{
    size_t lens[1] = {5}, clen;
    uint8_t *c = encrypt_pieces(a, (const uint8_t *)"hello", lens, 1, &clen);
    gw_bufreader br;
    gw_decrypt d;
    uint8_t buf[16];
    gw_io_op *op;
    int ret;

    gw_bufreader_init_mem(&br, c, clen);
    assert_int_equal(gw_decrypt_init(&d, &br, b, NULL), 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    ret = op->ret;
    gw_decrypt_fini(&d);
    free(c);
    return ret;
}

static void test_key_files(void **state)
{
    char path[256], text[80];
    uint8_t bytes[GW_KEY_BYTES];
    gw_key *k = NULL, *ref = NULL;
    struct stat st;
    size_t i;

    (void)state;
    make_tmpdir();
    for (i = 0; i < GW_KEY_BYTES; i++)
        bytes[i] = (uint8_t)i;
    assert_int_equal(gw_key_from_bytes(&ref, bytes, sizeof(bytes)), 0);

    /* Good: with a newline, without, with CR LF; mixed case digits. */
    snprintf(text, sizeof(text), "%s\n", good_hex);
    write_file("good", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    write_file("nonl", good_hex, 64, 0400, path);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    snprintf(text, sizeof(text), "%s\r\n", good_hex);
    write_file("crlf", text, 66, 0600, path);
    assert_int_equal(gw_key_load(&k, path), 0);
    gw_key_free(k);

    /* Readable (or writable) by group or others: refused, before reading. */
    k = NULL;
    snprintf(text, sizeof(text), "%s\n", good_hex);
    write_file("group", text, 65, 0640, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_PERMS);
    write_file("other", text, 65, 0604, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_PERMS);
    write_file("groupw", text, 65, 0620, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_PERMS);
    assert_null(k);

    /* Malformed. */
    memcpy(text, good_hex, 64);
    text[10] = 'g';
    text[64] = '\n';
    write_file("badhex", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    write_file("short", good_hex, 62, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    write_file("odd", good_hex, 63, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), "%s00\n", good_hex);
    write_file("long", text, 67, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), "%s\n\n", good_hex);
    write_file("twonl", text, 66, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), "%s ", good_hex);
    write_file("space", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), " %s", good_hex);
    write_file("lead", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    write_file("empty", "", 0, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    assert_null(k);
    assert_int_equal(gw_key_load(&k, tmpdir), GW_EKEY_FORMAT); /* a directory */
    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    assert_int_equal(gw_key_load(&k, path), GW_EIO);
    assert_int_equal(errno, ENOENT);
    assert_null(k);

    /* From memory. */
    assert_int_equal(gw_key_from_hex(&k, good_hex, 64), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    k = NULL;
    assert_int_equal(gw_key_from_bytes(&k, bytes, 31), GW_EINVAL);
    assert_int_equal(gw_key_from_hex(&k, "00", 2), GW_EKEY_FORMAT);
    assert_null(k);
    gw_key_free(NULL);

    /* Generation: mode 0600, loads back, never overwrites. */
    snprintf(path, sizeof(path), "%s/new.key", tmpdir);
    assert_int_equal(gw_keygen_file(path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_not_equal(same_key(ref, k), 0);
    assert_int_equal(gw_keygen_file(path), GW_EIO);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(gw_key_save(ref, path), GW_EIO);
    {
        gw_key *again = NULL;
        assert_int_equal(gw_key_load(&again, path), 0);
        assert_int_equal(same_key(k, again), 0); /* unchanged */
        gw_key_free(again);
    }
    gw_key_free(k);
    /* Saved and loaded: the same key. */
    snprintf(path, sizeof(path), "%s/ref.key", tmpdir);
    assert_int_equal(gw_key_save(ref, path), 0);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    gw_key_free(ref);
    rm_tmpdir();
}

/* ---- interoperation with an independent peer -------------------------- */

static int run_peer(const char *mode, const char *key, const char *in, const char *out,
                    const char *seed)
{
    const char *src = getenv("GW_SOURCE_DIR");
    char script[512], cmd[2048];
    int rc;

    assert_non_null(src);
    snprintf(script, sizeof(script), "%s/tests/crypt_peer.py", src);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' %s '%s' '%s' '%s' %s", script, mode, key, in,
             out, seed != NULL ? seed : "");
    rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void test_interop(void **state)
{
    char kpath[256], ppath[256], cpath[256], opath[256], text[80];
    size_t sizes[] = {0, 1, 1000, 150000}, i, clen, olen;
    uint8_t *data, *c, *o;
    gw_key *k;

    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import nacl.bindings' >/dev/null 2>&1") != 0)
        gwt_skip("no /usr/bin/python3 with PyNaCl (Debian's python3-nacl) to run the peer");
    data = malloc(150000);
    make_tmpdir();
    snprintf(text, sizeof(text), "%s\n", good_hex);
    write_file("peer.key", text, 65, 0600, kpath);
    assert_int_equal(gw_key_load(&k, kpath), 0);
    assert_non_null(data);
    snprintf(cpath, sizeof(cpath), "%s/stream", tmpdir);
    snprintf(opath, sizeof(opath), "%s/out", tmpdir);
    for (i = 0; i < 4; i++) {
        char seed[16];
        fill_random(data, sizes[i], 100 + i);
        write_file("plain", data, sizes[i], 0600, ppath);

        /* The peer encrypts, genwire decrypts. */
        snprintf(seed, sizeof(seed), "%zu", i + 1);
        assert_int_equal(run_peer("encrypt", kpath, ppath, cpath, seed), 0);
        c = read_all(cpath, &clen);
        if (clen <= 4000) {
            expect_decrypt(c, clen, k, data, sizes[i], 0, 0);
        } else {
            dparams dp = {k, 4096, 1000, 1, 0};
            expect_decrypt_large(c, clen, &dp, data, sizes[i], 0, 0);
        }
        free(c);

        /* genwire encrypts, the peer decrypts. */
        c = encrypt_random(k, i == 3 ? 0 : 100, data, sizes[i], 200 + i, &clen);
        write_file("stream", c, clen, 0600, cpath);
        assert_int_equal(run_peer("decrypt", kpath, cpath, opath, NULL), 0);
        o = read_all(opath, &olen);
        assert_int_equal(olen, sizes[i]);
        if (olen > 0)
            assert_memory_equal(o, data, olen);
        free(o);
        /* ... and refuses it damaged. */
        if (clen > HDR + 8) {
            c[clen - 3] ^= 4;
            write_file("stream", c, clen, 0600, cpath);
            assert_int_equal(run_peer("decrypt", kpath, cpath, opath, NULL), 1);
        }
        free(c);
    }
    gw_key_free(k);
    free(data);
    rm_tmpdir();
}

/* ---- fuzz seeds -------------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const uint8_t *opts, size_t nopts,
                       const uint8_t *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(opts, 1, nopts, f), nopts);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Writes the seed corpora when GW_CRYPT_CORPUS names a directory (with
 * subdirectories decrypt/ and crypt-roundtrip/); otherwise checks that the
 * streams it would write decrypt. */
static void test_fuzz_seeds(void **state)
{
    const char *dir = getenv("GW_CRYPT_CORPUS");
    char sub[512];
    gw_key *k;
    uint8_t data[3000], *c;
    size_t clen, i;
    /* fuzz-decrypt options: bufreader cap, feed seed, piece size, read shape. */
    static const uint8_t dopts[][4] = {{0, 0, 0, 0}, {3, 7, 5, 1}, {200, 1, 0, 2}, {17, 9, 31, 3}};
    static const size_t dsizes[] = {0, 5, 100, 2500};
    static const size_t msizes[] = {0, 1, 16, 700};
    /* fuzz-crypt-roundtrip: options (key byte, message size, feed seed,
     * piece size, read shape), then the script (see the harness). */
    static const char s0[] = "\x01\x10\x00\x00\x00hello world";
    static const char s1[] = "\x02\x03\x05\x07\x01\x80"
                             "abcdefgh\x81\x82"
                             "ijklmnopqrstuvwxyz\x83"
                             "0123456789";
    static const char s2[] = "\x03\x00\x09\x1f\x02"
                             "a long line of text that goes on for a while, then a flush\x80"
                             "and more\x82\x82\x81";
    static const struct {
        const char *p;
        size_t n;
    } script[] = {{s0, sizeof(s0) - 1}, {s1, sizeof(s1) - 1}, {s2, sizeof(s2) - 1}};

    (void)state;
    assert_int_equal(gw_key_from_bytes(&k, fuzz_key, sizeof(fuzz_key)), 0);
    if (dir != NULL) {
        snprintf(sub, sizeof(sub), "%s/crypt-roundtrip", dir);
        for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
            char name[32];
            snprintf(name, sizeof(name), "script-%zu", i);
            write_seed(sub, name, (const uint8_t *)script[i].p, script[i].n, NULL, 0);
        }
        snprintf(sub, sizeof(sub), "%s/decrypt", dir);
    }
    for (i = 0; i < 4; i++) {
        fill_random(data, dsizes[i], 500 + i);
        c = encrypt_random(k, msizes[i], data, dsizes[i], 600 + i, &clen);
        expect_decrypt_n(c, clen, k, 0, 1, data, dsizes[i], 0, 0);
        if (dir != NULL) {
            char name[32];
            snprintf(name, sizeof(name), "stream-%zu", i);
            write_seed(sub, name, dopts[i], 4, c, clen);
            if (i == 3) {
                /* Under a 64-byte message limit, read in full 6-byte reads. */
                static const uint8_t lim[4] = {5, 3, 9, 0xc5};
                write_seed(sub, "stream-3-limit", lim, 4, c, clen);
            }
            if (i == 2) {
                /* The same stream damaged: a bit, a cut, a byte after. */
                c[clen / 2] ^= 1;
                write_seed(sub, "stream-2-bit", dopts[i], 4, c, clen);
                c[clen / 2] ^= 1;
                write_seed(sub, "stream-2-cut", dopts[i], 4, c, clen - 5);
                write_seed(sub, "stream-2-after", dopts[i], 4, c, clen);
                {
                    char path[600];
                    FILE *f;
                    snprintf(path, sizeof(path), "%s/stream-2-after", sub);
                    f = fopen(path, "ab");
                    assert_non_null(f);
                    fputc('!', f);
                    fclose(f);
                }
            }
        }
        free(c);
    }
    gw_key_free(k);
}

/* ---- contracts: min 0, cancel, failed init ------------------------------- */

/* Defect 5: a read with min 0 decodes every message already whole in the
 * bufreader, never waits, and takes the rest once it has arrived. */
static void test_min_zero_decodes_buffered(void **state)
{
    fixture f;
    size_t brcap, cut;
    uint8_t out[64];

    (void)state;
    fixture_make(&f, 90);
    for (brcap = 24; brcap <= 4096; brcap = brcap * 4 + 1) {
        for (cut = 0; cut <= f.clen; cut++) {
            gw_mempipe pipe;
            gw_bufreader br;
            gw_decrypt d;
            gw_io_op *op;
            size_t m, want = 0, got = 0;

            /* The plaintext of the messages whole in the first cut bytes. */
            for (m = 0; m < 4; m++)
                if (f.offs[m + 1] <= cut)
                    want = f.pre[m + 1];
            assert_int_equal(gw_mempipe_init(&pipe, 4096), 0);
            assert_int_equal(gw_bufreader_init(&br, &pipe.r, brcap), 0);
            assert_int_equal(gw_decrypt_init(&d, &br, f.k, NULL), 0);
            assert_int_equal(gw_mempipe_feed(&pipe, f.c, cut), cut);
            /* The bufreader holds what arrived; min 0 decodes all of it. */
            op = gw_bufreader_fill(&br, cut < brcap ? cut : brcap);
            assert_int_equal(gwt_run_op(op), 0);
            for (;;) {
                op = gw_try_read(&d.r, out + got, sizeof(out) - got, 0);
                assert_int_equal(gwt_run_op(op), 0); /* never waits */
                got += op->n;
                if (op->n == 0)
                    break;
            }
            if (brcap > f.clen)
                assert_int_equal(got, want);
            assert_true(got <= want);
            assert_memory_equal(out, f.data, got);
            assert_false(d.r.eof);
            /* The rest, then min 0 again reaches the end. */
            assert_int_equal(gw_mempipe_feed(&pipe, f.c + cut, f.clen - cut), f.clen - cut);
            gw_mempipe_finish(&pipe);
            while (!d.r.eof) {
                op = gw_try_read(&d.r, out + got, sizeof(out) - got, 0);
                assert_int_equal(gwt_run_op(op), 0);
                got += op->n;
                if (op->n == 0 && !d.r.eof) {
                    /* Nothing whole buffered: let the bufreader take more. */
                    op = gw_bufreader_fill(&br, gw_bufreader_avail(&br) + 1);
                    assert_int_equal(gwt_run_op(op), 0);
                }
            }
            assert_int_equal(got, 26);
            assert_memory_equal(out, f.data, 26);
            gw_decrypt_fini(&d);
            gw_bufreader_fini(&br);
            gw_mempipe_fini(&pipe);
        }
    }
    fixture_free(&f);
}

/* Reads d to its end with min 1 from a pipe fed `cut` bytes of in; returns
 * nonzero if the read is left suspended (waiting for more input). */
static int start_suspended(gw_stack *st, gw_wait *w, gw_io_op **op, gw_decrypt *d, uint8_t *buf,
                           size_t cap)
{
    for (;;) {
        *op = gw_try_read(&d->r, buf, cap, 1);
        GW_START(st, *op, w);
        if (gw_next(st) == GW_YIELDED)
            return 1;
        if ((*op)->ret < 0 || d->r.eof)
            return 0;
    }
}

/* Defect 7: a decrypt read cancelled at any point where it waits (in the
 * header, a prefix, a message in place or gathered, after the final
 * message) leaves GW_ECANCELLED sticky: later reads fail with it and do not
 * parse what follows as a length. */
static void test_decrypt_cancel_sticks(void **state)
{
    fixture f;
    size_t brcap, cut, suspended = 0;
    uint8_t out[64];

    (void)state;
    fixture_make(&f, 91);
    for (brcap = 24; brcap <= 100; brcap += 76) {
        for (cut = 0; cut < f.clen; cut++) {
            gw_mempipe pipe;
            gw_bufreader br;
            gw_decrypt d;
            gw_io_op *op;
            gw_wait w;
            gw_stack st;

            assert_int_equal(gw_mempipe_init(&pipe, 4096), 0);
            assert_int_equal(gw_bufreader_init(&br, &pipe.r, brcap), 0);
            assert_int_equal(gw_decrypt_init(&d, &br, f.k, NULL), 0);
            assert_int_equal(gw_mempipe_feed(&pipe, f.c, cut), cut);
            if (start_suspended(&st, &w, &op, &d, out, sizeof(out))) {
                suspended++;
                gw_stack_close(&st);
                assert_int_equal(d.r.err, GW_ECANCELLED);
                gw_mempipe_feed(&pipe, f.c + cut, f.clen - cut);
                gw_mempipe_finish(&pipe);
                op = gw_try_read(&d.r, out, sizeof(out), 1);
                assert_int_equal(gwt_run_op(op), GW_ECANCELLED);
                assert_int_equal(op->n, 0);
                op = gw_read(&d.r, out, sizeof(out), 0);
                assert_int_equal(gwt_run_op(op), GW_ECANCELLED);
            }
            gw_decrypt_fini(&d);
            gw_bufreader_fini(&br);
            gw_mempipe_fini(&pipe);
        }
    }
    assert_true(suspended >= f.clen);
    fixture_free(&f);
}

/* Defect 7: the encrypt layer cancelled while it waits for room below, in a
 * write, a flush, a push or a close: GW_ECANCELLED sticks, and a close does
 * not end the torn stream with a final tag. */
static void test_encrypt_cancel_sticks(void **state)
{
    gw_key *k = key_filled(92);
    uint8_t data[300];
    gw_crypt_options o = {100};
    size_t cap, which, cancelled = 0;

    (void)state;
    fill_random(data, sizeof(data), 92);
    for (which = 0; which < 4; which++) {
        for (cap = 1; cap < 200; cap += 7) {
            gw_mempipe p;
            gw_encrypt e;
            gw_io_op *op;
            gw_wait w;
            gw_stack st;

            assert_int_equal(gw_mempipe_init(&p, cap), 0);
            assert_int_equal(gw_encrypt_init(&e, &p.w, k, &o), 0);
            if (which > 0) {
                /* Pending plaintext for the flush, push or close to seal. */
                op = gw_write(&e.w, data, 50);
                GW_START(&st, op, &w);
                assert_int_equal(gw_next(&st), GW_RETURNED);
            }
            op = which == 0   ? gw_write(&e.w, data, sizeof(data))
                 : which == 1 ? gw_flush(&e.w)
                 : which == 2 ? gw_encrypt_push(&e)
                              : gw_close(&e.w);
            GW_START(&st, op, &w);
            if (gw_next(&st) == GW_YIELDED) {
                cancelled++;
                gw_stack_close(&st);
                assert_int_equal(e.w.err, GW_ECANCELLED);
                p.pos = p.end = 0; /* room below again */
                assert_int_equal(gwt_run_op(gw_write(&e.w, "x", 1)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_flush(&e.w)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_encrypt_rekey(&e)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_close(&e.w)), GW_ECANCELLED);
                assert_int_equal(p.end, 0); /* nothing more went out */
            }
            gw_encrypt_fini(&e);
            gw_mempipe_fini(&p);
        }
    }
    assert_true(cancelled > 40);
    gw_key_free(k);
}

/* Defect 8: a failed init is the layer's sticky error; reads, writes,
 * flushes and closes fail with it instead of touching the missing state. */
static void test_failed_init_sticks(void **state)
{
    gw_key *k = key_filled(93);
    gw_crypt_options big = {GW_CRYPT_MAX_MESSAGE + 1};
    gw_crypt_options unl = {(size_t)GW_UNLIMITED};
    gw_mempipe p;
    gw_bufreader br, small;
    gw_decrypt d;
    gw_encrypt e;
    uint8_t out[8];

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &p.r, 4096), 0);
    assert_int_equal(gw_bufreader_init(&small, &p.r, GW_CRYPT_MIN_BUFFER - 1), 0);

    assert_int_equal(gw_decrypt_init(&d, NULL, k, NULL), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_try_read(&d.r, out, sizeof(out), 1)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_read(&d.r, out, sizeof(out), 1)), GW_EINVAL);
    gw_decrypt_fini(&d);
    assert_int_equal(gw_decrypt_init(&d, &br, k, &big), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_try_read(&d.r, out, sizeof(out), 0)), GW_EINVAL);
    gw_decrypt_fini(&d);
    assert_int_equal(gw_decrypt_init(&d, &br, k, &unl), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_try_read(&d.r, out, sizeof(out), 1)), GW_EINVAL);
    gw_decrypt_fini(&d);
    assert_int_equal(gw_decrypt_init(&d, &small, k, NULL), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_try_read(&d.r, out, sizeof(out), 1)), GW_EINVAL);
    gw_decrypt_fini(&d);

    assert_int_equal(gw_encrypt_init(&e, &p.w, NULL, NULL), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_write(&e.w, "abc", 3)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_flush(&e.w)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_encrypt_push(&e)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_close(&e.w)), GW_EINVAL);
    gw_encrypt_fini(&e);
    assert_int_equal(gw_encrypt_init(&e, &p.w, k, &big), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_write(&e.w, "abc", 3)), GW_EINVAL);
    gw_encrypt_fini(&e);
    assert_int_equal(p.end, 0);

    gw_bufreader_fini(&small);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&p);
    gw_key_free(k);
}

/* A decrypt layer over memory shorter than GW_CRYPT_MIN_BUFFER is accepted:
 * its input is simply truncated. */
static void test_small_memory(void **state)
{
    gw_key *k = key_filled(94);
    gw_bufreader br;
    gw_decrypt d;
    uint8_t out[8];
    gw_io_op *op;

    (void)state;
    gw_bufreader_init_mem(&br, "0123456789", 10);
    assert_int_equal(gw_decrypt_init(&d, &br, k, NULL), 0);
    op = gw_try_read(&d.r, out, sizeof(out), 1);
    assert_int_equal(gwt_run_op(op), GW_ETRUNCATED);
    assert_int_equal(d.r.err_off, 0);
    gw_decrypt_fini(&d);
    gw_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_roundtrip_large),
        cmocka_unit_test(test_encrypt_messages),
        cmocka_unit_test(test_encrypt_dst_error),
        cmocka_unit_test(test_encrypt_suspends),
        cmocka_unit_test(test_no_release_on_failure),
        cmocka_unit_test(test_clean_fixture),
        cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_dropped_replayed_reordered_spliced),
        cmocka_unit_test(test_cut_everywhere),
        cmocka_unit_test(test_after_final),
        cmocka_unit_test(test_lengths_out_of_range),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_largest_message),
        cmocka_unit_test(test_steady_state),
        cmocka_unit_test(test_fd_source),
        cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_interop),
        cmocka_unit_test(test_fuzz_seeds),
        cmocka_unit_test(test_min_zero_decodes_buffered),
        cmocka_unit_test(test_decrypt_cancel_sticks),
        cmocka_unit_test(test_encrypt_cancel_sticks),
        cmocka_unit_test(test_failed_init_sticks),
        cmocka_unit_test(test_small_memory),
    };

    return GWT_RUN_GROUP("crypt", tests);
}
