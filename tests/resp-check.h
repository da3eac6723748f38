/*
 * resp-check.h: the RESP event reader's test driver, shared by test-resp.c
 * and test-resp-lex.c: a consumer generator that serialises every event as
 * one record, "depth:type:payload" (string pieces joined, the limits
 * checked on each), a decode function for gwt_check_splits, the same decode
 * over plain memory, and expect_cfg(), which runs a vector under every
 * split with bufreader capacities 64 and 4096 and from memory, checking the
 * error, its offset and that it sticks.  Static functions: include it once
 * per test program.
 */
#ifndef RESP_CHECK_H
#define RESP_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/resp.h>

#include "gwt.h"

/* ---- the decode driver ---------------------------------------------------- */

typedef struct rcfg {
    size_t bufcap;      /* the bufreader's capacity */
    gw_resp_limits lim; /* the limits */
} rcfg;

/* Serialises one event (a whole string: its pieces joined in *piece). */
static inline void record_event(gwt_result *out, const gw_resp_event *ev, const gwt_result *piece)
{
    char buf[256];
    int n;

    switch (ev->type) {
    case GW_RESP_END:
        n = snprintf(buf, sizeof(buf), "%u:end:%s", ev->depth, gw_resp_type_name(ev->agg));
        break;
    case GW_RESP_ARRAY:
    case GW_RESP_MAP:
    case GW_RESP_SET:
    case GW_RESP_ATTRIBUTE:
    case GW_RESP_PUSH:
        n = snprintf(buf, sizeof(buf), "%u:%s[%lld]", ev->depth, gw_resp_type_name(ev->type),
                     (long long)ev->integer);
        break;
    case GW_RESP_INTEGER:
        n = snprintf(buf, sizeof(buf), "%u:integer:%lld", ev->depth, (long long)ev->integer);
        break;
    case GW_RESP_BOOL:
        n = snprintf(buf, sizeof(buf), "%u:boolean:%s", ev->depth, ev->integer ? "t" : "f");
        break;
    case GW_RESP_NULL:
        n = snprintf(buf, sizeof(buf), "%u:null:%c", ev->depth, ev->wire);
        break;
    case GW_RESP_DOUBLE:
        n = snprintf(buf, sizeof(buf), "%u:double:%.*s=%g", ev->depth, (int)ev->len,
                     (const char *)ev->data, ev->dbl);
        break;
    default:
        n = snprintf(buf, sizeof(buf), "%u:%s%s%s%s:", ev->depth, gw_resp_type_name(ev->type),
                     ev->flags & GW_RESP_STREAMED ? "~" : "",
                     ev->type == GW_RESP_VERBATIM ? "/" : "",
                     ev->type == GW_RESP_VERBATIM ? ev->fmt : "");
        if (piece->len < 64) {
            if (piece->len > 0)
                memcpy(buf + n, piece->data, piece->len);
            n += (int)piece->len;
        } else {
            n += snprintf(buf + n, sizeof(buf) - (size_t)n, "<%zu bytes>", piece->len);
        }
        break;
    }
    gwt_result_record(out, buf, (size_t)n);
}

/* Reads every event into out. */
typedef struct consumer {
    GW_FRAME(gw_wait);
    gw_resp_reader *rd;
    const rcfg *cfg;
    gwt_result *out;
    gwt_result piece; /* the string being joined */
    gw_io_op *op;
    int res;
    int ret;
} consumer;

/* Checks the limits on one event, whatever the split. */
static inline void check_limits(const consumer *s, const gw_resp_event *ev)
{
    assert_true(ev->depth <= s->rd->_lim.max_depth);
    if (ev->type == GW_RESP_SIMPLE || ev->type == GW_RESP_ERROR || ev->type == GW_RESP_DOUBLE ||
        ev->type == GW_RESP_BIGNUM)
        assert_true(ev->len <= s->rd->_lim.max_line);
    if (ev->type == GW_RESP_BULK || ev->type == GW_RESP_VERBATIM || ev->type == GW_RESP_BLOB_ERROR)
        assert_true(s->piece.len + ev->len <= s->rd->_lim.max_bulk);
}

