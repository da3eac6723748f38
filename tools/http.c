/*
 * The HTTP/1.1 message layers' adapter (http-request, http-response; the
 * row's parameter is the gw_http_kind).  Decode reads a stream of messages
 * as they arrive on one keep-alive connection and writes, per --format,
 * one JSON object per message ({"offset", "version", "method" and "target"
 * or "status" and "reason", "headers", "length", "text" or "base64"}) or
 * the bodies alone (raw); json is the default.  Bodies have their transfer coding removed and
 * their content coding decoded (inflate, with --max-output).  A response to
 * HEAD cannot be told apart in a bare stream: its Content-Length is taken
 * as a body that follows.  Encode is in http-encode.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/http.h>

#include "http-encode.h"
#include "text.h"
#include "tool.h"

typedef struct http_state {
    gw_http_reader rd; /* the messages */
    int rd_live;       /* rd is initialised */
    char *head;        /* the JSON of the current head, made before its body is read */
    size_t hlen, hcap;
    uint8_t *body; /* the current body (JSON: all of it, up to --max-record) */
    size_t blen, bcap;
    char *out;   /* the formatted body */
    size_t olen; /* its length */
    int too_large;
    int bad_format; /* --format other than json or raw */
} http_state;

static int http_open_decode(layer *l, gw_reader *src, job *j)
{
    http_state *st;
    gw_http_reader_opts o;
    int err;

    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    if ((j->opt->given & OPT_FORMAT) && j->opt->format != OUT_JSON && j->opt->format != OUT_RAW) {
        st->bad_format = 1;
        return GW_EINVAL;
    }
    if ((err = layer_open_input(l, src)) != 0)
        return err;
    memset(&o, 0, sizeof(o));
    o.max_output = j->opt->max_output;
    err = gw_http_reader_init(&st->rd, &l->in, (gw_http_kind)l->row->param, &o);
    st->rd_live = 1;
    return err;
}

/* Appends n bytes to the head text, growing it. */
static int put(http_state *st, const char *p, size_t n)
{
    if (st->hlen + n + 1 > st->hcap) {
        size_t cap = st->hcap ? st->hcap : 1024;
        char *q;
        while (cap < st->hlen + n + 1)
            cap *= 2;
        if ((q = realloc(st->head, cap)) == NULL)
            return GW_ENOMEM;
        st->head = q;
        st->hcap = cap;
    }
    memcpy(st->head + st->hlen, p, n);
    st->hlen += n;
    return 0;
}

/* Appends a JSON string of s: escaped UTF-8, or each byte as \u00XX when
 * s is not UTF-8 (obs-text in a field value). */
static int put_str(http_state *st, gw_http_span s)
{
    char tmp[8];
    size_t i;
    int err = put(st, "\"", 1);

    if (tx_utf8_valid((const uint8_t *)s.p, s.len)) {
        char *q = malloc(TX_JSON_ESCAPED_MAX(s.len) + 1);
        if (q == NULL)
            return GW_ENOMEM;
        err = err ? err : put(st, q, tx_json_escape((const uint8_t *)s.p, s.len, q));
        free(q);
    } else {
        for (i = 0; i < s.len && err == 0; i++) {
            snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)(uint8_t)s.p[i]);
            err = put(st, tmp, 6);
        }
    }
    return err ? err : put(st, "\"", 1);
}

/* The JSON of the head just read, up to the body's members. */
static int format_head(http_state *st)
{
    const gw_http_head *h = &st->rd.head;
    char num[96];
    size_t i;
    int err;

    st->hlen = 0;
    snprintf(num, sizeof(num), "{\"offset\": %" PRIu64 ", \"version\": \"1.%d\", ", st->rd.head_off,
             h->minor);
    err = put(st, num, strlen(num));
    if (h->kind == GW_HTTP_REQUEST) {
        err = err ? err : put(st, "\"method\": ", 10);
        err = err ? err : put_str(st, h->method_s);
        err = err ? err : put(st, ", \"target\": ", 12);
        err = err ? err : put_str(st, h->target);
    } else {
        snprintf(num, sizeof(num), "\"status\": %d, \"reason\": ", h->status);
        err = err ? err : put(st, num, strlen(num));
        err = err ? err : put_str(st, h->reason);
    }
    err = err ? err : put(st, ", \"headers\": [", 14);
    for (i = 0; i < h->nfields && err == 0; i++) {
        err = put(st, i ? ", [" : "[", i ? 3 : 1);
        err = err ? err : put_str(st, h->fields[i].name);
        err = err ? err : put(st, ", ", 2);
        err = err ? err : put_str(st, h->fields[i].value);
        err = err ? err : put(st, "]", 1);
    }
    return err ? err : put(st, "]", 1);
}

/* Room for n more body bytes, within --max-record. */
static int body_room(http_state *st, size_t n, uint64_t max)
{
    if (st->blen + n > max) {
        st->too_large = 1;
        return GW_ERECORD_TOO_LARGE;
    }
    if (st->blen + n > st->bcap) {
        size_t cap = st->bcap ? st->bcap : 65536;
        uint8_t *q;
        while (cap < st->blen + n)
            cap *= 2;
        if ((q = realloc(st->body, cap)) == NULL)
            return GW_ENOMEM;
        st->body = q;
        st->bcap = cap;
    }
    return 0;
}

