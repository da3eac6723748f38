/*
 * genwire encryption: libsodium's crypto_secretstream_xchacha20poly1305 as a
 * pair of byte layers, and the keys they use.  The wire format: the 24-byte
 * secretstream header, then messages, each a u32be ciphertext length L
 * (17 <= L <= 17 + max message) followed by L bytes of ciphertext (no
 * additional data); the last message carries TAG_FINAL and nothing may
 * follow it.  A key file holds 64 hex digits and a newline, mode 0600
 * (docs/wire-formats.md).
 *
 * The decrypt layer is an AsyncRead over a gw_bufreader: it releases the
 * plaintext of a message only after its MAC has verified, decrypting
 * straight into the caller's buffer when the message fits there.  The
 * encrypt layer is an AsyncWrite over any gw_writer: one message per flush,
 * or whenever the plaintext buffer fills; close writes the final message.
 *
 * Errors stick in the layer's gw_reader / gw_writer.  For the decrypt layer
 * r.err_off is the offset in the encrypted input (the bufreader's stream
 * offset) of the message at fault, that is of its length prefix; for a
 * truncated header (or one libsodium refuses) it is the header's offset.  A
 * corrupt header is not seen as such: it is the first message that fails
 * (GW_ECRYPT_AUTH at that message's offset).
 */
#ifndef GENWIRE_CRYPT_H
#define GENWIRE_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"
#include "genwire/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sizes and limits ---------------------------------------------------- */

#define GW_KEY_BYTES             32       /* a secretstream key */
#define GW_CRYPT_HEADER_BYTES    24       /* the stream header */
#define GW_CRYPT_PREFIX_BYTES    4        /* the u32be length before each message */
#define GW_CRYPT_ABYTES          17       /* ciphertext overhead per message (tag + MAC) */
#define GW_CRYPT_DEFAULT_MESSAGE 65536u   /* encrypt: default plaintext per message */
#define GW_CRYPT_MAX_MESSAGE     1048576u /* largest plaintext per message, and the default limit */
#define GW_CRYPT_MIN_BUFFER      24       /* smallest bufreader over a stream decrypt accepts */

/* Message tags (libsodium's values).  Every message carries one. */
#define GW_CRYPT_TAG_MESSAGE 0 /* an ordinary message */
#define GW_CRYPT_TAG_PUSH    1 /* the end of a set of messages, marked by the writer */
#define GW_CRYPT_TAG_REKEY   2 /* both sides derive a new key after this message */
#define GW_CRYPT_TAG_FINAL   3 /* the last message of the stream */

/* ---- keys ---------------------------------------------------------------- */

/*
 * A secretstream key.  Opaque: the key material lives in memory from
 * sodium_malloc (guard pages, locked where the system allows, read-only
 * while in use) and is wiped with sodium_memzero when the key is freed.
 */
typedef struct gw_key gw_key;

/*
 * gw_key_from_bytes: a new key holding a copy of the 32 bytes at `bytes`
 * (len must be GW_KEY_BYTES).  On success *out is the key, owned by the
 * caller (gw_key_free).  Returns 0, GW_EINVAL (bad length or NULL), or
 * GW_ENOMEM / GW_ELIBRARY (sodium_init or sodium_malloc failed).  Never
 * suspends.
 */
int gw_key_from_bytes(gw_key **out, const void *bytes, size_t len);

/*
 * gw_key_from_hex: a new key from the text of a key file: exactly 64 hex
 * digits (either case), optionally followed by one "\n" (or "\r\n"), nothing
 * else.  Returns 0 (*out set, caller owns it), GW_EKEY_FORMAT, or as
 * gw_key_from_bytes.  The caller should wipe its copy of the text.  Never
 * suspends.
 */
int gw_key_from_hex(gw_key **out, const char *text, size_t len);

/*
 * gw_key_load: a new key read from the key file at `path`.  Refuses a file
 * that is not a regular file (GW_EKEY_FORMAT) or is readable, writable or
 * executable by group or others (GW_EKEY_PERMS), before reading it; a file
 * whose text gw_key_from_hex refuses is GW_EKEY_FORMAT.  GW_EIO if it cannot
 * be opened or read (errno says why).  The open does not wait on a FIFO
 * (it is refused as not a regular file).  Blocking file I/O; never suspends.
 */
int gw_key_load(gw_key **out, const char *path);

/*
 * gw_key_generate: a new random key (randombytes_buf).  Returns 0 (*out
 * set, caller owns it) or as gw_key_from_bytes.  Never suspends.
 */
