/*
 * The RESP reply tree (gw_resp_tree in include/genwire/resp.h): the event
 * reader's events assembled into one gw_resp_value tree per top-level
 * reply, in an arena.
 *
 * Members of open aggregates are collected, in order of arrival, on a
 * scratch array that grows only as members arrive; when an aggregate ends,
 * its members (the top of the scratch array) are copied once into the arena
 * as its elems[] and the aggregate's own node becomes a member of the one
 * around it.  So nothing is ever allocated from a declared count, and every
 * node is copied at most twice.  Short strings are copied into the arena as
 * they are handed out; a string that comes in pieces grows in a block of
 * its own, which joins the arena when it is complete.  The arena's first
 * block is kept from one reply to the next, so a steady stream of small
 * replies allocates nothing.
 */
#include "genwire/resp.h"

#include <string.h>

#include "genwire/alloc.h"
#include "parsers/resp/resp-impl.h"
#include "transport/io-impl.h"

/* An arena block: its header, then cap bytes of room. */
struct gw__resp_block {
    gw__resp_block *next; /* the block allocated before this one */
    size_t cap;           /* bytes of room */
    size_t used;          /* bytes handed out */
    size_t pad;           /* keeps the room 16-byte aligned on 64-bit targets */
};

#define BLOCK_ROOM(b)  ((uint8_t *)((b) + 1))
#define FIRST_BLOCK    4096u
#define MAX_BLOCK_STEP (1u << 20)
#define ALIGN_UP(n)    (((n) + 7u) & ~(size_t)7u)

static void free_blocks(gw__resp_block *b, const gw__resp_block *keep)
{
    while (b != NULL) {
        gw__resp_block *next = b->next;
        if (b != keep)
            gw_free(b);
        b = next;
    }
}

/* Room for n bytes in the arena, or NULL. */
static void *arena_alloc(gw_resp_tree *t, size_t n)
{
    gw__resp_block *b = t->_blocks;
    size_t cap;

    n = ALIGN_UP(n);
    if (b != NULL && b->cap - b->used >= n) {
        void *p = BLOCK_ROOM(b) + b->used;
        b->used += n;
        return p;
    }
    cap = b == NULL ? FIRST_BLOCK : b->cap < MAX_BLOCK_STEP ? 2 * b->cap : MAX_BLOCK_STEP;
    if (cap < n)
        cap = n;
    if (cap > SIZE_MAX - sizeof(*b) || (b = gw_malloc(sizeof(*b) + cap)) == NULL)
        return NULL;
    b->cap = cap;
    b->used = n;
    b->next = t->_blocks;
    t->_blocks = b;
    if (t->_keep == NULL)
        t->_keep = b;
    return BLOCK_ROOM(b);
}

/* Starts a new reply: every block but the kept one is freed. */
static void arena_reset(gw_resp_tree *t)
{
    gw__resp_block *k = t->_keep;

    if (k != NULL && t->_blocks == k && k->next == NULL) {
        k->used = 0;
        return;
    }
    free_blocks(t->_blocks, k);
    t->_blocks = k;
    if (k != NULL) {
        k->next = NULL;
        k->used = 0;
    }
}

