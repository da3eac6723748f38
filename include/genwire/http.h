/*
 * genwire HTTP/1.1 (RFC 9112, RFC 9110): message heads, body framing, and
 * the pieces that turn a byte stream into messages.
 *
 * The head parser is a pure core over (buf, len), in the style of
 * picohttpparser: it returns the head's length once the head is complete, 0
 * while more bytes are needed, or a negative error; it never allocates,
 * never copies and never waits, so it can be embedded without the rest of
 * genwire.  It is resumable: called again with the same bytes and more (the
 * bytes may have moved in memory), it goes on from where it stopped instead
 * of rescanning the head from its start, so a head that arrives a byte at a
 * time costs O(n) in total.
 *
 * It is strict by default:
 *   - lines end in CRLF; a CR not followed by LF is GW_EHTTP_BARE_CR, a LF
 *     not preceded by CR is GW_EHTTP_BARE_LF unless GW_HTTP_LENIENT_LF is
 *     given (the one leniency on offer);
 *   - empty lines (CRLF) before the start line are skipped (RFC 9112 2.2);
 *   - request-line: method SP request-target SP HTTP-version, single spaces;
 *     the method is a token and one of the methods genwire knows (the list
 *     in GW_HTTP_METHOD_MAP: llhttp's HTTP methods and QUERY), others are
 *     GW_EHTTP_METHOD (a server answers them 501 anyway); the target is 1 or
 *     more visible ASCII characters (no obs-text, no controls) in one of
 *     the four forms of RFC 9112 3.2, else GW_EHTTP_TARGET at the first
 *     byte no form allows: origin-form ("/" and a path and query),
 *     absolute-form (scheme "://" host [":" port], then nothing, "/" or
 *     "?" and the rest; no userinfo, no empty host), authority-form
 *     (host ":" port, digits; for CONNECT, and only it) and asterisk-form
 *     ("*", for OPTIONS, and PRI: RFC 9113 3.4).  A host is a reg-name of RFC 3986 (letters,
 *     digits, "-._~!$&'()*+,;=" and %HH) or an IPv6 literal in brackets;
 *   - status-line: HTTP-version SP 3DIGIT (100 to 599) then SP and a reason
 *     phrase (possibly empty; HTAB, SP, VCHAR and obs-text), or CRLF
 *     directly;
 *   - HTTP-version is exactly HTTP/1.0 or HTTP/1.1;
 *   - field lines: a token name, the colon right after it (whitespace
 *     before the colon is GW_EHTTP_WS_BEFORE_COLON), a value with no control
 *     character other than HTAB (obs-text is allowed); leading and trailing
 *     SP / HTAB of the value are not part of it; a line starting with SP or
 *     HTAB (obs-fold) is GW_EHTTP_OBS_FOLD;
 *   - limits, each with its own error and the offset: head size
 *     (GW_EHTTP_HEAD_TOO_LARGE), number of field lines
 *     (GW_EHTTP_TOO_MANY_FIELDS), request-target length
 *     (GW_EHTTP_TARGET_TOO_LONG).
 * An error is reported with the offset (from the start of buf) of the first
 * byte that broke a rule, as soon as the bytes given show it: it does not
 * wait for the end of the line.
 *
 * Names, values and the other parts of a head are spans into the caller's
 * bytes (zero-copy): they stay valid for as long as those bytes do.  Under
 * the message reader (below) that is until the first read of the body or
 * the next message.
 */
#ifndef GENWIRE_HTTP_H
#define GENWIRE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/compress.h"
#include "genwire/error.h"
#include "genwire/frame.h"
#include "genwire/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the pieces of a head ------------------------------------------------ */

/* A run of bytes inside the parsed input; not NUL-terminated. */
typedef struct gw_http_span {
    const char *p; /* the first byte */
    size_t len;    /* how many */
} gw_http_span;

/* One field line: name and value (trimmed), as they were received. */
typedef struct gw_http_field {
    gw_http_span name;  /* the field name, its case as received */
    gw_http_span value; /* the field value without leading and trailing SP / HTAB */
} gw_http_field;

/* What a head is: a request or a response. */
typedef enum gw_http_kind {
    GW_HTTP_REQUEST = 0, /* request-line first */
    GW_HTTP_RESPONSE = 1 /* status-line first */
} gw_http_kind;

