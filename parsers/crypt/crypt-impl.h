/*
 * Private to parsers/crypt/: what the decrypt and encrypt layers share
 * beyond the public header.  Not installed.
 */
#ifndef GENWIRE_CRYPT_IMPL_H
#define GENWIRE_CRYPT_IMPL_H

#include <stddef.h>

#include <sodium.h>

#include "genwire/alloc.h"

/* Wipes the n bytes at p (key material, plaintext) and frees them; returns
 * NULL, for `x = gw__wipe_free(x, n)`.  p may be NULL. */
static inline void *gw__wipe_free(void *p, size_t n)
{
    if (p != NULL) {
        sodium_memzero(p, n);
        gw_free(p);
    }
    return NULL;
}

#endif /* GENWIRE_CRYPT_IMPL_H */
