/*
 * Tests of the transports (transport/, include/genwire/io.h): the memory
 * pipe in push mode, gw_read's short-read error, the buffered reader under
 * every feed schedule (through the shared split helper), the buffered
 * writer's batching, and the fd transport over pipes, files and sockets:
 * EAGAIN as a wait, EPIPE without SIGPIPE, flags restored.  The edge cases
 * (error offsets, empty and NULL buffers) are in transport-edges.c.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* syscall() */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <genwire/io.h>

#include "gwt.h"
#include "test-transport.h"

/* ---- memory pipe and gw_read ------------------------------------------- */

static void test_mempipe_basic(void **state)
{
    gw_mempipe p;
    uint8_t buf[16];
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 8), 0);
    assert_int_equal(gw_mempipe_feed(&p, "0123456789", 10), 8); /* capacity */
    op = gw_try_read(&p.r, buf, sizeof(buf), 3);
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 8);
    assert_memory_equal(buf, "01234567", 8);

    /* Empty: a read waits on the readable event until fed. */
    op = gw_try_read(&p.r, buf, sizeof(buf), 2);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED);
    assert_int_equal(w.kind, GW_WAIT_EVENT);
    assert_ptr_equal(w.event, &p.readable);
    gw_mempipe_feed(&p, "a", 1);
    assert_int_equal(gw_next(&st), GW_YIELDED); /* 1 < min 2 */
    gw_mempipe_feed(&p, "bc", 2);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->n, 3);
    assert_memory_equal(buf, "abc", 3);

    /* min = 0 never waits. */
    op = gw_try_read(&p.r, buf, sizeof(buf), 0);
    gwt_run_op(op);
    assert_int_equal(op->n, 0);
    assert_false(p.r.eof);

    /* End of stream: short try_read, then 0 with eof set. */
    gw_mempipe_feed(&p, "xy", 2);
    gw_mempipe_finish(&p);
    assert_int_equal(gw_mempipe_feed(&p, "z", 1), 0);
    op = gw_try_read(&p.r, buf, sizeof(buf), 5);
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 2);
    assert_true(p.r.eof);
    assert_int_equal(p.r.nread, 13);

    /* min > cap is refused. */
    op = gw_try_read(&p.r, buf, 2, 3);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EINVAL);
    gw_mempipe_fini(&p);
    assert_int_equal(gw_mempipe_init(&p, 0), GW_EINVAL);
}

static void test_read_short_is_error(void **state)
{
    gw_mempipe p;
    uint8_t buf[8];
    char msg[128];
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&p, 16), 0);
    gw_mempipe_feed(&p, "abcdef", 6);
    op = gw_read(&p.r, buf, 4, 4);
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 4);
    gw_mempipe_finish(&p);
    op = gw_read(&p.r, buf, 8, 4);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EUNEXPECTED_EOF);
    assert_int_equal(op->n, 2);
    assert_memory_equal(buf, "ef", 2);
    assert_string_equal(gw_reader_strerror(&p.r, op->ret, msg, sizeof(msg)),
                        "unexpected end of stream: expected 4 but got 2 bytes");
    gw_mempipe_fini(&p);
}

/* ---- buffered reader under every feed schedule ------------------------- */

/* A toy record reader over a bufreader: records are a u8 length then that
 * many bytes.  Parses in place; yields from fill only when the buffer runs
 * dry.  Returns 0 at a clean end, GW_EUNEXPECTED_EOF inside a record. */
typedef struct u8rec {
    GW_FRAME(gw_wait);
    gw_bufreader *br; /* the input */
    gwt_result *out;  /* where records go */
    gw_io_op *op;     /* the fill in progress */
    size_t need;      /* bytes the current record needs, header included */
    unsigned fills;   /* how many times it had to wait for a fill */
    int ret;          /* 0 or an error */
} u8rec;

