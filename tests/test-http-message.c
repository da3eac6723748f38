/*
 * Tests of the HTTP/1.1 message reader (parsers/http/message.c): streams
 * of requests and responses through gw_http_read_head and the body layers,
 * every vector at every split point (the shared split helper) under several
 * bufreader capacities and read sizes and over plain memory; each run must
 * give the same heads, bodies, error and offset.  Content codings are made
 * here with zlib, so the bodies decoded are checked against what was coded.
 * The limits cases are in tests/http-message-limits.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include <genwire/alloc.h>
#include <genwire/compress.h>
#include <genwire/http.h>
#include <genwire/io.h>

#include "gwt.h"
#include "http-message.h"

/* How one decode runs. */
typedef struct ms_params {
    gw_http_kind kind;
    size_t brcap; /* bufreader capacity over the pipe */
    size_t rdcap; /* bytes per body read */
    size_t rdmin; /* min per body read */
    int mem;      /* over memory, no pipe */
    unsigned flags;
    int req_method; /* responses: the method answered */
    uint64_t max_output;
} ms_params;

/* Reads every message: its head as text, its body, until the end. */
typedef struct ms_drv {
    GW_FRAME(gw_wait);
    gw_http_reader *rd;
    gwt_result *out;
    gw_io_op *op;
    uint8_t *tmp;
    size_t cap, min;
    int req_method;
} ms_drv;

static void ms_head(const gw_http_reader *rd, gwt_result *out)
{
    const gw_http_head *h = &rd->head;
    char line[512];
    size_t i;
    int n;

    if (h->kind == GW_HTTP_REQUEST)
        n = snprintf(line, sizeof(line), "@%llu %.*s %.*s 1.%d\n", (unsigned long long)rd->head_off,
                     (int)h->method_s.len, h->method_s.p, (int)h->target.len, h->target.p,
                     h->minor);
    else
        n = snprintf(line, sizeof(line), "@%llu %d %.*s 1.%d\n", (unsigned long long)rd->head_off,
                     h->status, (int)h->reason.len, h->reason.p, h->minor);
    gwt_result_bytes(out, line, (size_t)n);
    for (i = 0; i < h->nfields; i++) {
        n = snprintf(line, sizeof(line), "%.*s: %.*s\n", (int)h->fields[i].name.len,
                     h->fields[i].name.p, (int)h->fields[i].value.len, h->fields[i].value.p);
        gwt_result_bytes(out, line, (size_t)n);
    }
    n = snprintf(line, sizeof(line), "[body %d%s%s%s] ", (int)rd->framing.body,
                 rd->framing.interim ? " interim" : "", rd->framing.upgrade ? " upgrade" : "",
                 rd->framing.keep_alive ? " keep" : "");
    gwt_result_bytes(out, line, (size_t)n);
}

GW_GENERATOR(ms_drv, NULL);
GW_BODY(ms_drv, s)
{
    GW_BEGIN(s);
    for (;;) {
        s->rd->req_method = s->req_method;
        GW_AWAIT(s, op, gw_http_read_head(s->rd));
        if (s->op->ret < 0)
            break;
        if (s->op->n == 0) {
            gwt_result_bytes(s->out, s->rd->upgraded ? "<upgraded>" : "<end>",
                             s->rd->upgraded ? 10 : 5);
            if (s->rd->upgraded) {
                /* The rest of the stream is the caller's, in src. */
                for (;;) {
                    GW_AWAIT(s, op, gw_try_read(&s->rd->src->r, s->tmp, s->cap, 1));
                    gwt_result_bytes(s->out, s->tmp, s->op->n);
                    if (s->op->ret < 0 || s->rd->src->r.eof)
                        break;
                }
            }
            GW_EXIT(s);
        }
        ms_head(s->rd, s->out);
        while (!s->rd->body->eof) {
            GW_AWAIT(s, op, gw_try_read(s->rd->body, s->tmp, s->cap, s->min));
            assert_true(s->op->n <= s->cap);
            gwt_result_bytes(s->out, s->tmp, s->op->n);
            if (s->op->ret < 0)
                break;
            assert_true(s->op->n >= s->min || s->rd->body->eof);
        }
        if (s->op->ret < 0)
            break;
        gwt_result_bytes(s->out, "\n", 1);
    }
    s->out->err = s->rd->err;
    s->out->off = s->rd->err_off;
    assert_int_not_equal(s->rd->err, 0);
    /* The error sticks. */
    GW_AWAIT(s, op, gw_http_read_head(s->rd));
    assert_int_equal(s->op->ret, s->out->err);
    GW_END(s);
}

