/*
 * bench-http: HTTP/1.1 parsing in memory, genwire beside its peers on the
 * same bytes in one run: picohttpparser (Debian's libh2o-evloop exports
 * phr_parse_request / phr_parse_response; their prototypes are declared
 * here), llhttp (node-llhttp's C sources, compiled into this program at
 * -O3) and http-parser (libhttp-parser).  Every parser records every span
 * (method, target, status, reason, each name and value), as a user would.
 *
 * Four messages: a realistic browser GET (704 bytes, 12 fields), a
 * response head (295 bytes, 10 fields), a chunked POST parsed whole, body
 * included (521 bytes), and that POST's head alone (the goal of issue 11 is
 * on heads).  For the whole POST, picohttpparser has two rows: told the
 * body is chunked (it reads no field), and finding the framing in its
 * fields as any user of it must (Transfer-Encoding's last coding and
 * Content-Length, and refusing both at once: the least of RFC 9112 6.3,
 * which genwire's side applies whole).  For each message the parsers take
 * turns in slices of 2,000 parses, every parser in every round
 * (bench_interleave, thread CPU time).  Prints ns per message (of the best
 * round), MB/s, each peer's time over genwire's as the median of the
 * per-round ratios (the figure the goals are judged on) with the best
 * rounds' ratio beside it, and allocations per message (malloc and friends
 * are interposed and counted during the timed loops).
 * http-parser's half is in bench-http-parser.c, since its header and
 * llhttp's define the same names.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* strncasecmp */
#include <time.h>

#include <genwire/frame.h>
#include <genwire/http.h>
#include <genwire/io.h>

#include <llhttp.h>

#include "bench-util.h"

/* picohttpparser's API, as libh2o-evloop exports it. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
struct phr_chunked_decoder {
    size_t bytes_left_in_chunk;
    char consume_trailer;
    char _hex_count;
    char _state;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
                      const char **path, size_t *path_len, int *minor_version,
                      struct phr_header *headers, size_t *num_headers, size_t last_len);
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status,
                       const char **msg, size_t *msg_len, struct phr_header *headers,
                       size_t *num_headers, size_t last_len);
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);

int gw__http_isa_best(void);
int gw__http_set_isa(int want);

/* ---- counting allocations ------------------------------------------------ */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long nallocs;

void *malloc(size_t n)
{
    nallocs++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    nallocs++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    nallocs++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    __libc_free(p);
}

/* ---- the messages -------------------------------------------------------- */

static const char get_msg[] =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-US;q=0.9,en;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.kittyhell.com/2010/03/\r\n"
    "Sec-Fetch-Dest: image\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: no-cache\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=1270000000; "
    "__utma=123456789.1234567890.1234567890.1234567890.1234567890.1; "
    "__utmz=123456789.1234567890.1.1.utmcsr=google|utmccn=(organic)\r\n"
    "\r\n";

static const char res_msg[] = "HTTP/1.1 200 OK\r\n"
                              "Date: Tue, 01 Dec 2026 09:00:00 GMT\r\n"
                              "Server: nginx/1.22.1\r\n"
                              "Content-Type: text/html; charset=utf-8\r\n"
                              "Content-Length: 10240\r\n"
                              "Last-Modified: Mon, 30 Nov 2026 18:00:00 GMT\r\n"
                              "Connection: keep-alive\r\n"
                              "ETag: \"65a1b2c3-2800\"\r\n"
                              "Cache-Control: max-age=3600\r\n"
                              "Vary: Accept-Encoding\r\n"
                              "Accept-Ranges: bytes\r\n"
                              "\r\n";

static const char post_msg[] =
    "POST /api/v1/upload HTTP/1.1\r\n"
    "Host: api.example.com\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5d\r\n"
    "{\"id\": 1, \"name\": \"first record of the upload\", \"tags\": [\"a\", \"b\", \"c\"], "
    "\"ok\": true, \"n\": 12}\r\n"
    "5d\r\n"
    "{\"id\": 2, \"name\": \"second record, much the same\", \"tags\": [\"d\", \"e\"], "
    "\"ok\": false, \"n\": 3456}\r\n"
    "57\r\n"
    "{\"id\": 3, \"name\": \"third and last record here\", \"tags\": [\"f\"], \"ok\": "
    "true, \"n\": 789012}\r\n"
    "0\r\n"
    "\r\n";

