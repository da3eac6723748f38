/*
 * The encrypt layer (gw_encrypt in include/genwire/crypt.h): an AsyncWrite
 * that turns the plaintext written to it into a secretstream on the writer
 * below: the 24-byte header, then messages, each a u32be ciphertext length
 * and the ciphertext from crypto_secretstream_..._push.  Plaintext gathers
 * in one buffer of message_size bytes, sealed when full; whole messages are
 * sealed straight from the caller's memory when that buffer is empty.  A
 * flush seals what is pending; push and rekey seal it with their tag even
 * when empty; close seals it with TAG_FINAL.  It does not decrypt.
 */
#include "genwire/crypt.h"

#include <string.h>

#include <sodium.h>

#include "genwire/alloc.h"
#include "transport/io-impl.h"
#include "crypt-impl.h"

/* The push state holds a derived key: it gets an allocation of its own,
 * wiped with sodium_memzero before it is freed. */
typedef struct enc_secret {
    crypto_secretstream_xchacha20poly1305_state st; /* the push state */
} enc_secret;

/*
 * Seals len (<= message size) bytes at m as one message with `tag` into
 * e->_out, after the header if that has not gone out yet, and sets
 * _out_start / _out_len to the bytes to write.
 */
static void seal(gw_encrypt *e, const uint8_t *m, size_t len, int tag)
{
    enc_secret *sec = e->_secret;
    uint8_t *o = e->_out + GW_CRYPT_HEADER_BYTES;
    size_t clen = len + GW_CRYPT_ABYTES;

    gw_store_u32be(o, (uint32_t)clen);
    crypto_secretstream_xchacha20poly1305_push(&sec->st, o + GW_CRYPT_PREFIX_BYTES, NULL, m, len,
                                               NULL, 0, (unsigned char)tag);
    e->_out_start = e->_header_out ? GW_CRYPT_HEADER_BYTES : 0;
    e->_out_len = GW_CRYPT_HEADER_BYTES + GW_CRYPT_PREFIX_BYTES + clen - e->_out_start;
    e->_header_out = 1;
    e->messages++;
}

/* Both operations live in e->w.op.  One abandoned mid-way (its task
 * cancelled) may leave a message half written below, so its cleanup,
 * gw_writer_cancelled, makes GW_ECANCELLED sticky: a later close must not
 * end the torn stream as if it were whole. */
