/*
 * The body of the HTTP head parser, included by parsers/http/head.c once
 * per instruction set with these macros defined:
 *   GW__HT_FN           the name of the function to define;
 *   GW__HT_ATTR         its attributes (a target, or nothing);
 *   GW__HT_SCAN_CTL     the control-byte scanner (scan.h) to inline;
 *   GW__HT_SCAN_TARGET  the request-target scanner to inline;
 *   GW__HT_SCAN_NAME    the field-name (tchar) scanner to inline;
 *   GW__HT_LINE_MASKS   optional: a function as gw__line_masks_avx2
 *                       (scan.h), for the fast path of whole field lines.
 * Not a header of its own: it has no include guard on purpose.
 *
 * The states (p->_state), each resumed at p->_pos, and what moves on:
 *
 *   HS_LEAD ----> HS_METHOD -> HS_TARGET -> HS_RVERSION --+
 *     |  ^  (empty lines skipped)                         |
 *     |  +----                                            v
 *     +-------> HS_SVERSION -> HS_REASON -----------> HS_NAME <--+
 *                                                     |   |      |
 *                                   (empty line) done-+   +-> HS_VALUE
 *
 * A state that reads a short fixed part (method, versions, status) rescans
 * it from its start on resume: at most 20 bytes.  The states that read
 * parts of any length (target, reason, name, value) keep their scan
 * position in p->_pos, so no byte is examined twice across calls.
 */

