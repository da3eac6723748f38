/*
 * Baseline for the command-line benchmark (bench/bench-cli): the time that
 * raw library loops take for the work of `genwire decode
 * secretstream,gzip,u32be`: a libsodium crypto_secretstream pull loop over
 * the wire file, then a zlib inflate() loop over the gzip stream it yields,
 * each over data already in memory (the output of inflate is discarded, as
 * the command's goes to /dev/null).  Where ISA-L is built in, also an
 * isal_inflate() loop over the same gzip stream.  Prints the seconds of each
 * loop and the sums (libsodium + zlib; libsodium + ISA-L), best of 3 rounds,
 * in wall time and, on a second line starting "cpu", in thread CPU time
 * (what bench-cli compares with genwire's user + system time when the
 * machine is shared).  The loops read the wire file from memory, loaded
 * before their clocks start; for what that leaves out, a last loop times
 * read(2) of the same file from the page cache in 256 KiB reads (as
 * genwire's first layer reads standard input), printed on its own and in
 * no sum.  It reads into a page-aligned buffer: on this machine's AMD EPYC
 * the kernel's copy is about 4x slower when the destination lies 1 to 31
 * bytes past the source modulo 4096, as it would into malloc's large blocks
 * (16 bytes past a page) from a file's page-aligned offsets; genwire's
 * bufreader lands there only until its first compaction.  ROUNDS (default
 * 3) sets the number of rounds: bench-cli runs one round at a time,
 * interleaved with genwire.  The plaintext buffer's pages are touched before
 * the first round, so that one round does not time the kernel's first-touch
 * faults into the libsodium loop.  A fourth argument `nozlib` leaves the
 * zlib loop out (where ISA-L is built in): its line and sum are then not
 * printed, and a round costs about half the time.
 *
 * Usage: bench-stack KEYFILE WIREFILE [ROUNDS [nozlib]]
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign, read */

#include <sodium.h>
#include <zlib.h>
#if GW_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <genwire/exec.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-util.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        perror(path);
        exit(1);
    }
    rewind(f);
    p = malloc((size_t)n + 1);
    if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

