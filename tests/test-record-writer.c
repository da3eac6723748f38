/*
 * Tests of the record writers (parsers/framing/record-writer.c): canonical
 * headers for every format, what each format refuses, a write cancelled
 * mid-way, and encode -> decode round trips through the record readers:
 * random records in every format, and long runs of empty records, which
 * default options must read back (frame-check.h drives the decoding).
 */
#include "frame-check.h"
#include "gwt-cancel.h"

/* ---- encode -> decode ----------------------------------------------------- */

/* Writes records into a pipe through a bufwriter, then closes. */
typedef struct producer {
    GW_FRAME(gw_wait);
    gw_record_writer *rw;
    gw_bufwriter *bw;
    const uint8_t *const *recs; /* the records */
    const size_t *lens;
    size_t n, i;
    gw_io_op *op;
    int ret;
} producer;

GW_GENERATOR(producer, NULL);
GW_BODY(producer, s)
{
    GW_BEGIN(s);
    for (s->i = 0; s->i < s->n; s->i++) {
        GW_AWAIT(s, op, gw_record_write(s->rw, s->recs[s->i], s->lens[s->i]));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
    }
    GW_AWAIT(s, op, gw_close(&s->bw->w));
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

static void test_round_trip_random(void **state)
{
    enum { NREC = 300 };
    uint64_t seed = 12345;
    int f;

    (void)state;
    for (f = 0; f < GW_FRAME_NFORMATS; f++) {
        uint8_t *recs[NREC];
        size_t lens[NREC], i, pos;
        gw_mempipe pipe;
        gw_bufwriter bw;
        gw_record_writer rw;
        gw_bufreader br;
        gw_record_reader rr;
        gw_frame_limits lim;
        producer prod;
        consumer cons;
        fcfg cfg;
        gwt_result out;
        gw_exec *ex = gw_exec_new();

        for (i = 0; i < NREC; i++) {
            size_t k, max = f == GW_FRAME_U8 ? 255 : 2000;
            lens[i] = gwt_rand(&seed) % 4 == 0 ? 0 : gwt_rand(&seed) % (max + 1);
            recs[i] = malloc(lens[i] + 1);
            for (k = 0; k < lens[i]; k++) {
                recs[i][k] = (uint8_t)gwt_rand(&seed);
                if (f == GW_FRAME_LINES && (recs[i][k] == '\n' || recs[i][k] == '\r'))
                    recs[i][k] = 'x';
            }
        }
        memset(&out, 0, sizeof(out));
        gw_frame_limits_default(&lim);
        lim.max_line = 4000;
        assert_int_equal(gw_mempipe_init(&pipe, 777), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 1000), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, (gw_frame_format)f, 0), 0);
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, 4096), 0);
        assert_int_equal(
            gw_record_reader_init(&rr, &br, (gw_frame_format)f, &lim, GW_RECORD_ASSEMBLE), 0);
        GW_INIT(&prod, producer);
        prod.rw = &rw;
        prod.bw = &bw;
        prod.recs = (const uint8_t *const *)recs;
        prod.lens = lens;
        prod.n = NREC;
        cfg = cfg_of((gw_frame_format)f);
        cfg.lim = lim;
        cfg.scan = f % 2; /* half the formats through the batch scan too */
        consumer_init(&cons, &rr, &out, &cfg);
        GW_SPAWN(ex, &prod, NULL, NULL);
        GW_SPAWN(ex, &cons, NULL, NULL);
        assert_int_equal(gw_exec_run(ex), 0);
        assert_int_equal(prod.ret, 0);
        assert_int_equal(cons.ret, 0);
        assert_int_equal(out.records, NREC);
        for (i = 0, pos = 0; i < NREC; i++) {
            uint64_t rl;
            memcpy(&rl, out.data + pos, 8);
            assert_int_equal(rl, lens[i]);
            assert_memory_equal(out.data + pos + 8, recs[i], lens[i]);
            pos += 8 + rl;
            free(recs[i]);
        }
        gwt_result_free(&out);
        gwt_result_free(&cons.piece);
        gw_record_reader_fini(&rr);
        gw_bufreader_fini(&br);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&pipe);
        gw_exec_free(ex);
    }
}

