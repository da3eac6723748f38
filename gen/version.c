/*
 * gw_version(): the library's version string, from the generated header.
 */
#include "genwire/version.h"

const char *gw_version(void)
{
    return GW_VERSION_STRING;
}
