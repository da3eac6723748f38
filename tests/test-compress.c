/*
 * Tests of the compression layers (parsers/compress/, include/genwire/
 * compress.h).  The inflate layer decodes streams made by the gzip command
 * and by Python's zlib module (tests/compress/mkstreams.py) byte for byte,
 * reports every kind of corruption with zlib's words and the right offset,
 * strings gzip members together, refuses trailing data, stops bombs at the
 * cap, and treats every truncation as an error; the deflate layer's streams
 * decode with gzip -d and Python's zlib, and its flush makes everything
 * written so far decodable.  Every decode runs at every split point of its
 * input (gwt_check_splits).  Allocation failures are injected at each
 * allocation in turn, and layers closed mid-stream must release zlib's state
 * (the ASan build checks for leaks).
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

#include <sys/stat.h>
#include <unistd.h>

#include <genwire/alloc.h>
#include <genwire/compress.h>
#include <genwire/io.h>

#include "compress-test.h"

/* ---- vectors from Python's zlib module ----------------------------------- */

static int err_by_name(const char *name)
{
    static const struct {
        const char *name;
        int err;
    } names[] = {
        {"ok", 0},
        {"Z_HEADER", GW_EZ_HEADER},
        {"Z_DATA", GW_EZ_DATA},
        {"Z_CHECKSUM", GW_EZ_CHECKSUM},
        {"Z_LENGTH", GW_EZ_LENGTH},
        {"TRAILING_DATA", GW_ETRAILING_DATA},
        {"TRUNCATED", GW_ETRUNCATED},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].err;
    fail_msg("unknown error name %s", name);
    return 1;
}

void test_python_vectors(void **state)
{
    const char *srcdir = getenv("GW_SOURCE_DIR");
    char line[512], name[128], fmtname[16], errname[32], msg[128], path[512];
    FILE *manifest;
    int count = 0;

    (void)state;
    assert_non_null(srcdir);
    run_cmd("/usr/bin/python3 %s/tests/compress/mkstreams.py %s", srcdir, tmp_path("py"));
    manifest = fopen(tmp_path("py/manifest.txt"), "r");
    assert_non_null(manifest);
    while (fgets(line, sizeof(line), manifest) != NULL) {
        long long off;
        gw_zformat fmt;
        uint8_t *in, *raw;
        size_t inlen, rawlen;
        gwt_result res;
        const char *got_msg;
        int err;
        char *p;

        assert_int_equal(
            sscanf(line, "%127s %15s %31s %lld %127s", name, fmtname, errname, &off, msg), 5);
        for (p = msg; *p; p++)
            if (*p == '_')
                *p = ' ';
        assert_int_equal(gw_zformat_parse(fmtname, &fmt), 0);
        err = err_by_name(errname);
        snprintf(path, sizeof(path), "%s/py/%s.z", tmpdir, name);
        in = read_file(path, &inlen);
        snprintf(path, sizeof(path), "%s/py/%s.raw", tmpdir, name);
        raw = read_file(path, &rawlen);
        if (getenv("GWZ_VERBOSE") != NULL)
            print_message("vector %s\n", name);
        check_all(in, inlen, fmt, &res, &got_msg);
        if (backend == GW_INFLATE_BACKEND_ISAL) {
            gwt_result rz;
            infl_cfg zc;
            cfg_init(&zc, fmt, 4096, 65536, 1);
            zc.opts.backend = GW_INFLATE_BACKEND_ZLIB;
            decode_mem(in, inlen, &zc, &rz);
            if (getenv("GWZ_VERBOSE") != NULL &&
                (rz.err != res.err || rz.off != res.off || rz.len != res.len))
                print_message("DIFF %s: zlib %s at %llu len %zu; isal %s at %llu len %zu (%s)\n",
                              name, gw_errname(rz.err), (unsigned long long)rz.off, rz.len,
                              gw_errname(res.err), (unsigned long long)res.off, res.len, got_msg);
            gwt_result_free(&rz);
        }
        if (res.err != err || (off >= 0 && res.off != (uint64_t)off &&
                               !(backend == GW_INFLATE_BACKEND_ISAL && err == GW_EZ_DATA)))
            fail_msg("%s: error %s at %llu, expected %s at %lld (%s)", name, gw_errname(res.err),
                     (unsigned long long)res.off, errname, off, got_msg);
        if (err == 0) {
            assert_int_equal(res.len, rawlen);
            assert_string_equal(got_msg, "");
        } else {
            assert_true(res.len <= rawlen);
        }
        if (res.len > 0 && memcmp(res.data, raw, res.len) != 0)
            fail_msg("%s: output differs from the original", name);
        /* ISA-L has its own words for corrupt deflate data (compress.h). */
        if (strcmp(msg, "-") != 0 && (backend == GW_INFLATE_BACKEND_ZLIB || res.err != GW_EZ_DATA))
            assert_string_equal(got_msg, msg);
        gwt_result_free(&res);
        free(in);
        free(raw);
        count++;
    }
    fclose(manifest);
    assert_true(count >= 60);
}

