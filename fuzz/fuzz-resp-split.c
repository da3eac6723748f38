/*
 * Fuzz harness: the RESP event reader (parsers/resp/resp-read.c) fed in
 * input-chosen pieces.
 *
 * Input: byte 0 picks the bufreader capacity (8..71, or 4096 when its top
 * bit is set), byte 1 the limits (bits 0-1 max_depth 1..4 or default, bits
 * 2-3 max_bulk, bits 4-5 max_elements, bits 6-7 max_total), byte 2 the
 * feed schedule's seed and byte 3 its largest piece; the rest is RESP.
 *
 * Properties: every schedule gives the same events (pieces of a string
 * joined), error code and offset as the whole feed, and as plain memory;
 * every event keeps the limits; an error sticks.  The same for the reply
 * tree (each reply written back as RESP), whose long strings are read past
 * the small buffers straight into their blocks.
 */
#include "resp-common.h"

typedef void (*rz_decode_fn)(const uint8_t *in, size_t len, size_t brcap, const gw_resp_limits *lim,
                             uint64_t seed, unsigned maxpiece, fz_result *out);

/* decode over the input whole, under its schedule and from plain memory:
 * the three results must be the same. */
static void same_whatever_split(rz_decode_fn decode, const uint8_t *data, size_t size, size_t brcap,
                                const gw_resp_limits *lim, const char *what)
{
    fz_result whole, split, mem;

    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    memset(&mem, 0, sizeof(mem));
    decode(data + 4, size - 4, brcap, lim, 0, 0, &whole);
    decode(data + 4, size - 4, brcap, lim, data[2] | 0x100u, 1u + data[3], &split);
    fz_result_same(&whole, &split, what);
    decode(data + 4, size - 4, 0, lim, 0, 0, &mem);
    fz_result_same(&whole, &mem, what);
    fz_result_free(&whole);
    fz_result_free(&split);
    fz_result_free(&mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t bulks[4] = {0, 3, 40, 100};
    static const uint64_t elems[4] = {0, 1, 3, 8};
    static const uint64_t totals[4] = {0, 2, 5, 20};
    gw_resp_limits lim;
    size_t brcap;

    if (size < 4)
        return 0;
    brcap = data[0] & 0x80 ? 4096 : 8 + (data[0] & 0x3f);
    memset(&lim, 0, sizeof(lim));
    lim.max_depth = (data[1] & 3) == 3 ? 0 : (data[1] & 3) + 1u;
    lim.max_bulk = bulks[(data[1] >> 2) & 3];
    lim.max_elements = elems[(data[1] >> 4) & 3];
    lim.max_total = totals[(data[1] >> 6) & 3];
    /* The line limit the buffer imposes, made explicit, so that plain
     * memory (which has no such cap) reads the same. */
    lim.max_line = brcap - 3;
    same_whatever_split(rz_decode, data, size, brcap, &lim, "events");
    same_whatever_split(rz_tree_decode, data, size, brcap, &lim, "tree");
    return 0;
}
