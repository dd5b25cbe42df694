/*
 * kcompile.c — the whole engine into per-program tables (kcompile.h), and
 * the hooks' lookup over them.
 *
 * A program gets a table when: the work mode is ask; a prompter is
 * registered, or "no prompter" is scoped to questions (else step 1 of the
 * decision order decides everything); it is not pinned to a digest (the
 * kernel cannot check one); its rules lay out (layout.c); its path
 * resolves; the connect-out filters that could match it leave some key to
 * its rules (filters.c: the keys they could match ask); and no other
 * compiled program resolves to the same executable (the engine tells them
 * apart by path, the kernel cannot).
 */
#include <stdlib.h>
#include <string.h>

#include "compile/internal.h"
#include "kernel/ward_lookup.h"

struct mem_table {
    const ward_kentry *e;
    size_t n;
};

static __u8 mem_verdict(const struct mem_table *t, const struct ward_vkey *k)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].proto == k->proto && t->e[i].dir == k->dir && t->e[i].port == k->port)
            return t->e[i].verdict;
    return WARD_KV_NONE;
}

/* The hooks' lookup order over one program's entries (dev, ino: that program). */
WARD_LOOKUP_DEFINE(mem_lookup, const struct mem_table *, mem_verdict)
WARD_RAW_LOOKUP_DEFINE(mem_raw_lookup, mem_lookup, const struct mem_table *, mem_verdict)

uint8_t kc_table_lookup(const ward_kentry *e, size_t n, uint8_t proto, uint8_t dir, uint16_t port,
                        uint8_t dflt)
{
    struct mem_table t = {e, n};
    return mem_lookup(&t, 0, 0, proto, dir, port, dflt);
}

static bool same_exe(ward_exe_id a, ward_exe_id b)
{
    return a.dev == b.dev && a.ino == b.ino;
}

const ward_kc_program *ward_kc_find(const ward_kc_tables *t, ward_exe_id exe)
{
    for (size_t i = 0; i < t->n; i++)
        if (same_exe(t->progs[i].exe, exe))
            return &t->progs[i];
    return NULL;
}

uint8_t ward_kc_lookup(const ward_kc_tables *t, ward_exe_id exe, uint8_t proto, uint8_t dir,
                       uint16_t port, uint8_t dflt)
{
    const ward_kc_program *p = ward_kc_find(t, exe);
    return p ? kc_table_lookup(p->e, p->n, proto, dir, port, dflt) : dflt;
}

uint8_t ward_kc_raw_lookup(const ward_kc_tables *t, ward_exe_id exe, uint8_t proto, uint8_t dflt)
{
    const ward_kc_program *p = ward_kc_find(t, exe);
    if (!p)
        return dflt;
    struct mem_table m = {p->e, p->n};
    return mem_raw_lookup(&m, 0, 0, proto, dflt);
}

int ward_kc_foreach(const ward_kc_tables *t, ward_kc_each_fn fn, void *ctx)
{
    ward_kentry e[WARD_KC_MAX_ENTRIES * 2];
    int rc = 0;
    for (size_t i = 0; !rc && i < t->n; i++) {
        ward_kc_program p = t->progs[i];
        for (size_t k = 0; k < t->n_blocks; k++) {
            const ward_kc_program *b = &t->blocks[k];
            if (!same_exe(b->exe, p.exe) || p.n + b->n > sizeof(e) / sizeof(e[0]))
                continue;
            memcpy(e, p.e, p.n * sizeof(*e));
            memcpy(e + p.n, b->e, b->n * sizeof(*e));
            p.e = e;
            p.n += b->n;
            break;
        }
        rc = fn(ctx, &p);
    }
    for (size_t k = 0; !rc && k < t->n_blocks; k++)
        if (!ward_kc_find(t, t->blocks[k].exe))
            rc = fn(ctx, &t->blocks[k]);
    return rc;
}

uint8_t ward_kc_self_lookup(const ward_kc_tables *t, ward_exe_id exe, uint8_t proto, uint16_t port,
                            bool loop, bool host)
{
    const ward_exe_id every = {0, 0};
    for (size_t i = 0; i < t->n_blocks; i++) {
        const ward_kc_program *b = &t->blocks[i];
        if (!same_exe(b->exe, exe) && !same_exe(b->exe, every))
            continue;
        if ((loop && kc_table_lookup(b->e, b->n, proto, WARD_KDIR_SELF_LOOP, port, WARD_KV_NONE) ==
                         WARD_KV_DENY) ||
            (host && kc_table_lookup(b->e, b->n, proto, WARD_KDIR_SELF_HOST, port, WARD_KV_NONE) ==
                         WARD_KV_DENY))
            return WARD_KV_DENY;
    }
    return WARD_KV_NONE;
}

