/*
 * genwire RESP: the Redis serialization protocol, RESP2 and RESP3, read as
 * events or as reply trees, and written.  Wire format: docs/resp.md.
 *
 * The event reader (gw_resp_reader) parses straight out of a gw_bufreader
 * and hands out one event at a time: a scalar value zero-copy with its type
 * and depth, the beginning of an aggregate with its declared count, the end
 * of an aggregate.  It allocates only its stack, once, at init; it never
 * allocates from a count or length it has only been told about.  The fast
 * path, gw_resp_try_next(), takes an event whole from the buffer without
 * suspending; GW_RESP_NEXT uses it and yields from gw_resp_next() only when
 * the buffer runs dry.
 *
 * The tree reader (gw_resp_tree) runs the event reader and builds each
 * top-level reply as a tree of gw_resp_value nodes in one arena, which it
 * reuses for the next reply unless the caller detaches it.
 *
 * The writer (gw_resp_writer) writes commands as arrays of bulk strings,
 * large ones without copying, and every value type.
 */
#ifndef GENWIRE_RESP_H
#define GENWIRE_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"
#include "genwire/io.h"
#include "genwire/parse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types, events and limits -------------------------------------------- */

/* Value types; each is the type byte that introduces it on the wire, except
 * GW_RESP_END, which is not a value. */
typedef enum gw_resp_type {
    GW_RESP_SIMPLE = '+',     /* simple string (a line) */
    GW_RESP_ERROR = '-',      /* simple error (a line) */
    GW_RESP_INTEGER = ':',    /* signed 64-bit integer */
    GW_RESP_BULK = '$',       /* bulk string (binary), also streamed `$?` */
    GW_RESP_ARRAY = '*',      /* array of values */
    GW_RESP_NULL = '_',       /* null: `_`, and RESP2's `$-1` and `*-1` */
    GW_RESP_DOUBLE = ',',     /* double, as text, with its value */
    GW_RESP_BOOL = '#',       /* boolean */
    GW_RESP_BLOB_ERROR = '!', /* error as a bulk string */
    GW_RESP_VERBATIM = '=',   /* verbatim string: a 3-byte format, then the text */
    GW_RESP_BIGNUM = '(',     /* big number, as text */
    GW_RESP_MAP = '%',        /* map: count pairs of key and value */
    GW_RESP_SET = '~',        /* set of values */
    GW_RESP_ATTRIBUTE = '|',  /* attributes (pairs) of the value that follows */
    GW_RESP_PUSH = '>',       /* out-of-band push message (top level only) */
    GW_RESP_END = 0           /* event only: the end of an aggregate */
} gw_resp_type;

/* gw_resp_type_name: "simple", "error", "integer", "bulk", ... "end", or "?". */
const char *gw_resp_type_name(int type);

/* Event flags. */
#define GW_RESP_MORE     1u /* a string piece: more pieces of this string follow */
#define GW_RESP_STREAMED 2u /* the value was sent in streamed form (`$?`, `*?` ...) */
#define GW_RESP_NULL2    4u /* a null sent as RESP2's `$-1` or `*-1` (ev.wire says which) */

/*
 * One event.  Strings (simple, error, bulk, blob error, verbatim text,
 * double and big number text) point into the reader's buffer: valid until
 * the next call on the reader.  A bulk, blob error or verbatim string longer
 * than the buffer can hold, and every streamed string, comes as several
 * events of the same type, each a piece, all with GW_RESP_MORE but the last.
 */
