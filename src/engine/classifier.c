/*
 * classifier.c — the indexed classifier: a decision tree (cls_tree.c)
 * rebuilt from all rules now and then, and beside it tuple-space search
 * with merged tuples (after TupleMerge, Daly et al. 2019) for the rules
 * inserted since and those the tree does not take. A lookup asks the tree,
 * then the tables, which stop as soon as they cannot beat its answer.
 * Updates stay local: an insert goes to the tables, a removal of a tree
 * rule marks it dead; once the updates outnumber the rules, one rebuilds.
 *
 * A table has a tuple: a prefix length for each address and, for each of
 * local port, remote port and protocol, whether it is hashed exactly. A
 * rule fits a table when it is at least as specific on every field; it is
 * stored in the bucket found by hashing its own values masked to the table's
 * tuple. A lookup masks the key the same way, probes one bucket per table
 * and checks that bucket's few rules completely (the tuple only narrows).
 * Tuples are relaxed to a coarse grid of lengths so that few tables hold
 * many rules; a bucket that grows past COLLIDE rules sends newcomers to a
 * more specific table, so buckets stay short.
 *
 * Tables are probed in order of the best priority they hold: once a match
 * is better than the next table's best, the rest cannot win. Buckets keep
 * their rules sorted by priority, so a bucket scan stops at its first match.
 *
 * Updates are local: an insert touches one bucket of one table (and may
 * create a table); a removal finds its buckets through a map from priority
 * to (table, bucket hash). Table priority bounds may go stale after removals
 * (they stay valid bounds) and are recomputed after enough removals that the
 * scan is paid for.
 *
 * Rule validity and tie-breaking are shared with cls_linear.c (see there).
 */
#include "engine/classifier.h"
#include "engine/cls_entry.h"
#include "engine/cls_tree.h"

#include <stdlib.h>
#include <string.h>

/* A bucket holding this many rules sends newcomers to another table. */
#define COLLIDE 16
/* Fewer rules than this beside the tree never cause a rebuild. */
#define AUTO_MIN 256
/* A deferred classifier's rebuild is due after built / ASIDE_DUE updates:
 * the caller pays only the take and the install, so it comes sooner and
 * fewer rules wait in the tables (on acl3_10k, lookups at the due point
 * ran at 2/3 of the built rate, at 1/2 with built / 4). */
#define ASIDE_DUE 16
/* Updates an install replays per call at the least (about 1 µs each). */
#define REPLAY_SLICE 64

/* A tuple: how many leading bits of each field a table hashes. A port
 * range fits p bits when it lies inside one aligned block of 2^(16-p)
 * ports, so ranges are hashed too (by the block), not only exact ports. */
typedef struct tuple {
    uint8_t l, r;   /* address prefix lengths, 0..128 */
    uint8_t lp, rp; /* port prefix lengths, 0..16 */
    uint8_t pr;     /* protocol: 0 or 8 */
} tuple;

/* A bucket of one table: rules sharing one masked key, sorted by
 * (prio, seq). n == 0 marks an empty slot. Capacity is n rounded up to a
 * power of two. */
typedef struct slot {
    uint32_t hash, n;
    entry *e;
} slot;

typedef struct table {
    uint64_t minprio, maxprio; /* bounds of the priorities held (may be loose) */
    uint64_t m_lhi, m_llo, m_rhi, m_rlo, m_pp;
    uint8_t *tags; /* per slot: 0 empty, else tag_of(hash); probed before slots.
                    * mask + 1 + 8 bytes: the last 8 mirror the first 8, so a
                    * probe can always read 8 tags at once. */
    slot *slots;
    uint32_t mask;   /* slots - 1 */
    uint32_t nslots; /* used slots */
    size_t nrules;
    size_t removed; /* removals since the bounds were exact */
    tuple tp;
} table;

/* Where the rules of one priority live: (table, bucket hash) pairs, or
 * (NULL, rank) for a rule in the tree. */
typedef struct loc {
    table *t;
    uint32_t hash;
} loc;

typedef struct pmap_ent {
    uint64_t prio; /* 0 = empty */
    uint32_t n, cap;
    loc *v;
} pmap_ent;

struct cls {
    ctree *tree;           /* the rules as of the last cls_optimize (NULL: none) */
    size_t built, updates; /* rules at the last build; inserts and removals since */
    table **order;         /* sorted by minprio: the probe order */
    size_t ntables, tcap;
    pmap_ent *pm;
    size_t pm_mask, pm_n; /* pm has pm_mask + 1 entries (0 if none) */
    size_t nrules;
    uint32_t seq;
    bool deferred;     /* updates ask for a rebuild (want) rather than run it */
    bool want;         /* deferred: the updates call for a rebuild */
    ward_rebuild *job; /* the rebuild taken and not yet installed or freed */
};

/* An update made while a rebuild runs, replayed on its result. */
typedef struct logged {
    entry e; /* an insert; a removal uses e.prio only */
    bool insert;
} logged;

