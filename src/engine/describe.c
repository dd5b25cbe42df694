/*
 * describe.c — requests and conditions as short human text, for the
 * explain trace ("remote-port 8080 is not one of 80, 443").
 */
#include "engine/internal.h"

#include <stdio.h>
#include <string.h>

static const char *proto_name(unsigned p)
{
    switch (p) {
    case 1:
        return "icmp";
    case 2:
        return "igmp";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 58:
        return "icmpv6";
    case 132:
        return "sctp";
    default:
        return NULL;
    }
}

static void proto_text(unsigned p, char *buf, size_t len)
{
    const char *n = proto_name(p);
    if (n)
        snprintf(buf, len, "%s", n);
    else
        snprintf(buf, len, "proto %u", p);
}

/* Appends to buf at *off, never past len. */
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
    if (*off >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, len - *off, fmt, ap);
    va_end(ap);
    if (n > 0)
        *off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

static void endpoint(const ward_ip *ip, uint16_t port, bool with_port, char *buf, size_t len)
{
    char a[WARD_IP_STRLEN];
    ward_ip_format(ip, a, sizeof(a));
    if (!with_port)
        snprintf(buf, len, "%s", a);
    else if (ward_ip_is_v4(ip))
        snprintf(buf, len, "%s:%u", a, port);
    else
        snprintf(buf, len, "[%s]:%u", a, port);
}

void describe_request(const ward_engine *e, const ward_request *r, char *buf, size_t len)
{
    char p[24], l[64], rm[64];
    size_t off = 0;
    bool ports = r->proto == 6 || r->proto == 17 || r->proto == 132;
    proto_text(r->proto, p, sizeof(p));
    endpoint(&r->local, r->lport, ports, l, sizeof(l));
    endpoint(&r->remote, r->rport, ports, rm, sizeof(rm));
    put(buf, len, &off, "%s %s %s %s %s", ward_layer_name(r->layer), p, l,
        r->dir == WARD_DIR_IN ? "<-" : "->", rm);
    if (!ports && (r->proto == 1 || r->proto == 58))
        put(buf, len, &off, " type %u", r->rport);
    if (r->domain && ward_name_src_name(r->domain_src))
        put(buf, len, &off, " (%s from %s)", r->domain, ward_name_src_name(r->domain_src));
    else if (r->domain)
        put(buf, len, &off, " (%s)", r->domain);
    const char *encdns = ward_encdns_name(ward_encrypted_dns(e, r));
    if (encdns)
        put(buf, len, &off, " [encrypted DNS: %s]", encdns);
    if (r->app.path)
        put(buf, len, &off, " by %s", r->app.path);
    else
        put(buf, len, &off, " by an unattributed process");
    for (size_t i = 0; r->app.path && i < r->app.n_ancestors; i++)
        put(buf, len, &off, "%s%s", i ? " < " : " (parents ", r->app.ancestors[i]);
    if (r->app.path && r->app.n_ancestors)
        put(buf, len, &off, ")");
    if (r->has_user)
        put(buf, len, &off, " uid %u", r->uid);
    static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    if (r->wday < 7)
        put(buf, len, &off, " at %s %02u:%02u", days[r->wday], r->minute / 60u, r->minute % 60u);
}

static void range_text(enum ward_field f, const ward_range *r, char *buf, size_t len)
{
    if (f == WARD_F_PROTO && r->lo == r->hi && proto_name(r->lo))
        snprintf(buf, len, "%s", proto_name(r->lo));
    else if (f == WARD_F_DIRECTION)
        snprintf(buf, len, "%s", r->lo == WARD_DIR_IN ? "in" : "out");
    else if (f == WARD_F_ENCRYPTED_DNS && r->lo == r->hi)
        snprintf(buf, len, "%s", r->lo ? ward_encdns_name(r->lo) : "none");
    else if (f == WARD_F_ENCRYPTED_DNS)
        snprintf(buf, len, "dot or doh");
    else if (r->lo == r->hi)
        snprintf(buf, len, "%u", r->lo);
    else
        snprintf(buf, len, "%u-%u", r->lo, r->hi);
}

