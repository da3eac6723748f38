/*
 * genwire compression: gzip (RFC 1952), zlib (RFC 1950) and raw deflate
 * (RFC 1951) as byte layers in both directions, built on zlib's streaming
 * API (docs/wire-formats.md), with Intel's ISA-L as a second, faster
 * inflate backend.
 *
 * The inflate layer is an AsyncRead (z->r) of the decompressed bytes that
 * reads the compressed stream from a gw_bufreader.  The backend (zlib or
 * ISA-L) reads straight out of the bufreader's buffer and writes straight into the caller's buffer:
 * there is no intermediate copy.  It guards against decompression bombs with
 * a cap on the total output and on the ratio of output to input, each with
 * its own error, and stops before it writes past either.
 *
 * The deflate layer is an AsyncWrite (d->w) that compresses what is written
 * to it into any gw_writer below.  flush() emits a sync flush, so that a peer
 * can decode everything written so far; close() writes the trailer and closes
 * the writer below.
 *
 * Both allocate through gw_malloc / gw_free (zlib's allocations included), so
 * an allocation failure injected with gw_set_allocator is a clean GW_ENOMEM.
 */
#ifndef GENWIRE_COMPRESS_H
#define GENWIRE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"
#include "genwire/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The backends' state, kept out of this header so that users need neither
 * zlib.h nor ISA-L's headers. */
struct z_stream_s;
struct gw__zback;

/* The compressed formats. */
typedef enum gw_zformat {
    GW_ZFORMAT_GZIP = 0, /* RFC 1952; concatenated members are one stream, as with gzip -d */
    GW_ZFORMAT_ZLIB,     /* RFC 1950 */
    GW_ZFORMAT_DEFLATE,  /* raw RFC 1951: no header, no checksum */
    GW_ZFORMAT_AUTO,     /* inflate only: gzip or zlib, told apart by the header */
    GW_ZFORMAT_NFORMATS  /* the count, not a format */
} gw_zformat;

/* gw_zformat_parse: "gzip", "zlib", "deflate", "auto" -> the format; 0, or
 * GW_EINVAL for an unknown name (*out untouched). */
int gw_zformat_parse(const char *name, gw_zformat *out);

/* gw_zformat_name: the name of a format ("gzip"), or "?". */
const char *gw_zformat_name(gw_zformat fmt);

/* ---- inflate: the decompressing reader ----------------------------------- */

/* The most one deflate pass can expand: 258 bytes from 2 bits. */
#define GW_INFLATE_DEFAULT_MAX_RATIO 1032u
/* The default cap on the decompressed bytes of one layer: 1 GiB. */
#define GW_INFLATE_DEFAULT_MAX_OUTPUT (1ull << 30)

/* gw_inflate_opts.flags: stop at the end of the first stream or gzip member
 * and leave whatever follows unread in the bufreader, instead of reading
 * further members (gzip) or failing with GW_ETRAILING_DATA.  The end is
 * reported as soon as the stream's last byte (for gzip, its trailer) has
 * been read: the layer does not wait for a byte after it, nor for the end of
 * input, so it can sit on a keep-alive connection. */
#define GW_INFLATE_STOP_AT_END 1u

/*
 * The library that decodes under an inflate layer.  Both give the same bytes
 * and the same errors except where ISA-L cannot match zlib, which gw_inflate
 * below lists ("Backend differences": among them, ISA-L accepts streams with
 * incomplete Huffman codes that zlib refuses).  Which are built in: meson option
 * inflate_backend (auto: ISA-L where libisal is found, and zlib always).
 */
typedef enum gw_inflate_backend {
    GW_INFLATE_BACKEND_DEFAULT = 0, /* the build's choice: ISA-L where built in, else zlib */
    GW_INFLATE_BACKEND_ZLIB,        /* zlib's inflate(), the reference */
    GW_INFLATE_BACKEND_ISAL,        /* Intel ISA-L's isal_inflate, about 2x faster */
    GW_INFLATE_BACKEND_COUNT        /* the count, not a backend */
} gw_inflate_backend;

/* ISA-L reads ahead and keeps what it read in the bufreader until it has
 * decoded past it, so it needs a bufreader over a reader (not over memory)
 * of at least this many bytes: smaller ones get zlib by default, and
 * GW_EINVAL if ISA-L is asked for. */
#define GW_INFLATE_ISAL_MIN_BUFFER 1024u

/* gw_inflate_backend_parse: "default", "zlib", "isal" -> the backend; 0, or
 * GW_EINVAL for an unknown name (*out untouched).  Never suspends. */