/* A rebuild taken off one classifier. The builder (any thread) reads the
 * snapshot and writes `built`; everything else is the owner's thread's. */
struct ward_rebuild {
    /* The snapshot: the tree in use (shared: fixed but for its dead marks)
     * with a copy of those marks, and a copy of the tables' rules. */
    ctree *tree;
    uint64_t *gone;
    entry *v;
    size_t n;
    uint32_t seq;
    cls *built;  /* the builder's result; after the install, the old index */
    cls *owner;  /* NULL once the classifier is freed or rebuilt otherwise */
    logged *log; /* the owner's updates since the snapshot, in order */
    size_t nlog, logcap;
    size_t replayed; /* of the log, on built */
    bool lost;       /* an update could not be logged: the result is stale */
};

/* ---- Bits ------------------------------------------------------------------ */

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Multiply-add hashing: independent products pipeline well, and the high
 * half of the sum mixes every input bit. Quality only affects speed. */
static inline uint32_t hash5(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    uint64_t h = (a ^ (a >> 29)) * 0x9e3779b97f4a7c15ull + (b ^ (b >> 31)) * 0xc2b2ae3d27d4eb4full +
                 (c ^ (c >> 29)) * 0x165667b19e3779f9ull + (d ^ (d >> 31)) * 0x27d4eb2f165667c5ull +
                 (e ^ (e >> 17)) * 0x94d049bb133111ebull;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* A lookup probes a byte array of tags (a few KB, cache-resident) and
 * touches a slot only when its tag matches: most tables miss. */
static inline uint8_t tag_of(uint32_t h)
{
    uint8_t g = (uint8_t)(h >> 24);
    return g ? g : 1;
}

static inline void set_tag(table *t, uint32_t i, uint8_t g)
{
    t->tags[i] = g;
    if (i < 8)
        t->tags[t->mask + 1 + i] = g;
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* 0x80 in every byte of x that is zero, 0 elsewhere (exact, no carries). */
static inline uint64_t zero_bytes(uint64_t x)
{
    const uint64_t m = 0x7f7f7f7f7f7f7f7full;
    return ~(((x & m) + m) | x | m);
}

static inline uint32_t table_hash(const table *t, uint64_t lhi, uint64_t llo, uint64_t rhi,
                                  uint64_t rlo, uint64_t pp)
{
    return hash5(lhi & t->m_lhi, llo & t->m_llo, rhi & t->m_rhi, rlo & t->m_rlo, pp & t->m_pp);
}

static inline uint32_t table_hash_entry(const table *t, const entry *e)
{
    return table_hash(t, e->l_hi, e->l_lo, e->r_hi, e->r_lo, pp_word(e->lp_lo, e->rp_lo, e->pr_lo));
}

static bool range_ok(const ward_range *r, uint32_t max)
{
    return r->lo <= r->hi && r->lo <= max;
}

static bool rule_ok(const cls_rule *r)
{
    return r->prio >= 1 && r->laddr.plen <= 128 && r->raddr.plen <= 128 &&
           range_ok(&r->lport, 65535) && range_ok(&r->rport, 65535) && range_ok(&r->proto, 255);
}

static void make_entry(entry *e, const cls_rule *r, uint32_t seq)
{
    e->lplen = r->laddr.plen;
    e->rplen = r->raddr.plen;
    e->l_hi = load_be64(r->laddr.ip.b) & mask_hi(e->lplen);
    e->l_lo = load_be64(r->laddr.ip.b + 8) & mask_lo(e->lplen);
    e->r_hi = load_be64(r->raddr.ip.b) & mask_hi(e->rplen);
    e->r_lo = load_be64(r->raddr.ip.b + 8) & mask_lo(e->rplen);
    e->lp_lo = (uint16_t)r->lport.lo;
    e->lp_hi = (uint16_t)(r->lport.hi > 65535 ? 65535 : r->lport.hi);
    e->rp_lo = (uint16_t)r->rport.lo;
    e->rp_hi = (uint16_t)(r->rport.hi > 65535 ? 65535 : r->rport.hi);
    e->pr_lo = (uint8_t)r->proto.lo;
    e->pr_hi = (uint8_t)(r->proto.hi > 255 ? 255 : r->proto.hi);
    e->prio = r->prio;
    e->data = r->data;
    e->seq = seq;
}

/* Leading bits shared by every value of [lo, hi] (width-bit field). */
static inline unsigned range_plen(uint32_t lo, uint32_t hi, unsigned width)
{
    uint32_t x = lo ^ hi;
    return x ? width - (32 - (unsigned)__builtin_clz(x)) : width;
}

static inline uint32_t port_mask(unsigned plen)
{
    return plen ? (0xffffu << (16 - plen)) & 0xffffu : 0;
}

static tuple entry_tuple(const entry *e)
{
    return (tuple){e->lplen, e->rplen, (uint8_t)range_plen(e->lp_lo, e->lp_hi, 16),
                   (uint8_t)range_plen(e->rp_lo, e->rp_hi, 16),
                   (uint8_t)(e->pr_lo == e->pr_hi ? 8 : 0)};
}

/* The coarse grid tuples are relaxed to: IPv4 (mapped) prefixes /0, /8,
 * /16, /24 (a /32 shares its /24's bucket), IPv6 ones by 32 bits. Coarser
 * means fewer tables to probe but longer buckets; measured on ClassBench-
 * like sets, this grid probed the fewest tables per lookup. */
static unsigned relax_len(unsigned plen);

static unsigned relax_port(unsigned plen)
{
    static const uint8_t grid[] = {16, 8, 0};
    for (size_t i = 0; i < sizeof(grid); i++)
        if (plen >= grid[i])
            return grid[i];
    return 0;
}

static tuple relax(tuple t)
{
    return (tuple){(uint8_t)relax_len(t.l), (uint8_t)relax_len(t.r), (uint8_t)relax_port(t.lp),
                   (uint8_t)relax_port(t.rp), t.pr};
}

static unsigned relax_len(unsigned plen)
{
    static const uint8_t grid[] = {120, 112, 104, 96, 64, 32, 0};
    for (size_t i = 0; i < sizeof(grid); i++)
        if (plen >= grid[i])
            return grid[i];
    return 0;
}

static size_t cap_for(uint32_t n)
{
    size_t c = 1;
    while (c < n)
        c <<= 1;
    return c;
}

/* ---- Tables ---------------------------------------------------------------- */

static table *table_new(tuple tp)
{
    table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->slots = calloc(8, sizeof(slot));
    t->tags = calloc(8 + 8, 1);
    if (!t->slots || !t->tags) {
        free(t->slots);
        free(t->tags);
        free(t);
        return NULL;
    }
    t->mask = 7;
    t->tp = tp;
    t->m_lhi = mask_hi(tp.l);
    t->m_llo = mask_lo(tp.l);
    t->m_rhi = mask_hi(tp.r);
    t->m_rlo = mask_lo(tp.r);
    t->m_pp = pp_word(port_mask(tp.lp), port_mask(tp.rp), tp.pr ? 0xff : 0);
    t->minprio = UINT64_MAX;
    t->maxprio = 0;
    return t;
}

static void table_free(table *t)
{
    for (uint32_t i = 0; i <= t->mask; i++)
        free(t->slots[i].e);
    free(t->slots);
    free(t->tags);
    free(t);
}

/* The bucket of table t whose rules hash to h and share e's masked key, or
 * the empty slot where it would go. Buckets of equal hash but another key
 * are skipped (their first rule tells their key). */
static slot *table_find(const table *t, uint32_t h, const entry *e)
{
    for (uint32_t j = h & t->mask;; j = (j + 1) & t->mask) {
        slot *s = &t->slots[j];
        if (!s->n)
            return s;
        if (s->hash != h)
            continue;
        const entry *f = s->e;
        if (((f->l_hi ^ e->l_hi) & t->m_lhi) == 0 && ((f->l_lo ^ e->l_lo) & t->m_llo) == 0 &&
            ((f->r_hi ^ e->r_hi) & t->m_rhi) == 0 && ((f->r_lo ^ e->r_lo) & t->m_rlo) == 0 &&
            ((pp_word(f->lp_lo, f->rp_lo, f->pr_lo) ^ pp_word(e->lp_lo, e->rp_lo, e->pr_lo)) &
             t->m_pp) == 0)
            return s;
    }
}

static int table_resize(table *t, uint32_t nslots)
{
    slot *ns = calloc(nslots, sizeof(slot));
    uint8_t *ntags = calloc((size_t)nslots + 8, 1);
    if (!ns || !ntags) {
        free(ns);
        free(ntags);
        return WARD_E_NOMEM;
    }
    uint32_t nmask = nslots - 1;
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (!t->slots[i].n)
            continue;
        uint32_t j = t->slots[i].hash & nmask;
        while (ns[j].n)
            j = (j + 1) & nmask;
        ns[j] = t->slots[i];
        ntags[j] = t->tags[i];
    }
    memcpy(ntags + nslots, ntags, 8);
    free(t->slots);
    free(t->tags);
    t->slots = ns;
    t->tags = ntags;
    t->mask = nmask;
    return 0;
}

/* Empties slot s with backward-shift deletion, so probes never need
 * tombstones. */
static void table_delete_slot(table *t, slot *s)
{
    uint32_t i = (uint32_t)(s - t->slots);
    free(s->e);
    for (uint32_t j = (i + 1) & t->mask;; j = (j + 1) & t->mask) {
        slot *sj = &t->slots[j];
        if (!sj->n)
            break;
        uint32_t home = sj->hash & t->mask;
        /* sj may fill the hole at i unless its home lies in (i, j]. */
        if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
            t->slots[i] = *sj;
            set_tag(t, i, t->tags[j]);
            i = j;
        }
    }
    t->slots[i] = (slot){0};
    set_tag(t, i, 0);
    t->nslots--;
}

