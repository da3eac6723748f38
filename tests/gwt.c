/*
 * The shared test helpers declared in tests/gwt.h: the push-mode driver
 * and the every-split-point checker (result collection and the sink are in
 * tests/gwt-core.c).
 */
#include "gwt.h"

#include "transport/io-impl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

uint64_t gwt_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int gwt_run_op(gw_io_op *op)
{
    assert_int_equal(gwt_run_once(op), GW_RETURNED);
    return op->ret;
}

/* The run in progress: its feed, flags and read shape, and what GWT_PROMPT
 * saw when all the input had been fed.  (gwt_feed stays as it was, so that
 * suites that fill one in by position still compile.) */
typedef struct run_state {
    const gwt_feed *feed; /* the run's feed, or NULL between runs */
    unsigned flags;       /* GWT_NO_END | GWT_PROMPT */
    size_t cap, min;      /* the read shape; cap 0: the default */
    gwt_result *out;      /* the run's result */
    size_t snap_len;      /* GWT_PROMPT: output length when all input was fed */
    size_t snap_recs;     /* ... and record count */
    int snapped;          /* a snapshot was taken */
} run_state;

static run_state run;

/* The run state that applies to feed, or NULL. */
static const run_state *run_of(const gwt_feed *feed)
{
    return run.feed == feed ? &run : NULL;
}

size_t gwt_feed_cap(const gwt_feed *feed)
{
    const run_state *rs = run_of(feed);

    return rs != NULL && rs->cap != 0 ? rs->cap : GWT_CAP;
}

size_t gwt_feed_min(const gwt_feed *feed)
{
    const run_state *rs = run_of(feed);

    return rs != NULL && rs->cap != 0 ? rs->min : 1;
}

void gwt_drive(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, gwt_feed *feed)
{
    while (gw_next(st) == GW_YIELDED) {
        size_t end, took;

        assert_int_equal(slot->kind, GW_WAIT_EVENT);
        assert_ptr_equal(slot->event, &pipe->readable);
        feed->waits++;
        if (feed->pos == feed->len) {
            unsigned flags = run_of(feed) != NULL ? run.flags : 0;

            if (flags & GWT_NO_END) {
                print_error("the decoder waited for more input after all %zu bytes were fed: "
                            "a complete unit must be returned without waiting\n",
                            feed->len);
                fail();
            }
            if ((flags & GWT_PROMPT) && !run.snapped) {
                run.snap_len = run.out->len;
                run.snap_recs = run.out->records;
                run.snapped = 1;
            }
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

/* gwt_drain's consumer. */
typedef struct drain_gen {
    GW_FRAME(gw_wait);
    gw_reader *r;
    gw_mempipe *pipe;
    gwt_feed *feed;
    gwt_result *out;
    uint8_t *buf;    /* cap bytes */
    gw_io_op *op;    /* the read in progress */
    size_t waits;    /* feed->waits before a min-1 read after an empty min-0 one */
    uint64_t pulled; /* pipe->r.nread then */
    int ret;
} drain_gen;

/* Appends what a read returned and checks it against the read contract;
 * nonzero when the consumer should stop. */
static int drain_take(drain_gen *s, size_t min)
{
    gw_io_op *op = s->op;

    gwt_result_bytes(s->out, s->buf, op->n);
    assert_true(op->n <= gwt_feed_cap(s->feed));
    if (op->ret < 0)
        return 1;
    if (op->n < min && !s->r->eof) {
        print_error("a read with min %zu returned %zu bytes without end of stream\n", min, op->n);
        fail();
    }
    return s->r->eof;
}

GW_GENERATOR(drain_gen, NULL);
GW_BODY(drain_gen, s)
{
    size_t cap = gwt_feed_cap(s->feed), min = gwt_feed_min(s->feed);

    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, cap, min));
        if (drain_take(s, min))
            break;
        if (min > 0 || s->op->n > 0)
            continue;
        /* min 0 gave nothing: then nothing is decodable without more input. */
        s->waits = s->feed->waits;
        s->pulled = s->pipe->r.nread;
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, cap, 1));
        if (s->op->n > 0 && s->feed->waits == s->waits && s->pipe->r.nread == s->pulled) {
            print_error("a min-0 read returned nothing, then a min-1 read returned %zu bytes "
                        "without waiting or new input: min 0 withheld them\n",
                        s->op->n);
            fail();
        }
        if (drain_take(s, 1))
            break;
    }
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

