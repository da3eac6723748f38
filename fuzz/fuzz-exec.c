/*
 * Fuzz harness: the executor (gen/exec.c and its backends).
 *
 * Input: a program of executor operations.  The first byte picks the
 * backend (poll or epoll); then each operation is a byte and its operands:
 * spawn a task that runs a small script, run_once (blocking or not), run,
 * cancel a task, signal a task's event, write to or drain a socket, feed the
 * memory pipe, dump, and free the executor with tasks alive.  A script
 * step yields READY, waits on a timer, on a socketpair end (read or write)
 * or on an event, each with a deadline from a table that includes
 * GW_NO_DEADLINE, INT64_MIN, INT64_MAX - 1 and times around now; reads the
 * memory pipe through gw_try_read (a nested frame suspended on the pipe's
 * event); cancels another task (or itself) mid-turn; signals, writes,
 * feeds; spawns; returns.  Done functions and cleanups may cancel their own
 * task or another, and done functions spawn.
 *
 * Properties: every task's cleanup and done run at most once, done exactly
 * once by the time the executor is freed, the cleanup before done and only
 * for a task cancelled while suspended, done's `cancelled` is 1 exactly when
 * the body did not return; a task never runs after it ended; a wait ends as
 * its kind allows (a timer as ready and not before its deadline, a timeout
 * not before the deadline, a ready fd with revents); gw_exec_ntasks counts
 * the live tasks; gw_exec_run returns 0 with none alive, or the number
 * alive when each of them waits for an event or timer without a deadline.
 *
 * Nothing may sleep for long: before a blocking call the harness ends
 * every wait that could last (a far timer is cancelled, a far socket read
 * gets a byte, a far socket write finds its buffer drained, a far event is
 * signalled), and while the call runs a far deadline becomes now.  At most FZ_NEAR waits per input
 * have a deadline in the (near) future, each of which costs poll()'s 1 ms.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include <genwire/error.h>
#include <genwire/exec.h>
#include <genwire/io.h>

#include "fuzz.h"

#define FZ_TASKS  8   /* task slots */
#define FZ_SPAWNS 64  /* tasks spawned per input, at most */
#define FZ_OPS    512 /* operations per input, at most */
#define FZ_NEAR   2   /* waits per input with a deadline in the future */
#define FZ_MS     1000000LL

/* One task's generator: runs script[0 .. len) reps times. */
typedef struct fzt {
    GW_FRAME(gw_wait);
    int slot;          /* its slot in slots[] */
    uint8_t script[8]; /* the steps */
    size_t len, pc;    /* steps, the one running */
    int reps, rep;     /* how many times the script runs, this time */
    gw_wait w;         /* the wait it yielded last */
    uint8_t buf[4];    /* memory pipe reads */
    gw_io_op *op;      /* the read in progress */
    int ret;
} fzt;

/* What the harness knows of a task slot. */
typedef struct fz_slot {
    fzt f;         /* the task's frame */
    gw_task *t;    /* the task, while spawned and not done */
    int spawned;   /* a task was spawned here (and the slot not reused since) */
    unsigned gen;  /* tasks spawned here so far */
    int done;      /* its done function ran */
    int cancelled; /* done's argument */
    int cleaned;   /* its cleanup ran (count) */
    int started;   /* its body ran */
    int returned;  /* its body reached its end */
    int waiting;   /* it yielded f.w and was not resumed since */
    int reading;   /* it is inside a read of the memory pipe */
    int done_act;  /* done: 0 nothing, 1 cancel itself, 2 cancel target, 3 spawn */
    int clean_act; /* cleanup: 0 nothing, 1 cancel itself, 2 cancel target */
    int target;    /* the slot those act on */
    gw_event ev;   /* its own event: it alone waits on it */
} fz_slot;

