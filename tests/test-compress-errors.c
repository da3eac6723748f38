/*
 * The compression suite, errors and limits: truncation at every offset,
 * trailing data and GW_INFLATE_STOP_AT_END, the valid prefix before every
 * kind of error, the differences between the zlib and ISA-L backends that
 * compress.h documents, and decompression bombs against both caps.
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

/* ---- truncation ---------------------------------------------------------- */

/* Every proper prefix of a small stream is an error, never short output. */
void test_truncation_every_offset(void **state)
{
    size_t n = 400, clen, k;
    uint8_t *plain = make_text(n, 3), *comp;
    gwt_result res;
    infl_cfg cfg;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        comp = deflate_layer(plain, n, (gw_zformat)fmt, 9, 4096, n, &clen);
        assert_true(clen < 300);
        /* Under valgrind (gwt_sampling) every fifth prefix, each at a
         * sample of splits; every one, at every split, otherwise. */
        for (k = 0; k < clen; k += gwt_sampling() ? 5 : 1) {
            cfg_init(&cfg, (gw_zformat)fmt, 16, 7, 1);
            check_splits(comp, k, &cfg, &res);
            if (res.err != GW_ETRUNCATED || res.off != k)
                fail_msg("%s cut at %zu of %zu: %s at %llu", gw_zformat_name((gw_zformat)fmt), k,
                         clen, gw_errname(res.err), (unsigned long long)res.off);
            assert_true(res.len <= n);
            if (res.len > 0)
                assert_memory_equal(res.data, plain, res.len);
            gwt_result_free(&res);
        }
        cfg_init(&cfg, (gw_zformat)fmt, 16, 7, 1);
        check_splits(comp, clen, &cfg, &res);
        assert_int_equal(res.err, 0);
        assert_int_equal(res.len, n);
        gwt_result_free(&res);
        free(comp);
    }
    free(plain);
}

/* ---- trailing data and STOP_AT_END --------------------------------------- */

void test_stop_at_end(void **state)
{
    size_t n = 1000, clen;
    uint8_t *plain = make_text(n, 11), *comp, *in;
    gw_bufreader br;
    gw_inflate z;
    gw_inflate_opts o;
    uint8_t buf[512];
    gw_io_op *op;
    size_t total = 0;
    int fmt;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        comp = deflate_layer(plain, n, (gw_zformat)fmt, 6, 4096, n, &clen);
        /* Followed by a second stream, left for the next reader. */
        in = malloc(2 * clen);
        assert_non_null(in);
        memcpy(in, comp, clen);
        memcpy(in + clen, comp, clen);
        gw_bufreader_init_mem(&br, in, 2 * clen);
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        o.flags = GW_INFLATE_STOP_AT_END;
        assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
        total = 0;
        for (;;) {
            run_op(op = gw_try_read(&z.r, buf, sizeof(buf), 1));
            assert_int_equal(op->ret, 0);
            assert_memory_equal(buf, plain + total, op->n);
            total += op->n;
            if (op->n == 0)
                break;
        }
        assert_true(z.r.eof);
        assert_int_equal(total, n);
        assert_int_equal(gw_bufreader_avail(&br), clen);
        assert_int_equal(gw_bufreader_offset(&br), clen);
        gw_inflate_fini(&z);
        /* The second stream, by a second layer whose offsets continue. */
        assert_int_equal(gw_inflate_init(&z, &br, &o), 0);
        run_op(op = gw_read(&z.r, buf, sizeof(buf), sizeof(buf)));
        assert_int_equal(op->ret, 0);
        assert_memory_equal(buf, plain, sizeof(buf));
        gw_inflate_fini(&z);
        free(in);
        free(comp);
    }
    free(plain);
}

/* Issue 9, defect 4: with STOP_AT_END the end of the member is reported as
 * soon as its last byte came, with nothing after it and the input not ended
 * (a keep-alive peer that sends nothing more), whatever the split and the
 * read sizes; bytes that follow are left unread. */