void gwt_drain(gw_reader *r, gw_mempipe *pipe, gwt_feed *feed, gwt_result *out)
{
    drain_gen d;
    gw_wait w;
    gw_stack st;

    GW_INIT(&d, drain_gen);
    d.r = r;
    d.pipe = pipe;
    d.feed = feed;
    d.out = out;
    d.buf = malloc(gwt_feed_cap(feed));
    assert_non_null(d.buf);
    d.op = NULL;
    d.ret = 0;
    GW_START(&st, &d, &w);
    gwt_drive(&st, &w, pipe, feed);
    free(d.buf);
    out->err = d.ret;
    out->off = d.ret < 0 ? r->err_off : 0;
}

/* One run's parameters. */
typedef struct run_shape {
    unsigned flags;
    size_t cap, min;
    int sample; /* GWT_SAMPLE is on and applies */
} run_shape;

static void run_one(const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
                    gwt_decode_fn decode, void *ud, const gwt_result *whole, const char *what,
                    const run_shape *sh)
{
    gwt_feed feed = {in, len, cuts, ncuts, 0, 0, 0};
    gwt_result r;

    memset(&r, 0, sizeof(r));
    memset(&run, 0, sizeof(run));
    run.feed = &feed;
    run.flags = sh->flags;
    run.cap = sh->cap;
    run.min = sh->min;
    run.out = &r;
    decode(&feed, &r, ud);
    run.feed = NULL;
    if (run.snapped && (r.len != run.snap_len || r.records != run.snap_recs)) {
        print_error("schedule %s (cap %zu, min %zu): %zu of %zu output bytes (%zu of %zu records) "
                    "came only after the end of input, not when all input was fed\n",
                    what, sh->cap ? sh->cap : GWT_CAP, sh->cap ? sh->min : 1, r.len - run.snap_len,
                    r.len, r.records - run.snap_recs, r.records);
        gwt_result_free(&r);
        fail();
    }
    if (r.err != whole->err || r.off != whole->off || r.len != whole->len ||
        r.records != whole->records || (r.len > 0 && memcmp(r.data, whole->data, r.len) != 0)) {
        print_error("schedule %s (%zu cuts, first at %zu; cap %zu, min %zu%s) differs from the "
                    "whole feed: err %d/%d off %llu/%llu len %zu/%zu records %zu/%zu\n",
                    what, ncuts, ncuts ? cuts[0] : (size_t)0, sh->cap ? sh->cap : GWT_CAP,
                    sh->cap ? sh->min : 1, sh->flags & GWT_NO_END ? ", never ended" : "", r.err,
                    whole->err, (unsigned long long)r.off, (unsigned long long)whole->off, r.len,
                    whole->len, r.records, whole->records);
        gwt_result_free(&r);
        fail();
    }
    gwt_result_free(&r);
}

/* Every schedule of one read shape: whole, split in two at every offset
 * (when `pairs`), one byte at a time, and `nrandom` random schedules. */
int gwt_sampling(void)
{
    const char *pre = getenv("LD_PRELOAD"), *env = getenv("GWT_SAMPLE");

    return (pre != NULL && strstr(pre, "vgpreload") != NULL) ||
           (env != NULL && strcmp(env, "1") == 0);
}

/* The split-in-two offset after i in an input of len bytes: the next one,
 * or with `sample` a stride through the middle (GWT_SAMPLE). */
static size_t next_split(size_t i, size_t len, int sample)
{
    size_t step = len / 16;

    if (!sample || i < 8 || i + 8 >= len || step <= 1)
        return i + 1;
    return i + step < len - 8 ? i + step : len - 8;
}

static void run_schedules(const uint8_t *in, size_t len, gwt_decode_fn decode, void *ud,
                          const gwt_result *whole, const run_shape *sh, int pairs, int nrandom,
                          size_t *cuts)
{
    int sample = sh->sample;
    uint64_t seed = 0x9E3779B97F4A7C15ULL ^ len ^ (sh->cap << 20) ^ sh->min;
    int k;
    size_t i;

    if (sh->flags != 0 || sh->cap != 0)
        run_one(in, len, cuts, 0, decode, ud, whole, "whole", sh);
    for (i = 1; pairs && i < len; i = next_split(i, len, sample)) {
        cuts[0] = i;
        run_one(in, len, cuts, 1, decode, ud, whole, "split-in-two", sh);
    }
    for (i = 1; i < len; i++)
        cuts[i - 1] = i;
    if (len > 1)
        run_one(in, len, cuts, len - 1, decode, ud, whole, "byte-at-a-time", sh);
    for (k = 0; k < nrandom && len > 1; k++) {
        size_t n = 0, pos = 0;
        for (;;) {
            pos += 1 + gwt_rand(&seed) % (k < nrandom / 2 ? 8 : 64);
            if (pos >= len)
                break;
            cuts[n++] = pos;
        }
        run_one(in, len, cuts, n, decode, ud, whole, "random", sh);
    }
}

