/*
 * The genwire command-line tool's private header: the options, the layer
 * table's types, and what the files of tools/ share.  The tool is split by
 * job: genwire.c (the command line, the help, keygen), layers.c (the layer
 * table and the byte-layer adapters), records.c (the record-layer adapter and
 * its output formats), decode.c and encode.c (the two directions), run.c
 * (standard input and output, signals, progress, the executor loop),
 * mapped.c (a regular file on standard input read in place) and text.c
 * (UTF-8, JSON, base64, hex).
 *
 * A run builds one `layer` per STACK element from its row in the table
 * (`layer_table`), wire first.  Byte layers are AsyncReads (decode) or
 * AsyncWrites (encode) stacked on each other; the innermost layer may instead
 * be a record or message layer, whose adapter owns both ends of the run: in
 * decode it reads the bytes the layers below decoded and writes standard
 * output; in encode it reads standard input and writes into the layers
 * below.
 */
#ifndef GW_TOOLS_TOOL_H
#define GW_TOOLS_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/crypt.h>
#include <genwire/exec.h>
#include <genwire/frame.h>
#include <genwire/io.h>

#define MAX_LAYERS 8
#define IO_BUFFER  (128u << 10) /* the output buffer, and the bufreaders of record layers */
/* The bufreader of a byte layer's input, and the decoded bytes copied out at
 * a time: four times the output buffer, so that a full copy goes straight
 * down without a copy into it, and each library (ISA-L above all, which
 * saves its 32 KiB window at every call) works on large pieces. */
#define BYTES_BUFFER (4 * IO_BUFFER)
/* The decoded bytes copied out at a time when no record layer reads them
 * (`decode gzip`): twice a byte layer's buffer, as ISA-L copies its window
 * at every call (callgrind, 16 MiB out of `decode gzip`: 182.0 M
 * instructions with 512 KiB, 180.6 M with 1 MiB, igzip -dc 180.3 M). */
#define COPY_BUFFER (2 * BYTES_BUFFER)

/* Exit statuses. */
#define EXIT_DATA  1 /* bad input, I/O error */
#define EXIT_USAGE 2 /* bad command line */

/* ---- the command line ------------------------------------------------------- */

enum out_format { OUT_RAW, OUT_LINES, OUT_HEX, OUT_JSON };
enum in_format { IN_LINES, IN_JSON };

/* The options a layer takes, as bits of layer_row.opts. */
#define OPT_KEY             1u  /* --key FILE (and the layer needs it) */
#define OPT_MAX_RECORD      2u  /* --max-record N */
#define OPT_MAX_OUTPUT      4u  /* --max-output N (decode) */
#define OPT_LEVEL           8u  /* --level N (encode) */
#define OPT_FORMAT          16u /* --format FMT (decode) */
#define OPT_INPUT           32u /* --input FMT (encode) */
#define OPT_INFLATE_BACKEND 64u /* --inflate-backend NAME (decode) */

typedef struct options {
    int encode;             /* encode (1) or decode (0) */
    const char *stack;      /* the STACK argument */
    enum out_format format; /* decode --format */
    enum in_format input;   /* encode --input */
    const char *key;        /* --key FILE */
    uint64_t max_record;    /* --max-record */
    uint64_t max_output;    /* --max-output */
    int level;              /* --level */
    int inflate_backend;    /* --inflate-backend, a gw_inflate_backend */
    int progress;           /* 1 on, 0 off, -1 when standard error is a terminal */
    unsigned given;         /* OPT_* bits of the options on the command line */
} options;

extern const char *progname;

/* Prints "genwire: ", the printf-style message and the --help hint to
 * standard error. */
void usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- the layer table ---------------------------------------------------------- */

/* What a layer turns its input into. */
enum layer_kind {
    LAYER_BYTES,   /* a byte stream (gzip, secretstream, chunked) */
    LAYER_RECORDS, /* records, written per --format (u32be, lines, ...); innermost only */
    LAYER_MESSAGES /* messages, one JSON object each (http-request, resp); innermost only */
};

typedef struct layer layer;
typedef struct job job;

/*
 * The frame of a record or message adapter's task (its generator): the
 * adapter keeps its own state in l->state and whatever else survives a
 * suspension in the fields below.  Returns 0 or a gw error in `ret`.
 */
typedef struct stage {
    GW_FRAME(gw_wait);
    job *job;     /* the run */
    layer *l;     /* the adapter's layer */
    gw_io_op *op; /* an operation in progress */
    int res;      /* a result kept across a suspension */
    int ret;      /* 0, or the error that ended the task */
} stage;

