/*
 * A regular file on standard input read in place by decode's first layer:
 * mapping it (stall_reader_map), releasing the pages behind the decoder and
 * unmapping the rest, and the guard that turns the SIGBUS of a file cut
 * short under us into a read error of the first layer (map_guard), so that
 * the layers above write what they had decoded before the message.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

/* The addresses of standard input's mapping while decode reads a file in
 * place, or 0 and 0; read by the signal handler (map_fault). */
static volatile uintptr_t map_lo, map_hi;

/* Where map_fault jumps to, valid while fault_armed is set: only while
 * guard_run's gw_next runs, so that the frame holding it is live. */
static sigjmp_buf fault_env;
static volatile sig_atomic_t fault_armed;

int stall_reader_map(gw_reader *src, const uint8_t **data, size_t *len)
{
    stall_reader *st = stall_reader_of(src);
    struct stat sb;
    off_t at, from;
    long page = sysconf(_SC_PAGESIZE);
    void *p;
    size_t size;

    if (st == NULL || !st->may_map || st->map != NULL)
        return 0;
    if (fstat(st->src->fd, &sb) != 0 || !S_ISREG(sb.st_mode) || page <= 0 ||
        (at = lseek(st->src->fd, 0, SEEK_CUR)) < 0 || sb.st_size <= at ||
        (uint64_t)(sb.st_size - at) > SIZE_MAX / 2)
        return 0;
    from = at - at % page; /* mmap's offset is a multiple of the page size */
    size = (size_t)(sb.st_size - from);
    p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, st->src->fd, from);
    if (p == MAP_FAILED)
        return 0;
    /* Read once, front to back: read-ahead, and pages behind may go. */
    posix_madvise(p, size, POSIX_MADV_SEQUENTIAL);
    if (lseek(st->src->fd, sb.st_size, SEEK_SET) < 0) {
        munmap(p, size);
        return 0;
    }
    st->map_base = p;
    st->map_size = size;
    map_lo = (uintptr_t)p;
    map_hi = (uintptr_t)p + size;
    st->map = (const uint8_t *)p + (at - from);
    st->map_len = (size_t)(sb.st_size - at);
    *data = st->map;
    *len = st->map_len;
    return 1;
}

/* The file's pages would otherwise count in the process's memory for as
 * long as it runs. */
void stall_reader_release(stall_reader *st, uint64_t consumed)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t drop;

    if (st->map_base == NULL || page <= 0 || consumed > st->map_len)
        return;
    drop = (size_t)((st->map + consumed) - (const uint8_t *)st->map_base);
    drop -= drop % (size_t)page;
    if (drop < (1u << 20) || munmap(st->map_base, drop) != 0)
        return;
    st->map_base = (uint8_t *)st->map_base + drop;
    st->map_size -= drop;
    map_lo = (uintptr_t)st->map_base;
}

void stall_reader_unmap(stall_reader *st)
{
    map_lo = map_hi = 0;
    if (st->map_base != NULL && st->map_size > 0)
        munmap(st->map_base, st->map_size);
    st->map_base = NULL;
    st->map = NULL;
    st->map_size = st->map_len = 0;
}

int map_fault(const void *addr)
{
    if ((uintptr_t)addr < map_lo || (uintptr_t)addr >= map_hi)
        return 0;
    if (fault_armed) {
        fault_armed = 0;
        siglongjmp(fault_env, 1);
    }
    return 1;
}

/* ---- the guard ---------------------------------------------------------------- */

