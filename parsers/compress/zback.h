/*
 * Private to parsers/compress/: the interface between the inflate layer
 * (inflate.c), which owns the states, the limits, gzip members, offsets and
 * errors, and the library that decodes (inflate-zlib.c, inflate-isal.c).
 * A backend sees the bytes buffered in the bufreader and the room the
 * limits allow, and says what it used and made.  Not installed.
 */
#ifndef GENWIRE_ZBACK_H
#define GENWIRE_ZBACK_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/compress.h"

/* What one run achieved, besides the counts. */
enum {
    GW__ZB_OK = 0, /* decoding goes on (it may need more input or more room) */
    GW__ZB_END     /* the stream or gzip member ended, its trailer included */
};

/* A backend. */
typedef struct gw__zback {
    const char *name; /* "zlib", "isal" */
    /* Allocates the state (z->_bs) for z->opts.format; 0, GW_ENOMEM or
     * GW_ELIBRARY. */
    int (*init)(gw_inflate *z);
    /* Starts the next gzip member (gzip only, also after auto); 0 or
     * GW_ELIBRARY. */
    int (*next_member)(gw_inflate *z);
    /*
     * Decodes from in[0 .. *in_len), the bytes buffered (of which the first
     * z->_ahead were handed to it before and are still its own), into
     * out[0 .. *out_len) (*out_len may be 0).  On return *in_len is how many
     * bytes the layer may drop from the bufreader, *out_len how many were
     * written, and z->_ahead how many bytes after the dropped ones the
     * backend holds.  Returns GW__ZB_OK, GW__ZB_END, or a negative error
     * with *msg a static message (or NULL) and *err_at the offset in `in` just
     * past the byte in which the error was found (0: a byte read by an
     * earlier call, the one before `in`).  Never suspends.
     */
    int (*run)(gw_inflate *z, const uint8_t *in, size_t *in_len, uint8_t *out, size_t *out_len,
               const char **msg, size_t *err_at);
    /* Releases the state; z->_bs becomes NULL.  Safe when it is NULL. */
    void (*end)(gw_inflate *z);
} gw__zback;

/* Picks z->_be and z->backend from z->opts.backend and the bufreader:
 * 0, GW_EINVAL or GW_EZ_BACKEND. */
int gw__inflate_pick(gw_inflate *z);

extern const gw__zback gw__zback_zlib;
#if GW_HAVE_ISAL
extern const gw__zback gw__zback_isal;
#endif

#endif /* GENWIRE_ZBACK_H */
