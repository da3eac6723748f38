/*
 * Private to parsers/resp/: what the tree and the writer share with the
 * reader.  Not installed.
 */
#ifndef GENWIRE_RESP_IMPL_H
#define GENWIRE_RESP_IMPL_H

#include "genwire/resp.h"

/* Stores err (found at stream offset off) in the reader, where it sticks;
 * returns err. */
int gw__resp_fail(gw_resp_reader *rd, int err, uint64_t off);

/* Nonzero if p[0..n) is a double (or big number) as RESP3 writes it. */
int gw__resp_valid_double(const uint8_t *p, size_t n);
int gw__resp_valid_bignum(const uint8_t *p, size_t n);

#endif /* GENWIRE_RESP_IMPL_H */
