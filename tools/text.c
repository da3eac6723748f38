/*
 * The command-line tool's text encodings (tools/text.h): UTF-8 validation,
 * JSON string escaping, base64 in both directions and hex, each over one
 * buffer in one pass, with no allocation.  The JSON-lines input parser is
 * in json.c.
 */
#include "text.h"

#include <stdint.h>
#include <string.h>

int tx_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = p[i];
        size_t len, k;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

size_t tx_json_escape(const uint8_t *p, size_t n, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (c) {
        case '"':
            out[o++] = '\\';
            out[o++] = '"';
            break;
        case '\\':
            out[o++] = '\\';
            out[o++] = '\\';
            break;
        case '\n':
            out[o++] = '\\';
            out[o++] = 'n';
            break;
        case '\r':
            out[o++] = '\\';
            out[o++] = 'r';
            break;
        case '\t':
            out[o++] = '\\';
            out[o++] = 't';
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(out + o, "\\u00", 4);
                out[o + 4] = hexd[c >> 4];
                out[o + 5] = hexd[c & 15];
                o += 6;
            } else {
                out[o++] = (char)c;
            }
        }
    }
    return o;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t tx_base64(const uint8_t *p, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

static int b64_value(char c)
{
    const char *q = c != 0 ? strchr(b64, c) : NULL;

    return q != NULL ? (int)(q - b64) : -1;
}

long tx_unbase64(const char *s, size_t n, uint8_t *out)
{
    size_t i, o = 0;

    if (n % 4 != 0)
        return -1;
    for (i = 0; i < n; i += 4) {
        int a = b64_value(s[i]), b = b64_value(s[i + 1]), c, d;
        int last = i + 4 == n;
        uint32_t v;

        if (a < 0 || b < 0)
            return -1;
        c = last && s[i + 2] == '=' && s[i + 3] == '=' ? -2 : b64_value(s[i + 2]);
        d = last && s[i + 3] == '=' ? -2 : b64_value(s[i + 3]);
        if (c == -1 || d == -1 || (c == -2 && d != -2))
            return -1;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
            (uint32_t)(d < 0 ? 0 : d);
        out[o++] = (uint8_t)(v >> 16);
        if (c >= 0)
            out[o++] = (uint8_t)(v >> 8);
        if (d >= 0)
            out[o++] = (uint8_t)v;
    }
    return (long)o;
}

void tx_hex(const uint8_t *p, size_t n, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hexd[p[i] >> 4];
        out[2 * i + 1] = hexd[p[i] & 15];
    }
}