void test_stop_at_end_no_wait(void **state)
{
    static const char next[] = "GET /next HTTP/1.1\r\n";
    static const size_t reads[][2] = {{7, 1}, {5, 0}, {4096, 4096}, {65536, 1}};
    size_t n = 3000, clen, i;
    uint8_t *plain = make_text(n, 21), *comp, *in;
    gwt_result res;
    infl_cfg cfg;
    int fmt, tail;

    (void)state;
    for (fmt = GW_ZFORMAT_GZIP; fmt < GW_ZFORMAT_NFORMATS; fmt++) {
        comp = deflate_layer(plain, n, fmt == GW_ZFORMAT_AUTO ? GW_ZFORMAT_ZLIB : (gw_zformat)fmt,
                             6, 4096, n, &clen);
        in = malloc(clen + sizeof(next));
        assert_non_null(in);
        memcpy(in, comp, clen);
        memcpy(in + clen, next, sizeof(next) - 1);
        for (tail = 0; tail < 2; tail++) {
            for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
                cfg_init(&cfg, (gw_zformat)fmt, 16, reads[i][0], reads[i][1]);
                cfg.opts.flags = GW_INFLATE_STOP_AT_END;
                cfg.noend = 1;
                check_splits(in, clen + (tail ? sizeof(next) - 1 : 0), &cfg, &res);
                expect_prefix(&res, "stop at end", plain, n, 0, 0);
                gwt_result_free(&res);
            }
        }
        free(in);
        free(comp);
    }
    free(plain);
}

/* Decodes `in` at every split point, and under other read sizes (min 0
 * included) fed whole, a byte at a time and split at 8 random points, each
 * time expecting exactly the valid prefix `want` and then the error err at
 * offset off. */
static void check_prefix(const uint8_t *in, size_t len, const gw_inflate_opts *o, int src_fails,
                         const uint8_t *want, size_t wlen, int err, uint64_t off)
{
    static const size_t reads[][2] = {{7, 1}, {3, 0}, {1000, 1000}, {65536, 1}};
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    uint64_t seed = len;
    gwt_result res;
    infl_cfg cfg;
    size_t i, k;

    assert_non_null(cuts);
    for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        cfg_init(&cfg, o->format, 16, reads[i][0], reads[i][1]);
        cfg.opts = *o;
        cfg.src_fails = src_fails;
        if (i == 0) {
            check_splits(in, len, &cfg, &res);
            expect_prefix(&res, "every split", want, wlen, err, off);
            gwt_result_free(&res);
            continue;
        }
        for (k = 0; k < 10; k++) {
            gwt_feed feed = {in, len, cuts, 0, 0, 0, 0};
            size_t j;

            if (k == 1)
                for (j = 1; j < len; j++)
                    cuts[feed.ncuts++] = j;
            else if (k > 1 && len > 1)
                cuts[feed.ncuts++] = 1 + gwt_rand(&seed) % (len - 1);
            memset(&res, 0, sizeof(res));
            decode_inflate(&feed, &res, &cfg);
            expect_prefix(&res, "other read sizes", want, wlen, err, off);
            gwt_result_free(&res);
        }
    }
    free(cuts);
}

/* Issue 9, defect 13: a read that fails delivers every byte decoded before
 * the error, whatever the split: trailing garbage after a gzip member, a
 * second zlib stream, the output cap, a bad checksum at the end, and an
 * error of the reader below that comes with the last bytes. */
