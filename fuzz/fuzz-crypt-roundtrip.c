/*
 * Fuzz harness: encrypt then decrypt (parsers/crypt/), with the writes,
 * flushes, pushes and rekeys chosen by the input.
 *
 * Input: byte 0 picks the key, byte 1 the message size (0: the default
 * 64 KiB, else 1..100), byte 2 the decrypt feed's seed, byte 3 its largest
 * piece, byte 4 the reads (size 1..64 or 4 KiB, min 1 or the whole size;
 * bit 7: a bufreader of 24 bytes, so that messages are gathered); the rest
 * is a script: 0x80 flush, 0x81 push, 0x82 rekey, 0x83 X the literal byte
 * X, any other byte plaintext (a run of plaintext bytes is one write).
 * The stream is closed at the end of the script.
 *
 * Properties: every operation succeeds; every message's plaintext is at
 * most the message size and the stream ends with the final message; the
 * decrypted bytes, fed in input-chosen pieces, equal the plaintext written,
 * with a clean end; a stream cut one byte short is GW_ETRUNCATED and
 * releases no more than was written.
 */
#include <stdlib.h>
#include <string.h>

#include <genwire/crypt.h>

#include "crypt-common.h"
#include "fuzz.h"

/* Runs an operation that must finish at once and succeed. */
static void run_ok(gw_io_op *op, const char *what)
{
    fz_check(fz_run_now(op, what) == 0, what);
}

/* The 256 keys byte 0 picks (every byte of key i is i), made before the
 * first input: made as inputs first used them, the same input took another
 * path on its first run, which AFL++ counted as instability (71%). */
static gw_key *keys[256];

__attribute__((constructor)) static void make_keys(void)
{
    uint8_t kb[GW_KEY_BYTES];
    size_t i;

    for (i = 0; i < 256; i++) {
        memset(kb, (int)i, sizeof(kb));
        fz_check(gw_key_from_bytes(&keys[i], kb, sizeof(kb)) == 0, "key");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_crypt_options o = {0};
    fz_result plain, got, cut;
    gw_key *key;
    gw_mempipe pipe;
    gw_encrypt e;
    const uint8_t *script, *c;
    size_t n, i, run, clen, pos;
    fz_crypt_shape sh = {61, 0, 0, 0, NULL};

    if (size < 5)
        return 0;
    key = keys[data[0]];
    o.message_size = data[1] == 0 ? 0 : 1 + (size_t)(data[1] - 1) % 100;
    sh.readcap = (data[4] & 0x3f) == 0x3f ? 4096 : 1 + (size_t)(data[4] & 0x3f);
    sh.min = data[4] & 0x40 ? sh.readcap : 1;
    sh.brcap = data[4] & 0x80 ? GW_CRYPT_MIN_BUFFER : 4096;
    script = data + 5;
    n = size - 5;

    /* Encrypt; the pipe holds the worst case (a message per byte and per
     * command, each 21 bytes over). */
    fz_check(gw_mempipe_init(&pipe, GW_CRYPT_HEADER_BYTES + 22 * (n + 1) + 64) == 0, "pipe");
    fz_check(gw_encrypt_init(&e, &pipe.w, key, &o) == 0, "encrypt init");
    memset(&plain, 0, sizeof(plain));
    for (i = 0; i < n;) {
        if (script[i] == 0x80) {
            run_ok(gw_flush(&e.w), "flush");
            i++;
        } else if (script[i] == 0x81) {
            run_ok(gw_encrypt_push(&e), "push");
            i++;
        } else if (script[i] == 0x82) {
            run_ok(gw_encrypt_rekey(&e), "rekey");
            i++;
        } else if (script[i] == 0x83) {
            if (i + 1 < n) {
                fz_result_bytes(&plain, script + i + 1, 1);
                run_ok(gw_write(&e.w, script + i + 1, 1), "write literal");
            }
            i += 2;
        } else {
            for (run = 0; i + run < n && (script[i + run] < 0x80 || script[i + run] > 0x83); run++)
                ;
            fz_result_bytes(&plain, script + i, run);
            run_ok(gw_write(&e.w, script + i, run), "write");
            i += run;
        }
    }
    run_ok(gw_close(&e.w), "close");
    fz_check(e.w.nwritten == plain.len, "every byte accepted");
    gw_encrypt_fini(&e);
    c = pipe.buf + pipe.pos;
    clen = pipe.end - pipe.pos;

    /* The stream's shape: header, then messages within the size. */
    fz_check(clen >= GW_CRYPT_HEADER_BYTES + 4 + 17, "header and a final message");
    for (pos = GW_CRYPT_HEADER_BYTES; pos < clen;) {
        size_t l =
            (size_t)c[pos] << 24 | (size_t)c[pos + 1] << 16 | (size_t)c[pos + 2] << 8 | c[pos + 3];
        fz_check(l >= 17 && l - 17 <= (o.message_size ? o.message_size : 65536),
                 "message within the size");
        pos += 4 + l;
    }
    fz_check(pos == clen, "messages fill the stream exactly");

    memset(&got, 0, sizeof(got));
    fz_decrypt(key, c, clen, &sh, data[2] | 0x100u, 1 + data[3] % 64, &got);
    fz_check(got.err == 0, "round trip decrypts cleanly");
    fz_check(got.len == plain.len &&
                 (plain.len == 0 || memcmp(got.data, plain.data, plain.len) == 0),
             "round trip gives the plaintext back");

    memset(&cut, 0, sizeof(cut));
    fz_decrypt(key, c, clen - 1, &sh, data[2] | 0x100u, 1 + data[3] % 64, &cut);
    fz_check(cut.err == GW_ETRUNCATED, "a cut stream is truncated");
    fz_check(cut.len <= plain.len && (cut.len == 0 || memcmp(cut.data, plain.data, cut.len) == 0),
             "a cut stream releases only a prefix");

    fz_result_free(&cut);
    fz_result_free(&got);
    fz_result_free(&plain);
    gw_mempipe_fini(&pipe);
    return 0;
}
