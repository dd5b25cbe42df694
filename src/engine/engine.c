/*
 * engine.c — the engine's objects: providers, sublayers, filters,
 * applications and their rules, callouts, settings, lifetimes.
 */
#define _POSIX_C_SOURCE 200809L
#include "engine/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Names --------------------------------------------------------------- */

static const char *const layer_names[WARD_LAYER_COUNT] = {
    "connect-out", "accept-in", "bind", "packet-out", "packet-in", "dns",
};

static const char *const field_names[WARD_F_COUNT] = {
    "app-path",    "app-id",      "app-sha256",  "cmdline",       "uid",
    "gid",         "cgroup",      "proto",       "direction",     "local-addr",
    "remote-addr", "local-port",  "remote-port", "remote-domain", "iface",
    "time",        "remote-zone", "local-zone",  "icmp-type",     "encrypted-dns",
};

static const char *const verdict_names[] = {
    "permit", "block", "continue", "defer", "need-more-data", "drop-connection",
};

static const char *const reason_names[WARD_R_COUNT] = {
    "default",      "filter", "callout", "callout-missing", "veto",         "no-prompter",
    "unattributed", "self",   "mode",    "app-rule",        "app-fallback", "app-unknown",
    "app-pin",
};

static const char *const lifetime_names[] = {
    "persistent", "dynamic", "timed", "once", "until-exit", "until-restart", "boot",
};

static const char *const mode_names[] = {"ask", "allow-all", "deny-all"};

static const char *const fallback_names[] = {"opposite", "ask", "permit", "block"};

static const char *const name_src_names[WARD_NAME_SRC_COUNT] = {
    NULL, "dns", "dns-tcp", "mdns", "llmnr", "sni", "http-host", "shim",
};

const char *ward_name_src_name(unsigned src)
{
    return src < WARD_NAME_SRC_COUNT ? name_src_names[src] : NULL;
}

unsigned ward_name_src_parse(const char *name)
{
    for (unsigned i = 1; name && i < WARD_NAME_SRC_COUNT; i++)
        if (!strcmp(name_src_names[i], name))
            return i;
    return WARD_NAME_NONE;
}

const char *ward_app_fallback_name(enum ward_app_fallback f)
{
    return (unsigned)f <= WARD_FALLBACK_BLOCK ? fallback_names[f] : "?";
}

const char *ward_layer_name(enum ward_layer l)
{
    return (unsigned)l < WARD_LAYER_COUNT ? layer_names[l] : "?";
}

int ward_layer_from_name(const char *name)
{
    for (int i = 0; i < WARD_LAYER_COUNT; i++)
        if (strcmp(layer_names[i], name) == 0)
            return i;
    return -1;
}

const char *ward_field_name(enum ward_field f)
{
    return (unsigned)f < WARD_F_COUNT ? field_names[f] : "?";
}

int ward_field_from_name(const char *name)
{
    for (int i = 0; i < WARD_F_COUNT; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return -1;
}

const char *ward_verdict_name(enum ward_verdict v)
{
    return (unsigned)v <= WARD_V_DROP_CONNECTION ? verdict_names[v] : "?";
}

const char *ward_reason_name(enum ward_reason r)
{
    return (unsigned)r < WARD_R_COUNT ? reason_names[r] : "?";
}

const char *ward_lifetime_name(enum ward_lifetime_kind k)
{
    return (unsigned)k <= WARD_LIFE_BOOT ? lifetime_names[k] : "?";
}

const char *ward_mode_name(enum ward_mode m)
{
    return (unsigned)m <= WARD_MODE_DENY_ALL ? mode_names[m] : "?";
}

const char *ward_strerror(int err)
{
    switch (err) {
    case WARD_OK:
        return "success";
    case WARD_E_NOMEM:
        return "out of memory";
    case WARD_E_INVAL:
        return "invalid argument";
    case WARD_E_NOENT:
        return "no such object";
    case WARD_E_EXIST:
        return "object exists";
    case WARD_E_FIELD:
        return "condition not offered by the layer";
    case WARD_E_LIMIT:
        return "limit exceeded";
    case WARD_E_BUSY:
        return "object in use";
    }
    return "unknown error";
}

/* Which conditions each layer offers (WFP: each layer has a schema). */
#define APP_FIELDS                                                                                 \
    ((1u << WARD_F_APP_PATH) | (1u << WARD_F_APP_ID) | (1u << WARD_F_APP_SHA256) |                 \
     (1u << WARD_F_CMDLINE) | (1u << WARD_F_UID) | (1u << WARD_F_GID) | (1u << WARD_F_CGROUP))
#define ALL_FIELDS ((1u << WARD_F_COUNT) - 1)
#define LOCAL_FIELDS                                                                               \
    ((1u << WARD_F_PROTO) | (1u << WARD_F_LOCAL_ADDR) | (1u << WARD_F_LOCAL_PORT) |                \
     (1u << WARD_F_LOCAL_ZONE) | (1u << WARD_F_TIME) | (1u << WARD_F_IFACE))

/* Encrypted DNS is a connection a program makes: outbound only. */
#define OUT_ONLY_FIELDS (1u << WARD_F_ENCRYPTED_DNS)

static const uint32_t layer_fields[WARD_LAYER_COUNT] = {
    [WARD_LAYER_CONNECT_OUT] = ALL_FIELDS,
    [WARD_LAYER_ACCEPT_IN] = ALL_FIELDS & ~OUT_ONLY_FIELDS,
    [WARD_LAYER_BIND] = APP_FIELDS | LOCAL_FIELDS,
    [WARD_LAYER_PACKET_OUT] = ALL_FIELDS & ~APP_FIELDS & ~OUT_ONLY_FIELDS,
    [WARD_LAYER_PACKET_IN] = ALL_FIELDS & ~APP_FIELDS & ~OUT_ONLY_FIELDS,
    [WARD_LAYER_DNS] = ALL_FIELDS & ~(1u << WARD_F_ICMP_TYPE) & ~OUT_ONLY_FIELDS,
};

bool ward_layer_has_field(enum ward_layer layer, enum ward_field f)
{
    return (unsigned)layer < WARD_LAYER_COUNT && (unsigned)f < WARD_F_COUNT &&
           (layer_fields[layer] & (1u << f));
}

/* ---- The handle ---------------------------------------------------------- */

void ward_settings_default(ward_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->mode = WARD_MODE_ASK;
    s->no_prompter = WARD_V_PERMIT;
    s->unattributed = WARD_V_PERMIT;
    for (int i = 0; i < WARD_LAYER_COUNT; i++)
        s->layer_default[i] = WARD_V_PERMIT;
}

ward_engine *ward_engine_new(void)
{
    ward_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    ward_settings_default(&e->settings);
    e->next_id = 1;
    e->next_sublayer_id = 1;
    if (ward_provider_add(e, "admin") != (int)WARD_PROVIDER_ADMIN ||
        ward_provider_add(e, "learned") != (int)WARD_PROVIDER_LEARNED ||
        ward_sublayer_add(e, "admin", 0xc000, WARD_SUBLAYER_FILTERS) != (int)WARD_SUBLAYER_ADMIN ||
        ward_sublayer_add(e, "applications", 0x8000, WARD_SUBLAYER_APPLICATIONS) !=
            (int)WARD_SUBLAYER_APPLICATIONS ||
        engine_resolvers_init(e) < 0) {
        ward_engine_free(e);
        return NULL;
    }
    return e;
}

static void cond_mem_free(struct cond_mem *m)
{
    if (m->strs)
        for (size_t i = 0; i < m->n; i++)
            free(m->strs[i]);
    free(m->strs);
    free(m->values);
}

/* Counts (delta +1) or uncounts (-1) the fields f's conditions use. */
static void filter_fields_count(ward_engine *e, const struct filter *f, int delta)
{
    for (size_t i = 0; i < f->def.n_conds; i++)
        e->field_uses[f->def.layer][f->def.conds[i].field] += (uint32_t)delta;
}

bool ward_engine_uses_field(const ward_engine *e, enum ward_layer layer, enum ward_field f)
{
    return (unsigned)layer < WARD_LAYER_COUNT && (unsigned)f < WARD_F_COUNT &&
           e->field_uses[layer][f] > 0;
}

static void filter_free(struct filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->def.n_conds; i++)
        cond_mem_free(&f->mem[i]);
    free(f->mem);
    free(f->conds);
    free((void *)f->def.name);
    free((void *)f->def.callout);
    free((void *)f->def.origin);
    free(f);
}

