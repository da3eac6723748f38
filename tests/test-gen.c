/*
 * Tests of the generator core (gen/gen.c, include/genwire/gen.h): the seed's
 * two examples, yield-from return values, O(1) resume at depth, the
 * driver's unwinding, close at every suspension point with cleanups
 * innermost first, backtraces, and the error table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genwire/error.h>
#include <genwire/gen.h>

/* Built twice (tests/meson.build): with gen.h's GNU C builtins, and as
 * test-gen-portable with GW__GEN_PORTABLE, on the standard C fallback. */
#ifdef GW__GEN_PORTABLE
#define GEN_GROUP "gen-portable"
#else
#define GEN_GROUP "gen"
#endif

/* ---- fib_with_sum -------------------------------------------------------- */

typedef struct fib {
    GW_FRAME(uint64_t);
    uint64_t n, i, a, b, sum; /* argument and loop state */
    uint64_t ret;             /* sum of the values yielded */
} fib;

GW_GENERATOR(fib, NULL);
GW_BODY(fib, s)
{
    GW_BEGIN(s);
    s->a = 0;
    s->b = 1;
    for (s->i = 0; s->i < s->n; s->i++) {
        uint64_t next;
        GW_YIELD(s, s->a);
        s->sum += s->a;
        next = s->a + s->b;
        s->a = s->b;
        s->b = next;
    }
    GW_RETURN(s, s->sum);
    GW_END(s);
}

static void fib_init(fib *s, uint64_t n)
{
    GW_INIT(s, fib);
    s->n = n;
    s->sum = 0;
}

static void test_fib(void **state)
{
    static const uint64_t want[] = {0, 1, 1, 2, 3};
    uint64_t v = 99;
    size_t k = 0;
    fib g;
    gw_stack st;

    (void)state;
    fib_init(&g, 5);
    GW_START(&st, &g, &v);
    while (gw_next(&st) == GW_YIELDED) {
        assert_true(k < 5);
        assert_int_equal(v, want[k++]);
    }
    assert_int_equal(k, 5);
    assert_int_equal(g.ret, 7);
    assert_true(gw_stack_done(&st));
    /* A finished stack stays finished. */
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(gw_next(&st), GW_RETURNED);

    fib_init(&g, 0);
    GW_START(&st, &g, &v);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(g.ret, 0);
}

/* ---- gen() delegating to sub_gen(j) -------------------------------------- */

typedef struct sub_gen {
    GW_FRAME(uint64_t);
    uint64_t n, i; /* argument, next value */
    bool ret;      /* n == 3 */
} sub_gen;

typedef struct gen {
    GW_FRAME(uint64_t);
    uint64_t j;   /* the current argument of sub_gen */
    sub_gen sub;  /* child frame */
    uint64_t ret; /* the j for which sub_gen returned true */
} gen;

GW_GENERATOR(sub_gen, NULL);
GW_GENERATOR(gen, NULL);

GW_BODY(sub_gen, s)
{
    GW_BEGIN(s);
    for (s->i = 0; s->i < s->n; s->i++)
        GW_YIELD(s, s->i);
    GW_RETURN(s, s->n == 3);
    GW_END(s);
}

static void sub_gen_init(sub_gen *s, uint64_t n)
{
    GW_INIT(s, sub_gen);
    s->n = n;
}

GW_BODY(gen, s)
{
    GW_BEGIN(s);
    for (s->j = 0;; s->j++) {
        sub_gen_init(&s->sub, s->j);
        GW_YIELD_FROM(s, &s->sub);
        if (s->sub.ret)
            GW_RETURN(s, s->j);
    }
    GW_END(s);
}

static void test_delegate(void **state)
{
    static const uint64_t want[] = {0, 0, 1, 0, 1, 2};
    uint64_t v;
    size_t k = 0;
    gen g;
    gw_stack st;

    (void)state;
    GW_INIT(&g, gen);
    GW_START(&st, &g, &v);
    while (gw_next(&st) == GW_YIELDED) {
        assert_true(k < 6);
        assert_int_equal(v, want[k++]);
    }
    assert_int_equal(k, 6);
    assert_int_equal(g.ret, 3);
}

/* ---- depth: a chain of relays -------------------------------------------- */

/* relay: yields from its child if it has one, else yields 0..n-1 itself,
 * counting every entry into its body. */
