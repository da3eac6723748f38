/*
 * resp-cli-track.c: resp-cli's accounting of replies (see resp-cli.c's
 * opening comment): how many replies a command will get, which values are
 * replies rather than pub/sub messages, and what the replies to HELLO and
 * RESET change in how later ones are read.
 */
#include <string.h>
#include <strings.h>

#include "resp-cli.h"

/* What the pub/sub commands' confirmations start with, by kind. */
static const char *const kinds[NKINDS] = {"subscribe",    "unsubscribe", "psubscribe",
                                          "punsubscribe", "ssubscribe",  "sunsubscribe"};

/* See resp-cli.h. */
int kind_of(const char *name, size_t len)
{
    int k;

    if (len < 9 || len > 12)
        return -1; /* the common case: no pub/sub command */
    for (k = 0; k < NKINDS; k++)
        if (strlen(kinds[k]) == len && strncasecmp(name, kinds[k], len) == 0)
            return k;
    return -1;
}

/* See resp-cli.h. */
int mark_of(const char *name, size_t len)
{
    if (len == 5 && strncasecmp(name, "hello", 5) == 0)
        return MARK_HELLO;
    if (len == 5 && strncasecmp(name, "reset", 5) == 0)
        return MARK_RESET;
    return MARK_NONE;
}

/* See resp-cli.h. */
long replies_owed(const cli *c, long argc, const char *const *argv, const size_t *argl)
{
    int k = kind_of(argv[0], argl[0]);

    if (k < 0)
        return 1;
    if (argc == 1 && (k == UNSUB || k == PUNSUB || k == SUNSUB)) {
        if (c->inflight + c->queued > 0)
            return 0;
        return c->nsub[k / 2] > 0 ? c->nsub[k / 2] : 1;
    }
    if (argc == 1)
        return 1; /* an error: wrong number of arguments */
    return argc - 1;
}

/* See resp-cli.h. */
void owe(cli *c, long argc, long owed, int mark)
{
    int k = c->argl[0] < 9 ? -1 : kind_of(c->argv[0], c->argl[0]);

    /* Every reply of a pub/sub command is a confirmation, but that of a
     * (P|S)SUBSCRIBE without channels (an error). */
    if (k >= 0 && (argc > 1 || k == UNSUB || k == PUNSUB || k == SUNSUB))
        c->conf_owed += owed;
    if (mark != MARK_NONE) {
        c->marks[(c->mhead + c->nmarks) % NMARKS].at = c->owed_seq;
        c->marks[(c->mhead + c->nmarks) % NMARKS].what = mark;
        c->nmarks++;
    }
    c->owed_seq += owed;
}

/* See resp-cli.h. */
int is_reply(cli *c, const gw_resp_value *v)
{
    const gw_resp_value *e = v->elems;
    int k, msg;

    if (v->type != GW_RESP_PUSH && (v->type != GW_RESP_ARRAY || c->proto == 3))
        return 1;
    if (v->len < 3 || (e[0].type != GW_RESP_BULK && e[0].type != GW_RESP_SIMPLE))
        return v->type != GW_RESP_PUSH;
    k = kind_of(e[0].str, e[0].len);
    if (k >= 0 && v->len == 3 && e[2].type == GW_RESP_INTEGER && c->conf_owed > 0) {
        /* A confirmation: its count is of channels and patterns together,
         * or of shard channels alone. */
        if (k >= SSUB)
            c->nsub[2] = e[2].integer;
        else
            c->nsub[k / 2] += e[2].integer - c->nsub[0] - c->nsub[1];
        c->conf_owed--;
        return 1;
    }
    if (v->type == GW_RESP_PUSH)
        return 0;
    /* RESP2: the messages of a subscribed connection look like replies. */
    msg =
        (v->len == 3 && (strcmp(e[0].str, "message") == 0 || strcmp(e[0].str, "smessage") == 0)) ||
        (v->len == 4 && strcmp(e[0].str, "pmessage") == 0);
    return !(msg && c->nsub[0] + c->nsub[1] + c->nsub[2] > 0);
}

/* See resp-cli.h. */
void apply_mark(cli *c, int what, const gw_resp_value *v)
{
    size_t i;

    if (what == MARK_RESET && v->type == GW_RESP_SIMPLE && strcmp(v->str, "RESET") == 0) {
        c->proto = 2;
        c->nsub[0] = c->nsub[1] = c->nsub[2] = 0;
        c->conf_owed = 0;
    }
    if (what != MARK_HELLO || (v->type != GW_RESP_MAP && v->type != GW_RESP_ARRAY))
        return;
    for (i = 0; i + 1 < v->len; i += 2)
        if ((v->elems[i].type == GW_RESP_BULK || v->elems[i].type == GW_RESP_SIMPLE) &&
            strcmp(v->elems[i].str, "proto") == 0 && v->elems[i + 1].type == GW_RESP_INTEGER)
            c->proto = v->elems[i + 1].integer == 3 ? 3 : 2;
}
