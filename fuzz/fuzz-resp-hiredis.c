/*
 * Fuzz harness: differential, genwire's RESP event reader
 * (parsers/resp/resp-read.c) against hiredis's redisReader (Debian's
 * libhiredis 0.14.1, linked into this harness only).
 *
 * Input: byte 0 picks how both are fed (0: whole; else pieces of 1 to 255
 * bytes: hiredis cycling through sizes drawn from it, genwire through a
 * pipe into a 64 KiB buffer, driven by fz_drive with byte 0 as its feed
 * seed); the rest is a RESP stream.  hiredis 0.14 reads RESP2 only: + - : $ *.
 * It is given reply functions of this harness, which record each value in
 * the order hiredis creates it (never allocating from a declared count, so
 * that "*999999999" costs nothing here either).  genwire runs with no
 * limit that hiredis lacks (depth 8, as hiredis's task
 * stack; elements up to INT_MAX, as hiredis's int count).  Each side gives
 * the list of its complete top-level replies, each as its values in order
 * (kind, depth, integer or count, bytes), and a verdict: clean end, end
 * inside a reply, or error.
 *
 * Properties, with k the replies genwire read before it stopped comparing:
 *   - hiredis read the same first k replies, value for value;
 *   - genwire at a clean end or a clean prefix (end inside a reply):
 *     hiredis read exactly k replies and reports no error (at a clean end,
 *     nothing is left pending either);
 *   - genwire met a type byte hiredis does not know (RESP3's _ , # ! = ( %
 *     ~ | > and the streamed forms' ; .) or an aggregate at depth 8:
 *     hiredis read exactly k replies and then failed.
 *
 * Known, justified differences, where the comparison stops after k
 * replies.  Debian's 0.14.1 carries the later upstream number checks
 * (string2ll: "Bad integer value", "Bad bulk string length", lengths and
 * counts out of range), so the two agree on most malformed numbers; what
 * is left:
 *   - hiredis does not check the CRLF after a bulk's payload, and keeps a
 *     bare CR or LF inside a line; genwire rejects both (GW_ERESP_CRLF):
 *     strict CRLF is its contract;
 *   - a number with a '+' sign, leading zeros or "-0" (":+5", "$03",
 *     ":-0"): RESP3's grammar allows the sign and says nothing against
 *     leading zeros, so genwire reads them; hiredis's string2ll takes only
 *     the canonical form.  Such a reply ends the comparison (hiredis may
 *     reject it);
 *   - counts over INT_MAX, which hiredis refuses as out of range and
 *     genwire (max_elements INT_MAX here) as too many elements: both
 *     reject, with no common class to compare;
 *   - a RESP2 null array `*-1` at depth 8: genwire's depth limit counts
 *     aggregates opened, hiredis refuses any `*` there, so it must fail;
 *   - hiredis refuses a `*` at depth 8 before its line is complete, where
 *     genwire waits for the line: then both end inside that reply, and
 *     hiredis must have failed.
 * Everything else genwire rejects (lengths and integers it cannot read,
 * RESP3 grammar inside a RESP2-looking value) is compared up to the reply
 * before it only.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/resp.h>
#include <hiredis/read.h>

#include "fuzz.h"

/* One side's replies: values serialised in order, reply boundaries. */
typedef struct hz_side {
    fz_result vals;  /* every value: kind, depth, integer, length, bytes */
    fz_result ends;  /* per complete top-level reply, vals.len at its end (a size_t) */
    size_t nreplies; /* complete top-level replies */
    int verdict;     /* HZ_* */
} hz_side;

enum {
    HZ_CLEAN,    /* every byte read, between replies */
    HZ_PARTIAL,  /* the input ends inside a reply, which is valid so far */
    HZ_REJECTED, /* an error, or hiredis's protocol error */
    HZ_UNKNOWN,  /* genwire: a type hiredis cannot know, or a `*` at depth 8 */
    HZ_LAX,      /* genwire: a known difference; compare only what came before */
};

