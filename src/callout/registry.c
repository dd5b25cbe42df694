/*
 * registry.c — wardd's callouts and the engine's callback for each.
 *
 * The engine knows a callout as a function of the request returning a
 * verdict and a veto; the public API has six results and per-flow
 * contexts. The adapter here maps one onto the other:
 *
 *   permit              -> permit
 *   block               -> block with veto (final, even over a hard permit)
 *   block without veto  -> block (hard only when the filter is)
 *   continue            -> continue (the next filter decides)
 *   need more data      -> need-more-data
 *   drop connection     -> drop-connection (hard: final below a soft permit)
 *
 * and a call that fails (a host that crashed, hung past the budget or
 * answered nonsense) gives the policy's failure outcome: block with veto by
 * default (fail closed), or permit. An answer the callout marks
 * WARD_CALLOUT_F_CACHE is kept (per callout, by the flow's metadata) and
 * given again without a call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callout/internal.h"

struct flow {
    uint64_t id;
    int64_t last_s;
    uint32_t seen; /* bit i: callout i keeps a context for it */
    void *ctx[WARD_CALLOUTS_MAX];
};

/* A cached answer: the metadata it holds for (all of it but the flow id,
 * pid and local port) and until when. */
struct cached {
    uint64_t hash; /* 0: empty */
    int64_t until_s;
    enum ward_callout_verdict v;
    uint32_t layer, uid;
    uint8_t dir, proto;
    uint16_t port; /* the service's: service_port() */
    uint8_t local[16], remote[16];
    char *app, *domain;
};
#define CACHE_SLOTS 256 /* direct-mapped by hash: a newer answer takes the slot */

struct known_filter {
    uint64_t id;
    uint32_t callout; /* index */
    bool mark;
};

/* An unloaded shared object leaves its slot empty (name ""): the slots of
 * the others, which flows and known filters refer to by index, stay put. */
struct entry {
    char name[64];
    uint32_t layers;
    const ward_callout *builtin; /* NULL: a shared object */
    struct host host;
    uint64_t calls, failures, filters, cached_hits;
    struct cached *cache; /* CACHE_SLOTS, made at the first answer to keep */
    struct ward_callouts *reg;
    uint32_t index;
};

struct ward_callouts {
    ward_callouts_config cfg;
    struct entry e[WARD_CALLOUTS_MAX];
    size_t n;
    const char *names[WARD_CALLOUTS_MAX + 1];
    const ward_callout_data *data;
    struct flow *flows; /* open addressing; id 0 = free */
    size_t n_flows, cap_flows;
    struct known_filter *kf;
    size_t n_kf;
};

static void cache_clear(struct entry *e);

uint32_t ward_callout_layer_bit(enum ward_layer layer)
{
    switch (layer) {
    case WARD_LAYER_CONNECT_OUT:
        return WARD_CALLOUT_L_CONNECT;
    case WARD_LAYER_ACCEPT_IN:
        return WARD_CALLOUT_L_ACCEPT;
    case WARD_LAYER_DNS:
        return WARD_CALLOUT_L_DNS;
    default:
        return 0;
    }
}

const char *ward_callout_verdict_name(enum ward_callout_verdict v)
{
    static const char *const n[] = {"permit",   "block",          "block-no-veto",
                                    "continue", "need-more-data", "drop-connection"};
    return (unsigned)v < sizeof(n) / sizeof(n[0]) ? n[v] : "?";
}

ward_callouts *ward_callouts_new(const ward_callouts_config *cfg)
{
    ward_callouts *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    if (cfg)
        r->cfg = *cfg;
    if (!r->cfg.budget_ms)
        r->cfg.budget_ms = WARD_CALLOUT_BUDGET_MS;
    if (!r->cfg.flow_idle_s)
        r->cfg.flow_idle_s = WARD_CALLOUT_FLOW_IDLE;
    if (r->cfg.on_failure != WARD_V_PERMIT)
        r->cfg.on_failure = WARD_V_BLOCK;
    return r;
}

void ward_callouts_set_failure(ward_callouts *r, enum ward_verdict v)
{
    r->cfg.on_failure = v == WARD_V_PERMIT ? WARD_V_PERMIT : WARD_V_BLOCK;
}

