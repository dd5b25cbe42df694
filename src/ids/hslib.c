/*
 * ids/hslib.c — Hyperscan's calls through dlopen (see hslib.h).
 */
#define _GNU_SOURCE
#include "ids/hslib.h"
#include "ids/ids.h"

#include "util/lazylib.h"

#ifndef IDS_HS_SONAME
#define IDS_HS_SONAME "libhs.so.5"
#endif

static struct ids_hs hs;
static const struct ward_lazysym syms[] = {
    {"hs_compile_multi", (void **)&hs.compile_multi},
    {"hs_free_compile_error", (void **)&hs.free_compile_error},
    {"hs_alloc_scratch", (void **)&hs.alloc_scratch},
    {"hs_free_scratch", (void **)&hs.free_scratch},
    {"hs_free_database", (void **)&hs.free_database},
    {"hs_scan", (void **)&hs.scan},
};
static struct ward_lazylib lib = WARD_LAZYLIB_INIT(IDS_HS_SONAME, syms);

const struct ids_hs *ids_hs(char *err, size_t errlen)
{
    return ward_lazylib_load(&lib, err, errlen) ? &hs : NULL;
}

bool ward_ids_engine_ready(char *err, size_t errlen)
{
    char why[300];
    return ward_lazylib_load(&lib, err ? err : why, err ? errlen : sizeof(why));
}