/* ---- genwire ------------------------------------------------------------- */

static gw_http_field gw_fields[GW_HTTP_DEFAULT_MAX_FIELDS];
static gw_http_parser gw_req, gw_res;
static size_t sink;

static int gw_head(gw_http_parser *p, const char *m, size_t len)
{
    gw_http_head h;
    int r;

    gw_http_parser_reset(p);
    r = gw_http_parse(p, m, len, &h);
    sink += h.nfields;
    return r;
}

/* The buffer both in-place decoders (genwire's pure core and
 * picohttpparser's) copy the chunked body into: one buffer, so that the two
 * decode at the same addresses. */
static uint8_t body_copy[1024];

/* Runs an operation that never waits (over memory). */
static int run_op(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    if (gw_next(&st) != GW_RETURNED)
        return -1;
    return op->ret;
}

/* The chunked POST as picohttpparser's side does it: the head parsed, its
 * framing found (gw_http_framing_of: RFC 9112 6.3), the body copied out
 * and decoded there in place by the pure core. */
static int gw_post_mem(const char *m, size_t len)
{
    uint8_t *body = body_copy;
    gw_http_head h;
    gw_http_framing f;
    gw_chunked_reader c;
    size_t n, used, got;
    int r;

    gw_http_parser_reset(&gw_req);
    r = gw_http_parse(&gw_req, m, len, &h);
    if (r <= 0 || gw_http_framing_of(&h, -1, &f) != 0 || f.body != GW_HTTP_BODY_CHUNKED)
        return -1;
    n = len - (size_t)r;
    memcpy(body, m + r, n);
    gw_chunked_reader_init(&c, NULL, NULL);
    if (gw_chunked_decode(&c, body, n, body, &used, &got) != 1)
        return -1;
    sink += got;
    return (int)len;
}

/* The chunked POST through the layers a stream reader uses: a bufreader
 * over the bytes after the head and the chunked AsyncRead on it, read into
 * the caller's buffer by one gw_try_read. */
static int gw_post(const char *m, size_t len)
{
    static uint8_t body[1024];
    gw_http_head h;
    gw_http_framing f;
    gw_bufreader b;
    gw_chunked_reader c;
    size_t n = 0;
    int r;

    gw_http_parser_reset(&gw_req);
    r = gw_http_parse(&gw_req, m, len, &h);
    if (r <= 0 || gw_http_framing_of(&h, -1, &f) != 0 || f.body != GW_HTTP_BODY_CHUNKED)
        return -1;
    gw_bufreader_init_mem(&b, m + r, len - (size_t)r);
    gw_chunked_reader_init(&c, &b, NULL);
    while (!c.r.eof) {
        if (run_op(gw_try_read(&c.r, body + n, sizeof(body) - n, 1)) < 0)
            return -1;
        n += c.r.op.n;
    }
    sink += n;
    return (int)len;
}

/* ---- picohttpparser ------------------------------------------------------ */

/* The request head into hs[100]; *nh the number of fields. */
static int phr_req_fields(const char *m, size_t len, struct phr_header *hs, size_t *nh)
{
    const char *method, *path;
    size_t mlen, plen;
    int minor;
    int r;

    *nh = 100;
    r = phr_parse_request(m, len, &method, &mlen, &path, &plen, &minor, hs, nh, 0);
    sink += *nh;
    return r;
}

static int phr_req(const char *m, size_t len)
{
    struct phr_header hs[100];
    size_t nh;

    return phr_req_fields(m, len, hs, &nh);
}

static int phr_res(const char *m, size_t len)
{
    const char *msg;
    size_t mlen, nh = 100;
    int minor, status;
    struct phr_header hs[100];
    int r = phr_parse_response(m, len, &minor, &status, &msg, &mlen, hs, &nh, 0);

    sink += nh;
    return r;
}

/* What a picohttpparser user must do to learn a request's framing, at the
 * least: Transfer-Encoding's last coding chunked (1), a Content-Length
 * (0, its digits not checked further), both at once an error (-1). */