typedef struct relay {
    GW_FRAME(uint64_t);
    struct relay *child; /* next frame down, or NULL for the leaf */
    uint64_t n, i;       /* leaf: how many values, next value */
    unsigned *entries;   /* incremented on every resume of this frame */
    const char *tag;     /* cleanup log entry */
    char **log;          /* where cleanup appends tag */
    void *mem;           /* leaf: a buffer held while suspended */
    uint64_t ret;        /* leaf: n; relays: child's ret + 1 */
} relay;

static void relay_cleanup(gw_frame *f)
{
    relay *s = (relay *)(void *)f;

    if (s->log != NULL) {
        **s->log = s->tag[0];
        (*s->log)++;
    }
    free(s->mem);
    s->mem = NULL;
}

GW_GENERATOR(relay, relay_cleanup);
GW_BODY(relay, s)
{
    if (s->entries != NULL)
        (*s->entries)++;
    GW_BEGIN(s);
    if (s->child != NULL) {
        GW_YIELD_FROM(s, s->child);
        GW_RETURN(s, s->child->ret + 1);
    }
    for (s->i = 0; s->i < s->n; s->i++) {
        s->mem = malloc(16);
        GW_YIELD(s, s->i);
        free(s->mem);
        s->mem = NULL;
    }
    GW_RETURN(s, s->n);
    GW_END(s);
}

static void relay_init(relay *s, relay *child, uint64_t n, unsigned *entries)
{
    GW_INIT(s, relay);
    s->child = child;
    s->n = n;
    s->entries = entries;
    s->tag = "?";
    s->log = NULL;
    s->mem = NULL;
    s->ret = 0;
}

/* Builds a chain of depth frames in fr[0..depth): fr[0] is the root. */
static void chain_init(relay *fr, size_t depth, uint64_t n, unsigned *entries)
{
    size_t i;

    for (i = depth; i-- > 0;)
        relay_init(&fr[i], i + 1 < depth ? &fr[i + 1] : NULL, n, entries ? &entries[i] : NULL);
}

/* Property 2: once the chain is built, each further value enters only the
 * innermost frame, whatever the depth. */
static void test_resume_is_o1(void **state)
{
    static const size_t depths[] = {1, 2, 16, 64};
    size_t d, i;

    (void)state;
    for (d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
        size_t depth = depths[d];
        relay *fr = calloc(depth, sizeof(*fr));
        unsigned *entries = calloc(depth, sizeof(*entries));
        uint64_t v, k;
        gw_stack st;

        chain_init(fr, depth, 100, entries);
        GW_START(&st, &fr[0], &v);
        assert_int_equal(gw_next(&st), GW_YIELDED);
        assert_int_equal(v, 0);
        for (i = 0; i < depth; i++)
            assert_int_equal(entries[i], 1);
        for (k = 1; k < 100; k++) {
            assert_int_equal(gw_next(&st), GW_YIELDED);
            assert_int_equal(v, k);
        }
        /* The leaf ran 100 times; nothing above it ran again. */
        assert_int_equal(entries[depth - 1], 100);
        for (i = 0; i + 1 < depth; i++)
            assert_int_equal(entries[i], 1);
        /* Finishing unwinds through each frame once. */
        assert_int_equal(gw_next(&st), GW_RETURNED);
        assert_int_equal(fr[0].ret, 100 + depth - 1);
        for (i = 0; i + 1 < depth; i++)
            assert_int_equal(entries[i], 2);
        free(entries);
        free(fr);
    }
}

/* A child that finishes without yielding runs inside its parent's call and
 * never makes the driver return. */
static void test_yield_from_finished_child(void **state)
{
    relay fr[3];
    uint64_t v;
    gw_stack st;

    (void)state;
    chain_init(fr, 3, 0, NULL);
    GW_START(&st, &fr[0], &v);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_int_equal(fr[0].ret, 2);
}

/* step: yields `n` values from `base` up (or yields from its child first,
 * if it has one), counting each pass after GW_BEGIN in *after. */
typedef struct step {
    GW_FRAME(uint64_t);
    struct step *child; /* yielded from first, or NULL */
    uint64_t base, n, i;
    unsigned *after; /* incremented by every resume that reaches the body */
    uint64_t ret;    /* values yielded by this frame itself; 99 before */
} step;

