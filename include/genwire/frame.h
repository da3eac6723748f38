/*
 * genwire framing: record decoders and encoders (length prefix, varint,
 * lines, netstring) and the HTTP/1.1 chunked transfer coding as a byte layer
 * in both directions.
 *
 * A record reader parses records straight out of a gw_bufreader.  A record
 * that fits the buffer is handed out zero-copy (valid until the next call);
 * a larger one, up to the limit, is assembled once in a buffer that grows
 * only with bytes that actually arrived, or, in streaming mode, handed out in
 * pieces.  The fast path, gw_record_try_next(), parses a record already
 * buffered without suspending; GW_RECORD_NEXT uses it and yields from
 * gw_record_next() only when the buffer runs dry.
 */
#ifndef GENWIRE_FRAME_H
#define GENWIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"
#include "genwire/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- record formats and limits ----------------------------------------- */

/*
 * The record formats on the wire:
 *   - length prefix (u8, u16be, u16le, u32be, u32le, u64be, u64le): an
 *     unsigned integer of that width and byte order holding the payload's
 *     length only, then the payload;
 *   - varint: the length as unsigned LEB128 (protobuf's delimited format),
 *     7 bits per byte, least significant first, high bit set on every byte
 *     but the last; at most 10 bytes, the 10th at most 0x01; anything
 *     longer is GW_EVARINT;
 *   - lines: a record ends at LF; a CR right before the LF is dropped (a CR
 *     anywhere else is data); a last line without LF at end of input is a
 *     record;
 *   - netstring: "<decimal length>:<payload>,": 1 to 20 digits, no leading
 *     zero (but "0:"), no sign or space (GW_ENETSTRING), and the ','
 *     (GW_ENETSTRING_COMMA); a length over the limit, however many digits
 *     it has (more than 20, or 20 above 2^64 - 1, is over any limit), is
 *     GW_ERECORD_TOO_LARGE at the record's start.
 * End of input inside a header or a payload is GW_ETRUNCATED; at a record
 * boundary it is a clean end.  docs/wire-formats.md has every format.
 */
typedef enum gw_frame_format {
    GW_FRAME_U8 = 0,    /* 1-byte length, then the payload */
    GW_FRAME_U16BE,     /* 2-byte big-endian length */
    GW_FRAME_U16LE,     /* 2-byte little-endian length */
    GW_FRAME_U32BE,     /* 4-byte big-endian length */
    GW_FRAME_U32LE,     /* 4-byte little-endian length */
    GW_FRAME_U64BE,     /* 8-byte big-endian length */
    GW_FRAME_U64LE,     /* 8-byte little-endian length */
    GW_FRAME_VARINT,    /* unsigned LEB128 length (protobuf delimited) */
    GW_FRAME_LINES,     /* records end at LF; a CR before the LF is dropped */
    GW_FRAME_NETSTRING, /* <decimal length>:<payload>, */
    GW_FRAME_NFORMATS   /* the count, not a format */
} gw_frame_format;

/* gw_frame_format_parse: "u32be" -> GW_FRAME_U32BE ...; 0, or GW_EINVAL for
 * an unknown name (*out untouched). */
int gw_frame_format_parse(const char *name, gw_frame_format *out);

/* gw_frame_format_name: the name of a format ("u32be"), or "?" */
const char *gw_frame_format_name(gw_frame_format fmt);

#define GW_FRAME_DEFAULT_MAX_RECORD (8u << 20)  /* 8 MiB */
#define GW_FRAME_DEFAULT_MAX_LINE   (64u << 10) /* 64 KiB */

/*
 * Limits of a record reader; each breach has its own error.  As everywhere
 * in genwire (io.h), a field left 0 takes its default, and GW_UNLIMITED
 * switches a limit off (memory still grows only with bytes that arrived).
 */
