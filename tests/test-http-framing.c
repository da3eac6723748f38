/*
 * Tests of HTTP/1.1 body framing (parsers/http/framing.c,
 * gw_http_framing_of): each case is a head, the method of the request a
 * response answers, and either the framing expected (body kind and length,
 * interim, upgrade, keep-alive) or the error and the offset of the field
 * value at fault.  The RFC 9112 section 6.3 order is what most cases check:
 * which rule wins when several apply.  Also the head writer
 * (parsers/http/writer.c): what it writes parses back, and nothing that
 * could inject a line gets written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/http.h>

enum {
    NONE = GW_HTTP_BODY_NONE,
    LEN = GW_HTTP_BODY_LENGTH,
    CHUNKED = GW_HTTP_BODY_CHUNKED,
    CLOSE = GW_HTTP_BODY_CLOSE
};

/* One case: the head, the request method (responses), then what to expect. */
typedef struct fr_case {
    const char *head;
    int req_method;
    int err;         /* 0, or the error expected */
    size_t err_off;  /* its offset */
    int body;        /* the body kind */
    uint64_t length; /* its length (LEN) */
    int interim, upgrade, keep_alive;
} fr_case;

static void fr_check(const fr_case *c)
{
    gw_http_field f[32];
    gw_http_parser p;
    gw_http_head h;
    gw_http_framing fr;
    gw_http_kind kind = strncmp(c->head, "HTTP/", 5) == 0 ? GW_HTTP_RESPONSE : GW_HTTP_REQUEST;
    int r;

    assert_int_equal(gw_http_parser_init(&p, kind, f, 32, NULL, 0), 0);
    r = gw_http_parse(&p, c->head, strlen(c->head), &h);
    if (r <= 0)
        print_error("head did not parse: %s (%s)\n", c->head, gw_errname(r));
    assert_true(r > 0);
    r = gw_http_framing_of(&h, c->req_method, &fr);
    if (r != c->err ||
        (r == 0 && ((int)fr.body != c->body || fr.length != c->length || fr.interim != c->interim ||
                    fr.upgrade != c->upgrade || fr.keep_alive != c->keep_alive)) ||
        (r != 0 && fr.err_off != c->err_off))
        print_error("%s: got %s off %zu body %d len %llu interim %d upgrade %d keep %d\n", c->head,
                    gw_errname(r), fr.err_off, (int)fr.body, (unsigned long long)fr.length,
                    fr.interim, fr.upgrade, fr.keep_alive);
    assert_int_equal(r, c->err);
    if (r != 0) {
        assert_int_equal(fr.err_off, c->err_off);
        return;
    }
    assert_int_equal(fr.body, c->body);
    assert_int_equal(fr.length, c->length);
    assert_int_equal(fr.interim, c->interim);
    assert_int_equal(fr.upgrade, c->upgrade);
    assert_int_equal(fr.keep_alive, c->keep_alive);
}

static void fr_all(const fr_case *cs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        fr_check(&cs[i]);
}

#define NM (-1) /* no request method known */

static void test_requests(void **state)
{
    static const fr_case cs[] = {
        {"GET / HTTP/1.1\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 1},
        {"GET / HTTP/1.0\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 1},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 0},
        {"GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", NM, 0, 0, LEN, 5, 0, 0, 1},
        {"POST / HTTP/1.1\r\nContent-Length: 003\r\n\r\n", NM, 0, 0, LEN, 3, 0, 0, 1},
        {"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", NM, 0, 0, LEN, 0, 0, 0, 1},
        {"POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", NM, 0, 0, LEN,
         9223372036854775807ull, 0, 0, 1},
        /* identical values, in one list or several fields, count as one */
        {"POST / HTTP/1.1\r\nContent-Length: 7, 7\r\n\r\n", NM, 0, 0, LEN, 7, 0, 0, 1},
        {"POST / HTTP/1.1\r\nContent-Length: 7\r\ncontent-length: 07\r\n\r\n", NM, 0, 0, LEN, 7, 0,
         0, 1},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", NM, 0, 0, CHUNKED, 0, 0, 0, 1},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n", NM, 0, 0, CHUNKED, 0, 0, 0,
         1},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", NM, 0,
         0, CHUNKED, 0, 0, 0, 1},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked;foo=bar\r\n\r\n", NM, 0, 0, CHUNKED, 0, 0,
         0, 1},
        /* the value "chunked" alone, in any case, and its near misses of the same length */
        {"POST / HTTP/1.1\r\nTransfer-Encoding: ChunKED\r\n\r\n", NM, 0, 0, CHUNKED, 0, 0, 0, 1},
        {"POST / HTTP/1.1\r\nTransfer-Encoding:chunked  \r\n\r\n", NM, 0, 0, CHUNKED, 0, 0, 0, 1},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunkex\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING,
         36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunke$\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING,
         36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunk,d\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING,
         36, 0, 0, 0, 0, 0},
        /* CONNECT and PRI: no body whatever the fields, an upgrade */
        {"CONNECT a:443 HTTP/1.0\r\nContent-Length: 10\r\n\r\n", NM, 0, 0, NONE, 0, 0, 1, 0},
        {"PRI * HTTP/1.1\r\n\r\n", NM, 0, 0, NONE, 0, 0, 1, 0},
        /* Upgrade needs both fields; the body comes first */
        {"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: ws\r\n\r\n", NM, 0, 0, NONE, 0, 0, 1,
         0},
        {"PUT / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nContent-Length: 4\r\nUpgrade: ws\r\n"
         "\r\n",
         NM, 0, 0, LEN, 4, 0, 1, 0},
        {"GET / HTTP/1.1\r\nUpgrade: ws\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 1},
        {"GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 1},
    };

    (void)state;
    fr_all(cs, sizeof(cs) / sizeof(cs[0]));
}