/* A copy of p[0..n) and a NUL in the arena, or NULL. */
static const char *arena_str(gw_resp_tree *t, const void *p, size_t n)
{
    char *s;

    if (n == SIZE_MAX || (s = arena_alloc(t, n + 1)) == NULL)
        return NULL;
    if (n > 0)
        memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* Makes room for n more bytes (and the NUL) in the string arriving in
 * pieces, growing its block by doubling, up to `size` (its declared length,
 * 0 if unknown) + 1.  The first block of a string of declared length holds
 * 16 times the reader's buffer (the most a piece can be; at most 16 MiB),
 * or the whole string and its NUL if that is at most one byte more: a long
 * string then grows once or twice, not a dozen times with a copy each, and
 * what is allocated before its bytes arrive stays within 16 buffers.
 * Returns 0 or GW_ENOMEM. */
static int str_reserve(gw_resp_tree *t, size_t n, uint64_t size)
{
    gw__resp_block *b = t->_str;
    size_t need = (b != NULL ? b->used : 0) + n + 1, cap;

    if (b != NULL && need <= b->cap)
        return 0;
    cap = b != NULL ? b->cap : 256;
    if (b == NULL && size != 0) {
        size_t buf = t->rd._src->cap < ((size_t)1 << 20) ? t->rd._src->cap : (size_t)1 << 20;
        if (16 * buf > cap)
            cap = 16 * buf;
        if (size < SIZE_MAX && size <= 16 * (uint64_t)buf)
            cap = (size_t)size + 1;
    }
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : 2 * cap;
    if (size != 0 && size < SIZE_MAX && cap > size + 1 && need <= size + 1)
        cap = (size_t)size + 1;
    if (cap > SIZE_MAX - sizeof(*b) || (b = gw_realloc(t->_str, sizeof(*b) + cap)) == NULL)
        return GW_ENOMEM;
    if (t->_str == NULL)
        b->used = 0;
    b->cap = cap;
    t->_str = b;
    return 0;
}

/* Appends a piece to the string arriving in pieces. */
static int str_append(gw_resp_tree *t, const uint8_t *p, size_t n, uint64_t size)
{
    gw__resp_block *b;

    if (str_reserve(t, n, size) < 0)
        return GW_ENOMEM;
    b = t->_str;
    if (n > 0)
        memcpy(BLOCK_ROOM(b) + b->used, p, n);
    b->used += n;
    return 0;
}

/*
 * The part of a long string's payload the tree may read straight from the
 * source into the string's block, past the reader's buffer (so each byte
 * is copied once, not into the buffer and again into the block): where the
 * reader is inside the payload of a bulk, blob error or verbatim string of
 * declared length (not streamed, its format read), its buffer is empty and
 * more than a buffer's worth of payload is to come.  Returns how many bytes
 * to read (at most what is left of the payload, so the CRLF after it is
 * left to the reader, which checks it as ever), with *dst where they go; 0
 * to go on through the reader.
 */
static size_t direct_room(gw_resp_tree *t, uint8_t **dst)
{
    gw_resp_reader *rd = &t->rd;
    const gw_bufreader *b = rd->_src;
    gw__resp_block *s = t->_str;
    size_t room;

    if (s == NULL || rd->_state != RS_STRING || rd->_strlen != UINT64_MAX || rd->_sfmt[3] == 1 ||
        b->src == NULL || gw_bufreader_eof(b) || gw_bufreader_avail(b) != 0 || rd->_consume != 0 ||
        rd->_left < b->cap)
        return 0;
    if (s->cap - s->used <= 1 && str_reserve(t, 1, s->used + rd->_left) < 0)
        return 0; /* the reader's path will find the same shortage */
    s = t->_str;
    room = s->cap - s->used - 1;
    if (room > rd->_left)
        room = (size_t)rd->_left;
    *dst = BLOCK_ROOM(s) + s->used;
    return room;
}

/* The string of pieces is complete: its block joins the arena (behind the
 * newest block, so that bump allocation goes on there). */
static const char *str_finish(gw_resp_tree *t, size_t *len)
{
    gw__resp_block *b = t->_str;

    t->_str = NULL;
    BLOCK_ROOM(b)[b->used] = 0;
    *len = b->used;
    b->used = b->cap;
    if (t->_blocks == NULL) {
        b->next = NULL;
        t->_blocks = b;
    } else {
        b->next = t->_blocks->next;
        t->_blocks->next = b;
    }
    return (const char *)BLOCK_ROOM(b);
}

/* A new member node on the scratch array, or NULL. */
static gw_resp_value *scratch_push(gw_resp_tree *t)
{
    if (t->_nscratch == t->_capscratch) {
        size_t cap = t->_capscratch ? 2 * t->_capscratch : 16;
        gw_resp_value *s;
        if (cap > SIZE_MAX / sizeof(*s) || (s = gw_realloc(t->_scratch, cap * sizeof(*s))) == NULL)
            return NULL;
        t->_scratch = s;
        t->_capscratch = cap;
    }
    return &t->_scratch[t->_nscratch++];
}

static int is_aggregate(int type)
{
    return type == GW_RESP_ARRAY || type == GW_RESP_MAP || type == GW_RESP_SET ||
           type == GW_RESP_ATTRIBUTE || type == GW_RESP_PUSH;
}

static int nomem(gw_resp_tree *t)
{
    return gw__resp_fail(&t->rd, GW_ENOMEM, t->rd.ev.offset);
}

/* Takes the reader's current event into the tree.  Returns 1 when a reply
 * is complete (t->value), 0 to go on, or an error. */
static int take_event(gw_resp_tree *t)
{
    const gw_resp_event *ev = &t->rd.ev;
    gw_resp_value *v, *elems;
    size_t k, n;

    if (ev->type == GW_RESP_END) {
        k = t->_open[--t->_nopen];
        n = t->_nscratch - k - 1;
        elems = NULL;
        if (n > 0) {
            if ((elems = arena_alloc(t, n * sizeof(*elems))) == NULL)
                return nomem(t);
            memcpy(elems, &t->_scratch[k + 1], n * sizeof(*elems));
        }
        t->_nscratch = k + 1;
        v = &t->_scratch[k];
        if (v->type == GW_RESP_ATTRIBUTE) {
            t->_pattrs = elems;
            t->_npattrs = n;
            t->_nscratch = k;
            return 0;
        }
        v->elems = elems;
        v->len = n;
        if (t->_nopen > 0)
            return 0;
        if ((t->value = arena_alloc(t, sizeof(*v))) == NULL)
            return nomem(t);
        *t->value = *v;
        t->_nscratch = 0;
        return 1;
    }
    if (ev->flags & GW_RESP_MORE || t->_str != NULL) {
        /* A string in pieces. */
        if (str_append(t, ev->data, ev->len, ev->flags & GW_RESP_STREAMED ? 0 : ev->size) < 0)
            return nomem(t);
        if (ev->flags & GW_RESP_MORE)
            return 0;
    }
    if (t->_nopen == 0 && !is_aggregate(ev->type)) {
        /* A scalar reply: straight into the arena. */
        if ((v = arena_alloc(t, sizeof(*v))) == NULL)
            return nomem(t);
    } else if ((v = scratch_push(t)) == NULL) {
        return nomem(t);
    }
    memset(v, 0, sizeof(*v));
    v->type = (uint8_t)ev->type;
    v->wire = ev->wire;
    v->streamed = (ev->flags & GW_RESP_STREAMED) != 0;
    v->attrs = t->_pattrs;
    v->nattrs = t->_npattrs;
    t->_pattrs = NULL;
    t->_npattrs = 0;
    switch (ev->type) {
    case GW_RESP_ARRAY:
    case GW_RESP_MAP:
    case GW_RESP_SET:
    case GW_RESP_ATTRIBUTE:
    case GW_RESP_PUSH:
        if (ev->type == GW_RESP_ATTRIBUTE) {
            v->attrs = NULL; /* attributes of attributes are refused by the reader */
            v->nattrs = 0;
        }
        t->_open[t->_nopen++] = t->_nscratch - 1;
        return 0;
    case GW_RESP_INTEGER:
    case GW_RESP_BOOL:
        v->integer = ev->integer;
        break;
    case GW_RESP_NULL:
        break;
    default:
        if (ev->type == GW_RESP_DOUBLE)
            v->dbl = ev->dbl;
        if (ev->type == GW_RESP_VERBATIM)
            memcpy(v->fmt, ev->fmt, 4);
        if (t->_str != NULL) {
            v->str = str_finish(t, &v->len);
        } else {
            if ((v->str = arena_str(t, ev->data, ev->len)) == NULL) {
                if (t->_nopen > 0)
                    t->_nscratch--;
                return nomem(t);
            }
            v->len = ev->len;
        }
        break;
    }
    if (t->_nopen > 0)
        return 0;
    t->value = v;
    return 1;
}

int gw_resp_tree_init(gw_resp_tree *t, gw_bufreader *src, const gw_resp_limits *lim)
{
    int r;

    memset(t, 0, sizeof(*t));
    if ((r = gw_resp_reader_init(&t->rd, src, lim)) < 0)
        return r;
    if ((t->_open = gw_malloc(t->rd._lim.max_depth * sizeof(*t->_open))) == NULL)
        return gw__resp_fail(&t->rd, GW_ENOMEM, 0);
    return 0;
}

void gw_resp_tree_fini(gw_resp_tree *t)
{
    free_blocks(t->_blocks, NULL);
    t->_blocks = t->_keep = NULL;
    gw_free(t->_str);
    t->_str = NULL;
    gw_free(t->_scratch);
    t->_scratch = NULL;
    gw_free(t->_open);
    t->_open = NULL;
    gw_resp_reader_fini(&t->rd);
}

/* Called before the first event of a call: a reply handed out by the last
 * call is dropped. */
static void tree_begin(gw_resp_tree *t)
{
    if (t->_done) {
        t->_done = 0;
        t->value = NULL;
        arena_reset(t);
    }
}

int gw_resp_tree_try_next(gw_resp_tree *t)
{
    int r;

    tree_begin(t);
    while ((r = gw_resp_try_next(&t->rd)) == 1) {
        if ((r = take_event(t)) != 0) {
            t->_done = r == 1;
            return r;
        }
    }
    return r;
}

/* The cleanup of a gw_resp_tree_next abandoned mid-way (its task
 * cancelled), in the event reader or in a read straight into a string's
 * block: the reader gets the sticky GW_ECANCELLED (the event reader's own
 * cleanup has set it in the first case). */
static void tree_next_cancelled(gw_frame *f)
{
    gw_resp_tree *t = ((gw_io_op *)(void *)f)->obj;
    gw_bufreader *b = t->rd._src;

    if (t->rd.err == 0)
        gw__resp_fail(&t->rd, GW_ECANCELLED, gw_bufreader_offset(b) + gw_bufreader_avail(b));
}

typedef gw_io_op tree_next;
GW_GENERATOR(tree_next, tree_next_cancelled);
GW_BODY(tree_next, s)
{
    gw_resp_tree *t = s->obj;
    gw_bufreader *b = t->rd._src;
    uint8_t *dst;
    int r;

    GW_BEGIN(s);
    for (;;) {
        if ((r = gw_resp_tree_try_next(t)) != 0)
            GW_RETURN(s, r);
        while ((s->len = direct_room(t, &dst)) != 0) {
            /* The bufreader, as an AsyncRead, reads a request larger than
             * its buffer straight into dst. */
            GW_AWAIT(s, sub, gw_try_read(&b->r, dst, s->len, s->len));
            t->_str->used += s->sub->n;
            t->rd._left -= s->sub->n;
            if (s->sub->ret < 0)
                GW_RETURN(s, gw__resp_fail(&t->rd, s->sub->ret,
                                           gw_bufreader_offset(b) + gw_bufreader_avail(b)));
            if (s->sub->n < s->len)
                break; /* the end of input: the reader reports it */
        }
        GW_AWAIT(s, sub, gw_resp_next(&t->rd));
        if (s->sub->ret <= 0)
            GW_RETURN(s, s->sub->ret);
        if ((r = take_event(t)) != 0) {
            t->_done = r == 1;
            GW_RETURN(s, r);
        }
    }
    GW_END(s);
}

gw_io_op *gw_resp_tree_next(gw_resp_tree *t)
{
    return GW__IO_START(&t->_op, tree_next, t);
}

gw_resp_reply *gw_resp_tree_detach(gw_resp_tree *t)
{
    gw_resp_reply *r;

    if (!t->_done || t->value == NULL || (r = gw_malloc(sizeof(*r))) == NULL)
        return NULL;
    r->value = t->value;
    r->_blocks = t->_blocks;
    t->_blocks = t->_keep = NULL;
    t->value = NULL;
    return r;
}

void gw_resp_reply_free(gw_resp_reply *r)
{
    if (r == NULL)
        return;
    free_blocks(r->_blocks, NULL);
    gw_free(r);
}
