/*
 * What every run of the genwire tool shares, whichever the direction:
 * standard input and output (non-blocking only when they are pipes or
 * sockets, their flags restored on every way out, signals included), the
 * progress line, the executor loop, the error report and the release of the
 * layers.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
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

static void on_fatal_signal(int sig)
{
    restore_flags();
    signal(sig, SIG_DFL);
    raise(sig);
}

void signals_init(void)
{
    static const int fatal[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    size_t k;

    /* A closed standard output shows as GW_EPIPE, never as a signal. */
    signal(SIGPIPE, SIG_IGN);
    for (k = 0; k < sizeof(fatal) / sizeof(fatal[0]); k++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_fatal_signal;
        sigaction(fatal[k], &sa, NULL);
    }
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

/* ---- progress and the executor loop ----------------------------------------------- */

typedef struct progress {
    int on;        /* showing it */
    int64_t start; /* gw_now() at the start */
    int64_t last;  /* when it was last drawn */
    int drawn;     /* something is on the line */
} progress;

static void progress_draw(progress *p, uint64_t in, uint64_t out, int final)
{
    int64_t now = gw_now();
    double secs;

    if (!p->on || (!final && now - p->last < 250000000))
        return;
    if (final && !p->drawn)
        return;
    p->last = now;
    secs = (double)(now - p->start) / 1e9;
    fprintf(stderr, "\r%s: %.1f MiB in, %.1f MiB out, %.1f MiB/s%s", progname,
            (double)in / 1048576.0, (double)out / 1048576.0,
            secs > 0 ? (double)in / 1048576.0 / secs : 0.0, final ? "\n" : "   ");
    p->drawn = 1;
}

int run_tasks(gw_exec *ex, job *j)
{
    progress pg = {j->opt->progress, gw_now(), 0, 0};
    int r;

    while ((r = gw_exec_run_once(ex, 1)) > 0)
        progress_draw(&pg, j->in.r.nread, j->out.w.nwritten, 0);
    progress_draw(&pg, j->in.r.nread, j->out.w.nwritten, 1);
    return r;
}

int job_pace(job *j, uint64_t n)
{
    j->paced += n;
    if (j->paced < (4u << 20))
        return 0;
    j->paced = 0;
    return 1;
}

/* ---- the end of a run ---------------------------------------------------------------- */

/* Reports the error that ended a run.  Errors travel away from where they
 * started, so the first place holding one, in this order, is where it came
 * from: standard input, the layers from the wire inward, standard output. */
static void report(const job *j, int err)
{
    char msg[512];
    int i;

    if (j->in.r.err != 0) {
        fprintf(stderr, "%s: standard input: %s\n", progname, strerror(j->in.sys_errno));
        return;
    }
    for (i = 0; i < j->n; i++) {
        const layer *l = &j->ls[i];
        if (l->row->ops->error != NULL && l->row->ops->error(l, j, msg, sizeof(msg))) {
            fprintf(stderr, "%s: %s: %s\n", progname, l->row->name, msg);
            return;
        }
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
    if (open_std(&j->in, 0) != 0 || open_std(&j->out, 1) != 0) {
        fprintf(stderr, "%s: cannot set up standard input and output\n", progname);
        return EXIT_DATA;
    }
    return 0;
}