static void table_recompute_bounds(table *t)
{
    t->minprio = UINT64_MAX;
    t->maxprio = 0;
    for (uint32_t i = 0; i <= t->mask; i++) {
        const slot *s = &t->slots[i];
        if (!s->n)
            continue;
        if (s->e[0].prio < t->minprio)
            t->minprio = s->e[0].prio;
        if (s->e[s->n - 1].prio > t->maxprio)
            t->maxprio = s->e[s->n - 1].prio;
    }
    t->removed = 0;
}

static size_t table_bytes(const table *t)
{
    size_t b = sizeof(*t) + ((size_t)t->mask + 1) * (sizeof(slot) + 1) + 8;
    for (uint32_t i = 0; i <= t->mask; i++)
        if (t->slots[i].n)
            b += cap_for(t->slots[i].n) * sizeof(entry);
    return b;
}

/* ---- Probe order ----------------------------------------------------------- */

/* Moves order[i] to its place by minprio (only it changed). */
static void order_fix(cls *c, size_t i)
{
    table *t = c->order[i];
    while (i > 0 && c->order[i - 1]->minprio > t->minprio) {
        c->order[i] = c->order[i - 1];
        i--;
    }
    while (i + 1 < c->ntables && c->order[i + 1]->minprio < t->minprio) {
        c->order[i] = c->order[i + 1];
        i++;
    }
    c->order[i] = t;
}

