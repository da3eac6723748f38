/*
 * The layer table of the genwire tool, and the adapters of its byte layers
 * (secretstream, gzip / zlib / deflate, chunked).  The record layers' adapter
 * is in records.c.  Nothing outside this table knows which layers exist:
 * STACK parsing, the help text, the option checks, decode and encode all go
 * through it.
 *
 * HOW TO ADD A LAYER
 *
 *   1. Write its adapter, a `const layer_ops` (tool.h says what each
 *      function must do), in a new file tools/NAME.c, and add that file to
 *      tools/meson.build.  A byte layer needs open_decode (make l->r, an
 *      AsyncRead over l->in), open_encode (make l->w, an AsyncWrite over
 *      dst), error and close.  A record or message layer (the innermost of a
 *      stack) also runs the whole task of each direction: decode (read the
 *      decoded bytes in l->in, write standard output through j->bout: for a
 *      message layer, one JSON object per message) and encode (read
 *      standard input through l->in: for a message layer, one JSON object a
 *      line; write through l->w).
 *   2. Declare the adapter in tool.h, next to the others.
 *   3. Add one row below: its STACK name, its kind, the options it takes
 *      (OPT_*: an option no layer of a stack takes is refused), the
 *      adapter's parameter, the adapter, and what an early end of input
 *      cuts short ("a message", for "the input ends inside a message").
 *   4. Say it in the help (genwire.c lists the names from this table by
 *      itself), in tools/genwire.1, and test it in tests/test-cli.py.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/compress.h>
#include <genwire/crypt.h>
#include <genwire/frame.h>
#include <genwire/http.h>

#include "tool.h"

#define REC (OPT_MAX_RECORD | OPT_FORMAT | OPT_INPUT) /* what every record layer takes */

const layer_row layer_table[] = {
    /* Byte layers. */
    {"secretstream", LAYER_BYTES, OPT_KEY, 0, &crypt_ops, "an encrypted message"},
    {"gzip", LAYER_BYTES, OPT_MAX_OUTPUT | OPT_INFLATE_BACKEND | OPT_LEVEL, GW_ZFORMAT_GZIP,
     &zlib_ops, "a gzip member"},
    {"zlib", LAYER_BYTES, OPT_MAX_OUTPUT | OPT_INFLATE_BACKEND | OPT_LEVEL, GW_ZFORMAT_ZLIB,
     &zlib_ops, "the zlib stream"},
    {"deflate", LAYER_BYTES, OPT_MAX_OUTPUT | OPT_INFLATE_BACKEND | OPT_LEVEL, GW_ZFORMAT_DEFLATE,
     &zlib_ops, "the deflate stream"},
    {"chunked", LAYER_BYTES, 0, 0, &chunked_ops, "the chunked body"},
    /* Record layers. */
    {"u8", LAYER_RECORDS, REC, GW_FRAME_U8, &records_ops, "a record"},
    {"u16be", LAYER_RECORDS, REC, GW_FRAME_U16BE, &records_ops, "a record"},
    {"u16le", LAYER_RECORDS, REC, GW_FRAME_U16LE, &records_ops, "a record"},
    {"u32be", LAYER_RECORDS, REC, GW_FRAME_U32BE, &records_ops, "a record"},
    {"u32le", LAYER_RECORDS, REC, GW_FRAME_U32LE, &records_ops, "a record"},
    {"u64be", LAYER_RECORDS, REC, GW_FRAME_U64BE, &records_ops, "a record"},
    {"u64le", LAYER_RECORDS, REC, GW_FRAME_U64LE, &records_ops, "a record"},
    {"varint", LAYER_RECORDS, REC, GW_FRAME_VARINT, &records_ops, "a record"},
    {"lines", LAYER_RECORDS, REC, GW_FRAME_LINES, &records_ops, "a record"},
    {"netstring", LAYER_RECORDS, REC, GW_FRAME_NETSTRING, &records_ops, "a record"},
    /* Message layers. */
    {"resp", LAYER_MESSAGES, OPT_FORMAT | OPT_MAX_RECORD, 0, &resp_ops, "a RESP reply"},
    {"http-request", LAYER_MESSAGES, OPT_FORMAT | OPT_MAX_RECORD | OPT_MAX_OUTPUT | OPT_INPUT,
     GW_HTTP_REQUEST, &http_ops, "an HTTP request"},
    {"http-response", LAYER_MESSAGES, OPT_FORMAT | OPT_MAX_RECORD | OPT_MAX_OUTPUT | OPT_INPUT,
     GW_HTTP_RESPONSE, &http_ops, "an HTTP response"},
    {NULL, LAYER_BYTES, 0, 0, NULL, NULL},
};

const layer_row *layer_find(const char *name)
{
    const layer_row *row;

    for (row = layer_table; row->name != NULL; row++)
        if (strcmp(row->name, name) == 0)
            return row;
    return NULL;
}

