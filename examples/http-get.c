/*
 * http-get: an HTTP/1.1 client on genwire's executor, written as one
 * straight-line generator: connect (net.h), write the request head
 * (gw_http_format_head), read the response (gw_http_reader: Content-Length,
 * chunked or close-delimited bodies, gzip and deflate through the inflate
 * layer), copy the body to standard output as it arrives.
 *
 *   http-get [-v] [--compressed] [--fail] [--pipeline] [--timeout MS] URL...
 *
 * URLs are http://HOST[:PORT][/PATH][?QUERY], HOST an IPv4 address,
 * [an IPv6 address] or a name (resolved by getaddrinfo, which blocks).
 * Requests go out in the order given, over one keep-alive connection per
 * HOST:PORT; a connection the server closed is opened again, and a request
 * that found a reused connection closed before any byte of its response
 * came is sent again once (the keep-alive race every client has).  With
 * --pipeline every request to a host is written before the first response
 * is read.  Bodies go to standard output in the order of the URLs; memory
 * stays flat whatever their size.  Redirects are not followed.
 *
 * This file is also the example of the client half of include/genwire/net.h
 * and include/genwire/http.h; tests/test-http-net.py drives it against
 * nginx and against examples/http-serve.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <genwire/exec.h>
#include <genwire/http.h>
#include <genwire/io.h>
#include <genwire/net.h>

#define MS (1000000LL)

static const char usage_text[] =
    "usage: http-get [-v] [--compressed] [--fail] [--pipeline] [--timeout MS] URL...\n"
    "\n"
    "Fetches each http:// URL with GET over HTTP/1.1 and writes the bodies to\n"
    "standard output, in the order of the URLs, as they arrive.  URLs to the\n"
    "same HOST:PORT share one keep-alive connection, opened again when the\n"
    "server closes it.  HOST is an IPv4 address, [an IPv6 address] or a name\n"
    "(resolved with getaddrinfo, which blocks); PORT defaults to 80.  No TLS,\n"
    "no proxies.  Redirects are NOT followed: a 3xx response's body is written\n"
    "like any other.\n"
    "\n"
    "  -v            write each status line and its header fields to standard error\n"
    "  --compressed  send Accept-Encoding: gzip, deflate and decode the body\n"
    "                (without it bodies are written as they came, still coded)\n"
    "  --fail        a status of 400 or more: its body is not written and the\n"
    "                exit status is 22 (the other URLs are still fetched)\n"
    "  --pipeline    write every request to a host before reading its responses\n"
    "  --timeout MS  bound each connect, each read and each write (default: none)\n"
    "  --help        this text\n"
    "\n"
    "Exit status: 0 when every response arrived, whatever its status; 22 with\n"
    "--fail when a status was 400 or more; 1 on a network or protocol error\n"
    "(\"http-get: <what> at byte N\", N the offset in the connection's stream,\n"
    "or the connect error), after writing the bodies before it; 2 on a usage\n"
    "error.\n";

/* One HOST:PORT and its connection. */
typedef struct host {
    char addr[300];      /* what gw_connect takes: "name:port", "[v6]:port" */
    char authority[300]; /* the Host field: HOST[:PORT] as in the URL */
    gw_conn c;           /* the connection */
    int up;              /* c is connected and br / rd are set up for it */
    unsigned served;     /* responses read on this connection */
    size_t *urls, nurls; /* the URLs to this host, in order (indexes) */
    size_t sent, done;   /* of urls: requests written, responses read */
    gw_bufreader br;     /* the connection's input */
    gw_http_reader rd;   /* the responses */
    char *req;           /* the request heads being written */
    size_t reqcap;       /* req's size */
} host;

/* One URL. */
typedef struct url {
    host *h;      /* where it goes */
    char *target; /* the request-target: path and query */
} url;