static void value_text(const ward_cond *c, size_t i, char *buf, size_t len)
{
    static const char *const days = "smtwtfs";
    switch (ward_field_kind(c->field)) {
    case WARD_VAL_STR:
        snprintf(buf, len, "%s", c->v.str[i]);
        break;
    case WARD_VAL_EXE:
        snprintf(buf, len, "dev %llu ino %llu", (unsigned long long)c->v.exe[i].dev,
                 (unsigned long long)c->v.exe[i].ino);
        break;
    case WARD_VAL_SHA:
        snprintf(buf, len, "%02x%02x%02x%02x...", c->v.sha[i].b[0], c->v.sha[i].b[1],
                 c->v.sha[i].b[2], c->v.sha[i].b[3]);
        break;
    case WARD_VAL_CIDR:
        ward_cidr_format(&c->v.cidr[i], buf, len);
        break;
    case WARD_VAL_TIME: {
        const ward_time_window *w = &c->v.time[i];
        char d[8];
        for (int k = 0; k < 7; k++)
            d[k] = (w->days & (1u << k)) ? days[k] : '-';
        d[7] = '\0';
        snprintf(buf, len, "%s %02u:%02u-%02u:%02u", d, w->start / 60u, w->start % 60u,
                 w->end / 60u, w->end % 60u);
        break;
    }
    default:
        range_text(c->field, &c->v.range[i], buf, len);
    }
}

void describe_values(const ward_cond *c, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        if (i == 4 && c->n > 5) {
            put(buf, len, &off, ", ... (%zu in all)", c->n);
            return;
        }
        char v[128];
        value_text(c, i, v, sizeof(v));
        put(buf, len, &off, "%s%s", i ? ", " : "", v);
    }
}

/* The request's value of a field, as text; false if it does not carry one. */
static bool actual_text(const ward_cond *c, const ward_request *r, char *buf, size_t len)
{
    ward_range one;
    switch (c->field) {
    case WARD_F_APP_PATH:
        if (!r->app.path)
            return false;
        snprintf(buf, len, "%s", r->app.path);
        return true;
    case WARD_F_APP_ID:
        if (!r->app.path)
            return false;
        snprintf(buf, len, "dev %llu ino %llu", (unsigned long long)r->app.exe.dev,
                 (unsigned long long)r->app.exe.ino);
        return true;
    case WARD_F_APP_SHA256:
        if (!r->app.sha256)
            return false;
        snprintf(buf, len, "%02x%02x%02x%02x...", r->app.sha256->b[0], r->app.sha256->b[1],
                 r->app.sha256->b[2], r->app.sha256->b[3]);
        return true;
    case WARD_F_CMDLINE:
        if (!r->app.cmdline)
            return false;
        snprintf(buf, len, "\"%s\"", r->app.cmdline);
        return true;
    case WARD_F_CGROUP:
        if (!r->cgroup)
            return false;
        snprintf(buf, len, "%s", r->cgroup);
        return true;
    case WARD_F_REMOTE_DOMAIN:
        if (!r->domain)
            return false;
        snprintf(buf, len, "%s", r->domain);
        return true;
    case WARD_F_IFACE:
        if (!r->iface)
            return false;
        snprintf(buf, len, "%s", r->iface);
        return true;
    case WARD_F_UID:
    case WARD_F_GID:
        if (!r->has_user)
            return false;
        snprintf(buf, len, "%u", c->field == WARD_F_UID ? r->uid : r->gid);
        return true;
    case WARD_F_LOCAL_ADDR:
    case WARD_F_LOCAL_ZONE:
        ward_ip_format(&r->local, buf, len);
        return true;
    case WARD_F_REMOTE_ADDR:
    case WARD_F_REMOTE_ZONE:
        ward_ip_format(&r->remote, buf, len);
        return true;
    case WARD_F_TIME: {
        static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
        snprintf(buf, len, "%s %02u:%02u", r->wday < 7 ? days[r->wday] : "?", r->minute / 60u,
                 r->minute % 60u);
        return true;
    }
    case WARD_F_PROTO:
        one = (ward_range){r->proto, r->proto};
        break;
    case WARD_F_DIRECTION:
        one = (ward_range){r->dir, r->dir};
        break;
    case WARD_F_LOCAL_PORT:
        one = (ward_range){r->lport, r->lport};
        break;
    default:
        one = (ward_range){r->rport, r->rport};
    }
    range_text(c->field, &one, buf, len);
    return true;
}