static void hz_value(hz_side *s, char kind, unsigned depth, int64_t iv, const void *p, size_t n)
{
    uint8_t hdr[21];
    uint64_t len = n;

    hdr[0] = (uint8_t)kind;
    memcpy(hdr + 1, &depth, 4);
    memcpy(hdr + 5, &iv, 8);
    memcpy(hdr + 13, &len, 8);
    fz_result_bytes(&s->vals, hdr, sizeof(hdr));
    fz_result_bytes(&s->vals, p, n);
}

static void hz_reply_done(hz_side *s)
{
    fz_result_bytes(&s->ends, &s->vals.len, sizeof(size_t));
    s->nreplies++;
}

/* ---- hiredis ------------------------------------------------------------------ */

static hz_side *hz_cur; /* the side hiredis's functions record into */
static char hz_obj;     /* what the functions return: never looked at */

static unsigned task_depth(const redisReadTask *t)
{
    unsigned d = 0;

    while ((t = t->parent) != NULL)
        d++;
    return d;
}

static void *hz_string(const redisReadTask *t, char *p, size_t n)
{
    char kind = t->type == REDIS_REPLY_STATUS ? 'S' : t->type == REDIS_REPLY_ERROR ? 'E' : 'B';

    hz_value(hz_cur, kind, task_depth(t), 0, p, n);
    return &hz_obj;
}

static void *hz_array(const redisReadTask *t, int n)
{
    hz_value(hz_cur, 'A', task_depth(t), n, NULL, 0);
    return &hz_obj;
}

static void *hz_integer(const redisReadTask *t, long long v)
{
    hz_value(hz_cur, 'I', task_depth(t), v, NULL, 0);
    return &hz_obj;
}

static void *hz_nil(const redisReadTask *t)
{
    hz_value(hz_cur, 'N', task_depth(t), 0, NULL, 0);
    return &hz_obj;
}

static void hz_free(void *p)
{
    (void)p;
}

static redisReplyObjectFunctions hz_fns = {hz_string, hz_array, hz_integer, hz_nil, hz_free};

static void run_hiredis(const uint8_t *in, size_t len, uint8_t how, hz_side *s)
{
    redisReader *r = redisReaderCreateWithFunctions(&hz_fns);
    size_t pos = 0, piece = how;
    void *reply;

    fz_check(r != NULL, "hiredis reader");
    hz_cur = s;
    s->verdict = HZ_CLEAN;
    while (pos < len && s->verdict == HZ_CLEAN) {
        size_t n = how == 0 || piece > len - pos ? len - pos : piece;
        fz_check(redisReaderFeed(r, (const char *)in + pos, n) == REDIS_OK, "hiredis feed");
        pos += n;
        piece = 1 + (piece * 31 + how) % 255;
        for (;;) {
            if (redisReaderGetReply(r, &reply) != REDIS_OK) {
                s->verdict = HZ_REJECTED;
                break;
            }
            if (reply == NULL)
                break;
            hz_reply_done(s);
        }
    }
    /* Between replies, hiredis has read every byte and has at most an
     * empty task for the next reply. */
    if (s->verdict == HZ_CLEAN &&
        (r->pos != r->len || r->ridx > 0 || (r->ridx == 0 && r->rstack[0].type >= 0)))
        s->verdict = HZ_PARTIAL;
    redisReaderFree(r);
    hz_cur = NULL;
}

/* ---- genwire ---------------------------------------------------------------------- */

/* Nonzero for the type bytes of RESP2, the ones hiredis 0.14 knows. */
static int resp2_type(uint8_t c)
{
    return c == '+' || c == '-' || c == ':' || c == '$' || c == '*';
}

/* Nonzero if the number in the line at p (its type byte; a CR ends it) is
 * in the one form hiredis's string2ll takes: no sign but '-', no leading
 * zero, not "-0". */
static int canonical_number(const uint8_t *p)
{
    const uint8_t *q = p + 1;

    if (*q == '-')
        q++;
    if (*q == '0')
        return q[1] == '\r' && q == p + 1;
    return *q >= '1' && *q <= '9';
}

