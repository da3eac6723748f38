/*
 * What the compression layers share (include/genwire/compress.h): the
 * format names and zlib's allocation callbacks, which send every allocation
 * zlib makes through gw_malloc / gw_free so that tests can count and fail
 * them.  No compression happens here.
 */
#include "genwire/compress.h"

#include <stdint.h>
#include <string.h>

#include "genwire/alloc.h"
#include "parsers/compress/zback.h"
#include "parsers/compress/zcommon.h"

static const char *const format_names[GW_ZFORMAT_NFORMATS] = {"gzip", "zlib", "deflate", "auto"};

int gw_zformat_parse(const char *name, gw_zformat *out)
{
    int i;

    if (name == NULL)
        return GW_EINVAL;
    for (i = 0; i < GW_ZFORMAT_NFORMATS; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (gw_zformat)i;
            return 0;
        }
    }
    return GW_EINVAL;
}

const char *gw_zformat_name(gw_zformat fmt)
{
    if ((unsigned)fmt >= GW_ZFORMAT_NFORMATS)
        return "?";
    return format_names[fmt];
}

voidpf gw__zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size != 0 && items > SIZE_MAX / size)
        return Z_NULL;
    return gw_malloc((size_t)items * size);
}

void gw__zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    gw_free(p);
}

void gw__zstream_setup(z_stream *zs)
{
    memset(zs, 0, sizeof(*zs));
    zs->zalloc = gw__zalloc;
    zs->zfree = gw__zfree;
    zs->opaque = Z_NULL;
}

/* ---- inflate backends ---------------------------------------------------- */

static const char *const backend_names[GW_INFLATE_BACKEND_COUNT] = {"default", "zlib", "isal"};

int gw_inflate_backend_parse(const char *name, gw_inflate_backend *out)
{
    int i;

    if (name == NULL)
        return GW_EINVAL;
    for (i = 0; i < GW_INFLATE_BACKEND_COUNT; i++) {
        if (strcmp(name, backend_names[i]) == 0) {
            *out = (gw_inflate_backend)i;
            return 0;
        }
    }
    return GW_EINVAL;
}

const char *gw_inflate_backend_name(gw_inflate_backend b)
{
    if ((unsigned)b >= GW_INFLATE_BACKEND_COUNT)
        return "?";
    return backend_names[b];
}

int gw_inflate_backend_available(gw_inflate_backend b)
{
    return b == GW_INFLATE_BACKEND_DEFAULT || b == GW_INFLATE_BACKEND_ZLIB ||
           (b == GW_INFLATE_BACKEND_ISAL && GW_HAVE_ISAL);
}

gw_inflate_backend gw_inflate_backend_default(void)
{
    return GW_DEFAULT_ISAL ? GW_INFLATE_BACKEND_ISAL : GW_INFLATE_BACKEND_ZLIB;
}

int gw__inflate_pick(gw_inflate *z)
{
    gw_inflate_backend b = z->opts.backend;
    /* Over memory everything is buffered, so ISA-L's read-ahead always fits. */
    int small = z->src->src != NULL && z->src->cap < GW_INFLATE_ISAL_MIN_BUFFER;

    if ((unsigned)b >= GW_INFLATE_BACKEND_COUNT)
        return GW_EINVAL;
    if (b == GW_INFLATE_BACKEND_DEFAULT) {
        b = gw_inflate_backend_default();
        if (small)
            b = GW_INFLATE_BACKEND_ZLIB;
    }
    z->backend = b;
    z->_be = &gw__zback_zlib;
    if (b == GW_INFLATE_BACKEND_ISAL) {
#if GW_HAVE_ISAL
        if (small)
            return GW_EINVAL;
        z->_be = &gw__zback_isal;
#else
        return GW_EZ_BACKEND;
#endif
    }
    return 0;
}