/* The writer refuses what its format cannot carry, and writes canonical
 * headers. */
static void test_writer(void **state)
{
    static const struct {
        gw_frame_format fmt;
        const char *out;
        size_t len;
    } cases[] = {
        {GW_FRAME_U8, "\x02hi", 3},
        {GW_FRAME_U16BE, "\x00\x02hi", 4},
        {GW_FRAME_U16LE, "\x02\x00hi", 4},
        {GW_FRAME_U32BE, "\x00\x00\x00\x02hi", 6},
        {GW_FRAME_U64LE, "\x02\0\0\0\0\0\0\0hi", 10},
        {GW_FRAME_VARINT, "\x02hi", 3},
        {GW_FRAME_LINES, "hi\n", 3},
        {GW_FRAME_NETSTRING, "2:hi,", 5},
    };
    uint8_t big[300];
    size_t i;

    (void)state;
    memset(big, 'b', sizeof(big));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_mempipe pipe;
        gw_bufwriter bw;
        gw_record_writer rw;
        uint8_t got[32];

        assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 8), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, cases[i].fmt, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "hi", 2)), 0);
        assert_int_equal(gwt_run_op(gw_flush(&bw.w)), 0);
        assert_int_equal(pipe.end - pipe.pos, cases[i].len);
        memcpy(got, pipe.buf + pipe.pos, cases[i].len);
        assert_memory_equal(got, cases[i].out, cases[i].len);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&pipe);
    }
    {
        gw_mempipe pipe;
        gw_bufwriter bw;
        gw_record_writer rw;

        assert_int_equal(gw_mempipe_init(&pipe, 1024), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 64), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U8, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 256)), GW_ERECORD_TOO_LARGE);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 255)), 0); /* through the slow path */
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_LINES, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "a\nb", 3)), GW_EINVAL);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "ab\r", 3)), GW_EINVAL);
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U32BE, 100), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 101)), GW_ERECORD_TOO_LARGE);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&pipe);
    }
}

/* Defect 15: what encode writes, decode reads back with the default
 * options: 1.1 million empty records (more than the 1 Mi that the old
 * consecutive-empty limit refused), then one that is not empty. */
static void test_many_empty_records(void **state)
{
    static const gw_frame_format fmts[] = {GW_FRAME_U32BE, GW_FRAME_VARINT, GW_FRAME_LINES};
    enum { N = 1100000 };
    size_t f;

    (void)state;
    for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        gwt_sink k;
        gw_bufwriter bw;
        gw_record_writer rw;
        gw_bufreader br;
        gw_record_reader rr;
        gw_io_op *op;
        size_t i, n = 0;

        gwt_sink_init(&k, 0);
        assert_int_equal(gw_bufwriter_init(&bw, &k.w, 65536), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, fmts[f], 0), 0);
        for (i = 0; i < N; i++)
            assert_int_equal(gwt_run_op(gw_record_write(&rw, "", 0)), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "x", 1)), 0);
        assert_int_equal(gwt_run_op(gw_close(&bw.w)), 0);
        gw_bufwriter_fini(&bw);

        gw_bufreader_init_mem(&br, k.got.data, k.got.len);
        assert_int_equal(gw_record_reader_init(&rr, &br, fmts[f], NULL, GW_RECORD_ASSEMBLE), 0);
        for (;;) {
            if (!gw_record_try_next(&rr)) {
                op = gw_record_next(&rr);
                if (gwt_run_op(op) != 1)
                    break;
            }
            assert_int_equal(rr.len, n < N ? 0 : 1);
            n++;
        }
        assert_int_equal(op->ret, 0);
        assert_int_equal(n, N + 1);
        /* The limit is still there for who asks for it. */
        {
            gw_frame_limits lim = {0, 0, 1000};
            gw_bufreader_init_mem(&br, k.got.data, k.got.len);
            assert_int_equal(gw_record_reader_init(&rr, &br, fmts[f], &lim, 0), 0);
            for (n = 0; (op = gw_record_next(&rr), gwt_run_op(op)) == 1; n++)
                ;
            assert_int_equal(op->ret, GW_ETOO_MANY_EMPTY);
            assert_int_equal(n, 1000);
        }
        gw_record_reader_fini(&rr);
        gwt_result_free(&k.got);
    }
}