/*
 * The request methods the parser accepts, X(name, text): llhttp's set of
 * HTTP methods (its RTSP-only ones excluded) and QUERY.  PRI is the start
 * of the HTTP/2 connection preface; a PRI request is handed over like an
 * upgrade (see gw_http_framing).
 */
#define GW_HTTP_METHOD_MAP(X)                                                                      \
    X(GET, "GET")                                                                                  \
    X(HEAD, "HEAD")                                                                                \
    X(POST, "POST")                                                                                \
    X(PUT, "PUT")                                                                                  \
    X(DELETE, "DELETE")                                                                            \
    X(CONNECT, "CONNECT")                                                                          \
    X(OPTIONS, "OPTIONS")                                                                          \
    X(TRACE, "TRACE")                                                                              \
    X(PATCH, "PATCH")                                                                              \
    X(QUERY, "QUERY")                                                                              \
    X(COPY, "COPY")                                                                                \
    X(LOCK, "LOCK")                                                                                \
    X(MKCOL, "MKCOL")                                                                              \
    X(MOVE, "MOVE")                                                                                \
    X(PROPFIND, "PROPFIND")                                                                        \
    X(PROPPATCH, "PROPPATCH")                                                                      \
    X(SEARCH, "SEARCH")                                                                            \
    X(UNLOCK, "UNLOCK")                                                                            \
    X(BIND, "BIND")                                                                                \
    X(REBIND, "REBIND")                                                                            \
    X(UNBIND, "UNBIND")                                                                            \
    X(ACL, "ACL")                                                                                  \
    X(REPORT, "REPORT")                                                                            \
    X(MKACTIVITY, "MKACTIVITY")                                                                    \
    X(CHECKOUT, "CHECKOUT")                                                                        \
    X(MERGE, "MERGE")                                                                              \
    X(MSEARCH, "M-SEARCH")                                                                         \
    X(NOTIFY, "NOTIFY")                                                                            \
    X(SUBSCRIBE, "SUBSCRIBE")                                                                      \
    X(UNSUBSCRIBE, "UNSUBSCRIBE")                                                                  \
    X(PURGE, "PURGE")                                                                              \
    X(MKCALENDAR, "MKCALENDAR")                                                                    \
    X(LINK, "LINK")                                                                                \
    X(UNLINK, "UNLINK")                                                                            \
    X(SOURCE, "SOURCE")                                                                            \
    X(PRI, "PRI")

/* The methods: GW_HTTP_GET, GW_HTTP_HEAD, ... */
typedef enum gw_http_method {
#define GW__HTTP_METHOD_ENUM(name, text) GW_HTTP_##name,
    GW_HTTP_METHOD_MAP(GW__HTTP_METHOD_ENUM)
#undef GW__HTTP_METHOD_ENUM
        GW_HTTP_NMETHODS /* the count, not a method */
} gw_http_method;

/* gw_http_method_name: "GET" for GW_HTTP_GET, ...; "?" for anything else. */
const char *gw_http_method_name(int method);

/* A parsed head.  Spans point into the bytes given to gw_http_parse. */
typedef struct gw_http_head {
    const char *base;      /* the bytes parsed: offsets in a head count from here */
    gw_http_kind kind;     /* request or response */
    int minor;             /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    int method;            /* requests: a gw_http_method; responses: -1 */
    gw_http_span method_s; /* requests: the method as received */
    gw_http_span target;   /* requests: the request-target */
    int status;            /* responses: 100 to 599; requests: 0 */
    gw_http_span reason;   /* responses: the reason phrase, possibly empty */
    gw_http_field *fields; /* the field lines in order: the array given to the parser */
    size_t nfields;        /* how many */
    size_t len;            /* bytes of the head, leading empty lines and final CRLF included */
    size_t lead;           /* bytes of the empty lines before the start line */
} gw_http_head;

/* ---- the head parser ----------------------------------------------------- */

#define GW_HTTP_DEFAULT_MAX_HEAD   65536u /* bytes of a head, its final CRLF included */
#define GW_HTTP_DEFAULT_MAX_FIELDS 100u   /* field lines of a head */
#define GW_HTTP_DEFAULT_MAX_TARGET 8192u  /* bytes of a request-target (RFC 9112 3: >= 8000) */