static struct {
    int verbose, compressed, fail, pipeline;
    int64_t timeout; /* ns, 0: none */
    url *urls;
    size_t nurls;
    host **hosts;
    size_t nhosts;
} cfg;

/* The one task: every URL in order. */
typedef struct get_task {
    GW_FRAME(gw_wait);
    size_t i;       /* the URL being fetched */
    host *h;        /* its host */
    int retried;    /* this URL was already sent again on a new connection */
    int skip;       /* --fail: the body of this response is not written */
    gw_fdio out;    /* standard output */
    gw_net_op *nop; /* connect */
    gw_io_op *op;   /* reads and writes */
    size_t n;       /* bytes of body in buf */
    int err;        /* the result of the body read that gave them */
    int status;     /* exit status */
    int ret;        /* unused: the result is `status` */
    uint8_t buf[1 << 18];
} get_task;

static char errbuf[512];

/* Formats the error of a host's connection or reader: the sentence, and
 * the byte offset in the connection's stream where the reader has one. */
static void report(host *h, int err, uint64_t off, int with_off)
{
    char what[300];

    if (err == GW_ETIMEDOUT || err == GW_ECONNRESET || err == GW_EPIPE || err == GW_EIO)
        gw_conn_strerror(&h->c, err, what, sizeof(what));
    else
        snprintf(what, sizeof(what), "%s", gw_strerror(err));
    if (with_off)
        snprintf(errbuf, sizeof(errbuf), "%s at byte %llu", what, (unsigned long long)off);
    else
        snprintf(errbuf, sizeof(errbuf), "%s", what);
}

/* Drops a host's connection and its reader. */
static void host_down(host *h)
{
    if (h->up) {
        gw_http_reader_fini(&h->rd);
        gw_bufreader_fini(&h->br);
        h->up = 0;
    }
    gw_conn_close(&h->c);
}

/* Sets up the reader of a freshly connected host; 0 or GW_ENOMEM. */
static int host_up(host *h)
{
    gw_http_reader_opts o;

    memset(&o, 0, sizeof(o));
    o.flags = cfg.compressed ? 0 : GW_HTTP_RAW_BODY;
    o.max_output = GW_UNLIMITED; /* a large file is not a bomb; the ratio cap still holds */
    if (gw_bufreader_init(&h->br, &h->c.io.r, 1 << 17) != 0)
        return GW_ENOMEM;
    if (gw_http_reader_init(&h->rd, &h->br, GW_HTTP_RESPONSE, &o) != 0) {
        gw_http_reader_fini(&h->rd);
        gw_bufreader_fini(&h->br);
        return GW_ENOMEM;
    }
    h->c.io.r.timeout = cfg.timeout;
    h->c.io.w.timeout = cfg.timeout;
    h->up = 1;
    h->served = 0;
    h->sent = h->done;
    return 0;
}

/* Formats the requests h->urls[sent .. upto) into h->req; returns the
 * length, or a negative error (a target the head writer refuses). */
static int requests(host *h, size_t upto)
{
    gw_http_field f[4];
    gw_http_head q;
    size_t len = 0, k;
    int n;

    memset(&q, 0, sizeof(q));
    q.kind = GW_HTTP_REQUEST;
    q.minor = 1;
    q.method_s.p = "GET";
    q.method_s.len = 3;
    f[0].name.p = "Host";
    f[0].value.p = h->authority;
    f[0].value.len = strlen(h->authority);
    f[1].name.p = "User-Agent";
    f[1].value.p = "genwire-http-get/0.1";
    f[2].name.p = "Accept";
    f[2].value.p = "*/*";
    f[3].name.p = "Accept-Encoding";
    f[3].value.p = "gzip, deflate";
    for (k = 0; k < 4; k++) {
        f[k].name.len = strlen(f[k].name.p);
        if (k > 0)
            f[k].value.len = strlen(f[k].value.p);
    }
    q.fields = f;
    q.nfields = cfg.compressed ? 4 : 3;
    for (k = h->sent; k < upto; k++) {
        q.target.p = cfg.urls[h->urls[k]].target;
        q.target.len = strlen(q.target.p);
        for (;;) {
            n = gw_http_format_head(&q, h->req + len, h->reqcap - len);
            if (n != GW_ETOO_LARGE)
                break;
            h->reqcap *= 2;
            if ((h->req = realloc(h->req, h->reqcap)) == NULL)
                return GW_ENOMEM;
        }
        if (n < 0)
            return n;
        len += (size_t)n;
    }
    return (int)len;
}