static void app_rule_free(struct app_rule *r)
{
    free(r); /* its lists and strings are in the same block */
}

/* Copies a string to *at and moves *at past it. */
static const char *copy_str(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = memcpy(*at, s, n);
    *at += n;
    return d;
}

/* Copies n bytes of a list to *at and moves *at past them. */
static void *copy_list(char **at, const void *v, size_t n)
{
    void *d = *at;
    if (n)
        memcpy(d, v, n);
    *at += n;
    return d;
}

static void app_free(struct app *a)
{
    for (size_t i = 0; i < a->n_rules; i++)
        app_rule_free(a->rules[i]);
    free(a->rules);
    free(a->path);
    free(a);
}

static void sublayer_free(struct sublayer *s)
{
    for (int l = 0; l < WARD_LAYER_COUNT; l++) {
        for (size_t i = 0; i < s->sets[l].n; i++)
            filter_free(s->sets[l].sorted[i]);
        filter_set_free(&s->sets[l]);
    }
    free(s->name);
    free(s);
}

void ward_engine_free(ward_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n_sublayers; i++)
        sublayer_free(e->sublayers[i]);
    for (size_t i = 0; i < e->n_apps; i++)
        app_free(e->apps[i]);
    free(e->apps);
    strmap_free(&e->apps_by_path);
    u64map_free(&e->apps_by_id);
    u64map_free(&e->app_rules);
    u64map_free(&e->filters);
    for (size_t i = 0; i < e->n_providers; i++)
        free(e->providers[i]);
    free(e->providers);
    for (size_t i = 0; i < e->n_zones; i++) {
        free(e->zones[i].name);
        free(e->zones[i].cidrs);
    }
    free(e->zones);
    free(e->self);
    free(e->resolver_cidrs);
    for (size_t i = 0; i < e->n_resolver_names; i++)
        free(e->resolver_names[i]);
    free(e->resolver_names);
    for (size_t i = 0; i < e->n_callouts; i++)
        free(e->callouts[i].name);
    free(e->callouts);
    free(e);
}

void ward_engine_settings(const ward_engine *e, ward_settings *out)
{
    *out = e->settings;
}

static bool verdict_is_final(enum ward_verdict v)
{
    return v == WARD_V_PERMIT || v == WARD_V_BLOCK;
}

int ward_engine_configure(ward_engine *e, const ward_settings *s)
{
    if ((unsigned)s->mode > WARD_MODE_DENY_ALL || !verdict_is_final(s->no_prompter) ||
        !verdict_is_final(s->unattributed) || (unsigned)s->no_prompter_scope > WARD_NP_ALL ||
        (unsigned)s->self_traffic > WARD_SELF_RULES) {
        engine_seterr(e, "settings: mode must be ask/allow-all/deny-all and outcomes "
                         "permit or block");
        return WARD_E_INVAL;
    }
    if (s->no_prompter_scope == WARD_NP_ALL && s->no_prompter != WARD_V_BLOCK) {
        engine_seterr(e, "settings: no-prompter for all must block (a pass before the rules "
                         "would override deny rules)");
        return WARD_E_INVAL;
    }
    for (int i = 0; i < WARD_LAYER_COUNT; i++) {
        if (!verdict_is_final(s->layer_default[i])) {
            engine_seterr(e, "settings: default of layer %s must be permit or block",
                          layer_names[i]);
            return WARD_E_INVAL;
        }
    }
    e->settings = *s;
    return 0;
}

void ward_engine_set_prompter(ward_engine *e, bool present)
{
    e->prompter = present;
}

