/*
 * genwire waits and the poll() executor.
 *
 * A task is a generator stack whose values are gw_wait records: what the task
 * needs before it can go on (an fd readable or writable, a deadline, an event,
 * or simply another turn).  The executor owns the tasks, resumes every ready
 * one, and when none is ready builds one pollfd array from the waiting tasks
 * and sleeps in poll() until the nearest deadline.  It is single-threaded and
 * allocates only when a task is spawned.
 *
 * Without an executor, the same generators run in push mode: the caller
 * drives the stack with gw_next() and answers each wait itself (for a memory
 * pipe: feed bytes, then resume).
 */
#ifndef GENWIRE_EXEC_H
#define GENWIRE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/gen.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gw_task gw_task;
typedef struct gw_exec gw_exec;

/* What a task waits for. */
typedef enum gw_wait_kind {
    GW_WAIT_READY = 0, /* nothing: run again on the next turn (a voluntary yield) */
    GW_WAIT_READ,      /* fd readable, or hung up, or in error */
    GW_WAIT_WRITE,     /* fd writable, or in error */
    GW_WAIT_TIMER,     /* the deadline has passed */
    GW_WAIT_EVENT      /* the event has been signalled (memory pipe input, ...) */
} gw_wait_kind;

/* How a wait ended, written into the wait by the executor before it resumes
 * the task. */
typedef enum gw_wake {
    GW_WOKE_NONE = 0, /* not woken by the executor (push mode) */
    GW_WOKE_READY,    /* the condition holds (fd ready, event signalled, timer due) */
    GW_WOKE_TIMEOUT   /* the wait's deadline passed first */
} gw_wake;

/* No deadline. */
#define GW_NO_DEADLINE INT64_MAX

/*
 * An event: a one-waiter wake-up flag that lives in the object that signals
 * it (a memory pipe, a queue).  Initialise with GW_EVENT_INIT or zero.
 */
typedef struct gw_event {
    gw_task *_waiter; /* the task parked on it, or NULL */
    int _pending;     /* signalled while nobody waited: the next wait returns at once */
} gw_event;

#define GW_EVENT_INIT                                                                              \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* A wait record: the value type of every task generator. */
typedef struct gw_wait {
    gw_wait_kind kind; /* what to wait for */
    int fd;            /* GW_WAIT_READ / GW_WAIT_WRITE: the descriptor */
    /* Monotonic time in ns (gw_now()) after which the wait ends anyway:
     * the wake time of GW_WAIT_TIMER, an optional timeout for the others. */
    int64_t deadline;
    gw_event *event; /* GW_WAIT_EVENT: the event */
    gw_wake woke;    /* set by the executor on resume */
    short revents;   /* GW_WAIT_READ / WRITE: poll() revents on wake, 0 otherwise */
} gw_wait;

/* Helpers that build wait records. */
static inline gw_wait gw_wait_fd(gw_wait_kind kind, int fd, int64_t deadline)
{
    gw_wait w = {kind, fd, deadline, NULL, GW_WOKE_NONE, 0};
    return w;
}
static inline gw_wait gw_wait_until(int64_t deadline)
{
    gw_wait w = {GW_WAIT_TIMER, -1, deadline, NULL, GW_WOKE_NONE, 0};
    return w;
}
static inline gw_wait gw_wait_event(gw_event *ev, int64_t deadline)
{
    gw_wait w = {GW_WAIT_EVENT, -1, deadline, ev, GW_WOKE_NONE, 0};
    return w;
}
static inline gw_wait gw_wait_ready(void)
{
    gw_wait w = {GW_WAIT_READY, -1, GW_NO_DEADLINE, NULL, GW_WOKE_NONE, 0};
    return w;
}

/* gw_now: CLOCK_MONOTONIC in nanoseconds. */
int64_t gw_now(void);

/*
 * gw_event_signal: wakes the task parked on `ev`, if any, or remembers the
 * signal so that the next wait on it returns at once.  Safe to call from
 * inside a running task, and without any executor (then it only sets the
 * flag).  Never suspends.
 */
void gw_event_signal(gw_event *ev);

/* gw_exec_new: a new executor with no tasks, or NULL when out of memory. */
gw_exec *gw_exec_new(void);

/*
 * gw_exec_free: cancels every task still alive (see gw_task_cancel) and frees
 * the executor.  NULL is a no-op.  Must not be called from inside a task.
 */
void gw_exec_free(gw_exec *ex);

/* Called once when a task ends: `cancelled` is 1 if it was cancelled, 0 if
 * its root generator returned.  The task is freed right after the call. */
typedef void (*gw_task_done_fn)(gw_task *t, int cancelled, void *ud);

/*
 * GW_SPAWN(ex, frame, done, ud): adds the initialised generator `frame`,
 * whose value type must be gw_wait, as a new task, ready to run.  The frame
 * stays owned by the caller and must outlive the task.  Returns the task, or
 * NULL when out of memory (the frame is then untouched).  This is the only
 * executor call that allocates.  Never suspends.
 */
#define GW_SPAWN(ex, frame, done, ud)                                                              \
    gw__exec_spawn((ex), &(frame)->_gw, &(frame)->_out, (done), (ud))
gw_task *gw__exec_spawn(gw_exec *ex, gw_frame *root, gw_wait **slot, gw_task_done_fn done,
                        void *ud);

/*
 * gw_task_cancel: ends a task: closes its generator (cleanups run innermost
 * first), calls its done function with cancelled = 1 and frees it.  From
 * inside the task itself, the cancellation takes effect when it next
 * suspends.  Never suspends.
 */
void gw_task_cancel(gw_exec *ex, gw_task *t);

/* gw_task_stack: the generator stack of a task, e.g. for a backtrace. */
gw_stack *gw_task_stack(gw_task *t);

/*
 * gw_exec_run_once: one turn: runs every task that is ready, then, if
 * `block` is nonzero and no task is ready, waits in poll() for the next fd
 * event or deadline.  Returns the number of tasks still alive, or a negative
 * gw error if poll() failed (other than EINTR, which is retried with the
 * remaining time).
 */
int gw_exec_run_once(gw_exec *ex, int block);

/*
 * gw_exec_run: turns until no task is left (returns 0) or every task left
 * waits on an event that nobody can signal from inside (returns their
 * count, > 0).  A negative return is a poll() failure.
 */
int gw_exec_run(gw_exec *ex);

/* gw_exec_ntasks: how many tasks are alive. */
size_t gw_exec_ntasks(const gw_exec *ex);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_EXEC_H */
