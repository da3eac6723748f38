/*
 * The HTTP/1.1 head parser (include/genwire/http.h): the pure, resumable
 * core over (buf, len), its byte tables, method lookup, and the helpers for
 * looking at fields.  The parser's body lives in head-core.h and is compiled
 * here once per instruction set (portable C, SSE2, AVX2); gw_http_parse
 * picks the best one the CPU has, once.  Body framing is in framing.c, the
 * stream reader that wraps this core in message.c.
 */
#include <limits.h>
#include <string.h>

#include "genwire/http.h"

#include "scan.h"
#include "target.h"

/* The parser's states (p->_state); see head-core.h for the transitions. */
enum {
    HS_LEAD = 0, /* before the start line: empty lines are skipped here */
    HS_METHOD,   /* in the method (rescanned from the line start) */
    HS_TARGET,   /* in the request-target (resumed at _pos) */
    HS_RVERSION, /* at the request-line's HTTP-version (rescanned from _pos) */
    HS_SVERSION, /* in a status-line's version and code (rescanned from _line) */
    HS_REASON,   /* in the reason phrase (resumed at _pos) */
    HS_LINE,     /* at the start of a field line or of the final empty line */
    HS_NAME,     /* in a field name (resumed at _pos) */
    HS_VALUE,    /* in a field value, the colon at _colon (resumed at _pos) */
    HS_DONE,     /* a head was returned; reset for the next */
    HS_ERROR     /* an error was returned; it sticks */
};

/* The longest method in GW_HTTP_METHOD_MAP is 11 bytes: a method token of
 * more than this many bytes cannot be one of them. */
#define GW__HTTP_MAX_METHOD 12

#define CTL_ROW(a) a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a
const uint8_t gw__http_ctl[256] = {
    1, 1, 1, 1,          1,          1,          1,          1,          1,          0, 1, 1, 1,
    1, 1, 1, CTL_ROW(1), CTL_ROW(0), CTL_ROW(0), CTL_ROW(0), CTL_ROW(0), CTL_ROW(0), 0, 0, 0, 0,
    0, 0, 0, 0,          0,          0,          0,          0,          0,          0, 0, 1,
    /* 0x80 .. 0xff: obs-text, allowed */
};
const uint8_t gw__http_vchar[256] = {
    CTL_ROW(0), CTL_ROW(0), 0,          1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, CTL_ROW(1),
    CTL_ROW(1), CTL_ROW(1), CTL_ROW(1), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};
#undef CTL_ROW

/* tchar (RFC 9110 5.6.2): "!#$%&'*+-.^_`|~", digits and letters. */
const uint8_t gw__http_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static const struct {
    const char *text;
    size_t len;
} methods[GW_HTTP_NMETHODS] = {
#define M(name, text) {text, sizeof(text) - 1},
    GW_HTTP_METHOD_MAP(M)
#undef M
};

const char *gw_http_method_name(int method)
{
    return method >= 0 && method < GW_HTTP_NMETHODS ? methods[method].text : "?";
}

/* Nonzero if the n bytes at m are the n bytes of t (no call: n <= 12). */
static int method_eq(const char *t, const uint8_t *m, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++)
        if ((uint8_t)t[k] != m[k])
            return 0;
    return 1;
}

/* The method whose text is m[0 .. n) (case-sensitive, RFC 9110 9.1), or -1.
 * n is at most GW__HTTP_MAX_METHOD + 1; a method of another length or first
 * byte is passed over at once. */
static int gw__http_method_lookup(const uint8_t *m, size_t n)
{
    int i;

    for (i = 0; i < GW_HTTP_NMETHODS; i++)
        if (methods[i].len == n && (uint8_t)methods[i].text[0] == m[0] &&
            method_eq(methods[i].text, m, n))
            return i;
    return -1;
}

/* Nonzero if some method starts with m[0 .. n) (n at most
 * GW__HTTP_MAX_METHOD + 1). */
static int gw__http_method_prefix(const uint8_t *m, size_t n)
{
    int i;

    for (i = 0; i < GW_HTTP_NMETHODS; i++)
        if (methods[i].len >= n && method_eq(methods[i].text, m, n))
            return 1;
    return 0;
}

#define FAIL(e, off)                                                                               \
    do {                                                                                           \
        p->err = (e);                                                                              \
        p->err_off = (off);                                                                        \
        goto fail;                                                                                 \
    } while (0)
#define SUSPEND(st)                                                                                \
    do {                                                                                           \
        p->_state = (st);                                                                          \
        goto suspend;                                                                              \
    } while (0)

/* The line end at buf[i], a CR or a LF: 1 and *next past it; 0 if the
 * bytes end before it can be judged; or the error (set in p). */
static int gw__http_eol(gw_http_parser *p, const uint8_t *buf, size_t len, size_t i, size_t *next)
{
    if (buf[i] == '\n') {
        if (!(p->flags & GW_HTTP_LENIENT_LF))
            FAIL(GW_EHTTP_BARE_LF, i);
        *next = i + 1;
        return 1;
    }
    if (i + 1 >= len)
        return 0;
    if (buf[i + 1] != '\n')
        FAIL(GW_EHTTP_BARE_CR, i + 1);
    *next = i + 2;
    return 1;
fail:
    return p->err;
}

