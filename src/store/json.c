/*
 * json.c — the policy as JSON and back (schema: docs/POLICY.md, "JSON").
 *
 * Export walks the engine (and what the policy keeps beside it); every value
 * is written in its policy-language text form ("1024-65535", "weekdays
 * 08:00-19:00", "10.0.0.0/8"). Import turns JSON into policy-language text,
 * which the caller loads through the ordinary loader: one set of checks,
 * and the same error messages, whatever the input format.
 */
#define _GNU_SOURCE
#include "store/store.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fallback_words[] = {"opposite", "ask", "allow", "deny"};

/* ---- Export ------------------------------------------------------------- */

static json_object *jstr(const char *s)
{
    return json_object_new_string(s ? s : "");
}

struct xctx {
    const ward_engine *e;
    json_object *arr;
};

static const char *sublayer_name(const ward_engine *e, uint32_t id)
{
    ward_sublayer_info info[64];
    size_t n = ward_sublayer_list(e, info, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (info[i].id == id)
            return info[i].name;
    return "?";
}

static int export_filter(uint64_t id, const ward_filter_def *d, void *arg)
{
    struct xctx *x = arg;
    char v[8300];
    json_object *f = json_object_new_object();
    if (d->name)
        json_object_object_add(f, "name", jstr(d->name));
    json_object_object_add(f, "layer", jstr(ward_policy_layer_name(d->layer)));
    json_object_object_add(f, "sublayer", jstr(sublayer_name(x->e, d->sublayer)));
    json_object_object_add(f, "provider", jstr(ward_provider_name(x->e, d->provider)));
    json_object_object_add(f, "weight", json_object_new_int64(d->weight));
    json_object_object_add(f, "hard", json_object_new_boolean(d->hard));
    json_object_object_add(f, "action",
                           jstr(d->action == WARD_ACT_PERMIT  ? "permit"
                                : d->action == WARD_ACT_BLOCK ? "block"
                                                              : "callout"));
    if (d->action == WARD_ACT_CALLOUT)
        json_object_object_add(f, "callout", jstr(d->callout));
    json_object *conds = json_object_new_array();
    for (size_t i = 0; i < d->n_conds; i++) {
        const ward_cond *c = &d->conds[i];
        json_object *jc = json_object_new_object(), *vals = json_object_new_array();
        json_object_object_add(jc, "field", jstr(ward_field_name(c->field)));
        json_object_object_add(jc, "negate", json_object_new_boolean(c->negate));
        for (size_t k = 0; k < c->n; k++) {
            ward_policy_fmt_value(c, k, true, v, sizeof(v));
            json_object_array_add(vals, jstr(v));
        }
        json_object_object_add(jc, "values", vals);
        json_object_array_add(conds, jc);
    }
    json_object_object_add(f, "conditions", conds);
    ward_policy_fmt_lifetime(&d->lifetime, v, sizeof(v));
    if (*v)
        json_object_object_add(f, "lifetime", jstr(v));
    json_object_array_add(x->arr, f);
    (void)id;
    return 0;
}

static json_object *str_array(const char *const *s, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, jstr(s[i]));
    return a;
}

/* Ports and uids as the language writes them: "80", "1000-1999". */
static json_object *range_array(const ward_range *r, size_t n)
{
    char v[32];
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        if (r[i].lo == r[i].hi)
            snprintf(v, sizeof(v), "%u", r[i].lo);
        else
            snprintf(v, sizeof(v), "%u-%u", r[i].lo, r[i].hi);
        json_object_array_add(a, jstr(v));
    }
    return a;
}

static json_object *export_rule(const ward_engine *e, const ward_app_rule *r)
{
    char v[8300];
    json_object *j = json_object_new_object(), *a;
    json_object_object_add(j, "action", jstr(r->action == WARD_ACT_PERMIT ? "allow" : "deny"));
    json_object_object_add(j, "direction",
                           jstr(r->dir == WARD_DIR_IN    ? "in"
                                : r->dir == WARD_DIR_OUT ? "out"
                                                         : "any"));
    if (r->proto) {
        ward_policy_fmt_proto(r->proto, v, sizeof(v));
        json_object_object_add(j, "proto", jstr(v));
    }
    json_object_object_add(j, "ports", range_array(r->ports, r->n_ports));
    json_object_object_add(j, "zones", str_array(r->zones, r->n_zones));
    a = json_object_new_array();
    for (size_t i = 0; i < r->n_addrs; i++)
        json_object_array_add(a, jstr(ward_cidr_format(&r->addrs[i], v, sizeof(v))));
    json_object_object_add(j, "addresses", a);
    json_object_object_add(j, "domains", str_array(r->domains, r->n_domains));
    json_object_object_add(j, "users", range_array(r->users, r->n_users));
    json_object_object_add(j, "parents", str_array(r->parents, r->n_parents));
    a = json_object_new_array();
    for (size_t i = 0; i < r->n_times; i++) {
        ward_policy_fmt_time(&r->times[i], v, sizeof(v));
        json_object_array_add(a, jstr(v));
    }
    json_object_object_add(j, "times", a);
    json_object_object_add(j, "provider", jstr(ward_provider_name(e, r->provider)));
    ward_policy_fmt_lifetime(&r->lifetime, v, sizeof(v));
    if (*v)
        json_object_object_add(j, "lifetime", jstr(v));
    return j;
}