static void test_request_errors(void **state)
{
    static const fr_case cs[] = {
        /* offsets: of the value of the field at fault */
        {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", NM,
         GW_EHTTP_CONTENT_LENGTH, 52, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0,
         0, 0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 4 2\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0, 0,
         0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: +4\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0, 0,
         0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0, 0,
         0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0,
         0, 0, 0},
        {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 32, 0, 0, 0, 0,
         0},
        {"POST / HTTP/1.1\r\nContent-Length: ,\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0, 0,
         0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", NM,
         GW_EHTTP_CONTENT_LENGTH, 33, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 1000000000000000000000\r\n\r\n", NM,
         GW_EHTTP_CONTENT_LENGTH, 33, 0, 0, 0, 0, 0},
        /* TE with CL: always an error, whichever comes first */
        {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", NM,
         GW_EHTTP_TE_AND_CL, 55, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", NM,
         GW_EHTTP_TE_AND_CL, 61, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nContent-Length: 10\r\nTransfer-Encoding:\r\n\r\n", NM,
         GW_EHTTP_TE_AND_CL, 55, 0, 0, 0, 0, 0},
        /* TE in a request: chunked last, once */
        {"POST / HTTP/1.1\r\nTransfer-Encoding: pigeons\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING,
         36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", NM,
         GW_EHTTP_TRANSFER_ENCODING, 36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", NM,
         GW_EHTTP_TRANSFER_ENCODING, 36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", NM,
         GW_EHTTP_TRANSFER_ENCODING, 36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunkedchunked\r\n\r\n", NM,
         GW_EHTTP_TRANSFER_ENCODING, 36, 0, 0, 0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING, 35, 0, 0,
         0, 0, 0},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: a b, chunked\r\n\r\n", NM,
         GW_EHTTP_TRANSFER_ENCODING, 36, 0, 0, 0, 0, 0},
        /* TE in HTTP/1.0 is faulty framing (RFC 9112 6.1) */
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING,
         36, 0, 0, 0, 0, 0},
    };

    (void)state;
    fr_all(cs, sizeof(cs) / sizeof(cs[0]));
}

