/*
 * The record formats' names, the limits' defaults, and the pure core of a
 * record header (gw_frame_header_parse in include/genwire/frame.h): a
 * length prefix, a varint or a netstring's "<digits>:" parsed from bytes,
 * with no reader, no state and no allocation.  The record reader
 * (records.c) and anyone embedding the formats without generators use it.
 */
#include "genwire/frame.h"

#include <string.h>

#include "genwire/parse.h"

static const char *const format_names[GW_FRAME_NFORMATS] = {
    "u8", "u16be", "u16le", "u32be", "u32le", "u64be", "u64le", "varint", "lines", "netstring",
};

int gw_frame_format_parse(const char *name, gw_frame_format *out)
{
    int i;

    for (i = 0; i < GW_FRAME_NFORMATS; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (gw_frame_format)i;
            return 0;
        }
    }
    return GW_EINVAL;
}

const char *gw_frame_format_name(gw_frame_format fmt)
{
    return (unsigned)fmt < GW_FRAME_NFORMATS ? format_names[fmt] : "?";
}

void gw_frame_limits_default(gw_frame_limits *l)
{
    l->max_record = GW_FRAME_DEFAULT_MAX_RECORD;
    l->max_line = GW_FRAME_DEFAULT_MAX_LINE;
    l->max_empty = 0;
}

int gw_frame_header_parse(gw_frame_format fmt, const void *buf, size_t len, uint64_t *plen,
                          size_t *bad)
{
    static const unsigned char width[] = {1, 2, 2, 4, 4, 8, 8};
    const uint8_t *p = buf;
    uint64_t v = 0;
    size_t i, w, at = 0;
    int rc = GW_EINVAL;

    switch (fmt) {
    case GW_FRAME_U8:
    case GW_FRAME_U16BE:
    case GW_FRAME_U32BE:
    case GW_FRAME_U64BE:
        w = width[fmt];
        if (len < w)
            return 0;
        for (i = 0; i < w; i++)
            v = v << 8 | p[i];
        *plen = v;
        return (int)w;
    case GW_FRAME_U16LE:
    case GW_FRAME_U32LE:
    case GW_FRAME_U64LE:
        w = width[fmt];
        if (len < w)
            return 0;
        for (i = w; i-- > 0;)
            v = v << 8 | p[i];
        *plen = v;
        return (int)w;
    case GW_FRAME_VARINT:
        /* At most 10 bytes; the 10th holds bit 63 only, so it is 0 or 1. */
        for (i = 0; i < len && i < 10; i++) {
            if (i == 9 && p[i] > 1) {
                at = i;
                rc = GW_EVARINT;
                goto bad;
            }
            v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
            if (!(p[i] & 0x80)) {
                *plen = v;
                return (int)i + 1;
            }
        }
        return 0;
    case GW_FRAME_NETSTRING:
        /* 1 to 20 digits, no leading zero but "0:", then ':'.  The checks
         * go in stream order, so the answer does not depend on how much of
         * the header has arrived.  One rule for a length too long: 21
         * digits or more (at least 10^20, with no leading zero), or 20
         * above 2^64 - 1, is a length over any limit, reported as such at
         * the header's start as soon as the digits seen say so, however
         * many more follow. */
        w = gw_digits(p, len < 21 ? len : 21, 10);
        rc = GW_ENETSTRING;
        if (w >= 2 && p[0] == '0') {
            at = 1;
            goto bad;
        }
        if (w > 20 || (w == 20 && gw_parse_u64(p, 20, 10, UINT64_MAX, &v) != 0)) {
            rc = GW_ERECORD_TOO_LARGE;
            goto bad;
        }
        if (w == len)
            return 0;
        if (w == 0 || p[w] != ':') {
            at = w;
            goto bad;
        }
        if (gw_parse_u64(p, w, 10, UINT64_MAX, plen) != 0)
            goto bad;
        return (int)w + 1;
    case GW_FRAME_LINES:
    case GW_FRAME_NFORMATS:
        break;
    }
bad:
    if (bad != NULL)
        *bad = at;
    return rc;
}