static size_t order_index(const cls *c, const table *t)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (c->order[i] == t)
            return i;
    return c->ntables;
}

static void order_drop(cls *c, table *t)
{
    size_t i = order_index(c, t);
    memmove(c->order + i, c->order + i + 1, (c->ntables - i - 1) * sizeof(*c->order));
    c->ntables--;
    table_free(t);
}

/* ---- Priority map ---------------------------------------------------------- */

static inline size_t pm_home(const cls *c, uint64_t prio)
{
    return (size_t)mix(prio ^ 0x2545f4914f6cdd1dull, 0x9fb21c651e98df25ull) & c->pm_mask;
}

static pmap_ent *pm_get(const cls *c, uint64_t prio)
{
    if (!c->pm)
        return NULL;
    for (size_t j = pm_home(c, prio);; j = (j + 1) & c->pm_mask) {
        if (c->pm[j].prio == prio)
            return &c->pm[j];
        if (!c->pm[j].prio)
            return NULL;
    }
}

static int pm_reserve(cls *c)
{
    size_t size = c->pm ? c->pm_mask + 1 : 0;
    if ((c->pm_n + 1) * 4 <= size * 3)
        return 0;
    size_t nsize = size ? size * 2 : 64;
    pmap_ent *np = calloc(nsize, sizeof(*np));
    if (!np)
        return WARD_E_NOMEM;
    pmap_ent *old = c->pm;
    c->pm = np;
    c->pm_mask = nsize - 1;
    for (size_t i = 0; i < size; i++) {
        if (!old[i].prio)
            continue;
        size_t j = pm_home(c, old[i].prio);
        while (np[j].prio)
            j = (j + 1) & c->pm_mask;
        np[j] = old[i];
    }
    free(old);
    return 0;
}

/* The entry for prio, created empty if missing; pm_reserve() first. */
static pmap_ent *pm_put(cls *c, uint64_t prio)
{
    size_t j = pm_home(c, prio);
    while (c->pm[j].prio && c->pm[j].prio != prio)
        j = (j + 1) & c->pm_mask;
    if (!c->pm[j].prio) {
        c->pm[j] = (pmap_ent){.prio = prio};
        c->pm_n++;
    }
    return &c->pm[j];
}

static void pm_delete(cls *c, pmap_ent *p)
{
    size_t i = (size_t)(p - c->pm);
    free(p->v);
    for (size_t j = (i + 1) & c->pm_mask;; j = (j + 1) & c->pm_mask) {
        if (!c->pm[j].prio)
            break;
        size_t home = pm_home(c, c->pm[j].prio);
        if (((j - home) & c->pm_mask) >= ((j - i) & c->pm_mask)) {
            c->pm[i] = c->pm[j];
            i = j;
        }
    }
    c->pm[i] = (pmap_ent){0};
    c->pm_n--;
}

static int loc_reserve(pmap_ent *p)
{
    if (p->n < p->cap)
        return 0;
    uint32_t ncap = p->cap ? p->cap * 2 : 1;
    loc *nv = realloc(p->v, ncap * sizeof(*nv));
    if (!nv)
        return WARD_E_NOMEM;
    p->v = nv;
    p->cap = ncap;
    return 0;
}

/* ---- Public ---------------------------------------------------------------- */

cls *cls_new(void)
{
    return calloc(1, sizeof(cls));
}

void cls_free(cls *c)
{
    if (!c)
        return;
    if (c->job)
        c->job->owner = NULL;
    ctree_free(c->tree);
    for (size_t i = 0; i < c->ntables; i++)
        table_free(c->order[i]);
    free(c->order);
    if (c->pm)
        for (size_t i = 0; i <= c->pm_mask; i++)
            free(c->pm[i].v);
    free(c->pm);
    free(c);
}

