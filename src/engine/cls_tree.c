/*
 * cls_tree.c — the decision-tree front end of the classifier.
 *
 * Rules are split into four subsets by which addresses are narrow (a /16
 * or longer): both, local only, remote only, neither. Cutting a subset on a
 * field its rules are narrow in copies few of them into several children,
 * which is what makes plain HiCuts trees blow up on firewall-like sets
 * (CutSplit, Li et al. 2018, makes the same split). Each subset gets a tree:
 * an inner node cuts one field of its box into 2^k equal parts, as many as
 * a space budget allows, choosing the field whose fullest part is smallest;
 * a leaf holds at most BINTH rules (more only when no cut separates them).
 *
 * Copies compound down a tree, so each subset has a memory budget: past
 * it the subset is built again with half the space factor; a subset no
 * tree fits is split again by which ports are narrow (at most 2^8 ports),
 * and a part of it no tree fits either is left out (the caller keeps its
 * rules in tuple tables).
 *
 * Leaves list their rules' ranks in order, ended by CTREE_NONE, so a leaf
 * scan stops at its first match or at the first rule no better than the
 * best found so far; the rules themselves are compact records by rank (a
 * leaf of ranks is a seventh of a leaf of copies: fw sets copy some rules
 * into thousands of leaves). The subsets are searched in order of their
 * best rank and skipped once they cannot win.
 *
 * Fields are 32-bit values: an address is its IPv4 address, a key's IPv6
 * address walks the tree as 0 and only matches rules with a wildcard there
 * (the `v4` bits): wildcards are in every leaf, so any path finds them.
 */
#include "engine/cls_tree.h"

#include <stdatomic.h>
#include <stdlib.h>

#define BINTH   8 /* rules a leaf may hold before it is cut */
#define MAXBITS 8 /* at most 2^8 parts per cut */
#define SPFAC   4 /* a cut may copy rules up to SPFAC times the node's */
/* A subset's tree may take this many bytes a rule; past it, it is built
 * again with half the space factor (firewall sets copy wildcards a lot). */
#define BUDGET      96
#define MAXDEPTH    24 /* a guard: boxes shrink by a bit a level at least */
#define LEAF        0x80000000u
#define NARROW      0xffffu /* an address range of at most 2^16 is narrow */
#define NARROW_PORT 0xffu   /* a port range of at most 2^8 is narrow */
#define NLEVELS     2       /* splits: by address, then by port */
#define MAXSUBS     16      /* trees: four parts, split in four again */

enum { D_L, D_R, D_LP, D_RP, D_PR, NDIM };

static const uint8_t dim_bits[NDIM] = {32, 32, 16, 16, 8};

/* A rule as a leaf checks it (28 bytes). A field matches value v when
 * v - lo <= w. */
typedef struct trec {
    uint32_t lo[2], w[2];   /* addresses */
    uint16_t plo[2], pw[2]; /* ports */
    uint8_t prlo, prw;      /* protocol */
    uint8_t v4;             /* bit i: address i is IPv4-only */
    uint8_t dead;           /* removed since the build */
} trec;

typedef struct cold {
    uint64_t prio, data;
    uint32_t seq;
} cold;

typedef struct sub {
    uint32_t root, minrank;
} sub;

/* Everything but the dead marks is fixed once built, so a rebuild on
 * another thread may read a tree in use (ctree_entries_as_of): the marks
 * are kept twice, in the records (where a leaf check reads them) and in a
 * bitmap that is copied for that reader. */
struct ctree {
    uint32_t *nodes; /* node: header (dim | shift << 8 | mask << 16), children */
    uint32_t *leaf;  /* leaves back to back: ranks, each ended by CTREE_NONE */
    trec *recs;      /* by rank */
    cold *cold;      /* by rank */
    uint64_t *gone;  /* by rank, a bit: the records' dead marks */
    size_t nnodes, nleaf;
    uint32_t n;
    sub subs[MAXSUBS];
    unsigned nsubs;
    atomic_uint refs; /* owners: ctree_ref, ctree_free */
};

static size_t gone_words(uint32_t n)
{
    return ((size_t)n + 63) / 64;
}

static void mark_dead(ctree *t, uint32_t rank)
{
    t->recs[rank].dead = 1;
    t->gone[rank / 64] |= 1ull << (rank % 64);
}

static inline uint32_t rec_lo(const trec *r, int d)
{
    return d < D_LP ? r->lo[d] : d < D_PR ? r->plo[d - D_LP] : r->prlo;
}

