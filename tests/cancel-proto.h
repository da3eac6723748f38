/*
 * What the two files of the cancel-proto suite share
 * (tests/test-cancel-proto.c, tests/cancel-proto-resp.c): the allocation
 * count, the pipe helpers of the cases, and the RESP cases main runs.
 */
#ifndef CANCEL_PROTO_H
#define CANCEL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <genwire/io.h>

#include "gwt.h"

/* Blocks allocated through gw_malloc and not freed, counted while a case
 * runs: every teardown must bring it back to 0. */
extern long cp_live;

/* cp_feed_byte: feeds the next byte of in[0..len) (*pos fed so far) into
 * the pipe a reader waits on (w must be that wait), or ends it once all
 * was fed. */
void cp_feed_byte(gw_mempipe *p, const gw_wait *w, const uint8_t *in, size_t len, size_t *pos);

/* cp_take_bytes: takes what a writer waiting on the pipe (w, its wait) has
 * put in it, appending it to out. */
void cp_take_bytes(gw_mempipe *p, const gw_wait *w, gwt_result *out);

/* cp_take_rest: takes what is left in a writer's pipe once it finished. */
void cp_take_rest(gw_mempipe *p, gwt_result *out);

/* The RESP cases (tests/cancel-proto-resp.c). */
void test_resp_reader(void **state);
void test_resp_writer(void **state);
void test_resp_write_after_close(void **state);

#endif /* CANCEL_PROTO_H */
