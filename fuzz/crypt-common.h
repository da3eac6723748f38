/*
 * The decrypt side shared by the secretstream harnesses (fuzz-decrypt.c,
 * fuzz-crypt-roundtrip.c): a stream decrypted through a pipe fed by a
 * schedule, read to its end or first error by fz_drain with a chosen read
 * shape, with the checks every decrypt makes (the error returned is the
 * layer's sticky one, and a read after it fails the same way).  Static
 * functions: include it once per harness.
 */
#ifndef GW_CRYPT_COMMON_H
#define GW_CRYPT_COMMON_H

#include <genwire/crypt.h>

#include "fuzz.h"

/* How one decrypt reads: the pipe's and bufreader's capacities, bytes
 * asked per read (at most 4096) and waited for (at least 1), and the
 * layer's options (NULL: the defaults). */
typedef struct fz_crypt_shape {
    size_t pipecap, brcap, readcap, min;
    const gw_crypt_options *opt;
} fz_crypt_shape;

/* Decrypts in[0..len) with key, fed by schedule (seed, maxpiece), into
 * out: the plaintext, and the error and its offset. */
static void fz_decrypt(const gw_key *key, const uint8_t *in, size_t len, const fz_crypt_shape *sh,
                       uint64_t seed, unsigned maxpiece, fz_result *out)
{
    fz_feed feed = {in, len, 0, seed, maxpiece};
    static uint8_t buf[4096];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_decrypt d;
    fz_drain dr;
    gw_wait w;
    gw_stack st;
    gw_io_op *op;

    fz_check(gw_mempipe_init(&pipe, sh->pipecap) == 0, "pipe");
    fz_check(gw_bufreader_init(&br, &pipe.r, sh->brcap) == 0, "bufreader");
    fz_check(gw_decrypt_init(&d, &br, key, sh->opt) == 0, "decrypt init");
    fz_drain_init(&dr, &d.r, out, buf, sh->readcap);
    dr.min = sh->min;
    GW_START(&st, &dr, &w);
    fz_drive(&st, &w, &pipe, &feed);
    fz_check(dr.ret == d.r.err, "the error returned is the sticky one");
    out->err = d.r.err;
    out->off = d.r.err_off;
    if (d.r.err != 0) {
        op = gw_try_read(&d.r, buf, sizeof(buf), 1);
        fz_check(fz_run_now(op, "a read after an error waits") == d.r.err && op->n == 0,
                 "errors stick");
    }
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

#endif /* GW_CRYPT_COMMON_H */
