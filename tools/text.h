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

#endif /* GW_TOOLS_TEXT_H */
