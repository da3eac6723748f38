/*
 * Cancel at every suspension point of the protocol layers (issue 9): the
 * HTTP message reader (heads, Content-Length, chunked and gzip bodies, a
 * body left unread and dropped by the next head, the wait for the end
 * after the last message), HTTP messages written (heads and bodies through
 * a bufwriter, the chunked writer and deflate), the RESP event reader
 * (nested aggregates, bulk strings in pieces, streamed strings), the RESP
 * tree reader (and its reads straight into a long string) and the RESP
 * writer (values that need a buffer of their own, payloads written past
 * the bufwriter), the last three in tests/cancel-proto-resp.c; both files
 * run on gwt_cancel_each (tests/gwt-cancel.h).  Everything runs over 1-byte pipes, so each
 * operation suspends once a byte; each run is cancelled at its k-th suspension for every k, and the
 * object must then hold the sticky GW_ECANCELLED, fail every later operation with it, and leak
 * nothing (allocations are counted).  The run that finishes is checked for what it read or wrote.
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
#include <genwire/frame.h>
#include <genwire/http.h>
#include <genwire/resp.h>

#include "cancel-proto.h"
#include "gwt-cancel.h"
#include "gwt.h"

/* ---- counting allocations -------------------------------------------------------- */

long cp_live; /* blocks allocated through gw_malloc and not freed */

static void *count_malloc(size_t n, void *ud)
{
    void *p = malloc(n);

    (void)ud;
    cp_live += p != NULL;
    return p;
}

static void *count_realloc(void *p, size_t n, void *ud)
{
    void *q = realloc(p, n);

    (void)ud;
    cp_live += p == NULL && q != NULL;
    return q;
}

static void count_free(void *p, void *ud)
{
    (void)ud;
    cp_live -= p != NULL;
    free(p);
}

static int count_on(void **state)
{
    static const gw_allocator a = {count_malloc, count_realloc, count_free, NULL};

    (void)state;
    gw_set_allocator(&a);
    cp_live = 0;
    return 0;
}

static int count_off(void **state)
{
    (void)state;
    gw_set_allocator(NULL);
    return 0;
}

/* Feeds the next byte of in[0..len) into a pipe a reader waits on, or ends
 * it. */
void cp_feed_byte(gw_mempipe *p, const gw_wait *w, const uint8_t *in, size_t len, size_t *pos)
{
    assert_int_equal(w->kind, GW_WAIT_EVENT);
    assert_ptr_equal(w->event, &p->readable);
    if (*pos < len)
        *pos += gw_mempipe_feed(p, in + *pos, 1);
    else
        gw_mempipe_finish(p);
}

/* Takes what a writer has put in its pipe into out. */
void cp_take_bytes(gw_mempipe *p, const gw_wait *w, gwt_result *out)
{
    uint8_t b[512];
    gw_io_op *op = gw_try_read(&p->r, b, sizeof(b), 0);

    assert_int_equal(w->kind, GW_WAIT_EVENT);
    assert_ptr_equal(w->event, &p->writable);
    assert_int_equal(gwt_run_op(op), 0);
    assert_true(op->n > 0);
    gwt_result_bytes(out, b, op->n);
}

/* Takes what is left in a writer's pipe when the run finished. */
void cp_take_rest(gw_mempipe *p, gwt_result *out)
{
    uint8_t b[512];
    gw_io_op *op = gw_try_read(&p->r, b, sizeof(b), 0);

    assert_int_equal(gwt_run_op(op), 0);
    gwt_result_bytes(out, b, op->n);
}

/* gzip of s (zlib), into out (cap bytes); returns its length. */
static size_t gzip_of(const char *s, uint8_t *out, size_t cap)
{
    z_stream z;

    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)s;
    z.avail_in = (uInt)strlen(s);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

/* Appends s (n bytes; n 0: strlen) to the stream being built. */
static void put(gwt_result *r, const void *s, size_t n)
{
    gwt_result_bytes(r, s, n != 0 ? n : strlen(s));
}

/* ---- HTTP reader ------------------------------------------------------------------ */

typedef struct hr_ctx hr_ctx;

/* Reads every message, each body (but those in `unread`) in 3-byte reads. */
typedef gw_io_op hr_script;

