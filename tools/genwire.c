/*
 * genwire: the command-line tool.  A pipe-through decoder and encoder for any
 * stack of layers, standard input to standard output:
 *
 *     genwire encode secretstream,gzip,u32be --key k < lines > wire
 *     genwire decode secretstream,gzip,u32be --key k --format json < wire
 *
 * STACK lists layers from the wire inward; byte layers (secretstream, gzip,
 * zlib, deflate, chunked) first, at most one record layer (u8 .. u64le,
 * varint, lines, netstring) last.  Both directions run as one task on the
 * poll() executor over the fd transport; standard input and output are made
 * non-blocking only when they are pipes or sockets, and their flags are
 * restored on every way out, signals included.  Memory stays flat: every
 * buffer is allocated before the first byte is read.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <genwire/compress.h>
#include <genwire/crypt.h>
#include <genwire/exec.h>
#include <genwire/frame.h>
#include <genwire/io.h>
#include <genwire/version.h>

#include "text.h"

#define MAX_LAYERS 8
#define IO_BUFFER  (128u << 10) /* each bufreader and the output buffer */

/* Exit statuses. */
#define EXIT_DATA  1 /* bad input, I/O error */
#define EXIT_USAGE 2 /* bad command line */

/* ---- the command line ------------------------------------------------------- */

enum out_format { OUT_RAW, OUT_LINES, OUT_HEX, OUT_JSON };
enum in_format { IN_LINES, IN_JSON };

typedef struct options {
    int encode;             /* encode (1) or decode (0) */
    const char *stack;      /* the STACK argument */
    enum out_format format; /* decode --format */
    enum in_format input;   /* encode --input */
    const char *key;        /* --key FILE */
    uint64_t max_record;    /* --max-record */
    uint64_t max_output;    /* --max-output */
    int level;              /* --level */
    int progress;           /* 1 on, 0 off, -1 when standard error is a terminal */
} options;

/* The kinds of layer. */
enum layer_kind { L_SECRETSTREAM, L_GZIP, L_ZLIB, L_DEFLATE, L_CHUNKED, L_RECORD };

/* One layer of the stack, in either direction. */
typedef struct layer {
    enum layer_kind kind;
    const char *name;    /* as written in STACK */
    gw_frame_format fmt; /* L_RECORD: the record format */
    gw_bufreader in;     /* decode: the layer's input buffer */
    union {
        gw_decrypt dec;        /* decode secretstream */
        gw_inflate inf;        /* decode gzip, zlib, deflate */
        gw_chunked_reader chr; /* decode chunked */
        gw_encrypt enc;        /* encode secretstream */
        gw_deflate def;        /* encode gzip, zlib, deflate */
        gw_chunked_writer chw; /* encode chunked */
    } u;
    int live; /* u is initialised and needs its fini */
} layer;

static const char *progname = "genwire";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", progname);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
}

static const char main_help[] =
    "Usage: genwire COMMAND [OPTIONS] ...\n"
    "Decode or encode a stream through a stack of protocol layers, standard\n"
    "input to standard output.\n"
    "\n"
    "Commands:\n"
    "  decode [OPTIONS] STACK   decode standard input, write the payload\n"
    "  encode [OPTIONS] STACK   encode standard input into STACK's wire format\n"
    "  keygen FILE              write a new secretstream key to FILE (mode 0600)\n"
    "\n"
    "STACK lists layers from the wire inward, separated by commas, e.g.\n"
    "secretstream,gzip,u32be.  Byte layers: secretstream, gzip, zlib, deflate,\n"
    "chunked.  At most one record layer, last: u8, u16be, u16le, u32be, u32le,\n"
    "u64be, u64le, varint, lines, netstring.\n"
    "\n"
    "Run 'genwire decode --help' or 'genwire encode --help' for the options.\n"
    "  -h, --help      show this help\n"
    "  -V, --version   show the version\n"
    "\n"
    "Exit status: 0 success, 1 bad input or I/O error, 2 bad command line.\n";

