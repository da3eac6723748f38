/*
 * The RESP half of the cancel-proto suite (tests/test-cancel-proto.c has
 * the HTTP half, the helpers and main): the event reader and the tree
 * reader cancelled at every suspension over a 1-byte pipe (nested
 * aggregates, bulk strings in pieces and read straight into a string's
 * block, a streamed string, attributes, push), the writer cancelled at
 * every suspension (a value that needs a buffer of its own, an argument
 * written past the bufwriter), and writes after the bufwriter was closed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/resp.h>

#include "cancel-proto.h"
#include "gwt-cancel.h"
#include "gwt.h"

/* ---- RESP -------------------------------------------------------------------------- */

/* Nested aggregates, bulk strings longer than the 16-byte buffer (in
 * pieces), a streamed string, attributes, push, verbatim, RESP2 nulls. */
static const char resp_in[] =
    "*3\r\n%1\r\n+key\r\n*2\r\n:1\r\n$5\r\nhello\r\n#t\r\n"
    "$40\r\n0123456789012345678901234567890123456789\r\n"
    "$?\r\n;4\r\nabcd\r\n;0\r\n"
    "~2\r\n_\r\n$-1\r\n"
    ">2\r\n+push\r\n=7\r\ntxt:abc\r\n"
    "|1\r\n+a\r\n:2\r\n,3.5\r\n"
    "*?\r\n:1\r\n*1\r\n(123\r\n.\r\n"
    "$100\r\n0123456789012345678901234567890123456789012345678901234567890123456789"
    "012345678901234567890123456789\r\n";
#define RESP_REPLIES 7
#define RESP_EVENTS  174

typedef struct rr_ctx rr_ctx;

/* Reads every event (tree 0) or every reply (tree 1). */
typedef gw_io_op rr_script;

struct rr_ctx {
    int tree;
    size_t pos;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_resp_tree t; /* its reader is the event reader of tree 0 */
    rr_script script;
    unsigned events; /* events (tree 0) or replies (tree 1) read */
    int res;
};

GW_GENERATOR(rr_script, NULL);
GW_BODY(rr_script, s)
{
    rr_ctx *c = s->obj;

    GW_BEGIN(s);
    for (;;) {
        if (c->tree)
            GW_RESP_TREE_NEXT(s, sub, &c->t, c->res);
        else
            GW_RESP_NEXT(s, sub, &c->t.rd, c->res);
        if (c->res <= 0)
            break;
        c->events++;
    }
    GW_END(s);
}

static gw_io_op *rr_start(void *ud)
{
    rr_ctx *c = ud;

    c->pos = 0;
    c->events = 0;
    c->res = 1;
    assert_int_equal(gw_mempipe_init(&c->pipe, 1), 0);
    assert_int_equal(gw_bufreader_init(&c->br, &c->pipe.r, 16), 0);
    assert_int_equal(gw_resp_tree_init(&c->t, &c->br, NULL), 0);
    memset(&c->script, 0, sizeof(c->script));
    GW_INIT(&c->script, rr_script);
    c->script.obj = c;
    return &c->script;
}

static void rr_progress(void *ud, const gw_wait *w)
{
    rr_ctx *c = ud;

    cp_feed_byte(&c->pipe, w, (const uint8_t *)resp_in, sizeof(resp_in) - 1, &c->pos);
}

static void rr_check(void *ud)
{
    rr_ctx *c = ud;

    assert_int_equal(c->t.rd.err, GW_ECANCELLED);
    if (c->tree) {
        assert_int_equal(gw_resp_tree_try_next(&c->t), GW_ECANCELLED);
        assert_int_equal(gwt_run_op(gw_resp_tree_next(&c->t)), GW_ECANCELLED);
    } else {
        assert_int_equal(gw_resp_try_next(&c->t.rd), GW_ECANCELLED);
        assert_int_equal(gwt_run_op(gw_resp_next(&c->t.rd)), GW_ECANCELLED);
    }
}

static void rr_finished(void *ud, gw_io_op *op)
{
    rr_ctx *c = ud;

    assert_int_equal(op->ret, 0);
    assert_int_equal(c->res, 0);
    assert_int_equal(c->t.rd.err, 0);
    assert_int_equal(c->events, c->tree ? RESP_REPLIES : RESP_EVENTS);
}

static void rr_teardown(void *ud)
{
    rr_ctx *c = ud;

    gw_resp_tree_fini(&c->t);
    gw_bufreader_fini(&c->br);
    gw_mempipe_fini(&c->pipe);
    assert_int_equal(cp_live, 0); /* nothing leaked */
}

