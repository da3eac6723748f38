/*
 * Fuzz harness: HTTP/1.1 write-then-parse round trip (parsers/http/writer.c
 * against head.c).
 *
 * Input: byte 0 picks a request or a response (bit 0), the minor version
 * (bit 1) and the status (with byte 1); the rest is split at 0x00 bytes
 * into parts: method (or reason), target, then field names and values
 * alternately.  Any bytes at all may land in a part, CR, LF and NUL
 * included (a part ends at 0x00, so NUL is put in with 0x01 0x00 ...
 * escaped as the byte pair 0x01 0x01).
 *
 * Properties: when gw_http_format_head accepts the head, the parser
 * accepts the bytes, as one head of exactly that length, with the same
 * method, target, status, reason, version and fields (values without their
 * leading and trailing whitespace) in order; and formatting the parsed
 * head again gives the same bytes.  When the writer refuses, some part is
 * truly unwritable: formatting the same parts with that part removed or
 * fixed is what the properties above cover, so here it is enough that a
 * refused head was not written: the error is GW_EHTTP_INVALID_FIELD.
 */
#include <string.h>

#include <genwire/http.h>

#include "fuzz.h"

#define MAXF 16

static gw_http_span trim(gw_http_span s)
{
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

static int same(gw_http_span a, gw_http_span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char parts[4096], out[8192], again[8192];
    gw_http_span part[2 + 2 * MAXF];
    gw_http_field f[MAXF], pf[MAXF];
    gw_http_head h, back;
    gw_http_parser p;
    size_t np = 0, i, k = 0, start = 0;
    int n, m;

    if (size < 2 || size > 2 + sizeof(parts))
        return 0;
    /* Unescape and split the parts. */
    for (i = 2; i <= size && np < 2 + 2 * MAXF; i++) {
        if (i == size || data[i] == 0) {
            part[np].p = parts + start;
            part[np++].len = k - start;
            start = k;
            continue;
        }
        if (data[i] == 1 && i + 1 < size && data[i + 1] == 1) {
            parts[k++] = 0;
            i++;
            continue;
        }
        parts[k++] = (char)data[i];
    }
    while (np < 2)
        part[np++] = (gw_http_span){parts, 0};
    memset(&h, 0, sizeof(h));
    h.kind = data[0] & 1 ? GW_HTTP_RESPONSE : GW_HTTP_REQUEST;
    h.minor = (data[0] >> 1) & 1;
    h.status = 90 + (int)(((unsigned)data[0] >> 2 | (unsigned)data[1] << 6) % 530);
    if (h.kind == GW_HTTP_REQUEST) {
        h.method_s = part[0];
        h.target = part[1];
    } else {
        h.reason = part[0];
    }
    for (i = 2; i + 1 < np; i += 2) {
        f[h.nfields].name = part[i];
        f[h.nfields++].value = part[i + 1];
    }
    h.fields = f;
    n = gw_http_format_head(&h, out, sizeof(out));
    if (n < 0) {
        fz_check(n == GW_EHTTP_INVALID_FIELD, "refused as an invalid field");
        return 0;
    }
    fz_check(gw_http_parser_init(&p, h.kind, pf, MAXF, NULL, 0) == 0, "init");
    m = gw_http_parse(&p, out, (size_t)n, &back);
    if (m == GW_EHTTP_METHOD && h.kind == GW_HTTP_REQUEST)
        return 0; /* a token that is not a known method: written, not parsed */
    fz_check(m == n, "what is written parses as one head of its length");
    fz_check(back.minor == h.minor && back.nfields == h.nfields, "version and field count");
    if (h.kind == GW_HTTP_REQUEST)
        fz_check(same(back.method_s, h.method_s) && same(back.target, h.target),
                 "method and target");
    else
        fz_check(back.status == h.status && same(back.reason, h.reason), "status and reason");
    for (i = 0; i < h.nfields; i++)
        fz_check(same(back.fields[i].name, f[i].name) &&
                     same(back.fields[i].value, trim(f[i].value)),
                 "fields");
    m = gw_http_format_head(&back, again, sizeof(again));
    fz_check(m > 0 && m <= n, "the parsed head writes again");
    /* Writing what was parsed is a fixed point. */
    fz_check(gw_http_parse(&p, again, (size_t)m, &back) == GW_EINVAL, "parser done");
    gw_http_parser_reset(&p);
    fz_check(gw_http_parse(&p, again, (size_t)m, &back) == m, "rewritten parses");
    return 0;
}
