/*
 * Private to parsers/framing/: what the chunked decoder's two files share.
 * chunked-core.c holds the framing machine and the pure, reader-free core
 * (gw_chunk_size_parse, gw_chunked_decode); chunked.c the AsyncRead layer
 * on a bufreader, which runs the same core over the buffered bytes, and the
 * encoder.  Not installed.
 */
#ifndef GW_CHUNKED_IMPL_H
#define GW_CHUNKED_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/frame.h"

/* The decoder's states.  (No magic first value to range-check on entry, as
 * zlib has: its state sits behind a pointer that can be NULL, while here a
 * reader that was never initialised has no ops table, so gw_try_read refuses
 * it with GW_EINVAL before it reaches this file.) */
enum {
    CK_SIZE0 = 0,  /* the first hex digit of a chunk size */
    CK_SIZE,       /* more hex digits, or what follows them */
    CK_EXT_SEMI,   /* whitespace after the size or a value: ';' must follow */
    CK_EXT_NAME0,  /* after ';': optional whitespace, then an extension name */
    CK_EXT_NAME,   /* in an extension name */
    CK_EXT_EQ,     /* whitespace after a name: '=' or ';' must follow */
    CK_EXT_VAL0,   /* after '=': optional whitespace, then a value */
    CK_EXT_TOKEN,  /* in a token value */
    CK_EXT_QUOTED, /* in a quoted-string value */
    CK_EXT_QPAIR,  /* after a backslash in a quoted string */
    CK_EXT_QEND,   /* after the closing quote */
    CK_SIZE_LF,    /* the chunk-size line's CR seen: LF must follow */
    CK_DATA,       /* chunk data: c->left bytes to go */
    CK_DATA_CR,    /* after the data: CR must follow */
    CK_DATA_LF,    /* after the data's CR: LF must follow */
    CK_TR_LINE,    /* the start of a trailer field line, or of the final CRLF */
    CK_TR_NAME,    /* in a field name */
    CK_TR_VALUE,   /* in a field value, after the ':' */
    CK_TR_LF,      /* a field line's CR seen: LF must follow */
    CK_END_LF,     /* the final CR seen: LF must follow */
    CK_DONE        /* the body is complete; nothing more is read */
};

/*
 * Runs the decoder on c over in[0 .. len) from where c stands: framing is
 * parsed, and chunk data moved (memmove: out may be in itself, or before
 * it) to out[*n .. cap), *n advanced.  Stops at the end of in, when chunk
 * data meets a full out, at CK_DONE, or at an error.  Sets *used to the
 * bytes of in taken (on an error, the index of the byte that broke the
 * rule).  Returns 0 or a negative error; does not touch c->r.  Never
 * suspends.
 */
int gw__chunked_run(gw_chunked_reader *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                    size_t *used, size_t *n);

#endif /* GW_CHUNKED_IMPL_H */
