/*
 * gw_exec_dump (include/genwire/exec.h): one paragraph per live task, its
 * state, what it waits on and its generators' backtrace, for a program that
 * hangs or a test that fails.  Reads the executor's private structs
 * (gen/exec-impl.h) and changes nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>

#include "gen/exec-impl.h"
#include "genwire/exec.h"

/* The dump's first line of a task: its state and what it waits on. */
static void dump_state(const gw_task *t, int64_t now, FILE *out)
{
    const gw_wait *w = &t->wait;

    fprintf(out, "task %llu: ", (unsigned long long)t->id);
    switch (t->state) {
    case GW__T_READY:
        fputs("ready", out);
        break;
    case GW__T_RUNNING:
        fputs("running", out);
        break;
    case GW__T_IO:
        fprintf(out, "waiting for fd %d to be %s", w->fd,
                w->kind == GW_WAIT_READ ? "readable" : "writable");
        break;
    case GW__T_TIMER:
        fputs("sleeping", out);
        break;
    case GW__T_EVENT:
        fprintf(out, "waiting for event %p", (void *)w->event);
        break;
    case GW__T_ENDING:
        fputs("ending", out);
        break;
    }
    if (t->state == GW__T_IO || t->state == GW__T_TIMER || t->state == GW__T_EVENT) {
        if (w->deadline == GW_NO_DEADLINE)
            fputs(t->state == GW__T_TIMER ? " forever (no deadline)" : ", no deadline", out);
        else if (w->deadline <= now)
            fputs(", deadline passed", out);
        else
            fprintf(out, ", %.3f ms to its deadline", (double)(w->deadline - now) / 1e6);
    }
    fputc('\n', out);
}

size_t gw_exec_dump(const gw_exec *ex, FILE *out)
{
    int64_t now = gw_now();
    const gw_task *t, *last = NULL;
    size_t n = 0;

    /* Oldest first: walk to the end of the newest-first list, then back. */
    for (t = ex->all; t != NULL; t = t->anext)
        last = t;
    for (t = last; t != NULL; t = t->aprev, n++) {
        gw_frame_info fi[32];
        size_t depth = gw_stack_backtrace(&t->st, fi, 32), i;

        dump_state(t, now, out);
        for (i = 0; i < depth && i < 32; i++)
            fprintf(out, "    #%zu %s at %s:%d\n", i, fi[i].name, fi[i].file, fi[i].line);
        if (depth > 32)
            fprintf(out, "    ... %zu more frames\n", depth - 32);
        fputc('\n', out);
    }
    return n;
}
