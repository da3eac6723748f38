/*
 * gwt_run_group (tests/gwt.h): runs a cmocka group so that a case which
 * calls gwt_skip() is reported to meson as skipped, not as failed.
 *
 * cmocka 1.1 prints a skipped case as "not ok N # SKIP name", and a TAP
 * consumer (meson's among them) reads any "not ok" as a failure: only
 * "ok N ... # SKIP" is a skip.  cmocka offers no hook for its output, so
 * the group runs in a child process whose standard output comes through a
 * pipe; this process copies it line by line, unchanged but for those skip
 * lines, which become "ok N - name # SKIP reason" with the reason the case
 * printed through gwt_skip.  The child's exit status (a crash, valgrind's
 * error code, ASan's report) is the runner's own.  Lines are forwarded as
 * they arrive, so the log of a case that hangs or crashes is kept.
 */
#define _POSIX_C_SOURCE 200809L

#include "gwt.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* The prefix gwt_skip puts before its reason. */
#define SKIP_NOTE "# skipped: "

/* Copies src up to its newline into dst (cap bytes), cut short if need be. */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strcspn(src, "\n");

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Copies one line of the child's output to stdout, turning cmocka's
 * "not ok N # SKIP name" into a TAP skip that carries the last reason. */
static void relay_line(const char *line, char *reason, size_t reason_cap)
{
    unsigned num;
    int at = 0;

    if (strncmp(line, SKIP_NOTE, strlen(SKIP_NOTE)) == 0) {
        copy_field(reason, reason_cap, line + strlen(SKIP_NOTE));
    } else if (sscanf(line, "not ok %u # SKIP %n", &num, &at) == 1 && at > 0) {
        char name[256];

        copy_field(name, sizeof(name), line + at);
        printf("ok %u - %s # SKIP %s\n", num, name, reason[0] ? reason : "(no reason given)");
        reason[0] = 0;
        fflush(stdout);
        return;
    }
    fputs(line, stdout);
    fflush(stdout);
}

int gwt_run_group(const char *name, const struct CMUnitTest *tests, size_t n)
{
    int fds[2], status;
    pid_t pid;
    FILE *in;
    char line[4096], reason[512] = "";

    fflush(stdout);
    if (pipe(fds) != 0)
        return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        close(fds[1]);
        /* Line at a time, so a crash loses no finished line. */
        setvbuf(stdout, NULL, _IOLBF, 0);
        exit(_cmocka_run_group_tests(name, tests, n, NULL, NULL));
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    if (in == NULL) {
        close(fds[0]);
    } else {
        /* A line longer than the buffer comes in pieces; only a piece that
         * starts a line can be a skip line, and cmocka's are short. */
        while (fgets(line, sizeof(line), in) != NULL)
            relay_line(line, reason, sizeof(reason));
        fclose(in);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (WIFSIGNALED(status)) {
        /* Die the same way, so the harness sees the crash. */
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
