/*
 * Fuzz harness: RESP write-then-read (parsers/resp/resp-tree.c and
 * resp-write.c).
 *
 * Input: RESP.  Every reply the tree reader takes from it is written with
 * gw_resp_format_value; those bytes must read back as exactly one reply,
 * with nothing left over, which written again gives the same bytes.  The
 * writer's size query must agree with what it writes.
 */
#include <stdlib.h>
#include <string.h>

#include <genwire/resp.h>

#include "fuzz.h"

/* Writes v; returns a malloc'd buffer of *n bytes. */
static uint8_t *format(const gw_resp_value *v, size_t *n)
{
    uint8_t *b;

    *n = gw_resp_format_value(NULL, 0, v);
    b = malloc(*n + 1);
    fz_check(b != NULL, "memory");
    fz_check(gw_resp_format_value(b, *n, v) == *n, "size query agrees");
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_bufreader br, br2;
    gw_resp_tree t, t2;
    int r;

    gw_bufreader_init_mem(&br, data, size);
    fz_check(gw_resp_tree_init(&t, &br, NULL) == 0, "tree");
    while ((r = gw_resp_tree_try_next(&t)) == 1) {
        size_t n1, n2;
        uint8_t *b1 = format(t.value, &n1), *b2;
        gw_bufreader_init_mem(&br2, b1, n1);
        fz_check(gw_resp_tree_init(&t2, &br2, NULL) == 0, "tree 2");
        fz_check(gw_resp_tree_try_next(&t2) == 1, "what was written reads back");
        b2 = format(t2.value, &n2);
        fz_check(n1 == n2 && memcmp(b1, b2, n1) == 0, "written again, the same bytes");
        fz_check(gw_bufreader_avail(&br2) == 0 || gw_resp_tree_try_next(&t2) == 0,
                 "exactly one reply");
        fz_check(gw_bufreader_avail(&br2) == 0, "nothing left over");
        gw_resp_tree_fini(&t2);
        free(b1);
        free(b2);
    }
    fz_check(r <= 0, "result");
    gw_resp_tree_fini(&t);
    return 0;
}
