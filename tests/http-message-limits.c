/*
 * The HTTP message reader's limits and what its header promises about them
 * (include/genwire/http.h, gw_http_reader), part of the http-message suite
 * (tests/test-http-message.c runs these cases): a limit of N takes a head
 * of N and refuses N + 1, at the same offset however the bytes arrive, and
 * what a head's result says (its length, its offset in the stream) does not
 * depend on the split either.  Each case goes through gwt_check_splits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/http.h>
#include <genwire/io.h>

#include "gwt.h"
#include "http-message.h"

/* How a limits case reads: the reader's options, over a bufreader of 256
 * (so max_head is at most 255). */
typedef struct lm_params {
    gw_http_reader_opts o;
} lm_params;

/* Reads every head (bodies dropped by the next gw_http_read_head) and
 * writes, per head, its offset, its length and its target. */
typedef struct lm_drv {
    GW_FRAME(gw_wait);
    gw_http_reader *rd;
    gwt_result *out;
    gw_io_op *op;
} lm_drv;

GW_GENERATOR(lm_drv, NULL);
GW_BODY(lm_drv, s)
{
    char line[128];
    int n;

    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_http_read_head(s->rd));
        if (s->op->ret < 0 || s->op->n == 0)
            break;
        n = snprintf(line, sizeof(line), "@%llu n=%zu lead=%zu %.*s\n",
                     (unsigned long long)s->rd->head_off, s->op->n, s->rd->head.lead,
                     (int)s->rd->head.target.len, s->rd->head.target.p);
        gwt_result_bytes(s->out, line, (size_t)n);
    }
    s->out->err = s->rd->err;
    s->out->off = s->rd->err_off;
    GW_END(s);
}

static void lm_decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const lm_params *p = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_http_reader rd;
    lm_drv d;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 256), 0);
    assert_int_equal(gw_http_reader_init(&rd, &br, GW_HTTP_REQUEST, &p->o), 0);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, lm_drv);
    d.rd = &rd;
    d.out = out;
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, &pipe, feed);
    gw_http_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static void lm_expect(const char *in, const lm_params *p, const char *want, int err, uint64_t off)
{
    gwt_result r;

    gwt_check_splits((const uint8_t *)in, strlen(in), lm_decode, (void *)p, &r);
    if (r.err != err || r.off != off || r.len != strlen(want) ||
        (r.len > 0 && memcmp(r.data, want, r.len) != 0))
        print_error("got %s at %llu:\n%.*s\nwant %s at %llu:\n%s\n", gw_errname(r.err),
                    (unsigned long long)r.off, (int)r.len, (const char *)r.data, gw_errname(err),
                    (unsigned long long)off, want);
    assert_int_equal(r.err, err);
    assert_int_equal(r.off, off);
    assert_int_equal(r.len, strlen(want));
    assert_memory_equal(r.data, want, r.len);
    gwt_result_free(&r);
}

/* A head of exactly 40 bytes, and one of 41. */
#define H40 "GET /abcdefghij HTTP/1.1\r\nHost: abcd\r\n\r\n"
#define H41 "GET /abcdefghijk HTTP/1.1\r\nHost: abcd\r\n\r\n"

/* Empty lines before a head (RFC 9112 2.2) are not part of it: max_head
 * counts from the start line, and the head's length and offset are the
 * same whatever the split.  The reader used to drop them only when a read
 * ended between them and the start line, so a head of max_head bytes after
 * an empty line was GW_EHTTP_HEAD_TOO_LARGE when the bytes came together
 * and fine when they came a few at a time (and op->n and head.lead
 * differed the same way). */
void test_reader_empty_lines_outside_head(void **state)
{
    lm_params p;

    (void)state;
    assert_int_equal(strlen(H40), 40);
    memset(&p, 0, sizeof(p));
    p.o.lim.max_head = 40;
    lm_expect("\r\n" H40 "\r\n\r\n\r\n" H40, &p,
              "@2 n=40 lead=0 /abcdefghij\n@48 n=40 lead=0 /abcdefghij\n", 0, 0);
    /* One byte more: refused at the 41st byte of the head. */
    lm_expect("\r\n\r\n" H41, &p, "", GW_EHTTP_HEAD_TOO_LARGE, 4 + 40);
    lm_expect(H40 "\r\n" H41, &p, "@0 n=40 lead=0 /abcdefghij\n", GW_EHTTP_HEAD_TOO_LARGE, 42 + 40);
    /* The line rules still hold in them: a bare CR, a bare LF. */
    lm_expect("\r\n\rX" H40, &p, "", GW_EHTTP_BARE_CR, 3);
    lm_expect("\r\n\n" H40, &p, "", GW_EHTTP_BARE_LF, 2);
    p.o.flags = GW_HTTP_LENIENT_LF;
    lm_expect("\n\r\n\n" H40, &p, "@4 n=40 lead=0 /abcdefghij\n", 0, 0);
}

/* max_head is at most the buffer's capacity less one, the byte that shows
 * a head is over: with a 256-byte buffer, a head of 255 bytes is read
 * (after another message, so not at the buffer's start) and one of 256 is
 * GW_EHTTP_HEAD_TOO_LARGE at its 256th byte, however the bytes arrive. */
void test_reader_max_head_is_the_buffer(void **state)
{
    static char in[1024];
    lm_params p;
    size_t n, k;

    (void)state;
    memset(&p, 0, sizeof(p));
    for (k = 0; k < 2; k++) {
        p.o.lim.max_head = k == 0 ? 0 : (size_t)GW_UNLIMITED;
        n = (size_t)sprintf(in, "%sGET / HTTP/1.1\r\nA: ", H40);
        /* Fill the second head up to 255 bytes: 19 of start line and "A: ",
         * the value, CRLF and the final CRLF. */
        memset(in + n, 'v', 255 - 19 - 4);
        n += 255 - 19 - 4;
        memcpy(in + n, "\r\n\r\n", 5);
        lm_expect(in, &p, "@0 n=40 lead=0 /abcdefghij\n@40 n=255 lead=0 /\n", 0, 0);
        memcpy(in + n, "v\r\n\r\n", 6);
        lm_expect(in, &p, "@0 n=40 lead=0 /abcdefghij\n", GW_EHTTP_HEAD_TOO_LARGE, 40 + 255);
    }
}
