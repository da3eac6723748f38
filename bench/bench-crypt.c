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
 * and discards it.  The four sides take turns in slices of 4 MiB of
 * plaintext, each resuming its stream where its last slice stopped (one
 * stream per side a round), timed in thread CPU time (bench_interleave);
 * prints MB/s of the best round and the layer / raw throughput ratio as
 * the median of the per-round ratios (the figure judged; goal: at least
 * 0.97), with the best rounds' ratio beside it.
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

#include "bench-util.h"

#define MSG    65536u
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES

static void die(const char *what)
{
    bench_die("bench-crypt", what);
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

/* ---- the sides: each a stream resumed slice by slice --------------------------- */

#define SLICE (4u << 20) /* plaintext bytes per slice */

typedef struct side {
    int live;                                       /* a stream in progress */
    crypto_secretstream_xchacha20poly1305_state st; /* the raw loops */
    size_t pos;                                     /* where in the input */
    size_t o;                                       /* raw push: where in the output */
    uint8_t *out;    /* raw push: the ciphertext's home, or NULL to drop it */
    uint8_t *check;  /* layer pull: where to copy the plaintext, or NULL */
    gw_bufreader br; /* the layers */
    gw_decrypt d;
    gw_writer sink;
    gw_encrypt e;
} side;

/* Each step function below does `want` bytes of plaintext (at least; a
 * message or write more at most), starting a new stream where the last one
 * ended; with want 0, the rest of one stream, which it ends.  Returns the
 * plaintext bytes done. */

/* Encrypts len bytes (a multiple of MSG): header, messages, an empty final
 * one, into s->out or, with s->out NULL, message by message into one
 * scratch buffer; *clen (unless NULL): the length of the stream that ended. */
__attribute__((noinline)) static size_t raw_push(side *s, const uint8_t *key, const uint8_t *in,
                                                 size_t len, size_t want, size_t *clen)
{
    static uint8_t scratch[HEADER + 4 + ABYTES + MSG];
    size_t total = 0;

    for (;;) {
        uint8_t *q;
        size_t n;
        unsigned char tag;
        uint32_t c;

        if (!s->live) {
            crypto_secretstream_xchacha20poly1305_init_push(&s->st, s->out ? s->out : scratch, key);
            s->pos = 0;
            s->o = HEADER;
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        n = len - s->pos < MSG ? len - s->pos : MSG;
        tag = n < MSG ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
        q = s->out != NULL ? s->out + s->o : scratch + HEADER;
        c = (uint32_t)(n + ABYTES);
        q[0] = (uint8_t)(c >> 24);
        q[1] = (uint8_t)(c >> 16);
        q[2] = (uint8_t)(c >> 8);
        q[3] = (uint8_t)c;
        crypto_secretstream_xchacha20poly1305_push(&s->st, q + 4, NULL, in + s->pos, n, NULL, 0,
                                                   tag);
        s->o += 4 + c;
        s->pos += n;
        total += n;
        if (tag != 0) {
            if (clen != NULL)
                *clen = s->o;
            if (bench_stream_end(&s->live, want))
                return total;
        }
    }
}

/* Decrypts the stream into a MSG-byte buffer, message by message. */
__attribute__((noinline)) static size_t raw_pull(side *s, const uint8_t *key, const uint8_t *in,
                                                 size_t len, size_t want)
{
    static uint8_t m[MSG];
    unsigned long long mlen;
    unsigned char tag = 0;
    size_t total = 0, c;

    for (;;) {
        if (!s->live) {
            if (len < HEADER || crypto_secretstream_xchacha20poly1305_init_pull(&s->st, in, key))
                die("raw pull: bad header");
            s->pos = HEADER;
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        if (len - s->pos < 4)
            die("raw pull: truncated");
        c = (size_t)in[s->pos] << 24 | (size_t)in[s->pos + 1] << 16 | (size_t)in[s->pos + 2] << 8 |
            in[s->pos + 3];
        if (c < ABYTES || c - ABYTES > MSG || len - s->pos - 4 < c)
            die("raw pull: bad length");
        if (crypto_secretstream_xchacha20poly1305_pull(&s->st, m, &mlen, &tag, in + s->pos + 4, c,
                                                       NULL, 0) != 0)
            die("raw pull: forged");
        total += (size_t)mlen;
        s->pos += 4 + c;
        if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
            if (s->pos != len)
                die("raw pull: bytes after the final message");
            if (bench_stream_end(&s->live, want))
                return total;
        }
    }
}

/* ---- through the layers --------------------------------------------------------- */

__attribute__((noinline)) static size_t layer_pull(side *s, const gw_key *key, const uint8_t *in,
                                                   size_t len, size_t want)
{
    static uint8_t m[MSG];
    gw_io_op *op;
    size_t total = 0;

    for (;;) {
        if (!s->live) {
            gw_bufreader_init_mem(&s->br, in, len);
            if (gw_decrypt_init(&s->d, &s->br, key, NULL) != 0)
                die("decrypt init");
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        op = gw_try_read(&s->d.r, m, sizeof(m), 1);
        if (run(op) != 0)
            die("decrypt failed");
        if (op->n == 0) {
            gw_decrypt_fini(&s->d);
            if (bench_stream_end(&s->live, want))
                return total;
            continue;
        }
        if (s->check != NULL)
            memcpy(s->check + total, m, op->n);
        total += op->n;
    }
}

/* Writes 64 KiB at a time, and closes at the end; *clen: the bytes the
 * discarding writer was given for the stream that ended. */
__attribute__((noinline)) static size_t layer_push(side *s, const gw_key *key, const uint8_t *in,
                                                   size_t len, size_t want, size_t *clen)
{
    size_t total = 0, n;

    for (;;) {
        if (!s->live) {
            gw_writer_init(&s->sink, &null_ops);
            if (gw_encrypt_init(&s->e, &s->sink, key, NULL) != 0)
                die("encrypt init");
            s->pos = 0;
            s->live = 1;
        }
        if (bench_slice_full(total, want))
            return total;
        if (s->pos == len) {
            if (run(gw_close(&s->e.w)) != 0)
                die("close failed");
            if (clen != NULL)
                *clen = (size_t)s->sink.nwritten;
            gw_encrypt_fini(&s->e);
            if (bench_stream_end(&s->live, want))
                return total;
            continue;
        }
        n = len - s->pos < MSG ? len - s->pos : MSG;
        if (run(gw_write(&s->e.w, in + s->pos, n)) != 0)
            die("encrypt failed");
        s->pos += n;
        total += n;
    }
}

/* ---- the runs -------------------------------------------------------------------- */

enum { RAW_PULL, LAYER_PULL, RAW_PUSH, LAYER_PUSH, NSIDES };

typedef struct bench {
    side s[NSIDES];
    uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    gw_key *k;
    const uint8_t *plain, *cipher;
    size_t len, clen;
} bench;

static void slice(void *ctx, int which)
{
    bench *b = ctx;
    side *s = &b->s[which];
    size_t done = which == RAW_PULL     ? raw_pull(s, b->key, b->cipher, b->clen, SLICE)
                  : which == LAYER_PULL ? layer_pull(s, b->k, b->cipher, b->clen, SLICE)
                  : which == RAW_PUSH   ? raw_push(s, b->key, b->plain, b->len, SLICE, NULL)
                                        : layer_push(s, b->k, b->plain, b->len, SLICE, NULL);

    if (done < SLICE)
        die("a slice came short");
}

int main(int argc, char **argv)
{
    static bench b;
    static bench_rounds br;
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 256;
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    size_t len = mib << 20, clen = 0, c2 = 0, cap = HEADER + (len / MSG + 1) * (4 + ABYTES) + len;
    uint8_t *plain, *cipher, *check;
    bench_ratio q[2];
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    size_t i;

    if (sodium_init() < 0 || len == 0 || len % SLICE != 0 || rounds < 1 ||
        rounds > BENCH_MAX_ROUNDS)
        die("usage: bench-crypt [MIB, a multiple of 4] [ROUNDS 1..64]");
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
    crypto_secretstream_xchacha20poly1305_keygen(b.key);
    if (gw_key_from_bytes(&b.k, b.key, sizeof(b.key)) != 0)
        die("key");

    /* The stream both decrypt loops read, and a check that the layers
     * agree with the raw loops on every byte. */
    b.s[RAW_PUSH].out = cipher;
    raw_push(&b.s[RAW_PUSH], b.key, plain, len, 0, &clen);
    b.s[RAW_PUSH].out = NULL;
    if (raw_pull(&b.s[RAW_PULL], b.key, cipher, clen, 0) != len)
        die("raw loop failed");
    b.s[LAYER_PULL].check = check;
    if (layer_pull(&b.s[LAYER_PULL], b.k, cipher, clen, 0) != len || memcmp(check, plain, len) != 0)
        die("the decrypt layer disagrees");
    b.s[LAYER_PULL].check = NULL;
    if (layer_push(&b.s[LAYER_PUSH], b.k, plain, len, 0, &c2) != len || c2 != clen)
        die("the encrypt layer's stream has another length");
    free(check);

    b.plain = plain;
    b.cipher = cipher;
    b.len = len;
    b.clen = clen;
    bench_interleave(&br, NSIDES, rounds, (int)(len / SLICE), slice, &b);
    q[0] = bench_ratio_of(&br, RAW_PULL, LAYER_PULL);
    q[1] = bench_ratio_of(&br, RAW_PUSH, LAYER_PUSH);
    printf("bench-crypt: %zu MiB in %u-byte messages, %d rounds, the four loops taking turns in "
           "%u MiB slices;\nMB/s of the best round; ratio: the median of the per-round ratios "
           "[least-greatest], then the best rounds' ratio\n",
           mib, MSG, rounds, SLICE >> 20);
    for (i = 0; i < 2; i++)
        printf("%s  raw %s loop %8.1f MB/s   layer %8.1f MB/s   ratio %.3f [%.3f-%.3f]  "
               "best-of %.3f\n",
               i == 0 ? "decrypt" : "encrypt", i == 0 ? "pull" : "push",
               len / bench_best(&br, (int)(2 * i)) / 1e6,
               len / bench_best(&br, (int)(2 * i + 1)) / 1e6, q[i].median, q[i].lo, q[i].hi,
               q[i].best);
    gw_key_free(b.k);
    free(cipher);
    free(plain);
    return 0;
}
