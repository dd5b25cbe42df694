/*
 * bootrules.c — `boot` filters as the rules of nft chains static_out and
 * static_in (bootrules.h). Pure text over the engine's API.
 */
#include "compile/bootrules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 256) + (size_t)n;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

static bool is_v4(const ward_cidr *c)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return c->plen >= 96 && !memcmp(c->ip.b, mapped, 12);
}

/* Appends the prefixes of one family to b, comma separated; how many. */
static size_t put_cidrs(struct sbuf *b, const ward_cidr *c, size_t n, bool v4, size_t had)
{
    for (size_t i = 0; i < n; i++) {
        if (is_v4(&c[i]) != v4)
            continue;
        char buf[WARD_CIDR_STRLEN];
        put(b, "%s%s", had++ ? ", " : "", ward_cidr_format(&c[i], buf, sizeof(buf)));
    }
    return had;
}

/* The addresses a condition names in one family (zones resolved). */
static size_t cond_cidrs(const ward_cond *c, const ward_policy *p, struct sbuf *b, bool v4)
{
    size_t had = 0;
    if (ward_field_kind(c->field) == WARD_VAL_CIDR)
        return put_cidrs(b, c->v.cidr, c->n, v4, 0);
    for (size_t i = 0; i < c->n; i++) {
        size_t n = 0;
        const ward_cidr *l = ward_zone_builtin_cidrs(c->v.str[i], &n);
        if (l) {
            had = put_cidrs(b, l, n, v4, had);
            continue;
        }
        for (size_t z = 0; z < ward_policy_zone_count(p); z++)
            if (!strcmp(ward_policy_zone_at(p, z, &l, &n), c->v.str[i]))
                had = put_cidrs(b, l, n, v4, had);
    }
    return had;
}

static bool is_addr(enum ward_field f)
{
    return f == WARD_F_LOCAL_ADDR || f == WARD_F_REMOTE_ADDR || f == WARD_F_LOCAL_ZONE ||
           f == WARD_F_REMOTE_ZONE;
}

static bool is_local(enum ward_field f)
{
    return f == WARD_F_LOCAL_ADDR || f == WARD_F_LOCAL_ZONE || f == WARD_F_LOCAL_PORT;
}

static void put_ranges(struct sbuf *b, const ward_cond *c)
{
    put(b, " %s{ ", c->negate ? "!= " : "");
    for (size_t i = 0; i < c->n; i++) {
        const ward_range *r = &c->v.range[i];
        if (r->lo == r->hi)
            put(b, "%s%u", i ? ", " : "", r->lo);
        else
            put(b, "%s%u-%u", i ? ", " : "", r->lo, r->hi);
    }
    put(b, " }");
}

/* The match part of the filter's rule for one address family (4, 6; 0: the
 * filter names no address). false: the filter cannot match in it. */
static bool put_matches(struct sbuf *b, const ward_filter_def *d, const ward_policy *p, int fam)
{
    bool in = d->layer == WARD_LAYER_ACCEPT_IN, ports = false;
    for (size_t i = 0; i < d->n_conds; i++) /* a protocol list already says which */
        ports |= d->conds[i].field == WARD_F_PROTO && !d->conds[i].negate;
    for (size_t i = 0; i < d->n_conds; i++) {
        const ward_cond *c = &d->conds[i];
        if (c->field == WARD_F_PROTO) {
            put(b, " meta l4proto");
            put_ranges(b, c);
        } else if (c->field == WARD_F_LOCAL_PORT || c->field == WARD_F_REMOTE_PORT) {
            if (!ports)
                put(b, " meta l4proto { 6, 17, 132 }"); /* the protocols with ports */
            ports = true;
            /* Outbound the local end is the source; inbound the destination. */
            put(b, " th %s", is_local(c->field) != in ? "sport" : "dport");
            put_ranges(b, c);
        } else if (c->field == WARD_F_IFACE) {
            put(b, " %s %s{ ", in ? "iifname" : "oifname", c->negate ? "!= " : "");
            for (size_t k = 0; k < c->n; k++)
                put(b, "%s\"%s\"", k ? ", " : "", c->v.str[k]);
            put(b, " }");
        } else if (is_addr(c->field)) {
            struct sbuf set = {0};
            size_t n = cond_cidrs(c, p, &set, fam == 4);
            if (set.oom)
                b->oom = true;
            if (n == 0) {
                free(set.s);
                if (c->negate) /* no address of this family to exclude */
                    continue;
                return false;
            }
            put(b, " %s %s %s{ %s }", fam == 4 ? "ip" : "ip6",
                is_local(c->field) != in ? "saddr" : "daddr", c->negate ? "!= " : "", set.s);
            free(set.s);
        }
    }
    return true;
}

/* The filter's name for `nft list`: what a comment may hold. */
static void comment_of(const ward_filter_def *d, uint64_t id, char *buf, size_t len)
{
    char name[96] = "";
    const char *src = d->name ? d->name : d->origin ? d->origin : "";
    size_t k = 0;
    for (const char *s = src; *s && k + 1 < sizeof(name); s++)
        name[k++] = strchr("\"\\;\n#{}", *s) || (unsigned char)*s < 0x20 ? '_' : *s;
    name[k] = '\0';
    snprintf(buf, len, "ward-boot %llu %s", (unsigned long long)id, name);
}