void describe_cond_failure(const ward_engine *e, const ward_cond *c, const ward_request *r,
                           char *buf, size_t len)
{
    char actual[256], values[512];
    if (c->field == WARD_F_ENCRYPTED_DNS) {
        /* Not a value of the request: what the engine makes of it. */
        ward_range k = {ward_encrypted_dns(e, r), ward_encrypted_dns(e, r)};
        range_text(c->field, &k, actual, sizeof(actual));
        snprintf(buf, len,
                 "encrypted-dns is %s (DNS over TLS: port 853; over HTTPS: port 443 to a "
                 "known resolver)",
                 actual);
        return;
    }
    describe_values(c, values, sizeof(values));
    const char *name = ward_field_name(c->field);
    if (!actual_text(c, r, actual, sizeof(actual))) {
        snprintf(buf, len, "%s is not known for this connection (rule wants %s%s)", name,
                 c->negate ? "none of " : "", values);
        return;
    }
    const char *in =
        c->field == WARD_F_REMOTE_ZONE || c->field == WARD_F_LOCAL_ZONE ? "in zone" : "one of";
    if (c->negate)
        snprintf(buf, len, "%s %s is %s %s", name, actual, in, values);
    else
        snprintf(buf, len, "%s %s is not %s %s", name, actual, in, values);
}

void describe_app_rule(const ward_app_rule *d, char *buf, size_t len)
{
    size_t off = 0;
    char v[128];
    put(buf, len, &off, "%s %s", d->action == WARD_ACT_PERMIT ? "allow" : "deny",
        d->dir == WARD_DIR_OUT  ? "out"
        : d->dir == WARD_DIR_IN ? "in"
                                : "any");
    if (d->proto) {
        proto_text(d->proto, v, sizeof(v));
        put(buf, len, &off, " %s", v);
    }
    for (size_t i = 0; i < d->n_ports; i++) {
        range_text(WARD_F_REMOTE_PORT, &d->ports[i], v, sizeof(v));
        put(buf, len, &off, "%s%s", i ? "," : " port ", v);
    }
    for (size_t i = 0; i < d->n_zones; i++)
        put(buf, len, &off, "%s%s", i ? "," : " to ", d->zones[i]);
    for (size_t i = 0; i < d->n_addrs; i++)
        put(buf, len, &off, "%s%s", i ? "," : " to ", ward_cidr_format(&d->addrs[i], v, sizeof(v)));
    for (size_t i = 0; i < d->n_domains; i++)
        put(buf, len, &off, "%s%s", i ? "," : " domain ", d->domains[i]);
    for (size_t i = 0; i < d->n_users; i++) {
        range_text(WARD_F_UID, &d->users[i], v, sizeof(v));
        put(buf, len, &off, "%s%s", i ? "," : " user ", v);
    }
    for (size_t i = 0; i < d->n_parents; i++)
        put(buf, len, &off, "%s%s", i ? "," : " parent ", d->parents[i]);
    for (size_t i = 0; i < d->n_times; i++) {
        ward_cond c = {.field = WARD_F_TIME, .n = 1, .v.time = &d->times[i]};
        value_text(&c, 0, v, sizeof(v));
        put(buf, len, &off, " %s", v);
    }
}
