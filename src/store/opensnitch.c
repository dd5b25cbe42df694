/*
 * opensnitch.c — OpenSnitch rule files to Ward's policy language.
 *
 * An OpenSnitch rule is {name, enabled, precedence, action, duration,
 * operator}; the operator is simple (==), regexp, network (CIDR) or list
 * (all of its sub-operators) over operands such as process.path, dest.host,
 * dest.port. A rule naming a program becomes an app rule of that program
 * (with `fallback ask`: OpenSnitch asks about whatever no rule matches); a
 * rule with conditions app rules cannot hold (user.id, process.command)
 * becomes a filter. A rule with anything that cannot be mapped exactly is
 * skipped and reported: a broadened allow rule would be worse than none.
 */
#define _GNU_SOURCE
#include "store/store.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sbuf2 {
    char *s;
    size_t len, cap;
};

static void add(struct sbuf2 *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct sbuf2 *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

#define MAXV 64

/* What one rule says, gathered from its operator tree. */
struct osrule {
    const char *name;
    bool deny, reject, precedence;
    char life[64];
    const char *path;
    const char *cmdline;
    const char *proto;
    char ports[MAXV][16];
    size_t n_ports;
    const char *addrs[MAXV];
    size_t n_addrs;
    char domains[MAXV][260];
    size_t n_domains;
    const char *uid;
    char why[512]; /* non-empty: cannot be mapped */
};

static const char *jget(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return NULL;
    return json_object_get_string(v);
}

/* A regexp that is only an alternation of port numbers: ^(53|80|443)$ */
static bool regex_ports(const char *re, struct osrule *r)
{
    char buf[512];
    size_t n = strlen(re);
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, re, n + 1);
    char *p = buf;
    if (*p == '^')
        p++;
    if (n && buf[n - 1] == '$')
        buf[--n] = 0;
    if (*p == '(' && n && buf[n - 1] == ')') {
        p++;
        buf[--n] = 0;
    }
    for (char *tok = strtok(p, "|"); tok; tok = strtok(NULL, "|")) {
        for (char *c = tok; *c; c++)
            if (!isdigit((unsigned char)*c))
                return false;
        if (!*tok || r->n_ports >= MAXV || strlen(tok) > 5)
            return false;
        snprintf(r->ports[r->n_ports++], sizeof(r->ports[0]), "%s", tok);
    }
    return r->n_ports > 0;
}

/* A regexp for a domain and its subdomains: .*\.example\.com or
 * ^(.*\.)?example\.com$ -> "*.example.com" (plus the name itself). */
static bool regex_domain(const char *re, struct osrule *r)
{
    char lit[250];
    size_t k = 0;
    const char *p = re;
    bool sub = false, self = false;
    if (*p == '^')
        p++;
    if (!strncmp(p, "(.*\\.)?", 7)) {
        sub = self = true;
        p += 7;
    } else if (!strncmp(p, ".*\\.", 4)) {
        sub = true;
        p += 4;
    }
    for (; *p && *p != '$'; p++) {
        if (*p == '\\' && p[1] == '.') {
            p++;
        } else if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
            return false;
        }
        if (k + 1 >= sizeof(lit) - 2)
            return false;
        lit[k++] = *p;
    }
    lit[k] = 0;
    if (!sub || !k || (*p == '$' && p[1]) || r->n_domains + 2 > MAXV)
        return false;
    snprintf(r->domains[r->n_domains++], sizeof(r->domains[0]), "*.%s", lit);
    if (self)
        snprintf(r->domains[r->n_domains++], sizeof(r->domains[0]), "%s", lit);
    return true;
}

static void operand(json_object *op, struct osrule *r);