static void ms_decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const ms_params *p = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_http_reader rd;
    gw_http_reader_opts o;
    ms_drv d;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    if (p->mem)
        gw_bufreader_init_mem(&br, feed->in, feed->len);
    else
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, p->brcap), 0);
    memset(&o, 0, sizeof(o));
    o.flags = p->flags;
    o.max_output = p->max_output;
    assert_int_equal(gw_http_reader_init(&rd, &br, p->kind, &o), 0);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, ms_drv);
    d.rd = &rd;
    d.out = out;
    d.cap = p->rdcap;
    d.min = p->rdmin;
    d.req_method = p->req_method;
    d.tmp = malloc(d.cap);
    assert_non_null(d.tmp);
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, &pipe, feed);
    if (p->mem)
        assert_int_equal(feed->waits, 0);
    free(d.tmp);
    gw_http_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The schedules: (bufreader capacity, read size, read min, over memory). */
static const size_t ms_shapes[][4] = {
    {512, 1, 1, 0}, {512, 7, 1, 0}, {4096, 4096, 1, 0}, {300, 64, 64, 0}, {0, 10, 3, 1},
};

/* Runs in under every shape, checking they agree; the first result stays. */
static void ms_run(const void *in, size_t len, const ms_params *base, gwt_result *first)
{
    size_t i;

    for (i = 0; i < sizeof(ms_shapes) / sizeof(ms_shapes[0]); i++) {
        ms_params p = *base;
        gwt_result r;

        p.brcap = ms_shapes[i][0];
        p.rdcap = ms_shapes[i][1];
        p.rdmin = ms_shapes[i][2];
        p.mem = (int)ms_shapes[i][3];
        gwt_check_splits(in, len, ms_decode, &p, &r);
        if (i == 0) {
            *first = r;
            continue;
        }
        if (r.err != first->err || r.len != first->len || r.off != first->off ||
            (r.len > 0 && memcmp(r.data, first->data, r.len) != 0))
            print_error("shape %zu differs:\n%.*s\nvs\n%.*s\n", i, (int)r.len, (const char *)r.data,
                        (int)first->len, (const char *)first->data);
        assert_int_equal(r.err, first->err);
        assert_int_equal(r.off, first->off);
        assert_int_equal(r.len, first->len);
        if (r.len > 0)
            assert_memory_equal(r.data, first->data, r.len);
        gwt_result_free(&r);
    }
}

static void ms_expect(const void *in, size_t len, const ms_params *p, const char *want, int err,
                      uint64_t off)
{
    gwt_result r;

    ms_run(in, len, p, &r);
    if (r.err != err || r.off != off || r.len != strlen(want) ||
        (r.len > 0 && memcmp(r.data, want, r.len) != 0))
        print_error("got %s at %llu:\n%.*s\nwant %s at %llu:\n%s\n", gw_errname(r.err),
                    (unsigned long long)r.off, (int)r.len, (const char *)r.data, gw_errname(err),
                    (unsigned long long)off, want);
    assert_int_equal(r.err, err);
    assert_int_equal(r.off, off);
    assert_int_equal(r.len, strlen(want));
    if (r.len > 0)
        assert_memory_equal(r.data, want, r.len);
    gwt_result_free(&r);
}

static const ms_params REQ = {GW_HTTP_REQUEST, 0, 0, 0, 0, 0, -1, 0};
static const ms_params RES = {GW_HTTP_RESPONSE, 0, 0, 0, 0, 0, -1, 0};

#define S(lit) lit, sizeof(lit) - 1

/* ---- framing and keep-alive ---------------------------------------------- */

