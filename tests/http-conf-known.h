/* The cases where genwire and llhttp disagree, with genwire's outcome
 * (tests/http-conformance.md gives the RFC section for each); included by
 * test-http-conformance.c. */
static const known known_cases[] = {
    {"request/sample/010", O_ERROR, "no HTTP-version: HTTP/0.9 is not HTTP/1.1"},
    {"request/method/012", O_ERROR, "ICE/1.0 is not an HTTP-version"},
    {"request/method/013", O_ERROR, "RTSP/1.0 is not an HTTP-version"},
    {"request/method/014", O_ERROR, "RTSP/1.0 is not an HTTP-version"},
    {"request/method/005", O_ERROR, "asterisk-form is for OPTIONS only (RFC 9112 3.2.4)"},
    {"request/uri/010", O_ERROR, "userinfo in an absolute-form target (RFC 9110 4.2.4)"},
    {"request/connection/008", O_OK, "trailing HTAB is not part of a field value"},
    {"request/content-length/003", O_INCOMPLETE, "framing is judged on the complete head"},
    {"request/content-length/004", O_INCOMPLETE, "framing is judged on the complete head"},
    {"request/transfer-encoding/006", O_OK, "trailer fields are not merged into the head"},
    {"response/sample/002", O_ERROR, "RTSP/1.1 is not an HTTP-version"},
    {"response/sample/003", O_ERROR, "ICE/1.1 is not an HTTP-version"},
    {"response/sample/018", O_ERROR, "HTTP/0.9 has no status line"},
    {"response/finish/001", O_OK, "a close-delimited body ends at the close"},
};
