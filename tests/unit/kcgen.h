/*
 * kcgen.h — random policies and connections for the differential test of
 * the kernel verdict table compiler (src/compile) against the engine. Driven
 * by a byte source (randpolicy.h), so the unit test (a PRNG) and the fuzzer
 * (its input) share it.
 */
#ifndef WARD_TEST_KCGEN_H
#define WARD_TEST_KCGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "compile/kcompile.h"
#include "randpolicy.h"

#define KC_NOW     100000 /* the clock of every compile and classification */
#define KC_N_PATHS 6
extern const char *const kc_paths[KC_N_PATHS];

/* The test's file system: /opt/b/bin/x may be a hard link to /opt/a/bin/x
 * (one executable, two names: the resolver refuses both, as the real one
 * does, because the engine judges each name by its own rules) and
 * /usr/bin/nc may be missing. */
struct kc_fs {
    bool linked, nc_missing;
};
ward_exe_id kc_exe_of(const struct kc_fs *fs, size_t path_index);
int kc_resolve(void *ctx, const char *path, ward_exe_id *out); /* ctx: struct kc_fs */

struct kc_counts {
    size_t policies, conns, compiled, allow, ask, dgram_allow, dflt;
    size_t raw_allow; /* connections a raw socket of their protocol could send */
    /* Tables made despite a connect-out filter that could match the
     * program (no exact path bound it to others). */
    size_t compiled_under_filters;
    size_t deny, self, self_deny; /* DENY answers; connections to the host; DENY to it */
    size_t self_block;            /* of those, by an administrator's hard block of the host */
};

/* The tables are maps (each key once), hold only ALLOW, DENY and ASK, and their
 * count is right: 0, or -1 with what is wrong in msg. */
int kc_check_tables(const ward_kc_tables *t, char *msg, size_t len);

/* One random policy drawn from b, compiled, and max_conns random
 * connections drawn from conns (may be b) checked against ward_classify():
 * 0, or -1 with the mismatch (the table, the connection and the engine's
 * trace) in msg. */
int kc_run_one(struct bytes *b, struct bytes *conns, size_t max_conns, struct kc_counts *c,
               char *msg, size_t len);

#endif
