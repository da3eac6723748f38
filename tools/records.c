/*
 * The record layers' adapter (u8 .. u64le, varint, lines, netstring; the
 * layer table's rows name the format).  In decode it reads the records out
 * of the bytes the layers below decoded and writes each one per --format
 * (raw, lines, hex, JSON Lines); in encode it reads standard input as lines
 * or as one JSON object a line (--input) and writes each as a record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/frame.h>

#include "text.h"
#include "tool.h"

/* The adapter's state, in either direction. */
typedef struct rec_state {
    gw_record_reader rr; /* decode: the records; encode: the input lines */
    int rr_live;         /* rr is initialised */
    /* Decode. */
    uint8_t *buf;  /* one formatted record (hex, JSON) */
    size_t bufcap; /* its size */
    /* Encode. */
    gw_bufwriter bw;     /* in front of the layer below, for the record writer */
    gw_record_writer rw; /* the records */
    uint8_t *scratch;    /* a decoded JSON payload */
    tx_record rec;       /* the record being written */
    uint64_t line_no;    /* the input line being encoded, for messages */
    const char *why;     /* a JSON input error */
    int werr;            /* the record writer's refusal (too large, LF in a line), or 0 */
} rec_state;

/* ---- decode ---------------------------------------------------------------------- */

static int rec_open_decode(layer *l, gw_reader *src, job *j)
{
    const options *o = j->opt;
    rec_state *st;
    gw_frame_limits lim;
    int err;

    if ((err = layer_open_input(l, src)) != 0)
        return err;
    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    gw_frame_limits_default(&lim);
    lim.max_record = o->max_record;
    /* Lines are handed out in place: the buffer holds the longest. */
    if (l->row->param == GW_FRAME_LINES) {
        lim.max_line = IO_BUFFER - 2;
        if (o->max_record < lim.max_line)
            lim.max_line = (size_t)o->max_record;
    }
    err = gw_record_reader_init(&st->rr, &l->in, (gw_frame_format)l->row->param, &lim,
                                GW_RECORD_ASSEMBLE);
    if (err != 0)
        return err;
    st->rr_live = 1;
    /* One formatted record: hex takes 2 bytes a byte, JSON escapes up to 6
     * (base64 fewer); raw and lines need no buffer. */
    if (o->format == OUT_HEX)
        st->bufcap = 2 * (size_t)o->max_record + 1;
    else if (o->format == OUT_JSON)
        st->bufcap = 6 * (size_t)o->max_record + 128;
    else
        st->bufcap = 1;
    if ((st->buf = malloc(st->bufcap)) == NULL)
        return GW_ENOMEM;
    return 0;
}

/* Formats the current record into st->buf per --format; returns its length,
 * or 0 when it is written straight from the record (raw, lines). */
static size_t format_record(rec_state *st, enum out_format format)
{
    const gw_record_reader *rr = &st->rr;
    char *o = (char *)st->buf;
    size_t k;

    if (format == OUT_HEX) {
        tx_hex(rr->data, rr->len, o);
        o[2 * rr->len] = '\n';
        return 2 * rr->len + 1;
    }
    if (format != OUT_JSON)
        return 0;
    k = (size_t)sprintf(o, "{\"offset\": %" PRIu64 ", \"length\": %zu, ", rr->offset, rr->len);
    if (tx_utf8_valid(rr->data, rr->len)) {
        memcpy(o + k, "\"text\": \"", 9);
        k += 9;
        k += tx_json_escape(rr->data, rr->len, o + k);
    } else {
        memcpy(o + k, "\"base64\": \"", 11);
        k += 11;
        k += tx_base64(rr->data, rr->len, o + k);
    }
    memcpy(o + k, "\"}\n", 3);
    return k + 3;
}

