/*
 * The HTTP/1.1 message layers' encode half (http-request, http-response;
 * the rest of the adapter is http.c).  It reads one JSON object a line, as
 * decode writes them ({"method", "target"} or {"status", "reason"},
 * "version", "headers" as [[name, value], ..], the body as "text" or
 * "base64", and "chunked": true to frame it chunked; other members, such
 * as "offset" and "length", are ignored), and writes each as a message.
 *
 * Framing: the fields are written as given, in order.  With neither
 * Content-Length nor Transfer-Encoding among them, encode adds one:
 * "Transfer-Encoding: chunked" when "chunked" is true, otherwise
 * "Content-Length: N" (none for a request without a body, or for a 1xx,
 * 204 or 304 response).  The head is then parsed back with the decoder's
 * own parser and framing, so that nothing decode would refuse is written:
 * a Content-Length must equal the body's length, a Transfer-Encoding must
 * end in chunked, a message without a body must have none.  No content
 * coding is applied: a body under Content-Encoding is given coded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/frame.h>
#include <genwire/http.h>

#include "http-encode.h"
#include "text.h"
#include "tool.h"

#define MAX_FIELDS GW_HTTP_DEFAULT_MAX_FIELDS
#define HEAD_CAP   GW_HTTP_DEFAULT_MAX_HEAD

typedef struct http_enc {
    gw_record_reader rr; /* the input lines */
    int rr_live;
    gw_bufwriter bw;                 /* in front of the layer below */
    uint8_t *scratch;                /* the decoded strings of a line */
    size_t scap;                     /* its size: the longest line so far */
    gw_http_field f[MAX_FIELDS + 1]; /* the fields, one more for the framing */
    gw_http_field pf[MAX_FIELDS + 1];
    gw_http_head h; /* the message */
    const uint8_t *body;
    size_t blen;
    int chunked;    /* "chunked": true */
    char added[32]; /* the value of a framing field encode adds */
    char *head;     /* the head, formatted */
    size_t hlen;
    char tail[40]; /* the chunk-size line, or the end of a chunked body */
    size_t tlen;
    gw_http_framing fr; /* its framing, as decode will see it */
    uint64_t line_no;   /* the input line being encoded */
    const char *why;    /* what was wrong with it */
    char whybuf[160];
} http_enc;

int http_open_encode(layer *l, gw_writer *dst, job *j)
{
    http_enc *e;
    gw_frame_limits lim;
    uint64_t cap;
    int err;

    if ((e = l->state = calloc(1, sizeof(*e))) == NULL)
        return GW_ENOMEM;
    if ((j->opt->given & OPT_INPUT) && j->opt->input != IN_JSON) {
        e->why = "--input must be json (the default) for HTTP messages";
        return GW_EINVAL;
    }
    /* A line holds a head and a body of --max-record, at 6 bytes a byte. */
    cap = 6 * (j->opt->max_record + HEAD_CAP) + 256;
    if (cap > SIZE_MAX / 2 || (err = gw_bufreader_init(&l->in, &j->sin.r, (size_t)cap)) != 0)
        return GW_ENOMEM;
    gw_frame_limits_default(&lim);
    lim.max_line = l->in.cap - 2;
    lim.max_empty = GW_UNLIMITED;
    if ((err = gw_record_reader_init(&e->rr, &l->in, GW_FRAME_LINES, &lim, GW_RECORD_ASSEMBLE)) !=
        0)
        return err;
    e->rr_live = 1;
    if ((err = gw_bufwriter_init(&e->bw, dst, IO_BUFFER)) != 0)
        return err;
    l->w = &e->bw.w;
    e->head = malloc(HEAD_CAP);
    return e->head == NULL ? GW_ENOMEM : 0;
}

/* Reads a string member into the scratch at *k: its span. */
static int take_string(http_enc *e, tx_json *c, size_t *k, gw_http_span *s)
{
    size_t n;

    if (tx_json_string(c, e->scratch + *k, &n) != 0)
        return -1;
    s->p = (const char *)e->scratch + *k;
    s->len = n;
    *k += n;
    return 0;
}

/* "headers": [[name, value], ..]. */
static int take_headers(http_enc *e, tx_json *c, size_t *k)
{
    int first = 1, r;

    if (tx_json_array(c) != 0)
        return -1;
    while ((r = tx_json_elem(c, &first)) == 1) {
        int f2 = 1;
        gw_http_field *f = &e->f[e->h.nfields];
        if (e->h.nfields == MAX_FIELDS) {
            e->why = "more than 100 headers";
            return -1;
        }
        if (tx_json_array(c) != 0 || tx_json_elem(c, &f2) != 1 ||
            take_string(e, c, k, &f->name) != 0 || tx_json_elem(c, &f2) != 1 ||
            take_string(e, c, k, &f->value) != 0 || tx_json_elem(c, &f2) != 0) {
            if (c->why == NULL)
                e->why = "a header is not a [name, value] pair of strings";
            return -1;
        }
        e->h.nfields++;
    }
    return r;
}

