/*
 * The zlib backend of the inflate layer (parsers/compress/zback.h): zlib's
 * streaming inflate() parses the gzip and zlib headers and trailers itself,
 * byte by byte, and reads straight out of the bufreader's buffer into the
 * caller's.  zlib never holds input back (z->_ahead stays 0): what it took
 * is decoded or in its bit accumulator.  This file only maps zlib's verdicts
 * to genwire errors; the layer does the rest.
 */
#include <limits.h>
#include <string.h>

#include "genwire/alloc.h"
#include "parsers/compress/zback.h"
#include "parsers/compress/zcommon.h"

/* zlib's messages for Z_DATA_ERROR that are not about the compressed data
 * itself; any other message is GW_EZ_DATA. */
static const struct {
    const char *msg;
    int err;
} zlib_verdicts[] = {
    {"incorrect header check", GW_EZ_HEADER}, {"unknown compression method", GW_EZ_HEADER},
    {"invalid window size", GW_EZ_HEADER},    {"unknown header flags set", GW_EZ_HEADER},
    {"header crc mismatch", GW_EZ_HEADER},    {"incorrect data check", GW_EZ_CHECKSUM},
    {"incorrect length check", GW_EZ_LENGTH},
};

static int zb_init(gw_inflate *z)
{
    static const int window_bits[GW_ZFORMAT_NFORMATS] = {15 + 16, 15, -15, 15 + 32};
    z_stream *zs;
    int zr;

    if ((zs = gw_malloc(sizeof(*zs))) == NULL)
        return GW_ENOMEM;
    gw__zstream_setup(zs);
    zr = inflateInit2(zs, window_bits[z->opts.format]);
    if (zr != Z_OK) {
        gw_free(zs);
        return zr == Z_MEM_ERROR ? GW_ENOMEM : GW_ELIBRARY;
    }
    z->_bs = zs;
    return 0;
}

static int zb_next_member(gw_inflate *z)
{
    return inflateReset2(z->_bs, 15 + 16) == Z_OK ? 0 : GW_ELIBRARY;
}

/* Turns zlib's verdict zr (after it read `used` bytes) into a genwire error. */
static int verdict(const z_stream *zs, int zr, size_t used, const char **msg, size_t *err_at)
{
    size_t i;

    /* The last byte zlib read is the one in which it found the error; when
     * this call read none, that byte came in an earlier call (zlib may find
     * an error in bits it already holds, depending on how the input came). */
    *err_at = used;
    *msg = NULL;
    if (zr == Z_MEM_ERROR)
        return GW_ENOMEM;
    if (zr == Z_NEED_DICT) {
        *msg = "preset dictionary not supported";
        return GW_EZ_HEADER;
    }
    *msg = zs->msg;
    if (zr != Z_DATA_ERROR || zs->msg == NULL)
        return GW_ELIBRARY;
    for (i = 0; i < sizeof(zlib_verdicts) / sizeof(zlib_verdicts[0]); i++)
        if (strcmp(zs->msg, zlib_verdicts[i].msg) == 0)
            return zlib_verdicts[i].err;
    return GW_EZ_DATA;
}

static int zb_run(gw_inflate *z, const uint8_t *in, size_t *in_len, uint8_t *out, size_t *out_len,
                  const char **msg, size_t *err_at)
{
    z_stream *zs = z->_bs;
    size_t avail = *in_len, room = *out_len;
    int zr;

    if (avail > UINT_MAX)
        avail = UINT_MAX;
    if (room > UINT_MAX)
        room = UINT_MAX;
    zs->next_in = in;
    zs->avail_in = (uInt)avail;
    zs->next_out = out;
    zs->avail_out = (uInt)room;
    zr = inflate(zs, Z_NO_FLUSH);
    *in_len = avail - zs->avail_in;
    *out_len = room - zs->avail_out;
    if (zr == Z_STREAM_END)
        return GW__ZB_END;
    if (zr == Z_OK || zr == Z_BUF_ERROR)
        return GW__ZB_OK;
    return verdict(zs, zr, *in_len, msg, err_at);
}

static void zb_end(gw_inflate *z)
{
    if (z->_bs == NULL)
        return;
    inflateEnd(z->_bs);
    gw_free(z->_bs);
    z->_bs = NULL;
}

const gw__zback gw__zback_zlib = {"zlib", zb_init, zb_next_member, zb_run, zb_end};
