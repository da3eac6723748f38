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
    uint8_t *buf;  /* hex, JSON: a formatted record, or a piece of a long one */
    size_t bufcap; /* its size */
    int text;      /* JSON: the current record is UTF-8, written as "text" */
    size_t done;   /* payload bytes of a long record formatted so far */
    size_t slice;  /* payload bytes of the piece being written */
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

/* Payload bytes formatted per piece: a multiple of 3 for base64. */
#define SLICE 6144u
/* The formatting buffer: a piece at 6 bytes a byte, and a JSON head. */
#define FORMAT_BUFFER (TX_JSON_ESCAPED_MAX(SLICE) + 128)

/* A bufreader over src in which a whole line of max_record bytes, and its
 * CR LF, fits (lines are handed out in place), and at least IO_BUFFER. */
static int open_lines_input(gw_bufreader *b, gw_reader *src, uint64_t max_record)
{
    uint64_t cap = max_record + 2 > IO_BUFFER ? max_record + 2 : IO_BUFFER;

    return cap > SIZE_MAX / 2 ? GW_ENOMEM : gw_bufreader_init(b, src, (size_t)cap);
}

static int rec_open_decode(layer *l, gw_reader *src, job *j)
{
    const options *o = j->opt;
    rec_state *st;
    gw_frame_limits lim;
    int err;

    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    if (l->row->param == GW_FRAME_LINES)
        err = open_lines_input(&l->in, src, o->max_record);
    else
        err = layer_open_input(l, src);
    if (err != 0)
        return err;
    /* One limit, --max-record, for every record, lines included; an empty
     * record costs its header bytes like any other, so runs of them are not
     * limited. */
    gw_frame_limits_default(&lim);
    lim.max_record = o->max_record;
    lim.max_line = (size_t)o->max_record;
    lim.max_empty = GW_UNLIMITED;
    err = gw_record_reader_init(&st->rr, &l->in, (gw_frame_format)l->row->param, &lim,
                                GW_RECORD_ASSEMBLE);
    if (err != 0)
        return err;
    st->rr_live = 1;
    if (o->format == OUT_HEX || o->format == OUT_JSON) {
        st->bufcap = FORMAT_BUFFER;
        if ((st->buf = malloc(st->bufcap)) == NULL)
            return GW_ENOMEM;
    }
    return 0;
}

/* Formats the head of the current record into st->buf: the JSON members
 * before the payload; returns its length. */
static size_t format_head(rec_state *st, enum out_format format)
{
    const gw_record_reader *rr = &st->rr;

    st->text = format == OUT_JSON && tx_utf8_valid(rr->data, rr->len);
    if (format != OUT_JSON)
        return 0;
    return (size_t)sprintf((char *)st->buf, "{\"offset\": %" PRIu64 ", \"length\": %zu, \"%s\": \"",
                           gw_record_offset(rr), rr->len, st->text ? "text" : "base64");
}

/* Formats payload bytes p[0..n) into st->buf + k (hex, JSON text or
 * base64); returns the new length. */
static size_t format_body(rec_state *st, enum out_format format, const uint8_t *p, size_t n,
                          size_t k)
{
    char *o = (char *)st->buf + k;

    if (format == OUT_HEX) {
        tx_hex(p, n, o);
        return k + 2 * n;
    }
    return k + (st->text ? tx_json_escape(p, n, o) : tx_base64(p, n, o));
}

/* Formats the end of a record at st->buf + k; returns the new length. */
static size_t format_tail(rec_state *st, enum out_format format, size_t k)
{
    memcpy(st->buf + k, format == OUT_JSON ? "\"}\n" : "\n", format == OUT_JSON ? 3 : 1);
    return k + (format == OUT_JSON ? 3 : 1);
}

