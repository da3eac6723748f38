/*
 * Tests of the rules where genwire's HTTP/1.1 parser once took what llhttp's
 * strict mode refuses (the classes fuzz/fuzz-http-llhttp.c found): the four
 * request-target forms of RFC 9112 3.2 (parsers/http/target.h), Content-Length
 * lists with empty elements, and a malformed Content-Length (or one beside
 * Transfer-Encoding) in a message whose framing it does not decide: 1xx, 204,
 * 304, a response to HEAD, CONNECT (parsers/http/framing.c).  Every vector,
 * good and bad, goes through the shared split helper: the head parser is
 * called after each piece with every byte so far at a fresh address, then
 * the framing of the complete head is judged, and the outcome (head and
 * framing, or the error and its offset) must be the same whatever the split,
 * under every instruction-set flavour the CPU runs.  The head writer must
 * refuse the targets the parser refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/http.h>

#include "gwt.h"
#include "http-split.h"

/* The head, then its framing, as text. */
static void st_text(const gw_http_head *h, gwt_result *out, const void *arg)
{
    const int *req_method = arg;
    gw_http_framing f;
    char line[256];
    int n, r;

    if (h->kind == GW_HTTP_REQUEST)
        n = snprintf(line, sizeof(line), "%.*s %.*s;", (int)h->method_s.len, h->method_s.p,
                     (int)h->target.len, h->target.p);
    else
        n = snprintf(line, sizeof(line), "%d;", h->status);
    gwt_result_bytes(out, line, (size_t)n);
    r = gw_http_framing_of(h, *req_method, &f);
    if (r < 0) {
        out->err = r;
        out->off = f.err_off;
        return;
    }
    n = snprintf(line, sizeof(line), " body %d len %llu%s", (int)f.body,
                 (unsigned long long)f.length, f.upgrade ? " upgrade" : "");
    gwt_result_bytes(out, line, (size_t)n);
}

/* Runs in under every flavour and split; checks the outcome: `want` (the
 * text, for err 0), or err at off (1: incomplete). */
static void st_expect(const char *in, const hs_params *sp, const char *want, int err, size_t off)
{
    gwt_result r;

    hs_run(in, strlen(in), sp, &r);
    if (r.err != err || (err != 0 && err != 1 && r.off != off) ||
        (err == 0 && (r.len != strlen(want) || memcmp(r.data, want, r.len) != 0)))
        print_error("%s\n: got %s at %llu: %.*s\n", in,
                    r.err == 1 ? "incomplete" : gw_errname(r.err), (unsigned long long)r.off,
                    (int)r.len, (const char *)r.data);
    assert_int_equal(r.err, err);
    if (err != 0 && err != 1)
        assert_int_equal(r.off, off);
    if (err == 0) {
        assert_int_equal(r.len, strlen(want));
        assert_memory_equal(r.data, want, r.len);
    }
    gwt_result_free(&r);
}

/* The method a response answers: none, or HEAD. */
static const int no_method = -1, head_method = GW_HTTP_HEAD;

static const hs_params REQ = {GW_HTTP_REQUEST, 0, NULL, st_text, &no_method};
static const hs_params RES = {GW_HTTP_RESPONSE, 0, NULL, st_text, &no_method};
static const hs_params RES_HEAD = {GW_HTTP_RESPONSE, 0, NULL, st_text, &head_method};

#define V11 " HTTP/1.1\r\n\r\n"

/* A request-line with target t (and method m) is accepted as it is. */
static void target_ok(const char *m, const char *t)
{
    char in[512], want[512];
    int connect = strcmp(m, "CONNECT") == 0 || strcmp(m, "PRI") == 0;

    snprintf(in, sizeof(in), "%s %s" V11, m, t);
    snprintf(want, sizeof(want), "%s %s; body 0 len 0%s", m, t, connect ? " upgrade" : "");
    st_expect(in, &REQ, want, 0, 0);
}

/* ... is refused: GW_EHTTP_TARGET at offset `at` of the target. */
static void target_bad(const char *m, const char *t, size_t at)
{
    char in[512];

    snprintf(in, sizeof(in), "%s %s" V11, m, t);
    st_expect(in, &REQ, NULL, GW_EHTTP_TARGET, strlen(m) + 1 + at);
}

