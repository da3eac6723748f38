/*
 * The http-message suite's cases that live outside tests/test-http-message.c
 * (tests/http-message-limits.c: the reader's limits and what its results
 * say, whatever the split), so that its main can list them.
 */
#ifndef GW_TEST_HTTP_MESSAGE_H
#define GW_TEST_HTTP_MESSAGE_H

void test_reader_empty_lines_outside_head(void **state);
void test_reader_max_head_is_the_buffer(void **state);

#endif
