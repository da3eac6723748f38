/*
 * The decrypt layer (gw_decrypt in include/genwire/crypt.h): an AsyncRead
 * of the plaintext of a secretstream read from a gw_bufreader.  It parses
 * the u32be length prefix inline, checks it before libsodium sees a byte,
 * and verifies each whole message with crypto_secretstream_..._pull before
 * any of its plaintext reaches the caller.  A message whose ciphertext fits
 * the bufreader is decrypted in place there; a larger one is gathered in a
 * buffer that grows with the bytes that arrive.  The plaintext goes straight
 * into the caller's buffer when it fits, else into a buffer read out by the
 * following reads.  It does not encrypt (encrypt.c) or handle keys (key.c).
 *
 * One read, as a loop:
 *
 *     leftover plaintext -> caller            (done once min bytes are there)
 *     final seen?   -> one more byte is GW_ECRYPT_AFTER_FINAL, none is eof
 *     no header yet -> read 24 bytes, init_pull
 *     prefix L      -> range check -> ciphertext (in place or gathered)
 *                   -> pull -> plaintext to caller or to the leftover buffer
 *
 * Each step that needs bytes not yet buffered waits for them only while the
 * read holds fewer than its min bytes; otherwise (min 0 included) the read
 * returns what it has and the next one resumes at that step.  A read that
 * has its min bytes still takes every further message already whole in the
 * bufreader whose plaintext fits the rest of its buffer: a layer above
 * (inflate) then gets as much as was buffered in one fill, not one message
 * per fill, and its library fewer, larger calls.
 */
#include "genwire/crypt.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "genwire/alloc.h"
#include "transport/io-impl.h"
#include "crypt-impl.h"

/* The secrets of a layer, in one allocation wiped with sodium_memzero
 * before it is freed: the stream state (it holds a derived key) and, until
 * the header arrives, the key itself.  Not sodium_malloc'd: its guard pages
 * and mlock cost about half a millisecond per layer. */
typedef struct dec_secret {
    crypto_secretstream_xchacha20poly1305_state st; /* the pull state */
    uint8_t key[GW_KEY_BYTES];                      /* wiped once the header is read */
} dec_secret;

/* Makes err the layer's sticky error (unless one is set), found at input
 * offset off; returns the sticky error. */
static int fail(gw_decrypt *d, int err, uint64_t off)
{
    return gw_reader_fail(&d->r, err, off);
}

/* The input ran short of a unit starting at `off` (gw_bufreader_need left
 * its verdict in d->_need_err): an error of the input, with the offset it
 * reached, or else end of input inside the unit, at the unit's start. */
static int short_input(gw_decrypt *d, uint64_t off)
{
    int err = d->_need_err;

    if (err != 0 && err != GW_ETRUNCATED)
        return fail(d, err, gw_bufreader_offset(d->_src));
    return fail(d, GW_ETRUNCATED, off);
}

/* Grows *buf (capacity *cap) to hold at least `need` bytes, doubling from
 * 4096, but never past `limit` (>= need).  For ciphertext (secret 0) the
 * old bytes are kept and realloc may free the old block as it is.  For
 * plaintext (secret 1) the buffer is allocated anew and the old block, which
 * held plaintext already delivered, is wiped before it is freed; its bytes
 * are not kept (that buffer only grows once it has been read out). */
static int grow(uint8_t **buf, size_t *cap, size_t need, size_t limit, int secret)
{
    size_t n = *cap ? *cap : 4096;
    uint8_t *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    if (n > limit)
        n = limit;
    p = secret ? gw_malloc(n) : gw_realloc(*buf, n);
    if (p == NULL)
        return GW_ENOMEM;
    if (secret)
        gw__wipe_free(*buf, *cap);
    *buf = p;
    *cap = n;
    return 0;
}

/* Verifies and decrypts the message of d->_clen bytes at c, into the
 * caller's buffer of the read `s` if it fits, else into the leftover
 * buffer.  Returns 0 or an error (also made sticky). */