/* {"bytes": N, "per": "day"} and the like: a quota, the accounting limit. */
static json_object *export_per(uint64_t bytes, int period)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "bytes", json_object_new_int64((int64_t)bytes));
    json_object_object_add(o, "per", jstr(ward_policy_period_name((enum ward_quota_period)period)));
    return o;
}

/* A program's "limit" and "quota" members (docs/LIMITS.md). */
static void export_limits(json_object *ja, const ward_app_limit *l)
{
    if (l->rate_bits) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "rate_bits", json_object_new_int64((int64_t)l->rate_bits));
        if (l->burst)
            json_object_object_add(r, "burst", json_object_new_int64((int64_t)l->burst));
        json_object_object_add(ja, "limit", r);
    }
    if (l->quota) {
        json_object *q = export_per(l->quota, l->period);
        json_object_object_add(q, "then", jstr(l->quota_alert ? "alert" : "block"));
        json_object_object_add(ja, "quota", q);
    }
}

char *ward_json_export(const ward_policy *p)
{
    ward_engine *e = ward_policy_engine((ward_policy *)p);
    if (!e)
        return NULL;
    const ward_policy_extras *x = ward_policy_get_extras(p);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "ward_policy", json_object_new_int(1));

    ward_settings s;
    ward_engine_settings(e, &s);
    json_object *js = json_object_new_object();
    json_object_object_add(js, "mode", jstr(ward_mode_name(s.mode)));
    json_object_object_add(js, "no-prompter",
                           jstr(s.no_prompter == WARD_V_BLOCK ? "block" : "pass"));
    json_object_object_add(js, "no-prompter-scope",
                           jstr(s.no_prompter_scope == WARD_NP_ALL ? "all" : "questions"));
    json_object_object_add(js, "unattributed",
                           jstr(s.unattributed == WARD_V_BLOCK ? "block" : "pass"));
    json_object_object_add(js, "self-traffic",
                           jstr(s.self_traffic == WARD_SELF_RULES ? "rules" : "pass"));
    json_object_object_add(js, "prompt-timeout", json_object_new_int64(x->prompt_timeout));
    json_object_object_add(js, "prompt-default",
                           jstr(x->prompt_default == WARD_V_PERMIT ? "allow" : "deny"));
    json_object_object_add(js, "fail-mode", jstr(x->fail_open ? "open" : "closed"));
    json_object_object_add(js, "callout-failure",
                           jstr(x->callout_failure == WARD_V_PERMIT ? "pass" : "block"));
    json_object_object_add(js, "dnsfilter-answer", jstr(x->dnsfilter_zero ? "zero" : "nxdomain"));
    json_object_object_add(js, "on-tamper", jstr(x->on_tamper_suspend ? "suspend" : "alert"));
    json_object_object_add(js, "trust-package-manager",
                           jstr(x->trust_package_manager ? "yes" : "no"));
    json_object_object_add(js, "on-policy-change",
                           jstr(x->policy_change_reload ? "reload" : "alert"));
    static const char *const av_modes[] = {"off", "scan-before-allow", "scan-in-background"};
    json_object_object_add(js, "av", jstr(av_modes[x->av_mode]));
    json_object_object_add(js, "av-bound", json_object_new_int64(x->av_bound));
    json_object *dl = json_object_new_array();
    for (size_t i = 0; i < x->n_dnsfilter_lists; i++)
        json_object_array_add(dl, jstr(x->dnsfilter_lists[i]));
    json_object_object_add(js, "dnsfilter-lists", dl);
    if (x->n_resolvers) {
        json_object *rl = json_object_new_array();
        for (size_t i = 0; i < x->n_resolvers; i++)
            json_object_array_add(rl, jstr(x->resolvers[i]));
        json_object_object_add(js, "encrypted-dns-resolvers", rl);
    }
    char sb[64];
    ward_policy_stream_bound_format(x, sb, sizeof(sb));
    json_object_object_add(js, "stream-bound", jstr(sb));
    if (x->ids_update_s) {
        json_object *iu = json_object_new_object();
        ward_policy_interval_format(x->ids_update_s, sb, sizeof(sb));
        json_object_object_add(iu, "url", jstr(x->ids_update_url));
        json_object_object_add(iu, "every", jstr(sb));
        json_object_object_add(js, "ids-update", iu);
    }
    ward_policy_size_format(x->ids_depth, sb, sizeof(sb));
    json_object_object_add(js, "ids-depth", jstr(sb));
    if (x->accounting_limit)
        json_object_object_add(js, "accounting-limit",
                               export_per(x->accounting_limit, x->accounting_period));
    if (x->policy_bundle[0]) {
        json_object_object_add(js, "policy-bundle", jstr(x->policy_bundle));
        json_object_object_add(js, "policy-bundle-every", json_object_new_int64(x->bundle_every));
    }
    if (x->syslog[0])
        json_object_object_add(js, "syslog", jstr(x->syslog));
    if (x->syslog_ca[0])
        json_object_object_add(js, "syslog-ca", jstr(x->syslog_ca));
    json_object *ul = json_object_new_array();
    for (size_t i = 0; i < x->n_urlfilter; i++) {
        json_object *u = json_object_new_object();
        json_object_object_add(u, "action", jstr(x->urlfilter[i].deny ? "deny" : "allow"));
        if (x->urlfilter[i].app[0])
            json_object_object_add(u, "app", jstr(x->urlfilter[i].app));
        json_object_object_add(u, "pattern", jstr(x->urlfilter[i].pattern));
        json_object_array_add(ul, u);
    }
    json_object_object_add(js, "urlfilter", ul);
    if (x->mail_port)
        json_object_object_add(js, "mail-proxy-port", json_object_new_int64(x->mail_port));
    json_object *ml = json_object_new_array();
    for (size_t i = 0; i < x->n_mail; i++) {
        const struct ward_mail_rule *r = &x->mail[i];
        json_object *u = json_object_new_object();
        if (r->app[0])
            json_object_object_add(u, "app", jstr(r->app));
        json_object_object_add(u, "what", jstr(ward_mail_what_name((enum ward_mail_what)r->what)));
        char sz[32];
        ward_policy_fmt_size(r->size, sz, sizeof(sz));
        if (r->what == WARD_MAIL_SIZE)
            json_object_object_add(u, "size", jstr(sz));
        else if (r->what != WARD_MAIL_VIRUS)
            json_object_object_add(u, "pattern", jstr(r->pattern));
        json_object_object_add(u, "outcome",
                               jstr(ward_mail_outcome_name((enum ward_mail_outcome)r->outcome)));
        json_object_array_add(ml, u);
    }
    json_object_object_add(js, "mail", ml);
    json_object *tl = json_object_new_array();
    for (size_t i = 0; i < x->n_mail_tls; i++) {
        char listen[32], up[300];
        ward_mail_tls_endpoints(&x->mail_tls[i], listen, sizeof(listen), up, sizeof(up));
        json_object *u = json_object_new_object();
        json_object_object_add(
            u, "proto",
            jstr(ward_mail_tls_proto_name((enum ward_mail_tls_proto)x->mail_tls[i].proto)));
        json_object_object_add(u, "listen", jstr(listen));
        json_object_object_add(u, "upstream", jstr(up));
        json_object_array_add(tl, u);
    }
    json_object_object_add(js, "mail-tls-listen", tl);
    if (x->mail_tls_trust[0])
        json_object_object_add(js, "mail-tls-trust", jstr(x->mail_tls_trust));
    json_object *ld = json_object_new_object();
    for (int l = 0; l < WARD_LAYER_COUNT; l++)
        if (ward_policy_layer_supported((enum ward_layer)l))
            json_object_object_add(ld, ward_policy_layer_name(l),
                                   jstr(s.layer_default[l] == WARD_V_BLOCK ? "block" : "pass"));
    json_object_object_add(js, "layer-defaults", ld);
    json_object *al = json_object_new_array();
    for (size_t i = 0; i < x->n_alerts; i++) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "name", jstr(x->alerts[i].name));
        json_object_object_add(a, "count", json_object_new_int64(x->alerts[i].count));
        json_object_object_add(a, "window", json_object_new_int64(x->alerts[i].window));
        json_object_array_add(al, a);
    }
    json_object_object_add(js, "alerts", al);
    json_object_object_add(root, "settings", js);

    json_object *zones = json_object_new_array();
    for (size_t i = 0; i < ward_policy_zone_count(p); i++) {
        const ward_cidr *c;
        size_t n;
        const char *name = ward_policy_zone_at(p, i, &c, &n);
        json_object *z = json_object_new_object(), *a = json_object_new_array();
        char v[64];
        json_object_object_add(z, "name", jstr(name));
        for (size_t k = 0; k < n; k++)
            json_object_array_add(a, jstr(ward_cidr_format(&c[k], v, sizeof(v))));
        json_object_object_add(z, "addresses", a);
        json_object_array_add(zones, z);
    }
    json_object_object_add(root, "zones", zones);

    json_object *provs = json_object_new_array();
    for (uint32_t id = WARD_PROVIDER_LEARNED + 1; ward_provider_name(e, id); id++)
        json_object_array_add(provs, jstr(ward_provider_name(e, id)));
    json_object_object_add(root, "providers", provs);

    json_object *subs = json_object_new_array();
    ward_sublayer_info info[64];
    size_t ns = ward_sublayer_list(e, info, 64);
    for (size_t i = 0; i < ns && i < 64; i++) {
        if (info[i].id == WARD_SUBLAYER_ADMIN || info[i].id == WARD_SUBLAYER_APPLICATIONS)
            continue;
        json_object *sj = json_object_new_object();
        json_object_object_add(sj, "name", jstr(info[i].name));
        json_object_object_add(sj, "weight", json_object_new_int(info[i].weight));
        json_object_array_add(subs, sj);
    }
    json_object_object_add(root, "sublayers", subs);

    struct xctx xc = {e, json_object_new_array()};
    ward_filter_foreach(e, export_filter, &xc);
    json_object_object_add(root, "filters", xc.arr);

    json_object *apps = json_object_new_array();
    for (size_t i = 0; i < ward_app_count(e); i++) {
        ward_app_info a;
        if (ward_app_at(e, i, &a) < 0)
            continue;
        json_object *ja = json_object_new_object(), *rules = json_object_new_array();
        json_object_object_add(ja, "path", jstr(a.path));
        if (a.pin) {
            char hex[65];
            for (int k = 0; k < 32; k++)
                snprintf(hex + 2 * k, 3, "%02x", a.pin->b[k]);
            json_object_object_add(ja, "sha256", jstr(hex));
        }
        if ((unsigned)a.fallback < 4)
            json_object_object_add(ja, "fallback", jstr(fallback_words[a.fallback]));
        const ward_app_limit *lim = ward_policy_limit_of(x, a.path);
        if (lim)
            export_limits(ja, lim);
        for (size_t k = 0; k < a.n_rules; k++) {
            uint64_t rid;
            ward_app_rule r;
            if (ward_app_rule_at(e, a.id, k, &rid, &r) == 0)
                json_object_array_add(rules, export_rule(e, &r));
        }
        json_object_object_add(ja, "rules", rules);
        json_object_array_add(apps, ja);
    }
    json_object_object_add(root, "apps", apps);

    const char *text = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = text ? strdup(text) : NULL;
    json_object_put(root);
    return out;
}