/* Defect 7: a record write cancelled while it waits for room below leaves a
 * torn record there, so the writer below keeps GW_ECANCELLED. */
static void test_writer_cancel_sticks(void **state)
{
    static uint8_t big[200];
    size_t cap, cancelled = 0;

    (void)state;
    memset(big, 'w', sizeof(big));
    for (cap = 1; cap < 100; cap += 9) {
        gw_mempipe p;
        gw_bufwriter bw;
        gw_record_writer rw;
        gw_io_op *op;
        gw_wait w;
        gw_stack st;

        assert_int_equal(gw_mempipe_init(&p, cap), 0);
        assert_int_equal(gw_bufwriter_init(&bw, &p.w, 16), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_NETSTRING, 0), 0);
        op = gw_record_write(&rw, big, sizeof(big));
        GW_START(&st, op, &w);
        assert_int_equal(gw_next(&st), GW_YIELDED); /* 200 bytes do not fit */
        cancelled++;
        gw_stack_close(&st);
        assert_int_equal(bw.w.err, GW_ECANCELLED);
        p.pos = p.end = 0;
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "x", 1)), GW_ECANCELLED);
        assert_int_equal(gwt_run_op(gw_close(&bw.w)), GW_ECANCELLED);
        gw_bufwriter_fini(&bw);
        gw_mempipe_fini(&p);
    }
    assert_true(cancelled > 5);
}

/* A record write of a 200-byte record through a 16-byte bufwriter into a
 * pipe of cap bytes, for gwt_cancel_each. */
typedef struct wcancel {
    gw_frame_format fmt;
    size_t cap;
    gw_mempipe p;
    gw_bufwriter bw;
    gw_record_writer rw;
} wcancel;

static uint8_t wcancel_rec[200];

static gw_io_op *wcancel_start(void *ud)
{
    wcancel *c = ud;

    assert_int_equal(gw_mempipe_init(&c->p, c->cap), 0);
    assert_int_equal(gw_bufwriter_init(&c->bw, &c->p.w, 16), 0);
    assert_int_equal(gw_record_writer_init(&c->rw, &c->bw, c->fmt, 0), 0);
    return gw_record_write(&c->rw, wcancel_rec, sizeof(wcancel_rec));
}

/* Drains the pipe, so the write moves on. */
static void wcancel_progress(void *ud, const gw_wait *w)
{
    wcancel *c = ud;

    (void)w;
    c->p.pos = c->p.end = 0;
}

static void wcancel_check(void *ud)
{
    wcancel *c = ud;

    assert_int_equal(c->bw.w.err, GW_ECANCELLED);
    c->p.pos = c->p.end = 0;
    assert_int_equal(gwt_run_op(gw_record_write(&c->rw, "x", 1)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_flush(&c->bw.w)), GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_close(&c->bw.w)), GW_ECANCELLED);
}

static void wcancel_finished(void *ud, gw_io_op *op)
{
    (void)ud;
    assert_int_equal(op->ret, 0);
}

static void wcancel_teardown(void *ud)
{
    wcancel *c = ud;

    gw_bufwriter_fini(&c->bw);
    gw_mempipe_fini(&c->p);
}

/* Defect 7, at every suspension point: a record write is cancelled at its
 * first, second, ... suspension (the pipe below drained between them, so
 * the write moves on through its header, payload and trailer), in formats
 * with and without a trailer; each time the writer below keeps
 * GW_ECANCELLED, for later writes and the close alike. */
