/*
 * The transport suite's edge cases (include/genwire/io.h): an fd reader's
 * error offset, a memory pipe finished under a writer waiting for room, a
 * bufreader never initialised, the fini of an fd transport never
 * initialised, and the empty and NULL buffers a caller may pass with a
 * length of 0 (an empty input over memory, a write or read of nothing),
 * which must not reach memcpy() as NULL pointers (undefined behaviour,
 * which UBSan stops at).
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

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <genwire/io.h>

#include "gwt.h"
#include "test-transport.h"

/* A read error (a timeout, a reset) is found at the reader's own offset,
 * the bytes it had delivered (docs/contracts.md): it was 0 whatever came
 * before. */
void test_fd_read_error_offset(void **state)
{
    int fds[2], i;
    gw_fdio in;
    uint8_t buf[8];
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    for (i = 0; i < 2; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(gw_fdio_init(&in, fds[0], GW_FDIO_OWN), 0);
        assert_int_equal(write(fds[1], "ab", 2), 2);
        op = gw_read(&in.r, buf, sizeof(buf), 4);
        GW_START(&st, op, &w);
        assert_int_equal(gw_next(&st), GW_YIELDED); /* 2 of 4 */
        if (i == 0) {
            w.woke = GW_WOKE_TIMEOUT; /* what the executor says at the deadline */
        } else {
            /* The peer closes with our byte unread: a reset. */
            assert_int_equal(write(fds[0], "x", 1), 1);
            close(fds[1]);
        }
        assert_int_equal(gw_next(&st), GW_RETURNED);
        assert_int_equal(op->ret, i == 0 ? GW_ETIMEDOUT : GW_ECONNRESET);
        assert_int_equal(op->n, 2);
        assert_int_equal(in.r.err_off, 2);
        gw_fdio_fini(&in);
        if (i == 0)
            close(fds[1]);
    }
}

/* A bufreader over no memory at all (NULL, 0) is an empty stream: every
 * read, need and line finds the clean end; a read of nothing into NULL and
 * a write of nothing from NULL succeed and move nothing.  The bufreader's
 * copy and the bufwriter's passed NULL to memcpy() (UBSan: "null pointer
 * passed as argument 2"). */
void test_empty_and_null_buffers(void **state)
{
    gw_bufreader br;
    gw_bufwriter bw;
    gw_mempipe pipe;
    gw_linescan ls;
    uint8_t buf[8];
    gw_io_op *op;
    int err = 0;

    (void)state;
    gw_bufreader_init_mem(&br, NULL, 0);
    op = gw_try_read(&br.r, buf, sizeof(buf), 1);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 0);
    assert_true(br.r.eof);
    assert_int_equal(gwt_run_op(gw_try_read(&br.r, NULL, 0, 0)), 0);
    op = gw_bufreader_need(&br, 4, &err, NULL);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 0);
    gw_linescan_init(&ls, 16, 0);
    op = gw_bufreader_line(&br, &ls, &err, NULL);
    assert_int_equal(gwt_run_op(op), 0);
    assert_int_equal(op->n, 0);
    assert_int_equal(err, 0);
    gw_bufreader_fini(&br);

    assert_int_equal(gw_mempipe_init(&pipe, 16), 0);
    assert_int_equal(gw_bufwriter_init(&bw, &pipe.w, 8), 0);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, NULL, 0)), 0);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, "ab", 2)), 0);
    assert_int_equal(gwt_run_op(gw_write(&bw.w, NULL, 0)), 0);
    assert_int_equal(bw.w.nwritten, 2);
    assert_int_equal(gwt_run_op(gw_flush(&bw.w)), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 2)), 0);
    assert_int_equal(gwt_run_op(gw_try_read(&br.r, NULL, 0, 0)), 0); /* 2 buffered */
    assert_int_equal(gw_bufreader_avail(&br), 2);
    gw_bufreader_fini(&br);
    gw_bufwriter_fini(&bw);
    gw_mempipe_fini(&pipe);
}

