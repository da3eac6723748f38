/*
 * Tests of the record reader's contracts (parsers/framing/records.c), apart
 * from its vectors (test-framing.c): the configurations init refuses and the
 * ones that just work (small inputs in memory, a zeroed reader), the lines
 * limit with and without the LF, lines longer than the buffer, what zero
 * means in the limits, op->n as a length, a cancel at every suspension
 * point sticking, and which readers the inline fast path serves.  Decodes
 * go through gwt_check_splits (frame-check.h).
 */
#include "frame-check.h"

/* A reader refuses configurations it cannot honour, and nothing else:
 * small inputs in memory and lines longer than the buffer just work. */
static void test_reader_init(void **state)
{
    uint8_t mem[16];
    gw_mempipe pipe;
    gw_bufreader br, small, tiny;
    gw_record_reader rr;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 8), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 1024), 0);
    assert_int_equal(gw_bufreader_init(&tiny, &pipe.r, 31), 0);
    memset(mem, 0, sizeof(mem));
    gw_bufreader_init_mem(&small, mem, sizeof(mem));
    assert_int_equal(gw_record_reader_init(&rr, &small, GW_FRAME_U8, NULL, 0), 0);
    assert_int_equal(gw_record_reader_init(&rr, &small, GW_FRAME_NETSTRING, NULL, 0), 0);
    /* Lines with the default 64 KiB limit over a 1 KiB buffer. */
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_LINES, NULL, 0), 0);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_LINES, NULL, GW_RECORD_STREAM), 0);
    /* Over a stream, a buffer too small for the longest header. */
    assert_int_equal(gw_record_reader_init(&rr, &tiny, GW_FRAME_U8, NULL, 0), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_NFORMATS, NULL, 0), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U8, NULL, 7), GW_EINVAL);
    assert_int_equal(gw_record_reader_init(&rr, NULL, GW_FRAME_U8, NULL, 0), GW_EINVAL);
    /* A failed init sticks: the reader fails every call with it. */
    assert_int_equal(rr.err, GW_EINVAL);
    assert_int_equal(gw_record_try_next(&rr), 0);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
    gw_record_reader_fini(&rr);
    gw_bufreader_fini(&tiny);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* A reader that was never initialised (all zeros) is refused, not run. */
static void test_reader_zeroed(void **state)
{
    gw_record_reader rr;

    (void)state;
    memset(&rr, 0, sizeof(rr));
    assert_int_equal(gw_record_try_next(&rr), 0);
    assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
    assert_int_equal(rr.err, GW_EINVAL);
}

/* Defect 3: the lines limit is the same whether or not the LF came. */
static void test_lines_limit_without_lf(void **state)
{
    char in[80], rec[64];
    const char *w[1] = {rec};
    fcfg c = cfg_of(GW_FRAME_LINES); /* max_line 62 */

    (void)state;
    memset(in, 'L', sizeof(in));
    memset(rec, 'L', 62);
    rec[62] = 0;
    /* 62 bytes: a record, with its LF or without. */
    expect(&c, in, 62, w, 1, 0, 0);
    in[62] = '\n';
    expect(&c, in, 63, w, 1, 0, 0);
    /* 63 bytes: too long, without its LF as with it. */
    in[62] = 'L';
    expect(&c, in, 63, NULL, 0, GW_ELINE_TOO_LONG, 0);
    in[63] = '\n';
    expect(&c, in, 64, NULL, 0, GW_ELINE_TOO_LONG, 0);
    /* A CR is dropped only before an LF: at end of input it is data. */
    in[62] = '\r';
    in[63] = '\n';
    expect(&c, in, 64, w, 1, 0, 0);
    expect(&c, in, 63, NULL, 0, GW_ELINE_TOO_LONG, 0);
    /* After a good line, at that line's offset. */
    memcpy(in, "ok\n", 3);
    memset(in + 3, 'L', 63);
    expect(&c, in, 66, (const char *const[]){"ok"}, 1, GW_ELINE_TOO_LONG, 3);
}

/* Lines longer than the 64-byte buffer: assembled or streamed, with a CR
 * before the LF dropped wherever the buffer boundary falls, up to the
 * limit, with and without the LF. */
