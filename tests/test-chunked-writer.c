/*
 * Tests of the chunked encoder (parsers/framing/chunked-writer.c): byte for
 * byte on small cases, its sticky errors (a cancelled write, a failed init,
 * the sink's errors), and round trips through the decoder under every split
 * (chunked-check.h).
 */
#include "chunked-check.h"

static void test_writer_cancel_sticks(void **state)
{
    static uint8_t body[100];
    size_t cap, which, cancelled = 0;

    (void)state;
    memset(body, 'b', sizeof(body));
    for (which = 0; which < 4; which++) {
        for (cap = 1; cap < 40; cap += 3) {
            gw_mempipe p;
            gw_chunked_writer cw;
            gw_io_op *op;
            gw_wait w;
            gw_stack st;

            assert_int_equal(gw_mempipe_init(&p, cap), 0);
            assert_int_equal(gw_chunked_writer_init(&cw, &p.w, 16), 0);
            if (which >= 2) {
                op = gw_write(&cw.w, body, 5); /* pending, for the flush or close */
                GW_START(&st, op, &w);
                assert_int_equal(gw_next(&st), GW_RETURNED);
            }
            op = which == 0   ? gw_write(&cw.w, body, 10)
                 : which == 1 ? gw_write(&cw.w, body, sizeof(body))
                 : which == 2 ? gw_flush(&cw.w)
                              : gw_close(&cw.w);
            GW_START(&st, op, &w);
            if (gw_next(&st) == GW_YIELDED) {
                cancelled++;
                gw_stack_close(&st);
                assert_int_equal(cw.w.err, GW_ECANCELLED);
                p.pos = p.end = 0;
                assert_int_equal(gwt_run_op(gw_write(&cw.w, "x", 1)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_flush(&cw.w)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_close(&cw.w)), GW_ECANCELLED);
                assert_int_equal(p.end, 0);
            }
            gw_chunked_writer_fini(&cw);
            gw_mempipe_fini(&p);
        }
    }
    assert_true(cancelled > 20);
}

/* A writer whose init failed fails every operation the same way. */
static void test_writer_failed_init_sticks(void **state)
{
    gwt_sink k;
    gw_chunked_writer cw;

    (void)state;
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_chunked_writer_init(&cw, &k.w, 0), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_write(&cw.w, "abc", 3)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_flush(&cw.w)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_close(&cw.w)), GW_EINVAL);
    gw_chunked_writer_fini(&cw);
    assert_int_equal(gw_chunked_writer_init(&cw, NULL, 8), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_close(&cw.w)), GW_EINVAL);
    gw_chunked_writer_fini(&cw);
    assert_int_equal(k.writes + k.closes, 0);
}

/* GW_UNLIMITED switches the line and trailer limits off. */
/* ---- encoder ------------------------------------------------------------- */

#define ASSERT_GOT(cw, lit)                                                                        \
    do {                                                                                           \
        assert_int_equal((cw).got.len, sizeof(lit) - 1);                                           \
        assert_memory_equal((cw).got.data, lit, sizeof(lit) - 1);                                  \
    } while (0)

static void test_encode_exact(void **state)
{
    gwt_sink cw;
    gw_chunked_writer cwr;
    static uint8_t big[300];

    (void)state;
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 16), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "hello", 5)), 0);
    assert_int_equal(cw.got.len, 0); /* buffered */
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    ASSERT_GOT(cw, "5\r\nhello\r\n0\r\n\r\n");
    assert_int_equal(cw.closes, 1);
    assert_int_equal(cwr.w.nwritten, 5);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "x", 1)), GW_ECLOSED);
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);

    /* A flush per chunk; an empty flush emits nothing. */
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 16), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(cw.got.len, 0);
    assert_int_equal(cw.flushes, 1);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "hello", 5)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, " world", 6)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "", 0)), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    ASSERT_GOT(cw, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);

    /* A full buffer is a chunk; a large write goes straight through. */
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 4), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "ab", 2)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "cdefghijkl", 10)), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    ASSERT_GOT(cw, "4\r\nabcd\r\n4\r\nefgh\r\n4\r\nijkl\r\n0\r\n\r\n");
    assert_int_equal(cwr.w.nwritten, 12);
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);

    /* Lowercase hex sizes. */
    gwt_sink_init(&cw, 0);
    memset(big, 'z', sizeof(big));
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 255), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, big, sizeof(big))), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    assert_int_equal(cw.got.len, 4 + 255 + 2 + 4 + 45 + 2 + 5);
    assert_memory_equal(cw.got.data, "ff\r\nzz", 6);
    assert_memory_equal(cw.got.data + 4 + 255, "\r\n2d\r\nz", 7);
    gw_chunked_writer_fini(&cwr);
    gwt_result_free(&cw.got);
}