static gw_exec *ex;
static fz_slot slots[FZ_TASKS];
static int socks[2][2];  /* two socket pairs: tasks read [k][0], write [k][1] */
static gw_mempipe pipe_; /* read by one task at a time */
static int pipe_busy;    /* a task is reading it */
static int nspawn, near_left, blocking;
static FILE *devnull;

static void spawn(const uint8_t *script, size_t len, int reps, int done_act, int clean_act,
                  int target);

/* Ends slot k's task, if it is alive; a task ending or running is left to
 * the executor (the running one ends at its next suspension). */
static void cancel_slot(int k)
{
    fz_slot *sl = &slots[k];

    if (sl->spawned && !sl->done)
        gw_task_cancel(ex, sl->t);
}

static int nalive(void)
{
    int k, n = 0;

    for (k = 0; k < FZ_TASKS; k++)
        n += slots[k].spawned && !slots[k].done;
    return n;
}

/* The deadline of table entry i (0 .. 15). */
static int64_t deadline(unsigned i)
{
    int64_t now = gw_now();

    switch (i & 15) {
    case 0:
        return INT64_MIN;
    case 1:
        return INT64_MIN + 1;
    case 2:
        return -1;
    case 3:
        return 0;
    case 4:
        return now - 1;
    case 5:
        return now;
    case 6:
    case 15:
        if (near_left > 0) {
            near_left--;
            return now + 1000;
        }
        return now;
    case 7:
    case 12:
        return GW_NO_DEADLINE;
    case 8:
        return INT64_MAX - 1;
    case 9:
        return INT64_MIN + now;
    case 10:
        return now + 1000 * FZ_MS;
    case 11:
        return INT64_MAX - now;
    case 13:
        return now - 1000 * FZ_MS;
    default:
        return 1;
    }
}

/* Whether a wait could last: a deadline more than a millisecond away. */
static int far(int64_t d)
{
    return d > gw_now() + FZ_MS;
}

/* A poke: signal a slot's event, write a byte to a socket, feed the pipe,
 * or drain a socket (not during a blocking call). */
static void poke(unsigned arg)
{
    uint8_t b[64] = {0};
    int k = (int)(arg >> 2) & 7;

    switch (arg & 3) {
    case 0:
        gw_event_signal(&slots[k].ev);
        break;
    case 1:
        (void)send(socks[k & 1][1], b, 1, MSG_DONTWAIT); /* may be full */
        break;
    case 2:
        (void)gw_mempipe_feed(&pipe_, b, 1);
        break;
    default:
        /* Not while a blocking call runs: a reader with no deadline,
         * parked on the byte prepare_block gave it, would wait for good. */
        while (!blocking && recv(socks[k & 1][0], b, sizeof(b), MSG_DONTWAIT) > 0)
            ;
        break;
    }
}

/* What a script step asks of the body. */
enum { STEP_NONE, STEP_WAIT, STEP_READ, STEP_RETURN };

/* Runs step s->script[s->pc]: fills s->w for STEP_WAIT. */
static int step(fzt *s)
{
    fz_slot *sl = &slots[s->slot];
    unsigned b = s->script[s->pc], arg = b >> 3;

    switch (b & 7) {
    case 0:
        s->w = gw_wait_ready();
        return STEP_WAIT;
    case 1:
        s->w = gw_wait_until(deadline(arg));
        break;
    case 2:
        s->w = gw_wait_fd(GW_WAIT_READ, socks[arg & 1][0], deadline(arg >> 1));
        break;
    case 3:
        s->w = gw_wait_fd(GW_WAIT_WRITE, socks[arg & 1][1], deadline(arg >> 1));
        break;
    case 4:
        if ((arg & 1) && !pipe_busy) {
            pipe_busy = 1;
            sl->reading = 1;
            return STEP_READ;
        }
        s->w = gw_wait_event(&sl->ev, deadline(arg >> 1));
        break;
    case 5:
        cancel_slot((int)(arg & 7));
        return STEP_NONE;
    case 6:
        poke(arg);
        return STEP_NONE;
    default:
        if (arg & 1)
            return STEP_RETURN;
        spawn(s->script, 1 + (arg >> 1) % 3, 1, 0, 0, 0);
        return STEP_NONE;
    }
    /* While a blocking call runs, nothing may wait long. */
    if (blocking &&
        (far(s->w.deadline) || (s->w.deadline == GW_NO_DEADLINE &&
                                (s->w.kind == GW_WAIT_READ || s->w.kind == GW_WAIT_WRITE))))
        s->w.deadline = gw_now();
    return STEP_WAIT;
}

