/*
 * Tests of the RESP reply tree (parsers/resp/resp-tree.c).  Tree vectors
 * go through gwt_check_splits, each reply serialised as one record of text;
 * every reply is also written back with gw_resp_format_value and read again,
 * which must give the same tree.  Allocations are counted: none per reply in
 * the steady state, for events and for trees.  The writer's own tests are in
 * tests/test-resp-write.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/alloc.h>
#include <genwire/resp.h>

#include "gwt.h"

/* ---- serialising a tree ------------------------------------------------------ */

typedef struct text {
    char buf[4096];
    size_t len;
} text;

static void add(text *t, const char *s, size_t n)
{
    if (t->len + n < sizeof(t->buf)) {
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = 0;
    }
}

static void adds(text *t, const char *s)
{
    add(t, s, strlen(s));
}

/* FNV-1a of p[0..n): long strings are shown by length, last byte and this. */
static unsigned fnv(const void *p, size_t n)
{
    const uint8_t *q = p;
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ q[i]) * 16777619u;
    return h;
}

static void show(text *t, const gw_resp_value *v)
{
    char num[64];
    size_t i;

    if (v->nattrs > 0) {
        adds(t, "attrs{");
        for (i = 0; i < v->nattrs; i++) {
            if (i > 0)
                adds(t, ",");
            show(t, &v->attrs[i]);
        }
        adds(t, "}");
    }
    adds(t, gw_resp_type_name(v->type));
    switch (v->type) {
    case GW_RESP_INTEGER:
    case GW_RESP_BOOL:
        snprintf(num, sizeof(num), ":%lld", (long long)v->integer);
        adds(t, num);
        break;
    case GW_RESP_NULL:
        snprintf(num, sizeof(num), ":%c", v->wire);
        adds(t, num);
        break;
    case GW_RESP_ARRAY:
    case GW_RESP_MAP:
    case GW_RESP_SET:
    case GW_RESP_PUSH:
        adds(t, "[");
        for (i = 0; i < v->len; i++) {
            if (i > 0)
                adds(t, ",");
            show(t, &v->elems[i]);
        }
        adds(t, "]");
        break;
    default:
        if (v->type == GW_RESP_VERBATIM) {
            adds(t, "/");
            adds(t, v->fmt);
        }
        assert_int_equal(v->str[v->len], 0);
        adds(t, ":");
        if (v->len < 64)
            add(t, v->str, v->len);
        else {
            snprintf(num, sizeof(num), "<%zu bytes %c %08x>", v->len, v->str[v->len - 1],
                     fnv(v->str, v->len));
            adds(t, num);
        }
        break;
    }
}

/* ---- the decode driver ---------------------------------------------------------- */

/* Reads every reply; each one is serialised, written back, read again. */
typedef struct consumer {
    GW_FRAME(gw_wait);
    gw_resp_tree *t;
    gwt_result *out;
    gw_io_op *op;
    int res;
    int ret;
} consumer;

/* Writes v with gw_resp_format_value and reads it back as one tree. */
static void round_trip(const gw_resp_value *v, const text *want)
{
    size_t n = gw_resp_format_value(NULL, 0, v);
    uint8_t *buf = malloc(n);
    gw_bufreader br;
    gw_resp_tree t;
    text got = {{0}, 0};

    assert_non_null(buf);
    assert_int_equal(gw_resp_format_value(buf, n, v), n);
    gw_bufreader_init_mem(&br, buf, n);
    assert_int_equal(gw_resp_tree_init(&t, &br, NULL), 0);
    assert_int_equal(gw_resp_tree_try_next(&t), 1);
    show(&got, t.value);
    assert_string_equal(got.buf, want->buf);
    assert_int_equal(gwt_run_op(gw_resp_tree_next(&t)), 0);
    gw_resp_tree_fini(&t);
    free(buf);
}

GW_GENERATOR(consumer, NULL);
GW_BODY(consumer, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_RESP_TREE_NEXT(s, op, s->t, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        {
            text tx = {{0}, 0};
            show(&tx, s->t->value);
            gwt_result_record(s->out, tx.buf, tx.len);
            round_trip(s->t->value, &tx);
        }
    }
    GW_END(s);
}

/* Starts a consumer of t's replies into out on stack st. */
static void consumer_start(consumer *c, gw_stack *st, gw_wait *w, gw_resp_tree *t, gwt_result *out)
{
    GW_INIT(c, consumer);
    c->t = t;
    c->out = out;
    c->ret = 0;
    GW_START(st, c, w);
}