GW_GENERATOR(u8rec, NULL);
GW_BODY(u8rec, s)
{
    const uint8_t *p;

    GW_BEGIN(s);
    for (;;) {
        GW_FILL(s, op, s->br, 1);
        if (gw_bufreader_avail(s->br) == 0) {
            if (s->br->r.err != 0)
                GW_RETURN(s, s->br->r.err);
            GW_RETURN(s, 0); /* clean end between records */
        }
        s->need = 1 + (size_t)gw_bufreader_peek(s->br)[0];
        if (gw_bufreader_avail(s->br) < s->need) {
            s->fills++;
            GW_AWAIT(s, op, gw_bufreader_fill(s->br, s->need));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            if (gw_bufreader_avail(s->br) < s->need) {
                s->out->off = gw_bufreader_offset(s->br);
                GW_RETURN(s, GW_EUNEXPECTED_EOF);
            }
        }
        p = gw_bufreader_peek(s->br);
        gwt_result_record(s->out, p + 1, s->need - 1);
        gw_bufreader_consume(s->br, s->need);
    }
    GW_END(s);
}

static void decode_u8rec(gwt_feed *feed, gwt_result *out, void *ud)
{
    size_t bufcap = *(size_t *)ud;
    gw_mempipe pipe;
    gw_bufreader br;
    u8rec dec;
    gw_wait w;
    gw_stack st;

    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, bufcap), 0);
    GW_INIT(&dec, u8rec);
    dec.br = &br;
    dec.out = out;
    dec.fills = 0;
    dec.ret = 0;
    GW_START(&st, &dec, &w);
    gwt_drive(&st, &w, &pipe, feed);
    out->err = dec.ret;
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static void test_bufreader_splits(void **state)
{
    static const uint8_t good[] = "\x03"
                                  "abc"
                                  "\x00"
                                  "\x05"
                                  "hello"
                                  "\x01"
                                  "!";
    static const uint8_t cut[] = "\x03"
                                 "abc"
                                 "\x06"
                                 "hel";
    size_t caps[] = {7, 9, 300}; /* 7: the longest record just fits */
    gwt_result r;
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        gwt_check_splits(good, sizeof(good) - 1, decode_u8rec, &caps[i], &r);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.records, 4);
        assert_int_equal(r.len, 4 * 8 + 3 + 0 + 5 + 1);
        assert_memory_equal(r.data + 8, "abc", 3);
        gwt_result_free(&r);

        gwt_check_splits(cut, sizeof(cut) - 1, decode_u8rec, &caps[i], &r);
        assert_int_equal(r.err, GW_EUNEXPECTED_EOF);
        assert_int_equal(r.off, 4); /* the record that was cut starts at byte 4 */
        assert_int_equal(r.records, 1);
        gwt_result_free(&r);
    }
}

static void test_bufreader_fill_too_large(void **state)
{
    gw_mempipe pipe;
    gw_bufreader br;
    gw_io_op *op;

    (void)state;
    assert_int_equal(gw_mempipe_init(&pipe, 64), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 8), 0);
    op = gw_bufreader_fill(&br, 9);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ETOO_LARGE);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
    assert_int_equal(gw_bufreader_init(&br, NULL, 8), GW_EINVAL);
}

/* The bufreader as an AsyncRead: small reads come from the buffer, large
 * ones go straight into the caller's memory. */
static void test_bufreader_as_reader(void **state)
{
    uint8_t in[1000], outb[1000];
    gw_mempipe pipe;
    gw_bufreader br;
    gw_io_op *op;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7);
    assert_int_equal(gw_mempipe_init(&pipe, sizeof(in)), 0);
    assert_int_equal(gw_bufreader_init(&br, &pipe.r, 16), 0);
    gw_mempipe_feed(&pipe, in, sizeof(in));
    gw_mempipe_finish(&pipe);
    op = gw_read(&br.r, outb, 3, 3);
    gwt_run_op(op);
    assert_int_equal(op->n, 3);
    assert_int_equal(gw_bufreader_avail(&br), 13); /* buffered a whole buffer */
    op = gw_read(&br.r, outb + 3, 900, 900);
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 900);
    assert_int_equal(gw_bufreader_avail(&br), 0); /* bypassed the buffer */
    assert_int_equal(gw_bufreader_offset(&br), 903);
    op = gw_try_read(&br.r, outb + 903, 200, 200);
    gwt_run_op(op);
    assert_int_equal(op->n, 97);
    assert_true(br.r.eof);
    assert_memory_equal(in, outb, sizeof(in));
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