void ward_engine_stats_get(const ward_engine *e, ward_engine_stats *out)
{
    *out = e->stats;
    out->filters = e->n_filters;
    out->apps = e->n_apps;
    out->app_rules = e->n_app_rules;
    out->index_bytes = 0;
    for (size_t i = 0; i < e->n_sublayers; i++)
        for (int l = 0; l < WARD_LAYER_COUNT; l++)
            out->index_bytes += filter_set_bytes(&e->sublayers[i]->sets[l]);
}

/* ---- Providers ----------------------------------------------------------- */

static bool name_ok(const char *name)
{
    return name && *name && strlen(name) < WARD_MAX_NAME;
}

int ward_provider_add(ward_engine *e, const char *name)
{
    if (!name_ok(name)) {
        engine_seterr(e, "provider: bad name");
        return WARD_E_INVAL;
    }
    if (ward_provider_find(e, name) > 0) {
        engine_seterr(e, "provider %s exists", name);
        return WARD_E_EXIST;
    }
    if (e->n_providers >= 1024)
        return WARD_E_LIMIT;
    char **p = realloc(e->providers, (e->n_providers + 1) * sizeof(*p));
    if (!p)
        return WARD_E_NOMEM;
    e->providers = p;
    if (!(p[e->n_providers] = strdup(name)))
        return WARD_E_NOMEM;
    return (int)++e->n_providers;
}

int ward_provider_find(const ward_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_providers; i++)
        if (e->providers[i] && strcmp(e->providers[i], name) == 0)
            return (int)i + 1;
    return WARD_E_NOENT;
}

const char *ward_provider_name(const ward_engine *e, uint32_t id)
{
    return id >= 1 && id <= e->n_providers ? e->providers[id - 1] : NULL;
}

static int provider_user(uint64_t id, const ward_filter_def *def, void *arg)
{
    (void)id;
    return def->provider == *(const uint32_t *)arg ? 1 : 0;
}

int ward_provider_remove(ward_engine *e, uint32_t id)
{
    if (!ward_provider_name(e, id) || id <= WARD_PROVIDER_LEARNED)
        return WARD_E_NOENT;
    bool used = ward_filter_foreach(e, provider_user, &id) != 0;
    for (size_t i = 0; !used && i < e->n_apps; i++)
        for (size_t j = 0; !used && j < e->apps[i]->n_rules; j++)
            used = e->apps[i]->rules[j]->def.provider == id;
    if (used) {
        engine_seterr(e, "provider %s is named by filters or rules", e->providers[id - 1]);
        return WARD_E_BUSY;
    }
    free(e->providers[id - 1]);
    e->providers[id - 1] = NULL;
    return 0;
}

/* ---- Sublayers ----------------------------------------------------------- */

struct sublayer *engine_sublayer(const ward_engine *e, uint32_t id)
{
    for (size_t i = 0; i < e->n_sublayers; i++)
        if (e->sublayers[i]->id == id)
            return e->sublayers[i];
    return NULL;
}

int ward_sublayer_add(ward_engine *e, const char *name, uint16_t weight,
                      enum ward_sublayer_kind kind)
{
    if (!name_ok(name) || (unsigned)kind > WARD_SUBLAYER_APPLICATIONS) {
        engine_seterr(e, "sublayer: bad name or kind");
        return WARD_E_INVAL;
    }
    if (ward_sublayer_find(e, name) > 0) {
        engine_seterr(e, "sublayer %s exists", name);
        return WARD_E_EXIST;
    }
    for (size_t i = 0; i < e->n_sublayers; i++) {
        if (kind == WARD_SUBLAYER_APPLICATIONS &&
            e->sublayers[i]->kind == WARD_SUBLAYER_APPLICATIONS) {
            engine_seterr(e, "sublayer %s: there is one applications sublayer (%s)", name,
                          e->sublayers[i]->name);
            return WARD_E_EXIST;
        }
    }
    if (e->n_sublayers >= WARD_MAX_SUBLAYERS) {
        engine_seterr(e, "sublayer %s: at most %d sublayers", name, WARD_MAX_SUBLAYERS);
        return WARD_E_LIMIT;
    }
    struct sublayer *s = calloc(1, sizeof(*s));
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return WARD_E_NOMEM;
    }
    for (int l = 0; l < WARD_LAYER_COUNT; l++) {
        if (!(s->sets[l].general = cls_new())) {
            for (int k = 0; k < l; k++)
                cls_free(s->sets[k].general);
            free(s->name);
            free(s);
            return WARD_E_NOMEM;
        }
    }
    for (int l = 0; l < WARD_LAYER_COUNT; l++)
        cls_set_deferred(s->sets[l].general, e->defer_rebuilds);
    s->id = e->next_sublayer_id++;
    s->weight = weight;
    s->kind = kind;
    /* Keep highest weight first; equal weights keep the order of creation. */
    size_t at = e->n_sublayers;
    while (at > 0 && e->sublayers[at - 1]->weight < weight) {
        e->sublayers[at] = e->sublayers[at - 1];
        at--;
    }
    e->sublayers[at] = s;
    e->n_sublayers++;
    return (int)s->id;
}

void ward_engine_defer_rebuilds(ward_engine *e)
{
    e->defer_rebuilds = true;
    for (size_t i = 0; i < e->n_sublayers; i++)
        for (int l = 0; l < WARD_LAYER_COUNT; l++)
            cls_set_deferred(e->sublayers[i]->sets[l].general, true);
}

ward_rebuild *ward_engine_rebuild_take(ward_engine *e)
{
    for (size_t i = 0; i < e->n_sublayers; i++) {
        for (int l = 0; l < WARD_LAYER_COUNT; l++) {
            ward_rebuild *r = cls_rebuild_take(e->sublayers[i]->sets[l].general);
            if (r)
                return r;
        }
    }
    return NULL;
}

int ward_sublayer_find(const ward_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_sublayers; i++)
        if (strcmp(e->sublayers[i]->name, name) == 0)
            return (int)e->sublayers[i]->id;
    return WARD_E_NOENT;
}