typedef struct gw_frame_limits {
    uint64_t max_record; /* payload bytes (GW_ERECORD_TOO_LARGE); 0: 8 MiB */
    size_t max_line;     /* lines: bytes of a line, the CR before its LF not counted, with or
                            without its LF (GW_ELINE_TOO_LONG); 0: 64 KiB */
    uint64_t max_empty;  /* consecutive empty records (GW_ETOO_MANY_EMPTY); 0 (the default)
                            or GW_UNLIMITED: no limit.  An empty record costs its header
                            bytes like any other, so this is off unless asked for. */
} gw_frame_limits;

/* gw_frame_limits_default: fills *l with the defaults above (the same as
 * leaving every field 0). */
void gw_frame_limits_default(gw_frame_limits *l);

/*
 * gw_frame_header_parse: the pure core of a record header, for use without
 * a reader: parses the header of a `fmt` record (a length prefix, a varint,
 * or a netstring's "<digits>:") at the start of the len bytes at buf.
 * Returns the header's length (> 0) with *plen the payload length (for a
 * netstring the ',' after the payload is not part of the header); 0 if the
 * bytes are the start of a header that is not complete yet; or a negative
 * error: GW_EVARINT, GW_ENETSTRING, GW_ERECORD_TOO_LARGE (a netstring
 * length over 2^64 - 1: more than 20 digits, or 20 above it; *bad 0),
 * GW_EINVAL (GW_FRAME_LINES has no header, or an
 * unknown format), with *bad (if not NULL) the index of the offending byte.
 * Limits are not checked.  Never suspends, never allocates.
 */
int gw_frame_header_parse(gw_frame_format fmt, const void *buf, size_t len, uint64_t *plen,
                          size_t *bad);

/* ---- record reader ------------------------------------------------------- */

/* Reader modes. */
#define GW_RECORD_ASSEMBLE 0 /* every record whole (copied once if larger than the buffer) */
#define GW_RECORD_STREAM   1 /* records larger than the buffer come in pieces */

/* Internal: which inline fast path applies (gw_record_reader._fast). */
#define GW__RECORD_FAST_U32BE  1 /* u32be */
#define GW__RECORD_FAST_VARINT 2 /* varint, with max_record >= 127 */

typedef struct gw_record_reader {
    /* The current record (or piece), set when a next call returns 1. */
    const uint8_t *data; /* payload bytes; valid until the next call on the reader */
    size_t len;          /* payload length */
    int last;            /* 1 if this is the record's last (or only) piece */
    /* Its stream offset is gw_record_offset(rr). */

    /* Errors: the sticky code and the stream offset where it was found. */
    int err;
    uint64_t err_off;

    /* Private. */
    gw_bufreader *_src;   /* the input */
    int _fast;            /* GW__RECORD_FAST_* when the inline fast path applies, else 0 */
    int _state;           /* where the reader is (the states in records.c) */
    gw_frame_format _fmt; /* the format */
    gw_frame_limits _lim; /* the limits, defaults filled in */
    int _mode;            /* GW_RECORD_ASSEMBLE or GW_RECORD_STREAM */
    uint64_t _start;      /* stream offset of the record larger than the buffer */
    uint64_t _left;       /* its payload bytes still to come */
    size_t _trail;        /* bytes after that payload (a netstring's ',') */
    size_t _scan;         /* lines: bytes of the buffered line already searched for LF */
    size_t _lseen;        /* lines: bytes of a line longer than the buffer moved out */
    size_t _had;          /* lines: bytes buffered before the last fill (did it bring any?) */
    uint64_t _nempty;     /* consecutive empty records so far (when max_empty is on) */
    uint8_t *_big;        /* assembly buffer for records larger than the buffer */
    size_t _bigcap;       /* its capacity */
    size_t _biglen;       /* bytes assembled so far */
    gw_io_op _op;         /* the frame of gw_record_next */
    /* The last record the out-of-line paths handed out: its data and offset
     * (gw_record_offset). */
    const uint8_t *_off_data;
    uint64_t _off;
} gw_record_reader;

/*
 * gw_record_reader_init: a reader of `fmt` records from src (not owned),
 * with limits *lim (NULL: the defaults) and `mode`.  Over memory
 * (gw_bufreader_init_mem) any size works; over a stream src must hold at
 * least 32 bytes (the longest header).  Records and lines longer than src's
 * buffer are assembled or streamed (mode), up to the limits.  Allocates
 * nothing.  Returns 0 or GW_EINVAL; a failure is also the reader's sticky
 * error (every later call fails with it).  Never suspends.
 */