/*
 * An adapter: how one kind of layer is opened, run and closed.  Every
 * function may be NULL where the kind does not need it.
 */
typedef struct layer_ops {
    /* Decode: sets up l->in over src (the layer below, or standard input)
     * and l->state; a byte layer also sets l->r, the AsyncRead of what it
     * decodes.  Returns 0 or a gw error (close is called either way). */
    int (*open_decode)(layer *l, gw_reader *src, job *j);
    /* Encode: sets up l->state over dst (the writer below, or standard
     * output); a byte layer sets l->w, where its input is written; a record
     * or message layer sets l->in over standard input and l->w, its own
     * writer (the run flushes or closes it at the end).  Returns 0 or a gw
     * error (close is called either way). */
    int (*open_encode)(layer *l, gw_writer *dst, job *j);
    /* Record and message layers: start the decode task (read l->in, write
     * j->out) or the encode task (read l->in, write l->w); return the frame
     * to yield from. */
    stage *(*decode)(layer *l, job *j);
    stage *(*encode)(layer *l, job *j);
    /* Formats the layer's error, if it holds one, into buf: what went wrong
     * and where ("invalid distance too far back at byte 1234").  Returns 1,
     * or 0 when the layer holds no error. */
    int (*error)(const layer *l, const job *j, char *buf, size_t len);
    /* Releases what open made; safe after a failed open. */
    void (*close)(layer *l);
} layer_ops;

/* One row of the layer table. */
typedef struct layer_row {
    const char *name;     /* as written in STACK */
    enum layer_kind kind; /* bytes, records or messages */
    unsigned opts;        /* the OPT_* options it takes */
    int param;            /* the adapter's own parameter (a zlib or record format) */
    const layer_ops *ops; /* the adapter */
    const char *unit;     /* what an early end of input cuts short: "a gzip member" */
} layer_row;

/* The table, ended by a row whose name is NULL. */
extern const layer_row layer_table[];

/* The adapters (one per file or family), for the table's rows. */
extern const layer_ops crypt_ops, zlib_ops, chunked_ops; /* layers.c */
extern const layer_ops records_ops;                      /* records.c */
extern const layer_ops resp_ops;                         /* layer-resp.c */
extern const layer_ops http_ops;                         /* http.c */

/* One layer of a run. */
struct layer {
    const layer_row *row; /* its row of the table */
    int pos;              /* its position in STACK, 1 at the wire */
    int encoding;         /* opened for encode (1) or decode (0) */
    gw_bufreader in;      /* its input buffer (decode: over the layer below; encode, record
                             and message layers: over standard input) */
    gw_reader *r;         /* decode, byte layers: what it decodes */
    gw_writer *w;         /* encode: where its input is written */
    void *state;          /* the adapter's own, made by open */
    stage st;             /* the frame of a record or message layer's task */
};

/* For adapters: after GW_INIT(&l->st, T), binds the task to its layer and
 * run; returns &l->st. */
static inline stage *stage_bind(layer *l, job *j)
{
    l->st.job = j;
    l->st.l = l;
    return &l->st;
}

/* For adapters: defines `static stage *name(layer *l, job *j)`, the
 * start of a layer's task: GW_INIT of generator G in l->st, then
 * stage_bind. */
#define STAGE_DEFINE_START(name, G)                                                                \
    static stage *name(layer *l, job *j)                                                           \
    {                                                                                              \
        GW_INIT(&l->st, G);                                                                        \
        return stage_bind(l, j);                                                                   \
    }

/* In the task of an encoder that reads lines (layer_open_lines): the next
 * input line, as rr's current record, counted in line_no; at the end of
 * the input or on an error the task returns (0 or the error).  Suspends. */
#define STAGE_NEXT_LINE(s, rr, line_no)                                                            \
    do {                                                                                           \
        GW_RECORD_NEXT(s, op, rr, (s)->res);                                                       \
        if ((s)->res <= 0)                                                                         \
            GW_RETURN(s, (s)->res);                                                                \
        (line_no)++;                                                                               \
    } while (0)

/* Looks up a STACK element; NULL if there is no such layer. */
const layer_row *layer_find(const char *name);

/* Writes the names of the rows of one kind, ", "-separated, into buf. */
void layer_names(enum layer_kind kind, char *buf, size_t len);

/* "the input ends inside UNIT" for layer l, in buf; returns buf. */
const char *layer_truncated(const layer *l, char *buf, size_t len);

/* Writes the names of the rows that take option opt (an OPT_* bit),
 * ", "-separated, into buf; "every record layer" stands for all of those. */
void layer_users(unsigned opt, char *buf, size_t len);

