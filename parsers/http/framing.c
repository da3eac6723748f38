/*
 * HTTP/1.1 body framing (include/genwire/http.h, gw_http_framing_of): what
 * a parsed head says about the body that follows and the connection, in
 * the order RFC 9112 section 6.3 gives.  Pure: it reads the head's fields
 * and nothing else.
 */
#include <string.h>

#include "genwire/http.h"
#include "genwire/parse.h"

#include "scan.h"

/* Offset of a span inside the head. */
static size_t off_in(const gw_http_head *h, gw_http_span s)
{
    return (size_t)(s.p - h->base);
}

/* Parses a Content-Length element: 1 or more digits, at most 2^63 - 1.
 * Returns 0 with *v, or -1. */
static int parse_length(gw_http_span e, uint64_t *v)
{
    return gw_parse_u64((const uint8_t *)e.p, e.len, 10, INT64_MAX, v) == 0 ? 0 : -1;
}

/*
 * Takes a Content-Length value: 1*DIGIT (RFC 9110 8.6), or a list of such
 * elements separated by commas with OWS around them, every one equal to
 * the others and to *len if *have is set (a list of identical values
 * counts as one, as 8.6 allows).  An empty element (", 5", "5,", "5,,5")
 * is an error: the list exception is for repeated values, not for the
 * empty elements of RFC 9110 5.6.1, which a number cannot have.  Returns
 * 0 with *len and *have set, or -1.
 */
