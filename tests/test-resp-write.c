/*
 * Tests of the RESP writer (parsers/resp/resp-write.c): every value type
 * and commands checked byte for byte, the values it refuses, its sticky
 * error, the pure core gw_resp_format_command at every capacity around the
 * size it needs, and large arguments written without being copied; doubles
 * read and written with '.' under a locale whose decimal point is ','.
 */
#define _POSIX_C_SOURCE 200809L

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/resp.h>

#include "gwt.h"

/* ---- writer ---------------------------------------------------------------------------- */

/* Runs op, flushes, and compares what the sink got with want. */
static void check_written(gwt_sink *k, gw_bufwriter *bw, gw_io_op *op, int err, const char *want)
{
    assert_int_equal(gwt_run_op(op), err);
    assert_int_equal(gwt_run_op(gw_flush(&bw->w)), 0);
    assert_int_equal(k->got.len, strlen(want));
    assert_memory_equal(k->got.data, want, k->got.len);
    k->got.len = 0;
}

static void test_writer(void **state)
{
    static const char *argv[] = {"SET", "key", "a value"};
    static const size_t argl[] = {3, 3, 0};
    gwt_sink k;
    gw_bufwriter bw;
    gw_resp_writer w;
    uint8_t buf[64];

    (void)state;
    gwt_sink_init(&k, 0);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 256), 0);
    gw_resp_writer_init(&w, &bw);
    check_written(&k, &bw, gw_resp_write_command(&w, 3, argv, NULL), 0,
                  "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$7\r\na value\r\n");
    check_written(&k, &bw, gw_resp_write_command(&w, 3, argv, argl), 0,
                  "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n");
    check_written(&k, &bw, gw_resp_write_command(&w, 0, NULL, NULL), 0, "*0\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_SIMPLE, "OK", 2, NULL), 0, "+OK\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_ERROR, "ERR x", 5, NULL), 0,
                  "-ERR x\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_BULK, "a\r\nb", 4, NULL), 0,
                  "$4\r\na\r\nb\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_BLOB_ERROR, "E", 1, NULL), 0,
                  "!1\r\nE\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_VERBATIM, "hi", 2, "txt"), 0,
                  "=6\r\ntxt:hi\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_DOUBLE, "-1.5e3", 6, NULL), 0,
                  ",-1.5e3\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_BIGNUM, "-123", 4, NULL), 0,
                  "(-123\r\n");
    check_written(&k, &bw, gw_resp_write_integer(&w, INT64_MIN), 0, ":-9223372036854775808\r\n");
    check_written(&k, &bw, gw_resp_write_bool(&w, 1), 0, "#t\r\n");
    check_written(&k, &bw, gw_resp_write_double(&w, 0.1), 0, ",0.1\r\n");
    check_written(&k, &bw, gw_resp_write_double(&w, -1.0 / 0.0), 0, ",-inf\r\n");
    check_written(&k, &bw, gw_resp_write_null(&w, '_'), 0, "_\r\n");
    check_written(&k, &bw, gw_resp_write_null(&w, '$'), 0, "$-1\r\n");
    check_written(&k, &bw, gw_resp_write_null(&w, '*'), 0, "*-1\r\n");
    check_written(&k, &bw, gw_resp_write_aggregate(&w, GW_RESP_MAP, 2), 0, "%2\r\n");
    check_written(&k, &bw, gw_resp_write_aggregate(&w, GW_RESP_SET, -1), 0, "~?\r\n");
    check_written(&k, &bw, gw_resp_write_end(&w), 0, ".\r\n");
    check_written(&k, &bw, gw_resp_write_aggregate(&w, GW_RESP_PUSH, 0), 0, ">0\r\n");
    /* Refused: nothing written. */
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_SIMPLE, "a\nb", 3, NULL), GW_EINVAL,
                  "");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_DOUBLE, "1.", 2, NULL), GW_EINVAL, "");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_VERBATIM, "x", 1, "tx"), GW_EINVAL, "");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_INTEGER, "1", 1, NULL), GW_EINVAL, "");
    check_written(&k, &bw, gw_resp_write_aggregate(&w, GW_RESP_PUSH, -1), GW_EINVAL, "");
    check_written(&k, &bw, gw_resp_write_aggregate(&w, GW_RESP_BULK, 1), GW_EINVAL, "");
    check_written(&k, &bw, gw_resp_write_null(&w, 'x'), GW_EINVAL, "");
    /* An empty string may come as NULL and 0 (a NULL pointer used to reach
     * memchr, which UBSan reports: its argument is declared nonnull). */
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_SIMPLE, NULL, 0, NULL), 0, "+\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_ERROR, NULL, 0, NULL), 0, "-\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_BULK, NULL, 0, NULL), 0, "$0\r\n\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_VERBATIM, NULL, 0, "txt"), 0,
                  "=4\r\ntxt:\r\n");
    check_written(&k, &bw, gw_resp_write_string(&w, GW_RESP_DOUBLE, NULL, 0, NULL), GW_EINVAL, "");
    /* The pure core: the size it needs when it does not fit. */
    assert_int_equal(gw_resp_format_command(buf, 4, 3, argv, NULL), 35);
    assert_int_equal(gw_resp_format_command(buf, sizeof(buf), 3, argv, NULL), 35);
    /* A failing writer below: the error, and it sticks. */
    k.fail_with = GW_EPIPE;
    assert_int_equal(gwt_run_op(gw_resp_write_integer(&w, 1)), 0); /* buffered */
    assert_int_equal(gwt_run_op(gw_flush(&bw.w)), GW_EPIPE);
    assert_int_equal(gwt_run_op(gw_resp_write_integer(&w, 1)), GW_EPIPE);
    assert_int_equal(gwt_run_op(gw_resp_write_command(&w, 3, argv, NULL)), GW_EPIPE);
    gw_bufwriter_fini(&bw);
    gwt_result_free(&k.got);
}

