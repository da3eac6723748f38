/*
 * Tests of the stream primitives parsers share (transport/bufreader.c,
 * transport/bounded.c, include/genwire/io.h): need N bytes and its four
 * outcomes, the line generator, and the bounded reader (with inflate on top
 * of it), each through the split helper, and the split helper's own modes
 * (never ending the input, varying the consumer's cap and min), checked
 * against decoders that break them.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <genwire/compress.h>
#include <genwire/io.h>

#include "gwt.h"

/* ---- need N: a u8-length record reader written with GW_NEED -------------- */

typedef struct needrec {
    GW_FRAME(gw_wait);
    gw_bufreader *br;
    gwt_result *out;
    gw_io_op *op;
    int err;          /* the sticky slot GW_NEED writes */
    uint64_t err_off; /* ... and its offset */
    size_t need;
    int ret;
} needrec;

GW_GENERATOR(needrec, NULL);
GW_BODY(needrec, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_NEED(s, op, s->br, 1, &s->err, &s->err_off);
        if (gw_bufreader_avail(s->br) < 1)
            GW_RETURN(s, s->err); /* 0: a clean end between records */
        s->need = 1 + (size_t)gw_bufreader_peek(s->br)[0];
        GW_NEED(s, op, s->br, s->need, &s->err, &s->err_off);
        if (gw_bufreader_avail(s->br) < s->need) {
            assert_int_not_equal(s->err, 0); /* not enough and not a clean end */
            GW_RETURN(s, s->err);
        }
        gwt_result_record(s->out, gw_bufreader_peek(s->br) + 1, s->need - 1);
        gw_bufreader_consume(s->br, s->need);
    }
    GW_END(s);
}

static void decode_needrec(gwt_feed *feed, gwt_result *out, void *ud)
{
    gw_mempipe pipe;
    gw_bufreader br;
    needrec d;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, *(size_t *)ud), 0);
    GW_INIT(&d, needrec);
    d.br = &br;
    d.out = out;
    d.err = 0;
    d.err_off = 0;
    d.ret = 0;
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, &pipe, feed);
    out->err = d.ret;
    out->off = d.err_off;
    if (d.ret != 0) {
        /* Sticky: the next need fails the same way at once. */
        gw_io_op *op = gw_bufreader_need(&br, 1, &d.err, &d.err_off);
        assert_int_equal(gwt_run_op(op), d.ret);
    }
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static void test_need(void **state)
{
    static const uint8_t good[] = "\x03"
                                  "abc"
                                  "\x00"
                                  "\x05"
                                  "hello";
    static const uint8_t cut[] = "\x03"
                                 "abc"
                                 "\x06"
                                 "hel";
    size_t caps[] = {7, 9, 300}; /* 7: the longest record (1 + 6) just fits */
    gwt_result r;
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        gwt_check_splits_ex(good, sizeof(good) - 1, decode_needrec, &caps[i], &r, GWT_PROMPT);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.records, 3);
        gwt_result_free(&r);
        /* Truncated: the error is where the input ended. */
        gwt_check_splits(cut, sizeof(cut) - 1, decode_needrec, &caps[i], &r);
        assert_int_equal(r.err, GW_ETRUNCATED);
        assert_int_equal(r.off, 8);
        assert_int_equal(r.records, 1);
        gwt_result_free(&r);
    }
    /* A record longer than the buffer: GW_ETOO_LARGE at its start, sticky
     * in the slot and in the bufreader. */
    i = 4;
    gwt_check_splits(good, sizeof(good) - 1, decode_needrec, &i, &r);
    assert_int_equal(r.err, GW_ETOO_LARGE);
    assert_int_equal(r.off, 5);
    assert_int_equal(r.records, 2);
    gwt_result_free(&r);
}

/* The source's error reaches the slot and the bufreader; an error already in
 * the slot wins over everything. */
