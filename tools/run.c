/*
 * What every run of the genwire tool shares, whichever the direction:
 * standard input and output (non-blocking only when they are pipes or
 * sockets, their flags restored on every way out, signals included; a
 * regular file on standard input is mapped for decode's first layer in
 * mapped.c), the progress line, the executor loop, the error report and
 * the release of the layers.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

/* ---- standard input and output ------------------------------------------------ */

/* The fcntl flags of fds 0 and 1 before we changed them, or -1; read by the
 * signal handler. */
static volatile sig_atomic_t saved_fl[2] = {-1, -1};

void restore_flags(void)
{
    int fd;

    for (fd = 0; fd < 2; fd++)
        if (saved_fl[fd] >= 0)
            fcntl(fd, F_SETFL, (int)saved_fl[fd]);
}

/* Sets O_NONBLOCK again on the fds restore_flags restored, saving their
 * flags as they are now. */
static void set_flags_again(void)
{
    int fd, fl;

    for (fd = 0; fd < 2; fd++) {
        if (saved_fl[fd] < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
            continue;
        saved_fl[fd] = fl;
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

/* SIGBUS at an address inside the mapping outside a map_guard's read
 * (which no code is known to reach): the file was cut short under us (the
 * pages past its new end are gone).  Says so and fails as a read error
 * would; what was written before stays written. */
static void on_truncated_input(void)
{
    static const char why[] = ": standard input: the file was truncated while it was read\n";
    size_t n = strlen(progname);

    restore_flags();
    if (write(2, progname, n) == (ssize_t)n)
        (void)!write(2, why, sizeof(why) - 1); /* nothing to do if it fails */
    _exit(1);
}

/* The dispositions the fatal signals had before ours (a sanitizer's handler,
 * say), indexed by signal number. */
static struct sigaction previous[128];

/* A signal that ends the process: restore the flags, then end as the signal
 * would have ended us (through the handler that was there before, if any). */
static void on_fatal_signal(int sig, siginfo_t *si, void *ctx)
{
    const struct sigaction *p = &previous[sig];

    /* A fault (si_code > 0; kill(2) sends SI_USER, whose si_addr means
     * nothing) in the mapping: a guarded read does not come back from
     * map_fault. */
    if (sig == SIGBUS && si != NULL && si->si_code > 0 && map_fault(si->si_addr))
        on_truncated_input();
    restore_flags();
    if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction != NULL) {
        p->sa_sigaction(sig, si, ctx);
    } else if (!(p->sa_flags & SA_SIGINFO) && p->sa_handler != SIG_DFL &&
               p->sa_handler != SIG_IGN) {
        p->sa_handler(sig);
    } else {
        /* Blocked while we run: it ends the process once we return (a fault
         * recurs at once, with the default action). */
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/* A signal that stops the process: restore the flags for the time we are
 * stopped (the shell gets its terminal and pipes back as they were), stop,
 * and once continued (SIGCONT) make them non-blocking again. */
static void on_stop_signal(int sig)
{
    int saved = errno;
    sigset_t set;

    restore_flags();
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    raise(sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL); /* stops here until SIGCONT */
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(sig, on_stop_signal);
    set_flags_again();
    errno = saved;
}

/* Installs handler for sig unless the signal is ignored (under nohup, say). */
static void catch_signal(int sig, int stop)
{
    struct sigaction sa, old;

    if (sig <= 0 || sig >= (int)(sizeof(previous) / sizeof(previous[0])) ||
        sigaction(sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN)
        return;
    previous[sig] = old;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    if (stop) {
        sa.sa_handler = on_stop_signal;
    } else {
        sa.sa_sigaction = on_fatal_signal;
        sa.sa_flags = SA_SIGINFO;
    }
    sigaction(sig, &sa, NULL);
}

void signals_init(void)
{
    /* Every catchable signal whose default action ends the process. */
    static const int fatal[] = {
        SIGHUP,    SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGBUS,    SIGFPE,  SIGSEGV,
        SIGUSR1,   SIGUSR2, SIGALRM, SIGTERM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS,
#ifdef SIGSTKFLT
        SIGSTKFLT,
#endif
#ifdef SIGIO
        SIGIO,
#endif
#ifdef SIGPWR
        SIGPWR,
#endif
    };
    static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};
    size_t k;
    int sig;

    /* A closed standard output shows as GW_EPIPE, never as a signal. */
    signal(SIGPIPE, SIG_IGN);
    for (k = 0; k < sizeof(fatal) / sizeof(fatal[0]); k++)
        catch_signal(fatal[k], 0);
#if defined(SIGRTMIN) && defined(SIGRTMAX)
    for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        catch_signal(sig, 0);
#endif
    for (k = 0; k < sizeof(stops) / sizeof(stops[0]); k++)
        catch_signal(stops[k], 1);
    (void)sig;
}

int open_std(gw_fdio *io, int fd)
{
    struct stat st;
    unsigned flags = 0;
    int fl = fcntl(fd, F_GETFL);

    if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && fl >= 0 &&
        !(fl & O_NONBLOCK)) {
        saved_fl[fd] = fl;
        flags = GW_FDIO_NONBLOCK;
    }
    return gw_fdio_init(io, fd, flags);
}

/* ---- flushing when input stalls ------------------------------------------------ */

typedef gw_io_op stall_read;
GW_GENERATOR(stall_read, NULL);
GW_BODY(stall_read, s)
{
    stall_reader *st = s->obj;
    struct pollfd p = {st->src->fd, POLLIN, 0};

    GW_BEGIN(s);
    if (st->out != NULL && st->out->err == 0 && s->min > 0 && st->flushed != st->r.nread &&
        poll(&p, 1, 0) == 0) {
        st->flushed = st->r.nread;
        GW_AWAIT(s, sub, gw_flush(st->out)); /* its error shows at the next write */
    }
    GW_AWAIT(s, sub, gw_try_read(&st->src->r, s->buf, s->len, s->min));
    s->n = s->sub->n;
    st->r.nread += s->n;
    st->r.eof = st->src->r.eof;
    if (s->sub->ret < 0) {
        st->r.err = s->sub->ret;
        st->r.err_off = st->r.nread;
    }
    GW_RETURN(s, s->sub->ret);
    GW_END(s);
}

static gw_io_op *stall_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    return START_READ(r, stall_read, buf, cap, min);
}

static const gw_reader_ops stall_ops = {"stdin", stall_try_read};

void stall_reader_init(stall_reader *st, gw_fdio *src, gw_writer *out)
{
    gw_reader_init(&st->r, &stall_ops);
    st->src = src;
    st->out = out;
    st->flushed = 0;
    st->may_map = 0;
    st->map = NULL;
    st->map_len = 0;
    st->map_base = NULL;
    st->map_size = 0;
}

stall_reader *stall_reader_of(gw_reader *r)
{
    return r->ops == &stall_ops ? (stall_reader *)(void *)r : NULL; /* r is its first member */
}

typedef gw_io_op hold_read;
GW_GENERATOR(hold_read, NULL);
GW_BODY(hold_read, s)
{
    hold_reader *h = s->obj;

    GW_BEGIN(s);
    if (h->held == 0)
        GW_AWAIT(s, sub, gw_try_read(h->src, s->buf, s->len, s->min));
    s->n = h->held == 0 ? s->sub->n : 0;
    h->r.nread += s->n;
    h->r.eof = h->src->eof;
    if (h->held == 0 && s->sub->ret < 0 && s->n > 0) {
        h->held = s->sub->ret; /* the bytes now, the error next time */
        GW_RETURN(s, 0);
    }
    if (h->held != 0 || s->sub->ret < 0) {
        h->r.err = h->held != 0 ? h->held : s->sub->ret;
        h->r.err_off = h->r.nread;
        GW_RETURN(s, h->r.err);
    }
    GW_RETURN(s, 0);
    GW_END(s);
}

static gw_io_op *hold_try_read(gw_reader *r, uint8_t *buf, size_t cap, size_t min)
{
    return START_READ(r, hold_read, buf, cap, min);
}

static const gw_reader_ops hold_ops = {"decoded", hold_try_read};

void hold_reader_init(hold_reader *h, gw_reader *src)
{
    gw_reader_init(&h->r, &hold_ops);
    h->src = src;
    h->held = 0;
}

/* ---- progress and the executor loop ----------------------------------------------- */

typedef struct progress {
    int on;        /* showing it */
    int64_t start; /* gw_now() at the start */
    int64_t last;  /* when it was last drawn */
    int drawn;     /* something is on the line */
} progress;

/* Writes n bytes as "12.3 KiB" (B, KiB, MiB, GiB, TiB) into buf. */
static const char *size_text(double n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;

    while (n >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        n /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%.0f B", n);
    else
        snprintf(buf, len, "%.1f %s", n, units[u]);
    return buf;
}

static void progress_draw(progress *p, uint64_t in, uint64_t out, int final)
{
    int64_t now = gw_now();
    double secs;
    char a[32], b[32], c[32];

    if (!p->on || (!final && now - p->last < 250000000))
        return;
    if (final && !p->drawn)
        return;
    p->last = now;
    secs = (double)(now - p->start) / 1e9;
    /* \033[K clears what a longer line before left. */
    fprintf(stderr, "\r%s: %s in, %s out, %s/s in\033[K%s", progname,
            size_text((double)in, a, sizeof(a)), size_text((double)out, b, sizeof(b)),
            size_text(secs > 0 ? (double)in / secs : 0.0, c, sizeof(c)), final ? "\n" : "");
    p->drawn = 1;
}

/* The bytes of standard input read so far: those of a mapped file are read
 * in place by the first layer. */
static uint64_t input_read(const job *j)
{
    if (j->sin.map != NULL && j->n > 0)
        return gw_bufreader_offset(&j->ls[0].in);
    return j->in.r.nread;
}

int run_tasks(gw_exec *ex, job *j)
{
    progress pg = {j->opt->progress, gw_now(), 0, 0};
    int r;

    while ((r = gw_exec_run_once(ex, 1)) > 0)
        progress_draw(&pg, input_read(j), j->out.w.nwritten, 0);
    progress_draw(&pg, input_read(j), j->out.w.nwritten, 1);
    return r;
}

int job_pace(job *j, uint64_t n)
{
    j->paced += n;
    if (j->paced < (4u << 20))
        return 0;
    j->paced = 0;
    /* Nothing holds the bytes the wire layer has consumed. */
    if (j->sin.map != NULL && j->n > 0)
        stall_reader_release(&j->sin, gw_bufreader_offset(&j->ls[0].in));
    return 1;
}

/* ---- the end of a run ---------------------------------------------------------------- */

/* The name of layer l in messages: its row's, and its position when the
 * name occurs more than once in the stack ("gzip (layer 2 of 3)"). */
static const char *layer_label(const job *j, const layer *l, char *buf, size_t len)
{
    int i, same = 0;

    for (i = 0; i < j->n; i++)
        same += j->ls[i].row == l->row;
    if (same < 2)
        return l->row->name;
    snprintf(buf, len, "%s (layer %d of %d)", l->row->name, l->pos, j->n);
    return buf;
}

/* Reports the error that ended a run.  Errors travel away from where they
 * started, so the first place holding one, in this order, is where it came
 * from: standard input, the layers from the wire inward, standard output. */
static void report(const job *j, int err)
{
    char msg[512], name[64];
    int i;

    if (j->in.r.err != 0) {
        fprintf(stderr, "%s: standard input: %s\n", progname, strerror(j->in.sys_errno));
        return;
    }
    if (map_guard_error(&j->guard, msg, sizeof(msg))) {
        fprintf(stderr, "%s: %s\n", progname, msg);
        return;
    }
    for (i = 0; i < j->n; i++) {
        const layer *l = &j->ls[i];
        if (l->row->ops->error != NULL && l->row->ops->error(l, j, msg, sizeof(msg))) {
            fprintf(stderr, "%s: %s: %s\n", progname, layer_label(j, l, name, sizeof(name)), msg);
            return;
        }
    }
    if (j->why[0] != '\0') {
        fprintf(stderr, "%s: %s%s%s\n", progname,
                j->why_l != NULL ? layer_label(j, j->why_l, name, sizeof(name)) : "",
                j->why_l != NULL ? ": " : "", j->why);
        return;
    }
    if (j->out.w.err != 0) {
        fprintf(stderr, "%s: standard output: %s\n", progname, strerror(j->out.sys_errno));
        return;
    }
    fprintf(stderr, "%s: %s\n", progname, gw_strerror(err));
}

int job_end(job *j, int err)
{
    int i, status = 0;

    if (err == GW_EPIPE && j->out.w.err == GW_EPIPE) {
        status = -SIGPIPE; /* standard output closed: end quietly */
    } else if (err != 0) {
        report(j, err);
        status = EXIT_DATA;
    }
    for (i = j->n - 1; i >= 0; i--) {
        layer *l = &j->ls[i];
        if (l->row->ops->close != NULL)
            l->row->ops->close(l);
        if (l->in.buf != NULL)
            gw_bufreader_fini(&l->in);
        free(l->state);
        l->state = NULL;
    }
    if (j->bout.buf != NULL)
        gw_bufwriter_fini(&j->bout);
    stall_reader_unmap(&j->sin);
    gw_fdio_fini(&j->in);
    gw_fdio_fini(&j->out);
    return status;
}

int job_start(job *j, const options *o, layer *ls, int n, const gw_key *key)
{
    int i;

    if (j == NULL) {
        fprintf(stderr, "%s: %s\n", progname, gw_strerror(GW_ENOMEM));
        return EXIT_DATA;
    }
    memset(j, 0, sizeof(*j));
    j->opt = o;
    j->key = key;
    j->ls = ls;
    j->n = n;
    for (i = 0; i < n; i++) {
        ls[i].encoding = o->encode;
        ls[i].state = NULL;
        ls[i].r = NULL;
        ls[i].w = NULL;
        memset(&ls[i].in, 0, sizeof(ls[i].in));
    }
    for (i = 0; i < 2; i++) {
        if (fcntl(i, F_GETFD) < 0 && errno == EBADF) {
            fprintf(stderr, "%s: standard %s is closed\n", progname, i ? "output" : "input");
            return EXIT_DATA;
        }
    }
    if (open_std(&j->in, 0) != 0 || open_std(&j->out, 1) != 0) {
        fprintf(stderr, "%s: cannot set up standard input and output\n", progname);
        return EXIT_DATA;
    }
    stall_reader_init(&j->sin, &j->in, NULL);
    return 0;
}