int gw_key_generate(gw_key **out);

/*
 * gw_key_save: writes the key to a new file at `path` as 64 lowercase hex
 * digits and a newline, created with mode 0600 and O_CREAT | O_EXCL: an
 * existing file is never overwritten.  Returns 0, or GW_EIO (errno says
 * why: EEXIST when the file exists; a partly written file is removed).
 * Blocking file I/O; never suspends.
 */
int gw_key_save(const gw_key *key, const char *path);

/*
 * gw_keygen_file: gw_key_generate then gw_key_save, without keeping the
 * key.  Returns as those do.  Never suspends.
 */
int gw_keygen_file(const char *path);

/* gw_key_free: wipes and frees the key.  NULL is a no-op.  The layers
 * using a key copy what they need at init, so it may be freed after. */
void gw_key_free(gw_key *key);

/* Internal, for the layers in parsers/crypt/: the key's 32 bytes. */
const uint8_t *gw__key_bytes(const gw_key *key);

/* ---- options --------------------------------------------------------------- */

/* Options of both layers.  As everywhere in genwire (io.h), a field left 0
 * takes its default; none of them may be switched off, so GW_UNLIMITED is
 * refused (GW_EINVAL) like any other value out of range. */
typedef struct gw_crypt_options {
    /* Encrypt: plaintext bytes per message when the buffer fills (1 ..
     * GW_CRYPT_MAX_MESSAGE; 0: GW_CRYPT_DEFAULT_MESSAGE).  Decrypt: the
     * largest plaintext a message may carry (1 .. GW_CRYPT_MAX_MESSAGE; 0:
     * GW_CRYPT_MAX_MESSAGE); a longer one is GW_ECRYPT_LENGTH. */
    size_t message_size;
} gw_crypt_options;

/* ---- decrypt layer ----------------------------------------------------------- */

/*
 * The decrypt layer: an AsyncRead (d->r) of the plaintext of an encrypted
 * stream read from a gw_bufreader.  A read returns plaintext only from
 * messages whose MAC has verified; it decrypts into the caller's buffer when
 * the whole message fits the free part of it, otherwise into an internal
 * buffer from which later reads are served.  A message whose ciphertext
 * fits the bufreader is decrypted in place there; a larger one is gathered
 * in an internal buffer that grows with the bytes that arrive.  End of
 * stream is reported (r.eof) after the final message, once the input has
 * ended with no byte after it.  A read waits only while it holds fewer than
 * min bytes; besides those it takes every message already whole in the
 * bufreader, in order, while the next one's plaintext fits the rest of the
 * caller's buffer (so a read with min 0 never waits, and returns what the
 * buffered messages give, possibly nothing; a message larger than the room
 * left is decrypted by the next read).  A read that fails returns, in
 * op->n, the plaintext of every message verified before the error.
 *
 * Errors (sticky in d->r.err, offset in d->r.err_off): GW_ECRYPT_AUTH (a
 * forged, corrupted, dropped, replayed, reordered or spliced message, a bad
 * header, or the wrong key: the secretstream cannot tell these apart, so a
 * corrupt header shows at the first message), GW_ECRYPT_LENGTH (L out of
 * range), GW_ECRYPT_AFTER_FINAL (a byte after the final message; err_off is
 * that byte's offset), GW_ETRUNCATED (end of input in the header or before
 * the final message), GW_ECRYPT_HEADER (libsodium refused the header:
 * its init_pull accepts any 24 bytes, so this does not come today),
 * GW_ENOMEM, GW_ECANCELLED (a read was abandoned mid-way: its task was
 * cancelled), or the bufreader's own error.
 */
typedef struct gw_decrypt {
    gw_reader r; /* the layer as an AsyncRead of plaintext */

    /* What has been decrypted so far. */
    uint64_t messages; /* messages verified */
    int last_tag;      /* the tag of the last message verified (GW_CRYPT_TAG_*), or -1 */

    /* Private. */
    gw_bufreader *_src;  /* the encrypted input, not owned */
    size_t _max;         /* largest plaintext per message */
    void *_secret;       /* secretstream state and key, wiped at fini */
    int _header_in;      /* the header has been read and the state set up */
    int _final;          /* the final message has been verified */
    uint64_t _msg_off;   /* offset of the message being read (its prefix) */
    size_t _clen;        /* its ciphertext length L */
    uint8_t *_cbuf;      /* gathering buffer for ciphertext larger than the bufreader */
    size_t _ccap;        /* its capacity */
    size_t _cgot;        /* ciphertext bytes gathered */
    int _gather;         /* a message larger than the bufreader is being gathered */
    int _need_err;       /* gw_bufreader_need's verdict when the input ran short */
    uint8_t *_pbuf;      /* plaintext that did not fit the caller's buffer */
    size_t _pcap;        /* its capacity */
    size_t _ppos, _pend; /* the undelivered plaintext is _pbuf[_ppos.._pend) */
} gw_decrypt;