int ward_sublayer_remove(ward_engine *e, uint32_t id)
{
    for (size_t i = 0; i < e->n_sublayers; i++) {
        struct sublayer *s = e->sublayers[i];
        if (s->id != id)
            continue;
        if (s->kind == WARD_SUBLAYER_APPLICATIONS) {
            engine_seterr(e, "sublayer %s holds the application rules and stays", s->name);
            return WARD_E_INVAL;
        }
        for (int l = 0; l < WARD_LAYER_COUNT; l++) {
            for (size_t k = 0; k < s->sets[l].n; k++) {
                u64map_del(&e->filters, s->sets[l].sorted[k]->id);
                filter_fields_count(e, s->sets[l].sorted[k], -1);
                e->n_filters--;
            }
        }
        sublayer_free(s);
        memmove(&e->sublayers[i], &e->sublayers[i + 1],
                (e->n_sublayers - i - 1) * sizeof(e->sublayers[0]));
        e->n_sublayers--;
        return 0;
    }
    engine_seterr(e, "no sublayer %u", id);
    return WARD_E_NOENT;
}

size_t ward_sublayer_list(const ward_engine *e, ward_sublayer_info *out, size_t max)
{
    for (size_t i = 0; i < e->n_sublayers && i < max; i++) {
        const struct sublayer *s = e->sublayers[i];
        out[i] = (ward_sublayer_info){s->id, s->name, s->weight, s->kind};
    }
    return e->n_sublayers;
}

/* ---- Filters ------------------------------------------------------------- */

enum ward_value_kind ward_field_kind(enum ward_field f)
{
    switch (f) {
    case WARD_F_APP_PATH:
    case WARD_F_CMDLINE:
    case WARD_F_CGROUP:
    case WARD_F_REMOTE_DOMAIN:
    case WARD_F_IFACE:
    case WARD_F_REMOTE_ZONE:
    case WARD_F_LOCAL_ZONE:
        return WARD_VAL_STR;
    case WARD_F_APP_ID:
        return WARD_VAL_EXE;
    case WARD_F_APP_SHA256:
        return WARD_VAL_SHA;
    case WARD_F_LOCAL_ADDR:
    case WARD_F_REMOTE_ADDR:
        return WARD_VAL_CIDR;
    case WARD_F_TIME:
        return WARD_VAL_TIME;
    default:
        return WARD_VAL_RANGE;
    }
}

static bool field_holds_strings(enum ward_field f)
{
    return ward_field_kind(f) == WARD_VAL_STR;
}

static size_t field_value_size(enum ward_field f)
{
    static const size_t size[] = {
        [WARD_VAL_STR] = 0,
        [WARD_VAL_RANGE] = sizeof(ward_range),
        [WARD_VAL_CIDR] = sizeof(ward_cidr),
        [WARD_VAL_EXE] = sizeof(ward_exe_id),
        [WARD_VAL_SHA] = sizeof(ward_sha256),
        [WARD_VAL_TIME] = sizeof(ward_time_window),
    };
    return size[ward_field_kind(f)];
}

/* Upper bounds of the numeric fields, so that a definition is checked once
 * here and never surprises the index. */
static uint32_t field_max(enum ward_field f)
{
    switch (f) {
    case WARD_F_PROTO:
        return 255;
    case WARD_F_DIRECTION:
        return WARD_DIR_IN;
    case WARD_F_LOCAL_PORT:
    case WARD_F_REMOTE_PORT:
        return 65535;
    case WARD_F_ICMP_TYPE:
        return 255;
    case WARD_F_ENCRYPTED_DNS:
        return WARD_ENCDNS_DOH;
    default:
        return UINT32_MAX;
    }
}

static int cond_check(ward_engine *e, const ward_cond *c)
{
    if ((unsigned)c->field >= WARD_F_COUNT) {
        engine_seterr(e, "condition: unknown field %d", (int)c->field);
        return WARD_E_INVAL;
    }
    const char *fname = field_names[c->field];
    if (c->n == 0 || c->n > WARD_MAX_VALUES || !c->v.str) {
        engine_seterr(e, "condition %s: needs 1 to %d values", fname, WARD_MAX_VALUES);
        return WARD_E_INVAL;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (field_holds_strings(c->field)) {
            const char *s = c->v.str[i];
            if (!s || !*s || strlen(s) >= 4096) {
                engine_seterr(e, "condition %s: empty or overlong value", fname);
                return WARD_E_INVAL;
            }
            if ((c->field == WARD_F_REMOTE_ZONE || c->field == WARD_F_LOCAL_ZONE) &&
                !ward_zone_exists(e, s)) {
                engine_seterr(e, "condition %s: no zone named %s", fname, s);
                return WARD_E_NOENT;
            }
        } else if (field_value_size(c->field) == sizeof(ward_range)) {
            ward_range r = c->v.range[i];
            if (r.lo > r.hi || r.hi > field_max(c->field)) {
                engine_seterr(e, "condition %s: bad range %u-%u (max %u)", fname, r.lo, r.hi,
                              field_max(c->field));
                return WARD_E_INVAL;
            }
        } else if (c->field == WARD_F_LOCAL_ADDR || c->field == WARD_F_REMOTE_ADDR) {
            if (c->v.cidr[i].plen > 128) {
                engine_seterr(e, "condition %s: prefix length over 128", fname);
                return WARD_E_INVAL;
            }
        } else if (c->field == WARD_F_TIME) {
            ward_time_window w = c->v.time[i];
            if (w.start > 1440 || w.end > 1440 || !(w.days & WARD_DAYS_ALL) || w.days > 0x7f) {
                engine_seterr(e, "condition time: bad window");
                return WARD_E_INVAL;
            }
        }
    }
    return 0;
}