/* Checks how the wait s->w ended. */
static void after_wait(fzt *s)
{
    const gw_wait *w = s->_out;
    int64_t now = gw_now();

    switch (s->w.kind) {
    case GW_WAIT_READY:
        fz_check(w->woke == GW_WOKE_NONE, "READY: not woken");
        break;
    case GW_WAIT_TIMER:
        fz_check(w->woke == GW_WOKE_READY, "a timer wakes as ready");
        fz_check(now >= s->w.deadline, "a timer wakes at its deadline or after");
        break;
    case GW_WAIT_READ:
    case GW_WAIT_WRITE:
        fz_check(w->woke == GW_WOKE_READY || w->woke == GW_WOKE_TIMEOUT, "fd woke");
        fz_check(w->woke != GW_WOKE_READY || w->revents != 0, "a ready fd has revents");
        fz_check(w->woke != GW_WOKE_TIMEOUT || now >= s->w.deadline, "no early timeout");
        break;
    case GW_WAIT_EVENT:
        fz_check(w->woke == GW_WOKE_READY || w->woke == GW_WOKE_TIMEOUT, "event woke");
        fz_check(w->woke != GW_WOKE_TIMEOUT || now >= s->w.deadline, "no early timeout");
        break;
    }
}

/* Checks, at each resumption, that the task is alive. */
static void check_alive(const fz_slot *sl)
{
    fz_check(sl->spawned && !sl->done && sl->cleaned == 0, "a task runs only while alive");
}

static void fzt_cleanup(gw_frame *f)
{
    fz_slot *sl = &slots[((fzt *)(void *)f)->slot];

    fz_check(++sl->cleaned == 1, "cleanup runs once");
    fz_check(!sl->done, "cleanup before done");
    if (sl->clean_act == 1)
        cancel_slot(sl->f.slot);
    else if (sl->clean_act == 2)
        cancel_slot(sl->target);
}

GW_GENERATOR(fzt, fzt_cleanup);
GW_BODY(fzt, s)
{
    fz_slot *sl = &slots[s->slot];
    int k;

    GW_BEGIN(s);
    sl->started = 1;
    for (s->rep = 0; s->rep < s->reps; s->rep++) {
        for (s->pc = 0; s->pc < s->len; s->pc++) {
            check_alive(sl);
            k = step(s);
            if (k == STEP_RETURN)
                GW_RETURN(s, (sl->returned = 1, 0));
            if (k == STEP_WAIT) {
                sl->waiting = 1;
                GW_YIELD(s, s->w);
                sl->waiting = 0;
                check_alive(sl);
                after_wait(s);
            } else if (k == STEP_READ) {
                GW_AWAIT(s, op, gw_try_read(&pipe_.r, s->buf, sizeof(s->buf), 1));
                check_alive(sl);
                fz_check(s->op->n <= sizeof(s->buf), "read within the buffer");
                fz_check(s->op->ret < 0 || s->op->n >= 1, "a read of min 1 gives a byte");
                fz_check(s->op->ret >= 0 || s->op->ret == GW_ECANCELLED,
                         "the pipe fails only as cancelled");
                sl->reading = 0;
                pipe_busy = 0;
            }
        }
    }
    sl->returned = 1;
    GW_END(s);
}

