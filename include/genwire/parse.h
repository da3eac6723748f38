/*
 * genwire pure parsing cores: functions over bytes in memory, with no
 * reader, no generator and no allocation, that every protocol parser shares:
 * big-endian loads and stores, overflow-checked decimal and hex numbers, and
 * a resumable line scan.  They can be tested and embedded on their own; the
 * generator wrappers in io.h (gw_bufreader_line) run them over a stream.
 *
 * THE PURE-CORE CONVENTION.  A parsing step that needs no I/O is written as
 * a function over (buf, len), the bytes available so far, returning a
 * ptrdiff_t (picohttpparser's shape, with genwire's error codes):
 *
 *     > 0             complete: that many bytes of buf were consumed;
 *     GW_INCOMPLETE   (0) the bytes so far are a valid prefix: call again,
 *                     from the same start, once more bytes have arrived;
 *     < 0             a gw error code (error.h): the input is malformed.
 *
 * Such a function writes its outputs only when it returns > 0, never
 * allocates, never reads past buf[len), and gives the same answer however
 * the bytes were split between calls.  Where rescanning from the start would
 * cost O(n) per call, it keeps a resume point in a caller-owned state struct
 * (gw_linescan below), so bytes that arrive one at a time cost O(n) in all.
 * The generator that wraps it fills, calls, and yields only when it returned
 * GW_INCOMPLETE.  docs/contracts.md lists every primitive parsers share.
 */
#ifndef GENWIRE_PARSE_H
#define GENWIRE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The "not yet" result of a pure core: a valid prefix, more bytes needed. */
#define GW_INCOMPLETE 0

/* ---- Byte order ----------------------------------------------------------- */

/* gw_load_u32be: the big-endian 32-bit value at p[0..4). */
static inline uint32_t gw_load_u32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* gw_store_u32be: writes v big-endian to p[0..4). */
static inline void gw_store_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- Numbers ---------------------------------------------------------------- */

/*
 * gw_digits: the length of the run of base-`base` digits (10: 0-9; 16: 0-9,
 * a-f, A-F) at the start of p[0..n).  A parser scanning a field uses it to
 * find where the number ends: a run that reaches n may go on in bytes not
 * yet arrived.  Any other base gives 0.
 */
size_t gw_digits(const uint8_t *p, size_t n, unsigned base);

/*
 * gw_parse_u64: the unsigned number spelt by all n bytes of p, in base 10 or
 * 16, with no sign, prefix or space.  Leading zeros are accepted (a format
 * that forbids them checks p[0]).  Returns 0 with *out set; GW_ENUMBER if n
 * is 0, a byte is not a digit, or base is neither 10 nor 16; GW_ENUMBER_RANGE
 * if the value is over `max` (UINT64_MAX for no bound other than 64 bits).
 * *out is written only on success.
 */
int gw_parse_u64(const uint8_t *p, size_t n, unsigned base, uint64_t max, uint64_t *out);

/*
 * gw_parse_i64: the signed decimal number spelt by all n bytes of p: an
 * optional '-', then at least one digit.  Returns 0 with *out set (INT64_MIN
 * included), GW_ENUMBER if malformed, GW_ENUMBER_RANGE outside int64_t.
 */
int gw_parse_i64(const uint8_t *p, size_t n, int64_t *out);

/* ---- Lines ------------------------------------------------------------------ */

/* gw_linescan flags.  GW_LINE_STRICT: CRLF only, a bare CR or a bare LF is
 * an error.  GW_LINE_LAST (gw_bufreader_line): a last line without LF at end
 * of stream is a line (lenient mode only); otherwise it is GW_ETRUNCATED. */
#define GW_LINE_STRICT 1u
#define GW_LINE_LAST   2u

/*
 * The state of one line scan: set max and flags, zero the rest (or call
 * gw_linescan_init), then call gw_line_scan with the same line start until
 * it returns nonzero.  It can then be reused for the next line as is.
 */
typedef struct gw_linescan {
    size_t max;     /* the longest line content allowed, terminator excluded */
    unsigned flags; /* GW_LINE_* */
    size_t scanned; /* resume point: bytes of the current line already searched */
    size_t len;     /* out, on success: the content length, terminator excluded */
    size_t bad;     /* out, on error: where the error is, as an index from the line start */
} gw_linescan;

/* gw_linescan_init: a scan of lines of at most max bytes with flags. */
static inline void gw_linescan_init(gw_linescan *ls, size_t max, unsigned flags)
{
    ls->max = max;
    ls->flags = flags;
    ls->scanned = 0;
    ls->len = 0;
    ls->bad = 0;
}

/*
 * gw_line_scan: looks for the end of the line that starts at p[0], p[0..n)
 * being the bytes available.  A line ends at LF; in lenient mode (the
 * default) a CR just before the LF is part of the terminator and a CR
 * elsewhere is content; with GW_LINE_STRICT it must end in CRLF and any
 * other CR or LF is an error.  The limit applies to the content, so it does
 * not depend on whether the LF has arrived yet.
 *
 * Returns (the pure-core convention):
 *   > 0            the line is complete: its length with the terminator;
 *                  ls->len is the content length; ls->scanned is reset;
 *   GW_INCOMPLETE  no terminator yet and the line may still fit; ls->scanned
 *                  remembers how far it looked (each byte is examined once
 *                  however the bytes arrive);
 *   GW_ELINE_TOO_LONG   the content is longer than ls->max (ls->bad = 0);
 *   GW_EBARE_CR, GW_EBARE_LF   strict mode (ls->bad = the byte's index).
 * Never suspends, never allocates.
 */
ptrdiff_t gw_line_scan(gw_linescan *ls, const uint8_t *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_PARSE_H */
