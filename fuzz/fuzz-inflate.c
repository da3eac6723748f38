/*
 * Fuzz harness: the inflate layer (parsers/compress/inflate.c) over a memory
 * pipe and a bufreader, on arbitrary bytes.
 *
 * Input: byte 0 picks the format (bits 0-1: gzip, zlib, deflate, auto) and
 * which limits apply (bit 2: an output cap, bit 3: a ratio limit); byte 1 the
 * bufreader's capacity (bits 0-1) and the read size (bits 2-3); byte 2 the
 * limit's value; byte 3 the feed schedule's seed (0: whole), byte 4 its
 * largest piece; the rest is the compressed stream.
 *
 * Properties: the split feed gives the same output, error and error offset
 * as the whole feed, and so does a decode from memory with other buffer
 * sizes; all agree with zlib's inflate() run over the whole input in one
 * buffer, with the same rules for members and trailing data; over a limit,
 * the output is exactly the cap (or within the ratio) and a prefix of
 * zlib's.
 */
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include <genwire/compress.h>

#include "fuzz.h"
#include "inflate-common.h"

/* The harness never lets the output grow past this. */
#define MAX_OUT (1u << 20)

/* zlib's verdict as the layer reports it. */
static int map_error(const z_stream *zs, int zr)
{
    static const struct {
        const char *msg;
        int err;
    } v[] = {
        {"incorrect header check", GW_EZ_HEADER}, {"unknown compression method", GW_EZ_HEADER},
        {"invalid window size", GW_EZ_HEADER},    {"unknown header flags set", GW_EZ_HEADER},
        {"header crc mismatch", GW_EZ_HEADER},    {"incorrect data check", GW_EZ_CHECKSUM},
        {"incorrect length check", GW_EZ_LENGTH},
    };
    size_t i;

    if (zr == Z_NEED_DICT)
        return GW_EZ_HEADER;
    if (zr == Z_MEM_ERROR)
        return GW_ENOMEM;
    if (zr != Z_DATA_ERROR || zs->msg == NULL)
        return GW_ELIBRARY;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        if (strcmp(zs->msg, v[i].msg) == 0)
            return v[i].err;
    return GW_EZ_DATA;
}

/*
 * The reference: zlib's inflate() over the whole input with one large output
 * buffer, members and trailing data handled as compress.h says.  Stops once
 * the output passes `stop` bytes (over = 1).
 */
static void reference(const uint8_t *in, size_t len, gw_zformat fmt, size_t stop, fz_result *out,
                      int *over)
{
    static const int wbits[] = {15 + 16, 15, -15, 15 + 32};
    static uint8_t buf[65536];
    z_stream zs;
    size_t pos = 0, start = 0, used, made;
    int gzip = fmt == GW_ZFORMAT_GZIP, members = 0, zr;

    *over = 0;
    memset(&zs, 0, sizeof(zs));
    fz_check(inflateInit2(&zs, wbits[fmt]) == Z_OK, "reference init");
    if (fmt == GW_ZFORMAT_AUTO && len > 0)
        gzip = in[0] == 0x1f;
    for (;;) {
        zs.next_in = in + pos;
        zs.avail_in = (uInt)(len - pos);
        zs.next_out = buf;
        zs.avail_out = sizeof(buf);
        zr = inflate(&zs, Z_NO_FLUSH);
        used = (len - pos) - zs.avail_in;
        made = sizeof(buf) - zs.avail_out;
        pos += used;
        fz_result_bytes(out, buf, made);
        if (out->len > stop) {
            *over = 1;
            break;
        }
        if (zr == Z_STREAM_END) {
            members++;
            if (pos == len)
                break;
            if (!gzip || in[pos] != 0x1f) {
                out->err = GW_ETRAILING_DATA;
                out->off = pos;
                break;
            }
            fz_check(inflateReset2(&zs, 15 + 16) == Z_OK, "reference reset");
            start = pos;
            continue;
        }
        if (zr == Z_OK && (used > 0 || made > 0))
            continue;
        if (zr == Z_OK || zr == Z_BUF_ERROR) {
            fz_check(pos == len, "reference starved with input left");
            out->err = GW_ETRUNCATED;
            out->off = len;
            break;
        }
        out->err = map_error(&zs, zr);
        out->off = pos > 0 ? pos - 1 : 0;
        if (out->err == GW_EZ_HEADER && members > 0 && gzip && pos - start <= 2) {
            out->err = GW_ETRAILING_DATA;
            out->off = start;
        }
        break;
    }
    inflateEnd(&zs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t bufcaps[] = {1, 7, 64, 4096};
    static const size_t readsizes[] = {1, 13, 512, 65536};
    fz_result whole, split, mem, ref;
    gw_inflate_opts o;
    const uint8_t *in;
    size_t len, stop;
    fz_inflate_shape sh = {97, 0, 0, 0, 1, 0}, memsh = {97, 4096, 65536, 0, 1, 1};
    int over;

    if (size < 5)
        return 0;
    in = data + 5;
    len = size - 5;
    gw_inflate_opts_default(&o);
    o.backend = GW_INFLATE_BACKEND_ZLIB; /* zlib's own verdicts are the reference here */
    o.format = (gw_zformat)(data[0] & 3);
    o.max_output = MAX_OUT;
    if (data[0] & 4)
        o.max_output = 1 + (uint64_t)data[2] * 97;
    if (data[0] & 8)
        o.max_ratio = 1 + data[2] % 16;
    sh.bufcap = bufcaps[data[1] & 3];
    sh.readsize = readsizes[(data[1] >> 2) & 3];
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&mem, 0, sizeof(mem));
    memset(&ref, 0, sizeof(ref));
    fz_inflate(in, len, &o, &sh, &whole, NULL);
    sh.seed = data[3] | 0x100u;
    sh.maxpiece = 1 + data[4] % 64;
    fz_inflate(in, len, &o, &sh, &split, NULL);
    fz_inflate(in, len, &o, &memsh, &mem, NULL);
    fz_result_same(&whole, &split, "whole vs split feed");
    fz_result_same(&whole, &mem, "pipe vs memory");

    stop = (size_t)o.max_output;
    reference(in, len, o.format, stop, &ref, &over);
    fz_check(whole.len <= o.max_output, "never past the cap");
    if (o.max_ratio != 0)
        fz_check(whole.len <= (uint64_t)o.max_ratio * len, "never past the ratio");
    if (whole.err == GW_EOUTPUT_LIMIT) {
        fz_check(over, "a cap error only when zlib gives more");
        fz_check(whole.len == o.max_output, "exactly the cap delivered");
        fz_check(memcmp(whole.data, ref.data, whole.len) == 0, "the output is zlib's");
    } else if (whole.err == GW_ERATIO_LIMIT) {
        fz_check(ref.len > whole.len, "a ratio error only when zlib gives more");
        fz_check(whole.len <= (uint64_t)o.max_ratio * (whole.off - 0), "within the ratio");
        fz_check(whole.len == 0 || memcmp(whole.data, ref.data, whole.len) == 0,
                 "the output is zlib's");
    } else {
        fz_check(!over, "zlib gave more than the cap without a cap error");
        fz_result_same(&whole, &ref, "layer vs zlib inflate()");
    }
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&mem);
    fz_result_free(&ref);
    return 0;
}
