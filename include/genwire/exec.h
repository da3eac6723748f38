/*
 * genwire waits and the executor.
 *
 * A task is a generator stack whose values are gw_wait records: what the task
 * needs before it can go on (an fd readable or writable, a deadline, an event,
 * or simply another turn).  The executor owns the tasks, resumes every ready
 * one, and when none is ready sleeps in one poll() or epoll_wait() call until
 * an fd is ready or the nearest deadline (a min-heap of timers) passes.  A
 * turn costs O(tasks that became ready) plus that one call: the backend's set
 * of watched descriptors is kept current as tasks start and stop waiting,
 * never rebuilt.  Two backends sit behind the same API: poll() (portable)
 * and epoll (Linux; the default there, chosen with meson's exec_backend
 * option).  An executor is single-threaded, belongs to the thread that made
 * it, and allocates only when a task is spawned (and, with epoll, when it
 * first sees a descriptor number larger than any before).
 *
 * Without an executor, the same generators run in push mode: the caller
 * drives the stack with gw_next() and answers each wait itself (for a memory
 * pipe: feed bytes, then resume).
 */
#ifndef GENWIRE_EXEC_H
#define GENWIRE_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "genwire/gen.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gw_task gw_task;
typedef struct gw_exec gw_exec;

/* What a task waits for. */
typedef enum gw_wait_kind {
    GW_WAIT_READY = 0, /* nothing: run again on the next turn (a voluntary yield) */
    GW_WAIT_READ,      /* fd readable, or hung up, or in error (a negative fd: POLLNVAL at once) */
    GW_WAIT_WRITE,     /* fd writable, or in error (the same) */
    GW_WAIT_TIMER,     /* the deadline has passed */
    GW_WAIT_EVENT      /* the event has been signalled (memory pipe input, ...) */
} gw_wait_kind;

/* How a wait ended, written into the wait by the executor before it resumes
 * the task. */
typedef enum gw_wake {
    GW_WOKE_NONE = 0, /* not woken by the executor (push mode) */
    GW_WOKE_READY,    /* the condition holds (fd ready, event signalled, timer due) */
    GW_WOKE_TIMEOUT   /* the wait's deadline passed first (for an fd: see gw_exec_run_once) */
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

/* gw_deadline_in: the deadline `ns` nanoseconds from now, gw_now() + ns,
 * saturating instead of overflowing: GW_NO_DEADLINE where the sum would
 * pass INT64_MAX (a timeout of INT64_MAX never comes), INT64_MIN where it
 * would pass INT64_MIN.  Never suspends. */
int64_t gw_deadline_in(int64_t ns);

/*
 * gw_event_signal: wakes the task parked on `ev`, if any, or remembers the
 * signal so that the next wait on it returns at once.  Safe to call from
 * inside a running task, and without any executor (then it only sets the
 * flag).  Never suspends.
 */
void gw_event_signal(gw_event *ev);

/* The fd backends. */
typedef enum gw_exec_backend {
    GW_EXEC_DEFAULT = 0, /* the environment's GW_EXEC_BACKEND (poll or epoll), else the build's */
    GW_EXEC_POLL,        /* poll(): everywhere */
    GW_EXEC_EPOLL        /* epoll: Linux only */
} gw_exec_backend;

/*
 * gw_exec_new_backend: a new executor with no tasks, on the given backend.
 * Returns NULL when out of memory, when the backend is not built in (epoll
 * off Linux, or with -Dexec_backend=poll), or when epoll_create1 fails.
 */
gw_exec *gw_exec_new_backend(gw_exec_backend backend);

/* gw_exec_new: gw_exec_new_backend(GW_EXEC_DEFAULT). */
gw_exec *gw_exec_new(void);

/* gw_exec_backend_name: "poll" or "epoll". */
const char *gw_exec_backend_name(const gw_exec *ex);

/*
 * gw_exec_forget_fd: call it before closing a descriptor that tasks of an
 * executor of this thread have waited on (the fd transport and net.h do it
 * for the descriptors they close).  The epoll backend keeps a descriptor
 * registered across waits, so that a task that waits on the same socket
 * again costs no system call; closing it without this call, then getting
 * the same number back from socket() or accept(), leaves a registration of
 * the old file behind and a task waiting on the new one may never wake.
 * Under epoll, tasks still waiting on fd wake with POLLNVAL (closing a
 * descriptor under a waiting task is a bug either way: poll() reports
 * POLLNVAL, or another file's events once the number is reused).  A no-op
 * for poll and for descriptors never waited on.  Never suspends.
 */
void gw_exec_forget_fd(int fd);

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
 * suspends.  A task that is already ending (called from its own cleanups
 * or done function) is left to end as it is: its cleanups and done run
 * once.  Never suspends.
 */
void gw_task_cancel(gw_exec *ex, gw_task *t);

/* gw_task_stack: the generator stack of a task, e.g. for a backtrace. */
gw_stack *gw_task_stack(gw_task *t);

/*
 * gw_exec_run_once: one turn: runs every task that is ready, then, if
 * `block` is nonzero and no task is ready, waits in poll() for the next fd
 * event or deadline; otherwise it looks for fd events without blocking.
 * On the poll backend, while tasks are still ready (tasks that yield
 * GW_WAIT_READY), that look is made only once the tasks run since the last
 * one number at least 1/16 of the descriptors waited on, since each poll()
 * scans them all: with up to 16 descriptors, every turn; with 10,000, once
 * per 625 task runs.  A ready descriptor is therefore seen within that many
 * task runs, never starved.  Deadlines are checked every turn.  A wait on a
 * descriptor times out only if a look at the descriptor that began at or
 * after its deadline found it not ready: when the last look began before
 * (a turn that ran long, a process descheduled, a caller that comes back
 * late), one look that does not block comes first, so input that arrived
 * meanwhile wakes the task with GW_WOKE_READY; when that look may have
 * missed the descriptor (more were ready than one epoll_wait reports, or
 * the wait began after the look), the descriptor alone is looked at (one
 * poll()) before the task times out.  Returns the
 * number of tasks still alive, or a negative gw error if poll() failed
 * (other than EINTR, which is retried with the remaining time).
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

/*
 * gw_exec_dump: writes one paragraph per live task to `out`, like a
 * goroutine dump: a line with the task's id and state and what it waits on
 * (the fd and direction, the time left to its deadline, or the event), then
 * its async backtrace ("    #0 fd_read at transport/fd.c:96"), then a blank
 * line.  Returns the number of tasks written.  Call it between turns (from
 * inside a task it shows that task as running).  Never suspends.
 */
size_t gw_exec_dump(const gw_exec *ex, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_EXEC_H */