static inline uint32_t rec_w(const trec *r, int d)
{
    return d < D_LP ? r->w[d] : d < D_PR ? r->pw[d - D_LP] : r->prw;
}

/* The IPv4 range of an address: false if it is neither a wildcard nor an
 * IPv4-mapped prefix. */
static bool addr_range(uint64_t hi, uint64_t lo, unsigned plen, uint32_t *rlo, uint32_t *rw,
                       bool *v4)
{
    *v4 = plen > 0;
    if (!plen) {
        *rlo = 0;
        *rw = UINT32_MAX;
        return true;
    }
    if (plen < 96 || hi != 0 || lo >> 32 != 0xffff)
        return false;
    *rlo = (uint32_t)lo;
    *rw = plen == 96 ? UINT32_MAX : (1u << (128 - plen)) - 1;
    return true;
}

bool ctree_fits(const entry *e)
{
    uint32_t lo, w;
    bool v4;
    return addr_range(e->l_hi, e->l_lo, e->lplen, &lo, &w, &v4) &&
           addr_range(e->r_hi, e->r_lo, e->rplen, &lo, &w, &v4);
}

static void make_rec(trec *r, const entry *e)
{
    bool v4l, v4r;
    *r = (trec){0};
    addr_range(e->l_hi, e->l_lo, e->lplen, &r->lo[0], &r->w[0], &v4l);
    addr_range(e->r_hi, e->r_lo, e->rplen, &r->lo[1], &r->w[1], &v4r);
    r->v4 = (uint8_t)(v4l | v4r << 1);
    r->plo[0] = e->lp_lo;
    r->pw[0] = (uint16_t)(e->lp_hi - e->lp_lo);
    r->plo[1] = e->rp_lo;
    r->pw[1] = (uint16_t)(e->rp_hi - e->rp_lo);
    r->prlo = e->pr_lo;
    r->prw = (uint8_t)(e->pr_hi - e->pr_lo);
}

/* ---- Build ----------------------------------------------------------------- */

typedef struct builder {
    ctree *t;
    const trec *recs; /* by rank */
    size_t ncap, lcap;
    unsigned spfac;
    size_t limit; /* node and leaf words this subset's tree may use */
    bool nomem, over;
} builder;

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * size);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

static uint32_t make_leaf(builder *b, const uint32_t *ids, uint32_t n)
{
    ctree *t = b->t;
    if (!n)
        return LEAF; /* the shared empty leaf: the pool's first sentinel */
    if (!grow((void **)&t->leaf, &b->lcap, t->nleaf + n + 1, sizeof(*t->leaf))) {
        b->nomem = true;
        return LEAF;
    }
    uint32_t at = (uint32_t)t->nleaf;
    memcpy(t->leaf + at, ids, n * sizeof(*ids));
    t->leaf[at + n] = CTREE_NONE;
    t->nleaf += n + 1;
    return LEAF | at;
}

/* The part indices [a, b] of rule r on a cut of dimension d into parts of
 * 2^shift values, inside the box starting at lo. */
static inline void part_span(const trec *r, int d, uint32_t lo, unsigned wb, unsigned shift,
                             uint32_t *a, uint32_t *b)
{
    uint64_t blo = lo, bhi = (uint64_t)lo + ((uint64_t)1 << wb) - 1;
    uint64_t rlo = rec_lo(r, d), rhi = rlo + rec_w(r, d);
    *a = (uint32_t)(((rlo > blo ? rlo : blo) - blo) >> shift);
    *b = (uint32_t)(((rhi < bhi ? rhi : bhi) - blo) >> shift);
}

typedef struct cut {
    int d;
    unsigned k;
    uint32_t fullest, total;
} cut;

/* The best cut of box (lo, wb) for ids, or d = -1. */
static cut choose_cut(const builder *b, const uint32_t *ids, uint32_t n, const uint32_t *lo,
                      const uint8_t *wb)
{
    cut best = {.d = -1, .fullest = n};
    int32_t diff[(1u << MAXBITS) + 1];
    for (int d = 0; d < NDIM; d++) {
        cut dc = {.d = -1};
        for (unsigned k = 1; k <= MAXBITS && k <= wb[d]; k++) {
            uint32_t np = 1u << k, total = 0;
            memset(diff, 0, (np + 1) * sizeof(*diff));
            for (uint32_t i = 0; i < n; i++) {
                uint32_t a, z;
                part_span(&b->recs[ids[i]], d, lo[d], wb[d], wb[d] - k, &a, &z);
                diff[a]++;
                diff[z + 1]--;
                total += z - a + 1;
            }
            if (k > 1 && (uint64_t)total + np > (uint64_t)b->spfac * n)
                break;
            uint32_t fullest = 0;
            int32_t run = 0;
            for (uint32_t i = 0; i < np; i++) {
                run += diff[i];
                if ((uint32_t)run > fullest)
                    fullest = (uint32_t)run;
            }
            dc = (cut){d, k, fullest, total};
        }
        if (dc.d >= 0 && (dc.fullest < best.fullest ||
                          (dc.fullest == best.fullest && best.d >= 0 && dc.total < best.total)))
            best = dc;
    }
    return best;
}

