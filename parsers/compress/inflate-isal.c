/*
 * The ISA-L backend of the inflate layer (parsers/compress/zback.h): Intel's
 * isal_inflate decodes the raw deflate data, straight out of the bufreader's
 * buffer into the caller's, and computes the CRC-32 or Adler-32 of what it
 * writes.  The gzip and zlib headers and trailers are parsed here, byte by
 * byte, with zlib's checks in zlib's order and at zlib's offsets, so that
 * both backends accept and refuse the same headers and report them alike
 * (ISA-L alone accepts reserved gzip flags, and reports a bad CRC and a bad
 * length as one error).
 *
 * ISA-L reads ahead: bytes it took may still sit in its bit buffer or its
 * small input buffer.  Those bytes stay in the bufreader (z->_ahead counts
 * them) until ISA-L has decoded past them, so the layer's offsets are where
 * ISA-L's decoding stands, and when the deflate data ends the trailer and
 * whatever follows the stream are still in the bufreader, where STOP_AT_END
 * leaves them for the next reader.
 */
#include <stddef.h>
#include <string.h>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "genwire/alloc.h"
#include "parsers/compress/zback.h"

/* Where the backend is in a stream. */
enum {
    P_MAGIC = 0,  /* gzip ID1 ID2, or the zlib CMF FLG (auto: either) */
    P_GZ_METHOD,  /* gzip CM FLG */
    P_GZ_FIXED,   /* gzip MTIME XFL OS: 6 bytes */
    P_GZ_XLEN,    /* gzip XLEN: 2 bytes */
    P_GZ_EXTRA,   /* gzip extra field: XLEN bytes */
    P_GZ_NAME,    /* gzip file name, to its NUL */
    P_GZ_COMMENT, /* gzip comment, to its NUL */
    P_GZ_HCRC,    /* gzip header CRC-16: 2 bytes */
    P_ZL_DICTID,  /* zlib DICTID: 4 bytes, then the refusal */
    P_BODY,       /* ISA-L decodes the deflate data */
    P_TRAILER     /* gzip CRC32 ISIZE or zlib ADLER32 */
};

/* gzip FLG bits. */
#define FHCRC    0x02u
#define FEXTRA   0x04u
#define FNAME    0x08u
#define FCOMMENT 0x10u

typedef struct isal_back {
    struct inflate_state st; /* ISA-L's state */
    int phase;               /* P_* */
    int wrap;                /* GW_ZFORMAT_GZIP, _ZLIB or _DEFLATE, once known */
    unsigned flags;          /* gzip FLG */
    uint32_t got;            /* bytes of the current field so far */
    uint32_t xlen;           /* gzip XLEN */
    uint32_t hcrc;           /* CRC-32 of the gzip header so far */
    uint8_t b[8];            /* the bytes of the current fixed-size field */
} isal_back;

static int ib_start(isal_back *b, int wrap)
{
    isal_inflate_init(&b->st);
    b->wrap = wrap;
    b->phase = wrap == GW_ZFORMAT_DEFLATE ? P_BODY : P_MAGIC;
    b->got = 0;
    b->hcrc = 0;
    b->flags = 0;
    b->st.crc_flag = wrap == GW_ZFORMAT_GZIP   ? ISAL_GZIP_NO_HDR
                     : wrap == GW_ZFORMAT_ZLIB ? ISAL_ZLIB_NO_HDR
                                               : ISAL_DEFLATE;
    return 0;
}

static int ib_init(gw_inflate *z)
{
    isal_back *b = gw_malloc(sizeof(*b));

    if (b == NULL)
        return GW_ENOMEM;
    /* Not zeroed: the state is large (ISA-L's output window) and
     * isal_inflate_init sets up what it needs. */
    memset(b, 0, offsetof(isal_back, st));
    memset(&b->st, 0, offsetof(struct inflate_state, tmp_in_buffer));
    b->phase = P_MAGIC;
    ib_start(b, z->opts.format);
    z->_bs = b;
    return 0;
}

static int ib_next_member(gw_inflate *z)
{
    z->_ahead = 0;
    return ib_start(z->_bs, GW_ZFORMAT_GZIP);
}

/* The phase after the fixed gzip header, given FLG. */
static int after_fixed(const isal_back *b, int from)
{
    if (from < P_GZ_XLEN && (b->flags & FEXTRA))
        return P_GZ_XLEN;
    if (from < P_GZ_NAME && (b->flags & FNAME))
        return P_GZ_NAME;
    if (from < P_GZ_COMMENT && (b->flags & FCOMMENT))
        return P_GZ_COMMENT;
    if (from < P_GZ_HCRC && (b->flags & FHCRC))
        return P_GZ_HCRC;
    return P_BODY;
}