/* Copies src into engine memory m; dst is the condition pointing at it. */
static int cond_copy(ward_cond *dst, struct cond_mem *m, const ward_cond *src)
{
    *dst = *src;
    if (field_holds_strings(src->field)) {
        if (!(m->strs = calloc(src->n, sizeof(char *))))
            return WARD_E_NOMEM;
        for (size_t i = 0; i < src->n; i++, m->n++)
            if (!(m->strs[i] = strdup(src->v.str[i])))
                return WARD_E_NOMEM;
        dst->v.str = (const char *const *)m->strs;
        return 0;
    }
    size_t sz = field_value_size(src->field) * src->n;
    if (!(m->values = malloc(sz)))
        return WARD_E_NOMEM;
    memcpy(m->values, src->v.range, sz);
    dst->v.range = m->values; /* every union member is a pointer to the same place */
    return 0;
}

static char *dup_opt(const char *s, bool *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = true;
    return d;
}

static int lifetime_check(ward_engine *e, const ward_lifetime *l)
{
    if ((unsigned)l->kind > WARD_LIFE_BOOT) {
        engine_seterr(e, "lifetime: unknown kind %d", (int)l->kind);
        return WARD_E_INVAL;
    }
    return 0;
}

/* The exact program path a filter can be indexed under, if it has one. */
static const char *filter_app_key(const struct filter *f)
{
    for (size_t i = 0; i < f->def.n_conds; i++) {
        const ward_cond *c = &f->def.conds[i];
        if (c->field == WARD_F_APP_PATH && !c->negate && c->n == 1 && !is_glob(c->v.str[0]))
            return c->v.str[0];
    }
    return NULL;
}

int64_t ward_filter_add(ward_engine *e, const ward_filter_def *def)
{
    if (!def || (unsigned)def->layer >= WARD_LAYER_COUNT ||
        (unsigned)def->action > WARD_ACT_CALLOUT || def->n_conds > WARD_MAX_CONDS ||
        (def->n_conds && !def->conds)) {
        engine_seterr(e, "filter: bad layer, action or conditions");
        return WARD_E_INVAL;
    }
    const char *fname = def->name ? def->name : "(unnamed)";
    if ((def->name && strlen(def->name) >= WARD_MAX_NAME) ||
        (def->origin && strlen(def->origin) >= 4096)) {
        engine_seterr(e, "filter: overlong name or origin");
        return WARD_E_INVAL;
    }
    struct sublayer *s = engine_sublayer(e, def->sublayer);
    if (!s || s->kind != WARD_SUBLAYER_FILTERS) {
        engine_seterr(e, "filter %s: no filter sublayer %u", fname, def->sublayer);
        return WARD_E_NOENT;
    }
    if (!ward_provider_name(e, def->provider)) {
        engine_seterr(e, "filter %s: no provider %u", fname, def->provider);
        return WARD_E_NOENT;
    }
    if (def->action == WARD_ACT_CALLOUT && (!def->callout || !name_ok(def->callout))) {
        engine_seterr(e, "filter %s: a callout action needs the callout's name", fname);
        return WARD_E_INVAL;
    }
    int rc = lifetime_check(e, &def->lifetime);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < def->n_conds; i++) {
        if ((rc = cond_check(e, &def->conds[i])) < 0)
            return rc;
        if (!ward_layer_has_field(def->layer, def->conds[i].field)) {
            engine_seterr(e, "filter %s: layer %s offers no condition %s", fname,
                          layer_names[def->layer], field_names[def->conds[i].field]);
            return WARD_E_FIELD;
        }
    }
    if (e->next_id > UINT32_MAX) {
        engine_seterr(e, "filter %s: out of ids", fname);
        return WARD_E_LIMIT;
    }

    struct filter *f = calloc(1, sizeof(*f));
    if (!f)
        return WARD_E_NOMEM;
    f->def = *def;
    f->def.name = f->def.callout = f->def.origin = NULL;
    f->def.n_conds = 0;
    bool fail = false;
    f->def.name = dup_opt(def->name, &fail);
    f->def.callout = def->action == WARD_ACT_CALLOUT ? dup_opt(def->callout, &fail) : NULL;
    f->def.origin = dup_opt(def->origin, &fail);
    if (def->n_conds && (!(f->conds = calloc(def->n_conds, sizeof(*f->conds))) ||
                         !(f->mem = calloc(def->n_conds, sizeof(*f->mem)))))
        fail = true;
    for (size_t i = 0; !fail && i < def->n_conds; i++) {
        f->def.n_conds = i + 1;
        if (cond_copy(&f->conds[i], &f->mem[i], &def->conds[i]) < 0)
            fail = true;
    }
    if (fail) {
        filter_free(f);
        return WARD_E_NOMEM;
    }
    f->def.conds = f->conds;
    f->id = e->next_id++;
    f->prio = ((uint64_t)(UINT32_MAX - def->weight) << 32) | f->id;
    f->app_key = filter_app_key(f);

    if (filter_set_insert(&s->sets[def->layer], f) < 0 || u64map_put(&e->filters, f->id, f) < 0) {
        filter_set_remove(&s->sets[def->layer], f);
        filter_free(f);
        return WARD_E_NOMEM;
    }
    e->n_filters++;
    filter_fields_count(e, f, 1);
    return (int64_t)f->id;
}

static struct filter_set *filter_home(ward_engine *e, const struct filter *f)
{
    struct sublayer *s = engine_sublayer(e, f->def.sublayer);
    return s ? &s->sets[f->def.layer] : NULL;
}

int ward_filter_remove(ward_engine *e, uint64_t id)
{
    struct filter *f = u64map_get(&e->filters, id);
    if (!f) {
        engine_seterr(e, "no filter %llu", (unsigned long long)id);
        return WARD_E_NOENT;
    }
    filter_set_remove(filter_home(e, f), f);
    u64map_del(&e->filters, id);
    filter_fields_count(e, f, -1);
    e->n_filters--;
    filter_free(f);
    return 0;
}

int ward_filter_get(const ward_engine *e, uint64_t id, ward_filter_def *out)
{
    const struct filter *f = u64map_get(&e->filters, id);
    if (!f)
        return WARD_E_NOENT;
    *out = f->def;
    return 0;
}