static uint32_t build_node(builder *b, const uint32_t *ids, uint32_t n, const uint32_t *lo,
                           const uint8_t *wb, unsigned depth)
{
    if (b->nomem || b->over)
        return LEAF; /* unwinding: this tree is dropped */
    if (b->t->nnodes + b->t->nleaf > b->limit) {
        b->over = true;
        return LEAF;
    }
    if (n <= BINTH || depth >= MAXDEPTH)
        return make_leaf(b, ids, n);
    cut c = choose_cut(b, ids, n, lo, wb);
    if (c.d < 0 || c.fullest >= n)
        return make_leaf(b, ids, n); /* nothing separates these rules */
    int d = c.d;
    uint32_t np = 1u << c.k;
    unsigned shift = wb[d] - c.k;

    /* Each part's rules, in rank order, back to back. */
    uint32_t *start = calloc(np + 1, sizeof(*start));
    uint32_t *lists = malloc((size_t)c.total * sizeof(*lists));
    ctree *t = b->t;
    uint32_t ref = LEAF;
    if (!start || !lists ||
        !grow((void **)&t->nodes, &b->ncap, t->nnodes + 1 + np, sizeof(uint32_t))) {
        b->nomem = true;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a, z;
        part_span(&b->recs[ids[i]], d, lo[d], wb[d], shift, &a, &z);
        for (uint32_t p = a; p <= z; p++)
            start[p + 1]++;
    }
    for (uint32_t p = 0; p < np; p++)
        start[p + 1] += start[p];
    uint32_t *fill = malloc(np * sizeof(*fill));
    if (!fill) {
        b->nomem = true;
        goto out;
    }
    memcpy(fill, start, np * sizeof(*fill));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a, z;
        part_span(&b->recs[ids[i]], d, lo[d], wb[d], shift, &a, &z);
        for (uint32_t p = a; p <= z; p++)
            lists[fill[p]++] = ids[i];
    }
    free(fill);

    ref = (uint32_t)t->nnodes;
    t->nodes[ref] = (uint32_t)d | shift << 8 | (np - 1) << 16;
    t->nnodes += 1 + np;
    uint32_t clo[NDIM];
    uint8_t cwb[NDIM];
    memcpy(clo, lo, sizeof(clo));
    memcpy(cwb, wb, sizeof(cwb));
    cwb[d] = (uint8_t)shift;
    for (uint32_t p = 0; p < np && !b->nomem && !b->over; p++) {
        uint32_t cn = start[p + 1] - start[p];
        const uint32_t *cl = lists + start[p];
        /* Neighbouring parts with the same rules share one child. */
        if (p > 0 && cn == start[p] - start[p - 1] &&
            memcmp(cl, lists + start[p - 1], cn * sizeof(*cl)) == 0) {
            t->nodes[ref + 1 + p] = t->nodes[ref + p];
            continue;
        }
        clo[d] = lo[d] + (p << shift);
        uint32_t child = build_node(b, cl, cn, clo, cwb, depth + 1);
        t->nodes[ref + 1 + p] = child; /* t->nodes may have moved */
    }
out:
    free(start);
    free(lists);
    return ref;
}

static int cmp_sub(const void *a, const void *b)
{
    const sub *x = a, *y = b;
    return (x->minrank > y->minrank) - (x->minrank < y->minrank);
}

/* Leaves the rules ids to the caller (its tuple tables). */
static void leave_out(ctree *t, const uint32_t *ids, uint32_t m, uint8_t *left_out)
{
    for (uint32_t i = 0; i < m; i++) {
        mark_dead(t, ids[i]);
        left_out[ids[i]] = 1;
    }
}

/* Which part of a split rule r falls in: at level 0 by which addresses are
 * narrow, at level 1 (a part no tree fits) by which ports are. */
