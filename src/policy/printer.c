/*
 * printer.c — the canonical form: what `ward show` prints and what the
 * learned rules file holds. Built from the engine's contents (and the zones
 * and settings the policy keeps), so it shows what is in force, not what was
 * typed: lists expanded and sorted, options in one order. Parsing the output
 * again gives the same output.
 */
#include "policy/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void ward_policy_size_format(uint32_t n, char *buf, size_t len)
{
    const char *unit = "";
    if (n && n % (1024 * 1024) == 0)
        n /= 1024 * 1024, unit = "MB";
    else if (n && n % 1024 == 0)
        n /= 1024, unit = "KB";
    snprintf(buf, len, "%u%s", n, unit);
}

void ward_policy_stream_bound_format(const ward_policy_extras *x, char *buf, size_t len)
{
    uint32_t ms = x->stream_ms;
    char size[16];
    ward_policy_size_format(x->stream_bytes, size, sizeof(size));
    snprintf(buf, len, "%s %u%s %s", size, ms % 1000 ? ms : ms / 1000, ms % 1000 ? "ms" : "s",
             x->stream_fail_open ? "fail-open" : "fail-closed");
}

void ward_policy_interval_format(uint32_t s, char *buf, size_t len)
{
    static const struct {
        uint32_t secs;
        const char *unit;
    } units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (s % units[i].secs == 0) {
            snprintf(buf, len, "%u%s", s / units[i].secs, units[i].unit);
            return;
        }
}

void ward_policy_quote(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 3) {
        if (len)
            buf[0] = 0;
        return;
    }
    buf[o++] = '"';
    for (; *s && o + 3 < len; s++) {
        if (*s == '"' || *s == '\\')
            buf[o++] = '\\';
        buf[o++] = *s;
    }
    buf[o++] = '"';
    buf[o] = 0;
}

static void fmt_duration(uint32_t s, char *buf, size_t len)
{
    if (s && s % 3600 == 0)
        snprintf(buf, len, "%uh", s / 3600);
    else if (s && s % 60 == 0)
        snprintf(buf, len, "%um", s / 60);
    else
        snprintf(buf, len, "%us", s);
}

static bool plain_word(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return isalpha((unsigned char)s[0]) || s[0] == '_';
}

void ward_policy_fmt_value(const ward_cond *c, size_t i, bool raw, char *buf, size_t len)
{
    switch (ward_field_kind(c->field)) {
    case WARD_VAL_STR: {
        const char *s = c->v.str[i];
        bool word_ok = c->field == WARD_F_IFACE || c->field == WARD_F_REMOTE_ZONE ||
                       c->field == WARD_F_LOCAL_ZONE;
        if (raw || (word_ok && plain_word(s)))
            snprintf(buf, len, "%s", s);
        else
            ward_policy_quote(s, buf, len);
        return;
    }
    case WARD_VAL_CIDR:
        ward_cidr_format(&c->v.cidr[i], buf, len);
        return;
    case WARD_VAL_SHA:
        for (int k = 0; k < 32 && (size_t)(2 * k + 2) < len; k++)
            snprintf(buf + 2 * k, len - 2 * (size_t)k, "%02x", c->v.sha[i].b[k]);
        return;
    case WARD_VAL_TIME:
        ward_policy_fmt_time(&c->v.time[i], buf, len);
        return;
    case WARD_VAL_EXE:
        snprintf(buf, len, "%llu:%llu", (unsigned long long)c->v.exe[i].dev,
                 (unsigned long long)c->v.exe[i].ino);
        return;
    case WARD_VAL_RANGE:
        if (!raw && c->field == WARD_F_PROTO && c->v.range[i].lo == c->v.range[i].hi) {
            ward_policy_fmt_proto(c->v.range[i].lo, buf, len);
            return;
        }
        if (c->v.range[i].lo == c->v.range[i].hi)
            snprintf(buf, len, "%u", c->v.range[i].lo);
        else
            snprintf(buf, len, "%u-%u", c->v.range[i].lo, c->v.range[i].hi);
        return;
    }
}