typedef struct gw_resp_event {
    int type;            /* gw_resp_type; for GW_RESP_END, `agg` says which aggregate */
    int agg;             /* GW_RESP_END: the type of the aggregate that ends */
    unsigned flags;      /* GW_RESP_* flags */
    unsigned depth;      /* 0 for a top-level value; aggregate members are one deeper */
    const uint8_t *data; /* string bytes (for a verbatim string, after "fmt:") */
    size_t len;          /* their length */
    int64_t integer;     /* integer value; boolean 0/1; aggregate count (-1 if streamed) */
    double dbl;          /* double value (C locale) */
    uint64_t size;       /* bulk, blob error, verbatim: the declared length (0 if streamed) */
    char fmt[4];         /* verbatim only: the format, NUL-terminated ("txt") */
    uint8_t wire;        /* the type byte as sent (`$` or `*` for a RESP2 null) */
    uint64_t offset;     /* stream offset of the value's type byte (END: just past its last byte) */
} gw_resp_event;

#define GW_RESP_DEFAULT_MAX_DEPTH    64u            /* nesting levels */
#define GW_RESP_DEFAULT_MAX_BULK     (512ull << 20) /* 512 MiB, redis's proto-max-bulk-len */
#define GW_RESP_DEFAULT_MAX_ELEMENTS 0xffffffffull  /* per aggregate (pairs for maps) */
#define GW_RESP_DEFAULT_MAX_TOTAL    0xffffffffull  /* values in one top-level reply */
#define GW_RESP_DEFAULT_MAX_LINE     (64u << 10)    /* 64 KiB of a simple line */

/*
 * Limits of a reader; 0 in a field means its default, GW_UNLIMITED (as the
 * field's type) switches off elements, total and bulk.  Each breach has its
 * own error, found at the type byte of the value that breaks it.
 */
typedef struct gw_resp_limits {
    unsigned max_depth;    /* aggregates open at once (GW_ERESP_DEPTH); at most 65536 */
    uint64_t max_bulk;     /* bytes of one bulk, blob error, verbatim or streamed string */
    uint64_t max_elements; /* declared count of one aggregate, or elements seen if streamed */
    uint64_t max_total;    /* values in one top-level reply, aggregates included */
    size_t max_line;       /* bytes of a simple line before CRLF (also the integer, double...) */
} gw_resp_limits;

/* ---- event reader ---------------------------------------------------------- */

/* One open aggregate on the reader's stack.  Private. */
typedef struct gw__resp_frame {
    uint64_t left;    /* elements still to come; for a streamed one, elements seen */
    uint8_t type;     /* the aggregate's type byte */
    uint8_t streamed; /* 1: ends with `.` */
} gw__resp_frame;

typedef struct gw_resp_reader {
    gw_resp_event ev; /* the current event, set when a next call returns 1 */

    /* Errors: the sticky code and the stream offset where it was found. */
    int err;
    uint64_t err_off;

    /* Private. */
    gw_bufreader *_src;     /* the input */
    gw_resp_limits _lim;    /* the limits, defaults filled in */
    gw__resp_frame *_stack; /* _lim.max_depth frames, allocated at init */
    unsigned _depth;        /* frames in use */
    int _state;             /* where in the grammar the reader is (resp-read.c) */
    size_t _consume;        /* bytes of the current event to consume at the next call */
    gw_linescan _ls;        /* the scan of the current header line (parse.h) */
    uint64_t _left;         /* bytes of the current string (or chunk) still to hand out */
    uint64_t _strlen;       /* bytes of a streamed string so far */
    uint64_t _total;        /* values of the current reply so far */
    uint64_t _voff;         /* stream offset of the current string's type byte */
    unsigned _pend_end;     /* aggregates complete whose END event is still to come */
    int _attr;              /* 1: attributes were read, their value is still to come */
    uint8_t _stype;         /* the type byte of the string in progress */
    char _sfmt[4];          /* its verbatim format */
    gw_io_op _op;           /* the frame of gw_resp_next */
} gw_resp_reader;

/*
 * gw_resp_reader_init: a reader of RESP from src (not owned) with limits
 * *lim (NULL: the defaults).  Allocates its stack (max_depth frames of 16
 * bytes).  A simple line must fit src's buffer with its type byte and
 * CRLF: the line limit in effect is the smaller of max_line and src's
 * capacity less 3 (over memory, max_line).  Returns 0, GW_ENOMEM or
 * GW_EINVAL (src NULL, max_depth over 65536, or a bufreader over a source
 * with fewer than 8 bytes of buffer); on failure gw_resp_reader_fini is
 * still safe and every next call fails with the same code.
 */
