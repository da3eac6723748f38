/*
 * The file half of examples/http-serve: a request-target turned into an
 * open file that cannot be outside the served root, the content type and
 * whether it is text, whether a request accepts gzip, the Date field, and a
 * writer that passes close on as a flush (so that a gzip body's chunked
 * coding can end without closing the connection beneath it).
 */
#ifndef SERVE_FILES_H
#define SERVE_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <genwire/http.h>
#include <genwire/io.h>

/* The served root: a directory descriptor and its real path. */
typedef struct serve_root {
    int fd;           /* O_PATH | O_DIRECTORY descriptor of the root */
    char real[4096];  /* realpath() of the root, for the /proc fallback */
    int have_openat2; /* openat2 with RESOLVE_BENEATH works on this kernel */
} serve_root;

/* serve_root_open: opens dir as the root; 0, or -1 with errno set. */
int serve_root_open(serve_root *root, const char *dir);

/* What serve_open found. */
typedef struct serve_file {
    int fd;                   /* the open regular file */
    uint64_t size;            /* its size */
    const char *content_type; /* from its name's extension */
    int text;                 /* the type is text (gzip is worth it) */
} serve_file;

/*
 * serve_open: opens the file that request-target `target` names under the
 * root: origin form (/path?query) or absolute form (http://host/path); the
 * path percent-decoded; a directory means its index.html.  Refused: a
 * malformed target or %-escape, a NUL, a ".." segment (400); a file that
 * does not exist, is not a regular file, or that a symlink puts outside
 * the root (404).  Returns 200 with *f filled (close f->fd), or the status.
 */
int serve_open(const serve_root *root, gw_http_span target, serve_file *f);

/* serve_accepts_gzip: nonzero if the request's Accept-Encoding fields list
 * gzip (or x-gzip, or *) with a q-value that is not 0. */
int serve_accepts_gzip(const gw_http_head *h);

/* serve_date: the current time as an IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), formatted at most once a second; static storage. */
const char *serve_date(void);

/* A writer over dst that passes write and flush on, and turns close into
 * a flush, so that a layer above may close without ending dst. */
typedef struct serve_keep_open {
    gw_writer w;    /* the writer */
    gw_writer *dst; /* not owned, never closed through w */
} serve_keep_open;

/* serve_keep_open_init: w over dst.  Never suspends. */
void serve_keep_open_init(serve_keep_open *k, gw_writer *dst);

#endif