static const char decode_help[] =
    "Usage: genwire decode [OPTIONS] STACK\n"
    "Decode standard input through STACK (layers from the wire inward) and\n"
    "write the result to standard output.  With a record layer, each record\n"
    "is written per --format; without one, the decoded bytes.\n"
    "\n"
    "Options:\n"
    "  --format FMT       raw (payloads back to back, the default), lines (one\n"
    "                     record a line), hex (one record a line, in hex), json\n"
    "                     (JSON Lines: {\"offset\": N, \"length\": N, \"text\": \"...\"}\n"
    "                     or \"base64\" instead of \"text\" when not UTF-8)\n"
    "  --key FILE         the key file for secretstream (64 hex digits, mode 0600)\n"
    "  --max-record N     largest record in bytes (default 8388608)\n"
    "  --max-output N     largest decompressed size per compression layer\n"
    "                     (default 4294967296)\n"
    "  --progress         show progress on standard error\n"
    "  --no-progress      do not (default: show it when standard error is a\n"
    "                     terminal)\n"
    "  -h, --help         show this help\n"
    "\n"
    "An error names the layer and the byte offset in that layer's input, e.g.\n"
    "  genwire: gzip: invalid distance too far back at byte 1234\n"
    "and exits with status 1, after writing what was decoded before it.\n";

static const char encode_help[] =
    "Usage: genwire encode [OPTIONS] STACK\n"
    "Encode standard input into STACK's wire format (layers from the wire\n"
    "inward) on standard output; 'genwire decode STACK' reads it back.  With a\n"
    "record layer, each input line (or JSON object) is one record; without\n"
    "one, the input bytes are the payload.\n"
    "\n"
    "Options:\n"
    "  --input FMT        lines (each line a record, LF or CR LF ended; the\n"
    "                     default) or json (one object a line, its \"text\" or\n"
    "                     \"base64\" member the record; other members ignored,\n"
    "                     so the output of 'decode --format json' encodes back)\n"
    "  --key FILE         the key file for secretstream\n"
    "  --level N          compression level 0-9 (default 6)\n"
    "  --max-record N     largest record in bytes (default 8388608)\n"
    "  --progress, --no-progress   as for decode\n"
    "  -h, --help         show this help\n";

/* Parses a non-negative decimal number. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Parses STACK into layers; returns the count, or -1 after a usage error. */
static int parse_stack(const char *stack, layer *ls)
{
    char buf[256];
    char *save = NULL, *tok;
    int n = 0;

    if (strlen(stack) >= sizeof(buf) || stack[0] == '\0') {
        usage_error("bad STACK '%s'", stack);
        return -1;
    }
    strcpy(buf, stack);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        layer *l = &ls[n];
        const char *name = stack + (tok - buf);

        if (n == MAX_LAYERS) {
            usage_error("STACK '%s' has too many layers", stack);
            return -1;
        }
        if (n > 0 && ls[n - 1].kind == L_RECORD) {
            usage_error("the record layer must be the last in STACK '%s'", stack);
            return -1;
        }
        memset(l, 0, sizeof(*l));
        if (strcmp(tok, "secretstream") == 0)
            l->kind = L_SECRETSTREAM, l->name = "secretstream";
        else if (strcmp(tok, "gzip") == 0)
            l->kind = L_GZIP, l->name = "gzip";
        else if (strcmp(tok, "zlib") == 0)
            l->kind = L_ZLIB, l->name = "zlib";
        else if (strcmp(tok, "deflate") == 0)
            l->kind = L_DEFLATE, l->name = "deflate";
        else if (strcmp(tok, "chunked") == 0)
            l->kind = L_CHUNKED, l->name = "chunked";
        else if (gw_frame_format_parse(tok, &l->fmt) == 0)
            l->kind = L_RECORD, l->name = gw_frame_format_name(l->fmt);
        else {
            usage_error("unknown layer '%s' (see --help for the list)", tok);
            return -1;
        }
        (void)name;
        n++;
    }
    if (n == 0) {
        usage_error("bad STACK '%s'", stack);
        return -1;
    }
    return n;
}

/* ---- standard input and output ------------------------------------------------ */

/* The fcntl flags of fds 0 and 1 before we changed them, or -1; read by the
 * signal handler, hence volatile sig_atomic_t-sized ints. */
static volatile sig_atomic_t saved_fl[2] = {-1, -1};

static void restore_flags(void)
{
    int fd;

    for (fd = 0; fd < 2; fd++)
        if (saved_fl[fd] >= 0)
            fcntl(fd, F_SETFL, (int)saved_fl[fd]);
}

static void on_fatal_signal(int sig)
{
    restore_flags();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Wraps fd 0 or 1: non-blocking only for pipes and sockets. */
static int open_std(gw_fdio *io, int fd)
{
    struct stat st;
    unsigned flags = 0;
    int fl = fcntl(fd, F_GETFL);

    if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && fl >= 0 &&
        !(fl & O_NONBLOCK)) {
        saved_fl[fd] = fl;
        flags = GW_FDIO_NONBLOCK;
    }
    return gw_fdio_init(io, fd, flags);
}