static void test_need_source_error(void **state)
{
    uint8_t buf[4];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_io_op *op;
    int err = 0;
    uint64_t off = 0;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 16), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    gw_mempipe_feed(&pipe, "ab", 2);
    gw_reader_fail(&pipe.r, GW_ECONNRESET, 0); /* the pipe fails after two bytes */
    op = gw_bufreader_need(&br, 4, &err, &off);
    assert_int_equal(gwt_run_op(op), GW_ECONNRESET);
    assert_int_equal(err, GW_ECONNRESET);
    assert_int_equal(br.r.err, GW_ECONNRESET);
    op = gw_try_read(&br.r, buf, 4, 1);
    assert_int_equal(gwt_run_op(op), GW_ECONNRESET);
    gw_bufreader_fini(&br);

    err = GW_ECRYPT_AUTH;
    gw_bufreader_init_mem(&br, "abcd", 4);
    op = gw_bufreader_need(&br, 2, &err, NULL);
    assert_int_equal(gwt_run_op(op), GW_ECRYPT_AUTH);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* A need larger than the buffer over a source is GW_ETOO_LARGE whether or
 * not the end of stream has been seen yet, so the answer does not depend on
 * how the input arrived (found by fuzz-bufreader). */
static void test_need_too_large_at_end(void **state)
{
    gw_mempipe pipe;
    gw_bufreader br;
    int err = 0;
    uint64_t off = 0;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 16), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 4), 0);
    gw_mempipe_feed(&pipe, "abc", 3);
    gw_mempipe_finish(&pipe);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 4)), 0); /* sees the end */
    assert_true(gw_bufreader_eof(&br));
    assert_int_equal(gwt_run_op(gw_bufreader_need(&br, 5, &err, &off)), GW_ETOO_LARGE);
    assert_int_equal(off, 0);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* Reads land on a 64-byte boundary when the buffered bytes are moved to the
 * front or the buffer starts over (the kernel's copy is about 3x slower a
 * few bytes past its source's page offset), and the offsets and bytes are
 * those of the stream whatever the placement. */
static void test_reads_land_aligned(void **state)
{
    static uint8_t in[20000];
    gw_mempipe pipe;
    gw_bufreader br;
    size_t i, left;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7 + i / 251);
    assert_int_equal(gw_mempipe_init(&pipe, sizeof(in)), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 4096), 0);
    gw_mempipe_feed(&pipe, in, 3000);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 1)), 0);
    assert_int_equal((uintptr_t)gw_bufreader_peek(&br) % 64, 0); /* the first read */
    assert_int_equal(gw_bufreader_avail(&br), 3000);
    for (left = 1; left <= 70; left += 23) {
        /* Consume past the middle, keep `left` bytes: they move near the
         * front, and the read after them lands aligned. */
        uint64_t at = gw_bufreader_offset(&br) + gw_bufreader_avail(&br) - left;
        gw_bufreader_consume(&br, gw_bufreader_avail(&br) - left);
        gw_mempipe_feed(&pipe, in + at + left, 2500);
        assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, left + 1)), 0);
        assert_int_equal(((uintptr_t)gw_bufreader_peek(&br) + left) % 64, 0);
        assert_int_equal(gw_bufreader_offset(&br), at);
        assert_int_equal(gw_bufreader_avail(&br), left + 2500);
        assert_memory_equal(gw_bufreader_peek(&br), in + at, left + 2500);
    }
    /* All consumed: the buffer starts over, aligned. */
    left = gw_bufreader_avail(&br);
    i = (size_t)gw_bufreader_offset(&br) + left;
    gw_bufreader_consume(&br, left);
    gw_mempipe_feed(&pipe, in + i, 100);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 1)), 0);
    assert_int_equal((uintptr_t)gw_bufreader_peek(&br) % 64, 0);
    assert_int_equal(gw_bufreader_offset(&br), i);
    assert_memory_equal(gw_bufreader_peek(&br), in + i, 100);
    /* A need of the whole capacity still fits (the alignment gives way). */
    gw_bufreader_consume(&br, 99);
    gw_mempipe_feed(&pipe, in + i + 100, 4095);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 4096)), 0);
    assert_int_equal(gw_bufreader_avail(&br), 4096);
    assert_memory_equal(gw_bufreader_peek(&br), in + i + 99, 4096);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* ---- lines through gw_line_scan and gw_bufreader_line --------------------- */