static int phr_framing(const struct phr_header *hs, size_t nh)
{
    int te = 0, cl = 0, chunked = 0;
    size_t i;

    for (i = 0; i < nh; i++) {
        const char *v = hs[i].value;
        size_t vl = hs[i].value_len;

        if (hs[i].name_len == 17 && strncasecmp(hs[i].name, "transfer-encoding", 17) == 0) {
            te = 1;
            chunked = vl >= 7 && strncasecmp(v + vl - 7, "chunked", 7) == 0;
        } else if (hs[i].name_len == 14 && strncasecmp(hs[i].name, "content-length", 14) == 0) {
            cl = 1;
        }
    }
    return te && cl ? -1 : chunked;
}

/* The whole chunked POST; find_framing: look the framing up in the fields
 * (phr_framing) rather than take it as known. */
static int phr_post(const char *m, size_t len, int find_framing)
{
    char *buf = (char *)body_copy;
    struct phr_chunked_decoder d;
    struct phr_header hs[100];
    size_t n, nh;
    int r = phr_req_fields(m, len, hs, &nh);

    if (r <= 0 || (find_framing && phr_framing(hs, nh) != 1))
        return -1;
    /* phr decodes in place: the body is copied out first, as a reader
     * that must keep the input would. */
    n = len - (size_t)r;
    memcpy(buf, m + r, n);
    memset(&d, 0, sizeof(d));
    if (phr_decode_chunked(&d, buf, &n) < 0)
        return -1;
    sink += n;
    return (int)len;
}

/* ---- span recording for the callback parsers ----------------------------- */

typedef struct spans {
    const char *p[64];
    size_t n[64];
    size_t count;
    size_t body;
    int done;
} spans;

static spans rec;

static void span(const char *at, size_t len)
{
    if (rec.count < 64) {
        rec.p[rec.count] = at;
        rec.n[rec.count++] = len;
    }
}

static int ll_span(llhttp_t *p, const char *at, size_t len)
{
    (void)p;
    span(at, len);
    return 0;
}
static int ll_body(llhttp_t *p, const char *at, size_t len)
{
    (void)p;
    (void)at;
    rec.body += len;
    return 0;
}
static int ll_done(llhttp_t *p)
{
    (void)p;
    rec.done = 1;
    return 0;
}

static llhttp_settings_t ll_settings;
static llhttp_t ll_parser;

static int ll_run(llhttp_type_t type, const char *m, size_t len)
{
    rec.count = 0;
    rec.body = 0;
    llhttp_init(&ll_parser, type, &ll_settings);
    if (llhttp_execute(&ll_parser, m, len) != HPE_OK)
        return -1;
    sink += rec.count + rec.body;
    return (int)len;
}

/* http-parser, in bench-http-parser.c (its header and llhttp's clash). */
int bench_hp_init(void);
int bench_hp_run(int response, const char *m, size_t len, size_t *count);

/* ---- the runs ------------------------------------------------------------ */

#define SLICE 2000 /* parses per slice */

enum { P_GW, P_GW_PORTABLE, P_GW_LAYERS, P_PHR, P_PHR_FRAMING, P_LLHTTP, P_HTTP_PARSER, NPARSERS };
static const char *const names[NPARSERS] = {
    "genwire",        "genwire portable C", "genwire AsyncRead", "picohttpparser",
    "pico + framing", "llhttp 8.1 -O3",     "http-parser 2.9"};

/* The messages: 0 GET head, 1 response head, 2 chunked POST whole, 3 the
 * POST's head alone. */
enum { M_GET, M_RES, M_POST, M_POST_HEAD, NMSGS };

/* Rows that only the whole POST has: the layers and pico's framing. */
static int row_applies(int which, int msg)
{
    return (which != P_GW_LAYERS && which != P_PHR_FRAMING) || msg == M_POST;
}