void gwt_check_splits_ex(const uint8_t *in, size_t len, gwt_decode_fn decode, void *ud,
                         gwt_result *whole, unsigned flags)
{
    /* Read shapes for GWT_VARY_READS: tiny to large buffers, waiting for
     * nothing (min 0), for one byte, or for the whole buffer. */
    static const size_t shapes[][2] = {{1, 1}, {1, 0},  {2, 2},   {3, 1},       {7, 0},
                                       {7, 7}, {64, 1}, {64, 64}, {GWT_CAP, 0}, {GWT_CAP, GWT_CAP}};
    run_shape sh = {flags & (GWT_NO_END | GWT_PROMPT), 0, 0,
                    (flags & GWT_SAMPLE) != 0 && gwt_sampling()};
    gwt_feed feed = {in, len, NULL, 0, 0, 0, 0};
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    size_t i;

    assert_non_null(cuts);
    memset(whole, 0, sizeof(*whole));
    decode(&feed, whole, ud);
    run_schedules(in, len, decode, ud, whole, &sh, 1, 16, cuts);
    for (i = 0; (flags & GWT_VARY_READS) && i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        sh.cap = shapes[i][0];
        sh.min = shapes[i][1];
        run_schedules(in, len, decode, ud, whole, &sh, len <= 64, 4, cuts);
    }
    free(cuts);
}

void gwt_check_splits(const uint8_t *in, size_t len, gwt_decode_fn decode, void *ud,
                      gwt_result *whole)
{
    gwt_check_splits_ex(in, len, decode, ud, whole, 0);
}

void gwt_result_join(const gwt_result *r, char sep, char *buf, size_t cap)
{
    size_t i = 0, pos = 0;

    buf[0] = 0;
    while (i + 8 <= r->len) {
        uint64_t n;
        memcpy(&n, r->data + i, 8);
        i += 8;
        if (pos + n + 2 < cap) {
            if (pos > 0)
                buf[pos++] = sep;
            memcpy(buf + pos, r->data + i, (size_t)n);
            pos += (size_t)n;
            buf[pos] = 0;
        }
        i += (size_t)n;
    }
}

/* ---- a source that fails at the end of its input ------------------------- */

typedef gw_io_op failsrc_read;
GW_GENERATOR(failsrc_read, NULL);
GW_BODY(failsrc_read, s)
{
    gwt_failsrc *f = s->obj;
    gwt_feed *feed = f->feed;
    size_t stop, take;

    GW_BEGIN(s);
    if (f->r.err != 0)
        GW_RETURN(s, f->r.err);
    do {
        while (feed->next < feed->ncuts && feed->cuts[feed->next] <= feed->pos)
            feed->next++;
        stop = feed->next < feed->ncuts ? feed->cuts[feed->next] : feed->len;
        take = stop - feed->pos;
        if (take > s->len - s->n)
            take = s->len - s->n;
        memcpy(s->buf + s->n, feed->in + feed->pos, take);
        feed->pos += take;
        s->n += take;
        f->r.nread += take;
    } while (s->n < s->min && s->n < s->len && feed->pos < feed->len);
    if (feed->pos == feed->len) {
        f->r.err = f->fail_with;
        f->r.err_off = feed->len;
        GW_RETURN(s, f->fail_with);
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_TRY_READ(failsrc_try_read, gwt_failsrc, r, failsrc_read)

static const gw_reader_ops failsrc_ops = {"failsrc", failsrc_try_read};

void gwt_failsrc_init(gwt_failsrc *f, gwt_feed *feed, int fail_with)
{
    memset(f, 0, sizeof(*f));
    gw_reader_init(&f->r, &failsrc_ops);
    f->feed = feed;
    f->fail_with = fail_with;
}