/* Whether the filter's protocol conditions let TCP through. */
static bool may_be_tcp(const ward_filter_def *d)
{
    for (size_t i = 0; i < d->n_conds; i++) {
        const ward_cond *c = &d->conds[i];
        if (c->field != WARD_F_PROTO)
            continue;
        bool listed = false;
        for (size_t k = 0; k < c->n; k++)
            listed |= c->v.range[k].lo <= 6 && 6 <= c->v.range[k].hi;
        if (listed == c->negate)
            return false;
    }
    return true;
}

/* What nft can test: the parser refuses a boot filter with anything else,
 * and a filter that came another way is left out, not widened. */
static bool nft_can_test(const ward_filter_def *d, const ward_policy *p)
{
    for (size_t i = 0; i < d->n_conds; i++) {
        const ward_cond *c = &d->conds[i];
        switch (c->field) {
        case WARD_F_PROTO:
        case WARD_F_LOCAL_PORT:
        case WARD_F_REMOTE_PORT:
        case WARD_F_LOCAL_ADDR:
        case WARD_F_REMOTE_ADDR:
            break;
        case WARD_F_IFACE:
            for (size_t k = 0; k < c->n; k++)
                if (strpbrk(c->v.str[k], "\"\\ \n") || !c->v.str[k][0])
                    return false;
            break;
        case WARD_F_LOCAL_ZONE:
        case WARD_F_REMOTE_ZONE:
            for (size_t k = 0; k < c->n; k++) {
                size_t n = 0;
                bool known = ward_zone_builtin_cidrs(c->v.str[k], &n) != NULL;
                for (size_t z = 0; z < ward_policy_zone_count(p) && !known; z++) {
                    const ward_cidr *l;
                    known = !strcmp(ward_policy_zone_at(p, z, &l, &n), c->v.str[k]);
                }
                if (!known)
                    return false;
            }
            break;
        default:
            return false;
        }
    }
    return true;
}

struct ctx {
    const ward_policy *p;
    struct sbuf out, in;
    size_t n;
};

static int one_filter(uint64_t id, const ward_filter_def *d, void *arg)
{
    struct ctx *x = arg;
    if (d->lifetime.kind != WARD_LIFE_BOOT ||
        (d->layer != WARD_LAYER_CONNECT_OUT && d->layer != WARD_LAYER_ACCEPT_IN) ||
        d->action == WARD_ACT_CALLOUT || !nft_can_test(d, x->p))
        return 0;
    bool in = d->layer == WARD_LAYER_ACCEPT_IN, addrs = false;
    for (size_t i = 0; i < d->n_conds; i++)
        addrs |= is_addr(d->conds[i].field);
    /* An outbound permit goes through static_permit, which marks the packet
     * decided: a socket the hooks hold would otherwise meet the egress
     * backstop, which drops held packets nobody decided. */
    const char *verdict = d->action == WARD_ACT_PERMIT ? (in ? "accept" : "jump static_permit")
                          : in                         ? "drop"
                                                       : "reject with icmpx admin-prohibited";
    /* A refused TCP connect fails at once with a reset; the ICMP errors
     * nft sends otherwise are rate-limited by the kernel. */
    bool tcp_reset = d->action == WARD_ACT_BLOCK && !in && may_be_tcp(d);
    char comment[128];
    comment_of(d, id, comment, sizeof(comment));
    struct sbuf *b = in ? &x->in : &x->out;
    for (int fam = addrs ? 4 : 0; fam <= (addrs ? 6 : 0); fam += 2) {
        struct sbuf rule = {0};
        bool can = put_matches(&rule, d, x->p, fam);
        if (rule.oom)
            b->oom = true;
        if (can && tcp_reset)
            put(b, "    meta l4proto tcp%s counter reject with tcp reset comment \"%s\";\n",
                rule.s ? rule.s : "", comment);
        if (can)
            put(b, "   %s counter %s comment \"%s\";\n", rule.s ? rule.s : "", verdict, comment);
        free(rule.s);
    }
    x->n++;
    return 0;
}

int ward_boot_compile(const ward_engine *e, const ward_policy *p, ward_boot_rules *out)
{
    struct ctx x = {.p = p};
    put(&x.out, "%s", "");
    put(&x.in, "%s", "");
    ward_filter_foreach(e, one_filter, &x);
    if (x.out.oom || x.in.oom) {
        free(x.out.s);
        free(x.in.s);
        memset(out, 0, sizeof(*out));
        return -ENOMEM;
    }
    *out = (ward_boot_rules){.out = x.out.s, .in = x.in.s, .n_filters = x.n};
    return 0;
}

void ward_boot_rules_free(ward_boot_rules *r)
{
    free(r->out);
    free(r->in);
    memset(r, 0, sizeof(*r));
}
