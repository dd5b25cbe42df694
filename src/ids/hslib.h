/*
 * ids/hslib.h — Hyperscan, loaded when the first signature set is
 * compiled (dlopen), not at wardd's start: linked, libhs and the C++
 * runtime it pulls in (libstdc++, libgcc_s) were ~1.3 MB of wardd's
 * resident memory on every host, IDS signatures in force or not.
 */
#ifndef WARD_IDS_HSLIB_H
#define WARD_IDS_HSLIB_H

#include <hs.h>
#include <stddef.h>

/* The Hyperscan calls src/ids makes. */
struct ids_hs {
    /* Typed from hs.h's own declarations: the compiler checks every call. */
    __typeof__(hs_compile_multi) *compile_multi;
    __typeof__(hs_free_compile_error) *free_compile_error;
    __typeof__(hs_alloc_scratch) *alloc_scratch;
    __typeof__(hs_free_scratch) *free_scratch;
    __typeof__(hs_free_database) *free_database;
    __typeof__(hs_scan) *scan;
};

/* The library's calls, loaded at the first use (thread-safe); NULL with
 * the reason in err if it cannot be loaded, and tried again at the next
 * call (util/lazylib.h). Once loaded it stays. */
const struct ids_hs *ids_hs(char *err, size_t errlen);

#endif
