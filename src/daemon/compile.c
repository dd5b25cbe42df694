/*
 * compile.c — keeps the kernel's per-program verdict tables in step with
 * the engine. The compiler (src/compile) decides what goes down; this file
 * resolves program paths to executables, programs the tables and withdraws
 * the ones no longer wanted.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "compile/kcompile.h"

struct programmed {
    struct wardd *d;
    ward_exe_id *now;
    uint64_t *apps;
    char **paths;
    size_t n, entries;
};

static int program_one(void *ctx, const ward_kc_program *p)
{
    struct programmed *pr = ctx;
    if (ward_kernel_program_set(pr->d->kernel, p->exe, p->e, p->n) == 0) {
        pr->apps[pr->n] = p->app_id;
        /* A table a filter alone asked for (a hard block of the host) has
         * no engine program to name it by: keep the filter's path. */
        if (!p->app_id && p->path)
            pr->paths[pr->n] = strdup(p->path);
        pr->now[pr->n++] = p->exe;
        pr->entries += p->n;
    }
    return 0;
}

/* A program is left out of the kernel's tables, so that wardd decides each
 * of its connections, while one of its processes is suspended for
 * tampering or its binary is not known clean to the scanner. */
static int resolve_exe(void *ctx, const char *path, ward_exe_id *out)
{
    if (wardd_tamper_holds(ctx, path))
        return -1;
    return wardd_av_resolve(ctx, path, out); /* resolves the path once, then asks the scanner */
}

void wardd_kernel_sync(struct wardd *d)
{
    if (!d->kernel || d->stopping)
        return;
    ward_kc_options o = {.prompter = d->prompters > 0,
                         .now = (int64_t)time(NULL),
                         .resolve = resolve_exe,
                         .resolve_ctx = d};
    ward_settings s;
    ward_engine_settings(d->engine, &s);
    /* Whether DENY entries hold for the host's own addresses too. */
    ward_kernel_self_rules(d->kernel, s.self_traffic == WARD_SELF_RULES);
    ward_kc_tables t;
    if (ward_kc_compile(d->engine, &o, &t) < 0) {
        wardd_log(LOG_WARNING, "kernel tables: out of memory; left as they are");
        return;
    }
    size_t cap = t.n + t.n_blocks + 1;
    struct programmed pr = {d,
                            calloc(cap, sizeof(*pr.now)),
                            calloc(cap, sizeof(*pr.apps)),
                            calloc(cap, sizeof(*pr.paths)),
                            0,
                            0};
    if (!pr.now || !pr.apps || !pr.paths) {
        free(pr.now);
        free(pr.apps);
        free(pr.paths);
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
    wardd_programmed_free(d);
    d->programmed = now;
    d->programmed_app = apps;
    d->programmed_path = pr.paths;
    d->n_programmed = n_now;
    ward_kc_tables_free(&t);
    wardd_log(LOG_DEBUG, "kernel tables: %zu programs, %zu entries", n_now, entries);
}

const char *wardd_programmed_name(const struct wardd *d, ward_exe_id exe)
{
    if (!exe.dev && !exe.ino)
        return NULL;
    for (size_t i = 0; i < d->n_programmed; i++) {
        if (d->programmed[i].dev != exe.dev || d->programmed[i].ino != exe.ino)
            continue;
        ward_app_info a;
        if (d->programmed_app && ward_app_get(d->engine, d->programmed_app[i], &a) == 0)
            return a.path;
        if (d->programmed_path && d->programmed_path[i])
            return d->programmed_path[i];
    }
    return NULL;
}

void wardd_programmed_free(struct wardd *d)
{
    for (size_t i = 0; d->programmed_path && i < d->n_programmed; i++)
        free(d->programmed_path[i]);
    free(d->programmed_path);
    free(d->programmed);
    free(d->programmed_app);
    d->programmed_path = NULL;
    d->programmed = NULL;
    d->programmed_app = NULL;
}
