/*
 * Fuzz harness: the prefix record reader (and writer), fed in input-chosen
 * pieces, in both modes.  The properties are in frame-common.h.
 */
#define FRAME_FORMATS                                                                              \
    GW_FRAME_U8, GW_FRAME_U16BE, GW_FRAME_U16LE, GW_FRAME_U32BE, GW_FRAME_U32LE, GW_FRAME_U64BE,   \
        GW_FRAME_U64LE

#include "frame-common.h"
