/*
 * genwire error codes.
 *
 * Every failure in genwire is a negative int taken from the one X-macro table
 * below; 0 means success.  gw_strerror() gives a sentence, gw_errname() the
 * symbolic name.  The library never prints and never exits: it returns these
 * codes, and the objects that detect an error keep it (with the byte offset
 * where it was found) so that every later call fails the same way.
 */
#ifndef GENWIRE_ERROR_H
#define GENWIRE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message).  Values are stable: append, never renumber.
 * Blocks by module, so that modules can add codes independently:
 *   -1 .. -36    the first layers (above);
 *   -37 .. -49   transport and gen primitives; -50 .. -59 network;
 *   -60 .. -79   HTTP/1.1; -80 .. -94 RESP; -95 .. -99 compression backends;
 *   -100 ..      the next modules. */
#define GW_ERRNO_MAP(X)                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(IO, -3, "input/output error")                                                                \
    X(UNEXPECTED_EOF, -4, "unexpected end of stream")                                              \
    X(CONNRESET, -5, "connection reset by peer")                                                   \
    X(PIPE, -6, "broken pipe: the reader has gone away")                                           \
    X(CLOSED, -7, "stream already closed")                                                         \
    X(CANCELLED, -8, "operation cancelled")                                                        \
    X(TIMEDOUT, -9, "operation timed out")                                                         \
    X(BUSY, -10, "an operation is already in progress")                                            \
    X(TOO_LARGE, -11, "request larger than the buffer")                                            \
    X(TRUNCATED, -12, "truncated: end of input inside a unit")                                     \
    X(RECORD_TOO_LARGE, -13, "record longer than the limit")                                       \
    X(LINE_TOO_LONG, -14, "line longer than the limit")                                            \
    X(TOO_MANY_EMPTY, -15, "too many consecutive empty records")                                   \
    X(VARINT, -16, "malformed varint: over 10 bytes or over 64 bits")                              \
    X(NETSTRING, -17, "malformed netstring length")                                                \
    X(NETSTRING_COMMA, -18, "netstring payload not followed by a comma")                           \
    X(CHUNK_SIZE, -19, "malformed chunk size")                                                     \
    X(CHUNK_EXT, -20, "malformed or oversized chunk extension")                                    \
    X(CHUNK_CRLF, -21, "chunked coding: CRLF expected")                                            \
    X(TRAILER, -22, "malformed or oversized trailer section")                                      \
    X(Z_HEADER, -23, "incorrect compressed stream header")                                         \
    X(Z_DATA, -24, "corrupt compressed data")                                                      \
    X(Z_CHECKSUM, -25, "compressed stream checksum mismatch")                                      \
    X(Z_LENGTH, -26, "compressed stream length check mismatch")                                    \
    X(TRAILING_DATA, -27, "bytes after the end of the stream")                                     \
    X(OUTPUT_LIMIT, -28, "decompressed output over the limit")                                     \
    X(RATIO_LIMIT, -29, "decompression ratio over the limit")                                      \
    X(CRYPT_AUTH, -30, "message forged or corrupted, or wrong key")                                \
    X(CRYPT_HEADER, -31, "bad encryption header")                                                  \
    X(CRYPT_LENGTH, -32, "encrypted message length out of range")                                  \
    X(CRYPT_AFTER_FINAL, -33, "data after the final message")                                      \
    X(KEY_FORMAT, -34, "key must be 64 hex digits and an optional newline")                        \
    X(KEY_PERMS, -35, "key file readable by group or others (chmod 600 it)")                       \
    X(LIBRARY, -36, "failure inside a library genwire uses")                                       \
    /* transport and gen primitives (include/genwire/parse.h, io.h, gen.h) */                      \
    X(TOO_DEEP, -37, "nesting deeper than the limit")                                              \
    X(NUMBER, -38, "malformed number: digits expected")                                            \
    X(NUMBER_RANGE, -39, "number out of range")                                                    \
    X(BARE_CR, -40, "CR not followed by LF")                                                       \
    X(BARE_LF, -41, "LF not preceded by CR")                                                       \
    X(RESP_TYPE, -80, "RESP: unknown type byte")                                                   \
    X(RESP_LENGTH, -81, "RESP: malformed length or count")                                         \
    X(RESP_INTEGER, -82, "RESP: malformed or out-of-range integer or big number")                  \
    X(RESP_DOUBLE, -83, "RESP: malformed double")                                                  \
    X(RESP_BOOL, -84, "RESP: malformed boolean")                                                   \
    X(RESP_CRLF, -85, "RESP: CRLF expected (a bare CR or LF, or no CRLF after a string)")          \
    X(RESP_DEPTH, -86, "RESP: aggregates nested deeper than the limit")                            \
    X(RESP_BULK_TOO_LARGE, -87, "RESP: string longer than the bulk limit")                         \
    X(RESP_TOO_MANY_ELEMENTS, -88, "RESP: aggregate with more elements than the limit")            \
    X(RESP_REPLY_TOO_LARGE, -89, "RESP: reply with more values than the limit")                    \
    X(RESP_LINE_TOO_LONG, -90, "RESP: simple line longer than the limit")                          \
    X(RESP_PUSH_NESTED, -91, "RESP: push message inside an aggregate")                             \
    X(RESP_STREAM, -92, "RESP: malformed streamed string or aggregate")                            \
    X(RESP_VERBATIM, -93, "RESP: verbatim string without a 3-byte format and colon")               \
    X(RESP_ATTRIBUTE, -94, "RESP: attributes not followed by a value")                             \
    GW__ERRNO_HTTP(X)                                                                              \
    GW__ERRNO_NET(X)

