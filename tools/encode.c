/*
 * `genwire encode STACK`: standard input into the wire format of STACK on
 * standard output, so that `genwire decode STACK` reads it back.  Writers
 * chain from the wire inward, each writing into the one before; the
 * innermost layer's adapter, when it is a record or message layer, reads
 * standard input itself (records.c); otherwise the input bytes are the
 * payload.  Standard input is read through the job's stall reader, so
 * that what was encoded is flushed out, through every layer, whenever the
 * input stalls.  One task on the poll() executor.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

typedef struct encoder {
    GW_FRAME(gw_wait);
    job j;            /* the run */
    layer *sink;      /* the record or message layer, or NULL */
    gw_bufreader bin; /* without one: standard input, buffered */
    gw_writer *top;   /* where the payload goes: the sink's writer or the innermost layer */
    stage *sub;       /* the sink's task */
    gw_io_op *op;     /* an operation in progress */
    int err;          /* the error of the input, or 0 */
    int ret;          /* 0, or the error that ended the run */
} encoder;

GW_GENERATOR(encoder, NULL);
GW_BODY(encoder, s)
{
    size_t n;

    GW_BEGIN(s);
    s->err = 0;
    if (s->sink != NULL) {
        GW_AWAIT(s, sub, s->sink->row->ops->encode(s->sink, &s->j));
        s->err = s->sub->ret;
    } else {
        for (;;) {
            GW_FILL(s, op, &s->bin, 1);
            if (gw_bufreader_avail(&s->bin) == 0) {
                s->err = s->bin.r.err;
                break;
            }
            GW_AWAIT(s, op,
                     gw_write(s->top, gw_bufreader_peek(&s->bin), gw_bufreader_avail(&s->bin)));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            n = gw_bufreader_avail(&s->bin);
            gw_bufreader_consume(&s->bin, n);
            if (job_pace(&s->j, n))
                GW_YIELD(s, gw_wait_ready()); /* a turn for the progress line */
        }
    }
    if (s->err < 0) {
        /* The input failed: what was encoded before goes out, decodable (a
         * flush, through every layer) but unfinished (no close), so that
         * decode reports the stream cut short. */
        GW_AWAIT(s, op, gw_flush(s->top));
        GW_RETURN(s, s->err);
    }
    GW_AWAIT(s, op, gw_close(s->top));
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

int do_encode(const options *o, layer *ls, int n, const gw_key *key)
{
    encoder *e = calloc(1, sizeof(*e));
    job *j = e != NULL ? &e->j : NULL;
    gw_writer *dst;
    int i, err = 0, status;

    if (job_start(j, o, ls, n, key) != 0) {
        free(e);
        return EXIT_DATA;
    }
    /* Writers chain from the wire inward: each writes into the one before. */
    dst = &j->out.w;
    for (i = 0; i < n && err == 0; i++) {
        err = ls[i].row->ops->open_encode(&ls[i], dst, j);
        dst = ls[i].w;
    }
    e->top = dst;
    if (ls[n - 1].row->kind != LAYER_BYTES)
        e->sink = &ls[n - 1];
    else if (err == 0)
        err = gw_bufreader_init(&e->bin, &j->sin.r, IO_BUFFER);
    /* What was encoded goes out, through every layer, when input stalls. */
    j->sin.out = e->top;
    if (err == 0) {
        GW_INIT(e, encoder);
        RUN_TASK(j, e, err);
        if (err == 0)
            err = e->ret;
    }
    status = job_end(j, err);
    if (e->bin.buf != NULL)
        gw_bufreader_fini(&e->bin);
    free(e);
    return status;
}