typedef struct linerec {
    GW_FRAME(gw_wait);
    gw_bufreader *br;
    gwt_result *out;
    gw_io_op *op;
    gw_linescan ls;
    int err;
    uint64_t err_off;
    int ret;
} linerec;

GW_GENERATOR(linerec, NULL);
GW_BODY(linerec, s)
{
    ptrdiff_t k;

    GW_BEGIN(s);
    for (;;) {
        /* The fast path: a whole line buffered, no call into the generator. */
        k = gw_line_scan(&s->ls, gw_bufreader_peek(s->br), gw_bufreader_avail(s->br));
        if (k < 0)
            GW_RETURN(s, gw_error_set(&s->err, &s->err_off, (int)k,
                                      gw_bufreader_offset(s->br) + s->ls.bad));
        if (k == 0) {
            GW_AWAIT(s, op, gw_bufreader_line(s->br, &s->ls, &s->err, &s->err_off));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            if (s->op->n == 0)
                GW_RETURN(s, 0);
            k = (ptrdiff_t)s->op->n;
        }
        assert_true(s->ls.len <= s->ls.max); /* every line within the limit */
        gwt_result_record(s->out, gw_bufreader_peek(s->br), s->ls.len);
        gw_bufreader_consume(s->br, (size_t)k);
    }
    GW_END(s);
}

typedef struct line_opts {
    size_t max;
    unsigned flags;
} line_opts;

static void decode_lines(gwt_feed *feed, gwt_result *out, void *ud)
{
    const line_opts *o = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    linerec d;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, o->max + 2), 0);
    GW_INIT(&d, linerec);
    d.br = &br;
    d.out = out;
    gw_linescan_init(&d.ls, o->max, o->flags);
    d.err = 0;
    d.err_off = 0;
    d.ret = 0;
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, &pipe, feed);
    out->err = d.ret;
    out->off = d.err_off;
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

typedef struct lines_case {
    const char *in;
    line_opts o;
    int err;
    uint64_t off;
    size_t records;
} lines_case;

static void test_lines(void **state)
{
    static const lines_case cases[] = {
        {"one\ntwo\r\n\nlast", {8, GW_LINE_LAST}, 0, 0, 4},
        {"one\ntwo\r\n\nlast", {8, 0}, GW_ETRUNCATED, 14, 3},
        {"one\nfour", {3, GW_LINE_LAST}, GW_ELINE_TOO_LONG, 4, 1},
        {"one\nfour\n", {3, GW_LINE_LAST}, GW_ELINE_TOO_LONG, 4, 1},
        {"one\nabc\r", {3, GW_LINE_LAST}, GW_ELINE_TOO_LONG, 4, 1}, /* the CR is content here */
        {"one\nabc\r\n", {3, GW_LINE_LAST}, 0, 0, 2},
        {"GET /\r\nHost: x\r\n\r\n", {16, GW_LINE_STRICT}, 0, 0, 3},
        {"GET /\r\nHost: x\n\r\n", {16, GW_LINE_STRICT}, GW_EBARE_LF, 14, 1},
        {"GET /\r\nHo\rst: x\r\n", {16, GW_LINE_STRICT}, GW_EBARE_CR, 9, 1},
        {"GET /\r\nHost", {16, GW_LINE_STRICT | GW_LINE_LAST}, GW_ETRUNCATED, 11, 1},
        {"", {4, 0}, 0, 0, 0},
    };
    gwt_result r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const lines_case *c = &cases[i];
        gwt_check_splits((const uint8_t *)c->in, strlen(c->in), decode_lines, (void *)&c->o, &r);
        if (r.err != c->err || r.off != c->off || r.records != c->records)
            fail_msg("case %zu: err %d off %llu records %zu", i, r.err, (unsigned long long)r.off,
                     r.records);
        gwt_result_free(&r);
    }
}

/* ---- bounded reader ---------------------------------------------------------- */