struct hr_ctx {
    gw_http_kind kind;
    gwt_result in;    /* the stream */
    unsigned unread;  /* bit i: leave message i's body to the next head */
    const char *want; /* the bodies read, joined */
    unsigned nmsg;    /* heads in the stream */
    size_t pos;       /* bytes fed */
    gw_mempipe pipe;
    gw_bufreader br;
    gw_http_reader rd;
    hr_script script;
    gwt_result got; /* the bodies read */
    unsigned heads; /* heads read */
    uint8_t buf[3];
    unsigned msg; /* the script's message */
    int ret;      /* the script's last result */
};

GW_GENERATOR(hr_script, NULL);
GW_BODY(hr_script, s)
{
    hr_ctx *c = s->obj;

    GW_BEGIN(s);
    for (c->msg = 0;; c->msg++) {
        GW_AWAIT(s, sub, gw_http_read_head(&c->rd));
        if (s->sub->ret < 0 || s->sub->n == 0)
            break;
        c->heads++;
        if (c->unread & (1u << c->msg))
            continue;
        while (!c->rd.body->eof) {
            GW_AWAIT(s, sub, gw_try_read(c->rd.body, c->buf, sizeof(c->buf), 1));
            gwt_result_bytes(&c->got, c->buf, s->sub->n);
            if (s->sub->ret < 0)
                break;
        }
        if (s->sub->ret < 0)
            break;
    }
    c->ret = s->sub->ret;
    GW_END(s);
}

static gw_io_op *hr_start(void *ud)
{
    hr_ctx *c = ud;

    c->pos = 0;
    c->heads = 0;
    c->ret = 1;
    memset(&c->got, 0, sizeof(c->got));
    assert_int_equal(gw_mempipe_init(&c->pipe, 1), 0);
    assert_int_equal(gw_bufreader_init(&c->br, &c->pipe.r, 128), 0);
    assert_int_equal(gw_http_reader_init(&c->rd, &c->br, c->kind, NULL), 0);
    memset(&c->script, 0, sizeof(c->script));
    GW_INIT(&c->script, hr_script);
    c->script.obj = c;
    return &c->script;
}

static void hr_progress(void *ud, const gw_wait *w)
{
    hr_ctx *c = ud;

    cp_feed_byte(&c->pipe, w, c->in.data, c->in.len, &c->pos);
}

static void hr_check(void *ud)
{
    hr_ctx *c = ud;
    uint8_t b[8];

    assert_int_equal(c->rd.err, GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_http_read_head(&c->rd)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_try_read(c->rd.body, b, sizeof(b), 0)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_http_read_head(&c->rd)), GW_ECANCELLED);
}

static void hr_finished(void *ud, gw_io_op *op)
{
    hr_ctx *c = ud;

    assert_int_equal(op->ret, 0);
    assert_int_equal(c->ret, 0);
    assert_int_equal(c->rd.err, 0);
    assert_int_equal(c->heads, c->nmsg);
    assert_int_equal(c->got.len, strlen(c->want));
    assert_memory_equal(c->got.data, c->want, c->got.len);
}

static void hr_teardown(void *ud)
{
    hr_ctx *c = ud;

    gw_http_reader_fini(&c->rd);
    gw_bufreader_fini(&c->br);
    gw_mempipe_fini(&c->pipe);
    gwt_result_free(&c->got);
    assert_int_equal(cp_live, 0); /* nothing leaked */
}

static const gwt_cancel_case hr_case = {"hr",        hr_start, hr_progress, hr_check, hr_finished,
                                        hr_teardown, 0};

/* A Content-Length message with a gzip body: head (start line first) and
 * body. */
static void put_gzip_message(gwt_result *in, const char *start, const char *text)
{
    uint8_t gz[256];
    char h[64];
    size_t n = gzip_of(text, gz, sizeof(gz));

    put(in, start, 0);
    snprintf(h, sizeof(h), "Content-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", n);
    put(in, h, 0);
    put(in, gz, n);
}

static void run_hr(hr_ctx *c)
{
    size_t cancels = gwt_cancel_each(&hr_case, c, NULL);

    /* Every byte fed is a wait, and the end one more. */
    print_message("# %zu cancels over %zu bytes\n", cancels, c->in.len);
    assert_true(cancels >= c->in.len);
    gwt_result_free(&c->in);
}