/* Writes the head of a response to standard error (-v). */
static void print_head(const gw_http_head *hd)
{
    size_t k;

    fprintf(stderr, "HTTP/1.%d %d %.*s\n", hd->minor, hd->status, (int)hd->reason.len,
            hd->reason.p);
    for (k = 0; k < hd->nfields; k++)
        fprintf(stderr, "%.*s: %.*s\n", (int)hd->fields[k].name.len, hd->fields[k].name.p,
                (int)hd->fields[k].value.len, hd->fields[k].value.p);
    fprintf(stderr, "\n");
    fflush(stderr);
}

/* Nonzero if a failure of the request now reading on h may be the server
 * having closed a reused connection before it saw the request (no byte of
 * a response came): then it is sent again, once, on a new connection. */
static int may_retry(const get_task *s, int err)
{
    return !s->retried && s->h->served > 0 && gw_bufreader_avail(&s->h->br) == 0 &&
           (err == 0 || err == GW_ECONNRESET || err == GW_EPIPE);
}

GW_GENERATOR(get_task, NULL);
GW_BODY(get_task, s)
{
    int r;

    GW_BEGIN(s);
    for (s->i = 0; s->i < cfg.nurls; s->i++) {
        s->h = cfg.urls[s->i].h;
        s->retried = 0;
    again:
        if (!s->h->up) {
            gw_net_opts no;
            memset(&no, 0, sizeof(no));
            no.flags = GW_NET_NODELAY;
            no.connect_timeout = cfg.timeout;
            GW_AWAIT(s, nop, gw_connect(&s->h->c, s->h->addr, &no));
            if (s->nop->ret != 0) {
                gw_conn_strerror(&s->h->c, s->nop->ret, errbuf, sizeof(errbuf));
                GW_RETURN(s, 0);
            }
            if (host_up(s->h) != 0) {
                snprintf(errbuf, sizeof(errbuf), "out of memory");
                GW_RETURN(s, 0);
            }
        }
        /* Write this request, or with --pipeline every request not yet
         * written to this host. */
        if (s->h->sent == s->h->done) {
            r = requests(s->h, cfg.pipeline ? s->h->nurls : s->h->done + 1);
            if (r < 0) {
                snprintf(errbuf, sizeof(errbuf), "cannot write the request: %s", gw_strerror(r));
                GW_RETURN(s, 0);
            }
            s->h->sent = cfg.pipeline ? s->h->nurls : s->h->done + 1;
            GW_AWAIT(s, op, gw_write(&s->h->c.io.w, s->h->req, (size_t)r));
            if (s->op->ret < 0) {
                if (may_retry(s, s->op->ret))
                    goto reconnect;
                report(s->h, s->op->ret, 0, 0);
                GW_RETURN(s, 0);
            }
        }
        /* The response: interim ones (1xx) first, then the final one. */
        for (;;) {
            s->h->rd.req_method = GW_HTTP_GET;
            GW_AWAIT(s, op, gw_http_read_head(&s->h->rd));
            if (s->op->ret < 0 || s->op->n == 0)
                break;
            if (cfg.verbose)
                print_head(&s->h->rd.head);
            if (!s->h->rd.framing.interim)
                break;
        }
        if (s->op->ret < 0 || s->op->n == 0) {
            r = s->op->ret;
            if (may_retry(s, r))
                goto reconnect;
            if (r == 0)
                snprintf(errbuf, sizeof(errbuf),
                         "the connection to %s closed before the response at byte %llu",
                         s->h->c.addr, (unsigned long long)gw_bufreader_offset(&s->h->br));
            else
                report(s->h, r, s->h->rd.err_off, 1);
            GW_RETURN(s, 0);
        }
        s->skip = cfg.fail && s->h->rd.head.status >= 400;
        if (s->skip)
            s->status = 22;
        /* The body, as it arrives; on an error, what came before it is
         * written first. */
        while (!s->h->rd.body->eof) {
            GW_AWAIT(s, op, gw_try_read(s->h->rd.body, s->buf, sizeof(s->buf), 1));
            s->n = s->op->n;
            s->err = s->op->ret;
            if (s->n > 0 && !s->skip) {
                GW_AWAIT(s, op, gw_write(&s->out.w, s->buf, s->n));
                if (s->op->ret < 0) {
                    snprintf(errbuf, sizeof(errbuf), "write to standard output: %s",
                             s->op->ret == GW_EIO ? strerror(s->out.sys_errno)
                                                  : gw_strerror(s->op->ret));
                    GW_RETURN(s, 0);
                }
            }
            if (s->err < 0) {
                report(s->h, s->err, s->h->rd.err_off, 1);
                GW_RETURN(s, 0);
            }
        }
        s->h->done++;
        s->h->served++;
        if (!s->h->rd.framing.keep_alive)
            host_down(s->h); /* the server ends the connection */
        continue;
    reconnect:
        s->retried = 1;
        host_down(s->h);
        goto again;
    }
    errbuf[0] = '\0';
    GW_END(s);
}