static void test_encode_errors(void **state)
{
    gwt_sink cw;
    gw_chunked_writer cwr;

    (void)state;
    gwt_sink_init(&cw, 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 0), GW_EINVAL);
    gw_chunked_writer_fini(&cwr);
    assert_int_equal(gw_chunked_writer_init(&cwr, NULL, 8), GW_EINVAL);
    gw_chunked_writer_fini(&cwr);

    /* An error below sticks. */
    assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, 4), 0);
    cw.fail_with = GW_EPIPE;
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "abc", 3)), 0); /* buffered */
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "def", 3)), GW_EPIPE);
    assert_int_equal(cwr.w.err, GW_EPIPE);
    cw.fail_with = 0;
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, "g", 1)), GW_EPIPE);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), GW_EPIPE);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), GW_EPIPE);
    assert_int_equal(cw.got.len, 0);
    gw_chunked_writer_fini(&cwr);
    gw_chunked_writer_fini(&cwr); /* twice is harmless */
    gwt_result_free(&cw.got);
}

/* Random bodies, random write sizes and flush points, random chunk sizes:
 * the decoder gives the body back under every schedule. */
static void test_round_trip(void **state)
{
    uint64_t seed = 0x5eed;
    int iter;

    (void)state;
    for (iter = 0; iter < 20; iter++) {
        size_t len = (size_t)(gwt_rand(&seed) % (iter < 10 ? 200 : 1200));
        size_t cap = 1 + (size_t)(gwt_rand(&seed) % (iter % 3 == 0 ? 8 : 600));
        uint8_t *body = malloc(len + 1);
        gwt_sink cw;
        gw_chunked_writer cwr;
        ck_params p = ck_modes[iter % CK_NMODES];
        gwt_result r;
        size_t pos = 0, i;

        assert_non_null(body);
        for (i = 0; i < len; i++)
            body[i] = (uint8_t)gwt_rand(&seed);
        gwt_sink_init(&cw, 0);
        assert_int_equal(gw_chunked_writer_init(&cwr, &cw.w, cap), 0);
        while (pos < len) {
            size_t n = (size_t)(gwt_rand(&seed) % 700);
            if (n > len - pos)
                n = len - pos;
            assert_int_equal(gwt_run_op(gw_write(&cwr.w, body + pos, n)), 0);
            pos += n;
            if (gwt_rand(&seed) % 4 == 0)
                assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
        }
        assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
        assert_int_equal(cwr.w.nwritten, len);
        gwt_check_splits_ex(cw.got.data, cw.got.len, ck_decode, &p, &r, GWT_SAMPLE);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.len, len + 8);
        assert_memory_equal(r.data, body, len);
        gwt_result_free(&r);
        gw_chunked_writer_fini(&cwr);
        gwt_result_free(&cw.got);
        free(body);
    }
}

/* Encoder into a memory pipe, decoder out of it. */
static void test_round_trip_pipe(void **state)
{
    enum { N = 100000 };
    uint8_t *body = malloc(N), *out = malloc(N + 1);
    uint64_t seed = 42;
    gw_mempipe pipe;
    gw_bufreader br;
    gw_chunked_writer cwr;
    gw_chunked_reader c;
    gw_io_op *op;
    size_t i;

    (void)state;
    assert_non_null(body);
    assert_non_null(out);
    for (i = 0; i < N; i++)
        body[i] = (uint8_t)gwt_rand(&seed);
    assert_int_equal(gw_mempipe_init(&pipe, 2 * N), 0);
    assert_int_equal(gw_chunked_writer_init(&cwr, &pipe.w, 4000), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, body, 10)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&cwr.w)), 0);
    assert_int_equal(gwt_run_op(gw_write(&cwr.w, body + 10, N - 10)), 0);
    assert_int_equal(gwt_run_op(gw_close(&cwr.w)), 0);
    assert_true(pipe.finished);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 512), 0);
    gw_chunked_reader_init(&c, &br, NULL);
    op = gw_read(&c.r, out, N + 1, N);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, N);
    assert_memory_equal(out, body, N);
    assert_int_equal(c.r.nread, N);
    /* min was met: the last-chunk may still be unread; the next read ends. */
    op = gw_try_read(&c.r, out, N + 1, 1);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 0);
    assert_true(c.r.eof);
    assert_int_equal(gw_bufreader_avail(&br), 0);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    gw_chunked_writer_fini(&cwr);
    free(body);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_cancel_sticks),
        cmocka_unit_test(test_writer_failed_init_sticks),
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_pipe),
    };

    /* CK_FILTER=pattern runs only the tests whose names match. */
    if (getenv("CK_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CK_FILTER"));
    return cmocka_run_group_tests_name("chunked-writer", tests, NULL, NULL);
}
