/*
 * Conformance of the HTTP/1.1 parser against llhttp's fixtures: reads
 * ../shared/conformance/llhttp/cases.jsonl (from the source tree's parent;
 * never copied into the repository), and runs every strict case (`lenient`
 * null, no `pause`) through genwire's head parser, framing and body layers,
 * with the head fed in two pieces at every split point.  It compares the
 * outcome (ok / error / upgrade / incomplete) and, for ok cases, method,
 * target, status, reason, version, fields and body of every message.
 *
 * Where genwire disagrees, the case must be listed in `known` below (and in
 * tests/http-conformance.md) with the RFC section that justifies it; no
 * listed case may be one where genwire accepts what llhttp rejects.  When
 * the data is absent (a user's clone), the test says so and skips (as a
 * skip that meson counts as one, not as a failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/frame.h>
#include <genwire/http.h>
#include <genwire/io.h>

#include "gwt.h"
#include "http-conf.h"

/* The outcome of a run, as the fixtures name them. */
static const char *const outcome_names[] = {"ok", "error", "upgrade", "incomplete"};
enum { O_OK, O_ERROR, O_UPGRADE, O_INCOMPLETE };

/* One message as genwire saw it, serialised to text for comparison. */
typedef struct conf_run {
    int outcome;
    char text[16384]; /* the messages, one block each */
    size_t len;
} conf_run;

static void put(conf_run *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof(r->text) - r->len ? (size_t)n : sizeof(r->text) - r->len - 1;
}

static void put_span(conf_run *r, const char *p, size_t n)
{
    put(r, "%.*s", (int)n, p);
}

/* Parses one head at buf[0 .. len) with the pieces [0, cut) and then all;
 * returns what gw_http_parse returned last. */
static int parse_split(gw_http_parser *p, const uint8_t *buf, size_t len, size_t cut,
                       gw_http_head *h)
{
    int r = 0;

    /* The first piece at another address, kept until the next call (a
     * head complete in it has its spans there). */
    static uint8_t copy[1 << 16];

    if (cut > 0 && cut < len && cut <= sizeof(copy)) {
        memcpy(copy, buf, cut);
        r = gw_http_parse(p, copy, cut, h);
        if (r != 0)
            return r; /* a head, or an error, already within the first piece */
    }
    return gw_http_parse(p, buf, len, h);
}

/* Reads a chunked body from b to its end; 0, or the error. */
static int read_chunked(gw_bufreader *b, conf_run *r)
{
    gw_chunked_reader c;
    uint8_t tmp[256];

    gw_chunked_reader_init(&c, b, NULL);
    for (;;) {
        int ret = gwt_run_op(gw_try_read(&c.r, tmp, sizeof(tmp), 1));
        put_span(r, (const char *)tmp, c.r.op.n);
        if (ret < 0)
            return ret;
        if (c.r.eof)
            return 0;
    }
}

/* Runs one case: messages until the input is used up, an error, an
 * upgrade, or a message the input ends inside. */
static void run_case(const conf_case *cs, size_t cut, conf_run *r)
{
    gw_http_kind kind = cs->response ? GW_HTTP_RESPONSE : GW_HTTP_REQUEST;
    gw_http_field fields[128];
    size_t pos = 0, i;

    r->outcome = 0;
    r->len = 0;
    r->text[0] = '\0';
    for (;;) {
        gw_http_parser p;
        gw_http_head h;
        gw_http_framing fr;
        int n;

        if (pos == cs->len) {
            r->outcome = O_OK;
            return;
        }
        assert_int_equal(gw_http_parser_init(&p, kind, fields, 128, NULL, 0), 0);
        n = parse_split(&p, cs->in + pos, cs->len - pos, pos == 0 ? cut : 0, &h);
        if (n == 0) {
            /* Only empty lines after the last message: a clean end. */
            r->outcome = gw_http_parser_started(&p) ? O_INCOMPLETE : O_OK;
            return;
        }
        if (n < 0 || gw_http_framing_of(&h, -1, &fr) < 0) {
            r->outcome = O_ERROR;
            return;
        }
        if (kind == GW_HTTP_REQUEST) {
            put(r, "method ");
            put_span(r, h.method_s.p, h.method_s.len);
            put(r, "\nurl ");
            put_span(r, h.target.p, h.target.len);
        } else {
            put(r, "status %d\nreason ", h.status);
            put_span(r, h.reason.p, h.reason.len);
        }
        put(r, "\nversion 1.%d\n", h.minor);
        for (i = 0; i < h.nfields; i++) {
            put(r, "header ");
            put_span(r, h.fields[i].name.p, h.fields[i].name.len);
            put(r, ": ");
            put_span(r, h.fields[i].value.p, h.fields[i].value.len);
            put(r, "\n");
        }
        pos += (size_t)n;
        put(r, "body ");
        if (cs->skip_body) {
            /* llhttp's harness was told to skip this body */
        } else if (fr.body == GW_HTTP_BODY_LENGTH) {
            if (cs->len - pos < fr.length) {
                r->outcome = O_INCOMPLETE;
                return;
            }
            put_span(r, (const char *)cs->in + pos, (size_t)fr.length);
            pos += (size_t)fr.length;
        } else if (fr.body == GW_HTTP_BODY_CHUNKED) {
            gw_bufreader b;
            int ret;

            gw_bufreader_init_mem(&b, cs->in + pos, cs->len - pos);
            ret = read_chunked(&b, r);
            if (ret < 0) {
                r->outcome = ret == GW_ETRUNCATED ? O_INCOMPLETE : O_ERROR;
                return;
            }
            pos += b.pos;
        } else if (fr.body == GW_HTTP_BODY_CLOSE) {
            put_span(r, (const char *)cs->in + pos, cs->len - pos);
            put(r, "\n");
            r->outcome = cs->finish ? O_OK : O_INCOMPLETE;
            return;
        }
        put(r, "\n");
        if (fr.upgrade) {
            r->outcome = O_UPGRADE;
            return;
        }
        if (!fr.keep_alive && !fr.interim && pos < cs->len) {
            r->outcome = O_ERROR; /* bytes after a message that ends the connection */
            return;
        }
    }
}