void ward_kc_tables_free(ward_kc_tables *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->progs[i].e);
    free(t->progs);
    for (size_t i = 0; i < t->n_blocks; i++)
        free(t->blocks[i].e);
    free(t->blocks);
    *t = (ward_kc_tables){0};
}

static int cmp_exe(const void *a, const void *b)
{
    const ward_kc_program *x = a, *y = b;
    if (x->exe.dev != y->exe.dev)
        return x->exe.dev < y->exe.dev ? -1 : 1;
    if (x->exe.ino != y->exe.ino)
        return x->exe.ino < y->exe.ino ? -1 : 1;
    return x->app_id < y->app_id ? -1 : x->app_id > y->app_id;
}

static int cmp_app(const void *a, const void *b)
{
    const ward_kc_program *x = a, *y = b;
    return x->app_id < y->app_id ? -1 : x->app_id > y->app_id;
}

/* Programs sharing an executable: none of them can be keyed by it. Sorted
 * by executable to find them, then back into the engine's order. */
static void drop_shared(ward_kc_tables *t)
{
    if (t->n > 1)
        qsort(t->progs, t->n, sizeof(*t->progs), cmp_exe);
    size_t keep = 0;
    t->entries = 0;
    for (size_t i = 0; i < t->n;) {
        size_t j = i + 1;
        while (j < t->n && same_exe(t->progs[i].exe, t->progs[j].exe))
            j++;
        if (j - i > 1) {
            for (size_t k = i; k < j; k++)
                free(t->progs[k].e);
        } else {
            t->entries += t->progs[i].n;
            t->progs[keep++] = t->progs[i];
        }
        i = j;
    }
    t->n = keep;
    if (t->n > 1)
        qsort(t->progs, t->n, sizeof(*t->progs), cmp_app);
}

int ward_kc_compile(const ward_engine *e, const ward_kc_options *o, ward_kc_tables *out)
{
    *out = (ward_kc_tables){0};
    /* A hard block filter is above the decision order: it holds in every
     * mode. */
    if (kc_selfblock_compile(e, o, out) < 0) {
        ward_kc_tables_free(out);
        return WARD_E_NOMEM;
    }
    ward_settings s;
    ward_engine_settings(e, &s);
    if (s.mode != WARD_MODE_ASK || (!o->prompter && s.no_prompter_scope != WARD_NP_QUESTIONS))
        return 0;
    size_t n_apps = ward_app_count(e);
    struct kc_table *t = malloc(sizeof(*t));
    out->progs = calloc(n_apps ? n_apps : 1, sizeof(*out->progs));
    if (!t || !out->progs) {
        free(t);
        ward_kc_tables_free(out);
        return WARD_E_NOMEM;
    }
    struct kc_filters *filters = kc_filters_collect(e);
    if (!filters) {
        free(t);
        ward_kc_tables_free(out);
        return WARD_E_NOMEM;
    }
    for (size_t i = 0; i < n_apps; i++) {
        ward_app_info a;
        ward_exe_id exe;
        if (ward_app_at(e, i, &a) < 0 || a.pin)
            continue;
        if (!kc_layout_app(e, &a, o->now, t))
            continue;
        if (!o->resolve || o->resolve(o->resolve_ctx, a.path, &exe))
            continue;
        if (!kc_filters_apply(filters, e, &a, exe, t))
            continue;
        kc_raw_entries(t);
        ward_kentry *copy = malloc(t->n * sizeof(*copy));
        if (!copy) {
            kc_filters_free(filters);
            free(t);
            ward_kc_tables_free(out);
            return WARD_E_NOMEM;
        }
        memcpy(copy, t->e, t->n * sizeof(*copy));
        out->progs[out->n++] = (ward_kc_program){exe, a.id, a.path, copy, t->n};
    }
    kc_filters_free(filters);
    free(t);
    drop_shared(out);
    return 0;
}