/*
 * gw_decrypt_init: a decrypt layer over src (not owned; over a stream its
 * capacity must be at least GW_CRYPT_MIN_BUFFER, over memory any size
 * works) with `key` (copied: the key may be freed afterwards) and options
 * *opt (NULL: defaults).  Reads nothing yet.  Returns 0, GW_EINVAL,
 * GW_ENOMEM or GW_ELIBRARY; a failure is also the layer's sticky error, so
 * every read of it fails the same way, and gw_decrypt_fini is still safe to
 * call.  Never suspends.
 */
int gw_decrypt_init(gw_decrypt *d, gw_bufreader *src, const gw_key *key,
                    const gw_crypt_options *opt);

/* gw_decrypt_fini: wipes the state, the key and any plaintext left, and
 * frees the buffers.  Never suspends. */
void gw_decrypt_fini(gw_decrypt *d);

/* ---- encrypt layer ----------------------------------------------------------- */

/*
 * The encrypt layer: an AsyncWrite (e->w) whose bytes are encrypted onto
 * dst.  The header goes out with the first message (or the first flush).
 * Plaintext gathers in a buffer of message_size bytes and is sealed as one
 * TAG_MESSAGE message as soon as the buffer is full; when the buffer is
 * empty, whole messages are sealed straight from the caller's memory,
 * without a copy.  gw_flush seals what is pending (no message if nothing
 * is) as a TAG_MESSAGE message, writes the header if it has not gone out
 * yet, and flushes dst; gw_close seals what is pending, possibly nothing,
 * as the TAG_FINAL message, then closes dst.  Errors stick in e->w.err:
 * those of dst, and GW_ECANCELLED when an operation was abandoned mid-way
 * (its task cancelled), after which a close fails rather than end a torn
 * stream with a final tag.
 */
typedef struct gw_encrypt {
    gw_writer w; /* the layer as an AsyncWrite of plaintext */

    /* What has been written so far. */
    uint64_t messages; /* messages sealed */

    /* Private. */
    gw_writer *_dst;   /* the output, not owned */
    size_t _msize;     /* plaintext bytes per message */
    void *_secret;     /* secretstream state, wiped at fini */
    int _header_out;   /* the header has been written */
    int _tag;          /* flush: the tag of the message to seal */
    int _force;        /* flush: seal a message even if nothing is pending */
    uint8_t *_pbuf;    /* pending plaintext, _msize bytes */
    size_t _plen;      /* bytes pending */
    uint8_t *_out;     /* header, then prefix + ciphertext of the message going out */
    size_t _out_start; /* where in _out the bytes to write start */
    size_t _out_len;   /* how many there are */
} gw_encrypt;

/*
 * gw_encrypt_init: an encrypt layer writing to dst (not owned) with `key`
 * (copied) and options *opt (NULL: defaults).  Generates the stream header
 * now; writes nothing yet.  Returns 0, GW_EINVAL, GW_ENOMEM or
 * GW_ELIBRARY; a failure is also the layer's sticky error (every later
 * operation fails the same way) and gw_encrypt_fini is still safe.  Never
 * suspends.
 */
int gw_encrypt_init(gw_encrypt *e, gw_writer *dst, const gw_key *key, const gw_crypt_options *opt);

/* gw_encrypt_fini: wipes the state and pending plaintext and frees the
 * buffers; bytes not flushed are dropped.  Never suspends. */
void gw_encrypt_fini(gw_encrypt *e);

/*
 * gw_encrypt_push: seals what is pending, possibly nothing, as one message
 * with TAG_PUSH (a boundary the reader can see in last_tag), writes it and
 * flushes dst.  Same result conventions as gw_flush.  May suspend.
 */
gw_io_op *gw_encrypt_push(gw_encrypt *e);

/*
 * gw_encrypt_rekey: seals what is pending, possibly nothing, as one message
 * with TAG_REKEY, writes it and flushes dst; both sides switch to a new key
 * derived from the old one after that message.  Same result conventions as
 * gw_flush.  May suspend.
 */
gw_io_op *gw_encrypt_rekey(gw_encrypt *e);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_CRYPT_H */
