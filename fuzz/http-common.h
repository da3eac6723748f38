/*
 * Shared by the HTTP/1.1 fuzz harnesses (fuzz-http-request.c,
 * fuzz-http-response.c): runs the head parser core on one input under
 * every instruction-set flavour and under a feed schedule the input picks,
 * and checks what a parsed head must satisfy.
 *
 * Input: byte 0 picks the options (bit 0: GW_HTTP_LENIENT_LF; bit 1: small
 * limits; bits 2..7 the largest piece), byte 1 the schedule's seed (0:
 * whole); the rest is the stream.
 *
 * Properties: every flavour and every schedule gives the same result
 * (length, error code and offset, every span); an error's offset is inside
 * the bytes; a head has at most max_fields fields, a target of at most
 * max_target bytes, is at most max_head bytes, and every name is a token,
 * every value free of controls but HTAB and of leading or trailing
 * whitespace, every span inside the head; body framing of the head is
 * deterministic.
 */
#ifndef GW_FUZZ_HTTP_COMMON_H
#define GW_FUZZ_HTTP_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genwire/http.h>

#include "fuzz.h"

int gw__http_isa_best(void);
int gw__http_set_isa(int want);

/* The head as text (or the error), for comparing runs. */
static void hz_text(int r, const gw_http_parser *p, const gw_http_head *h, const uint8_t *base,
                    fz_result *out)
{
    char line[64];
    size_t i;

    out->err = r < 0 ? r : 0;
    out->off = r < 0 ? p->err_off : (uint64_t)(r > 0 ? r : -1);
    if (r <= 0)
        return;
        /* Spans as offsets from the head's start, so that copies compare. */
#define SPAN(s)                                                                                    \
    do {                                                                                           \
        uint64_t o = (uint64_t)((const uint8_t *)(s).p - base), l = (s).len;                       \
        fz_result_bytes(out, &o, 8);                                                               \
        fz_result_bytes(out, &l, 8);                                                               \
    } while (0)
    snprintf(line, sizeof(line), "%d %d %d %d %zu", (int)h->kind, h->minor, h->method, h->status,
             h->nfields);
    fz_result_bytes(out, line, strlen(line));
    if (h->kind == GW_HTTP_REQUEST) {
        SPAN(h->method_s);
        SPAN(h->target);
    } else {
        SPAN(h->reason);
    }
    for (i = 0; i < h->nfields; i++) {
        SPAN(h->fields[i].name);
        SPAN(h->fields[i].value);
    }
#undef SPAN
}

static int hz_tchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Checks a parsed head against the grammar and the limits. */
static void hz_check_head(const gw_http_parser *p, const gw_http_head *h, const uint8_t *buf,
                          size_t r)
{
    size_t i, k;

    fz_check(r <= p->lim.max_head, "head within max_head");
    fz_check(h->nfields <= p->lim.max_fields, "fields within max_fields");
    fz_check(h->minor == 0 || h->minor == 1, "HTTP/1.0 or 1.1");
    fz_check(h->len == r && (const uint8_t *)h->base == buf, "len and base");
    fz_check((r >= 4 && memcmp(buf + r - 2, "\r\n", 2) == 0) ||
                 ((p->flags & GW_HTTP_LENIENT_LF) && buf[r - 1] == '\n'),
             "head ends with its line end");
    if (h->kind == GW_HTTP_REQUEST) {
        fz_check(h->method >= 0 && h->method < GW_HTTP_NMETHODS, "a known method");
        fz_check(h->target.len >= 1 && h->target.len <= p->lim.max_target, "target length");
        for (k = 0; k < h->target.len; k++)
            fz_check((uint8_t)h->target.p[k] > 0x20 && (uint8_t)h->target.p[k] < 0x7f,
                     "target is VCHAR");
    } else {
        fz_check(h->status >= 100 && h->status <= 599, "status 100..599");
        for (k = 0; k < h->reason.len; k++) {
            uint8_t c = (uint8_t)h->reason.p[k];
            fz_check(c == '\t' || (c >= 0x20 && c != 0x7f), "reason has no controls");
        }
    }
    for (i = 0; i < h->nfields; i++) {
        const gw_http_field *f = &h->fields[i];
        fz_check(f->name.len > 0, "name not empty");
        fz_check((const uint8_t *)f->name.p >= buf &&
                     (const uint8_t *)f->value.p + f->value.len <= buf + r,
                 "spans inside the head");
        for (k = 0; k < f->name.len; k++)
            fz_check(hz_tchar((uint8_t)f->name.p[k]), "name is a token");
        for (k = 0; k < f->value.len; k++) {
            uint8_t c = (uint8_t)f->value.p[k];
            fz_check(c == '\t' || (c >= 0x20 && c != 0x7f), "value has no controls");
        }
        if (f->value.len > 0) {
            uint8_t a = (uint8_t)f->value.p[0], z = (uint8_t)f->value.p[f->value.len - 1];
            fz_check(a != ' ' && a != '\t' && z != ' ' && z != '\t', "value trimmed");
        }
    }
}