int gw_inflate_backend_parse(const char *name, gw_inflate_backend *out);

/* gw_inflate_backend_name: "default", "zlib", "isal", or "?". */
const char *gw_inflate_backend_name(gw_inflate_backend b);

/* gw_inflate_backend_available: nonzero if b is built into this genwire
 * (DEFAULT and ZLIB always are). */
int gw_inflate_backend_available(gw_inflate_backend b);

/* gw_inflate_backend_default: the backend GW_INFLATE_BACKEND_DEFAULT stands
 * for in this build (ZLIB or ISAL). */
gw_inflate_backend gw_inflate_backend_default(void);

/* Options of an inflate layer.  A field left 0 is the default (a zeroed
 * struct is gzip with both limits at their defaults); GW_UNLIMITED (io.h)
 * switches a limit off. */
typedef struct gw_inflate_opts {
    gw_zformat format; /* GW_ZFORMAT_GZIP (0, the default), _ZLIB, _DEFLATE or _AUTO */
    /* Total decompressed bytes allowed (GW_EOUTPUT_LIMIT); 0:
     * GW_INFLATE_DEFAULT_MAX_OUTPUT; GW_UNLIMITED: no cap. */
    uint64_t max_output;
    /* Decompressed bytes allowed per compressed byte read, counted from the
     * start of the layer's input (GW_ERATIO_LIMIT); 0:
     * GW_INFLATE_DEFAULT_MAX_RATIO; (uint32_t)GW_UNLIMITED: no limit. */
    uint32_t max_ratio;
    unsigned flags; /* GW_INFLATE_*; 0: none */
    /* Which library decodes; 0: GW_INFLATE_BACKEND_DEFAULT.  A backend not
     * built in is GW_EZ_BACKEND at init. */
    gw_inflate_backend backend;
} gw_inflate_opts;

/* gw_inflate_opts_default: gzip, output cap GW_INFLATE_DEFAULT_MAX_OUTPUT,
 * ratio GW_INFLATE_DEFAULT_MAX_RATIO, no flags: the same as a zeroed struct,
 * with the defaults written out. */
void gw_inflate_opts_default(gw_inflate_opts *o);