/* ---- progress ------------------------------------------------------------------ */

typedef struct progress {
    int on;        /* showing it */
    int64_t start; /* gw_now() at the start */
    int64_t last;  /* when it was last drawn */
    int drawn;     /* something is on the line */
} progress;

static void progress_draw(progress *p, uint64_t in, uint64_t out, int final)
{
    int64_t now = gw_now();
    double secs;

    if (!p->on || (!final && now - p->last < 250000000))
        return;
    if (final && !p->drawn)
        return;
    p->last = now;
    secs = (double)(now - p->start) / 1e9;
    fprintf(stderr, "\r%s: %.1f MiB in, %.1f MiB out, %.1f MiB/s%s", progname,
            (double)in / 1048576.0, (double)out / 1048576.0,
            secs > 0 ? (double)in / 1048576.0 / secs : 0.0, final ? "\n" : "   ");
    p->drawn = 1;
}

/* ---- decode --------------------------------------------------------------------- */

typedef struct decoder {
    GW_FRAME(gw_wait);
    const options *opt;
    layer *ls;           /* the layers, wire first */
    int n;               /* how many */
    gw_reader *top;      /* decoded bytes (the innermost byte layer, or stdin) */
    gw_bufreader *rin;   /* the record layer's input, if there is one */
    gw_record_reader rr; /* the record reader */
    gw_bufwriter out;    /* standard output, buffered */
    uint8_t *buf;        /* scratch: bytes copied, or one formatted record */
    size_t bufcap;
    uint64_t since_yield; /* bytes since the last voluntary yield */
    gw_io_op *op;
    int res;
    int ret; /* 0, or the first error */
} decoder;