void test_error_after_good_data(void **state)
{
    char line[16];
    uint8_t *seq = NULL, *gz, *in, *z1, *zeros, *text;
    size_t seqlen = 0, gzlen, z1len, i, n;
    gw_inflate_opts o;
    int fmt;

    (void)state;
    /* (seq 1 1000 | gzip; printf x): the 1000 lines, then trailing data. */
    for (i = 1; i <= 1000; i++) {
        n = (size_t)snprintf(line, sizeof(line), "%zu\n", i);
        seq = realloc(seq, seqlen + n);
        assert_non_null(seq);
        memcpy(seq + seqlen, line, n);
        seqlen += n;
    }
    write_file(tmp_path("seq.txt"), seq, seqlen);
    run_cmd("gzip -c -n < %s > %s", tmp_path("seq.txt"), tmp_path("seq.gz"));
    gz = read_file(tmp_path("seq.gz"), &gzlen);
    in = malloc(gzlen + 1);
    assert_non_null(in);
    memcpy(in, gz, gzlen);
    in[gzlen] = 'x';
    opts_default(&o);
    check_prefix(in, gzlen + 1, &o, 0, seq, seqlen, GW_ETRAILING_DATA, gzlen);
    o.format = GW_ZFORMAT_AUTO;
    check_prefix(in, gzlen + 1, &o, 0, seq, seqlen, GW_ETRAILING_DATA, gzlen);
    free(in);

    /* Two zlib streams: the first one's bytes, then trailing data. */
    z1 = deflate_layer(seq, seqlen, GW_ZFORMAT_ZLIB, 6, 4096, seqlen, &z1len);
    in = malloc(2 * z1len);
    assert_non_null(in);
    memcpy(in, z1, z1len);
    memcpy(in + z1len, z1, z1len);
    for (fmt = GW_ZFORMAT_ZLIB; fmt <= GW_ZFORMAT_AUTO; fmt += GW_ZFORMAT_AUTO - GW_ZFORMAT_ZLIB) {
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        check_prefix(in, 2 * z1len, &o, 0, seq, seqlen, GW_ETRAILING_DATA, z1len);
    }
    free(in);
    free(z1);

    /* --max-output 100000 over 1 MB of zeros: 100000 bytes, then the cap. */
    n = 1u << 20;
    zeros = calloc(n, 1);
    assert_non_null(zeros);
    z1 = deflate_layer(zeros, n, GW_ZFORMAT_GZIP, 6, 65536, n, &z1len);
    opts_default(&o);
    o.max_output = 100000;
    {
        gwt_result res;
        infl_cfg cfg;

        cfg_init(&cfg, GW_ZFORMAT_GZIP, 16, 65536, 1);
        cfg.opts = o;
        check_splits(z1, z1len, &cfg, &res);
        assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
        assert_int_equal(res.len, 100000);
        assert_memory_equal(res.data, zeros, 100000);
        gwt_result_free(&res);
    }
    free(z1);
    free(zeros);

    /* A bad CRC at the end: every byte, then the checksum error. */
    n = 5000;
    text = make_text(n, 23);
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_ZLIB; fmt++) {
        z1 = deflate_layer(text, n, (gw_zformat)fmt, 6, 4096, n, &z1len);
        z1[z1len - (fmt == GW_ZFORMAT_GZIP ? 8 : 4)] ^= 1;
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        check_prefix(z1, z1len, &o, 0, text, n, GW_EZ_CHECKSUM,
                     z1len - (fmt == GW_ZFORMAT_GZIP ? 5 : 1));
        free(z1);
    }

    /* The reader below fails right after the last byte, in the same read:
     * a whole stream is still all delivered (STOP_AT_END then needs nothing
     * more), and a cut one delivers what its bytes decode to. */
    for (fmt = GW_ZFORMAT_GZIP; fmt <= GW_ZFORMAT_DEFLATE; fmt++) {
        gwt_result half;
        infl_cfg cfg;

        z1 = deflate_layer(seq, 1000, (gw_zformat)fmt, 6, 4096, 1000, &z1len);
        opts_default(&o);
        o.format = (gw_zformat)fmt;
        check_prefix(z1, z1len, &o, 1, seq, 1000, GW_EIO, z1len);
        o.flags = GW_INFLATE_STOP_AT_END;
        check_prefix(z1, z1len, &o, 1, seq, 1000, 0, 0);
        o.flags = 0;
        cfg_init(&cfg, (gw_zformat)fmt, 4096, 65536, 1);
        decode_mem(z1, z1len / 2, &cfg, &half);
        assert_int_equal(half.err, GW_ETRUNCATED);
        assert_true(half.len > 0);
        check_prefix(z1, z1len / 2, &o, 1, half.data, half.len, GW_EIO, z1len / 2);
        gwt_result_free(&half);
        free(z1);
    }
    free(text);
    free(gz);
    free(seq);
}

/* The same at the scale of the report (a bad CRC after megabytes held back
 * the last 55 KB): fed whole and in random pieces, every byte comes out. */
