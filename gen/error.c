/*
 * gw_strerror() and gw_errname(): the two views of the error table in
 * include/genwire/error.h.  Nothing else lives here.
 */
#include "genwire/error.h"

const char *gw_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define GW__ERR_STR(name, value, msg)                                                              \
    case value:                                                                                    \
        return msg;
        GW_ERRNO_MAP(GW__ERR_STR)
#undef GW__ERR_STR
    }
    return "unknown error";
}

const char *gw_errname(int err)
{
    switch (err) {
    case 0:
        return "GW_OK";
#define GW__ERR_NAME(name, value, msg)                                                             \
    case value:                                                                                    \
        return "GW_E" #name;
        GW_ERRNO_MAP(GW__ERR_NAME)
#undef GW__ERR_NAME
    }
    return "GW_EUNKNOWN";
}
