/*
 * gwt-cancel: the every-suspension-point cancel driver shared by the suites
 * (docs/contracts.md, "Cancel is an error").  An operation is run once per
 * k = 1, 2, ...: each time on a fresh fixture, resumed with progress made
 * possible between its suspensions, and closed (gw_stack_close) at its k-th
 * suspension; then the case checks that the object is left with the sticky
 * GW_ECANCELLED.  The loop ends at the first k the operation reaches its end
 * without, so every suspension point of that input is tried once.
 */
#ifndef GWT_CANCEL_H
#define GWT_CANCEL_H

#include <stddef.h>

#include <genwire/io.h>

/* One operation to cancel everywhere: callbacks on the case's own fixture,
 * which the driver passes through as `ud`. */
typedef struct gwt_cancel_case {
    const char *name; /* for the failure messages */
    /* Sets up a fresh fixture and returns the operation to run (not yet
     * started: the driver starts it in push mode, with GW_START). */
    gw_io_op *(*start)(void *ud);
    /* Called before each resume after a suspension whose wait is *w, except
     * at the k-th: makes progress possible (drain the pipe the operation
     * writes into, feed the next byte of its input). */
    void (*progress)(void *ud, const gw_wait *w);
    /* Called once the operation was closed at a suspension: asserts that
     * the object's error is GW_ECANCELLED and that its later operations
     * (read, write, flush, close, as it has them) fail with it.  The
     * fixture is still there; the operation's frame is finished. */
    void (*check)(void *ud);
    /* May be NULL.  Called when the operation finished before its k-th
     * suspension (its result is in op->ret): asserts what an uncancelled
     * run gives, so that the cancels are known to have cut a run that
     * works. */
    void (*finished)(void *ud, gw_io_op *op);
    /* Frees the fixture (after check or finished). */
    void (*teardown)(void *ud);
    /* The most suspensions the operation may make before the driver calls
     * the case broken (progress that makes none); 0: 1000000. */
    size_t max_suspensions;
} gwt_cancel_case;

/*
 * gwt_cancel_each: for k = 1, 2, ...: c->start(ud), then resumes the
 * operation, calling c->progress(ud, wait) before each resume after a
 * suspension, and at its k-th suspension closes its stack (gw_stack_close,
 * which runs the cleanup of every live frame), calls c->check(ud) and
 * c->teardown(ud).  Stops at the first k at which the operation finishes
 * before its k-th suspension (calling c->finished, then c->teardown).
 * Returns the number of cancels made (the operation's suspension count on
 * that input); when deepest is not NULL, raises *deepest to it if it is
 * larger, so a caller looping over inputs keeps the deepest point reached.
 * Fails the test (cmocka) if the operation still suspends after
 * c->max_suspensions suspensions.
 */
size_t gwt_cancel_each(const gwt_cancel_case *c, void *ud, size_t *deepest);

#endif /* GWT_CANCEL_H */