/* For adapters: initialises l->in over src with the usual capacity, or over
 * the file's bytes in place when src is standard input and can be mapped
 * (stall_reader_map). */
int layer_open_input(layer *l, gw_reader *src);

/*
 * For encoders that read their input a line at a time and write through a
 * buffer (records, resp): a lines reader *rr over l->in (already
 * initialised) taking lines of up to max_line bytes and any number of empty
 * ones, then *bw (IO_BUFFER bytes) in front of dst, which becomes l->w.
 * Sets *rr_live once rr needs finishing.  Returns 0 or the first error.
 */
int layer_open_lines(layer *l, gw_record_reader *rr, int *rr_live, size_t max_line,
                     gw_bufwriter *bw, gw_writer *dst);

/* Finishes rr if rr_live, and bw if the layer writes (l->w is set): what
 * layer_open_lines, or a decoder's own record reader, set up. */
void layer_close_lines(layer *l, gw_record_reader *rr, int rr_live, gw_bufwriter *bw);

/* For those encoders' error messages: what was wrong with input line
 * line_no, `why` (the encoder's own words, or NULL), or else the error of
 * the lines reader rr (NULL: none yet), which stopped on the line after it.
 * Writes "input line N: ..." into buf and returns 1, or returns 0 when
 * neither applies. */
int layer_lines_error(const gw_record_reader *rr, uint64_t line_no, const char *why, char *buf,
                      size_t len);

/* ---- a run ------------------------------------------------------------------------ */

/*
 * Standard input as decode's first layer and encode's input read it: before
 * it waits for input that has not come (a stall), it flushes `out` if input
 * arrived since its last flush, so that what has been decoded or encoded so
 * far is written at once (in encode the flush goes through every layer: a
 * record writer's buffer, a chunk, a deflate sync flush, a secretstream
 * message), while input that flows is read and written in large blocks.
 */
typedef struct stall_reader {
    gw_reader r;      /* the reader */
    gw_fdio *src;     /* standard input */
    gw_writer *out;   /* flushed on a stall, or NULL; idle whenever r is read */
    uint64_t flushed; /* r.nread at the last flush */
    int may_map;      /* the first layer may read a regular file in place */
    /* A regular file mapped (stall_reader_map): the bytes from where
     * standard input stood to its end, and what is still mapped. */
    const uint8_t *map;
    size_t map_len;
    void *map_base;
    size_t map_size;
} stall_reader;

/* For the readers of the tool (run.c, mapped.c): starts a read of r's
 * implementation T, whose op frame is r->op and whose op->obj is r. */
#define START_READ(r, T, buf_, cap, min_)                                                          \
    (GW_INIT(&(r)->op, T), (r)->op.obj = (r), (r)->op.buf = (buf_), (r)->op.src = NULL,            \
     (r)->op.len = (cap), (r)->op.min = (min_), (r)->op.sub = NULL, (r)->op.ret = 0,               \
     (r)->op.n = 0, &(r)->op)

/* Sets up st over src, flushing out (which may be set later) on a stall. */
void stall_reader_init(stall_reader *st, gw_fdio *src, gw_writer *out);

/*
 * For a first layer opening its input over src: when src is standard input
 * with may_map set and a regular file with bytes left, maps those bytes
 * (read-only), moves the file offset to the end (where reading it all would
 * leave it) and returns 1 with them in *data and *len, for the layer to read
 * in place instead of copying them through read(2) (that copy took 6 to 15%
 * of `decode gzip`'s CPU time, bench/README.md).  Returns 0 for anything else
 * (a pipe, a socket, a terminal, an empty or special file, a failed mmap),
 * which is read as before.  A file that shrinks while mapped fails the read
 * of the first layer that reaches a page that is gone, through a map_guard
 * over that layer (mapped.c); bytes appended after the mapping are not read.
 * job_pace releases what the layer has consumed (stall_reader_release, which
 * unmaps the pages wholly before `consumed` bytes of st->map once they are
 * at least 1 MiB); stall_reader_unmap the rest.  In tools/mapped.c.
 */
int stall_reader_map(gw_reader *src, const uint8_t **data, size_t *len);
void stall_reader_release(stall_reader *st, uint64_t consumed);
void stall_reader_unmap(stall_reader *st);

/* The stall_reader whose reader is r, or NULL when r is another reader. */
stall_reader *stall_reader_of(gw_reader *r);

/* For the SIGBUS handler (async-signal-safe): 0 when addr is outside the
 * mapping of standard input; otherwise, while a map_guard reads the first
 * layer, jumps back into the guard, which fails the read; else returns 1
 * (the file shrank where no guard reads: the handler ends the process). */
int map_fault(const void *addr);