size_t cls_rule_count(const cls *c)
{
    return c->nrules;
}

size_t cls_bytes(const cls *c)
{
    size_t b = sizeof(*c) + c->tcap * sizeof(*c->order) + (c->tree ? ctree_bytes(c->tree) : 0);
    for (size_t i = 0; i < c->ntables; i++)
        b += table_bytes(c->order[i]);
    if (c->pm) {
        b += (c->pm_mask + 1) * sizeof(*c->pm);
        for (size_t i = 0; i <= c->pm_mask; i++)
            b += c->pm[i].cap * sizeof(loc);
    }
    return b;
}

static bool tuple_eq(tuple a, tuple b)
{
    return a.l == b.l && a.r == b.r && a.lp == b.lp && a.rp == b.rp && a.pr == b.pr;
}

static table *find_table(const cls *c, tuple tp)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (tuple_eq(c->order[i]->tp, tp))
            return c->order[i];
    return NULL;
}

/* Whether a rule of tuple e fits table tuple t: as specific on every field. */
static bool fits(tuple t, tuple e)
{
    return t.l <= e.l && t.r <= e.r && t.lp <= e.lp && t.rp <= e.rp && t.pr <= e.pr;
}

static unsigned specificity(tuple t)
{
    return t.l + t.r + t.lp + t.rp + t.pr;
}

/* Chooses the table for entry e: the most specific table it fits whose
 * bucket for it has room; else a new table (see the levels below); else
 * (COLLIDE rules with e's exact key) the bucket grows. *created says the
 * table is new (not yet in the probe order). */
static table *choose_table(cls *c, const entry *e, bool *created)
{
    tuple et = entry_tuple(e);
    table *best = NULL;
    unsigned best_spec = 0;
    *created = false;
    for (size_t i = 0; i < c->ntables; i++) {
        table *t = c->order[i];
        if (!fits(t->tp, et))
            continue;
        unsigned spec = specificity(t->tp);
        if (best && spec <= best_spec)
            continue;
        const slot *s = table_find(t, table_hash_entry(t, e), e);
        if (s->n >= COLLIDE)
            continue;
        best = t;
        best_spec = spec;
    }
    if (best)
        return best;
    /* Levels of relaxation: addresses on the grid only (the common table);
     * plus ports and protocol (overflow); the rule's own tuple. A level
     * whose table exists was full for this rule. */
    tuple levels[3] = {relax(et), relax(et), et};
    levels[0].lp = levels[0].rp = levels[0].pr = 0;
    for (int i = 0; i < 3; i++) {
        table *t = find_table(c, levels[i]);
        if (!t) {
            *created = true;
            return table_new(levels[i]);
        }
        if (i == 2)
            return t; /* every rule in that bucket has e's exact key */
    }
    return NULL;
}

/* Adds entry e. All allocation happens before anything changes, so a
 * failure leaves the classifier as it was. */
static int insert_entry(cls *c, const entry *e)
{
    if (pm_reserve(c) < 0)
        return WARD_E_NOMEM;
    if (c->ntables == c->tcap) {
        size_t ncap = c->tcap ? c->tcap * 2 : 16;
        table **no = realloc(c->order, ncap * sizeof(*no));
        if (!no)
            return WARD_E_NOMEM;
        c->order = no;
        c->tcap = ncap;
    }
    bool created;
    table *t = choose_table(c, e, &created);
    if (!t)
        return WARD_E_NOMEM;
    /* At most 3/4 full: probe runs stay short, and a miss mostly reads
     * tags only. */
    if ((t->nslots + 1) * 4 > (t->mask + 1) * 3 && table_resize(t, (t->mask + 1) * 2) < 0)
        goto nomem;
    uint32_t h = table_hash_entry(t, e);
    slot *s = table_find(t, h, e);
    size_t cap = s->n ? cap_for(s->n) : 0;
    if (s->n == cap) {
        entry *ne = realloc(s->e, (cap ? cap * 2 : 1) * sizeof(*ne));
        if (!ne)
            goto nomem;
        s->e = ne;
    }
    pmap_ent *p = pm_put(c, e->prio);
    bool dup = p->n && p->v[p->n - 1].t == t && p->v[p->n - 1].hash == h;
    if (!dup && loc_reserve(p) < 0) {
        if (!p->n)
            pm_delete(c, p);
        if (!s->n) {
            free(s->e);
            s->e = NULL;
        }
        goto nomem;
    }
    if (!dup)
        p->v[p->n++] = (loc){t, h};

    /* Sorted by (prio, seq); seq only grows, so equal prios go last. */
    uint32_t at = s->n;
    while (at > 0 && s->e[at - 1].prio > e->prio)
        at--;
    memmove(s->e + at + 1, s->e + at, (s->n - at) * sizeof(*s->e));
    s->e[at] = *e;
    if (!s->n) {
        s->hash = h;
        set_tag(t, (uint32_t)(s - t->slots), tag_of(h));
        t->nslots++;
    }
    s->n++;
    t->nrules++;
    c->nrules++;
    if (e->prio > t->maxprio)
        t->maxprio = e->prio;
    if (created) {
        t->minprio = e->prio;
        c->order[c->ntables++] = t;
        order_fix(c, c->ntables - 1);
    } else if (e->prio < t->minprio) {
        t->minprio = e->prio;
        order_fix(c, order_index(c, t));
    }
    return 0;
nomem:
    if (created)
        table_free(t);
    return WARD_E_NOMEM;
}

