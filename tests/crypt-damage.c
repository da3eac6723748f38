/*
 * The crypt suite's damage cases: flipped bits in header, length, body and
 * MAC; dropped, replayed, reordered and spliced messages; a cut at every
 * offset; bytes after the final message; lengths out of range; the wrong
 * key; each refused with the right error and offset and without releasing
 * a byte of the bad message.
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

/* ---- damage ------------------------------------------------------------ */
void test_clean_fixture(void **state)
{
    fixture f;

    (void)state;
    fixture_make(&f, 10);
    expect_decrypt(f.c, f.clen, f.k, f.data, 26, 0, 0);
    fixture_free(&f);
}

void test_flipped_bits(void **state)
{
    fixture f;
    uint8_t *v;
    size_t bit, m;
    /* Under valgrind every fifth bit (5 is prime to 8: every bit position
     * of a byte still comes up). */
    size_t step = gwt_sampling() ? 5 : 1;

    (void)state;
    fixture_make(&f, 11);
    v = malloc(f.clen);
    assert_non_null(v);

    /* The header: the first message fails to authenticate. */
    for (bit = 0; bit < HDR * 8; bit += step) {
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
            gwt_check_splits_ex(v, f.clen, decode_crypt, &dp, &r, GWT_SAMPLE);
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
        for (bit = 32; bit < (end - start) * 8; bit += step) {
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

void test_dropped_replayed_reordered_spliced(void **state)
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

void test_cut_everywhere(void **state)
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

void test_after_final(void **state)
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

void test_lengths_out_of_range(void **state)
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

void test_wrong_key(void **state)
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
void test_largest_message(void **state)
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