GW_GENERATOR(step, NULL);
GW_BODY(step, s)
{
    GW_BEGIN(s);
    (*s->after)++;
    if (s->child != NULL)
        GW_YIELD_FROM(s, s->child);
    for (s->i = 0; s->i < s->n; s->i++) {
        GW_YIELD(s, s->base + s->i);
        (*s->after)++;
    }
    GW_RETURN(s, s->n);
    GW_END(s);
}

static void step_init(step *s, step *child, uint64_t base, uint64_t n, unsigned *after)
{
    GW_INIT(s, step);
    s->child = child;
    s->base = base;
    s->n = n;
    s->after = after;
    s->ret = 99;
}

/* One gw_next unwinds through two finished frames and returns the value
 * their caller yields next; a finished or closed stack then runs no body
 * again, however often it is resumed. */
static void test_unwind_then_yield(void **state)
{
    static const uint64_t want[] = {10, 20, 21};
    step fr[3];
    unsigned after = 0;
    uint64_t v = 0;
    gw_stack st;
    size_t k, i;

    (void)state;
    step_init(&fr[2], NULL, 10, 1, &after);   /* leaf: 10 */
    step_init(&fr[1], &fr[2], 0, 0, &after);  /* middle: nothing of its own */
    step_init(&fr[0], &fr[1], 20, 2, &after); /* root: 20, 21 */
    GW_START(&st, &fr[0], &v);
    for (k = 0; k < 3; k++) {
        assert_int_equal(gw_next(&st), GW_YIELDED);
        assert_int_equal(v, want[k]);
    }
    /* The second value came after the leaf and the middle finished. */
    assert_true(fr[2].ret == 1 && fr[1].ret == 0 && fr[0].ret == 99);
    assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_true(fr[0].ret == 2 && after == 6);
    v = 7;
    for (i = 0; i < 3; i++)
        assert_int_equal(gw_next(&st), GW_RETURNED);
    assert_true(after == 6 && v == 7 && fr[0].ret == 2);

    /* A child that finishes at once: its parent goes on in the same call. */
    step_init(&fr[1], NULL, 0, 0, &after);
    step_init(&fr[0], &fr[1], 20, 1, &after);
    GW_START(&st, &fr[0], &v);
    assert_true(gw_next(&st) == GW_YIELDED && v == 20 && fr[1].ret == 0);
    assert_true(gw_next(&st) == GW_RETURNED && fr[0].ret == 1);

    /* Closed while the leaf is suspended, and while nothing has started. */
    for (k = 0; k < 2; k++) {
        after = 0;
        step_init(&fr[1], NULL, 10, 3, &after);
        step_init(&fr[0], &fr[1], 0, 1, &after);
        GW_START(&st, &fr[0], &v);
        if (k == 0) {
            assert_int_equal(gw_next(&st), GW_YIELDED);
            assert_int_equal(v, 10);
        }
        gw_stack_close(&st);
        v = 7;
        for (i = 0; i < 3; i++)
            assert_int_equal(gw_next(&st), GW_RETURNED);
        assert_int_equal(after, k == 0 ? 2 : 0);
        assert_true(v == 7 && fr[0].ret == 99 && fr[1].ret == 99);
    }
}

/* Property 4: close at every suspension point runs every live frame's
 * cleanup, innermost first, and frees what they held (LeakSanitizer and
 * valgrind check the frees). */
static void test_close_at_every_point(void **state)
{
    static const char *tags[] = {"a", "b", "c", "d"};
    uint64_t steps;

    (void)state;
    for (steps = 0; steps <= 5; steps++) {
        relay fr[4];
        char logbuf[8] = {0}, *log = logbuf;
        uint64_t v, k;
        gw_stack st;
        size_t i;

        chain_init(fr, 4, 4, NULL);
        for (i = 0; i < 4; i++) {
            fr[i].tag = tags[i];
            fr[i].log = &log;
        }
        GW_START(&st, &fr[0], &v);
        for (k = 0; k < steps; k++)
            gw_next(&st);
        gw_stack_close(&st);
        if (steps == 0 || steps == 5)
            assert_string_equal(logbuf, ""); /* not started, or finished */
        else
            assert_string_equal(logbuf, "dcba");
        assert_true(gw_stack_done(&st));
        assert_int_equal(gw_next(&st), GW_RETURNED);
        for (i = 0; i < 4; i++)
            assert_null(fr[i].mem);
        /* Closing twice is harmless. */
        gw_stack_close(&st);
        assert_int_equal(strlen(logbuf), steps == 0 || steps == 5 ? 0 : 4);
    }
}

