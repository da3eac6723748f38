/*
 * genwire stackless generators: yield, return and yield-from in plain C11.
 *
 * A generator is a struct (its *frame*) that starts with GW_FRAME(Y) and
 * holds every local that must survive a suspension, plus its return value in a
 * field named `ret`.  Its body is one function written between GW_BEGIN and
 * GW_END, in which GW_YIELD hands a value of type Y to the driver, GW_RETURN
 * finishes, and GW_YIELD_FROM runs a child generator (a member of the frame)
 * to completion, passing the child's values straight to the driver.
 *
 *     typedef struct { GW_FRAME(uint64_t); uint64_t n, i; bool ret; } sub_gen;
 *
 *     GW_GENERATOR(sub_gen, NULL);
 *     GW_BODY(sub_gen, s)
 *     {
 *         GW_BEGIN(s);
 *         for (s->i = 0; s->i < s->n; s->i++)
 *             GW_YIELD(s, s->i);
 *         GW_RETURN(s, s->n == 3);
 *         GW_END(s);
 *     }
 *     void sub_gen_init(sub_gen *s, uint64_t n) { GW_INIT(s, sub_gen); s->n = n; }
 *
 * A driver (gw_stack) resumes the innermost live frame directly, so a resume
 * costs the same at any nesting depth; a finished child hands control back to
 * its caller through the driver's loop (a trampoline).  Nothing here
 * allocates, switches stacks, uses setjmp or assembly.
 *
 * THE RULES (the macros are a switch statement in disguise, Duff's-device
 * style):
 *   1. Locals of the body function do not survive a suspension: keep state
 *      in the frame (`s->i`, not `int i`).
 *   2. Code before GW_BEGIN runs on every resume, not once: the body
 *      function is entered afresh each time and jumps to its resume point
 *      from GW_BEGIN.  Put there only what may run again, such as locals
 *      recomputed from the frame (`gw_bufreader *b = s->obj;`); anything to
 *      do once goes after GW_BEGIN.
 *   3. At most one GW_YIELD / GW_YIELD_FROM per source line (the line number
 *      is the resume point; the compiler rejects a duplicate).
 *   4. No `switch` statement of your own may contain a GW_YIELD or
 *      GW_YIELD_FROM: its case labels would capture the resume points.
 *   5. `s` is the body's frame name (the GW_BODY parameter) and is used
 *      many times; every other argument of these macros and of the helpers
 *      built on them (GW_AWAIT, GW_FILL, GW_NEED in io.h) is evaluated
 *      exactly once, before the macro can suspend.
 *   6. A frame must not move in memory while it is suspended.
 *
 * docs/contracts.md states these rules and the transport contracts once.
 */
#ifndef GENWIRE_GEN_H
#define GENWIRE_GEN_H

#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gw_frame gw_frame;
typedef struct gw_stack gw_stack;

/* A frame's resume function: runs the body from its resume point until it
 * yields (GW__YIELD) or finishes (GW__DONE). Written by GW_BODY. */
typedef int (*gw_resume_fn)(gw_frame *self, gw_stack *st);

/* What is constant about one kind of generator: written once by GW_GENERATOR. */
typedef struct gw_gen_type {
    const char *name; /* the generator's name, for backtraces */
    const char *file; /* the source file of its body, for backtraces */
    /* Called when a suspended frame is closed before it finished, innermost
     * frame first; releases what the body holds.  May be NULL. */
    void (*cleanup)(gw_frame *self);
} gw_gen_type;

/* The header every frame starts with.  Private: use the macros. */
struct gw_frame {
    gw_resume_fn _resume;     /* the body */
    gw_frame *_caller;        /* the frame suspended in GW_YIELD_FROM on us, or NULL */
    const gw_gen_type *_type; /* name, file and cleanup */
    int _pc;                  /* 0: not started; GW__PC_DONE: finished; else the resume line */
};

/* A driver: runs one stack of frames, root to innermost.  Caller-owned. */
struct gw_stack {
    gw_frame *_top;  /* the innermost live frame: the one the next resume enters */
    gw_frame *_root; /* the frame passed to gw_stack_start */
};

/* Results of gw_next(). */
enum gw_next_result {
    GW_RETURNED = 0, /* the root generator has finished; its `ret` is set */
    GW_YIELDED = 1   /* a value was stored in the slot given to GW_START */
};

/* Internal results of a resume function. */
#define GW__DONE    0
#define GW__YIELD   1
#define GW__PC_DONE (-1)