/* The verdict for genwire's error err at in[off]. */
static int error_verdict(int err, const uint8_t *in, size_t len, uint64_t off)
{
    if (err == GW_ETRUNCATED)
        return HZ_PARTIAL;
    if (err == GW_ERESP_DEPTH)
        return HZ_UNKNOWN;
    if ((err == GW_ERESP_TYPE || err == GW_ERESP_STREAM) && off < len && !resp2_type(in[off]))
        return HZ_UNKNOWN;
    return HZ_LAX;
}

/*
 * The input ends inside a value that genwire has not handed out, which
 * starts at in[pos] (the bufreader's offset), or, for a string longer than
 * the buffer whose header genwire has already consumed (its payload still
 * to come, rd->_left > 0), at its type byte, rd->_voff: what hiredis must
 * make of it.  hiredis refuses a type
 * byte it does not know, and a `*` at depth 8, as soon as it sees them; it
 * refuses a complete header line with a number not in canonical form; it
 * reads the `$?` of a streamed string (its line already consumed) as a bad
 * length.  Otherwise it waits, as genwire does.
 */
static int pending_verdict(const gw_resp_reader *rd, const uint8_t *in, size_t len, size_t pos)
{
    const uint8_t *cr;

    if (rd->_strlen != UINT64_MAX)
        return HZ_LAX; /* inside a streamed string */
    if (rd->_left > 0)
        pos = (size_t)rd->_voff;
    if (pos >= len)
        return HZ_PARTIAL;
    if (!resp2_type(in[pos]) || (in[pos] == '*' && rd->_depth == 8))
        return HZ_UNKNOWN;
    cr = memchr(in + pos, '\r', len - pos);
    if (in[pos] != '+' && in[pos] != '-' && cr != NULL && cr + 1 < in + len && cr[1] == '\n' &&
        !canonical_number(in + pos))
        return HZ_LAX;
    return HZ_PARTIAL;
}

/* Reads genwire's events, recording each value into s->vals, until the
 * verdict: a clean end, an error, or a value after which the comparison
 * stops. */
typedef struct hz_consumer {
    GW_FRAME(gw_wait);
    gw_resp_reader *rd;
    hz_side *s;
    const uint8_t *in; /* the stream, for the text of numbers */
    size_t len;
    fz_result str; /* the string being joined from its pieces */
    gw_io_op *op;
    int res;
    int ret;
} hz_consumer;

/* The event just read: records it; 1 if the comparison stops there. */
static int hz_event(hz_consumer *c)
{
    const gw_resp_event *ev = &c->rd->ev;
    hz_side *s = c->s;

    if (ev->type == GW_RESP_END) {
        if (ev->depth == 0)
            hz_reply_done(s);
        return 0;
    }
    if (ev->flags & GW_RESP_STREAMED)
        s->verdict = HZ_LAX;
    else if (!resp2_type(ev->wire) ||
             (ev->type == GW_RESP_NULL && ev->wire == '*' && ev->depth == 8))
        s->verdict = HZ_UNKNOWN;
    else if (ev->wire != '+' && ev->wire != '-' && !canonical_number(c->in + ev->offset))
        s->verdict = HZ_LAX;
    if (s->verdict != HZ_CLEAN)
        return 1;
    /* The check above runs on every piece of a string longer than the
     * buffer too (ev->offset is its type byte): hiredis refuses a length
     * not in canonical form at the header, before any payload. */
    if (ev->len > 0)
        fz_result_bytes(&c->str, ev->data, ev->len);
    if (ev->flags & GW_RESP_MORE)
        return 0;
    switch (ev->type) {
    case GW_RESP_SIMPLE:
        hz_value(s, 'S', ev->depth, 0, c->str.data, c->str.len);
        break;
    case GW_RESP_ERROR:
        hz_value(s, 'E', ev->depth, 0, c->str.data, c->str.len);
        break;
    case GW_RESP_BULK:
        hz_value(s, 'B', ev->depth, 0, c->str.data, c->str.len);
        break;
    case GW_RESP_INTEGER:
        hz_value(s, 'I', ev->depth, ev->integer, NULL, 0);
        break;
    case GW_RESP_NULL:
        hz_value(s, 'N', ev->depth, 0, NULL, 0);
        break;
    case GW_RESP_ARRAY:
        hz_value(s, 'A', ev->depth, ev->integer, NULL, 0);
        break;
    default:
        fz_check(0, "a RESP2 type byte gives a RESP2 event");
    }
    c->str.len = 0;
    if (ev->depth == 0 && ev->type != GW_RESP_ARRAY)
        hz_reply_done(s);
    return 0;
}

