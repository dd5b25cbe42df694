/*
 * internal.h — the engine's private structures, shared by its files only.
 */
#ifndef WARD_ENGINE_INTERNAL_H
#define WARD_ENGINE_INTERNAL_H

#include "ward/engine.h"
#include "engine/classifier.h"
#include "engine/maps.h"

#define WARD_MAX_NAME      256
#define WARD_MAX_VALUES    4096 /* values in one condition */
#define WARD_MAX_CONDS     64   /* conditions in one filter */
#define WARD_MAX_SUBLAYERS 64
#define WARD_MAX_EXPAND    64 /* index entries one filter may expand into */

/* The memory behind one copied condition (its ward_cond points into it). */
struct cond_mem {
    void *values; /* numeric values, prefixes, windows ... */
    char **strs;  /* strings, for the fields that hold strings */
    size_t n;
};

struct filter {
    uint64_t id;
    uint64_t prio;        /* (weight, id) folded: lower first */
    ward_filter_def def;  /* name/callout/origin/conds point into owned memory */
    ward_cond *conds;     /* def.conds: what the matcher walks */
    struct cond_mem *mem; /* parallel to conds */
    const char *app_key;  /* exact program path it is indexed under, or NULL */
};

/* Filters of one (layer, sublayer): kept sorted by prio for the reference
 * evaluator, and indexed: header fields in a classifier, filters bound to
 * one exact program path in a per-program list. */
struct filter_set {
    struct filter **sorted;
    size_t n, cap;
    cls *general;         /* filters not bound to one program */
    struct strmap by_app; /* path -> struct filter_list * */
};

struct filter_list {
    struct filter **v; /* sorted by prio */
    size_t n, cap;
};

struct sublayer {
    uint32_t id;
    char *name;
    uint16_t weight;
    enum ward_sublayer_kind kind;
    struct filter_set sets[WARD_LAYER_COUNT];
};

struct app_rule {
    uint64_t id;
    struct app *app;
    ward_app_rule def;                /* lists and strings point into mem */
    _Alignas(max_align_t) char mem[]; /* the lists, then the strings */
};

struct app {
    uint64_t id;
    char *path;
    bool pinned;
    ward_sha256 pin;
    uint32_t pin_provider; /* who set the pin: 0 or admin, the policy; learned, an answer */
    enum ward_app_fallback fallback;
    struct app_rule **rules;
    size_t n_rules, cap;
};

struct zone {
    char *name;
    ward_cidr *cidrs;
    size_t n;
};

struct callout {
    char *name;
    ward_callout_fn fn;
    void *ctx;
};

struct ward_engine {
    ward_settings settings;
    bool prompter;
    char err[512];

    char **providers; /* index = id - 1 */
    size_t n_providers;

    struct sublayer *sublayers[WARD_MAX_SUBLAYERS]; /* highest weight first */
    size_t n_sublayers;
    uint32_t next_sublayer_id;
    bool defer_rebuilds; /* ward_engine_defer_rebuilds: every index, new ones too */

    uint64_t next_id;      /* filters, apps and app rules share one id space */
    struct u64map filters; /* id -> struct filter * */
    size_t n_filters;
    /* How many filters of each layer have a condition on each field: what
     * the caller need not compute for a request (ward_engine_uses_field). */
    uint32_t field_uses[WARD_LAYER_COUNT][WARD_F_COUNT];

    struct app **apps; /* in the order added */
    size_t n_apps, cap_apps;
    struct strmap apps_by_path;
    struct u64map apps_by_id; /* id -> struct app *: loading is linear in programs */
    struct u64map app_rules;  /* id -> struct app_rule * */
    size_t n_app_rules;

    struct zone *zones;
    size_t n_zones;
    ward_ip *self;
    size_t n_self;

    /* Encrypted DNS resolvers the policy added (encdns.c has the built-in
     * ones). */
    ward_cidr *resolver_cidrs;
    size_t n_resolver_cidrs;
    char **resolver_names;
    size_t n_resolver_names;

    struct callout *callouts;
    size_t n_callouts;

    ward_engine_stats stats;
};

/* engine.c */
void engine_seterr(ward_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct sublayer *engine_sublayer(const ward_engine *e, uint32_t id);
const struct callout *engine_callout(const ward_engine *e, const char *name);

/* match.c: the meaning of every condition, shared by both evaluators. */
bool cond_holds(const ward_engine *e, const ward_cond *c, const ward_request *r);
bool filter_matches(const ward_engine *e, const struct filter *f, const ward_request *r,
                    const ward_cond **failed);
static inline bool lifetime_over(const ward_lifetime *l, int64_t now)
{
    return l->kind == WARD_LIFE_TIMED && now >= l->expires;
}
/* Whether a rule or filter is out of play for this request: its time is
 * over, or it lives until a process exits and this is another process. */
static inline bool lifetime_skips(const ward_lifetime *l, const ward_request *r)
{
    if (l->kind == WARD_LIFE_UNTIL_EXIT)
        return !r->app.pid || l->pid != r->app.pid || l->start_time != r->app.start_time;
    return lifetime_over(l, r->now);
}
bool time_window_holds(const ward_time_window *w, uint8_t wday, uint16_t minute);
bool domain_matches(const char *pattern, const char *name);
bool glob_matches(const char *pattern, const char *s);
bool is_glob(const char *s);
/* An exact path, or a glob with * and ?: the meaning of app-path. */
bool path_matches(const char *pattern, const char *s);
bool zone_contains(const ward_engine *e, const char *name, const ward_ip *ip);
bool ip_is_self(const ward_engine *e, const ward_ip *ip);

/* encdns.c: the built-in resolvers, at the engine's creation. */
int engine_resolvers_init(ward_engine *e);

/* index.c */
int filter_set_insert(struct filter_set *s, struct filter *f);
void filter_set_remove(struct filter_set *s, struct filter *f);
void filter_set_free(struct filter_set *s);
size_t filter_set_bytes(const struct filter_set *s);
/* Walks the filters of s matching r in priority order: returns the next
 * match with prio > after, or NULL. app_hash: hash_str(r->app.path). */
struct filter *filter_set_next(const ward_engine *e, const struct filter_set *s,
                               const ward_request *r, uint64_t app_hash, uint64_t after);

/* trace.c */
void trace_reset(ward_trace *t);
void trace_add(ward_trace *t, const ward_trace_step *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ward_trace_step *trace_last(ward_trace *t);
ward_trace_step *trace_step_mut(ward_trace *t, size_t i);

/* describe.c: human text for explain and the printer. */
void describe_request(const ward_engine *e, const ward_request *r, char *buf, size_t len);
void describe_cond_failure(const ward_engine *e, const ward_cond *c, const ward_request *r,
                           char *buf, size_t len);
void describe_values(const ward_cond *c, char *buf, size_t len);
void describe_app_rule(const ward_app_rule *d, char *buf, size_t len);

#endif