static void test_lines_longer_than_buffer(void **state)
{
    char in[900], a[400], b[400];
    const char *w[3] = {a, b, "end"};
    size_t k, n;
    fcfg c = cfg_of(GW_FRAME_LINES);

    (void)state;
    c.lim.max_line = 300;
    for (k = 58; k < 72; k++) {
        /* a: k bytes then CR LF; b: a CR inside, then CR CR LF. */
        memset(a, 'A', k);
        a[k] = 0;
        memset(b, 'B', 100);
        b[40] = '\r';
        b[100] = '\r';
        b[101] = 0;
        n = (size_t)sprintf(in, "%s\r\n%s\r\nend", a, b);
        expect(&c, in, n, w, 3, 0, 0);
        /* The end of input after a CR: the CR is data. */
        n = (size_t)sprintf(in, "%s\r\n%s", a, b);
        expect(&c, in, n, w, 2, 0, 0);
    }
    /* The limit: 300 is fine, 301 is not, with or without the LF. */
    memset(a, 'A', 300);
    a[300] = 0;
    memset(in, 'A', 302);
    in[300] = '\r';
    in[301] = '\n';
    expect(&c, in, 302, w, 1, 0, 0);
    expect(&c, in, 300, w, 1, 0, 0);
    expect(&c, in, 301, NULL, 0, GW_ELINE_TOO_LONG, 0); /* 300 and a CR */
    in[300] = 'A';
    expect(&c, in, 302, NULL, 0, GW_ELINE_TOO_LONG, 0);
    expect(&c, in, 301, NULL, 0, GW_ELINE_TOO_LONG, 0);
    memcpy(in, "ok\n", 3);
    memset(in + 3, 'L', 400);
    expect(&c, in, 403, (const char *const[]){"ok"}, 1, GW_ELINE_TOO_LONG, 3);
    /* A fuzz finding (fuzz/crashes/frame-lines): with the empty-record
     * limit on, a line longer than the buffer did not reset the count of
     * consecutive empty lines, so the empties after it were refused. */
    {
        char l[101];
        const char *we[6] = {"", "", l, "", "", "x"};
        fcfg e = c;

        memset(l, 'A', 100);
        l[100] = 0;
        e.lim.max_empty = 2;
        n = (size_t)sprintf(in, "\n\n%s\n\n\nx\n", l);
        expect(&e, in, n, we, 6, 0, 0);
        n = (size_t)sprintf(in, "\n\n%s\n\n\n\n", l);
        expect(&e, in, n, we, 5, GW_ETOO_MANY_EMPTY, n - 1);
    }
    /* The default limit (64 KiB) over the 64-byte buffer. */
    c.lim.max_line = 0;
    memset(in, 'D', 650);
    in[650] = '\n';
    memcpy(in + 651, "end", 3);
    {
        char d[651];
        const char *wd[2] = {d, "end"};
        memset(d, 'D', 650);
        d[650] = 0;
        expect(&c, in, 654, wd, 2, 0, 0);
    }
}

/* Inputs in memory shorter than any buffer a stream would need. */
static void test_small_memory(void **state)
{
    static const struct {
        gw_frame_format fmt;
        const char *in;
        size_t len, nrec;
    } cases[] = {
        // clang-format off
        {GW_FRAME_U8, "\x02hi\x00", 4, 2},
        {GW_FRAME_U32BE, "\0\0\0\x01z", 5, 1},
        {GW_FRAME_NETSTRING, "2:hi,", 5, 1},
        {GW_FRAME_LINES, "a\nbc", 4, 2},
        {GW_FRAME_VARINT, "", 0, 0},
        // clang-format on
    };
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_bufreader br;
        gw_record_reader rr;
        gw_io_op *op;

        gw_bufreader_init_mem(&br, cases[i].in, cases[i].len);
        assert_int_equal(gw_record_reader_init(&rr, &br, cases[i].fmt, NULL, 0), 0);
        for (n = 0;; n++) {
            op = gw_record_next(&rr);
            if (gwt_run_op(op) != 1)
                break;
        }
        assert_int_equal(op->ret, 0);
        assert_int_equal(n, cases[i].nrec);
        gw_record_reader_fini(&rr);
    }
}