static void fz_done(gw_task *t, int cancelled, void *ud)
{
    fz_slot *sl = ud;

    fz_check(t == sl->t, "done gets its task");
    fz_check(sl->spawned && !sl->done, "done runs once");
    fz_check(cancelled == !sl->returned, "cancelled exactly when the body did not return");
    fz_check(sl->cleaned == (cancelled && sl->started), "cleanup for a suspended task only");
    sl->done = 1;
    sl->cancelled = cancelled;
    sl->waiting = 0;
    if (sl->reading) {
        sl->reading = 0;
        pipe_busy = 0;
    }
    fz_check(gw_exec_ntasks(ex) == (size_t)nalive(), "ntasks counts the live tasks (in done)");
    if (sl->done_act == 1)
        gw_task_cancel(ex, t);
    else if (sl->done_act == 2)
        cancel_slot(sl->target);
    else if (sl->done_act == 3)
        spawn(sl->f.script, 1, 1, 0, 0, 0);
}

static void spawn(const uint8_t *script, size_t len, int reps, int done_act, int clean_act,
                  int target)
{
    fz_slot *sl = NULL;
    int k;

    if (nspawn >= FZ_SPAWNS)
        return;
    for (k = 0; k < FZ_TASKS && sl == NULL; k++)
        if (!slots[k].spawned || slots[k].done)
            sl = &slots[k];
    if (sl == NULL)
        return;
    nspawn++;
    memmove(sl->f.script, script, len); /* script may be another slot's */
    memset(&sl->f.script[len], 0, sizeof(sl->f.script) - len);
    GW_INIT(&sl->f, fzt);
    sl->f.slot = (int)(sl - slots);
    sl->f.len = len;
    sl->f.reps = reps;
    sl->spawned = 1;
    sl->gen++;
    sl->done = sl->cancelled = sl->cleaned = sl->started = sl->returned = 0;
    sl->waiting = sl->reading = 0;
    sl->done_act = done_act;
    sl->clean_act = clean_act;
    sl->target = target;
    sl->ev = (gw_event)GW_EVENT_INIT;
    sl->t = GW_SPAWN(ex, &sl->f, fz_done, sl);
    fz_check(sl->t != NULL, "spawn");
}

/* Before a blocking call: ends every wait that could last.  A socket whose
 * buffer the pokes filled is drained first, for a writer waiting on it;
 * then readers get a byte. */
static void prepare_block(void)
{
    uint8_t b[256];
    int k, pass;

    for (pass = 0; pass < 2; pass++) {
        for (k = 0; k < FZ_TASKS; k++) {
            fz_slot *sl = &slots[k];
            const gw_wait *w = &sl->f.w;
            int lasts, sock;

            if (!sl->spawned || sl->done || !sl->waiting)
                continue;
            lasts = far(w->deadline) || w->deadline == GW_NO_DEADLINE;
            sock = w->fd == socks[1][0] || w->fd == socks[1][1];
            if (pass == 0) {
                if (w->kind == GW_WAIT_WRITE && lasts)
                    while (recv(socks[sock][0], b, sizeof(b), MSG_DONTWAIT) > 0)
                        ;
                continue;
            }
            if (w->kind == GW_WAIT_TIMER && lasts && w->deadline != GW_NO_DEADLINE)
                cancel_slot(k);
            else if (w->kind == GW_WAIT_READ && lasts)
                (void)send(socks[sock][1], "", 1, MSG_DONTWAIT); /* full: readable */
            else if (w->kind == GW_WAIT_EVENT && lasts && w->deadline != GW_NO_DEADLINE)
                gw_event_signal(&sl->ev);
        }
    }
}

/* gw_exec_run's result: 0 with none alive, else the live tasks, each
 * waiting for an event or a timer without a deadline. */