typedef struct bounded_case {
    uint64_t n;  /* the body length */
    size_t bcap; /* the bufreader beneath */
} bounded_case;

static void decode_bounded(gwt_feed *feed, gwt_result *out, void *ud)
{
    const bounded_case *c = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_bounded body;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, c->bcap), 0);
    gw_bounded_init(&body, &br, c->n);
    gwt_drain(&body.r, &pipe, feed, out);
    if (out->err == 0) {
        /* Exactly n bytes were taken from the bufreader; the rest waits there. */
        assert_int_equal(out->len, c->n);
        assert_int_equal(gw_bufreader_offset(&br), c->n);
    }
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static void test_bounded(void **state)
{
    uint8_t in[300];
    bounded_case cases[] = {{0, 8}, {1, 8}, {5, 8}, {40, 8}, {40, 64}, {200, 16}};
    gwt_result r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 13 + 1);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* The body and then the next message: the body ends without waiting
         * for more, whatever the read shape. */
        size_t len = (size_t)cases[i].n + 7;
        gwt_check_splits_ex(in, len, decode_bounded, &cases[i], &r, GWT_NO_END | GWT_VARY_READS);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.len, cases[i].n);
        assert_memory_equal(r.data, in, r.len);
        gwt_result_free(&r);
        /* Cut short: truncated at the end of input, every byte before it
         * delivered. */
        if (cases[i].n == 0)
            continue;
        len = (size_t)cases[i].n - 1;
        gwt_check_splits_ex(in, len, decode_bounded, &cases[i], &r, GWT_VARY_READS);
        assert_int_equal(r.err, GW_ETRUNCATED);
        assert_int_equal(r.off, len);
        assert_int_equal(r.len, len);
        assert_memory_equal(r.data, in, r.len);
        gwt_result_free(&r);
    }
}

/* Inflate sits on a bounded reader (a Content-Encoding body): it sees the end
 * of its input where the body ends, and the next message stays buffered. */
static void test_bounded_inflate(void **state)
{
    uint8_t plain[2000], packed[3000], out[4000];
    uLongf plen = sizeof(packed);
    gw_bufreader wire, body_buf;
    gw_bounded body;
    gw_inflate z;
    gw_inflate_opts o;
    gw_io_op *op;
    size_t i, total;

    (void)state;
    for (i = 0; i < sizeof(plain); i++)
        plain[i] = (uint8_t)(i % 7 + 'a');
    assert_int_equal(compress(packed, &plen, plain, sizeof(plain)), Z_OK);
    memcpy(packed + plen, "NEXT", 4);
    gw_bufreader_init_mem(&wire, packed, plen + 4);
    gw_bounded_init(&body, &wire, plen);
    assert_int_equal(gw_bufreader_init(&body_buf, &body.r, 64), 0);
    gw_inflate_opts_default(&o);
    o.format = GW_ZFORMAT_ZLIB;
    assert_int_equal(gw_inflate_init(&z, &body_buf, &o), 0);
    op = gw_read(&z.r, out, sizeof(out), sizeof(plain) + 1);
    assert_int_equal(gwt_run_op(op), GW_EUNEXPECTED_EOF); /* the plaintext ended */
    total = op->n;
    assert_int_equal(total, sizeof(plain));
    assert_memory_equal(out, plain, sizeof(plain));
    assert_int_equal(gw_bufreader_avail(&wire), 4);
    assert_memory_equal(gw_bufreader_peek(&wire), "NEXT", 4);
    gw_inflate_fini(&z);
    gw_bufreader_fini(&body_buf);
    gw_bufreader_fini(&wire);
}

/* ---- the split helper's modes catch what they are for --------------------- */

/*
 * Two broken byte layers over a bufreader, one pass-through body: "greedy"
 * returns only when its read is full or the stream ended, so it sits on a
 * complete unit waiting for more; "stingy" gives nothing at min 0 whatever
 * it has buffered (the push-mode spin of issue 9, defect 5).
 */
typedef struct passthru {
    gw_reader r;
    gw_bufreader *src;
    int greedy;
} passthru;

