/*
 * The shared test helpers declared in tests/gwt.h: result collection, the
 * push-mode driver and the every-split-point checker.
 */
#include "gwt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void gwt_result_bytes(gwt_result *r, const void *p, size_t n)
{
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 64;
        while (cap < r->len + n)
            cap *= 2;
        r->data = realloc(r->data, cap);
        assert_non_null(r->data);
        r->cap = cap;
    }
    if (n > 0)
        memcpy(r->data + r->len, p, n);
    r->len += n;
}

void gwt_result_record(gwt_result *r, const void *p, size_t n)
{
    uint64_t len = n;

    gwt_result_bytes(r, &len, sizeof(len));
    gwt_result_bytes(r, p, n);
    r->records++;
}

void gwt_result_free(gwt_result *r)
{
    free(r->data);
    memset(r, 0, sizeof(*r));
}

uint64_t gwt_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

typedef gw_io_op sink_op;
GW_GENERATOR(sink_op, NULL);
GW_BODY(sink_op, s)
{
    gwt_sink *k = s->obj;

    GW_BEGIN(s);
    if (s->src != NULL) {
        if (k->fail_with != 0) {
            k->w.err = k->fail_with;
            GW_RETURN(s, k->fail_with);
        }
        if (k->records)
            gwt_result_record(&k->got, s->src, s->len);
        else
            gwt_result_bytes(&k->got, s->src, s->len);
        k->writes++;
        k->w.nwritten += s->len;
        s->n = s->len;
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Starts the sink's one operation; src NULL for flush and close. */
static gw_io_op *sink_start(gw_writer *w, const uint8_t *src, size_t len)
{
    gw_io_op *op = &w->op;

    GW_INIT(op, sink_op);
    op->obj = w;
    op->src = src;
    op->len = len;
    op->n = 0;
    op->ret = 0;
    return op;
}
static gw_io_op *sink_write(gw_writer *w, const uint8_t *buf, size_t len)
{
    return sink_start(w, buf == NULL ? (const uint8_t *)"" : buf, len);
}
static gw_io_op *sink_flush(gw_writer *w)
{
    ((gwt_sink *)(void *)w)->flushes++;
    return sink_start(w, NULL, 0);
}
static gw_io_op *sink_close(gw_writer *w)
{
    ((gwt_sink *)(void *)w)->closes++;
    return sink_start(w, NULL, 0);
}
static const gw_writer_ops sink_ops = {"sink", sink_write, sink_flush, sink_close};

void gwt_sink_init(gwt_sink *k, int records)
{
    memset(k, 0, sizeof(*k));
    gw_writer_init(&k->w, &sink_ops);
    k->records = records;
}

int gwt_run_op(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    return op->ret;
}

void gwt_drive(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, gwt_feed *feed)
{
    while (gw_next(st) == GW_YIELDED) {
        size_t end, took;

        assert_int_equal(slot->kind, GW_WAIT_EVENT);
        assert_ptr_equal(slot->event, &pipe->readable);
        feed->waits++;
        if (feed->pos == feed->len) {
            assert_false(pipe->finished); /* waiting again after the end: a hang */
            gw_mempipe_finish(pipe);
            continue;
        }
        end = feed->next < feed->ncuts ? feed->cuts[feed->next] : feed->len;
        took = gw_mempipe_feed(pipe, feed->in + feed->pos, end - feed->pos);
        assert_true(took > 0); /* the decoder waits for input with a full pipe */
        feed->pos += took;
        if (feed->pos == end && feed->next < feed->ncuts)
            feed->next++;
    }
}

static void run_one(const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
                    gwt_decode_fn decode, void *ud, const gwt_result *whole, const char *what)
{
    gwt_feed feed = {in, len, cuts, ncuts, 0, 0, 0};
    gwt_result r;

    memset(&r, 0, sizeof(r));
    decode(&feed, &r, ud);
    if (r.err != whole->err || r.off != whole->off || r.len != whole->len ||
        r.records != whole->records || (r.len > 0 && memcmp(r.data, whole->data, r.len) != 0)) {
        print_error("schedule %s (%zu cuts, first at %zu) differs from the whole feed: "
                    "err %d/%d off %llu/%llu len %zu/%zu records %zu/%zu\n",
                    what, ncuts, ncuts ? cuts[0] : (size_t)0, r.err, whole->err,
                    (unsigned long long)r.off, (unsigned long long)whole->off, r.len, whole->len,
                    r.records, whole->records);
        gwt_result_free(&r);
        fail();
    }
    gwt_result_free(&r);
}

void gwt_check_splits(const uint8_t *in, size_t len, gwt_decode_fn decode, void *ud,
                      gwt_result *whole)
{
    gwt_feed feed = {in, len, NULL, 0, 0, 0, 0};
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    uint64_t seed = 0x9E3779B97F4A7C15ULL ^ len;
    size_t i, k;

    assert_non_null(cuts);
    memset(whole, 0, sizeof(*whole));
    decode(&feed, whole, ud);
    /* Split in two at every offset. */
    for (i = 1; i < len; i++) {
        cuts[0] = i;
        run_one(in, len, cuts, 1, decode, ud, whole, "split-in-two");
    }
    /* One byte at a time. */
    for (i = 1; i < len; i++)
        cuts[i - 1] = i;
    if (len > 1)
        run_one(in, len, cuts, len - 1, decode, ud, whole, "byte-at-a-time");
    /* Random pieces. */
    for (k = 0; k < 16 && len > 1; k++) {
        size_t n = 0, pos = 0;
        for (;;) {
            pos += 1 + gwt_rand(&seed) % (k < 8 ? 8 : 64);
            if (pos >= len)
                break;
            cuts[n++] = pos;
        }
        run_one(in, len, cuts, n, decode, ud, whole, "random");
    }
    free(cuts);
}