static void test_writer_cancel_every_suspension(void **state)
{
    static const gw_frame_format fmts[] = {GW_FRAME_NETSTRING, GW_FRAME_U32BE, GW_FRAME_LINES};
    static const gwt_cancel_case cc = {"record write",
                                       wcancel_start,
                                       wcancel_progress,
                                       wcancel_check,
                                       wcancel_finished,
                                       wcancel_teardown,
                                       0};
    size_t f, cap, cancelled = 0, deepest = 0;
    wcancel c;

    (void)state;
    memset(wcancel_rec, 'w', sizeof(wcancel_rec));
    for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        for (cap = 1; cap < 80; cap += 13) {
            c.fmt = fmts[f];
            c.cap = cap;
            cancelled += gwt_cancel_each(&cc, &c, &deepest);
        }
    }
    /* The 1-byte pipe suspends the 200-byte record about 200 times. */
    assert_true(cancelled > 300);
    assert_true(deepest >= 200);
}

/* The writer's max_record: 0 is the default, GW_UNLIMITED leaves only the
 * format's own limit. */
static void test_writer_limits(void **state)
{
    static uint8_t big[300];
    gwt_sink k;
    gw_bufwriter bw;
    gw_record_writer rw;

    (void)state;
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 64), 0);
    assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U16BE, 0), 0);
    assert_int_equal(rw.max_record, GW_FRAME_DEFAULT_MAX_RECORD);
    assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U8, GW_UNLIMITED), 0);
    assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 255)), 0);
    assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 256)), GW_ERECORD_TOO_LARGE);
    assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_U32BE, GW_UNLIMITED), 0);
    assert_int_equal(gwt_run_op(gw_record_write(&rw, big, 300)), 0);
    gw_bufwriter_fini(&bw);
    gwt_result_free(&k.got);
}

/* An empty record may come as (NULL, 0), in every format: lines once
 * searched the NULL payload for a LF (memchr(NULL, '\n', 0), undefined, an
 * error under UBSan). */
static void test_writer_empty_null(void **state)
{
    static const size_t out_len[GW_FRAME_NFORMATS] = {1, 2, 2, 4, 4, 8, 8, 1, 1, 3};
    int fmt;

    (void)state;
    for (fmt = 0; fmt < GW_FRAME_NFORMATS; fmt++) {
        gwt_sink k;
        gw_bufwriter bw;
        gw_record_writer rw;

        gwt_sink_init(&k, 0);
        assert_int_equal(gw_bufwriter_init(&bw, &k.w, 64), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, (gw_frame_format)fmt, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, NULL, 0)), 0);
        assert_int_equal(gwt_run_op(gw_flush(&bw.w)), 0);
        assert_int_equal(k.got.len, out_len[fmt]);
        gw_bufwriter_fini(&bw);
        gwt_result_free(&k.got);
    }
}

/* A failed init (no dst, a format out of range) and a writer never
 * initialised (all zeros) fail every write with GW_EINVAL; they once wrote
 * through a NULL dst. */
static void test_writer_init_failure(void **state)
{
    gwt_sink k;
    gw_bufwriter bw;
    gw_record_writer rw;
    int i;

    (void)state;
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 64), 0);
    for (i = 0; i < 3; i++) {
        if (i == 0)
            assert_int_equal(gw_record_writer_init(&rw, NULL, GW_FRAME_U32BE, 0), GW_EINVAL);
        else if (i == 1)
            assert_int_equal(gw_record_writer_init(&rw, &bw, GW_FRAME_NFORMATS, 0), GW_EINVAL);
        else
            memset(&rw, 0, sizeof(rw));
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "", 0)), GW_EINVAL);
        assert_int_equal(gwt_run_op(gw_record_write(&rw, "abc", 3)), GW_EINVAL);
    }
    assert_int_equal(bw.len, 0);
    gw_bufwriter_fini(&bw);
    gwt_result_free(&k.got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_many_empty_records),
        cmocka_unit_test(test_writer_cancel_sticks),
        cmocka_unit_test(test_writer_cancel_every_suspension),
        cmocka_unit_test(test_writer_limits),
        cmocka_unit_test(test_writer_init_failure),
        cmocka_unit_test(test_writer_empty_null),
    };

    return cmocka_run_group_tests_name("record-writer", tests, NULL, NULL);
}