void test_error_after_good_data_large(void **state)
{
    size_t n = 4u << 20, clen, ncuts, pos, k;
    uint8_t *text = make_text(n, 29), *comp;
    size_t *cuts = malloc(sizeof(size_t) * 8192);
    uint64_t seed = 5;
    infl_cfg cfg;

    (void)state;
    assert_non_null(cuts);
    comp = deflate_layer(text, n, GW_ZFORMAT_GZIP, 1, 65536, n, &clen);
    comp[clen - 8] ^= 0x80;
    for (k = 0; k < 3; k++) {
        gwt_feed feed = {comp, clen, cuts, 0, 0, 0, 0};
        gwt_result res;

        memset(&res, 0, sizeof(res));
        ncuts = 0;
        for (pos = 0; k > 0 && ncuts < 8192;) {
            pos += 1 + gwt_rand(&seed) % (k == 1 ? 70000 : 3000);
            if (pos >= clen)
                break;
            cuts[ncuts++] = pos;
        }
        feed.ncuts = ncuts;
        cfg_init(&cfg, GW_ZFORMAT_GZIP, 65536, 131072, 1);
        cfg.pipecap = 65536;
        decode_inflate(&feed, &res, &cfg);
        expect_prefix(&res, "4 MiB, bad CRC", text, n, GW_EZ_CHECKSUM, clen - 5);
        gwt_result_free(&res);
    }
    free(cuts);
    free(comp);
    free(text);
}

/* ---- what the differential fuzzer found (fuzz/fuzz-inflate-diff.c) ------ */

/* Inputs on which the backends' verdicts differ in a way compress.h
 * documents ("Backend differences").  Each is decoded on both backends from
 * memory and at every split point. */
void test_backend_differences(void **state)
{
    /* A dynamic block (also in fuzz/corpus/inflate-diff/code-set-*): the
     * literal 'A' 1 bit, end-of-block 2 bits, no other literal or length (an
     * incomplete set: 3/4 of the code space), then AAAA and the end. */
#define INCOMPLETE_LITLEN                                                                          \
    0x05, 0xe0, 0x01, 0x09, 0x00, 0x00, 0x00, 0x80, 0x20, 0x6c, 0xf3, 0xff, 0xa9, 0x84, 0x00
    static const struct {
        gw_zformat fmt;
        uint8_t in[80];
        size_t len;
        int zlib_err, isal_err; /* the verdicts seen */
        const char *zlib_msg;   /* zlib's words */
        const char *isal_out;   /* what ISA-L delivers */
    } v[] = {
        // clang-format off
        /* 2. A dynamic block header that ISA-L refuses while zlib, short of
         * input, is still reading it. */
        {GW_ZFORMAT_DEFLATE, {0x1c, 0x00, 0x00, 0x20, 0x80, 0x05, 0x00}, 7, GW_ETRUNCATED,
         GW_EZ_DATA, NULL, ""},
        /* 1. An incomplete literal/length code: zlib refuses the header,
         * ISA-L decodes the four literals the stream uses and accepts it. */
        {GW_ZFORMAT_DEFLATE, {INCOMPLETE_LITLEN}, 15, GW_EZ_DATA, 0, "invalid literal/lengths set",
         "AAAA"},
        /* The same block as a gzip member with the right CRC-32 and
         * length: the checksum does not catch it. */
        {GW_ZFORMAT_GZIP,
         {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, INCOMPLETE_LITLEN, 0xf1, 0x08, 0x0d, 0x9b, 4, 0,
          0, 0},
         33, GW_EZ_DATA, 0, "invalid literal/lengths set", "AAAA"},
        /* An incomplete code-length code (symbols 0, 1 and 2 of 2 bits
         * each), the 258 lengths spelt out one by one. */
        {GW_ZFORMAT_DEFLATE,
         {0x05, 0xe0, 0x01, 0x08, 0x00, 0x00, 0x00, 0x80, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x24, 0x04},
         75, GW_EZ_DATA, 0, "invalid code lengths set", "AAAA"},
        // clang-format on
    };
#undef INCOMPLETE_LITLEN
    gw_inflate_backend bes[2] = {GW_INFLATE_BACKEND_ZLIB, GW_INFLATE_BACKEND_ISAL};
    size_t i, k, pass;

    (void)state;
    /* cmocka's skip() prints "not ok", which meson counts as a failure. */
    if (!gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL))
        return;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        for (k = 0; k < 2; k++) {
            for (pass = 0; pass < 2; pass++) {
                gwt_result res;
                infl_cfg cfg;
                int want = k == 0 ? v[i].zlib_err : v[i].isal_err;

                cfg_init(&cfg, v[i].fmt, 4096, 65536, 1);
                cfg.opts.backend = bes[k];
                if (pass == 0)
                    decode_mem(v[i].in, v[i].len, &cfg, &res);
                else
                    check_splits(v[i].in, v[i].len, &cfg, &res);
                if (res.err != want)
                    fail_msg("vector %zu on %s (%s): %s, expected %s", i,
                             gw_inflate_backend_name(bes[k]), pass ? "splits" : "memory",
                             gw_errname(res.err), gw_errname(want));
                if (k == 0 && v[i].zlib_msg != NULL)
                    assert_string_equal(cfg.msg, v[i].zlib_msg);
                else if (want == 0)
                    expect_prefix(&res, "ISA-L", (const uint8_t *)v[i].isal_out,
                                  strlen(v[i].isal_out), 0, 0);
                gwt_result_free(&res);
            }
        }
    }
}

