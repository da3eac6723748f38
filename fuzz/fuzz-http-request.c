/*
 * Fuzz harness: the HTTP/1.1 request head parser (parsers/http/head.c) and
 * body framing (framing.c).  Input layout and properties: fuzz/http-common.h.
 */
#include "http-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return hz_run(GW_HTTP_REQUEST, data, size);
}
