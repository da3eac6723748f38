/*
 * The poll() executor (include/genwire/exec.h).
 *
 * Each task is in exactly one of these states:
 *
 *   READY    on the ready list; runs on the next turn
 *   RUNNING  inside gw_next() right now
 *   IO       on the io list, polled for t->wait.fd; also in the timer heap
 *            if its wait has a deadline
 *   TIMER    in the timer heap only
 *   EVENT    on the parked list and t->wait.event; also in the timer heap
 *            if it has a deadline
 *
 *   spawn -> READY -> RUNNING -> (yields) -> READY | IO | TIMER | EVENT
 *                              -> (returns) -> freed
 *   IO | TIMER | EVENT -> (fd ready, deadline, signal) -> READY
 *
 *   A TIMER wait without a deadline never ends: such a task sits on the
 *   parked list, so that gw_exec_run reports it and gw_exec_free cancels it.
 *
 * The timer heap and the pollfd array are sized at spawn time for the number
 * of tasks, so a turn never allocates.  Nothing here knows what an fd is for.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_MONOTONIC */

#include "genwire/exec.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genwire/alloc.h"
#include "genwire/error.h"

enum task_state { T_READY, T_RUNNING, T_IO, T_TIMER, T_EVENT };

struct gw_task {
    gw_stack st;  /* the task's generator stack */
    gw_wait wait; /* the slot its generators yield into */
    gw_exec *ex;  /* the executor that owns it */
    enum task_state state;
    int cancelled;        /* cancel requested while running */
    uint64_t turn;        /* READY: the executor's turn when it became ready */
    size_t heap_index;    /* position in ex->heap, or SIZE_MAX when not in it */
    size_t poll_index;    /* position in ex->pfds during a poll, or SIZE_MAX */
    gw_task *prev, *next; /* links in the ready or io list */
    gw_task_done_fn done; /* called when it ends */
    void *ud;             /* done's argument */
};

/* A doubly-linked list of tasks. */
typedef struct task_list {
    gw_task *head, *tail;
} task_list;

struct gw_exec {
    task_list ready;     /* READY tasks, in the order they became ready */
    task_list io;        /* IO tasks */
    task_list parked;    /* EVENT tasks, and TIMER tasks without a deadline */
    gw_task **heap;      /* min-heap of tasks with a deadline, by wait.deadline */
    size_t nheap;        /* entries in heap */
    struct pollfd *pfds; /* scratch for poll(), one per io task at most */
    gw_task **pfd_task;  /* the task of each pfds entry */
    size_t cap;          /* capacity of heap, pfds and pfd_task */
    size_t ntasks;       /* tasks alive */
    gw_task *running;    /* the task inside gw_next(), or NULL */
    uint64_t turn;       /* turns begun; a turn runs the tasks ready before it */
};

int64_t gw_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void list_push(task_list *l, gw_task *t)
{
    t->next = NULL;
    t->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
}

static void list_remove(task_list *l, gw_task *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        l->head = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    else
        l->tail = t->prev;
    t->prev = t->next = NULL;
}

/* Min-heap on wait.deadline. */

static void heap_set(gw_exec *ex, size_t i, gw_task *t)
{
    ex->heap[i] = t;
    t->heap_index = i;
}

static void heap_up(gw_exec *ex, size_t i)
{
    gw_task *t = ex->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (ex->heap[parent]->wait.deadline <= t->wait.deadline)
            break;
        heap_set(ex, i, ex->heap[parent]);
        i = parent;
    }
    heap_set(ex, i, t);
}

static void heap_down(gw_exec *ex, size_t i)
{
    gw_task *t = ex->heap[i];

    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= ex->nheap)
            break;
        if (child + 1 < ex->nheap &&
            ex->heap[child + 1]->wait.deadline < ex->heap[child]->wait.deadline)
            child++;
        if (t->wait.deadline <= ex->heap[child]->wait.deadline)
            break;
        heap_set(ex, i, ex->heap[child]);
        i = child;
    }
    heap_set(ex, i, t);
}

static void heap_push(gw_exec *ex, gw_task *t)
{
    ex->heap[ex->nheap] = t;
    t->heap_index = ex->nheap++;
    heap_up(ex, t->heap_index);
}

static void heap_remove(gw_exec *ex, gw_task *t)
{
    size_t i = t->heap_index;
    gw_task *last;

    if (i == SIZE_MAX)
        return;
    t->heap_index = SIZE_MAX;
    last = ex->heap[--ex->nheap];
    if (last == t)
        return;
    heap_set(ex, i, last);
    heap_up(ex, i);
    heap_down(ex, last->heap_index);
}