/* Parses the object on the current line into e->h and the body.  Returns
 * 0, or -1 with e->why (or the cursor's reason) set. */
static int take_object(http_enc *e, gw_http_kind kind)
{
    tx_json c;
    char key[16];
    size_t klen, k = 0;
    uint64_t status = 0;
    int first = 1, r, have_status = 0, have_body = 0, have_method = 0, have_target = 0;
    gw_http_span s = {NULL, 0};

    memset(&e->h, 0, sizeof(e->h));
    e->h.kind = kind;
    e->h.minor = 1;
    e->h.method = -1;
    e->h.fields = e->f;
    e->body = NULL;
    e->blen = 0;
    e->chunked = 0;
    e->why = NULL;
    if (e->rr.len > e->scap) {
        /* Room for every decoded string of the line: never more than it. */
        uint8_t *p = realloc(e->scratch, e->rr.len);
        if (p == NULL) {
            e->why = "out of memory";
            return -1;
        }
        e->scratch = p;
        e->scap = e->rr.len;
    }
    if (tx_json_begin(&c, (const char *)e->rr.data, e->rr.len) != 0)
        goto bad;
    while ((r = tx_json_key(&c, &first, key, sizeof(key), &klen)) == 1) {
#define IS(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, klen) == 0)
        if (IS("method") && kind == GW_HTTP_REQUEST) {
            r = take_string(e, &c, &k, &e->h.method_s);
            have_method = 1;
        } else if (IS("target") && kind == GW_HTTP_REQUEST) {
            r = take_string(e, &c, &k, &e->h.target);
            have_target = 1;
        } else if (IS("status") && kind == GW_HTTP_RESPONSE) {
            r = tx_json_uint(&c, &status);
            have_status = 1;
        } else if (IS("reason") && kind == GW_HTTP_RESPONSE) {
            r = take_string(e, &c, &k, &e->h.reason);
        } else if (IS("version")) {
            r = take_string(e, &c, &k, &s);
            if (r == 0 &&
                (s.len != 3 || memcmp(s.p, "1.", 2) != 0 || (s.p[2] != '0' && s.p[2] != '1'))) {
                e->why = "\"version\" must be \"1.0\" or \"1.1\"";
                return -1;
            }
            if (r == 0)
                e->h.minor = s.p[2] - '0';
        } else if (IS("headers")) {
            r = take_headers(e, &c, &k);
        } else if (IS("text") || IS("base64")) {
            if (have_body++) {
                e->why = "the object has more than one of \"text\" and \"base64\"";
                return -1;
            }
            r = take_string(e, &c, &k, &s);
            e->body = (const uint8_t *)s.p;
            e->blen = s.len;
            if (r == 0 && IS("base64")) {
                /* In place: the decoded bytes never pass the text. */
                long n = tx_unbase64(s.p, s.len, (uint8_t *)(uintptr_t)s.p);
                if (n < 0) {
                    e->why = "\"base64\" is not base64";
                    return -1;
                }
                e->blen = (size_t)n;
            }
        } else if (IS("chunked")) {
            r = tx_json_bool(&c, &e->chunked);
        } else {
            r = tx_json_skip(&c);
        }
#undef IS
        if (r != 0)
            goto bad;
    }
    if (r < 0 || tx_json_end(&c) != 0)
        goto bad;
    if (kind == GW_HTTP_REQUEST && (!have_method || !have_target)) {
        e->why = "a request needs \"method\" and \"target\"";
        return -1;
    }
    if (kind == GW_HTTP_RESPONSE && (!have_status || status < 100 || status > 599)) {
        e->why = "a response needs \"status\", 100 to 599";
        return -1;
    }
    e->h.status = (int)status;
    return 0;
bad:
    if (e->why == NULL)
        e->why = c.why != NULL ? c.why : "not a JSON object";
    return -1;
}

/* Adds the framing field the message lacks, if it needs one. */
static void add_framing(http_enc *e)
{
    gw_http_field *f = &e->f[e->h.nfields];
    int nobody = e->h.kind == GW_HTTP_REQUEST
                     ? e->blen == 0
                     : e->h.status < 200 || e->h.status == 204 || e->h.status == 304;

    if (gw_http_find(&e->h, "Content-Length", NULL) != NULL ||
        gw_http_find(&e->h, "Transfer-Encoding", NULL) != NULL)
        return;
    if (e->chunked) {
        f->name = (gw_http_span){"Transfer-Encoding", 17};
        f->value = (gw_http_span){"chunked", 7};
    } else if (!nobody || e->blen > 0) {
        snprintf(e->added, sizeof(e->added), "%zu", e->blen);
        f->name = (gw_http_span){"Content-Length", 14};
        f->value = (gw_http_span){e->added, strlen(e->added)};
    } else {
        return;
    }
    e->h.nfields++;
}