static int open_message(gw_decrypt *d, gw_io_op *s, const uint8_t *c)
{
    dec_secret *sec = d->_secret;
    size_t mlen = d->_clen - GW_CRYPT_ABYTES;
    unsigned char tag;
    uint8_t *m;
    int rc;

    if (mlen <= s->len - s->n) {
        m = s->buf + s->n;
    } else {
        /* The leftover plaintext was all read out before this message. */
        assert(d->_ppos == d->_pend);
        if ((rc = grow(&d->_pbuf, &d->_pcap, mlen, d->_max, 1)) != 0)
            return fail(d, rc, d->_msg_off);
        m = d->_pbuf;
    }
    /* pull checks the MAC before it writes a byte of m, and leaves the
     * state as it was when the check fails. */
    if (crypto_secretstream_xchacha20poly1305_pull(&sec->st, m, NULL, &tag, c, d->_clen, NULL, 0) !=
        0)
        return fail(d, GW_ECRYPT_AUTH, d->_msg_off);
    d->messages++;
    d->last_tag = tag;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
        d->_final = 1;
    if (m == d->_pbuf) {
        d->_ppos = 0;
        d->_pend = mlen;
    } else {
        s->n += mlen;
        d->r.nread += mlen;
    }
    return 0;
}

/* A read abandoned mid-way (its task cancelled): part of a message may have
 * been taken from the input, so the stream cannot go on. */
static void dec_cleanup(gw_frame *f)
{
    gw_decrypt *d = ((gw_io_op *)(void *)f)->obj;

    if (d->r.err == 0)
        fail(d, GW_ECANCELLED, gw_bufreader_offset(d->_src));
}

/*
 * DEC_NEED(s, d, b, k): makes sure k bytes are buffered, or that no more
 * will come (gw_bufreader_need: end of input, or an error of the input, its
 * verdict in d->_need_err).  A read that already holds its min bytes (min 0
 * included) does not wait for them: it returns what it has, and the next
 * read starts again where this one stopped.  Inside the read loop only (it
 * breaks out of it); one per line (it may suspend).
 */
#define DEC_NEED(s, d, b, k)                                                                       \
    if (gw_bufreader_avail(b) < (k) && (s)->n >= (s)->min && !gw_bufreader_eof(b) &&               \
        (b)->r.err == 0)                                                                           \
        break;                                                                                     \
    GW_NEED(s, sub, b, k, &(d)->_need_err, NULL)

/*
 * FULL(s, d): the read already holds something, at least its min bytes, and
 * the plaintext of the message whose length d->_clen has just been read
 * does not fit what is left of its buffer: it returns what it has rather
 * than decrypt that message into the leftover buffer and copy it out.
 */
#define FULL(s, d)                                                                                 \
    ((s)->n > 0 && (s)->n >= (s)->min && (d)->_clen - GW_CRYPT_ABYTES > (s)->len - (s)->n)

