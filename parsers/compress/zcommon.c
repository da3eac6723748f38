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