/*
 * Internal: GNU C builtins where the compiler has them, standard C
 * elsewhere (and wherever GW__GEN_PORTABLE is defined, so that a test can
 * build the fallback).  GW__LIKELY(x): x, with a hint that it is usually
 * true.  GW__BAD_PC(): the switch of GW_BEGIN reached with a _pc no macro
 * stored, which cannot happen; telling gcc so lets it drop the range check
 * in front of the jump table (UBSan reports it, -fsanitize=unreachable).
 * The fallback returns GW__DONE, as a finished frame does.
 */
#if defined(__GNUC__) && !defined(GW__GEN_PORTABLE)
#define GW__LIKELY(x) __builtin_expect(!!(x), 1)
#define GW__BAD_PC()  __builtin_unreachable()
#else
#define GW__LIKELY(x) (x)
#define GW__BAD_PC()  return GW__DONE
#endif

/*
 * GW_FRAME(Y): the first member of every generator frame; Y is the type of
 * the values it yields.  It declares the header `_gw` and `_out`, a pointer
 * to the driver's slot of type Y, shared by every frame of one stack; the
 * compiler rejects a yield-from between generators of different value types.
 */
#define GW_FRAME(Y)                                                                                \
    gw_frame _gw;                                                                                  \
    Y *_out

/*
 * GW_GENERATOR(T, cleanup): declares generator type T's resume function and
 * its descriptor.  `cleanup` is a `void f(gw_frame *)` or NULL.  Place it
 * before GW_BODY(T) and GW_INIT(.., T), at file scope.
 */
#define GW_GENERATOR(T, cleanup)                                                                   \
    static int T##__resume(gw_frame *gw__self, gw_stack *gw__st);                                  \
    static const gw_gen_type T##__type = {#T, __FILE__, (cleanup)}

/*
 * GW_BODY(T, s): the head of generator T's body function; `s` names the
 * frame (a T *) inside it.  Follow it with { GW_BEGIN(s); ... GW_END(s); }.
 */
#define GW_BODY(T, s)                                                                              \
    static int T##__body(T *s, gw_frame *gw__self, gw_stack *gw__st);                              \
    static int T##__resume(gw_frame *gw__self, gw_stack *gw__st)                                   \
    {                                                                                              \
        return T##__body((T *)(void *)gw__self, gw__self, gw__st);                                 \
    }                                                                                              \
    static int T##__body(T *s, gw_frame *gw__self, gw_stack *gw__st)

/* GW_INIT(s, T): makes *s a new, not yet started generator of type T.  Call it
 * first in T's init function; it does not touch T's own fields. */
#define GW_INIT(s, T) gw__frame_init(&(s)->_gw, T##__resume, &T##__type)

/* GW_BEGIN(s): first statement of a body.  Every value _pc can hold has
 * its case: GW__PC_DONE (a finished frame runs nothing more), 0 and the
 * resume lines; `default` is unreachable. */
#define GW_BEGIN(s)                                                                                \
    (void)(s);                                                                                     \
    (void)gw__st;                                                                                  \
    switch (gw__self->_pc) {                                                                       \
    default:                                                                                       \
        GW__BAD_PC();                                                                              \
    case GW__PC_DONE:                                                                              \
        return GW__DONE;                                                                           \
    case 0:

/* GW_END(s): last statement of a body.  Reaching it finishes the generator
 * with `ret` as it stands. */
#define GW_END(s)                                                                                  \
    }                                                                                              \
    gw__self->_pc = GW__PC_DONE;                                                                   \
    return GW__DONE

/* GW_YIELD(s, v): stores v in the driver's slot and suspends.  Suspends. */
#define GW_YIELD(s, v)                                                                             \
    do {                                                                                           \
        *(s)->_out = (v);                                                                          \
        gw__self->_pc = __LINE__;                                                                  \
        return GW__YIELD;                                                                          \
    case __LINE__:;                                                                                \
    } while (0)

/* GW_RETURN(s, v): sets s->ret = v and finishes the generator. */
#define GW_RETURN(s, v)                                                                            \
    do {                                                                                           \
        (s)->ret = (v);                                                                            \
        gw__self->_pc = GW__PC_DONE;                                                               \
        return GW__DONE;                                                                           \
    } while (0)

/* GW_EXIT(s): finishes a generator without touching `ret`. */
#define GW_EXIT(s)                                                                                 \
    do {                                                                                           \
        gw__self->_pc = GW__PC_DONE;                                                               \
        return GW__DONE;                                                                           \
    } while (0)