void ward_callouts_free(ward_callouts *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap_flows; i++)
        while (r->flows[i].id) /* removal shifts later entries back into slot i */
            ward_callouts_flow_end(r, r->flows[i].id);
    for (size_t i = 0; i < r->n; i++) {
        cache_clear(&r->e[i]);
        if (!r->e[i].builtin) {
            host_stop(&r->e[i].host);
            free(r->e[i].host.so_path);
        }
    }
    free(r->flows);
    free(r->kf);
    free(r);
}

static struct entry *entry_find(ward_callouts *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].name[0] && !strcmp(r->e[i].name, name))
            return &r->e[i];
    return NULL;
}

/* A free slot for name (an empty one first), not yet counted. */
static struct entry *entry_new(ward_callouts *r, const char *name, char *err, size_t errlen)
{
    if (entry_find(r, name)) {
        snprintf(err, errlen, "callout %s: a callout of that name is loaded", name);
        return NULL;
    }
    size_t i = 0;
    while (i < r->n && r->e[i].name[0])
        i++;
    if (i >= WARD_CALLOUTS_MAX) {
        snprintf(err, errlen, "callout %s: at most %d callouts", name, WARD_CALLOUTS_MAX);
        return NULL;
    }
    struct entry *e = &r->e[i];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->host.fd = -1;
    e->reg = r;
    e->index = (uint32_t)i;
    return e;
}

static void names_update(ward_callouts *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].name[0])
            r->names[k++] = r->e[i].name;
    r->names[k] = NULL;
}

static void entry_commit(ward_callouts *r, const struct entry *e)
{
    if (e->index == r->n)
        r->n++;
    names_update(r);
}

int ward_callouts_add_builtin(ward_callouts *r, const ward_callout *c)
{
    char err[128];
    if (!c || c->abi != WARD_CALLOUT_ABI || !c->name || strlen(c->name) >= 64 || !c->classify)
        return WARD_E_INVAL;
    struct entry *e = entry_new(r, c->name, err, sizeof(err));
    if (!e)
        return WARD_E_EXIST;
    e->builtin = c;
    e->layers = c->layers;
    entry_commit(r, e);
    return 0;
}

int ward_callouts_load(ward_callouts *r, const char *path, char *err, size_t errlen)
{
    if (sofile_check(path, err, errlen) < 0)
        return -1;
    if (!r->cfg.host_path) {
        snprintf(err, errlen, "callout %s: no ward-callout-host to run it in", path);
        return -1;
    }
    struct host h = {.so_path = strdup(path),
                     .host_path = r->cfg.host_path,
                     .budget_ms = r->cfg.budget_ms,
                     .fd = -1};
    if (!h.so_path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char name[64];
    uint32_t layers;
    if (host_start(&h, name, sizeof(name), &layers, err, errlen) < 0) {
        free(h.so_path);
        return -1;
    }
    struct entry *e = entry_new(r, name, err, errlen);
    if (!e) {
        host_stop(&h);
        free(h.so_path);
        return -1;
    }
    e->host = h;
    e->layers = layers;
    entry_commit(r, e);
    return 0;
}

int ward_callouts_unload(ward_callouts *r, ward_engine *eng, const char *name, char *err,
                         size_t errlen)
{
    struct entry *e = entry_find(r, name);
    if (!e) {
        snprintf(err, errlen, "callout %s: no such callout", name);
        return WARD_E_NOENT;
    }
    if (e->builtin) {
        snprintf(err, errlen, "callout %s is built in: only a shared object can be unloaded", name);
        return WARD_E_INVAL;
    }
    ward_callouts_sync_filters(r, eng);
    if (e->filters) {
        snprintf(err, errlen, "callout %s: %llu filter%s name it: delete them first", name,
                 (unsigned long long)e->filters, e->filters == 1 ? "" : "s");
        return WARD_E_BUSY;
    }
    /* The flows it kept a context for end for it now. */
    uint32_t bit = 1u << e->index;
    for (size_t i = 0; i < r->cap_flows; i++) {
        if (r->flows[i].id && (r->flows[i].seen & bit)) {
            host_flow_delete(&e->host, r->flows[i].id);
            r->flows[i].seen &= ~bit;
        }
    }
    ward_callout_unregister(eng, name);
    cache_clear(e);
    host_stop(&e->host);
    free(e->host.so_path);
    memset(e, 0, sizeof(*e));
    e->host.fd = -1;
    names_update(r);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ward_callouts_load_dir(ward_callouts *r, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "callout directory %s: %s", dir, strerror(errno));
        return -1;
    }
    char *files[WARD_CALLOUTS_MAX + 1];
    size_t n = 0;
    int rc = 0;
    const struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        if (n > WARD_CALLOUTS_MAX) {
            snprintf(err, errlen, "callout directory %s: more than %d objects", dir,
                     WARD_CALLOUTS_MAX);
            rc = -1;
            break;
        }
        if (asprintf(&files[n], "%s/%s", dir, de->d_name) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    qsort(files, n, sizeof(files[0]), by_name); /* a stable order across starts */
    int loaded = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        /* One refusal does not keep the others out: each reason is kept. */
        char why[512];
        if (rc == 0 && ward_callouts_load(r, files[i], why, sizeof(why)) < 0) {
            used += (size_t)snprintf(err + used, used < errlen ? errlen - used : 0, "%s%s",
                                     used ? "; " : "", why);
            if (used >= errlen)
                used = errlen ? errlen - 1 : 0;
        } else if (rc == 0) {
            loaded++;
        }
        free(files[i]);
    }
    if (used)
        rc = -1;
    return rc < 0 ? -1 : loaded;
}

