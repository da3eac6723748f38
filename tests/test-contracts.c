/*
 * Tests of the contracts every transport keeps (include/genwire/io.h), each
 * first written against the defect of issue 9 it names: errors stick
 * (gw_read's short read, gw_try_read's bad arguments, the fill's request
 * larger than the buffer: defect 8), a cancelled operation leaves its
 * object with a sticky GW_ECANCELLED (defect 7's bufwriter part, and every
 * transport), and starting an operation while the last one is suspended is
 * caught.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <genwire/alloc.h>
#include <genwire/frame.h>
#include <genwire/io.h>
#include <genwire/resp.h>

#include "gwt.h"

/* ---- sticky errors (defect 8) ---------------------------------------------- */

static void test_read_short_sticks(void **state)
{
    gw_mempipe p;
    uint8_t buf[8];
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 16), 0);
    gw_mempipe_feed(&p, "abcdef", 6);
    gw_mempipe_finish(&p);
    op = gw_read(&p.r, buf, 8, 8);
    assert_int_equal(gwt_run_op(op), GW_EUNEXPECTED_EOF);
    assert_int_equal(op->n, 6);
    /* It once returned 0 bytes here, as if at a clean end of stream. */
    op = gw_try_read(&p.r, buf, 8, 1);
    assert_int_equal(gwt_run_op(op), GW_EUNEXPECTED_EOF);
    assert_int_equal(op->n, 0);
    assert_int_equal(p.r.err, GW_EUNEXPECTED_EOF);
    gw_mempipe_fini(&p);
}

static void test_try_read_einval_sticks(void **state)
{
    gw_mempipe p;
    uint8_t buf[8];
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 16), 0);
    gw_mempipe_feed(&p, "abc", 3);
    op = gw_try_read(&p.r, buf, 2, 3); /* min > cap */
    assert_int_equal(gwt_run_op(op), GW_EINVAL);
    op = gw_try_read(&p.r, buf, 8, 1);
    assert_int_equal(gwt_run_op(op), GW_EINVAL);
    gw_mempipe_fini(&p);
}

static void test_fill_too_large_sticks(void **state)
{
    gw_mempipe pipe;
    gw_bufreader br;
    uint8_t buf[4];
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    gw_mempipe_feed(&pipe, "abcdefghij", 10);
    op = gw_bufreader_fill(&br, 9);
    assert_int_equal(gwt_run_op(op), GW_ETOO_LARGE);
    op = gw_bufreader_fill(&br, 1);
    assert_int_equal(gwt_run_op(op), GW_ETOO_LARGE);
    op = gw_try_read(&br.r, buf, 4, 1);
    assert_int_equal(gwt_run_op(op), GW_ETOO_LARGE);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* The setter keeps the first error and its offset. */
static void test_error_set_first_wins(void **state)
{
    int err = 0;
    uint64_t off = 0;

    (void)state;
    assert_int_equal(gw_error_set(&err, &off, GW_EIO, 7), GW_EIO);
    assert_int_equal(gw_error_set(&err, &off, GW_ECANCELLED, 9), GW_EIO);
    assert_int_equal(off, 7);
    assert_int_equal(gw_error_set(&err, NULL, 0, 1), GW_EIO);
    err = 0;
    assert_int_equal(gw_error_set(&err, NULL, 0, 1), 0); /* 0 is not an error */
}

/* ---- failed inits stick (issue 9, item 2) --------------------------------- */

/* An allocator whose every allocation fails. */
static void *no_malloc(size_t n, void *ud)
{
    (void)n;
    (void)ud;
    return NULL;
}

static void *no_realloc(void *p, size_t n, void *ud)
{
    (void)p;
    (void)n;
    (void)ud;
    return NULL;
}

static void just_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* A bufreader and a bufwriter whose init failed (bad arguments, no memory)
 * fail every later operation with that init's error.  A bufreader's once
 * read as an empty stream at its end (ret 0), and a bufwriter's wrote
 * through a NULL dst (a crash). */
static void test_failed_init_sticks(void **state)
{
    static const gw_allocator failing = {no_malloc, no_realloc, just_free, NULL};
    gw_mempipe pipe;
    gw_bufreader br;
    gw_bufwriter bw;
    uint8_t buf[4];
    int i, want, err;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 16), 0);
    gw_mempipe_feed(&pipe, "abcd", 4);
    for (i = 0; i < 3; i++) {
        if (i == 2)
            gw_set_allocator(&failing);
        want = i == 2 ? GW_ENOMEM : GW_EINVAL;
        err = 0;
        assert_int_equal(gw_bufreader_init(&br, i == 1 ? NULL : &pipe.r, i == 0 ? 0 : 8), want);
        assert_int_equal(gwt_run_op(gw_try_read(&br.r, buf, 4, 1)), want);
        assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 1)), want);
        assert_int_equal(gwt_run_op(gw_bufreader_need(&br, 1, &err, NULL)), want);
        assert_int_equal(err, want);
        assert_int_equal(br.r.err, want);
        gw_bufreader_fini(&br);

        assert_int_equal(gw_bufwriter_init(&bw, i == 1 ? NULL : &pipe.w, i == 0 ? 0 : 8), want);
        assert_int_equal(gwt_run_op(gw_write(&bw.w, "xyz", 3)), want);
        assert_int_equal(gwt_run_op(gw_flush(&bw.w)), want);
        assert_int_equal(gwt_run_op(gw_close(&bw.w)), want);
        assert_int_equal(bw.w.err, want);
        gw_bufwriter_fini(&bw);
        gw_set_allocator(NULL);
    }
    assert_int_equal(pipe.end - pipe.pos, 4); /* nothing written through */
    gw_mempipe_fini(&pipe);
}