/*
 * The reader of decode's first layer when it reads a mapped file: each read
 * goes to that layer's reader src through the guard, which catches the
 * SIGBUS of a page of the mapping that is gone (the file shrank).  That read
 * and every later one then fail with GW_EIO and no bytes, so that the layers
 * above deliver the bytes of the reads before it and then the error; `at`
 * says where in the file (counted from where standard input stood) that
 * read started.
 */
typedef struct map_guard {
    gw_reader r;            /* the reader */
    gw_reader *src;         /* the first layer's reader */
    const gw_bufreader *in; /* its input, the mapped file */
    int fd;                 /* the file */
    gw_stack st;            /* runs src's reads */
    gw_wait wait;           /* what they wait on */
    uint64_t at;            /* in's offset when the last read started */
    int faulted;            /* a read met a page that was gone */
    int64_t size_now;       /* the file's size then, or -1 */
} map_guard;

/* Sets up g over src, which reads in (the mapping of file fd); returns its
 * reader. */
gw_reader *map_guard_init(map_guard *g, gw_reader *src, const gw_bufreader *in, int fd);

/* Once a read through g has failed for the file's shrinking: writes what
 * happened and where into buf ("standard input (PATH): the file shrank to N
 * bytes while it was read, at byte K") and returns 1; else returns 0. */
int map_guard_error(const map_guard *g, char *buf, size_t len);

/* Everything one decode or encode run holds. */
struct job {
    const options *opt; /* the command line */
    const gw_key *key;  /* the key, if a layer takes one */
    layer *ls;          /* the layers, wire first */
    int n;              /* how many */
    gw_fdio in, out;    /* standard input and output */
    stall_reader sin;   /* standard input as the layers read it (its out is set by the command) */
    map_guard guard;    /* decode: over the first layer when it reads a mapped file */
    gw_bufwriter bout;  /* decode: standard output, buffered */
    uint64_t paced;     /* bytes handled since the last voluntary yield */
    const layer *why_l; /* the layer `why` is about, or NULL */
    char why[320];      /* a message the run left for the report, or "" */
};

/*
 * The decoded bytes as a message layer reads them: a read of the layer below
 * that fails after decoding some bytes delivers those bytes first and its
 * error on the next read, so that the messages they complete are written
 * before the error is reported.  Record layers need no such reader: the
 * record reader hands out the records a failing read completed before its
 * error (test-framing-errors).
 */
typedef struct hold_reader {
    gw_reader r;    /* the reader */
    gw_reader *src; /* the layer below */
    int held;       /* an error of src not yet reported, or 0 */
} hold_reader;

/* Sets up h over src. */
void hold_reader_init(hold_reader *h, gw_reader *src);

/* For tasks: adds n bytes handled; 1 when the task should yield a turn
 * (every 4 MiB, so that the progress line is drawn). */
int job_pace(job *j, uint64_t n);

/* Wraps fd 0 or 1 in io: non-blocking only for pipes and sockets. */
int open_std(gw_fdio *io, int fd);

/* Installs the signal handlers that restore the flags of fds 0 and 1. */
void signals_init(void);

/* Restores the flags of fds 0 and 1 that open_std changed. */
void restore_flags(void);

/* Drives ex to its end, drawing progress between turns when opt->progress;
 * returns what gw_exec_run_once last returned (0, or a gw error). */
int run_tasks(gw_exec *ex, job *j);

/* Runs the task `frame` (already initialised) on a new executor; returns 0
 * or a gw error of the set-up or the executor. */
#define RUN_TASK(j, frame, err)                                                                    \
    do {                                                                                           \
        gw_exec *ex_ = gw_exec_new();                                                              \
        (err) = ex_ == NULL                                  ? GW_ENOMEM                           \
                : GW_SPAWN(ex_, (frame), NULL, NULL) == NULL ? GW_ENOMEM                           \
                                                             : run_tasks(ex_, (j));                \
        gw_exec_free(ex_);                                                                         \
    } while (0)

/* Sets up a run of the n layers ls: *j, the layers' common fields and
 * standard input and output.  Returns 0, or an exit status after a message
 * (j NULL: out of memory). */
int job_start(job *j, const options *o, layer *ls, int n, const gw_key *key);

/* Ends a run whose task ended with err: reports it, releases the layers and
 * standard input and output.  Returns the exit status, or -SIGPIPE when
 * standard output was closed under us (the caller then ends as a writer to
 * a closed pipe does). */
int job_end(job *j, int err);

int do_decode(const options *o, layer *ls, int n, const gw_key *key);
int do_encode(const options *o, layer *ls, int n, const gw_key *key);

#endif /* GW_TOOLS_TOOL_H */