static void operand(json_object *op, struct osrule *r)
{
    if (r->why[0])
        return;
    const char *type = jget(op, "type"), *what = jget(op, "operand"), *data = jget(op, "data");
    if (!type) {
        snprintf(r->why, sizeof(r->why), "operator without a type");
        return;
    }
    if (!strcmp(type, "list")) {
        json_object *list;
        if (!json_object_object_get_ex(op, "list", &list) ||
            !json_object_is_type(list, json_type_array)) {
            snprintf(r->why, sizeof(r->why), "list operator without a list");
            return;
        }
        for (size_t i = 0; i < json_object_array_length(list); i++)
            operand(json_object_array_get_idx(list, i), r);
        return;
    }
    if (!what || !data) {
        snprintf(r->why, sizeof(r->why), "operator without operand or data");
        return;
    }
    bool simple = !strcmp(type, "simple"), regexp = !strcmp(type, "regexp"),
         network = !strcmp(type, "network");
    if (!strcmp(what, "true") && simple)
        return;
    if (!strcmp(what, "process.path") && simple) {
        r->path = data;
    } else if (!strcmp(what, "process.command") && simple) {
        r->cmdline = data;
    } else if (!strcmp(what, "user.id") && simple) {
        r->uid = data;
    } else if (!strcmp(what, "protocol") && simple) {
        static const char *const ok[] = {"tcp", "udp", "tcp6", "udp6", "icmp", "icmp6", NULL};
        for (int i = 0; ok[i]; i++)
            if (!strcasecmp(data, ok[i]))
                r->proto = ok[i];
        if (!r->proto)
            snprintf(r->why, sizeof(r->why), "protocol '%s' has no equivalent", data);
        else if (!strcmp(r->proto, "tcp6") || !strcmp(r->proto, "udp6"))
            r->proto = r->proto[0] == 't' ? "tcp" : "udp"; /* Ward's rules cover both families */
    } else if (!strcmp(what, "dest.port") && simple) {
        if (r->n_ports < MAXV && strlen(data) < 16)
            snprintf(r->ports[r->n_ports++], sizeof(r->ports[0]), "%s", data);
    } else if (!strcmp(what, "dest.port") && regexp) {
        if (!regex_ports(data, r))
            snprintf(r->why, sizeof(r->why), "port regexp '%s' is not a list of ports", data);
    } else if ((!strcmp(what, "dest.ip") && simple) || (!strcmp(what, "dest.network") && network)) {
        if (r->n_addrs < MAXV)
            r->addrs[r->n_addrs++] = data;
    } else if (!strcmp(what, "dest.host") && simple) {
        if (r->n_domains < MAXV)
            snprintf(r->domains[r->n_domains++], sizeof(r->domains[0]), "%s", data);
    } else if (!strcmp(what, "dest.host") && regexp) {
        if (!regex_domain(data, r))
            snprintf(r->why, sizeof(r->why), "host regexp '%s' is not a domain and its subdomains",
                     data);
    } else {
        snprintf(r->why, sizeof(r->why), "%s operator on %s cannot be mapped", type, what);
    }
}

static void quote(struct sbuf2 *b, const char *s)
{
    char q[8200];
    ward_policy_quote(s, q, sizeof(q));
    add(b, "%s", q);
}

static void list_ports(struct sbuf2 *b, const struct osrule *r)
{
    add(b, " port %s", r->n_ports > 1 ? "{ " : "");
    for (size_t i = 0; i < r->n_ports; i++)
        add(b, "%s%s", i ? ", " : "", r->ports[i]);
    add(b, "%s", r->n_ports > 1 ? " }" : "");
}

static void list_addrs(struct sbuf2 *b, const struct osrule *r)
{
    add(b, " to %s", r->n_addrs > 1 ? "{ " : "");
    for (size_t i = 0; i < r->n_addrs; i++) {
        add(b, "%s", i ? ", " : "");
        quote(b, r->addrs[i]);
    }
    add(b, "%s", r->n_addrs > 1 ? " }" : "");
}