/*
 * raw and lines: copies the records whole in the input buffer after the
 * current one straight into the output buffer, as many as fit, without a
 * write (and a suspension point) per record.  Never suspends; returns the
 * bytes written to the output buffer (payloads, and their LFs in lines).
 * What it cannot take (a record not whole yet, one
 * over the limit, a format the scan does not know, no room left) is left
 * for GW_RECORD_NEXT and gw_write.  The output buffer is the one standard
 * input flushes when it stalls, so what is copied here goes out then too.
 * The free room is reserved once and committed once, so that the loop keeps
 * its place in the output buffer in registers (memcpy may write anywhere, so
 * the buffer's fields would be loaded and stored again for every record).
 */
static size_t copy_whole(gw_record_reader *rr, gw_bufwriter *out, size_t lf)
{
    gw_record_scan sc, before;
    size_t room = out->cap - out->len, n;
    uint8_t *start = gw_bufwriter_reserve(out, room), *p = start;

    gw_record_scan_begin(rr, &sc);
    for (before = sc; gw_record_scan_next(rr, &sc); before = sc) {
        if ((n = sc.len + lf) > room) {
            sc = before; /* no room: that record goes the usual way */
            break;
        }
        memcpy(p, sc.data, sc.len);
        if (lf)
            p[sc.len] = '\n';
        p += n;
        room -= n;
    }
    gw_record_scan_end(rr, &sc);
    n = (size_t)(p - start);
    gw_bufwriter_commit(out, n);
    return n;
}

typedef stage rec_decode;
GW_GENERATOR(rec_decode, NULL);
GW_BODY(rec_decode, s)
{
    rec_state *st = s->l->state;
    gw_writer *out = &s->job->bout.w;
    enum out_format format = s->job->opt->format;
    size_t n;

    GW_BEGIN(s);
    for (;;) {
        if (format == OUT_RAW || format == OUT_LINES) {
            n = copy_whole(&st->rr, &s->job->bout, format == OUT_LINES);
            if (n > 0 && job_pace(s->job, n))
                GW_YIELD(s, gw_wait_ready()); /* a turn for the progress line */
        }
        GW_RECORD_NEXT(s, op, &st->rr, s->res);
        if (s->res <= 0)
            GW_RETURN(s, s->res);
        if (format == OUT_RAW || format == OUT_LINES) {
            GW_AWAIT(s, op, gw_write(out, st->rr.data, st->rr.len));
            if (s->op->ret == 0 && format == OUT_LINES)
                GW_AWAIT(s, op, gw_write(out, "\n", 1));
        } else if (st->rr.len <= SLICE) {
            /* The common case: the whole record formatted in one piece. */
            n = format_head(st, format);
            n = format_body(st, format, st->rr.data, st->rr.len, n);
            GW_AWAIT(s, op, gw_write(out, st->buf, format_tail(st, format, n)));
        } else {
            /* A long one, a slice at a time: no buffer sized from the limit. */
            GW_AWAIT(s, op, gw_write(out, st->buf, format_head(st, format)));
            for (st->done = 0; s->op->ret == 0 && st->done < st->rr.len; st->done += st->slice) {
                st->slice = st->rr.len - st->done < SLICE ? st->rr.len - st->done : SLICE;
                n = format_body(st, format, st->rr.data + st->done, st->slice, 0);
                GW_AWAIT(s, op, gw_write(out, st->buf, n));
            }
            if (s->op->ret == 0)
                GW_AWAIT(s, op, gw_write(out, st->buf, format_tail(st, format, 0)));
        }
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        if (job_pace(s->job, st->rr.len + 16))
            GW_YIELD(s, gw_wait_ready()); /* a turn for the progress line */
    }
    GW_END(s);
}

STAGE_DEFINE_START(rec_decode_start, rec_decode)

/* ---- encode ---------------------------------------------------------------------- */