int gw_resp_reader_init(gw_resp_reader *rd, gw_bufreader *src, const gw_resp_limits *lim);

/* gw_resp_reader_fini: frees the stack.  Never suspends. */
void gw_resp_reader_fini(gw_resp_reader *rd);

/*
 * gw_resp_try_next: the fast path.  If the next event can be taken from the
 * bytes already buffered, sets rd->ev and returns 1 without suspending or
 * copying.  Returns 0 when it needs more input (call gw_resp_next), or a
 * negative error (sticky, in rd->err with its offset in rd->err_off).
 */
int gw_resp_try_next(gw_resp_reader *rd);

/*
 * gw_resp_next: the next event.  Result in op->ret: 1 rd->ev is set; 0 clean
 * end of input between top-level values; < 0 an error, also in rd->err with
 * its offset in rd->err_off (end of input inside a value is GW_ETRUNCATED at
 * the end of input; a source error is passed on; a call cancelled while it
 * waits is GW_ECANCELLED at the end of what was buffered).  After an error
 * every call fails the same way.  May suspend.
 */
gw_io_op *gw_resp_next(gw_resp_reader *rd);

/*
 * GW_RESP_NEXT(s, field, rd, res): sets the int lvalue `res` to the result
 * of the next event: gw_resp_try_next if it decides, else yields from
 * gw_resp_next (frame stored in s->field).  rd and res are evaluated once
 * each (gen.h, rule 5), res once the result is known.  May suspend.
 */
#define GW_RESP_NEXT(s, field, rd, res)                                                            \
    do {                                                                                           \
        gw_resp_reader *gw__rd = (rd);                                                             \
        int gw__res = gw_resp_try_next(gw__rd);                                                    \
        if (gw__res == 0) {                                                                        \
            GW_AWAIT(s, field, gw_resp_next(gw__rd));                                              \
            gw__res = (s)->field->ret;                                                             \
        }                                                                                          \
        (res) = gw__res;                                                                           \
    } while (0)

/* gw_resp_reader_idle: nonzero when the reader is between top-level values
 * (no value begun and not finished). */
int gw_resp_reader_idle(const gw_resp_reader *rd);

/* ---- reply tree -------------------------------------------------------------- */

/*
 * One value of a reply.  Strings are NUL-terminated copies (len excludes the
 * NUL; they may contain NULs).  Aggregates have len members in elems[]; the
 * members of a map or of attributes alternate key, value (len = 2 x pairs).
 */
typedef struct gw_resp_value gw_resp_value;
struct gw_resp_value {
    uint8_t type;         /* gw_resp_type (never GW_RESP_END) */
    uint8_t wire;         /* the type byte as sent (`$` / `*` for a RESP2 null) */
    uint8_t streamed;     /* 1: sent in streamed form */
    char fmt[4];          /* verbatim: the format */
    size_t len;           /* strings: bytes; aggregates: members */
    const char *str;      /* simple, error, bulk, blob error, verbatim text, double, big number */
    int64_t integer;      /* integer; boolean 0/1 */
    double dbl;           /* double */
    gw_resp_value *elems; /* aggregate members */
    gw_resp_value *attrs; /* attributes: nattrs members, alternating key, value; or NULL */
    size_t nattrs;        /* members of attrs (2 x pairs) */
};

/* An arena block.  Private. */
typedef struct gw__resp_block gw__resp_block;

/* A detached reply: the value and the arena it lives in. */
typedef struct gw_resp_reply {
    gw_resp_value *value;    /* the top-level value */
    gw__resp_block *_blocks; /* private: the arena */
} gw_resp_reply;

