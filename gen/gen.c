/*
 * The out-of-line half of the generator core (include/genwire/gen.h): starting,
 * closing and describing a stack of frames.  Resuming is inline in the header
 * because it is the hot path; nothing here runs on it.  Nothing here allocates.
 */
#include "genwire/gen.h"

#include <stdio.h>

void gw_stack_start(gw_stack *st, gw_frame *root)
{
    root->_caller = NULL;
    st->_root = root;
    st->_top = root;
}

void gw_stack_close(gw_stack *st)
{
    gw_frame *f = st->_top;

    for (;;) {
        gw_frame *caller = f->_caller;
        int live = f->_pc != 0 && f->_pc != GW__PC_DONE;

        f->_pc = GW__PC_DONE;
        if (live && f->_type->cleanup != NULL)
            f->_type->cleanup(f);
        if (f == st->_root)
            break;
        f = caller;
    }
    st->_top = st->_root;
}

size_t gw_stack_backtrace(const gw_stack *st, gw_frame_info *out, size_t max)
{
    size_t n = 0;
    const gw_frame *f;

    if (gw_stack_done(st))
        return 0;
    for (f = st->_top; f != NULL; f = f->_caller) {
        if (n < max) {
            out[n].name = f->_type->name;
            out[n].file = f->_type->file;
            out[n].line = f->_pc;
        }
        n++;
        if (f == st->_root)
            break;
    }
    return n;
}

size_t gw_stack_format_backtrace(const gw_stack *st, char *buf, size_t len)
{
    size_t need = 0, i = 0;
    const gw_frame *f;

    if (len > 0)
        buf[0] = '\0';
    if (gw_stack_done(st))
        return 0;
    for (f = st->_top; f != NULL; f = f->_caller) {
        size_t room = need < len ? len - need : 0;
        int k = snprintf(room > 0 ? buf + need : NULL, room, "#%zu %s at %s:%d\n", i++,
                         f->_type->name, f->_type->file, f->_pc);
        if (k < 0)
            break;
        need += (size_t)k;
        if (f == st->_root)
            break;
    }
    return need;
}