int gw_record_reader_init(gw_record_reader *rr, gw_bufreader *src, gw_frame_format fmt,
                          const gw_frame_limits *lim, int mode);

/* gw_record_reader_fini: frees the assembly buffer, if any.  Never
 * suspends. */
void gw_record_reader_fini(gw_record_reader *rr);

/* Internal: the general case of gw_record_try_next. */
int gw__record_try_next(gw_record_reader *rr);

/*
 * gw_record_try_next: the fast path.  If the next record is whole in the
 * buffer (and breaks no limit), sets data / len / last and returns 1 without
 * suspending or copying.  Returns 0 when it cannot decide from the buffered
 * bytes alone (call gw_record_next), or after an error.  Inline for u32be and
 * one-byte varints, the common case of small records, which the benchmark
 * measures; everything else takes the out-of-line path, one direct call more
 * per record.  The record's bytes are consumed from src at once (they stay in
 * its buffer, valid, until the next call on the reader).
 */
/* Internal: hands out the plen-byte record whose h-byte header is at
 * buf[pos], and consumes it: the cursor, data and len are all it stores. */
#define GW__RECORD_TAKE(rr, b, buf, pos, h, plen)                                                  \
    do {                                                                                           \
        (b)->pos = (pos) + (h) + (plen);                                                           \
        (rr)->data = (buf) + (pos) + (h);                                                          \
        (rr)->len = (plen);                                                                        \
    } while (0)

static inline int gw_record_try_next(gw_record_reader *rr)
{
    gw_bufreader *b = rr->_src;
    const uint8_t *buf;
    size_t pos, end, plen;

    /* Each format has its own straight path, its header length a constant.
     * Every field is loaded before the first store, the header byte is read
     * at buf[pos] (no pointer to compute first: the cursor, stored and loaded
     * again for every record, is the loop's critical path), and three fields
     * are stored: the cursor, data and len (gw_record_offset works the offset
     * out from data only when asked). */
    if (rr->_fast == GW__RECORD_FAST_VARINT) {
        /* A one-byte varint: a length under 128, within any limit the fast
         * path is enabled for (records.c).  The byte is read sign-extended:
         * one with the high bit set (a longer varint) becomes a length no
         * buffer holds, so one comparison refuses it and a record cut short
         * alike. */
        buf = b->buf;
        pos = b->pos;
        end = b->end;
        if (pos == end)
            goto general;
        plen = (size_t)(ptrdiff_t)(int8_t)buf[pos];
        if (plen >= end - pos)
            goto general;
        GW__RECORD_TAKE(rr, b, buf, pos, 1, plen);
        return 1;
    }
    if (rr->_fast == GW__RECORD_FAST_U32BE) {
        buf = b->buf;
        pos = b->pos;
        end = b->end;
        if (end - pos < 4)
            goto general;
        plen = gw_load_u32be(buf + pos);
        if (plen > rr->_lim.max_record || plen > end - pos - 4)
            goto general;
        GW__RECORD_TAKE(rr, b, buf, pos, 4, plen);
        return 1;
    }
general:
    return gw__record_try_next(rr);
}
#undef GW__RECORD_TAKE

/*
 * gw_record_offset: the stream offset of the current record's first byte
 * (its header; in stream mode, of the record every piece belongs to).  Valid
 * after a next call (or GW_RECORD_NEXT) gave 1, until the next call on the
 * reader.  Never suspends.
 */
static inline uint64_t gw_record_offset(const gw_record_reader *rr)
{
    const gw_bufreader *b = rr->_src;

    /* The out-of-line paths store the offset with the record they hand out.
     * A record of the inline path lies in the buffer after its header (4
     * bytes for u32be, 1 for a one-byte varint), and always after the last
     * out-of-line one: the buffer moves only in an out-of-line call, which
     * hands out a record (storing its offset) or returns no record. */
    if (rr->data == rr->_off_data)
        return rr->_off;
    return b->base + (uint64_t)(rr->data - b->buf) - (rr->_fast == GW__RECORD_FAST_U32BE ? 4 : 1);
}

