/*
 * The in-memory pipe (gw_mempipe in include/genwire/io.h): a bounded byte
 * buffer with an AsyncRead end and an AsyncWrite end.  It is how tests and
 * fuzzers drive a decoder in push mode (feed some bytes, resume, repeat) and
 * how an encoder's output reaches a decoder in the same process.  A reader
 * that finds it empty waits on the `readable` event, a writer that finds it
 * full on `writable`.
 */
#include "genwire/io.h"

#include <string.h>

#include "genwire/alloc.h"

#include "transport/io-impl.h"

/* Moves the unread bytes to the front when the tail has no room left. */
static void compact(gw_mempipe *p)
{
    if (p->pos == 0)
        return;
    memmove(p->buf, p->buf + p->pos, p->end - p->pos);
    p->end -= p->pos;
    p->pos = 0;
}

size_t gw_mempipe_feed(gw_mempipe *p, const void *data, size_t len)
{
    size_t take;

    if (p->finished || p->buf == NULL)
        return 0;
    if (p->cap - p->end < len)
        compact(p);
    take = p->cap - p->end < len ? p->cap - p->end : len;
    if (take == 0)
        return 0;
    memcpy(p->buf + p->end, data, take);
    p->end += take;
    gw_event_signal(&p->readable);
    return take;
}

void gw_mempipe_finish(gw_mempipe *p)
{
    p->finished = 1;
    gw_event_signal(&p->readable);
    /* A writer waiting for room would wait for good: it fails instead. */
    gw_event_signal(&p->writable);
}

typedef gw_io_op pipe_read;
GW_GENERATOR(pipe_read, gw_reader_cancelled);
GW_BODY(pipe_read, s)
{
    gw_mempipe *p = s->obj;
    size_t take;

    GW_BEGIN(s);
    for (;;) {
        take = p->end - p->pos;
        if (take > s->len - s->n)
            take = s->len - s->n;
        if (take > 0) {
            memcpy(s->buf + s->n, p->buf + p->pos, take);
            p->pos += take;
            s->n += take;
            p->r.nread += take;
            gw_event_signal(&p->writable);
        }
        if (p->pos == p->end && p->finished)
            p->r.eof = 1;
        if (s->n >= s->min || s->n == s->len || p->r.eof)
            break;
        GW_YIELD(s, gw_wait_event(&p->readable, GW_NO_DEADLINE));
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_TRY_READ(pipe_try_read, gw_mempipe, r, pipe_read)

typedef gw_io_op pipe_write;
GW_GENERATOR(pipe_write, gw_writer_cancelled);
GW_BODY(pipe_write, s)
{
    gw_mempipe *p = s->obj;
    size_t took;

    GW_BEGIN(s);
    for (;;) {
        if (p->finished)
            GW_RETURN(s, gw_writer_fail(&p->w, GW_ECLOSED));
        took = gw_mempipe_feed(p, s->src + s->n, s->len - s->n);
        s->n += took;
        p->w.nwritten += took;
        if (s->n == s->len)
            break;
        GW_YIELD(s, gw_wait_event(&p->writable, GW_NO_DEADLINE));
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

GW__IO_DEFINE_WRITE(pipe_write_start, gw_mempipe, w, pipe_write)

/* Flush and close finish at once: the bytes are already in the pipe. */
static gw_io_op *pipe_flush(gw_writer *w)
{
    return gw_io_finished(&w->op, w, 0);
}

static gw_io_op *pipe_close(gw_writer *w)
{
    gw_mempipe_finish(GW__CONTAINER_OF(w, gw_mempipe, w));
    return gw_io_finished(&w->op, w, 0);
}

static const gw_reader_ops pipe_reader_ops = {"mempipe", pipe_try_read};
static const gw_writer_ops pipe_writer_ops = {"mempipe", pipe_write_start, pipe_flush, pipe_close};

int gw_mempipe_init(gw_mempipe *p, size_t cap)
{
    int err = 0;

    memset(p, 0, sizeof(*p));
    gw_reader_init(&p->r, &pipe_reader_ops);
    gw_writer_init(&p->w, &pipe_writer_ops);
    if (cap == 0)
        err = GW_EINVAL;
    else if ((p->buf = gw_malloc(cap)) == NULL)
        err = GW_ENOMEM;
    if (err != 0) {
        /* Both ends fail with it from now on, as after any error. */
        gw_reader_fail(&p->r, err, 0);
        return gw_writer_fail(&p->w, err);
    }
    p->cap = cap;
    return 0;
}

void gw_mempipe_fini(gw_mempipe *p)
{
    gw_free(p->buf);
    p->buf = NULL;
}
