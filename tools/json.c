/*
 * The command-line tool's JSON-lines input (tools/text.h): the parser of
 * one JSON object per line that `genwire encode --input json` reads, as
 * tx_json_record (a record's "text" or "base64" payload) and as the tx_json
 * cursor that the message layers (http-encode.c) walk member by member.
 * One line, one pass, no allocation: a decoded string is written into the
 * caller's buffer and is never longer than its JSON.  The encodings the
 * tool writes (UTF-8 checks, JSON string escaping, base64, hex) are in
 * text.c.
 */
#include "text.h"

#include <stdint.h>
#include <string.h>

/* The parser's state: the cursor of text.h. */
typedef tx_json jp;

static void ws(jp *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\r'))
        j->i++;
}

static int fail(jp *j, const char *why)
{
    if (j->why == NULL)
        j->why = why;
    return -1;
}

static int hex4(const char *p, uint32_t *v)
{
    int k;

    *v = 0;
    for (k = 0; k < 4; k++) {
        char c = p[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
        o[2] = (uint8_t)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 63));
    o[3] = (uint8_t)(0x80 | (cp & 63));
    return 4;
}

/* Parses a string at j->i; its decoded UTF-8 goes to out (if not NULL),
 * at most cap bytes of it, its whole length to *len.  The decoded form is
 * never longer than the JSON. */
static int string_cap(jp *j, uint8_t *out, size_t cap, size_t *len)
{
    size_t o = 0;

    if (j->i >= j->n || j->s[j->i] != '"')
        return fail(j, "a string was expected");
    j->i++;
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->s[j->i++];
        if (c == '"') {
            *len = o;
            return 0;
        }
        if (c < 0x20)
            return fail(j, "a control character inside a string");
        if (c != '\\') {
            if (out != NULL && o < cap)
                out[o] = c;
            o++;
            continue;
        }
        if (j->i >= j->n)
            break;
        c = (unsigned char)j->s[j->i++];
        switch (c) {
        case '"':
        case '\\':
        case '/':
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'u': {
            uint32_t cp, lo;
            uint8_t tmp[4];
            if (j->n - j->i < 4 || hex4(j->s + j->i, &cp) != 0)
                return fail(j, "a bad \\u escape");
            j->i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (j->n - j->i < 6 || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u' ||
                    hex4(j->s + j->i + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                    return fail(j, "an unpaired surrogate");
                j->i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return fail(j, "an unpaired surrogate");
            }
            {
                size_t k = put_utf8(tmp, cp);
                if (out != NULL && o + k <= cap)
                    memcpy(out + o, tmp, k);
                o += k;
            }
            continue;
        }
        default:
            return fail(j, "a bad escape in a string");
        }
        if (out != NULL && o < cap)
            out[o] = c;
        o++;
    }
    return fail(j, "an unterminated string");
}

/* string_cap with room for all of it. */
static int string(jp *j, uint8_t *out, size_t *len)
{
    return string_cap(j, out, SIZE_MAX, len);
}

/* Skips true, false or null, which must end there (a delimiter or the end). */
static int literal(jp *j)
{
    static const char *const words[] = {"true", "false", "null"};
    size_t k;

    for (k = 0; k < 3; k++) {
        size_t w = strlen(words[k]);
        if (j->n - j->i >= w && memcmp(j->s + j->i, words[k], w) == 0 &&
            (j->i + w == j->n || strchr(" \t\r,]}", j->s[j->i + w]) != NULL)) {
            j->i += w;
            return 0;
        }
    }
    return fail(j, "an invalid literal (true, false and null are the literals)");
}

/* Skips j->s[j->i..] while they are digits; returns how many. */
static size_t digits(jp *j)
{
    size_t start = j->i;

    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    return j->i - start;
}

/* Skips a number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number(jp *j)
{
    size_t start;

    if (j->i < j->n && j->s[j->i] == '-')
        j->i++;
    start = j->i;
    if (digits(j) == 0 || (j->s[start] == '0' && j->i - start > 1))
        return fail(j, "an invalid number");
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (digits(j) == 0)
            return fail(j, "an invalid number");
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (digits(j) == 0)
            return fail(j, "an invalid number");
    }
    if (j->i < j->n && strchr(" \t\r,]}", j->s[j->i]) == NULL)
        return fail(j, "an invalid number");
    return 0;
}

/* Skips any JSON value, nesting at most `depth` deep. */
static int skip_value(jp *j, int depth)
{
    size_t len;

    ws(j);
    if (j->i >= j->n)
        return fail(j, "a value was expected");
    if (depth <= 0)
        return fail(j, "nesting too deep");
    switch (j->s[j->i]) {
    case '"':
        return string(j, NULL, &len);
    case '{':
    case '[': {
        char close = j->s[j->i] == '{' ? '}' : ']';
        int first = 1;
        j->i++;
        for (;;) {
            ws(j);
            if (j->i < j->n && j->s[j->i] == close) {
                j->i++;
                return 0;
            }
            if (!first) {
                if (j->i >= j->n || j->s[j->i] != ',')
                    return fail(j, "',' expected");
                j->i++;
                ws(j);
            }
            first = 0;
            if (close == '}') {
                if (string(j, NULL, &len) != 0)
                    return -1;
                ws(j);
                if (j->i >= j->n || j->s[j->i] != ':')
                    return fail(j, "':' expected");
                j->i++;
            }
            if (skip_value(j, depth - 1) != 0)
                return -1;
        }
    }
    case 't':
    case 'f':
    case 'n':
        return literal(j);
    default:
        return number(j);
    }
}

