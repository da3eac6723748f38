/*
 * Fuzz harness: differential, genwire's HTTP/1.1 head parser and framing
 * (parsers/http/) against llhttp 8.1 in its strict mode (Debian's
 * node-llhttp C sources, compiled into this harness only).
 *
 * Input: byte 0 bit 0 picks a request or a response; the rest is fed whole
 * to both.  Each side's verdict on the first head: accepted (with method,
 * target, status, reason, version and fields), rejected, or incomplete.
 *
 * Property: genwire never accepts a head llhttp rejects or is still
 * waiting on, and when both accept they agree on every part (values
 * compared without leading and trailing whitespace: RFC 9110 5.5 trims
 * them, llhttp keeps trailing whitespace).  genwire may reject what llhttp
 * accepts: it is stricter by design (tests/http-conformance.md lists how).
 * The known, justified exceptions (genwire accepts, llhttp 8.1 rejects):
 *   - the method QUERY, which llhttp added after 8.1 (its 9.x fixtures
 *     accept it);
 *   - a list of identical Content-Length values ("5, 5", or two fields
 *     "5"): RFC 9110 8.6 allows a recipient to take it as one; llhttp
 *     rejects any second Content-Length (empty elements, ", 5" or "5,",
 *     are an error in genwire too);
 *   - an absolute-form target whose scheme has a digit, "+", "-" or "."
 *     ("h2c+x://a/"): RFC 3986 3.1 allows them in a scheme, llhttp 8.1
 *     takes letters only.
 * Transfer-Encoding in a response when chunked is not last (framing then
 * reads until close, RFC 9112 6.3 rule 4) is accepted by both; listed for
 * completeness, not exempted.  The first campaign's three open classes (a
 * request-target in none of RFC 9112 3.2's forms, Content-Length lists
 * with empty elements, a malformed Content-Length in a 1xx, 204 or 304
 * response) were fixed in genwire: tests/test-http-strict.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/http.h>
#include <llhttp.h>

#include "fuzz.h"

enum { V_OK, V_ERROR, V_INCOMPLETE };

/* One side's view of a head, as text. */
typedef struct view {
    int verdict;
    char text[16384];
    size_t len;
} view;

static void add(view *v, const char *p, size_t n)
{
    if (v->len + n < sizeof(v->text)) {
        memcpy(v->text + v->len, p, n);
        v->len += n;
    }
}