/* ---- Import -------------------------------------------------------------- */

struct out {
    char *s;
    size_t len, cap;
    bool oom;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || o->oom)
        return;
    if (o->len + (size_t)n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(o->s, cap);
        if (!s) {
            o->oom = true;
            return;
        }
        o->s = s;
        o->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(o->s + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* A value written bare must stay one token: anything else is quoted, and
 * the loader decides whether a quoted value is acceptable there. */
static bool bare_ok(const char *s, bool spaces)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(".:/-_*", *s) &&
            !(spaces && (*s == ' ' || *s == ',')))
            return false;
    return true;
}

/* Spaces (and commas) only where the language's form has them: time windows
 * ("mon,wed 22:00-02:00") and lifetimes ("until-exit pid 1 start 2"). */
static void put_any(struct out *o, const char *s, bool quote, bool spaces)
{
    if (quote || !bare_ok(s, spaces)) {
        char q[8200];
        ward_policy_quote(s, q, sizeof(q));
        put(o, "%s", q);
    } else {
        put(o, "%s", s);
    }
}

static void put_value(struct out *o, const char *s, bool quote)
{
    put_any(o, s, quote, false);
}

/* A repeatable setting from an array of strings: "set WORD "VALUE"" each. */
static void put_repeated(struct out *o, json_object *a, const char *word)
{
    for (size_t i = 0; a && i < json_object_array_length(a); i++) {
        const char *v = json_object_get_string(json_object_array_get_idx(a, i));
        put(o, "set %s ", word), put_value(o, v ? v : "", true), put(o, "\n");
    }
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static bool put_list(struct out *o, json_object *arr, bool quote, bool spaces)
{
    size_t n = json_object_array_length(arr);
    if (n != 1 && !spaces)
        put(o, "{ ");
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string))
            return false;
        if (i)
            put(o, spaces ? " " : ", ");
        put_any(o, json_object_get_string(v), quote, spaces);
    }
    if (n != 1 && !spaces)
        put(o, " }");
    return true;
}

