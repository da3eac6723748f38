/*
 * `genwire decode STACK`: standard input through the layers of STACK, wire
 * first, to standard output.  Each byte layer reads a bufreader over the
 * layer below; the innermost layer's adapter, when it is a record or message
 * layer, runs the rest of the task (records.c); otherwise the decoded bytes
 * are copied out.  One task on the poll() executor.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

typedef struct decoder {
    GW_FRAME(gw_wait);
    job j;            /* the run */
    hold_reader hold; /* the bytes a message layer reads */
    layer *sink;      /* the record or message layer, or NULL */
    gw_reader *top;   /* without one: the decoded bytes */
    uint8_t *buf;     /* without one: the bytes being copied */
    size_t bufcap;    /* its size */
    stage *sub;       /* the sink's task */
    gw_io_op *op;     /* an operation in progress */
    int i;            /* the layer being checked for bytes after its end */
    int err;          /* the first error */
    int ret;          /* 0, or the error that ended the run */
} decoder;

GW_GENERATOR(decoder, NULL);
GW_BODY(decoder, s)
{
    layer *l;

    GW_BEGIN(s);
    s->err = 0;
    if (s->sink != NULL) {
        GW_AWAIT(s, sub, s->sink->row->ops->decode(s->sink, &s->j));
        s->err = s->sub->ret;
    } else {
        /* No record layer: copy the decoded bytes out, those of a read that
         * failed too, then report its error. */
        for (;;) {
            GW_AWAIT(s, op, gw_try_read(s->top, s->buf, s->bufcap, 1));
            s->err = s->op->ret;
            if (s->op->n == 0)
                break;
            GW_AWAIT(s, op, gw_write(&s->j.bout.w, s->buf, s->op->n));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            if (s->err < 0)
                break;
            if (job_pace(&s->j, s->op->n))
                GW_YIELD(s, gw_wait_ready()); /* a turn for the progress line */
        }
    }
    GW_AWAIT(s, op, gw_flush(&s->j.bout.w));
    if (s->op->ret < 0)
        GW_RETURN(s, s->op->ret);
    /* Every layer has ended; a layer that ends before its input does (the
     * last chunk) must find nothing after it, as gzip and secretstream do. */
    for (s->i = s->j.n - 1; s->err == 0 && s->i >= 0; s->i--) {
        l = &s->j.ls[s->i];
        GW_FILL(s, op, &l->in, 1);
        l = &s->j.ls[s->i];
        if (gw_bufreader_avail(&l->in) > 0) {
            s->j.why_l = l;
            snprintf(s->j.why, sizeof(s->j.why), "%s at byte %" PRIu64,
                     gw_strerror(GW_ETRAILING_DATA), gw_bufreader_offset(&l->in));
            s->err = GW_ETRAILING_DATA;
        } else if (l->in.r.err != 0) {
            s->err = l->in.r.err;
        }
    }
    GW_RETURN(s, s->err);
    GW_END(s);
}

int do_decode(const options *o, layer *ls, int n, const gw_key *key)
{
    decoder *d = calloc(1, sizeof(*d));
    job *j = d != NULL ? &d->j : NULL;
    gw_reader *src;
    int i, err = 0, status;

    if (job_start(j, o, ls, n, key) != 0) {
        free(d);
        return EXIT_DATA;
    }
    /* Wire first: each layer reads a bufreader over the one before. */
    j->sin.out = &j->bout.w; /* flushed when standard input stalls */
    /* A byte layer at the wire reads a regular file in place; record and
     * message layers keep their own buffer sizes. */
    j->sin.may_map = ls[0].row->kind == LAYER_BYTES;
    src = &j->sin.r;
    for (i = 0; i < n && err == 0; i++) {
        if (i > 0 && i == n - 1 && ls[i].row->kind == LAYER_MESSAGES) {
            hold_reader_init(&d->hold, src);
            src = &d->hold.r;
        }
        err = ls[i].row->ops->open_decode(&ls[i], src, j);
        src = ls[i].r;
        /* A mapped file: the layers above get the reads of the first one
         * that completed, whatever happens to the file (mapped.c). */
        if (i == 0 && err == 0 && j->sin.map != NULL)
            src = map_guard_init(&j->guard, src, &ls[0].in, j->in.fd);
    }
    if (ls[n - 1].row->kind != LAYER_BYTES) {
        d->sink = &ls[n - 1];
    } else {
        d->top = src;
        d->bufcap = COPY_BUFFER;
        if (err == 0 && (d->buf = malloc(d->bufcap)) == NULL)
            err = GW_ENOMEM;
    }
    if (err == 0)
        err = gw_bufwriter_init(&j->bout, &j->out.w, IO_BUFFER);
    if (err == 0) {
        GW_INIT(d, decoder);
        RUN_TASK(j, d, err);
        if (err == 0)
            err = d->ret;
    }
    status = job_end(j, err);
    free(d->buf);
    free(d);
    return status;
}