/* Writes its 8 bytes into a 4-byte pipe: it waits for room. */
typedef struct pipe_writer {
    GW_FRAME(gw_wait);
    gw_mempipe *p;
    gw_io_op *op;
    int ret;
} pipe_writer;

GW_GENERATOR(pipe_writer, NULL);
GW_BODY(pipe_writer, s)
{
    GW_BEGIN(s);
    GW_AWAIT(s, op, gw_write(&s->p->w, "abcdefgh", 8));
    s->ret = s->op->ret;
    GW_END(s);
}

/* A writer waiting for room in a memory pipe that is then finished fails
 * with GW_ECLOSED, as one that finds it finished does: it used to wait for
 * good (nobody reads a finished pipe to make room), and gw_exec_run
 * returned it as stuck; and nwritten counted a write's bytes only once it
 * had finished. */
void test_mempipe_finish_wakes_writer(void **state)
{
    gw_exec *ex = gw_exec_new();
    gw_mempipe p;
    pipe_writer pw;

    (void)state;
    assert_non_null(ex);
    assert_int_equal(gw_mempipe_init(&p, 4), 0);
    GW_INIT(&pw, pipe_writer);
    pw.p = &p;
    pw.ret = 1;
    assert_non_null(GW_SPAWN(ex, &pw, NULL, NULL));
    assert_int_equal(gw_exec_run_once(ex, 0), 1); /* 4 bytes in, waiting */
    assert_int_equal(p.end - p.pos, 4);
    gw_mempipe_finish(&p);
    assert_int_equal(gw_exec_run(ex), 0);
    assert_int_equal(pw.ret, GW_ECLOSED);
    assert_int_equal(pw.op->n, 4);
    assert_int_equal(p.w.nwritten, 4); /* the bytes it did put in */
    assert_int_equal(p.w.err, GW_ECLOSED);
    gw_exec_free(ex);
    gw_mempipe_fini(&p);
}

/* A bufreader never initialised (all zeros) fails its fill, need and line
 * with a sticky GW_EINVAL, as its reads do (docs/contracts.md): they
 * reported a clean end of stream with nothing buffered, ret 0. */
void test_zeroed_bufreader(void **state)
{
    gw_bufreader br;
    gw_linescan ls;
    uint8_t buf[4];
    int err = 0, err2 = 0;

    (void)state;
    memset(&br, 0, sizeof(br));
    gw_linescan_init(&ls, 8, 0);
    assert_int_equal(gwt_run_op(gw_bufreader_fill(&br, 1)), GW_EINVAL);
    assert_int_equal(br.r.err, GW_EINVAL);
    memset(&br, 0, sizeof(br));
    assert_int_equal(gwt_run_op(gw_bufreader_need(&br, 1, &err, NULL)), GW_EINVAL);
    assert_int_equal(err, GW_EINVAL);
    memset(&br, 0, sizeof(br));
    assert_int_equal(gwt_run_op(gw_bufreader_line(&br, &ls, &err2, NULL)), GW_EINVAL);
    assert_int_equal(err2, GW_EINVAL);
    assert_int_equal(gwt_run_op(gw_try_read(&br.r, buf, sizeof(buf), 1)), GW_EINVAL);
    gw_bufreader_fini(&br);
}

/* gw_fdio_fini of an fd transport never initialised (all zeros, as a
 * cleanup path may meet it) does nothing: it took the zeroed saved_flags
 * for flags to restore and cleared fd 0's (O_NONBLOCK here). */
void test_zeroed_fdio_fini(void **state)
{
    int fds[2], keep = dup(0), fl;
    gw_fdio io;

    (void)state;
    assert_true(keep >= 0);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(dup2(fds[0], 0), 0);
    assert_int_equal(fcntl(0, F_SETFL, O_NONBLOCK), 0);
    memset(&io, 0, sizeof(io));
    gw_fdio_fini(&io);
    fl = fcntl(0, F_GETFL);
    assert_int_equal(dup2(keep, 0), 0);
    close(keep);
    close(fds[0]);
    close(fds[1]);
    assert_true(fl & O_NONBLOCK);
}