static void list_domains(struct sbuf2 *b, const struct osrule *r)
{
    add(b, " domain %s", r->n_domains > 1 ? "{ " : "");
    for (size_t i = 0; i < r->n_domains; i++) {
        add(b, "%s", i ? ", " : "");
        quote(b, r->domains[i]);
    }
    add(b, "%s", r->n_domains > 1 ? " }" : "");
}

static bool life_of(const char *d, char *out, size_t len, int64_t now)
{
    if (!d || !strcmp(d, "always")) {
        out[0] = 0;
        return true;
    }
    if (!strcmp(d, "once")) {
        snprintf(out, len, "once");
        return true;
    }
    if (!strcmp(d, "until restart") || !strcmp(d, "until-restart")) {
        snprintf(out, len, "until-restart");
        return true;
    }
    char *end;
    long v = strtol(d, &end, 10);
    long mul = !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : 0;
    if (end == d || v <= 0 || !mul)
        return false;
    ward_lifetime l = {.kind = WARD_LIFE_TIMED, .expires = now + v * mul};
    ward_policy_fmt_lifetime(&l, out, len);
    return true;
}

static int cmp_rule(const void *a, const void *b)
{
    const struct osrule *x = a, *y = b;
    /* OpenSnitch: precedence rules first, then deny before allow; by name. */
    if (x->precedence != y->precedence)
        return x->precedence ? -1 : 1;
    if (x->deny != y->deny)
        return x->deny ? -1 : 1;
    return strcmp(x->name, y->name);
}