const char *const *ward_callouts_names(const ward_callouts *r)
{
    return r->names;
}

void ward_callouts_set_data(ward_callouts *r, const ward_callout_data *data)
{
    r->data = data;
}

/* ---- Flows ---------------------------------------------------------------- */

uint64_t ward_callouts_flow_id(const ward_request *q)
{
    /* FNV-1a over what names a flow; never 0 (the table's free mark). */
    uint64_t h = 14695981039346656037ull;
    unsigned char k[40];
    k[0] = q->layer == WARD_LAYER_DNS ? 1 : 0;
    k[1] = q->proto;
    k[2] = (unsigned char)(q->lport >> 8);
    k[3] = (unsigned char)q->lport;
    k[4] = (unsigned char)(q->rport >> 8);
    k[5] = (unsigned char)q->rport;
    memcpy(k + 6, q->local.b, 16);
    memcpy(k + 22, q->remote.b, 16);
    for (size_t i = 0; i < 38; i++)
        h = (h ^ k[i]) * 1099511628211ull;
    return h ? h : 1;
}

static struct flow *flow_find(ward_callouts *r, uint64_t id, bool add)
{
    if (add && (r->n_flows + 1) * 2 > r->cap_flows) {
        size_t ncap = r->cap_flows ? r->cap_flows * 2 : 1024;
        struct flow *nf = calloc(ncap, sizeof(*nf));
        if (!nf)
            return NULL;
        for (size_t i = 0; i < r->cap_flows; i++) {
            if (!r->flows[i].id)
                continue;
            size_t j = r->flows[i].id % ncap;
            while (nf[j].id)
                j = (j + 1) % ncap;
            nf[j] = r->flows[i];
        }
        free(r->flows);
        r->flows = nf;
        r->cap_flows = ncap;
    }
    if (!r->cap_flows)
        return NULL;
    for (size_t j = id % r->cap_flows;; j = (j + 1) % r->cap_flows) {
        if (!r->flows[j].id) {
            if (!add)
                return NULL;
            memset(&r->flows[j], 0, sizeof(r->flows[j]));
            r->flows[j].id = id;
            r->n_flows++;
            return &r->flows[j];
        }
        if (r->flows[j].id == id)
            return &r->flows[j];
    }
}

static void flow_remove(ward_callouts *r, struct flow *f)
{
    size_t i = (size_t)(f - r->flows);
    r->flows[i].id = 0;
    r->n_flows--;
    for (size_t j = (i + 1) % r->cap_flows; r->flows[j].id; j = (j + 1) % r->cap_flows) {
        struct flow t = r->flows[j];
        r->flows[j].id = 0;
        r->n_flows--;
        struct flow *d = flow_find(r, t.id, true);
        if (d)
            *d = t;
    }
}

void ward_callouts_flow_end(ward_callouts *r, uint64_t flow_id)
{
    struct flow *f = flow_find(r, flow_id, false);
    if (!f)
        return;
    for (size_t i = 0; i < r->n; i++) {
        if (!(f->seen & (1u << i)))
            continue;
        struct entry *e = &r->e[i];
        if (e->builtin && e->builtin->flow_delete)
            e->builtin->flow_delete(flow_id, f->ctx[i]);
        else if (!e->builtin)
            host_flow_delete(&e->host, flow_id);
    }
    flow_remove(r, f);
}

