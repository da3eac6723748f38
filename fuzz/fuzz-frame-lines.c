/*
 * Fuzz harness: the lines record reader (and writer), fed in input-chosen
 * pieces, in both modes.  The properties are in frame-common.h.
 */
#define FRAME_FORMATS GW_FRAME_LINES

#include "frame-common.h"
