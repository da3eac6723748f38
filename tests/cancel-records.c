/*
 * The cancel suite's record reader (tests/test-cancel.c has the fixture):
 * a consumer of every record of a stream, in four formats, assembling the
 * records larger than the 32-byte buffer and streaming them in pieces, is
 * cancelled at each suspension of gw_record_next in turn; each time the
 * reader must keep GW_ECANCELLED, and later calls must fail with it.
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
#include <genwire/io.h>

#include "test-cancel.h"

typedef struct qfix {
    cfix f; /* first: cfix_progress */
    gw_frame_format fmt;
    int mode;          /* GW_RECORD_ASSEMBLE or GW_RECORD_STREAM */
    const uint8_t *in; /* the records, encoded */
    size_t inlen;
    const uint8_t *want; /* their payloads, one after another */
    size_t wantlen, nrec;
    uint8_t *got; /* the payloads read, wantlen bytes */
    size_t gotlen, records;
    gw_bufreader br;
    gw_record_reader rr;
    gw_io_op all; /* the consumer below */
} qfix;

/* The consumer: reads records until the end, joining the pieces of a
 * record streamed; returns 0 at a clean end or the reader's error.  Its
 * frame has no cleanup of its own: what sticks is the record reader's. */
typedef gw_io_op rec_all;
GW_GENERATOR(rec_all, NULL);
GW_BODY(rec_all, s)
{
    qfix *q = s->obj;
    int res;

    GW_BEGIN(s);
    for (;;) {
        GW_RECORD_NEXT(s, sub, &q->rr, res);
        if (res <= 0)
            GW_RETURN(s, res);
        assert_true(q->gotlen + q->rr.len <= q->wantlen);
        memcpy(q->got + q->gotlen, q->rr.data, q->rr.len);
        q->gotlen += q->rr.len;
        q->records += q->rr.last != 0;
    }
    GW_END(s);
}

static gw_io_op *q_start(void *ud)
{
    qfix *q = ud;

    cfix_init(&q->f, 1, q->in, q->inlen);
    assert_int_equal(gw_bufreader_init(&q->br, &q->f.p.r, 32), 0);
    assert_int_equal(gw_record_reader_init(&q->rr, &q->br, q->fmt, NULL, q->mode), 0);
    q->gotlen = q->records = 0;
    GW_INIT(&q->all, rec_all);
    q->all.obj = q;
    return &q->all;
}

static void q_check(void *ud)
{
    qfix *q = ud;

    assert_int_equal(q->rr.err, GW_ECANCELLED);
    assert_int_equal(gw_record_try_next(&q->rr), 0);
    assert_int_equal(gwt_run_op(gw_record_next(&q->rr)), GW_ECANCELLED);
    assert_int_equal(q->rr.err, GW_ECANCELLED);
}

static void q_finished(void *ud, gw_io_op *op)
{
    qfix *q = ud;

    assert_int_equal(op->ret, 0);
    assert_int_equal(q->records, q->nrec);
    assert_int_equal(q->gotlen, q->wantlen);
    assert_memory_equal(q->got, q->want, q->wantlen);
}

static void q_teardown(void *ud)
{
    qfix *q = ud;

    gw_record_reader_fini(&q->rr);
    gw_bufreader_fini(&q->br);
    cfix_fini(&q->f);
}

void test_cancel_record_reader(void **state)
{
    static const gw_frame_format fmts[] = {GW_FRAME_U32BE, GW_FRAME_VARINT, GW_FRAME_NETSTRING,
                                           GW_FRAME_LINES};
    static const gwt_cancel_case cc = {"record next", q_start, cfix_progress, q_check, q_finished,
                                       q_teardown,    0};
    size_t nrec = cfix_scale(16), f, i, m;
    uint8_t *pay = cfix_random(nrec * 70, 5);

    (void)state;
    for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        gwt_sink k;
        gw_bufwriter bw;
        gw_record_writer rw;
        size_t pos = 0;
        qfix q;

        /* Records of 0 to 69 bytes, some longer than the 32-byte buffer. */
        for (i = 0; i < nrec * 70; i++)
            if (fmts[f] == GW_FRAME_LINES && (pay[i] == '\n' || pay[i] == '\r'))
                pay[i] = 'n';
        gwt_sink_init(&k, 0);
        assert_int_equal(gw_bufwriter_init(&bw, &k.w, 4096), 0);
        assert_int_equal(gw_record_writer_init(&rw, &bw, fmts[f], 0), 0);
        for (i = 0; i < nrec; i++) {
            size_t len = i * 29 % 70;

            assert_int_equal(gwt_run_op(gw_record_write(&rw, pay + pos, len)), 0);
            pos += len;
        }
        assert_int_equal(gwt_run_op(gw_flush(&bw.w)), 0);
        gw_bufwriter_fini(&bw);
        for (m = 0; m < 2; m++) {
            char name[64];

            memset(&q, 0, sizeof(q));
            q.fmt = fmts[f];
            q.mode = m == 0 ? GW_RECORD_ASSEMBLE : GW_RECORD_STREAM;
            q.in = k.got.data;
            q.inlen = k.got.len;
            q.want = pay;
            q.wantlen = pos;
            q.nrec = nrec;
            q.got = malloc(pos + 1);
            assert_non_null(q.got);
            snprintf(name, sizeof(name), "record reader (%s, %s, %zu bytes)",
                     gw_frame_format_name(fmts[f]), m == 0 ? "assembled" : "streamed", k.got.len);
            /* Every byte is a suspension, and the end of input. */
            cancel_report(name, gwt_cancel_each(&cc, &q, NULL), k.got.len);
            free(q.got);
        }
        gwt_result_free(&k.got);
    }
    free(pay);
}