/* 0 in a limit is its default; GW_UNLIMITED switches it off. */
static void test_zero_means_default(void **state)
{
    char big[1000];
    const char *w[1] = {big};
    fcfg c = cfg_of(GW_FRAME_U32BE);

    (void)state;
    memset(&c.lim, 0, sizeof(c.lim));
    memset(big, 'z', 999);
    big[999] = 0;
    memcpy(big, "\0\0\x03\xe3", 4); /* 995: u32be header, then 995 'z' */
    {
        char rec[996];
        const char *wr[1] = {rec};
        memset(rec, 'z', 995);
        rec[995] = 0;
        expect(&c, big, 999, wr, 1, 0, 0);
    }
    c.fmt = GW_FRAME_LINES;
    memset(big, 'l', 999);
    expect(&c, big, 999, w, 1, 0, 0);
    /* Unlimited: a 9 MiB record in memory, in place. */
    {
        size_t len = (9u << 20) + 8;
        uint8_t *m = calloc(1, len);
        gw_bufreader br;
        gw_record_reader rr;
        gw_frame_limits lim = {GW_UNLIMITED, (size_t)GW_UNLIMITED, GW_UNLIMITED};

        assert_non_null(m);
        m[5] = 0x90; /* u64be 0x900000: 9 MiB */
        gw_bufreader_init_mem(&br, m, len);
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U64BE, &lim, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), 1);
        assert_int_equal(rr.len, 9u << 20);
        assert_ptr_equal(rr.data, m + 8);
        gw_bufreader_init_mem(&br, m, len);
        memset(&lim, 0, sizeof(lim));
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U64BE, &lim, 0), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ERECORD_TOO_LARGE);
        free(m);
    }
}

/* op->n of gw_record_next is the bytes handed out, as io.h defines it. */
static void test_next_n_is_length(void **state)
{
    uint8_t in[200];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_record_reader rr;
    gw_io_op *op;
    int mode;

    (void)state;
    memset(in, 'q', sizeof(in));
    memcpy(in, "\0\0\0\x01x\0\0\0\x64", 9); /* "x", then a 100-byte record */
    for (mode = 0; mode < 2; mode++) {
        size_t got = 0;

        assert_int_equal(gw_mempipe_init(&pipe, 256), 0);
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U32BE, NULL, mode), 0);
        gw_mempipe_feed(&pipe, in, 109);
        gw_mempipe_finish(&pipe);
        while ((op = gw_record_next(&rr), gwt_run_op(op)) == 1) {
            assert_int_equal(op->n, rr.len);
            got += op->n;
            assert_int_equal(gw_record_offset(&rr), got == 1 ? 0 : 5);
        }
        assert_int_equal(op->ret, 0);
        assert_int_equal(got, 101);
        gw_record_reader_fini(&rr);
        gw_bufreader_fini(&br);
        gw_mempipe_fini(&pipe);
    }
}

/* Defect 7: a reader cancelled wherever it waits (a header, a record that
 * fits the buffer, a payload or a line larger than it, a netstring's ',')
 * keeps GW_ECANCELLED; in stream mode it does not go on with a piece. */