/* Formats the current record into d->buf per --format; returns its length. */
static size_t format_record(decoder *d)
{
    const gw_record_reader *rr = &d->rr;
    char *o = (char *)d->buf;
    size_t k = 0;

    switch (d->opt->format) {
    case OUT_RAW:
        return 0; /* written straight from the record */
    case OUT_LINES:
        return 0;
    case OUT_HEX:
        tx_hex(rr->data, rr->len, o);
        o[2 * rr->len] = '\n';
        return 2 * rr->len + 1;
    case OUT_JSON:
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
    return 0;
}

GW_GENERATOR(decoder, NULL);
GW_BODY(decoder, s)
{
    size_t n;

    GW_BEGIN(s);
    s->ret = 0;
    if (s->rin == NULL) {
        /* No record layer: copy the decoded bytes out. */
        for (;;) {
            GW_AWAIT(s, op, gw_try_read(s->top, s->buf, s->bufcap, 1));
            if (s->op->ret < 0) {
                s->ret = s->op->ret; /* after writing out what came before */
                break;
            }
            if (s->op->n == 0)
                break;
            GW_AWAIT(s, op, gw_write(&s->out.w, s->buf, s->op->n));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            s->since_yield += s->op->n;
            if (s->since_yield >= (4u << 20)) {
                s->since_yield = 0;
                GW_YIELD(s, gw_wait_ready()); /* a turn for the progress line */
            }
        }
    } else {
        for (;;) {
            GW_RECORD_NEXT(s, op, &s->rr, s->res);
            if (s->res < 0) {
                s->ret = s->res;
                break;
            }
            if (s->res == 0)
                break;
            n = format_record(s);
            if (n > 0) {
                GW_AWAIT(s, op, gw_write(&s->out.w, s->buf, n));
            } else {
                GW_AWAIT(s, op, gw_write(&s->out.w, s->rr.data, s->rr.len));
                if (s->op->ret == 0 && s->opt->format == OUT_LINES)
                    GW_AWAIT(s, op, gw_write(&s->out.w, "\n", 1));
            }
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            s->since_yield += s->rr.len + 16;
            if (s->since_yield >= (4u << 20)) {
                s->since_yield = 0;
                GW_YIELD(s, gw_wait_ready());
            }
        }
    }
    GW_AWAIT(s, op, gw_flush(&s->out.w));
    if (s->op->ret < 0)
        GW_RETURN(s, s->op->ret);
    GW_END(s);
}

/* ---- encode --------------------------------------------------------------------- */

typedef struct encoder {
    GW_FRAME(gw_wait);
    const options *opt;
    gw_bufreader *in;       /* standard input, buffered */
    gw_writer *top;         /* the innermost writer of the stack */
    int records;            /* there is a record layer */
    gw_record_reader lines; /* the input, as lines */
    gw_bufwriter bw;        /* in front of top, for the record writer */
    gw_record_writer rw;    /* the record layer */
    uint8_t *scratch;       /* a decoded JSON payload */
    tx_record rec;
    uint64_t line_no; /* input line being encoded, for messages */
    const char *why;  /* a JSON input error */
    uint64_t since_yield;
    gw_io_op *op;
    int res;
    int ret;
} encoder;

GW_GENERATOR(encoder, NULL);
GW_BODY(encoder, s)
{
    GW_BEGIN(s);
    if (!s->records) {
        for (;;) {
            GW_FILL(s, op, s->in, 1);
            if (gw_bufreader_avail(s->in) == 0) {
                if (s->in->r.err != 0)
                    GW_RETURN(s, s->in->r.err);
                break;
            }
            GW_AWAIT(s, op, gw_write(s->top, gw_bufreader_peek(s->in), gw_bufreader_avail(s->in)));
            if (s->op->ret < 0)
                GW_RETURN(s, s->op->ret);
            s->since_yield += gw_bufreader_avail(s->in);
            gw_bufreader_consume(s->in, gw_bufreader_avail(s->in));
            if (s->since_yield >= (4u << 20)) {
                s->since_yield = 0;
                GW_YIELD(s, gw_wait_ready());
            }
        }
        GW_AWAIT(s, op, gw_close(s->top));
        GW_RETURN(s, s->op->ret);
    }
    for (;;) {
        GW_RECORD_NEXT(s, op, &s->lines, s->res);
        if (s->res < 0)
            GW_RETURN(s, s->res);
        if (s->res == 0)
            break;
        s->line_no++;
        if (s->opt->input == IN_JSON) {
            if (tx_json_record((const char *)s->lines.data, s->lines.len, s->scratch, &s->rec,
                               &s->why) != 0)
                GW_RETURN(s, GW_EINVAL);
        } else {
            s->rec.data = (uint8_t *)(uintptr_t)s->lines.data;
            s->rec.len = s->lines.len;
        }
        GW_AWAIT(s, op, gw_record_write(&s->rw, s->rec.data, s->rec.len));
        if (s->op->ret < 0)
            GW_RETURN(s, s->op->ret);
        s->since_yield += s->rec.len + 16;
        if (s->since_yield >= (4u << 20)) {
            s->since_yield = 0;
            GW_YIELD(s, gw_wait_ready());
        }
    }
    GW_AWAIT(s, op, gw_close(&s->bw.w));
    GW_RETURN(s, s->op->ret);
    GW_END(s);
}

/* ---- running it ------------------------------------------------------------------ */

/* Drives the task to its end, drawing progress between turns. */
static int run(gw_exec *ex, progress *pg, const gw_fdio *in, const gw_fdio *out)
{
    int r;

    while ((r = gw_exec_run_once(ex, 1)) > 0)
        progress_draw(pg, in->r.nread, out->w.nwritten, 0);
    progress_draw(pg, in->r.nread, out->w.nwritten, 1);
    return r;
}

/* Reports the layer where an error started: errors travel inward, so the
 * outermost layer holding one is where it came from. */
static void report(const layer *ls, int n, const gw_fdio *in, const gw_fdio *out, int err,
                   const gw_record_reader *rr, const char *rname)
{
    int i;

    if (in->r.err != 0) {
        fprintf(stderr, "%s: standard input: %s\n", progname, strerror(in->sys_errno));
        return;
    }
    for (i = 0; i < n; i++) {
        const layer *l = &ls[i];
        const gw_reader *r = NULL;
        const char *msg = NULL;

        if (!l->live)
            continue;
        switch (l->kind) {
        case L_SECRETSTREAM:
            r = &l->u.dec.r;
            break;
        case L_GZIP:
        case L_ZLIB:
        case L_DEFLATE:
            r = &l->u.inf.r;
            msg = gw_inflate_msg(&l->u.inf);
            break;
        case L_CHUNKED:
            r = &l->u.chr.r;
            break;
        case L_RECORD:
            break;
        }
        if (r != NULL && r->err != 0) {
            fprintf(stderr, "%s: %s: %s at byte %" PRIu64 "\n", progname, l->name,
                    msg != NULL && *msg ? msg : gw_strerror(r->err), r->err_off);
            return;
        }
    }
    if (rr != NULL && rr->err != 0) {
        fprintf(stderr, "%s: %s: %s at byte %" PRIu64 "\n", progname, rname, gw_strerror(rr->err),
                rr->err_off);
        return;
    }
    if (out->w.err != 0) {
        fprintf(stderr, "%s: standard output: %s\n", progname, strerror(out->sys_errno));
        return;
    }
    fprintf(stderr, "%s: %s\n", progname, gw_strerror(err));
}

/* Loads the key if the stack needs one. */
static int need_key(const options *o, const layer *ls, int n, gw_key **key)
{
    int i, err;

    for (i = 0; i < n; i++)
        if (ls[i].kind == L_SECRETSTREAM)
            break;
    if (i == n)
        return 0;
    if (o->key == NULL) {
        usage_error("%s needs --key FILE", "secretstream");
        return EXIT_USAGE;
    }
    if ((err = gw_key_load(key, o->key)) != 0) {
        fprintf(stderr, "%s: %s: %s\n", progname, o->key,
                err == GW_EIO ? strerror(errno) : gw_strerror(err));
        return EXIT_DATA;
    }
    return 0;
}

static int do_decode(const options *o, layer *ls, int n, gw_key *key)
{
    gw_fdio in, out;
    gw_bufreader *prev;
    gw_exec *ex = NULL;
    decoder *d = calloc(1, sizeof(*d));
    progress pg = {o->progress, gw_now(), 0, 0};
    int i, err = 0, status = 0, nbytes = n;

    if (d == NULL || open_std(&in, 0) != 0 || open_std(&out, 1) != 0) {
        fprintf(stderr, "%s: cannot set up standard input and output\n", progname);
        free(d);
        return EXIT_DATA;
    }
    if (ls[n - 1].kind == L_RECORD)
        nbytes = n - 1;
    /* Wire first: each layer reads the bufreader over the one before. */
    prev = NULL;
    for (i = 0; i < n && err == 0; i++) {
        layer *l = &ls[i];
        gw_reader *src = i == 0 ? &in.r : NULL;
        if (i > 0) {
            const layer *p = &ls[i - 1];
            src = p->kind == L_SECRETSTREAM ? &((layer *)p)->u.dec.r
                  : p->kind == L_CHUNKED    ? &((layer *)p)->u.chr.r
                                            : &((layer *)p)->u.inf.r;
        }
        if ((err = gw_bufreader_init(&l->in, src, IO_BUFFER)) != 0)
            break;
        prev = &l->in;
        switch (l->kind) {
        case L_SECRETSTREAM: {
            gw_crypt_options co = {0};
            err = gw_decrypt_init(&l->u.dec, &l->in, key, &co);
            break;
        }
        case L_GZIP:
        case L_ZLIB:
        case L_DEFLATE: {
            gw_inflate_opts io;
            gw_inflate_opts_default(&io);
            io.format = l->kind == L_GZIP   ? GW_ZFORMAT_GZIP
                        : l->kind == L_ZLIB ? GW_ZFORMAT_ZLIB
                                            : GW_ZFORMAT_DEFLATE;
            io.max_output = o->max_output;
            err = gw_inflate_init(&l->u.inf, &l->in, &io);
            break;
        }
        case L_CHUNKED:
            gw_chunked_reader_init(&l->u.chr, &l->in, NULL);
            break;
        case L_RECORD:
            break;
        }
        l->live = l->kind != L_RECORD;
    }
    if (err == 0) {
        gw_frame_limits lim;

        d->opt = o;
        d->ls = ls;
        d->n = n;
        d->top = nbytes == 0                             ? &in.r
                 : ls[nbytes - 1].kind == L_SECRETSTREAM ? &ls[nbytes - 1].u.dec.r
                 : ls[nbytes - 1].kind == L_CHUNKED      ? &ls[nbytes - 1].u.chr.r
                                                         : &ls[nbytes - 1].u.inf.r;
        gw_frame_limits_default(&lim);
        lim.max_record = o->max_record;
        d->bufcap = IO_BUFFER;
        if (nbytes < n) {
            d->rin = prev;
            /* Lines are handed out in place: the buffer holds the longest. */
            if (ls[n - 1].fmt == GW_FRAME_LINES) {
                lim.max_line = IO_BUFFER - 2;
                if (o->max_record < lim.max_line)
                    lim.max_line = (size_t)o->max_record;
            }
            err = gw_record_reader_init(&d->rr, d->rin, ls[n - 1].fmt, &lim, GW_RECORD_ASSEMBLE);
            /* One formatted record: hex takes 2 bytes a byte, JSON escapes
             * up to 6 (base64 fewer); raw and lines need no buffer. */
            if (o->format == OUT_HEX)
                d->bufcap = 2 * (size_t)o->max_record + 1;
            else if (o->format == OUT_JSON)
                d->bufcap = 6 * (size_t)o->max_record + 128;
            else
                d->bufcap = 1;
        }
        if (err == 0 && (d->buf = malloc(d->bufcap)) == NULL)
            err = GW_ENOMEM;
        if (err == 0)
            err = gw_bufwriter_init(&d->out, &out.w, IO_BUFFER);
    }
    if (err == 0 && (ex = gw_exec_new()) == NULL)
        err = GW_ENOMEM;
    if (err == 0) {
        GW_INIT(d, decoder);
        d->ret = 0;
        if (GW_SPAWN(ex, d, NULL, NULL) == NULL)
            err = GW_ENOMEM;
        else if ((err = run(ex, &pg, &in, &out)) == 0)
            err = d->ret;
    }
    if (err == GW_EPIPE && out.w.err == GW_EPIPE) {
        status = -SIGPIPE; /* standard output closed: end quietly */
    } else if (err != 0) {
        if (err == GW_ENOMEM || err == GW_EINVAL)
            fprintf(stderr, "%s: %s\n", progname, gw_strerror(err));
        else
            report(ls, n, &in, &out, err, nbytes < n ? &d->rr : NULL, ls[n - 1].name);
        status = EXIT_DATA;
    }
    gw_exec_free(ex);
    if (nbytes < n)
        gw_record_reader_fini(&d->rr);
    gw_bufwriter_fini(&d->out);
    free(d->buf);
    for (i = n - 1; i >= 0; i--) {
        layer *l = &ls[i];
        if (l->live) {
            if (l->kind == L_SECRETSTREAM)
                gw_decrypt_fini(&l->u.dec);
            else if (l->kind == L_GZIP || l->kind == L_ZLIB || l->kind == L_DEFLATE)
                gw_inflate_fini(&l->u.inf);
        }
        if (l->in.buf != NULL)
            gw_bufreader_fini(&l->in);
    }
    free(d);
    gw_fdio_fini(&in);
    gw_fdio_fini(&out);
    return status;
}

static int do_encode(const options *o, layer *ls, int n, gw_key *key)
{
    gw_fdio in, out;
    gw_bufreader inbuf;
    gw_writer *dst;
    gw_exec *ex = NULL;
    encoder *e = calloc(1, sizeof(*e));
    progress pg = {o->progress, gw_now(), 0, 0};
    int i, err = 0, status = 0, nbytes = n;

    memset(&inbuf, 0, sizeof(inbuf));
    if (e == NULL || open_std(&in, 0) != 0 || open_std(&out, 1) != 0) {
        fprintf(stderr, "%s: cannot set up standard input and output\n", progname);
        free(e);
        return EXIT_DATA;
    }
    if (ls[n - 1].kind == L_RECORD)
        nbytes = n - 1;
    /* Writers chain from the wire inward: each writes into the one before. */
    dst = &out.w;
    for (i = 0; i < nbytes && err == 0; i++) {
        layer *l = &ls[i];
        switch (l->kind) {
        case L_SECRETSTREAM:
            err = gw_encrypt_init(&l->u.enc, dst, key, NULL);
            dst = &l->u.enc.w;
            break;
        case L_GZIP:
        case L_ZLIB:
        case L_DEFLATE: {
            gw_deflate_opts zo;
            gw_deflate_opts_default(&zo);
            zo.format = l->kind == L_GZIP   ? GW_ZFORMAT_GZIP
                        : l->kind == L_ZLIB ? GW_ZFORMAT_ZLIB
                                            : GW_ZFORMAT_DEFLATE;
            zo.level = o->level;
            err = gw_deflate_init(&l->u.def, dst, &zo);
            dst = &l->u.def.w;
            break;
        }
        case L_CHUNKED:
            err = gw_chunked_writer_init(&l->u.chw, dst, IO_BUFFER);
            dst = &l->u.chw.w;
            break;
        case L_RECORD:
            break;
        }
        l->live = 1;
    }
    /* With a record layer, an input line is a record: the buffer holds the
     * longest line allowed (a JSON one may spend 6 bytes per payload byte).
     * Only the part that lines actually use becomes resident. */
    if (err == 0) {
        uint64_t cap = IO_BUFFER;
        if (nbytes < n)
            cap = o->input == IN_JSON ? 6 * o->max_record + 256 : o->max_record + 2;
        if (cap < IO_BUFFER)
            cap = IO_BUFFER;
        if (cap > SIZE_MAX / 2)
            err = GW_EINVAL;
        else
            err = gw_bufreader_init(&inbuf, &in.r, (size_t)cap);
    }
    if (err == 0) {
        e->opt = o;
        e->in = &inbuf;
        e->top = dst;
        e->records = nbytes < n;
        if (e->records) {
            gw_frame_limits lim;
            gw_frame_limits_default(&lim);
            lim.max_line = inbuf.cap - 2;
            lim.max_empty = UINT64_MAX;
            err =
                gw_record_reader_init(&e->lines, &inbuf, GW_FRAME_LINES, &lim, GW_RECORD_ASSEMBLE);
            if (err == 0)
                err = gw_bufwriter_init(&e->bw, dst, IO_BUFFER);
            if (err == 0)
                err = gw_record_writer_init(&e->rw, &e->bw, ls[n - 1].fmt, o->max_record);
            if (err == 0 && (e->scratch = malloc(inbuf.cap)) == NULL)
                err = GW_ENOMEM;
        }
    }
    if (err == 0 && (ex = gw_exec_new()) == NULL)
        err = GW_ENOMEM;
    if (err == 0) {
        GW_INIT(e, encoder);
        e->ret = 0;
        if (GW_SPAWN(ex, e, NULL, NULL) == NULL)
            err = GW_ENOMEM;
        else if ((err = run(ex, &pg, &in, &out)) == 0)
            err = e->ret;
    }
    if (err == GW_EPIPE && out.w.err == GW_EPIPE) {
        status = -SIGPIPE;
    } else if (err != 0) {
        if (e->why != NULL)
            fprintf(stderr, "%s: input line %" PRIu64 ": %s\n", progname, e->line_no, e->why);
        else if (e->lines.err != 0)
            fprintf(stderr, "%s: input line %" PRIu64 ": %s\n", progname, e->line_no + 1,
                    gw_strerror(e->lines.err));
        else if (err == GW_ERECORD_TOO_LARGE || (err == GW_EINVAL && e->records))
            fprintf(stderr, "%s: %s: input line %" PRIu64 ": %s\n", progname, ls[n - 1].name,
                    e->line_no, gw_strerror(err));
        else if (in.r.err != 0)
            fprintf(stderr, "%s: standard input: %s\n", progname, strerror(in.sys_errno));
        else if (out.w.err != 0)
            fprintf(stderr, "%s: standard output: %s\n", progname, strerror(out.sys_errno));
        else
            fprintf(stderr, "%s: %s\n", progname, gw_strerror(err));
        status = EXIT_DATA;
    }
    gw_exec_free(ex);
    if (e->records) {
        gw_record_reader_fini(&e->lines);
        gw_bufwriter_fini(&e->bw);
    }
    free(e->scratch);
    gw_bufreader_fini(&inbuf);
    for (i = nbytes - 1; i >= 0; i--) {
        layer *l = &ls[i];
        if (!l->live)
            continue;
        if (l->kind == L_SECRETSTREAM)
            gw_encrypt_fini(&l->u.enc);
        else if (l->kind == L_CHUNKED)
            gw_chunked_writer_fini(&l->u.chw);
        else
            gw_deflate_fini(&l->u.def);
    }
    free(e);
    gw_fdio_fini(&in);
    gw_fdio_fini(&out);
    return status;
}

static int do_keygen(int argc, char **argv)
{
    int err;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: genwire keygen FILE\n"
               "Write a new random secretstream key to FILE as 64 hex digits and a\n"
               "newline, with mode 0600.  An existing FILE is never overwritten.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        usage_error("%s", "keygen takes one argument, the key file to create");
        return EXIT_USAGE;
    }
    if ((err = gw_keygen_file(argv[1])) != 0) {
        fprintf(stderr, "%s: %s: %s\n", progname, argv[1],
                err == GW_EIO ? strerror(errno) : gw_strerror(err));
        return EXIT_DATA;
    }
    return 0;
}

