/*
 * genwire RESP: the Redis serialization protocol, RESP2 and RESP3, read as
 * events.  Wire format: docs/resp.md.
 *
 * The event reader (gw_resp_reader) parses straight out of a gw_bufreader
 * and hands out one event at a time: a scalar value zero-copy with its type
 * and depth, the beginning of an aggregate with its declared count, the end
 * of an aggregate.  It allocates only its stack, once, at init; it never
 * allocates from a count or length it has only been told about.  The fast
 * path, gw_resp_try_next(), takes an event whole from the buffer without
 * suspending; GW_RESP_NEXT uses it and yields from gw_resp_next() only when
 * the buffer runs dry.
 */
#ifndef GENWIRE_RESP_H
#define GENWIRE_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/error.h"
#include "genwire/io.h"

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
    uint64_t offset;     /* stream offset of the value's type byte (END: of its last byte) */
} gw_resp_event;

#define GW_RESP_DEFAULT_MAX_DEPTH    64u               /* nesting levels */
#define GW_RESP_DEFAULT_MAX_BULK     (512ull << 20)    /* 512 MiB, redis's proto-max-bulk-len */
#define GW_RESP_DEFAULT_MAX_ELEMENTS 0xffffffffull     /* per aggregate (pairs for maps) */
#define GW_RESP_DEFAULT_MAX_TOTAL    0xffffffffull     /* values in one top-level reply */
#define GW_RESP_DEFAULT_MAX_LINE     (64u << 10)       /* 64 KiB of a simple line */

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
    uint64_t left;   /* elements still to come; for a streamed one, elements seen */
    uint8_t type;    /* the aggregate's type byte */
    uint8_t streamed; /* 1: ends with `.` */
} gw__resp_frame;

typedef struct gw_resp_reader {
    gw_resp_event ev; /* the current event, set when a next call returns 1 */

    /* Errors: the sticky code and the stream offset where it was found. */
    int err;
    uint64_t err_off;

    /* Private. */
    gw_bufreader *_src;      /* the input */
    gw_resp_limits _lim;     /* the limits, defaults filled in */
    gw__resp_frame *_stack;  /* _lim.max_depth frames, allocated at init */
    unsigned _depth;         /* frames in use */
    int _state;              /* where in the grammar the reader is (resp-read.c) */
    size_t _consume;         /* bytes of the current event to consume at the next call */
    size_t _scan;            /* bytes of the current line already searched for CR */
    uint64_t _left;          /* bytes of the current string (or chunk) still to hand out */
    uint64_t _strlen;        /* bytes of a streamed string so far */
    uint64_t _total;         /* values of the current reply so far */
    uint64_t _voff;          /* stream offset of the current string's type byte */
    unsigned _pend_end;      /* aggregates complete whose END event is still to come */
    int _attr;               /* 1: attributes were read, their value is still to come */
    uint8_t _stype;          /* the type byte of the string in progress */
    char _sfmt[4];           /* its verbatim format */
    gw_io_op _op;            /* the frame of gw_resp_next */
} gw_resp_reader;

/*
 * gw_resp_reader_init: a reader of RESP from src (not owned) with limits
 * *lim (NULL: the defaults).  Allocates its stack (max_depth frames of 16
 * bytes).  A simple line must fit src's buffer: the line limit in effect is
 * the smaller of max_line and src's capacity less 2.  Returns 0, GW_ENOMEM
 * or GW_EINVAL (a limit out of range); on failure gw_resp_reader_fini is
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
 * the end of input; a source error is passed on).  After an error every call
 * fails the same way.  May suspend.
 */
gw_io_op *gw_resp_next(gw_resp_reader *rd);

/*
 * GW_RESP_NEXT(s, field, rd, res): sets the int lvalue `res` to the result
 * of the next event: gw_resp_try_next if it decides, else yields from
 * gw_resp_next (frame stored in s->field).  May suspend.
 */
#define GW_RESP_NEXT(s, field, rd, res)                                                            \
    do {                                                                                           \
        if (((res) = gw_resp_try_next(rd)) == 0) {                                                 \
            GW_AWAIT(s, field, gw_resp_next(rd));                                                  \
            (res) = (s)->field->ret;                                                               \
        }                                                                                          \
    } while (0)

/* gw_resp_reader_idle: nonzero when the reader is between top-level values
 * (no value begun and not finished). */
int gw_resp_reader_idle(const gw_resp_reader *rd);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_RESP_H */