/* Doubles under a program's setlocale() to a locale whose decimal point is
 * ',' (de_DE, made with localedef into a temporary LOCPATH): the reader
 * parses ",1.5" as 1.5 and the writer writes 1.5 as ",1.5", where strtod
 * and printf used the program's locale and gave 1 and ",1,5" (a line no
 * RESP peer reads). */
static void test_doubles_in_any_locale(void **state)
{
    char dir[] = "/tmp/gw-locale-XXXXXX", cmd[256];
    static const char wire[] = ",1.5\r\n,-2.25e-3\r\n";
    gw_bufreader br;
    gw_resp_reader rd;
    gw_bufwriter bw;
    gw_resp_writer w;
    gwt_sink k;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "localedef -c -i de_DE -f UTF-8 %s/de_DE.UTF-8", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(setenv("LOCPATH", dir, 1), 0);
    assert_non_null(setlocale(LC_ALL, "de_DE.UTF-8"));
    assert_string_equal(localeconv()->decimal_point, ","); /* the test can fail */

    gw_bufreader_init_mem(&br, wire, sizeof(wire) - 1);
    assert_int_equal(gw_resp_reader_init(&rd, &br, NULL), 0);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), 1);
    assert_int_equal(rd.ev.type, GW_RESP_DOUBLE);
    assert_true(rd.ev.dbl == 1.5);
    assert_int_equal(gwt_run_op(gw_resp_next(&rd)), 1);
    assert_true(rd.ev.dbl == -2.25e-3);
    gw_resp_reader_fini(&rd);

    gwt_sink_init(&k, 0);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 256), 0);
    gw_resp_writer_init(&w, &bw);
    check_written(&k, &bw, gw_resp_write_double(&w, 1.5), 0, ",1.5\r\n");
    check_written(&k, &bw, gw_resp_write_double(&w, -2.25e-3), 0, ",-0.00225\r\n");
    gw_bufwriter_fini(&bw);
    gwt_result_free(&k.got);

    assert_non_null(setlocale(LC_ALL, "C"));
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A large argument reaches the writer below as one write of the caller's
 * own bytes, not copied through the buffer. */