/* Parses the options of decode or encode; returns 0, or an exit status + 1. */
static int parse_options(int argc, char **argv, options *o)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--format") == 0 || strcmp(a, "--input") == 0 ||
                    strcmp(a, "--key") == 0 || strcmp(a, "--max-record") == 0 ||
                    strcmp(a, "--max-output") == 0 || strcmp(a, "--level") == 0;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(o->encode ? encode_help : decode_help, stdout);
            return 1;
        }
        if (takes && v == NULL) {
            usage_error("option '%s' needs a value", a);
            return 1 + EXIT_USAGE;
        }
        if (strcmp(a, "--format") == 0 && !o->encode) {
            if (strcmp(v, "raw") == 0)
                o->format = OUT_RAW;
            else if (strcmp(v, "lines") == 0)
                o->format = OUT_LINES;
            else if (strcmp(v, "hex") == 0)
                o->format = OUT_HEX;
            else if (strcmp(v, "json") == 0)
                o->format = OUT_JSON;
            else {
                usage_error("unknown --format '%s' (raw, lines, hex, json)", v);
                return 1 + EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--input") == 0 && o->encode) {
            if (strcmp(v, "lines") == 0)
                o->input = IN_LINES;
            else if (strcmp(v, "json") == 0)
                o->input = IN_JSON;
            else {
                usage_error("unknown --input '%s' (lines, json)", v);
                return 1 + EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--key") == 0) {
            o->key = v;
            i++;
        } else if (strcmp(a, "--max-record") == 0 ||
                   (strcmp(a, "--max-output") == 0 && !o->encode)) {
            uint64_t x;
            if (parse_u64(v, &x) != 0 || x == 0) {
                usage_error("'%s' is not a positive number", v);
                return 1 + EXIT_USAGE;
            }
            if (strcmp(a, "--max-record") == 0)
                o->max_record = x;
            else
                o->max_output = x;
            i++;
        } else if (strcmp(a, "--level") == 0 && o->encode) {
            if (strlen(v) != 1 || v[0] < '0' || v[0] > '9') {
                usage_error("--level takes 0 to 9, not '%s'", v);
                return 1 + EXIT_USAGE;
            }
            o->level = v[0] - '0';
            i++;
        } else if (strcmp(a, "--progress") == 0) {
            o->progress = 1;
        } else if (strcmp(a, "--no-progress") == 0) {
            o->progress = 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            usage_error("unknown option '%s'", a);
            return 1 + EXIT_USAGE;
        } else if (o->stack == NULL) {
            o->stack = a;
        } else {
            usage_error("unexpected argument '%s'", a);
            return 1 + EXIT_USAGE;
        }
    }
    if (o->stack == NULL) {
        usage_error("%s needs a STACK, e.g. gzip,u32be", o->encode ? "encode" : "decode");
        return 1 + EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    layer ls[MAX_LAYERS];
    gw_key *key = NULL;
    int n, r, status;
    static const int fatal[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    size_t k;

    if (argc < 2) {
        usage_error("%s", "a command is needed: decode, encode or keygen");
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(main_help, stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("genwire %s\n", gw_version());
        return 0;
    }
    if (strcmp(argv[1], "keygen") == 0)
        return do_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "decode") != 0 && strcmp(argv[1], "encode") != 0) {
        usage_error("unknown command '%s' (decode, encode, keygen)", argv[1]);
        return EXIT_USAGE;
    }
    memset(&o, 0, sizeof(o));
    o.encode = strcmp(argv[1], "encode") == 0;
    o.max_record = GW_FRAME_DEFAULT_MAX_RECORD;
    o.max_output = 4ull << 30;
    o.level = GW_DEFLATE_DEFAULT_LEVEL;
    o.progress = -1;
    if ((r = parse_options(argc - 1, argv + 1, &o)) != 0)
        return r - 1;
    if (o.progress < 0)
        o.progress = isatty(2);
    if ((n = parse_stack(o.stack, ls)) < 0)
        return EXIT_USAGE;
    if ((r = need_key(&o, ls, n, &key)) != 0)
        return r;

    /* A closed standard output shows as GW_EPIPE, never as a signal. */
    signal(SIGPIPE, SIG_IGN);
    for (k = 0; k < sizeof(fatal) / sizeof(fatal[0]); k++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_fatal_signal;
        sigaction(fatal[k], &sa, NULL);
    }
    status = o.encode ? do_encode(&o, ls, n, key) : do_decode(&o, ls, n, key);
    gw_key_free(key);
    restore_flags();
    if (status == -SIGPIPE) {
        /* End as a writer to a closed pipe ends, quietly. */
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
        return 0;
    }
    return status;
}