static void test_bufreader_over_memory(void **state)
{
    static const uint8_t data[] = "\x02"
                                  "hi"
                                  "\x03"
                                  "abc";
    uint8_t out[8];
    gw_bufreader br;
    gw_io_op *op;

    (void)state;
    gw_bufreader_init_mem(&br, data, sizeof(data) - 1);
    assert_true(gw_bufreader_eof(&br));
    assert_int_equal(gw_bufreader_avail(&br), 7);
    assert_ptr_equal(gw_bufreader_peek(&br), data); /* no copy */
    op = gw_bufreader_fill(&br, 7);
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 7);
    op = gw_bufreader_fill(&br, 8); /* more than there is: end of stream, not an error */
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 7);
    gw_bufreader_fini(&br);

    /* Zero bytes of memory: a fill sees end of stream (it once said
     * GW_ETOO_LARGE, found by the chunked decoder's tests). */
    gw_bufreader_init_mem(&br, data, 0);
    op = gw_bufreader_fill(&br, 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, 0);
    assert_int_equal(op->n, 0);
    gw_bufreader_fini(&br);
    gw_bufreader_init_mem(&br, data, sizeof(data) - 1);
    gw_bufreader_consume(&br, 3);
    op = gw_read(&br.r, out, 5, 5);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EUNEXPECTED_EOF);
    assert_int_equal(op->n, 4);
    assert_memory_equal(out,
                        "\x03"
                        "abc",
                        4);
    gw_bufreader_fini(&br);
}

/* ---- buffered writer ---------------------------------------------------- */

static void test_bufwriter(void **state)
{
    uint8_t big[100];
    gwt_sink rw;
    gw_bufwriter bw;
    gw_io_op *op;
    uint8_t *p;

    (void)state;
    gwt_sink_init(&rw, 1);
    memset(big, 'B', sizeof(big));
    assert_int_equal(gw_bufwriter_init(&bw, &rw.w, 10), 0);
    gwt_run_op(op = gw_write(&bw.w, "abc", 3));
    gwt_run_op(op = gw_write(&bw.w, "defg", 4));
    assert_int_equal(rw.writes, 0); /* batched */
    p = gw_bufwriter_reserve(&bw, 3);
    assert_non_null(p);
    memcpy(p, "hij", 3);
    gw_bufwriter_commit(&bw, 3);
    assert_null(gw_bufwriter_reserve(&bw, 1));
    gwt_run_op(op = gw_write(&bw.w, "kl", 2)); /* full: one write of 10 */
    assert_int_equal(op->ret, 0);
    assert_int_equal(rw.writes, 1);
    gwt_run_op(op = gw_write(&bw.w, big, sizeof(big))); /* tops up, then straight through */
    assert_int_equal(op->n, sizeof(big));
    assert_int_equal(rw.writes, 3);
    gwt_run_op(op = gw_flush(&bw.w));
    assert_int_equal(rw.flushes, 1);
    assert_int_equal(rw.writes, 3); /* nothing buffered: no write */
    gwt_run_op(op = gw_write(&bw.w, "z", 1));
    gwt_run_op(op = gw_close(&bw.w));
    assert_int_equal(rw.writes, 4);
    assert_int_equal(rw.closes, 1);
    assert_int_equal(bw.w.nwritten, 3 + 4 + 3 + 2 + 100 + 1);
    /* Records: 10 bytes, 10 bytes (2 + 8 B), 92 B, "z". */
    assert_int_equal(rw.got.len, 8 + 10 + 8 + 10 + 8 + 92 + 8 + 1);
    assert_memory_equal(rw.got.data + 8, "abcdefghij", 10);
    assert_memory_equal(rw.got.data + 26, "klBBBBBBBB", 10);
    gwt_run_op(op = gw_write(&bw.w, "late", 4));
    assert_int_equal(op->ret, GW_ECLOSED);
    gwt_run_op(op = gw_close(&bw.w)); /* closing twice is harmless */
    assert_int_equal(op->ret, 0);
    assert_int_equal(rw.closes, 1);
    gw_bufwriter_fini(&bw);
    gwt_result_free(&rw.got);

    /* Errors from below stick. */
    gwt_sink_init(&rw, 1);
    assert_int_equal(gw_bufwriter_init(&bw, &rw.w, 4), 0);
    rw.fail_with = GW_EPIPE;
    gwt_run_op(op = gw_write(&bw.w, "ab", 2));
    assert_int_equal(op->ret, 0);
    gwt_run_op(op = gw_flush(&bw.w));
    assert_int_equal(op->ret, GW_EPIPE);
    gwt_run_op(op = gw_write(&bw.w, "c", 1));
    assert_int_equal(op->ret, GW_EPIPE);
    gw_bufwriter_fini(&bw);
    gwt_result_free(&rw.got);
}