/*
 * The inflate layer.  Read it through z->r with gw_try_read / gw_read; a
 * read suspends only when the bufreader must be filled (never over
 * gw_bufreader_init_mem), and returns once `min` bytes came and nothing more
 * can be decoded from what is buffered.  End of stream of z->r comes after
 * the end of the compressed stream (for gzip, after the last member, once the
 * input has ended too).  Errors stick in
 * z->r.err, with z->r.err_off the offset in the bufreader's stream (see
 * gw_bufreader_offset):
 *   GW_EZ_HEADER, GW_EZ_DATA, GW_EZ_CHECKSUM, GW_EZ_LENGTH: the stream is
 *     corrupt; err_off is the offset of the last byte read, the one in which
 *     the error was found; gw_inflate_msg() has zlib's words (on ISA-L, for
 *     GW_EZ_DATA, see "Backend differences");
 *   GW_ETRUNCATED: the input ended inside a stream or gzip member; err_off is
 *     the offset of the end of input;
 *   GW_ETRAILING_DATA: bytes that are not a gzip member follow the stream;
 *     err_off is the offset of the first of them;
 *   GW_EOUTPUT_LIMIT, GW_ERATIO_LIMIT: more output was due than the limits
 *     allow; every byte up to the limit was delivered, none past it; err_off
 *     is the offset just past the compressed byte that completed the code of
 *     the first byte refused (the ratio counts input up to there too);
 *   GW_ENOMEM: an allocation failed; GW_ELIBRARY: the backend misbehaved;
 *   GW_ECANCELLED: a read was abandoned mid-operation (its task cancelled);
 *   otherwise the error of the reader below, reported once every byte it
 *     had delivered has been decoded; err_off is then the offset of the end
 *     of what it delivered.
 * A read that fails returns every byte decoded before the error: they are
 * in buf, op->n says how many (as io.h has it), and none is held back for a
 * later read.  The output delivered and the error (code and offset) do not
 * depend on how the input was split into pieces as it arrived, nor on the
 * sizes asked for (on ISA-L, see the differences below).
 *
 * Backend differences.  Both backends accept exactly the same gzip, zlib
 * and raw deflate headers and trailers (on ISA-L the layer parses them
 * itself, with zlib's checks, messages and offsets), and give the same bytes
 * for every stream both accept.  The verdicts on the deflate data differ in
 * three ways, which the differential fuzzer (fuzz/fuzz-inflate-diff.c)
 * allows and no other:
 *   1. Huffman code sets.  zlib refuses, at the dynamic block header, a
 *      code-length, literal/length or distance code that is incomplete
 *      (leaves part of the code space unused, beyond the single distance
 *      code deflate allows) or has no end-of-block code: GW_EZ_DATA,
 *      "invalid code lengths set", "invalid literal/lengths set", "invalid
 *      distances set" or "invalid code -- missing end-of-block".  ISA-L
 *      decodes on with such a code: a stream that uses only the codes it
 *      has is ACCEPTED, in every format (a gzip or zlib checksum computed
 *      over that output holds); one that reaches an unused code fails later
 *      (GW_EZ_DATA), and corrupt data may fail its checksum
 *      (GW_EZ_CHECKSUM, GW_EZ_LENGTH), run out of input (GW_ETRUNCATED) or
 *      hit a limit first.  Over-subscribed codes are GW_EZ_DATA on both.
 *   2. A block header cut short.  Some corrupt dynamic block headers that
 *      zlib is still reading when the input ends (GW_ETRUNCATED) are
 *      refused by ISA-L, which checks them as it goes (GW_EZ_DATA).
 *   3. Past the output cap.  ISA-L decodes ahead of what it may deliver,
 *      so corrupt data just after the GW_EOUTPUT_LIMIT point of zlib can be
 *      GW_EZ_DATA on ISA-L (max_output bytes delivered on both).
 * And in what the errors carry:
 *   - GW_EZ_DATA: gw_inflate_msg says "invalid deflate block", "invalid
 *     deflate code" or "invalid distance too far back" instead of zlib's
 *     finer words; err_off is where ISA-L's bit reader stood, which can be
 *     a few bytes from zlib's; and ISA-L checks a run of codes before it
 *     writes them, so of the bytes before the bad code it may deliver fewer
 *     than zlib does, how many depending on how the input arrived.  The
 *     code itself never depends on it.
 *   - GW_EOUTPUT_LIMIT, GW_ERATIO_LIMIT: ISA-L reads ahead of its output by
 *     an amount that depends on how the input arrived, so err_off is the
 *     offset where the stream or gzip member began, not zlib's byte.
 *     Exactly max_output bytes are delivered on both.  The ratio limit
 *     holds on both (never more than max_ratio bytes out per compressed byte
 *     read), but ISA-L counts the bytes it has read ahead, so it may stop
 *     later than zlib, or not at all where zlib stops just short of the end,
 *     and how many bytes it delivers first can depend on how the input
 *     arrived.
 *   - GW_ETRUNCATED inside the deflate data, and an error of the reader
 *     below there: the same code at the same offset, and the same bytes
 *     delivered as a truncation at that point, but ISA-L decodes a code
 *     only once it holds bits enough for
 *     its widest table lookup, so the codes in the last bits of the input
 *     may be missing from what it delivers, where zlib delivers them.  What
 *     it delivers is a prefix of zlib's bytes, and at least what zlib
 *     delivers from the input cut 8 bytes (its 64-bit bit buffer) earlier;
 *     with libisal 2.30 the codes missing lie in the last 3 bytes
 *     (test_backend_truncation): a few bytes of text, up to a few times 258
 *     where they are long matches.
 *   - ISA-L needs a bufreader of at least GW_INFLATE_ISAL_MIN_BUFFER bytes
 *     (any size over memory); the default backend is zlib below that.
 * Every other error (headers, trailers, truncation or the reader below
 * elsewhere, trailing data) has the same code, offset and delivered bytes on
 * both.
 */
typedef struct gw_inflate {
    gw_reader r;                /* the decompressed stream */
    gw_bufreader *src;          /* the compressed input, not owned */
    gw_inflate_opts opts;       /* the options in force (zeros replaced by the defaults) */
    uint64_t in_total;          /* compressed bytes read so far */
    uint64_t out_total;         /* decompressed bytes delivered so far */
    uint64_t members;           /* gzip members (or zlib / deflate streams) finished */
    const char *msg;            /* the backend's message (static) for the sticky error, or NULL */
    gw_inflate_backend backend; /* the backend in use (ZLIB or ISAL), set by init */

    /* Private. */
    const struct gw__zback *_be; /* the backend's functions (parsers/compress/zback.h) */
    void *_bs;                   /* the backend's state, NULL once released */
    size_t _ahead;               /* buffered bytes the backend has taken but not decoded past */
    uint64_t _start;             /* bufreader offset where the current stream or member began */
    int _state;                  /* where the layer is: see parsers/compress/inflate.c */
    int _gzip;                   /* nonzero if the stream is gzip (auto: its first byte is 0x1f) */
    int _src_err;   /* an error of the fill below, reported once what it buffered is decoded */
    uint8_t _probe; /* one byte of output taken to see whether more is due */
} gw_inflate;