static void test_http_request_reader(void **state)
{
    hr_ctx c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = GW_HTTP_REQUEST;
    put(&c.in, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", 0);
    put(&c.in, "\r\nPOST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0);
    put(&c.in, "5\r\nhello\r\n2;x=y\r\n, \r\n0\r\nT: v\r\n\r\n", 0);
    put(&c.in, "PUT /c HTTP/1.1\r\nContent-Length: 7\r\n\r\nunread!", 0);
    put(&c.in, "POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0);
    put_gzip_message(&c.in, "POST /e HTTP/1.1\r\n", "gzipped body, gzipped body");
    put(&c.in, "GET /f HTTP/1.0\r\n\r\n", 0); /* the end must follow */
    c.unread = 1u << 2 | 1u << 3;
    c.want = "hello worldhello, gzipped body, gzipped body";
    c.nmsg = 6;
    run_hr(&c);
}

static void test_http_response_reader(void **state)
{
    hr_ctx c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = GW_HTTP_RESPONSE;
    put(&c.in, "HTTP/1.1 100 Continue\r\n\r\n", 0);
    put(&c.in, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0);
    put(&c.in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", 0);
    put(&c.in, "HTTP/1.1 201 Created\r\nContent-Length: 6\r\n\r\nunread", 0);
    put_gzip_message(&c.in, "HTTP/1.1 200 OK\r\n", "a gzipped response body");
    put(&c.in, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end", 0);
    c.unread = 1u << 3;
    c.want = "helloabcda gzipped response bodyto the end";
    c.nmsg = 6;
    run_hr(&c);
}

/* ---- HTTP writer ------------------------------------------------------------------ */

typedef struct hw_ctx hw_ctx;

/* Writes a Content-Length response, then a chunked one (gzip-coded if
 * c->gz), ending the stream. */
typedef gw_io_op hw_script;

struct hw_ctx {
    int gz;
    gw_mempipe pipe;
    gw_bufwriter bw;
    gw_chunked_writer ck;
    gw_deflate df;
    gw_writer *body; /* where the chunked body goes: ck or df */
    gw_writer *cur;  /* the writer the script is writing to */
    hw_script script;
    char head[128]; /* the chunked response's head */
    gwt_result out; /* what reached the pipe */
    int ret;
};

static const char hw_head1[] = "HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n";
static const char hw_body1[] = "abcdefghijklmnopqrstuvwxyz";
static const char hw_body2[] = "a chunked body, written in three parts, ";

/* The head of the chunked response. */
static size_t hw_head2(int gz, char *buf, size_t cap)
{
    gw_http_field f[2] = {{{"Transfer-Encoding", 17}, {"chunked", 7}},
                          {{"Content-Encoding", 16}, {"gzip", 4}}};
    gw_http_head h;
    int n;

    memset(&h, 0, sizeof(h));
    h.kind = GW_HTTP_RESPONSE;
    h.minor = 1;
    h.status = 200;
    h.reason.p = "OK";
    h.reason.len = 2;
    h.fields = f;
    h.nfields = gz ? 2 : 1;
    n = gw_http_format_head(&h, buf, cap);
    assert_true(n > 0);
    return (size_t)n;
}

GW_GENERATOR(hw_script, NULL);
GW_BODY(hw_script, s)
{
    hw_ctx *c = s->obj;

    GW_BEGIN(s);
    c->cur = &c->bw.w;
    GW_AWAIT(s, sub, gw_write(c->cur, hw_head1, sizeof(hw_head1) - 1));
    if ((c->ret = s->sub->ret) < 0)
        GW_EXIT(s);
    GW_AWAIT(s, sub, gw_write(c->cur, hw_body1, sizeof(hw_body1) - 1));
    if ((c->ret = s->sub->ret) < 0)
        GW_EXIT(s);
    /* In the context: the bytes must stay valid while the write waits. */
    GW_AWAIT(s, sub, gw_write(c->cur, c->head, hw_head2(c->gz, c->head, sizeof(c->head))));
    if ((c->ret = s->sub->ret) < 0)
        GW_EXIT(s);
    c->cur = c->body;
    GW_AWAIT(s, sub, gw_write(c->cur, hw_body2, 15));
    if ((c->ret = s->sub->ret) < 0)
        GW_EXIT(s);
    GW_AWAIT(s, sub, gw_flush(c->cur));
    if ((c->ret = s->sub->ret) < 0)
        GW_EXIT(s);
    GW_AWAIT(s, sub, gw_write(c->cur, hw_body2 + 15, sizeof(hw_body2) - 1 - 15));
    if ((c->ret = s->sub->ret) < 0)
        GW_EXIT(s);
    GW_AWAIT(s, sub, gw_close(c->cur));
    c->ret = s->sub->ret;
    GW_END(s);
}

static gw_io_op *hw_start(void *ud)
{
    hw_ctx *c = ud;
    gw_deflate_opts o;

    memset(&c->out, 0, sizeof(c->out));
    c->ret = 1;
    assert_int_equal(gw_mempipe_init(&c->pipe, 1), 0);
    assert_int_equal(gw_bufwriter_init(&c->bw, &c->pipe.w, 16), 0);
    assert_int_equal(gw_chunked_writer_init(&c->ck, &c->bw.w, 8), 0);
    c->body = &c->ck.w;
    if (c->gz) {
        gw_deflate_opts_default(&o);
        o.buffer = GW_DEFLATE_MIN_BUFFER;
        assert_int_equal(gw_deflate_init(&c->df, &c->ck.w, &o), 0);
        c->body = &c->df.w;
    }
    memset(&c->script, 0, sizeof(c->script));
    GW_INIT(&c->script, hw_script);
    c->script.obj = c;
    return &c->script;
}

static void hw_progress(void *ud, const gw_wait *w)
{
    hw_ctx *c = ud;

    cp_take_bytes(&c->pipe, w, &c->out);
}

static void hw_check(void *ud)
{
    hw_ctx *c = ud;

    assert_int_equal(c->cur->err, GW_ECANCELLED);
    assert_int_equal(c->pipe.w.err, GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_write(c->cur, "x", 1)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_flush(c->cur)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_close(c->cur)), GW_ECANCELLED);
}

/* The finished run wrote two responses that read back as written. */
static void hw_finished(void *ud, gw_io_op *op)
{
    hw_ctx *c = ud;
    gw_bufreader br;
    gw_http_reader rd;
    uint8_t b[128];
    gw_io_op *r;
    size_t i;

    assert_int_equal(op->ret, 0);
    assert_int_equal(c->ret, 0);
    assert_true(c->pipe.finished);
    cp_take_rest(&c->pipe, &c->out);
    gw_bufreader_init_mem(&br, c->out.data, c->out.len);
    assert_int_equal(gw_http_reader_init(&rd, &br, GW_HTTP_RESPONSE, NULL), 0);
    for (i = 0; i < 2; i++) {
        const char *want = i == 0 ? hw_body1 : hw_body2;
        assert_int_equal(gwt_run_op(gw_http_read_head(&rd)), 0);
        r = gw_read(rd.body, b, sizeof(b), strlen(want));
        assert_int_equal(gwt_run_op(r), 0);
        assert_int_equal(r->n, strlen(want));
        assert_memory_equal(b, want, r->n);
        assert_int_equal(gwt_run_op(gw_try_read(rd.body, b, sizeof(b), 1)), 0);
        assert_true(rd.body->eof);
    }
    r = gw_http_read_head(&rd);
    assert_int_equal(gwt_run_op(r), 0);
    assert_int_equal(r->n, 0); /* the clean end */
    gw_http_reader_fini(&rd);
}

static void hw_teardown(void *ud)
{
    hw_ctx *c = ud;

    if (c->gz)
        gw_deflate_fini(&c->df);
    gw_chunked_writer_fini(&c->ck);
    gw_bufwriter_fini(&c->bw);
    gw_mempipe_fini(&c->pipe);
    gwt_result_free(&c->out);
    assert_int_equal(cp_live, 0); /* nothing leaked */
}

static const gwt_cancel_case hw_case = {"hw",        hw_start, hw_progress, hw_check, hw_finished,
                                        hw_teardown, 0};

static void test_http_writer(void **state)
{
    hw_ctx c;
    size_t cancels;

    (void)state;
    for (c.gz = 0; c.gz <= 1; c.gz++) {
        cancels = gwt_cancel_each(&hw_case, &c, NULL);
        print_message("# %s: %zu cancels\n", c.gz ? "gzip, chunked" : "chunked", cancels);
        /* The bytes of the two heads and bodies, one a wait. */
        assert_true(cancels >= sizeof(hw_head1) + sizeof(hw_body1) + 60);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_request_reader, count_on, count_off),
        cmocka_unit_test_setup_teardown(test_http_response_reader, count_on, count_off),
        cmocka_unit_test_setup_teardown(test_http_writer, count_on, count_off),
        cmocka_unit_test_setup_teardown(test_resp_reader, count_on, count_off),
        cmocka_unit_test_setup_teardown(test_resp_writer, count_on, count_off),
        cmocka_unit_test_setup_teardown(test_resp_write_after_close, count_on, count_off),
    };

    return cmocka_run_group_tests_name("cancel-proto", tests, NULL, NULL);
}
