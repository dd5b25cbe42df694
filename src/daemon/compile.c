/*
 * compile.c — the engine's application rules as the kernel's per-program
 * verdict tables, so a known program's next connection is decided in the
 * kernel without a trip to wardd (the classic design's "compute in the
 * driver layer").
 *
 * Only what is provably the engine's own answer goes down. A program gets
 * entries when: the work mode is ask; a prompter is registered (else step 1
 * decides everything); it is not pinned to a digest; no connect-out filter
 * could match its traffic; and each of its rules is expressible as
 * direction, protocol and port. (With "no prompter" scoped to questions, a
 * prompter need not be registered.) Rules are laid out first-match-first: a key
 * already covered by an earlier, broader key is skipped. A permit becomes
 * ALLOW; a block becomes an explicit ASK entry (the connection is queued and
 * the engine refuses it), never a kernel DENY, because the hook does not know
 * the host's own addresses that step 3 lets through. Anything else stays
 * unknown to the kernel: it asks, and wardd decides.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#define MAX_ENTRIES 256

struct table {
    ward_kentry e[MAX_ENTRIES];
    size_t n;
};

static bool covered(const struct table *t, uint8_t dir, uint8_t proto, uint16_t port)
{
    for (size_t i = 0; i < t->n; i++) {
        const ward_kentry *k = &t->e[i];
        if (k->dir != dir)
            continue;
        if (k->proto == WARD_KPROTO_ANY && k->port == 0)
            return true;
        if (k->proto == proto && (k->port == 0 || k->port == port))
            return true;
    }
    return false;
}

static int put(struct table *t, uint8_t dir, uint8_t proto, uint16_t port, uint8_t v, uint64_t rule)
{
    if (covered(t, dir, proto, port))
        return 0;
    if (t->n == MAX_ENTRIES)
        return -1;
    t->e[t->n++] = (ward_kentry){proto, dir, port, v, (uint32_t)rule};
    return 0;
}

static bool expressible(const ward_app_rule *r)
{
    /* A rule for one process (until it exits) is not the program's: the
     * kernel's table is keyed by the executable alone. */
    return r->n_times == 0 && r->n_zones == 0 && r->n_addrs == 0 && r->n_domains == 0 &&
           r->lifetime.kind != WARD_LIFE_ONCE && r->lifetime.kind != WARD_LIFE_UNTIL_EXIT;
}

/* One rule into the table; -1 when it cannot be laid out. */
static int lay_out(struct table *t, const ward_app_rule *r, uint64_t id)
{
    uint8_t v = r->action == WARD_ACT_PERMIT ? WARD_KV_ALLOW : WARD_KV_ASK;
    /* The kernel keys outbound verdicts only; inbound is queued to wardd. */
    if (r->dir == WARD_DIR_IN)
        return 0;
    uint8_t protos[2] = {r->proto, 0};
    size_t n_protos = 1;
    if (r->proto == 0 && r->n_ports) {
        /* "any protocol, port 53": the ports of the protocols that have them. */
        protos[0] = IPPROTO_TCP;
        protos[1] = IPPROTO_UDP;
        n_protos = 2;
    }
    size_t ports = 0;
    for (size_t i = 0; i < r->n_ports; i++)
        ports += r->ports[i].hi - r->ports[i].lo + 1;
    if (ports > 64)
        return -1;
    for (size_t p = 0; p < n_protos; p++) {
        uint8_t proto = protos[p] ? protos[p] : WARD_KPROTO_ANY;
        if (!r->n_ports && put(t, WARD_KDIR_OUT, proto, 0, v, id) < 0)
            return -1;
        for (size_t i = 0; i < r->n_ports; i++)
            for (uint32_t port = r->ports[i].lo; port <= r->ports[i].hi; port++)
                if (put(t, WARD_KDIR_OUT, proto, (uint16_t)port, v, id) < 0)
                    return -1;
    }
    return 0;
}

/* Which programs the connect-out filters could match, gathered in one pass
 * per sync: a filter bound by an exact program list touches those programs;
 * any other (no program condition, or only globs) could touch them all. */
