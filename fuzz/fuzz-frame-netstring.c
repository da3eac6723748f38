/*
 * Fuzz harness: the netstring record reader (and writer), fed in input-chosen
 * pieces, in both modes.  The properties are in frame-common.h.
 */
#define FRAME_FORMATS GW_FRAME_NETSTRING

#include "frame-common.h"
