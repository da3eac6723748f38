/*
 * genwire's allocator hook.  Every heap allocation the library makes (its
 * buffers, executor tasks, and the allocations of zlib and libsodium-backed
 * layers where those libraries allow it) goes through gw_malloc / gw_realloc
 * / gw_free, which call the allocator set here, libc's by default.  Tests
 * use it to count allocations and to inject failures.
 */
#ifndef GENWIRE_ALLOC_H
#define GENWIRE_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A set of allocation functions; `ud` is passed to each. */
typedef struct gw_allocator {
    void *(*malloc)(size_t n, void *ud);           /* NULL on failure */
    void *(*realloc)(void *p, size_t n, void *ud); /* NULL on failure, p untouched */
    void (*free)(void *p, void *ud);               /* p may be NULL */
    void *ud;                                      /* the functions' argument */
} gw_allocator;

/*
 * gw_set_allocator: makes *a (copied) the process-wide allocator; NULL
 * restores libc's.  Not thread-safe; call it before creating any genwire
 * object, and do not free with one allocator what another allocated.
 */
void gw_set_allocator(const gw_allocator *a);

/* The library's allocation entry points, for layers and for tests. */
void *gw_malloc(size_t n);
void *gw_realloc(void *p, size_t n);
void gw_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_ALLOC_H */