int main(int argc, char **argv)
{
    crypto_secretstream_xchacha20poly1305_state st;
    uint8_t key[32], *wire, *plain, *out;
    size_t wlen, plen = 0, klen, i;
    double best[4] = {1e30, 1e30, 1e30, 1e30}; /* libsodium, zlib, ISA-L, read(2): wall */
    double cpu[4] = {1e30, 1e30, 1e30, 1e30};  /* the same in thread CPU time */
    char *khex;
    void *rbuf; /* the read(2) loop's buffer, page-aligned */
    int r, rounds = argc >= 4 ? atoi(argv[3]) : 3;
    int zlib = argc < 5; /* time the zlib loop */

    if (argc < 3 || argc > 5 || rounds < 1 || (argc == 5 && strcmp(argv[4], "nozlib") != 0) ||
        (!zlib && !GW_HAVE_ISAL) || sodium_init() < 0) {
        fprintf(stderr, "usage: bench-stack KEYFILE WIREFILE [ROUNDS [nozlib]] (nozlib only "
                        "where ISA-L is built in)\n");
        return 2;
    }
    khex = (char *)slurp(argv[1], &klen);
    for (i = 0; i < 32; i++)
        sscanf(khex + 2 * i, "%2hhx", &key[i]);
    wire = slurp(argv[2], &wlen);
    plain = malloc(wlen);
    out = malloc(1 << 20);
    if (plain == NULL || out == NULL || posix_memalign(&rbuf, 4096, 256u << 10) != 0) {
        fprintf(stderr, "bench-stack: out of memory\n");
        return 1;
    }
    memset(plain, 0, wlen);
    memset(out, 0, 1 << 20);
    for (r = 0; r < rounds; r++) {
        size_t pos = 24;
        int64_t t0 = gw_now(), t1, t2;
        double c0 = bench_cpu_s(), c1, c2;
        z_stream zs;
        unsigned char tag = 0;

        plen = 0;
        crypto_secretstream_xchacha20poly1305_init_pull(&st, wire, key);
        while (pos + 4 <= wlen && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
            uint32_t n = (uint32_t)wire[pos] << 24 | (uint32_t)wire[pos + 1] << 16 |
                         (uint32_t)wire[pos + 2] << 8 | wire[pos + 3];
            unsigned long long m;
            if (crypto_secretstream_xchacha20poly1305_pull(&st, plain + plen, &m, &tag,
                                                           wire + pos + 4, n, NULL, 0) != 0) {
                fprintf(stderr, "bench-stack: bad message\n");
                return 1;
            }
            plen += (size_t)m;
            pos += 4 + n;
        }
        t1 = gw_now();
        c1 = bench_cpu_s();
        if (zlib) {
            memset(&zs, 0, sizeof(zs));
            inflateInit2(&zs, 15 + 16);
            zs.next_in = plain;
            zs.avail_in = (uInt)plen;
            do {
                zs.next_out = out;
                zs.avail_out = 1 << 20;
                if (inflate(&zs, Z_NO_FLUSH) < 0) {
                    fprintf(stderr, "bench-stack: bad gzip\n");
                    return 1;
                }
            } while (zs.avail_out == 0);
            inflateEnd(&zs);
        }
        t2 = gw_now();
        c2 = bench_cpu_s();
        if (c1 - c0 < cpu[0])
            cpu[0] = c1 - c0;
        if (c2 - c1 < cpu[1])
            cpu[1] = c2 - c1;
        if ((double)(t1 - t0) / 1e9 < best[0])
            best[0] = (double)(t1 - t0) / 1e9;
        if ((double)(t2 - t1) / 1e9 < best[1])
            best[1] = (double)(t2 - t1) / 1e9;
#if GW_HAVE_ISAL
        {
            static struct inflate_state is;
            isal_inflate_init(&is);
            is.crc_flag = ISAL_GZIP;
            is.next_in = plain;
            is.avail_in = (uint32_t)plen;
            do {
                is.next_out = out;
                is.avail_out = 1 << 20;
                if (isal_inflate(&is) != ISAL_DECOMP_OK) {
                    fprintf(stderr, "bench-stack: bad gzip (isal)\n");
                    return 1;
                }
            } while (is.block_state != ISAL_BLOCK_FINISH);
            t1 = gw_now();
            c1 = bench_cpu_s();
            if ((double)(t1 - t2) / 1e9 < best[2])
                best[2] = (double)(t1 - t2) / 1e9;
            if (c1 - c2 < cpu[2])
                cpu[2] = c1 - c2;
        }
#endif
        {
            int fd = open(argv[2], O_RDONLY);
            ssize_t got = 0;
            t1 = gw_now();
            c1 = bench_cpu_s();
            if (fd < 0) {
                perror(argv[2]);
                return 1;
            }
            while ((got = read(fd, rbuf, 256u << 10)) > 0)
                ;
            close(fd);
            t2 = gw_now();
            c2 = bench_cpu_s();
            if (got < 0) {
                perror(argv[2]);
                return 1;
            }
            if ((double)(t2 - t1) / 1e9 < best[3])
                best[3] = (double)(t2 - t1) / 1e9;
            if (c2 - c1 < cpu[3])
                cpu[3] = c2 - c1;
        }
    }
    if (zlib)
        printf("raw libsodium pull %.3f s, raw zlib inflate %.3f s, sum %.3f s\n", best[0], best[1],
               best[0] + best[1]);
    else
        printf("raw libsodium pull %.3f s\n", best[0]);
#if GW_HAVE_ISAL
    printf("raw isal inflate %.3f s, sum-isal %.3f s\n", best[2], best[0] + best[2]);
#endif
    if (zlib)
        printf("cpu libsodium %.3f zlib %.3f isal %.3f sum %.3f sum-isal %.3f\n", cpu[0], cpu[1],
               cpu[2], cpu[0] + cpu[1], cpu[0] + cpu[2]);
    else
        printf("cpu libsodium %.3f isal %.3f sum-isal %.3f\n", cpu[0], cpu[2], cpu[0] + cpu[2]);
    printf("read(2) of the wire file %.3f s, cpu %.3f s (in no sum)\n", best[3], cpu[3]);
    free(rbuf);
    free(out);
    free(plain);
    free(wire);
    free(khex);
    return 0;
}
