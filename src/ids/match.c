/*
 * match.c — inspecting a flow's packets: reassembly (TCP), the Hyperscan
 * scan of the new bytes, then each candidate rule confirmed option by
 * option against the stream (or the packet), flowbits and thresholds last.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ids/hslib.h"
#include "ids/internal.h"

#define THR_SLOTS    16384 /* threshold entries, a power of two */
#define THR_PROBES   8
#define SEARCH_STEPS 100000 /* content positions tried per rule and packet */
/* With no depth a stream is inspected through a window: once WINDOW bytes
 * were inspected all but their last KEEP go (a match that begins within
 * KEEP bytes before new ones is still found). */
#define WINDOW (512u << 10)
#define KEEP   (64u << 10)

struct ward_ids_flow {
    struct ward_ids_tuple t;
    char *program;
    struct ward_reasm dir[2]; /* 0: to server, 1: to client */
    size_t scanned[2];        /* stream bytes the prefilter has seen */
    uint64_t set_gen;         /* the set the bits below belong to (0: none) */
    uint8_t *bits;            /* flowbits */
    uint8_t *fired[2];        /* rules that fired, per direction */
    bool passed;
    uint64_t lost;
};

ward_ids_flow *ward_ids_flow_new(const struct ward_ids_tuple *t, const char *program,
                                 size_t flow_max, struct ward_reasm_host *host)
{
    ward_ids_flow *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->t = *t;
    if (program && !(f->program = strdup(program))) {
        free(f);
        return NULL;
    }
    for (int d = 0; d < 2; d++)
        ward_reasm_init(&f->dir[d], flow_max, host);
    return f;
}

static void flow_reset_state(ward_ids_flow *f)
{
    free(f->bits);
    free(f->fired[0]);
    free(f->fired[1]);
    f->bits = f->fired[0] = f->fired[1] = NULL;
    f->set_gen = 0;
}

void ward_ids_flow_free(ward_ids_flow *f)
{
    if (!f)
        return;
    for (int d = 0; d < 2; d++)
        ward_reasm_release(&f->dir[d]);
    flow_reset_state(f);
    free(f->program);
    free(f);
}

uint64_t ward_ids_flow_lost(const ward_ids_flow *f)
{
    return f->lost + f->dir[0].lost + f->dir[1].lost;
}

bool ward_ids_flow_done(const ward_ids_flow *f)
{
    /* The first direction to reach its depth ends the flow's inspection
     * (as Suricata's stream bypass): the other direction is not inspected
     * further either (docs/IDS.md, "Depth"). */
    return f->passed || ward_reasm_full(&f->dir[0]) || ward_reasm_full(&f->dir[1]);
}

/* The per-set state of a flow, made (again) when the set changed. */
static int flow_bind(ward_ids_flow *f, const ward_ids *ids)
{
    if (f->set_gen == ids->gen)
        return 0;
    flow_reset_state(f);
    size_t nr = (ids->n_rules + 7) / 8 + 1, nb = (ids->n_bits + 7) / 8 + 1;
    f->bits = calloc(nb, 1);
    f->fired[0] = calloc(nr, 1);
    f->fired[1] = calloc(nr, 1);
    if (!f->bits || !f->fired[0] || !f->fired[1]) {
        flow_reset_state(f);
        return -1;
    }
    f->set_gen = ids->gen;
    return 0;
}

static bool bit_get(const uint8_t *b, size_t i)
{
    return b[i / 8] >> (i % 8) & 1;
}

