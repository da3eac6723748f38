/*
 * The RESP reader's strings that do not come whole (resp-read.c hands out
 * the rest): a bulk, blob error or verbatim string longer than the buffer,
 * handed out in pieces from state RS_STRING, and the chunks of a streamed
 * string (`$?`, then `;N` chunks ending with `;0`) from state RS_CHUNK.
 * Each piece is zero-copy out of the buffer; the last one is handed out
 * only together with its CRLF.
 */
#include <string.h>

#include "parsers/resp/resp-impl.h"

/* The payload of a string in state RS_STRING: hands out a piece of what is
 * buffered, the last one only together with its CRLF. */
int gw__resp_string_piece(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off,
                          size_t *need)
{
    gw_resp_event *ev = &rd->ev;
    size_t take, skip = 0;
    int last = 0;

    if (rd->_sfmt[3] == 1) {
        /* A verbatim string: its "fmt:" first. */
        if (n < 4) {
            *need = 4;
            return 0;
        }
        if (p[3] != ':')
            return gw__resp_fail(rd, GW_ERESP_VERBATIM, rd->_voff);
        memcpy(rd->_sfmt, p, 3);
        rd->_sfmt[3] = 0;
        rd->_left -= 4;
        skip = 4;
        p += 4;
        n -= 4;
        off += 4;
    }
    if (n >= rd->_left + 2) {
        take = (size_t)rd->_left;
        if (p[take] != '\r')
            return gw__resp_fail(rd, GW_ERESP_CRLF, off + take);
        if (p[take + 1] != '\n')
            return gw__resp_fail(rd, GW_ERESP_CRLF, off + take + 1);
        last = 1;
        rd->_consume = skip + take + 2;
    } else {
        if (n > rd->_left && p[rd->_left] != '\r')
            return gw__resp_fail(rd, GW_ERESP_CRLF, off + rd->_left);
        /* Keep the last payload byte back until its CRLF is here. */
        take = n < rd->_left ? n : rd->_left > 0 ? (size_t)rd->_left - 1 : 0;
        if (take == 0 && skip == 0) {
            *need = (size_t)rd->_left + 2 <= rd->_src->cap ? (size_t)rd->_left + 2 : n + 1;
            return 0;
        }
        rd->_consume = skip + take;
    }
    rd->_left -= take;
    ev->type = rd->_stype == '$' ? GW_RESP_BULK : rd->_stype;
    ev->flags = rd->_strlen != UINT64_MAX ? GW_RESP_STREAMED : 0;
    ev->depth = rd->_depth;
    ev->data = p;
    ev->len = take;
    ev->offset = rd->_voff;
    ev->wire = rd->_stype;
    memcpy(ev->fmt, rd->_sfmt, 4);
    if (!last || rd->_strlen != UINT64_MAX)
        ev->flags |= GW_RESP_MORE;
    if (last) {
        if (rd->_strlen != UINT64_MAX) {
            rd->_state = RS_CHUNK; /* the chunk ends; the string goes on */
        } else {
            rd->_state = RS_VALUE;
            gw__resp_complete(rd);
        }
    }
    return 1;
}

/* Streamed string: the `;N` header of the next chunk. */
int gw__resp_chunk_header(gw_resp_reader *rd, const uint8_t *p, size_t n, uint64_t off,
                          size_t *need)
{
    gw_resp_event *ev = &rd->ev;
    size_t eol;
    int64_t v;
    int r;

    if (p[0] != ';')
        return gw__resp_fail(rd, GW_ERESP_STREAM, off);
    if ((r = gw__resp_line(rd, p, n, off, &eol, need)) <= 0)
        return r;
    if (gw__resp_parse_len(p + 1, eol - 1, &v) < 0 || v < 0)
        return gw__resp_fail(rd, GW_ERESP_LENGTH, off);
    if ((uint64_t)v > rd->_lim.max_bulk - rd->_strlen)
        return gw__resp_fail(rd, GW_ERESP_BULK_TOO_LARGE, off);
    rd->_consume = eol + 2;
    if (v > 0) {
        rd->_strlen += (uint64_t)v;
        rd->_left = (uint64_t)v;
        rd->_state = RS_STRING;
        /* The chunk's payload follows in the next step; nothing to hand out
         * for the header itself. */
        return 2;
    }
    ev->type = GW_RESP_BULK;
    ev->flags = GW_RESP_STREAMED;
    ev->depth = rd->_depth;
    ev->data = p + eol + 2;
    ev->len = 0;
    ev->size = 0;
    ev->offset = rd->_voff;
    ev->wire = '$';
    rd->_state = RS_VALUE;
    rd->_strlen = UINT64_MAX;
    gw__resp_complete(rd);
    return 1;
}