static void check_run(int r)
{
    int k;

    fz_check(r >= 0, "run succeeds");
    fz_check(r == nalive() && (size_t)r == gw_exec_ntasks(ex), "run returns the live tasks");
    for (k = 0; k < FZ_TASKS; k++) {
        const fz_slot *sl = &slots[k];
        if (!sl->spawned || sl->done)
            continue;
        fz_check(sl->reading || (sl->waiting && sl->f.w.deadline == GW_NO_DEADLINE &&
                                 (sl->f.w.kind == GW_WAIT_EVENT || sl->f.w.kind == GW_WAIT_TIMER)),
                 "run returns only when every task left waits for good");
    }
}

/* Frees the executor with whatever is alive, then checks every task ended. */
static void free_exec(void)
{
    int k;

    gw_exec_free(ex);
    ex = NULL;
    for (k = 0; k < FZ_TASKS; k++) {
        fz_check(!slots[k].spawned || slots[k].done, "free ends every task");
        slots[k].spawned = 0;
    }
}

static gw_exec *new_exec(int backend)
{
    gw_exec *e = gw_exec_new_backend(backend ? GW_EXEC_EPOLL : GW_EXEC_POLL);

    if (e == NULL)
        e = gw_exec_new_backend(GW_EXEC_POLL); /* no epoll here */
    fz_check(e != NULL, "executor");
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 1, nops = 0;
    unsigned gen;
    int backend, k;

    if (size == 0)
        return 0;
    if (devnull == NULL)
        fz_check((devnull = fopen("/dev/null", "w")) != NULL, "/dev/null");
    backend = data[0] & 1;
    memset(slots, 0, sizeof(slots));
    nspawn = 0;
    near_left = FZ_NEAR;
    blocking = pipe_busy = 0;
    for (k = 0; k < 2; k++)
        fz_check(socketpair(AF_UNIX, SOCK_STREAM, 0, socks[k]) == 0, "socketpair");
    fz_check(gw_mempipe_init(&pipe_, 4) == 0, "mempipe");
    ex = new_exec(backend);
    while (pos < size && nops++ < FZ_OPS) {
        unsigned op = data[pos++], arg = pos < size ? data[pos] : 0;

        switch (op % 10) {
        case 0:
        case 1: {
            /* op: len-1 (3 bits), reps-1 (2 bits), done action (2 bits);
             * then the cleanup action and target, then the script. */
            size_t len = 1 + (op >> 4 & 7), avail;
            uint8_t script[8] = {0};

            pos++;
            avail = pos < size ? size - pos : 0;
            memcpy(script, data + pos, avail < len ? avail : len);
            pos += avail < len ? avail : len;
            spawn(script, len, 1 + (int)(arg >> 5 & 3), (int)(arg & 3), (int)(arg >> 2 & 3) % 3,
                  (int)(op >> 1 & 7));
            break;
        }
        case 2:
            fz_check(gw_exec_run_once(ex, 0) == nalive(), "run_once returns the live tasks");
            break;
        case 3:
            prepare_block();
            blocking = 1;
            fz_check(gw_exec_run_once(ex, nalive() > 0) == nalive(),
                     "blocking run_once returns the live tasks");
            blocking = 0;
            break;
        case 4:
            prepare_block();
            blocking = 1;
            check_run(gw_exec_run(ex));
            blocking = 0;
            break;
        case 5:
            pos++;
            k = (int)(arg & 7);
            gen = slots[k].gen;
            cancel_slot(k);
            /* Unless its done function spawned into the slot it left. */
            fz_check(!slots[k].spawned || slots[k].done || slots[k].gen != gen,
                     "a task cancelled from outside ends");
            break;
        case 6:
            pos++;
            poke(arg);
            break;
        case 7:
            free_exec();
            ex = new_exec(backend);
            break;
        case 8:
            (void)gw_exec_dump(ex, devnull);
            break;
        default:
            break;
        }
        fz_check(gw_exec_ntasks(ex) == (size_t)nalive(), "ntasks counts the live tasks");
    }
    free_exec();
    gw_mempipe_fini(&pipe_);
    for (k = 0; k < 2; k++) {
        close(socks[k][0]);
        close(socks[k][1]);
    }
    return 0;
}
