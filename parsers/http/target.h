/*
 * The request-target forms of RFC 9112 section 3.2, checked a byte at a
 * time so that the head parser can resume the check where the bytes ended
 * (head-core.h) and the head writer can refuse what the parser would
 * (writer.c).  A request-target is one of:
 *   origin-form     "/" then any VCHAR (the path and query; the byte
 *                   scanner has already refused everything else);
 *   absolute-form   scheme "://" authority, then nothing, or "/" or "?"
 *                   and any VCHAR: the scheme is ALPHA *( ALPHA / DIGIT /
 *                   "+" / "-" / "." ) (RFC 3986 3.1), the authority a
 *                   non-empty host and an optional ":" *DIGIT port; no
 *                   userinfo (RFC 9110 4.2.4: a recipient treats it as an
 *                   error) and no empty host (RFC 9110 4.2.1);
 *   authority-form  host ":" 1*DIGIT, only for CONNECT, which must use it
 *                   (RFC 9110 9.3.6: there is no default port);
 *   asterisk-form   "*" alone, only for OPTIONS (and PRI, whose "PRI *" starts
 *                   the HTTP/2 connection preface, RFC 9113 3.4).
 * A host is a reg-name (unreserved, pct-encoded and sub-delims of RFC 3986
 * 3.2.2) or an IP literal in brackets (HEXDIG, ":" and ".": IPv6 with an
 * optional IPv4 tail; IPvFuture and zone identifiers are refused).
 * Private to parsers/http/; everything here is static inline.
 */
#ifndef GW_PARSERS_HTTP_TARGET_H
#define GW_PARSERS_HTTP_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "genwire/http.h"

/* The check's states (gw_http_parser._tform).  GW__TF_AUTH is or-ed into
 * the authority states of an authority-form (CONNECT) target. */
enum {
    GW__TF_START = 0, /* no byte yet */
    GW__TF_PATH,      /* in a path or query: every VCHAR goes, to the end */
    GW__TF_STAR,      /* "*" (OPTIONS, PRI): nothing may follow */
    GW__TF_SCHEME,    /* in an absolute-form's scheme */
    GW__TF_SLASH1,    /* after "scheme:", the first "/" expected */
    GW__TF_SLASH2,    /* after "scheme:/", the second "/" expected */
    GW__TF_HOST0,     /* at the host's first byte */
    GW__TF_HOST,      /* in a reg-name */
    GW__TF_PCT1,      /* after "%" in a reg-name: the first HEXDIG expected */
    GW__TF_PCT2,      /* the second HEXDIG expected */
    GW__TF_IPLIT0,    /* after "[": the literal's first byte expected */
    GW__TF_IPLIT,     /* in an IP literal */
    GW__TF_IPEND,     /* after "]" */
    GW__TF_PORT0,     /* after the ":" before the port */
    GW__TF_PORT,      /* in the port's digits */
    GW__TF_AUTH = 0x100
};

/* unreserved / sub-delims (RFC 3986 2.2, 2.3): what a reg-name holds
 * besides pct-encoded octets. */
static inline int gw__tf_regname(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~!$&'()*+,;=", c) != NULL);
}

static inline int gw__tf_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline int gw__tf_alpha(uint8_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* The state a target's check starts in, for a request of `method`. */
static inline int gw__http_target_init(int method)
{
    return method == GW_HTTP_CONNECT ? (GW__TF_HOST0 | GW__TF_AUTH) : GW__TF_START;
}

/*
 * Moves the check in *st (from gw__http_target_init) over buf[from .. to)
 * of a request-target of a request of `method` (a gw_http_method).
 * Returns the offset of the first byte that no form allows where it is, or
 * `to` when all of them fit (stopping early once in a path, where every
 * VCHAR fits).
 */
static inline size_t gw__http_target_step(int *st, int method, const uint8_t *buf, size_t from,
                                          size_t to)
{
    int s = *st & ~GW__TF_AUTH, auth = *st & GW__TF_AUTH;
    size_t i;

    for (i = from; i < to && s != GW__TF_PATH; i++) {
        uint8_t c = buf[i];

        switch (s) {
        case GW__TF_START:
            if (c == '/')
                s = GW__TF_PATH;
            else if (c == '*' && (method == GW_HTTP_OPTIONS || method == GW_HTTP_PRI))
                s = GW__TF_STAR;
            else if (gw__tf_alpha(c))
                s = GW__TF_SCHEME;
            else
                goto bad;
            break;
        case GW__TF_SCHEME:
            if (c == ':')
                s = GW__TF_SLASH1;
            else if (!gw__tf_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' &&
                     c != '.')
                goto bad;
            break;
        case GW__TF_SLASH1:
        case GW__TF_SLASH2:
            if (c != '/')
                goto bad;
            s = s == GW__TF_SLASH1 ? GW__TF_SLASH2 : GW__TF_HOST0;
            break;
        case GW__TF_HOST0:
            if (c == '[')
                s = GW__TF_IPLIT0;
            else if (c == '%')
                s = GW__TF_PCT1;
            else if (gw__tf_regname(c))
                s = GW__TF_HOST;
            else
                goto bad;
            break;
        case GW__TF_PCT1:
        case GW__TF_PCT2:
            if (!gw__tf_hex(c))
                goto bad;
            s = s == GW__TF_PCT1 ? GW__TF_PCT2 : GW__TF_HOST;
            break;
        case GW__TF_IPLIT0:
        case GW__TF_IPLIT:
            if (c == ']' && s == GW__TF_IPLIT)
                s = GW__TF_IPEND;
            else if (gw__tf_hex(c) || c == ':' || c == '.')
                s = GW__TF_IPLIT;
            else
                goto bad;
            break;
        case GW__TF_HOST:
        case GW__TF_IPEND:
        case GW__TF_PORT0:
        case GW__TF_PORT:
            /* The end of a host, or a port: then a path or a query
             * (absolute-form), or nothing (authority-form). */
            if (s == GW__TF_HOST && c == '%')
                s = GW__TF_PCT1;
            else if (s == GW__TF_HOST && gw__tf_regname(c))
                ;
            else if (c == ':' && (s == GW__TF_HOST || s == GW__TF_IPEND))
                s = GW__TF_PORT0;
            else if (c >= '0' && c <= '9' && (s == GW__TF_PORT0 || s == GW__TF_PORT))
                s = GW__TF_PORT;
            else if ((c == '/' || c == '?') && !auth)
                s = GW__TF_PATH;
            else
                goto bad;
            break;
        default: /* GW__TF_STAR: nothing may follow */
            goto bad;
        }
    }
    *st = s | auth;
    return to;
bad:
    *st = s | auth;
    return i;
}

/* Nonzero if a target whose check ended in st is complete: the byte after
 * it may end it. */
static inline int gw__http_target_done(int st)
{
    switch (st & ~GW__TF_AUTH) {
    case GW__TF_PATH:
    case GW__TF_STAR:
    case GW__TF_PORT:
        return 1;
    case GW__TF_HOST:
    case GW__TF_IPEND:
    case GW__TF_PORT0:
        return !(st & GW__TF_AUTH);
    default:
        return 0;
    }
}

/* Nonzero if t[0 .. n) is a request-target of one of the forms for
 * method (see above); the bytes must already be VCHAR. */
static inline int gw__http_target_ok(int method, const uint8_t *t, size_t n)
{
    int st = gw__http_target_init(method);

    return n > 0 && gw__http_target_step(&st, method, t, 0, n) == n && gw__http_target_done(st);
}

#endif /* GW_PARSERS_HTTP_TARGET_H */