int tx_json_record(const char *line, size_t n, uint8_t *scratch, tx_record *rec, const char **why)
{
    jp j = {line, n, 0, NULL};
    int have = 0, first = 1;

    ws(&j);
    if (j.i >= n || line[j.i] != '{') {
        *why = "a JSON object was expected";
        return -1;
    }
    j.i++;
    for (;;) {
        size_t klen, vlen;
        uint8_t key[8];

        ws(&j);
        if (j.i < n && line[j.i] == '}') {
            j.i++;
            break;
        }
        if (!first) {
            if (j.i >= n || line[j.i] != ',') {
                fail(&j, "',' expected");
                goto bad;
            }
            j.i++;
            ws(&j);
        }
        first = 0;
        /* The key decoded, escapes and all; only "text" and "base64" matter. */
        if (string_cap(&j, key, sizeof(key), &klen) != 0)
            goto bad;
        ws(&j);
        if (j.i >= n || line[j.i] != ':') {
            fail(&j, "':' expected");
            goto bad;
        }
        j.i++;
        ws(&j);
        if (klen == 4 && memcmp(key, "text", 4) == 0) {
            if (string(&j, scratch, &vlen) != 0)
                goto bad;
            rec->data = scratch;
            rec->len = vlen;
            have++;
        } else if (klen == 6 && memcmp(key, "base64", 6) == 0) {
            const char *start = line + j.i + 1;
            long k;
            if (string(&j, NULL, &vlen) != 0)
                goto bad;
            k = tx_unbase64(start, vlen, scratch);
            if (k < 0 || memchr(start, '\\', vlen) != NULL) {
                fail(&j, "\"base64\" is not base64");
                goto bad;
            }
            rec->data = scratch;
            rec->len = (size_t)k;
            have++;
        } else if (skip_value(&j, 32) != 0) {
            goto bad;
        }
    }
    ws(&j);
    if (j.i != n) {
        fail(&j, "text after the object");
        goto bad;
    }
    if (have != 1) {
        *why = have == 0 ? "the object has neither \"text\" nor \"base64\""
                         : "the object has more than one of \"text\" and \"base64\"";
        return -1;
    }
    return 0;
bad:
    *why = j.why;
    return -1;
}

/* ---- a JSON cursor, for message layers' input ------------------------------ */

int tx_json_begin(tx_json *c, const char *line, size_t n)
{
    jp *j = (jp *)c;

    j->s = line;
    j->n = n;
    j->i = 0;
    j->why = NULL;
    ws(j);
    if (j->i >= n || line[j->i] != '{')
        return fail(j, "a JSON object was expected");
    j->i++;
    return 0;
}

/* The next element of an object or array being read (close is '}' or
 * ']'): 1 if there is one (after its ',' if not the first), 0 at the
 * close, -1 on an error. */
static int next_elem(jp *j, char close, int *first)
{
    ws(j);
    if (j->i < j->n && j->s[j->i] == close) {
        j->i++;
        return 0;
    }
    if (!*first) {
        if (j->i >= j->n || j->s[j->i] != ',')
            return fail(j, "',' expected");
        j->i++;
        ws(j);
    }
    *first = 0;
    return 1;
}

int tx_json_key(tx_json *c, int *first, char *key, size_t cap, size_t *klen)
{
    jp *j = (jp *)c;
    int r = next_elem(j, '}', first);

    if (r <= 0)
        return r;
    if (string_cap(j, (uint8_t *)key, cap, klen) != 0)
        return -1;
    ws(j);
    if (j->i >= j->n || j->s[j->i] != ':')
        return fail(j, "':' expected");
    j->i++;
    ws(j);
    return 1;
}

int tx_json_array(tx_json *c)
{
    jp *j = (jp *)c;

    ws(j);
    if (j->i >= j->n || j->s[j->i] != '[')
        return fail(j, "an array was expected");
    j->i++;
    return 0;
}

int tx_json_elem(tx_json *c, int *first)
{
    return next_elem((jp *)c, ']', first);
}

int tx_json_string(tx_json *c, uint8_t *out, size_t *len)
{
    ws((jp *)c);
    return string((jp *)c, out, len);
}

int tx_json_uint(tx_json *c, uint64_t *v)
{
    jp *j = (jp *)c;
    size_t start;

    ws(j);
    start = j->i;
    if (number(j) != 0)
        return -1;
    *v = 0;
    for (; start < j->i; start++) {
        char d = j->s[start];
        if (d < '0' || d > '9' || *v > (UINT64_MAX - 9) / 10)
            return fail(j, "a non-negative integer was expected");
        *v = *v * 10 + (uint64_t)(d - '0');
    }
    return 0;
}

int tx_json_bool(tx_json *c, int *v)
{
    jp *j = (jp *)c;

    ws(j);
    if (j->n - j->i >= 4 && memcmp(j->s + j->i, "true", 4) == 0)
        *v = 1;
    else if (j->n - j->i >= 5 && memcmp(j->s + j->i, "false", 5) == 0)
        *v = 0;
    else
        return fail(j, "true or false was expected");
    return literal(j);
}

int tx_json_skip(tx_json *c)
{
    return skip_value((jp *)c, 32);
}

int tx_json_end(tx_json *c)
{
    jp *j = (jp *)c;

    ws(j);
    return j->i == j->n ? 0 : fail(j, "text after the object");
}