static void test_target_forms(void **state)
{
    (void)state;
    /* origin-form: "/" and then any VCHAR */
    target_ok("GET", "/");
    target_ok("GET", "/a/b?c=d&e#f\"<>{}|");
    target_ok("POST", "//x");
    /* absolute-form */
    target_ok("GET", "http://example.com/");
    target_ok("GET", "http://a");
    target_ok("GET", "HTTP://A:8080/x?y");
    target_ok("GET", "http://a:/");
    target_ok("GET", "http://a?q");
    target_ok("GET", "https://[::1]:8443/p");
    target_ok("GET", "http://[::ffff:1.2.3.4]/");
    target_ok("GET", "http://a%41b.c/");
    target_ok("GET", "http://a!$&'()*+,;=b_~-.c/");
    target_ok("GET", "h2c+x-y.z://h/"); /* RFC 3986 3.1 scheme characters */
    target_ok("OPTIONS", "http://a/");
    /* authority-form, CONNECT only */
    target_ok("CONNECT", "example.com:443");
    target_ok("CONNECT", "[::1]:443");
    target_ok("CONNECT", "1.2.3.4:5");
    target_ok("CONNECT", "a%2Fb:1");
    /* asterisk-form: OPTIONS, and PRI (the HTTP/2 preface, RFC 9113 3.4) */
    target_ok("OPTIONS", "*");
    target_ok("PRI", "*");
}

static void test_target_forms_bad(void **state)
{
    (void)state;
    /* none of the forms (the llhttp harness's findings among them) */
    target_bad("GET", "W", 1);
    target_bad("GET", "+", 0);
    target_bad("GET", "7", 0);
    target_bad("GET", "@", 0);
    target_bad("PUT", "@x", 0);
    target_bad("PUT", "-fer-Encodingx", 0);
    target_bad("GET", "OP/1", 2);
    target_bad("GET", "1h://a/", 0);
    target_bad("GET", "a.b:443", 4);
    /* absolute-form broken */
    target_bad("GET", "urn:x", 4);
    target_bad("GET", "http:a", 5);
    target_bad("GET", "http:/a", 6);
    target_bad("GET", "http://", 7);     /* empty host (RFC 9110 4.2.1) */
    target_bad("GET", "http:///x", 7);   /* the same */
    target_bad("GET", "http://:80/", 7); /* the same */
    target_bad("GET", "http://u@a/", 8); /* userinfo (RFC 9110 4.2.4) */
    target_bad("GET", "http://a#x", 8);
    target_bad("GET", "http://a<b/", 8);
    target_bad("GET", "http://a:x/", 9);
    target_bad("GET", "http://a:1:2/", 10);
    target_bad("GET", "http://a%zz/", 9);
    target_bad("GET", "http://a%4", 10); /* the SP: a pct-encoded octet cut short */
    target_bad("GET", "http://%/", 8);
    target_bad("GET", "http://[]/", 8);
    target_bad("GET", "http://[::1/", 11);
    target_bad("GET", "http://[::1]x/", 12);
    target_bad("GET", "http://[v1.x]/", 8); /* IPvFuture is refused */
    target_bad("GET", "http://[::g]/", 10);
    target_bad("GET", "http://[::1", 11); /* the SP */
    /* asterisk-form elsewhere than OPTIONS and PRI, or not alone */
    target_bad("GET", "*", 0);
    target_bad("M-SEARCH", "*", 0);
    target_bad("OPTIONS", "*x", 1);
    target_bad("OPTIONS", "*/", 1);
    target_bad("OPTIONS", "a.b:443", 4);
    /* authority-form: CONNECT's only form; host ":" 1*DIGIT and nothing more */
    target_bad("CONNECT", "/x", 0);
    target_bad("CONNECT", "*", 1); /* "*" is a reg-name: the port is missing */
    target_bad("CONNECT", "http://a/", 5);
    target_bad("CONNECT", "a.b", 3); /* no port (RFC 9110 9.3.6) */
    target_bad("CONNECT", "a.b:", 4);
    target_bad("CONNECT", ":443", 0);
    target_bad("CONNECT", "a.b:44v", 6);
    target_bad("CONNECT", "a.b:44vvvv^vv3", 6);
    target_bad("CONNECT", "a.b:44#", 6);
    target_bad("CONNECT", "a<b:443", 1);
    target_bad("CONNECT", "a.b>443", 3);
    target_bad("CONNECT", "a/b:443", 1);
    target_bad("CONNECT", "u@a:443", 1);
    target_bad("CONNECT", "a:1/x", 3);
    target_bad("CONNECT", "a:1?x", 3);
    target_bad("CONNECT", "a:1:2", 3);
    target_bad("CONNECT", "[::1]", 5);
}

