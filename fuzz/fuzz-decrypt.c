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

#include "crypt-common.h"
#include "fuzz.h"

/* The same key as tests/test-crypt.c's fuzz_key. */
static const uint8_t fuzz_key[GW_KEY_BYTES] = {
    0x67, 0x65, 0x6e, 0x77, 0x69, 0x72, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

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
    gw_crypt_options o = {0};
    fz_crypt_shape plain = {97, 4096, 4096, 1, &o}, chosen = {97, 0, 0, 0, &o};

    if (size < 4)
        return 0;
    if (key == NULL)
        fz_check(gw_key_from_bytes(&key, fuzz_key, sizeof(fuzz_key)) == 0, "key");
    chosen.brcap = data[0] < 200 ? 24 + (size_t)data[0] : 4096 * (size_t)(data[0] - 199);
    chosen.readcap = (data[3] & 0x3f) == 0x3f ? 4096 : 1 + (size_t)(data[3] & 0x3f);
    chosen.min = data[3] & 0x40 ? chosen.readcap : 1;
    o.message_size = data[3] & 0x80 ? 64 : GW_CRYPT_MAX_MESSAGE;
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&ref, 0, sizeof(ref));
    fz_decrypt(key, data + 4, size - 4, &plain, 0, 1, &whole);
    fz_decrypt(key, data + 4, size - 4, &chosen, data[1] | 0x100u, 1 + data[2] % 64, &split);
    reference(data + 4, size - 4, o.message_size, &ref);
    fz_result_same(&whole, &split, "whole vs split feed");
    fz_result_same(&whole, &ref, "layer vs plain libsodium loop");
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&ref);
    return 0;
}
