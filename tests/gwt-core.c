/*
 * The framework-free test helpers declared in tests/gwt-core.h, linked
 * into the test suites (through tests/gwt.c's library) and into every fuzz
 * harness: result collection, the sink writer, running an operation once.
 */
#include "gwt-core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gwt_result_bytes(gwt_result *r, const void *p, size_t n)
{
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 64;
        while (cap < r->len + n)
            cap *= 2;
        r->data = realloc(r->data, cap);
        if (r->data == NULL) {
            fprintf(stderr, "gwt_result_bytes: out of memory (%zu bytes)\n", cap);
            abort();
        }
        r->cap = cap;
    }
    if (n > 0)
        memcpy(r->data + r->len, p, n);
    r->len += n;
}

void gwt_result_record(gwt_result *r, const void *p, size_t n)
{
    uint64_t len = n;

    gwt_result_bytes(r, &len, sizeof(len));
    gwt_result_bytes(r, p, n);
    r->records++;
}

void gwt_result_free(gwt_result *r)
{
    free(r->data);
    memset(r, 0, sizeof(*r));
}

typedef gw_io_op sink_op;
GW_GENERATOR(sink_op, NULL);
GW_BODY(sink_op, s)
{
    gwt_sink *k = s->obj;

    GW_BEGIN(s);
    if (s->src != NULL) {
        if (k->fail_with != 0) {
            k->w.err = k->fail_with;
            GW_RETURN(s, k->fail_with);
        }
        if (k->records)
            gwt_result_record(&k->got, s->src, s->len);
        else
            gwt_result_bytes(&k->got, s->src, s->len);
        k->writes++;
        k->w.nwritten += s->len;
        s->n = s->len;
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

/* Starts the sink's one operation; src NULL for flush and close. */
static gw_io_op *sink_start(gw_writer *w, const uint8_t *src, size_t len)
{
    gw_io_op *op = &w->op;

    GW_INIT(op, sink_op);
    op->obj = w;
    op->src = src;
    op->len = len;
    op->n = 0;
    op->ret = 0;
    return op;
}
static gw_io_op *sink_write(gw_writer *w, const uint8_t *buf, size_t len)
{
    return sink_start(w, buf == NULL ? (const uint8_t *)"" : buf, len);
}
static gw_io_op *sink_flush(gw_writer *w)
{
    ((gwt_sink *)(void *)w)->flushes++;
    return sink_start(w, NULL, 0);
}
static gw_io_op *sink_close(gw_writer *w)
{
    ((gwt_sink *)(void *)w)->closes++;
    return sink_start(w, NULL, 0);
}
static const gw_writer_ops sink_ops = {"sink", sink_write, sink_flush, sink_close};

void gwt_sink_init(gwt_sink *k, int records)
{
    memset(k, 0, sizeof(*k));
    gw_writer_init(&k->w, &sink_ops);
    k->records = records;
}

int gwt_run_once(gw_io_op *op)
{
    gw_wait w;
    gw_stack st;

    GW_START(&st, op, &w);
    return gw_next(&st);
}