static void put_list(struct sbuf *b, const ward_cond *c)
{
    char v[8300];
    if (c->field == WARD_F_TIME) {
        /* Consecutive windows form one list: "weekdays 08:00-12:00 sat". */
        for (size_t i = 0; i < c->n; i++) {
            ward_policy_fmt_value(c, i, false, v, sizeof(v));
            sb_printf(b, "%s%s", i ? " " : "", v);
        }
        return;
    }
    if (c->n != 1)
        sb_puts(b, "{ ");
    for (size_t i = 0; i < c->n; i++) {
        ward_policy_fmt_value(c, i, false, v, sizeof(v));
        sb_printf(b, "%s%s", i ? ", " : "", v);
    }
    if (c->n != 1)
        sb_puts(b, " }");
}

static const char *field_keyword(enum ward_field f)
{
    switch (f) {
    case WARD_F_APP_PATH:
        return "app";
    case WARD_F_APP_SHA256:
        return "sha256";
    case WARD_F_CMDLINE:
        return "cmdline";
    case WARD_F_UID:
        return "user";
    case WARD_F_GID:
        return "group";
    case WARD_F_CGROUP:
        return "cgroup";
    case WARD_F_IFACE:
        return "iface";
    case WARD_F_PROTO:
        return "proto";
    case WARD_F_REMOTE_DOMAIN:
        return "domain";
    case WARD_F_ICMP_TYPE:
        return "icmp-type";
    default:
        return NULL;
    }
}

static int cmp_rank(const void *a, const void *b)
{
    const ward_cond *const *x = a, *const *y = b;
    int d = policy_field_rank((*x)->field) - policy_field_rank((*y)->field);
    return d ? d : (*x < *y ? -1 : *x > *y);
}

static void put_conds(struct sbuf *b, enum ward_layer layer, const ward_cond *conds, size_t n)
{
    const ward_cond *sorted[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 64; i++)
        sorted[k++] = &conds[i];
    qsort(sorted, k, sizeof(sorted[0]), cmp_rank);
    bool inbound = layer_is_inbound(layer);
    int last_side = 0; /* 1 local, 2 remote: the side an address was just printed for */
    for (size_t i = 0; i < k; i++) {
        const ward_cond *c = sorted[i];
        const char *neg = c->negate ? "! " : "";
        int side = 0;
        bool port = false;
        switch (c->field) {
        case WARD_F_LOCAL_ZONE:
        case WARD_F_LOCAL_ADDR:
            side = 1;
            break;
        case WARD_F_LOCAL_PORT:
            side = 1;
            port = true;
            break;
        case WARD_F_REMOTE_ZONE:
        case WARD_F_REMOTE_ADDR:
            side = 2;
            break;
        case WARD_F_REMOTE_PORT:
            side = 2;
            port = true;
            break;
        default:
            break;
        }
        if (side) {
            const char *kw = (side == 2) != inbound ? "to" : "from";
            if (port) {
                if (last_side == side)
                    sb_printf(b, " port %s", neg);
                else
                    sb_printf(b, " %s port %s", kw, neg);
                last_side = 0;
            } else {
                sb_printf(b, " %s %s", kw, neg);
                last_side = side;
            }
            put_list(b, c);
            continue;
        }
        last_side = 0;
        if (c->field == WARD_F_TIME) {
            sb_putc(b, ' ');
            put_list(b, c);
            continue;
        }
        if (c->field == WARD_F_PROTO && !c->negate && c->n == 1 &&
            c->v.range[0].lo == c->v.range[0].hi) {
            char v[32];
            ward_policy_fmt_proto(c->v.range[0].lo, v, sizeof(v));
            if (!isdigit((unsigned char)v[0])) {
                sb_printf(b, " %s", v);
                continue;
            }
        }
        if (c->field == WARD_F_ENCRYPTED_DNS) {
            sb_puts(b, " encrypted-dns"); /* a word alone: either kind */
            continue;
        }
        const char *kw = field_keyword(c->field);
        if (!kw)
            continue; /* app-id, direction: not part of the language */
        sb_printf(b, " %s %s", kw, neg);
        put_list(b, c);
    }
}