/* "HTTP/1.0" or "HTTP/1.1" at buf + at: 1 (p->_h.minor set); 0 if the
 * bytes end first and what is there could still be one; or the error, at
 * the first byte that cannot. */
static int gw__http_version(gw_http_parser *p, const uint8_t *buf, size_t len, size_t at)
{
    static const char v[] = "HTTP/1.";
    size_t i;

    if (at + 8 <= len) {
        uint64_t w, w0, w1;
        memcpy(&w, buf + at, 8);
        memcpy(&w0, "HTTP/1.0", 8);
        memcpy(&w1, "HTTP/1.1", 8);
        if (w == w1 || w == w0) {
            p->_h.minor = w == w1;
            return 1;
        }
    }

    for (i = 0; i < 8 && at + i < len; i++) {
        uint8_t c = buf[at + i];
        if (i < 7 ? c != (uint8_t)v[i] : (c != '0' && c != '1'))
            FAIL(GW_EHTTP_VERSION, at + i);
    }
    if (i < 8)
        return 0;
    p->_h.minor = buf[at + 7] - '0';
    return 1;
fail:
    return p->err;
}

/*
 * *h = the head *s, whose bytes are buf[0 .. len) and fields the array
 * fields.  Member by member, and the members the parse has just found
 * from its locals: the copy of the whole struct it replaces read them back
 * by vector loads straight after their scalar stores, which a store cannot
 * be forwarded to (bench-http's heads ran some 4 % faster without it).
 */
static inline void head_out(gw_http_head *h, const gw_http_head *s, const uint8_t *buf, size_t len,
                            gw_http_field *fields)
{
    h->base = (const char *)buf;
    h->kind = s->kind;
    h->minor = s->minor;
    h->method = s->method;
    h->method_s = s->method_s;
    h->target = s->target;
    h->status = s->status;
    h->reason = s->reason;
    h->fields = fields;
    h->nfields = s->nfields;
    h->len = len;
    h->lead = s->lead;
}

/* The parser, once per instruction set. */
#define GW__HT_FN          parse_c
#define GW__HT_SCAN_NAME   gw__scan_name_c
#define GW__HT_ATTR        /* portable */
#define GW__HT_SCAN_CTL    gw__scan_ctl_c
#define GW__HT_SCAN_TARGET gw__scan_target_c
#include "head-core.h"
#undef GW__HT_FN
#undef GW__HT_ATTR
#undef GW__HT_SCAN_CTL
#undef GW__HT_SCAN_TARGET
#undef GW__HT_SCAN_NAME

#ifdef GW__HTTP_X86
#define GW__HT_FN          parse_sse2
#define GW__HT_SCAN_NAME   gw__scan_name_c
#define GW__HT_ATTR        /* SSE2 is part of x86-64 */
#define GW__HT_SCAN_CTL    gw__scan_ctl_sse2
#define GW__HT_SCAN_TARGET gw__scan_target_sse2
#include "head-core.h"
#undef GW__HT_FN
#undef GW__HT_ATTR
#undef GW__HT_SCAN_CTL
#undef GW__HT_SCAN_TARGET
#undef GW__HT_SCAN_NAME

#define GW__HT_FN          parse_avx2
#define GW__HT_SCAN_NAME   gw__scan_name_avx2
#define GW__HT_ATTR        GW__AVX2
#define GW__HT_SCAN_CTL    gw__scan_ctl_avx2
#define GW__HT_SCAN_TARGET gw__scan_target_avx2
#define GW__HT_LINE_MASKS  gw__line_masks_avx2
#include "head-core.h"
#undef GW__HT_LINE_MASKS
#undef GW__HT_FN
#undef GW__HT_ATTR
#undef GW__HT_SCAN_CTL
#undef GW__HT_SCAN_TARGET
#undef GW__HT_SCAN_NAME
#endif

#undef FAIL
#undef SUSPEND

/* The flavour in use: 0 not chosen yet, then 1 portable, 2 SSE2, 3 AVX2. */
static int isa;

/* Internal (tests and benchmarks): the best flavour this CPU runs. */
int gw__http_isa_best(void);
int gw__http_isa_best(void)
{
#ifdef GW__HTTP_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 3 : 2;
#else
    return 1;
#endif
}

/* Internal: forces a flavour (1 .. gw__http_isa_best()); 0 chooses the
 * best again.  Returns the flavour now in use. */
int gw__http_set_isa(int want);
int gw__http_set_isa(int want)
{
    int best = gw__http_isa_best();

    isa = want < 1 || want > best ? best : want;
    return isa;
}

