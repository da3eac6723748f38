/*
 * RESP as text (tools/resp-text.h): the JSON mapping of a reply tree and
 * redis-cli's splitting of a command line.  Shared by the tool's resp layer
 * and examples/resp-cli.
 */
#include "resp-text.h"

#include <stdint.h>
#include <string.h>

#include "text.h"

/* Room for a string member in either form, quotes and wrapper included. */
static size_t str_bound(size_t len)
{
    size_t a = TX_JSON_ESCAPED_MAX(len), b = TX_BASE64_LEN(len) + 14;

    return (a > b ? a : b) + 2;
}

size_t resp_json_bound(const gw_resp_value *v)
{
    size_t n = 64, i;

    for (i = 0; i < v->nattrs; i++)
        n += resp_json_bound(&v->attrs[i]) + 4;
    switch (v->type) {
    case GW_RESP_ARRAY:
    case GW_RESP_MAP:
    case GW_RESP_SET:
    case GW_RESP_PUSH:
        for (i = 0; i < v->len; i++)
            n += resp_json_bound(&v->elems[i]) + 4;
        return n;
    case GW_RESP_INTEGER:
    case GW_RESP_BOOL:
    case GW_RESP_NULL:
        return n;
    default:
        return n + str_bound(v->len);
    }
}

/* A JSON string of p[0..n) if it is UTF-8, else {"base64": ...}. */
static size_t put_bytes(char *o, const char *p, size_t n)
{
    size_t k = 0;

    if (tx_utf8_valid((const uint8_t *)p, n)) {
        o[k++] = '"';
        k += tx_json_escape((const uint8_t *)p, n, o + k);
        o[k++] = '"';
        return k;
    }
    memcpy(o, "{\"base64\": \"", 12);
    k = 12 + tx_base64((const uint8_t *)p, n, o + 12);
    memcpy(o + k, "\"}", 2);
    return k + 2;
}

/* {"key":  (the opening of a tagged value) */
static size_t put_key(char *o, const char *key)
{
    size_t n = strlen(key);

    memcpy(o, "{\"", 2);
    memcpy(o + 2, key, n);
    memcpy(o + 2 + n, "\": ", 3);
    return n + 5;
}

