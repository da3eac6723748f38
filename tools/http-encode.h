/*
 * The encode half of the HTTP message layers' adapter (tools/http-encode.c),
 * for http.c, which holds the adapter's table entry.  Private to tools/.
 */
#ifndef GW_TOOLS_HTTP_ENCODE_H
#define GW_TOOLS_HTTP_ENCODE_H

#include <stddef.h>

#include "tool.h"

/* The layer_ops entries of encode (see tool.h). */
int http_open_encode(layer *l, gw_writer *dst, job *j);
stage *http_encode_start(layer *l, job *j);
/* The encode error in l, if any, into buf: 1, or 0 when there is none. */
int http_encode_error(const layer *l, char *buf, size_t len);
/* Releases what http_open_encode made. */
void http_encode_close(layer *l);

#endif /* GW_TOOLS_HTTP_ENCODE_H */
