/*
 * The decode shared by the inflate harnesses (fuzz-inflate.c,
 * fuzz-inflate-diff.c): the inflate layer over a pipe fed by a schedule or
 * over memory, read to its end or first error by fz_drain, with the checks
 * every decode makes (the backend is the one asked for, the error returned
 * is the layer's sticky one, out_total counts the output).  Static
 * functions: include it once per harness.
 */
#ifndef GW_INFLATE_COMMON_H
#define GW_INFLATE_COMMON_H

#include <genwire/compress.h>

#include "fuzz.h"

/* How one decode runs. */
typedef struct fz_inflate_shape {
    size_t pipecap;    /* the pipe's capacity (not mem) */
    size_t bufcap;     /* the bufreader's over the pipe (not mem) */
    size_t readsize;   /* bytes asked per read, at most 65536 */
    uint64_t seed;     /* the feed schedule: its seed (0: whole) ... */
    unsigned maxpiece; /* ... and its largest piece */
    int mem;           /* from memory: no pipe, and the decode never waits */
} fz_inflate_shape;

/* What a decode leaves besides its output. */
typedef struct fz_inflate_end {
    uint64_t left;   /* the bufreader's offset at the end */
    const char *msg; /* gw_inflate_msg */
} fz_inflate_end;

/* Decodes in[0..len) with options o (an explicit backend) the way sh says,
 * into out: the bytes, and the error and its offset; fills *end unless it
 * is NULL. */
static void fz_inflate(const uint8_t *in, size_t len, const gw_inflate_opts *o,
                       const fz_inflate_shape *sh, fz_result *out, fz_inflate_end *end)
{
    fz_feed feed = {in, len, 0, sh->seed, sh->maxpiece};
    static uint8_t buf[65536];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_inflate z;
    fz_drain d;
    gw_wait w;
    gw_stack st;

    if (sh->mem) {
        gw_bufreader_init_mem(&br, in, len);
    } else {
        fz_check(gw_mempipe_init(&pipe, sh->pipecap) == 0, "pipe");
        fz_check(gw_bufreader_init(&br, &pipe.r, sh->bufcap) == 0, "bufreader");
    }
    fz_check(gw_inflate_init(&z, &br, o) == 0, "inflate init");
    fz_check(z.backend == o->backend, "the backend asked for");
    fz_drain_init(&d, &z.r, out, buf, sh->readsize);
    GW_START(&st, &d, &w);
    if (sh->mem)
        fz_check(gw_next(&st) == GW_RETURNED, "a decode from memory never waits");
    else
        fz_drive(&st, &w, &pipe, &feed);
    out->err = d.ret;
    out->off = z.r.err_off;
    fz_check(d.ret == z.r.err, "the error sticks in the layer");
    fz_check(z.out_total == out->len, "out_total counts the output");
    if (end != NULL) {
        end->left = gw_bufreader_offset(&br);
        end->msg = gw_inflate_msg(&z);
    }
    gw_inflate_fini(&z);
    if (!sh->mem) {
        gw_bufreader_fini(&br);
        gw_mempipe_fini(&pipe);
    }
}

#endif /* GW_INFLATE_COMMON_H */