char *ward_opensnitch_to_policy(const char *const *jsons, const char *const *names, size_t n,
                                char **report)
{
    struct sbuf2 out = {0}, rep = {0};
    json_object **roots = calloc(n ? n : 1, sizeof(*roots));
    struct osrule *rules = NULL;
    size_t n_rules = 0, cap = 0;
    int64_t now = (int64_t)time(NULL);
    add(&out, "# imported from OpenSnitch rules\n");
    add(&rep, "%s", "");
    for (size_t f = 0; roots && f < n; f++) {
        enum json_tokener_error jerr;
        roots[f] = json_tokener_parse_verbose(jsons[f], &jerr);
        if (!roots[f]) {
            add(&rep, "%s: not JSON (%s): skipped\n", names[f], json_tokener_error_desc(jerr));
            continue;
        }
        bool is_arr = json_object_is_type(roots[f], json_type_array);
        size_t k = is_arr ? json_object_array_length(roots[f]) : 1;
        for (size_t i = 0; i < k; i++) {
            json_object *o = is_arr ? json_object_array_get_idx(roots[f], i) : roots[f], *v, *op;
            if (n_rules == cap) {
                cap = cap ? cap * 2 : 16;
                struct osrule *nr = realloc(rules, cap * sizeof(*nr));
                if (!nr)
                    goto oom;
                rules = nr;
            }
            struct osrule *r = &rules[n_rules];
            memset(r, 0, sizeof(*r));
            r->name = jget(o, "name");
            if (!r->name) {
                add(&rep, "%s: a rule without a name: skipped\n", names[f]);
                continue;
            }
            if (json_object_object_get_ex(o, "enabled", &v) && !json_object_get_boolean(v)) {
                add(&rep, "%s: rule '%s' is disabled: skipped\n", names[f], r->name);
                continue;
            }
            r->precedence =
                json_object_object_get_ex(o, "precedence", &v) && json_object_get_boolean(v);
            const char *action = jget(o, "action");
            if (!action ||
                (strcmp(action, "allow") && strcmp(action, "deny") && strcmp(action, "reject"))) {
                add(&rep, "%s: rule '%s': action '%s' unknown: skipped\n", names[f], r->name,
                    action ? action : "(none)");
                continue;
            }
            r->deny = strcmp(action, "allow") != 0;
            r->reject = !strcmp(action, "reject");
            if (!life_of(jget(o, "duration"), r->life, sizeof(r->life), now)) {
                add(&rep, "%s: rule '%s': duration '%s' unknown: skipped\n", names[f], r->name,
                    jget(o, "duration"));
                continue;
            }
            if (!json_object_object_get_ex(o, "operator", &op)) {
                add(&rep, "%s: rule '%s' has no operator: skipped\n", names[f], r->name);
                continue;
            }
            operand(op, r);
            if (r->why[0]) {
                add(&rep, "%s: rule '%s': %s: skipped\n", names[f], r->name, r->why);
                continue;
            }
            if (r->n_addrs && r->n_domains) {
                add(&rep, "%s: rule '%s': both an address and a host: skipped\n", names[f],
                    r->name);
                continue;
            }
            if (r->reject)
                add(&rep, "%s: rule '%s': reject becomes deny (the connection is refused)\n",
                    names[f], r->name);
            if (r->precedence)
                add(&rep, "%s: rule '%s': precedence kept as the rule's place in order\n", names[f],
                    r->name);
            n_rules++;
        }
    }
    if (n_rules)
        qsort(rules, n_rules, sizeof(*rules), cmp_rule);
    /* Filters first (rules without a program, or with conditions only filters
     * hold), then one app block per program, rules in OpenSnitch's order. */
    for (size_t i = 0; i < n_rules; i++) {
        struct osrule *r = &rules[i];
        if (r->path && !r->uid && !r->cmdline)
            continue;
        char fname[300];
        snprintf(fname, sizeof(fname), "opensnitch-%s", r->name);
        add(&out, "filter ");
        quote(&out, fname);
        add(&out, " layer outbound weight %u %s",
            r->precedence ? 200u
            : r->deny     ? 150u
                          : 100u,
            r->deny ? "hard block" : "permit"); /* OpenSnitch: a deny wins */
        if (r->path) {
            add(&out, " app ");
            quote(&out, r->path);
        }
        if (r->cmdline) {
            add(&out, " cmdline ");
            quote(&out, r->cmdline);
        }
        if (r->uid)
            add(&out, " user %s", r->uid);
        if (r->proto)
            add(&out, " proto %s", r->proto);
        if (r->n_addrs)
            list_addrs(&out, r);
        if (r->n_ports)
            list_ports(&out, r);
        if (r->n_domains)
            list_domains(&out, r);
        add(&out, "%s%s\n", r->life[0] ? " " : "", r->life);
    }
    for (size_t i = 0; i < n_rules; i++) {
        struct osrule *r = &rules[i];
        if (!r->path || r->uid || r->cmdline || !r->name[0])
            continue;
        add(&out, "app ");
        quote(&out, r->path);
        add(&out, " fallback ask {\n");
        for (size_t k = i; k < n_rules; k++) {
            struct osrule *q = &rules[k];
            if (!q->path || q->uid || q->cmdline || strcmp(q->path, r->path) || !q->name[0])
                continue;
            add(&out, "    %s out", q->deny ? "deny" : "allow");
            if (q->proto)
                add(&out, " proto %s", q->proto);
            if (q->n_ports)
                list_ports(&out, q);
            if (q->n_addrs)
                list_addrs(&out, q);
            if (q->n_domains)
                list_domains(&out, q);
            if (!q->proto && !q->n_ports && !q->n_addrs && !q->n_domains)
                add(&out, " any");
            add(&out, "%s%s\n", q->life[0] ? " " : "", q->life);
            if (q != r)
                q->name = ""; /* emitted */
        }
        add(&out, "}\n");
    }
    for (size_t f = 0; roots && f < n; f++)
        json_object_put(roots[f]);
    free(roots);
    free(rules);
    *report = rep.s;
    return out.s;
oom:
    for (size_t f = 0; roots && f < n; f++)
        json_object_put(roots[f]);
    free(roots);
    free(rules);
    free(out.s);
    *report = rep.s;
    return NULL;
}