static void decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const size_t *bufcap = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_resp_tree t;
    consumer c;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, *bufcap), 0);
    assert_int_equal(gw_resp_tree_init(&t, &br, NULL), 0);
    consumer_start(&c, &st, &w, &t, out);
    gwt_drive(&st, &w, &pipe, feed);
    out->err = c.ret;
    out->off = c.ret < 0 ? t.rd.err_off : 0;
    if (c.ret < 0)
        assert_int_equal(gw_resp_tree_try_next(&t), c.ret);
    gw_resp_tree_fini(&t);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static void expect_n(const void *in, size_t len, const char *want, int err, uint64_t off)
{
    static char got[1 << 15];
    size_t caps[2] = {64, 4096}, k;

    for (k = 0; k < 2; k++) {
        gwt_result r;
        gwt_check_splits(in, len, decode, &caps[k], &r);
        gwt_result_join(&r, '|', got, sizeof(got));
        if (strcmp(got, want) != 0 || r.err != err || r.off != off)
            print_error("cap %zu: got \"%s\" %s at %llu, want \"%s\" %s\n", caps[k], got,
                        gw_errname(r.err), (unsigned long long)r.off, want, gw_errname(err));
        assert_string_equal(got, want);
        assert_int_equal(r.err, err);
        assert_int_equal(r.off, off);
        gwt_result_free(&r);
    }
}

static void expect(const char *in, const char *want, int err, uint64_t off)
{
    expect_n(in, strlen(in), want, err, off);
}

/* ---- tree tests -------------------------------------------------------------------- */

static void test_tree_types(void **state)
{
    (void)state;
    expect("+OK\r\n-ERR x\r\n:-5\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n_\r\n",
           "simple:OK|error:ERR x|integer:-5|bulk:hello|null:$|null:*|null:_", 0, 0);
    expect(",1.5\r\n#t\r\n!3\r\nbad\r\n=7\r\ntxt:abc\r\n(12345678901234567890\r\n",
           "double:1.5|boolean:1|blob-error:bad|verbatim/txt:abc|bignum:12345678901234567890", 0,
           0);
    expect("*3\r\n:1\r\n*2\r\n+a\r\n+b\r\n*0\r\n",
           "array[integer:1,array[simple:a,simple:b],array[]]", 0, 0);
    expect("%2\r\n+a\r\n:1\r\n+b\r\n~1\r\n#f\r\n",
           "map[simple:a,integer:1,simple:b,set[boolean:0]]", 0, 0);
    expect(">2\r\n+message\r\n$2\r\nhi\r\n", "push[simple:message,bulk:hi]", 0, 0);
    expect("$?\r\n;2\r\nab\r\n;3\r\ncde\r\n;0\r\n*?\r\n:1\r\n.\r\n", "bulk:abcde|array[integer:1]",
           0, 0);
    expect("|1\r\n+ttl\r\n:5\r\n*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n",
           "attrs{simple:ttl,integer:5}array[attrs{simple:a,simple:b}integer:1,integer:2]", 0, 0);
    expect("|1\r\n+k\r\n|1\r\n+x\r\n+y\r\n+v\r\n+value\r\n",
           "attrs{simple:k,attrs{simple:x,simple:y}simple:v}simple:value", 0, 0);
    expect("*2\r\n+a\r\n", "", GW_ETRUNCATED, 8);
    expect("+a\r\n*1\r\n?\r\n", "simple:a", GW_ERESP_TYPE, 8);
}