/* ---- streams made by the gzip command ------------------------------------ */

static void check_gzip_file(const char *gzname, const uint8_t *plain, size_t plen)
{
    uint8_t *in;
    size_t inlen;
    gwt_result res;
    infl_cfg cfg;

    in = read_file(tmp_path(gzname), &inlen);
    check_all(in, inlen, GW_ZFORMAT_GZIP, &res, NULL);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, plen);
    assert_memory_equal(res.data, plain, plen);
    gwt_result_free(&res);
    /* auto recognises gzip, concatenated members included. */
    cfg_init(&cfg, GW_ZFORMAT_AUTO, 64, 100, 1);
    decode_mem(in, inlen, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, plen);
    assert_memory_equal(res.data, plain, plen);
    gwt_result_free(&res);
    free(in);
}

void test_gzip_command(void **state)
{
    size_t n = 6000;
    uint8_t *plain = make_text(n, 42), *both;
    const char *levels[] = {"-1", "-6", "-9"};
    char name[32];
    size_t i;

    (void)state;
    write_file(tmp_path("plain.txt"), plain, n);
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "cmd%s.gz", levels[i]);
        run_cmd("gzip -c -n %s %s > %s", levels[i], tmp_path("plain.txt"), tmp_path(name));
        check_gzip_file(name, plain, n);
    }
    /* With the file name and time stored (FNAME). */
    run_cmd("cd %s && gzip -c plain.txt > named.gz", tmpdir);
    check_gzip_file("named.gz", plain, n);
    /* Two members, as `gzip -c a >> x; gzip -c b >> x` makes them. */
    run_cmd("gzip -c -n %s > %s && gzip -c -9 %s >> %s", tmp_path("plain.txt"), tmp_path("two.gz"),
            tmp_path("plain.txt"), tmp_path("two.gz"));
    both = malloc(2 * n);
    assert_non_null(both);
    memcpy(both, plain, n);
    memcpy(both + n, plain, n);
    check_gzip_file("two.gz", both, 2 * n);
    /* An empty file. */
    write_file(tmp_path("empty.txt"), "", 0);
    run_cmd("gzip -c -n %s > %s", tmp_path("empty.txt"), tmp_path("empty.gz"));
    check_gzip_file("empty.gz", plain, 0);
    free(both);
    free(plain);
}

/* ---- names and arguments ------------------------------------------------- */

void test_names_and_args(void **state)
{
    gw_zformat f = GW_ZFORMAT_ZLIB;
    gw_inflate_opts io;
    gw_deflate_opts dop;
    gw_bufreader br;
    gw_inflate z;
    gw_deflate d;
    memsink m;

    (void)state;
    assert_int_equal(gw_zformat_parse("deflate", &f), 0);
    assert_int_equal(f, GW_ZFORMAT_DEFLATE);
    assert_int_equal(gw_zformat_parse("auto", &f), 0);
    assert_int_equal(f, GW_ZFORMAT_AUTO);
    assert_int_equal(gw_zformat_parse("gz", &f), GW_EINVAL);
    assert_int_equal(f, GW_ZFORMAT_AUTO);
    assert_string_equal(gw_zformat_name(GW_ZFORMAT_GZIP), "gzip");
    assert_string_equal(gw_zformat_name(GW_ZFORMAT_NFORMATS), "?");
    opts_default(&io);
    assert_int_equal(io.format, GW_ZFORMAT_GZIP);
    assert_int_equal(io.max_output, GW_INFLATE_DEFAULT_MAX_OUTPUT);
    assert_int_equal(io.max_ratio, 1032);

    gw_bufreader_init_mem(&br, "", 0);
    io.format = GW_ZFORMAT_NFORMATS;
    assert_int_equal(gw_inflate_init(&z, &br, &io), GW_EINVAL);
    gw_inflate_fini(&z);
    assert_int_equal(gw_inflate_init(&z, NULL, NULL), GW_EINVAL);
    gw_inflate_fini(&z);

    sink_init(&m);
    gw_deflate_opts_default(&dop);
    dop.format = GW_ZFORMAT_AUTO; /* not for writing */
    assert_int_equal(gw_deflate_init(&d, &m.w, &dop), GW_EINVAL);
    gw_deflate_fini(&d);
    gw_deflate_opts_default(&dop);
    dop.level = 10;
    assert_int_equal(gw_deflate_init(&d, &m.w, &dop), GW_EINVAL);
    gw_deflate_fini(&d);
}

