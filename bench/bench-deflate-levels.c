/*
 * Benchmark: compression speed and ratio of zlib's deflate at levels 1 to 9
 * against ISA-L's isal_deflate at its levels 0 to 3, on the same data in one
 * run, to decide where ISA-L is worth exposing as an encoder.  The data are
 * two of the bench corpora: generated web-server log lines (as in
 * bench-inflate) and the C headers of /usr/include (as in bench-cli), up to
 * MIB MiB each.  Each figure is the best of ROUNDS, in thread CPU time;
 * every stream is decoded back with zlib and compared before it counts.
 *
 * Usage: bench-deflate-levels [MIB] [ROUNDS]   (defaults: 16 MiB, 3 rounds)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

#include <isa-l/igzip_lib.h>
#include <zlib.h>

/* Log lines like a web server's, n bytes. */
static uint8_t *make_logs(size_t n)
{
    static const char *const paths[] = {
        "/",      "/index.html",         "/api/v1/users", "/static/app.js", "/images/logo.png",
        "/login", "/search?q=generators"};
    static const char *const agents[] = {"Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1",
                                         "Wget/1.21", "python-requests/2.28"};
    uint8_t *p = malloc(n + 256);
    uint64_t s = 42;
    size_t i = 0;

    if (p == NULL)
        bench_die("bench-deflate-levels", "out of memory");
    while (i < n) {
        i += (size_t)snprintf((char *)p + i, 256,
                              "10.%u.%u.%u - - [01/Dec/2026:%02u:%02u:%02u +0000] \"GET %s "
                              "HTTP/1.1\" %u %u \"-\" \"%s\"\n",
                              (unsigned)(bench_rnd(&s) % 256), (unsigned)(bench_rnd(&s) % 256),
                              (unsigned)(bench_rnd(&s) % 256), (unsigned)(bench_rnd(&s) % 24),
                              (unsigned)(bench_rnd(&s) % 60), (unsigned)(bench_rnd(&s) % 60),
                              paths[bench_rnd(&s) % 7], bench_rnd(&s) % 5 ? 200u : 404u,
                              (unsigned)(bench_rnd(&s) % 50000), agents[bench_rnd(&s) % 4]);
    }
    return p;
}

/* The C headers under /usr/include, concatenated, up to n bytes. */
static uint8_t *read_headers(size_t n, size_t *got)
{
    char cmd[256];
    uint8_t *p = malloc(n);
    FILE *f;

    if (p == NULL)
        bench_die("bench-deflate-levels", "out of memory");
    snprintf(cmd, sizeof(cmd),
             "find /usr/include -name '*.h' -type f | sort | xargs cat 2>/dev/null");
    if ((f = popen(cmd, "r")) == NULL)
        bench_die("bench-deflate-levels", "popen");
    *got = fread(p, 1, n, f);
    pclose(f);
    return p;
}

static uint8_t *out, *back;
static size_t outcap;

static size_t zlib_deflate(const uint8_t *in, size_t len, int level)
{
    uLongf n = outcap;

    if (compress2(out, &n, in, (uLong)len, level) != Z_OK)
        bench_die("bench-deflate-levels", "compress2");
    return n;
}

static size_t isal_deflate_all(const uint8_t *in, size_t len, int level)
{
    static uint8_t *lbuf;
    static const uint32_t lsize[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                     ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
    struct isal_zstream st;

    if (lbuf == NULL && (lbuf = malloc(ISAL_DEF_LVL3_DEFAULT)) == NULL)
        bench_die("bench-deflate-levels", "out of memory");
    isal_deflate_init(&st);
    st.level = (uint32_t)level;
    st.level_buf = lbuf;
    st.level_buf_size = lsize[level];
    st.gzip_flag = IGZIP_ZLIB;
    st.end_of_stream = 1;
    st.flush = NO_FLUSH;
    st.next_in = (uint8_t *)(uintptr_t)in;
    st.avail_in = (uint32_t)len;
    st.next_out = out;
    st.avail_out = (uint32_t)outcap;
    if (isal_deflate(&st) != COMP_OK || st.internal_state.state != ZSTATE_END)
        bench_die("bench-deflate-levels", "isal_deflate");
    return st.total_out;
}

/* One row: best time of `rounds`, checked by decoding with zlib. */
static void row(const char *lib, int level, size_t (*fn)(const uint8_t *, size_t, int),
                const uint8_t *in, size_t len, int rounds, double zlib6)
{
    double best = 1e9, t;
    size_t clen = 0;
    uLongf blen = len;
    int i;

    for (i = 0; i < rounds; i++) {
        t = bench_cpu_s();
        clen = fn(in, len, level);
        t = bench_cpu_s() - t;
        if (t < best)
            best = t;
    }
    if (uncompress(back, &blen, out, clen) != Z_OK || blen != len || memcmp(back, in, len) != 0)
        bench_die("bench-deflate-levels", "a stream does not decode back");
    printf("| %s %d | %.0f MB/s | %.2f:1 | %.2fx |\n", lib, level, (double)len / best / 1e6,
           (double)len / (double)clen, zlib6 > 0 ? zlib6 / best : 1.0);
}

static void corpus(const char *name, const uint8_t *in, size_t len, int rounds)
{
    double t, zlib6 = 1e9;
    int level, i;

    for (i = 0; i < rounds; i++) {
        t = bench_cpu_s();
        zlib_deflate(in, len, 6);
        t = bench_cpu_s() - t;
        if (t < zlib6)
            zlib6 = t;
    }
    printf("\n%s, %.1f MiB (speed vs zlib 6 in the last column)\n\n", name,
           (double)len / (1 << 20));
    printf("| encoder | speed | ratio | vs zlib 6 |\n|---|---:|---:|---:|\n");
    for (level = 1; level <= 9; level++)
        row("zlib", level, zlib_deflate, in, len, rounds, zlib6);
    for (level = 0; level <= 3; level++)
        row("isal", level, isal_deflate_all, in, len, rounds, zlib6);
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 16, n, hlen;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    uint8_t *logs, *hdrs;

    if (mib == 0 || rounds <= 0)
        bench_die("bench-deflate-levels", "usage: bench-deflate-levels [MIB] [ROUNDS]");
    n = mib << 20;
    outcap = compressBound((uLong)n) + 65536;
    out = malloc(outcap);
    back = malloc(n);
    if (out == NULL || back == NULL)
        bench_die("bench-deflate-levels", "out of memory");
    logs = make_logs(n);
    corpus("web-server log lines", logs, n, rounds);
    hdrs = read_headers(n, &hlen);
    if (hlen > 0)
        corpus("C headers from /usr/include", hdrs, hlen, rounds);
    free(logs);
    free(hdrs);
    free(out);
    free(back);
    return 0;
}