/* A memory pipe whose init failed (cap 0, no memory) fails every read,
 * write, flush and close with that init's error, and takes no bytes: its
 * ends used to be left without an ops table, so GW_EINVAL for GW_ENOMEM
 * too.  An fd transport whose fcntl failed fails both sides with GW_EIO
 * (their errors used to be 0, and operations went on to the fd). */
static void test_failed_init_sticks_transports(void **state)
{
    static const gw_allocator failing = {no_malloc, no_realloc, just_free, NULL};
    gw_mempipe p;
    gw_fdio io;
    uint8_t buf[4];
    int i, want;

    (void)state;
    for (i = 0; i < 2; i++) {
        want = i == 0 ? GW_EINVAL : GW_ENOMEM;
        if (i == 1)
            gw_set_allocator(&failing);
        assert_int_equal(gw_mempipe_init(&p, i == 0 ? 0 : 16), want);
        gw_set_allocator(NULL);
        assert_int_equal(gw_mempipe_feed(&p, "ab", 2), 0);
        assert_int_equal(gwt_run_op(gw_try_read(&p.r, buf, 4, 0)), want);
        assert_int_equal(gwt_run_op(gw_write(&p.w, "xyz", 3)), want);
        assert_int_equal(gwt_run_op(gw_flush(&p.w)), want);
        assert_int_equal(gwt_run_op(gw_close(&p.w)), want);
        assert_int_equal(p.r.err, want);
        assert_int_equal(p.w.err, want);
        gw_mempipe_fini(&p);
    }

    assert_int_equal(gw_fdio_init(&io, -1, GW_FDIO_NONBLOCK), GW_EIO);
    assert_int_equal(io.sys_errno, EBADF);
    assert_int_equal(io.r.err, GW_EIO);
    assert_int_equal(io.w.err, GW_EIO);
    assert_int_equal(gwt_run_op(gw_try_read(&io.r, buf, 4, 1)), GW_EIO);
    assert_int_equal(gwt_run_op(gw_write(&io.w, "xyz", 3)), GW_EIO);
    assert_int_equal(gwt_run_op(gw_close(&io.w)), GW_EIO);
    gw_fdio_fini(&io);
}

/* The parsers over a bufreader whose init failed, or with no source: the
 * record reader and the RESP reader and tree fail every call with
 * GW_EINVAL; a chunked reader set up for gw_chunked_decode alone (src
 * NULL) fails a read with GW_EINVAL, sticky, where it used to crash on the
 * NULL source. */
static void test_failed_init_sticks_parsers(void **state)
{
    gw_record_reader rr;
    gw_record_scan sc;
    gw_chunked_reader ck;
    gw_resp_reader rd;
    gw_resp_tree t;
    uint8_t buf[4];
    int pass;

    (void)state;
    assert_int_equal(gw_record_reader_init(&rr, NULL, GW_FRAME_U32BE, NULL, GW_RECORD_ASSEMBLE),
                     GW_EINVAL);
    for (pass = 0; pass < 2; pass++) {
        assert_int_equal(gw_record_try_next(&rr), 0);
        gw_record_scan_begin(&rr, &sc);
        assert_int_equal(gw_record_scan_next(&rr, &sc), 0);
        gw_record_scan_end(&rr, &sc);
        assert_int_equal(gwt_run_op(gw_record_next(&rr)), GW_EINVAL);
        assert_int_equal(rr.err, GW_EINVAL);
    }
    gw_record_reader_fini(&rr);

    gw_chunked_reader_init(&ck, NULL, NULL);
    for (pass = 0; pass < 2; pass++) {
        assert_int_equal(gwt_run_op(gw_try_read(&ck.r, buf, 4, 1)), GW_EINVAL);
        assert_int_equal(ck.r.err, GW_EINVAL);
    }

    assert_int_equal(gw_resp_reader_init(&rd, NULL, NULL), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), GW_EINVAL);
    assert_int_equal(rd.err, GW_EINVAL);
    gw_resp_reader_fini(&rd);
    assert_int_equal(gw_resp_tree_init(&t, NULL, NULL), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_resp_tree_next(&t)), GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_resp_tree_next(&t)), GW_EINVAL);
    gw_resp_tree_fini(&t);
}