/*
 * Runs g's read of the first layer (the root of g->st) until it waits or
 * ends: GW_YIELDED or GW_RETURNED, or -1 when a page of the mapping was
 * gone (map_fault jumped back here).
 *
 * Why the jump is sound.  SIGBUS at an address of the mapping is
 * synchronous: it is raised by a load of the first layer's decoder (its
 * own code, zlib, ISA-L, libsodium or memcpy reading its input), which is
 * the only code that reads the mapping and runs only inside this gw_next
 * (a read over memory never waits, and if it did, its next step would run
 * from here again).  No lock of malloc or stdio is held by such a load, so
 * leaving it by siglongjmp does not break the C library; what it breaks is
 * the decoder and the frames of this read, which are never run again: the
 * guard fails every later read, and job_end only releases them.  The
 * frames of the layers above wait on this read (g is heap memory, not a
 * local), so they stay whole and deliver what they hold.  sigsetjmp does
 * not save the signal mask (a system call on every read); the jump leaves
 * SIGBUS blocked, as it is in the handler, and it is unblocked here.  No
 * local of this function changes between sigsetjmp and the jump, so none
 * is indeterminate after it (C11 7.13.2.1); fault_armed is volatile
 * sig_atomic_t, cleared by the handler before it jumps.
 */
static int guard_run(map_guard *g)
{
    sigset_t bus;
    int r;

    if (sigsetjmp(fault_env, 0) != 0) {
        sigemptyset(&bus);
        sigaddset(&bus, SIGBUS);
        sigprocmask(SIG_UNBLOCK, &bus, NULL);
        return -1;
    }
    fault_armed = 1;
    r = gw_next(&g->st);
    fault_armed = 0;
    return r;
}

/* A read abandoned while the first layer's read waits (its task cancelled; over
 * memory it never waits): that read is abandoned too. */
static void guard_cleanup(gw_frame *f)
{
    map_guard *g = ((gw_io_op *)(void *)f)->obj;

    gw_stack_close(&g->st);
}

/* A read of the first layer through the guard: op->buf, op->len, op->min. */
typedef gw_io_op guard_read;
GW_GENERATOR(guard_read, guard_cleanup);
GW_BODY(guard_read, s)
{
    map_guard *g = s->obj;
    struct stat sb;
    int r;

    GW_BEGIN(s);
    if (!g->faulted) {
        g->at = gw_bufreader_offset(g->in);
        s->sub = gw_try_read(g->src, s->buf, s->len, s->min);
        GW_START(&g->st, s->sub, &g->wait);
        while ((r = guard_run(g)) == GW_YIELDED)
            GW_YIELD(s, g->wait);
        if (r >= 0) {
            s->n = s->sub->n;
            g->r.nread += s->n;
            g->r.eof = g->src->eof;
            if (s->sub->ret < 0)
                gw_reader_fail(&g->r, s->sub->ret, g->r.nread);
            GW_RETURN(s, s->sub->ret);
        }
        /* The bytes this read decoded before the fault are not counted:
         * from where it started, nothing of it is known. */
        g->faulted = 1;
        g->size_now = fstat(g->fd, &sb) == 0 ? (int64_t)sb.st_size : -1;
    }
    s->n = 0;
    GW_RETURN(s, gw_reader_fail(&g->r, GW_EIO, g->r.nread));
    GW_END(s);
}

static gw_io_op *guard_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    return START_READ(r, guard_read, buf, cap, min); /* r is the guard's first member */
}

static const gw_reader_ops guard_ops = {"mapped", guard_try_read};

gw_reader *map_guard_init(map_guard *g, gw_reader *src, const gw_bufreader *in, int fd)
{
    gw_reader_init(&g->r, &guard_ops);
    g->src = src;
    g->in = in;
    g->fd = fd;
    g->at = 0;
    g->faulted = 0;
    g->size_now = -1;
    return &g->r;
}

int map_guard_error(const map_guard *g, char *buf, size_t len)
{
    char path[256], size[48] = "";
    ssize_t n;

    if (g->r.ops != &guard_ops || !g->faulted)
        return 0;
    /* The file's name, where the system tells it. */
    n = readlink("/proc/self/fd/0", path, sizeof(path) - 1);
    path[n > 0 ? n : 0] = '\0';
    if (g->size_now >= 0)
        snprintf(size, sizeof(size), " to %" PRId64 " bytes", g->size_now);
    snprintf(buf, len,
             "standard input%s%s%s: the file shrank%s while it was read, at byte %" PRIu64,
             n > 0 ? " (" : "", path, n > 0 ? ")" : "", size, g->at);
    return 1;
}
