/*
 * bench-resp: RESP reply streams parsed in memory by genwire's event API,
 * genwire's reply tree, and hiredis's redisReader (with its default reply
 * objects, and with NULL functions, which builds no objects), in one run on
 * the same bytes, each fed 16 KiB at a time: replies per second (best of
 * 3, thread CPU time) and ratios, and allocations per reply for genwire.
 * genwire reads through a gw_bufreader of 64 KiB over a source that hands
 * out 16 KiB per read, so it copies each byte once, as hiredis does into its
 * buffer.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <genwire/alloc.h>
#include <genwire/resp.h>
#include <hiredis/hiredis.h>

#include "transport/io-impl.h"

#define FEED (16u << 10)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- a source that hands out FEED bytes per read --------------------------- */

typedef struct mem_src {
    gw_reader r;
    const uint8_t *p;
    size_t len, pos;
} mem_src;

typedef gw_io_op src_read;
GW_GENERATOR(src_read, NULL);
GW_BODY(src_read, s)
{
    mem_src *m = s->obj;
    size_t n = m->len - m->pos;

    GW_BEGIN(s);
    if (n > s->len)
        n = s->len;
    if (n > FEED)
        n = FEED;
    memcpy(s->buf, m->p + m->pos, n);
    m->pos += n;
    s->n = n;
    if (n == 0)
        m->r.eof = 1;
    m->r.nread += n;
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *src_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    return GW__IO_READ(&r->op, src_read, r, buf, cap, min);
}

static const gw_reader_ops src_ops = {"bench-src", src_try_read};

static void src_init(mem_src *m, const uint8_t *p, size_t len)
{
    memset(m, 0, sizeof(*m));
    gw_reader_init(&m->r, &src_ops);
    m->p = p;
    m->len = len;
}

/* Runs an operation that never waits (the source is memory). */
static int run(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    if (gw_next(&st) != GW_RETURNED) {
        fprintf(stderr, "bench-resp: a read waited\n");
        exit(1);
    }
    return op->ret;
}

/* ---- the parsers -------------------------------------------------------------- */

static size_t nalloc;
static void *c_malloc(size_t n, void *ud)
{
    (void)ud;
    nalloc++;
    return malloc(n);
}
static void *c_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    nalloc++;
    return realloc(p, n);
}
static void c_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* The two genwire readers behind one driver: a fast path that takes what is
 * buffered, a generator that waits for more, and what counts as a reply. */
typedef struct gw_side {
    int (*try_next)(void *rd);
    gw_io_op *(*next)(void *rd);
    int (*is_reply)(const void *rd);
} gw_side;

/* Parses in[0..len) with the reader rd over br; returns the replies. */
static size_t drive(const gw_side *side, void *rd, const char *what)
{
    size_t replies = 0;
    int r;

    for (;;) {
        if ((r = side->try_next(rd)) == 0)
            r = run(side->next(rd));
        if (r <= 0)
            break;
        replies += (size_t)side->is_reply(rd);
    }
    if (r < 0)
        fprintf(stderr, "bench-resp: %s: %s\n", what, gw_strerror(r));
    return replies;
}

static int ev_try(void *rd)
{
    return gw_resp_try_next(rd);
}
static gw_io_op *ev_next(void *rd)
{
    return gw_resp_next(rd);
}
/* An event ends a top-level reply: a scalar, its last piece, or an END. */
static int ev_reply(const void *p)
{
    const gw_resp_event *ev = &((const gw_resp_reader *)p)->ev;

    return ev->depth == 0 && !(ev->flags & GW_RESP_MORE) &&
           (ev->type == GW_RESP_END ||
            (ev->type != GW_RESP_ARRAY && ev->type != GW_RESP_MAP && ev->type != GW_RESP_SET &&
             ev->type != GW_RESP_PUSH && ev->type != GW_RESP_ATTRIBUTE));
}
static int tr_try(void *t)
{
    return gw_resp_tree_try_next(t);
}
static gw_io_op *tr_next(void *t)
{
    return gw_resp_tree_next(t);
}
static int tr_reply(const void *t)
{
    (void)t;
    return 1;
}
static const gw_side events_side = {ev_try, ev_next, ev_reply};
static const gw_side tree_side = {tr_try, tr_next, tr_reply};

/* genwire's event API (tree 0) or tree (tree 1) over in[0..len); *allocs
 * is what reading the replies allocated.  The init's allocations (the
 * buffer, the reader's stack: once per reader, whatever it reads) are not
 * counted: counted, they made 1 MiB bulks, with only 10 replies per pass at
 * scale 1, show 0.1 allocations per reply for the event API, which
 * allocates nothing per reply. */
static size_t run_genwire(const uint8_t *in, size_t len, int tree, size_t *allocs)
{
    mem_src m;
    gw_bufreader br;
    gw_resp_reader rd;
    gw_resp_tree t;
    size_t replies, before;

    src_init(&m, in, len);
    gw_bufreader_init(&br, &m.r, 64u << 10);
    if (tree) {
        gw_resp_tree_init(&t, &br, NULL);
        before = nalloc;
        replies = drive(&tree_side, &t, "tree");
        *allocs = nalloc - before;
        gw_resp_tree_fini(&t);
    } else {
        gw_resp_reader_init(&rd, &br, NULL);
        before = nalloc;
        replies = drive(&events_side, &rd, "events");
        *allocs = nalloc - before;
        gw_resp_reader_fini(&rd);
    }
    gw_bufreader_fini(&br);
    return replies;
}