/* ---- fd transport -------------------------------------------------------- */

/* write(2) as the library sees it in this program: the real one, except
 * that while zero_writes is positive, a write to zero_fd accepts nothing
 * (returns 0) and counts down.  The executable's definition wins over
 * libc's for the static library linked into it. */
static int zero_fd = -1;
static long zero_writes;

ssize_t write(int fd, const void *buf, size_t len)
{
    if (fd == zero_fd && zero_writes > 0) {
        zero_writes--;
        return 0;
    }
    return syscall(SYS_write, fd, buf, len);
}

/* A write() that returns 0 once looped forever (issue 9, defect 9); the
 * test bounds the zeros so that the old code finished, with success. */
static void test_fd_write_returns_zero(void **state)
{
    int fds[2];
    gw_fdio out;
    gw_io_op *op;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(gw_fdio_init(&out, fds[1], GW_FDIO_OWN), 0);
    zero_fd = fds[1];
    zero_writes = 1000;
    op = gw_write(&out.w, "data", 4);
    assert_int_equal(gwt_run_op(op), GW_EIO);
    assert_int_equal(op->n, 0);
    assert_int_equal(out.sys_errno, 0);
    assert_int_equal(out.w.err, GW_EIO);
    zero_fd = -1;
    gw_fdio_fini(&out);
    close(fds[0]);
}

/* gw_close of an owned fd with GW_FDIO_NONBLOCK restores the flags before
 * closing: they belong to the open file description, which every dup of
 * the fd shares (issue 9, defect 6). */
static void test_fd_close_restores_flags(void **state)
{
    int fds[2], keep;
    gw_fdio out;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    keep = dup(fds[1]);
    assert_true(keep >= 0);
    assert_int_equal(gw_fdio_init(&out, fds[1], GW_FDIO_OWN | GW_FDIO_NONBLOCK), 0);
    assert_true(fcntl(keep, F_GETFL) & O_NONBLOCK);
    assert_int_equal(gwt_run_op(gw_close(&out.w)), 0);
    assert_false(fcntl(keep, F_GETFL) & O_NONBLOCK);
    assert_int_equal(out.fd, -1);
    gw_fdio_fini(&out); /* closes nothing twice */
    assert_int_equal(fcntl(keep, F_GETFD) >= 0, 1);
    close(keep);
    close(fds[0]);
}