struct touched {
    const char **paths; /* sorted, for bsearch */
    size_t n, cap;
    bool all;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int note_filter(uint64_t id, const ward_filter_def *f, void *ctx)
{
    (void)id;
    struct touched *t = ctx;
    if (f->layer != WARD_LAYER_CONNECT_OUT || t->all)
        return 0;
    for (size_t i = 0; i < f->n_conds; i++) {
        const ward_cond *c = &f->conds[i];
        if (c->field != WARD_F_APP_PATH || c->negate)
            continue;
        bool glob = false;
        for (size_t k = 0; k < c->n && !glob; k++)
            glob = strpbrk(c->v.str[k], "*?") != NULL;
        if (glob)
            continue;
        /* Bound to these programs (a superset of what it matches). */
        if (t->n + c->n > t->cap) {
            size_t cap = (t->n + c->n) * 2;
            const char **v = realloc(t->paths, cap * sizeof(*v));
            if (!v) {
                t->all = true; /* cannot tell: keep everything with wardd */
                return 0;
            }
            t->paths = v;
            t->cap = cap;
        }
        for (size_t k = 0; k < c->n; k++)
            t->paths[t->n++] = c->v.str[k];
        return 0;
    }
    t->all = true;
    return 0;
}

static bool touched(const struct touched *t, const char *path)
{
    return t->all || (t->n && bsearch(&path, t->paths, t->n, sizeof(*t->paths), cmp_str));
}

/* The table for one program; false when it must stay with wardd. */
static bool compile_app(struct wardd *d, const ward_app_info *a, const struct touched *filters,
                        struct table *t)
{
    t->n = 0;
    if (a->pin || a->n_rules == 0 || touched(filters, a->path))
        return false;
    ward_app_rule r;
    for (size_t i = 0; i < a->n_rules; i++) {
        uint64_t id;
        ward_app_rule_at(d->engine, a->id, i, &id, &r);
        if (!expressible(&r) || lay_out(t, &r, id) < 0)
            return false;
    }
    /* r is the last rule now: the classic fallback is its opposite. */
    bool fallback_allows = a->fallback == WARD_FALLBACK_PERMIT ||
                           (a->fallback == WARD_FALLBACK_OPPOSITE && r.action == WARD_ACT_BLOCK);
    if (fallback_allows && put(t, WARD_KDIR_OUT, WARD_KPROTO_ANY, 0, WARD_KV_ALLOW, 0) < 0)
        return false;
    return true;
}

void wardd_kernel_sync(struct wardd *d)
{
    if (!d->kernel || d->stopping)
        return;
    ward_settings s;
    ward_engine_settings(d->engine, &s);
    /* Without a prompter step 1 of the decision order decides everything, unless
     * the policy keeps the rules first. */
    bool usable =
        s.mode == WARD_MODE_ASK && (d->prompters > 0 || s.no_prompter_scope == WARD_NP_QUESTIONS);
    ward_exe_id *now = calloc(ward_app_count(d->engine) + 1, sizeof(*now));
    size_t n_now = 0, entries = 0;
    struct table *t = malloc(sizeof(*t));
    if (!now || !t) {
        free(now);
        free(t);
        return;
    }
    struct touched filters = {0};
    if (usable) {
        ward_filter_foreach(d->engine, note_filter, &filters);
        if (filters.n)
            qsort(filters.paths, filters.n, sizeof(*filters.paths), cmp_str);
    }
    for (size_t i = 0; usable && i < ward_app_count(d->engine); i++) {
        ward_app_info a;
        struct stat st;
        ward_app_at(d->engine, i, &a);
        /* The file the path names in our own mount namespace: a process
         * that bound another file over this path elsewhere runs another
         * inode and finds no entry. */
        if (!compile_app(d, &a, &filters, t) || stat(a.path, &st) < 0)
            continue;
        ward_exe_id id = {st.st_dev, st.st_ino};
        if (ward_kernel_program_set(d->kernel, id, t->e, t->n) == 0) {
            now[n_now++] = id;
            entries += t->n;
        }
    }
    /* Withdraw what was programmed last time and is not any more. */
    for (size_t i = 0; i < d->n_programmed; i++) {
        bool kept = false;
        for (size_t k = 0; k < n_now && !kept; k++)
            kept = now[k].dev == d->programmed[i].dev && now[k].ino == d->programmed[i].ino;
        if (!kept)
            ward_kernel_program_set(d->kernel, d->programmed[i], NULL, 0);
    }
    free(d->programmed);
    d->programmed = now;
    d->n_programmed = n_now;
    free(t);
    free(filters.paths);
    wardd_log(LOG_DEBUG, "kernel tables: %zu programs, %zu entries", n_now, entries);
}