void ward_callouts_sweep(ward_callouts *r, int64_t now_s)
{
    for (size_t i = 0; i < r->cap_flows; i++) {
        /* flow_remove shifts later entries back: look at slot i again. */
        while (r->flows[i].id && now_s - r->flows[i].last_s >= (int64_t)r->cfg.flow_idle_s)
            ward_callouts_flow_end(r, r->flows[i].id);
    }
}

/* ---- The engine's callback ------------------------------------------------ */

static ward_callout_result map_verdict(enum ward_callout_verdict v)
{
    switch (v) {
    case WARD_CALLOUT_PERMIT:
        return (ward_callout_result){WARD_V_PERMIT, false};
    case WARD_CALLOUT_BLOCK:
        return (ward_callout_result){WARD_V_BLOCK, true};
    case WARD_CALLOUT_BLOCK_NO_VETO:
        return (ward_callout_result){WARD_V_BLOCK, false};
    case WARD_CALLOUT_CONTINUE:
        return (ward_callout_result){WARD_V_CONTINUE, false};
    case WARD_CALLOUT_NEED_MORE_DATA:
        return (ward_callout_result){WARD_V_NEED_MORE_DATA, false};
    case WARD_CALLOUT_DROP_CONNECTION:
        return (ward_callout_result){WARD_V_DROP_CONNECTION, false};
    }
    return (ward_callout_result){WARD_V_BLOCK, true}; /* nonsense is not a permit */
}

/* ---- The verdict cache ----------------------------------------------------- */

static bool cacheable(const ward_callout_flow *f)
{
    return f->layer == WARD_CALLOUT_L_CONNECT || f->layer == WARD_CALLOUT_L_ACCEPT;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* The port that names the service: the remote one of a connection made, the
 * local one of a connection accepted. The other side's is ephemeral and stays
 * out of the key; the service's may not (an answer for :80 is not one for
 * :22). */
static uint16_t service_port(const ward_callout_flow *f)
{
    return f->layer == WARD_CALLOUT_L_ACCEPT ? f->lport : f->rport;
}