static json_object *get_arr(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v
                                                                                            : NULL;
}

static bool get_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

/* "SIZE per PERIOD" from {"bytes": N, "per": P}; the loader checks both. */
static void put_per(struct out *o, json_object *j)
{
    int64_t n = 0;
    const char *per = get_str(j, "per");
    get_int(j, "bytes", &n);
    put(o, "%lldB per ", (long long)n);
    put_value(o, per ? per : "", false);
}

static void import_limits(struct out *o, json_object *ja)
{
    json_object *l, *q;
    if (json_object_object_get_ex(ja, "limit", &l) && json_object_is_type(l, json_type_object)) {
        int64_t rate = 0, burst = 0;
        get_int(l, "rate_bits", &rate);
        put(o, "    limit rate %lldbit", (long long)rate);
        if (get_int(l, "burst", &burst))
            put(o, " burst %lldB", (long long)burst);
        put(o, "\n");
    }
    if (json_object_object_get_ex(ja, "quota", &q) && json_object_is_type(q, json_type_object)) {
        const char *then = get_str(q, "then");
        put(o, "    quota ");
        put_per(o, q);
        if (then)
            put(o, " then "), put_value(o, then, false);
        put(o, "\n");
    }
}

static bool is_inbound(const char *layer)
{
    return !strcmp(layer, "inbound") || !strcmp(layer, "packet-in") || !strcmp(layer, "bind") ||
           !strcmp(layer, "accept-in");
}

