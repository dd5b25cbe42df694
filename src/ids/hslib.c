/*
 * ids/hslib.c — Hyperscan's calls through dlopen (see hslib.h).
 */
#define _GNU_SOURCE
#include "ids/hslib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef IDS_HS_SONAME
#define IDS_HS_SONAME "libhs.so.5"
#endif

static struct ids_hs hs;
static const struct ids_hs *loaded;
static char load_err[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *h = dlopen(IDS_HS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_err, sizeof(load_err), "cannot load %s: %s", IDS_HS_SONAME, dlerror());
        return;
    }
    struct {
        const char *name;
        void **fn;
    } syms[] = {
        {"hs_compile_multi", (void **)&hs.compile_multi},
        {"hs_free_compile_error", (void **)&hs.free_compile_error},
        {"hs_alloc_scratch", (void **)&hs.alloc_scratch},
        {"hs_free_scratch", (void **)&hs.free_scratch},
        {"hs_free_database", (void **)&hs.free_database},
        {"hs_scan", (void **)&hs.scan},
    };
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
            snprintf(load_err, sizeof(load_err), "%s has no %s", IDS_HS_SONAME, syms[i].name);
            dlclose(h);
            return;
        }
    }
    loaded = &hs;
}

const struct ids_hs *ids_hs(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (!loaded)
        snprintf(err, errlen, "%s", load_err);
    return loaded;
}