#define READ_PIECE 65536u

typedef stage http_decode;
GW_GENERATOR(http_decode, NULL);
GW_BODY(http_decode, s)
{
    http_state *st = s->l->state;
    gw_writer *out = &s->job->bout.w;
    int raw = (s->job->opt->given & OPT_FORMAT) && s->job->opt->format == OUT_RAW;

    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_http_read_head(&st->rd));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (s->op->n == 0)
            GW_RETURN(s, 0); /* the end: of the stream, or of HTTP/1.1 on it */
        if (!raw && (s->res = format_head(st)) != 0)
            GW_RETURN(s, s->res);
        st->blen = 0;
        while (!st->rd.body->eof) {
            if ((s->res = body_room(st, READ_PIECE, raw ? UINT64_MAX : s->job->opt->max_record)) !=
                0) {
                if (!st->too_large)
                    GW_RETURN(s, s->res);
                /* Over the limit: read no more than it allows, then stop. */
                GW_RETURN(s, GW_ERECORD_TOO_LARGE);
            }
            GW_AWAIT(s, op, gw_try_read(st->rd.body, st->body + st->blen, READ_PIECE, 1));
            st->blen += s->op->n;
            if (raw && st->blen > 0) {
                GW_AWAIT(s, op, gw_write(out, st->body, st->blen));
                if (s->op->ret < 0)
                    GW_RETURN(s, s->op->ret);
                st->blen = 0;
            }
            if (st->rd.body->err != 0)
                GW_RETURN(s, st->rd.body->err);
        }
        if (!raw) {
            int text = tx_utf8_valid(st->body, st->blen);
            char tail[64];
            free(st->out);
            st->out = malloc((text ? TX_JSON_ESCAPED_MAX(st->blen) : TX_BASE64_LEN(st->blen)) + 8);
            if (st->out == NULL)
                GW_RETURN(s, GW_ENOMEM);
            snprintf(tail, sizeof(tail), ", \"length\": %zu, \"%s\": \"", st->blen,
                     text ? "text" : "base64");
            if ((s->res = put(st, tail, strlen(tail))) != 0)
                GW_RETURN(s, s->res);
            st->olen = text ? tx_json_escape(st->body, st->blen, st->out)
                            : tx_base64(st->body, st->blen, st->out);
            memcpy(st->out + st->olen, "\"}\n", 3);
            GW_AWAIT(s, op, gw_write(out, st->head, st->hlen));
            if (s->op->ret == 0)
                GW_AWAIT(s, op, gw_write(out, st->out, st->olen + 3));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
        }
        if (job_pace(s->job, st->blen + st->hlen))
            GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

STAGE_DEFINE_START(http_decode_start, http_decode)

static int http_error(const layer *l, const job *j, char *buf, size_t len)
{
    const http_state *st = l->state;
    const gw_http_reader *rd = st != NULL && st->rd_live ? &st->rd : NULL;
    char cut[96];
    int err;

    if (l->encoding)
        return http_encode_error(l, buf, len);
    if (st != NULL && st->bad_format) {
        snprintf(buf, len, "--format must be json (the default) or raw for HTTP messages");
        return 1;
    }
    if (st != NULL && st->too_large) {
        snprintf(buf, len,
                 "a body longer than --max-record %" PRIu64 " in the message at byte %" PRIu64,
                 j->opt->max_record, rd->head_off);
        return 1;
    }
    if (rd == NULL || rd->err == 0)
        return 0;
    err = rd->err;
    if (err == GW_ETRUNCATED)
        snprintf(buf, len, "%s at byte %" PRIu64, layer_truncated(l, cut, sizeof(cut)),
                 rd->err_off);
    else if (err == GW_EHTTP_CODING || err == GW_EHTTP_TOO_MANY_CODINGS)
        snprintf(buf, len, "%s '%.*s' at byte %" PRIu64, gw_strerror(err) + 6, (int)rd->coding.len,
                 rd->coding.p != NULL ? rd->coding.p : "", rd->err_off);
    else if (err == GW_EOUTPUT_LIMIT)
        snprintf(buf, len, "decompressed body over --max-output %" PRIu64, j->opt->max_output);
    else
        snprintf(buf, len, "%s at byte %" PRIu64,
                 strncmp(gw_strerror(err), "HTTP: ", 6) == 0 ? gw_strerror(err) + 6
                                                             : gw_strerror(err),
                 rd->err_off);
    return 1;
}

static void http_close(layer *l)
{
    http_state *st = l->state;

    if (l->encoding) {
        http_encode_close(l);
        return;
    }
    if (st == NULL)
        return;
    if (st->rd_live)
        gw_http_reader_fini(&st->rd);
    free(st->head);
    free(st->body);
    free(st->out);
}

const layer_ops http_ops = {http_open_decode,  http_open_encode, http_decode_start,
                            http_encode_start, http_error,       http_close};
