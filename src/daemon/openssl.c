/*
 * openssl.c — OpenSSL loaded on first use (see openssl.h). libssl's handle
 * finds libcrypto's functions too: libssl depends on it.
 */
#define _GNU_SOURCE
#include "daemon/openssl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef WARDD_SSL_SONAME
#define WARDD_SSL_SONAME "libssl.so.3"
#endif

static struct wardd_openssl S;
static const struct wardd_openssl *loaded;
static char load_err[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *h = dlopen(WARDD_SSL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_err, sizeof(load_err), "cannot load %s: %s", WARDD_SSL_SONAME, dlerror());
        return;
    }
#define WARDD_OPENSSL_LOAD(f)                                                                      \
    if (!(*(void **)&S.f = dlsym(h, #f))) {                                                        \
        snprintf(load_err, sizeof(load_err), "%s has no %s", WARDD_SSL_SONAME, #f);                \
        dlclose(h);                                                                                \
        return;                                                                                    \
    }
    WARDD_OPENSSL_CALLS(WARDD_OPENSSL_LOAD)
#undef WARDD_OPENSSL_LOAD
    loaded = &S;
}

const struct wardd_openssl *wardd_openssl(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (!loaded)
        snprintf(err, errlen, "%s", load_err);
    return loaded;
}