/* gw_resp_reply_free: frees a detached reply; NULL is a no-op. */
void gw_resp_reply_free(gw_resp_reply *r);

typedef struct gw_resp_tree {
    gw_resp_reader rd;    /* the event reader (its err / err_off are the tree's) */
    gw_resp_value *value; /* the reply, set when a next call returns 1; valid until the next call */

    /* Private. */
    gw__resp_block *_blocks; /* the arena, newest block first */
    gw__resp_block *_keep;   /* the block kept between replies, or NULL */
    int _done;               /* a reply was handed out: start the next one afresh */
    gw_resp_value *_scratch; /* members of the open aggregates, in order of arrival */
    size_t _nscratch, _capscratch;
    size_t *_open;          /* per open aggregate: its node's index in _scratch */
    size_t _nopen;          /* open aggregates */
    gw_resp_value *_pattrs; /* attributes waiting for their value */
    size_t _npattrs;        /* their members */
    gw__resp_block *_str;   /* a string arriving in pieces */
    gw_io_op _op;           /* the frame of gw_resp_tree_next */
} gw_resp_tree;

/* gw_resp_tree_init: a tree reader over src with limits *lim (NULL: the
 * defaults).  Allocates the reader's stack and its own (max_depth entries).
 * Returns as gw_resp_reader_init. */
int gw_resp_tree_init(gw_resp_tree *t, gw_bufreader *src, const gw_resp_limits *lim);

/* gw_resp_tree_fini: frees the arena, the scratch space and the stacks. */
void gw_resp_tree_fini(gw_resp_tree *t);

/*
 * gw_resp_tree_try_next: the fast path: if the rest of a reply is buffered,
 * builds it (t->value) and returns 1 without suspending.  Returns 0 if it
 * needs more input (its progress is kept: call gw_resp_tree_next), or an
 * error.  Memory grows only with values that arrived.
 */
int gw_resp_tree_try_next(gw_resp_tree *t);

/*
 * gw_resp_tree_next: the next reply.  Result in op->ret: 1 t->value is set
 * (valid until the next call, unless detached); 0 clean end of input; < 0
 * an error (sticky, in t->rd.err; GW_ENOMEM if the arena could not grow;
 * GW_ECANCELLED if a call was cancelled while it waited).  May suspend.
 */
gw_io_op *gw_resp_tree_next(gw_resp_tree *t);

/* GW_RESP_TREE_NEXT(s, field, t, res): as GW_RESP_NEXT, for replies. */
#define GW_RESP_TREE_NEXT(s, field, t, res)                                                        \
    do {                                                                                           \
        gw_resp_tree *gw__t = (t);                                                                 \
        int gw__res = gw_resp_tree_try_next(gw__t);                                                \
        if (gw__res == 0) {                                                                        \
            GW_AWAIT(s, field, gw_resp_tree_next(gw__t));                                          \
            gw__res = (s)->field->ret;                                                             \
        }                                                                                          \
        (res) = gw__res;                                                                           \
    } while (0)

/*
 * gw_resp_tree_detach: hands the current reply and its arena to the caller,
 * who frees it with gw_resp_reply_free; the tree starts a new arena.
 * Returns NULL if there is no current reply, or GW_ENOMEM-style NULL if the
 * small handle could not be allocated (the reply then stays the tree's).
 */
gw_resp_reply *gw_resp_tree_detach(gw_resp_tree *t);

/* ---- writer -------------------------------------------------------------------- */

/*
 * A writer of RESP in front of a gw_bufwriter (not owned).  Each write
 * function starts the writer's one operation and returns its frame: yield
 * from it; op->ret is 0 or the error of the writer below (sticky there),
 * GW_ECLOSED once the bufwriter was closed.  A write cancelled while it
 * waits (its task cancelled) makes GW_ECANCELLED the bufwriter's sticky
 * error, as part of a value may be in the stream.  May suspend.  Strings
 * of at least GW_RESP_WRITE_DIRECT bytes are written from the caller's
 * memory straight to the writer below the bufwriter, without copying
 * (the bufwriter is flushed first); the caller's memory must stay valid
 * until the operation finishes.
 */