static int rec_open_encode(layer *l, gw_writer *dst, job *j)
{
    const options *o = j->opt;
    rec_state *st;
    uint64_t cap;
    int err;

    if ((st = l->state = calloc(1, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    /* An input line is a record: the buffer holds the longest line allowed
     * (a JSON one may spend 6 bytes per payload byte). */
    cap = o->input == IN_JSON ? 6 * o->max_record + 256 : o->max_record;
    if ((err = open_lines_input(&l->in, &j->sin.r, cap)) != 0)
        return err;
    if ((err = layer_open_lines(l, &st->rr, &st->rr_live, l->in.cap - 2, &st->bw, dst)) != 0)
        return err;
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
        STAGE_NEXT_LINE(s, &st->rr, st->line_no);
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

STAGE_DEFINE_START(rec_encode_start, rec_encode)

/* ---- both ------------------------------------------------------------------------- */

/* What a decode error of the record reader says: its words, the option
 * that changes a limit, and the offset. */
static void decode_error(const layer *l, const rec_state *st, const job *j, char *buf, size_t len)
{
    int err = st->rr.err;
    const char *what = gw_strerror(err);
    char hint[64] = "", cut[96];

    if (err == GW_ERECORD_TOO_LARGE || err == GW_ELINE_TOO_LONG) {
        what = err == GW_ELINE_TOO_LONG ? "line longer than the limit"
                                        : "record longer than the limit";
        snprintf(hint, sizeof(hint), " (--max-record %" PRIu64 ")", j->opt->max_record);
    } else if (err == GW_ETRUNCATED || err == GW_EUNEXPECTED_EOF) {
        what = layer_truncated(l, cut, sizeof(cut));
    }
    snprintf(buf, len, "%s%s at byte %" PRIu64, what, hint, st->rr.err_off);
}

/* The largest payload a record format's header can say. */
static uint64_t format_max(gw_frame_format fmt)
{
    switch (fmt) {
    case GW_FRAME_U8:
        return 0xff;
    case GW_FRAME_U16BE:
    case GW_FRAME_U16LE:
        return 0xffff;
    case GW_FRAME_U32BE:
    case GW_FRAME_U32LE:
        return 0xffffffffu;
    default:
        return UINT64_MAX;
    }
}

/* What the record writer's refusal of the record in st->rec says. */
static void encode_error(const layer *l, const rec_state *st, const job *j, char *buf, size_t len)
{
    uint64_t fmax = format_max((gw_frame_format)l->row->param);

    if (st->werr == GW_EINVAL && l->row->param == GW_FRAME_LINES)
        snprintf(buf, len,
                 "input line %" PRIu64 ": the record holds a line feed, which a lines record "
                 "cannot (netstring or a length prefix can)",
                 st->line_no);
    else if (st->werr == GW_ERECORD_TOO_LARGE && st->rec.len > fmax)
        snprintf(buf, len,
                 "input line %" PRIu64
                 ": a record of %zu bytes; a %s header holds at most %" PRIu64,
                 st->line_no, st->rec.len, l->row->name, fmax);
    else if (st->werr == GW_ERECORD_TOO_LARGE)
        snprintf(buf, len,
                 "input line %" PRIu64
                 ": a record of %zu bytes is longer than --max-record %" PRIu64,
                 st->line_no, st->rec.len, j->opt->max_record);
    else
        snprintf(buf, len, "input line %" PRIu64 ": %s", st->line_no, gw_strerror(st->werr));
}

static int rec_error(const layer *l, const job *j, char *buf, size_t len)
{
    const rec_state *st = l->state;

    if (st == NULL)
        return 0;
    if (!l->encoding) {
        if (st->rr.err == 0)
            return 0;
        decode_error(l, st, j, buf, len);
    } else if (st->why == NULL && st->rr.err == GW_ELINE_TOO_LONG) {
        snprintf(buf, len, "input line %" PRIu64 ": longer than --max-record %" PRIu64 " allows",
                 st->line_no + 1, j->opt->max_record);
    } else if (layer_lines_error(&st->rr, st->line_no, st->why, buf, len)) {
        return 1;
    } else if (st->werr != 0) {
        encode_error(l, st, j, buf, len);
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
    layer_close_lines(l, &st->rr, st->rr_live, &st->bw);
    free(st->buf);
    free(st->scratch);
}

const layer_ops records_ops = {rec_open_decode,  rec_open_encode, rec_decode_start,
                               rec_encode_start, rec_error,       rec_close};