static int usage(const char *msg)
{
    fprintf(stderr, "http-get: %s\n%.*s", msg, (int)(strchr(usage_text, '\n') - usage_text + 1),
            usage_text);
    return 2;
}

/* Parses an http:// URL into a host (found among cfg.hosts or added) and a
 * target; 0, or -1 with the reason in errbuf. */
static int parse_url(const char *s, url *u)
{
    const char *a, *end, *port = NULL, *hostend;
    char addr[sizeof(((host *)0)->addr)], name[256];
    size_t k, alen;
    long pnum = 80;
    host *h;

    if (strncasecmp(s, "http://", 7) != 0) {
        snprintf(errbuf, sizeof(errbuf), "not an http:// URL: %s", s);
        return -1;
    }
    a = s + 7;
    end = a + strcspn(a, "/?#");
    alen = (size_t)(end - a);
    if (alen == 0 || alen >= sizeof(h->authority) || memchr(a, '@', alen) != NULL) {
        snprintf(errbuf, sizeof(errbuf), "bad host in URL (no user info, at most 299 bytes): %s",
                 s);
        return -1;
    }
    if (a[0] == '[') {
        hostend = memchr(a, ']', alen);
        if (hostend == NULL) {
            snprintf(errbuf, sizeof(errbuf), "unclosed [ in URL: %s", s);
            return -1;
        }
        hostend++;
    } else {
        hostend = memchr(a, ':', alen);
        if (hostend == NULL)
            hostend = end;
    }
    if (hostend < end) {
        char *pe;
        if (*hostend != ':' || hostend + 1 == end) {
            snprintf(errbuf, sizeof(errbuf), "bad port in URL: %s", s);
            return -1;
        }
        port = hostend + 1;
        pnum = strtol(port, &pe, 10);
        if (pe != end || pnum < 1 || pnum > 65535 || *port < '0' || *port > '9') {
            snprintf(errbuf, sizeof(errbuf), "bad port in URL: %s", s);
            return -1;
        }
    }
    if (hostend == a || (size_t)(hostend - a) >= sizeof(name) || (a[0] == '[' && hostend - a < 3)) {
        snprintf(errbuf, sizeof(errbuf), "bad host in URL: %s", s);
        return -1;
    }
    memcpy(name, a, (size_t)(hostend - a));
    name[hostend - a] = '\0';
    snprintf(addr, sizeof(addr), "%s:%ld", name, pnum);
    for (k = 0; k < cfg.nhosts; k++)
        if (strcasecmp(cfg.hosts[k]->addr, addr) == 0)
            break;
    if (k == cfg.nhosts) {
        if ((h = calloc(1, sizeof(*h))) == NULL ||
            (cfg.hosts = realloc(cfg.hosts, (cfg.nhosts + 1) * sizeof(*cfg.hosts))) == NULL)
            return -1;
        snprintf(h->addr, sizeof(h->addr), "%s", addr);
        memcpy(h->authority, a, alen);
        h->authority[alen] = '\0';
        gw_conn_init(&h->c);
        h->reqcap = 1024;
        if ((h->req = malloc(h->reqcap)) == NULL)
            return -1;
        cfg.hosts[cfg.nhosts++] = h;
    }
    h = cfg.hosts[k];
    if ((h->urls = realloc(h->urls, (h->nurls + 1) * sizeof(*h->urls))) == NULL)
        return -1;
    h->urls[h->nurls++] = (size_t)(u - cfg.urls);
    u->h = h;
    /* The target: the path and query, without the fragment; "/" if empty. */
    k = strcspn(end, "#");
    if ((u->target = malloc(k + 2)) == NULL)
        return -1;
    snprintf(u->target, k + 2, "%s%.*s", *end == '/' ? "" : "/", (int)k, end);
    return 0;
}

