/*
 * The llhttp fixtures (../shared/conformance/llhttp/cases.jsonl, described
 * by the README beside it) loaded for tests/test-http-conformance.c: a small
 * JSON reader that keeps the fields the test compares.
 */
#ifndef GWT_HTTP_CONF_H
#define GWT_HTTP_CONF_H

#include <stddef.h>
#include <stdint.h>

/* One message as llhttp reported it (strings are UTF-8, NUL-terminated). */
typedef struct conf_msg {
    char *method, *url, *reason, *version, *body; /* "" when absent */
    int status;                                   /* from headers_complete; 0 if absent */
    char *(*headers)[2];                          /* [name, value] pairs */
    size_t nheaders;
} conf_msg;

/* One case. */
typedef struct conf_case {
    char *id;      /* "request/sample/001" */
    int response;  /* kind is "response" */
    int strict;    /* lenient null and no pause */
    int finish;    /* end of input is signalled after the bytes */
    int skip_body; /* llhttp's harness skips the bodies (skipBody) */
    uint8_t *in;   /* the input bytes */
    size_t len;
    int outcome;   /* 0 ok, 1 error, 2 upgrade, 3 incomplete */
    conf_msg *msg; /* the messages */
    size_t nmsg;
} conf_case;

typedef struct conf_set {
    conf_case *cases;
    size_t n;
} conf_set;

/* Loads the file at path; 0, or -1 if it cannot be read or parsed. */
int conf_load(const char *path, conf_set *set);
void conf_free(conf_set *set);

#endif