/* Property 5: each suspended frame says its function and resume line. */
static void test_backtrace(void **state)
{
    relay fr[3];
    gw_frame_info info[4];
    char text[512];
    uint64_t v;
    gw_stack st;
    size_t n, need;

    (void)state;
    chain_init(fr, 3, 2, NULL);
    GW_START(&st, &fr[0], &v);
    assert_int_equal(gw_stack_backtrace(&st, info, 4), 1); /* not started: the root only */
    assert_int_equal(info[0].line, 0);
    gw_next(&st);
    n = gw_stack_backtrace(&st, info, 4);
    assert_int_equal(n, 3);
    assert_string_equal(info[0].name, "relay");
    assert_non_null(strstr(info[0].file, "test-gen.c"));
    assert_true(info[0].line > 0);
    /* The two relays wait at the same yield-from line, the leaf elsewhere. */
    assert_int_equal(info[1].line, info[2].line);
    assert_true(info[0].line != info[1].line);
    assert_int_equal(gw_stack_backtrace(&st, info, 1), 3); /* truncated but counted */

    need = gw_stack_format_backtrace(&st, text, sizeof(text));
    assert_int_equal(need, strlen(text));
    assert_non_null(strstr(text, "#0 relay at "));
    assert_non_null(strstr(text, "#2 relay at "));
    assert_int_equal(gw_stack_format_backtrace(&st, text, 10), need);
    assert_int_equal(strlen(text), 9);

    gw_stack_close(&st);
    assert_int_equal(gw_stack_backtrace(&st, info, 4), 0);
}

static void test_errors(void **state)
{
    (void)state;
    assert_string_equal(gw_strerror(0), "success");
    assert_string_equal(gw_strerror(GW_EUNEXPECTED_EOF), "unexpected end of stream");
    assert_string_equal(gw_errname(GW_ECONNRESET), "GW_ECONNRESET");
    assert_string_equal(gw_errname(0), "GW_OK");
    assert_string_equal(gw_strerror(-12345), "unknown error");
    assert_string_equal(gw_errname(-12345), "GW_EUNKNOWN");
}

/* ---- what the macros evaluate, and when ------------------------------------ */

/* A parent whose child argument and whose prologue are counted: each
 * argument of a macro is evaluated once, and the code before GW_BEGIN runs
 * on every resume (gen.h says both). */
typedef struct counted {
    GW_FRAME(uint64_t);
    sub_gen sub;          /* the child */
    unsigned child_evals; /* how many times the child expression ran */
    unsigned prologues;   /* how many times the code before GW_BEGIN ran */
    unsigned yields;      /* how many values the child's yield argument computed */
    uint64_t ret;
} counted;

static sub_gen *child_of(counted *s)
{
    s->child_evals++;
    return &s->sub;
}

static uint64_t counted_value(counted *s, uint64_t v)
{
    s->yields++;
    return v;
}

GW_GENERATOR(counted, NULL);
GW_BODY(counted, s)
{
    s->prologues++;
    GW_BEGIN(s);
    sub_gen_init(&s->sub, 3);
    GW_YIELD_FROM(s, child_of(s));
    GW_YIELD(s, counted_value(s, 9));
    GW_RETURN(s, s->sub.ret);
    GW_END(s);
}

static counted *frame_evals(counted *c, unsigned *n)
{
    ++*n;
    return c;
}

static void test_macro_arguments_once(void **state)
{
    counted c;
    uint64_t v, *slot = &v;
    unsigned frames = 0, k = 0;
    gw_stack st;

    (void)state;
    GW_INIT(&c, counted);
    c.child_evals = c.prologues = c.yields = 0;
    GW_START(&st, frame_evals(&c, &frames), slot++);
    assert_int_equal(frames, 1);
    assert_ptr_equal(slot, &v + 1); /* the slot argument too */
    while (gw_next(&st) == GW_YIELDED)
        k++;
    assert_int_equal(k, 4); /* 0 1 2 from the child, then 9 */
    assert_int_equal(v, 9);
    assert_int_equal(c.ret, 1);
    assert_int_equal(c.child_evals, 1);
    assert_int_equal(c.yields, 1);
    /* Entered at the start and after each of the 4 yields; the child's
     * resumes go straight to the child (O(1)), except the one after which
     * it finished, which the driver hands back to the parent. */
    assert_int_equal(c.prologues, 3);
}

