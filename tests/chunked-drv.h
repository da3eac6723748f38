/*
 * chunked-drv.h: the consumer of a chunked body that the decoder's tests
 * (tests/chunked-check.h) and its fuzz harness (fuzz/fuzz-chunked.c) both
 * run: a generator that reads the body to its end or error, checks that an
 * error sticks (code and offset) and that the end of the body repeats, and
 * then reads what src holds after the message.  The includer defines
 * CK_DRV_CHECK(cond, what), its way to fail (cmocka's assert_true, or
 * fz_check), first.  Static functions: include it once per program.
 */
#ifndef CHUNKED_DRV_H
#define CHUNKED_DRV_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/frame.h>
#include <genwire/gen.h>

#include "gwt-core.h"

#ifndef CK_DRV_CHECK
#error "define CK_DRV_CHECK(cond, what) before including chunked-drv.h"
#endif

/* The reads of one decode; the caller fills in c to min and GW_INITs it. */
typedef struct ck_drv {
    GW_FRAME(gw_wait);
    gw_chunked_reader *c; /* the decoder */
    gw_bufreader *br;     /* its input */
    gwt_result *out;      /* body bytes, then the rest of the input as a record */
    uint8_t *tmp;         /* read buffer of cap bytes */
    size_t cap, min;      /* read size and min (min >= 1) */
    gwt_result rest;      /* the bytes after the message */
    gw_io_op *op;         /* the read in progress */
    size_t body_len;      /* bytes of out that are body */
    int ret;              /* the decoder's result */
} ck_drv;

GW_GENERATOR(ck_drv, NULL);
GW_BODY(ck_drv, s)
{
    GW_BEGIN(s);
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->c->r, s->tmp, s->cap, s->min));
        CK_DRV_CHECK(s->op->n <= s->cap, "a read within its buffer");
        gwt_result_bytes(s->out, s->tmp, s->op->n);
        if (s->op->ret < 0)
            break;
        CK_DRV_CHECK(s->op->n >= s->min || s->c->r.eof, "a short read only at the end");
        if (s->c->r.eof)
            break;
    }
    s->body_len = s->out->len;
    s->ret = s->op->ret;
    if (s->ret < 0) {
        CK_DRV_CHECK(s->c->r.err == s->ret, "the error kept in the reader");
        s->out->err = s->ret;
        s->out->off = s->c->r.err_off;
        GW_AWAIT(s, op, gw_try_read(&s->c->r, s->tmp, s->cap, s->min));
        CK_DRV_CHECK(s->op->ret == s->ret && s->op->n == 0 && s->c->r.err_off == s->out->off,
                     "the error sticks");
        GW_EXIT(s);
    }
    GW_AWAIT(s, op, gw_try_read(&s->c->r, s->tmp, s->cap, s->min));
    CK_DRV_CHECK(s->op->ret == 0 && s->op->n == 0 && s->c->r.eof, "the end of the body repeats");
    /* The bytes after the message are still in the bufreader. */
    for (;;) {
        GW_AWAIT(s, op, gw_try_read(&s->br->r, s->tmp, s->cap, s->cap));
        CK_DRV_CHECK(s->op->ret == 0, "the rest readable");
        gwt_result_bytes(&s->rest, s->tmp, s->op->n);
        if (s->op->n < s->cap)
            break;
    }
    gwt_result_record(s->out, s->rest.data, s->rest.len);
    gwt_result_free(&s->rest);
    GW_END(s);
}

#endif /* CHUNKED_DRV_H */