static uint64_t cache_hash(const ward_callout_flow *f)
{
    uint64_t h = 14695981039346656037ull;
    uint16_t port = service_port(f);
    uint8_t k[12] = {(uint8_t)f->layer, f->dir, f->proto, (uint8_t)(port >> 8), (uint8_t)port};
    memcpy(k + 8, &f->uid, 4);
    h = fnv(h, k, sizeof(k));
    h = fnv(h, f->local, 16);
    h = fnv(h, f->remote, 16);
    if (f->app)
        h = fnv(h, f->app, strlen(f->app) + 1);
    h = fnv(h, "|", 1);
    if (f->domain)
        h = fnv(h, f->domain, strlen(f->domain) + 1);
    return h ? h : 1;
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* The full key is compared: a hash that collides is only a miss. */
static bool cache_matches(const struct cached *c, uint64_t h, const ward_callout_flow *f)
{
    return c->hash == h && c->layer == f->layer && c->dir == f->dir && c->proto == f->proto &&
           c->port == service_port(f) && c->uid == f->uid && !memcmp(c->local, f->local, 16) &&
           !memcmp(c->remote, f->remote, 16) && str_same(c->app, f->app) &&
           str_same(c->domain, f->domain);
}

static void cached_free(struct cached *c)
{
    free(c->app);
    free(c->domain);
    memset(c, 0, sizeof(*c));
}

static void cache_clear(struct entry *e)
{
    for (size_t i = 0; e->cache && i < CACHE_SLOTS; i++)
        cached_free(&e->cache[i]);
    free(e->cache);
    e->cache = NULL;
}

static bool cache_get(struct entry *e, const ward_callout_flow *f, int64_t now_s,
                      enum ward_callout_verdict *v)
{
    if (!e->cache)
        return false;
    uint64_t h = cache_hash(f);
    const struct cached *c = &e->cache[h % CACHE_SLOTS];
    if (!cache_matches(c, h, f) || now_s >= c->until_s)
        return false;
    *v = c->v;
    return true;
}

static void cache_put(struct entry *e, const ward_callout_flow *f, enum ward_callout_verdict v,
                      int64_t now_s)
{
    if (!e->cache && !(e->cache = calloc(CACHE_SLOTS, sizeof(*e->cache))))
        return; /* no memory: the next flow is asked again */
    uint64_t h = cache_hash(f);
    struct cached *c = &e->cache[h % CACHE_SLOTS];
    cached_free(c);
    *c = (struct cached){.hash = h,
                         .until_s = now_s + WARD_CALLOUT_CACHE_S,
                         .v = v,
                         .layer = f->layer,
                         .uid = f->uid,
                         .dir = f->dir,
                         .proto = f->proto,
                         .port = service_port(f),
                         .app = f->app ? strdup(f->app) : NULL,
                         .domain = f->domain ? strdup(f->domain) : NULL};
    memcpy(c->local, f->local, 16);
    memcpy(c->remote, f->remote, 16);
    if ((f->app && !c->app) || (f->domain && !c->domain))
        cached_free(c);
}

/* One call of callout e, with the flow's context kept across calls. */
static enum ward_callout_verdict call_entry(struct entry *e, const ward_callout_flow *f,
                                            const ward_callout_data *d, int64_t now_s)
{
    ward_callouts *r = e->reg;
    e->calls++;
    enum ward_callout_verdict v;
    if (cacheable(f) && cache_get(e, f, now_s, &v)) {
        e->cached_hits++;
        return v;
    }
    /* Only flows some callout keeps a context for are in the table: a
     * metadata-only callout costs no table work. */
    struct flow *fl = r->n_flows ? flow_find(r, f->id, false) : NULL;
    if (e->builtin) {
        void *fctx = fl && (fl->seen & (1u << e->index)) ? fl->ctx[e->index] : NULL;
        v = e->builtin->classify(f, d, &fctx);
        if (fctx && !fl)
            fl = flow_find(r, f->id, true);
        if (fl && fctx) {
            fl->ctx[e->index] = fctx;
            fl->seen |= 1u << e->index;
        }
    } else if (!host_classify(&e->host, f, d, &v)) {
        e->failures++;
        v = r->cfg.on_failure == WARD_V_PERMIT ? WARD_CALLOUT_PERMIT : WARD_CALLOUT_BLOCK;
    } else {
        /* The host may keep a context: it is told when the flow ends. */
        if (!fl)
            fl = flow_find(r, f->id, true);
        if (fl)
            fl->seen |= 1u << e->index;
    }
    if (fl)
        fl->last_s = now_s;
    if (v & WARD_CALLOUT_F_CACHE) {
        v &= ~WARD_CALLOUT_F_CACHE;
        if (cacheable(f))
            cache_put(e, f, v, now_s);
    }
    return v;
}

static ward_callout_result adapter(const ward_request *q, void *ctx)
{
    struct entry *e = ctx;
    ward_callouts *r = e->reg;
    uint32_t bit = ward_callout_layer_bit(q->layer);
    if (!(e->layers & bit)) {
        /* A stream-only callout named by a connect or accept filter: the
         * filter sends the TCP flow's payload to it (the stream layer), or
         * another protocol's packets (the packet layer). */
        uint32_t wants = q->proto == 6 ? WARD_CALLOUT_L_STREAM : WARD_CALLOUT_L_PACKET;
        bool to_stream =
            (e->layers & wants) && (bit == WARD_CALLOUT_L_CONNECT || bit == WARD_CALLOUT_L_ACCEPT);
        return (ward_callout_result){to_stream ? WARD_V_NEED_MORE_DATA : WARD_V_CONTINUE, false};
    }
    ward_callout_flow f;
    ward_callouts_flow_of(q, &f);
    ward_callout_data none = {0};
    return map_verdict(call_entry(e, &f, r->data ? r->data : &none, q->now));
}

void ward_callouts_flow_of(const ward_request *q, ward_callout_flow *f)
{
    *f = (ward_callout_flow){.id = ward_callouts_flow_id(q),
                             .layer = ward_callout_layer_bit(q->layer),
                             .dir = (uint8_t)q->dir,
                             .proto = q->proto,
                             .lport = q->lport,
                             .rport = q->rport,
                             .pid = q->app.pid,
                             .uid = q->has_user ? q->uid : UINT32_MAX,
                             .app = q->app.path,
                             .domain = q->domain};
    memcpy(f->local, q->local.b, 16);
    memcpy(f->remote, q->remote.b, 16);
}

uint32_t ward_callouts_layers(const ward_callouts *r, const char *name)
{
    const struct entry *e = entry_find((ward_callouts *)r, name);
    return e ? e->layers : 0;
}

int ward_callouts_classify(ward_callouts *r, const char *name, const ward_callout_flow *f,
                           const ward_callout_data *d, int64_t now_s,
                           enum ward_callout_verdict *out)
{
    struct entry *e = entry_find(r, name);
    if (!e)
        return WARD_E_NOENT;
    if (!(e->layers & f->layer))
        return WARD_E_INVAL;
    *out = call_entry(e, f, d, now_s);
    return 0;
}

int ward_callouts_attach(ward_callouts *r, ward_engine *e)
{
    for (size_t i = 0; i < r->n; i++) {
        if (!r->e[i].name[0])
            continue;
        int rc = ward_callout_register(e, r->e[i].name, adapter, &r->e[i]);
        if (rc < 0 && rc != WARD_E_EXIST)
            return rc;
    }
    return 0;
}

/* ---- Filters naming a callout: notify ------------------------------------- */

struct sync_ctx {
    ward_callouts *r;
    struct known_filter *now;
    size_t n, cap;
    bool oom;
};

/* A filter naming e came or went: e is told, and its cached answers go
 * (they were given while other filters named it). */
static void tell(struct entry *e, enum ward_callout_event ev, uint64_t id, const char *name)
{
    cache_clear(e);
    if (e->builtin && e->builtin->notify)
        e->builtin->notify(ev, id, name);
    else if (!e->builtin)
        host_notify(&e->host, ev, id, name);
}

static int collect(uint64_t id, const ward_filter_def *def, void *ctx)
{
    struct sync_ctx *s = ctx;
    if (def->action != WARD_ACT_CALLOUT || !def->callout)
        return 0;
    for (size_t i = 0; i < s->r->n; i++) {
        if (strcmp(s->r->e[i].name, def->callout) != 0)
            continue;
        if (s->n == s->cap) {
            size_t ncap = s->cap ? s->cap * 2 : 16;
            struct known_filter *nk = realloc(s->now, ncap * sizeof(*nk));
            if (!nk) {
                s->oom = true;
                return 1;
            }
            s->now = nk;
            s->cap = ncap;
        }
        s->now[s->n++] = (struct known_filter){id, (uint32_t)i, false};
        struct entry *e = &s->r->e[i];
        bool known = false;
        for (size_t k = 0; k < s->r->n_kf; k++) {
            if (s->r->kf[k].id == id) {
                s->r->kf[k].mark = known = true;
                break;
            }
        }
        if (!known)
            tell(e, WARD_CALLOUT_FILTER_ADDED, id, def->name);
    }
    return 0;
}

void ward_callouts_sync_filters(ward_callouts *r, const ward_engine *e)
{
    struct sync_ctx s = {.r = r};
    for (size_t k = 0; k < r->n_kf; k++)
        r->kf[k].mark = false;
    ward_filter_foreach(e, collect, &s);
    if (s.oom) {
        free(s.now);
        return; /* the old view stays; the next sync tells the rest */
    }
    for (size_t k = 0; k < r->n_kf; k++) {
        if (r->kf[k].mark)
            continue;
        tell(&r->e[r->kf[k].callout], WARD_CALLOUT_FILTER_REMOVED, r->kf[k].id, NULL);
    }
    for (size_t i = 0; i < r->n; i++)
        r->e[i].filters = 0;
    for (size_t k = 0; k < s.n; k++)
        r->e[s.now[k].callout].filters++;
    free(r->kf);
    r->kf = s.now;
    r->n_kf = s.n;
}

/* ---- Listing ---------------------------------------------------------------- */

size_t ward_callouts_count(const ward_callouts *r)
{
    size_t n = 0;
    while (r->names[n])
        n++;
    return n;
}

int ward_callouts_info(const ward_callouts *r, size_t i, ward_callout_info *out)
{
    const struct entry *e = NULL;
    for (size_t k = 0; k < r->n && !e; k++)
        if (r->e[k].name[0] && i-- == 0)
            e = &r->e[k];
    if (!e)
        return WARD_E_NOENT;
    *out = (ward_callout_info){.name = e->name,
                               .layers = e->layers,
                               .builtin = e->builtin != NULL,
                               .path = e->builtin ? NULL : e->host.so_path,
                               .host_pid = e->builtin ? 0 : e->host.pid,
                               .calls = e->calls,
                               .failures = e->failures,
                               .cached = e->cached_hits,
                               .restarts = e->host.restarts,
                               .filters = e->filters};
    return 0;
}