int gw_http_parser_init(gw_http_parser *p, gw_http_kind kind, gw_http_field *fields, size_t nfields,
                        const gw_http_limits *lim, unsigned flags)
{
    memset(p, 0, sizeof(*p));
    if (fields == NULL || nfields == 0 || (flags & ~GW_HTTP_LENIENT_LF) != 0 ||
        (kind != GW_HTTP_REQUEST && kind != GW_HTTP_RESPONSE)) {
        /* A failed init sticks: no array (reset keeps it so), every parse
         * returns the error. */
        p->err = GW_EINVAL;
        p->_state = HS_ERROR;
        return GW_EINVAL;
    }
    p->kind = kind;
    p->flags = flags;
    p->fields = fields;
    if (lim != NULL)
        p->lim = *lim;
    if (p->lim.max_head == 0)
        p->lim.max_head = GW_HTTP_DEFAULT_MAX_HEAD;
    if (p->lim.max_head > INT_MAX)
        p->lim.max_head = INT_MAX;
    if (p->lim.max_fields == 0)
        p->lim.max_fields = GW_HTTP_DEFAULT_MAX_FIELDS;
    if (p->lim.max_fields > nfields)
        p->lim.max_fields = nfields;
    if (p->lim.max_target == 0)
        p->lim.max_target = GW_HTTP_DEFAULT_MAX_TARGET;
    gw_http_parser_reset(p);
    return 0;
}

void gw_http_parser_reset(gw_http_parser *p)
{
    if (p->fields == NULL)
        return; /* its init failed: the error stays */
    memset(&p->_h, 0, sizeof(p->_h));
    p->_h.kind = p->kind;
    p->_h.method = -1;
    p->_base = NULL;
    p->_line = p->_pos = p->_colon = 0;
    p->_tform = 0;
    p->_state = HS_LEAD;
    p->err = 0;
    p->err_off = 0;
}

int gw_http_parser_started(const gw_http_parser *p)
{
    return p->_state != HS_LEAD || p->_pos > p->_line;
}

/* Moves a span from the bytes at `from` to the same offset at `to`. */
static void rebase(gw_http_span *s, const char *from, const char *to)
{
    if (s->p != NULL)
        s->p = to + ((uintptr_t)s->p - (uintptr_t)from);
}

int gw_http_parse(gw_http_parser *p, const void *buf, size_t len, gw_http_head *h)
{
    const uint8_t *b = buf;

    if (p->_state == HS_ERROR)
        return p->err;
    if (p->_state == HS_DONE)
        return GW_EINVAL;
    if (p->_base != NULL && p->_base != (const char *)buf) {
        /* The bytes moved since the last call: so do the spans found. */
        size_t i;

        rebase(&p->_h.method_s, p->_base, buf);
        rebase(&p->_h.target, p->_base, buf);
        rebase(&p->_h.reason, p->_base, buf);
        for (i = 0; i < p->_h.nfields; i++) {
            rebase(&p->fields[i].name, p->_base, buf);
            rebase(&p->fields[i].value, p->_base, buf);
        }
    }
#ifdef GW__HTTP_X86
    if (isa == 0)
        gw__http_set_isa(0);
    if (isa == 3)
        return parse_avx2(p, b, len, h);
    if (isa == 2)
        return parse_sse2(p, b, len, h);
#endif
    return parse_c(p, b, len, h);
}

/* ---- looking at fields --------------------------------------------------- */

int gw_http_span_eq(gw_http_span s, const char *lit)
{
    size_t i;

    for (i = 0; i < s.len; i++) {
        unsigned a = (uint8_t)s.p[i], b = (uint8_t)lit[i];
        /* The literal's end, or neither equal nor the same letter in the
         * other case. */
        if (b == 0 || (a != b && ((a | 0x20) != (b | 0x20) || (a | 0x20) - 'a' > 25u)))
            return 0;
    }
    return lit[i] == '\0';
}

const gw_http_field *gw_http_find(const gw_http_head *h, const char *name,
                                  const gw_http_field *after)
{
    size_t i = after == NULL ? 0 : (size_t)(after - h->fields) + 1;

    for (; i < h->nfields; i++)
        if (gw_http_span_eq(h->fields[i].name, name))
            return &h->fields[i];
    return NULL;
}

int gw_http_list_next(gw_http_span *list, gw_http_span *elem)
{
    const char *s = list->p, *e = list->p + list->len;

    for (;;) {
        const char *start, *last;
        int quoted = 0;

        while (s < e && (*s == ' ' || *s == '\t' || *s == ','))
            s++;
        if (s == e) {
            list->p = s;
            list->len = 0;
            return 0;
        }
        start = s;
        for (; s < e; s++) {
            if (quoted) {
                if (*s == '\\' && s + 1 < e)
                    s++;
                else if (*s == '"')
                    quoted = 0;
            } else if (*s == '"') {
                quoted = 1;
            } else if (*s == ',') {
                break;
            }
        }
        last = s;
        while (last > start && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        list->p = s;
        list->len = (size_t)(e - s);
        elem->p = start;
        elem->len = (size_t)(last - start);
        return 1;
    }
}