static void test_pipelined_requests(void **state)
{
    (void)state;
    ms_expect(S("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                "\r\n"
                "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n"
                "GET /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
              &REQ,
              "@0 GET /a 1.1\nHost: x\n[body 0 keep] \n"
              "@28 POST /b 1.1\nContent-Length: 5\n[body 1 keep] hello\n"
              "@74 PUT /c 1.1\nTransfer-Encoding: chunked\n[body 2 keep] abc\n"
              "@140 GET /d 1.0\nConnection: keep-alive\n[body 0 keep] \n<end>",
              0, 0);
}

static void test_connection_end(void **state)
{
    (void)state;
    /* Nothing after a message that ends the connection: the clean end. */
    ms_expect(S("GET / HTTP/1.0\r\n\r\n"), &REQ, "@0 GET / 1.0\n[body 0] \n<end>", 0, 0);
    /* Bytes after it: an error at the first of them. */
    ms_expect(S("PUT /url HTTP/1.0\r\n\r\nPUT /url HTTP/1.1\r\n\r\n"), &REQ,
              "@0 PUT /url 1.0\n[body 0] \n", GW_ETRAILING_DATA, 21);
    ms_expect(S("GET / HTTP/1.1\r\nConnection: close\r\n\r\nX"), &REQ,
              "@0 GET / 1.1\nConnection: close\n[body 0] \n", GW_ETRAILING_DATA, 37);
    /* A response read until close takes everything. */
    ms_expect(S("HTTP/1.1 200 OK\r\n\r\nhello\r\nHTTP/1.1 200 OK\r\n\r\n"), &RES,
              "@0 200 OK 1.1\n[body 3] hello\r\nHTTP/1.1 200 OK\r\n\r\n\n<end>", 0, 0);
}

static void test_interim_and_upgrade(void **state)
{
    ms_params head = RES;

    (void)state;
    ms_expect(S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"),
              &RES,
              "@0 100 Continue 1.1\n[body 0 interim keep] \n"
              "@25 103 Early Hints 1.1\nLink: </a>\n[body 0 interim keep] \n"
              "@65 404 Not Found 1.1\nContent-Length: 2\n[body 1 keep] no\n<end>",
              0, 0);
    /* 101: the bytes after the head are handed over. */
    ms_expect(
        S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: ws\r\n\r\n\x81\x05hello"), &RES,
        "@0 101 Switching Protocols 1.1\nUpgrade: ws\n[body 0 upgrade] \n<upgraded>\x81\x05hello",
        0, 0);
    /* An Upgrade request: its body first. */
    ms_expect(
        S("PUT /url HTTP/1.1\r\nConnection: upgrade\r\nContent-Length: 4\r\nUpgrade: ws\r\n\r\n"
          "abcdefgh"),
        &REQ,
        "@0 PUT /url 1.1\nConnection: upgrade\nContent-Length: 4\nUpgrade: ws\n"
        "[body 1 upgrade] abcd\n<upgraded>efgh",
        0, 0);
    ms_expect(S("CONNECT a:443 HTTP/1.1\r\n\r\nTLS"), &REQ,
              "@0 CONNECT a:443 1.1\n[body 0 upgrade] \n<upgraded>TLS", 0, 0);
    /* The answer to HEAD has no body whatever it says. */
    head.req_method = GW_HTTP_HEAD;
    ms_expect(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
              &head,
              "@0 200 OK 1.1\nContent-Length: 5\n[body 0 keep] \n"
              "@38 204 No Content 1.1\n[body 0 keep] \n<end>",
              0, 0);
    head.req_method = GW_HTTP_CONNECT;
    ms_expect(S("HTTP/1.1 200 Connection established\r\n\r\ntunnel"), &head,
              "@0 200 Connection established 1.1\n[body 0 upgrade] \n<upgraded>tunnel", 0, 0);
}

static void test_errors_at_stream_offsets(void **state)
{
    (void)state;
    /* The second head's error is at its offset in the stream. */
    ms_expect(S("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nA : b\r\n\r\n"), &REQ,
              "@0 GET / 1.1\n[body 0 keep] \n", GW_EHTTP_WS_BEFORE_COLON, 35);
    ms_expect(S("GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: "
                "2\r\n\r\n"),
              &REQ, "@0 GET / 1.1\n[body 0 keep] \n", GW_EHTTP_CONTENT_LENGTH, 70);
    /* End of input inside a head, or a body: truncated, where it ended. */
    ms_expect(S("GET / HTTP/1.1\r\nHost"), &REQ, "", GW_ETRUNCATED, 20);
    ms_expect(S("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), &REQ,
              "@0 POST / 1.1\nContent-Length: 10\n[body 1 keep] abc", GW_ETRUNCATED, 42);
    ms_expect(S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"), &REQ,
              "@0 POST / 1.1\nTransfer-Encoding: chunked\n[body 2 keep] abc", GW_ETRUNCATED, 55);
    ms_expect(S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX"), &REQ,
              "@0 POST / 1.1\nTransfer-Encoding: chunked\n[body 2 keep] abc", GW_ECHUNK_CRLF, 53);
    /* Empty lines only, then the end: a clean end. */
    ms_expect(S("\r\n\r\n"), &REQ, "<end>", 0, 0);
    ms_expect(S(""), &REQ, "<end>", 0, 0);
}

/* ---- content codings ----------------------------------------------------- */

/* Codes src with zlib: wbits 31 gzip, 15 zlib, -15 raw. */
static size_t zcode(const char *src, uint8_t *dst, size_t cap, int wbits)
{
    z_stream z;

    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)strlen(src);
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

/* Builds a response with the coded body and Content-Length framing. */
static size_t coded_response(const char *coding, const uint8_t *body, size_t blen, char *out)
{
    int n = sprintf(out, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                    coding, blen);
    memcpy(out + n, body, blen);
    return (size_t)n + blen;
}

static void test_content_codings(void **state)
{
    static const char text[] = "hello, hello, hello, world: a body that compresses well";
    static const struct {
        const char *name;
        int wbits;
    } codings[] = {
        {"gzip", 31}, {"x-gzip", 31}, {"deflate", 15}, {"deflate", -15}, {"identity, GZIP", 31}};
    uint8_t z[512], zz[512];
    char msg[1024], want[1024];
    size_t i, zl, n;

    (void)state;
    for (i = 0; i < sizeof(codings) / sizeof(codings[0]); i++) {
        zl = zcode(text, z, sizeof(z), codings[i].wbits);
        n = coded_response(codings[i].name, z, zl, msg);
        snprintf(
            want, sizeof(want),
            "@0 200 OK 1.1\nContent-Encoding: %s\nContent-Length: %zu\n[body 1 keep] %s\n<end>",
            codings[i].name, zl, text);
        ms_expect(msg, n, &RES, want, 0, 0);
    }
    /* Two codings: gzip applied first, then deflate; undone last first. */
    zl = zcode(text, z, sizeof(z), 31);
    {
        z_stream s;
        memset(&s, 0, sizeof(s));
        assert_int_equal(deflateInit(&s, 6), Z_OK);
        s.next_in = z;
        s.avail_in = (uInt)zl;
        s.next_out = zz;
        s.avail_out = sizeof(zz);
        assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
        deflateEnd(&s);
        n = coded_response("gzip, deflate", zz, sizeof(zz) - s.avail_out, msg);
        snprintf(
            want, sizeof(want),
            "@0 200 OK 1.1\nContent-Encoding: gzip, deflate\nContent-Length: %zu\n[body 1 keep] "
            "%s\n<end>",
            sizeof(zz) - s.avail_out, text);
        ms_expect(msg, n, &RES, want, 0, 0);
    }
    /* A chunked, gzip-coded body. */
    zl = zcode(text, z, sizeof(z), 31);
    n = (size_t)sprintf(
        msg,
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
        zl / 2);
    memcpy(msg + n, z, zl / 2);
    n += zl / 2;
    n += (size_t)sprintf(msg + n, "\r\n%zx\r\n", zl - zl / 2);
    memcpy(msg + n, z + zl / 2, zl - zl / 2);
    n += zl - zl / 2;
    n += (size_t)sprintf(msg + n, "\r\n0\r\n\r\n");
    snprintf(want, sizeof(want),
             "@0 200 OK 1.1\nContent-Encoding: gzip\nTransfer-Encoding: chunked\n[body 2 keep] "
             "%s\n<end>",
             text);
    ms_expect(msg, n, &RES, want, 0, 0);
}

static void test_coding_errors(void **state)
{
    static const char text[] = "0123456789012345678901234567890123456789";
    ms_params raw = RES, cap = RES;
    uint8_t z[256];
    char msg[512], want[512];
    size_t zl, n;

    (void)state;
    /* A coding genwire cannot decode: an error naming it, at the name. */
    ms_expect(S("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nxx"), &RES,
              "@0 200 OK 1.1\nContent-Encoding: br\nContent-Length: 2\n[body 1 keep] ",
              GW_EHTTP_CODING, 35);
    /* unless the body is asked for undecoded */
    raw.flags = GW_HTTP_RAW_BODY;
    ms_expect(S("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nxx"), &raw,
              "@0 200 OK 1.1\nContent-Encoding: br\nContent-Length: 2\n[body 1 keep] xx\n<end>", 0,
              0);
    /* Five codings: over the limit of four, at the fifth. */
    ms_expect(S("HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip, gzip, gzip, gzip\r\n"
                "Content-Length: 2\r\n\r\nxx"),
              &RES,
              "@0 200 OK 1.1\nContent-Encoding: gzip, gzip, gzip, gzip, gzip\nContent-Length: 2\n"
              "[body 1 keep] ",
              GW_EHTTP_TOO_MANY_CODINGS, 59);
    /* Corrupt data: inflate's error. */
    ms_expect(S("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nxxxx"), &RES,
              "@0 200 OK 1.1\nContent-Encoding: gzip\nContent-Length: 4\n[body 1 keep] ",
              GW_EZ_HEADER, 1);
    /* The output cap holds: every byte up to it, none past. */
    zl = zcode(text, z, sizeof(z), 31);
    n = coded_response("gzip", z, zl, msg);
    cap.max_output = 10;
    snprintf(want, sizeof(want),
             "@0 200 OK 1.1\nContent-Encoding: gzip\nContent-Length: %zu\n[body 1 keep] 0123456789",
             zl);
    {
        gwt_result r;
        ms_run(msg, n, &cap, &r);
        assert_int_equal(r.err, GW_EOUTPUT_LIMIT);
        assert_int_equal(r.len, strlen(want));
        assert_memory_equal(r.data, want, r.len);
        gwt_result_free(&r);
    }
}

/* Written with the head writer, the chunked writer and deflate, read back
 * with the reader: the body comes out as it went in. */
static void test_write_then_read(void **state)
{
    static const char body[] = "a body written through gzip and chunked, then read back again";
    gw_http_field f[2] = {{{"Transfer-Encoding", 17}, {"chunked", 7}},
                          {{"Content-Encoding", 16}, {"gzip", 4}}};
    gw_http_head h;
    gwt_sink k;
    gw_chunked_writer cw;
    gw_deflate z;
    gw_deflate_opts zo;
    char head[256], want[512];
    int n;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.kind = GW_HTTP_RESPONSE;
    h.minor = 1;
    h.status = 200;
    h.reason.p = "OK";
    h.reason.len = 2;
    h.fields = f;
    h.nfields = 2;
    n = gw_http_format_head(&h, head, sizeof(head));
    assert_true(n > 0);
    gwt_sink_init(&k, 0);
    assert_int_equal(gwt_run_op(gw_write(&k.w, head, (size_t)n)), 0);
    assert_int_equal(gw_chunked_writer_init(&cw, &k.w, 16), 0);
    gw_deflate_opts_default(&zo);
    assert_int_equal(gw_deflate_init(&z, &cw.w, &zo), 0);
    assert_int_equal(gwt_run_op(gw_write(&z.w, body, sizeof(body) - 1)), 0);
    assert_int_equal(gwt_run_op(gw_close(&z.w)), 0);
    snprintf(want, sizeof(want),
             "@0 200 OK 1.1\nTransfer-Encoding: chunked\nContent-Encoding: gzip\n[body 2 keep] "
             "%s\n<end>",
             body);
    ms_expect(k.got.data, k.got.len, &RES, want, 0, 0);
    gw_deflate_fini(&z);
    gw_chunked_writer_fini(&cw);
    gwt_result_free(&k.got);
}

/* A message that is all there returns without waiting for more input. */
static void test_no_wait_after_message(void **state)
{
    static const char in[] = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    gw_mempipe pipe;
    gw_bufreader br;
    gw_http_reader rd;
    gw_wait w;
    gw_stack st;
    gw_io_op *op;
    uint8_t buf[8];

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 128), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 256), 0);
    assert_int_equal(gw_http_reader_init(&rd, &br, GW_HTTP_REQUEST, NULL), 0);
    assert_int_equal(gw_mempipe_feed(&pipe, in, sizeof(in) - 4), sizeof(in) - 4);
    op = gw_http_read_head(&rd);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED); /* the head, no body byte yet */
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, sizeof(in) - 4);
    assert_int_equal(gw_mempipe_feed(&pipe, "abc", 3), 3);
    op = gw_try_read(rd.body, buf, sizeof(buf), 3);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED); /* the whole body, at once */
    assert_int_equal(op->n, 3);
    assert_true(rd.body->eof);
    gw_http_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* Allocations fail. */
