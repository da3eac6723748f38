/*
 * HTTP/1.1 body framing (include/genwire/http.h, gw_http_framing_of): what
 * a parsed head says about the body that follows and the connection, in
 * the order RFC 9112 section 6.3 gives.  Pure: it reads the head's fields
 * and nothing else.
 */
#include <string.h>

#include "genwire/http.h"
#include "genwire/parse.h"

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
    static const char sep[] = "\"(),/:;<=>?@[\\]{}";
    size_t i;

    if (s.len == 0)
        return 0;
    for (i = 0; i < s.len; i++) {
        uint8_t c = (uint8_t)s.p[i];
        if (c <= 0x20 || c >= 0x7f || strchr(sep, c) != NULL)
            return 0;
    }
    return 1;
}

int gw_http_framing_of(const gw_http_head *h, int req_method, gw_http_framing *f)
{
    const gw_http_field *te = NULL, *cl = NULL, *te_bad = NULL, *cl_bad = NULL;
    int is_req = h->kind == GW_HTTP_REQUEST, close = 0, keep = 0, up_field = 0, up_conn = 0;
    int last_chunked = 0, have_len = 0;
    unsigned nchunked = 0;
    uint64_t len = 0;
    size_t i;

    memset(f, 0, sizeof(*f));
    /* One pass over the fields; judged below in the RFC's order. */
    for (i = 0; i < h->nfields; i++) {
        const gw_http_field *fl = &h->fields[i];
        gw_http_span v = fl->value, e;
        int any = 0;

        if (gw_http_span_eq(fl->name, "Transfer-Encoding")) {
            te = te != NULL ? te : fl;
            while (gw_http_list_next(&v, &e)) {
                const char *semi = memchr(e.p, ';', e.len);
                any = 1;
                if (semi != NULL)
                    e.len = (size_t)(semi - e.p);
                while (e.len > 0 && (e.p[e.len - 1] == ' ' || e.p[e.len - 1] == '\t'))
                    e.len--;
                if (!is_token(e) && te_bad == NULL)
                    te_bad = fl;
                last_chunked = gw_http_span_eq(e, "chunked");
                nchunked += (unsigned)last_chunked;
            }
            if (!any && te_bad == NULL)
                te_bad = fl;
        } else if (gw_http_span_eq(fl->name, "Content-Length")) {
            cl = cl != NULL ? cl : fl;
            /* Elements are split at commas only: "4 2" is one bad element. */
            while (gw_http_list_next(&v, &e)) {
                uint64_t n = 0;
                any = 1;
                if ((parse_length(e, &n) < 0 || (have_len && n != len)) && cl_bad == NULL)
                    cl_bad = fl;
                len = n;
                have_len = 1;
            }
            if (!any && cl_bad == NULL)
                cl_bad = fl;
        } else if (gw_http_span_eq(fl->name, "Connection")) {
            close |= list_has(v, "close");
            keep |= list_has(v, "keep-alive");
            up_conn |= list_has(v, "upgrade");
        } else if (gw_http_span_eq(fl->name, "Upgrade")) {
            up_field = 1;
        }
    }
    f->keep_alive = h->minor >= 1 ? !close : (keep && !close);
    f->chunked_last = te != NULL && last_chunked;

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
    if (is_req && up_field && up_conn) {
        f->upgrade = 1;
        f->keep_alive = 0;
    }
    if (te != NULL) {
        /* 3. Never both; 4. chunked once and last, or until close. */
        if (cl != NULL) {
            f->err_off = off_in(h, (cl > te ? cl : te)->value);
            return GW_EHTTP_TE_AND_CL;
        }
        if (te_bad != NULL || h->minor == 0 || nchunked > 1 || (is_req && !last_chunked)) {
            f->err_off = off_in(h, (te_bad != NULL ? te_bad : te)->value);
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
        /* 5. */
        if (cl_bad != NULL) {
            f->err_off = off_in(h, cl_bad->value);
            return GW_EHTTP_CONTENT_LENGTH;
        }
        f->body = GW_HTTP_BODY_LENGTH;
        f->length = len;
        return 0;
    }
    /* 6. */
    if (!is_req) {
        f->body = GW_HTTP_BODY_CLOSE;
        f->keep_alive = 0;
    }
    return 0;
}