/* Limits of a head parser; a field of 0 means its default. */
typedef struct gw_http_limits {
    size_t max_head;   /* larger heads: GW_EHTTP_HEAD_TOO_LARGE at offset max_head */
    size_t max_fields; /* one more field line: GW_EHTTP_TOO_MANY_FIELDS at its start */
    size_t max_target; /* longer targets: GW_EHTTP_TARGET_TOO_LONG at the first byte over */
} gw_http_limits;

/* gw_http_parser_init flags. */
#define GW_HTTP_LENIENT_LF 1u /* a bare LF ends a line as CRLF does */

/* A resumable head parser.  Caller-owned; allocates nothing. */
typedef struct gw_http_parser {
    gw_http_kind kind;     /* what it parses */
    unsigned flags;        /* GW_HTTP_* flags */
    gw_http_limits lim;    /* the limits in force (defaults filled in) */
    gw_http_field *fields; /* the caller's array of lim.max_fields entries */
    int err;               /* the sticky error, or 0 */
    size_t err_off;        /* its offset in the bytes given */

    /* Private: where the parse stands, so that it resumes there. */
    gw_http_head _h;   /* the head so far */
    const char *_base; /* the bytes of the last call (spans are rebased if they move) */
    size_t _line;      /* offset of the start of the current line */
    size_t _pos;       /* offset where the scan resumes */
    size_t _colon;     /* field value state: offset of the colon */
    int _state;        /* what is being parsed (states in parsers/http/head.c) */
    int _tform;        /* the request-target's form check (parsers/http/target.h) */
} gw_http_parser;

/*
 * gw_http_parser_init: a parser of heads of `kind`, filling the caller's
 * array `fields` of `nfields` entries (not owned; it must outlive the
 * parser and hold at least lim->max_fields entries, the limit being lowered
 * to nfields if lim asks for more), with limits *lim (NULL: the defaults)
 * and flags GW_HTTP_*.  Returns 0, or GW_EINVAL (fields NULL, nfields 0, an
 * unknown flag or kind); a failed init is the parser's sticky error, which
 * every gw_http_parse returns, gw_http_parser_reset or not.  Never
 * suspends.
 */
int gw_http_parser_init(gw_http_parser *p, gw_http_kind kind, gw_http_field *fields, size_t nfields,
                        const gw_http_limits *lim, unsigned flags);

/* gw_http_parser_reset: ready for the next head (after one was parsed or
 * an error), with the same kind, array, limits and flags. */
void gw_http_parser_reset(gw_http_parser *p);

/*
 * gw_http_parse: parses a head from buf[0 .. len).  Returns:
 *   > 0  the head is complete: its length (the body, or the next message,
 *        starts at buf + ret); *h is filled, its spans point into buf;
 *   0    the bytes end inside the head: call again with the same bytes and
 *        more after them (they may be at another address), *h untouched;
 *   < 0  an error (GW_EHTTP_*), also kept in p->err with its offset in
 *        p->err_off; *h untouched.  Every later call returns it again until
 *        gw_http_parser_reset.
 * After a head was returned, calls return GW_EINVAL until reset.  Bytes
 * already given must not change between calls.  Never suspends, never
 * allocates.
 */
int gw_http_parse(gw_http_parser *p, const void *buf, size_t len, gw_http_head *h);

/* gw_http_parser_started: nonzero once a byte of a start line has been
 * seen, so that the bytes given end inside a head; 0 while only empty lines
 * (or nothing) came: the stream may end there cleanly. */
int gw_http_parser_started(const gw_http_parser *p);

/* ---- looking at fields --------------------------------------------------- */

/* gw_http_span_eq: nonzero if s equals the NUL-terminated `lit`, ASCII
 * letters compared without case. */
int gw_http_span_eq(gw_http_span s, const char *lit);

/*
 * gw_http_find: the first field after `after` (NULL: from the start) whose
 * name is `name`, compared without case; NULL if there is none.
 */
const gw_http_field *gw_http_find(const gw_http_head *h, const char *name,
                                  const gw_http_field *after);

/*
 * gw_http_list_next: takes the next element of a comma-separated list value
 * (RFC 9110 5.6.1) from *list: empty elements are skipped, OWS around an
 * element is not part of it, and a comma inside a quoted-string does not
 * split.  Returns 1 with the element in *elem and *list advanced past it,
 * or 0 when the list has no more elements.
 */