static void test_reader_cancel_sticks(void **state)
{
    static const gw_frame_format fmts[] = {GW_FRAME_U32BE, GW_FRAME_VARINT, GW_FRAME_U16LE,
                                           GW_FRAME_LINES, GW_FRAME_NETSTRING};
    uint8_t big[100];
    const uint8_t *recs[4] = {(const uint8_t *)"abc", (const uint8_t *)"", big,
                              (const uint8_t *)"tail"};
    size_t lens[4] = {3, 0, sizeof(big), 4}, f, cut, suspended = 0;
    int mode;

    (void)state;
    memset(big, 'b', sizeof(big));
    for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        gwt_result enc;

        encode_records(fmts[f], recs, lens, 4, &enc);
        for (mode = 0; mode < 2; mode++) {
            for (cut = 0; cut <= enc.len; cut++) {
                gw_mempipe pipe;
                gw_bufreader br;
                gw_record_reader rr;
                gw_record_scan sc;
                gwt_result out;
                consumer c;
                gw_wait w;
                gw_stack st;

                memset(&out, 0, sizeof(out));
                assert_int_equal(gw_mempipe_init(&pipe, 512), 0);
                assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
                assert_int_equal(gw_record_reader_init(&rr, &br, fmts[f], NULL, mode), 0);
                memset(&c, 0, sizeof(c));
                GW_INIT(&c, consumer);
                c.rr = &rr;
                c.out = &out;
                c.limit = GW_FRAME_DEFAULT_MAX_RECORD;
                gw_mempipe_feed(&pipe, enc.data, cut);
                GW_START(&st, &c, &w);
                assert_int_equal(gw_next(&st), GW_YIELDED); /* the input has not ended */
                suspended++;
                gw_stack_close(&st);
                assert_int_equal(rr.err, GW_ECANCELLED);
                gw_mempipe_feed(&pipe, enc.data + cut, enc.len - cut);
                gw_mempipe_finish(&pipe);
                assert_int_equal(gw_record_try_next(&rr), 0);
                gw_record_scan_begin(&rr, &sc);
                assert_int_equal(gw_record_scan_next(&rr, &sc), 0);
                gw_record_scan_end(&rr, &sc);
                assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ECANCELLED);
                assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ECANCELLED);
                gwt_result_free(&out);
                gwt_result_free(&c.piece);
                gw_record_reader_fini(&rr);
                gw_bufreader_fini(&br);
                gw_mempipe_fini(&pipe);
            }
        }
        gwt_result_free(&enc);
    }
    assert_true(suspended > 500);
}

/* The inline fast path (gw_record_try_next) reads the bufreader only when it
 * applies: varint with max_record >= 127, or u32be; any other reader, or one
 * past an error, goes to the general path.  Between records the caller may
 * take raw bytes from src itself, or fill it: the next record starts where
 * src is, and the records brought by a fill are taken at once. */
static void test_fast_path_gate(void **state)
{
    /* varint "ab", then 2 raw bytes "xy", then varint "c"; the u32be and
     * u16be streams the same with their headers (which the varint path
     * would read as empty records). */
    static const uint8_t vin[] = "\002abxy\001c";
    static const uint8_t uin[] = "\0\0\0\002abxy\0\0\0\001c";
    static const uint8_t u16[] = "\0\002abxy\0\001c";
    static const struct {
        gw_frame_format fmt;
        uint64_t max_record;
        const uint8_t *in;
        size_t len;
    } cases[] = {
        {GW_FRAME_VARINT, 0, vin, sizeof(vin) - 1},   /* the varint fast path */
        {GW_FRAME_VARINT, 100, vin, sizeof(vin) - 1}, /* varint, general path */
        {GW_FRAME_U32BE, 0, uin, sizeof(uin) - 1},    /* the u32be fast path */
        {GW_FRAME_U16BE, 0, u16, sizeof(u16) - 1},    /* no fast path */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_frame_limits lim = {0};
        gw_bufreader br;
        gw_record_reader rr;
        size_t h = cases[i].fmt == GW_FRAME_U32BE ? 4 : cases[i].fmt == GW_FRAME_U16BE ? 2 : 1;

        lim.max_record = cases[i].max_record;
        gw_bufreader_init_mem(&br, cases[i].in, cases[i].len);
        assert_int_equal(gw_record_reader_init(&rr, &br, cases[i].fmt, &lim, 0), 0);
        assert_int_equal(gw_record_try_next(&rr), 1);
        assert_int_equal(rr.len, 2);
        assert_memory_equal(rr.data, "ab", 2);
        assert_int_equal(gw_record_offset(&rr), 0);
        /* Consumed at once: src is right after the record. */
        assert_int_equal(gw_bufreader_offset(&br), h + 2);
        assert_memory_equal(gw_bufreader_peek(&br), "xy", 2);
        gw_bufreader_consume(&br, 2);
        assert_int_equal(gw_record_try_next(&rr), 1);
        assert_int_equal(rr.len, 1);
        assert_memory_equal(rr.data, "c", 1);
        assert_int_equal(gw_record_offset(&rr), h + 4);
        assert_int_equal(gw_record_try_next(&rr), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), 0);
        gw_record_reader_fini(&rr);
    }

    /* A record over the limit stops the fast path for good: the error
     * sticks though the next record would fit. */
    {
        static const uint8_t in[] = "\001a\005bbbbb\001c";
        gw_frame_limits lim = {0};
        gw_bufreader br;
        gw_record_reader rr;

        lim.max_record = 4;
        gw_bufreader_init_mem(&br, in, sizeof(in) - 1);
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_VARINT, &lim, 0), 0);
        assert_int_equal(gw_record_try_next(&rr), 1);
        assert_int_equal(gw_record_try_next(&rr), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ERECORD_TOO_LARGE);
        gw_bufreader_consume(&br, 6);
        assert_int_equal(gw_record_try_next(&rr), 0);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_ERECORD_TOO_LARGE);
        gw_record_reader_fini(&rr);
    }

    /* Over a stream, records that a fill of the caller's brings are taken
     * by the fast path straight away. */
    {
        gw_mempipe pipe;
        gw_bufreader br;
        gw_record_reader rr;

        assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
        assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
        assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_VARINT, NULL, 0), 0);
        assert_int_equal(gw_record_try_next(&rr), 0);
        gw_mempipe_feed(&pipe, "\001a\002bc", 5);
        assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 5)), 0);
        assert_int_equal(gw_bufreader_avail(&br), 5);
        assert_int_equal(gw_record_try_next(&rr), 1);
        assert_memory_equal(rr.data, "a", 1);
        assert_int_equal(gw_record_try_next(&rr), 1);
        assert_memory_equal(rr.data, "bc", 2);
        assert_int_equal(gw_record_offset(&rr), 2);
        assert_int_equal(gw_record_try_next(&rr), 0);
        gw_mempipe_finish(&pipe);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), 0);
        gw_record_reader_fini(&rr);
        gw_bufreader_fini(&br);
        gw_mempipe_fini(&pipe);
    }
}