static bool durable(const ward_lifetime *l)
{
    return l->kind != WARD_LIFE_ONCE && l->kind != WARD_LIFE_UNTIL_RESTART &&
           l->kind != WARD_LIFE_DYNAMIC;
}

struct fctx {
    const ward_policy *p;
    const ward_engine *e;
    struct sbuf *b;
    bool only, durable;
    uint32_t provider;
    bool any;
};

static int print_filter(uint64_t id, const ward_filter_def *d, void *arg)
{
    struct fctx *x = arg;
    struct sbuf *b = x->b;
    char q[8300];
    if ((x->only && d->provider != x->provider) || (x->durable && !durable(&d->lifetime)))
        return 0;
    if (!x->any)
        sb_putc(b, '\n');
    x->any = true;
    sb_puts(b, "filter ");
    if (d->name) {
        ward_policy_quote(d->name, q, sizeof(q));
        sb_printf(b, "%s ", q);
    }
    sb_printf(b, "layer %s", layer_word(d->layer));
    ward_sublayer_info info[64];
    size_t ns = ward_sublayer_list(x->e, info, 64);
    for (size_t i = 0; i < ns && i < 64; i++)
        if (info[i].id == d->sublayer)
            sb_printf(b, " sublayer %s", info[i].name);
    if (d->provider != WARD_PROVIDER_ADMIN) {
        const char *pn = ward_provider_name(x->e, d->provider);
        sb_printf(b, " provider %s", pn ? pn : "?");
    }
    sb_printf(b, " weight %u", d->weight);
    if (d->hard)
        sb_puts(b, " hard");
    sb_puts(b, d->action == WARD_ACT_PERMIT  ? " permit"
               : d->action == WARD_ACT_BLOCK ? " block"
                                             : " callout ");
    if (d->action == WARD_ACT_CALLOUT)
        sb_puts(b, d->callout ? d->callout : "?");
    put_conds(b, d->layer, d->conds, d->n_conds);
    char life[128];
    ward_policy_fmt_lifetime(&d->lifetime, life, sizeof(life));
    if (*life)
        sb_printf(b, " %s", life);
    sb_putc(b, '\n');
    (void)id;
    return 0;
}

char *ward_policy_format_filter(const ward_engine *e, uint64_t id)
{
    ward_filter_def d;
    if (ward_filter_get(e, id, &d) < 0)
        return NULL;
    struct sbuf b = {0};
    struct fctx x = {.e = e, .b = &b, .any = true};
    print_filter(id, &d, &x);
    if (b.oom || !b.s) {
        free(b.s);
        return NULL;
    }
    if (b.len && b.s[b.len - 1] == '\n')
        b.s[--b.len] = '\0';
    return b.s;
}

