/*
 * compile.c — keeps the kernel's per-program verdict tables in step with
 * the engine. The compiler (src/compile) decides what goes down; this file
 * resolves program paths to executables, programs the tables and withdraws
 * the ones no longer wanted.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "compile/kcompile.h"

struct programmed {
    struct wardd *d;
    ward_exe_id *now;
    uint64_t *apps;
    size_t n, entries;
};

static int program_one(void *ctx, const ward_kc_program *p)
{
    struct programmed *pr = ctx;
    if (ward_kernel_program_set(pr->d->kernel, p->exe, p->e, p->n) == 0) {
        pr->apps[pr->n] = p->app_id;
        pr->now[pr->n++] = p->exe;
        pr->entries += p->n;
    }
    return 0;
}

void wardd_kernel_sync(struct wardd *d)
{
    if (!d->kernel || d->stopping)
        return;
    ward_kc_options o = {
        .prompter = d->prompters > 0, .now = (int64_t)time(NULL), .resolve = ward_kc_resolve_path};
    ward_settings s;
    ward_engine_settings(d->engine, &s);
    /* Whether DENY entries hold for the host's own addresses too. */
    ward_kernel_self_rules(d->kernel, s.self_traffic == WARD_SELF_RULES);
    ward_kc_tables t;
    if (ward_kc_compile(d->engine, &o, &t) < 0) {
        wardd_log(LOG_WARNING, "kernel tables: out of memory; left as they are");
        return;
    }
    struct programmed pr = {d, calloc(t.n + t.n_blocks + 1, sizeof(*pr.now)),
                            calloc(t.n + t.n_blocks + 1, sizeof(*pr.apps)), 0, 0};
    if (!pr.now || !pr.apps) {
        free(pr.now);
        free(pr.apps);
        ward_kc_tables_free(&t);
        return;
    }
    ward_kc_foreach(&t, program_one, &pr);
    ward_kernel_self_blocks(d->kernel, t.n_blocks > 0);
    ward_exe_id *now = pr.now;
    uint64_t *apps = pr.apps;
    size_t n_now = pr.n, entries = pr.entries;
    /* Withdraw what was programmed last time and is not any more. */
    for (size_t i = 0; i < d->n_programmed; i++) {
        bool kept = false;
        for (size_t k = 0; k < n_now && !kept; k++)
            kept = now[k].dev == d->programmed[i].dev && now[k].ino == d->programmed[i].ino;
        if (!kept)
            ward_kernel_program_set(d->kernel, d->programmed[i], NULL, 0);
    }
    free(d->programmed);
    free(d->programmed_app);
    d->programmed = now;
    d->programmed_app = apps;
    d->n_programmed = n_now;
    ward_kc_tables_free(&t);
    wardd_log(LOG_DEBUG, "kernel tables: %zu programs, %zu entries", n_now, entries);
}
