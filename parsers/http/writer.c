/*
 * The HTTP/1.1 head writer (include/genwire/http.h, gw_http_format_head):
 * validates every part of a head against the grammar the parser enforces,
 * then formats it into the caller's buffer.  Bodies are written with the
 * layers that already exist (the chunked writer, deflate); this file only
 * makes sure a head cannot carry an injected CR, LF or NUL.
 */
#include <stdio.h>
#include <string.h>

#include "genwire/http.h"

#include "scan.h"
#include "target.h"

/* Nonzero if s is 1 or more tchars. */
static int token(gw_http_span s)
{
    size_t i;

    if (s.len == 0 || s.p == NULL)
        return 0;
    for (i = 0; i < s.len; i++)
        if (!gw__http_tchar[(uint8_t)s.p[i]])
            return 0;
    return 1;
}

/* Nonzero if s holds no control but HTAB, and no DEL (obs-text is fine). */
static int text(gw_http_span s)
{
    size_t i;

    if (s.len > 0 && s.p == NULL)
        return 0;
    for (i = 0; i < s.len; i++)
        if (gw__http_ctl[(uint8_t)s.p[i]])
            return 0;
    return 1;
}

/* The methods whose request-target has a form of its own (target.h),
 * from the method's text: CONNECT, OPTIONS, PRI, or -1 for any other. */
static int method_of(gw_http_span m)
{
    if (m.len == 3 && memcmp(m.p, "PRI", 3) == 0)
        return GW_HTTP_PRI;
    if (m.len == 7 && memcmp(m.p, "CONNECT", 7) == 0)
        return GW_HTTP_CONNECT;
    if (m.len == 7 && memcmp(m.p, "OPTIONS", 7) == 0)
        return GW_HTTP_OPTIONS;
    return -1;
}

/* Appends s to the buffer if it fits; *pos grows either way. */
static void put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (*pos + n <= cap && n > 0)
        memcpy(buf + *pos, s, n);
    *pos += n;
}

int gw_http_format_head(const gw_http_head *h, char *buf, size_t cap)
{
    char line[32];
    size_t pos = 0, i, k;
    int n;

    if ((h->kind != GW_HTTP_REQUEST && h->kind != GW_HTTP_RESPONSE) ||
        (h->minor != 0 && h->minor != 1) || (h->nfields > 0 && h->fields == NULL))
        return GW_EINVAL;
    if (h->kind == GW_HTTP_REQUEST) {
        if (!token(h->method_s) || h->target.len == 0 || h->target.p == NULL)
            return GW_EHTTP_INVALID_FIELD;
        for (k = 0; k < h->target.len; k++)
            if (!gw__http_vchar[(uint8_t)h->target.p[k]])
                return GW_EHTTP_INVALID_FIELD;
        if (!gw__http_target_ok(method_of(h->method_s), (const uint8_t *)h->target.p,
                                h->target.len))
            return GW_EHTTP_INVALID_FIELD;
    } else if (h->status < 100 || h->status > 599 || !text(h->reason)) {
        return GW_EHTTP_INVALID_FIELD;
    }
    for (i = 0; i < h->nfields; i++)
        if (!token(h->fields[i].name) || !text(h->fields[i].value))
            return GW_EHTTP_INVALID_FIELD;

    if (h->kind == GW_HTTP_REQUEST) {
        put(buf, cap, &pos, h->method_s.p, h->method_s.len);
        put(buf, cap, &pos, " ", 1);
        put(buf, cap, &pos, h->target.p, h->target.len);
        n = snprintf(line, sizeof(line), " HTTP/1.%d\r\n", h->minor);
        put(buf, cap, &pos, line, (size_t)n);
    } else {
        n = snprintf(line, sizeof(line), "HTTP/1.%d %03d ", h->minor, h->status);
        put(buf, cap, &pos, line, (size_t)n);
        put(buf, cap, &pos, h->reason.p, h->reason.len);
        put(buf, cap, &pos, "\r\n", 2);
    }
    for (i = 0; i < h->nfields; i++) {
        put(buf, cap, &pos, h->fields[i].name.p, h->fields[i].name.len);
        put(buf, cap, &pos, ": ", 2);
        put(buf, cap, &pos, h->fields[i].value.p, h->fields[i].value.len);
        put(buf, cap, &pos, "\r\n", 2);
    }
    put(buf, cap, &pos, "\r\n", 2);
    if (pos > cap || pos > INT32_MAX)
        return GW_ETOO_LARGE;
    return (int)pos;
}
