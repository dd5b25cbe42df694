/*
 * policy.c — the ward_policy handle: loading all-or-nothing into a fresh
 * engine, and what the policy keeps beside the engine.
 */
#define _GNU_SOURCE
#include "policy/internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pzone {
    char *name;
    ward_cidr *cidrs;
    size_t n;
};

struct ward_policy {
    ward_engine *e;
    ward_policy_extras extras;
    struct pzone *zones;
    size_t n_zones;
    struct secrecy secrecy;
    char *diag;
    size_t errors;
    char **files; /* of the engine in force, for load_more */
    size_t n_files;
    const char *const *extra_callouts; /* ward_policy_allow_callouts */
};

static void extras_default(ward_policy_extras *x)
{
    memset(x, 0, sizeof(*x));
    x->prompt_timeout = 60;
    x->prompt_default = WARD_V_BLOCK;
    x->callout_failure = WARD_V_BLOCK;
    x->stream_bytes = WARD_POLICY_STREAM_BYTES;
    x->stream_ms = WARD_POLICY_STREAM_MS;
    x->ids_depth = WARD_POLICY_IDS_DEPTH;
    x->av_bound = 10;
}

void ward_policy_allow_callouts(ward_policy *p, const char *const *names)
{
    p->extra_callouts = names;
}

const char *const *policy_extra_callouts(const ward_policy *p)
{
    return p ? p->extra_callouts : NULL;
}

ward_policy *ward_policy_new(void)
{
    ward_policy *p = calloc(1, sizeof(*p));
    if (p)
        extras_default(&p->extras);
    return p;
}

static void zones_free(ward_policy *p)
{
    for (size_t i = 0; i < p->n_zones; i++) {
        free(p->zones[i].name);
        free(p->zones[i].cidrs);
    }
    free(p->zones);
    p->zones = NULL;
    p->n_zones = 0;
}

static void files_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ward_policy_free(ward_policy *p)
{
    if (!p)
        return;
    ward_engine_free(p->e);
    zones_free(p);
    files_free(p->files, p->n_files);
    free(p->diag);
    free(p);
}

void ward_policy_trust_uid(ward_policy *p, uid_t uid)
{
    struct secrecy *s = &p->secrecy;
    if (s->n_trusted < sizeof(s->trusted) / sizeof(s->trusted[0]))
        s->trusted[s->n_trusted++] = uid;
}

void ward_policy_skip_secrecy(ward_policy *p, bool skip)
{
    p->secrecy.skip = skip;
}

const char *ward_policy_diagnostics(const ward_policy *p)
{
    return p->diag ? p->diag : "";
}

size_t ward_policy_error_count(const ward_policy *p)
{
    return p->errors;
}

ward_engine *ward_policy_engine(ward_policy *p)
{
    return p->e;
}

ward_engine *ward_policy_take_engine(ward_policy *p)
{
    ward_engine *e = p->e;
    p->e = NULL;
    return e;
}

const ward_policy_extras *ward_policy_get_extras(const ward_policy *p)
{
    return &p->extras;
}

size_t ward_policy_zone_count(const ward_policy *p)
{
    return p->n_zones;
}

const char *ward_policy_zone_at(const ward_policy *p, size_t i, const ward_cidr **cidrs, size_t *n)
{
    if (i >= p->n_zones)
        return NULL;
    *cidrs = p->zones[i].cidrs;
    *n = p->zones[i].n;
    return p->zones[i].name;
}

static bool zones_copy(struct pzone **out, const struct zone_def *z, size_t n)
{
    struct pzone *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return false;
    for (size_t i = 0; i < n; i++) {
        v[i].name = strdup(z[i].name);
        v[i].cidrs = malloc((z[i].n ? z[i].n : 1) * sizeof(ward_cidr));
        v[i].n = z[i].n;
        if (!v[i].name || !v[i].cidrs) {
            for (size_t k = 0; k <= i; k++) {
                free(v[k].name);
                free(v[k].cidrs);
            }
            free(v);
            return false;
        }
        if (z[i].n)
            memcpy(v[i].cidrs, z[i].cidrs, z[i].n * sizeof(ward_cidr));
    }
    *out = v;
    return true;
}

/* One run: a fresh engine, every file (or the text), then either the
 * handover or nothing. */
