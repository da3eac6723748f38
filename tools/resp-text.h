/*
 * RESP as text, for the genwire tool's `resp` layer and for
 * examples/resp-cli: a reply as one line of JSON in the lossless mapping of
 * docs/resp.md, and a command line split into arguments as redis-cli
 * splits it.
 */
#ifndef GW_TOOLS_RESP_TEXT_H
#define GW_TOOLS_RESP_TEXT_H

#include <stddef.h>

#include <genwire/resp.h>

/* An upper bound of the length of resp_json(v). */
size_t resp_json_bound(const gw_resp_value *v);

/* Writes v as JSON (no newline) into out, which holds at least
 * resp_json_bound(v) bytes; returns the length written. */
size_t resp_json(const gw_resp_value *v, char *out);

/*
 * Splits line[0..n) as redis-cli does: arguments separated by spaces or
 * tabs; "double quotes" with the escapes \n \r \t \b \a \\ \" \xHH (any
 * other \c is c); 'single quotes' with \' only; a closing quote must be
 * followed by a space or the end.  argv[i] / argl[i] point at the
 * arguments: an unquoted one is line's own bytes (so line must stay as it
 * is while they are used), a quoted one is written, unescaped, into buf (at
 * least n bytes).
 * Returns the count (at most max), or -1 for unbalanced quotes or a closing
 * quote followed by something else, or -2 for more than max arguments.
 */
long resp_split(const char *line, size_t n, char *buf, const char **argv, size_t *argl, size_t max);

#endif /* GW_TOOLS_RESP_TEXT_H */
