/*
 * The allocator hook (include/genwire/alloc.h): one process-wide table of
 * allocation functions, libc's unless a caller sets others.
 */
#include "genwire/alloc.h"

#include <stdlib.h>

static void *libc_malloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}

static void *libc_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}

static void libc_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static gw_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void gw_set_allocator(const gw_allocator *a)
{
    static const gw_allocator libc = {libc_malloc, libc_realloc, libc_free, NULL};

    current = a != NULL ? *a : libc;
}

void *gw_malloc(size_t n)
{
    return current.malloc(n, current.ud);
}

void *gw_realloc(void *p, size_t n)
{
    return current.realloc(p, n, current.ud);
}

void gw_free(void *p)
{
    current.free(p, current.ud);
}
