/*
 * Benchmark: the secretstream layers (parsers/crypt/) against raw libsodium
 * loops doing the same work on the same bytes, in the same run.
 *
 * Decrypt: 256 MiB of plaintext in 64 KiB messages (4096 messages and an
 * empty final one), read through the decrypt layer over a bufreader over
 * the ciphertext in memory into a 64 KiB buffer, against a loop that parses
 * each u32be length, checks it and calls crypto_secretstream_..._pull into
 * a 64 KiB buffer.  Encrypt: the same plaintext written in 64 KiB writes
 * through the encrypt layer onto a writer that discards, against a loop
 * that calls crypto_secretstream_..._push for each 64 KiB into one buffer
 * and discards it.  Each figure is the best of several rounds (the machines
 * are shared and noisy), raw and layer alternating, in thread CPU time;
 * prints MB/s and the layer / raw throughput ratio (goal: at least 0.97).
 *
 * Usage: bench-crypt [MIB] [ROUNDS]   (default 256 MiB, 7 rounds)
 */
#define _POSIX_C_SOURCE 200809L

#include <genwire/crypt.h>
#include <genwire/exec.h>
#include <genwire/gen.h>
#include <genwire/io.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define MSG    65536u
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES

/* CPU time of this thread: on a shared, loaded machine the time a round
 * spends descheduled would otherwise swamp the difference measured. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-crypt: %s\n", what);
    exit(1);
}

/* Runs an operation that finishes without waiting. */
static int run(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    if (gw_next(&st) != GW_RETURNED)
        die("an operation waited");
    return op->ret;
}

/* ---- a writer that discards ------------------------------------------------ */

typedef gw_io_op null_op;
GW_GENERATOR(null_op, NULL);
GW_BODY(null_op, s)
{
    GW_BEGIN(s);
    s->n = s->len;
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *null_start(gw_writer *w, const uint8_t *buf, size_t len)
{
    gw_io_op *op = &w->op;

    GW_INIT(op, null_op);
    op->obj = w;
    op->src = buf;
    op->len = len;
    op->n = 0;
    op->ret = 0;
    w->nwritten += len;
    return op;
}

static gw_io_op *null_flush(gw_writer *w)
{
    return null_start(w, NULL, 0);
}

static const gw_writer_ops null_ops = {"null", null_start, null_flush, null_flush};

/* ---- the raw loops ------------------------------------------------------------ */

/* Encrypts len bytes (a multiple of MSG) into out: header, then messages,
 * then an empty final one; returns the ciphertext length.  With out NULL,
 * every message goes into one scratch buffer and is dropped. */
__attribute__((noinline)) static size_t raw_push(const uint8_t *key, const uint8_t *in, size_t len,
                                                 uint8_t *out)
{
    crypto_secretstream_xchacha20poly1305_state st;
    static uint8_t scratch[HEADER + 4 + ABYTES + MSG];
    size_t pos = 0, o = HEADER;
    uint8_t *p = out != NULL ? out : scratch;

    crypto_secretstream_xchacha20poly1305_init_push(&st, p, key);
    for (;;) {
        size_t n = len - pos < MSG ? len - pos : MSG;
        unsigned char tag = n < MSG ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
        uint8_t *q = out != NULL ? out + o : scratch + HEADER;
        uint32_t c = (uint32_t)(n + ABYTES);
        q[0] = (uint8_t)(c >> 24);
        q[1] = (uint8_t)(c >> 16);
        q[2] = (uint8_t)(c >> 8);
        q[3] = (uint8_t)c;
        crypto_secretstream_xchacha20poly1305_push(&st, q + 4, NULL, in + pos, n, NULL, 0, tag);
        o += 4 + c;
        pos += n;
        if (tag != 0)
            return o;
    }
}

/* Decrypts a whole stream into a MSG-byte buffer, message by message;
 * returns the plaintext length, or 0 on any error. */
__attribute__((noinline)) static size_t raw_pull(const uint8_t *key, const uint8_t *in, size_t len)
{
    crypto_secretstream_xchacha20poly1305_state st;
    static uint8_t m[MSG];
    unsigned long long mlen;
    unsigned char tag = 0;
    size_t pos = HEADER, total = 0, c;

    if (len < HEADER || crypto_secretstream_xchacha20poly1305_init_pull(&st, in, key) != 0)
        return 0;
    while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        if (len - pos < 4)
            return 0;
        c = (size_t)in[pos] << 24 | (size_t)in[pos + 1] << 16 | (size_t)in[pos + 2] << 8 |
            in[pos + 3];
        if (c < ABYTES || c - ABYTES > MSG || len - pos - 4 < c)
            return 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&st, m, &mlen, &tag, in + pos + 4, c, NULL,
                                                       0) != 0)
            return 0;
        total += (size_t)mlen;
        pos += 4 + c;
    }
    return pos == len ? total : 0;
}