static gw_http_span trim(const char *p, size_t n)
{
    gw_http_span s = {p, n};
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* ---- llhttp's side ------------------------------------------------------- */

static view ll;
static int ll_done, ll_part; /* the head is complete; the span kind being recorded */
static char ll_val[8192];
static size_t ll_vlen;

static void ll_flush(void)
{
    if (ll_part == 'v') {
        gw_http_span t = trim(ll_val, ll_vlen);
        add(&ll, t.p, t.len);
        add(&ll, "\n", 1);
    }
    ll_vlen = 0;
    ll_part = 0;
}

static int ll_span(int kind, const char *at, size_t n)
{
    if (ll_done)
        return 0;
    if (kind != ll_part) {
        ll_flush();
        ll_part = kind;
        if (kind != 'v') {
            char tag[2] = {(char)kind, ':'};
            add(&ll, tag, 2);
        }
    }
    if (kind == 'v') {
        if (ll_vlen + n < sizeof(ll_val)) {
            memcpy(ll_val + ll_vlen, at, n);
            ll_vlen += n;
        }
    } else {
        add(&ll, at, n);
    }
    return 0;
}

static int on_method(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    return ll_span('m', at, n);
}
static int on_url(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    return ll_span('u', at, n);
}
static int on_status(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    return ll_span('r', at, n);
}
static int on_field(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    return ll_span('f', at, n);
}
static int on_value(llhttp_t *p, const char *at, size_t n)
{
    (void)p;
    return ll_span('v', at, n);
}
static int on_headers(llhttp_t *p)
{
    char line[64];
    int n;

    ll_flush();
    n = snprintf(line, sizeof(line), "|%d.%d %d", p->http_major, p->http_minor,
                 p->type == HTTP_RESPONSE ? p->status_code : 0);
    add(&ll, line, (size_t)n);
    ll_done = 1;
    return HPE_PAUSED; /* stop at the end of the head: bodies are not compared */
}

static void run_llhttp(int response, const uint8_t *in, size_t len)
{
    llhttp_settings_t s;
    llhttp_t p;
    llhttp_errno_t e;

    memset(&ll, 0, sizeof(ll));
    ll_done = ll_part = 0;
    ll_vlen = 0;
    llhttp_settings_init(&s);
    s.on_method = on_method;
    s.on_url = on_url;
    s.on_status = on_status;
    s.on_header_field = on_field;
    s.on_header_value = on_value;
    s.on_headers_complete = on_headers;
    llhttp_init(&p, response ? HTTP_RESPONSE : HTTP_REQUEST, &s);
    e = llhttp_execute(&p, (const char *)in, len);
    ll.verdict = ll_done ? V_OK : e == HPE_OK ? V_INCOMPLETE : V_ERROR;
}

/* ---- genwire's side ------------------------------------------------------ */

static view gw;

/* Nonzero if the head has two or more Content-Length elements (all equal,
 * since framing accepted it). */
static int cl_list(const gw_http_head *h)
{
    const gw_http_field *f = NULL;
    int n = 0;

    while ((f = gw_http_find(h, "Content-Length", f)) != NULL) {
        gw_http_span v = f->value, e;
        while (gw_http_list_next(&v, &e))
            n++;
    }
    return n > 1;
}

/* Nonzero if the request-target is an absolute-form whose scheme has a
 * character other than a letter (RFC 3986 3.1 allows digits, "+", "-" and
 * "."). */
static int scheme_not_alpha(gw_http_span t)
{
    size_t i;

    if (t.len == 0 || t.p[0] == '/')
        return 0;
    for (i = 0; i < t.len && t.p[i] != ':'; i++)
        if (!((t.p[i] | 0x20) >= 'a' && (t.p[i] | 0x20) <= 'z'))
            return 1;
    return 0;
}

static int run_genwire(int response, const uint8_t *in, size_t len, int *exempt)
{
    static gw_http_field fields[GW_HTTP_DEFAULT_MAX_FIELDS];
    gw_http_parser p;
    gw_http_head h;
    gw_http_framing fr;
    char line[64];
    size_t i;
    int r, n;

    memset(&gw, 0, sizeof(gw));
    *exempt = 0;
    gw_http_parser_init(&p, response ? GW_HTTP_RESPONSE : GW_HTTP_REQUEST, fields,
                        GW_HTTP_DEFAULT_MAX_FIELDS, NULL, 0);
    r = gw_http_parse(&p, in, len, &h);
    if (r == 0) {
        gw.verdict = V_INCOMPLETE;
        return 0;
    }
    if (r < 0 || gw_http_framing_of(&h, -1, &fr) < 0) {
        gw.verdict = V_ERROR;
        return 0;
    }
    gw.verdict = V_OK;
    *exempt = (!response && h.method == GW_HTTP_QUERY) || cl_list(&h) ||
              (!response && scheme_not_alpha(h.target));
    if (!response) {
        add(&gw, "m:", 2);
        add(&gw, h.method_s.p, h.method_s.len);
        add(&gw, "u:", 2);
        add(&gw, h.target.p, h.target.len);
    } else if (h.reason.len > 0) {
        add(&gw, "r:", 2);
        add(&gw, h.reason.p, h.reason.len);
    }
    for (i = 0; i < h.nfields; i++) {
        add(&gw, "f:", 2);
        add(&gw, h.fields[i].name.p, h.fields[i].name.len);
        add(&gw, h.fields[i].value.p, h.fields[i].value.len);
        add(&gw, "\n", 1);
    }
    n = snprintf(line, sizeof(line), "|1.%d %d", h.minor, response ? h.status : 0);
    add(&gw, line, (size_t)n);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int response, exempt;

    if (size < 1)
        return 0;
    response = data[0] & 1;
    run_genwire(response, data + 1, size - 1, &exempt);
    run_llhttp(response, data + 1, size - 1);
    if (gw.verdict != V_OK || exempt)
        return 0; /* genwire stricter, or a listed difference */
    if (ll.verdict != V_OK) {
        fprintf(stderr, "genwire accepts a head llhttp %s:\n%.*s\n",
                ll.verdict == V_ERROR ? "rejects" : "still waits on", (int)gw.len, gw.text);
        fz_check(0, "genwire accepts only what llhttp accepts");
    }
    if (gw.len != ll.len || memcmp(gw.text, ll.text, gw.len) != 0) {
        fprintf(stderr, "genwire:\n%.*s\nllhttp:\n%.*s\n", (int)gw.len, gw.text, (int)ll.len,
                ll.text);
        fz_check(0, "both accept the same head");
    }
    return 0;
}