int gw_http_list_next(gw_http_span *list, gw_http_span *elem);

/* ---- body framing (RFC 9112 section 6.3) --------------------------------- */

/* How a message's body is delimited. */
typedef enum gw_http_body_kind {
    GW_HTTP_BODY_NONE = 0, /* no body: the next message (if any) starts right after the head */
    GW_HTTP_BODY_LENGTH,   /* exactly `length` bytes (Content-Length) */
    GW_HTTP_BODY_CHUNKED,  /* the chunked transfer coding, last in Transfer-Encoding */
    GW_HTTP_BODY_CLOSE     /* everything until the connection closes (responses only) */
} gw_http_body_kind;

/* What a head says about the message's body and the connection. */
typedef struct gw_http_framing {
    gw_http_body_kind body; /* how the body is delimited */
    uint64_t length;        /* GW_HTTP_BODY_LENGTH: the body's size */
    /* A 1xx response other than 101 (100 Continue, 103 Early Hints): no
     * body, and the final response to the same request follows. */
    int interim;
    /* After this message (head and body), the bytes on the connection are
     * no longer HTTP/1.1: a 101 response, a 2xx response to CONNECT, a
     * CONNECT request (no body), a PRI request (the HTTP/2 preface), or a
     * request with an Upgrade field and "upgrade" in Connection (its body
     * comes first). */
    int upgrade;
    /* Another message may follow on the connection: 0 for "Connection:
     * close", HTTP/1.0 without "Connection: keep-alive", a body read until
     * close, and upgrades. */
    int keep_alive;
    int chunked_last; /* Transfer-Encoding's last coding is chunked */
    size_t err_off;   /* on an error: offset in the head of the field value at fault */
} gw_http_framing;

/*
 * gw_http_framing_of: the framing of the message whose head is *h, in the
 * order of RFC 9112 section 6.3:
 *   0. in every message, also those rules 1 and 2 give no body (and
 *      CONNECT and PRI requests): Transfer-Encoding together with
 *      Content-Length is GW_EHTTP_TE_AND_CL (request smuggling, rule 3),
 *      and a Content-Length that breaks rule 5's syntax is
 *      GW_EHTTP_CONTENT_LENGTH;
 *   1. a response to HEAD (req_method GW_HTTP_HEAD) and every 1xx, 204 and
 *      304 response has no body;
 *   2. a 2xx response to CONNECT (req_method GW_HTTP_CONNECT) is a tunnel;
 *   (with 1 and 2, the other fields are not looked at);
 *   3. Transfer-Encoding together with Content-Length: see 0;
 *   4. Transfer-Encoding (its fields' lists, joined in order) whose last
 *      coding is chunked: chunked; chunked more than once, an empty or
 *      malformed list, or any Transfer-Encoding in an HTTP/1.0 message
 *      (RFC 9112 6.1) is GW_EHTTP_TRANSFER_ENCODING; otherwise a response
 *      reads until close and a request is GW_EHTTP_TRANSFER_ENCODING;
 *   5. Content-Length: every field's value is 1 or more digits, or a list
 *      of such elements with commas and OWS between them (no empty
 *      element), all equal (a list of identical values counts as one,
 *      RFC 9110 8.6), at most 2^63 - 1; anything else is
 *      GW_EHTTP_CONTENT_LENGTH;
 *   6. otherwise a request has no body and a response reads until close.
 * req_method is the method of the request a response answers (-1 if
 * unknown; ignored for requests).  A CONNECT or PRI request has no body and
 * is an upgrade, whatever its other fields say.  Returns 0 with *f filled,
 * or the error with f->err_off set (the rest of *f unspecified).  Pure;
 * never allocates.
 */
int gw_http_framing_of(const gw_http_head *h, int req_method, gw_http_framing *f);

/* ---- reading messages from a stream -------------------------------------- */

#define GW_HTTP_MAX_CODINGS       4u /* content codings decoded, at most (curl CVE-2022-32206) */
#define GW_HTTP_DEFAULT_CODED_BUF 16384u /* bytes of each content-coding layer's input buffer */

/* gw_http_reader_opts.flags, besides GW_HTTP_LENIENT_LF. */
#define GW_HTTP_RAW_BODY 2u /* hand out bodies with their content codings, undecoded */