/* Collects one byte of a fixed-size field of n bytes; nonzero once whole. */
static int field(isal_back *b, uint8_t c, uint32_t n)
{
    b->b[b->got++] = c;
    if (b->got < n)
        return 0;
    b->got = 0;
    return 1;
}

/* The 2 bytes of a zlib header (CMF FLG): zlib's checks in zlib's order. */
static int zlib_header(isal_back *b, const char **msg)
{
    unsigned cmf = b->b[0], flg = b->b[1];

    *msg = NULL;
    if ((cmf * 256 + flg) % 31 != 0) {
        *msg = "incorrect header check";
        return GW_EZ_HEADER;
    }
    if ((cmf & 0x0f) != 8) {
        *msg = "unknown compression method";
        return GW_EZ_HEADER;
    }
    if ((cmf >> 4) + 8 > 15) {
        *msg = "invalid window size";
        return GW_EZ_HEADER;
    }
    b->wrap = GW_ZFORMAT_ZLIB;
    b->st.crc_flag = ISAL_ZLIB_NO_HDR;
    b->phase = (flg & 0x20) ? P_ZL_DICTID : P_BODY;
    return 0;
}

/*
 * One header byte c: moves the header parser on.  Returns 0 or an error
 * (with *msg) found in this byte.
 */
static int header_byte(isal_back *b, uint8_t c, const char **msg)
{
    /* The header CRC covers every header byte before it. */
    if (b->phase != P_GZ_HCRC)
        b->hcrc = (uint32_t)crc32(b->hcrc, &c, 1);
    switch (b->phase) {
    case P_MAGIC:
        if (!field(b, c, 2))
            return 0;
        if (b->wrap != GW_ZFORMAT_ZLIB && b->b[0] == 0x1f && b->b[1] == 0x8b) {
            b->wrap = GW_ZFORMAT_GZIP;
            b->st.crc_flag = ISAL_GZIP_NO_HDR;
            b->phase = P_GZ_METHOD;
            return 0;
        }
        if (b->wrap == GW_ZFORMAT_GZIP) {
            *msg = "incorrect header check";
            return GW_EZ_HEADER;
        }
        return zlib_header(b, msg);
    case P_GZ_METHOD:
        if (!field(b, c, 2))
            return 0;
        if (b->b[0] != 8) {
            *msg = "unknown compression method";
            return GW_EZ_HEADER;
        }
        if (b->b[1] & 0xe0) {
            *msg = "unknown header flags set";
            return GW_EZ_HEADER;
        }
        b->flags = b->b[1];
        b->phase = P_GZ_FIXED;
        return 0;
    case P_GZ_FIXED:
        if (field(b, c, 6))
            b->phase = after_fixed(b, P_GZ_FIXED);
        return 0;
    case P_GZ_XLEN:
        if (!field(b, c, 2))
            return 0;
        b->xlen = b->b[0] | (uint32_t)b->b[1] << 8;
        b->phase = b->xlen > 0 ? P_GZ_EXTRA : after_fixed(b, P_GZ_EXTRA);
        return 0;
    case P_GZ_EXTRA:
        if (++b->got == b->xlen) {
            b->got = 0;
            b->phase = after_fixed(b, P_GZ_EXTRA);
        }
        return 0;
    case P_GZ_NAME:
    case P_GZ_COMMENT:
        if (c == 0)
            b->phase = after_fixed(b, b->phase);
        return 0;
    case P_GZ_HCRC:
        if (!field(b, c, 2))
            return 0;
        if ((b->b[0] | (uint32_t)b->b[1] << 8) != (b->hcrc & 0xffffu)) {
            *msg = "header crc mismatch";
            return GW_EZ_HEADER;
        }
        b->phase = P_BODY;
        return 0;
    case P_ZL_DICTID:
        if (!field(b, c, 4))
            return 0;
        *msg = "preset dictionary not supported";
        return GW_EZ_HEADER;
    }
    return 0;
}

/* One trailer byte c; returns 1 once the trailer is whole and right, 0 for
 * more, or an error (with *msg) found in this byte. */