static const gwt_cancel_case rr_case = {"rr",        rr_start, rr_progress, rr_check, rr_finished,
                                        rr_teardown, 0};

void test_resp_reader(void **state)
{
    rr_ctx c;
    size_t cancels;

    (void)state;
    for (c.tree = 0; c.tree <= 1; c.tree++) {
        cancels = gwt_cancel_each(&rr_case, &c, NULL);
        print_message("# %s: %zu cancels over %zu bytes\n", c.tree ? "tree" : "events", cancels,
                      sizeof(resp_in) - 1);
        assert_true(cancels >= sizeof(resp_in) - 1 - (c.tree ? 100 : 0));
    }
}

/* ---- RESP writer ------------------------------------------------------------------- */

typedef struct rw_ctx rw_ctx;

/* Writes commands and values, small ones into the bufwriter, a value that
 * needs a buffer of its own (w->_tmp), and with `big` an argument of
 * GW_RESP_WRITE_DIRECT bytes past the bufwriter; then flushes. */
typedef gw_io_op rw_script;

struct rw_ctx {
    int big; /* the direct case: a larger pipe and bufwriter */
    gw_mempipe pipe;
    gw_bufwriter bw;
    gw_resp_writer w;
    rw_script script;
    gwt_result out;
    unsigned i; /* the script's step */
    int ret;
};

static char rw_large[GW_RESP_WRITE_DIRECT];
static gw_resp_value rw_elems[3], rw_pair[2], rw_value;

/* The tree value written: [bulk, integer, {simple: double}]. */
static void rw_values(void)
{
    static const char bulk[] = "a bulk string longer than the bufwriter's 16 bytes";

    memset(rw_elems, 0, sizeof(rw_elems));
    memset(rw_pair, 0, sizeof(rw_pair));
    memset(&rw_value, 0, sizeof(rw_value));
    memset(rw_large, 'L', sizeof(rw_large));
    rw_elems[0].type = GW_RESP_BULK;
    rw_elems[0].str = bulk;
    rw_elems[0].len = sizeof(bulk) - 1;
    rw_elems[1].type = GW_RESP_INTEGER;
    rw_elems[1].integer = -42;
    rw_pair[0].type = GW_RESP_SIMPLE;
    rw_pair[0].str = "k";
    rw_pair[0].len = 1;
    rw_pair[1].type = GW_RESP_DOUBLE;
    rw_pair[1].dbl = 1.5;
    rw_elems[2].type = GW_RESP_MAP;
    rw_elems[2].elems = rw_pair;
    rw_elems[2].len = 2;
    rw_value.type = GW_RESP_ARRAY;
    rw_value.elems = rw_elems;
    rw_value.len = 3;
}

GW_GENERATOR(rw_script, NULL);
GW_BODY(rw_script, s)
{
    static const char *argv[] = {"SET", "key", "a value of some twenty bytes"};
    static const size_t large_l[] = {3, sizeof(rw_large)};
    static const char *large_v[] = {"SET", rw_large};
    rw_ctx *c = s->obj;

    GW_BEGIN(s);
    for (c->i = 0; c->i < 8; c->i++) {
        if (c->i == 0)
            GW_AWAIT(s, sub, gw_resp_write_command(&c->w, 3, argv, NULL));
        else if (c->i == 1)
            GW_AWAIT(s, sub, gw_resp_write_value(&c->w, &rw_value));
        else if (c->i == 2)
            GW_AWAIT(s, sub, gw_resp_write_integer(&c->w, -12345));
        else if (c->i == 3)
            GW_AWAIT(s, sub, gw_resp_write_aggregate(&c->w, GW_RESP_SET, -1));
        else if (c->i == 4)
            GW_AWAIT(s, sub, gw_resp_write_string(&c->w, GW_RESP_BULK, argv[2], 28, NULL));
        else if (c->i == 5)
            GW_AWAIT(s, sub, gw_resp_write_end(&c->w));
        else if (c->i == 6 && c->big)
            GW_AWAIT(s, sub, gw_resp_write_command(&c->w, 2, large_v, large_l));
        else if (c->i == 7)
            GW_AWAIT(s, sub, gw_resp_write_value(&c->w, &rw_value));
        else
            continue;
        if ((c->ret = s->sub->ret) < 0)
            GW_EXIT(s);
    }
    GW_AWAIT(s, sub, gw_flush(&c->bw.w));
    c->ret = s->sub->ret;
    GW_END(s);
}