static void *no_malloc(size_t n, void *ud)
{
    (void)n;
    (void)ud;
    return NULL;
}

static void just_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* A failed init (no src, an unknown flag or kind, no memory) sticks: the
 * head and body reads fail with its error (they once crashed on the NULL
 * src and body).  max_fields is clamped to what a head of max_head bytes
 * can hold: GW_UNLIMITED once failed the init (GW_ENOMEM), and
 * SIZE_MAX / 32 + 2 wrapped the array's size to one entry. */
static void test_init_failure_sticks(void **state)
{
    static const gw_allocator failing = {no_malloc, NULL, just_free, NULL};
    static char head[4096];
    gw_bufreader br;
    gw_http_reader rd;
    gw_http_reader_opts o;
    uint8_t buf[8];
    size_t n, i;
    int k, want;

    (void)state;
    n = (size_t)sprintf(head, "GET / HTTP/1.1\r\n");
    for (i = 0; i < 150; i++)
        n += (size_t)sprintf(head + n, "f%zu: v\r\n", i);
    n += (size_t)sprintf(head + n, "\r\n");
    gw_bufreader_init_mem(&br, head, n);
    for (k = 0; k < 4; k++) {
        memset(&o, 0, sizeof(o));
        o.flags = k == 1 ? 0x80u : 0;
        want = k == 3 ? GW_ENOMEM : GW_EINVAL;
        if (k == 3)
            gw_set_allocator(&failing);
        assert_int_equal(gw_http_reader_init(&rd, k == 0 ? NULL : &br,
                                             k == 2 ? (gw_http_kind)7 : GW_HTTP_REQUEST, &o),
                         want);
        gw_set_allocator(NULL);
        assert_int_equal(gwt_run_op(gw_http_read_head(&rd)), want);
        assert_int_equal(gwt_run_op(gw_try_read(rd.body, buf, sizeof(buf), 1)), want);
        assert_int_equal(gwt_run_op(gw_http_read_head(&rd)), want);
        assert_int_equal(rd.err, want);
        gw_http_reader_fini(&rd);
    }
    for (k = 0; k < 2; k++) {
        memset(&o, 0, sizeof(o));
        o.lim.max_head = 2000;
        o.lim.max_fields = k == 0 ? (size_t)GW_UNLIMITED : SIZE_MAX / sizeof(gw_http_field) + 2;
        gw_bufreader_init_mem(&br, head, n);
        assert_int_equal(gw_http_reader_init(&rd, &br, GW_HTTP_REQUEST, &o), 0);
        assert_true(rd._o.lim.max_fields <= 2000 / 3 + 1);
        assert_int_equal(gwt_run_op(gw_http_read_head(&rd)), 0);
        assert_int_equal(rd.head.nfields, 150);
        gw_http_reader_fini(&rd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_requests),
        cmocka_unit_test(test_connection_end),
        cmocka_unit_test(test_interim_and_upgrade),
        cmocka_unit_test(test_errors_at_stream_offsets),
        cmocka_unit_test(test_content_codings),
        cmocka_unit_test(test_coding_errors),
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_no_wait_after_message),
        cmocka_unit_test(test_init_failure_sticks),
        cmocka_unit_test(test_reader_empty_lines_outside_head),
        cmocka_unit_test(test_reader_max_head_is_the_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