/*
 * gw_record_next: the next record (or piece, in stream mode).  Result in
 * op->ret: 1 a record is set (op->n its length, the bytes handed out); 0
 * clean end of input at a record boundary; < 0 an error, also left in
 * rr->err with its offset in rr->err_off (end of input inside a record is
 * GW_ETRUNCATED; a call abandoned mid-way, its task cancelled, leaves
 * GW_ECANCELLED).  The records before an error are all handed out, whatever
 * the split of the input.  After an error every call fails the same way.
 * May suspend.
 */
gw_io_op *gw_record_next(gw_record_reader *rr);

/*
 * GW_RECORD_NEXT(s, field, rr, res): sets the int lvalue `res` to the
 * result of the next record: gw_record_try_next if it can, else yields from
 * gw_record_next (frame stored in s->field); rr and res are evaluated
 * once each (gen.h, rule 5), res once the result is known.  May suspend.
 * The fast path is laid out straight (GW__LIKELY, gen.h): the record is
 * whole in the buffer nearly every time.
 */
#define GW_RECORD_NEXT(s, field, rr, res)                                                          \
    do {                                                                                           \
        gw_record_reader *gw__rr = (rr);                                                           \
        int gw__res = 1;                                                                           \
        if (!GW__LIKELY(gw_record_try_next(gw__rr))) {                                             \
            GW_AWAIT(s, field, gw_record_next(gw__rr));                                            \
            gw__res = (s)->field->ret;                                                             \
        }                                                                                          \
        (res) = gw__res;                                                                           \
    } while (0)

/*
 * The batch fast path: a loop over the records already whole in the buffer,
 * with its state in a local struct the compiler keeps in registers, for
 * decoders whose per-record work is small:
 *
 *     gw_record_scan sc;
 *     gw_record_scan_begin(rr, &sc);
 *     while (gw_record_scan_next(rr, &sc))
 *         use(sc.data, sc.len);           (no suspension, no other rr call)
 *     gw_record_scan_end(rr, &sc);
 *     GW_RECORD_NEXT(...)                 (then as usual, for the rest)
 *
 * gw_record_scan_next returns 0 at the first record it cannot take whole
 * from the buffer (or one over a limit, or of a format other than u32be and
 * varint, or when the empty-record limit is on): gw_record_next handles
 * that one.  The payloads stay valid until the next call on rr after
 * gw_record_scan_end.  Never suspends, never allocates.
 */
typedef struct gw_record_scan {
    const uint8_t *data; /* the record's payload */
    size_t len;          /* its length */
    size_t start;        /* buffer index of the record's header (see gw_record_scan_offset) */
    const uint8_t *_buf; /* the bufreader's buffer */
    size_t _pos, _end;   /* where parsing goes on, and the end of the buffered bytes */
    int _fast;           /* the reader's GW__RECORD_FAST_*, or 0: nothing to scan */
} gw_record_scan;

/* gw_record_scan_begin: starts a scan after the current record. */
static inline void gw_record_scan_begin(gw_record_reader *rr, gw_record_scan *sc)
{
    gw_bufreader *b = rr->_src;

    sc->_fast = rr->_fast;
    sc->_buf = sc->_fast ? b->buf : NULL;
    sc->_pos = sc->_fast ? b->pos : 0;
    sc->_end = sc->_fast ? b->end : 0;
}

