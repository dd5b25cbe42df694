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
    hs_error_t (*compile_multi)(const char *const *exprs, const unsigned *flags,
                                const unsigned *ids, unsigned n, unsigned mode,
                                const hs_platform_info_t *platform, hs_database_t **db,
                                hs_compile_error_t **error);
    hs_error_t (*free_compile_error)(hs_compile_error_t *error);
    hs_error_t (*alloc_scratch)(const hs_database_t *db, hs_scratch_t **scratch);
    hs_error_t (*free_scratch)(hs_scratch_t *scratch);
    hs_error_t (*free_database)(hs_database_t *db);
    hs_error_t (*scan)(const hs_database_t *db, const char *data, unsigned len, unsigned flags,
                       hs_scratch_t *scratch, match_event_handler on_match, void *ctx);
};

/* The library's calls, loaded once (thread-safe); NULL with the reason in
 * err if it cannot be loaded. Once loaded it stays. */
const struct ids_hs *ids_hs(char *err, size_t errlen);

#endif