static void test_tree_long(void **state)
{
    static char in[300000];
    size_t n;

    (void)state;
    n = (size_t)sprintf(in, "*2\r\n$200000\r\n");
    memset(in + n, 'q', 200000);
    n += 200000;
    n += (size_t)sprintf(in + n, "\r\n$?\r\n;70\r\n");
    memset(in + n, 'r', 70);
    n += 70;
    n += (size_t)sprintf(in + n, "\r\n;0\r\n");
    /* The split check over 200 kB is slow: a few schedules only. */
    {
        gwt_feed feed = {(const uint8_t *)in, n, NULL, 0, 0, 0, 0};
        size_t cuts[3] = {7, 5000, 150000}, cap = 4096;
        gwt_result r1, r2;
        char got[256], want[256];
        memset(&r1, 0, sizeof(r1));
        memset(&r2, 0, sizeof(r2));
        decode(&feed, &r1, &cap);
        feed.cuts = cuts;
        feed.ncuts = 3;
        feed.pos = feed.next = 0;
        decode(&feed, &r2, &cap);
        gwt_result_join(&r1, '|', got, sizeof(got));
        snprintf(want, sizeof(want), "array[bulk:<200000 bytes q %08x>,bulk:<70 bytes r %08x>]",
                 fnv(in + 13, 200000), fnv(in + n - 76, 70));
        assert_string_equal(got, want);
        assert_int_equal(r1.len, r2.len);
        assert_memory_equal(r1.data, r2.data, r1.len);
        gwt_result_free(&r1);
        gwt_result_free(&r2);
    }
}

/* pat(p, n, seed): n bytes of letters that differ from one offset to the
 * next, so that a byte out of place changes the hash. */
static void pat(char *p, size_t n, unsigned seed)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (char)('a' + (seed + i * 7 + i / 26) % 26);
}

/* Appends a string value of type byte t (verbatim: "txt:" first) with a
 * payload of n pattern bytes to in; its text as show() writes it to want. */
static size_t long_string(char *in, size_t at, char t, size_t n, unsigned seed, text *want)
{
    const char *name = t == '$' ? "bulk" : t == '!' ? "blob-error" : "verbatim/txt";
    char num[96];
    size_t h =
        (size_t)sprintf(in + at, "%c%zu\r\n%s", t, n + (t == '=' ? 4 : 0), t == '=' ? "txt:" : "");

    pat(in + at + h, n, seed);
    snprintf(num, sizeof(num), "%s:<%zu bytes %c %08x>", name, n, in[at + h + n - 1],
             fnv(in + at + h, n));
    adds(want, num);
    memcpy(in + at + h + n, "\r\n", 2);
    return at + h + n + 2;
}

/* Strings longer than the 64-byte buffer: the tree reads their payload
 * straight from the source into the string's block, past the buffer;
 * with 4096 bytes of buffer, through it.  Every split gives the same
 * trees, and the same errors at the same offsets, as whole. */
static void test_tree_direct(void **state)
{
    static char in[8192];
    text want = {{0}, 0};
    size_t n = 0, hdr;

    (void)state;
    n = long_string(in, n, '$', 300, 1, &want);
    adds(&want, "|");
    n = long_string(in, n, '=', 200, 2, &want);
    adds(&want, "|");
    n = long_string(in, n, '!', 150, 3, &want);
    adds(&want, "|array[");
    n += (size_t)sprintf(in + n, "*3\r\n");
    n = long_string(in, n, '$', 1000, 4, &want);
    adds(&want, ",");
    n = long_string(in, n, '$', 65, 5, &want);
    adds(&want, ",integer:1]");
    n += (size_t)sprintf(in + n, ":1\r\n");
    expect_n(in, n, want.buf, 0, 0);

    /* The CRLF after a payload read past the buffer is checked as ever. */
    want.len = 0;
    n = long_string(in, 0, '$', 200, 6, &want);
    hdr = 6;
    in[hdr + 200] = 'X';
    expect_n(in, n, "", GW_ERESP_CRLF, hdr + 200);
    in[hdr + 200] = '\r';
    in[hdr + 201] = 'X';
    expect_n(in, n, "", GW_ERESP_CRLF, hdr + 201);
    /* The end of input inside the payload, or before its CRLF. */
    expect_n(in, hdr + 120, "", GW_ETRUNCATED, hdr + 120);
    expect_n(in, hdr + 200, "", GW_ETRUNCATED, hdr + 200);
    expect_n(in, hdr + 201, "", GW_ETRUNCATED, hdr + 201);
}

/* The tree over a source that fails along with its last bytes, inside a
 * long payload: the error comes at the end of the bytes it delivered,
 * whether they went through the buffer or past it. */
