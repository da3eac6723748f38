/*
 * Tests of the chunked decoder (parsers/framing/chunked.c) around errors:
 * the body decoded before an error is delivered, whatever the split; a
 * cancelled read makes GW_ECANCELLED stick; limits switched off; an error
 * of the source is passed on with the offset reached, and sticks.
 */
#include "chunked-check.h"

static void test_error_after_data(void **state)
{
    (void)state;
    ERR("3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n", GW_ETRAILER, 14, "abc");
    ERR("3\r\nabc\r\n4\r\ndefg\r\nz\r\n", GW_ECHUNK_SIZE, 17, "abcdefg");
    ERR("3\r\nabc\r\n4\r\ndefgX\r\n0\r\n\r\n", GW_ECHUNK_CRLF, 15, "abcdefg");
    ERR("3\r\nabc\r\n4;=\r\ndefg\r\n0\r\n\r\n", GW_ECHUNK_EXT, 10, "abc");
    ERR("3\r\nabc\r\n5\r\nde", GW_ETRUNCATED, 13, "abcde");
    ERR("3\r\nabc\r\n0\r\nT: v\r\n", GW_ETRUNCATED, 17, "abc");
}

/* Runs a read of c (cap bytes, min 1) over a pipe fed cut bytes; returns
 * nonzero if it is left suspended waiting for input. */
static int ck_suspend(gw_stack *st, gw_wait *w, gw_chunked_reader *c, uint8_t *buf, size_t cap)
{
    gw_io_op *op;

    for (;;) {
        op = gw_try_read(&c->r, buf, cap, 1);
        GW_START(st, op, w);
        if (gw_next(st) == GW_YIELDED)
            return 1;
        if (op->ret < 0 || c->r.eof)
            return 0;
    }
}

/* Defect 7: a read cancelled wherever it waits (inside a size line, an
 * extension, chunk data read through or buffered, a trailer) leaves
 * GW_ECANCELLED sticky; later reads fail with it. */
static void test_reader_cancel_sticks(void **state)
{
    static const char in[] =
        "5;a=\"q\"\r\nhello\r\n14\r\n0123456789abcdefghij\r\n0\r\nT: v\r\n\r\n";
    size_t len = sizeof(in) - 1, cut, brcap, suspended = 0;
    uint8_t out[64];

    (void)state;
    for (brcap = 1; brcap <= 64; brcap *= 4) {
        for (cut = 0; cut < len; cut++) {
            gw_mempipe pipe;
            gw_bufreader br;
            gw_chunked_reader c;
            gw_wait w;
            gw_stack st;

            assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
            assert_int_equal(gw_bufreader_init(&br, &pipe.r, brcap), 0);
            gw_chunked_reader_init(&c, &br, NULL);
            gw_mempipe_feed(&pipe, in, cut);
            if (ck_suspend(&st, &w, &c, out, sizeof(out))) {
                suspended++;
                gw_stack_close(&st);
                assert_int_equal(c.r.err, GW_ECANCELLED);
                gw_mempipe_feed(&pipe, in + cut, len - cut);
                gw_mempipe_finish(&pipe);
                assert_int_equal(gwt_run_op(gw_try_read(&c.r, out, sizeof(out), 1)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_read(&c.r, out, sizeof(out), 0)), GW_ECANCELLED);
            }
            gw_bufreader_fini(&br);
            gw_mempipe_fini(&pipe);
        }
    }
    assert_true(suspended >= len);
}

/* Both limits switched off (GW_UNLIMITED): a 20000-byte extension and a
 * 20000-byte trailer field pass. */
static void test_unlimited(void **state)
{
    gw_chunked_limits lim = {(size_t)GW_UNLIMITED, (size_t)GW_UNLIMITED};
    enum { N = 20000 };
    char *in = malloc(2 * N + 64);
    size_t len, i;

    (void)state;
    assert_non_null(in);
    memcpy(in, "3;", 2);
    memset(in + 2, 'e', N);
    len = 2 + N;
    memcpy(in + len, "\r\nabc\r\n0\r\nT:", 12);
    len += 12;
    memset(in + len, 'v', N);
    len += N;
    memcpy(in + len, "\r\n\r\n", 4);
    len += 4;
    /* Too long for every split point: fed whole, in every mode. */
    for (i = 0; i < CK_NMODES; i++) {
        gwt_feed feed = {(const uint8_t *)in, len, NULL, 0, 0, 0, 0};
        ck_params p = ck_modes[i];
        gwt_result r;

        p.lim = &lim;
        memset(&r, 0, sizeof(r));
        ck_decode(&feed, &r, &p);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.len, 3 + 8);
        assert_memory_equal(r.data, "abc", 3);
        gwt_result_free(&r);
    }
    free(in);
}

/* An error of the source is passed on with the offset reached, and sticks. */
static void test_source_error(void **state)
{
    size_t caps[] = {1, 4, 64};
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        static const char in[] = "5\r\nhello\r\n3\r\nab";
        gwt_feed feed = {(const uint8_t *)in, sizeof(in) - 1, NULL, 0, 0, 0, 0};
        gwt_failsrc src;
        gw_bufreader br;
        gw_chunked_reader c;
        uint8_t out[64];
        gw_io_op *op;

        /* The source fails with its last bytes (tests/gwt.h). */
        gwt_failsrc_init(&src, &feed, GW_ECONNRESET);
        assert_int_equal(gw_bufreader_init(&br, &src.r, caps[i]), 0);
        gw_chunked_reader_init(&c, &br, NULL);
        op = gw_read(&c.r, out, sizeof(out), sizeof(out));
        assert_int_equal(gwt_run_op(op), GW_ECONNRESET);
        assert_int_equal(op->n, 7);
        assert_memory_equal(out, "helloab", 7);
        assert_int_equal(c.r.err, GW_ECONNRESET);
        assert_int_equal(c.r.err_off, 15); /* all of it was read */
        op = gw_try_read(&c.r, out, sizeof(out), 1);
        assert_int_equal(gwt_run_op(op), GW_ECONNRESET);
        assert_int_equal(op->n, 0);
        gw_bufreader_fini(&br);
    }
}

/* Defect 9: a reader or writer that was never initialised (all zeros) is
 * refused with GW_EINVAL, sticky, by every operation, instead of crashing
 * on its missing ops table. */
static void test_zeroed_refused(void **state)
{
    gw_chunked_reader c;
    gw_chunked_writer w;
    uint8_t out[8];

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(gwt_run_op(gw_try_read(&c.r, out, sizeof(out), 1)), GW_EINVAL);
    assert_int_equal(c.r.err, GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_read(&c.r, out, sizeof(out), 0)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_try_read(&c.r, out, sizeof(out), 0)), GW_EINVAL);

    memset(&w, 0, sizeof(w));
    assert_int_equal(gwt_run_op(gw_write(&w.w, "abc", 3)), GW_EINVAL);
    assert_int_equal(w.w.err, GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_flush(&w.w)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_close(&w.w)), GW_EINVAL);
    memset(&w, 0, sizeof(w));
    assert_int_equal(gwt_run_op(gw_close(&w.w)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_write(&w.w, "abc", 3)), GW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_after_data), cmocka_unit_test(test_reader_cancel_sticks),
        cmocka_unit_test(test_unlimited),        cmocka_unit_test(test_source_error),
        cmocka_unit_test(test_zeroed_refused),
    };

    /* CK_FILTER=pattern runs only the tests whose names match. */
    if (getenv("CK_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CK_FILTER"));
    return cmocka_run_group_tests_name("chunked-errors", tests, NULL, NULL);
}