/* ---- the valid prefix comes first (issue 9, item 1) ----------------------- */

/* The read shapes of decode_read_failing: the caller's cap and min. */
typedef struct read_shape {
    size_t cap, min;
} read_shape;

/* Reads a 16-byte bufreader (as an AsyncRead) to its error, with the read
 * shape ud, over a source that fails along with its last bytes. */
static void decode_read_failing(gwt_feed *feed, gwt_result *out, void *ud)
{
    const read_shape *sh = ud;
    gwt_failsrc src;
    gw_bufreader br;
    uint8_t buf[64];
    gw_io_op *op;
    int ret;

    gwt_failsrc_init(&src, feed, GW_ECONNRESET);
    assert_int_equal(gw_bufreader_init(&br, &src.r, 16), 0);
    do {
        op = gw_try_read(&br.r, buf, sh->cap, sh->min);
        ret = gwt_run_op(op);
        gwt_result_bytes(out, buf, op->n);
        assert_true(ret < 0 || op->n >= sh->min);
    } while (ret == 0);
    out->err = ret;
    out->off = br.r.err_off;
    assert_int_equal(gwt_run_op(gw_try_read(&br.r, buf, 1, 1)), ret);
    gw_bufreader_fini(&br);
}

/* Reads the lines of a 16-byte bufreader with gw_bufreader_line to its
 * error, over a source that fails along with its last bytes. */
static void decode_lines_failing(gwt_feed *feed, gwt_result *out, void *ud)
{
    gwt_failsrc src;
    gw_bufreader br;
    gw_linescan ls;
    gw_io_op *op;
    int err = 0;
    uint64_t off = 0;

    (void)ud;
    gwt_failsrc_init(&src, feed, GW_ECONNRESET);
    assert_int_equal(gw_bufreader_init(&br, &src.r, 16), 0);
    gw_linescan_init(&ls, 14, 0);
    for (;;) {
        op = gw_bufreader_line(&br, &ls, &err, &off);
        if (gwt_run_op(op) < 0 || op->n == 0)
            break;
        gwt_result_record(out, gw_bufreader_peek(&br), ls.len);
        gw_bufreader_consume(&br, op->n);
    }
    out->err = op->ret;
    out->off = off;
    gw_bufreader_fini(&br);
}

/* When the source returns bytes and its error in one read, the bytes go out
 * before the error, whatever the split and the read shape: the bufreader's
 * reads once buffered the last bytes and returned the error without them,
 * and gw_bufreader_line returned the error without scanning them. */
static void test_read_delivers_before_error(void **state)
{
    static const read_shape shapes[] = {{1, 1}, {5, 1}, {5, 5}, {16, 16}, {64, 1}, {64, 40}};
    static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz!";
    static const char lines[] = "one\ntwo\r\n\nfour\nfive5\n";
    gwt_result r;
    size_t i, n = sizeof(text) - 1;

    (void)state;
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        gwt_check_splits((const uint8_t *)text, n, decode_read_failing, (void *)&shapes[i], &r);
        assert_int_equal(r.err, GW_ECONNRESET);
        assert_int_equal(r.off, n);
        assert_int_equal(r.len, n);
        assert_memory_equal(r.data, text, n);
        gwt_result_free(&r);
    }
    n = sizeof(lines) - 1;
    gwt_check_splits((const uint8_t *)lines, n, decode_lines_failing, NULL, &r);
    assert_int_equal(r.err, GW_ECONNRESET);
    assert_int_equal(r.off, n);
    assert_int_equal(r.records, 5);
    gwt_result_free(&r);
}

/* A head through gw_bufreader_need (ud NULL) or gw_bufreader_line, then a
 * body of 6 bytes through a gw_bounded, as the HTTP reader does, over a
 * source that fails along with its last bytes; then one more read. */
