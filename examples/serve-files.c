/*
 * examples/http-serve's files (serve-files.h): mapping a request-target to
 * a file under the root, never outside it.  The path is percent-decoded
 * and split into segments; "..", NUL and malformed escapes are refused
 * before the file system is asked.  The file is then opened relative to
 * the root's descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS),
 * which refuses (EXDEV) any symlink or ".." resolution that leaves the root,
 * race-free.  On a kernel without openat2, it opens with openat and checks
 * the opened file's real path (/proc/self/fd) is under the root's.
 */
#define _GNU_SOURCE

#include "serve-files.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int serve_root_open(serve_root *root, const char *dir)
{
    struct open_how how;
    int fd;

    if (realpath(dir, root->real) == NULL)
        return -1;
    root->fd = open(root->real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root->fd < 0)
        return -1;
    memset(&how, 0, sizeof(how));
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    fd = (int)syscall(SYS_openat2, root->fd, ".", &how, sizeof(how));
    root->have_openat2 = fd >= 0;
    if (fd >= 0)
        close(fd);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the path of target into rel ("a/b/c", "." for the root), segment
 * by segment; 0, or 400. */
static int relative_path(gw_http_span t, char *rel, size_t cap)
{
    const char *p = t.p, *end = t.p + t.len;
    size_t n = 0, seg = 0;

    if (t.len >= 7 && strncasecmp(p, "http://", 7) == 0) {
        p += 7;
        while (p < end && *p != '/' && *p != '?')
            p++;
        if (p == end || *p == '?')
            p = "/", end = p + 1;
    }
    if (p == end || *p != '/')
        return 400;
    for (; p < end && *p != '?' && *p != '#'; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = p + 2 < end ? hexval(p[1]) : -1, lo = p + 2 < end ? hexval(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return 400;
            c = hi << 4 | lo;
            p += 2;
        }
        if (c == 0)
            return 400;
        if (c == '/') {
            /* A segment ended: drop "" and ".", refuse "..". */
            if (n - seg == 2 && rel[seg] == '.' && rel[seg + 1] == '.')
                return 400;
            if (n - seg == 1 && rel[seg] == '.')
                n = seg;
            if (n > seg)
                rel[n++] = '/';
            seg = n;
            if (n >= cap)
                return 400;
            continue;
        }
        if (n + 2 >= cap)
            return 400;
        rel[n++] = (char)c;
    }
    if (n - seg == 2 && rel[seg] == '.' && rel[seg + 1] == '.')
        return 400;
    if (n - seg == 1 && rel[seg] == '.')
        n = seg;
    while (n > 0 && rel[n - 1] == '/')
        n--;
    if (n == 0)
        rel[n++] = '.';
    rel[n] = '\0';
    return 0;
}

/* Opens rel under the root, refusing anything outside it; fd or -1. */
static int open_beneath(const serve_root *root, const char *rel)
{
    char proc[64], real[4096];
    size_t rl = strlen(root->real);
    ssize_t len;
    int fd;

    if (root->have_openat2) {
        struct open_how how;
        memset(&how, 0, sizeof(how));
        how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        return (int)syscall(SYS_openat2, root->fd, rel, &how, sizeof(how));
    }
    fd = openat(root->fd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    len = readlink(proc, real, sizeof(real) - 1);
    if (len < 0 || (size_t)len < rl || memcmp(real, root->real, rl) != 0 ||
        (len > (ssize_t)rl && real[rl] != '/' && !(rl == 1 && root->real[0] == '/'))) {
        close(fd);
        return -1;
    }
    return fd;
}

static const struct {
    const char *ext, *type;
    int text;
} types[] = {
    {"txt", "text/plain", 1},      {"html", "text/html", 1},     {"htm", "text/html", 1},
    {"css", "text/css", 1},        {"js", "text/javascript", 1}, {"json", "application/json", 1},
    {"xml", "text/xml", 1},        {"svg", "image/svg+xml", 1},  {"csv", "text/csv", 1},
    {"md", "text/markdown", 1},    {"png", "image/png", 0},      {"jpg", "image/jpeg", 0},
    {"jpeg", "image/jpeg", 0},     {"gif", "image/gif", 0},      {"gz", "application/gzip", 0},
    {"pdf", "application/pdf", 0},
};

static void type_of(const char *rel, serve_file *f)
{
    const char *dot = strrchr(rel, '.'), *slash = strrchr(rel, '/');
    size_t k;

    f->content_type = "application/octet-stream";
    f->text = 0;
    if (dot == NULL || (slash != NULL && dot < slash))
        return;
    for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
        if (strcasecmp(dot + 1, types[k].ext) == 0) {
            f->content_type = types[k].type;
            f->text = types[k].text;
            return;
        }
}

int serve_open(const serve_root *root, gw_http_span target, serve_file *f)
{
    char rel[4096 + 16];
    struct stat st;
    int fd, r;

    if ((r = relative_path(target, rel, 4096)) != 0)
        return r;
    if ((fd = open_beneath(root, rel)) < 0)
        return 404;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        strcat(rel, "/index.html");
        if ((fd = open_beneath(root, rel)) < 0)
            return 404;
        if (fstat(fd, &st) != 0)
            st.st_mode = 0;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 404;
    }
    f->fd = fd;
    f->size = (uint64_t)st.st_size;
    type_of(rel, f);
    return 200;
}

int serve_accepts_gzip(const gw_http_head *h)
{
    const gw_http_field *fl = NULL;

    while ((fl = gw_http_find(h, "Accept-Encoding", fl)) != NULL) {
        gw_http_span v = fl->value, e;
        while (gw_http_list_next(&v, &e)) {
            size_t n = 0, k;
            while (n < e.len && e.p[n] != ';' && e.p[n] != ' ' && e.p[n] != '\t')
                n++;
            gw_http_span name = {e.p, n};
            if (!gw_http_span_eq(name, "gzip") && !gw_http_span_eq(name, "x-gzip") &&
                !gw_http_span_eq(name, "*"))
                continue;
            /* A q-value of 0 (0, 0., 0.0, 0.00, 0.000) refuses it. */
            for (k = n; k + 1 < e.len; k++)
                if ((e.p[k] == 'q' || e.p[k] == 'Q') && e.p[k + 1] == '=')
                    break;
            if (k + 2 < e.len) {
                const char *q = e.p + k + 2, *qe = e.p + e.len;
                int zero = *q == '0';
                for (q++; zero && q < qe; q++)
                    if (*q != '.' && *q != '0' && *q != ' ' && *q != '\t')
                        zero = 0;
                if (zero)
                    continue;
            }
            return 1;
        }
    }
    return 0;
}

const char *serve_date(void)
{
    static char buf[40];
    static time_t last = -1;
    time_t now = time(NULL);
    struct tm tm;

    if (now != last && gmtime_r(&now, &tm) != NULL) {
        strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        last = now;
    }
    return buf;
}

/* ---- the keep-open writer ------------------------------------------------ */

typedef gw_io_op keep_op;
GW_GENERATOR(keep_op, gw_writer_cancelled);
GW_BODY(keep_op, s)
{
    serve_keep_open *k = s->obj;

    GW_BEGIN(s);
    if (s->min == 0 && s->src != NULL)
        GW_AWAIT(s, sub, gw_write(k->dst, s->src, s->len));
    else
        GW_AWAIT(s, sub, gw_flush(k->dst));
    s->n = s->sub->n;
    if (s->src != NULL)
        k->w.nwritten += s->n;
    if (s->sub->ret < 0)
        GW_RETURN(s, gw_writer_fail(&k->w, s->sub->ret));
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *keep_start(gw_writer *w, const uint8_t *src, size_t len)
{
    GW_INIT(&w->op, keep_op);
    w->op.obj = w;
    w->op.src = src;
    w->op.len = len;
    w->op.min = 0;
    w->op.sub = NULL;
    w->op.ret = 0;
    w->op.n = 0;
    w->op.deadline = 0;
    return &w->op;
}

static gw_io_op *keep_write(gw_writer *w, const uint8_t *src, size_t len)
{
    return keep_start(w, src != NULL ? src : (const uint8_t *)"", len);
}

static gw_io_op *keep_flush(gw_writer *w)
{
    return keep_start(w, NULL, 0);
}

static const gw_writer_ops keep_ops = {"keep-open", keep_write, keep_flush, keep_flush};

void serve_keep_open_init(serve_keep_open *k, gw_writer *dst)
{
    gw_writer_init(&k->w, &keep_ops);
    k->dst = dst;
}