#define GW__CAT2(a, b) a##b
#define GW__CAT(a, b)  GW__CAT2(a, b)

/*
 * GW_YIELD_FROM(s, child): runs the initialised child frame `child` (a
 * pointer) until it finishes; every value it yields goes to the driver.
 * Afterwards child->ret holds its return value.  The child runs at once, in
 * the caller's C call, so a child that never yields costs one direct call and
 * never reaches the driver.  `child` is evaluated once; the compiler checks,
 * without evaluating anything, that the child yields the caller's value type.
 * `s` must be the body's frame name (rule 5): once the child finishes, the
 * macro assigns it again, the same pointer, read back from the stack.  May
 * suspend (as often as the child does).
 */
#define GW_YIELD_FROM(s, child)                                                                    \
    do {                                                                                           \
        (void)sizeof((child)->_out == (s)->_out); /* same value type: not evaluated */             \
        gw__self->_pc = __LINE__;                                                                  \
        if (gw__call(gw__st, &gw__self, gw__with_out(&(child)->_gw, (void *)(s)->_out)) !=         \
            GW__DONE)                                                                              \
            return GW__YIELD;                                                                      \
        s = (void *)gw__self;                                                                      \
        goto GW__CAT(gw__resumed_, __LINE__);                                                      \
    case __LINE__:                                                                                 \
        GW__CAT(gw__resumed_, __LINE__) :;                                                         \
    } while (0)

/*
 * GW_START(st, frame, slot): makes the initialised generator `frame` the root
 * of driver `st`; each yielded value will be stored in *slot, whose type must
 * be the frame's value type (checked by the compiler).  Does not run the
 * generator.  Each argument is evaluated once.
 */
#define GW_START(st, frame, slot)                                                                  \
    ((void)sizeof((frame)->_out == (slot)),                                                        \
     gw_stack_start((st), gw__with_out(&(frame)->_gw, (void *)(slot))))

/* Internal: the layout GW_FRAME gives every frame, whatever its value type
 * (genwire assumes, as POSIX platforms give, that object pointers of every
 * type share one representation). */
struct gw__frame_layout {
    gw_frame _gw;
    void *_out;
};

/* Internal: sets the driver's slot of frame f (its `_out`) and returns f, so
 * that the macros above evaluate their frame argument once. */
static inline gw_frame *gw__with_out(gw_frame *f, void *slot)
{
    memcpy((char *)f + offsetof(struct gw__frame_layout, _out), &slot, sizeof(slot));
    return f;
}

/* Internal: used by GW_INIT. */
static inline void gw__frame_init(gw_frame *f, gw_resume_fn resume, const gw_gen_type *type)
{
    f->_resume = resume;
    f->_caller = NULL;
    f->_type = type;
    f->_pc = 0;
}

/*
 * Internal: used by GW_YIELD_FROM.  Runs child until it yields or finishes;
 * *self is the parent frame.  Once the child has finished, the parent is
 * read back from the stack (a resume function that returns GW__DONE has
 * left st->_top at its own frame, whose _caller is the parent) and stored
 * in *self, so that the body keeps only `st` alive across the child's call:
 * one callee-saved register, which gcc then saves only on this path.  With
 * the parent kept as well, it saved two on every entry of the body, yield
 * path included (7 of the 20 instructions of bench-gen's link__resume).
 */
static inline int gw__call(gw_stack *st, gw_frame **self, gw_frame *child)
{
    child->_caller = *self;
    st->_top = child;
    if (child->_resume(child, st) != GW__DONE)
        return GW__YIELD;
    *self = st->_top->_caller;
    st->_top = *self;
    return GW__DONE;
}

/* gw_stack_start: see GW_START.  `root` becomes the root and innermost frame. */
void gw_stack_start(gw_stack *st, gw_frame *root);

/*
 * gw_next: resumes the stack's innermost suspended frame and runs until some
 * frame yields (GW_YIELDED: the value is in the slot) or the root finishes
 * (GW_RETURNED: root->ret is set; later calls return GW_RETURNED again).  The
 * cost does not depend on the nesting depth.  The first resume is written
 * apart from the loop, with the hint that it yields, so that the common call
 * is one indirect call and one test, with nothing jumped over.
 */
static inline int gw_next(gw_stack *st)
{
    gw_frame *f = st->_top;

    if (GW__LIKELY(f->_resume(f, st) != GW__DONE))
        return GW_YIELDED;
    for (;;) {
        if (f == st->_root)
            return GW_RETURNED;
        f = f->_caller;
        st->_top = f;
        if (f->_resume(f, st) != GW__DONE)
            return GW_YIELDED;
    }
}

