/*
 * Shared by the crypt suite's files (tests/test-crypt.c, crypt-*.c): keys
 * and streams made in memory, the decode set-ups (dparams, shapes) and the
 * checks that run a vector under every feed schedule, the four-message
 * fixture, and the cases each file defines for test-crypt.c's list.
 */
#ifndef GW_TEST_CRYPT_H
#define GW_TEST_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/crypt.h>
#include <genwire/io.h>

#include "gwt.h"

#define HDR GW_CRYPT_HEADER_BYTES
#define MIB (1u << 20)

/* The key every fuzz seed uses: fuzz/fuzz-decrypt.c has the same. */
extern const uint8_t fuzz_key[GW_KEY_BYTES];

/* An encrypt layer writing into a memory pipe large enough never to wait. */
typedef struct enc_ctx {
    gw_mempipe pipe; /* the ciphertext */
    gw_encrypt e;    /* the layer */
} enc_ctx;

/* How a decode is set up: the key, the bufreader's capacity, the caller's
 * read size and minimum, the message limit. */
typedef struct dparams {
    const gw_key *key;
    size_t brcap;   /* bufreader capacity */
    size_t readcap; /* bytes per read */
    size_t min;     /* min per read (<= readcap) */
    size_t max;     /* max message; 0: default */
} dparams;

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

/* The set-ups every vector is decoded with (crypt-common.c). */
#define NSHAPES 3
extern const dparams shapes[NSHAPES];

/* A key whose bytes count up from v (freed with gw_key_free). */
gw_key *key_filled(uint8_t v);

/* n pseudo-random bytes from seed. */
void fill_random(uint8_t *p, size_t n, uint64_t seed);

/* Sets up c: an encrypt layer (messages of msize, 0: the default) over a
 * pipe of cap bytes. */
void enc_open(enc_ctx *c, const gw_key *k, size_t msize, size_t cap);

/* Writes n bytes into the layer, which must not wait. */
void enc_write(enc_ctx *c, const void *p, size_t n);

/* Runs one operation of the layer to success without waiting. */
void enc_op(gw_io_op *op);

/* Closes the layer and returns the ciphertext (malloc'd) and its length. */
uint8_t *enc_finish(enc_ctx *c, size_t *len);

/* Encrypts `len` bytes with random write sizes and random flush, push and
 * rekey points drawn from seed, in messages of msize. */
uint8_t *encrypt_random(const gw_key *k, size_t msize, const uint8_t *data, size_t len,
                        uint64_t seed, size_t *outlen);

/* Encrypts n messages: piece i (lens[i] bytes of data, consecutive) is
 * written then flushed, except the last, which is written then closed, so
 * that it carries TAG_FINAL. */
uint8_t *encrypt_pieces(const gw_key *k, const uint8_t *data, const size_t *lens, size_t n,
                        size_t *outlen);

/* The offsets of the messages of a well-formed stream (offs[i] is where
 * message i's prefix starts, offs[n] the end); returns n. */
size_t message_offsets(const uint8_t *in, size_t len, size_t *offs, size_t max);

/* The gwt_decode_fn of the suite: decrypts feed->in with the set-up the
 * dparams ud says, appending the plaintext. */
void decode_crypt(gwt_feed *feed, gwt_result *out, void *ud);

/* Decodes `in` under every schedule with each shape and checks the result:
 * exactly `plain` released, then error `err` at `off` (or a clean end). */
void expect_decrypt_n(const uint8_t *in, size_t len, const gw_key *k, size_t max, size_t nshapes,
                      const uint8_t *plain, size_t plen, int err, uint64_t off);

/* expect_decrypt_n with every shape and the default message limit. */
void expect_decrypt(const uint8_t *in, size_t len, const gw_key *k, const uint8_t *plain,
                    size_t plen, int err, uint64_t off);

/* For vectors too large for every split point: whole, one byte at a time
 * over the first 5000 bytes then the rest at once, and random pieces. */
void expect_decrypt_large(const uint8_t *in, size_t len, const dparams *dp, const uint8_t *plain,
                          size_t plen, int err, uint64_t off);

/* Makes the fixture's stream under a key_filled(keyv) key. */
void fixture_make(fixture *f, uint8_t keyv);

/* Frees what fixture_make made. */
void fixture_free(fixture *f);

/* crypt-layer.c: round trips and the encrypt layer. */
void test_roundtrip_random(void **state);
void test_roundtrip_large(void **state);
void test_encrypt_messages(void **state);
void test_encrypt_dst_error(void **state);
void test_encrypt_suspends(void **state);
void test_no_release_on_failure(void **state);

/* crypt-damage.c: damage a stream must refuse. */
void test_clean_fixture(void **state);
void test_flipped_bits(void **state);
void test_dropped_replayed_reordered_spliced(void **state);
void test_cut_everywhere(void **state);
void test_after_final(void **state);
void test_lengths_out_of_range(void **state);
void test_wrong_key(void **state);
void test_largest_message(void **state);

/* crypt-keys.c: allocations, fd source, key files, the peer, fuzz seeds. */
void test_steady_state(void **state);
void test_fd_source(void **state);
void test_key_files(void **state);
void test_interop(void **state);
void test_fuzz_seeds(void **state);

#endif /* GW_TEST_CRYPT_H */
