/*
 * util/lazylib.h — a shared library loaded on first use (dlopen) rather
 * than linked: its pages cost nothing on the hosts that never use the
 * feature that needs it. A load that failed is tried again at the next use
 * (the package may have been installed since), so a feature comes back
 * without a restart. Thread-safe; the uses are rare (a compile, a
 * connection), so a lock each time costs nothing.
 *
 * Header-only: src/ids is a library of its own, built alone for its fuzzers.
 */
#ifndef WARD_UTIL_LAZYLIB_H
#define WARD_UTIL_LAZYLIB_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ward_lazysym {
    const char *name;
    void **fn; /* where its address goes */
};

struct ward_lazylib {
    const char *soname;
    const struct ward_lazysym *syms;
    size_t n_syms;
    pthread_mutex_t lock;
    bool loaded; /* every symbol found: the pointers stay as they are */
};

#define WARD_LAZYLIB_INIT(soname, syms)                                                            \
    {                                                                                              \
        (soname), (syms), sizeof(syms) / sizeof((syms)[0]), PTHREAD_MUTEX_INITIALIZER, false       \
    }

/* True once l is loaded (now or before); else false, the reason in err. */
static inline bool ward_lazylib_load(struct ward_lazylib *l, char *err, size_t errlen)
{
    pthread_mutex_lock(&l->lock);
    if (!l->loaded) {
        void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
        size_t i = 0;
        if (!h)
            snprintf(err, errlen, "cannot load %s: %s", l->soname, dlerror());
        while (h && i < l->n_syms && (*l->syms[i].fn = dlsym(h, l->syms[i].name)))
            i++;
        if (h && i < l->n_syms) {
            snprintf(err, errlen, "%s has no %s", l->soname, l->syms[i].name);
            dlclose(h);
        }
        l->loaded = h && i == l->n_syms;
    }
    bool ok = l->loaded;
    pthread_mutex_unlock(&l->lock);
    return ok;
}

#endif
