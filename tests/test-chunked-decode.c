/*
 * Tests of gw_chunked_decode (parsers/framing/chunked-core.c), the chunked
 * decoder's pure core over memory: vectors with their decoded bytes and
 * errors, every vector through the shared split helper (each piece decoded
 * in place in a fresh copy), and the same vectors plus some thousands of
 * mutants of them held against the AsyncRead layer (gw_chunked_reader over
 * a bufreader, tested on its own in test-chunked.c): same body bytes, same
 * error at the same offset, the same bytes left after the body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/frame.h>

#include "gwt.h"

/* A complete body is result "data|rest" where rest is what follows it. */
#define INCOMPLETE 1

static const struct vec {
    const char *in;
    const char *out; /* the body, then '|' and the bytes after it */
    int err;
    size_t off;
} vecs[] = {
    {"0\r\n\r\n", "|", 0, 0},
    {"5\r\nhello\r\n0\r\n\r\nNEXT", "hello|NEXT", 0, 0},
    {"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", "abcdefg|", 0, 0},
    {"A\r\n0123456789\r\n00\r\n\r\n", "0123456789|", 0, 0},
    {"3;a=b;c=\"x\\\"y\" ; d\r\nabc\r\n0\r\nT: v\r\nU:\r\n\r\nG", "abc|G", 0, 0},
    {"000000000000000f\r\n0123456789abcde\r\n0\r\n\r\n", "0123456789abcde|", 0, 0},
    {"5\r\nhel", "hel", INCOMPLETE, 0},
    {"5\r\nhello\r\n0\r\n", "hello", INCOMPLETE, 0},
    {"x\r\n", "", GW_ECHUNK_SIZE, 0},
    {"0000000000000000f\r\n", "", GW_ECHUNK_SIZE, 16},
    {"5 x\r\n", "", GW_ECHUNK_EXT, 2},
    {"5\nhello", "", GW_ECHUNK_CRLF, 1},
    {"5\rhello", "", GW_ECHUNK_CRLF, 2},
    {"3\r\nabcd\r\n", "abc", GW_ECHUNK_CRLF, 6},
    {"3\r\nabc\r\n0\r\nT : v\r\n\r\n", "abc", GW_ETRAILER, 12},
    {"3\r\nabc\r\n0\r\n\r\r", "abc", GW_ECHUNK_CRLF, 12},
};

/* Decodes the feed's pieces, each in place in a fresh copy. */
static void pure_decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    gw_chunked_reader c;
    size_t at = 0, k = 0;
    uint8_t one[1];
    int r = 0;

    gw_chunked_reader_init(&c, NULL, ud);
    while (at < feed->len) {
        size_t end = k < feed->ncuts ? feed->cuts[k++] : feed->len, used, n;
        uint8_t *copy = malloc(end - at + 1);

        assert_non_null(copy);
        memcpy(copy, feed->in + at, end - at);
        r = gw_chunked_decode(&c, copy, end - at, copy, &used, &n);
        gwt_result_bytes(out, copy, n);
        free(copy);
        assert_true(used <= end - at);
        if (r < 0) {
            out->err = r;
            out->off = at + used;
            assert_int_equal((size_t)c.r.err_off, used);
            /* It sticks. */
            assert_int_equal(gw_chunked_decode(&c, "0", 1, one, &used, &n), r);
            assert_int_equal(used + n, 0);
            return;
        }
        if (r == 1) {
            gwt_result_bytes(out, "|", 1);
            gwt_result_bytes(out, feed->in + at + used, feed->len - at - used);
            return;
        }
        assert_int_equal(used, end - at);
        at = end;
    }
    out->err = INCOMPLETE;
}

/* The same input through the AsyncRead layer over memory. */
static void reader_decode(const uint8_t *in, size_t len, gwt_result *out)
{
    gw_bufreader b;
    gw_chunked_reader c;
    uint8_t buf[97];

    gw_bufreader_init_mem(&b, in, len);
    gw_chunked_reader_init(&c, &b, NULL);
    while (!c.r.eof) {
        int r = gwt_run_op(gw_try_read(&c.r, buf, sizeof(buf), 1));
        gwt_result_bytes(out, buf, c.r.op.n);
        if (r == GW_ETRUNCATED) {
            out->err = INCOMPLETE;
            return;
        }
        if (r < 0) {
            out->err = r;
            out->off = c.r.err_off;
            return;
        }
    }
    gwt_result_bytes(out, "|", 1);
    gwt_result_bytes(out, gw_bufreader_peek(&b), gw_bufreader_avail(&b));
}