static int parse(int which, int msg, const char *m, size_t len)
{
    switch (which) {
    case P_GW:
    case P_GW_PORTABLE:
    case P_GW_LAYERS:
        return msg == M_RES           ? gw_head(&gw_res, m, len)
               : msg != M_POST        ? gw_head(&gw_req, m, len)
               : which == P_GW_LAYERS ? gw_post(m, len)
                                      : gw_post_mem(m, len);
    case P_PHR:
    case P_PHR_FRAMING:
        return msg == M_RES    ? phr_res(m, len)
               : msg != M_POST ? phr_req(m, len)
                               : phr_post(m, len, which == P_PHR_FRAMING);
    case P_LLHTTP:
        return ll_run(msg == 1 ? HTTP_RESPONSE : HTTP_REQUEST, m, len);
    default:
        return bench_hp_run(msg == 1, m, len, &sink);
    }
}

/* One message's parsers, taking turns slice by slice. */
typedef struct http_run {
    int msg, nrows, per_slice, best_isa;
    int rows[NPARSERS]; /* side -> parser */
    int side[NPARSERS]; /* parser -> side */
    const char *m;
    size_t len;
    unsigned long allocs[NPARSERS]; /* per parser, over every round */
} http_run;

static void http_slice(void *ctx, int side)
{
    http_run *h = ctx;
    int which = h->rows[side], i;
    unsigned long a0;

    gw__http_set_isa(which == P_GW_PORTABLE ? 1 : h->best_isa);
    a0 = nallocs;
    for (i = 0; i < h->per_slice; i++)
        parse(which, h->msg, h->m, h->len);
    h->allocs[which] += nallocs - a0;
}