/* Rebuilds once the updates since the last build outnumber the rules it
 * built: each rebuild is paid for by at least as many updates as it had
 * rules (a set loaded one rule at a time is rebuilt at 257, 514, 1028 ...
 * rules), so an update costs O(build cost per rule) on average, and about
 * half the rules at most are searched beside the tree. */
static void maybe_optimize(cls *c, size_t updates)
{
    c->updates += updates;
    size_t due = c->deferred ? c->built / ASIDE_DUE : c->built;
    if (c->updates <= AUTO_MIN || c->updates <= due)
        return;
    if (c->deferred)
        c->want = true; /* cls_rebuild_take: built aside, then installed */
    else
        cls_optimize(c); /* on failure the rules still answer from where they are */
}

/* Keeps an update for the rebuild under way, which must not lose it. */
static void log_update(cls *c, const entry *e, bool insert)
{
    ward_rebuild *j = c->job;
    if (!j || j->lost)
        return;
    if (j->nlog == j->logcap) {
        size_t ncap = j->logcap ? j->logcap * 2 : 16;
        logged *nl = realloc(j->log, ncap * sizeof(*nl));
        if (!nl) {
            j->lost = true; /* its install will refuse; the rules are right here */
            return;
        }
        j->log = nl;
        j->logcap = ncap;
    }
    j->log[j->nlog++] = (logged){*e, insert};
}

/* The rebuild under way, if any, will not be installed. */
static void detach_job(cls *c)
{
    if (c->job)
        c->job->owner = NULL;
    c->job = NULL;
}

int cls_insert(cls *c, const cls_rule *r)
{
    if (!rule_ok(r))
        return WARD_E_INVAL;
    entry e;
    make_entry(&e, r, c->seq);
    int rc = insert_entry(c, &e);
    if (rc == 0) {
        c->seq++;
        log_update(c, &e, true);
        maybe_optimize(c, 1);
    }
    return rc;
}

typedef struct bulk_item {
    uint64_t prio;
    size_t i;
} bulk_item;

static int bulk_cmp(const void *a, const void *b)
{
    const bulk_item *x = a, *y = b;
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int cls_insert_bulk(cls *c, const cls_rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!rule_ok(&r[i]))
            return WARD_E_INVAL;
    detach_job(c); /* batches are not logged: a rebuild under way is stale */
    /* In priority order, each rule lands at the end of its bucket and the
     * best rules found the tables; seq keeps the caller's order for ties. */
    bulk_item *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return WARD_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (bulk_item){r[i].prio, i};
    qsort(v, n, sizeof(*v), bulk_cmp);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        entry e;
        make_entry(&e, &r[v[i].i], c->seq + (uint32_t)v[i].i);
        rc = insert_entry(c, &e);
    }
    free(v);
    c->seq += (uint32_t)n; /* even after a failure: seqs are never reused */
    /* A first build goes to the tree; later batches count as updates.
     * Only speed depends on it: the rules are in either way. */
    if (rc == 0 && c->nrules == n)
        cls_optimize(c);
    else if (rc == 0)
        maybe_optimize(c, n);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return entry_before(x->prio, x->seq, y->prio, y->seq)   ? -1
           : entry_before(y->prio, y->seq, x->prio, x->seq) ? 1
                                                            : 0;
}

/* Copies the tables' rules to out (room for all of them); how many. */
static size_t table_entries(const cls *c, entry *out)
{
    size_t m = 0;
    for (size_t i = 0; i < c->ntables; i++) {
        const table *t = c->order[i];
        for (uint32_t j = 0; j <= t->mask; j++)
            for (uint32_t x = 0; x < t->slots[j].n; x++)
                out[m++] = t->slots[j].e[x];
    }
    return m;
}

/* Every rule as an entry: the tree's live ones and the tables'. */
static entry *all_entries(const cls *c, size_t *n)
{
    entry *v = malloc((c->nrules ? c->nrules : 1) * sizeof(*v));
    if (!v)
        return NULL;
    size_t m = c->tree ? ctree_entries(c->tree, v) : 0;
    *n = m + table_entries(c, v + m);
    return v;
}

/* A new index of the n rules v (sorted here): the tree takes what it can
 * hold, fresh tables the rest. Touches nothing but v and what it allocates,
 * so it may run on any thread. NULL when out of memory. */