int ward_filter_foreach(const ward_engine *e, ward_filter_fn fn, void *ctx)
{
    for (size_t i = 0; i < e->n_sublayers; i++) {
        for (int l = 0; l < WARD_LAYER_COUNT; l++) {
            const struct filter_set *s = &e->sublayers[i]->sets[l];
            for (size_t k = 0; k < s->n; k++) {
                int rc = fn(s->sorted[k]->id, &s->sorted[k]->def, ctx);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

/* Removes every filter for which `doomed` says so; returns how many. */
static int filters_remove_if(ward_engine *e, bool (*doomed)(const struct filter *, const void *),
                             const void *arg)
{
    int removed = 0;
    for (size_t i = 0; i < e->n_sublayers; i++) {
        for (int l = 0; l < WARD_LAYER_COUNT; l++) {
            struct filter_set *s = &e->sublayers[i]->sets[l];
            for (size_t k = s->n; k-- > 0;) {
                struct filter *f = s->sorted[k];
                if (!doomed(f, arg))
                    continue;
                filter_set_remove(s, f);
                u64map_del(&e->filters, f->id);
                filter_fields_count(e, f, -1);
                e->n_filters--;
                filter_free(f);
                removed++;
            }
        }
    }
    return removed;
}

static int app_rules_remove_if(ward_engine *e,
                               bool (*doomed)(const ward_app_rule *, uint32_t, const void *),
                               const void *arg);

/* ---- Lifetimes and providers as units ------------------------------------ */

struct exit_key {
    uint32_t pid;
    uint64_t start;
};

static bool life_doomed(const ward_lifetime *l, uint32_t provider, int what, const void *arg)
{
    switch (what) {
    case 0: /* provider */
        return provider == *(const uint32_t *)arg;
    case 1: /* session */
        return l->kind == WARD_LIFE_DYNAMIC && l->session == *(const uint64_t *)arg;
    case 2: /* time */
        return lifetime_over(l, *(const int64_t *)arg);
    default: { /* process exit */
        const struct exit_key *k = arg;
        return l->kind == WARD_LIFE_UNTIL_EXIT && l->pid == k->pid && l->start_time == k->start;
    }
    }
}

struct doom_arg {
    int what;
    const void *arg;
};

static bool filter_doomed(const struct filter *f, const void *a)
{
    const struct doom_arg *d = a;
    return life_doomed(&f->def.lifetime, f->def.provider, d->what, d->arg);
}

static bool rule_doomed(const ward_app_rule *r, uint32_t provider, const void *a)
{
    const struct doom_arg *d = a;
    return life_doomed(&r->lifetime, provider, d->what, d->arg);
}

static int remove_by(ward_engine *e, int what, const void *arg)
{
    struct doom_arg d = {what, arg};
    return filters_remove_if(e, filter_doomed, &d) + app_rules_remove_if(e, rule_doomed, &d);
}

int ward_provider_flush(ward_engine *e, uint32_t provider)
{
    return remove_by(e, 0, &provider);
}

int ward_engine_end_session(ward_engine *e, uint64_t session)
{
    return remove_by(e, 1, &session);
}

int ward_engine_expire(ward_engine *e, int64_t now)
{
    return remove_by(e, 2, &now);
}

int ward_engine_process_exited(ward_engine *e, uint32_t pid, uint64_t start_time)
{
    struct exit_key k = {pid, start_time};
    return remove_by(e, 3, &k);
}

/* ---- Applications -------------------------------------------------------- */

int64_t ward_app_add(ward_engine *e, const char *path, const ward_sha256 *pin)
{
    if (!path || !*path || strlen(path) >= 4096) {
        engine_seterr(e, "app: empty or overlong path");
        return WARD_E_INVAL;
    }
    if (strmap_get(&e->apps_by_path, path)) {
        engine_seterr(e, "app %s exists", path);
        return WARD_E_EXIST;
    }
    struct app *a = calloc(1, sizeof(*a));
    if (!a || !(a->path = strdup(path))) {
        free(a);
        return WARD_E_NOMEM;
    }
    if (pin) {
        a->pinned = true;
        a->pin = *pin;
    }
    if (e->n_apps == e->cap_apps) {
        size_t cap = e->cap_apps ? e->cap_apps * 2 : 16;
        struct app **v = realloc(e->apps, cap * sizeof(*v));
        if (!v) {
            app_free(a);
            return WARD_E_NOMEM;
        }
        e->apps = v;
        e->cap_apps = cap;
    }
    a->id = e->next_id;
    if (u64map_put(&e->apps_by_id, a->id, a) < 0) {
        app_free(a);
        return WARD_E_NOMEM;
    }
    if (strmap_put(&e->apps_by_path, a->path, a) < 0) {
        u64map_del(&e->apps_by_id, a->id);
        app_free(a);
        return WARD_E_NOMEM;
    }
    e->next_id++;
    e->apps[e->n_apps++] = a;
    return (int64_t)a->id;
}

static struct app *app_by_id(const ward_engine *e, uint64_t id, size_t *index);

int ward_app_set_pin(ward_engine *e, uint64_t app_id, const ward_sha256 *pin, uint32_t provider)
{
    struct app *a = app_by_id(e, app_id, NULL);
    if (!a) {
        engine_seterr(e, "app pin: no app %llu", (unsigned long long)app_id);
        return WARD_E_NOENT;
    }
    a->pinned = pin != NULL;
    a->pin_provider = provider;
    if (pin)
        a->pin = *pin;
    return 0;
}

int ward_app_set_fallback(ward_engine *e, uint64_t app_id, enum ward_app_fallback f)
{
    struct app *a = app_by_id(e, app_id, NULL);
    if (!a || (unsigned)f > WARD_FALLBACK_BLOCK) {
        engine_seterr(e, "app fallback: no app %llu or bad fallback", (unsigned long long)app_id);
        return a ? WARD_E_INVAL : WARD_E_NOENT;
    }
    a->fallback = f;
    return 0;
}

static struct app *app_by_id(const ward_engine *e, uint64_t id, size_t *index)
{
    struct app *a = u64map_get(&e->apps_by_id, id);
    if (!a || !index)
        return a;
    for (size_t i = 0; i < e->n_apps; i++) {
        if (e->apps[i]->id == id) {
            if (index)
                *index = i;
            return e->apps[i];
        }
    }
    return NULL;
}

int64_t ward_app_find(const ward_engine *e, const char *path)
{
    const struct app *a = strmap_get(&e->apps_by_path, path);
    return a ? (int64_t)a->id : WARD_E_NOENT;
}

int ward_app_remove(ward_engine *e, uint64_t app_id)
{
    size_t i;
    struct app *a = app_by_id(e, app_id, &i);
    if (!a) {
        engine_seterr(e, "no app %llu", (unsigned long long)app_id);
        return WARD_E_NOENT;
    }
    for (size_t k = 0; k < a->n_rules; k++) {
        u64map_del(&e->app_rules, a->rules[k]->id);
        e->n_app_rules--;
    }
    strmap_del(&e->apps_by_path, a->path);
    u64map_del(&e->apps_by_id, a->id);
    memmove(&e->apps[i], &e->apps[i + 1], (e->n_apps - i - 1) * sizeof(e->apps[0]));
    e->n_apps--;
    app_free(a);
    return 0;
}

static bool zone_list_ok(ward_engine *e, const char *const *zones, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!zones[i] || !ward_zone_exists(e, zones[i])) {
            engine_seterr(e, "app rule: no zone named %s", zones[i] ? zones[i] : "(null)");
            return false;
        }
    }
    return true;
}

int64_t ward_app_rule_append(ward_engine *e, uint64_t app_id, const ward_app_rule *rule)
{
    struct app *a = app_by_id(e, app_id, NULL);
    if (!a) {
        engine_seterr(e, "no app %llu", (unsigned long long)app_id);
        return WARD_E_NOENT;
    }
    if (!rule || (unsigned)rule->dir > WARD_DIR_ANY ||
        (rule->action != WARD_ACT_PERMIT && rule->action != WARD_ACT_BLOCK) ||
        rule->n_ports > WARD_MAX_VALUES || rule->n_times > WARD_MAX_VALUES ||
        rule->n_zones > WARD_MAX_VALUES || rule->n_addrs > WARD_MAX_VALUES ||
        rule->n_domains > WARD_MAX_VALUES || rule->n_users > WARD_MAX_VALUES ||
        rule->n_parents > WARD_MAX_VALUES || (rule->n_parents && !rule->parents) ||
        (rule->n_ports && !rule->ports) || (rule->n_users && !rule->users) ||
        (rule->n_times && !rule->times) || (rule->n_zones && !rule->zones) ||
        (rule->n_addrs && !rule->addrs) || (rule->n_domains && !rule->domains)) {
        engine_seterr(e, "app %s: malformed rule (direction, action or lists)", a->path);
        return WARD_E_INVAL;
    }
    for (size_t i = 0; i < rule->n_ports; i++) {
        if (rule->ports[i].lo > rule->ports[i].hi || rule->ports[i].hi > 65535) {
            engine_seterr(e, "app %s: bad port range %u-%u", a->path, rule->ports[i].lo,
                          rule->ports[i].hi);
            return WARD_E_INVAL;
        }
    }
    for (size_t i = 0; i < rule->n_users; i++) {
        if (rule->users[i].lo > rule->users[i].hi) {
            engine_seterr(e, "app %s: bad uid range %u-%u", a->path, rule->users[i].lo,
                          rule->users[i].hi);
            return WARD_E_INVAL;
        }
    }
    for (size_t i = 0; i < rule->n_times; i++) {
        const ward_time_window *w = &rule->times[i];
        if (w->start > 1440 || w->end > 1440 || !w->days || w->days > 0x7f) {
            engine_seterr(e, "app %s: bad time window", a->path);
            return WARD_E_INVAL;
        }
    }
    for (size_t i = 0; i < rule->n_addrs; i++) {
        if (rule->addrs[i].plen > 128) {
            engine_seterr(e, "app %s: prefix length over 128", a->path);
            return WARD_E_INVAL;
        }
    }
    for (size_t i = 0; i < rule->n_domains; i++) {
        if (!rule->domains[i] || !*rule->domains[i] || strlen(rule->domains[i]) > 255) {
            engine_seterr(e, "app %s: empty or overlong domain", a->path);
            return WARD_E_INVAL;
        }
    }
    for (size_t i = 0; i < rule->n_parents; i++) {
        if (!rule->parents[i] || rule->parents[i][0] != '/' || strlen(rule->parents[i]) >= 4096) {
            engine_seterr(e, "app %s: a parent must be an absolute path or glob", a->path);
            return WARD_E_INVAL;
        }
    }
    if (!zone_list_ok(e, rule->zones, rule->n_zones) || lifetime_check(e, &rule->lifetime) < 0)
        return WARD_E_INVAL;
    if (!ward_provider_name(e, rule->provider)) {
        engine_seterr(e, "app %s: no provider %u", a->path, rule->provider);
        return WARD_E_NOENT;
    }

    /* One allocation per rule: the rule, its value lists, then its strings
     * (10k rules were 40k small blocks). Strictest alignment first:
     * pointers, ranges, windows, prefixes, then the characters. */
    size_t n_str = rule->n_zones + rule->n_domains + rule->n_parents;
    size_t lists = n_str * sizeof(char *) + (rule->n_ports + rule->n_users) * sizeof(ward_range) +
                   rule->n_times * sizeof(ward_time_window) + rule->n_addrs * sizeof(ward_cidr);
    size_t chars = rule->origin ? strlen(rule->origin) + 1 : 0;
    for (size_t i = 0; i < rule->n_zones; i++)
        chars += strlen(rule->zones[i]) + 1;
    for (size_t i = 0; i < rule->n_domains; i++)
        chars += strlen(rule->domains[i]) + 1;
    for (size_t i = 0; i < rule->n_parents; i++)
        chars += strlen(rule->parents[i]) + 1;
    struct app_rule *r = calloc(1, sizeof(*r) + lists + chars);
    if (!r)
        return WARD_E_NOMEM;
    r->def = *rule;
    r->app = a;
    char *p = r->mem, *c = r->mem + lists;
    const char **zones = (const char **)p, **domains = zones + rule->n_zones,
               **parents = domains + rule->n_domains;
    p += n_str * sizeof(char *);
    for (size_t i = 0; i < rule->n_zones; i++)
        zones[i] = copy_str(&c, rule->zones[i]);
    for (size_t i = 0; i < rule->n_domains; i++)
        domains[i] = copy_str(&c, rule->domains[i]);
    for (size_t i = 0; i < rule->n_parents; i++)
        parents[i] = copy_str(&c, rule->parents[i]);
    r->def.zones = zones;
    r->def.domains = domains;
    r->def.parents = parents;
    r->def.ports = copy_list(&p, rule->ports, rule->n_ports * sizeof(ward_range));
    r->def.users = copy_list(&p, rule->users, rule->n_users * sizeof(ward_range));
    r->def.times = copy_list(&p, rule->times, rule->n_times * sizeof(ward_time_window));
    r->def.addrs = copy_list(&p, rule->addrs, rule->n_addrs * sizeof(ward_cidr));
    r->def.origin = rule->origin ? copy_str(&c, rule->origin) : NULL;
    bool fail = false;
    if (a->n_rules == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        struct app_rule **v = realloc(a->rules, cap * sizeof(*v));
        if (v) {
            a->rules = v;
            a->cap = cap;
        } else {
            fail = true;
        }
    }
    r->id = e->next_id;
    if (fail || u64map_put(&e->app_rules, r->id, r) < 0) {
        app_rule_free(r);
        return WARD_E_NOMEM;
    }
    e->next_id++;
    a->rules[a->n_rules++] = r;
    e->n_app_rules++;
    return (int64_t)r->id;
}

static void app_rule_unlink(ward_engine *e, struct app_rule *r)
{
    struct app *a = r->app;
    for (size_t i = 0; i < a->n_rules; i++) {
        if (a->rules[i] == r) {
            memmove(&a->rules[i], &a->rules[i + 1], (a->n_rules - i - 1) * sizeof(r));
            a->n_rules--;
            break;
        }
    }
    u64map_del(&e->app_rules, r->id);
    e->n_app_rules--;
    app_rule_free(r);
}

int ward_app_rule_remove(ward_engine *e, uint64_t rule_id)
{
    struct app_rule *r = u64map_get(&e->app_rules, rule_id);
    if (!r) {
        engine_seterr(e, "no app rule %llu", (unsigned long long)rule_id);
        return WARD_E_NOENT;
    }
    app_rule_unlink(e, r);
    return 0;
}

static int app_rules_remove_if(ward_engine *e,
                               bool (*doomed)(const ward_app_rule *, uint32_t, const void *),
                               const void *arg)
{
    int removed = 0;
    for (size_t i = 0; i < e->n_apps; i++) {
        struct app *a = e->apps[i];
        for (size_t k = a->n_rules; k-- > 0;) {
            if (doomed(&a->rules[k]->def, a->rules[k]->def.provider, arg)) {
                app_rule_unlink(e, a->rules[k]);
                removed++;
            }
        }
    }
    return removed;
}

size_t ward_app_count(const ward_engine *e)
{
    return e->n_apps;
}

static void app_info(const struct app *a, ward_app_info *out)
{
    *out = (ward_app_info){a->id,      a->path,     a->pinned ? &a->pin : NULL,
                           a->n_rules, a->fallback, a->pin_provider};
}

int ward_app_at(const ward_engine *e, size_t i, ward_app_info *out)
{
    if (i >= e->n_apps)
        return WARD_E_NOENT;
    app_info(e->apps[i], out);
    return 0;
}

int ward_app_get(const ward_engine *e, uint64_t app_id, ward_app_info *out)
{
    const struct app *a = app_by_id(e, app_id, NULL);
    if (!a)
        return WARD_E_NOENT;
    app_info(a, out);
    return 0;
}

int ward_app_rule_get(const ward_engine *e, uint64_t rule_id, uint64_t *app_id, ward_app_rule *out)
{
    const struct app_rule *r = u64map_get(&e->app_rules, rule_id);
    if (!r)
        return WARD_E_NOENT;
    if (app_id)
        *app_id = r->app->id;
    if (out)
        *out = r->def;
    return 0;
}

int ward_app_rule_at(const ward_engine *e, uint64_t app_id, size_t i, uint64_t *rule_id,
                     ward_app_rule *out)
{
    const struct app *a = app_by_id(e, app_id, NULL);
    if (!a || i >= a->n_rules)
        return WARD_E_NOENT;
    if (rule_id)
        *rule_id = a->rules[i]->id;
    if (out)
        *out = a->rules[i]->def;
    return 0;
}

/* ---- Callouts ------------------------------------------------------------ */

const struct callout *engine_callout(const ward_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_callouts; i++)
        if (strcmp(e->callouts[i].name, name) == 0)
            return &e->callouts[i];
    return NULL;
}

int ward_callout_register(ward_engine *e, const char *name, ward_callout_fn fn, void *ctx)
{
    if (!name_ok(name) || !fn) {
        engine_seterr(e, "callout: needs a name and a function");
        return WARD_E_INVAL;
    }
    if (engine_callout(e, name)) {
        engine_seterr(e, "callout %s is registered", name);
        return WARD_E_EXIST;
    }
    struct callout *v = realloc(e->callouts, (e->n_callouts + 1) * sizeof(*v));
    if (!v)
        return WARD_E_NOMEM;
    e->callouts = v;
    char *nm = strdup(name);
    if (!nm)
        return WARD_E_NOMEM;
    e->callouts[e->n_callouts++] = (struct callout){nm, fn, ctx};
    return 0;
}

int ward_callout_unregister(ward_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_callouts; i++) {
        if (strcmp(e->callouts[i].name, name) == 0) {
            free(e->callouts[i].name);
            e->callouts[i] = e->callouts[--e->n_callouts];
            return 0;
        }
    }
    engine_seterr(e, "no callout %s", name);
    return WARD_E_NOENT;
}
