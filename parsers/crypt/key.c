/*
 * Keys for the secretstream layers (gw_key in include/genwire/crypt.h):
 * made from bytes, from the hex text of a key file, from a key file on disk
 * (refused when group or others may read it), or at random; saved to a new
 * file with mode 0600 that never replaces an existing one.  The 32 key bytes
 * live in sodium_malloc'd memory, read-only between uses, and are wiped
 * before it is freed.  Nothing here encrypts.
 */
#define _POSIX_C_SOURCE 200809L

#include "genwire/crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define HEX_DIGITS  (2 * GW_KEY_BYTES)
#define KEYFILE_MAX (HEX_DIGITS + 2) /* the digits and "\r\n" */

struct gw_key {
    uint8_t bytes[GW_KEY_BYTES]; /* the key material */
};

/* A new writable key, not yet filled in. */
static int key_alloc(gw_key **out)
{
    gw_key *k;

    if (sodium_init() < 0)
        return GW_ELIBRARY;
    k = sodium_malloc(sizeof(*k));
    if (k == NULL)
        return GW_ENOMEM;
    *out = k;
    return 0;
}

/* Makes a filled-in key read-only and hands it out. */
static int key_seal(gw_key *k, gw_key **out)
{
    sodium_mprotect_readonly(k);
    *out = k;
    return 0;
}

void gw_key_free(gw_key *key)
{
    if (key == NULL)
        return;
    sodium_mprotect_readwrite(key);
    sodium_memzero(key, sizeof(*key));
    sodium_free(key);
}

const uint8_t *gw__key_bytes(const gw_key *key)
{
    return key->bytes;
}

int gw_key_from_bytes(gw_key **out, const void *bytes, size_t len)
{
    gw_key *k;
    int rc;

    if (out == NULL || bytes == NULL || len != GW_KEY_BYTES)
        return GW_EINVAL;
    if ((rc = key_alloc(&k)) != 0)
        return rc;
    memcpy(k->bytes, bytes, GW_KEY_BYTES);
    return key_seal(k, out);
}

int gw_key_from_hex(gw_key **out, const char *text, size_t len)
{
    const char *end = NULL;
    size_t got = 0;
    gw_key *k;
    int rc;

    if (out == NULL || text == NULL)
        return GW_EINVAL;
    /* 64 digits, then nothing, "\n" or "\r\n". */
    if (len < HEX_DIGITS || len > KEYFILE_MAX)
        return GW_EKEY_FORMAT;
    if (len == HEX_DIGITS + 1 && text[HEX_DIGITS] != '\n')
        return GW_EKEY_FORMAT;
    if (len == HEX_DIGITS + 2 && (text[HEX_DIGITS] != '\r' || text[HEX_DIGITS + 1] != '\n'))
        return GW_EKEY_FORMAT;
    if ((rc = key_alloc(&k)) != 0)
        return rc;
    /* sodium_hex2bin runs in constant time for the digits it accepts. */
    if (sodium_hex2bin(k->bytes, GW_KEY_BYTES, text, HEX_DIGITS, NULL, &got, &end) != 0 ||
        got != GW_KEY_BYTES || end != text + HEX_DIGITS) {
        gw_key_free(k);
        return GW_EKEY_FORMAT;
    }
    return key_seal(k, out);
}

int gw_key_load(gw_key **out, const char *path)
{
    char text[KEYFILE_MAX + 1];
    size_t len = 0;
    struct stat st;
    ssize_t k;
    int fd, rc, saved;

    if (out == NULL || path == NULL)
        return GW_EINVAL;
    /* O_NONBLOCK: a FIFO must not block the open before the check below
     * refuses it; reads of a regular file ignore the flag. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return GW_EIO;
    if (fstat(fd, &st) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return GW_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return GW_EKEY_FORMAT;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        return GW_EKEY_PERMS;
    }
    /* Read one byte more than a key file may hold, to see that it ends. */
    while (len < sizeof(text)) {
        k = read(fd, text + len, sizeof(text) - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            saved = errno;
            sodium_memzero(text, sizeof(text));
            close(fd);
            errno = saved;
            return GW_EIO;
        }
        if (k == 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    rc = gw_key_from_hex(out, text, len);
    sodium_memzero(text, sizeof(text));
    return rc;
}

int gw_key_generate(gw_key **out)
{
    gw_key *k;
    int rc;

    if (out == NULL)
        return GW_EINVAL;
    if ((rc = key_alloc(&k)) != 0)
        return rc;
    crypto_secretstream_xchacha20poly1305_keygen(k->bytes);
    return key_seal(k, out);
}

int gw_key_save(const gw_key *key, const char *path)
{
    char text[HEX_DIGITS + 2];
    size_t done = 0;
    ssize_t k;
    int fd, saved;

    if (key == NULL || path == NULL)
        return GW_EINVAL;
    /* O_EXCL: never follow a link or replace a file; mode 0600 from the
     * start, so that the key is never readable by others, even briefly. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, S_IRUSR | S_IWUSR);
    if (fd < 0)
        return GW_EIO;
    sodium_bin2hex(text, sizeof(text), key->bytes, GW_KEY_BYTES);
    text[HEX_DIGITS] = '\n';
    while (done < HEX_DIGITS + 1) {
        k = write(fd, text + done, HEX_DIGITS + 1 - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0)
            errno = EIO;
        if (k <= 0)
            goto fail;
        done += (size_t)k;
    }
    sodium_memzero(text, sizeof(text));
    if (fsync(fd) != 0)
        goto fail;
    k = close(fd);
    fd = -1;
    if (k != 0)
        goto fail;
    return 0;

fail:
    saved = errno;
    sodium_memzero(text, sizeof(text));
    if (fd >= 0)
        close(fd);
    unlink(path);
    errno = saved;
    return GW_EIO;
}

int gw_keygen_file(const char *path)
{
    gw_key *k;
    int rc;

    if ((rc = gw_key_generate(&k)) != 0)
        return rc;
    rc = gw_key_save(k, path);
    gw_key_free(k);
    return rc;
}