/* HTTP/1.1, -60 .. -79 (include/genwire/http.h). */
#define GW__ERRNO_HTTP(X)                                                                          \
    X(HTTP_METHOD, -60, "HTTP: malformed or unknown method")                                       \
    X(HTTP_TARGET, -61, "HTTP: invalid character in the request-target")                           \
    X(HTTP_VERSION, -62, "HTTP: malformed or unsupported HTTP version")                            \
    X(HTTP_STATUS, -63, "HTTP: malformed status line")                                             \
    X(HTTP_BARE_CR, -64, "HTTP: CR not followed by LF")                                            \
    X(HTTP_BARE_LF, -65, "HTTP: LF without CR before it")                                          \
    X(HTTP_FIELD_NAME, -66, "HTTP: invalid character in a field name")                             \
    X(HTTP_WS_BEFORE_COLON, -67, "HTTP: whitespace before colon")                                  \
    X(HTTP_OBS_FOLD, -68, "HTTP: line folding (a field line starting with whitespace)")            \
    X(HTTP_FIELD_VALUE, -69, "HTTP: invalid character in a field value")                           \
    X(HTTP_NO_COLON, -70, "HTTP: field line without a colon")                                      \
    X(HTTP_HEAD_TOO_LARGE, -71, "HTTP: head larger than the limit")                                \
    X(HTTP_TOO_MANY_FIELDS, -72, "HTTP: more field lines than the limit")                          \
    X(HTTP_TARGET_TOO_LONG, -73, "HTTP: request-target longer than the limit")                     \
    X(HTTP_CONTENT_LENGTH, -74, "HTTP: invalid or conflicting Content-Length")                     \
    X(HTTP_TRANSFER_ENCODING, -75, "HTTP: invalid Transfer-Encoding")                              \
    X(HTTP_TE_AND_CL, -76, "HTTP: Transfer-Encoding together with Content-Length")                 \
    X(HTTP_CODING, -77, "HTTP: unsupported content coding")                                        \
    X(HTTP_TOO_MANY_CODINGS, -78, "HTTP: more content codings than the limit")                     \
    X(HTTP_INVALID_FIELD, -79, "HTTP: name or value that cannot be written")                       \
    X(Z_BACKEND, -95, "compression backend not built into this genwire")

/* Network, -50 .. -59 (include/genwire/net.h). */
#define GW__ERRNO_NET(X)                                                                           \
    X(CONNREFUSED, -50, "connection refused")                                                      \
    X(UNREACHABLE, -51, "network or host unreachable")                                             \
    X(CONNECT_TIMEDOUT, -52, "connect timed out")                                                  \
    X(NAME_NOT_FOUND, -53, "host name not found")                                                  \
    X(RESOLVE, -54, "name resolution failed")                                                      \
    X(ADDRINUSE, -55, "address already in use")                                                    \
    X(ADDRESS, -56, "malformed address: expected host:port, [v6addr]:port or unix:PATH")           \
    X(MFILE, -57, "out of file descriptors")                                                       \
    X(CONNECT, -58, "connect failed")

/* The error codes: GW_ENOMEM, GW_EINVAL, ... */
enum gw_errno {
#define GW__ERR_ENUM(name, value, msg) GW_E##name = (value),
    GW_ERRNO_MAP(GW__ERR_ENUM)
#undef GW__ERR_ENUM
};

/*
 * gw_strerror: a static, human-readable sentence for an error code.  Never
 * returns NULL: 0 gives "success" and an unknown code "unknown error".
 */
const char *gw_strerror(int err);

/*
 * gw_errname: the symbolic name of an error code ("GW_EIO"), or "GW_OK" for 0,
 * or "GW_EUNKNOWN".  Static storage; never NULL.
 */
const char *gw_errname(int err);

#ifdef __cplusplus
}
#endif
#endif /* GENWIRE_ERROR_H */
