/*
 * classbench_gen — ClassBench-like rule sets and traces for bench/run.
 *
 *   classbench_gen FAMILY N SEED RULES_OUT TRACE_OUT [TRACE_LINES]
 *
 * FAMILY is acl, fw or ipc: the prefix-length and port-range mixes of the
 * ClassBench seed families (Taylor & Turner 2007), approximated:
 *   acl  mostly /32-ish destinations, exact destination ports, few ranges;
 *   fw   many wildcards and port ranges;
 *   ipc  in between.
 * Addresses come from a pool of /16 networks so prefixes nest and overlap
 * as in real policies. Trace headers are mostly drawn from inside a random
 * rule (a corner or a random point of each range, as ClassBench's trace
 * generator does) and partly random. Output is deterministic for a seed.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64: small, fast, reproducible everywhere. */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rndn(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

/* Weighted choice among buckets: w[] sums to 100. */
static int pick(const int *w, int n)
{
    int r = (int)rndn(100);
    for (int i = 0; i < n; i++) {
        if (r < w[i])
            return i;
        r -= w[i];
    }
    return n - 1;
}

/* Prefix-length mix: buckets {0, 8..15, 16..23, 24..31, 32}. */
typedef struct family {
    const char *name;
    int src_len[5], dst_len[5];
    int sport[3], dport[3]; /* {wildcard, exact, range} */
    int proto[4];           /* {tcp, udp, icmp, any} */
} family;

static const family families[] = {
    {"acl", {35, 2, 10, 23, 30}, {5, 1, 6, 28, 60}, {97, 2, 1}, {20, 65, 15}, {75, 15, 2, 8}},
    {"fw", {50, 5, 10, 15, 20}, {35, 3, 10, 22, 30}, {75, 5, 20}, {35, 35, 30}, {45, 25, 0, 30}},
    {"ipc", {25, 5, 15, 25, 30}, {20, 2, 15, 23, 40}, {80, 10, 10}, {30, 50, 20}, {50, 30, 5, 15}},
};

typedef struct rule {
    uint32_t src, dst;
    int slen, dlen;
    uint32_t splo, sphi, dplo, dphi;
    int proto; /* -1 = any */
    int order; /* sort key: specificity plus noise */
} rule;

/* How narrow a rule is, in bits of header space it fixes. */
static int specificity(const rule *r)
{
    int bits = r->slen + r->dlen + (r->proto >= 0 ? 8 : 0);
    for (uint32_t w = r->sphi - r->splo + 1; w < 65536; w <<= 1)
        bits++;
    for (uint32_t w = r->dphi - r->dplo + 1; w < 65536; w <<= 1)
        bits++;
    return bits;
}

static int cmp_order(const void *a, const void *b)
{
    const rule *x = a, *y = b;
    return (x->order < y->order) - (x->order > y->order);
}

static bool same_rule(const rule *a, const rule *b)
{
    return a->src == b->src && a->dst == b->dst && a->slen == b->slen && a->dlen == b->dlen &&
           a->splo == b->splo && a->sphi == b->sphi && a->dplo == b->dplo && a->dphi == b->dphi &&
           a->proto == b->proto;
}

/* A small open-addressing set of rules, so the set has no duplicates. */
static uint64_t rule_hash(const rule *r)
{
    uint64_t h =
        (uint64_t)r->src * 0x9e3779b97f4a7c15ull ^ (uint64_t)r->dst * 0xc2b2ae3d27d4eb4full;
    h ^= ((uint64_t)r->slen << 8 | (uint64_t)r->dlen) * 0x165667b19e3779f9ull;
    h ^= ((uint64_t)r->splo << 48 | (uint64_t)r->sphi << 32 | r->dplo << 16 | r->dphi) *
         0x27d4eb2f165667c5ull;
    h ^= (uint64_t)(r->proto + 1) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

static uint32_t *pool;
static uint32_t npool;

static const uint16_t common_ports[] = {80,  443, 22,   25,   53,   21,   23,   110,  143, 161,
                                        389, 445, 1521, 3306, 3389, 5060, 8080, 8443, 123, 514};

static uint32_t pool_addr(void)
{
    /* Skewed: a few networks hold most rules, as in real address plans. */
    uint32_t i = rndn(npool);
    if (rndn(2))
        i = rndn(i + 1);
    return pool[i] | (rndn(1u << 16));
}

static int gen_len(const int *w)
{
    switch (pick(w, 5)) {
    case 0:
        return 0;
    case 1:
        return 8 + (int)rndn(8);
    case 2:
        return rndn(2) ? 16 : 16 + (int)rndn(8);
    case 3:
        return rndn(2) ? 24 : 24 + (int)rndn(8);
    default:
        return 32;
    }
}

static uint32_t prefix_mask(int len)
{
    return len ? ~0u << (32 - len) : 0;
}

static void gen_port(const int *w, uint32_t *lo, uint32_t *hi)
{
    switch (pick(w, 3)) {
    case 0:
        *lo = 0;
        *hi = 65535;
        break;
    case 1:
        *lo = *hi = rndn(3) ? common_ports[rndn(sizeof(common_ports) / sizeof(*common_ports))]
                            : rndn(65536);
        break;
    default:
        switch (rndn(5)) {
        case 0:
        case 1:
            *lo = 1024;
            *hi = 65535;
            break;
        case 2:
            *lo = 0;
            *hi = 1023;
            break;
        default: {
            uint32_t size = 1u << (1 + rndn(10));
            *lo = rndn(65536 - size);
            *hi = *lo + size - 1;
        }
        }
    }
}

static void gen_rule(const family *f, rule *r)
{
    r->slen = gen_len(f->src_len);
    r->dlen = gen_len(f->dst_len);
    r->src = pool_addr() & prefix_mask(r->slen);
    r->dst = pool_addr() & prefix_mask(r->dlen);
    gen_port(f->sport, &r->splo, &r->sphi);
    gen_port(f->dport, &r->dplo, &r->dphi);
    static const int protos[] = {6, 17, 1, -1};
    r->proto = protos[pick(f->proto, 4)];
    if (r->proto == 1 || r->proto == -1) {
        /* ICMP has no ports; ClassBench's any-protocol rules rarely do. */
        if (r->proto == 1 || rndn(4)) {
            r->splo = r->dplo = 0;
            r->sphi = r->dphi = 65535;
        }
    }
}

static void print_ip(FILE *o, uint32_t a)
{
    fprintf(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* A value of [lo, hi]: often a corner, as ClassBench picks them. */
static uint32_t in_range(uint32_t lo, uint32_t hi)
{
    switch (rndn(4)) {
    case 0:
        return lo;
    case 1:
        return hi;
    default:
        return lo + rndn(hi - lo + 1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s acl|fw|ipc N SEED RULES_OUT TRACE_OUT [TRACE_LINES]\n", argv[0]);
        return 2;
    }
    const family *f = NULL;
    for (size_t i = 0; i < sizeof(families) / sizeof(*families); i++)
        if (strcmp(argv[1], families[i].name) == 0)
            f = &families[i];
    long n = strtol(argv[2], NULL, 10);
    if (!f || n <= 0) {
        fprintf(stderr, "classbench_gen: unknown family '%s' or bad N\n", argv[1]);
        return 2;
    }
    rng_state = strtoull(argv[3], NULL, 10) * 0x100000001b3ull + (uint64_t)n;
    long lines = argc > 6 ? strtol(argv[6], NULL, 10) : 100000;

    npool = (uint32_t)(n / 16 < 32 ? 32 : n / 16);
    pool = malloc(npool * sizeof(*pool));
    rule *rules = malloc((size_t)n * sizeof(*rules));
    if (!pool || !rules)
        return 1;
    for (uint32_t i = 0; i < npool; i++)
        pool[i] = (uint32_t)(rnd() & 0xffff0000u);

    FILE *ro = fopen(argv[4], "w"), *to = fopen(argv[5], "w");
    if (!ro || !to) {
        perror("classbench_gen");
        return 1;
    }
    /* Unique rules, then most specific first (with noise): a policy lists
     * exceptions before the broad rules they carve out of, and a broad rule
     * early would shadow the narrower ones after it. */
    size_t hsize = 1;
    while (hsize < (size_t)n * 2)
        hsize <<= 1;
    long *set = malloc(hsize * sizeof(*set));
    if (!set)
        return 1;
    memset(set, 0xff, hsize * sizeof(*set));
    for (long i = 0; i < n;) {
        rule *r = &rules[i];
        gen_rule(f, r);
        size_t j = rule_hash(r) & (hsize - 1);
        while (set[j] >= 0 && !same_rule(&rules[set[j]], r))
            j = (j + 1) & (hsize - 1);
        if (set[j] >= 0)
            continue;
        set[j] = i;
        r->order = specificity(r) * 4 + (int)rndn(48);
        i++;
    }
    free(set);
    qsort(rules, (size_t)n, sizeof(*rules), cmp_order);
    for (long i = 0; i < n; i++) {
        const rule *r = &rules[i];
        fputc('@', ro);
        print_ip(ro, r->src);
        fprintf(ro, "/%d\t", r->slen);
        print_ip(ro, r->dst);
        fprintf(ro, "/%d\t%u : %u\t%u : %u\t", r->dlen, r->splo, r->sphi, r->dplo, r->dphi);
        if (r->proto < 0)
            fprintf(ro, "0x00/0x00\t0x0000/0x0000\n");
        else
            fprintf(ro, "0x%02X/0xFF\t0x0000/0x0000\n", r->proto);
    }
    for (long i = 0; i < lines; i++) {
        uint32_t s, d, sp, dp, pr;
        long from = 0;
        if (rndn(100) < 90) {
            from = (long)rndn((uint32_t)n);
            const rule *r = &rules[from];
            s = r->src | (pool_addr() & ~prefix_mask(r->slen));
            d = r->dst | (pool_addr() & ~prefix_mask(r->dlen));
            sp = in_range(r->splo, r->sphi);
            dp = in_range(r->dplo, r->dphi);
            pr = r->proto >= 0 ? (uint32_t)r->proto : (rndn(4) ? (rndn(2) ? 6 : 17) : rndn(256));
            from++;
        } else {
            s = rndn(2) ? pool_addr() : (uint32_t)rnd();
            d = rndn(2) ? pool_addr() : (uint32_t)rnd();
            sp = rndn(65536);
            dp = rndn(2) ? common_ports[rndn(sizeof(common_ports) / sizeof(*common_ports))]
                         : rndn(65536);
            pr = rndn(2) ? 6 : rndn(2) ? 17 : 1;
        }
        fprintf(to, "%u\t%u\t%u\t%u\t%u\t0\t%ld\n", s, d, sp, dp, pr, from);
    }
    if (fclose(ro) || fclose(to)) {
        perror("classbench_gen");
        return 1;
    }
    free(rules);
    free(pool);
    return 0;
}