static bool import_cond(struct out *o, json_object *c, const char *layer, char *err, size_t el)
{
    const char *field = get_str(c, "field");
    json_object *vals = get_arr(c, "values"), *neg;
    bool negate = json_object_object_get_ex(c, "negate", &neg) && json_object_get_boolean(neg);
    if (!field || !vals || json_object_array_length(vals) == 0) {
        snprintf(err, el, "a condition needs \"field\" and non-empty \"values\"");
        return false;
    }
    bool in = is_inbound(layer);
    const char *kw = NULL;
    bool quote = false, port = false;
    if (!strcmp(field, "local-zone") || !strcmp(field, "local-addr"))
        kw = in ? "to" : "from";
    else if (!strcmp(field, "remote-zone") || !strcmp(field, "remote-addr"))
        kw = in ? "from" : "to";
    else if (!strcmp(field, "local-port"))
        kw = in ? "to" : "from", port = true;
    else if (!strcmp(field, "remote-port"))
        kw = in ? "from" : "to", port = true;
    else if (!strcmp(field, "app-path"))
        kw = "app", quote = true;
    else if (!strcmp(field, "app-sha256"))
        kw = "sha256";
    else if (!strcmp(field, "cmdline"))
        kw = "cmdline", quote = true;
    else if (!strcmp(field, "uid"))
        kw = "user";
    else if (!strcmp(field, "gid"))
        kw = "group";
    else if (!strcmp(field, "cgroup"))
        kw = "cgroup", quote = true;
    else if (!strcmp(field, "remote-domain"))
        kw = "domain", quote = true;
    else if (!strcmp(field, "iface"))
        kw = "iface", quote = true;
    else if (!strcmp(field, "icmp-type"))
        kw = "icmp-type";
    else if (!strcmp(field, "encrypted-dns")) {
        put(o, " encrypted-dns"); /* a word alone: its values are implied */
        return true;
    } else if (!strcmp(field, "proto"))
        kw = "proto";
    else if (!strcmp(field, "time")) {
        if (negate) {
            snprintf(err, el, "a time condition cannot be negated");
            return false;
        }
        put(o, " ");
        return put_list(o, vals, false, true);
    } else {
        snprintf(err, el, "condition field \"%s\" has no form in the policy language", field);
        return false;
    }
    put(o, " %s%s%s", kw, port ? " port" : "", negate ? " !" : "");
    put(o, " ");
    if (!put_list(o, vals, quote || !strcmp(field, "local-zone") || !strcmp(field, "remote-zone"),
                  false)) {
        snprintf(err, el, "condition values must be strings");
        return false;
    }
    return true;
}