static size_t run_hiredis(const uint8_t *in, size_t len, int objects)
{
    redisReader *r = objects ? redisReaderCreate() : redisReaderCreateWithFunctions(NULL);
    size_t pos = 0, replies = 0;
    void *reply;

    while (pos < len) {
        size_t n = len - pos < FEED ? len - pos : FEED;
        redisReaderFeed(r, (const char *)in + pos, n);
        pos += n;
        for (;;) {
            if (redisReaderGetReply(r, &reply) != REDIS_OK) {
                fprintf(stderr, "bench-resp: hiredis: %s\n", r->errstr);
                exit(1);
            }
            if (reply == NULL)
                break;
            if (objects)
                freeReplyObject(reply);
            replies++;
        }
    }
    redisReaderFree(r);
    return replies;
}

/* ---- streams ------------------------------------------------------------------- */

typedef struct stream {
    const char *name;
    uint8_t *p;
    size_t len, replies;
    int bytes; /* report bytes per second too */
} stream;

static void append(stream *s, size_t *cap, const void *p, size_t n)
{
    if (s->len + n > *cap) {
        while (s->len + n > *cap)
            *cap = *cap ? 2 * *cap : 1 << 20;
        s->p = realloc(s->p, *cap);
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
}

static stream make(const char *name, size_t count, const char *unit, size_t unit_len)
{
    stream s = {name, NULL, 0, count, 0};
    size_t cap = 0, i;

    for (i = 0; i < count; i++)
        append(&s, &cap, unit, unit_len);
    return s;
}

/* bench(s, only): the parsers in the mask `only` (1 events, 2 tree, 4
 * hiredis, 8 hiredis without objects) on stream s, 3 times each. */
static void bench(const stream *s, unsigned only)
{
    double best[4] = {1e9, 1e9, 1e9, 1e9};
    size_t got[4] = {s->replies, s->replies, s->replies, s->replies}, ae = 0, at = 0;
    int k, i;

    for (k = 0; k < 3; k++) {
        for (i = 0; i < 4; i++) {
            double t0 = now_s(), dt;
            if (!(only & (1u << i)))
                continue;
            if (i < 2)
                got[i] = run_genwire(s->p, s->len, i, i == 0 ? &ae : &at);
            else
                got[i] = run_hiredis(s->p, s->len, i == 3 ? 0 : 1);
            dt = now_s() - t0;
            if (dt < best[i])
                best[i] = dt;
            if (got[i] != s->replies) {
                fprintf(stderr, "bench-resp: %s: parser %d counted %zu replies of %zu\n", s->name,
                        i, got[i], s->replies);
                exit(1);
            }
        }
    }
    printf("%-26s %9.2f %9.2f %9.2f %9.2f   %5.2fx %5.2fx   %.4f %.4f\n", s->name,
           s->replies / best[0] / 1e6, s->replies / best[1] / 1e6, s->replies / best[2] / 1e6,
           s->replies / best[3] / 1e6, best[3] / best[0], best[2] / best[1],
           (double)ae / s->replies, (double)at / s->replies);
    if (s->bytes)
        printf("%-26s %9.2f %9.2f %9.2f %9.2f   (GB/s)\n", "", s->len / best[0] / 1e9,
               s->len / best[1] / 1e9, s->len / best[2] / 1e9, s->len / best[3] / 1e9);
}

int main(int argc, char **argv)
{
    static const gw_allocator counting = {c_malloc, c_realloc, c_free, NULL};
    /* bench-resp [SCALE [STREAMS [PARSERS]]]: masks of the streams and of
     * the parsers (see bench()) to run, for profiling one of them. */
    size_t scale = argc > 1 ? (size_t)atoi(argv[1]) : 10;
    unsigned streams = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 31;
    unsigned only = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 15;
    stream s[5];
    size_t cap, i, n;
    char unit[512];

    gw_set_allocator(&counting);
    s[0] = make("small bulks $5 hello", scale * 1000000, "$5\r\nhello\r\n", 11);
    s[1] = make("integers :1234567", scale * 1000000, ":1234567\r\n", 10);
    n = (size_t)sprintf(unit, "*10\r\n");
    for (i = 0; i < 10; i++)
        n += (size_t)sprintf(unit + n, "$6\r\nvalue%zu\r\n", i);
    s[2] = make("arrays of 10 bulks", scale * 100000, unit, n);
    /* Nested: a map of 4 keys, each a map of 2 integers (RESP2 peers read
     * maps only in RESP3, which hiredis 0.14 does not: arrays stand in). */
    n = (size_t)sprintf(unit, "*8\r\n");
    for (i = 0; i < 4; i++)
        n += (size_t)sprintf(unit + n, "$4\r\nkey%zu\r\n*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n",
                             i);
    s[3] = make("nested arrays (map-shaped)", scale * 100000, unit, n);
    s[4].name = "1 MiB bulks";
    s[4].p = NULL;
    s[4].len = 0;
    s[4].replies = 10 * scale;
    s[4].bytes = 1;
    cap = 0;
    {
        char *big = malloc(1 << 20);
        memset(big, 'x', 1 << 20);
        for (i = 0; i < s[4].replies; i++) {
            append(&s[4], &cap, "$1048576\r\n", 10);
            append(&s[4], &cap, big, 1 << 20);
            append(&s[4], &cap, "\r\n", 2);
        }
        free(big);
    }
    printf("RESP2 in memory, fed %u KiB at a time, best of 3, M replies/s (thread CPU time)\n",
           FEED >> 10);
    printf("%-26s %9s %9s %9s %9s   %6s %6s   %s\n", "stream", "events", "tree", "hiredis",
           "hr-noobj", "ev/no", "tr/obj", "allocs/reply ev tree");
    for (i = 0; i < 5; i++) {
        if (streams & (1u << i))
            bench(&s[i], only);
        free(s[i].p);
    }
    gw_set_allocator(NULL);
    return 0;
}
