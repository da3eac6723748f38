/*
 * The epoll backend of the executor (gen/exec-impl.h), Linux only.
 *
 * A descriptor stays registered after the task that waited on it wakes, with
 * the directions it was registered for, so that the common case (a task
 * waits to read a socket, reads, writes, and waits to read the same socket
 * again) costs no epoll_ctl at all: one epoll_wait per turn and nothing per
 * wait.  The set is level-triggered, so a registration nobody waits on any
 * longer shows up in the next epoll_wait; that direction is then dropped
 * (EPOLL_CTL_MOD, or DEL when none is left): one call, paid only when a
 * task stops waiting on a descriptor for good.  Closing a registered
 * descriptor must be announced (gw_exec_forget_fd, which the transports
 * call), or a new file that gets the same number would be taken for
 * registered already.
 *
 * Per descriptor number: the directions registered and the lists of tasks
 * waiting to read and to write.  Descriptors epoll cannot watch (regular
 * files, /dev/null: EPERM) are always ready, as poll() says they are.
 */
#define _GNU_SOURCE /* EPOLLRDHUP */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "gen/exec-impl.h"
#include "genwire/alloc.h"
#include "genwire/error.h"

/* One descriptor number's state. */
struct gw__epfd {
    uint32_t mask;    /* EPOLLIN / EPOLLOUT registered; 0: not in the set */
    gw_task *rd, *wr; /* tasks waiting to read / to write (through fprev/fnext) */
};

static int ep_init(gw_exec *ex)
{
    ex->epfd = epoll_create1(EPOLL_CLOEXEC);
    return ex->epfd < 0 ? GW_EIO : 0;
}

static void ep_fini(gw_exec *ex)
{
    if (ex->epfd >= 0)
        close(ex->epfd);
    ex->epfd = -1;
    gw_free(ex->fds);
    gw_free(ex->events);
}

static int ep_reserve(gw_exec *ex, size_t n)
{
    void *p = gw_realloc(ex->events, n * sizeof(*ex->events));

    if (p == NULL)
        return GW_ENOMEM;
    ex->events = p;
    return 0;
}

/* The entry of fd, growing the table if needed; NULL when out of memory. */
static struct gw__epfd *entry(gw_exec *ex, int fd)
{
    size_t n = ex->nfds ? ex->nfds : 64;
    struct gw__epfd *p;

    if ((size_t)fd < ex->nfds)
        return &ex->fds[fd];
    while (n <= (size_t)fd)
        n *= 2;
    if ((p = gw_realloc(ex->fds, n * sizeof(*p))) == NULL)
        return NULL;
    memset(p + ex->nfds, 0, (n - ex->nfds) * sizeof(*p));
    ex->fds = p;
    ex->nfds = n;
    return &ex->fds[fd];
}

/* Sets the kernel's registration of fd to `mask`; returns 0 or errno. */
static int set_mask(gw_exec *ex, int fd, struct gw__epfd *e, uint32_t mask)
{
    struct epoll_event ev;
    int op = e->mask == 0 ? EPOLL_CTL_ADD : mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

    memset(&ev, 0, sizeof(ev));
    ev.events = mask;
    ev.data.fd = fd;
    if (epoll_ctl(ex->epfd, op, fd, &ev) != 0) {
        int err = errno;
        /* Our table and the kernel disagree (a dup of a closed descriptor
         * kept a registration alive, or a close was not announced): try
         * the other operation once. */
        if (err == EEXIST)
            op = EPOLL_CTL_MOD;
        else if (err == ENOENT && op == EPOLL_CTL_MOD)
            op = EPOLL_CTL_ADD;
        else if (err == ENOENT && op == EPOLL_CTL_DEL)
            err = 0;
        else
            return err;
        if (err != 0 && epoll_ctl(ex->epfd, op, fd, &ev) != 0) {
            if (mask == 0)
                e->mask = 0; /* gone from the set either way */
            return errno;
        }
    }
    e->mask = mask;
    return 0;
}

static void fd_link(gw_task **head, gw_task *t)
{
    t->fprev = NULL;
    t->fnext = *head;
    if (*head != NULL)
        (*head)->fprev = t;
    *head = t;
}

/* ep_add's rarer half, out of line so that the common case (a descriptor
 * already registered for `dir`) saves no registers: a descriptor number
 * past the table or negative, or one not yet registered for dir. */