/* The decimal of v. */
static size_t put_i64(char *o, int64_t v)
{
    char d[20];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, k = 0;

    do {
        d[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        o[k++] = '-';
    while (n > 0)
        o[k++] = d[--n];
    return k;
}

/* {"key": <string>} */
static size_t put_tagged(char *o, const char *key, const char *p, size_t n)
{
    size_t k = put_key(o, key);

    k += put_bytes(o + k, p, n);
    o[k++] = '}';
    return k;
}

/* The members of an aggregate: "[a, b]", or pairs "[[k, v], ...]". */
static size_t put_members(char *o, const gw_resp_value *e, size_t n, int pairs)
{
    size_t k = 0, i;

    o[k++] = '[';
    for (i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(o + k, ", ", 2);
            k += 2;
        }
        if (pairs && i % 2 == 0)
            o[k++] = '[';
        k += resp_json(&e[i], o + k);
        if (pairs && i % 2 == 1)
            o[k++] = ']';
    }
    if (pairs && n % 2 == 1)
        o[k++] = ']';
    o[k++] = ']';
    return k;
}

static size_t put_value(const gw_resp_value *v, char *o)
{
    size_t k;

    switch (v->type) {
    case GW_RESP_SIMPLE:
        return put_tagged(o, "simple", v->str, v->len);
    case GW_RESP_ERROR:
    case GW_RESP_BLOB_ERROR:
        return put_tagged(o, "error", v->str, v->len);
    case GW_RESP_INTEGER:
        return put_i64(o, v->integer);
    case GW_RESP_BULK:
        return put_bytes(o, v->str, v->len);
    case GW_RESP_NULL:
        memcpy(o, "null", 4);
        return 4;
    case GW_RESP_DOUBLE:
        return put_tagged(o, "double", v->str, v->len);
    case GW_RESP_BOOL:
        k = v->integer ? 4 : 5;
        memcpy(o, v->integer ? "true" : "false", k);
        return k;
    case GW_RESP_VERBATIM:
        k = put_key(o, "verbatim");
        k += put_bytes(o + k, v->fmt, strlen(v->fmt));
        memcpy(o + k, ", \"text\": ", 10);
        k += 10;
        k += put_bytes(o + k, v->str, v->len);
        o[k++] = '}';
        return k;
    case GW_RESP_BIGNUM:
        return put_tagged(o, "bignum", v->str, v->len);
    case GW_RESP_ARRAY:
        return put_members(o, v->elems, v->len, 0);
    default: /* set, map, push */
        k = put_key(o, gw_resp_type_name(v->type));
        k += put_members(o + k, v->elems, v->len, v->type == GW_RESP_MAP);
        o[k++] = '}';
        return k;
    }
}

size_t resp_json(const gw_resp_value *v, char *out)
{
    size_t k;

    if (v->nattrs == 0)
        return put_value(v, out);
    memcpy(out, "{\"attributes\": ", 15);
    k = 15 + put_members(out + 15, v->attrs, v->nattrs, 1);
    memcpy(out + k, ", \"value\": ", 11);
    k += 11;
    k += put_value(v, out + k);
    out[k++] = '}';
    return k;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The index of the first space or tab in p[i..n), or n.  Eight bytes at a
 * time where the byte order allows: the high bit of a byte of w ^ c is
 * left clear by the subtraction only where the byte equals c (a borrow out
 * of an equal byte reaches only the bytes after it, past the first match). */
static size_t word_end(const char *p, size_t i, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

    for (; i + 8 <= n; i += 8) {
        uint64_t w, sp, tab, hit;

        memcpy(&w, p + i, 8);
        sp = w ^ (ones * ' ');
        tab = w ^ (ones * '\t');
        hit = ((sp - ones) & ~sp) | ((tab - ones) & ~tab);
        if ((hit &= highs) != 0)
            return i + ((unsigned)__builtin_ctzll(hit) >> 3);
    }
#endif
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    return i;
}

long resp_split(const char *line, size_t n, char *buf, const char **argv, size_t *argl, size_t max)
{
    size_t i = 0, k = 0, argc = 0, start;

    for (;;) {
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == n)
            return (long)argc;
        if (argc == max)
            return -2;
        start = k;
        if (line[i] == '"' || line[i] == '\'') {
            char q = line[i++];
            for (;;) {
                if (i == n)
                    return -1; /* unbalanced */
                if (line[i] == q) {
                    i++;
                    break;
                }
                if (line[i] == '\\' && i + 1 < n && q == '"') {
                    char c = line[i + 1];
                    if (c == 'x' && i + 3 < n && hexval(line[i + 2]) >= 0 &&
                        hexval(line[i + 3]) >= 0) {
                        buf[k++] = (char)(hexval(line[i + 2]) * 16 + hexval(line[i + 3]));
                        i += 4;
                        continue;
                    }
                    buf[k++] = c == 'n'   ? '\n'
                               : c == 'r' ? '\r'
                               : c == 't' ? '\t'
                               : c == 'b' ? '\b'
                               : c == 'a' ? '\a'
                                          : c;
                    i += 2;
                } else if (line[i] == '\\' && i + 1 < n && q == '\'' && line[i + 1] == '\'') {
                    buf[k++] = '\'';
                    i += 2;
                } else {
                    buf[k++] = line[i++];
                }
            }
            if (i < n && line[i] != ' ' && line[i] != '\t')
                return -1; /* a closing quote must end the argument */
            argv[argc] = buf + start;
            argl[argc] = k - start;
        } else {
            /* Unquoted: the argument is the line's own bytes. */
            start = i;
            i = word_end(line, i, n);
            argv[argc] = line + start;
            argl[argc] = i - start;
        }
        argc++;
    }
}
