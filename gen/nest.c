/*
 * The explicit stack for nested grammars (gw_nest in include/genwire/gen.h):
 * the out-of-line half, which sets it up and frees it.  Push, pop and top
 * are inline in the header.  It knows no grammar.
 */
#include "genwire/gen.h"

#include <stdint.h>

#include "genwire/alloc.h"
#include "genwire/error.h"

int gw_nest_init(gw_nest *n, size_t item_size, size_t max_depth)
{
    void *mem;

    n->items = NULL;
    n->item_size = item_size;
    n->depth = 0;
    n->max_depth = 0;
    n->owned = 0;
    if (item_size == 0 || max_depth == 0 || max_depth > SIZE_MAX / item_size)
        return GW_EINVAL;
    if ((mem = gw_malloc(item_size * max_depth)) == NULL)
        return GW_ENOMEM;
    n->items = mem;
    n->max_depth = max_depth;
    n->owned = 1;
    return 0;
}

void gw_nest_init_mem(gw_nest *n, void *mem, size_t item_size, size_t max_depth)
{
    n->items = mem;
    n->item_size = item_size;
    n->depth = 0;
    n->max_depth = max_depth;
    n->owned = 0;
}

void gw_nest_fini(gw_nest *n)
{
    if (n->owned)
        gw_free(n->items);
    n->items = NULL;
    n->owned = 0;
    n->depth = n->max_depth = 0;
}
