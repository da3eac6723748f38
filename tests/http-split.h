/*
 * The split-point run of the HTTP head suites (test-http, test-http-strict),
 * written once: a head parser fed each piece of gwt_check_splits' feed with
 * every byte so far at a fresh address (so the spans found before must
 * follow the bytes), and the whole run repeated under every instruction-set
 * flavour the CPU has, which must all agree.  What a complete head turns
 * into is the suite's own: its `text` function writes it to the result.
 */
#ifndef GW_TESTS_HTTP_SPLIT_H
#define GW_TESTS_HTTP_SPLIT_H

#include <stddef.h>

#include <genwire/http.h>

#include "gwt.h"

/* How one parse runs, and what a complete head is written as. */
typedef struct hs_params {
    gw_http_kind kind;
    unsigned flags;            /* gw_http_parser_init flags */
    const gw_http_limits *lim; /* NULL: the defaults */
    /* Writes the complete head h to out; may set out->err and out->off
     * (an error found in the head after it parsed, as its framing). */
    void (*text)(const gw_http_head *h, gwt_result *out, const void *arg);
    const void *arg; /* handed to text */
} hs_params;

/* The decode under gwt_check_splits (ud: a const hs_params *).  Checks on
 * the way: a complete head's base is the copy parsed and later calls
 * refuse it (GW_EINVAL) until reset; an error is at an offset within the
 * bytes and sticks; an incomplete parse leaves the caller's head untouched.
 * Ends with out->err 1 if the input ends before the head does. */
void hs_decode(gwt_feed *feed, gwt_result *out, void *ud);

/* Runs in[0 .. len) through hs_decode at every split under every flavour,
 * checks that every flavour gives the same result, and returns the first
 * flavour's in *first (the caller frees it with gwt_result_free). */
void hs_run(const char *in, size_t len, const hs_params *pp, gwt_result *first);

#endif /* GW_TESTS_HTTP_SPLIT_H */