static void test_target_early_and_limits(void **state)
{
    static const gw_http_limits lim = {0, 0, 16};
    static const hs_params REQ16 = {GW_HTTP_REQUEST, 0, &lim, st_text, &no_method};

    (void)state;
    /* A byte no form allows is reported as soon as it arrives, before the
     * end of the line; a target that may still become one waits. */
    st_expect("GET http:/a", &REQ, NULL, GW_EHTTP_TARGET, 10);
    st_expect("CONNECT a<", &REQ, NULL, GW_EHTTP_TARGET, 9);
    st_expect("GET W", &REQ, NULL, 1, 0);
    st_expect("CONNECT a.b:4", &REQ, NULL, 1, 0);
    /* The first fault wins over the length limit, whatever the split:
     * a form error inside the limit, then the limit, then one past it. */
    st_expect("GET http://a#xxxxxxxxxxxxxxxxxxxx" V11, &REQ16, NULL, GW_EHTTP_TARGET, 12);
    st_expect("GET http://aaaaaaaaaaaaaaaaaaaaa#" V11, &REQ16, NULL, GW_EHTTP_TARGET_TOO_LONG,
              4 + 16);
    st_expect("GET http://aaaaaaaa#xx" V11, &REQ16, NULL, GW_EHTTP_TARGET, 4 + 15);
    st_expect("GET http://aaaaaaaaa#" V11, &REQ16, NULL, GW_EHTTP_TARGET_TOO_LONG, 4 + 16);
    st_expect("GET http://aaaaaaaa/" V11, &REQ16, "GET http://aaaaaaaa/; body 0 len 0", 0, 0);
    st_expect("GET http://aaaaaaaaa/" V11, &REQ16, NULL, GW_EHTTP_TARGET_TOO_LONG, 4 + 16);
}

static void test_writer_refuses_what_the_parser_refuses(void **state)
{
    static const char *const good[][2] = {
        {"GET", "/x"}, {"GET", "http://a/"}, {"CONNECT", "a:1"}, {"OPTIONS", "*"}, {"PRI", "*"}};
    static const char *const bad[][2] = {{"GET", "x"},           {"GET", "*"},
                                         {"CONNECT", "/x"},      {"CONNECT", "a"},
                                         {"GET", "http://u@a/"}, {"M-SEARCH", "*"}};
    gw_http_head h;
    char buf[256];
    size_t i;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.kind = GW_HTTP_REQUEST;
    h.minor = 1;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        h.method_s = (gw_http_span){good[i][0], strlen(good[i][0])};
        h.target = (gw_http_span){good[i][1], strlen(good[i][1])};
        assert_true(gw_http_format_head(&h, buf, sizeof(buf)) > 0);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        h.method_s = (gw_http_span){bad[i][0], strlen(bad[i][0])};
        h.target = (gw_http_span){bad[i][1], strlen(bad[i][1])};
        assert_int_equal(gw_http_format_head(&h, buf, sizeof(buf)), GW_EHTTP_INVALID_FIELD);
    }
}

/* ---- Content-Length ------------------------------------------------------ */

#define POST  "POST / HTTP/1.1\r\n" /* 17 bytes */
#define OK200 "HTTP/1.1 200 OK\r\n" /* 17 bytes */
#define CL    "Content-Length:"     /* 15 bytes */