/* gw_record_scan_next: 1 and the next record in sc->data / sc->len, or 0. */
static inline int gw_record_scan_next(const gw_record_reader *rr, gw_record_scan *sc)
{
    /* p is worked out only where there is a buffer: with nothing to scan,
     * _buf is NULL, and NULL + 0 is undefined in C. */
    const uint8_t *p;
    size_t n = sc->_end - sc->_pos, h;
    uint64_t plen;

    if (sc->_fast == GW__RECORD_FAST_U32BE) {
        if (n < 4)
            return 0;
        p = sc->_buf + sc->_pos;
        plen = gw_load_u32be(p);
        h = 4;
    } else if (sc->_fast == GW__RECORD_FAST_VARINT) {
        if (n < 1)
            return 0;
        p = sc->_buf + sc->_pos;
        if (p[0] >= 0x80)
            return 0;
        plen = p[0];
        h = 1;
    } else {
        return 0;
    }
    if (plen > rr->_lim.max_record || plen > n - h)
        return 0;
    sc->data = p + h;
    sc->len = (size_t)plen;
    sc->start = sc->_pos;
    sc->_pos += h + (size_t)plen;
    return 1;
}

/* gw_record_scan_offset: the stream offset of the scanned record's header. */
static inline uint64_t gw_record_scan_offset(const gw_record_reader *rr, const gw_record_scan *sc)
{
    return rr->_src->base + sc->start;
}

/* gw_record_scan_end: consumes what the scan took. */
static inline void gw_record_scan_end(gw_record_reader *rr, gw_record_scan *sc)
{
    if (sc->_fast)
        rr->_src->pos = sc->_pos;
}

/* ---- record writer ------------------------------------------------------- */

/*
 * A record encoder: writes header + payload (+ trailer) for each record into
 * a buffered writer, in place when the record fits its free space, so small
 * records are batched with no copy beyond the one into the buffer.
 */
typedef struct gw_record_writer {
    gw_bufwriter *dst;   /* the output, not owned */
    gw_frame_format fmt; /* the format */
    uint64_t max_record; /* larger records are refused with GW_ERECORD_TOO_LARGE */
    uint8_t hdr[24];     /* the header of the record in progress */
    size_t hlen;         /* its length */
    gw_io_op op;         /* the frame of gw_record_write */
} gw_record_writer;

/* gw_record_writer_init: an encoder of fmt records into dst; max_record 0
 * means the default (GW_FRAME_DEFAULT_MAX_RECORD), GW_UNLIMITED no limit
 * but the format's own (255 bytes for u8 ...).  Returns 0 or GW_EINVAL (no
 * dst, or fmt out of range); after a failed init, as for a writer never
 * initialised (all zeros), every gw_record_write fails with GW_EINVAL.
 * Never suspends. */
int gw_record_writer_init(gw_record_writer *rw, gw_bufwriter *dst, gw_frame_format fmt,
                          uint64_t max_record);

/*
 * gw_record_write: writes one record (an empty one may be data NULL, len
 * 0).  Lines refuse a payload containing LF, or ending in CR (GW_EINVAL),
 * since it would not decode as this record; netstrings and prefixes take
 * any bytes.  The bytes must stay valid until the operation finishes.
 * op->ret 0 (op->n = len) or < 0.  A record refused (GW_EINVAL,
 * GW_ERECORD_TOO_LARGE) is refused before any of it is written, so that
 * error does not stick: the next record goes out.  Errors of dst stick in
 * dst, and every later write fails with them.  A write abandoned mid-way
 * (its task cancelled) leaves a torn record in dst, so it makes
 * GW_ECANCELLED dst's sticky error.  May suspend.
 */
gw_io_op *gw_record_write(gw_record_writer *rw, const void *data, size_t len);

/* ---- HTTP/1.1 chunked transfer coding ------------------------------------ */

#define GW_CHUNKED_DEFAULT_MAX_LINE    4096u  /* a chunk-size line, extensions included */
#define GW_CHUNKED_DEFAULT_MAX_TRAILER 16384u /* the trailer field lines */

/* Limits of a chunked decoder.  As everywhere in genwire (io.h), a field of
 * 0 means its default; GW_UNLIMITED switches a limit off. */
typedef struct gw_chunked_limits {
    size_t max_line;    /* bytes of one chunk-size line before its CRLF (GW_ECHUNK_EXT) */
    size_t max_trailer; /* bytes of the trailer field lines, their CRLFs included and the
                           final empty line not (GW_ETRAILER) */
} gw_chunked_limits;

