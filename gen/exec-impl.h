/*
 * Private to gen/exec*.c: the task and executor structs and the interface
 * between the executor core (gen/exec.c: tasks, the ready list, the timer
 * heap, turns; gen/exec-dump.c: the dump) and its fd backends (gen/exec-poll.c, a pollfd array
 * kept current as tasks start and stop waiting; gen/exec-epoll.c, an epoll
 * set whose registrations outlive a single wait).  Not installed.
 */
#ifndef GENWIRE_EXEC_IMPL_H
#define GENWIRE_EXEC_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "genwire/exec.h"

/* A task's state; see the diagram in gen/exec.c. */
enum gw__task_state {
    GW__T_READY,   /* on the ready list */
    GW__T_RUNNING, /* inside gw_next() */
    GW__T_IO,      /* registered with the backend for wait.fd; in the heap if it has a deadline */
    GW__T_TIMER,   /* in the heap; on the parked list instead if it has no deadline */
    GW__T_EVENT,   /* on the parked list and wait.event; in the heap if it has a deadline */
    GW__T_ENDING   /* in no list or heap: its cleanups or done function are running */
};

struct gw_task {
    gw_stack st;  /* the task's generator stack */
    gw_wait wait; /* the slot its generators yield into */
    gw_exec *ex;  /* the executor that owns it */
    enum gw__task_state state;
    int cancelled;          /* cancel requested while running */
    uint64_t id;            /* 1, 2, ... in spawn order, for the dump */
    uint64_t turn;          /* READY: the executor's turn when it became ready */
    size_t heap_index;      /* position in ex->heap, or SIZE_MAX when not in it */
    size_t io_index;        /* poll backend: position in the pollfd array */
    gw_task *prev, *next;   /* links in the ready or parked list */
    gw_task *fprev, *fnext; /* epoll backend: links among the waiters of one fd */
    gw_task *aprev, *anext; /* links in the list of every task */
    gw_task_done_fn done;   /* called when it ends */
    void *ud;               /* done's argument */
};

/* A doubly-linked list of tasks through prev/next. */
typedef struct gw__task_list {
    gw_task *head, *tail;
} gw__task_list;

/* What a backend does.  `add` and `del` never block; `wait` sleeps for up
 * to timeout_ms (-1: no limit) and wakes the tasks whose fds are ready: it
 * stops watching each one itself and hands it to gw__exec_woken.  A wait
 * that may have left some ready descriptors unreported (epoll: the event
 * array came back full) says so by setting ex->look_partial, which the core
 * clears before each wait: it then does not count as having found the
 * others not ready (gen/exec.c, expire_timers). */
typedef struct gw__backend {
    const char *name;
    int (*init)(gw_exec *ex);              /* 0 or a gw error */
    void (*fini)(gw_exec *ex);             /* frees what init and add allocated */
    int (*reserve)(gw_exec *ex, size_t n); /* room for n waiting tasks: 0 or GW_ENOMEM */
    /* t starts waiting on t->wait.fd; it may wake t at once (an fd the
     * backend cannot watch, which is always ready). */
    void (*add)(gw_exec *ex, gw_task *t);
    void (*del)(gw_exec *ex, gw_task *t);     /* t stops waiting (woken, timed out, cancelled) */
    int (*wait)(gw_exec *ex, int timeout_ms); /* 0, or GW_EIO with errno set (not EINTR) */
    void (*forget)(gw_exec *ex, int fd);      /* fd is about to be closed */
    /* Nonzero when a wait costs O(descriptors waited on) however few are
     * ready (poll() scans them all); see GW__LOOK_RATIO in gen/exec.c. */
    int wait_scans_all;
} gw__backend;

struct gw_exec {
    const gw__backend *be; /* the fd backend */
    gw__task_list ready;   /* READY tasks, in the order they became ready */
    gw__task_list parked;  /* EVENT tasks, and TIMER tasks without a deadline */
    gw_task *all;          /* every task, newest first, through aprev/anext */
    gw_task **heap;        /* min-heap of tasks with a deadline, by wait.deadline */
    size_t nheap;          /* entries in heap */
    size_t cap;            /* capacity of heap and of the backend's per-task arrays */
    size_t ntasks;         /* tasks alive */
    size_t nio;            /* tasks in state IO */
    uint64_t turn;         /* turns begun; a turn runs the tasks ready before it */
    uint64_t next_id;      /* the id of the last task spawned */
    size_t ran_since_wait; /* tasks run since the last backend wait */
    int64_t looked;        /* gw_now() when the last backend wait began */
    int look_partial;      /* that wait may have missed a ready fd (gen/exec.c, expire_timers) */
    gw_exec *tl_next;      /* the next executor of this thread (gw_exec_forget_fd) */
    /* poll backend */
    struct pollfd *pfds; /* one entry per IO task, kept current */
    gw_task **pfd_task;  /* the task of each entry */
    size_t npfds;        /* entries used */
    /* epoll backend */
    int epfd;                   /* the epoll descriptor, or -1 */
    struct gw__epfd *fds;       /* per-descriptor registration and waiters, indexed by fd */
    size_t nfds;                /* entries in fds */
    struct epoll_event *events; /* epoll_wait's output, cap entries */
};

/* Wakes the IO task t with poll()-style revents: the core takes it off the
 * backend (`del`), out of the timer heap, and makes it ready. */
void gw__exec_wake_io(gw_exec *ex, gw_task *t, short revents);

/* The same for an IO task the backend has already stopped watching (its
 * `del` done by the backend itself, as a wait finds t ready): no call back
 * into the backend, which is what a wait pays per ready task. */
void gw__exec_woken(gw_exec *ex, gw_task *t, short revents);

/* Looks at the IO task t's descriptor alone, without blocking, whatever the
 * backend: the poll()-style revents for t's direction (0: not ready), or -1
 * with errno set.  Defined in gen/exec-poll.c; used by gen/exec.c when the
 * last wait may have missed t's descriptor. */
int gw__exec_probe(const gw_task *t);

extern const gw__backend gw__backend_poll;
#ifdef GW_HAVE_EPOLL
extern const gw__backend gw__backend_epoll;
#endif

#endif /* GENWIRE_EXEC_IMPL_H */