GW_GENERATOR(consumer, NULL);
GW_BODY(consumer, s)
{
    const gw_resp_event *ev = &s->rd->ev;

    GW_BEGIN(s);
    for (;;) {
        GW_RESP_NEXT(s, op, s->rd, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        check_limits(s, ev);
        if (ev->type != GW_RESP_END && ev->data != NULL && ev->len > 0)
            gwt_result_bytes(&s->piece, ev->data, ev->len);
        if (ev->flags & GW_RESP_MORE)
            continue;
        record_event(s->out, ev, &s->piece);
        s->piece.len = 0;
    }
    GW_END(s);
}

/* Starts a consumer of rd's events into out on stack st. */
static inline void consumer_start(consumer *c, gw_stack *st, gw_wait *w, gw_resp_reader *rd,
                                  const rcfg *cfg, gwt_result *out)
{
    GW_INIT(c, consumer);
    c->rd = rd;
    c->cfg = cfg;
    c->out = out;
    memset(&c->piece, 0, sizeof(c->piece));
    c->ret = 0;
    GW_START(st, c, w);
}

static inline void decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const rcfg *cfg = ud;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_resp_reader rd;
    consumer c;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, cfg->bufcap), 0);
    assert_int_equal(gw_resp_reader_init(&rd, &br, &cfg->lim), 0);
    consumer_start(&c, &st, &w, &rd, cfg, out);
    gwt_drive(&st, &w, &pipe, feed);
    out->err = c.ret;
    if (c.ret < 0) {
        out->off = rd.err_off;
        assert_int_equal(rd.err, c.ret);
        assert_int_equal(gw_resp_try_next(&rd), c.ret);
        assert_int_equal(gwt_run_op(gw_resp_next(&rd)), c.ret);
        assert_int_equal(rd.err_off, out->off);
    } else {
        assert_true(gw_resp_reader_idle(&rd));
        assert_int_equal(gwt_run_op(gw_resp_next(&rd)), 0);
    }
    gwt_result_free(&c.piece);
    gw_resp_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The same decode over plain memory (gw_bufreader_init_mem). */
static inline void decode_mem(const uint8_t *in, size_t len, const rcfg *cfg, gwt_result *out)
{
    gw_bufreader br;
    gw_resp_reader rd;
    consumer c;
    gw_wait w;
    gw_stack st;

    gw_bufreader_init_mem(&br, in, len);
    assert_int_equal(gw_resp_reader_init(&rd, &br, &cfg->lim), 0);
    consumer_start(&c, &st, &w, &rd, cfg, out);
    assert_int_equal(gw_next(&st), GW_RETURNED); /* memory never waits */
    out->err = c.ret;
    out->off = c.ret < 0 ? rd.err_off : 0;
    gwt_result_free(&c.piece);
    gw_resp_reader_fini(&rd);
}

static inline rcfg cfg_default(size_t bufcap)
{
    rcfg c;

    memset(&c, 0, sizeof(c));
    c.bufcap = bufcap;
    return c;
}

/*
 * Checks that in (len bytes) gives the events `want` ('|'-separated) and
 * then err (0: a clean end) at off, under base's limits with bufreader
 * capacities 64 and 4096 (base->bufcap 0) or base->bufcap, and from memory.
 * Every split must hand out each complete value before the end of input
 * is signalled (GWT_PROMPT); under valgrind the two-piece splits are a
 * sample (GWT_SAMPLE).
 */
static inline void expect_cfg(const rcfg *base, const void *in, size_t len, const char *want,
                              int err, uint64_t off)
{
    static char got[1 << 16];
    size_t caps[2] = {64, 4096};
    size_t k;

    /* Plain memory has no buffer limit to cap lines: only with the default
     * capacities. */
    for (k = 0; k < (base->bufcap != 0 ? 2u : 3u); k++) {
        rcfg cfg = *base;
        gwt_result r;
        if (base->bufcap != 0 && k < 2)
            cfg.bufcap = base->bufcap;
        else if (k < 2)
            cfg.bufcap = caps[k];
        if (k < 2) {
            gwt_check_splits_ex(in, len, decode, &cfg, &r, GWT_PROMPT | GWT_SAMPLE);
        } else {
            memset(&r, 0, sizeof(r));
            decode_mem(in, len, &cfg, &r);
        }
        gwt_result_join(&r, '|', got, sizeof(got));
        if (strcmp(got, want) != 0 || r.err != err || (err != 0 && r.off != off))
            print_error("input %.*s (cap %zu): got \"%s\" %s at %llu, want \"%s\" %s at %llu\n",
                        (int)(len < 80 ? len : 80), (const char *)in, k < 2 ? cfg.bufcap : len, got,
                        gw_errname(r.err), (unsigned long long)r.off, want, gw_errname(err),
                        (unsigned long long)off);
        assert_string_equal(got, want);
        assert_int_equal(r.err, err);
        if (err != 0)
            assert_int_equal(r.off, off);
        gwt_result_free(&r);
    }
}

static inline void expect(const char *in, const char *want, int err, uint64_t off)
{
    rcfg cfg = cfg_default(0);

    expect_cfg(&cfg, in, strlen(in), want, err, off);
}

/* One vector: input, events, error and offset. */
typedef struct vec {
    const char *in, *want;
    int err;
    uint64_t off;
} vec;

static inline void expect_all(const vec *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        expect(v[i].in, v[i].want, v[i].err, v[i].off);
}

#endif /* RESP_CHECK_H */