static void test_responses(void **state)
{
    static const fr_case cs[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", NM, 0, 0, LEN, 5, 0, 0, 1},
        {"HTTP/1.1 200 OK\r\n\r\n", NM, 0, 0, CLOSE, 0, 0, 0, 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", NM, 0, 0, CLOSE, 0, 0, 0, 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", NM, 0, 0, LEN, 0,
         0, 0, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", NM, 0, 0, CHUNKED, 0, 0, 0, 1},
        /* not chunked last: until close */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, deflate\r\n\r\n", NM, 0, 0, CLOSE, 0, 0, 0,
         0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", NM,
         0, 0, CLOSE, 0, 0, 0, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedchunked\r\n\r\n", NM, 0, 0, CLOSE, 0, 0, 0,
         0},
        /* 1. before everything: HEAD, 1xx, 204, 304 have no body */
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", GW_HTTP_HEAD, 0, 0, NONE, 0, 0, 0, 1},
        {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0, 1},
        {"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", NM, 0, 0, NONE, 0, 0, 0,
         1},
        /* but a Content-Length that is not one number is an error even there */
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", NM,
         GW_EHTTP_CONTENT_LENGTH, 62, 0, 0, 0, 0, 0},
        {"HTTP/1.1 100 Continue\r\n\r\n", NM, 0, 0, NONE, 0, 1, 0, 1},
        {"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", NM, 0, 0, NONE, 0, 1, 0, 1},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nContent-Length: 4\r\n\r\n", NM, 0, 0,
         NONE, 0, 0, 1, 0},
        /* 2. a 2xx to CONNECT is a tunnel; other answers to it are not */
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", GW_HTTP_CONNECT, 0, 0, NONE, 0, 0, 1, 0},
        {"HTTP/1.1 407 Auth\r\nContent-Length: 5\r\n\r\n", GW_HTTP_CONNECT, 0, 0, LEN, 5, 0, 0, 1},
        /* an Upgrade field on a 200 is no upgrade */
        {"HTTP/1.1 200 OK\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 4\r\n\r\n", NM,
         0, 0, LEN, 4, 0, 0, 1},
        /* errors */
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", NM,
         GW_EHTTP_TE_AND_CL, 55, 0, 0, 0, 0, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", NM,
         GW_EHTTP_TRANSFER_ENCODING, 36, 0, 0, 0, 0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", NM, GW_EHTTP_CONTENT_LENGTH, 33, 0, 0,
         0, 0, 0},
        {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", NM, GW_EHTTP_TRANSFER_ENCODING,
         36, 0, 0, 0, 0, 0},
    };

    (void)state;
    fr_all(cs, sizeof(cs) / sizeof(cs[0]));
}

/* ---- the head writer ------------------------------------------------------ */

static gw_http_span sp(const char *s)
{
    gw_http_span r = {s, s == NULL ? 0 : strlen(s)};
    return r;
}

static void test_writer(void **state)
{
    gw_http_field f[3] = {{{"Host", 4}, {"example.com", 11}},
                          {{"X-Tab", 5}, {"a\tb \xc3\xa9", 6}},
                          {{"Empty", 5}, {"", 0}}};
    gw_http_head h, back;
    gw_http_field bf[8];
    gw_http_parser p;
    char buf[256];
    int n;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.kind = GW_HTTP_REQUEST;
    h.minor = 1;
    h.method_s = sp("PATCH");
    h.target = sp("/a?b=c");
    h.fields = f;
    h.nfields = 3;
    n = gw_http_format_head(&h, buf, sizeof(buf));
    assert_int_equal(n, 68);
    assert_memory_equal(buf,
                        "PATCH /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-Tab: a\tb \xc3\xa9\r\n"
                        "Empty: \r\n\r\n",
                        68);
    /* What is written parses back to the same head. */
    assert_int_equal(gw_http_parser_init(&p, GW_HTTP_REQUEST, bf, 8, NULL, 0), 0);
    assert_int_equal(gw_http_parse(&p, buf, (size_t)n, &back), n);
    assert_int_equal(back.nfields, 3);
    assert_memory_equal(back.fields[1].value.p, "a\tb \xc3\xa9", 6);
    assert_int_equal(back.method, GW_HTTP_PATCH);
    /* Too small a buffer, at every size. */
    for (size_t cap = 0; cap < 68; cap++)
        assert_int_equal(gw_http_format_head(&h, buf, cap), GW_ETOO_LARGE);
    /* Injection attempts: each refused, nothing written counts. */
    f[0].value = sp("x\r\nEvil: 1");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    f[0].value = sp("x\ny");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    f[0].value.p = "a\0b";
    f[0].value.len = 3;
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    f[0].value = sp("ok");
    f[0].name = sp("Ho st");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    f[0].name = sp("Host:");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    f[0].name = sp("");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    f[0].name = sp("Host");
    h.target = sp("/a b");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    h.target = sp("/a\r\n");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    h.target = sp("");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    h.target = sp("/");
    h.method_s = sp("GET /x HTTP/1.1\r\n");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    h.method_s = sp("GET");
    h.minor = 2;
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EINVAL);
    /* Responses. */
    memset(&h, 0, sizeof(h));
    h.kind = GW_HTTP_RESPONSE;
    h.minor = 0;
    h.status = 404;
    h.reason = sp("Not Found");
    n = gw_http_format_head(&h, buf, sizeof(buf));
    assert_int_equal(n, 26);
    assert_memory_equal(buf, "HTTP/1.0 404 Not Found\r\n\r\n", 26);
    h.reason = sp("");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), 17);
    h.reason = sp("OK\r\nSet-Cookie: x");
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    h.reason = sp("OK");
    h.status = 99;
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    h.status = 600;
    assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_writer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
