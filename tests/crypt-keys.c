/*
 * The crypt suite's cases around the layers: no allocation in the steady
 * state, an fd source, key files, interoperation with an independent peer
 * (tests/crypt_peer.py, PyNaCl) and the fuzz seeds (GW_CRYPT_CORPUS=DIR).
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
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <genwire/alloc.h>
#include <genwire/crypt.h>
#include <genwire/io.h>

#include "gwt.h"

#define HDR GW_CRYPT_HEADER_BYTES
#define MIB (1u << 20)
#include "test-crypt.h"

/* ---- no copies, no allocations in the steady state --------------------- */

static size_t n_allocs;

static void *count_malloc(size_t n, void *ud)
{
    (void)ud;
    n_allocs++;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    n_allocs++;
    return realloc(p, n);
}

static void count_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

void test_steady_state(void **state)
{
    static const gw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    gw_key *k = key_filled(80);
    size_t len = 200000, clen;
    uint8_t *data = malloc(len), *c, *out = malloc(len);
    uint8_t buf[8192];
    gw_bufreader br;
    gw_decrypt d;
    gw_io_op *op;
    size_t got = 0;
    gw_crypt_options o = {1000};
    enc_ctx e;

    (void)state;
    assert_non_null(data);
    assert_non_null(out);
    fill_random(data, len, 80);
    /* Encrypting: all buffers at init. */
    gw_set_allocator(&counting);
    enc_open(&e, k, 1000, 64 + 2 * len);
    n_allocs = 0;
    enc_write(&e, data, 777);
    enc_write(&e, data + 777, len - 777);
    assert_int_equal(n_allocs, 0);
    gw_set_allocator(NULL);
    c = enc_finish(&e, &clen);

    /* Decrypting over memory with reads larger than a message: in place,
     * straight into the caller's buffer, no allocation after init. */
    gw_set_allocator(&counting);
    gw_bufreader_init_mem(&br, c, clen);
    assert_int_equal(gw_decrypt_init(&d, &br, k, &o), 0);
    n_allocs = 0;
    for (;;) {
        op = gw_try_read(&d.r, buf, sizeof(buf), 1);
        gwt_run_op(op);
        assert_int_equal(op->ret, 0);
        if (op->n == 0)
            break;
        memcpy(out + got, buf, op->n);
        got += op->n;
    }
    assert_int_equal(n_allocs, 0);
    assert_null(d._pbuf);
    assert_null(d._cbuf);
    assert_int_equal(got, len);
    assert_memory_equal(out, data, len);
    gw_decrypt_fini(&d);
    gw_set_allocator(NULL);
    free(c);
    free(out);
    free(data);
    gw_key_free(k);
}

/* Over an fd: a pipe cut short is GW_ETRUNCATED; a source that fails
 * (a directory: EISDIR) gives its own error, sticky, at its offset. */
void test_fd_source(void **state)
{
    fixture f;
    gw_fdio io;
    gw_bufreader br;
    gw_decrypt d;
    uint8_t buf[64];
    gw_io_op *op;
    int fds[2], fd;

    (void)state;
    fixture_make(&f, 90);
    fd = open("/", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(gw_fdio_init(&io, fd, GW_FDIO_OWN), 0);
    assert_int_equal(gw_bufreader_init(&br, &io.r, 64), 0);
    assert_int_equal(gw_decrypt_init(&d, &br, f.k, NULL), 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EIO);
    assert_int_equal(d.r.err, GW_EIO);
    assert_int_equal(d.r.err_off, 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_EIO);
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_fdio_fini(&io);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], f.c, 30), 30);
    close(fds[1]);
    assert_int_equal(gw_fdio_init(&io, fds[0], GW_FDIO_OWN), 0);
    assert_int_equal(gw_bufreader_init(&br, &io.r, 64), 0);
    assert_int_equal(gw_decrypt_init(&d, &br, f.k, NULL), 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    assert_int_equal(op->ret, GW_ETRUNCATED);
    assert_int_equal(d.r.err_off, HDR);
    gw_decrypt_fini(&d);
    gw_bufreader_fini(&br);
    gw_fdio_fini(&io);
    fixture_free(&f);
}