int main(int argc, char **argv)
{
    static get_task task;
    gw_exec *ex;
    int i, nurl = 0;
    size_t k;

    cfg.urls = calloc((size_t)argc, sizeof(*cfg.urls));
    if (cfg.urls == NULL)
        return 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(a, "-v") == 0) {
            cfg.verbose = 1;
        } else if (strcmp(a, "--compressed") == 0) {
            cfg.compressed = 1;
        } else if (strcmp(a, "--fail") == 0) {
            cfg.fail = 1;
        } else if (strcmp(a, "--pipeline") == 0) {
            cfg.pipeline = 1;
        } else if (strcmp(a, "--timeout") == 0) {
            char *end;
            long v;
            if (i + 1 >= argc)
                return usage("--timeout needs a value");
            errno = 0;
            v = strtol(argv[++i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || v < 1 || v > 86400000L)
                return usage("--timeout takes milliseconds, 1 to 86400000");
            cfg.timeout = v * MS;
        } else if (a[0] == '-') {
            snprintf(errbuf, sizeof(errbuf), "unknown option %s", a);
            return usage(errbuf);
        } else {
            if (parse_url(a, &cfg.urls[nurl]) != 0)
                return usage(errbuf[0] ? errbuf : "out of memory");
            nurl++;
            cfg.nurls = (size_t)nurl;
        }
    }
    if (cfg.nurls == 0)
        return usage("no URL");
    signal(SIGPIPE, SIG_IGN);
    if ((ex = gw_exec_new()) == NULL) {
        fprintf(stderr, "http-get: out of memory\n");
        return 1;
    }
    GW_INIT(&task, get_task);
    gw_fdio_init(&task.out, 1, 0);
    snprintf(errbuf, sizeof(errbuf), "out of memory");
    if (GW_SPAWN(ex, &task, NULL, NULL) == NULL || gw_exec_run(ex) != 0) {
        fprintf(stderr, "http-get: %s\n", errbuf);
        return 1;
    }
    gw_exec_free(ex);
    for (k = 0; k < cfg.nhosts; k++)
        host_down(cfg.hosts[k]);
    if (errbuf[0] != '\0') {
        fprintf(stderr, "http-get: %s\n", errbuf);
        return 1;
    }
    return task.status;
}