GW_GENERATOR(hz_consumer, NULL);
GW_BODY(hz_consumer, c)
{
    GW_BEGIN(c);
    c->s->verdict = HZ_CLEAN;
    for (;;) {
        GW_RESP_NEXT(c, op, c->rd, c->res);
        if (c->res < 0)
            c->s->verdict = error_verdict(c->res, c->in, c->len, c->rd->err_off);
        if (c->res <= 0 || hz_event(c))
            break;
    }
    GW_RETURN(c, 0);
    GW_END(c);
}

/* genwire's side: the stream through a pipe into a 64 KiB bufreader, in
 * the pieces that `how` draws (0: whole), driven by fz_drive. */
static void run_genwire(const uint8_t *in, size_t len, uint8_t how, hz_side *s)
{
    gw_resp_limits lim = {8, GW_UNLIMITED, INT_MAX, GW_UNLIMITED, (size_t)1 << 40};
    fz_feed feed = {in, len, 0, how, 255};
    gw_mempipe pipe;
    gw_bufreader br;
    gw_resp_reader rd;
    hz_consumer c;
    gw_wait w;
    gw_stack st;

    fz_check(gw_mempipe_init(&pipe, 256) == 0, "pipe");
    fz_check(gw_bufreader_init(&br, &pipe.r, (size_t)64 << 10) == 0, "bufreader");
    fz_check(gw_resp_reader_init(&rd, &br, &lim) == 0, "reader");
    memset(&c, 0, sizeof(c));
    GW_INIT(&c, hz_consumer);
    c.rd = &rd;
    c.s = s;
    c.in = in;
    c.len = len;
    GW_START(&st, &c, &w);
    fz_drive(&st, &w, &pipe, &feed);
    if (s->verdict == HZ_PARTIAL)
        s->verdict = pending_verdict(&rd, in, len, (size_t)gw_bufreader_offset(&br));
    fz_result_free(&c.str);
    gw_resp_reader_fini(&rd);
    gw_bufreader_fini(&br);
    gw_mempipe_fini(&pipe);
}

/* ---- the comparison ------------------------------------------------------------------ */

/* The bytes of s's first k replies. */
static size_t prefix_len(const hz_side *s, size_t k)
{
    size_t n = 0;

    if (k > 0)
        memcpy(&n, s->ends.data + (k - 1) * sizeof(size_t), sizeof(size_t));
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hz_side g, h;
    size_t k, n;

    if (size < 1)
        return 0;
    memset(&g, 0, sizeof(g));
    memset(&h, 0, sizeof(h));
    run_genwire(data + 1, size - 1, data[0], &g);
    run_hiredis(data + 1, size - 1, data[0], &h);
    k = g.nreplies;
    fz_check(h.nreplies >= k, "hiredis read every reply genwire read");
    n = prefix_len(&g, k);
    fz_check(prefix_len(&h, k) == n && (n == 0 || memcmp(g.vals.data, h.vals.data, n) == 0),
             "the same values in the replies both read");
    {
        switch (g.verdict) {
        case HZ_CLEAN:
            fz_check(h.verdict == HZ_CLEAN && h.nreplies == k && h.vals.len == g.vals.len,
                     "hiredis reads the same clean stream");
            break;
        case HZ_PARTIAL:
            fz_check(h.verdict == HZ_PARTIAL && h.nreplies == k,
                     "hiredis also waits inside the same reply");
            break;
        case HZ_UNKNOWN:
            fz_check(h.verdict == HZ_REJECTED && h.nreplies == k,
                     "hiredis fails at a type it does not know, or an array at depth 8");
            break;
        default:
            break;
        }
    }
    fz_result_free(&g.vals);
    fz_result_free(&g.ends);
    fz_result_free(&h.vals);
    fz_result_free(&h.ends);
    return 0;
}