void layer_names(enum layer_kind kind, char *buf, size_t len)
{
    const layer_row *row;
    size_t k = 0;

    buf[0] = '\0';
    for (row = layer_table; row->name != NULL; row++) {
        int w;
        if (row->kind != kind)
            continue;
        w = snprintf(buf + k, len - k, "%s%s", k ? ", " : "", row->name);
        if (w < 0 || (size_t)w >= len - k)
            return;
        k += (size_t)w;
    }
}

void layer_users(unsigned opt, char *buf, size_t len)
{
    const layer_row *row;
    size_t k = 0;
    int all_records = 1, said_records = 0;

    for (row = layer_table; row->name != NULL; row++)
        if (row->kind == LAYER_RECORDS && !(row->opts & opt))
            all_records = 0;
    buf[0] = '\0';
    for (row = layer_table; row->name != NULL; row++) {
        const char *name = row->name;
        int w;
        if (!(row->opts & opt))
            continue;
        if (all_records && row->kind == LAYER_RECORDS) {
            if (said_records)
                continue;
            name = "every record layer";
            said_records = 1;
        }
        w = snprintf(buf + k, len - k, "%s%s", k ? ", " : "", name);
        if (w < 0 || (size_t)w >= len - k)
            return;
        k += (size_t)w;
    }
}

int layer_open_input(layer *l, gw_reader *src)
{
    const uint8_t *data;
    size_t len;

    if (stall_reader_map(src, &data, &len)) {
        gw_bufreader_init_mem(&l->in, data, len); /* a mapped file: read in place */
        return 0;
    }
    return gw_bufreader_init(&l->in, src, BYTES_BUFFER);
}

int layer_open_lines(layer *l, gw_record_reader *rr, int *rr_live, size_t max_line,
                     gw_bufwriter *bw, gw_writer *dst)
{
    gw_frame_limits lim;
    int err;

    gw_frame_limits_default(&lim);
    lim.max_line = max_line;
    lim.max_empty = GW_UNLIMITED;
    if ((err = gw_record_reader_init(rr, &l->in, GW_FRAME_LINES, &lim, GW_RECORD_ASSEMBLE)) != 0)
        return err;
    *rr_live = 1;
    if ((err = gw_bufwriter_init(bw, dst, IO_BUFFER)) != 0)
        return err;
    l->w = &bw->w;
    return 0;
}

void layer_close_lines(layer *l, gw_record_reader *rr, int rr_live, gw_bufwriter *bw)
{
    if (rr_live)
        gw_record_reader_fini(rr);
    if (l->w != NULL)
        gw_bufwriter_fini(bw);
}

int layer_lines_error(const gw_record_reader *rr, uint64_t line_no, const char *why, char *buf,
                      size_t len)
{
    if (why != NULL)
        snprintf(buf, len, "input line %" PRIu64 ": %s", line_no, why);
    else if (rr != NULL && rr->err != 0)
        snprintf(buf, len, "input line %" PRIu64 ": %s", line_no + 1, gw_strerror(rr->err));
    else
        return 0;
    return 1;
}

/* Allocates an adapter's state of n zeroed bytes into l->state. */
static void *new_state(layer *l, size_t n)
{
    l->state = calloc(1, n);
    return l->state;
}

/* The usual error text of a byte layer l whose reader is r: "msg at byte
 * N", where the end of input inside a unit says which unit. */
static int reader_error(const layer *l, const gw_reader *r, const char *msg, char *buf, size_t len)
{
    char what[96];

    if (r == NULL || r->err == 0)
        return 0;
    if (r->err == GW_ETRUNCATED || r->err == GW_EUNEXPECTED_EOF)
        msg = layer_truncated(l, what, sizeof(what));
    snprintf(buf, len, "%s at byte %" PRIu64, msg != NULL && *msg ? msg : gw_strerror(r->err),
             r->err_off);
    return 1;
}

const char *layer_truncated(const layer *l, char *buf, size_t len)
{
    snprintf(buf, len, "the input ends inside %s",
             l->row->unit != NULL ? l->row->unit : "its stream");
    return buf;
}

/* The error of a byte layer whose decoder's reader says it all. */
static int plain_error(const layer *l, const job *j, char *buf, size_t len)
{
    (void)j;
    return !l->encoding && reader_error(l, l->r, NULL, buf, len);
}

/* ---- secretstream ------------------------------------------------------------- */

typedef union crypt_state {
    gw_decrypt dec; /* decode */
    gw_encrypt enc; /* encode */
} crypt_state;

