/*
 * index.c — where a (layer, sublayer)'s filters live, and how a request
 * finds its matches in priority order.
 *
 * Three views of the same filters:
 *  - `sorted`: every filter in priority order: the reference evaluator and
 *    the explain trace walk it;
 *  - `by_app`: filters bound to one exact program path, per path (the
 *    classic design's per-application table, found by one hash probe);
 *  - `general`: every other filter, its header fields (addresses, ports,
 *    protocol) in the indexed classifier, which only pre-selects: every
 *    candidate is confirmed by filter_matches(), so the index can never
 *    widen or narrow what a filter means.
 * One insert or removal touches one filter's entries, never a rebuild.
 */
#include "engine/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int list_insert(struct filter ***v, size_t *n, size_t *cap, struct filter *f)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct filter **nv = realloc(*v, ncap * sizeof(*nv));
        if (!nv)
            return -1;
        *v = nv;
        *cap = ncap;
    }
    size_t lo = 0, hi = *n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((*v)[mid]->prio < f->prio)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&(*v)[lo + 1], &(*v)[lo], (*n - lo) * sizeof(f));
    (*v)[lo] = f;
    (*n)++;
    return 0;
}

/* First position whose prio is > after. */
static size_t list_after(struct filter *const *v, size_t n, uint64_t after)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid]->prio <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void list_remove(struct filter **v, size_t *n, const struct filter *f)
{
    size_t i = list_after(v, *n, f->prio - 1);
    if (i < *n && v[i] == f) {
        memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(f));
        (*n)--;
    }
}

/* The values of the first non-negated condition on a field, or NULL. */
static const ward_cond *index_cond(const struct filter *f, enum ward_field field)
{
    for (size_t i = 0; i < f->def.n_conds; i++)
        if (f->def.conds[i].field == field && !f->def.conds[i].negate)
            return &f->def.conds[i];
    return NULL;
}

enum { AX_LADDR, AX_RADDR, AX_LPORT, AX_RPORT, AX_PROTO, AX_COUNT };

/* Expands a filter's header conditions into classifier rules: the cross
 * product of its address, port and protocol lists, widened to "any" on the
 * longest list while it would exceed WARD_MAX_EXPAND entries. */
static int general_insert(cls *c, const struct filter *f)
{
    const ward_cond *ax[AX_COUNT] = {
        index_cond(f, WARD_F_LOCAL_ADDR), index_cond(f, WARD_F_REMOTE_ADDR),
        index_cond(f, WARD_F_LOCAL_PORT), index_cond(f, WARD_F_REMOTE_PORT),
        index_cond(f, WARD_F_PROTO),
    };
    if (!ax[AX_RPORT])
        ax[AX_RPORT] = index_cond(f, WARD_F_ICMP_TYPE); /* carried in rport */
    for (;;) {
        size_t product = 1, widest = 0, widest_n = 0;
        for (int i = 0; i < AX_COUNT; i++) {
            size_t n = ax[i] ? ax[i]->n : 1;
            product = product > WARD_MAX_EXPAND ? product : product * n;
            if (n > widest_n) {
                widest_n = n;
                widest = (size_t)i;
            }
        }
        if (product <= WARD_MAX_EXPAND)
            break;
        ax[widest] = NULL;
    }
    size_t n[AX_COUNT], idx[AX_COUNT] = {0};
    for (int i = 0; i < AX_COUNT; i++)
        n[i] = ax[i] ? ax[i]->n : 1;
    for (;;) {
        cls_rule r = {
            .lport = {0, 65535},
            .rport = {0, 65535},
            .proto = {0, 255},
            .prio = f->prio,
            .data = (uint64_t)(uintptr_t)f,
        };
        if (ax[AX_LADDR])
            r.laddr = ax[AX_LADDR]->v.cidr[idx[AX_LADDR]];
        if (ax[AX_RADDR])
            r.raddr = ax[AX_RADDR]->v.cidr[idx[AX_RADDR]];
        if (ax[AX_LPORT])
            r.lport = ax[AX_LPORT]->v.range[idx[AX_LPORT]];
        if (ax[AX_RPORT])
            r.rport = ax[AX_RPORT]->v.range[idx[AX_RPORT]];
        if (ax[AX_PROTO])
            r.proto = ax[AX_PROTO]->v.range[idx[AX_PROTO]];
        if (cls_insert(c, &r) < 0) {
            cls_remove(c, f->prio);
            return -1;
        }
        int i = 0;
        while (i < AX_COUNT && ++idx[i] == n[i])
            idx[i++] = 0;
        if (i == AX_COUNT)
            return 0;
    }
}