/* Takes t off whatever it waits on; it is then in no list and no heap. */
static void unlink_task(gw_exec *ex, gw_task *t)
{
    switch (t->state) {
    case T_READY:
        list_remove(&ex->ready, t);
        break;
    case T_IO:
        list_remove(&ex->io, t);
        break;
    case T_EVENT:
        list_remove(&ex->parked, t);
        if (t->wait.event->_waiter == t)
            t->wait.event->_waiter = NULL;
        break;
    case T_TIMER:
        if (t->wait.deadline == GW_NO_DEADLINE)
            list_remove(&ex->parked, t);
        break;
    case T_RUNNING:
        break;
    }
    heap_remove(ex, t);
}

/* Appends t to the ready list, stamped with the current turn. */
static void make_ready(gw_exec *ex, gw_task *t)
{
    t->state = T_READY;
    t->turn = ex->turn;
    list_push(&ex->ready, t);
}

/* Makes a waiting task ready, recording why it woke. */
static void wake(gw_exec *ex, gw_task *t, gw_wake why, short revents)
{
    unlink_task(ex, t);
    t->wait.woke = why;
    t->wait.revents = revents;
    make_ready(ex, t);
}

void gw_event_signal(gw_event *ev)
{
    gw_task *t = ev->_waiter;

    if (t == NULL) {
        ev->_pending = 1;
        return;
    }
    ev->_waiter = NULL;
    wake(t->ex, t, GW_WOKE_READY, 0);
}

gw_exec *gw_exec_new(void)
{
    gw_exec *ex = gw_malloc(sizeof(*ex));

    if (ex != NULL)
        memset(ex, 0, sizeof(*ex));
    return ex;
}

static void finish(gw_exec *ex, gw_task *t, int cancelled)
{
    if (cancelled)
        gw_stack_close(&t->st);
    ex->ntasks--;
    if (t->done != NULL)
        t->done(t, cancelled, t->ud);
    gw_free(t);
}

void gw_exec_free(gw_exec *ex)
{
    if (ex == NULL)
        return;
    while (ex->ready.head != NULL)
        gw_task_cancel(ex, ex->ready.head);
    while (ex->io.head != NULL)
        gw_task_cancel(ex, ex->io.head);
    while (ex->parked.head != NULL)
        gw_task_cancel(ex, ex->parked.head);
    while (ex->nheap > 0)
        gw_task_cancel(ex, ex->heap[0]);
    gw_free(ex->heap);
    gw_free(ex->pfds);
    gw_free(ex->pfd_task);
    gw_free(ex);
}

static int reserve(gw_exec *ex, size_t n)
{
    size_t cap = ex->cap ? ex->cap : 8;
    void *p;

    if (n <= ex->cap)
        return 0;
    while (cap < n)
        cap *= 2;
    if ((p = gw_realloc(ex->heap, cap * sizeof(*ex->heap))) == NULL)
        return GW_ENOMEM;
    ex->heap = p;
    if ((p = gw_realloc(ex->pfds, cap * sizeof(*ex->pfds))) == NULL)
        return GW_ENOMEM;
    ex->pfds = p;
    if ((p = gw_realloc(ex->pfd_task, cap * sizeof(*ex->pfd_task))) == NULL)
        return GW_ENOMEM;
    ex->pfd_task = p;
    ex->cap = cap;
    return 0;
}

gw_task *gw__exec_spawn(gw_exec *ex, gw_frame *root, gw_wait **slot, gw_task_done_fn done, void *ud)
{
    gw_task *t;

    if (reserve(ex, ex->ntasks + 1) != 0)
        return NULL;
    if ((t = gw_malloc(sizeof(*t))) == NULL)
        return NULL;
    memset(t, 0, sizeof(*t));
    *slot = &t->wait;
    gw_stack_start(&t->st, root);
    t->wait = gw_wait_ready();
    t->ex = ex;
    t->heap_index = SIZE_MAX;
    t->poll_index = SIZE_MAX;
    t->done = done;
    t->ud = ud;
    make_ready(ex, t);
    ex->ntasks++;
    return t;
}

gw_stack *gw_task_stack(gw_task *t)
{
    return &t->st;
}

void gw_task_cancel(gw_exec *ex, gw_task *t)
{
    if (t->state == T_RUNNING) {
        t->cancelled = 1;
        return;
    }
    unlink_task(ex, t);
    finish(ex, t, 1);
}

size_t gw_exec_ntasks(const gw_exec *ex)
{
    return ex->ntasks;
}