static void bit_put(uint8_t *b, size_t i, bool v)
{
    if (v)
        b[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        b[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* ---- one rule ---- */

struct pkt_view {
    const uint8_t *src, *dst;
    uint16_t sport, dport;
    const uint8_t *buf; /* what content and pcre see */
    size_t len;
    uint64_t base; /* stream offset of buf[0] (TCP with no depth: a window) */
    size_t dsize;  /* the packet's payload */
};

static bool header_match(const struct rule *r, const ward_ids_flow *f, const struct pkt_view *v)
{
    if (r->proto && r->proto != f->t.proto &&
        !(r->proto == 1 && f->t.proto == 58)) /* icmp: both versions */
        return false;
    if (ids_spec_addr(&r->src, v->src) && ids_spec_port(&r->sport, v->sport) &&
        ids_spec_addr(&r->dst, v->dst) && ids_spec_port(&r->dport, v->dport))
        return true;
    return r->both_ways && ids_spec_addr(&r->src, v->dst) && ids_spec_port(&r->sport, v->dport) &&
           ids_spec_addr(&r->dst, v->src) && ids_spec_port(&r->dport, v->sport);
}

static bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n, bool nocase)
{
    if (!nocase)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (tolower(a[i]) != tolower(b[i]))
            return false;
    return true;
}

/* The first occurrence of c in buf[lo, hi) at or after lo, or -1. */
static long find(const struct content *c, const uint8_t *buf, long lo, long hi, long *steps)
{
    for (long p = lo; p + (long)c->len <= hi; p++) {
        if (--*steps < 0)
            return -1;
        if (!c->nocase) {
            const uint8_t *hit = memmem(buf + p, (size_t)(hi - p), c->bytes, c->len);
            return hit ? hit - buf : -1;
        }
        if (bytes_eq(buf + p, c->bytes, c->len, true))
            return p;
    }
    return -1;
}

/* Contents i.. match, the previous one having ended at prev_end. */
static bool contents_from(const struct rule *r, size_t i, const struct pkt_view *v, long prev_end,
                          long *steps)
{
    if (i == r->n_contents)
        return true;
    const struct content *c = &r->contents[i];
    long lo = 0, hi = (long)v->len;
    if (c->has_distance || c->has_within) {
        long dist = c->has_distance ? c->distance : 0;
        lo = prev_end + dist;
        if (c->has_within && prev_end + dist + c->within < hi)
            hi = prev_end + dist + c->within;
        if (lo < 0)
            lo = 0;
    } else {
        /* offset and depth count from the stream's start, not the window's */
        lo = (c->has_offset ? (long)c->offset : 0) - (long)v->base;
        if (c->has_depth && lo + c->depth < hi)
            hi = lo + c->depth;
        if (lo < 0)
            lo = 0;
    }
    if (c->neg) {
        if (find(c, v->buf, lo, hi, steps) >= 0 || *steps < 0)
            return false;
        return contents_from(r, i + 1, v, prev_end, steps);
    }
    for (long p = find(c, v->buf, lo, hi, steps); p >= 0; p = find(c, v->buf, p + 1, hi, steps))
        if (contents_from(r, i + 1, v, p + (long)c->len, steps))
            return true;
    return false;
}

static bool dsize_match(const struct rule *r, size_t n)
{
    switch (r->dsize) {
    case DSIZE_NONE:
        return true;
    case DSIZE_EQ:
        return n == r->dsize_a;
    case DSIZE_LT:
        return n < r->dsize_a;
    case DSIZE_GT:
        return n > r->dsize_a;
    case DSIZE_RANGE:
        return n >= r->dsize_a && n <= r->dsize_b;
    }
    return false;
}

static bool options_match(ward_ids *ids, const struct rule *r, const ward_ids_flow *f,
                          const struct ward_ids_pkt *p, const struct pkt_view *v)
{
    if ((r->flow_to_server && !p->to_server) || (r->flow_to_client && p->to_server) ||
        (r->flow_established && !p->established))
        return false;
    if (!dsize_match(r, v->dsize))
        return false;
    if (r->program && (!f->program || fnmatch(r->program, f->program, FNM_PATHNAME) != 0))
        return false;
    for (size_t i = 0; i < r->n_flowbits; i++) {
        const struct flowbit *b = &r->flowbits[i];
        if ((b->op == FB_ISSET && !bit_get(f->bits, b->bit)) ||
            (b->op == FB_ISNOTSET && bit_get(f->bits, b->bit)))
            return false;
    }
    long steps = SEARCH_STEPS;
    if (!contents_from(r, 0, v, 0, &steps))
        return false;
    for (size_t i = 0; i < r->n_pcres; i++)
        if (pcre2_match(r->pcres[i], v->buf, v->len, 0, 0, ids->md, NULL) < 0)
            return false;
    return true;
}

/* Whether the threshold lets this event be reported. */
static bool threshold_pass(ward_ids *ids, uint32_t rule, const uint8_t addr[16], uint64_t now)
{
    const struct rule *r = &ids->rules[rule];
    if (r->thr == THR_NONE)
        return true;
    if (!ids->thr && !(ids->thr = calloc(THR_SLOTS, sizeof(*ids->thr))))
        return true;
    uint64_t h = rule * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 0x100000001b3ull;
    struct thr_entry *e = NULL, *oldest = NULL;
    for (int k = 0; k < THR_PROBES; k++) {
        struct thr_entry *s = &ids->thr[(h + (uint64_t)k) & (THR_SLOTS - 1)];
        if (s->used && s->rule == rule && !memcmp(s->addr, addr, 16)) {
            e = s;
            break;
        }
        if (!oldest || !s->used || (oldest->used && s->start < oldest->start))
            oldest = s;
    }
    if (!e) {
        e = oldest;
        memset(e, 0, sizeof(*e));
        e->used = true;
        e->rule = rule;
        memcpy(e->addr, addr, 16);
        e->start = now;
    }
    if (now - e->start >= r->thr_seconds) {
        e->start = now;
        e->count = 0;
    }
    e->count++;
    switch (r->thr) {
    case THR_LIMIT:
        return e->count <= r->thr_count;
    case THR_THRESHOLD:
        if (e->count < r->thr_count)
            return false;
        e->count = 0;
        return true;
    case THR_BOTH:
        return e->count == r->thr_count;
    case THR_NONE:
        break;
    }
    return true;
}

/* ---- one packet ---- */

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                       void *ctx)
{
    ((uint8_t *)ctx)[id] = 1;
    return 0;
}

/* Marks the candidates among ids->cand: the prefilter's hits in
 * buf[from, len) (with enough bytes before it for a pattern that began
 * earlier) and the rules without a pattern. */
static void candidates(ward_ids *ids, const uint8_t *buf, size_t len, size_t from)
{
    memset(ids->cand, 0, ids->n_rules);
    for (size_t i = 0; i < ids->n_always; i++)
        ids->cand[ids->always[i]] = 1;
    if (!ids->db || len == from)
        return;
    size_t back = ids->max_fast > 1 ? ids->max_fast - 1 : 0;
    size_t start = from > back ? from - back : 0;
    ids->hs->scan(ids->db, (const char *)buf + start, (unsigned)(len - start), 0, ids->scratch,
                  on_hs_match, ids->cand);
}

static enum ward_ids_action stronger(enum ward_ids_action a, enum ward_ids_action b)
{
    static const int rank[] = {[WARD_IDS_NONE] = 0,
                               [WARD_IDS_ALERT] = 1,
                               [WARD_IDS_DROP] = 2,
                               [WARD_IDS_REJECT] = 3,
                               [WARD_IDS_PASS] = 4};
    return rank[b] > rank[a] ? b : a;
}

enum ward_ids_action ward_ids_inspect(ward_ids *ids, ward_ids_flow *f, const struct ward_ids_pkt *p,
                                      uint64_t now, ward_ids_alert_fn fn, void *ctx)
{
    int d = p->to_server ? 0 : 1;
    struct pkt_view v = {
        .src = p->to_server ? f->t.client : f->t.server,
        .dst = p->to_server ? f->t.server : f->t.client,
        .sport = p->to_server ? f->t.client_port : f->t.server_port,
        .dport = p->to_server ? f->t.server_port : f->t.client_port,
        .buf = p->data,
        .len = p->len,
        .dsize = p->len,
    };
    bool tcp = f->t.proto == 6;
    size_t from = 0;
    if (tcp) {
        struct ward_reasm *r = &f->dir[d];
        if (p->syn)
            ward_reasm_start(r, p->seq + 1);
        if (p->len == 0 || f->passed)
            return f->passed ? WARD_IDS_PASS : WARD_IDS_NONE;
        long added = ward_reasm_add(r, p->syn ? p->seq + 1 : p->seq, p->data, p->len);
        if (added < 0) {
            f->lost += p->len;
            return WARD_IDS_NONE;
        }
        if (added == 0)
            return WARD_IDS_NONE;
        if (r->flow_max == SIZE_MAX && f->scanned[d] > WINDOW) {
            size_t drop = f->scanned[d] - KEEP;
            ward_reasm_slide(r, r->len - drop);
            f->scanned[d] -= drop;
        }
        v.buf = r->buf;
        v.len = r->len;
        v.base = r->base;
        from = f->scanned[d];
        f->scanned[d] = r->len;
    } else if (f->passed) {
        return WARD_IDS_PASS;
    }
    if (ids->n_rules == 0 || flow_bind(f, ids) < 0)
        return WARD_IDS_NONE;
    candidates(ids, v.buf, v.len, from);
    enum ward_ids_action out = WARD_IDS_NONE;
    /* Matches first, effects after: a pass anywhere wins, and flowbits set
     * by one rule are seen by the next packet, not by a rule of this one. */
    uint32_t hits[64];
    size_t n_hits = 0;
    for (size_t i = 0; i < ids->n_rules && n_hits < 64; i++) {
        if (!ids->cand[i] || (tcp && bit_get(f->fired[d], i)))
            continue;
        const struct rule *r = &ids->rules[i];
        if (header_match(r, f, &v) && options_match(ids, r, f, p, &v))
            hits[n_hits++] = (uint32_t)i;
    }
    for (size_t k = 0; k < n_hits; k++)
        if (ids->rules[hits[k]].action == WARD_IDS_PASS) {
            f->passed = true;
            return WARD_IDS_PASS;
        }
    for (size_t k = 0; k < n_hits; k++) {
        const struct rule *r = &ids->rules[hits[k]];
        if (tcp)
            bit_put(f->fired[d], hits[k], true);
        for (size_t i = 0; i < r->n_flowbits; i++)
            if (r->flowbits[i].op == FB_SET || r->flowbits[i].op == FB_UNSET)
                bit_put(f->bits, r->flowbits[i].bit, r->flowbits[i].op == FB_SET);
        if (r->noalert || !threshold_pass(ids, hits[k], r->thr_by_dst ? v.dst : v.src, now))
            continue;
        out = stronger(out, r->action);
        struct ward_ids_alert a = {.sid = r->sid,
                                   .rev = r->rev,
                                   .priority = r->priority,
                                   .action = r->action,
                                   .msg = r->msg,
                                   .classtype = r->classtype};
        if (fn)
            fn(&a, ctx);
    }
    return out;
}