static unsigned split_part(const trec *r, unsigned level)
{
    if (level == 0)
        return (r->w[0] <= NARROW) | (r->w[1] <= NARROW) << 1;
    return (r->pw[0] <= NARROW_PORT) | (r->pw[1] <= NARROW_PORT) << 1;
}

static bool build_subset(builder *b, const uint32_t *ids, uint32_t m, unsigned level,
                         uint8_t *left_out);

/* Splits the m rules ids at `level` and builds each part; false when out
 * of memory. */
static bool build_split(builder *b, const uint32_t *ids, uint32_t m, unsigned level,
                        uint8_t *left_out)
{
    uint32_t *part = malloc(m * sizeof(*part));
    if (!part)
        return false;
    bool ok = true;
    for (unsigned p = 0; p < 4 && ok; p++) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < m; i++)
            if (split_part(&b->recs[ids[i]], level) == p)
                part[k++] = ids[i];
        if (k == m && level > 0)
            leave_out(b->t, part, k, left_out); /* this split separates nothing */
        else if (k)
            ok = build_subset(b, part, k, level + 1, left_out);
    }
    free(part);
    return ok;
}

/* A tree for the m rules ids (ascending ranks). Replication compounds down
 * a tree: past its budget, it is built again with half the space factor;
 * past it at every factor, the rules are split once more (by ports), and a
 * part no tree fits is left out. False when out of memory. */
static bool build_subset(builder *b, const uint32_t *ids, uint32_t m, unsigned level,
                         uint8_t *left_out)
{
    ctree *t = b->t;
    const uint32_t lo[NDIM] = {0};
    size_t nnodes = t->nnodes, nleaf = t->nleaf;
    uint32_t root = LEAF;
    b->limit = nnodes + nleaf + (BUDGET * (size_t)m + 1024) / sizeof(uint32_t);
    for (b->spfac = SPFAC; b->spfac && t->nsubs < MAXSUBS; b->spfac /= 2) {
        b->over = false;
        root = build_node(b, ids, m, lo, dim_bits, 0);
        if (b->nomem)
            return false;
        if (!b->over) {
            t->subs[t->nsubs++] = (sub){root, ids[0]};
            return true;
        }
        t->nnodes = nnodes;
        t->nleaf = nleaf;
    }
    if (level < NLEVELS)
        return build_split(b, ids, m, level, left_out);
    leave_out(t, ids, m, left_out);
    return true;
}

ctree *ctree_build(const entry *e, uint32_t n, uint8_t *left_out)
{
    memset(left_out, 0, n);
    ctree *t = calloc(1, sizeof(*t));
    uint32_t *ids = malloc((n ? n : 1) * sizeof(*ids));
    if (!t || !ids || !(t->recs = malloc((n ? n : 1) * sizeof(*t->recs))) ||
        !(t->cold = malloc((n ? n : 1) * sizeof(*t->cold))) ||
        !(t->gone = calloc(gone_words(n) + 1, sizeof(*t->gone))))
        goto fail;
    atomic_init(&t->refs, 1);
    builder b = {.t = t, .recs = t->recs};
    t->n = n;
    for (uint32_t i = 0; i < n; i++) {
        make_rec(&t->recs[i], &e[i]);
        t->cold[i] = (cold){e[i].prio, e[i].data, e[i].seq};
        ids[i] = i;
    }
    if (!grow((void **)&t->leaf, &b.lcap, 1, sizeof(*t->leaf)))
        goto fail;
    t->leaf[0] = CTREE_NONE;
    t->nleaf = 1;
    /* The whole set is never one tree: it is split by address first. */
    if (n && !build_split(&b, ids, n, 0, left_out))
        goto fail;
    qsort(t->subs, t->nsubs, sizeof(*t->subs), cmp_sub);
    free(ids);
    return t;
fail:
    free(ids);
    ctree_free(t);
    return NULL;
}

ctree *ctree_ref(ctree *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void ctree_free(ctree *t)
{
    /* refs is 0 only for a tree whose build failed. */
    if (!t || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) > 1)
        return;
    free(t->gone);
    free(t->nodes);
    free(t->leaf);
    free(t->recs);
    free(t->cold);
    free(t);
}

size_t ctree_bytes(const ctree *t)
{
    return sizeof(*t) + t->nnodes * sizeof(*t->nodes) + t->nleaf * sizeof(*t->leaf) +
           (size_t)t->n * (sizeof(*t->recs) + sizeof(*t->cold)) +
           (gone_words(t->n) + 1) * sizeof(*t->gone);
}