/* One parse of in[0 .. len) under the options, fed whole (seed 0) or in
 * pieces, each call given every byte so far in a fresh copy. */
static void hz_parse(gw_http_kind kind, unsigned opts, uint64_t seed, const uint8_t *in, size_t len,
                     fz_result *out)
{
    static gw_http_field fields[GW_HTTP_DEFAULT_MAX_FIELDS];
    gw_http_limits small = {96, 4, 16};
    gw_http_parser p;
    gw_http_head h;
    size_t have = 0;
    int r = 0;

    fz_check(gw_http_parser_init(&p, kind, fields, GW_HTTP_DEFAULT_MAX_FIELDS,
                                 opts & 2 ? &small : NULL, opts & 1) == 0,
             "init");
    for (;;) {
        uint8_t *copy;
        size_t piece = len - have;

        if (seed != 0) {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            piece = 1 + (size_t)((seed * 0x2545F4914F6CDD1DULL) >> 33) % (1 + (opts >> 2));
            if (piece > len - have)
                piece = len - have;
        }
        have += piece;
        copy = malloc(have + 1);
        fz_check(copy != NULL, "memory");
        memcpy(copy, in, have);
        r = gw_http_parse(&p, copy, have, &h);
        if (r > 0) {
            gw_http_framing f1, f2;
            int a, b;
            hz_check_head(&p, &h, copy, (size_t)r);
            a = gw_http_framing_of(&h, -1, &f1);
            b = gw_http_framing_of(&h, -1, &f2);
            fz_check(a == b && (a != 0 || (f1.body == f2.body && f1.length == f2.length)),
                     "framing deterministic");
            hz_text(r, &p, &h, copy, out);
        } else if (r < 0) {
            fz_check(p.err_off <= have, "error offset inside the bytes");
            fz_check(gw_http_parse(&p, copy, have, &h) == r, "error sticks");
            hz_text(r, &p, &h, copy, out);
        }
        free(copy);
        if (r != 0 || have == len)
            break;
    }
    if (r == 0) {
        out->err = 1; /* incomplete */
        fz_check(len <= p.lim.max_head, "incomplete only within max_head");
    }
}

static int hz_run(gw_http_kind kind, const uint8_t *data, size_t size)
{
    fz_result whole, other;
    unsigned opts;
    uint64_t seed;
    int isa, best = gw__http_isa_best();

    if (size < 2)
        return 0;
    opts = data[0];
    seed = data[1] == 0 ? 0 : 0x9E3779B97F4A7C15ULL * data[1];
    data += 2;
    size -= 2;
    memset(&whole, 0, sizeof(whole));
    gw__http_set_isa(1);
    hz_parse(kind, opts, 0, data, size, &whole);
    for (isa = 1; isa <= best; isa++) {
        gw__http_set_isa(isa);
        if (isa > 1) {
            memset(&other, 0, sizeof(other));
            hz_parse(kind, opts, 0, data, size, &other);
            fz_result_same(&whole, &other, "flavours");
            fz_result_free(&other);
        }
        if (seed != 0) {
            memset(&other, 0, sizeof(other));
            hz_parse(kind, opts, seed, data, size, &other);
            fz_result_same(&whole, &other, "split vs whole");
            fz_result_free(&other);
        }
    }
    gw__http_set_isa(0);
    fz_result_free(&whole);
    return 0;
}

#endif