static void test_writer_direct(void **state)
{
    static char big[100000];
    const char *argv[3] = {"SET", "k", big};
    size_t argl[3] = {3, 1, sizeof(big)};
    gwt_sink k;
    gw_bufwriter bw;
    gw_resp_writer w;
    gw_bufreader br;
    gw_resp_tree t;

    (void)state;
    memset(big, 'v', sizeof(big));
    gwt_sink_init(&k, 1);
    assert_int_equal(gw_bufwriter_init(&bw, &k.w, 1024), 0);
    gw_resp_writer_init(&w, &bw);
    assert_int_equal(gwt_run_op(gw_resp_write_command(&w, 3, argv, argl)), 0);
    assert_int_equal(gwt_run_op(gw_flush(&bw.w)), 0);
    /* Records: the headers before it, the argument itself, the CRLF. */
    assert_int_equal(k.got.records, 3);
    {
        uint64_t n;
        size_t pos;
        memcpy(&n, k.got.data, 8);
        pos = 8 + (size_t)n;
        memcpy(&n, k.got.data + pos, 8);
        assert_int_equal(n, sizeof(big));
    }
    assert_int_equal(bw.w.nwritten, 4 + 9 + 7 + 9 + sizeof(big) + 2);
    gw_bufwriter_fini(&bw);
    /* And it reads back. */
    {
        size_t n = 0, pos = 0;
        uint8_t *flat = malloc(k.got.len);
        while (pos < k.got.len) {
            uint64_t m;
            memcpy(&m, k.got.data + pos, 8);
            memcpy(flat + n, k.got.data + pos + 8, (size_t)m);
            n += (size_t)m;
            pos += 8 + (size_t)m;
        }
        gw_bufreader_init_mem(&br, flat, n);
        assert_int_equal(gw_resp_tree_init(&t, &br, NULL), 0);
        assert_int_equal(gw_resp_tree_try_next(&t), 1);
        assert_int_equal(t.value->len, 3);
        assert_int_equal(t.value->elems[2].len, sizeof(big));
        gw_resp_tree_fini(&t);
        free(flat);
    }
    gwt_result_free(&k.got);
}

/* gw_resp_format_command at every capacity: below the size it needs it
 * returns that size (and the exact size, not a bound, whatever the lengths'
 * digits); from it on, it writes exactly the encoding. */
static void test_format_command(void **state)
{
    static char big[12345];
    const char *argv[4] = {"SET", "", big, "x"};
    size_t argl[4] = {3, 0, sizeof(big), 1};
    static const char head[] = "*4\r\n$3\r\nSET\r\n$0\r\n\r\n$12345\r\n";
    static uint8_t out[sizeof(big) + 100];
    size_t need = (sizeof(head) - 1) + sizeof(big) + 2 + 7, cap, argc;

    (void)state;
    memset(big, 'b', sizeof(big));
    for (cap = 0; cap <= need + 120; cap++) {
        memset(out, 0, sizeof(out));
        assert_int_equal(gw_resp_format_command(out, cap, 4, argv, argl), need);
        if (cap < need)
            continue;
        assert_memory_equal(out, head, sizeof(head) - 1);
        assert_memory_equal(out + sizeof(head) - 1, big, sizeof(big));
        assert_memory_equal(out + need - 9, "\r\n$1\r\nx\r\n", 9);
        if (cap == need + 10)
            cap = need + 100; /* and one far above */
    }
    /* Without lengths (NUL-terminated), and a count of 10 or more: the
     * array header of two digits. */
    for (argc = 0; argc <= 12; argc++) {
        static const char *many[12] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
        size_t want = (argc < 10 ? 4 : 5) + 7 * argc;
        for (cap = 0; cap <= want + 30; cap++) {
            assert_int_equal(gw_resp_format_command(out, cap, argc, many, NULL), want);
            if (cap >= want)
                assert_memory_equal(out + want - (argc > 0 ? 7 : 2), argc > 0 ? "$1\r\n" : "\r\n",
                                    argc > 0 ? 4 : 2);
        }
    }
}

/* A command written through a bufwriter with less free space than it
 * needs, which takes the generator's path: every byte, the empty command's
 * "*0\r\n" included (found by fuzz-resp-command: with fewer than 4 bytes
 * free it wrote nothing and returned 0). */
static void test_writer_no_room(void **state)
{
    static const char *argv[] = {"SET", "k", "v"};
    static const char *want[] = {"*0\r\n", "*1\r\n$3\r\nSET\r\n",
                                 "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"};
    static const size_t argcs[] = {0, 1, 3};
    size_t cap, i;

    (void)state;
    for (i = 0; i < 3; i++) {
        for (cap = 1; cap <= strlen(want[i]) + 1; cap++) {
            gwt_sink k;
            gw_bufwriter bw;
            gw_resp_writer w;
            gwt_sink_init(&k, 0);
            assert_int_equal(gw_bufwriter_init(&bw, &k.w, cap), 0);
            gw_resp_writer_init(&w, &bw);
            check_written(&k, &bw, gw_resp_write_command(&w, argcs[i], argv, NULL), 0, want[i]);
            gw_bufwriter_fini(&bw);
            gwt_result_free(&k.got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_direct),
        cmocka_unit_test(test_format_command),
        cmocka_unit_test(test_writer_no_room),
        cmocka_unit_test(test_doubles_in_any_locale),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
