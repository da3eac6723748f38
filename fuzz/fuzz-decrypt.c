/*
 * Fuzz harness: the decrypt layer (parsers/crypt/decrypt.c) with a fixed
 * key, over a memory pipe and a buffered reader.
 *
 * Input: byte 0 picks the bufreader capacity (24..223, or a multiple of
 * 4 KiB: small ones make messages be gathered), byte 1 the feed schedule's
 * seed, byte 2 its largest piece, byte 3 the reads (size 1..64 or 4 KiB,
 * min 1 or the whole size; bit 7: a message limit of 64 bytes instead of
 * 1 MiB); the rest is the encrypted stream.  The seeds in
 * fuzz/corpus/decrypt/ are real streams under this key (written by
 * tests/test-crypt.c with GW_CRYPT_CORPUS set).
 *
 * Properties: the split feed with the chosen shape gives the same
 * plaintext, error and error offset as the whole feed with a plain shape,
 * and both equal a straight loop over the bytes with libsodium's pull;
 * after an error the next read fails the same way.  ASan finds leaks.
 */
#include <string.h>

#include <sodium.h>

#include <genwire/crypt.h>

#include "fuzz.h"

/* The same key as tests/test-crypt.c's fuzz_key. */
static const uint8_t fuzz_key[GW_KEY_BYTES] = {
    0x67, 0x65, 0x6e, 0x77, 0x69, 0x72, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

/* Reads the layer to its end or first error, appending the plaintext. */
typedef struct drain {
    GW_FRAME(gw_wait);
    gw_reader *r;    /* the decrypt layer */
    fz_result *out;  /* the plaintext */
    uint8_t *buf;    /* cap bytes */
    size_t cap, min; /* per read */
    gw_io_op *op;    /* the read in progress */
    int ret;         /* 0 or the error */
} drain;

GW_GENERATOR(drain, NULL);
GW_BODY(drain, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, s->cap, s->min));
        fz_result_bytes(s->out, s->buf, s->op->n);
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        fz_check(s->op->n >= s->min || s->r->eof, "short read only at the end");
        if (s->op->n == 0 && s->r->eof)
            GW_RETURN(s, 0);
    }
    GW_END(s);
}

typedef struct shape {
    size_t brcap, readcap, min, max;
} shape;

static void decode(const gw_key *key, const uint8_t *in, size_t len, const shape *sh, uint64_t seed,
                   unsigned maxpiece, fz_result *out)
{
    fz_feed feed = {in, len, 0, seed, maxpiece};
    gw_crypt_options o = {sh->max};
    static uint8_t buf[4096];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_decrypt d;
    drain dr;
    gw_wait w;
    gw_stack st;
    gw_io_op *op;

    fz_check(gw_mempipe_init(&pipe, 97) == 0, "pipe");
    fz_check(gw_bufreader_init(&br, &pipe.r, sh->brcap) == 0, "bufreader");
    fz_check(gw_decrypt_init(&d, &br, key, &o) == 0, "decrypt init");
    GW_INIT(&dr, drain);
    dr.r = &d.r;
    dr.out = out;
    dr.buf = buf;
    dr.cap = sh->readcap;
    dr.min = sh->min;
    dr.ret = 0;
    GW_START(&st, &dr, &w);
    fz_drive(&st, &w, &pipe, &feed);
    fz_check(dr.ret == d.r.err, "the error returned is the sticky one");
    out->err = d.r.err;
    out->off = d.r.err_off;
    if (d.r.err != 0) {
        op = gw_try_read(&d.r, buf, sizeof(buf), 1);
        GW_START(&st, op, &w);
        fz_check(gw_next(&st) == GW_RETURNED && op->ret == d.r.err && op->n == 0, "errors stick");
    }
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The format as a straight loop over memory with libsodium. */
static void reference(const uint8_t *in, size_t len, size_t max, fz_result *out)
{
    crypto_secretstream_xchacha20poly1305_state st;
    static uint8_t m[GW_CRYPT_MAX_MESSAGE];
    unsigned long long mlen;
    unsigned char tag = 0;
    size_t pos = GW_CRYPT_HEADER_BYTES, clen;

    if (len < GW_CRYPT_HEADER_BYTES) {
        out->err = GW_ETRUNCATED;
        out->off = 0;
        return;
    }
    crypto_secretstream_xchacha20poly1305_init_pull(&st, in, fuzz_key);
    while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        if (len - pos < 4) {
            out->err = GW_ETRUNCATED;
            out->off = pos;
            return;
        }
        clen = (size_t)in[pos] << 24 | (size_t)in[pos + 1] << 16 | (size_t)in[pos + 2] << 8 |
               in[pos + 3];
        if (clen < 17 || clen - 17 > max) {
            out->err = GW_ECRYPT_LENGTH;
            out->off = pos;
            return;
        }
        if (len - pos - 4 < clen) {
            out->err = GW_ETRUNCATED;
            out->off = pos;
            return;
        }
        if (crypto_secretstream_xchacha20poly1305_pull(&st, m, &mlen, &tag, in + pos + 4, clen,
                                                       NULL, 0) != 0) {
            out->err = GW_ECRYPT_AUTH;
            out->off = pos;
            return;
        }
        fz_result_bytes(out, m, (size_t)mlen);
        pos += 4 + clen;
    }
    if (pos < len) {
        out->err = GW_ECRYPT_AFTER_FINAL;
        out->off = pos;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gw_key *key;
    fz_result whole, split, ref;
    shape plain = {4096, 4096, 1, 0}, chosen;

    if (size < 4)
        return 0;
    if (key == NULL)
        fz_check(gw_key_from_bytes(&key, fuzz_key, sizeof(fuzz_key)) == 0, "key");
    chosen.brcap = data[0] < 200 ? 24 + (size_t)data[0] : 4096 * (size_t)(data[0] - 199);
    chosen.readcap = (data[3] & 0x3f) == 0x3f ? 4096 : 1 + (size_t)(data[3] & 0x3f);
    chosen.min = data[3] & 0x40 ? chosen.readcap : 1;
    chosen.max = data[3] & 0x80 ? 64 : GW_CRYPT_MAX_MESSAGE;
    plain.max = chosen.max;
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&ref, 0, sizeof(ref));
    decode(key, data + 4, size - 4, &plain, 0, 1, &whole);
    decode(key, data + 4, size - 4, &chosen, data[1] | 0x100u, 1 + data[2] % 64, &split);
    reference(data + 4, size - 4, chosen.max, &ref);
    fz_result_same(&whole, &split, "whole vs split feed");
    fz_result_same(&whole, &ref, "layer vs plain libsodium loop");
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&ref);
    return 0;
}