/* gw_stack_done: nonzero once the root generator has finished or been closed. */
static inline int gw_stack_done(const gw_stack *st)
{
    return st->_root->_pc == GW__PC_DONE;
}

/*
 * gw_stack_close: abandons a suspended stack.  Runs the cleanup of every
 * frame that started and has not finished, innermost first, and marks each
 * one finished; later gw_next calls return GW_RETURNED without running
 * anything.  A no-op on a finished stack.  Never suspends.
 */
void gw_stack_close(gw_stack *st);

/* One live frame as a backtrace shows it. */
typedef struct gw_frame_info {
    const char *name; /* generator type name */
    const char *file; /* source file of its body */
    int line;         /* line where it is suspended; 0 if not started */
} gw_frame_info;

/*
 * gw_stack_backtrace: writes up to `max` entries describing the live frames,
 * innermost first, and returns how many frames are live (which may exceed
 * max).  Returns 0 for a finished stack.
 */
size_t gw_stack_backtrace(const gw_stack *st, gw_frame_info *out, size_t max);

/*
 * gw_stack_format_backtrace: writes the backtrace as text, one line per
 * frame ("#0 name at file:line\n"), NUL-terminated and truncated to fit
 * `len` bytes.  Returns the length the full text needs, as snprintf does.
 */
size_t gw_stack_format_backtrace(const gw_stack *st, char *buf, size_t len);

/* ---- An explicit stack for nested grammars -------------------------------- */

/*
 * A generator frame cannot contain a frame of its own type, so a grammar
 * that nests (RESP aggregates, JSON-like values) keeps its open levels on an
 * explicit stack instead of recursing, as hiredis's reader does.  A gw_nest
 * is that stack: fixed-size items, preallocated for the whole depth limit at
 * init, so pushing never allocates and a peer cannot make it grow past the
 * limit.  Items are the caller's own struct (say, the aggregate's type and
 * the count of elements still to come), stored by value.
 */
typedef struct gw_nest {
    unsigned char *items; /* max_depth * item_size bytes */
    size_t item_size;     /* bytes per item */
    size_t depth;         /* items in use: items[0] is the outermost level */
    size_t max_depth;     /* the depth limit: push fails beyond it */
    int owned;            /* items was allocated by gw_nest_init */
} gw_nest;

/*
 * gw_nest_init: a stack of at most max_depth items of item_size bytes, all
 * allocated now (with gw_malloc).  Returns 0, GW_EINVAL if either is 0 or
 * their product overflows, or GW_ENOMEM.  Never suspends.
 */
int gw_nest_init(gw_nest *n, size_t item_size, size_t max_depth);

/* gw_nest_init_mem: the same over the caller's memory of at least
 * item_size * max_depth bytes, suitably aligned for the items, which must
 * outlive the stack.  Never allocates, never fails. */
void gw_nest_init_mem(gw_nest *n, void *mem, size_t item_size, size_t max_depth);

/* gw_nest_fini: frees what gw_nest_init allocated.  Never suspends. */
void gw_nest_fini(gw_nest *n);

/*
 * gw_nest_push: opens a level and returns its item (uninitialised, to be
 * filled in by the caller), or NULL when the stack already holds max_depth
 * items: the caller reports its depth error (GW_ETOO_DEEP, or its own).
 */
static inline void *gw_nest_push(gw_nest *n)
{
    if (n->depth == n->max_depth)
        return NULL;
    return n->items + n->item_size * n->depth++;
}

/* gw_nest_top: the innermost open level's item, or NULL when empty. */
static inline void *gw_nest_top(const gw_nest *n)
{
    return n->depth > 0 ? n->items + n->item_size * (n->depth - 1) : NULL;
}

/* gw_nest_at: the item of level i (0 = outermost, i < depth). */
static inline void *gw_nest_at(const gw_nest *n, size_t i)
{
    return n->items + n->item_size * i;
}

/* gw_nest_pop: closes the innermost level; returns the new depth.  A no-op
 * on an empty stack. */
static inline size_t gw_nest_pop(gw_nest *n)
{
    if (n->depth > 0)
        n->depth--;
    return n->depth;
}

/* gw_nest_clear: closes every level (after an error, or for the next
 * message). */
static inline void gw_nest_clear(gw_nest *n)
{
    n->depth = 0;
}

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_GEN_H */