int filter_set_insert(struct filter_set *s, struct filter *f)
{
    if (list_insert(&s->sorted, &s->n, &s->cap, f) < 0)
        return -1;
    if (f->app_key) {
        struct filter_list *l = strmap_get(&s->by_app, f->app_key);
        if (!l) {
            if (!(l = calloc(1, sizeof(*l))) || strmap_put(&s->by_app, f->app_key, l) < 0) {
                free(l);
                goto undo;
            }
        }
        if (list_insert(&l->v, &l->n, &l->cap, f) < 0)
            goto undo;
        return 0;
    }
    if (general_insert(s->general, f) < 0)
        goto undo;
    return 0;
undo:
    list_remove(s->sorted, &s->n, f);
    return -1;
}

void filter_set_remove(struct filter_set *s, struct filter *f)
{
    if (!s)
        return;
    list_remove(s->sorted, &s->n, f);
    if (f->app_key) {
        struct filter_list *l = strmap_get(&s->by_app, f->app_key);
        if (!l)
            return;
        list_remove(l->v, &l->n, f);
        if (l->n == 0) {
            /* The map's key is the filter's own string: drop it before f goes. */
            strmap_del(&s->by_app, f->app_key);
            free(l->v);
            free(l);
        } else if (strmap_get(&s->by_app, f->app_key) == l) {
            /* Re-key with a string that outlives f. */
            strmap_put(&s->by_app, l->v[0]->app_key, l);
        }
        return;
    }
    cls_remove(s->general, f->prio);
}

void filter_set_free(struct filter_set *s)
{
    const char *key;
    void *val;
    for (size_t i = 0; strmap_at(&s->by_app, &i, &key, &val);) {
        struct filter_list *l = val;
        free(l->v);
        free(l);
    }
    strmap_free(&s->by_app);
    cls_free(s->general);
    free(s->sorted);
    memset(s, 0, sizeof(*s));
}

size_t filter_set_bytes(const struct filter_set *s)
{
    size_t b = s->cap * sizeof(*s->sorted) + strmap_bytes(&s->by_app) + cls_bytes(s->general);
    const char *key;
    void *val;
    for (size_t i = 0; strmap_at(&s->by_app, &i, &key, &val);)
        b += sizeof(struct filter_list) + ((struct filter_list *)val)->cap * sizeof(void *);
    return b;
}

struct filter *filter_set_next(const ward_engine *e, const struct filter_set *s,
                               const ward_request *r, uint64_t app_hash, uint64_t after)
{
    struct filter *best = NULL;
    if (r->app.path && s->by_app.n) {
        const struct filter_list *l = strmap_get_hashed(&s->by_app, r->app.path, app_hash);
        if (l) {
            for (size_t i = list_after(l->v, l->n, after); i < l->n; i++) {
                if (filter_matches(e, l->v[i], r, NULL)) {
                    best = l->v[i];
                    break;
                }
            }
        }
    }
    cls_key k = {r->local, r->remote, r->lport, r->rport, r->proto};
    cls_match m;
    uint64_t cursor = after;
    while (cls_lookup(s->general, &k, cursor, &m)) {
        if (best && m.prio > best->prio)
            break; /* the per-program match comes first */
        struct filter *f = (struct filter *)(uintptr_t)m.data;
        if (filter_matches(e, f, r, NULL))
            return f;
        cursor = m.prio;
    }
    return best;
}