static cls *build(entry *v, size_t n, uint32_t seq)
{
    size_t nfit = 0;
    entry *fit = NULL;
    uint8_t *left_out = NULL;
    cls *nc = cls_new();
    bool ok = false;
    if (!nc || n >= CTREE_NONE || !(fit = malloc((n ? n : 1) * sizeof(*fit))) ||
        !(left_out = malloc(n ? n : 1)))
        goto out;
    qsort(v, n, sizeof(*v), cmp_entry);
    /* The tree takes what it can hold, ranked in (prio, seq) order. */
    for (size_t i = 0; i < n; i++)
        if (ctree_fits(&v[i]))
            fit[nfit++] = v[i];
    if (nfit && !(nc->tree = ctree_build(fit, (uint32_t)nfit, left_out)))
        goto out;
    /* The rest go to fresh tables, also in (prio, seq) order: a bucket
     * keeps its rules sorted only if they arrive so. */
    for (size_t i = 0, rank = 0; i < n; i++) {
        bool in_tree = ctree_fits(&v[i]) && !left_out[rank++];
        if (!in_tree) {
            if (insert_entry(nc, &v[i]) < 0)
                goto out;
            continue;
        }
        if (pm_reserve(nc) < 0)
            goto out;
        pmap_ent *p = pm_put(nc, v[i].prio);
        if (loc_reserve(p) < 0)
            goto out;
        p->v[p->n++] = (loc){NULL, (uint32_t)rank - 1};
        nc->nrules++;
    }
    nc->seq = seq;
    nc->built = n;
    ok = true;
out:
    free(fit);
    free(left_out);
    if (!ok) {
        cls_free(nc);
        nc = NULL;
    }
    return nc;
}

/* Puts the index nc in c's place (c keeps its mode and sequence); nc then
 * holds the old one. A rebuild under way is dropped. */
static void swap_in(cls *c, cls *nc)
{
    detach_job(c);
    nc->deferred = c->deferred;
    nc->seq = c->seq;
    cls tmp = *c;
    *c = *nc;
    *nc = tmp;
}

int cls_optimize(cls *c)
{
    size_t n;
    entry *v = all_entries(c, &n);
    cls *nc = v ? build(v, n, c->seq) : NULL;
    free(v);
    if (!nc)
        return WARD_E_NOMEM;
    swap_in(c, nc);
    cls_free(nc);
    return 0;
}

/* Removes every rule of priority prio from wherever it is; how many. */
static size_t remove_prio(cls *c, uint64_t prio)
{
    pmap_ent *p = prio ? pm_get(c, prio) : NULL;
    if (!p)
        return 0;
    size_t removed = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        table *t = p->v[i].t;
        uint32_t h = p->v[i].hash;
        if (!t) {
            ctree_kill(c->tree, h);
            removed++;
            continue;
        }
        for (uint32_t j = h & t->mask; t->slots[j].n;) {
            slot *s = &t->slots[j];
            uint32_t lo = 0, hi;
            if (s->hash == h) {
                while (lo < s->n && s->e[lo].prio < prio)
                    lo++;
                for (hi = lo; hi < s->n && s->e[hi].prio == prio;)
                    hi++;
                if (hi > lo) {
                    memmove(s->e + lo, s->e + hi, (s->n - hi) * sizeof(*s->e));
                    s->n -= hi - lo;
                    t->nrules -= hi - lo;
                    t->removed += hi - lo;
                    removed += hi - lo;
                    if (!s->n) {
                        /* The slot's successors may shift into j. */
                        table_delete_slot(t, s);
                        continue;
                    }
                }
            }
            j = (j + 1) & t->mask;
        }
    }
    for (uint32_t i = 0; i < p->n; i++) {
        table *t = p->v[i].t;
        if (!t)
            continue;
        if (t->nrules == 0) {
            /* Later locs may name t again: clear them before it goes. */
            for (uint32_t k = i + 1; k < p->n; k++)
                if (p->v[k].t == t)
                    p->v[k].t = NULL;
            order_drop(c, t);
        } else if (t->removed * 2 > t->nrules) {
            table_recompute_bounds(t);
            order_fix(c, order_index(c, t));
        }
    }
    c->nrules -= removed;
    pm_delete(c, p);
    return removed;
}

size_t cls_remove(cls *c, uint64_t prio)
{
    size_t removed = remove_prio(c, prio);
    if (!removed)
        return 0;
    log_update(c, &(entry){.prio = prio}, false);
    maybe_optimize(c, removed);
    return removed;
}