static void decode_failing(gwt_feed *feed, gwt_result *out, void *ud)
{
    const size_t *bufcap = ud;
    gwt_failsrc src;
    gw_bufreader br;
    gw_resp_tree t;
    consumer c;
    gw_wait w;
    gw_stack st;

    gwt_failsrc_init(&src, feed, GW_ECONNRESET);
    assert_int_equal(gw_bufreader_init(&br, &src.r, *bufcap), 0);
    assert_int_equal(gw_resp_tree_init(&t, &br, NULL), 0);
    consumer_start(&c, &st, &w, &t, out);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    out->err = c.ret;
    out->off = t.rd.err_off;
    assert_int_equal(gw_resp_tree_try_next(&t), c.ret);
    assert_int_equal(gwt_run_op(gw_resp_tree_next(&t)), c.ret);
    gw_resp_tree_fini(&t);
    gw_bufreader_fini(&br);
}

static void test_tree_direct_failing(void **state)
{
    static char in[4096];
    text want = {{0}, 0};
    size_t caps[2] = {64, 4096}, ends[3] = {20, 400, 1006}, k, e, n;
    char got[256];

    (void)state;
    n = (size_t)sprintf(in, ":7\r\n");
    n = long_string(in, n, '$', 1000, 7, &want);
    for (e = 0; e < 3; e++)
        for (k = 0; k < 2; k++) {
            gwt_result r;
            gwt_check_splits((const uint8_t *)in, ends[e], decode_failing, &caps[k], &r);
            gwt_result_join(&r, '|', got, sizeof(got));
            assert_string_equal(got, "integer:7");
            assert_int_equal(r.err, GW_ECONNRESET);
            assert_int_equal(r.off, ends[e]);
            gwt_result_free(&r);
        }
    (void)n;
}

/* The reply stays valid until the next call; detached, until freed. */
static void test_tree_detach(void **state)
{
    const char *in = "*1\r\n+first\r\n+second\r\n";
    gw_bufreader br;
    gw_resp_tree t;
    gw_resp_reply *r;

    (void)state;
    gw_bufreader_init_mem(&br, in, strlen(in));
    assert_int_equal(gw_resp_tree_init(&t, &br, NULL), 0);
    assert_null(gw_resp_tree_detach(&t));
    assert_int_equal(gw_resp_tree_try_next(&t), 1);
    r = gw_resp_tree_detach(&t);
    assert_non_null(r);
    assert_null(gw_resp_tree_detach(&t));
    assert_int_equal(gw_resp_tree_try_next(&t), 1);
    assert_string_equal(t.value->str, "second");
    assert_string_equal(r->value->elems[0].str, "first");
    gw_resp_reply_free(r);
    gw_resp_reply_free(NULL);
    assert_int_equal(gwt_run_op(gw_resp_tree_next(&t)), 0);
    gw_resp_tree_fini(&t);
}

/* ---- allocations ---------------------------------------------------------------------- */

static size_t nalloc;

static void *count_malloc(size_t n, void *ud)
{
    (void)ud;
    nalloc++;
    return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    nalloc++;
    return realloc(p, n);
}
static void count_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void test_allocations(void **state)
{
    static const gw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    static char in[200000];
    size_t n = 0, i, before;
    gw_bufreader br;
    gw_resp_reader rd;
    gw_resp_tree t;

    (void)state;
    while (n + 40 < sizeof(in))
        n += (size_t)sprintf(in + n, "$5\r\nhello\r\n*2\r\n:1\r\n$3\r\nabc\r\n");
    gw_set_allocator(&counting);
    gw_bufreader_init_mem(&br, in, n);
    nalloc = 0;
    assert_int_equal(gw_resp_reader_init(&rd, &br, NULL), 0);
    before = nalloc;
    for (i = 0; gw_resp_try_next(&rd) == 1; i++)
        ;
    assert_true(i > 10000);
    assert_int_equal(nalloc, before); /* the event API: none at all */
    gw_resp_reader_fini(&rd);

    gw_bufreader_init_mem(&br, in, n);
    assert_int_equal(gw_resp_tree_init(&t, &br, NULL), 0);
    for (i = 0; i < 100; i++)
        assert_int_equal(gw_resp_tree_try_next(&t), 1);
    before = nalloc;
    for (i = 0; gw_resp_tree_try_next(&t) == 1; i++)
        ;
    assert_true(i > 10000);
    assert_int_equal(nalloc, before); /* the tree, warmed up: none per reply */
    gw_resp_tree_fini(&t);
    gw_set_allocator(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_types),  cmocka_unit_test(test_tree_long),
        cmocka_unit_test(test_tree_detach), cmocka_unit_test(test_allocations),
        cmocka_unit_test(test_tree_direct), cmocka_unit_test(test_tree_direct_failing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