typedef stage rec_decode;
GW_GENERATOR(rec_decode, NULL);
GW_BODY(rec_decode, s)
{
    rec_state *st = s->l->state;
    gw_writer *out = &s->job->bout.w;
    size_t n;

    GW_BEGIN(s);
    for (;;) {
        GW_RECORD_NEXT(s, op, &st->rr, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        n = format_record(st, s->job->opt->format);
        if (n > 0) {
            GW_AWAIT(s, op, gw_write(out, st->buf, n));
        } else {
            GW_AWAIT(s, op, gw_write(out, st->rr.data, st->rr.len));
            if (s->op->ret == 0 && s->job->opt->format == OUT_LINES)
                GW_AWAIT(s, op, gw_write(out, "\n", 1));
        }
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (job_pace(s->job, st->rr.len + 16))
            GW_YIELD(s, gw_wait_ready()); /* a turn for the progress line */
    }
    GW_END(s);
}

static stage *rec_decode_start(layer *l, job *j)
{
    GW_INIT(&l->st, rec_decode);
    return stage_bind(l, j);
}

/* ---- encode ---------------------------------------------------------------------- */

static int rec_open_encode(layer *l, gw_writer *dst, job *j)
{
    const options *o = j->opt;
    rec_state *st;
    gw_frame_limits lim;
    uint64_t cap;
    int err;

    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    /* An input line is a record: the buffer holds the longest line allowed
     * (a JSON one may spend 6 bytes per payload byte).  Only the part that
     * lines actually use becomes resident. */
    cap = o->input == IN_JSON ? 6 * o->max_record + 256 : o->max_record + 2;
    if (cap < IO_BUFFER)
        cap = IO_BUFFER;
    if (cap > SIZE_MAX / 2)
        return GW_EINVAL;
    if ((err = gw_bufreader_init(&l->in, &j->in.r, (size_t)cap)) != 0)
        return err;
    gw_frame_limits_default(&lim);
    lim.max_line = l->in.cap - 2;
    lim.max_empty = UINT64_MAX;
    if ((err = gw_record_reader_init(&st->rr, &l->in, GW_FRAME_LINES, &lim, GW_RECORD_ASSEMBLE)) !=
        0)
        return err;
    st->rr_live = 1;
    if ((err = gw_bufwriter_init(&st->bw, dst, IO_BUFFER)) != 0)
        return err;
    l->w = &st->bw.w;
    if ((err = gw_record_writer_init(&st->rw, &st->bw, (gw_frame_format)l->row->param,
                                     o->max_record)) != 0)
        return err;
    if ((st->scratch = malloc(l->in.cap)) == NULL)
        return GW_ENOMEM;
    return 0;
}

typedef stage rec_encode;
GW_GENERATOR(rec_encode, NULL);
GW_BODY(rec_encode, s)
{
    rec_state *st = s->l->state;

    GW_BEGIN(s);
    for (;;) {
        GW_RECORD_NEXT(s, op, &st->rr, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        st->line_no++;
        if (s->job->opt->input == IN_JSON) {
            if (tx_json_record((const char *)st->rr.data, st->rr.len, st->scratch, &st->rec,
                               &st->why) != 0)
                GW_RETURN(s, GW_EINVAL);
        } else {
            st->rec.data = (uint8_t *)(uintptr_t)st->rr.data;
            st->rec.len = st->rr.len;
        }
        GW_AWAIT(s, op, gw_record_write(&st->rw, st->rec.data, st->rec.len));
        if (s->op->ret < 0) {
            if (s->op->ret == GW_ERECORD_TOO_LARGE || s->op->ret == GW_EINVAL)
                st->werr = s->op->ret;
            GW_RETURN(s, s->op->ret);
        }
        if (job_pace(s->job, st->rec.len + 16))
            GW_YIELD(s, gw_wait_ready());
    }
    GW_END(s);
}

static stage *rec_encode_start(layer *l, job *j)
{
    GW_INIT(&l->st, rec_encode);
    return stage_bind(l, j);
}

/* ---- both ------------------------------------------------------------------------- */

static int rec_error(const layer *l, const job *j, char *buf, size_t len)
{
    const rec_state *st = l->state;

    (void)j;
    if (st == NULL)
        return 0;
    if (!l->encoding) {
        if (st->rr.err == 0)
            return 0;
        snprintf(buf, len, "%s at byte %" PRIu64, gw_strerror(st->rr.err), st->rr.err_off);
    } else if (st->why != NULL) {
        snprintf(buf, len, "input line %" PRIu64 ": %s", st->line_no, st->why);
    } else if (st->rr.err != 0) {
        snprintf(buf, len, "input line %" PRIu64 ": %s", st->line_no + 1, gw_strerror(st->rr.err));
    } else if (st->werr != 0) {
        snprintf(buf, len, "input line %" PRIu64 ": %s", st->line_no, gw_strerror(st->werr));
    } else {
        return 0;
    }
    return 1;
}

static void rec_close(layer *l)
{
    rec_state *st = l->state;

    if (st == NULL)
        return;
    if (st->rr_live)
        gw_record_reader_fini(&st->rr);
    if (l->w != NULL)
        gw_bufwriter_fini(&st->bw);
    free(st->buf);
    free(st->scratch);
}

const layer_ops records_ops = {rec_open_decode,  rec_open_encode, rec_decode_start,
                               rec_encode_start, rec_error,       rec_close};
