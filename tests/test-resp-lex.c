/*
 * Tests of the RESP reader's header numbers (parsers/resp/resp-impl.h,
 * resp-lex.c): the decimal header of an integer, a bulk length and an
 * aggregate count is read by a one-pass fast path (a word at a time where
 * 9 bytes are buffered) or, when that declines, by the line scan and the
 * checked parsers.  Every digit count from 1 to 20 is tried with every kind
 * of byte after the digits, each vector through expect_cfg (every split,
 * bufreader capacities 64 and 4096, plain memory), so that the paths are
 * held to one meaning: the same value, or the same error at the same
 * offset, however the bytes arrive.
 */
#include "resp-check.h"

/* The first k digits of a 20-digit run: every prefix of up to 19 is within
 * int64 (1234567890123456789 < 2^63). */
static const char digits20[] = "12345678901234567890";

/* What follows the digits, and what the reader must make of it. */
typedef enum { TAIL_CRLF, TAIL_BARE_CR, TAIL_BARE_LF, TAIL_BAD } tail_kind;

typedef struct tail {
    const char *bytes; /* after the digits (may hold a NUL: len says) */
    size_t len;
    tail_kind kind;
} tail;

static const tail tails[] = {
    {"\r\n", 2, TAIL_CRLF},  {"\rX", 2, TAIL_BARE_CR},    {"\n", 1, TAIL_BARE_LF},
    {"X\r\n", 3, TAIL_BAD},  {"\xfa\r\n", 3, TAIL_BAD},   {"\xff\r\n", 3, TAIL_BAD},
    {"/\r\n", 3, TAIL_BAD},  {":\r\n", 3, TAIL_BAD},      {" \r\n", 3, TAIL_BAD},
    {"\0\r\n", 3, TAIL_BAD}, {"\r\r\n", 3, TAIL_BARE_CR},
};

/* ":" sign, k digits, a tail, then ":7\r\n" and padding so that a value
 * has at least 9 bytes behind it where the tail lets it; checks the events
 * and the error against what the grammar says. */
static void check_integer(const char *sign, size_t k, const tail *tl)
{
    char in[96], want[128], num[32];
    size_t n = 0, s = strlen(sign), cr;
    unsigned long long v = 0;
    size_t i;

    in[n++] = ':';
    memcpy(in + n, sign, s);
    n += s;
    memcpy(in + n, digits20, k);
    n += k;
    memcpy(in + n, tl->bytes, tl->len);
    n += tl->len;
    memcpy(in + n, ":7\r\n", 4);
    n += 4;
    for (i = 0; i < k; i++)
        v = v * 10 + (unsigned)(digits20[i] - '0');
    snprintf(num, sizeof(num), "%s%llu", sign[0] == '-' ? "-" : "", v);
    cr = 1 + s + k; /* where the tail starts */
    switch (tl->kind) {
    case TAIL_CRLF:
        if (k <= 19) {
            snprintf(want, sizeof(want), "0:integer:%s|0:integer:7", num);
            expect_cfg(&(rcfg){0}, in, n, want, 0, 0);
        } else {
            expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_INTEGER, 0); /* out of range */
        }
        break;
    case TAIL_BARE_CR:
        /* A CR must be followed by LF: the byte after it is the error. */
        expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_CRLF, cr + 1);
        break;
    case TAIL_BARE_LF:
        expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_CRLF, cr);
        break;
    case TAIL_BAD:
        /* A line with a byte that is no digit: not an integer. */
        expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_INTEGER, 0);
        break;
    }
}

static void test_integer_headers(void **state)
{
    size_t k, t;

    (void)state;
    for (k = 1; k <= 20; k++)
        for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
            check_integer("", k, &tails[t]);
            check_integer("-", k, &tails[t]);
            check_integer("+", k, &tails[t]);
        }
    /* No digit at all. */
    expect(":\r\n", "", GW_ERESP_INTEGER, 0);
    expect(":-\r\n:1\r\n", "", GW_ERESP_INTEGER, 0);
    expect(":--1\r\n:12345\r\n", "", GW_ERESP_INTEGER, 0);
    /* Leading zeros are digits like any other. */
    expect(":0000000\r\n:00000001\r\n:000000000000000002\r\n",
           "0:integer:0|0:integer:1|0:integer:2", 0, 0);
}

/* Bulk lengths and aggregate counts of 1 to 19 digits: the short ones
 * read, the long ones refused by their limit or by the grammar (a length
 * is at most 18 digits), each at its type byte. */
static void test_length_headers(void **state)
{
    char in[128];
    size_t k, n;

    (void)state;
    for (k = 1; k <= 19; k++) {
        /* "$0...0N": k digits whose value is 5, then the payload. */
        n = (size_t)snprintf(in, sizeof(in), "$%0*d\r\nhello\r\n$1\r\nx\r\n", (int)k, 5);
        if (k <= 18)
            expect_cfg(&(rcfg){0}, in, n, "0:bulk:hello|0:bulk:x", 0, 0);
        else
            expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_LENGTH, 0);
        n = (size_t)snprintf(in, sizeof(in), "*%0*d\r\n:1\r\n:2\r\n:3\r\n", (int)k, 2);
        if (k <= 18)
            expect_cfg(&(rcfg){0}, in, n,
                       "0:array[2]|1:integer:1|1:integer:2|0:end:array|0:integer:3", 0, 0);
        else
            expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_LENGTH, 0);
        /* A length whose digits run into a bad byte. */
        n = (size_t)snprintf(in, sizeof(in), "$%0*dX\r\nhello\r\n", (int)k, 5);
        expect_cfg(&(rcfg){0}, in, n, "", GW_ERESP_LENGTH, 0);
    }
    /* The largest 18-digit length is a length, refused by the bulk limit. */
    expect("$999999999999999999\r\n", "", GW_ERESP_BULK_TOO_LARGE, 0);
    expect("*999999999999999999\r\n", "", GW_ERESP_TOO_MANY_ELEMENTS, 0);
    /* Lengths inside an aggregate take the same paths. */
    expect("*2\r\n$999999999\r\n", "0:array[2]", GW_ERESP_BULK_TOO_LARGE, 4);
    expect("*2\r\n$0000007\r\nabcdefg\r\n$1\r\nz\r\n",
           "0:array[2]|1:bulk:abcdefg|1:bulk:z|0:end:array", 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_headers),
        cmocka_unit_test(test_length_headers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
