/*
 * The seed's first example: fib_with_sum(n) yields the first n Fibonacci
 * numbers and returns their sum.  Prints one line per gw_next(), exactly
 * Value(0) Value(1) Value(1) Value(2) Value(3) Return(7) for the default n = 5.
 * Usage: fib [N]
 */
#include <genwire/gen.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* fib_with_sum(n) -<u64>-> u64 */
typedef struct fib_with_sum {
    GW_FRAME(uint64_t);
    uint64_t n;   /* how many values to yield */
    uint64_t i;   /* values yielded so far */
    uint64_t a;   /* the current Fibonacci number */
    uint64_t b;   /* the next one */
    uint64_t sum; /* sum of the values yielded */
    uint64_t ret; /* the return value: sum */
} fib_with_sum;

GW_GENERATOR(fib_with_sum, NULL);

GW_BODY(fib_with_sum, s)
{
    GW_BEGIN(s);
    s->a = 0;
    s->b = 1;
    s->sum = 0;
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

static void fib_with_sum_init(fib_with_sum *s, uint64_t n)
{
    GW_INIT(s, fib_with_sum);
    s->n = n;
}

int main(int argc, char **argv)
{
    uint64_t n = 5, v;
    fib_with_sum g;
    gw_stack st;

    if (argc > 2 || (argc == 2 && (argv[1][0] < '0' || argv[1][0] > '9'))) {
        fprintf(stderr, "usage: fib [N]\n");
        return 2;
    }
    if (argc == 2)
        n = strtoull(argv[1], NULL, 10);
    fib_with_sum_init(&g, n);
    GW_START(&st, &g, &v);
    while (gw_next(&st) == GW_YIELDED)
        printf("Value(%" PRIu64 ")\n", v);
    printf("Return(%" PRIu64 ")\n", g.ret);
    return 0;
}
