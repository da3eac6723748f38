/*
 * The executor core (include/genwire/exec.h): tasks, the ready list, the
 * timer heap and turns; the task dump is gen/exec-dump.c.  Waiting on
 * descriptors is the backend's job (gen/exec-poll.c, gen/exec-epoll.c,
 * behind gen/exec-impl.h); nothing here knows what an fd is for.
 *
 * Each task is in exactly one of these states:
 *
 *   READY    on the ready list; runs on the next turn
 *   RUNNING  inside gw_next() right now
 *   IO       registered with the backend for t->wait.fd; also in the timer
 *            heap if its wait has a deadline
 *   TIMER    in the timer heap; on the parked list instead when it has no
 *            deadline (it never wakes: gw_exec_run reports it as stuck and
 *            gw_exec_free cancels it)
 *   EVENT    on the parked list and t->wait.event; also in the timer heap
 *            if it has a deadline
 *   ENDING   in no list and no heap: its cleanups (when cancelled) and its
 *            done function are running; cancelling it again does nothing
 *
 *   spawn -> READY -> RUNNING -> (yields) -> READY | IO | TIMER | EVENT
 *                              -> (returns, or was cancelled) -> ENDING
 *   IO | TIMER | EVENT | READY -> (cancelled) -> ENDING -> freed
 *   IO | TIMER | EVENT -> (fd ready, deadline, signal) -> READY
 *
 * A turn runs the tasks that were ready when it began (each carries the
 * turn it became ready in), so it costs O(ready tasks), then makes one
 * backend wait: blocking when no task is ready, else a look for fd events
 * that does not block.  poll() costs O(descriptors waited on) even then, so
 * with tasks still ready (tasks that yield GW_WAIT_READY to let others run)
 * the poll backend looks only once the tasks run since its last wait are at
 * least 1/GW__LOOK_RATIO of the descriptors waited on: the look is paid for
 * by that many task runs, and a descriptor that becomes ready is seen after
 * at most that many.  With few descriptors (up to GW__LOOK_RATIO) and under
 * epoll, whose wait costs O(ready), that is every turn.  The heap and the
 * backend's per-task arrays are sized at spawn time for the number of
 * tasks, so a turn never allocates.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_MONOTONIC */

#include "genwire/exec.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen/exec-impl.h"
#include "genwire/alloc.h"
#include "genwire/error.h"

/* See the top of the file: a non-blocking look at the poll() set per
 * nio / GW__LOOK_RATIO task runs. */
#define GW__LOOK_RATIO 16

#ifndef GW_EXEC_DEFAULT_BACKEND
#define GW_EXEC_DEFAULT_BACKEND GW_EXEC_POLL
#endif

/* The executors of this thread, for gw_exec_forget_fd. */
static _Thread_local gw_exec *thread_execs;

int64_t gw_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t gw_deadline_in(int64_t ns)
{
    int64_t now = gw_now();

    if (ns > 0 && now > INT64_MAX - ns)
        return GW_NO_DEADLINE;
    if (ns < 0 && now < INT64_MIN - ns)
        return INT64_MIN;
    return now + ns;
}

static void list_push(gw__task_list *l, gw_task *t)
{
    t->next = NULL;
    t->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
}

static void list_remove(gw__task_list *l, gw_task *t)
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
    case GW__T_READY:
        list_remove(&ex->ready, t);
        break;
    case GW__T_IO:
        ex->be->del(ex, t);
        ex->nio--;
        break;
    case GW__T_EVENT:
        list_remove(&ex->parked, t);
        if (t->wait.event->_waiter == t)
            t->wait.event->_waiter = NULL;
        break;
    case GW__T_TIMER:
        if (t->heap_index == SIZE_MAX)
            list_remove(&ex->parked, t);
        break;
    case GW__T_RUNNING:
    case GW__T_ENDING:
        break;
    }
    heap_remove(ex, t);
}