static int trailer_byte(isal_back *b, uint8_t c, const char **msg)
{
    uint32_t want;

    b->b[b->got++] = c;
    if (b->wrap == GW_ZFORMAT_ZLIB) {
        if (b->got < 4)
            return 0;
        want = (uint32_t)b->b[0] << 24 | (uint32_t)b->b[1] << 16 | (uint32_t)b->b[2] << 8 | b->b[3];
        if (want != b->st.crc) {
            *msg = "incorrect data check";
            return GW_EZ_CHECKSUM;
        }
        return 1;
    }
    if (b->got == 4) {
        want = b->b[0] | (uint32_t)b->b[1] << 8 | (uint32_t)b->b[2] << 16 | (uint32_t)b->b[3] << 24;
        if (want != b->st.crc) {
            *msg = "incorrect data check";
            return GW_EZ_CHECKSUM;
        }
    }
    if (b->got < 8)
        return 0;
    want = b->b[4] | (uint32_t)b->b[5] << 8 | (uint32_t)b->b[6] << 16 | (uint32_t)b->b[7] << 24;
    if (want != b->st.total_out) {
        *msg = "incorrect length check";
        return GW_EZ_LENGTH;
    }
    return 1;
}

/* ISA-L's verdict r as a genwire error. */
static int isal_error(int r, const char **msg)
{
    switch (r) {
    case ISAL_INVALID_BLOCK:
        *msg = "invalid deflate block";
        return GW_EZ_DATA;
    case ISAL_INVALID_SYMBOL:
        *msg = "invalid deflate code";
        return GW_EZ_DATA;
    case ISAL_INVALID_LOOKBACK:
        *msg = "invalid distance too far back";
        return GW_EZ_DATA;
    default:
        *msg = "ISA-L failed";
        return GW_ELIBRARY;
    }
}

/* The deflate data: one isal_inflate call over what follows in[*pos +
 * z->_ahead].  Returns 0, 1 when the deflate data ended, or an error. */
static int body(gw_inflate *z, isal_back *b, const uint8_t *in, size_t len, size_t *pos,
                uint8_t *out, size_t *made, const char **msg)
{
    size_t start = *pos + z->_ahead, give = len - start, room = *made, hold, seen;
    int r;

    if (give > UINT32_MAX)
        give = UINT32_MAX;
    if (room > UINT32_MAX)
        room = UINT32_MAX;
    b->st.next_in = (uint8_t *)(uintptr_t)(in + start);
    b->st.avail_in = (uint32_t)give;
    b->st.next_out = out;
    b->st.avail_out = (uint32_t)room;
    r = isal_inflate(&b->st);
    *made = room - b->st.avail_out;
    /* After an error ISA-L's avail_in can be off (it may even wrap): where
     * next_in stands is what it read. */
    seen = (size_t)(b->st.next_in - (in + start));
    if (seen > give)
        seen = give;
    seen += z->_ahead;
    hold = (size_t)(b->st.read_in_length / 8) + (size_t)b->st.tmp_in_size;
    if (hold > seen)
        hold = seen;
    *pos += seen - hold;
    z->_ahead = hold;
    if (r < 0)
        return isal_error(r, msg);
    if (b->st.block_state != ISAL_BLOCK_FINISH || b->st.tmp_out_valid > b->st.tmp_out_processed)
        return 0;
    /* The deflate data ended: the bytes ISA-L holds are the trailer's (or
     * whatever follows), and are still in the bufreader. */
    z->_ahead = 0;
    b->got = 0;
    b->phase = P_TRAILER;
    return 1;
}

static int ib_run(gw_inflate *z, const uint8_t *in, size_t *in_len, uint8_t *out, size_t *out_len,
                  const char **msg, size_t *err_at)
{
    isal_back *b = z->_bs;
    size_t len = *in_len, pos = 0, made = 0, room = *out_len;
    int rc = 0;

    *msg = NULL;
    while (b->phase < P_BODY && pos < len) {
        rc = header_byte(b, in[pos], msg);
        if (rc < 0) {
            *err_at = pos + 1;
            goto out;
        }
        pos++;
    }
    if (b->phase == P_BODY) {
        made = room;
        rc = body(z, b, in, len, &pos, out, &made, msg);
        if (rc < 0) {
            *err_at = pos > 0 ? pos : 1;
            goto out;
        }
        if (rc == 1 && b->wrap == GW_ZFORMAT_DEFLATE) {
            rc = GW__ZB_END;
            goto out;
        }
    }
    rc = GW__ZB_OK;
    while (b->phase == P_TRAILER && pos < len) {
        int t = trailer_byte(b, in[pos], msg);
        if (t < 0) {
            rc = t;
            *err_at = pos + 1;
            goto out;
        }
        pos++;
        if (t == 1) {
            rc = GW__ZB_END;
            break;
        }
    }
out:
    *in_len = pos;
    *out_len = made;
    return rc;
}

static void ib_end(gw_inflate *z)
{
    gw_free(z->_bs);
    z->_bs = NULL;
}

const gw__zback gw__zback_isal = {"isal", ib_init, ib_next_member, ib_run, ib_end};