int main(int argc, char **argv)
{
    static const char *const msgs[NMSGS] = {get_msg, res_msg, post_msg, post_msg};
    size_t lens[NMSGS] = {sizeof(get_msg) - 1, sizeof(res_msg) - 1, sizeof(post_msg) - 1,
                          (size_t)(strstr(post_msg, "\r\n\r\n") - post_msg) + 4};
    static const char *const titles[NMSGS] = {"browser GET, head", "response head",
                                              "chunked POST, whole", "chunked POST, head"};
    static const int order[NMSGS] = {M_GET, M_RES, M_POST_HEAD, M_POST};
    static http_run runs[NMSGS];
    static bench_rounds br[NMSGS];
    int rounds, iters, k;
    int msg, which, i, best_isa = gw__http_isa_best();

    gw_http_parser_init(&gw_req, GW_HTTP_REQUEST, gw_fields, GW_HTTP_DEFAULT_MAX_FIELDS, NULL, 0);
    gw_http_parser_init(&gw_res, GW_HTTP_RESPONSE, gw_fields, GW_HTTP_DEFAULT_MAX_FIELDS, NULL, 0);
    llhttp_settings_init(&ll_settings);
    ll_settings.on_method = ll_settings.on_url = ll_settings.on_status = ll_span;
    ll_settings.on_version = ll_settings.on_header_field = ll_settings.on_header_value = ll_span;
    ll_settings.on_body = ll_body;
    ll_settings.on_message_complete = ll_done;
    bench_hp_init();

    if (argc == 5 && strcmp(argv[1], "one") == 0) {
        /* "one PARSER MSG N": N parses by one parser of one message and
         * nothing else, for callgrind (the difference of two N gives the
         * instructions per message without start-up). */
        which = atoi(argv[2]);
        msg = atoi(argv[3]);
        iters = atoi(argv[4]);
        if (which < 0 || which >= NPARSERS || msg < 0 || msg >= NMSGS || !row_applies(which, msg))
            return 2;
        gw__http_set_isa(which == P_GW_PORTABLE ? 1 : best_isa);
        for (i = 0; i < iters; i++)
            if (parse(which, msg, msgs[msg], lens[msg]) != (int)lens[msg])
                return 1;
        return 0;
    }
    rounds = argc > 1 ? atoi(argv[1]) : 15;
    iters = argc > 2 ? atoi(argv[2]) : 20000;
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || iters < 1)
        bench_die("bench-http", "usage: bench-http [ROUNDS 1..64] [MESSAGES] | one P M N");

    for (msg = 0; msg < NMSGS; msg++)
        for (which = 0; which < NPARSERS; which++) {
            if (!row_applies(which, msg))
                continue;
            gw__http_set_isa(which == P_GW_PORTABLE ? 1 : best_isa);
            if (parse(which, msg, msgs[msg], lens[msg]) != (int)lens[msg]) {
                fprintf(stderr, "bench-http: %s fails on the %s\n", names[which], titles[msg]);
                return 1;
            }
        }
    for (msg = 0; msg < NMSGS; msg++) {
        http_run *h = &runs[msg];

        h->msg = msg;
        h->m = msgs[msg];
        h->len = lens[msg];
        h->best_isa = best_isa;
        h->per_slice = iters < SLICE ? iters : SLICE;
        for (which = 0; which < NPARSERS; which++)
            if (row_applies(which, msg)) {
                h->side[which] = h->nrows;
                h->rows[h->nrows++] = which;
            }
        bench_interleave(&br[msg], h->nrows, rounds, iters / h->per_slice, http_slice, h);
        iters = iters / h->per_slice * h->per_slice;
    }
    gw__http_set_isa(0);

    printf("bench-http: %d rounds x %d messages, each message's parsers taking turns in slices "
           "of %d, thread\nCPU time; genwire flavour %s; ns/msg and MB/s: the best round; x "
           "genwire: the median of\nthe per-round ratios [least-greatest], then the best rounds' "
           "ratio\n",
           rounds, iters, runs[0].per_slice,
           best_isa == 3   ? "AVX2"
           : best_isa == 2 ? "SSE2"
                           : "portable C");
    for (k = 0; k < NMSGS; k++) {
        http_run *h;

        msg = order[k];
        h = &runs[msg];
        printf("\n%s (%zu bytes)\n", titles[msg], lens[msg]);
        printf("  %-20s %9s %9s %9s %15s %7s %11s\n", "parser", "ns/msg", "MB/s", "x genwire",
               "[rounds]", "best-of", "allocs/msg");
        for (i = 0; i < h->nrows; i++) {
            bench_ratio q = bench_ratio_of(&br[msg], i, h->side[P_GW]);
            double ns = bench_best(&br[msg], i) / iters * 1e9;

            which = h->rows[i];
            printf("  %-20s %9.1f %9.0f %9.2f   [%5.2f-%5.2f] %7.2f %11.2f\n", names[which], ns,
                   lens[msg] / ns * 1e3, q.median, q.lo, q.hi, q.best,
                   (double)h->allocs[which] / ((double)iters * rounds));
        }
    }
    printf("\n(x genwire: the peer's time over genwire's; above 1 means genwire is faster)\n");
    /* The goals, judged on this run's medians. */
    printf("\ngoals of issue 11, on heads (>= 1.0x picohttpparser, >= 2x llhttp, 0 "
           "allocations), this run's medians\n(best-of in parentheses):\n");
    for (k = 0; k < NMSGS; k++) {
        int rows[2] = {P_GW, P_GW_LAYERS}, j;
        http_run *h;

        msg = order[k];
        h = &runs[msg];
        if (msg == M_POST)
            printf("the whole POST, body included (beyond the goal; pico without and with finding "
                   "its framing):\n");
        for (j = 0; j < (msg == M_POST ? 2 : 1); j++) {
            int g = h->side[rows[j]];
            bench_ratio vp = bench_ratio_of(&br[msg], h->side[P_PHR], g);
            bench_ratio vl = bench_ratio_of(&br[msg], h->side[P_LLHTTP], g);
            double al = (double)h->allocs[rows[j]] / ((double)iters * rounds);

            printf("  %-22s %-18s %5.2fx pico (%4.2f) %-6s %5.2fx llhttp (%4.2f) %-6s %.2f allocs "
                   "%s\n",
                   titles[msg], names[rows[j]], vp.median, vp.best,
                   vp.median >= 1.0 ? "met" : "MISSED", vl.median, vl.best,
                   vl.median >= 2.0 ? "met" : "MISSED", al, al == 0 ? "met" : "MISSED");
            if (msg == M_POST)
                printf("  %-22s %-18s %5.2fx pico + framing (%4.2f)\n", "", "",
                       bench_ratio_of(&br[msg], h->side[P_PHR_FRAMING], g).median,
                       bench_ratio_of(&br[msg], h->side[P_PHR_FRAMING], g).best);
        }
    }
    return sink == 0xdeadbeef;
}