/* How far behind zlib ISA-L may stop on a truncated stream (compress.h,
 * "Backend differences", GW_ETRUNCATED): its output at a cut is never less
 * than zlib's at a cut this many bytes earlier (its 64-bit bit buffer).
 * libisal 2.30 stays within 3 on the streams below. */
#define ISAL_TRUNC_BACK 8

/* A stream cut inside its deflate data, at every third byte: GW_ETRUNCATED
 * at the end of input on both backends, ISA-L (over memory and through a
 * pipe) delivering a prefix of zlib's bytes and, at some cuts, fewer of them
 * (compress.h, "Backend differences"), but never fewer than zlib delivers
 * from the input cut ISAL_TRUNC_BACK bytes earlier.  Two inputs: text made
 * mostly of literals, and runs that deflate codes as long matches, where a
 * few bits stand for up to 258 bytes. */
void test_backend_truncation(void **state)
{
    size_t n, k, clen, cut, shorter[2] = {0, 0}, cuts = 0, pass, input;
    uint8_t *plain = malloc(20000), *comp;
    uint64_t rnd = 14;

    (void)state;
    assert_non_null(plain);
    if (!gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL)) {
        free(plain);
        return; /* not skip(): see test_backend_differences */
    }
    for (input = 0; input < 2; input++) {
        n = 0;
        if (input == 0) {
            for (k = 1; n < 19980; k++) /* seq 1 3999: mostly literals */
                n += (size_t)sprintf((char *)plain + n, "%zu\n", k);
        } else {
            for (; n < 19980; n++) /* runs of 600 to 1599 bytes, then 3 random */
                plain[n] = n % 1600 < 600 + 1000 * (n / 1600 % 2) ? (uint8_t)('a' + n / 1600 % 3)
                                                                  : (uint8_t)gwt_rand(&rnd);
        }
        comp = deflate_layer(plain, n, GW_ZFORMAT_GZIP, 6, 65536, n, &clen);
        for (cut = 20; cut + 8 < clen; cut += gwt_sampling() ? 97 : 3) {
            gwt_result zres, zback, ires;
            infl_cfg cfg;

            cfg_init(&cfg, GW_ZFORMAT_GZIP, 4096, 65536, 1);
            cfg.opts.backend = GW_INFLATE_BACKEND_ZLIB;
            decode_mem(comp, cut, &cfg, &zres);
            expect_prefix(&zres, "zlib", plain, zres.len, GW_ETRUNCATED, cut);
            decode_mem(comp, cut - ISAL_TRUNC_BACK, &cfg, &zback);
            cfg.opts.backend = GW_INFLATE_BACKEND_ISAL;
            for (pass = 0; pass < 2; pass++) {
                if (pass == 0) {
                    decode_mem(comp, cut, &cfg, &ires);
                } else {
                    gwt_feed feed = {comp, cut, NULL, 0, 0, 0, 0};
                    decode_inflate(&feed, &ires, &cfg);
                }
                expect_prefix(&ires, "ISA-L", plain, ires.len, GW_ETRUNCATED, cut);
                assert_true(ires.len <= zres.len);
                if (ires.len < zback.len)
                    fail_msg("input %zu cut %zu: ISA-L gave %zu bytes, zlib %zu, and %zu from "
                             "%d bytes less",
                             input, cut, ires.len, zres.len, zback.len, ISAL_TRUNC_BACK);
                shorter[pass] += ires.len < zres.len;
                gwt_result_free(&ires);
            }
            cuts++;
            gwt_result_free(&zres);
            gwt_result_free(&zback);
        }
        free(comp);
    }
    /* The difference is real (the fuzz finding,
     * fuzz/corpus/inflate-diff/truncated-shorter, was one): seen here over
     * memory, where ISA-L gets the input in one piece, and not when it
     * comes through the 64-byte pipe. */
    assert_true(shorter[0] > 0 && shorter[0] < cuts);
    free(plain);
}

