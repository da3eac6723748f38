/*
 * The tool's `resp` message layer.  Decode reads RESP replies with the tree
 * reader and writes each top-level value as one line of JSON (the mapping
 * of docs/resp.md, tools/resp-text.c).  Encode reads commands one per line,
 * split as redis-cli splits them, and writes each as a RESP array of bulk
 * strings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/frame.h>
#include <genwire/resp.h>

#include "resp-text.h"
#include "tool.h"

#define MAX_ARGS 4096

typedef struct resp_state {
    gw_resp_tree t; /* decode */
    int t_live;
    char *json;          /* a formatted reply */
    size_t jcap;         /* its capacity */
    gw_record_reader rr; /* encode: the input lines */
    int rr_live;
    gw_bufwriter bw;   /* in front of the layer below */
    gw_resp_writer rw; /* the commands */
    char *args;        /* the split arguments of a line */
    const char **argv;
    size_t *argl;
    long argc;
    uint64_t line_no; /* the input line being encoded */
    const char *why;  /* what was wrong with it */
} resp_state;

static int resp_open_decode(layer *l, gw_reader *src, job *j)
{
    resp_state *st;
    gw_resp_limits lim = {0, 0, 0, 0, 0};
    int err;

    if ((j->opt->given & OPT_FORMAT) && j->opt->format != OUT_JSON)
        return GW_EINVAL;
    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    if ((err = layer_open_input(l, src)) != 0)
        return err;
    if (j->opt->given & OPT_MAX_RECORD)
        lim.max_bulk = j->opt->max_record;
    if ((err = gw_resp_tree_init(&st->t, &l->in, &lim)) != 0)
        return err;
    st->t_live = 1;
    return 0;
}

typedef stage resp_decode;
GW_GENERATOR(resp_decode, NULL);
GW_BODY(resp_decode, s)
{
    resp_state *st = s->l->state;
    size_t n;

    GW_BEGIN(s);
    for (;;) {
        GW_RESP_TREE_NEXT(s, op, &st->t, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        n = resp_json_bound(st->t.value) + 1;
        if (n > st->jcap) {
            char *p = realloc(st->json, n);
            if (p == NULL)
                GW_RETURN(s, GW_ENOMEM);
            st->json = p;
            st->jcap = n;
        }
        n = resp_json(st->t.value, st->json);
        st->json[n++] = '\n';
        GW_AWAIT(s, op, gw_write(&s->job->bout.w, st->json, n));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (job_pace(s->job, s->op->n))
            GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

STAGE_DEFINE_START(resp_decode_start, resp_decode)

static int resp_open_encode(layer *l, gw_writer *dst, job *j)
{
    resp_state *st;
    int err;

    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    if ((err = gw_bufreader_init(&l->in, &j->sin.r, IO_BUFFER)) != 0)
        return err;
    if ((err = layer_open_lines(l, &st->rr, &st->rr_live, IO_BUFFER - 2, &st->bw, dst)) != 0)
        return err;
    gw_resp_writer_init(&st->rw, &st->bw);
    st->args = malloc(IO_BUFFER);
    st->argv = malloc(MAX_ARGS * sizeof(*st->argv));
    st->argl = malloc(MAX_ARGS * sizeof(*st->argl));
    return st->args == NULL || st->argv == NULL || st->argl == NULL ? GW_ENOMEM : 0;
}

typedef stage resp_encode;
GW_GENERATOR(resp_encode, NULL);
GW_BODY(resp_encode, s)
{
    resp_state *st = s->l->state;

    GW_BEGIN(s);
    for (;;) {
        STAGE_NEXT_LINE(s, &st->rr, st->line_no);
        st->argc = resp_split((const char *)st->rr.data, st->rr.len, st->args, st->argv, st->argl,
                              MAX_ARGS);
        if (st->argc < 0) {
            st->why = st->argc == -1 ? "unbalanced quotes" : "more than 4096 arguments";
            GW_RETURN(s, GW_EINVAL);
        }
        if (st->argc == 0)
            continue; /* an empty line, as redis-cli skips it */
        GW_AWAIT(s, op, gw_resp_write_command(&st->rw, (size_t)st->argc, st->argv, st->argl));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (job_pace(s->job, st->rr.len + 16))
            GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

STAGE_DEFINE_START(resp_encode_start, resp_encode)

static int resp_error(const layer *l, const job *j, char *buf, size_t len)
{
    const resp_state *st = l->state;

    (void)j;
    if (st == NULL)
        return 0;
    if (l->encoding)
        return layer_lines_error(st->rr_live ? &st->rr : NULL, st->line_no, st->why, buf, len);
    if (!st->t_live || st->t.rd.err == 0)
        return 0;
    snprintf(buf, len, "%s at byte %" PRIu64, gw_strerror(st->t.rd.err), st->t.rd.err_off);
    return 1;
}

static void resp_close(layer *l)
{
    resp_state *st = l->state;

    if (st == NULL)
        return;
    if (st->t_live)
        gw_resp_tree_fini(&st->t);
    layer_close_lines(l, &st->rr, st->rr_live, &st->bw);
    free(st->json);
    free(st->args);
    free(st->argv);
    free(st->argl);
    free(st);
    l->state = NULL;
}

const layer_ops resp_ops = {resp_open_decode,  resp_open_encode, resp_decode_start,
                            resp_encode_start, resp_error,       resp_close};