/* Appends t to the ready list, stamped with the current turn. */
static void make_ready(gw_exec *ex, gw_task *t)
{
    t->state = GW__T_READY;
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

void gw__exec_wake_io(gw_exec *ex, gw_task *t, short revents)
{
    wake(ex, t, GW_WOKE_READY, revents);
}

void gw__exec_woken(gw_exec *ex, gw_task *t, short revents)
{
    ex->nio--;
    t->wait.woke = GW_WOKE_READY;
    t->wait.revents = revents;
    make_ready(ex, t);
    /* Last, and only for a wait with a deadline: without one this is a
     * leaf that saves no registers. */
    if (t->heap_index != SIZE_MAX)
        heap_remove(ex, t);
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

static const gw__backend *find_backend(gw_exec_backend b)
{
    if (b == GW_EXEC_DEFAULT) {
        const char *env = getenv("GW_EXEC_BACKEND");
        b = GW_EXEC_DEFAULT_BACKEND;
        if (env != NULL && strcmp(env, "poll") == 0)
            b = GW_EXEC_POLL;
        else if (env != NULL && strcmp(env, "epoll") == 0)
            b = GW_EXEC_EPOLL;
    }
    switch (b) {
    case GW_EXEC_POLL:
        return &gw__backend_poll;
    case GW_EXEC_EPOLL:
#ifdef GW_HAVE_EPOLL
        return &gw__backend_epoll;
#else
        return NULL;
#endif
    default:
        return NULL;
    }
}

gw_exec *gw_exec_new_backend(gw_exec_backend backend)
{
    const gw__backend *be = find_backend(backend);
    gw_exec *ex;

    if (be == NULL || (ex = gw_malloc(sizeof(*ex))) == NULL)
        return NULL;
    memset(ex, 0, sizeof(*ex));
    ex->be = be;
    ex->epfd = -1;
    if (be->init(ex) != 0) {
        gw_free(ex);
        return NULL;
    }
    ex->tl_next = thread_execs;
    thread_execs = ex;
    return ex;
}

gw_exec *gw_exec_new(void)
{
    return gw_exec_new_backend(GW_EXEC_DEFAULT);
}

const char *gw_exec_backend_name(const gw_exec *ex)
{
    return ex->be->name;
}

void gw_exec_forget_fd(int fd)
{
    gw_exec *ex;

    if (fd < 0)
        return;
    for (ex = thread_execs; ex != NULL; ex = ex->tl_next)
        ex->be->forget(ex, fd);
}

/* Ends t, already in no list and no heap: closes its stack if it was
 * cancelled, calls done and frees it.  ENDING makes a cancel of t from its
 * own cleanups or done function a no-op (it used to start this over, and
 * over). */
static void finish(gw_exec *ex, gw_task *t, int cancelled)
{
    t->state = GW__T_ENDING;
    if (cancelled)
        gw_stack_close(&t->st);
    if (t->aprev != NULL)
        t->aprev->anext = t->anext;
    else
        ex->all = t->anext;
    if (t->anext != NULL)
        t->anext->aprev = t->aprev;
    ex->ntasks--;
    if (t->done != NULL)
        t->done(t, cancelled, t->ud);
    gw_free(t);
}

void gw_exec_free(gw_exec *ex)
{
    gw_exec **p;

    if (ex == NULL)
        return;
    /* A done function may cancel others: take the head each time. */
    while (ex->all != NULL)
        gw_task_cancel(ex, ex->all);
    for (p = &thread_execs; *p != NULL; p = &(*p)->tl_next) {
        if (*p == ex) {
            *p = ex->tl_next;
            break;
        }
    }
    ex->be->fini(ex);
    gw_free(ex->heap);
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
    if (ex->be->reserve(ex, cap) != 0)
        return GW_ENOMEM;
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
    t->id = ++ex->next_id;
    t->heap_index = SIZE_MAX;
    t->io_index = SIZE_MAX;
    t->done = done;
    t->ud = ud;
    t->anext = ex->all;
    if (ex->all != NULL)
        ex->all->aprev = t;
    ex->all = t;
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
    if (t->state == GW__T_ENDING)
        return;
    if (t->state == GW__T_RUNNING) {
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

    /* woke and revents are written where the task becomes ready: here for
     * the two waits that end at once, by wake() for the others. */
    switch (w->kind) {
    case GW_WAIT_READY:
        w->woke = GW_WOKE_NONE;
        w->revents = 0;
        make_ready(ex, t);
        return;
    case GW_WAIT_READ:
    case GW_WAIT_WRITE:
        t->state = GW__T_IO;
        ex->nio++;
        if (w->deadline != GW_NO_DEADLINE) {
            heap_push(ex, t);
            if (w->deadline <= ex->looked)
                ex->look_partial = 1; /* that wait did not include t: see expire_timers */
        }
        ex->be->add(ex, t); /* last: it may wake t at once */
        return;
    case GW_WAIT_TIMER:
        t->state = GW__T_TIMER;
        if (w->deadline == GW_NO_DEADLINE) {
            list_push(&ex->parked, t);
            return;
        }
        break;
    case GW_WAIT_EVENT:
        if (w->event->_pending) {
            w->event->_pending = 0;
            w->woke = GW_WOKE_READY;
            w->revents = 0;
            make_ready(ex, t);
            return;
        }
        t->state = GW__T_EVENT;
        list_push(&ex->parked, t);
        w->event->_waiter = t;
        break;
    }
    if (w->deadline != GW_NO_DEADLINE)
        heap_push(ex, t);
}

/* Runs t, the ready list's head, until it yields or ends. */
static void run_task(gw_exec *ex, gw_task *t)
{
    int r;

    /* Off the head (no prev to mend); t's own links are stale until park
     * sets them, and nothing reads them meanwhile. */
    if ((ex->ready.head = t->next) != NULL)
        t->next->prev = NULL;
    else
        ex->ready.tail = NULL;
    t->state = GW__T_RUNNING;
    ex->ran_since_wait++;
    r = gw_next(&t->st);
    if (r == GW_RETURNED || t->cancelled) {
        finish(ex, t, r != GW_RETURNED);
        return;
    }
    park(ex, t);
}

static int wait_io(gw_exec *ex, int64_t deadline);

/* Wakes every task whose deadline is at or before now.  A task waiting on a
 * descriptor times out only if a look that began at or after its deadline,
 * and that saw the descriptor, found it not ready.  When the last backend
 * wait began earlier (a turn that ran long, a process descheduled between
 * turns, a caller that came back late, a look the poll backend skipped),
 * one wait that does not block comes first, so input that arrived meanwhile
 * wakes the task as ready and is read rather than reset as idle.  When that
 * wait may have missed some ready descriptors (ex->look_partial: epoll's
 * event array came back full; a task began waiting after it with a deadline
 * already passed), the task's descriptor alone is looked at (one poll(),
 * only then) before it times out.  Returns 0, or wait_io's or that look's
 * error. */
static int expire_timers(gw_exec *ex, int64_t now)
{
    while (ex->nheap > 0 && ex->heap[0]->wait.deadline <= now) {
        gw_task *t = ex->heap[0];
        int err;

        if (t->state == GW__T_IO && ex->looked < t->wait.deadline) {
            /* Sets ex->looked to after now: at most one such look. */
            if ((err = wait_io(ex, 0)) != 0)
                return err;
            continue;
        }
        if (t->state == GW__T_IO && ex->look_partial) {
            int rev = gw__exec_probe(t);
            if (rev < 0)
                return GW_EIO;
            if (rev != 0) {
                gw__exec_wake_io(ex, t, (short)rev);
                continue;
            }
        }
        wake(ex, t, t->state == GW__T_TIMER ? GW_WOKE_READY : GW_WOKE_TIMEOUT, 0);
    }
    return 0;
}

/* One backend wait until `deadline` (GW_NO_DEADLINE: no limit; 0: do not
 * block), retried on EINTR with the time left; see expire_timers. */
static int wait_io(gw_exec *ex, int64_t deadline)
{
    for (;;) {
        int64_t now = gw_now();
        int timeout = -1;

        if (deadline != GW_NO_DEADLINE) {
            uint64_t ms = 0;
            /* Compared before it is subtracted: deadline - now overflows
             * for a deadline near INT64_MIN (and, with now < 0, near
             * INT64_MAX); the difference of one later than now is exact
             * in unsigned arithmetic.  Rounded up so that we never wake
             * before the deadline, without adding to it. */
            if (deadline > now) {
                uint64_t left = (uint64_t)deadline - (uint64_t)now;
                ms = left / 1000000 + (left % 1000000 != 0);
            }
            timeout = ms > 1000000000 ? 1000000000 : (int)ms;
        }
        ex->ran_since_wait = 0;
        ex->looked = now;
        ex->look_partial = 0;
        if (ex->be->wait(ex, timeout) == 0)
            return 0;
        if (errno != EINTR) {
            ex->look_partial = 1; /* it saw nothing */
            return GW_EIO;
        }
    }
}

int gw_exec_run_once(gw_exec *ex, int block)
{
    uint64_t turn;
    int err;

    if (ex->nheap > 0 && (err = expire_timers(ex, gw_now())) != 0)
        return err;
    /* Run the tasks that were ready when the turn began; those that become
     * ready meanwhile carry this turn's stamp and wait for the next, so a
     * task that keeps yielding GW_WAIT_READY cannot starve the others.  The
     * stamp, unlike a pointer to the last such task, survives that task
     * being cancelled during the turn. */
    turn = ex->turn++;
    while (ex->ready.head != NULL && ex->ready.head->turn <= turn)
        run_task(ex, ex->ready.head);
    if (ex->nio > 0 || ex->nheap > 0) {
        int64_t deadline = GW_NO_DEADLINE;
        int look;

        if (ex->ready.head != NULL || !block)
            deadline = 0;
        else if (ex->nheap > 0)
            deadline = ex->heap[0]->wait.deadline;
        look = ex->nio > 0 || deadline != 0;
        /* A look that does not block, with tasks still ready, over a set
         * whose every wait scans every descriptor: only once enough tasks
         * have run to pay for it. */
        if (deadline == 0 && ex->ready.head != NULL && ex->be->wait_scans_all &&
            ex->ran_since_wait < ex->nio / GW__LOOK_RATIO)
            look = 0;
        if (look && (err = wait_io(ex, deadline)) != 0)
            return err;
        if (ex->nheap > 0 && (err = expire_timers(ex, gw_now())) != 0)
            return err;
    }
    return (int)ex->ntasks;
}

int gw_exec_run(gw_exec *ex)
{
    for (;;) {
        int r = gw_exec_run_once(ex, 1);
        if (r <= 0)
            return r;
        if (ex->ready.head == NULL && ex->nio == 0 && ex->nheap == 0)
            return r;
    }
}