static void check_against_reader(const uint8_t *in, size_t len, const gwt_result *pure)
{
    gwt_result rd;

    memset(&rd, 0, sizeof(rd));
    reader_decode(in, len, &rd);
    if (rd.err != pure->err || rd.off != pure->off || rd.len != pure->len ||
        (rd.len != 0 && memcmp(rd.data, pure->data, rd.len) != 0))
        fail_msg("%.*s: reader %d at %llu (%zu bytes), pure %d at %llu (%zu bytes)", (int)len,
                 (const char *)in, rd.err, (unsigned long long)rd.off, rd.len, pure->err,
                 (unsigned long long)pure->off, pure->len);
    gwt_result_free(&rd);
}

static void test_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const struct vec *v = &vecs[i];
        gwt_result r;

        gwt_check_splits((const uint8_t *)v->in, strlen(v->in), pure_decode, NULL, &r);
        if (r.err != v->err || r.off != v->off || r.len != strlen(v->out) ||
            (r.len != 0 && memcmp(r.data, v->out, r.len) != 0))
            fail_msg("%s: got %d at %llu [%.*s]", v->in, r.err, (unsigned long long)r.off,
                     (int)r.len, (const char *)r.data);
        check_against_reader((const uint8_t *)v->in, strlen(v->in), &r);
        gwt_result_free(&r);
    }
}

/* The limits hold however the bytes come. */
static void test_limits(void **state)
{
    static const char ext[] = "3;name=value\r\nabc\r\n0\r\n\r\n";
    static const char tr[] = "0\r\nTrailer-Field: value\r\n\r\n";
    gw_chunked_limits lim = {8, 10};
    gwt_result r;

    (void)state;
    gwt_check_splits((const uint8_t *)ext, sizeof(ext) - 1, pure_decode, &lim, &r);
    assert_int_equal(r.err, GW_ECHUNK_EXT);
    assert_int_equal(r.off, 8);
    gwt_result_free(&r);
    gwt_check_splits((const uint8_t *)tr, sizeof(tr) - 1, pure_decode, &lim, &r);
    assert_int_equal(r.err, GW_ETRAILER);
    assert_int_equal(r.off, 13);
    gwt_result_free(&r);
}

/* Mutants of the good vectors (a byte changed, dropped or doubled), each
 * decoded whole: the pure core and the reader agree on every one. */
static void test_mutants(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15u;
    uint8_t buf[128];
    int round;

    (void)state;
    for (round = 0; round < 6000; round++) {
        const struct vec *v = &vecs[gwt_rand(&seed) % 6];
        size_t len = strlen(v->in), at;
        gw_chunked_reader c;
        gwt_result r;
        size_t used, n;
        uint8_t copy[128];
        int rc;

        memcpy(buf, v->in, len);
        at = (size_t)(gwt_rand(&seed) % len);
        switch (gwt_rand(&seed) % 3) {
        case 0:
            buf[at] = (uint8_t) "\r\n;= \t\"\\:0aFgx\x7f\x80"[gwt_rand(&seed) % 17];
            break;
        case 1:
            memmove(buf + at, buf + at + 1, len - at - 1);
            len--;
            break;
        default:
            memmove(buf + at + 1, buf + at, len - at);
            len++;
            break;
        }
        memset(&r, 0, sizeof(r));
        memcpy(copy, buf, len);
        gw_chunked_reader_init(&c, NULL, NULL);
        rc = gw_chunked_decode(&c, copy, len, copy, &used, &n);
        gwt_result_bytes(&r, copy, n);
        if (rc < 0) {
            r.err = rc;
            r.off = used;
        } else if (rc == 1) {
            gwt_result_bytes(&r, "|", 1);
            gwt_result_bytes(&r, buf + used, len - used);
        } else {
            r.err = INCOMPLETE;
        }
        check_against_reader(buf, len, &r);
        gwt_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_mutants),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