static int crypt_open_decode(layer *l, gw_reader *src, job *j)
{
    crypt_state *st;
    gw_crypt_options co = {0};
    int err;

    if ((err = layer_open_input(l, src)) != 0)
        return err;
    if ((st = new_state(l, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    l->r = &st->dec.r;
    return gw_decrypt_init(&st->dec, &l->in, j->key, &co);
}

static int crypt_open_encode(layer *l, gw_writer *dst, job *j)
{
    crypt_state *st = new_state(l, sizeof(*st));

    if (st == NULL)
        return GW_ENOMEM;
    l->w = &st->enc.w;
    return gw_encrypt_init(&st->enc, dst, j->key, NULL);
}

static void crypt_close(layer *l)
{
    crypt_state *st = l->state;

    if (st != NULL && l->encoding)
        gw_encrypt_fini(&st->enc);
    else if (st != NULL)
        gw_decrypt_fini(&st->dec);
}

const layer_ops crypt_ops = {crypt_open_decode, crypt_open_encode, NULL, NULL,
                             plain_error,       crypt_close};

/* ---- gzip, zlib, deflate ------------------------------------------------------------ */

typedef union zlib_state {
    gw_inflate inf; /* decode */
    gw_deflate def; /* encode */
} zlib_state;

static int zlib_open_decode(layer *l, gw_reader *src, job *j)
{
    zlib_state *st;
    gw_inflate_opts io;
    int err;

    if ((err = layer_open_input(l, src)) != 0)
        return err;
    if ((st = new_state(l, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    gw_inflate_opts_default(&io);
    io.format = (gw_zformat)l->row->param;
    io.max_output = j->opt->max_output;
    io.backend = (gw_inflate_backend)j->opt->inflate_backend;
    l->r = &st->inf.r;
    return gw_inflate_init(&st->inf, &l->in, &io);
}

static int zlib_open_encode(layer *l, gw_writer *dst, job *j)
{
    zlib_state *st = new_state(l, sizeof(*st));
    gw_deflate_opts zo;

    if (st == NULL)
        return GW_ENOMEM;
    gw_deflate_opts_default(&zo);
    zo.format = (gw_zformat)l->row->param;
    zo.level = j->opt->level == 0 ? GW_DEFLATE_STORE : j->opt->level; /* 0 stores */
    l->w = &st->def.w;
    return gw_deflate_init(&st->def, dst, &zo);
}

static int zlib_error(const layer *l, const job *j, char *buf, size_t len)
{
    const zlib_state *st = l->state;
    char what[128];

    if (l->encoding || st == NULL)
        return 0;
    if (st->inf.r.err == GW_EOUTPUT_LIMIT) {
        snprintf(what, sizeof(what), "decompressed output over --max-output %" PRIu64,
                 j->opt->max_output);
        return reader_error(l, l->r, what, buf, len);
    }
    if (st->inf.r.err == GW_ERATIO_LIMIT) {
        snprintf(what, sizeof(what), "decompressed output over %u bytes per input byte",
                 st->inf.opts.max_ratio ? (unsigned)st->inf.opts.max_ratio
                                        : GW_INFLATE_DEFAULT_MAX_RATIO);
        return reader_error(l, l->r, what, buf, len);
    }
    return reader_error(l, l->r, gw_inflate_msg(&st->inf), buf, len);
}

static void zlib_close(layer *l)
{
    zlib_state *st = l->state;

    if (st != NULL && l->encoding)
        gw_deflate_fini(&st->def);
    else if (st != NULL)
        gw_inflate_fini(&st->inf);
}

const layer_ops zlib_ops = {zlib_open_decode, zlib_open_encode, NULL, NULL, zlib_error, zlib_close};

/* ---- chunked ------------------------------------------------------------------------- */

typedef union chunked_state {
    gw_chunked_reader rd; /* decode */
    gw_chunked_writer wr; /* encode */
} chunked_state;

static int chunked_open_decode(layer *l, gw_reader *src, job *j)
{
    chunked_state *st;
    int err;

    (void)j;
    if ((err = layer_open_input(l, src)) != 0)
        return err;
    if ((st = new_state(l, sizeof(*st))) == NULL)
        return GW_ENOMEM;
    gw_chunked_reader_init(&st->rd, &l->in, NULL);
    l->r = &st->rd.r;
    return 0;
}

static int chunked_open_encode(layer *l, gw_writer *dst, job *j)
{
    chunked_state *st = new_state(l, sizeof(*st));

    (void)j;
    if (st == NULL)
        return GW_ENOMEM;
    l->w = &st->wr.w;
    return gw_chunked_writer_init(&st->wr, dst, IO_BUFFER);
}

static void chunked_close(layer *l)
{
    chunked_state *st = l->state;

    if (st != NULL && l->encoding)
        gw_chunked_writer_fini(&st->wr);
}

const layer_ops chunked_ops = {chunked_open_decode, chunked_open_encode, NULL, NULL,
                               plain_error,         chunked_close};
