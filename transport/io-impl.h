/*
 * Private to transport/ and the layers in parsers/: helpers that start an
 * operation frame of a reader or writer implementation.  Not installed.
 */
#ifndef GENWIRE_IO_IMPL_H
#define GENWIRE_IO_IMPL_H

#include <assert.h>
#include <stddef.h>

#include "genwire/io.h"

/* Resets the arguments and results of an operation frame already set up by
 * GW_INIT, and returns it. */
static inline gw_io_op *gw__io_reset(gw_io_op *op, void *obj)
{
    op->obj = obj;
    op->buf = NULL;
    op->src = NULL;
    op->len = 0;
    op->min = 0;
    op->sub = NULL;
    op->ret = 0;
    op->n = 0;
    op->deadline = 0;
    return op;
}

/* The deadline of an operation that is about to wait, from its object's
 * `deadline` and per-operation `timeout` (0: none); fixed at the first wait
 * so that later waits of the same operation keep it.  Reads the clock only
 * when a timeout is set (clock_gettime: no system call on Linux). */
static inline int64_t gw__io_deadline(gw_io_op *op, int64_t deadline, int64_t timeout)
{
    if (op->deadline == 0) {
        int64_t d = timeout > 0 ? gw_deadline_in(timeout) : GW_NO_DEADLINE;
        op->deadline = deadline > 0 && deadline < d ? deadline : d;
    }
    return op->deadline;
}

static inline gw_io_op *gw__io_args(gw_io_op *op, uint8_t *buf, const uint8_t *src, size_t len,
                                    size_t min)
{
    op->buf = buf;
    op->src = src;
    op->len = len;
    op->min = min;
    return op;
}

/* Nonzero while op is suspended: started and not yet finished (or closed).
 * Starting another operation in its frame then would lose it. */
static inline int gw__io_suspended(const gw_io_op *op)
{
    return op->_gw._pc != 0 && op->_gw._pc != GW__PC_DONE;
}

/* GW__IO_START(op, T, obj): op becomes a new operation of generator T on
 * obj.  A frame still suspended in an operation is a caller's error (a
 * second operation on an object whose first has not finished): it would be
 * lost, so debug builds stop at the assertion. */
#define GW__IO_START(op, T, obj)                                                                   \
    (assert(!gw__io_suspended(op) && "an operation started while another is suspended"),           \
     GW_INIT(op, T), gw__io_reset((op), (obj)))

/* A read of up to cap bytes into buf, waiting for min. */
#define GW__IO_READ(op, T, obj, buf, cap, min)                                                     \
    gw__io_args(GW__IO_START(op, T, obj), (buf), NULL, (cap), (min))

/* A write of len bytes from src. */
#define GW__IO_WRITE(op, T, obj, src, len)                                                         \
    gw__io_args(GW__IO_START(op, T, obj), NULL, (src), (len), 0)

/*
 * The entry points of an implementation's ops table, one line each.  They
 * are macros because the generator they start is named by a type (GW_INIT
 * pastes it); each defines a static function `name` that finds the T whose
 * gw_reader or gw_writer is its member `member` and starts generator G (a
 * gw_io_op frame) on it in that reader's or writer's operation frame.
 *
 *   GW__IO_DEFINE_TRY_READ(name, T, member, G)   gw_reader_ops.try_read
 *   GW__IO_DEFINE_WRITE(name, T, member, G)      gw_writer_ops.write
 *   GW__IO_DEFINE_WRITER_OP(name, T, member, G)  gw_writer_ops.flush or .close
 *
 * and for a writer whose close is its flush with op->min set (the
 * generator closes dst instead of flushing it, after what else closing
 * adds), from that flush entry point:
 *
 *   GW__IO_DEFINE_CLOSE_AS_FLUSH(name, flush)     gw_writer_ops.close
 */
#define GW__IO_DEFINE_TRY_READ(name, T, member, G)                                                 \
    static gw_io_op *name(gw_reader *r, uint8_t *buf, size_t cap, size_t min)                      \
    {                                                                                              \
        return GW__IO_READ(&r->op, G, GW__CONTAINER_OF(r, T, member), buf, cap, min);              \
    }

#define GW__IO_DEFINE_WRITE(name, T, member, G)                                                    \
    static gw_io_op *name(gw_writer *w, const uint8_t *buf, size_t len)                            \
    {                                                                                              \
        return GW__IO_WRITE(&w->op, G, GW__CONTAINER_OF(w, T, member), buf, len);                  \
    }

#define GW__IO_DEFINE_WRITER_OP(name, T, member, G)                                                \
    static gw_io_op *name(gw_writer *w)                                                            \
    {                                                                                              \
        return GW__IO_START(&w->op, G, GW__CONTAINER_OF(w, T, member));                            \
    }

#define GW__IO_DEFINE_CLOSE_AS_FLUSH(name, flush)                                                  \
    static gw_io_op *name(gw_writer *w)                                                            \
    {                                                                                              \
        gw_io_op *op = flush(w);                                                                   \
                                                                                                   \
        op->min = 1;                                                                               \
        return op;                                                                                 \
    }

/* GW__CONTAINER_OF(ptr, T, member): the T whose `member` ptr points at. */
#define GW__CONTAINER_OF(ptr, T, member) ((T *)(void *)((char *)(ptr)-offsetof(T, member)))

#endif /* GENWIRE_IO_IMPL_H */