static void test_content_length_lists(void **state)
{
    (void)state;
    st_expect(POST CL " 5\r\n\r\n", &REQ, "POST /; body 1 len 5", 0, 0);
    st_expect(POST CL " 5, 5\r\n\r\n", &REQ, "POST /; body 1 len 5", 0, 0);
    st_expect(POST CL "5 ,5\t,\t5\r\n\r\n", &REQ, "POST /; body 1 len 5", 0, 0);
    st_expect(POST CL " 5\r\n" CL " 5\r\n\r\n", &REQ, "POST /; body 1 len 5", 0, 0);
    st_expect(OK200 CL " 0, 0\r\n\r\n", &RES, "200; body 1 len 0", 0, 0);
    /* empty elements: at the value of the field at fault (17 + 15 + OWS) */
    st_expect(OK200 CL ",1\r\n\r\n", &RES, NULL, GW_EHTTP_CONTENT_LENGTH, 32);
    st_expect(OK200 CL "  , 0\r\n\r\n", &RES, NULL, GW_EHTTP_CONTENT_LENGTH, 34);
    st_expect(OK200 CL " 0,  \r\n\r\n", &RES, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect(POST CL " 5,,5\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect(POST CL " ,\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect(POST CL " 5\r\n" CL " 5,\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 52);
    st_expect(POST CL "\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 32);
    /* not digits, or not equal */
    st_expect(POST CL " 4 2\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect(POST CL " 5, 6\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect(POST CL " +5\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
}

static void test_content_length_without_body(void **state)
{
    (void)state;
    /* A well-formed Content-Length in a message without a body is no body. */
    st_expect("HTTP/1.1 204 No Content\r\n" CL " 5\r\n\r\n", &RES, "204; body 0 len 0", 0, 0);
    st_expect("HTTP/1.1 304 Not Modified\r\n" CL " 5\r\n\r\n", &RES, "304; body 0 len 0", 0, 0);
    st_expect("HTTP/1.1 100 Continue\r\n" CL " 0\r\n\r\n", &RES, "100; body 0 len 0", 0, 0);
    st_expect("HTTP/1.1 101 Switching\r\n" CL " 4\r\n\r\n", &RES, "101; body 0 len 0 upgrade", 0,
              0);
    st_expect(OK200 CL " 5\r\n\r\n", &RES_HEAD, "200; body 0 len 0", 0, 0);
    st_expect("CONNECT a:1 HTTP/1.1\r\n" CL " 5\r\n\r\n", &REQ, "CONNECT a:1; body 0 len 0 upgrade",
              0, 0);
    /* A malformed one is an error there too (the llhttp harness's findings). */
    st_expect("HTTP/1.0 101 Movx\r\n" CL "001000000000000 1ovx\r\n\r\n", &RES, NULL,
              GW_EHTTP_CONTENT_LENGTH, 34);
    st_expect("HTTP/1.0 101 @ovx\r\n" CL "\r\n" CL "00100\r\n\r\n", &RES, NULL,
              GW_EHTTP_CONTENT_LENGTH, 34);
    st_expect("HTTP/1.1 100 Continue\r\n" CL " 5, 6\r\n\r\n", &RES, NULL, GW_EHTTP_CONTENT_LENGTH,
              39);
    st_expect("HTTP/1.1 103 Early\r\n" CL " ,5\r\n\r\n", &RES, NULL, GW_EHTTP_CONTENT_LENGTH, 36);
    st_expect("HTTP/1.1 204 No\r\n" CL " x\r\n\r\n", &RES, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect("HTTP/1.1 304 Not\r\n" CL " 1\r\n" CL " 2\r\n\r\n", &RES, NULL,
              GW_EHTTP_CONTENT_LENGTH, 53);
    st_expect(OK200 CL " x\r\n\r\n", &RES_HEAD, NULL, GW_EHTTP_CONTENT_LENGTH, 33);
    st_expect("CONNECT a:1 HTTP/1.1\r\n" CL " x\r\n\r\n", &REQ, NULL, GW_EHTTP_CONTENT_LENGTH, 38);
    /* ... and so is Content-Length beside Transfer-Encoding (RFC 9112 6.3) */
    st_expect("HTTP/1.1 204 No\r\nTransfer-Encoding: chunked\r\n" CL " 5\r\n\r\n", &RES, NULL,
              GW_EHTTP_TE_AND_CL, 61);
    st_expect("HTTP/1.1 101 Up\r\n" CL " 5\r\nTransfer-Encoding: chunked\r\n\r\n", &RES, NULL,
              GW_EHTTP_TE_AND_CL, 55);
    st_expect("CONNECT a:1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" CL " 5\r\n\r\n", &REQ, NULL,
              GW_EHTTP_TE_AND_CL, 66);
    /* Transfer-Encoding alone in a message without a body stays ignored. */
    st_expect("HTTP/1.1 304 Not\r\nTransfer-Encoding: chunked\r\n\r\n", &RES, "304; body 0 len 0",
              0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_forms),
        cmocka_unit_test(test_target_forms_bad),
        cmocka_unit_test(test_target_early_and_limits),
        cmocka_unit_test(test_writer_refuses_what_the_parser_refuses),
        cmocka_unit_test(test_content_length_lists),
        cmocka_unit_test(test_content_length_without_body),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