typedef gw_io_op dec_read;
GW_GENERATOR(dec_read, dec_cleanup);
GW_BODY(dec_read, s)
{
    gw_decrypt *d = s->obj;
    gw_bufreader *b = d->_src;
    dec_secret *sec = d->_secret;
    size_t take;

    GW_BEGIN(s);
    for (;;) {
        /* Plaintext of a verified message that did not fit an earlier read. */
        if (d->_ppos < d->_pend) {
            take = d->_pend - d->_ppos;
            if (take > s->len - s->n)
                take = s->len - s->n;
            memcpy(s->buf + s->n, d->_pbuf + d->_ppos, take);
            d->_ppos += take;
            s->n += take;
            d->r.nread += take;
        }
        /* A read goes on while whole messages are buffered and their
         * plaintext fits, also once it holds its min bytes: DEC_NEED stops
         * it before a wait, and a message that would not fit is left for
         * the next read (FULL below), which then decrypts it straight into
         * its own buffer. */
        if (s->n == s->len)
            break;

        /* After the final message the input must end. */
        if (d->_final) {
            DEC_NEED(s, d, b, 1);
            if (gw_bufreader_avail(b) > 0)
                GW_RETURN(s, fail(d, GW_ECRYPT_AFTER_FINAL, gw_bufreader_offset(b)));
            if (d->_need_err != 0)
                GW_RETURN(s, fail(d, d->_need_err, gw_bufreader_offset(b)));
            d->r.eof = 1;
            break;
        }

        /* The header, once. */
        if (!d->_header_in) {
            d->_msg_off = gw_bufreader_offset(b);
            DEC_NEED(s, d, b, GW_CRYPT_HEADER_BYTES);
            if (gw_bufreader_avail(b) < GW_CRYPT_HEADER_BYTES)
                GW_RETURN(s, short_input(d, d->_msg_off));
            if (crypto_secretstream_xchacha20poly1305_init_pull(&sec->st, gw_bufreader_peek(b),
                                                                sec->key) != 0)
                GW_RETURN(s, fail(d, GW_ECRYPT_HEADER, d->_msg_off));
            sodium_memzero(sec->key, sizeof(sec->key));
            gw_bufreader_consume(b, GW_CRYPT_HEADER_BYTES);
            d->_header_in = 1;
            continue;
        }

        if (!d->_gather) {
            /* A message: the length prefix, checked before anything else. */
            d->_msg_off = gw_bufreader_offset(b);
            DEC_NEED(s, d, b, GW_CRYPT_PREFIX_BYTES);
            if (gw_bufreader_avail(b) < GW_CRYPT_PREFIX_BYTES)
                GW_RETURN(s, short_input(d, d->_msg_off));
            d->_clen = gw_load_u32be(gw_bufreader_peek(b));
            if (d->_clen < GW_CRYPT_ABYTES || d->_clen - GW_CRYPT_ABYTES > d->_max)
                GW_RETURN(s, fail(d, GW_ECRYPT_LENGTH, d->_msg_off));
            if (FULL(s, d))
                break;

            if (GW_CRYPT_PREFIX_BYTES + d->_clen <= b->cap) {
                /* It fits the bufreader: decrypt it where it lies. */
                DEC_NEED(s, d, b, GW_CRYPT_PREFIX_BYTES + d->_clen);
                if (gw_bufreader_avail(b) < GW_CRYPT_PREFIX_BYTES + d->_clen)
                    GW_RETURN(s, short_input(d, d->_msg_off));
                if (open_message(d, s, gw_bufreader_peek(b) + GW_CRYPT_PREFIX_BYTES) != 0)
                    GW_RETURN(s, d->r.err);
                gw_bufreader_consume(b, GW_CRYPT_PREFIX_BYTES + d->_clen);
                continue;
            }
            /* Larger than the bufreader: gather it, growing with what
             * arrives. */
            gw_bufreader_consume(b, GW_CRYPT_PREFIX_BYTES);
            d->_cgot = 0;
            d->_gather = 1;
        }

        DEC_NEED(s, d, b, 1);
        take = gw_bufreader_avail(b);
        if (take == 0)
            GW_RETURN(s, short_input(d, d->_msg_off));
        if (take > d->_clen - d->_cgot)
            take = d->_clen - d->_cgot;
        if (grow(&d->_cbuf, &d->_ccap, d->_cgot + take, d->_clen, 0) != 0)
            GW_RETURN(s, fail(d, GW_ENOMEM, d->_msg_off));
        memcpy(d->_cbuf + d->_cgot, gw_bufreader_peek(b), take);
        gw_bufreader_consume(b, take);
        d->_cgot += take;
        if (d->_cgot < d->_clen)
            continue;
        d->_gather = 0;
        if (open_message(d, s, d->_cbuf) != 0)
            GW_RETURN(s, d->r.err);
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

#undef DEC_NEED
#undef FULL

GW__IO_DEFINE_TRY_READ(dec_try_read, gw_decrypt, r, dec_read)

static const gw_reader_ops decrypt_ops = {"secretstream", dec_try_read};

int gw_decrypt_init(gw_decrypt *d, gw_bufreader *src, const gw_key *key,
                    const gw_crypt_options *opt)
{
    dec_secret *sec;

    memset(d, 0, sizeof(*d));
    gw_reader_init(&d->r, &decrypt_ops);
    d->last_tag = -1;
    if (src == NULL || key == NULL || (src->src != NULL && src->cap < GW_CRYPT_MIN_BUFFER))
        return fail(d, GW_EINVAL, 0);
    d->_max = opt != NULL && opt->message_size != 0 ? opt->message_size : GW_CRYPT_MAX_MESSAGE;
    if (d->_max > GW_CRYPT_MAX_MESSAGE)
        return fail(d, GW_EINVAL, 0);
    if (sodium_init() < 0)
        return fail(d, GW_ELIBRARY, 0);
    if ((sec = gw_malloc(sizeof(*sec))) == NULL)
        return fail(d, GW_ENOMEM, 0);
    memcpy(sec->key, gw__key_bytes(key), GW_KEY_BYTES);
    d->_secret = sec;
    d->_src = src;
    return 0;
}

void gw_decrypt_fini(gw_decrypt *d)
{
    d->_secret = gw__wipe_free(d->_secret, sizeof(dec_secret));
    d->_pbuf = gw__wipe_free(d->_pbuf, d->_pcap);
    gw_free(d->_cbuf);
    d->_cbuf = NULL;
    d->_pcap = d->_ccap = d->_ppos = d->_pend = 0;
}