/* Formats the head and judges it as decode will.  Returns 0, or -1 with
 * e->why set. */
static int make_head(http_enc *e)
{
    gw_http_parser p;
    gw_http_head back;
    int n, r;

    add_framing(e);
    n = gw_http_format_head(&e->h, e->head, HEAD_CAP);
    if (n < 0) {
        e->why = n == GW_ETOO_LARGE ? "the head is longer than 65536 bytes"
                                    : "a method, target, reason, name or value that cannot be "
                                      "written (a control character, or not a token)";
        return -1;
    }
    e->hlen = (size_t)n;
    gw_http_parser_init(&p, e->h.kind, e->pf, MAX_FIELDS + 1, NULL, 0);
    r = gw_http_parse(&p, e->head, e->hlen, &back);
    if (r > 0)
        r = gw_http_framing_of(&back, -1, &e->fr);
    if (r < 0) {
        snprintf(e->whybuf, sizeof(e->whybuf), "decode would refuse it: %s",
                 strncmp(gw_strerror(r), "HTTP: ", 6) == 0 ? gw_strerror(r) + 6 : gw_strerror(r));
        e->why = e->whybuf;
        return -1;
    }
    if (e->chunked && e->fr.body != GW_HTTP_BODY_CHUNKED) {
        e->why = "\"chunked\" is true but the headers frame the body otherwise";
        return -1;
    }
    switch (e->fr.body) {
    case GW_HTTP_BODY_NONE:
        if (e->blen > 0)
            e->why = "a body in a message that has none (1xx, 204, 304, CONNECT, an upgrade)";
        break;
    case GW_HTTP_BODY_LENGTH:
        if (e->fr.length != e->blen) {
            snprintf(e->whybuf, sizeof(e->whybuf),
                     "Content-Length %" PRIu64 " but the body has %zu bytes", e->fr.length,
                     e->blen);
            e->why = e->whybuf;
        }
        break;
    case GW_HTTP_BODY_CHUNKED:
        break;
    default:
        e->why = "a body read until close (Transfer-Encoding without chunked last)";
        break;
    }
    return e->why != NULL ? -1 : 0;
}

typedef stage http_encode;
GW_GENERATOR(http_encode, NULL);
GW_BODY(http_encode, s)
{
    http_enc *e = s->l->state;
    gw_writer *out = &e->bw.w;

    GW_BEGIN(s);
    for (;;) {
        STAGE_NEXT_LINE(s, &e->rr, e->line_no);
        if (take_object(e, (gw_http_kind)s->l->row->param) != 0 || make_head(e) != 0)
            GW_RETURN(s, GW_EINVAL);
        GW_AWAIT(s, op, gw_write(out, e->head, e->hlen));
        if (s->op->ret == 0 && e->fr.body == GW_HTTP_BODY_CHUNKED && e->blen > 0) {
            e->tlen = (size_t)snprintf(e->tail, sizeof(e->tail), "%zx\r\n", e->blen);
            GW_AWAIT(s, op, gw_write(out, e->tail, e->tlen));
        }
        if (s->op->ret == 0 && e->blen > 0)
            GW_AWAIT(s, op, gw_write(out, e->body, e->blen));
        if (s->op->ret == 0 && e->fr.body == GW_HTTP_BODY_CHUNKED) {
            e->tlen = (size_t)snprintf(e->tail, sizeof(e->tail), "%s0\r\n\r\n",
                                       e->blen > 0 ? "\r\n" : "");
            GW_AWAIT(s, op, gw_write(out, e->tail, e->tlen));
        }
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (job_pace(s->job, e->hlen + e->blen))
            GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

stage *http_encode_start(layer *l, job *j)
{
    GW_INIT(&l->st, http_encode);
    return stage_bind(l, j);
}

int http_encode_error(const layer *l, char *buf, size_t len)
{
    const http_enc *e = l->state;

    if (e == NULL)
        return 0;
    if (e->why != NULL && e->line_no == 0)
        snprintf(buf, len, "%s", e->why);
    else if (e->why != NULL)
        snprintf(buf, len, "input line %" PRIu64 ": %s", e->line_no, e->why);
    else if (e->rr_live && e->rr.err != 0)
        snprintf(buf, len, "input line %" PRIu64 ": %s", e->line_no + 1,
                 e->rr.err == GW_ELINE_TOO_LONG ? "longer than --max-record allows"
                                                : gw_strerror(e->rr.err));
    else
        return 0;
    return 1;
}

void http_encode_close(layer *l)
{
    http_enc *e = l->state;

    if (e == NULL)
        return;
    if (e->rr_live)
        gw_record_reader_fini(&e->rr);
    if (l->w != NULL)
        gw_bufwriter_fini(&e->bw);
    free(e->scratch);
    free(e->head);
    free(e);
    l->state = NULL;
}