static __attribute__((noinline)) void ep_add_slow(gw_exec *ex, gw_task *t, uint32_t dir)
{
    int fd = t->wait.fd, err;
    struct gw__epfd *e = fd >= 0 ? entry(ex, fd) : NULL;

    if (e == NULL) {
        /* A negative fd, or no memory for the table: end the wait at once
         * with POLLNVAL rather than leave the task hanging. */
        t->io_index = SIZE_MAX;
        t->fprev = t->fnext = NULL;
        gw__exec_wake_io(ex, t, POLLNVAL);
        return;
    }
    fd_link(dir == EPOLLIN ? &e->rd : &e->wr, t);
    t->io_index = 0; /* linked */
    if ((e->mask & dir) != 0)
        return;
    if ((err = set_mask(ex, fd, e, e->mask | dir)) == 0)
        return;
    /* EPERM: a regular file or similar, always ready.  Anything else
     * (EBADF): as poll() would report it. */
    gw__exec_wake_io(ex, t, err == EPERM ? (short)(dir == EPOLLIN ? POLLIN : POLLOUT) : POLLNVAL);
}

static void ep_add(gw_exec *ex, gw_task *t)
{
    size_t fd = (size_t)t->wait.fd; /* a negative fd is past the table too */
    uint32_t dir = t->wait.kind == GW_WAIT_READ ? EPOLLIN : EPOLLOUT;
    struct gw__epfd *e;

    if (fd >= ex->nfds || ((e = &ex->fds[fd])->mask & dir) == 0) {
        ep_add_slow(ex, t, dir);
        return;
    }
    fd_link(dir == EPOLLIN ? &e->rd : &e->wr, t);
    t->io_index = 0; /* linked */
}

static void ep_del(gw_exec *ex, gw_task *t)
{
    struct gw__epfd *e;

    if (t->io_index == SIZE_MAX)
        return;
    e = &ex->fds[t->wait.fd];
    if (t->fprev != NULL)
        t->fprev->fnext = t->fnext;
    else if (t->wait.kind == GW_WAIT_READ)
        e->rd = t->fnext;
    else
        e->wr = t->fnext;
    if (t->fnext != NULL)
        t->fnext->fprev = t->fprev;
    t->fprev = t->fnext = NULL;
    t->io_index = SIZE_MAX;
    /* The registration stays: see the top of the file. */
}

/* Wakes every task on *head with revents, taking each off the list here
 * (ep_del's work, without its checks: the head has no fprev). */
static void wake_all(gw_exec *ex, gw_task **head, short revents)
{
    gw_task *t;

    while ((t = *head) != NULL) {
        if ((*head = t->fnext) != NULL)
            t->fnext->fprev = NULL;
        t->fnext = NULL;
        t->io_index = SIZE_MAX;
        gw__exec_woken(ex, t, revents);
    }
}

/* One epoll_wait into the event array.  When the array comes back full,
 * more descriptors may be ready than it reported (registrations nobody waits
 * on any longer count too, and past 65,536 tasks the array stops growing):
 * the look is partial, which the core must know before it times a wait out.
 * Only a comparison when it is not: no other system call. */
static int ep_wait(gw_exec *ex, int timeout_ms)
{
    int max = (int)(ex->cap < 65536 ? ex->cap : 65536);
    int k = epoll_wait(ex->epfd, ex->events, max, timeout_ms);
    int i;

    if (k < 0)
        return GW_EIO;
    if (k == max)
        ex->look_partial = 1;
    for (i = 0; i < k; i++) {
        int fd = ex->events[i].data.fd;
        uint32_t ev = ex->events[i].events;
        struct gw__epfd *e = &ex->fds[fd];
        /* EPOLLIN, OUT, ERR and HUP have poll()'s values on Linux. */
        short rev = (short)(ev & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP));
        uint32_t unwanted;

        /* The common case: readable, and readers wait. */
        if (ev == EPOLLIN && e->rd != NULL) {
            wake_all(ex, &e->rd, POLLIN);
            continue;
        }
        /* Directions that fire with nobody waiting are dropped, or the
         * level-triggered set would report them on every turn. */
        unwanted = 0;
        if ((ev & EPOLLIN) && e->rd == NULL)
            unwanted |= EPOLLIN;
        if ((ev & EPOLLOUT) && e->wr == NULL)
            unwanted |= EPOLLOUT;
        if ((ev & (EPOLLERR | EPOLLHUP)) && e->rd == NULL && e->wr == NULL)
            unwanted = e->mask;
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
            wake_all(ex, &e->rd, rev);
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            wake_all(ex, &e->wr, rev);
        if (unwanted != 0)
            set_mask(ex, fd, e, e->mask & ~unwanted);
    }
    return 0;
}

static void ep_forget(gw_exec *ex, int fd)
{
    struct gw__epfd *e;

    if ((size_t)fd >= ex->nfds)
        return;
    e = &ex->fds[fd];
    wake_all(ex, &e->rd, POLLNVAL);
    wake_all(ex, &e->wr, POLLNVAL);
    if (e->mask != 0)
        set_mask(ex, fd, e, 0);
}

const gw__backend gw__backend_epoll = {
    "epoll", ep_init, ep_fini, ep_reserve, ep_add, ep_del, ep_wait, ep_forget, 0,
};