typedef gw_io_op enc_write;
GW_GENERATOR(enc_write, gw_writer_cancelled);
GW_BODY(enc_write, s)
{
    gw_encrypt *e = s->obj;
    size_t take;

    GW_BEGIN(s);
    while (s->n < s->len) {
        if (e->_plen == 0 && s->len - s->n >= e->_msize) {
            /* A whole message in the caller's memory: seal it from there. */
            seal(e, s->src + s->n, e->_msize, GW_CRYPT_TAG_MESSAGE);
            s->n += e->_msize;
            e->w.nwritten += e->_msize;
        } else {
            take = e->_msize - e->_plen;
            if (take > s->len - s->n)
                take = s->len - s->n;
            memcpy(e->_pbuf + e->_plen, s->src + s->n, take);
            e->_plen += take;
            s->n += take;
            e->w.nwritten += take;
            if (e->_plen < e->_msize)
                break;
            seal(e, e->_pbuf, e->_plen, GW_CRYPT_TAG_MESSAGE);
            e->_plen = 0;
        }
        GW_AWAIT(s, sub, gw_write(e->_dst, e->_out + e->_out_start, e->_out_len));
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_writer_fail(&e->w, s->sub->ret));
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

/* flush, push, rekey and close: seal what is pending with e->_tag (also
 * when nothing is, if e->_force), then flush dst, or close it when op->min
 * is set. */
typedef gw_io_op enc_flush;
GW_GENERATOR(enc_flush, gw_writer_cancelled);
GW_BODY(enc_flush, s)
{
    gw_encrypt *e = s->obj;

    GW_BEGIN(s);
    if (e->_plen > 0 || e->_force || !e->_header_out) {
        if (e->_plen > 0 || e->_force) {
            seal(e, e->_pbuf, e->_plen, e->_tag);
            e->_plen = 0;
        } else {
            e->_out_start = 0;
            e->_out_len = GW_CRYPT_HEADER_BYTES;
            e->_header_out = 1;
        }
        GW_AWAIT(s, sub, gw_write(e->_dst, e->_out + e->_out_start, e->_out_len));
        if (s->sub->ret < 0)
            GW_RETURN(s, gw_writer_fail(&e->w, s->sub->ret));
    }
    GW_AWAIT(s, sub, gw_flush_or_close(e->_dst, s->min != 0));
    if (s->sub->ret < 0)
        GW_RETURN(s, gw_writer_fail(&e->w, s->sub->ret));
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *start_flush(gw_encrypt *e, int tag, int force, int close)
{
    gw_io_op *op = GW__IO_START(&e->w.op, enc_flush, e);

    e->_tag = tag;
    e->_force = force;
    op->min = (size_t)close;
    return op;
}

GW__IO_DEFINE_WRITE(enc_write_start, gw_encrypt, w, enc_write)

static gw_io_op *enc_flush_start(gw_writer *w)
{
    return start_flush(GW__CONTAINER_OF(w, gw_encrypt, w), GW_CRYPT_TAG_MESSAGE, 0, 0);
}

static gw_io_op *enc_close_start(gw_writer *w)
{
    return start_flush(GW__CONTAINER_OF(w, gw_encrypt, w), GW_CRYPT_TAG_FINAL, 1, 1);
}

/* push and rekey are not writer operations: they repeat the checks that
 * gw_flush makes on every writer. */
static gw_io_op *tagged_flush(gw_encrypt *e, int tag)
{
    if (e->w.err != 0 || e->w.closed)
        return gw_io_finished(&e->w.op, e, e->w.err != 0 ? e->w.err : GW_ECLOSED);
    return start_flush(e, tag, 1, 0);
}

gw_io_op *gw_encrypt_push(gw_encrypt *e)
{
    return tagged_flush(e, GW_CRYPT_TAG_PUSH);
}

gw_io_op *gw_encrypt_rekey(gw_encrypt *e)
{
    return tagged_flush(e, GW_CRYPT_TAG_REKEY);
}

static const gw_writer_ops encrypt_ops = {"secretstream", enc_write_start, enc_flush_start,
                                          enc_close_start};

int gw_encrypt_init(gw_encrypt *e, gw_writer *dst, const gw_key *key, const gw_crypt_options *opt)
{
    enc_secret *sec;

    memset(e, 0, sizeof(*e));
    gw_writer_init(&e->w, &encrypt_ops);
    if (dst == NULL || key == NULL)
        return gw_writer_fail(&e->w, GW_EINVAL);
    e->_msize =
        opt != NULL && opt->message_size != 0 ? opt->message_size : GW_CRYPT_DEFAULT_MESSAGE;
    if (e->_msize > GW_CRYPT_MAX_MESSAGE)
        return gw_writer_fail(&e->w, GW_EINVAL);
    if (sodium_init() < 0)
        return gw_writer_fail(&e->w, GW_ELIBRARY);
    if ((sec = gw_malloc(sizeof(*sec))) == NULL)
        return gw_writer_fail(&e->w, GW_ENOMEM);
    e->_secret = sec;
    e->_pbuf = gw_malloc(e->_msize);
    e->_out =
        gw_malloc(GW_CRYPT_HEADER_BYTES + GW_CRYPT_PREFIX_BYTES + GW_CRYPT_ABYTES + e->_msize);
    if (e->_pbuf == NULL || e->_out == NULL)
        return gw_writer_fail(&e->w, GW_ENOMEM);
    /* The header waits at the front of _out for the first write. */
    if (crypto_secretstream_xchacha20poly1305_init_push(&sec->st, e->_out, gw__key_bytes(key)) != 0)
        return gw_writer_fail(&e->w, GW_ELIBRARY);
    e->_dst = dst;
    return 0;
}

void gw_encrypt_fini(gw_encrypt *e)
{
    e->_secret = gw__wipe_free(e->_secret, sizeof(enc_secret));
    e->_pbuf = gw__wipe_free(e->_pbuf, e->_msize);
    gw_free(e->_out);
    e->_out = NULL;
    e->_plen = 0;
}
