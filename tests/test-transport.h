/*
 * Shared by the transport suite's files (tests/test-transport.c,
 * transport-edges.c): the cases transport-edges.c defines for
 * test-transport.c's list.
 */
#ifndef GW_TEST_TRANSPORT_H
#define GW_TEST_TRANSPORT_H

void test_fd_read_error_offset(void **state);
void test_empty_and_null_buffers(void **state);
void test_mempipe_finish_wakes_writer(void **state);
void test_zeroed_bufreader(void **state);
void test_zeroed_fdio_fini(void **state);

#endif /* GW_TEST_TRANSPORT_H */