static void rec_entry(const trec *r, const cold *c, entry *e)
{
    *e = (entry){0};
    uint64_t *hi[2] = {&e->l_hi, &e->r_hi}, *lo[2] = {&e->l_lo, &e->r_lo};
    uint8_t *plen[2] = {&e->lplen, &e->rplen};
    for (int i = 0; i < 2; i++) {
        if (!(r->v4 >> i & 1))
            continue; /* a wildcard: all zero */
        *hi[i] = 0;
        *lo[i] = 0xffffull << 32 | r->lo[i];
        *plen[i] = (uint8_t)(128 - __builtin_popcount(r->w[i]));
    }
    e->lp_lo = r->plo[0];
    e->lp_hi = (uint16_t)(r->plo[0] + r->pw[0]);
    e->rp_lo = r->plo[1];
    e->rp_hi = (uint16_t)(r->plo[1] + r->pw[1]);
    e->pr_lo = r->prlo;
    e->pr_hi = (uint8_t)(r->prlo + r->prw);
    e->prio = c->prio;
    e->data = c->data;
    e->seq = c->seq;
}

uint32_t ctree_size(const ctree *t)
{
    return t->n;
}

uint64_t *ctree_gone_copy(const ctree *t)
{
    uint64_t *g = malloc(gone_words(t->n) * sizeof(*g) + 1);
    if (g)
        memcpy(g, t->gone, gone_words(t->n) * sizeof(*g));
    return g;
}

uint32_t ctree_entries_as_of(const ctree *t, const uint64_t *gone, entry *out)
{
    uint32_t m = 0;
    for (uint32_t rank = 0; rank < t->n; rank++)
        if (!(gone[rank / 64] >> (rank % 64) & 1))
            rec_entry(&t->recs[rank], &t->cold[rank], &out[m++]);
    return m;
}

uint32_t ctree_entries(const ctree *t, entry *out)
{
    return ctree_entries_as_of(t, t->gone, out);
}

void ctree_kill(ctree *t, uint32_t rank)
{
    mark_dead(t, rank);
}

uint32_t ctree_start(const ctree *t, uint64_t after)
{
    uint32_t a = 0, z = t->n;
    while (a < z) {
        uint32_t m = a + (z - a) / 2;
        if (t->cold[m].prio <= after)
            a = m + 1;
        else
            z = m;
    }
    return a;
}

void ctree_match(const ctree *t, uint32_t rank, uint64_t *prio, uint64_t *data, uint32_t *seq)
{
    *prio = t->cold[rank].prio;
    *data = t->cold[rank].data;
    *seq = t->cold[rank].seq;
}

/* The address as a tree field: its IPv4 address, or 0 and `v6` set. */
static inline uint32_t field_addr(uint64_t hi, uint64_t lo, unsigned bit, unsigned *v6)
{
    if (hi == 0 && lo >> 32 == 0xffff)
        return (uint32_t)lo;
    *v6 |= bit;
    return 0;
}

static inline bool rec_matches(const trec *r, const uint32_t *v, unsigned v6)
{
    return (v[D_L] - r->lo[0] <= r->w[0]) & (v[D_R] - r->lo[1] <= r->w[1]) &
           ((uint32_t)(uint16_t)(v[D_LP] - r->plo[0]) <= r->pw[0]) &
           ((uint32_t)(uint16_t)(v[D_RP] - r->plo[1]) <= r->pw[1]) &
           ((uint32_t)(uint8_t)(v[D_PR] - r->prlo) <= r->prw) & !(r->v4 & v6) & !r->dead;
}

uint32_t ctree_lookup(const ctree *t, const kwords *k, uint32_t start, uint32_t best)
{
    unsigned v6 = 0;
    uint32_t v[NDIM] = {field_addr(k->l_hi, k->l_lo, 1, &v6), field_addr(k->r_hi, k->r_lo, 2, &v6),
                        k->lport, k->rport, k->proto};
    for (unsigned s = 0; s < t->nsubs; s++) {
        if (t->subs[s].minrank >= best)
            break;
        uint32_t ref = t->subs[s].root;
        while (!(ref & LEAF)) {
            uint32_t h = t->nodes[ref];
            ref = t->nodes[ref + 1 + ((v[h & 7] >> (h >> 8 & 31)) & (h >> 16))];
        }
        for (const uint32_t *p = &t->leaf[ref & ~LEAF]; *p < best; p++) {
            if (*p >= start && rec_matches(&t->recs[*p], v, v6)) {
                best = *p;
                break;
            }
        }
    }
    return best;
}
