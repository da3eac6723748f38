/*
 * The fuzz harnesses' shared helpers (fuzz/fuzz.h): results, the push-mode
 * feeder, property checks, and the allocator every harness runs with.  No
 * engine-specific code lives here.
 */
#define _POSIX_C_SOURCE 200809L

#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/alloc.h>

/*
 * The library's allocations come FZ_ALIGN-aligned, whatever the sanitizer's
 * allocator would give.  The bufreader places reads by its buffer's address
 * modulo 64 (transport/bufreader.c, READ_ALIGN), so under ASan's allocator,
 * which hands out a different address each run, the same input took
 * different paths from run to run, and AFL++ measured 70-86% stability.
 * Each block keeps its size in the FZ_ALIGN bytes before it, for realloc.
 */
#define FZ_ALIGN 64u

static void *fz_malloc(size_t n, void *ud)
{
    void *p;

    (void)ud;
    if (n > SIZE_MAX - FZ_ALIGN || posix_memalign(&p, FZ_ALIGN, FZ_ALIGN + n) != 0)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return (uint8_t *)p + FZ_ALIGN;
}

static void fz_free(void *p, void *ud)
{
    (void)ud;
    if (p != NULL)
        free((uint8_t *)p - FZ_ALIGN);
}

static void *fz_realloc(void *p, size_t n, void *ud)
{
    size_t old;
    void *q;

    if (p == NULL)
        return fz_malloc(n, ud);
    q = fz_malloc(n, ud);
    if (q == NULL)
        return NULL;
    memcpy(&old, (uint8_t *)p - FZ_ALIGN, sizeof(old));
    memcpy(q, p, old < n ? old : n);
    fz_free(p, ud);
    return q;
}

/* Installed before the engine runs the first input (or replay.c's main),
 * and before the harnesses' own constructors (which run at the default
 * priority, after 101). */
__attribute__((constructor(101))) static void fz_use_aligned_allocator(void)
{
    static const gw_allocator a = {fz_malloc, fz_realloc, fz_free, NULL};

    gw_set_allocator(&a);
}

void fz__check(int cond, const char *what, const char *file, int line)
{
    if (cond)
        return;
    fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
    abort();
}

void fz_result_same(const fz_result *a, const fz_result *b, const char *what)
{
    if (a->err == b->err && a->off == b->off && a->len == b->len && a->records == b->records &&
        (a->len == 0 || memcmp(a->data, b->data, a->len) == 0))
        return;
    fprintf(stderr, "results differ (%s): err %d/%d off %llu/%llu len %zu/%zu records %zu/%zu\n",
            what, a->err, b->err, (unsigned long long)a->off, (unsigned long long)b->off, a->len,
            b->len, a->records, b->records);
    abort();
}

static size_t next_piece(fz_feed *f)
{
    uint64_t x;

    if (f->seed == 0)
        return f->len - f->pos;
    x = f->seed;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    f->seed = x;
    return 1 + (size_t)((x * 0x2545F4914F6CDD1DULL) >> 33) % f->maxpiece;
}

void fz_drive(gw_stack *st, gw_wait *slot, gw_mempipe *pipe, fz_feed *feed)
{
    while (gw_next(st) == GW_YIELDED) {
        size_t want, took;

        fz_check(slot->kind == GW_WAIT_EVENT && slot->event == &pipe->readable,
                 "decoder waits on the pipe");
        if (feed->pos == feed->len) {
            fz_check(!pipe->finished, "decoder waits again after end of input");
            gw_mempipe_finish(pipe);
            continue;
        }
        want = next_piece(feed);
        if (want > feed->len - feed->pos)
            want = feed->len - feed->pos;
        took = gw_mempipe_feed(pipe, feed->in + feed->pos, want);
        fz_check(took > 0, "decoder waits for input with a full pipe");
        feed->pos += took;
    }
}

GW_GENERATOR(fz_drain, NULL);
GW_BODY(fz_drain, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(s->r, s->buf, s->readsize, s->min));
        fz_check(s->op->n <= s->readsize, "read within the buffer");
        fz_result_bytes(s->out, s->buf, s->op->n);
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        fz_check(s->op->n >= s->min || s->r->eof, "a short read only at the end");
        if (s->op->n == 0) {
            fz_check(s->r->eof, "a short read only at the end");
            GW_RETURN(s, 0);
        }
    }
    GW_END(s);
}

void fz_drain_init(fz_drain *d, gw_reader *r, fz_result *out, uint8_t *buf, size_t readsize)
{
    GW_INIT(d, fz_drain);
    d->r = r;
    d->out = out;
    d->buf = buf;
    d->readsize = readsize;
    d->min = 1;
    d->op = NULL;
    d->ret = 0;
}

int fz_run_now(gw_io_op *op, const char *what)
{
    fz_check(gwt_run_once(op) == GW_RETURNED, what);
    return op->ret;
}