/* ---- through the layers --------------------------------------------------------- */

__attribute__((noinline)) static size_t layer_pull(const gw_key *key, const uint8_t *in, size_t len,
                                                   uint8_t *check)
{
    static uint8_t m[MSG];
    gw_bufreader br;
    gw_decrypt d;
    gw_io_op *op;
    size_t total = 0;

    gw_bufreader_init_mem(&br, in, len);
    if (gw_decrypt_init(&d, &br, key, NULL) != 0)
        die("decrypt init");
    for (;;) {
        op = gw_try_read(&d.r, m, sizeof(m), 1);
        if (run(op) != 0)
            die("decrypt failed");
        if (op->n == 0)
            break;
        if (check != NULL)
            memcpy(check + total, m, op->n);
        total += op->n;
    }
    gw_decrypt_fini(&d);
    return total;
}

__attribute__((noinline)) static uint64_t layer_push(const gw_key *key, const uint8_t *in,
                                                     size_t len)
{
    gw_writer sink;
    gw_encrypt e;
    size_t pos;
    uint64_t out;

    gw_writer_init(&sink, &null_ops);
    if (gw_encrypt_init(&e, &sink, key, NULL) != 0)
        die("encrypt init");
    for (pos = 0; pos < len; pos += MSG)
        if (run(gw_write(&e.w, in + pos, len - pos < MSG ? len - pos : MSG)) != 0)
            die("encrypt failed");
    if (run(gw_close(&e.w)) != 0)
        die("close failed");
    out = sink.nwritten;
    gw_encrypt_fini(&e);
    return out;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 256;
    int rounds = argc > 2 ? atoi(argv[2]) : 7, r;
    size_t len = mib << 20, clen, cap = HEADER + (len / MSG + 1) * (4 + ABYTES) + len;
    uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    uint8_t *plain, *cipher, *check;
    double best[4] = {1e9, 1e9, 1e9, 1e9}, t;
    gw_key *k;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    size_t i;

    if (sodium_init() < 0 || len == 0 || len % MSG != 0 || rounds < 1)
        die("usage: bench-crypt [MIB] [ROUNDS]");
    plain = malloc(len);
    cipher = malloc(cap);
    check = malloc(len);
    if (plain == NULL || cipher == NULL || check == NULL)
        die("out of memory");
    for (i = 0; i + 8 <= len; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        memcpy(plain + i, &x, 8);
    }
    crypto_secretstream_xchacha20poly1305_keygen(key);
    if (gw_key_from_bytes(&k, key, sizeof(key)) != 0)
        die("key");

    /* The stream both decrypt loops read, and a check that the layers
     * agree with the raw loops on every byte. */
    clen = raw_push(key, plain, len, cipher);
    if (raw_pull(key, cipher, clen) != len)
        die("raw loop failed");
    if (layer_pull(k, cipher, clen, check) != len || memcmp(check, plain, len) != 0)
        die("the decrypt layer disagrees");
    if (layer_push(k, plain, len) != clen)
        die("the encrypt layer's stream has another length");
    free(check);

    for (r = 0; r < rounds; r++) {
        t = now_s();
        if (raw_pull(key, cipher, clen) != len)
            die("raw pull");
        t = now_s() - t;
        best[0] = t < best[0] ? t : best[0];
        t = now_s();
        if (layer_pull(k, cipher, clen, NULL) != len)
            die("layer pull");
        t = now_s() - t;
        best[1] = t < best[1] ? t : best[1];
        t = now_s();
        raw_push(key, plain, len, NULL);
        t = now_s() - t;
        best[2] = t < best[2] ? t : best[2];
        t = now_s();
        if (layer_push(k, plain, len) != clen)
            die("layer push");
        t = now_s() - t;
        best[3] = t < best[3] ? t : best[3];
    }
    printf("bench-crypt: %zu MiB in %u-byte messages, best of %d rounds\n", mib, MSG, rounds);
    printf("decrypt  raw pull loop %8.1f MB/s   layer %8.1f MB/s   ratio %.3f\n",
           len / best[0] / 1e6, len / best[1] / 1e6, best[0] / best[1]);
    printf("encrypt  raw push loop %8.1f MB/s   layer %8.1f MB/s   ratio %.3f\n",
           len / best[2] / 1e6, len / best[3] / 1e6, best[2] / best[3]);
    gw_key_free(k);
    free(cipher);
    free(plain);
    return 0;
}