static GW__HT_ATTR int GW__HT_FN(gw_http_parser *p, const uint8_t *buf, size_t len, gw_http_head *h)
{
    size_t full = len, pos = p->_pos, line = p->_line, i;
    const uint8_t *q;
    int r;

    if (len > p->lim.max_head)
        len = p->lim.max_head;
    switch (p->_state) {
    case HS_LEAD:
        goto lead;
    case HS_METHOD:
        goto method;
    case HS_TARGET:
        goto target;
    case HS_RVERSION:
        goto rversion;
    case HS_SVERSION:
        goto sversion;
    case HS_REASON:
        goto reason;
    case HS_LINE:
        goto fieldline;
    case HS_NAME:
        goto name;
    case HS_VALUE:
        goto value;
    default:
        return GW_EINVAL;
    }

lead:
    /* At the start of a line before the start line: an empty line is
     * skipped, anything else starts the start line. */
    line = pos;
    if (pos >= len)
        SUSPEND(HS_LEAD);
    if (buf[pos] == '\r' || buf[pos] == '\n') {
        r = gw__http_eol(p, buf, len, pos, &pos);
        if (r < 0)
            goto fail;
        if (r == 0)
            SUSPEND(HS_LEAD);
        goto lead;
    }
    p->_h.lead = line;
    if (p->kind == GW_HTTP_RESPONSE)
        goto sversion;

method:
    /* method SP.  Every error is at the line start, unless the bytes so
     * far are the start of a method and are then followed by a byte that
     * is neither a tchar nor SP: the same offset however the bytes come. */
    for (i = line; i < len && i - line <= GW__HTTP_MAX_METHOD && gw__http_tchar[buf[i]]; i++)
        ;
    /* A known method and its SP: what the checks below would accept (a
     * method is a prefix of itself), judged by one lookup. */
    if (i == line || i == len || buf[i] != ' ' ||
        (p->_h.method = gw__http_method_lookup(buf + line, i - line)) < 0) {
        if (!gw__http_method_prefix(buf + line, i - line))
            FAIL(GW_EHTTP_METHOD, line);
        if (i == len)
            SUSPEND(HS_METHOD);
        if (buf[i] != ' ')
            FAIL(GW_EHTTP_METHOD, i);
        FAIL(GW_EHTTP_METHOD, line);
    }
    p->_h.method_s.p = (const char *)buf + line;
    p->_h.method_s.len = i - line;
    p->_h.target.p = (const char *)buf + i + 1;
    p->_tform = gw__http_target_init(p->_h.method);
    pos = i + 1;

target:
    /* request-target SP, in one of the forms of RFC 9112 3.2 (target.h):
     * the form is checked over the bytes new since the last call, up to
     * the length limit, so that the first byte at fault is reported first
     * whatever the split. */
    {
        size_t t = (size_t)((const uint8_t *)p->_h.target.p - buf), cap, bad;

        q = GW__HT_SCAN_TARGET(buf + pos, buf + len);
        i = (size_t)(q - buf);
        if (p->_tform != GW__TF_PATH) {
            cap = i - t > p->lim.max_target ? t + p->lim.max_target : i;
            if ((bad = gw__http_target_step(&p->_tform, p->_h.method, buf, pos, cap)) < cap)
                FAIL(GW_EHTTP_TARGET, bad);
        }
        if (i - t > p->lim.max_target)
            FAIL(GW_EHTTP_TARGET_TOO_LONG, t + p->lim.max_target);
        if (i == len) {
            pos = len;
            SUSPEND(HS_TARGET);
        }
        if (*q != ' ')
            FAIL(*q == '\r' || *q == '\n' ? GW_EHTTP_VERSION : GW_EHTTP_TARGET, i);
        if (i == t || !gw__http_target_done(p->_tform))
            FAIL(GW_EHTTP_TARGET, i);
        p->_h.target.len = i - t;
        pos = i + 1;
    }

rversion:
    /* "HTTP/1.0" or "HTTP/1.1", then the line's end. */
    r = gw__http_version(p, buf, len, pos);
    if (r < 0)
        goto fail;
    if (r == 0)
        SUSPEND(HS_RVERSION);
    if (pos + 8 >= len)
        SUSPEND(HS_RVERSION);
    if (buf[pos + 8] != '\r' && buf[pos + 8] != '\n')
        FAIL(GW_EHTTP_VERSION, pos + 8);
    r = gw__http_eol(p, buf, len, pos + 8, &i);
    if (r < 0)
        goto fail;
    if (r == 0)
        SUSPEND(HS_RVERSION);
    pos = i;
    goto fieldline;

sversion:
    /* HTTP-version SP 3DIGIT (100 .. 599), then SP or the line's end. */
    r = gw__http_version(p, buf, len, line);
    if (r < 0)
        goto fail;
    if (r == 0)
        SUSPEND(HS_SVERSION);
    for (i = line + 8; i < len && i < line + 12; i++) {
        uint8_t c = buf[i];
        if (i == line + 8) {
            if (c != ' ')
                FAIL(GW_EHTTP_VERSION, i);
        } else if (c < (i == line + 9 ? '1' : '0') || c > (i == line + 9 ? '5' : '9')) {
            FAIL(GW_EHTTP_STATUS, i);
        }
    }
    if (i >= len)
        SUSPEND(HS_SVERSION);
    p->_h.status =
        (buf[line + 9] - '0') * 100 + (buf[line + 10] - '0') * 10 + (buf[line + 11] - '0');
    p->_h.reason.p = (const char *)buf + line + 13;
    p->_h.reason.len = 0;
    if (buf[line + 12] != ' ') {
        if (buf[line + 12] != '\r' && buf[line + 12] != '\n')
            FAIL(GW_EHTTP_STATUS, line + 12);
        p->_h.reason.p--;
        r = gw__http_eol(p, buf, len, line + 12, &i);
        if (r < 0)
            goto fail;
        if (r == 0)
            SUSPEND(HS_SVERSION);
        pos = i;
        goto fieldline;
    }
    pos = line + 13;

reason:
    /* reason-phrase: anything but controls (HTAB allowed) up to CR. */
    q = GW__HT_SCAN_CTL(buf + pos, buf + len);
    i = (size_t)(q - buf);
    if (i == len) {
        pos = len;
        SUSPEND(HS_REASON);
    }
    if (*q != '\r' && *q != '\n')
        FAIL(GW_EHTTP_STATUS, i);
    r = gw__http_eol(p, buf, len, i, &pos);
    if (r < 0)
        goto fail;
    if (r == 0) {
        pos = i;
        SUSPEND(HS_REASON);
    }
    p->_h.reason.len = i - (size_t)((const uint8_t *)p->_h.reason.p - buf);

fieldline:
#ifdef GW__HT_LINE_MASKS
    /* The fast path: a whole, plain field line of at most 63 bytes with its
     * CRLF inside the next 64, classified in one pass (near the end of the
     * bytes, over the last 64 of them, the masks shifted to the line's
     * start).  The masks of a 64-byte window serve every line that ends
     * inside it, shifted to the line's start: a line found there costs a
     * shift and two bit scans, not a new pass whose load waits for the
     * line before.  Anything else (the head's end, a long line, a line cut
     * by the end of the bytes, any error) leaves it at the line's start for
     * the general states below, which judge it exactly as if this path did
     * not exist. */
    {
        gw_http_field *fl = p->fields;
        size_t nf = p->_h.nfields, maxf = p->lim.max_fields;
        size_t w = 0;                        /* the window's start */
        uint64_t wnt = 0, wctl = 0, wws = 0; /* its masks: none yet (wctl 0) */

        while (len >= 64 && pos < len && nf < maxf) {
            const uint8_t *s = buf + pos;
            size_t rem = len - pos;
            uint64_t nt, ctl = 0, ws, x;
            unsigned c, e, v;

            /* The window's masks from the line's start, if it ends there;
             * a window with no control left is no use (bytes after the
             * window are not in its masks). */
            if (pos - w < 64)
                ctl = wctl >> (pos - w);
            if (ctl == 0) {
                w = rem >= 64 ? pos : len - 64;
                GW__HT_LINE_MASKS(buf + w, &wnt, &wctl, &wws);
                ctl = wctl >> (pos - w);
            }
            nt = wnt >> (pos - w);
            ws = wws >> (pos - w);
            if ((nt & 1) != 0 || ctl == 0)
                break;
            /* The first control is no tchar: nt has a bit at or before it. */
            c = (unsigned)__builtin_ctzll(nt);
            e = (unsigned)__builtin_ctzll(ctl);
            if (s[c] != ':' || s[e] != '\r' || e + 1 >= rem || s[e + 1] != '\n')
                break;
            pos += e + 2;
            /* The value's ends from the whitespace mask (c < e <= 63): it
             * starts at the first byte after the colon that is no SP or
             * HTAB (at most e, the CR), and ends after the last such byte
             * before e (there is one: the colon), or at its start. */
            v = c + 1;
            if ((ws >> v & 1) != 0)
                v += (unsigned)__builtin_ctzll(~(ws >> v));
            if ((ws >> (e - 1) & 1) != 0) {
                x = ~ws & ((UINT64_C(1) << e) - 1);
                e = 64 - (unsigned)__builtin_clzll(x);
                if (e < v)
                    e = v;
            }
            fl[nf].name.p = (const char *)s;
            fl[nf].name.len = c;
            fl[nf].value.p = (const char *)s + v;
            fl[nf].value.len = e - v;
            nf++;
        }
        p->_h.nfields = nf;
    }
#endif
    /* At a field line, or the empty line that ends the head. */
    line = pos;
    if (pos >= len)
        SUSPEND(HS_LINE);
    switch (buf[pos]) {
    case '\r':
    case '\n':
        r = gw__http_eol(p, buf, len, pos, &pos);
        if (r < 0)
            goto fail;
        if (r == 0)
            SUSPEND(HS_LINE);
        goto done;
    case ' ':
    case '\t':
        FAIL(GW_EHTTP_OBS_FOLD, pos);
    default:
        break;
    }
    if (p->_h.nfields == p->lim.max_fields)
        FAIL(GW_EHTTP_TOO_MANY_FIELDS, pos);

name:
    i = (size_t)(GW__HT_SCAN_NAME(buf + pos, buf + len) - buf);
    if (i == len) {
        pos = i;
        SUSPEND(HS_NAME);
    }
    if (buf[i] != ':') {
        uint8_t c = buf[i];
        FAIL(c == ' ' || c == '\t'    ? GW_EHTTP_WS_BEFORE_COLON
             : c == '\r' || c == '\n' ? GW_EHTTP_NO_COLON
                                      : GW_EHTTP_FIELD_NAME,
             i);
    }
    if (i == line)
        FAIL(GW_EHTTP_FIELD_NAME, i);
    p->_colon = i;
    pos = i + 1;

value:
    /* field-value up to CRLF: no controls but HTAB. */
    q = GW__HT_SCAN_CTL(buf + pos, buf + len);
    i = (size_t)(q - buf);
    if (i == len) {
        pos = len;
        SUSPEND(HS_VALUE);
    }
    if (*q != '\r' && *q != '\n')
        FAIL(GW_EHTTP_FIELD_VALUE, i);
    r = gw__http_eol(p, buf, len, i, &pos);
    if (r < 0)
        goto fail;
    if (r == 0) {
        pos = i;
        SUSPEND(HS_VALUE);
    }
    {
        gw_http_field *f = &p->fields[p->_h.nfields++];
        size_t v = p->_colon + 1;

        while (v < i && (buf[v] == ' ' || buf[v] == '\t'))
            v++;
        while (i > v && (buf[i - 1] == ' ' || buf[i - 1] == '\t'))
            i--;
        f->name.p = (const char *)buf + line;
        f->name.len = p->_colon - line;
        f->value.p = (const char *)buf + v;
        f->value.len = i - v;
    }
    goto fieldline;

done:
    head_out(h, &p->_h, buf, pos, p->fields);
    p->_state = HS_DONE;
    return (int)pos;

suspend:
    /* Incomplete: a head that cannot end within the limit is an error. */
    if (full > p->lim.max_head)
        FAIL(GW_EHTTP_HEAD_TOO_LARGE, p->lim.max_head);
    p->_pos = pos;
    p->_line = line;
    p->_base = (const char *)buf;
    return 0;

fail:
    p->_state = HS_ERROR;
    return p->err;
}