/* Options of a message reader; a field of 0 means its default. */
typedef struct gw_http_reader_opts {
    /* The head parser's limits.  max_head is at most src's capacity less
     * one; max_fields at most the field lines a head of max_head bytes (over
     * memory, of src's bytes) can hold, max_head / 3 + 1, so GW_UNLIMITED
     * leaves max_head the only limit; the reader allocates an array of that
     * many fields at init. */
    gw_http_limits lim;
    unsigned flags;            /* GW_HTTP_LENIENT_LF, GW_HTTP_RAW_BODY */
    gw_chunked_limits chunked; /* the chunked layer's limits */
    uint64_t max_output;       /* decoded bytes per content coding (GW_EOUTPUT_LIMIT); 0: inflate's
                                  default, GW_INFLATE_DEFAULT_MAX_OUTPUT; GW_UNLIMITED: no cap */
    uint32_t max_ratio;        /* decoded per coded byte (GW_ERATIO_LIMIT); 0: inflate's default,
                                  GW_INFLATE_DEFAULT_MAX_RATIO; (uint32_t)GW_UNLIMITED: no limit */
} gw_http_reader_opts;

/*
 * A reader of HTTP/1.1 messages from a bufreader: one head after another,
 * each followed by its body as an AsyncRead (rd->body), framed as
 * gw_http_framing_of says (exactly N bytes through a gw_bounded, the
 * chunked layer, or everything until end of stream) and, unless
 * GW_HTTP_RAW_BODY, with its Content-Encoding decoded (gzip, x-gzip,
 * deflate zlib-wrapped or raw, identity; the codings of every
 * Content-Encoding field in order, undone last first, at most
 * GW_HTTP_MAX_CODINGS) by inflate layers with the caps of the options.
 *
 * gw_http_read_head parses the next head straight out of src's buffer
 * (the core above, resumed as bytes arrive: O(n) for a head however it is
 * split).  The head's spans point into src's buffer and stay valid until
 * the next fill of src: the first read of the body, or the next
 * gw_http_read_head.  After a message, the next starts in the bytes left
 * in src (keep-alive, pipelining); a body the caller did not read to its
 * end is read and dropped first.  Empty lines before a head (RFC 9112
 * 2.2) are dropped as they arrive and are not part of it: rd->head.lead
 * is 0, and max_head and the head's length count from its start line,
 * whatever the split.
 *
 * Interim responses (1xx but 101) are returned like any response, with
 * framing.interim set and no body; the final response follows.  After a
 * message that ends the connection ("Connection: close", HTTP/1.0 without
 * keep-alive, a body read until close), gw_http_read_head waits for the
 * end of stream and reports the clean end, or GW_ETRAILING_DATA if any
 * byte comes (the same whatever the timing).  After an upgrade
 * (framing.upgrade: a 101, a 2xx to CONNECT, a CONNECT or PRI request, an
 * Upgrade request once its body is read) it reports the clean end with
 * rd->upgraded set; the bytes already buffered are the new protocol's, at
 * gw_bufreader_peek(src), the rest comes from src's source.
 *
 * Errors stick (rd->err, rd->err_off): in a head, GW_EHTTP_* at its
 * offset in src's stream; end of input inside a head is GW_ETRUNCATED at
 * the offset where it ended; in a body, the error of the layer that found
 * it (the chunked layer's offset is in src's stream, inflate's in the body
 * after transfer decoding); a content coding genwire cannot decode is
 * GW_EHTTP_CODING at the first body read, rd->coding naming it; more than
 * GW_HTTP_MAX_CODINGS is GW_EHTTP_TOO_MANY_CODINGS.  A gw_http_read_head
 * or a body read cancelled while it waits (its task cancelled, its stack
 * closed) is GW_ECANCELLED, at the offset src had got to.
 */