typedef gw_io_op pass_read;
GW_GENERATOR(pass_read, NULL);
GW_BODY(pass_read, s)
{
    passthru *k = s->obj;

    GW_BEGIN(s);
    if (!k->greedy && s->min == 0)
        GW_RETURN(s, 0);
    GW_AWAIT(s, sub, gw_try_read(&k->src->r, s->buf, s->len, k->greedy ? s->len : s->min));
    s->n = s->sub->n;
    k->r.eof = k->src->r.eof;
    GW_RETURN(s, s->sub->ret);
    GW_END(s);
}

static gw_io_op *pass_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    gw_io_op *op = &r->op;

    GW_INIT(op, pass_read);
    op->obj = r;
    op->buf = buf;
    op->len = cap;
    op->min = min;
    op->n = 0;
    op->ret = 0;
    return op;
}

static const gw_reader_ops pass_ops = {"passthru", pass_try_read};

static void decode_pass(gwt_feed *feed, gwt_result *out, void *ud)
{
    gw_mempipe pipe;
    gw_bufreader br;
    passthru k;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 16), 0);
    gw_reader_init(&k.r, &pass_ops);
    k.src = &br;
    k.greedy = ud != NULL;
    gwt_drain(&k.r, &pipe, feed, out);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static int greedy_flag = 1;
#define GREEDY ((void *)&greedy_flag)
#define STINGY NULL

static void test_stingy_passes_without_vary(void **state)
{
    gwt_result r;

    (void)state;
    gwt_check_splits((const uint8_t *)"abcdefgh", 8, decode_pass, STINGY, &r);
    assert_int_equal(r.len, 8);
    gwt_result_free(&r);
}

static const char *self_path; /* argv[0] */

/* Runs `what` in a child process (this program again) and returns its exit
 * status (128 + the signal if one killed it): a cmocka failure there is a
 * nonzero status here. */
static int run_child(const char *what)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        /* A failed case leaves memory behind the longjmp: not a leak to
         * report, since the status is the answer. */
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        execl(self_path, self_path, what, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_gwt_modes_catch(void **state)
{
    (void)state;
    /* Without the modes, both broken layers pass... */
    assert_int_equal(run_child("greedy-plain"), 0);
    assert_int_equal(run_child("stingy-plain"), 0);
    /* ...and each mode catches its one. */
    assert_int_not_equal(run_child("greedy-no-end"), 0);
    assert_int_not_equal(run_child("stingy-vary"), 0);
}

/* The child side of test_gwt_modes_catch. */
static void child_case(void **state)
{
    const char *what = *state;
    static const uint8_t in[] = "abcdefghijklmnopqrstuvwxyz0123";
    gwt_result r;

    if (strcmp(what, "greedy-plain") == 0)
        gwt_check_splits(in, sizeof(in) - 1, decode_pass, GREEDY, &r);
    else if (strcmp(what, "greedy-no-end") == 0)
        gwt_check_splits_ex(in, sizeof(in) - 1, decode_pass, GREEDY, &r, GWT_NO_END);
    else if (strcmp(what, "stingy-plain") == 0)
        gwt_check_splits(in, sizeof(in) - 1, decode_pass, STINGY, &r);
    else
        gwt_check_splits_ex(in, sizeof(in) - 1, decode_pass, STINGY, &r, GWT_VARY_READS);
    gwt_result_free(&r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_need),
        cmocka_unit_test(test_need_source_error),
        cmocka_unit_test(test_need_too_large_at_end),
        cmocka_unit_test(test_reads_land_aligned),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_bounded_inflate),
        cmocka_unit_test(test_stingy_passes_without_vary),
        cmocka_unit_test(test_gwt_modes_catch),
    };

    self_path = argv[0];
    if (argc == 2) {
        const struct CMUnitTest child[] = {
            cmocka_unit_test_prestate(child_case, argv[1]),
        };
        return cmocka_run_group_tests_name("child", child, NULL, NULL);
    }
    return cmocka_run_group_tests_name("bufreader", tests, NULL, NULL);
}
