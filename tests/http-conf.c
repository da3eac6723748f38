/*
 * Loader of the llhttp fixtures for the conformance test (http-conf.h): a
 * minimal JSON parser (objects, arrays, strings with every escape, numbers,
 * literals) into a tree, then the fields the test needs copied out.
 */
#define _POSIX_C_SOURCE 200809L
#include "http-conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct jv jv;
struct jv {
    int type; /* 'o' object, 'a' array, 's' string, 'n' number, 't' true, 'f' false, 'z' null */
    char *s;  /* string value, or a number's text */
    size_t slen;
    char **keys; /* object keys */
    jv *items;   /* object values or array items */
    size_t n;
};

typedef struct jp {
    const char *p, *e;
    int bad;
} jp;

static void ws(jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(jp *j, unsigned *v)
{
    int i;

    *v = 0;
    for (i = 0; i < 4; i++) {
        char c = j->p < j->e ? *j->p++ : 0;
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    return 0;
}

static char *str(jp *j, size_t *len)
{
    char *out = malloc((size_t)(j->e - j->p) + 1);
    size_t n = 0;

    j->p++; /* the quote */
    while (j->p < j->e && *j->p != '"') {
        char c = *j->p++;
        unsigned u, lo;
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        c = j->p < j->e ? *j->p++ : 0;
        switch (c) {
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'u':
            if (hex4(j, &u) < 0) {
                j->bad = 1;
                break;
            }
            if (u >= 0xd800 && u < 0xdc00 && j->e - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u') {
                j->p += 2;
                if (hex4(j, &lo) < 0) {
                    j->bad = 1;
                    break;
                }
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (u < 0x80) {
                out[n++] = (char)u;
            } else if (u < 0x800) {
                out[n++] = (char)(0xc0 | (u >> 6));
                out[n++] = (char)(0x80 | (u & 63));
            } else if (u < 0x10000) {
                out[n++] = (char)(0xe0 | (u >> 12));
                out[n++] = (char)(0x80 | ((u >> 6) & 63));
                out[n++] = (char)(0x80 | (u & 63));
            } else {
                out[n++] = (char)(0xf0 | (u >> 18));
                out[n++] = (char)(0x80 | ((u >> 12) & 63));
                out[n++] = (char)(0x80 | ((u >> 6) & 63));
                out[n++] = (char)(0x80 | (u & 63));
            }
            break;
        default:
            out[n++] = c;
            break; /* \" \\ \/ */
        }
    }
    if (j->p >= j->e)
        j->bad = 1;
    j->p++;
    out[n] = '\0';
    *len = n;
    return out;
}

static void value(jp *j, jv *v);

static void push(jv *v, char *key, jp *j)
{
    v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
    v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
    memset(&v->items[v->n], 0, sizeof(jv));
    v->keys[v->n] = key;
    value(j, &v->items[v->n]);
    v->n++;
}

static void value(jp *j, jv *v)
{
    ws(j);
    memset(v, 0, sizeof(*v));
    if (j->p >= j->e) {
        j->bad = 1;
        return;
    }
    switch (*j->p) {
    case '{':
    case '[': {
        char close = *j->p == '{' ? '}' : ']';
        v->type = *j->p == '{' ? 'o' : 'a';
        j->p++;
        ws(j);
        if (j->p < j->e && *j->p == close) {
            j->p++;
            return;
        }
        while (!j->bad) {
            char *key = NULL;
            size_t kl;
            ws(j);
            if (v->type == 'o') {
                if (j->p >= j->e || *j->p != '"') {
                    j->bad = 1;
                    return;
                }
                key = str(j, &kl);
                ws(j);
                if (j->p >= j->e || *j->p++ != ':') {
                    free(key);
                    j->bad = 1;
                    return;
                }
            }
            push(v, key, j);
            ws(j);
            if (j->p < j->e && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->e && *j->p == close) {
                j->p++;
                return;
            }
            j->bad = 1;
        }
        return;
    }
    case '"':
        v->type = 's';
        v->s = str(j, &v->slen);
        return;
    case 't':
    case 'f':
    case 'n': {
        static const char *const lit[] = {"true", "false", "null"};
        int k = *j->p == 't' ? 0 : *j->p == 'f' ? 1 : 2;
        size_t l = strlen(lit[k]);
        if ((size_t)(j->e - j->p) < l || memcmp(j->p, lit[k], l) != 0) {
            j->bad = 1;
            return;
        }
        v->type = "tfz"[k];
        j->p += l;
        return;
    }
    default: {
        const char *s = j->p;
        while (j->p < j->e && strchr("+-0123456789.eE", *j->p) != NULL)
            j->p++;
        if (j->p == s) {
            j->bad = 1;
            return;
        }
        v->type = 'n';
        v->slen = (size_t)(j->p - s);
        v->s = malloc(v->slen + 1);
        memcpy(v->s, s, v->slen);
        v->s[v->slen] = '\0';
        return;
    }
    }
}

static void jv_free(jv *v)
{
    size_t i;

    for (i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
}

static const jv *get(const jv *o, const char *key)
{
    size_t i;

    if (o == NULL || o->type != 'o')
        return NULL;
    for (i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

static char *dup_str(const jv *v)
{
    const char *s = v != NULL && v->type == 's' ? v->s : "";
    size_t n = v != NULL && v->type == 's' ? v->slen : 0;
    char *d = malloc(n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static long b64val(char c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *q = c ? strchr(t, c) : NULL;
    return q ? q - t : -1;
}

static uint8_t *unb64(const jv *v, size_t *len)
{
    uint8_t *out = malloc(v->slen / 4 * 3 + 3);
    size_t i, n = 0;

    for (i = 0; i + 4 <= v->slen; i += 4) {
        long a = b64val(v->s[i]), b = b64val(v->s[i + 1]), c = b64val(v->s[i + 2]),
             d = b64val(v->s[i + 3]);
        out[n++] = (uint8_t)(a << 2 | b >> 4);
        if (v->s[i + 2] != '=')
            out[n++] = (uint8_t)((b & 15) << 4 | c >> 2);
        if (v->s[i + 3] != '=')
            out[n++] = (uint8_t)((c & 3) << 6 | d);
    }
    *len = n;
    return out;
}

static int take_case(const jv *o, conf_case *c)
{
    static const char *const outcomes[] = {"ok", "error", "upgrade", "incomplete"};
    const jv *kind = get(o, "kind"), *len = get(o, "lenient"), *pause = get(o, "pause"),
             *fin = get(o, "finish"), *in = get(o, "input_b64"), *out = get(o, "outcome"),
             *msgs = get(o, "messages");
    size_t i, k;

    if (kind == NULL || in == NULL || in->type != 's' || out == NULL || out->type != 's' ||
        msgs == NULL || msgs->type != 'a')
        return -1;
    memset(c, 0, sizeof(*c));
    c->id = dup_str(get(o, "id"));
    c->response = strcmp(kind->s, "response") == 0;
    c->strict = (len == NULL || len->type == 'z') && (pause == NULL || pause->type == 'z');
    c->finish = fin != NULL && fin->type == 't';
    c->skip_body = get(o, "skipBody") != NULL && get(o, "skipBody")->type == 't';
    c->in = unb64(in, &c->len);
    c->outcome = -1;
    for (i = 0; i < 4; i++)
        if (strcmp(out->s, outcomes[i]) == 0)
            c->outcome = (int)i;
    c->nmsg = msgs->n;
    c->msg = calloc(msgs->n + 1, sizeof(*c->msg));
    for (i = 0; i < msgs->n; i++) {
        const jv *m = &msgs->items[i], *hs = get(m, "headers"), *hc = get(m, "headers_complete");
        const jv *st = get(hc, "status");
        conf_msg *cm = &c->msg[i];
        cm->method = dup_str(get(m, "method"));
        cm->url = dup_str(get(m, "url"));
        cm->reason = dup_str(get(m, "reason"));
        cm->version = dup_str(get(m, "version"));
        cm->body = dup_str(get(m, "body"));
        cm->status = st != NULL && st->type == 's' ? atoi(st->s) : 0;
        cm->nheaders = hs != NULL && hs->type == 'a' ? hs->n : 0;
        cm->headers = calloc(cm->nheaders + 1, sizeof(*cm->headers));
        for (k = 0; k < cm->nheaders; k++) {
            const jv *pair = &hs->items[k];
            cm->headers[k][0] = dup_str(pair->n > 0 ? &pair->items[0] : NULL);
            cm->headers[k][1] = dup_str(pair->n > 1 ? &pair->items[1] : NULL);
        }
    }
    return c->outcome < 0 ? -1 : 0;
}

int conf_load(const char *path, conf_set *set)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int ret = 0;

    memset(set, 0, sizeof(*set));
    if (f == NULL)
        return -1;
    while ((n = getline(&line, &cap, f)) > 0) {
        jp j = {line, line + n, 0};
        jv v;
        if (n <= 1)
            continue;
        value(&j, &v);
        set->cases = realloc(set->cases, (set->n + 1) * sizeof(*set->cases));
        if (j.bad || take_case(&v, &set->cases[set->n]) < 0)
            ret = -1;
        else
            set->n++;
        jv_free(&v);
    }
    free(line);
    fclose(f);
    return ret == 0 && set->n > 0 ? 0 : -1;
}

void conf_free(conf_set *set)
{
    size_t i, k, m;

    for (i = 0; i < set->n; i++) {
        conf_case *c = &set->cases[i];
        for (m = 0; m < c->nmsg; m++) {
            conf_msg *cm = &c->msg[m];
            for (k = 0; k < cm->nheaders; k++) {
                free(cm->headers[k][0]);
                free(cm->headers[k][1]);
            }
            free(cm->headers);
            free(cm->method);
            free(cm->url);
            free(cm->reason);
            free(cm->version);
            free(cm->body);
        }
        free(c->msg);
        free(c->id);
        free(c->in);
    }
    free(set->cases);
    memset(set, 0, sizeof(*set));
}