static gw_io_op *rw_start(void *ud)
{
    rw_ctx *c = ud;

    memset(&c->out, 0, sizeof(c->out));
    c->ret = 1;
    assert_int_equal(gw_mempipe_init(&c->pipe, c->big ? 256 : 1), 0);
    assert_int_equal(gw_bufwriter_init(&c->bw, &c->pipe.w, c->big ? 64 : 16), 0);
    gw_resp_writer_init(&c->w, &c->bw);
    memset(&c->script, 0, sizeof(c->script));
    GW_INIT(&c->script, rw_script);
    c->script.obj = c;
    return &c->script;
}

static void rw_progress(void *ud, const gw_wait *w)
{
    rw_ctx *c = ud;

    cp_take_bytes(&c->pipe, w, &c->out);
}

static void rw_check(void *ud)
{
    rw_ctx *c = ud;
    static const char *argv[] = {"PING"};

    assert_int_equal(c->bw.w.err, GW_ECANCELLED);
    assert_null(c->w._tmp);
    assert_int_equal(gwt_run_op(gw_resp_write_integer(&c->w, 1)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_resp_write_command(&c->w, 1, argv, NULL)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_resp_write_value(&c->w, &rw_value)), GW_ECANCELLED);
}

/* The finished run's output reads back as the events written. */
static void rw_finished(void *ud, gw_io_op *op)
{
    rw_ctx *c = ud;
    gw_bufreader br;
    gw_resp_reader rd;
    unsigned n = 0;
    int r;

    assert_int_equal(op->ret, 0);
    assert_int_equal(c->ret, 0);
    cp_take_rest(&c->pipe, &c->out);
    gw_bufreader_init_mem(&br, c->out.data, c->out.len);
    assert_int_equal(gw_resp_reader_init(&rd, &br, NULL), 0);
    while ((r = gw_resp_try_next(&rd)) == 1)
        n++;
    assert_int_equal(r, 0);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), 0); /* the clean end */
    /* command 5, value 8, integer 1, set 3, command 4 (big), value 8 */
    assert_int_equal(n, 25 + (c->big ? 4 : 0));
    gw_resp_reader_fini(&rd);
}

static void rw_teardown(void *ud)
{
    rw_ctx *c = ud;

    gw_bufwriter_fini(&c->bw);
    gw_mempipe_fini(&c->pipe);
    gwt_result_free(&c->out);
    assert_int_equal(cp_live, 0); /* nothing leaked */
}

static const gwt_cancel_case rw_case = {"rw",        rw_start, rw_progress, rw_check, rw_finished,
                                        rw_teardown, 0};

void test_resp_writer(void **state)
{
    rw_ctx c;
    size_t cancels;

    (void)state;
    rw_values();
    for (c.big = 0; c.big <= 1; c.big++) {
        cancels = gwt_cancel_each(&rw_case, &c, NULL);
        print_message("# %s: %zu cancels\n", c.big ? "direct" : "buffered", cancels);
        /* Buffered: a wait a byte of the output; direct: one per 256. */
        assert_true(cancels >= (c.big ? GW_RESP_WRITE_DIRECT / 256 : 200));
    }
}

/* After the bufwriter was closed every write fails with GW_ECLOSED and
 * adds nothing to its buffer; a value that needs a buffer of its own
 * allocates none. */
void test_resp_write_after_close(void **state)
{
    static const char *argv[] = {"PING"};
    gwt_sink k;
    gw_bufwriter bw;
    gw_resp_writer w;

    (void)state;
    rw_values();
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 16), 0);
    gw_resp_writer_init(&w, &bw);
    assert_int_equal(gwt_run_op(gw_close(&bw.w)), 0);
    assert_int_equal(gwt_run_op(gw_resp_write_command(&w, 1, argv, NULL)), GW_ECLOSED);
    assert_int_equal(gwt_run_op(gw_resp_write_integer(&w, 7)), GW_ECLOSED);
    assert_int_equal(gwt_run_op(gw_resp_write_string(&w, GW_RESP_SIMPLE, "OK", 2, NULL)),
                     GW_ECLOSED);
    assert_int_equal(gwt_run_op(gw_resp_write_value(&w, &rw_elems[1])), GW_ECLOSED);
    assert_int_equal(cp_live, 1); /* the bufwriter's buffer: no _tmp for the value */
    assert_int_equal(gwt_run_op(gw_resp_write_value(&w, &rw_value)), GW_ECLOSED);
    assert_int_equal(cp_live, 1);
    assert_null(w._tmp);
    assert_int_equal(bw.len, 0);
    assert_int_equal(bw.w.nwritten, 0);
    assert_int_equal(k.got.len, 0);
    gw_bufwriter_fini(&bw);
    gwt_result_free(&k.got);
}