static int run(ward_policy *p, const char *const *files, size_t n, size_t learned_from,
               const char *name, const char *text, size_t len)
{
    struct load ld = {.pol = p, .secrecy = &p->secrecy, .learned_from = learned_from};
    ward_settings_default(&ld.settings);
    extras_default(&ld.extras);
    ld.e = ward_engine_new();
    if (!ld.e)
        return WARD_E_NOMEM;
    if (text) {
        struct source *s = arena_alloc(&ld.arena, sizeof(*s));
        char *copy = arena_alloc(&ld.arena, len + 1);
        char cwd[4096];
        if (s && copy) {
            memcpy(copy, text, len);
            *s = (struct source){
                .path = name,
                .text = copy,
                .len = len,
                .root = getcwd(cwd, sizeof(cwd)) ? arena_strdup(&ld.arena, cwd, strlen(cwd)) : "/"};
            ld.srcs = s;
            ld.n_srcs = 1;
            if (len > WARD_POLICY_MAX_FILE)
                diag_plain(&ld, "'%s' is larger than %u bytes: refusing it", name,
                           WARD_POLICY_MAX_FILE);
            else if (source_is_text(&ld, 0))
                parse_source(&ld, 0);
        }
    } else {
        for (size_t i = 0; i < n && !ld.stopped; i++) {
            ld.top = i;
            int src = source_open(&ld, files[i], NULL, NULL);
            if (src >= 0)
                parse_source(&ld, src);
        }
    }
    if (ld.arena.oom || ld.diag.oom) {
        diag_plain(&ld, "out of memory");
    }
    if (!ld.errors && ward_engine_configure(ld.e, &ld.settings) < 0)
        diag_plain(&ld, "%s", ward_engine_error(ld.e));

    struct pzone *zones = NULL;
    char **fv = NULL;
    if (!ld.errors) {
        fv = calloc(n + 1, sizeof(*fv));
        bool ok = fv && zones_copy(&zones, ld.zones, ld.n_zones);
        for (size_t i = 0; ok && i < n; i++)
            ok = (fv[i] = strdup(files[i])) != NULL;
        if (!ok) {
            free(zones);
            files_free(fv, n);
            fv = NULL;
            diag_plain(&ld, "out of memory");
        }
    }
    free(p->diag);
    p->diag = ld.diag.s;
    p->errors = ld.errors;
    int rc = (int)(ld.errors > 0x7fffffff ? 0x7fffffff : ld.errors);
    if (ld.errors) {
        ward_engine_free(ld.e);
    } else {
        ward_engine_free(p->e);
        p->e = ld.e;
        p->extras = ld.extras;
        zones_free(p);
        p->zones = zones;
        p->n_zones = ld.n_zones;
        files_free(p->files, p->n_files);
        p->files = fv;
        p->n_files = text ? 0 : n;
    }
    arena_free(&ld.arena);
    return rc;
}

int ward_policy_load(ward_policy *p, const char *const *files, size_t n)
{
    return run(p, files, n, 0, NULL, NULL, 0);
}

int ward_policy_load_text(ward_policy *p, const char *name, const char *text, size_t len)
{
    return run(p, NULL, 0, 0, name ? name : "(text)", text, len);
}

int ward_policy_load_more(ward_policy *p, const char *const *files, size_t n)
{
    /* The engine cannot be copied, so the files in force are read again with
     * the new ones: the result is still all-or-nothing. */
    const char **all = calloc(p->n_files + n + 1, sizeof(*all));
    if (!all)
        return WARD_E_NOMEM;
    for (size_t i = 0; i < p->n_files; i++)
        all[i] = p->files[i];
    for (size_t i = 0; i < n; i++)
        all[p->n_files + i] = files[i];
    int rc = run(p, all, p->n_files + n, p->n_files, NULL, NULL, 0);
    free(all);
    return rc;
}

#define MAX_RULE_TEXT 4096

