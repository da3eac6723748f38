/*
 * The split-point run of the HTTP head suites (http-split.h): one decode
 * under gwt_check_splits, and the loop over the parser's instruction-set
 * flavours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http-split.h"

int gw__http_isa_best(void);
int gw__http_set_isa(int want);

void hs_decode(gwt_feed *feed, gwt_result *out, void *ud)
{
    const hs_params *pp = ud;
    gw_http_field fields[128];
    gw_http_parser p;
    gw_http_head h;
    size_t end, k = 0;
    int r = 0;

    assert_int_equal(gw_http_parser_init(&p, pp->kind, fields, 128, pp->lim, pp->flags), 0);
    for (;;) {
        uint8_t *copy;

        end = k < feed->ncuts ? feed->cuts[k] : feed->len;
        copy = malloc(end + 1);
        assert_non_null(copy);
        memcpy(copy, feed->in, end);
        memset(&h, 0xa5, sizeof(h));
        r = gw_http_parse(&p, copy, end, &h);
        if (r > 0) {
            assert_true((size_t)r <= end);
            assert_ptr_equal(h.base, copy);
            pp->text(&h, out, pp->arg);
            /* Done: later calls refuse until reset. */
            assert_int_equal(gw_http_parse(&p, copy, end, &h), GW_EINVAL);
        } else if (r < 0) {
            out->err = r;
            out->off = p.err_off;
            assert_true(p.err_off <= end);
            /* The error sticks. */
            assert_int_equal(gw_http_parse(&p, copy, end, &h), r);
        } else {
            /* Incomplete: *h untouched. */
            assert_int_equal(((const uint8_t *)&h)[0], 0xa5);
        }
        free(copy);
        if (r != 0 || end == feed->len)
            break;
        k++;
    }
    if (r == 0)
        out->err = 1; /* incomplete at the end of the input */
}

void hs_run(const char *in, size_t len, const hs_params *pp, gwt_result *first)
{
    int best = gw__http_isa_best(), isa;

    for (isa = 1; isa <= best; isa++) {
        gwt_result r;

        gw__http_set_isa(isa);
        gwt_check_splits((const uint8_t *)in, len, hs_decode, (void *)pp, &r);
        if (isa == 1) {
            *first = r;
            continue;
        }
        if (r.err != first->err || r.off != first->off || r.len != first->len ||
            (r.len != 0 && memcmp(r.data, first->data, r.len) != 0))
            fail_msg("%.*s: flavour %d gives %s at %llu (%zu bytes), the portable one %s at "
                     "%llu (%zu bytes)",
                     (int)len, in, isa, r.err == 1 ? "incomplete" : gw_errname(r.err),
                     (unsigned long long)r.off, r.len,
                     first->err == 1 ? "incomplete" : gw_errname(first->err),
                     (unsigned long long)first->off, first->len);
        gwt_result_free(&r);
    }
    gw__http_set_isa(0);
}
