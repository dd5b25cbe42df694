/*
 * match.c — what each condition means. Both evaluators (the reference scan
 * and the index) end in filter_matches(), so they cannot disagree on meaning.
 *
 * A condition over a value the request does not carry (no program path, no
 * domain, no uid ...) does not hold, negated or not: a rule about something
 * unknown must not fire by accident.
 */
#include "engine/internal.h"

#include <string.h>

bool is_glob(const char *s)
{
    return strpbrk(s, "*?") != NULL;
}

/* '*' matches any run of characters (including '/'), '?' one character. */
bool glob_matches(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool time_window_holds(const ward_time_window *w, uint8_t wday, uint16_t minute)
{
    if (wday > 6)
        return false;
    bool today = w->days & (1u << wday);
    bool yesterday = w->days & (1u << ((wday + 6) % 7));
    if (w->start < w->end)
        return today && minute >= w->start && minute < w->end;
    if (w->start == w->end && w->start == 0)
        return today; /* 00:00-00:00: the whole day */
    /* Crosses midnight: the evening belongs to a listed day, the small hours
     * to the day after it. */
    return (today && minute >= w->start) || (yesterday && minute < w->end);
}

static bool range_has(const ward_cond *c, uint32_t v)
{
    for (size_t i = 0; i < c->n; i++)
        if (v >= c->v.range[i].lo && v <= c->v.range[i].hi)
            return true;
    return false;
}

static bool cidr_has(const ward_cond *c, const ward_ip *ip)
{
    for (size_t i = 0; i < c->n; i++)
        if (ward_cidr_contains(&c->v.cidr[i], ip))
            return true;
    return false;
}

static bool str_has(const ward_cond *c, const char *s, bool (*eq)(const char *, const char *))
{
    for (size_t i = 0; i < c->n; i++)
        if (eq(c->v.str[i], s))
            return true;
    return false;
}

bool path_matches(const char *pattern, const char *s)
{
    return is_glob(pattern) ? glob_matches(pattern, s) : strcmp(pattern, s) == 0;
}

static bool exact_eq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* A cgroup matches itself and everything below it. */
static bool cgroup_under(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    while (n > 1 && prefix[n - 1] == '/')
        n--;
    if (strncmp(prefix, path, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && prefix[0] == '/');
}

/* Whether the value is one of the listed ones; -1 if the request lacks it. */
static int cond_value_in(const ward_engine *e, const ward_cond *c, const ward_request *r)
{
    switch (c->field) {
    case WARD_F_APP_PATH:
        return r->app.path ? str_has(c, r->app.path, path_matches) : -1;
    case WARD_F_APP_ID:
        if (!r->app.path)
            return -1;
        for (size_t i = 0; i < c->n; i++)
            if (c->v.exe[i].dev == r->app.exe.dev && c->v.exe[i].ino == r->app.exe.ino)
                return 1;
        return 0;
    case WARD_F_APP_SHA256:
        if (!r->app.sha256)
            return -1;
        for (size_t i = 0; i < c->n; i++)
            if (memcmp(c->v.sha[i].b, r->app.sha256->b, 32) == 0)
                return 1;
        return 0;
    case WARD_F_CMDLINE:
        return r->app.cmdline ? str_has(c, r->app.cmdline, glob_matches) : -1;
    case WARD_F_UID:
        return r->has_user ? range_has(c, r->uid) : -1;
    case WARD_F_GID:
        return r->has_user ? range_has(c, r->gid) : -1;
    case WARD_F_CGROUP:
        return r->cgroup ? str_has(c, r->cgroup, cgroup_under) : -1;
    case WARD_F_PROTO:
        return range_has(c, r->proto);
    case WARD_F_DIRECTION:
        return range_has(c, r->dir);
    case WARD_F_LOCAL_ADDR:
        return cidr_has(c, &r->local);
    case WARD_F_REMOTE_ADDR:
        return cidr_has(c, &r->remote);
    case WARD_F_LOCAL_PORT:
        return range_has(c, r->lport);
    case WARD_F_REMOTE_PORT:
    case WARD_F_ICMP_TYPE:
        return range_has(c, r->rport);
    case WARD_F_REMOTE_DOMAIN:
        return r->domain ? str_has(c, r->domain, domain_matches) : -1;
    case WARD_F_IFACE:
        return r->iface ? str_has(c, r->iface, exact_eq) : -1;
    case WARD_F_TIME:
        for (size_t i = 0; i < c->n; i++)
            if (time_window_holds(&c->v.time[i], r->wday, r->minute))
                return 1;
        return 0;
    case WARD_F_REMOTE_ZONE:
    case WARD_F_LOCAL_ZONE: {
        const ward_ip *ip = c->field == WARD_F_REMOTE_ZONE ? &r->remote : &r->local;
        for (size_t i = 0; i < c->n; i++)
            if (zone_contains(e, c->v.str[i], ip))
                return 1;
        return 0;
    }
    case WARD_F_ENCRYPTED_DNS:
        return range_has(c, ward_encrypted_dns(e, r));
    case WARD_F_COUNT:
        break;
    }
    return -1;
}

bool cond_holds(const ward_engine *e, const ward_cond *c, const ward_request *r)
{
    int in = cond_value_in(e, c, r);
    if (in < 0)
        return false;
    return c->negate ? !in : in;
}

bool ward_cond_holds(const ward_engine *e, const ward_cond *c, const ward_request *r)
{
    return cond_holds(e, c, r);
}

bool filter_matches(const ward_engine *e, const struct filter *f, const ward_request *r,
                    const ward_cond **failed)
{
    for (size_t i = 0; i < f->def.n_conds; i++) {
        if (!cond_holds(e, &f->def.conds[i], r)) {
            if (failed)
                *failed = &f->def.conds[i];
            return false;
        }
    }
    return true;
}
