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

/* X(name, value, message).  Values are stable: append, never renumber. */
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
    X(TOO_LARGE, -11, "request larger than the buffer")

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
