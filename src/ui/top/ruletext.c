/*
 * ruletext.c — an application rule as the policy language writes it (the
 * text `rules.add` takes), to show it and to edit it in place.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "ui/top/top.h"

struct out {
    char *buf;
    size_t len, off;
};

static void put(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->off + n + 1 > o->len)
        n = o->off + 1 < o->len ? o->len - o->off - 1 : 0;
    memcpy(o->buf + o->off, s, n);
    o->off += n;
    o->buf[o->off] = 0;
}

/* A list: one item bare, several in { }. */
static void list_open(struct out *o, size_t n)
{
    if (n > 1)
        put(o, "{ ");
}

static void list_close(struct out *o, size_t n)
{
    if (n > 1)
        put(o, " }");
}

void ruletext(const ward_proto_rule *r, char *buf, size_t len)
{
    struct out o = {buf, len, 0};
    char b[300];
    buf[0] = 0;
    put(&o, r->action == WARD_ACT_PERMIT ? "allow" : "deny");
    put(&o, r->dir == WARD_DIR_IN ? " in" : r->dir == WARD_DIR_OUT ? " out" : "");
    if (r->proto) {
        ward_policy_fmt_proto(r->proto, b, sizeof(b));
        put(&o, " ");
        put(&o, b);
    }
    if (r->n_ports) {
        put(&o, " port ");
        list_open(&o, r->n_ports);
        for (size_t i = 0; i < r->n_ports; i++) {
            if (r->ports[i].lo == r->ports[i].hi)
                snprintf(b, sizeof(b), "%s%u", i ? ", " : "", r->ports[i].lo);
            else
                snprintf(b, sizeof(b), "%s%u-%u", i ? ", " : "", r->ports[i].lo, r->ports[i].hi);
            put(&o, b);
        }
        list_close(&o, r->n_ports);
    }
    size_t nto = r->n_zones + r->n_remotes;
    if (nto) {
        put(&o, r->dir == WARD_DIR_IN ? " from " : " to ");
        list_open(&o, nto);
        for (size_t i = 0; i < r->n_zones; i++) {
            put(&o, i ? ", " : "");
            put(&o, r->zones[i]);
        }
        for (size_t i = 0; i < r->n_remotes; i++) {
            put(&o, i || r->n_zones ? ", " : "");
            put(&o, ward_cidr_format(&r->remotes[i], b, sizeof(b)));
        }
        list_close(&o, nto);
    }
    if (r->n_domains) {
        put(&o, " domain ");
        list_open(&o, r->n_domains);
        for (size_t i = 0; i < r->n_domains; i++) {
            put(&o, i ? ", " : "");
            ward_policy_quote(r->domains[i], b, sizeof(b));
            put(&o, b);
        }
        list_close(&o, r->n_domains);
    }
    for (size_t i = 0; i < r->n_times; i++) {
        ward_policy_fmt_time(&r->times[i], b, sizeof(b));
        put(&o, " ");
        put(&o, b);
    }
    ward_policy_fmt_lifetime(&r->lifetime, b, sizeof(b));
    if (b[0]) {
        put(&o, " ");
        put(&o, b);
    }
}
