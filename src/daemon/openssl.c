/*
 * openssl.c — OpenSSL loaded on first use (see openssl.h). libssl's handle
 * finds libcrypto's functions too: libssl depends on it.
 */
#define _GNU_SOURCE
#include "daemon/openssl.h"

#include "util/lazylib.h"

#ifndef WARDD_SSL_SONAME
#define WARDD_SSL_SONAME "libssl.so.3"
#endif

static struct wardd_openssl S;
#define WARDD_OPENSSL_SYM(f) {#f, (void **)&S.f},
static const struct ward_lazysym syms[] = {WARDD_OPENSSL_CALLS(WARDD_OPENSSL_SYM)};
#undef WARDD_OPENSSL_SYM
static struct ward_lazylib lib = WARD_LAZYLIB_INIT(WARDD_SSL_SONAME, syms);

const struct wardd_openssl *wardd_openssl(char *err, size_t errlen)
{
    return ward_lazylib_load(&lib, err, errlen) ? &S : NULL;
}