static void decode_head_then_body(gwt_feed *feed, gwt_result *out, void *ud)
{
    gwt_failsrc src;
    gw_bufreader br;
    gw_bounded body;
    gw_linescan ls;
    uint8_t buf[8];
    gw_io_op *op;
    int err = 0;
    uint64_t off = 0;

    gwt_failsrc_init(&src, feed, GW_ECONNRESET);
    assert_int_equal(gw_bufreader_init(&br, &src.r, 16), 0);
    gw_linescan_init(&ls, 8, 0);
    op = ud == NULL ? gw_bufreader_need(&br, 4, &err, &off)
                    : gw_bufreader_line(&br, &ls, &err, &off);
    if (gwt_run_op(op) == 0 && op->n >= 4) {
        gwt_result_record(out, gw_bufreader_peek(&br), 4);
        gw_bufreader_consume(&br, 4);
        gw_bounded_init(&body, &br, 6);
        op = gw_read(&body.r, buf, sizeof(buf), 6);
        if ((err = gwt_run_op(op)) == 0) {
            gwt_result_record(out, buf, op->n);
            err = gwt_run_op(gw_try_read(&br.r, buf, sizeof(buf), 1));
        }
        off = br.r.err_off;
    }
    out->err = err;
    out->off = off;
    gw_bufreader_fini(&br);
}

/* A need or a line that succeeds leaves the bytes buffered after it
 * readable, whatever came with them: the bufreader used to make the
 * source's error its own sticky one there, so the body of a message whose
 * last bytes came with an error (every split where they arrive in one
 * read) failed with GW_ECONNRESET instead of being delivered. */
static void test_need_leaves_buffered_bytes_readable(void **state)
{
    static const char msg[] = "HEADbody!!", msg_line[] = "GET\nbody!!";
    static int by_line = 1;
    gwt_result r;
    int i;

    (void)state;
    for (i = 0; i < 2; i++) {
        gwt_check_splits((const uint8_t *)(i == 0 ? msg : msg_line), 10, decode_head_then_body,
                         i == 0 ? NULL : &by_line, &r);
        assert_int_equal(r.records, 2);
        assert_int_equal(r.err, GW_ECONNRESET);
        assert_int_equal(r.off, 10);
        gwt_result_free(&r);
    }
}

/* ---- cancel sticks (defect 7) ------------------------------------------------ */

/* Starts op on a fresh stack, checks that it suspends, and closes the stack
 * as a cancelled task would be. */
static void cancel_suspended(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    gw_stack_close(&st);
}

static void test_cancel_bufwriter_sticks(void **state)
{
    gw_mempipe pipe;
    gw_bufwriter bw;
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 4), 0);
    assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 4), 0);
    /* 10 bytes through a 4-byte buffer into a 4-byte pipe: suspends. */
    cancel_suspended(gw_write(&bw.w, "0123456789", 10));
    assert_int_equal(bw.w.err, GW_ECANCELLED);
    assert_int_equal(pipe.w.err, GW_ECANCELLED);
    op = gw_close(&bw.w); /* a close once reported success over a torn stream */
    assert_int_equal(gwt_run_op(op), GW_ECANCELLED);
    op = gw_write(&bw.w, "x", 1);
    assert_int_equal(gwt_run_op(op), GW_ECANCELLED);
    gw_bufwriter_fini(&bw);

    /* Cancelled in its flush. */
    gw_mempipe_fini(&pipe);
    assert_int_equal(gw_mempipe_init(&pipe, 2), 0);
    assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 4), 0);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, "abc", 3)), 0);
    cancel_suspended(gw_flush(&bw.w));
    assert_int_equal(gwt_run_op(gw_flush(&bw.w)), GW_ECANCELLED);
    gw_bufwriter_fini(&bw);
    gw_mempipe_fini(&pipe);
}