/*
 * gw_chunk_size_parse: the pure core of a chunk-size line, for use without a
 * reader: parses "chunk-size [ chunk-ext ] CRLF" at the start of the len
 * bytes at buf, by the rules of the decoder below, with at most max_line
 * bytes before the CRLF (0: GW_CHUNKED_DEFAULT_MAX_LINE).  Returns the
 * line's length with its CRLF (> 0) and *size the chunk size (0: the
 * last-chunk, trailers follow); GW_INCOMPLETE (0) if the bytes are a valid
 * start of a line; or a negative error (GW_ECHUNK_SIZE, GW_ECHUNK_EXT,
 * GW_ECHUNK_CRLF), with *bad (if not NULL) the index of the byte that broke
 * the rule.  Never suspends, never allocates.
 */
ptrdiff_t gw_chunk_size_parse(const void *buf, size_t len, size_t max_line, uint64_t *size,
                              size_t *bad);

/*
 * The chunked decoder: an AsyncRead (c->r) of the decoded body, reading the
 * coded stream from a bufreader.  Strict RFC 9112 section 7.1:
 *
 *   - chunk-size: 1 to 16 hex digits (either case; leading zeros count), no
 *     sign, no "0x", no whitespace before it; else GW_ECHUNK_SIZE;
 *   - chunk extensions *( BWS ";" BWS name [ BWS "=" BWS value ] ), name a
 *     token, value a token or a quoted-string with quoted-pairs, parsed and
 *     discarded; a malformed one, or a chunk-size line longer than
 *     lim.max_line bytes before its CRLF, is GW_ECHUNK_EXT;
 *   - CRLF only: a LF not preceded by CR, a CR not followed by LF, or
 *     anything but CRLF after chunk data is GW_ECHUNK_CRLF;
 *   - after the last-chunk ("0", optional extensions, CRLF), a trailer
 *     section of field lines (token ":" field-value CRLF; no obs-fold) and
 *     the final CRLF; a malformed field line or more than lim.max_trailer
 *     bytes of them is GW_ETRAILER;
 *   - end of input anywhere before that final CRLF (even before the first
 *     byte) is GW_ETRUNCATED, with err_off the offset where input ended.
 *
 * Errors stick: they set c->r.err and c->r.err_off, the offset in the coded
 * input (gw_bufreader_offset of src) of the byte that broke the rule; for a
 * CR not followed by LF, the byte after the CR.  An error of src itself is
 * passed on with the offset the decoder had reached.  A read abandoned
 * mid-way (its task cancelled) leaves GW_ECANCELLED.  A read that fails
 * returns in op->n every body byte decoded before the error, so over any
 * split of the input the bytes delivered are exactly the valid prefix.
 *
 * Reads (gw_try_read / gw_read on &c->r) copy chunk data from src's buffer
 * into the caller's memory, once; when src's buffer is empty and the caller
 * wants at least src->cap bytes of the current chunk, they are read from the
 * source straight into the caller's memory.  Framing is parsed inline from
 * the buffered bytes, incrementally: the decoder keeps its place inside a
 * chunk-size or trailer line across refills, so any src capacity (even 1)
 * works and nothing has to fit the buffer whole; it waits only when the
 * buffer runs dry.  A read with min 0 never waits.
 *
 * End of stream of c->r (r.eof, and reads returning 0) comes right after the
 * trailer's final CRLF; bytes after it are left unread in src, where the next
 * message (a new gw_chunked_reader_init on the same src) starts.
 */
typedef struct gw_chunked_reader {
    gw_reader r;           /* the decoded body */
    gw_bufreader *src;     /* the coded input, not owned */
    gw_chunked_limits lim; /* the limits in force (defaults filled in) */
    uint64_t left;         /* bytes left in the current chunk's data; in a chunk-size
                              line, the size parsed so far */
    int state;             /* private: where the decoder is (states in chunked.c) */
    size_t trailer_len;    /* private: trailer field line bytes so far */
    size_t line_len;       /* private: bytes of the chunk-size line so far */
    unsigned ndigits;      /* private: hex digits of the chunk size so far */
} gw_chunked_reader;