static void test_fd_pipe_wait_and_eof(void **state)
{
    int fds[2], fl;
    gw_fdio in;
    uint8_t buf[8];
    gw_io_op *op;
    gw_wait w;
    gw_stack st;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(gw_fdio_init(&in, fds[0], GW_FDIO_NONBLOCK | GW_FDIO_OWN), 0);
    op = gw_read(&in.r, buf, sizeof(buf), 4);
    GW_START(&st, op, &w);
    assert_int_equal(gw_next(&st), GW_YIELDED); /* EAGAIN became a wait */
    assert_int_equal(w.kind, GW_WAIT_READ);
    assert_int_equal(w.fd, fds[0]);
    assert_int_equal(write(fds[1], "ab", 2), 2);
    assert_int_equal(gw_next(&st), GW_YIELDED); /* 2 < 4 */
    assert_int_equal(write(fds[1], "cdef", 4), 4);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(op->ret, 0);
    assert_true(op->n >= 4);
    assert_memory_equal(buf, "abcdef", op->n);
    close(fds[1]);
    op = gw_try_read(&in.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->n, 0);
    assert_true(in.r.eof);
    /* Flags restored on fini: a fresh pipe shows the restore. */
    gw_fdio_fini(&in);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(gw_fdio_init(&in, fds[0], GW_FDIO_NONBLOCK), 0);
    assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    gw_fdio_fini(&in);
    fl = fcntl(fds[0], F_GETFL);
    assert_false(fl & O_NONBLOCK);
    close(fds[0]);
    close(fds[1]);
}

static void test_fd_epipe_without_sigpipe(void **state)
{
    struct sigaction dfl;
    int fds[2];
    gw_fdio out;
    gw_io_op *op;

    (void)state;
    /* SIGPIPE at its default (terminate) disposition: the write must still
     * come back as GW_EPIPE. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    assert_int_equal(gw_fdio_init(&out, fds[1], GW_FDIO_NONBLOCK | GW_FDIO_OWN), 0);
    op = gw_write(&out.w, "data", 4);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EPIPE);
    op = gw_write(&out.w, "more", 4); /* sticky */
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EPIPE);
    gw_fdio_fini(&out);

    /* The same over a socket (send with MSG_NOSIGNAL). */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    close(fds[0]);
    assert_int_equal(gw_fdio_init(&out, fds[1], GW_FDIO_OWN), 0);
    assert_true(out.is_socket);
    op = gw_write(&out.w, "data", 4);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EPIPE);
    gw_fdio_fini(&out);
}

static void test_fd_regular_file(void **state)
{
    char path[] = "/tmp/gw-test-XXXXXX";
    uint8_t buf[64];
    int fd = mkstemp(path);
    gw_fdio io;
    gw_io_op *op;

    (void)state;
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(gw_fdio_init(&io, fd, GW_FDIO_OWN | GW_FDIO_NONBLOCK), 0);
    gwt_run_op(op = gw_write(&io.w, "file contents", 13));
    assert_int_equal(op->ret, 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    gwt_run_op(op = gw_read(&io.r, buf, sizeof(buf), 20));
    assert_int_equal(op->ret, GW_EUNEXPECTED_EOF);
    assert_int_equal(op->n, 13);
    assert_memory_equal(buf, "file contents", 13);
    gw_fdio_fini(&io);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mempipe_basic),
        cmocka_unit_test(test_read_short_is_error),
        cmocka_unit_test(test_bufreader_splits),
        cmocka_unit_test(test_bufreader_fill_too_large),
        cmocka_unit_test(test_bufreader_as_reader),
        cmocka_unit_test(test_bufreader_over_memory),
        cmocka_unit_test(test_bufwriter),
        cmocka_unit_test(test_fd_pipe_wait_and_eof),
        cmocka_unit_test(test_fd_epipe_without_sigpipe),
        cmocka_unit_test(test_fd_regular_file),
        cmocka_unit_test(test_fd_write_returns_zero),
        cmocka_unit_test(test_fd_close_restores_flags),
        cmocka_unit_test(test_fd_read_error_offset),
        cmocka_unit_test(test_empty_and_null_buffers),
        cmocka_unit_test(test_mempipe_finish_wakes_writer),
        cmocka_unit_test(test_zeroed_bufreader),
        cmocka_unit_test(test_zeroed_fdio_fini),
    };

    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