static void test_cancel_readers_stick(void **state)
{
    gw_mempipe pipe;
    gw_bufreader br;
    gw_bounded body;
    uint8_t buf[16];
    int err = 0;

    (void)state;
    /* A bufreader's fill, with a need's slot: all three objects stick. */
    assert_int_equal(gw_mempipe_init(&pipe, 16), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    gw_mempipe_feed(&pipe, "ab", 2);
    cancel_suspended(gw_bufreader_need(&br, 4, &err, NULL));
    assert_int_equal(err, GW_ECANCELLED);
    assert_int_equal(br.r.err, GW_ECANCELLED);
    assert_int_equal(pipe.r.err, GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 1)), GW_ECANCELLED);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);

    /* gw_read over a bounded reader over a bufreader. */
    assert_int_equal(gw_mempipe_init(&pipe, 16), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    gw_bounded_init(&body, &br, 10);
    cancel_suspended(gw_read(&body.r, buf, sizeof(buf), 10));
    assert_int_equal(body.r.err, GW_ECANCELLED);
    assert_int_equal(br.r.err, GW_ECANCELLED);
    assert_int_equal(gwt_run_op(gw_try_read(&body.r, buf, 4, 0)), GW_ECANCELLED);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* ---- one operation at a time ---------------------------------------------- */

/* In a child: starts an operation that suspends, then a second one on the
 * same object: a read (mode 0), a write (1), or the next record of a record
 * reader, whose frame GW__IO_START sets up like every layer's (2).  The
 * child must die of the assertion. */
static void second_op_child(int mode)
{
    gw_mempipe p;
    gw_bufreader br;
    gw_record_reader rr;
    uint8_t buf[4];
    gw_wait w;
    gw_stack st;
    gw_io_op *op;

    if (gw_mempipe_init(&p, 2) != 0 || gw_bufreader_init(&br, &p.r, 64) != 0 ||
        gw_record_reader_init(&rr, &br, GW_FRAME_U32BE, NULL, GW_RECORD_ASSEMBLE) != 0)
        _exit(3);
    op = mode == 1   ? gw_write(&p.w, "abcd", 4)
         : mode == 0 ? gw_try_read(&p.r, buf, 4, 4)
                     : gw_record_next(&rr);
    GW_START(&st, op, &w);
    if (gw_next(&st) != GW_YIELDED)
        _exit(4);
    if (mode == 1)
        gw_write(&p.w, "x", 1);
    else if (mode == 0)
        gw_try_read(&p.r, buf, 4, 1);
    else
        gw_record_next(&rr);
    _exit(0); /* not caught */
}

static void test_second_op_is_caught(void **state)
{
    int mode, status;

    (void)state;
#ifdef NDEBUG
    gwt_skip("built with NDEBUG: the assertion this case expects is compiled out");
#endif
    for (mode = 0; mode < 3; mode++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* The assertion's message is expected: keep it off the TAP. */
            if (freopen("/dev/null", "w", stderr) == NULL)
                _exit(5);
            second_op_child(mode);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGABRT);
    }
}

/* ---- the shared pieces: the finished operation, flush-or-close --------- */

/* gw_io_finished makes a frame that, run, returns its result at once;
 * gw_flush_or_close(w, 0) is a flush that leaves w open, (w, 1) a close. */
static void test_finished_and_flush_or_close(void **state)
{
    gw_mempipe pipe;
    gw_bufwriter bw;
    gw_io_op frame, *op;
    gw_stack st;
    gw_wait w;

    (void)state;
    memset(&frame, 0, sizeof(frame));
    op = gw_io_finished(&frame, &pipe, GW_EIO);
    assert_ptr_equal(op, &frame);
    assert_ptr_equal(op->obj, &pipe);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->ret, GW_EIO);

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 16), 0);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, "abc", 3)), 0);
    assert_int_equal(pipe.end - pipe.pos, 0); /* still in the buffer */
    assert_int_equal(gwt_run_op(gw_flush_or_close(&bw.w, 0)), 0);
    assert_int_equal(pipe.end - pipe.pos, 3);
    assert_memory_equal(pipe.buf + pipe.pos, "abc", 3);
    assert_int_equal(bw.w.closed, 0);
    assert_int_equal(pipe.finished, 0);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, "de", 2)), 0);
    assert_int_equal(gwt_run_op(gw_flush_or_close(&bw.w, 1)), 0);
    assert_int_equal(pipe.end - pipe.pos, 5);
    assert_int_equal(bw.w.closed, 1);
    assert_int_equal(pipe.finished, 1);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, "x", 1)), GW_ECLOSED);
    gw_bufwriter_fini(&bw);
    gw_mempipe_fini(&pipe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_short_sticks),
        cmocka_unit_test(test_try_read_einval_sticks),
        cmocka_unit_test(test_fill_too_large_sticks),
        cmocka_unit_test(test_error_set_first_wins),
        cmocka_unit_test(test_failed_init_sticks),
        cmocka_unit_test(test_failed_init_sticks_transports),
        cmocka_unit_test(test_failed_init_sticks_parsers),
        cmocka_unit_test(test_read_delivers_before_error),
        cmocka_unit_test(test_need_leaves_buffered_bytes_readable),
        cmocka_unit_test(test_cancel_bufwriter_sticks),
        cmocka_unit_test(test_cancel_readers_stick),
        cmocka_unit_test(test_second_op_is_caught),
        cmocka_unit_test(test_finished_and_flush_or_close),
    };

    return GWT_RUN_GROUP("contracts", tests);
}
