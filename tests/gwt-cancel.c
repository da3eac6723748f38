/*
 * The cancel driver declared in tests/gwt-cancel.h: one run per suspension
 * point, each closed there and handed to the case's check.
 */
#include "gwt-cancel.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

size_t gwt_cancel_each(const gwt_cancel_case *c, void *ud, size_t *deepest)
{
    size_t k, max = c->max_suspensions != 0 ? c->max_suspensions : 1000000;

    for (k = 1;; k++) {
        gw_io_op *op;
        gw_stack st;
        gw_wait w;
        size_t yields = 0;
        int rc;

        if (k > max)
            fail_msg("%s: still suspending after %zu suspensions", c->name, max);
        op = c->start(ud);
        GW_START(&st, op, &w);
        while ((rc = gw_next(&st)) == GW_YIELDED && ++yields < k)
            c->progress(ud, &w);
        if (rc != GW_YIELDED) {
            /* Done before its k-th suspension: every one was tried. */
            assert_int_equal(rc, GW_RETURNED);
            if (c->finished != NULL)
                c->finished(ud, op);
            c->teardown(ud);
            break;
        }
        gw_stack_close(&st);
        assert_true(gw_stack_done(&st));
        c->check(ud);
        c->teardown(ud);
    }
    if (deepest != NULL && k - 1 > *deepest)
        *deepest = k - 1;
    return k - 1;
}
