/*
 * cls_linear.c — the reference classifier: rules kept in priority order and
 * scanned until the first that matches. It is deliberately plain: the
 * indexed classifier (classifier.c), the differential tests and the fuzzer
 * all take it as the definition of a correct answer.
 *
 * Shared rules of the game (classifier.c follows them too):
 *  - a rule is refused (WARD_E_INVAL) when prio is 0, a prefix is longer
 *    than 128 bits, or a range is empty (lo > hi) or starts past its
 *    field's largest value; a range reaching past that value is clipped;
 *  - among matching rules of one priority, the one inserted first wins, so
 *    both implementations return the same `data`.
 */
#include "engine/classifier.h"

#include <stdlib.h>
#include <string.h>

struct cls_linear {
    cls_rule *v; /* sorted by prio; equal prios in insertion order */
    size_t n, cap;
};

static bool range_ok(const ward_range *r, uint32_t max)
{
    return r->lo <= r->hi && r->lo <= max;
}

static bool rule_ok(const cls_rule *r)
{
    return r->prio >= 1 && r->laddr.plen <= 128 && r->raddr.plen <= 128 &&
           range_ok(&r->lport, 65535) && range_ok(&r->rport, 65535) && range_ok(&r->proto, 255);
}

bool cls_rule_matches(const cls_rule *r, const cls_key *k)
{
    /* Cheap fields first: most rules fail on a port or the protocol. */
    return k->proto >= r->proto.lo && k->proto <= r->proto.hi && k->rport >= r->rport.lo &&
           k->rport <= r->rport.hi && k->lport >= r->lport.lo && k->lport <= r->lport.hi &&
           ward_cidr_contains(&r->raddr, &k->raddr) && ward_cidr_contains(&r->laddr, &k->laddr);
}

cls_linear *cls_linear_new(void)
{
    return calloc(1, sizeof(cls_linear));
}

void cls_linear_free(cls_linear *c)
{
    if (!c)
        return;
    free(c->v);
    free(c);
}

/* First index whose prio is greater than p. */
static size_t upper_bound(const cls_linear *c, uint64_t p)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->v[mid].prio <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int cls_linear_insert(cls_linear *c, const cls_rule *r)
{
    if (!rule_ok(r))
        return WARD_E_INVAL;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        cls_rule *nv = realloc(c->v, ncap * sizeof(*nv));
        if (!nv)
            return WARD_E_NOMEM;
        c->v = nv;
        c->cap = ncap;
    }
    size_t at = upper_bound(c, r->prio); /* after its equals: insertion order */
    memmove(c->v + at + 1, c->v + at, (c->n - at) * sizeof(*c->v));
    c->v[at] = *r;
    c->n++;
    return 0;
}

size_t cls_linear_remove(cls_linear *c, uint64_t prio)
{
    if (prio == 0 || c->n == 0)
        return 0;
    size_t hi = upper_bound(c, prio), lo = upper_bound(c, prio - 1);
    memmove(c->v + lo, c->v + hi, (c->n - hi) * sizeof(*c->v));
    c->n -= hi - lo;
    return hi - lo;
}

bool cls_linear_lookup(const cls_linear *c, const cls_key *k, uint64_t after, cls_match *out)
{
    for (size_t i = upper_bound(c, after); i < c->n; i++) {
        if (cls_rule_matches(&c->v[i], k)) {
            out->prio = c->v[i].prio;
            out->data = c->v[i].data;
            return true;
        }
    }
    return false;
}
