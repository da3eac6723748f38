/*
 * Private to parsers/compress/: what the inflate and deflate layers share,
 * namely zlib's allocation callbacks routed to genwire's allocator hook.
 * Not installed.
 */
#ifndef GENWIRE_ZCOMMON_H
#define GENWIRE_ZCOMMON_H

#define ZLIB_CONST
#include <zlib.h>

/* zlib's zalloc: items * size bytes from gw_malloc, Z_NULL on overflow or
 * failure. */
voidpf gw__zalloc(voidpf opaque, uInt items, uInt size);

/* zlib's zfree: gw_free. */
void gw__zfree(voidpf opaque, voidpf p);

/* Prepares a zeroed z_stream whose allocations go through gw_malloc. */
void gw__zstream_setup(z_stream *zs);

#endif /* GENWIRE_ZCOMMON_H */
