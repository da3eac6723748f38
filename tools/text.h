/*
 * Text helpers of the genwire command-line tool: UTF-8 validation, JSON
 * string escaping, base64 in both directions, hex, and a small parser for the
 * one-object-per-line JSON that `genwire encode --input json` reads.  Private
 * to tools/; the library has no use for them.
 */
#ifndef GW_TOOLS_TEXT_H
#define GW_TOOLS_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Nonzero if p[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
int tx_utf8_valid(const uint8_t *p, size_t n);

/* Bytes needed by tx_json_escape for n input bytes, at most. */
#define TX_JSON_ESCAPED_MAX(n) ((n)*6)

/* Writes p[0..n) (valid UTF-8) as the inside of a JSON string into out;
 * returns the length written. */
size_t tx_json_escape(const uint8_t *p, size_t n, char *out);

/* Bytes needed by tx_base64 for n input bytes. */
#define TX_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Writes the padded standard base64 of p[0..n) into out; returns its length. */
size_t tx_base64(const uint8_t *p, size_t n, char *out);

/* Decodes padded standard base64 (no whitespace); returns the decoded
 * length, or -1 if the text is not base64.  out needs n / 4 * 3 bytes. */
long tx_unbase64(const char *s, size_t n, uint8_t *out);

/* Writes the lowercase hex of p[0..n) into out (2n bytes). */
void tx_hex(const uint8_t *p, size_t n, char *out);

/* The payload of one JSON input line. */
typedef struct tx_record {
    uint8_t *data; /* decoded payload, in the caller's scratch buffer */
    size_t len;    /* its length */
} tx_record;

/*
 * Parses one JSON object from line[0..n) and takes the payload from its
 * "text" member (a string, written as UTF-8) or its "base64" member (a
 * base64 string); other members are skipped whatever their type.  scratch
 * must hold n bytes (a decoded payload is never longer than its JSON).
 * Returns 0, or -1 with a static reason in *why.
 */
int tx_json_record(const char *line, size_t n, uint8_t *scratch, tx_record *rec, const char **why);

/*
 * A cursor over one JSON object on one line, for the message layers'
 * encode input.  Every function returns 0 (or, where it says, 1) on
 * success and -1 on an error, whose static reason is then in c->why; a
 * decoded string is never longer than its JSON, so an output buffer of the
 * line's length always fits it.
 */
typedef struct tx_json {
    const char *s;   /* the line */
    size_t n, i;     /* its length, the read position */
    const char *why; /* the first error */
} tx_json;

/* Starts reading the object on line[0 .. n): its "{". */
int tx_json_begin(tx_json *c, const char *line, size_t n);
/* The next member's key (decoded, at most cap bytes kept, its whole length
 * in *klen), with the cursor at its value: 1; 0 at the object's end.
 * *first is 1 before the first member. */
int tx_json_key(tx_json *c, int *first, char *key, size_t cap, size_t *klen);
/* An array's "[", then each element: tx_json_elem is 1 with the cursor at
 * the next element, 0 at the "]" (*first 1 before the first). */
int tx_json_array(tx_json *c);
int tx_json_elem(tx_json *c, int *first);
/* A string value, decoded into out (NULL: skipped), its length in *len. */
int tx_json_string(tx_json *c, uint8_t *out, size_t *len);
/* A non-negative integer (no fraction, no exponent). */
int tx_json_uint(tx_json *c, uint64_t *v);
/* true or false. */
int tx_json_bool(tx_json *c, int *v);
/* Any value, skipped. */
int tx_json_skip(tx_json *c);
/* Nothing but whitespace after the object. */
int tx_json_end(tx_json *c);

#endif /* GW_TOOLS_TEXT_H */