/* Files a task that has just yielded t->wait. */
static void park(gw_exec *ex, gw_task *t)
{
    gw_wait *w = &t->wait;

    w->woke = GW_WOKE_NONE;
    w->revents = 0;
    switch (w->kind) {
    case GW_WAIT_READY:
        make_ready(ex, t);
        return;
    case GW_WAIT_READ:
    case GW_WAIT_WRITE:
        t->state = T_IO;
        list_push(&ex->io, t);
        break;
    case GW_WAIT_TIMER:
        t->state = T_TIMER;
        if (w->deadline == GW_NO_DEADLINE) {
            list_push(&ex->parked, t);
            return;
        }
        break;
    case GW_WAIT_EVENT:
        if (w->event->_pending) {
            w->event->_pending = 0;
            w->woke = GW_WOKE_READY;
            make_ready(ex, t);
            return;
        }
        t->state = T_EVENT;
        list_push(&ex->parked, t);
        w->event->_waiter = t;
        break;
    }
    if (w->deadline != GW_NO_DEADLINE)
        heap_push(ex, t);
}

static void run_task(gw_exec *ex, gw_task *t)
{
    int r;

    list_remove(&ex->ready, t);
    t->state = T_RUNNING;
    ex->running = t;
    r = gw_next(&t->st);
    ex->running = NULL;
    if (r == GW_RETURNED || t->cancelled) {
        finish(ex, t, r != GW_RETURNED);
        return;
    }
    park(ex, t);
}

/* Wakes every task whose deadline is at or before now. */
static void expire_timers(gw_exec *ex, int64_t now)
{
    while (ex->nheap > 0 && ex->heap[0]->wait.deadline <= now) {
        gw_task *t = ex->heap[0];
        wake(ex, t, t->state == T_TIMER ? GW_WOKE_READY : GW_WOKE_TIMEOUT, 0);
    }
}

/* poll() over the io tasks until `deadline` (GW_NO_DEADLINE: no limit). */
static int poll_io(gw_exec *ex, int64_t deadline)
{
    size_t n = 0, i;
    gw_task *t;
    int k;

    for (t = ex->io.head; t != NULL; t = t->next) {
        ex->pfds[n].fd = t->wait.fd;
        ex->pfds[n].events = t->wait.kind == GW_WAIT_READ ? POLLIN : POLLOUT;
        ex->pfds[n].revents = 0;
        ex->pfd_task[n++] = t;
    }
    for (;;) {
        int timeout = -1;

        if (deadline != GW_NO_DEADLINE) {
            int64_t left = deadline - gw_now();
            /* Round up so that we never wake before the deadline. */
            int64_t ms = left <= 0 ? 0 : (left + 999999) / 1000000;
            timeout = ms > 1000000000 ? 1000000000 : (int)ms;
        }
        k = poll(ex->pfds, (nfds_t)n, timeout);
        if (k >= 0)
            break;
        if (errno != EINTR)
            return GW_EIO;
    }
    for (i = 0; i < n && k > 0; i++) {
        if (ex->pfds[i].revents != 0) {
            k--;
            wake(ex, ex->pfd_task[i], GW_WOKE_READY, ex->pfds[i].revents);
        }
    }
    return 0;
}

int gw_exec_run_once(gw_exec *ex, int block)
{
    uint64_t turn;

    expire_timers(ex, gw_now());
    /* Run the tasks that were ready when the turn began; those that become
     * ready meanwhile carry this turn's stamp and wait for the next, so a
     * task that keeps yielding GW_WAIT_READY cannot starve the others.  The
     * stamp, unlike a pointer to the last such task, survives that task
     * being cancelled during the turn. */
    turn = ex->turn++;
    while (ex->ready.head != NULL && ex->ready.head->turn <= turn)
        run_task(ex, ex->ready.head);
    if (ex->io.head != NULL || ex->nheap > 0) {
        int64_t deadline = GW_NO_DEADLINE;
        int err;

        if (ex->ready.head != NULL || !block)
            deadline = 0;
        else if (ex->nheap > 0)
            deadline = ex->heap[0]->wait.deadline;
        if (ex->io.head != NULL || deadline != 0) {
            if ((err = poll_io(ex, deadline)) != 0)
                return err;
        }
        expire_timers(ex, gw_now());
    }
    return (int)ex->ntasks;
}

int gw_exec_run(gw_exec *ex)
{
    for (;;) {
        int r = gw_exec_run_once(ex, 1);
        if (r <= 0)
            return r;
        if (ex->ready.head == NULL && ex->io.head == NULL && ex->nheap == 0)
            return r;
    }
}