/* llhttp's view of the same case, in the same text form. */
static void expected_text(const conf_case *cs, conf_run *r)
{
    size_t i, j;

    r->outcome = 0;
    r->len = 0;
    r->text[0] = '\0';
    r->outcome = cs->outcome;
    for (i = 0; i < cs->nmsg; i++) {
        const conf_msg *m = &cs->msg[i];
        if (!cs->response) {
            put(r, "method %s\nurl %s", m->method, m->url);
        } else {
            put(r, "status %d\nreason %s", m->status, m->reason);
        }
        put(r, "\nversion %s\n", m->version);
        for (j = 0; j < m->nheaders; j++)
            put(r, "header %s: %s\n", m->headers[j][0], m->headers[j][1]);
        put(r, "body %s\n", m->body);
    }
}

/* The disagreements, each justified in tests/http-conformance.md. */
typedef struct known {
    const char *id;  /* the case */
    int outcome;     /* genwire's outcome */
    const char *why; /* the short reason */
} known;

#include "http-conf-known.h"

static const known *find_known(const char *id)
{
    size_t i;

    for (i = 0; i < sizeof(known_cases) / sizeof(known_cases[0]); i++)
        if (strcmp(known_cases[i].id, id) == 0)
            return &known_cases[i];
    return NULL;
}

static void test_conformance(void **state)
{
    conf_set set;
    size_t i, agree[4] = {0}, disagree[4] = {0}, nstrict = 0;
    int failed = 0;
    char path[4096];
    const char *src = getenv("GW_SOURCE_DIR");

    (void)state;
    snprintf(path, sizeof(path), "%s/../shared/conformance/llhttp/cases.jsonl", src ? src : "..");
    if (conf_load(path, &set) != 0) {
        char why[4200];
        snprintf(why, sizeof(why), "the llhttp fixtures are not at %s (a clone without ../shared)",
                 path);
        gwt_skip(why);
    }
    for (i = 0; i < set.n; i++) {
        const conf_case *cs = &set.cases[i];
        static conf_run got, want, again;
        const known *k;
        size_t cut;
        int same;

        if (!cs->strict)
            continue;
        nstrict++;
        run_case(cs, 0, &got);
        /* The same at every split point of the first head. */
        for (cut = 1; cut < cs->len; cut++) {
            run_case(cs, cut, &again);
            if (again.outcome != got.outcome || again.len != got.len ||
                memcmp(again.text, got.text, got.len) != 0) {
                print_error("%s: split at %zu differs\n", cs->id, cut);
                failed = 1;
                break;
            }
        }
        expected_text(cs, &want);
        same = got.outcome == want.outcome &&
               (got.outcome != O_OK ||
                (got.len == want.len && memcmp(got.text, want.text, got.len) == 0));
        k = find_known(cs->id);
        if (same) {
            agree[want.outcome]++;
            if (k != NULL) {
                print_error("%s: listed as a disagreement but agrees\n", cs->id);
                failed = 1;
            }
            continue;
        }
        disagree[want.outcome]++;
        if (k == NULL || k->outcome != got.outcome) {
            print_error("%s: genwire %s, llhttp %s\n--- genwire:\n%.*s--- llhttp:\n%.*s\n", cs->id,
                        outcome_names[got.outcome], outcome_names[want.outcome], (int)got.len,
                        got.text, (int)want.len, want.text);
            failed = 1;
        }
        /* Never accept what llhttp's strict mode rejects (ending inside a
         * head it already rejects is not accepting it). */
        if (want.outcome == O_ERROR && (got.outcome == O_OK || got.outcome == O_UPGRADE)) {
            print_error("%s: llhttp rejects, genwire does not\n", cs->id);
            failed = 1;
        }
    }
    printf("# %zu strict cases\n", nstrict);
    for (i = 0; i < 4; i++)
        printf("# llhttp %-10s agree %3zu disagree %3zu\n", outcome_names[i], agree[i],
               disagree[i]);
    conf_free(&set);
    assert_int_equal(nstrict, 190); /* the README's count of strict cases */
    assert_false(failed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance),
    };

    /* GWT_RUN_GROUP: a skip (no ../shared) is TAP's "ok # SKIP", which
     * meson counts as skipped, where cmocka's own "not ok # SKIP" fails. */
    return GWT_RUN_GROUP("http-conformance", tests);
}