/*
 * gw_inflate_init: an inflate layer over src (not owned), options *o (NULL:
 * the defaults).  Allocates the backend's state (through gw_malloc).
 * Returns 0, GW_EINVAL (bad options, or ISA-L over a bufreader smaller than
 * GW_INFLATE_ISAL_MIN_BUFFER), GW_EZ_BACKEND (that backend is not built
 * in), or GW_ENOMEM; call gw_inflate_fini in every case.
 */
int gw_inflate_init(gw_inflate *z, gw_bufreader *src, const gw_inflate_opts *o);

/* gw_inflate_fini: releases the backend's state (also in mid-stream); the
 * bufreader stays the caller's.  Safe to call twice.  Never suspends. */
void gw_inflate_fini(gw_inflate *z);

/*
 * gw_inflate_msg: a static description of the sticky error: zlib's own
 * message for the GW_EZ_* errors ("invalid distance too far back"), else
 * gw_strerror() of the error; "" when there is none.  Never NULL.
 */
const char *gw_inflate_msg(const gw_inflate *z);

/* ---- deflate: the compressing writer ------------------------------------- */

#define GW_DEFLATE_DEFAULT_LEVEL  6           /* zlib's own default */
#define GW_DEFLATE_DEFAULT_BUFFER (64u << 10) /* compressed bytes batched per write below */
/* The smallest output buffer: zlib needs room for a whole sync-flush marker,
 * or it emits marker after marker. */
#define GW_DEFLATE_MIN_BUFFER 64u
/* The level that stores the data uncompressed (zlib's level 0): not 0, so
 * that a zeroed gw_deflate_opts gives the default level, as every options
 * struct does (docs/contracts.md). */
#define GW_DEFLATE_STORE (-2)

/* Options of a deflate layer. */
typedef struct gw_deflate_opts {
    gw_zformat format; /* GW_ZFORMAT_GZIP, _ZLIB or _DEFLATE */
    /* 1 (fastest) to 9 (smallest); 0 or -1: GW_DEFLATE_DEFAULT_LEVEL;
     * GW_DEFLATE_STORE: stored blocks, no compression. */
    int level;
    /* Bytes of the output buffer; 0: GW_DEFLATE_DEFAULT_BUFFER; smaller than
     * GW_DEFLATE_MIN_BUFFER: raised to it. */
    size_t buffer;
} gw_deflate_opts;

/* gw_deflate_opts_default: gzip, level 6, the default buffer. */
void gw_deflate_opts_default(gw_deflate_opts *o);

/*
 * The deflate layer: an AsyncWrite (d->w).  gw_write compresses into the
 * output buffer, which is written to dst whenever it fills; gw_flush
 * compresses with a sync flush, writes everything out and flushes dst, so
 * the peer can decode all that was written; gw_close finishes the stream
 * (the trailer), writes it out, closes dst and releases zlib's state.
 * Errors stick in d->w.err (those of dst, GW_ENOMEM, GW_ECANCELLED if an
 * operation was abandoned mid-way).
 */
typedef struct gw_deflate {
    gw_writer w;          /* the uncompressed stream */
    gw_writer *dst;       /* where the compressed bytes go, not owned */
    gw_deflate_opts opts; /* the options */
    uint64_t in_total;    /* uncompressed bytes accepted */
    uint64_t out_total;   /* compressed bytes produced */

    /* Private. */
    struct z_stream_s *_zs; /* zlib's stream, NULL once released */
    uint8_t *_buf;          /* the output buffer, opts.buffer bytes */
    size_t _len;            /* compressed bytes in it, not yet written to dst */
    int _ended;             /* zlib has written the trailer (Z_STREAM_END) */
} gw_deflate;

/*
 * gw_deflate_init: a deflate layer writing to dst (not owned), options *o
 * (NULL: the defaults).  Allocates zlib's state and the output buffer.
 * Returns 0, GW_EINVAL (bad options), or GW_ENOMEM; call gw_deflate_fini in
 * every case.
 */
int gw_deflate_init(gw_deflate *d, gw_writer *dst, const gw_deflate_opts *o);

/* gw_deflate_fini: releases zlib's state and the buffer; bytes not flushed
 * are dropped.  Safe to call twice.  Never suspends. */
void gw_deflate_fini(gw_deflate *d);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_COMPRESS_H */