/* ---- keys -------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/gw-crypt-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *name, const void *p, size_t n, mode_t mode, char *path)
{
    int fd;

    snprintf(path, 256, "%s/%s", tmpdir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static const char good_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";

/* Encrypts with the key `a` and decrypts with `b`: 0 if they are the same. */
static int same_key(const gw_key *a, const gw_key *b)
{
    size_t lens[1] = {5}, clen;
    uint8_t *c = encrypt_pieces(a, (const uint8_t *)"hello", lens, 1, &clen);
    gw_bufreader br;
    gw_decrypt d;
    uint8_t buf[16];
    gw_io_op *op;
    int ret;

    gw_bufreader_init_mem(&br, c, clen);
    assert_int_equal(gw_decrypt_init(&d, &br, b, NULL), 0);
    op = gw_try_read(&d.r, buf, sizeof(buf), 1);
    gwt_run_op(op);
    ret = op->ret;
    gw_decrypt_fini(&d);
    free(c);
    return ret;
}

void test_key_files(void **state)
{
    char path[256], text[80];
    uint8_t bytes[GW_KEY_BYTES];
    gw_key *k = NULL, *ref = NULL;
    struct stat st;
    size_t i;

    (void)state;
    make_tmpdir();
    for (i = 0; i < GW_KEY_BYTES; i++)
        bytes[i] = (uint8_t)i;
    assert_int_equal(gw_key_from_bytes(&ref, bytes, sizeof(bytes)), 0);

    /* Good: with a newline, without, with CR LF; mixed case digits. */
    snprintf(text, sizeof(text), "%s\n", good_hex);
    write_file("good", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    write_file("nonl", good_hex, 64, 0400, path);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    snprintf(text, sizeof(text), "%s\r\n", good_hex);
    write_file("crlf", text, 66, 0600, path);
    assert_int_equal(gw_key_load(&k, path), 0);
    gw_key_free(k);

    /* Readable (or writable) by group or others: refused, before reading. */
    k = NULL;
    snprintf(text, sizeof(text), "%s\n", good_hex);
    write_file("group", text, 65, 0640, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_PERMS);
    write_file("other", text, 65, 0604, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_PERMS);
    write_file("groupw", text, 65, 0620, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_PERMS);
    assert_null(k);

    /* Malformed. */
    memcpy(text, good_hex, 64);
    text[10] = 'g';
    text[64] = '\n';
    write_file("badhex", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    write_file("short", good_hex, 62, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    write_file("odd", good_hex, 63, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), "%s00\n", good_hex);
    write_file("long", text, 67, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), "%s\n\n", good_hex);
    write_file("twonl", text, 66, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), "%s ", good_hex);
    write_file("space", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    snprintf(text, sizeof(text), " %s", good_hex);
    write_file("lead", text, 65, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    write_file("empty", "", 0, 0600, path);
    assert_int_equal(gw_key_load(&k, path), GW_EKEY_FORMAT);
    assert_null(k);
    assert_int_equal(gw_key_load(&k, tmpdir), GW_EKEY_FORMAT); /* a directory */
    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    assert_int_equal(gw_key_load(&k, path), GW_EIO);
    assert_int_equal(errno, ENOENT);
    assert_null(k);

    /* From memory. */
    assert_int_equal(gw_key_from_hex(&k, good_hex, 64), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    k = NULL;
    assert_int_equal(gw_key_from_bytes(&k, bytes, 31), GW_EINVAL);
    assert_int_equal(gw_key_from_hex(&k, "00", 2), GW_EKEY_FORMAT);
    assert_null(k);
    gw_key_free(NULL);

    /* Generation: mode 0600, loads back, never overwrites. */
    snprintf(path, sizeof(path), "%s/new.key", tmpdir);
    assert_int_equal(gw_keygen_file(path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_not_equal(same_key(ref, k), 0);
    assert_int_equal(gw_keygen_file(path), GW_EIO);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(gw_key_save(ref, path), GW_EIO);
    {
        gw_key *again = NULL;
        assert_int_equal(gw_key_load(&again, path), 0);
        assert_int_equal(same_key(k, again), 0); /* unchanged */
        gw_key_free(again);
    }
    gw_key_free(k);
    /* Saved and loaded: the same key. */
    snprintf(path, sizeof(path), "%s/ref.key", tmpdir);
    assert_int_equal(gw_key_save(ref, path), 0);
    assert_int_equal(gw_key_load(&k, path), 0);
    assert_int_equal(same_key(ref, k), 0);
    gw_key_free(k);
    gw_key_free(ref);
    rm_tmpdir();
}

/* ---- interoperation with an independent peer -------------------------- */

static int run_peer(const char *mode, const char *key, const char *in, const char *out,
                    const char *seed)
{
    const char *src = getenv("GW_SOURCE_DIR");
    char script[512], cmd[2048];
    int rc;

    assert_non_null(src);
    snprintf(script, sizeof(script), "%s/tests/crypt_peer.py", src);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' %s '%s' '%s' '%s' %s", script, mode, key, in,
             out, seed != NULL ? seed : "");
    rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

void test_interop(void **state)
{
    char kpath[256], ppath[256], cpath[256], opath[256], text[80];
    size_t sizes[] = {0, 1, 1000, 150000}, i, clen, olen;
    uint8_t *data, *c, *o;
    gw_key *k;

    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import nacl.bindings' >/dev/null 2>&1") != 0)
        gwt_skip("no /usr/bin/python3 with PyNaCl (Debian's python3-nacl) to run the peer");
    data = malloc(150000);
    make_tmpdir();
    snprintf(text, sizeof(text), "%s\n", good_hex);
    write_file("peer.key", text, 65, 0600, kpath);
    assert_int_equal(gw_key_load(&k, kpath), 0);
    assert_non_null(data);
    snprintf(cpath, sizeof(cpath), "%s/stream", tmpdir);
    snprintf(opath, sizeof(opath), "%s/out", tmpdir);
    for (i = 0; i < 4; i++) {
        char seed[16];
        fill_random(data, sizes[i], 100 + i);
        write_file("plain", data, sizes[i], 0600, ppath);

        /* The peer encrypts, genwire decrypts. */
        snprintf(seed, sizeof(seed), "%zu", i + 1);
        assert_int_equal(run_peer("encrypt", kpath, ppath, cpath, seed), 0);
        c = read_all(cpath, &clen);
        if (clen <= 4000) {
            expect_decrypt(c, clen, k, data, sizes[i], 0, 0);
        } else {
            dparams dp = {k, 4096, 1000, 1, 0};
            expect_decrypt_large(c, clen, &dp, data, sizes[i], 0, 0);
        }
        free(c);

        /* genwire encrypts, the peer decrypts. */
        c = encrypt_random(k, i == 3 ? 0 : 100, data, sizes[i], 200 + i, &clen);
        write_file("stream", c, clen, 0600, cpath);
        assert_int_equal(run_peer("decrypt", kpath, cpath, opath, NULL), 0);
        o = read_all(opath, &olen);
        assert_int_equal(olen, sizes[i]);
        if (olen > 0)
            assert_memory_equal(o, data, olen);
        free(o);
        /* ... and refuses it damaged. */
        if (clen > HDR + 8) {
            c[clen - 3] ^= 4;
            write_file("stream", c, clen, 0600, cpath);
            assert_int_equal(run_peer("decrypt", kpath, cpath, opath, NULL), 1);
        }
        free(c);
    }
    gw_key_free(k);
    free(data);
    rm_tmpdir();
}

/* ---- fuzz seeds -------------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const uint8_t *opts, size_t nopts,
                       const uint8_t *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(opts, 1, nopts, f), nopts);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Writes the seed corpora when GW_CRYPT_CORPUS names a directory (with
 * subdirectories decrypt/ and crypt-roundtrip/); otherwise checks that the
 * streams it would write decrypt. */
void test_fuzz_seeds(void **state)
{
    const char *dir = getenv("GW_CRYPT_CORPUS");
    char sub[512];
    gw_key *k;
    uint8_t data[3000], *c;
    size_t clen, i;
    /* fuzz-decrypt options: bufreader cap, feed seed, piece size, read shape. */
    static const uint8_t dopts[][4] = {{0, 0, 0, 0}, {3, 7, 5, 1}, {200, 1, 0, 2}, {17, 9, 31, 3}};
    static const size_t dsizes[] = {0, 5, 100, 2500};
    static const size_t msizes[] = {0, 1, 16, 700};
    /* fuzz-crypt-roundtrip: options (key byte, message size, feed seed,
     * piece size, read shape), then the script (see the harness). */
    static const char s0[] = "\x01\x10\x00\x00\x00hello world";
    static const char s1[] = "\x02\x03\x05\x07\x01\x80"
                             "abcdefgh\x81\x82"
                             "ijklmnopqrstuvwxyz\x83"
                             "0123456789";
    static const char s2[] = "\x03\x00\x09\x1f\x02"
                             "a long line of text that goes on for a while, then a flush\x80"
                             "and more\x82\x82\x81";
    static const struct {
        const char *p;
        size_t n;
    } script[] = {{s0, sizeof(s0) - 1}, {s1, sizeof(s1) - 1}, {s2, sizeof(s2) - 1}};

    (void)state;
    assert_int_equal(gw_key_from_bytes(&k, fuzz_key, sizeof(fuzz_key)), 0);
    if (dir != NULL) {
        snprintf(sub, sizeof(sub), "%s/crypt-roundtrip", dir);
        for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
            char name[32];
            snprintf(name, sizeof(name), "script-%zu", i);
            write_seed(sub, name, (const uint8_t *)script[i].p, script[i].n, NULL, 0);
        }
        snprintf(sub, sizeof(sub), "%s/decrypt", dir);
    }
    for (i = 0; i < 4; i++) {
        fill_random(data, dsizes[i], 500 + i);
        c = encrypt_random(k, msizes[i], data, dsizes[i], 600 + i, &clen);
        expect_decrypt_n(c, clen, k, 0, 1, data, dsizes[i], 0, 0);
        if (dir != NULL) {
            char name[32];
            snprintf(name, sizeof(name), "stream-%zu", i);
            write_seed(sub, name, dopts[i], 4, c, clen);
            if (i == 3) {
                /* Under a 64-byte message limit, read in full 6-byte reads. */
                static const uint8_t lim[4] = {5, 3, 9, 0xc5};
                write_seed(sub, "stream-3-limit", lim, 4, c, clen);
            }
            if (i == 2) {
                /* The same stream damaged: a bit, a cut, a byte after. */
                c[clen / 2] ^= 1;
                write_seed(sub, "stream-2-bit", dopts[i], 4, c, clen);
                c[clen / 2] ^= 1;
                write_seed(sub, "stream-2-cut", dopts[i], 4, c, clen - 5);
                write_seed(sub, "stream-2-after", dopts[i], 4, c, clen);
                {
                    char path[600];
                    FILE *f;
                    snprintf(path, sizeof(path), "%s/stream-2-after", sub);
                    f = fopen(path, "ab");
                    assert_non_null(f);
                    fputc('!', f);
                    fclose(f);
                }
            }
        }
        free(c);
    }
    gw_key_free(k);
}