/* ---- the explicit stack for nested grammars ----------------------------- */

/* One open aggregate of a RESP-like grammar: its type and what is left. */
typedef struct level {
    char type;
    uint32_t left;
} level;

/* Counts the leaves of a prefix-coded tree ('a' then a count, or 'x' for a
 * leaf, e.g. "a2xa1x") without recursion, within the depth limit; returns
 * the leaf count, or GW_ETOO_DEEP / GW_EINVAL. */
static int count_leaves(gw_nest *n, const char *p)
{
    int leaves = 0;
    level *top;

    gw_nest_clear(n);
    for (; *p != '\0'; p++) {
        if (*p == 'a') {
            if ((top = gw_nest_push(n)) == NULL)
                return GW_ETOO_DEEP;
            top->type = 'a';
            top->left = (uint32_t)(*++p - '0');
            if (top->left > 0)
                continue;
            gw_nest_pop(n);
        } else if (*p == 'x') {
            leaves++;
        } else {
            return GW_EINVAL;
        }
        /* An element ended: close every aggregate it completes. */
        while ((top = gw_nest_top(n)) != NULL && --top->left == 0)
            gw_nest_pop(n);
        if (gw_nest_top(n) == NULL && p[1] != '\0')
            return GW_EINVAL; /* more than one value */
    }
    return gw_nest_top(n) == NULL ? leaves : GW_EINVAL;
}

static void test_nest(void **state)
{
    level mem[3];
    gw_nest n;

    (void)state;
    assert_int_equal(gw_nest_init(&n, sizeof(level), 4), 0);
    assert_int_equal(count_leaves(&n, "x"), 1);
    assert_int_equal(count_leaves(&n, "a2xa1x"), 2);
    assert_int_equal(count_leaves(&n, "a2a2xxa0"), 2);
    assert_int_equal(count_leaves(&n, "a1a1a1a1x"), 1);              /* depth 4: the limit */
    assert_int_equal(count_leaves(&n, "a1a1a1a1a1x"), GW_ETOO_DEEP); /* depth 5 */
    assert_int_equal(count_leaves(&n, "a2x"), GW_EINVAL);            /* an element missing */
    assert_int_equal(n.max_depth, 4);
    /* Items are stored by value, outermost first. */
    gw_nest_clear(&n);
    ((level *)gw_nest_push(&n))->type = 'o';
    ((level *)gw_nest_push(&n))->type = 'i';
    assert_int_equal(((level *)gw_nest_at(&n, 0))->type, 'o');
    assert_int_equal(((level *)gw_nest_top(&n))->type, 'i');
    assert_int_equal(gw_nest_pop(&n), 1);
    assert_int_equal(gw_nest_pop(&n), 0);
    assert_int_equal(gw_nest_pop(&n), 0); /* popping an empty stack is a no-op */
    assert_null(gw_nest_top(&n));
    gw_nest_fini(&n);
    gw_nest_fini(&n); /* twice is harmless */

    /* Bad sizes; the caller's memory. */
    assert_int_equal(gw_nest_init(&n, 0, 4), GW_EINVAL);
    assert_int_equal(gw_nest_init(&n, sizeof(level), 0), GW_EINVAL);
    assert_int_equal(gw_nest_init(&n, SIZE_MAX / 2, 3), GW_EINVAL);
    gw_nest_init_mem(&n, mem, sizeof(level), 3);
    assert_int_equal(count_leaves(&n, "a1a1a1x"), 1);
    assert_int_equal(count_leaves(&n, "a1a1a1a1x"), GW_ETOO_DEEP);
    gw_nest_fini(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fib),
        cmocka_unit_test(test_delegate),
        cmocka_unit_test(test_resume_is_o1),
        cmocka_unit_test(test_yield_from_finished_child),
        cmocka_unit_test(test_unwind_then_yield),
        cmocka_unit_test(test_close_at_every_point),
        cmocka_unit_test(test_backtrace),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nest),
        cmocka_unit_test(test_macro_arguments_once),
    };

    return cmocka_run_group_tests_name(GEN_GROUP, tests, NULL, NULL);
}