/* provider: the rule's provider's name; NULL or "admin" prints none. */
static void put_rule(struct sbuf *b, const char *provider, const ward_app_rule *r)
{
    char v[8300];
    sb_puts(b, r->action == WARD_ACT_PERMIT ? "allow" : "deny");
    if (r->dir != WARD_DIR_ANY)
        sb_puts(b, r->dir == WARD_DIR_IN ? " in" : " out");
    if (r->proto) {
        ward_policy_fmt_proto(r->proto, v, sizeof(v));
        sb_printf(b, isdigit((unsigned char)v[0]) ? " proto %s" : " %s", v);
    }
    if (r->n_ports) {
        ward_cond c = {.field = WARD_F_REMOTE_PORT, .n = r->n_ports, .v.range = r->ports};
        sb_puts(b, " port ");
        put_list(b, &c);
    }
    const char *kw = r->dir == WARD_DIR_IN ? "from" : "to";
    if (r->n_zones) {
        ward_cond c = {.field = WARD_F_REMOTE_ZONE, .n = r->n_zones, .v.str = r->zones};
        sb_printf(b, " %s ", kw);
        put_list(b, &c);
    }
    if (r->n_addrs) {
        ward_cond c = {.field = WARD_F_REMOTE_ADDR, .n = r->n_addrs, .v.cidr = r->addrs};
        sb_printf(b, " %s ", kw);
        put_list(b, &c);
    }
    if (r->n_domains) {
        ward_cond c = {.field = WARD_F_REMOTE_DOMAIN, .n = r->n_domains, .v.str = r->domains};
        sb_puts(b, " domain ");
        put_list(b, &c);
    }
    if (r->n_users) {
        ward_cond c = {.field = WARD_F_UID, .n = r->n_users, .v.range = r->users};
        sb_puts(b, " user ");
        put_list(b, &c);
    }
    if (r->n_parents) {
        ward_cond c = {.field = WARD_F_APP_PATH, .n = r->n_parents, .v.str = r->parents};
        sb_puts(b, " parent ");
        put_list(b, &c);
    }
    if (r->n_times) {
        ward_cond c = {.field = WARD_F_TIME, .n = r->n_times, .v.time = r->times};
        sb_putc(b, ' ');
        put_list(b, &c);
    }
    if (provider && strcmp(provider, "admin") != 0)
        sb_printf(b, " provider %s", provider);
    if (!r->proto && !r->n_ports && !r->n_zones && !r->n_addrs && !r->n_domains && !r->n_users &&
        !r->n_parents && !r->n_times)
        sb_puts(b, " any"); /* "deny out any" reads better than a bare "deny out" */
    ward_policy_fmt_lifetime(&r->lifetime, v, sizeof(v));
    if (*v)
        sb_printf(b, " %s", v);
}

/* pin_of: 0, every pin; else only a pin that provider set (the learned
 * rules file keeps the pins answers set, never the administrator's). */