int64_t ward_policy_add_rule(ward_policy *p, ward_engine *e, const ward_rule_text *rt, char *err,
                             size_t errlen)
{
    struct load ld = {.pol = p,
                      .secrecy = &p->secrecy,
                      .e = e,
                      .control = true,
                      .default_provider = rt->provider,
                      .session = rt->session,
                      .last_rule = -1};
    const char *name = rt->name ? rt->name : "rule";
    size_t len = strlen(rt->text);
    /* The zones of the policy in force, by name, as a load would know them. */
    for (size_t i = 0; i < p->n_zones; i++) {
        struct zone_def *z =
            arena_push(&ld.arena, &ld.zones, &ld.n_zones, &ld.cap_zones, sizeof(*z));
        if (!z || !nmap_put(&ld.arena, &ld.zone_index, p->zones[i].name, i))
            break;
        *z = (struct zone_def){p->zones[i].name, p->zones[i].cidrs, p->zones[i].n};
    }
    struct source *s = arena_alloc(&ld.arena, sizeof(*s));
    char *copy = arena_alloc(&ld.arena, len + 1);
    bool ok = false;
    if (s && copy && !ld.arena.oom) {
        memcpy(copy, rt->text, len);
        *s = (struct source){.path = name, .text = copy, .len = len, .root = "/"};
        ld.srcs = s;
        ld.n_srcs = 1;
        if (len > MAX_RULE_TEXT)
            diag_plain(&ld, "a rule is at most %d bytes", MAX_RULE_TEXT);
        else if (source_is_text(&ld, 0))
            ok = parse_one_rule(&ld, 0, rt->app_id, rt->program);
    }
    if (ld.arena.oom || ld.diag.oom)
        diag_plain(&ld, "out of memory");
    if (ok && ld.errors) {
        ward_app_rule_remove(e, (uint64_t)ld.last_rule); /* a lexer error beside a good rule */
        ok = false;
    }
    if (!ok)
        snprintf(err, errlen, "%s", ld.diag.s ? ld.diag.s : "bad rule");
    free(ld.diag.s);
    arena_free(&ld.arena);
    return ok ? ld.last_rule : WARD_E_INVAL;
}

int ward_policy_remove_object(ward_engine *e, int kind, int64_t id)
{
    switch (kind) {
    case WARD_OBJ_FILTER:
        return ward_filter_remove(e, (uint64_t)id);
    case WARD_OBJ_SUBLAYER:
        return ward_sublayer_remove(e, (uint32_t)id);
    case WARD_OBJ_PROVIDER:
        return ward_provider_remove(e, (uint32_t)id);
    }
    return WARD_E_INVAL;
}

int64_t ward_policy_add_object(ward_policy *p, ward_engine *e, const ward_object_text *ot,
                               int *kind, char *err, size_t errlen)
{
    struct load ld = {.pol = p,
                      .secrecy = &p->secrecy,
                      .e = e,
                      .control = true,
                      .default_provider = WARD_PROVIDER_ADMIN,
                      .session = ot->session,
                      .force_dynamic = ot->dynamic,
                      .last_rule = -1,
                      .last_filter = -1};
    const char *name = ot->name ? ot->name : "filter";
    size_t len = strlen(ot->text);
    for (size_t i = 0; i < p->n_zones; i++) {
        struct zone_def *z =
            arena_push(&ld.arena, &ld.zones, &ld.n_zones, &ld.cap_zones, sizeof(*z));
        if (!z || !nmap_put(&ld.arena, &ld.zone_index, p->zones[i].name, i))
            break;
        *z = (struct zone_def){p->zones[i].name, p->zones[i].cidrs, p->zones[i].n};
    }
    struct source *s = arena_alloc(&ld.arena, sizeof(*s));
    char *copy = arena_alloc(&ld.arena, len + 1);
    bool ok = false;
    int64_t id = -1;
    *kind = 0;
    if (s && copy && !ld.arena.oom) {
        memcpy(copy, ot->text, len);
        *s = (struct source){.path = name, .text = copy, .len = len, .root = "/"};
        ld.srcs = s;
        ld.n_srcs = 1;
        if (len > MAX_RULE_TEXT)
            diag_plain(&ld, "a statement is at most %d bytes", MAX_RULE_TEXT);
        else if (source_is_text(&ld, 0))
            ok = parse_one_object(&ld, 0, kind, &id);
    }
    if (ld.arena.oom || ld.diag.oom)
        diag_plain(&ld, "out of memory");
    if (ok && ld.errors) {
        /* a lexer error beside a good statement */
        ward_policy_remove_object(e, *kind, id);
        ok = false;
    }
    if (!ok)
        snprintf(err, errlen, "%s", ld.diag.s ? ld.diag.s : "bad statement");
    free(ld.diag.s);
    arena_free(&ld.arena);
    return ok ? id : WARD_E_INVAL;
}