/* An error of the reader below inside a stream (it comes with the input's
 * last bytes, cut at every offset) is reported as compress.h says: once
 * what was delivered is decoded, at the offset of its end, with the same
 * bytes delivered as a truncation at that point; on both backends (ISA-L
 * used to give the offset where its decoding stood, 1 to 9 bytes short,
 * leaving out the bytes it held back). */
void test_src_error_every_offset(void **state)
{
    size_t n = 3000, clen, cut;
    uint8_t *text = make_text(n, 7), *comp;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        comp = deflate_layer(text, n, (gw_zformat)fmt, 6, 4096, n, &clen);
        for (cut = 1; cut < clen; cut += gwt_sampling() ? 13 : 1) {
            gwt_feed tfeed = {comp, cut, NULL, 0, 0, 0, 0};
            gwt_feed efeed = {comp, cut, NULL, 0, 0, 0, 0};
            gwt_result trunc, res;
            infl_cfg cfg;

            cfg_init(&cfg, (gw_zformat)fmt, 1024, 65536, 1);
            memset(&trunc, 0, sizeof(trunc));
            decode_inflate(&tfeed, &trunc, &cfg);
            expect_prefix(&trunc, "truncated", text, trunc.len, GW_ETRUNCATED, cut);
            cfg.src_fails = 1;
            memset(&res, 0, sizeof(res));
            decode_inflate(&efeed, &res, &cfg);
            expect_prefix(&res, "source error", text, trunc.len, GW_EIO, cut);
            gwt_result_free(&trunc);
            gwt_result_free(&res);
        }
        free(comp);
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_args),
        cmocka_unit_test(test_python_vectors),
        cmocka_unit_test(test_gzip_command),
        cmocka_unit_test(test_deflate_peers),
        cmocka_unit_test(test_deflate_roundtrip_splits),
        cmocka_unit_test(test_deflate_flush),
        cmocka_unit_test(test_deflate_tiny_buffer),
        cmocka_unit_test(test_deflate_dst_error),
        cmocka_unit_test(test_deflate_zero_is_default),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_stop_at_end),
        cmocka_unit_test(test_stop_at_end_no_wait),
        cmocka_unit_test(test_error_after_good_data),
        cmocka_unit_test(test_error_after_good_data_large),
        cmocka_unit_test(test_src_error_every_offset),
        cmocka_unit_test(test_backend_differences),
        cmocka_unit_test(test_backend_truncation),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_zero_means_default),
        cmocka_unit_test(test_alloc_failure_inflate),
        cmocka_unit_test(test_alloc_failure_deflate),
        cmocka_unit_test(test_cancel_inflate),
        cmocka_unit_test(test_cancel_task),
        cmocka_unit_test(test_cancel_deflate),
    };
    int rc;

    if (getenv("GWZ_FILTER") != NULL)
        cmocka_set_test_filter(getenv("GWZ_FILTER"));
    /* GWZ_BACKEND=isal: the inflate cases on ISA-L (tests/meson.build
     * registers the suite once per backend built in). */
    if (getenv("GWZ_BACKEND") != NULL &&
        gw_inflate_backend_parse(getenv("GWZ_BACKEND"), &backend) != 0)
        return 1;
    if (!gw_inflate_backend_available(backend))
        return 1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/gw-compress-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    rc = cmocka_run_group_tests_name("compress", tests, NULL, NULL);
    run_cmd("rm -rf %s", tmpdir);
    return rc;
}
