/*
 * genwire: incremental protocol decoding with stackless generators.
 * The umbrella header: includes every public header of the library.
 */
#ifndef GENWIRE_GENWIRE_H
#define GENWIRE_GENWIRE_H

#include "genwire/alloc.h"
#include "genwire/compress.h"
#include "genwire/crypt.h"
#include "genwire/error.h"
#include "genwire/exec.h"
#include "genwire/frame.h"
#include "genwire/http.h"
#include "genwire/gen.h"
#include "genwire/io.h"
#include "genwire/net.h"
#include "genwire/parse.h"
#include "genwire/resp.h"
#include "genwire/version.h"

#endif /* GENWIRE_GENWIRE_H */