static int length_list(gw_http_span v, uint64_t *len, int *have)
{
    const char *s = v.p, *end = v.p + v.len;

    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        gw_http_span e = {s, (size_t)((comma != NULL ? comma : end) - s)};
        uint64_t n;

        while (e.len > 0 && (e.p[0] == ' ' || e.p[0] == '\t')) {
            e.p++;
            e.len--;
        }
        while (e.len > 0 && (e.p[e.len - 1] == ' ' || e.p[e.len - 1] == '\t'))
            e.len--;
        if (parse_length(e, &n) < 0 || (*have && n != *len))
            return -1;
        *len = n;
        *have = 1;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

/*
 * Nonzero if the field name s is lit (n bytes: lowercase letters and '-')
 * in any case, compared 8 (or 4) bytes at a time with 0x20 or-ed into each
 * byte of s, the last word overlapping the one before it.  Exact for names,
 * which are tokens (gw_http_parse hands out no other): of the tchars, only
 * the two cases of a letter or-ed with 0x20 give that letter, and only '-'
 * gives '-'.  For a lit of letters only, exact whatever the bytes of s.
 */
static int name_is(gw_http_span s, const char *lit, size_t n)
{
    uint64_t a, b;
    uint32_t a4, b4, c4, d4;
    size_t i = 0;

    if (s.len != n)
        return 0;
    if (n < 8) {
        /* 4 to 7 bytes (the literals here): two words of 4. */
        memcpy(&a4, s.p, 4);
        memcpy(&b4, lit, 4);
        memcpy(&c4, s.p + n - 4, 4);
        memcpy(&d4, lit + n - 4, 4);
        return (((a4 | 0x20202020u) ^ b4) | ((c4 | 0x20202020u) ^ d4)) == 0;
    }
    for (; i + 8 < n; i += 8) {
        memcpy(&a, s.p + i, 8);
        memcpy(&b, lit + i, 8);
        if ((a | 0x2020202020202020u) != b)
            return 0;
    }
    memcpy(&a, s.p + n - 8, 8);
    memcpy(&b, lit + n - 8, 8);
    return (a | 0x2020202020202020u) == b;
}
#define NAME_IS(s, lit) name_is((s), (lit), sizeof(lit) - 1)

/* Nonzero if the comma-separated list value v holds the token tok. */
static int list_has(gw_http_span v, const char *tok)
{
    gw_http_span e;

    while (gw_http_list_next(&v, &e))
        if (gw_http_span_eq(e, tok))
            return 1;
    return 0;
}

/* Nonzero if s is a non-empty token. */
static int is_token(gw_http_span s)
{
    size_t i;

    if (s.len == 0)
        return 0;
    for (i = 0; i < s.len; i++)
        if (!gw__http_tchar[(uint8_t)s.p[i]])
            return 0;
    return 1;
}

/* What the pass over the fields found, for the rules below. */
typedef struct fr_scan {
    const gw_http_field *te, *cl, *te_bad, *cl_bad; /* the first of each */
    int close, keep, up_field, up_conn;             /* Connection's options, Upgrade seen */
    int last_chunked, have_len;
    unsigned nchunked;
    uint64_t len;
} fr_scan;

/*
 * The lengths of the names framing looks at (upgrade, connection,
 * content-length, transfer-encoding) as bits, and the first byte of the one
 * of each length, lowercase: a field whose name has another length or
 * first letter is passed over without a call (most of a head's fields).
 */
#define FR_LENS ((1u << 7) | (1u << 10) | (1u << 14) | (1u << 17))
static const uint8_t fr_first[18] = {[7] = 'u', [10] = 'c', [14] = 'c', [17] = 't'};

/* Transfer-Encoding's value v, other than "chunked" alone, into *s. */
static void fr_te_list(fr_scan *s, const gw_http_field *fl)
{
    gw_http_span v = fl->value, e;
    int any = 0;

    while (gw_http_list_next(&v, &e)) {
        const char *semi = memchr(e.p, ';', e.len);
        any = 1;
        if (semi != NULL)
            e.len = (size_t)(semi - e.p);
        while (e.len > 0 && (e.p[e.len - 1] == ' ' || e.p[e.len - 1] == '\t'))
            e.len--;
        if (!is_token(e) && s->te_bad == NULL)
            s->te_bad = fl;
        s->last_chunked = gw_http_span_eq(e, "chunked");
        s->nchunked += (unsigned)s->last_chunked;
    }
    if (!any && s->te_bad == NULL)
        s->te_bad = fl;
}

/* A field whose length and first letter are those of a name framing looks
 * at: into *s if it is that name.  Out of line, so that the pass over the
 * fields keeps its few values in registers. */
static __attribute__((noinline)) void fr_field(fr_scan *s, const gw_http_field *fl)
{
    gw_http_span v = fl->value;

    switch (fl->name.len) {
    case 17:
        if (!NAME_IS(fl->name, "transfer-encoding"))
            return;
        s->te = s->te != NULL ? s->te : fl;
        if (NAME_IS(v, "chunked")) {
            /* The common value alone, as the list walk would take it
             * (values come trimmed; NAME_IS is exact for a literal of
             * letters only, whatever the bytes of v). */
            s->last_chunked = 1;
            s->nchunked++;
            return;
        }
        fr_te_list(s, fl);
        return;
    case 14:
        if (!NAME_IS(fl->name, "content-length"))
            return;
        s->cl = s->cl != NULL ? s->cl : fl;
        if (length_list(v, &s->len, &s->have_len) < 0 && s->cl_bad == NULL)
            s->cl_bad = fl;
        return;
    case 10:
        if (!NAME_IS(fl->name, "connection"))
            return;
        s->close |= list_has(v, "close");
        s->keep |= list_has(v, "keep-alive");
        s->up_conn |= list_has(v, "upgrade");
        return;
    default:
        if (NAME_IS(fl->name, "upgrade"))
            s->up_field = 1;
        return;
    }
}

int gw_http_framing_of(const gw_http_head *h, int req_method, gw_http_framing *f)
{
    fr_scan s;
    const gw_http_field *te, *cl, *fl = h->fields;
    int is_req = h->kind == GW_HTTP_REQUEST, last_chunked;
    size_t i, n = h->nfields;

    memset(f, 0, sizeof(*f));
    memset(&s, 0, sizeof(s));
    /* One pass over the fields; judged below in the RFC's order. */
    for (i = 0; i < n; i++) {
        size_t len = fl[i].name.len;
        if (len < sizeof(fr_first) && (FR_LENS >> len & 1) != 0 &&
            fr_first[len] == ((uint8_t)fl[i].name.p[0] | 0x20))
            fr_field(&s, &fl[i]);
    }
    te = s.te;
    cl = s.cl;
    last_chunked = s.last_chunked;
    f->keep_alive = h->minor >= 1 ? !s.close : (s.keep && !s.close);
    f->chunked_last = te != NULL && last_chunked;

    /* 3 and 5 first for every message, also those whose framing they do
     * not decide (1xx, 204, 304, a response to HEAD, CONNECT): both
     * Transfer-Encoding and Content-Length "ought to be handled as an
     * error" (RFC 9112 6.3), and a Content-Length that is not 1*DIGIT is
     * an invalid field (RFC 9110 8.6) whatever the message. */
    if (te != NULL && cl != NULL) {
        f->err_off = off_in(h, (cl > te ? cl : te)->value);
        return GW_EHTTP_TE_AND_CL;
    }
    if (s.cl_bad != NULL) {
        f->err_off = off_in(h, s.cl_bad->value);
        return GW_EHTTP_CONTENT_LENGTH;
    }

    if (!is_req) {
        /* 1. No body for HEAD, 1xx, 204, 304; 101 switches protocols. */
        if (h->status < 200) {
            f->interim = h->status != 101;
            f->upgrade = h->status == 101;
            f->keep_alive = f->upgrade ? 0 : f->keep_alive;
            return 0;
        }
        if (req_method == GW_HTTP_HEAD || h->status == 204 || h->status == 304)
            return 0;
        /* 2. A tunnel after a 2xx to CONNECT. */
        if (req_method == GW_HTTP_CONNECT && h->status < 300) {
            f->upgrade = 1;
            f->keep_alive = 0;
            return 0;
        }
    } else if (h->method == GW_HTTP_CONNECT || h->method == GW_HTTP_PRI) {
        /* CONNECT has no content (RFC 9110 9.3.6); PRI starts HTTP/2. */
        f->upgrade = 1;
        f->keep_alive = 0;
        return 0;
    }
    if (is_req && s.up_field && s.up_conn) {
        f->upgrade = 1;
        f->keep_alive = 0;
    }
    if (te != NULL) {
        /* 4. (3, never both, is judged above) chunked once and last, or
         * until close. */
        if (s.te_bad != NULL || h->minor == 0 || s.nchunked > 1 || (is_req && !last_chunked)) {
            f->err_off = off_in(h, (s.te_bad != NULL ? s.te_bad : te)->value);
            return GW_EHTTP_TRANSFER_ENCODING;
        }
        if (last_chunked) {
            f->body = GW_HTTP_BODY_CHUNKED;
            return 0;
        }
        f->body = GW_HTTP_BODY_CLOSE;
        f->keep_alive = 0;
        return 0;
    }
    if (cl != NULL) {
        /* 5. (its syntax is judged above) */
        f->body = GW_HTTP_BODY_LENGTH;
        f->length = s.len;
        return 0;
    }
    /* 6. */
    if (!is_req) {
        f->body = GW_HTTP_BODY_CLOSE;
        f->keep_alive = 0;
    }
    return 0;
}

#undef NAME_IS
#undef FR_LENS
