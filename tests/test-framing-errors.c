/*
 * Tests of the record readers (parsers/framing/records.c) when the input
 * itself fails: a read of the source that returns some records' bytes
 * together with its error.  Every record those bytes complete must come
 * out, then the error, in every format and mode and whatever the split of
 * the input (gwt_check_splits over gwt_failsrc, whose pieces are the
 * split).  The valid and malformed vectors are in test-framing.c.
 */
#include "frame-check.h"

/* Decodes feed through a source that fails with GW_ECONNRESET along with
 * its last bytes; the source never waits, so neither may the reader. */
static void decode_failing(gwt_feed *feed, gwt_result *out, void *ud)
{
    const fcfg *cfg = ud;
    gwt_failsrc src;
    gw_bufreader br;
    gw_record_reader rr;
    consumer c;
    gw_wait w;
    gw_stack st;

    gwt_failsrc_init(&src, feed, GW_ECONNRESET);
    assert_int_equal(gw_bufreader_init(&br, &src.r, cfg->bufcap), 0);
    assert_int_equal(gw_record_reader_init(&rr, &br, cfg->fmt, &cfg->lim, cfg->mode), 0);
    consumer_init(&c, &rr, out, cfg);
    GW_START(&st, &c, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    out->err = c.ret;
    out->off = rr.err_off;
    /* The error sticks, on both paths. */
    assert_int_equal(gw_record_try_next(&rr), 0);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), c.ret);
    gwt_result_free(&c.piece);
    gw_record_reader_fini(&rr);
    gw_bufreader_fini(&br);
}

/* The records of the test stream: small, empty, and one larger than the
 * 64-byte buffer (assembled, or streamed in pieces). */
#define NRECS 5
static const size_t rec_lens[NRECS] = {3, 0, 11, 70, 2};

/* The test stream in fmt: NRECS records; ends[k] is the length of the
 * encoding of the first k + 1 records. */
static void make_stream(gw_frame_format fmt, gwt_result *enc, size_t *ends, uint8_t recs[][80])
{
    const uint8_t *p[NRECS];
    size_t k, i;

    for (k = 0; k < NRECS; k++) {
        for (i = 0; i < rec_lens[k]; i++)
            recs[k][i] = (uint8_t)('a' + (k * 7 + i) % 26);
        p[k] = recs[k];
    }
    for (k = 0; k < NRECS; k++) {
        gwt_result part;
        encode_records(fmt, p, rec_lens, k + 1, &part);
        ends[k] = part.len;
        if (k + 1 < NRECS)
            gwt_result_free(&part);
        else
            *enc = part;
    }
}

/* Every record completed before the failure comes out, then the source's
 * error at the offset where the input stopped, whatever the split; the
 * input is cut at every length, so the failure comes at a record boundary,
 * inside a header, inside a payload and (netstring) before the ','. */
static void test_records_before_a_source_error(void **state)
{
    uint8_t recs[NRECS][80];
    size_t ends[NRECS], m, k, want, pos;
    gwt_result enc, r;
    int fmt, mode;

    (void)state;
    for (fmt = 0; fmt < GW_FRAME_NFORMATS; fmt++) {
        make_stream((gw_frame_format)fmt, &enc, ends, recs);
        for (m = 0; m <= enc.len; m++) {
            for (want = 0; want < NRECS && ends[want] <= m; want++)
                ;
            for (mode = 0; mode < 3; mode++) {
                fcfg cfg = cfg_of((gw_frame_format)fmt);
                cfg.lim.max_line = 100;
                cfg.mode = mode == 1 ? GW_RECORD_STREAM : GW_RECORD_ASSEMBLE;
                cfg.scan = mode == 2;
                gwt_check_splits(enc.data, m, decode_failing, &cfg, &r);
                if (r.records != want || r.err != GW_ECONNRESET || r.off != m)
                    print_error("%s, %zu of %zu bytes, mode %d: %zu records, %s at %llu\n",
                                gw_frame_format_name((gw_frame_format)fmt), m, enc.len, mode,
                                r.records, gw_errname(r.err), (unsigned long long)r.off);
                assert_int_equal(r.records, want);
                assert_int_equal(r.err, GW_ECONNRESET);
                assert_int_equal(r.off, m);
                for (k = 0, pos = 0; k < want; k++) {
                    uint64_t rl;
                    memcpy(&rl, r.data + pos, sizeof(rl));
                    assert_int_equal(rl, rec_lens[k]);
                    assert_memory_equal(r.data + pos + 8, recs[k], rl);
                    pos += 8 + rl;
                }
                gwt_result_free(&r);
            }
        }
        gwt_result_free(&enc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_before_a_source_error),
    };

    return cmocka_run_group_tests_name("framing-errors", tests, NULL, NULL);
}