#define GW_RESP_WRITE_DIRECT 4096u

typedef struct gw_resp_writer {
    gw_bufwriter *dst; /* where the bytes go */

    /* Private: the operation in progress. */
    const char *const *_argv; /* command arguments */
    const size_t *_argl;      /* their lengths, or NULL */
    size_t _argc, _i;         /* how many, and the next one */
    uint8_t _hdr[48];         /* a header being written */
    size_t _hlen;             /* its length */
    const uint8_t *_pay;      /* the payload after it */
    size_t _plen;             /* its length */
    int _crlf;                /* a CRLF follows the payload */
    uint8_t *_tmp;            /* gw_resp_write_value's buffer, when it needs one */
    gw_io_op _op;             /* the operation's frame */
} gw_resp_writer;

/* gw_resp_writer_init: a writer into dst.  Allocates nothing. */
void gw_resp_writer_init(gw_resp_writer *w, gw_bufwriter *dst);

/* gw_resp_write_command: a command as an array of argc bulk strings:
 * argv[i] of argl[i] bytes (argl NULL: NUL-terminated strings). */
gw_io_op *gw_resp_write_command(gw_resp_writer *w, size_t argc, const char *const *argv,
                                const size_t *argl);

/*
 * gw_resp_write_string: a value of a string type (simple, error, bulk, blob
 * error, double, big number; verbatim with fmt, a 3-byte format) of len
 * bytes (s may be NULL when len is 0).  A simple string or error with CR
 * or LF, a double or big number that its grammar rejects, or another type,
 * finish with GW_EINVAL and write nothing.
 */
gw_io_op *gw_resp_write_string(gw_resp_writer *w, int type, const void *s, size_t len,
                               const char *fmt);

/* gw_resp_write_integer, _bool, _double: the scalar types (a double as the
 * shortest text that reads back the same, or inf / -inf / nan). */
gw_io_op *gw_resp_write_integer(gw_resp_writer *w, int64_t v);
gw_io_op *gw_resp_write_bool(gw_resp_writer *w, int v);
gw_io_op *gw_resp_write_double(gw_resp_writer *w, double v);

/* gw_resp_write_null: `_` for wire '_', or RESP2's null bulk / array for
 * wire '$' / '*'; any other wire finishes with GW_EINVAL and writes
 * nothing. */
gw_io_op *gw_resp_write_null(gw_resp_writer *w, int wire);

/* gw_resp_write_aggregate: the header of an aggregate of `type` (array,
 * map, set, attribute, push) with count members (pairs for a map or
 * attributes), or count -1 for the streamed form of an array, set or map,
 * which gw_resp_write_end closes.  GW_EINVAL for anything else. */
gw_io_op *gw_resp_write_aggregate(gw_resp_writer *w, int type, int64_t count);
gw_io_op *gw_resp_write_end(gw_resp_writer *w);

/* gw_resp_write_value: a whole tree value with its attributes, as read
 * (streamed values in the plain form, doubles as their text).  Allocates a
 * temporary buffer if the value does not fit the bufwriter's free space
 * (GW_ENOMEM, nothing written, if it cannot). */
gw_io_op *gw_resp_write_value(gw_resp_writer *w, const gw_resp_value *v);

/*
 * The pure cores of the writer, over caller memory: each writes into out
 * (cap bytes) and returns the length of the whole encoding, which is more
 * than cap if it did not fit (out then holds nothing usable).  Never
 * suspend.
 */
size_t gw_resp_format_command(uint8_t *out, size_t cap, size_t argc, const char *const *argv,
                              const size_t *argl);
size_t gw_resp_format_value(uint8_t *out, size_t cap, const gw_resp_value *v);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_RESP_H */
