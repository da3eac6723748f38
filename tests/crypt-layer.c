/*
 * The crypt suite's round trips (random data, random flush points, large
 * streams) and the encrypt layer's messages, errors and suspensions.
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

/* ---- round trips ------------------------------------------------------- */

void test_roundtrip_random(void **state)
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
void test_roundtrip_large(void **state)
{
    gw_key *k = key_filled(2);
    /* Under valgrind (gwt_sampling) 2 MiB and a bit for the largest
     * messages, still two of them, and 256 KiB and a bit for the others,
     * still 5 and 262 messages; 3 MiB and a bit for all three otherwise. */
    int small = gwt_sampling();
    size_t len = (small ? 2 : 3) * MIB + 12345, clen, plen;
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
        plen = small && msizes[i] != GW_CRYPT_MAX_MESSAGE ? MIB / 4 + 12345 : len;
        c = encrypt_random(k, msizes[i], data, plen, 5 + i, &clen);
        /* Under valgrind the largest messages are read gathered and in
         * place; full reads across messages come with the other sizes. */
        for (j = 0; j < (small && plen == len ? 2 : 3); j++)
            expect_decrypt_large(c, clen, &dp[j], data, plen, 0, 0);
        free(c);
    }
    free(data);
    gw_key_free(k);
}

/* ---- the encrypt layer's messages ------------------------------------- */

/* Decrypts a whole stream fed one message at a time through a pipe,
 * recording each message's tag and plaintext length: after each feed a read
 * with min 0 decrypts exactly the message that has just become whole (empty
 * ones included), and never waits. */
static size_t message_tags(const gw_key *k, const uint8_t *in, size_t len, int *tags, size_t *lens,
                           size_t max)
{
    gw_mempipe pipe;
    gw_bufreader br;
    gw_decrypt d;
    static uint8_t buf[GW_CRYPT_MAX_MESSAGE];
    size_t offs[64], n, i, at = 0;

    n = message_offsets(in, len, offs, 63);
    assert_true(n <= max);
    assert_int_equal(gw_mempipe_init(&pipe, len), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, len + 1), 0);
    assert_int_equal(gw_decrypt_init(&d, &br, k, NULL), 0);
    for (i = 0; i < n; i++) {
        gw_io_op *op;

        assert_int_equal(gw_mempipe_feed(&pipe, in + at, offs[i + 1] - at), offs[i + 1] - at);
        at = offs[i + 1];
        if (i + 1 == n)
            gw_mempipe_finish(&pipe);
        op = gw_bufreader_fill(&br, at - (size_t)gw_bufreader_offset(&br));
        assert_int_equal(gwt_run_op(op), 0);
        op = gw_try_read(&d.r, buf, sizeof(buf), 0);
        assert_int_equal(gwt_run_op(op), 0);
        assert_int_equal(d.messages, i + 1);
        tags[i] = d.last_tag;
        lens[i] = op->n;
    }
    assert_true(d.r.eof);
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    return n;
}

void test_encrypt_messages(void **state)
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
    assert_int_equal(n, 8);
    assert_int_equal(lens[0], 100);
    assert_int_equal(lens[3], 50);
    assert_int_equal(tags[3], GW_CRYPT_TAG_MESSAGE);
    assert_int_equal(lens[4], 30);
    assert_int_equal(tags[4], GW_CRYPT_TAG_PUSH);
    assert_int_equal(tags[5], GW_CRYPT_TAG_REKEY);
    assert_int_equal(lens[5], 0);
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
void test_encrypt_dst_error(void **state)
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
void test_encrypt_suspends(void **state)
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
void test_no_release_on_failure(void **state)
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