static void put_app_head(struct sbuf *b, const ward_app_info *a, uint32_t pin_of,
                         const ward_policy_extras *x)
{
    static const char *const fbs[] = {"opposite", "ask", "allow", "deny"};
    if (a->pin && (!pin_of || a->pin_provider == pin_of)) {
        sb_puts(b, " sha256 ");
        for (int j = 0; j < 32; j++)
            sb_printf(b, "%02x", a->pin->b[j]);
    }
    if (a->fallback != WARD_FALLBACK_OPPOSITE && (unsigned)a->fallback < 4)
        sb_printf(b, " fallback %s", fbs[a->fallback]);
    sb_puts(b, " {\n");
    const ward_app_limit *l = x ? ward_policy_limit_of(x, a->path) : NULL;
    char v[32];
    if (l && l->rate_bits) {
        ward_policy_fmt_rate(l->rate_bits, v, sizeof(v));
        sb_printf(b, "    limit rate %s", v);
        if (l->burst) {
            ward_policy_fmt_size(l->burst, v, sizeof(v));
            sb_printf(b, " burst %s", v);
        }
        sb_putc(b, '\n');
    }
    if (l && l->quota) {
        ward_policy_fmt_size(l->quota, v, sizeof(v));
        sb_printf(b, "    quota %s per %s%s\n", v,
                  ward_policy_period_name((enum ward_quota_period)l->period),
                  l->quota_alert ? " then alert" : "");
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_alert(const void *a, const void *b)
{
    return strcmp(((const struct ward_alert_threshold *)a)->name,
                  ((const struct ward_alert_threshold *)b)->name);
}

char *ward_policy_format(const ward_policy *p, unsigned flags, uint32_t provider)
{
    struct sbuf b = {0};
    const ward_engine *e = ward_policy_engine((ward_policy *)p);
    bool only = flags & WARD_PRINT_PROVIDER_ONLY, dur = flags & WARD_PRINT_DURABLE_ONLY;
    const ward_policy_extras *x = ward_policy_get_extras(p);
    char v[8300];
    sb_puts(&b, "");
    if (!e)
        return b.oom ? NULL : b.s;

    if (!only) {
        ward_settings s;
        ward_engine_settings(e, &s);
        sb_printf(&b, "set mode %s\n", ward_mode_name(s.mode));
        sb_printf(&b, "set no-prompter %s%s\n", s.no_prompter == WARD_V_BLOCK ? "block" : "pass",
                  s.no_prompter_scope == WARD_NP_ALL ? " for all" : "");
        sb_printf(&b, "set unattributed %s\n", s.unattributed == WARD_V_BLOCK ? "block" : "pass");
        sb_printf(&b, "set self-traffic %s\n",
                  s.self_traffic == WARD_SELF_RULES ? "rules" : "pass");
        fmt_duration(x->prompt_timeout, v, sizeof(v));
        sb_printf(&b, "set prompt-timeout %s default %s\n", v,
                  x->prompt_default == WARD_V_PERMIT ? "allow" : "deny");
        sb_printf(&b, "set fail-mode %s\n", x->fail_open ? "open" : "closed");
        /* The callout settings only when they differ from the defaults. */
        if (x->callout_failure == WARD_V_PERMIT)
            sb_puts(&b, "set callout-failure pass\n");
        if (x->dnsfilter_zero)
            sb_puts(&b, "set dnsfilter-answer zero\n");
        if (x->accounting_limit) {
            ward_policy_fmt_size(x->accounting_limit, v, sizeof(v));
            sb_printf(&b, "set accounting-limit %s per %s\n", v,
                      ward_policy_period_name((enum ward_quota_period)x->accounting_period));
        }
        if (x->on_tamper_suspend)
            sb_puts(&b, "set on-tamper suspend\n");
        if (x->trust_package_manager)
            sb_puts(&b, "set trust-package-manager yes\n");
        if (x->policy_change_reload)
            sb_puts(&b, "set on-policy-change reload\n");
        if (x->av_mode == WARD_AV_BACKGROUND)
            sb_puts(&b, "set av scan-in-background\n");
        if (x->av_mode == WARD_AV_BEFORE_ALLOW) {
            fmt_duration(x->av_bound, v, sizeof(v));
            sb_printf(&b, "set av scan-before-allow bound %s\n", v);
        }
        for (size_t i = 0; i < x->n_dnsfilter_lists; i++) {
            ward_policy_quote(x->dnsfilter_lists[i], v, sizeof(v));
            sb_printf(&b, "set dnsfilter-list %s\n", v);
        }
        for (size_t i = 0; i < x->n_resolvers; i++) {
            ward_policy_quote(x->resolvers[i], v, sizeof(v));
            sb_printf(&b, "set encrypted-dns-resolver %s\n", v);
        }
        if (x->stream_bytes != WARD_POLICY_STREAM_BYTES || x->stream_ms != WARD_POLICY_STREAM_MS ||
            x->stream_fail_open) {
            ward_policy_stream_bound_format(x, v, sizeof(v));
            sb_printf(&b, "set stream-bound %s\n", v);
        }
        if (x->ids_update_s) {
            char every[16];
            ward_policy_quote(x->ids_update_url, v, sizeof(v));
            ward_policy_interval_format(x->ids_update_s, every, sizeof(every));
            sb_printf(&b, "set ids-update %s every %s\n", v, every);
        }
        if (x->ids_depth != WARD_POLICY_IDS_DEPTH) {
            ward_policy_size_format(x->ids_depth, v, sizeof(v));
            sb_printf(&b, "set ids-depth %s\n", v);
        }
        if (x->policy_bundle[0]) {
            ward_policy_quote(x->policy_bundle, v, sizeof(v));
            sb_printf(&b, "set policy-bundle %s every ", v);
            fmt_duration(x->bundle_every, v, sizeof(v));
            sb_printf(&b, "%s\n", v);
        }
        if (x->syslog[0]) {
            ward_policy_quote(x->syslog, v, sizeof(v));
            sb_printf(&b, "set syslog %s", v);
            if (x->syslog_ca[0]) {
                ward_policy_quote(x->syslog_ca, v, sizeof(v));
                sb_printf(&b, " ca %s", v);
            }
            sb_puts(&b, "\n");
        }
        for (size_t i = 0; i < x->n_urlfilter; i++) {
            const struct ward_policy_url *u = &x->urlfilter[i];
            sb_printf(&b, "set urlfilter %s", u->deny ? "deny" : "allow");
            if (u->app[0]) {
                ward_policy_quote(u->app, v, sizeof(v));
                sb_printf(&b, " app %s", v);
            }
            ward_policy_quote(u->pattern, v, sizeof(v));
            sb_printf(&b, " %s\n", v);
        }
        if (x->mail_port)
            sb_printf(&b, "set mail-proxy port %u\n", (unsigned)x->mail_port);
        for (size_t i = 0; i < x->n_mail; i++) {
            const struct ward_mail_rule *r = &x->mail[i];
            sb_puts(&b, "mail");
            if (r->app[0]) {
                ward_policy_quote(r->app, v, sizeof(v));
                sb_printf(&b, " app %s", v);
            }
            sb_printf(&b, " %s", ward_mail_what_name((enum ward_mail_what)r->what));
            if (r->what == WARD_MAIL_SIZE) {
                ward_policy_fmt_size(r->size, v, sizeof(v));
                sb_printf(&b, " %s", v);
            } else if (r->what != WARD_MAIL_VIRUS) {
                ward_policy_quote(r->pattern, v, sizeof(v));
                sb_printf(&b, " %s", v);
            }
            sb_printf(&b, " %s\n", ward_mail_outcome_name((enum ward_mail_outcome)r->outcome));
        }
        for (size_t i = 0; i < x->n_mail_tls; i++) {
            char listen[32], up[300];
            ward_mail_tls_endpoints(&x->mail_tls[i], listen, sizeof(listen), up, sizeof(up));
            ward_policy_quote(up, v, sizeof(v));
            sb_printf(&b, "set mail-tls-listen %s %s upstream %s\n",
                      ward_mail_tls_proto_name((enum ward_mail_tls_proto)x->mail_tls[i].proto),
                      listen, v);
        }
        if (x->mail_tls_trust[0]) {
            ward_policy_quote(x->mail_tls_trust, v, sizeof(v));
            sb_printf(&b, "set mail-tls-trust %s\n", v);
        }
        for (int l = 0; l < WARD_LAYER_COUNT; l++)
            if (s.layer_default[l] == WARD_V_BLOCK)
                sb_printf(&b, "set default %s block\n", layer_word(l));
        struct ward_alert_threshold alerts[WARD_POLICY_MAX_ALERTS];
        memcpy(alerts, x->alerts, sizeof(alerts));
        qsort(alerts, x->n_alerts, sizeof(alerts[0]), cmp_alert);
        for (size_t i = 0; i < x->n_alerts; i++) {
            fmt_duration(alerts[i].window, v, sizeof(v));
            sb_printf(&b, "set alert %s %u/%s\n", alerts[i].name, alerts[i].count, v);
        }

        size_t nz = ward_policy_zone_count(p);
        const char **names = nz ? malloc(nz * sizeof(*names)) : NULL;
        for (size_t i = 0; names && i < nz; i++) {
            const ward_cidr *c;
            size_t n;
            names[i] = ward_policy_zone_at(p, i, &c, &n);
        }
        /* Zones print sorted by name; a zone never refers to another once loaded. */
        for (size_t i = 1; names && i < nz; i++)
            for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
                const char *t = names[k];
                names[k] = names[k - 1];
                names[k - 1] = t;
            }
        if (nz)
            sb_putc(&b, '\n');
        for (size_t i = 0; names && i < nz; i++) {
            for (size_t k = 0; k < nz; k++) {
                const ward_cidr *c;
                size_t n;
                if (strcmp(ward_policy_zone_at(p, k, &c, &n), names[i]))
                    continue;
                ward_cond cond = {.field = WARD_F_REMOTE_ADDR, .n = n, .v.cidr = c};
                sb_printf(&b, "zone %s = ", names[i]);
                if (n == 1)
                    sb_puts(&b, "{ ");
                if (n)
                    put_list(&b, &cond);
                else
                    sb_puts(&b, "{ }");
                if (n == 1)
                    sb_puts(&b, " }");
                sb_putc(&b, '\n');
            }
        }
        free(names);

        bool first = true;
        /* Providers by name: their order means nothing. */
        const char *provs[1024];
        size_t np = 0;
        for (uint32_t id = WARD_PROVIDER_LEARNED + 1; np < 1024 && ward_provider_name(e, id); id++)
            provs[np++] = ward_provider_name(e, id);
        qsort(provs, np, sizeof(provs[0]), cmp_name);
        for (size_t i = 0; i < np; i++) {
            if (first)
                sb_putc(&b, '\n');
            first = false;
            ward_policy_quote(provs[i], v, sizeof(v));
            sb_printf(&b, "provider %s\n", v);
        }
        ward_sublayer_info info[64];
        size_t ns = ward_sublayer_list(e, info, 64);
        first = true;
        for (size_t i = 0; i < ns && i < 64; i++) {
            if (info[i].id == WARD_SUBLAYER_ADMIN || info[i].id == WARD_SUBLAYER_APPLICATIONS)
                continue;
            if (first)
                sb_putc(&b, '\n');
            first = false;
            ward_policy_quote(info[i].name, v, sizeof(v));
            sb_printf(&b, "sublayer %s weight 0x%04x\n", v, info[i].weight);
        }
    }

    struct fctx fx = {
        .p = p, .e = e, .b = &b, .only = only, .durable = dur, .provider = provider, .any = only};
    ward_filter_foreach(e, print_filter, &fx);

    for (size_t i = 0; i < ward_app_count(e); i++) {
        ward_app_info a;
        if (ward_app_at(e, i, &a) < 0)
            continue;
        size_t shown = 0;
        for (size_t k = 0; k < a.n_rules; k++) {
            uint64_t rid;
            ward_app_rule r;
            if (ward_app_rule_at(e, a.id, k, &rid, &r) < 0 || (only && r.provider != provider) ||
                (dur && !durable(&r.lifetime)))
                continue;
            if (!shown++) {
                ward_policy_quote(a.path, v, sizeof(v));
                sb_printf(&b, "%sapp %s", b.len ? "\n" : "", v);
                put_app_head(&b, &a, only ? provider : 0, only ? NULL : x);
            }
            sb_puts(&b, "    ");
            const char *pn = ward_provider_name(e, r.provider);
            put_rule(&b, pn ? pn : "?", &r);
            sb_putc(&b, '\n');
        }
        if (shown)
            sb_puts(&b, "}\n");
        else if ((!only && (a.n_rules == 0 || ward_policy_limit_of(x, a.path))) ||
                 (only && a.pin && a.pin_provider == provider)) {
            /* A program with no rules is still known (and pinned): keep it. */
            ward_policy_quote(a.path, v, sizeof(v));
            sb_printf(&b, "%sapp %s", b.len ? "\n" : "", v);
            put_app_head(&b, &a, only ? provider : 0, only ? NULL : x);
            sb_puts(&b, "}\n");
        }
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *ward_policy_format_rule(const ward_app_rule *r, const char *provider)
{
    struct sbuf b = {0};
    put_rule(&b, provider, r);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
