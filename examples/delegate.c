/*
 * The seed's second example: gen() delegates to sub_gen(j) with yield-from
 * for j = 0, 1, 2, ... and returns the first j for which sub_gen returns true.
 * Prints one line per gw_next(), exactly
 * Value(0) Value(0) Value(1) Value(0) Value(1) Value(2) Return(3).
 */
#include <genwire/gen.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* sub_gen(n) -<u64>-> bool: yields 0..n-1, returns n == 3 */
typedef struct sub_gen {
    GW_FRAME(uint64_t);
    uint64_t n; /* how many values to yield */
    uint64_t i; /* the next value */
    bool ret;   /* the return value */
} sub_gen;

/* gen() -<u64>-> u64 */
typedef struct gen {
    GW_FRAME(uint64_t);
    uint64_t j;   /* the argument of the current sub_gen */
    sub_gen sub;  /* the child frame, nested by value */
    uint64_t ret; /* the return value */
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

static void gen_init(gen *s)
{
    GW_INIT(s, gen);
}

int main(void)
{
    uint64_t v;
    gen g;
    gw_stack st;

    gen_init(&g);
    GW_START(&st, &g, &v);
    while (gw_next(&st) == GW_YIELDED)
        printf("Value(%" PRIu64 ")\n", v);
    printf("Return(%" PRIu64 ")\n", g.ret);
    return 0;
}