static bool import_filter(struct out *o, json_object *f, char *err, size_t el)
{
    const char *name = get_str(f, "name"), *layer = get_str(f, "layer"),
               *sub = get_str(f, "sublayer"), *prov = get_str(f, "provider"),
               *action = get_str(f, "action"), *callout = get_str(f, "callout"),
               *life = get_str(f, "lifetime");
    int64_t weight = 0;
    json_object *hard;
    if (!layer || !action) {
        snprintf(err, el, "a filter needs \"layer\" and \"action\"");
        return false;
    }
    put(o, "filter ");
    if (name) {
        put_value(o, name, true);
        put(o, " ");
    }
    put(o, "layer ");
    put_value(o, layer, false);
    if (sub) {
        put(o, " sublayer ");
        put_value(o, sub, true);
    }
    if (prov && strcmp(prov, "admin")) {
        put(o, " provider ");
        put_value(o, prov, true);
    }
    get_int(f, "weight", &weight);
    put(o, " weight %lld", (long long)weight);
    if (json_object_object_get_ex(f, "hard", &hard) && json_object_get_boolean(hard))
        put(o, " hard");
    put(o, " ");
    put_value(o, action, false);
    if (!strcmp(action, "callout")) {
        put(o, " ");
        put_value(o, callout ? callout : "", true);
    }
    json_object *conds = get_arr(f, "conditions");
    for (size_t i = 0; conds && i < json_object_array_length(conds); i++)
        if (!import_cond(o, json_object_array_get_idx(conds, i), layer, err, el))
            return false;
    if (life) {
        put(o, " ");
        put_any(o, life, false, true);
    }
    put(o, "\n");
    return true;
}

static bool import_rule(struct out *o, json_object *r, char *err, size_t el)
{
    const char *action = get_str(r, "action"), *dir = get_str(r, "direction"),
               *proto = get_str(r, "proto"), *prov = get_str(r, "provider"),
               *life = get_str(r, "lifetime");
    if (!action) {
        snprintf(err, el, "an app rule needs \"action\"");
        return false;
    }
    put(o, "    ");
    put_value(o, action, false);
    if (dir && strcmp(dir, "any")) {
        put(o, " ");
        put_value(o, dir, false);
    }
    if (proto) {
        put(o, " proto ");
        put_value(o, proto, false);
    }
    json_object *a;
    bool in = dir && !strcmp(dir, "in");
    if ((a = get_arr(r, "ports")) && json_object_array_length(a)) {
        put(o, " port ");
        put_list(o, a, false, false);
    }
    if ((a = get_arr(r, "zones")) && json_object_array_length(a)) {
        put(o, in ? " from " : " to ");
        put_list(o, a, true, false);
    }
    if ((a = get_arr(r, "addresses")) && json_object_array_length(a)) {
        put(o, in ? " from " : " to ");
        put_list(o, a, false, false);
    }
    if ((a = get_arr(r, "domains")) && json_object_array_length(a)) {
        put(o, " domain ");
        put_list(o, a, true, false);
    }
    if ((a = get_arr(r, "users")) && json_object_array_length(a)) {
        put(o, " user ");
        put_list(o, a, false, false);
    }
    if ((a = get_arr(r, "parents")) && json_object_array_length(a)) {
        put(o, " parent ");
        put_list(o, a, true, false);
    }
    if ((a = get_arr(r, "times")) && json_object_array_length(a)) {
        put(o, " ");
        put_list(o, a, false, true);
    }
    if (prov && strcmp(prov, "admin")) {
        put(o, " provider ");
        put_value(o, prov, true);
    }
    if (life) {
        put(o, " ");
        put_any(o, life, false, true);
    }
    put(o, "\n");
    return true;
}