typedef struct gw_http_reader {
    gw_http_kind kind;       /* what it reads */
    gw_bufreader *src;       /* the stream, not owned */
    gw_http_head head;       /* the last head read */
    gw_http_framing framing; /* its framing */
    uint64_t head_off;       /* stream offset of the start line (empty lines before it skipped) */
    gw_reader *body;         /* the body of the last message; ends at its end */
    /* Responses: the method of the request the next response answers
     * (GW_HTTP_HEAD: no body; GW_HTTP_CONNECT: a 2xx is a tunnel); -1, the
     * default, when unknown.  Set it before each gw_http_read_head. */
    int req_method;
    int upgraded;        /* the stream is no longer HTTP/1.1 after the last message */
    int err;             /* the sticky error, or 0 */
    uint64_t err_off;    /* its offset (see above) */
    gw_http_span coding; /* GW_EHTTP_CODING: the coding not understood (in the head) */

    /* Private. */
    gw_http_reader_opts _o;     /* the options, defaults filled in */
    gw_http_parser _p;          /* the head parser */
    gw_http_field *_fields;     /* its array, allocated at init */
    int _state;                 /* see message.c */
    gw_reader _body;            /* the body as the caller sees it */
    gw_reader *_frame;          /* the framing layer: one of the next three, or src */
    gw_bounded _bounded;        /* Content-Length bodies */
    gw_chunked_reader _chunked; /* chunked bodies */
    unsigned _ncodings;         /* content codings to undo */
    unsigned char _coding[GW_HTTP_MAX_CODINGS]; /* outermost first: 0 gzip, 1 deflate */
    unsigned _ready;                            /* codings set up so far */
    int _pending;                               /* an error the first body read reports */
    uint64_t _pending_off;                      /* its offset */
    gw_bufreader _zin[GW_HTTP_MAX_CODINGS];     /* each inflate layer's input */
    gw_inflate _z[GW_HTTP_MAX_CODINGS];         /* the inflate layers (zlib state while in use) */
    gw_io_op _op;                               /* the frame of gw_http_read_head */
    uint8_t _scratch[256];                      /* where an unread body is dropped */
} gw_http_reader;

/*
 * gw_http_reader_init: a reader of `kind` messages from src (not owned),
 * with options *o (NULL: the defaults).  Allocates the field array.
 * Returns 0, GW_EINVAL (src NULL, an unknown flag or kind) or GW_ENOMEM;
 * a failed init is the reader's sticky error (rd->err), so every
 * gw_http_read_head and read of rd->body fails with it.  Call
 * gw_http_reader_fini in every case.  Never suspends.
 */
int gw_http_reader_init(gw_http_reader *rd, gw_bufreader *src, gw_http_kind kind,
                        const gw_http_reader_opts *o);

/* gw_http_reader_fini: frees what the reader allocated (src stays the
 * caller's).  Safe twice.  Never suspends. */
void gw_http_reader_fini(gw_http_reader *rd);

/*
 * gw_http_read_head: reads the next message's head.  Result: op->ret 0
 * and op->n the head's length, with rd->head, rd->framing, rd->head_off
 * and rd->body set; op->ret 0 and op->n 0 at the clean end (end of stream
 * between messages, or after a message that ends the connection or an
 * upgrade, see above); or op->ret < 0, the sticky error.  Returns as soon
 * as the head is complete, without waiting for body bytes.  May suspend.
 */
gw_io_op *gw_http_read_head(gw_http_reader *rd);

/* ---- writing heads ------------------------------------------------------- */

/*
 * gw_http_format_head: writes the head *h into buf[0 .. cap): for a
 * request "METHOD SP target SP HTTP/1.minor CRLF" (method_s, target), for a
 * response "HTTP/1.minor SP status SP reason CRLF", then "name: value CRLF"
 * for each field and the final CRLF.  h->method, h->len, h->lead and
 * h->base are not used, so a head parsed by gw_http_parse writes back as
 * it came (minus empty lines before it and whitespace around values).
 * Everything is checked first, so that nothing can be injected: the
 * method and names must be tokens, the target VCHAR in a form the parser
 * takes for that method (above), the reason and values
 * free of controls but HTAB (no CR, LF or NUL), minor 0 or 1, status 100
 * to 599; otherwise GW_EHTTP_INVALID_FIELD (GW_EINVAL for a bad minor or
 * kind, or fields NULL with nfields > 0).  Returns the length written
 * (> 0), or GW_ETOO_LARGE if cap is too small (buf then holds nothing
 * useful).  The body follows the head as its fields say: written as is
 * after "Content-Length: N", or through a gw_chunked_writer after
 * "Transfer-Encoding: chunked", with a gw_deflate (GW_ZFORMAT_GZIP) on top
 * for "Content-Encoding: gzip".  Pure; never allocates.
 */
int gw_http_format_head(const gw_http_head *h, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_HTTP_H */