bool cls_lookup(const cls *c, const cls_key *key, uint64_t after, cls_match *out)
{
    kwords k;
    key_words(key, &k);
    uint64_t bp = UINT64_MAX, bd = 0;
    uint32_t bs = UINT32_MAX;
    if (c->tree) {
        uint32_t start = after ? ctree_start(c->tree, after) : 0;
        uint32_t rank = ctree_lookup(c->tree, &k, start, CTREE_NONE);
        if (rank != CTREE_NONE)
            ctree_match(c->tree, rank, &bp, &bd, &bs);
    }
    bool found = bp != UINT64_MAX;
    for (size_t i = 0; i < c->ntables; i++) {
        const table *t = c->order[i];
        if (t->minprio > bp)
            break; /* sorted: no later table can beat the best */
        if (t->maxprio <= after)
            continue;
        uint32_t h = table_hash(t, k.l_hi, k.l_lo, k.r_hi, k.r_lo, k.pp);
        /* Eight tags per step: the tags matching h, up to the first empty
         * slot (where the probe run ends). */
        const uint64_t want = 0x0101010101010101ull * tag_of(h);
        for (uint32_t j = h & t->mask;; j = (j + 8) & t->mask) {
            uint64_t w = load_le64(t->tags + j);
            uint64_t empty = zero_bytes(w), hit = zero_bytes(w ^ want);
            if (empty)
                hit &= (empty & (0 - empty)) - 1;
            for (; hit; hit &= hit - 1) {
                const slot *s = &t->slots[(j + (unsigned)__builtin_ctzll(hit) / 8) & t->mask];
                if (s->hash != h)
                    continue;
                for (const entry *e = s->e, *end = s->e + s->n; e < end; e++) {
                    if (e->prio <= after)
                        continue;
                    if (e->prio > bp)
                        break;
                    if (!entry_matches(e, &k))
                        continue;
                    if (entry_before(e->prio, e->seq, bp, bs)) {
                        found = true;
                        bp = e->prio;
                        bs = e->seq;
                        bd = e->data;
                    }
                    break; /* the rest of the bucket is worse */
                }
            }
            if (empty)
                break;
        }
    }
    if (!found)
        return false;
    out->prio = bp;
    out->data = bd;
    return true;
}

/* ---- Rebuilds aside -------------------------------------------------------- */

void cls_set_deferred(cls *c, bool on)
{
    c->deferred = on;
}

ward_rebuild *cls_rebuild_take(cls *c)
{
    if (!c->want || c->job)
        return NULL;
    /* Only the tables' rules are copied (at the due point a sixteenth of
     * the rules or so) and the tree's dead marks, a bit a rule: at 100k
     * rules a copy of all of them cost the loop over a millisecond. */
    size_t in_tables = 0;
    for (size_t i = 0; i < c->ntables; i++)
        in_tables += c->order[i]->nrules;
    ward_rebuild *j = calloc(1, sizeof(*j));
    if (!j || !(j->v = malloc((in_tables ? in_tables : 1) * sizeof(*j->v))) ||
        (c->tree && !(j->gone = ctree_gone_copy(c->tree)))) {
        ward_rebuild_free(j);
        return NULL; /* the next update asks again */
    }
    j->n = table_entries(c, j->v);
    j->tree = c->tree ? ctree_ref(c->tree) : NULL;
    j->seq = c->seq;
    j->owner = c;
    c->job = j;
    c->want = false;
    return j;
}

int ward_rebuild_run(ward_rebuild *j)
{
    size_t room = (j->tree ? ctree_size(j->tree) : 0) + j->n;
    entry *all = j->v && !j->built ? malloc((room ? room : 1) * sizeof(*all)) : NULL;
    if (all) {
        size_t m = j->tree ? ctree_entries_as_of(j->tree, j->gone, all) : 0;
        memcpy(all + m, j->v, j->n * sizeof(*all));
        j->built = build(all, m + j->n, j->seq);
        free(all);
    }
    ctree_free(j->tree); /* the owner may have dropped it: then it goes here */
    j->tree = NULL;
    free(j->gone);
    j->gone = NULL;
    free(j->v);
    j->v = NULL;
    return j->built ? 0 : WARD_E_NOMEM;
}

int ward_rebuild_install(ward_rebuild *j)
{
    cls *c = j->owner, *nc = j->built;
    if (!c)
        return WARD_E_NOENT;
    if (!nc || j->v || j->lost) {
        detach_job(c);
        return WARD_E_NOMEM; /* not built, or stale: c stays as it is */
    }
    /* The snapshot is as old as the take: what changed since goes on top,
     * in the order it happened, a slice a call (updates made between calls
     * join the log). The slice grows with the backlog: updates arriving
     * faster than a fixed slice replays them would keep the job from ever
     * swapping in. */
    size_t backlog = j->nlog - j->replayed;
    size_t slice = backlog / 4 > REPLAY_SLICE ? backlog / 4 : REPLAY_SLICE;
    size_t end = backlog > slice ? j->replayed + slice : j->nlog;
    for (; j->replayed < end; j->replayed++) {
        const logged *u = &j->log[j->replayed];
        if (!u->insert) {
            remove_prio(nc, u->e.prio);
        } else if (insert_entry(nc, &u->e) < 0) {
            detach_job(c);
            return WARD_E_NOMEM;
        }
    }
    if (j->replayed < j->nlog)
        return 1;
    detach_job(c);
    nc->updates = j->nlog;
    swap_in(c, nc); /* j->built is the old index now: freed with j */
    return 0;
}

void ward_rebuild_free(ward_rebuild *j)
{
    if (!j)
        return;
    if (j->owner)
        j->owner->job = NULL;
    ctree_free(j->tree);
    free(j->gone);
    free(j->v);
    cls_free(j->built);
    free(j->log);
    free(j);
}