/*
 * gw_chunked_reader_init: a decoder of one chunked body from src (not
 * owned; NULL when c is used only through gw_chunked_decode, and then a
 * read of c->r fails with GW_EINVAL, sticky), with limits *lim (NULL, or a
 * field of 0: the defaults).  Allocates nothing, so there is no fini; call
 * it again on the same src to decode the next message.
 * Never suspends.
 */
void gw_chunked_reader_init(gw_chunked_reader *c, gw_bufreader *src, const gw_chunked_limits *lim);

/*
 * gw_chunked_decode: the decoder's pure core, for a body in memory without
 * a reader (as picohttpparser's phr_decode_chunked): decodes in[0 .. len),
 * the next bytes of a chunked body, by exactly the rules and limits of the
 * reader above, going on from where the last call on c stopped (so the
 * body may come in any pieces), and writes the chunk data to out, which
 * has room for len bytes (data is never longer than its coding) and may be
 * in itself: the body is then decoded in place.  c comes from
 * gw_chunked_reader_init and is used either through this function or
 * through c->r, not both.
 *
 * Returns 1 when the body is complete: *used is the bytes of in up to and
 * including the trailer's final CRLF (what follows is the next message's;
 * later calls return 1 and take nothing); GW_INCOMPLETE (0) when all len
 * bytes were taken and the body goes on; or a negative error, as the
 * reader's (GW_ECHUNK_SIZE, GW_ECHUNK_EXT, GW_ECHUNK_CRLF, GW_ETRAILER),
 * with *used the index in in of the byte that broke the rule (for a CR not
 * followed by LF, the byte after the CR), also in c->r.err_off; errors stick
 * in c->r.err (later calls return it and take nothing).  Whatever it
 * returns, *n is the data bytes written to out by this call: on an error,
 * exactly the body's valid prefix.  End of input before a 1 is the
 * caller's to judge (the reader calls it GW_ETRUNCATED).  Never suspends,
 * never allocates.
 */
int gw_chunked_decode(gw_chunked_reader *c, const void *in, size_t len, void *out, size_t *used,
                      size_t *n);

/*
 * The chunked encoder: an AsyncWrite (c->w) that buffers what is written
 * and emits it as one chunk per flush (or whenever its buffer fills: chunks
 * of exactly cap bytes, written straight from the caller's memory when the
 * buffer is empty); a flush with nothing pending emits no chunk.  Close
 * emits the pending chunk, then the last-chunk and the empty trailer
 * "0\r\n\r\n", then closes dst.  Sizes are written in lowercase hex.
 * Errors stick in c->w.err: those of dst, and GW_ECANCELLED when a write or
 * flush was abandoned mid-way (its task cancelled), after which a close
 * fails rather than emit the last-chunk after a torn chunk.
 */
typedef struct gw_chunked_writer {
    gw_writer w;      /* the body goes in here */
    gw_writer *dst;   /* the coded output, not owned */
    uint8_t *buf;     /* pending body bytes (cap bytes inside _mem) */
    size_t cap, len;  /* capacity, bytes pending */
    uint8_t head[24]; /* private: a chunk-size line being written */
    uint8_t *_mem;    /* private: the allocation: room for a chunk-size line, buf, CRLF */
} gw_chunked_writer;

/*
 * gw_chunked_writer_init: an encoder into dst (not owned) of chunks of at
 * most cap (> 0) bytes; allocates about cap bytes (through gw_malloc).
 * Returns 0, GW_EINVAL (cap 0 or dst NULL) or GW_ENOMEM; a failure is also
 * the writer's sticky error (later operations fail with it) and
 * gw_chunked_writer_fini is still safe.  Never suspends.
 */
int gw_chunked_writer_init(gw_chunked_writer *c, gw_writer *dst, size_t cap);

/* gw_chunked_writer_fini: frees the buffer; pending bytes not flushed are
 * dropped.  Does not close dst.  Never suspends. */
void gw_chunked_writer_fini(gw_chunked_writer *c);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_FRAME_H */
