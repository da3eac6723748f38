/*
 * Differential fuzz harness: the inflate layer on its two backends, zlib and
 * ISA-L (parsers/compress/), over the same arbitrary bytes.  Built only where
 * ISA-L is (fuzz/meson.build).
 *
 * Input: byte 0 picks the format (bits 0-1: gzip, zlib, deflate, auto),
 * GW_INFLATE_STOP_AT_END (bit 2) and an output cap (bit 3, its value from
 * byte 3); byte 1 seeds the feed schedule (0: whole), byte 2 its largest
 * piece; byte 3 also picks the read size; the rest is the stream.
 *
 * Properties (compress.h, "Backend differences"): both accept or both
 * refuse; the bytes agree as far as both go; what both accept decodes to the
 * same bytes, and with STOP_AT_END both leave the bufreader at the same
 * offset; errors in headers, trailers, truncation and trailing data come
 * with the same code at the same offset after the same bytes; over the cap
 * both deliver exactly the cap; the verdicts differ only in the three ways
 * compress.h lists (see agree()).  ISA-L fed in pieces and over memory are
 * each held to this.
 */
#include <string.h>

#include <genwire/compress.h>

#include "fuzz.h"
#include "inflate-common.h"

/* Decodes on backend be, through a pipe in pieces or (mem) from memory;
 * *left gets the bufreader's offset at the end, *msg gw_inflate_msg. */
static void decode(const uint8_t *in, size_t len, const gw_inflate_opts *o, gw_inflate_backend be,
                   size_t readsize, uint64_t seed, unsigned maxpiece, int mem, fz_result *out,
                   uint64_t *left, const char **msg)
{
    gw_inflate_opts opts = *o;
    fz_inflate_shape sh = {211, GW_INFLATE_ISAL_MIN_BUFFER, readsize, seed, maxpiece, mem};
    fz_inflate_end end;

    opts.backend = be;
    fz_inflate(in, len, &opts, &sh, out, &end);
    *left = end.left;
    *msg = end.msg;
}

/* Whether both outputs agree on the bytes they have in common. */
static int common_prefix(const fz_result *a, const fz_result *b)
{
    size_t n = a->len < b->len ? a->len : b->len;

    return n == 0 || memcmp(a->data, b->data, n) == 0;
}

/* Whether zlib's message says it refused the Huffman code set of a dynamic
 * block header (incomplete, over-subscribed, or without an end-of-block
 * code): the first difference of compress.h. */
static int code_set_refused(const char *msg)
{
    static const char *const words[] = {"invalid code lengths set", "invalid literal/lengths set",
                                        "invalid distances set",
                                        "invalid code -- missing end-of-block"};
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(msg, words[i]) == 0)
            return 1;
    return 0;
}

/*
 * b (ISA-L) against a (zlib; amsg its message), as compress.h's "Backend
 * differences" allow them to differ, and in no other way:
 *   1. zlib refuses a code set at a dynamic block header where ISA-L
 *      decodes on: ISA-L may then accept the stream (if no code it lacks
 *      is used and the checksum holds) or fail in any way later;
 *   2. ISA-L refuses a block header (GW_EZ_DATA) that zlib, the input
 *      ended, reports as GW_ETRUNCATED;
 *   3. ISA-L, decoding ahead, finds corrupt data (GW_EZ_DATA) past the
 *      output cap where zlib stops at the cap (GW_EOUTPUT_LIMIT);
 * and the input ending inside the deflate data (GW_ETRUNCATED on both, at
 * the same offset), ISA-L may deliver fewer of the last bytes.  Whatever the
 * verdicts, the bytes agree as far as both go.
 */
static void agree(const fz_result *a, const char *amsg, uint64_t aleft, const fz_result *b,
                  uint64_t bleft, const char *what)
{
    fz_check(common_prefix(a, b), "the same bytes, as far as both go");
    if (a->err == GW_EZ_DATA && code_set_refused(amsg))
        return;
    fz_check((a->err == 0) == (b->err == 0), "both accept or both refuse");
    if (a->err != b->err) {
        fz_check(b->err == GW_EZ_DATA && (a->err == GW_ETRUNCATED || a->err == GW_EOUTPUT_LIMIT),
                 what);
        return;
    }
    if (a->err == GW_EZ_DATA)
        return;
    if (a->err == GW_ETRUNCATED)
        fz_check(b->len <= a->len, "truncated: no more bytes than zlib");
    else
        fz_check(a->len == b->len, "the same number of bytes");
    if (a->err != GW_EOUTPUT_LIMIT && a->err != GW_ERATIO_LIMIT)
        fz_check(a->off == b->off, "the same error offset");
    if (a->err == 0)
        fz_check(aleft == bleft, "the stream ends at the same offset");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t readsizes[] = {1, 13, 512, 65536};
    fz_result zl, is, ism;
    uint64_t zleft, isleft, ismleft;
    const char *zmsg, *ismsg;
    gw_inflate_opts o;
    const uint8_t *in;
    size_t len, readsize;
    uint64_t seed;
    unsigned maxpiece;

    if (size < 4 || !gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL))
        return 0;
    in = data + 4;
    len = size - 4;
    gw_inflate_opts_default(&o);
    o.format = (gw_zformat)(data[0] & 3);
    o.max_output = 1u << 20;
    o.max_ratio = (uint32_t)GW_UNLIMITED; /* ISA-L may stop elsewhere (compress.h) */
    if (data[0] & 4)
        o.flags = GW_INFLATE_STOP_AT_END;
    if (data[0] & 8)
        o.max_output = 1 + (uint64_t)data[3] * 251;
    seed = data[1] ? data[1] | 0x100u : 0;
    maxpiece = 1 + data[2] % 200;
    readsize = readsizes[data[3] & 3];
    memset(&zl, 0, sizeof(zl));
    memset(&is, 0, sizeof(is));
    memset(&ism, 0, sizeof(ism));
    decode(in, len, &o, GW_INFLATE_BACKEND_ZLIB, readsize, seed, maxpiece, 0, &zl, &zleft, &zmsg);
    decode(in, len, &o, GW_INFLATE_BACKEND_ISAL, readsize, seed, maxpiece, 0, &is, &isleft, &ismsg);
    decode(in, len, &o, GW_INFLATE_BACKEND_ISAL, 65536, 0, 1, 1, &ism, &ismleft, &ismsg);
    agree(&zl, zmsg, zleft, &is, isleft, "zlib vs ISA-L, fed in pieces");
    agree(&zl, zmsg, zleft, &ism, ismleft, "zlib vs ISA-L over memory");
    fz_result_free(&zl);
    fz_result_free(&is);
    fz_result_free(&ism);
    return 0;
}