char *ward_json_to_policy(const char *json, char *err, size_t el)
{
    enum json_tokener_error jerr;
    json_object *root = json_tokener_parse_verbose(json, &jerr);
    struct out o = {0};
    int64_t ver = 0;
    if (!root) {
        snprintf(err, el, "not JSON: %s", json_tokener_error_desc(jerr));
        return NULL;
    }
    if (!json_object_is_type(root, json_type_object) || !get_int(root, "ward_policy", &ver) ||
        ver != 1) {
        snprintf(err, el, "not a Ward policy (\"ward_policy\": 1 expected)");
        json_object_put(root);
        return NULL;
    }
    bool ok = true;
    json_object *s, *a;
    put(&o, "# imported from JSON\n");
    if (json_object_object_get_ex(root, "settings", &s) &&
        json_object_is_type(s, json_type_object)) {
        const char *v;
        int64_t n;
        if ((v = get_str(s, "mode")))
            put(&o, "set mode "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "no-prompter"))) {
            const char *scope = get_str(s, "no-prompter-scope");
            put(&o, "set no-prompter ");
            put_value(&o, v, false);
            if (scope)
                put(&o, " for "), put_value(&o, scope, false);
            put(&o, "\n");
        }
        if ((v = get_str(s, "unattributed")))
            put(&o, "set unattributed "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "self-traffic")))
            put(&o, "set self-traffic "), put_value(&o, v, false), put(&o, "\n");
        if (get_int(s, "prompt-timeout", &n)) {
            put(&o, "set prompt-timeout %llds", (long long)n);
            if ((v = get_str(s, "prompt-default")))
                put(&o, " default "), put_value(&o, v, false);
            put(&o, "\n");
        }
        if ((v = get_str(s, "fail-mode")))
            put(&o, "set fail-mode "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "callout-failure")))
            put(&o, "set callout-failure "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "dnsfilter-answer")))
            put(&o, "set dnsfilter-answer "), put_value(&o, v, false), put(&o, "\n");
        json_object *acc;
        if (json_object_object_get_ex(s, "accounting-limit", &acc) &&
            json_object_is_type(acc, json_type_object))
            put(&o, "set accounting-limit "), put_per(&o, acc), put(&o, "\n");
        if ((v = get_str(s, "on-tamper")))
            put(&o, "set on-tamper "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "trust-package-manager")))
            put(&o, "set trust-package-manager "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "on-policy-change")))
            put(&o, "set on-policy-change "), put_value(&o, v, false), put(&o, "\n");
        if ((v = get_str(s, "av"))) {
            put(&o, "set av "), put_value(&o, v, false);
            if (!strcmp(v, "scan-before-allow") && get_int(s, "av-bound", &n))
                put(&o, " bound %llds", (long long)n);
            put(&o, "\n");
        }
        put_repeated(&o, get_arr(s, "dnsfilter-lists"), "dnsfilter-list");
        put_repeated(&o, get_arr(s, "encrypted-dns-resolvers"), "encrypted-dns-resolver");
        for (size_t i = 0; (a = get_arr(s, "urlfilter")) && i < json_object_array_length(a); i++) {
            json_object *u = json_object_array_get_idx(a, i);
            const char *act = get_str(u, "action"), *app = get_str(u, "app");
            const char *pat = get_str(u, "pattern");
            put(&o, "set urlfilter "), put_value(&o, act ? act : "", false);
            if (app)
                put(&o, " app "), put_value(&o, app, true);
            put(&o, " "), put_value(&o, pat ? pat : "", true), put(&o, "\n");
        }
        if (get_int(s, "mail-proxy-port", &n))
            put(&o, "set mail-proxy port %lld\n", (long long)n);
        for (size_t i = 0; (a = get_arr(s, "mail")) && i < json_object_array_length(a); i++) {
            json_object *u = json_object_array_get_idx(a, i);
            const char *app = get_str(u, "app"), *what = get_str(u, "what");
            const char *pat = get_str(u, "pattern"), *out = get_str(u, "outcome");
            const char *size = get_str(u, "size");
            put(&o, "mail");
            if (app)
                put(&o, " app "), put_value(&o, app, true);
            put(&o, " "), put_value(&o, what ? what : "", false);
            if (size)
                put(&o, " "), put_value(&o, size, false);
            else if (pat)
                put(&o, " "), put_value(&o, pat, true);
            put(&o, " "), put_value(&o, out ? out : "", false), put(&o, "\n");
        }
        for (size_t i = 0; (a = get_arr(s, "mail-tls-listen")) && i < json_object_array_length(a);
             i++) {
            json_object *u = json_object_array_get_idx(a, i);
            const char *proto = get_str(u, "proto"), *listen = get_str(u, "listen");
            const char *up = get_str(u, "upstream");
            put(&o, "set mail-tls-listen "), put_value(&o, proto ? proto : "", false);
            put(&o, " "), put_value(&o, listen ? listen : "", false);
            put(&o, " upstream "), put_value(&o, up ? up : "", true), put(&o, "\n");
        }
        if ((v = get_str(s, "mail-tls-trust")))
            put(&o, "set mail-tls-trust "), put_value(&o, v, true), put(&o, "\n");
        if ((v = get_str(s, "stream-bound"))) {
            /* Three words; anything else is quoted, and the policy refuses it. */
            static const char words[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -";
            put(&o, "set stream-bound ");
            if (v[strspn(v, words)])
                put_value(&o, v, true);
            else
                put(&o, "%s", v);
            put(&o, "\n");
        }
        json_object *iu;
        if (json_object_object_get_ex(s, "ids-update", &iu) &&
            json_object_is_type(iu, json_type_object)) {
            const char *url = get_str(iu, "url"), *every = get_str(iu, "every");
            put(&o, "set ids-update "), put_value(&o, url ? url : "", true);
            /* One word; anything else is quoted, and the policy refuses it. */
            bool plain = every && *every && !every[strspn(every, "0123456789smhd")];
            put(&o, " every "), put_value(&o, every ? every : "", !plain);
            put(&o, "\n");
        }
        char depth[16];
        ward_policy_size_format(WARD_POLICY_IDS_DEPTH, depth, sizeof(depth));
        if ((v = get_str(s, "ids-depth")) && strcmp(v, depth) != 0) {
            /* One word; anything else is quoted, and the policy refuses it. */
            bool plain = *v && !v[strspn(v, "0123456789KMGB")];
            put(&o, "set ids-depth "), put_value(&o, v, !plain), put(&o, "\n");
        }
        if ((v = get_str(s, "policy-bundle"))) {
            put(&o, "set policy-bundle "), put_value(&o, v, true);
            if (get_int(s, "policy-bundle-every", &n))
                put(&o, " every %llds", (long long)n);
            put(&o, "\n");
        }
        if ((v = get_str(s, "syslog"))) {
            put(&o, "set syslog "), put_value(&o, v, true);
            if ((v = get_str(s, "syslog-ca")))
                put(&o, " ca "), put_value(&o, v, true);
            put(&o, "\n");
        }
        json_object *ld;
        if (json_object_object_get_ex(s, "layer-defaults", &ld) &&
            json_object_is_type(ld, json_type_object)) {
            json_object_object_foreach(ld, key, val)
            {
                const char *verdict = json_object_get_string(val);
                if (verdict && strcmp(verdict, "pass")) {
                    put(&o, "set default ");
                    put_value(&o, key, false);
                    put(&o, " ");
                    put_value(&o, verdict, false);
                    put(&o, "\n");
                }
            }
        }
        for (size_t i = 0; (a = get_arr(s, "alerts")) && i < json_object_array_length(a); i++) {
            json_object *al = json_object_array_get_idx(a, i);
            int64_t c = 0, w = 0;
            const char *name = get_str(al, "name");
            get_int(al, "count", &c);
            get_int(al, "window", &w);
            put(&o, "set alert ");
            put_value(&o, name ? name : "", false);
            put(&o, " %lld/%llds\n", (long long)c, (long long)w);
        }
    }
    for (size_t i = 0; (a = get_arr(root, "zones")) && i < json_object_array_length(a); i++) {
        json_object *z = json_object_array_get_idx(a, i), *addrs = get_arr(z, "addresses");
        const char *name = get_str(z, "name");
        put(&o, "zone ");
        put_value(&o, name ? name : "", false);
        put(&o, " = { ");
        for (size_t k = 0; addrs && k < json_object_array_length(addrs); k++) {
            const char *v = json_object_get_string(json_object_array_get_idx(addrs, k));
            put(&o, "%s", k ? ", " : "");
            put_value(&o, v ? v : "", false);
        }
        put(&o, " }\n");
    }
    for (size_t i = 0; (a = get_arr(root, "providers")) && i < json_object_array_length(a); i++) {
        const char *v = json_object_get_string(json_object_array_get_idx(a, i));
        put(&o, "provider ");
        put_value(&o, v ? v : "", true);
        put(&o, "\n");
    }
    for (size_t i = 0; (a = get_arr(root, "sublayers")) && i < json_object_array_length(a); i++) {
        json_object *sj = json_object_array_get_idx(a, i);
        const char *name = get_str(sj, "name");
        int64_t w = 0;
        get_int(sj, "weight", &w);
        put(&o, "sublayer ");
        put_value(&o, name ? name : "", true);
        put(&o, " weight %lld\n", (long long)w);
    }
    for (size_t i = 0; ok && (a = get_arr(root, "filters")) && i < json_object_array_length(a); i++)
        ok = import_filter(&o, json_object_array_get_idx(a, i), err, el);
    for (size_t i = 0; ok && (a = get_arr(root, "apps")) && i < json_object_array_length(a); i++) {
        json_object *ja = json_object_array_get_idx(a, i), *rules = get_arr(ja, "rules");
        const char *path = get_str(ja, "path"), *sha = get_str(ja, "sha256"),
                   *fb = get_str(ja, "fallback");
        if (!path) {
            snprintf(err, el, "an app needs \"path\"");
            ok = false;
            break;
        }
        put(&o, "app ");
        put_value(&o, path, true);
        if (sha)
            put(&o, " sha256 "), put_value(&o, sha, false);
        if (fb && strcmp(fb, "opposite"))
            put(&o, " fallback "), put_value(&o, fb, false);
        put(&o, " {\n");
        import_limits(&o, ja);
        for (size_t k = 0; ok && rules && k < json_object_array_length(rules); k++)
            ok = import_rule(&o, json_object_array_get_idx(rules, k), err, el);
        put(&o, "}\n");
    }
    json_object_put(root);
    if (!ok || o.oom) {
        if (o.oom)
            snprintf(err, el, "out of memory");
        free(o.s);
        return NULL;
    }
    return o.s;
}
