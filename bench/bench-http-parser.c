/*
 * bench-http's http-parser half (see bench-http.c): http_parser.h and
 * llhttp.h define the same enumerators, so http-parser is driven from this
 * file.  It records every span as bench-http.c does for llhttp.
 */
#include <stddef.h>

#include <http_parser.h>

int bench_hp_init(void);
int bench_hp_run(int response, const char *m, size_t len, size_t *count);

static const char *spans_p[64];
static size_t spans_n[64], nspans, body;

static int hp_span(http_parser *p, const char *at, size_t len)
{
    (void)p;
    if (nspans < 64) {
        spans_p[nspans] = at;
        spans_n[nspans++] = len;
    }
    return 0;
}

static int hp_body(http_parser *p, const char *at, size_t len)
{
    (void)p;
    (void)at;
    body += len;
    return 0;
}

static http_parser_settings settings;
static http_parser parser;

int bench_hp_init(void)
{
    http_parser_settings_init(&settings);
    settings.on_url = settings.on_status = hp_span;
    settings.on_header_field = settings.on_header_value = hp_span;
    settings.on_body = hp_body;
    return 0;
}

/* Parses m[0 .. len) as one message; returns len, or -1. */
int bench_hp_run(int response, const char *m, size_t len, size_t *count)
{
    nspans = 0;
    body = 0;
    http_parser_init(&parser, response ? HTTP_RESPONSE : HTTP_REQUEST);
    if (http_parser_execute(&parser, &settings, m, len) != len)
        return -1;
    *count += nspans + body;
    return (int)len;
}
