/*
 * The poll() backend of the executor (gen/exec-impl.h): one pollfd entry
 * per task waiting on a descriptor, kept current as tasks start and stop
 * waiting (an append, or a swap with the last entry), so a turn never
 * rebuilds the array.  poll() itself still scans every entry, which is why
 * a mostly idle set of descriptors is cheaper under epoll.  Portable POSIX.
 * Its wait reports every ready entry; a look it skips is the core's choice
 * (gen/exec.c, GW__LOOK_RATIO).  Also here: gw__exec_probe, the look at one
 * descriptor the core makes, whatever the backend, before it times out a
 * wait the last look may have missed.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>

#include "gen/exec-impl.h"
#include "genwire/alloc.h"
#include "genwire/error.h"

static int poll_init(gw_exec *ex)
{
    (void)ex;
    return 0;
}

static void poll_fini(gw_exec *ex)
{
    gw_free(ex->pfds);
    gw_free(ex->pfd_task);
}

static int poll_reserve(gw_exec *ex, size_t n)
{
    void *p;

    if ((p = gw_realloc(ex->pfds, n * sizeof(*ex->pfds))) == NULL)
        return GW_ENOMEM;
    ex->pfds = p;
    if ((p = gw_realloc(ex->pfd_task, n * sizeof(*ex->pfd_task))) == NULL)
        return GW_ENOMEM;
    ex->pfd_task = p;
    return 0;
}

static void poll_add(gw_exec *ex, gw_task *t)
{
    size_t i = ex->npfds++;

    ex->pfds[i].fd = t->wait.fd;
    ex->pfds[i].events = t->wait.kind == GW_WAIT_READ ? POLLIN : POLLOUT;
    ex->pfds[i].revents = 0;
    ex->pfd_task[i] = t;
    t->io_index = i;
    /* poll() skips a negative entry, so the wait would never end: it is
     * invalid, as epoll's backend says too. */
    if (t->wait.fd < 0)
        gw__exec_wake_io(ex, t, POLLNVAL);
}

/* Moves the last entry into t's place. */
static void poll_del(gw_exec *ex, gw_task *t)
{
    size_t i = t->io_index, last = --ex->npfds;

    if (i != last) {
        ex->pfds[i] = ex->pfds[last];
        ex->pfd_task[i] = ex->pfd_task[last];
        ex->pfd_task[i]->io_index = i;
    }
    t->io_index = SIZE_MAX;
}

static int poll_wait(gw_exec *ex, int timeout_ms)
{
    int k = poll(ex->pfds, (nfds_t)ex->npfds, timeout_ms);
    size_t i;

    if (k < 0)
        return GW_EIO;
    /* From the end, so that an entry waking (and the last entry, already
     * looked at, taking its place) never hides one not yet looked at.  The
     * entry is dropped here, so the core only makes its task ready. */
    for (i = ex->npfds; k > 0 && i-- > 0;) {
        short rev = ex->pfds[i].revents;
        if (rev != 0) {
            gw_task *t = ex->pfd_task[i];
            k--;
            ex->pfds[i].revents = 0;
            poll_del(ex, t);
            gw__exec_woken(ex, t, rev);
        }
    }
    return 0;
}

/* See gen/exec-impl.h. */
int gw__exec_probe(const gw_task *t)
{
    struct pollfd p;

    p.fd = t->wait.fd;
    p.events = t->wait.kind == GW_WAIT_READ ? POLLIN : POLLOUT;
    p.revents = 0;
    while (poll(&p, 1, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return p.revents;
}

/* poll() keeps nothing between calls: a descriptor closed while no task
 * waits on it leaves nothing behind. */
static void poll_forget(gw_exec *ex, int fd)
{
    (void)ex;
    (void)fd;
}

const gw__backend gw__backend_poll = {
    "poll", poll_init, poll_fini, poll_reserve, poll_add, poll_del, poll_wait, poll_forget, 1,
};