/* ---- decompression bombs ------------------------------------------------- */

void test_bomb(void **state)
{
    size_t n = 1u << 20, clen, i;
    uint8_t *zeros = calloc(n, 1), *comp;
    gwt_result res;
    infl_cfg cfg;

    (void)state;
    assert_non_null(zeros);
    comp = deflate_layer(zeros, n, GW_ZFORMAT_ZLIB, 9, 65536, n, &clen);
    assert_true(clen < n / 1000);

    /* The default ratio, 1032:1, lets the best deflate can do through. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 4096, 65536, 1);
    decode_mem(comp, clen, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, n);
    gwt_result_free(&res);

    /* A cap stops it: exactly the cap is delivered, not a byte more. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 16, 1000, 1);
    cfg.opts.max_output = 20000;
    check_splits(comp, clen, &cfg, &res);
    assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
    assert_int_equal(res.len, 20000);
    for (i = 0; i < res.len; i++)
        assert_int_equal(res.data[i], 0);
    assert_true(res.off < clen);
    gwt_result_free(&res);
    cfg.readsize = 65536;
    cfg.bufcap = 4096;
    check_splits(comp, clen, &cfg, &res);
    assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
    assert_int_equal(res.len, 20000);
    gwt_result_free(&res);

    /* A cap of exactly the size lets it through; one less does not. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 4096, 65536, 1);
    cfg.opts.max_output = n;
    decode_mem(comp, clen, &cfg, &res);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, n);
    gwt_result_free(&res);
    cfg.opts.max_output = n - 1;
    decode_mem(comp, clen, &cfg, &res);
    assert_int_equal(res.err, GW_EOUTPUT_LIMIT);
    assert_int_equal(res.len, n - 1);
    gwt_result_free(&res);

    /* A tighter ratio stops it too, with its own error. */
    cfg_init(&cfg, GW_ZFORMAT_ZLIB, 16, 1000, 1);
    cfg.opts.max_ratio = 100;
    check_splits(comp, clen, &cfg, &res);
    assert_int_equal(res.err, GW_ERATIO_LIMIT);
    if (backend == GW_INFLATE_BACKEND_ZLIB) { /* normalised away on ISA-L */
        assert_true(res.len > 0);
        assert_true(res.len <= 100 * res.off);
    }
    gwt_result_free(&res);
    free(comp);
    free(zeros);
}

/* Zero in gw_inflate_opts' limits is the default, as io.h's rule says, and
 * GW_UNLIMITED switches a limit off (issue 9, section 2): the options in
 * force show it, and the 1 MiB bomb, which a literal 0 would stop at its
 * first byte, decodes whole under both. */
void test_zero_means_default(void **state)
{
    static const struct {
        uint64_t max_output, want_output;
        uint32_t max_ratio, want_ratio;
    } cases[] = {
        {0, GW_INFLATE_DEFAULT_MAX_OUTPUT, 0, GW_INFLATE_DEFAULT_MAX_RATIO},
        {GW_UNLIMITED, GW_UNLIMITED, (uint32_t)GW_UNLIMITED, (uint32_t)GW_UNLIMITED},
    };
    size_t n = 1u << 20, clen, i;
    uint8_t *zeros = calloc(n, 1), *comp;
    gw_bufreader br;
    gw_inflate z;
    gwt_result res;
    infl_cfg cfg;

    (void)state;
    assert_non_null(zeros);
    comp = deflate_layer(zeros, n, GW_ZFORMAT_ZLIB, 9, 65536, n, &clen);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg_init(&cfg, GW_ZFORMAT_ZLIB, 4096, 65536, 1);
        cfg.opts.max_output = cases[i].max_output;
        cfg.opts.max_ratio = cases[i].max_ratio;
        /* The options in force. */
        gw_bufreader_init_mem(&br, comp, clen);
        assert_int_equal(gw_inflate_init(&z, &br, &cfg.opts), 0);
        assert_true(z.opts.max_output == cases[i].want_output);
        assert_true(z.opts.max_ratio == cases[i].want_ratio);
        gw_inflate_fini(&z);
        /* The bomb decodes whole. */
        decode_mem(comp, clen, &cfg, &res);
        assert_int_equal(res.err, 0);
        assert_int_equal(res.len, n);
        gwt_result_free(&res);
    }
    free(comp);
    free(zeros);
}