/* GW_RECORD_NEXT evaluates its reader and result arguments once (gen.h,
 * rule 5), on the path that waits too: it used to evaluate the reader twice
 * (gw_record_try_next, then gw_record_next). */
typedef struct once_rec {
    GW_FRAME(gw_wait);
    gw_record_reader *rr;
    gw_io_op *sub;
    unsigned rr_evals, res_evals;
    int res[4];
} once_rec;

static gw_record_reader *once_rr(once_rec *s)
{
    s->rr_evals++;
    return s->rr;
}

static int *once_res(once_rec *s)
{
    return &s->res[s->res_evals++ % 4];
}

GW_GENERATOR(once_rec, NULL);
GW_BODY(once_rec, s)
{
    GW_BEGIN(s);
    GW_RECORD_NEXT(s, sub, once_rr(s), *once_res(s));
    GW_END(s);
}

static void test_next_macro_evaluates_once(void **state)
{
    gw_mempipe pipe;
    gw_bufreader br;
    gw_record_reader rr;
    once_rec d;
    gw_wait w;
    gw_stack st;
    int fed = 0;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 64), 0);
    assert_int_equal(gw_record_reader_init(&rr, &br, GW_FRAME_U8, NULL, GW_RECORD_ASSEMBLE), 0);
    memset(&d, 0, sizeof(d));
    GW_INIT(&d, once_rec);
    d.rr = &rr;
    GW_START(&st, &d, &w);
    /* Nothing buffered: the macro waits, then gets the record. */
    while (gw_next(&st) == GW_YIELDED) {
        assert_int_equal(fed, 0);
        assert_int_equal(gw_mempipe_feed(&pipe, "\003abc", 4), 4);
        fed++;
    }
    assert_int_equal(fed, 1);
    assert_int_equal(d.rr_evals, 1);
    assert_int_equal(d.res_evals, 1);
    assert_int_equal(d.res[0], 1);
    assert_int_equal(rr.len, 3);
    assert_memory_equal(rr.data, "abc", 3);
    gw_record_reader_fini(&rr);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_init),
        cmocka_unit_test(test_reader_zeroed),
        cmocka_unit_test(test_lines_limit_without_lf),
        cmocka_unit_test(test_lines_longer_than_buffer),
        cmocka_unit_test(test_small_memory),
        cmocka_unit_test(test_zero_means_default),
        cmocka_unit_test(test_next_n_is_length),
        cmocka_unit_test(test_reader_cancel_sticks),
        cmocka_unit_test(test_fast_path_gate),
        cmocka_unit_test(test_next_macro_evaluates_once),
    };

    return cmocka_run_group_tests_name("framing-reader", tests, NULL, NULL);
}
