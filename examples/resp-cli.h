/*
 * resp-cli.h: what the two files of resp-cli share: the client's state (one
 * struct cli for the connection, both tasks and the reply accounting), and
 * the accounting of replies owed and received (resp-cli-track.c), which the
 * sender (what a command will be answered with) and the receiver (whether a
 * value is a reply, what a HELLO or RESET reply changes) both use.
 */
#ifndef RESP_CLI_H
#define RESP_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/exec.h>
#include <genwire/frame.h>
#include <genwire/net.h>
#include <genwire/resp.h>

/* The pub/sub commands, by kind: what their confirmations start with. */
enum { SUB, UNSUB, PSUB, PUNSUB, SSUB, SUNSUB, NKINDS };

/* The commands whose reply changes how later replies are read. */
enum { MARK_NONE, MARK_HELLO, MARK_RESET };
#define NMARKS 16 /* of them in flight at once (one more waits for the replies before it) */

typedef struct cli {
    gw_conn conn; /* the connection to the server */
    gw_fdio in, out;
    gw_bufreader sin;  /* standard input */
    gw_bufreader rin;  /* the replies */
    gw_bufwriter wout; /* to the server */
    gw_bufwriter sout; /* standard output */
    gw_record_reader lines;
    gw_resp_writer rw;
    gw_resp_tree tree;
    gw_event room;    /* signalled when a reply arrives */
    gw_exec *ex;      /* the executor */
    gw_task *rtask;   /* the receiver's task */
    long inflight;    /* replies owed for the commands sent (or being sent) */
    long queued;      /* replies owed for the commands encoded in wout, not sent yet */
    long pipeline;    /* the most replies owed (N) */
    long batch;       /* the most replies owed for the commands of one write (B) */
    long conf_owed;   /* of them, pub/sub confirmations */
    int waiting;      /* the sender waits for room: for inflight <= wake_at */
    long wake_at;     /* while waiting: the most replies in flight that leave it room */
    int64_t nsub[3];  /* channels, patterns, shard channels subscribed (from confirmations) */
    int64_t owed_seq; /* replies owed since the start, for commands sent or queued */
    int64_t got_seq;  /* replies received since the start */
    struct {
        int64_t at;  /* the number of its reply (in owed_seq) */
        int what;    /* MARK_HELLO or MARK_RESET */
    } marks[NMARKS]; /* the HELLO and RESET commands in flight, oldest first */
    unsigned mhead, nmarks;
    int input_done; /* every command is sent */
    int hello;      /* send HELLO 3 first */
    int proto;      /* 2 or 3: the protocol of the connection, from HELLO and RESET replies */
    char *args, *json;
    size_t jcap;
    const char **argv;
    size_t *argl;
    char why[256]; /* the error, or "" */
} cli;

/* The pub/sub kind (SUB .. SUNSUB) of a command name (or confirmation), or -1. */
int kind_of(const char *name, size_t len);

/* The mark of a command: MARK_HELLO, MARK_RESET or MARK_NONE. */
int mark_of(const char *name, size_t len);

/* The replies the command argv[0..argc) will get: 1, or one per channel of a
 * pub/sub command; 0 for an UNSUBSCRIBE of every channel of its kind while
 * replies are owed, whose count is known only once they arrived. */
long replies_owed(const cli *c, long argc, const char *const *argv, const size_t *argl);

/* Records the command c->argv[0..argc) that owes `owed` replies as sent or
 * queued: its confirmations, and its mark, if any (the caller made room for
 * it). */
void owe(cli *c, long argc, long owed, int mark);

/* Nonzero if v is a reply (not a message); keeps the subscription counts. */
int is_reply(cli *c, const gw_resp_value *v);

/* What the reply v to a command marked `what` changes: HELLO's "proto",
 * RESET's return to RESP2 with no subscriptions. */
void apply_mark(cli *c, int what, const gw_resp_value *v);

#endif /* RESP_CLI_H */
