/*
 * test_classifier.c — the indexed classifier against the linear reference.
 *
 * Hand-written cases pin the semantics (cursor, shared priorities, mapped
 * IPv4, refused rules); the differential cases then drive both with the same
 * seeded random operations — inserts, bulk inserts and removals interleaved,
 * IPv4 and IPv6 mixed, priorities shared — and compare every match sequence
 * (after = 0, then the priority last seen, until none). The same sessions
 * run again with rebuilds aside: built on a thread from a snapshot while
 * the updates and checks go on, then installed (or dropped).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/classifier.h"

/* ---- Helpers --------------------------------------------------------------- */

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rndn(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static ward_ip v4(uint32_t a)
{
    ward_ip ip = {{0}};
    ip.b[10] = ip.b[11] = 0xff;
    ip.b[12] = (uint8_t)(a >> 24);
    ip.b[13] = (uint8_t)(a >> 16);
    ip.b[14] = (uint8_t)(a >> 8);
    ip.b[15] = (uint8_t)a;
    return ip;
}

static cls_rule any_rule(uint64_t prio, uint64_t data)
{
    return (cls_rule){
        .lport = {0, 65535}, .rport = {0, 65535}, .proto = {0, 255}, .prio = prio, .data = data};
}

static cls_key key4(uint32_t l, uint32_t r, uint16_t lp, uint16_t rp, uint8_t proto)
{
    return (cls_key){v4(l), v4(r), lp, rp, proto};
}

/* Walks all matches of both and checks they agree step by step. */
static void check_walk(const cls *c, const cls_linear *lin, const cls_key *k)
{
    uint64_t after = 0;
    for (int steps = 0;; steps++) {
        cls_match a = {0}, b = {0};
        bool fa = cls_lookup(c, k, after, &a);
        bool fb = cls_linear_lookup(lin, k, after, &b);
        assert_int_equal(fa, fb);
        if (!fa)
            return;
        assert_int_equal(a.prio, b.prio);
        assert_int_equal(a.data, b.data);
        assert_true(a.prio > after);
        after = a.prio;
        assert_true(steps < 100000);
    }
}

/* ---- Semantics ------------------------------------------------------------- */

static void test_basic_and_cursor(void **state)
{
    (void)state;
    cls *c = cls_new();
    assert_non_null(c);
    cls_rule r = any_rule(10, 100);
    r.raddr = (ward_cidr){v4(0x0a000000), 96 + 8}; /* 10.0.0.0/8 */
    r.rport = (ward_range){80, 80};
    r.proto = (ward_range){6, 6};
    assert_int_equal(cls_insert(c, &r), 0);
    cls_rule r2 = any_rule(5, 50);
    r2.raddr = (ward_cidr){v4(0x0a010200), 96 + 24}; /* 10.1.2.0/24 */
    r2.rport = (ward_range){1, 1024};
    assert_int_equal(cls_insert(c, &r2), 0);
    cls_rule r3 = any_rule(20, 200); /* matches everything */
    assert_int_equal(cls_insert(c, &r3), 0);
    assert_int_equal(cls_rule_count(c), 3);

    cls_key k = key4(0xc0a80001, 0x0a010203, 40000, 80, 6);
    cls_match m;
    assert_true(cls_lookup(c, &k, 0, &m));
    assert_int_equal(m.prio, 5);
    assert_int_equal(m.data, 50);
    assert_true(cls_lookup(c, &k, 5, &m));
    assert_int_equal(m.prio, 10);
    assert_true(cls_lookup(c, &k, 10, &m));
    assert_int_equal(m.prio, 20);
    assert_false(cls_lookup(c, &k, 20, &m));

    k = key4(0xc0a80001, 0x0a090203, 40000, 80, 17); /* UDP: only r3 */
    assert_true(cls_lookup(c, &k, 0, &m));
    assert_int_equal(m.prio, 20);

    assert_int_equal(cls_remove(c, 5), 1);
    assert_int_equal(cls_remove(c, 5), 0);
    k = key4(0xc0a80001, 0x0a010203, 40000, 80, 6);
    assert_true(cls_lookup(c, &k, 0, &m));
    assert_int_equal(m.prio, 10);
    assert_int_equal(cls_remove(c, 10), 1);
    assert_int_equal(cls_remove(c, 20), 1);
    assert_int_equal(cls_rule_count(c), 0);
    assert_false(cls_lookup(c, &k, 0, &m));
    cls_free(c);
}

static void test_shared_priority(void **state)
{
    (void)state;
    cls *c = cls_new();
    cls_linear *lin = cls_linear_new();
    /* One filter listing ports 22, 80 and 443: three rules, one prio. */
    uint16_t ports[] = {22, 80, 443};
    for (int i = 0; i < 3; i++) {
        cls_rule r = any_rule(7, 1000 + (uint64_t)i);
        r.rport = (ward_range){ports[i], ports[i]};
        assert_int_equal(cls_insert(c, &r), 0);
        assert_int_equal(cls_linear_insert(lin, &r), 0);
    }
    /* Two rules of one prio matching the same key: the first inserted wins. */
    cls_rule a = any_rule(3, 1), b = any_rule(3, 2);
    b.raddr = (ward_cidr){v4(0x01020304), 128};
    assert_int_equal(cls_insert(c, &b), 0);
    assert_int_equal(cls_linear_insert(lin, &b), 0);
    assert_int_equal(cls_insert(c, &a), 0);
    assert_int_equal(cls_linear_insert(lin, &a), 0);
    cls_key k = key4(1, 0x01020304, 1, 80, 6);
    cls_match m;
    assert_true(cls_lookup(c, &k, 0, &m));
    assert_int_equal(m.prio, 3);
    assert_int_equal(m.data, 2);
    check_walk(c, lin, &k);
    assert_true(cls_lookup(c, &k, 3, &m));
    assert_int_equal(m.prio, 7);
    assert_int_equal(m.data, 1001);
    assert_int_equal(cls_remove(c, 7), 3);
    assert_int_equal(cls_linear_remove(lin, 7), 3);
    assert_int_equal(cls_remove(c, 3), 2);
    assert_int_equal(cls_rule_count(c), 0);
    cls_free(c);
    cls_linear_free(lin);
}

static void test_mapped_and_v6(void **state)
{
    (void)state;
    cls *c = cls_new();
    cls_rule v6only = any_rule(1, 1); /* 2001:db8::/32 */
    v6only.laddr.ip.b[0] = 0x20;
    v6only.laddr.ip.b[1] = 0x01;
    v6only.laddr.ip.b[2] = 0x0d;
    v6only.laddr.ip.b[3] = 0xb8;
    v6only.laddr.plen = 32;
    cls_rule all_v4 = any_rule(2, 2); /* ::ffff:0:0/96: every IPv4 address */
    all_v4.laddr = (ward_cidr){v4(0), 96};
    cls_rule host_bits = any_rule(3, 3); /* host bits past plen are ignored */
    host_bits.laddr = (ward_cidr){v4(0x7f0000ff), 96 + 8};
    cls_rule everything = any_rule(4, 4);
    assert_int_equal(cls_insert(c, &v6only), 0);
    assert_int_equal(cls_insert(c, &all_v4), 0);
    assert_int_equal(cls_insert(c, &host_bits), 0);
    assert_int_equal(cls_insert(c, &everything), 0);

    /* Once in the tables, once with the IPv4-only and wildcard rules in
     * the tree (the IPv6 one stays in a table). */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            assert_int_equal(cls_optimize(c), 0);
        cls_match m;
        cls_key k = key4(0x7f000001, 0, 0, 0, 0);
        assert_true(cls_lookup(c, &k, 0, &m));
        assert_int_equal(m.prio, 2);
        assert_true(cls_lookup(c, &k, 2, &m));
        assert_int_equal(m.prio, 3);
        cls_key k6 = {.laddr = v6only.laddr.ip};
        k6.laddr.b[15] = 9;
        assert_true(cls_lookup(c, &k6, 0, &m));
        assert_int_equal(m.prio, 1);
        assert_true(cls_lookup(c, &k6, 1, &m));
        assert_int_equal(m.prio, 4);
    }
    assert_int_equal(cls_rule_count(c), 4);
    cls_free(c);
}

static void test_invalid_rules(void **state)
{
    (void)state;
    cls *c = cls_new();
    cls_linear *lin = cls_linear_new();
    cls_rule bad[5];
    for (int i = 0; i < 5; i++)
        bad[i] = any_rule(1, 0);
    bad[0].prio = 0;
    bad[1].laddr.plen = 129;
    bad[2].lport = (ward_range){10, 9};
    bad[3].proto = (ward_range){256, 300};
    bad[4].rport = (ward_range){70000, 80000};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cls_insert(c, &bad[i]), WARD_E_INVAL);
        assert_int_equal(cls_linear_insert(lin, &bad[i]), WARD_E_INVAL);
    }
    assert_int_equal(cls_insert_bulk(c, bad, 5), WARD_E_INVAL);
    assert_int_equal(cls_rule_count(c), 0);
    /* A range reaching past the field is clipped, not refused. */
    cls_rule wide = any_rule(1, 0);
    wide.rport = (ward_range){100, 0xffffffffu};
    assert_int_equal(cls_insert(c, &wide), 0);
    assert_int_equal(cls_linear_insert(lin, &wide), 0);
    cls_key k = key4(1, 2, 3, 65535, 6);
    check_walk(c, lin, &k);
    assert_int_equal(cls_remove(c, 0), 0);
    cls_free(c);
    cls_linear_free(lin);
}

/* ---- Differential ---------------------------------------------------------- */

/* Address bases shared by rules and keys, so prefixes nest and collide. */
static ward_ip pool[24];

static void make_pool(void)
{
    for (size_t i = 0; i < sizeof(pool) / sizeof(*pool); i++) {
        if (i % 3 == 2) { /* IPv6 */
            for (int b = 0; b < 16; b++)
                pool[i].b[b] = (uint8_t)rnd();
            pool[i].b[0] = (uint8_t)(0x20 | (i & 1));
        } else {
            pool[i] = v4((uint32_t)rnd() & (i % 3 ? 0xffff0000u : 0xff000000u));
        }
    }
}

static ward_ip rand_addr(void)
{
    ward_ip ip = pool[rndn(sizeof(pool) / sizeof(*pool))];
    /* Vary the low bytes a little: hits inside and outside prefixes. */
    int from = ip.b[10] == 0xff ? 13 + (int)rndn(3) : 4 + (int)rndn(12);
    for (int b = from; b < 16; b++)
        if (rndn(2))
            ip.b[b] = (uint8_t)rndn(4);
    return ip;
}

static ward_cidr rand_cidr(void)
{
    ward_cidr c = {rand_addr(), 0};
    switch (rndn(6)) {
    case 0:
        c.plen = 0;
        break;
    case 1:
        c.plen = (uint8_t)rndn(129);
        break;
    case 2:
        c.plen = 128;
        break;
    default:
        c.plen = (uint8_t)(c.ip.b[10] == 0xff ? 96 + rndn(33) : rndn(129));
    }
    return c;
}

static ward_range rand_port(void)
{
    static const uint16_t common[] = {22, 53, 80, 443, 1024, 8080};
    switch (rndn(5)) {
    case 0:
    case 1:
        return (ward_range){0, 65535};
    case 2: {
        uint32_t p = common[rndn(6)];
        return (ward_range){p, p};
    }
    case 3: {
        uint32_t lo = rndn(2) ? common[rndn(6)] : rndn(65536);
        uint32_t hi = lo + rndn(2000);
        return (ward_range){lo, hi > 65535 ? 65535 : hi};
    }
    default: {
        uint32_t size = 1u << rndn(16), lo = rndn(65536) & ~(size - 1);
        return (ward_range){lo, lo + size - 1};
    }
    }
}

static cls_rule rand_rule(uint64_t maxprio)
{
    cls_rule r = {.laddr = rand_cidr(), .raddr = rand_cidr()};
    r.lport = rand_port();
    r.rport = rand_port();
    switch (rndn(4)) {
    case 0:
        r.proto = (ward_range){0, 255};
        break;
    case 1: {
        uint32_t lo = rndn(20);
        r.proto = (ward_range){lo, lo + rndn(10)};
        break;
    }
    default: {
        static const uint32_t p[] = {1, 6, 17};
        uint32_t v = p[rndn(3)];
        r.proto = (ward_range){v, v};
    }
    }
    r.prio = 1 + rndn((uint32_t)maxprio);
    r.data = rnd();
    return r;
}

static uint16_t rand_in(ward_range r)
{
    return (uint16_t)(r.lo + rndn(r.hi - r.lo + 1));
}

/* A key: often inside a rule, sometimes anywhere. */
static cls_key rand_key(const cls_rule *rules, size_t n)
{
    cls_key k = {rand_addr(), rand_addr(), (uint16_t)rndn(65536), (uint16_t)rndn(65536),
                 (uint8_t)(rndn(3) ? (rndn(2) ? 6 : 17) : rndn(256))};
    if (n && rndn(4)) {
        const cls_rule *r = &rules[rndn((uint32_t)n)];
        k.laddr = r->laddr.ip;
        k.raddr = r->raddr.ip;
        /* Random bits past each prefix. */
        for (int b = r->laddr.plen / 8 + (r->laddr.plen % 8 != 0); b < 16; b++)
            k.laddr.b[b] = rndn(2) ? (uint8_t)rnd() : k.laddr.b[b];
        for (int b = r->raddr.plen / 8 + (r->raddr.plen % 8 != 0); b < 16; b++)
            k.raddr.b[b] = rndn(2) ? (uint8_t)rnd() : k.raddr.b[b];
        k.lport = rand_in(r->lport);
        k.rport = rand_in(r->rport);
        k.proto = (uint8_t)rand_in(r->proto);
    }
    return k;
}

/* ---- Rebuilds aside -------------------------------------------------------- */

/* A rebuild taken off a classifier and built on a thread of its own. */
struct aside {
    ward_rebuild *job;
    pthread_t thread;
    bool joined; /* built: being installed */
};

static size_t installed; /* rebuilds put in force, over all sessions */

static void *build_job(void *job)
{
    assert_int_equal(ward_rebuild_run(job), 0);
    return NULL;
}

/* Starts a rebuild if one is due and none runs. */
static void aside_start(cls *c, struct aside *a)
{
    if (a->job || !(a->job = cls_rebuild_take(c)))
        return;
    assert_null(cls_rebuild_take(c)); /* one at a time */
    assert_int_equal(pthread_create(&a->thread, NULL, build_job, a->job), 0);
}

/* One step of the install: waits for the build, then replays a slice of
 * the log; once all is in force, or drop, frees the job. An index rebuilt
 * otherwise meanwhile (cls_optimize, a batch) refuses it. Returns whether
 * the job is done with. */
static bool aside_step(struct aside *a, bool drop)
{
    if (!a->job)
        return true;
    if (!a->joined)
        assert_int_equal(pthread_join(a->thread, NULL), 0);
    a->joined = true;
    if (!drop) {
        int rc = ward_rebuild_install(a->job);
        if (rc == 1)
            return false; /* more of the log: updates may come between */
        assert_true(rc == 0 || rc == WARD_E_NOENT);
        installed += rc == 0;
    }
    ward_rebuild_free(a->job);
    *a = (struct aside){0};
    return true;
}

static void aside_finish(struct aside *a)
{
    while (!aside_step(a, false))
        ;
}

/* One random session: inserts, bulk inserts and removals interleaved, with
 * every match sequence compared along the way; with `aside`, rebuilds run
 * on a thread meanwhile. Returns the rules left. */
static size_t run_session_mode(uint64_t seed, size_t max_rules, size_t keys_per_check, bool aside)
{
    rng = seed;
    make_pool();
    cls *c = cls_new();
    cls_linear *lin = cls_linear_new();
    assert_non_null(c);
    assert_non_null(lin);
    struct aside bg = {0};
    if (aside)
        cls_set_deferred(c, true);
    size_t cap = max_rules + 64, n = 0, count = 0;
    cls_rule *seen = calloc(cap, sizeof(*seen)); /* rules ever inserted: key sources */
    assert_non_null(seen);
    /* Few distinct priorities: shared ones are common. */
    uint64_t maxprio = 1 + rndn((uint32_t)max_rules);
    size_t ops = 1 + rndn((uint32_t)(max_rules * 2));
    for (size_t op = 0; op < ops; op++) {
        uint32_t what = rndn(100);
        if (aside && rndn(8) == 0) {
            if (bg.job && rndn(2))
                aside_step(&bg, rndn(8) == 0);
            else
                aside_start(c, &bg);
        } else if (what < 60 && n < cap) {
            cls_rule r = rand_rule(maxprio);
            assert_int_equal(cls_insert(c, &r), 0);
            assert_int_equal(cls_linear_insert(lin, &r), 0);
            seen[n++] = r;
            count++;
        } else if (what < 70 && n + 16 < cap) {
            cls_rule batch[16];
            size_t m = 1 + rndn(16);
            for (size_t i = 0; i < m; i++) {
                batch[i] = rand_rule(maxprio);
                assert_int_equal(cls_linear_insert(lin, &batch[i]), 0);
                seen[n++] = batch[i];
            }
            assert_int_equal(cls_insert_bulk(c, batch, m), 0);
            count += m;
        } else if (what < 71 && rndn(4) == 0) {
            /* The tree takes the rules; later updates go beside it. */
            assert_int_equal(cls_optimize(c), 0);
            assert_int_equal(cls_rule_count(c), count);
        } else if (what < 95) {
            uint64_t p = n && rndn(4) ? seen[rndn((uint32_t)n)].prio : 1 + rndn((uint32_t)maxprio);
            size_t a = cls_remove(c, p), b = cls_linear_remove(lin, p);
            assert_int_equal(a, b);
            count -= a;
        } else {
            for (size_t i = 0; i < keys_per_check; i++) {
                cls_key k = rand_key(seen, n);
                check_walk(c, lin, &k);
            }
        }
        assert_int_equal(cls_rule_count(c), count);
    }
    for (size_t i = 0; i < keys_per_check * 4; i++) {
        cls_key k = rand_key(seen, n);
        check_walk(c, lin, &k);
    }
    aside_finish(&bg);
    for (size_t i = 0; aside && i < keys_per_check * 4; i++) {
        cls_key k = rand_key(seen, n);
        check_walk(c, lin, &k);
    }
    /* Remove everything: the index must end empty. */
    for (size_t i = 0; i < n; i++) {
        size_t a = cls_remove(c, seen[i].prio), b = cls_linear_remove(lin, seen[i].prio);
        assert_int_equal(a, b);
        count -= a;
    }
    assert_int_equal(count, 0);
    assert_int_equal(cls_rule_count(c), 0);
    cls_key k = rand_key(seen, n);
    cls_match m;
    assert_false(cls_lookup(c, &k, 0, &m));
    free(seen);
    cls_free(c);
    cls_linear_free(lin);
    return n;
}

static size_t run_session(uint64_t seed, size_t max_rules, size_t keys_per_check)
{
    return run_session_mode(seed, max_rules, keys_per_check, false);
}

static void test_differential_small(void **state)
{
    (void)state;
    size_t total = 0;
    for (uint64_t seed = 1; seed <= 3000; seed++)
        total += run_session(seed, 1 + seed % 40, 8);
    assert_true(total > 10000);
}

static void test_differential_medium(void **state)
{
    (void)state;
    for (uint64_t seed = 100001; seed <= 100060; seed++)
        run_session(seed, 200 + (seed % 7) * 100, 20);
}

static void test_differential_large(void **state)
{
    (void)state;
    run_session(424242, 6000, 100);
}

/* The differential sessions with rebuilds on a thread: lookups right while
 * one is pending, after each install, and with updates made between the
 * snapshot and the install (the log must carry every one of them). */
static void test_aside_differential(void **state)
{
    (void)state;
    installed = 0;
    for (uint64_t seed = 200001; seed <= 200040; seed++)
        run_session_mode(seed, 300 + (seed % 7) * 100, 20, true);
    run_session_mode(434343, 6000, 100, true);
    assert_true(installed > 20);
}

/* A deferred classifier never rebuilds inside an update: the rules beside
 * the tree wait for the job, and answer right meanwhile. */
static void test_aside_pending(void **state)
{
    (void)state;
    rng = 91;
    make_pool();
    size_t n = 2000;
    cls_rule *rules = calloc(n, sizeof(*rules));
    assert_non_null(rules);
    cls *c = cls_new(), *inline_c = cls_new();
    cls_linear *lin = cls_linear_new();
    cls_set_deferred(c, true);
    for (size_t i = 0; i < n; i++) {
        rules[i] = rand_rule(1u << 30);
        assert_int_equal(cls_insert(c, &rules[i]), 0);
        assert_int_equal(cls_insert(inline_c, &rules[i]), 0);
        assert_int_equal(cls_linear_insert(lin, &rules[i]), 0);
    }
    /* Inline, the 2000th insert found a tree of 1028 rules; deferred, no
     * tree was ever built: all 2000 sit in the tables. */
    for (int i = 0; i < 1000; i++) {
        cls_key k = rand_key(rules, n);
        check_walk(c, lin, &k);
    }
    struct aside bg = {0};
    aside_start(c, &bg);
    assert_non_null(bg.job);
    /* Racing the build: removals of snapshot rules, inserts after it. */
    for (size_t i = 0; i < 300; i++) {
        uint64_t p = rules[i * 5].prio;
        assert_int_equal(cls_remove(c, p), cls_linear_remove(lin, p));
        cls_rule r = rand_rule(1u << 30);
        rules[i * 5] = r;
        assert_int_equal(cls_insert(c, &r), 0);
        assert_int_equal(cls_linear_insert(lin, &r), 0);
    }
    for (int i = 0; i < 1000; i++) {
        cls_key k = rand_key(rules, n);
        check_walk(c, lin, &k);
    }
    /* The 600 updates since the take, a slice at a time, with more updates
     * between the slices. */
    installed = 0;
    size_t steps = 0;
    for (; !aside_step(&bg, false); steps++) {
        uint64_t p = rules[steps].prio;
        assert_int_equal(cls_remove(c, p), cls_linear_remove(lin, p));
        for (int i = 0; i < 100; i++) {
            cls_key k = rand_key(rules, n);
            check_walk(c, lin, &k);
        }
    }
    assert_true(steps >= 2);
    assert_int_equal(installed, 1);
    assert_int_equal(cls_rule_count(c), cls_rule_count(inline_c) - steps);
    for (int i = 0; i < 2000; i++) {
        cls_key k = rand_key(rules, n);
        check_walk(c, lin, &k);
    }
    assert_null(cls_rebuild_take(c)); /* a few updates on 2000 built: none due */
    cls_free(c);
    cls_free(inline_c);
    cls_linear_free(lin);
    free(rules);
}

/* A job outlives its classifier, or is dropped before it is built: no
 * install, nothing leaked (ASan), nothing touched. */
static void test_aside_orphans(void **state)
{
    (void)state;
    for (int order = 0; order < 4; order++) {
        cls *c = cls_new();
        cls_set_deferred(c, true);
        for (uint64_t i = 1; i <= 600; i++) {
            cls_rule r = any_rule(i, i);
            r.rport = (ward_range){(uint32_t)i, (uint32_t)i};
            assert_int_equal(cls_insert(c, &r), 0);
        }
        ward_rebuild *j = cls_rebuild_take(c);
        assert_non_null(j);
        switch (order) {
        case 0: /* the classifier goes first */
            cls_free(c);
            assert_int_equal(ward_rebuild_run(j), 0);
            assert_int_equal(ward_rebuild_install(j), WARD_E_NOENT);
            ward_rebuild_free(j);
            break;
        case 1: /* dropped unbuilt; a new one may be taken later */
            ward_rebuild_free(j);
            assert_int_equal(cls_remove(c, 1), 1);
            ward_rebuild_free(cls_rebuild_take(c));
            cls_free(c);
            break;
        case 2: /* rebuilt inline meanwhile */
            assert_int_equal(cls_optimize(c), 0);
            assert_int_equal(ward_rebuild_run(j), 0);
            assert_int_equal(ward_rebuild_install(j), WARD_E_NOENT);
            ward_rebuild_free(j);
            cls_free(c);
            break;
        default: /* installed, then the old index freed after the classifier */
            assert_int_equal(ward_rebuild_run(j), 0);
            assert_int_equal(ward_rebuild_install(j), 0);
            assert_int_equal(ward_rebuild_install(j), WARD_E_NOENT);
            cls_key k = key4(1, 2, 3, 77, 6);
            cls_match m;
            assert_true(cls_lookup(c, &k, 0, &m));
            assert_int_equal(m.prio, 77);
            cls_free(c);
            ward_rebuild_free(j);
        }
    }
}

/* Bulk and one-by-one builds of the same rules answer the same. */
static void test_bulk_equals_inserts(void **state)
{
    (void)state;
    rng = 77;
    make_pool();
    size_t n = 3000;
    cls_rule *rules = calloc(n, sizeof(*rules));
    assert_non_null(rules);
    for (size_t i = 0; i < n; i++)
        rules[i] = rand_rule(n / 3); /* many shared priorities */
    cls *bulk = cls_new(), *one = cls_new();
    cls_linear *lin = cls_linear_new();
    assert_int_equal(cls_insert_bulk(bulk, rules, n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(cls_insert(one, &rules[i]), 0);
        assert_int_equal(cls_linear_insert(lin, &rules[i]), 0);
    }
    assert_int_equal(cls_rule_count(bulk), n);
    assert_true(cls_bytes(bulk) > 0);
    for (int i = 0; i < 3000; i++) {
        cls_key k = rand_key(rules, n);
        check_walk(bulk, lin, &k);
        check_walk(one, lin, &k);
    }
    cls_free(bulk);
    cls_free(one);
    cls_linear_free(lin);
    free(rules);
}

/* Many rules with one key (identical addresses and ports): buckets past
 * the collision limit must still answer right, and removals must find
 * every rule. */
static void test_identical_keys(void **state)
{
    (void)state;
    cls *c = cls_new();
    cls_linear *lin = cls_linear_new();
    for (uint64_t i = 0; i < 500; i++) {
        cls_rule r = any_rule(1000 - i, i);
        r.raddr = (ward_cidr){v4(0x0a000001), 128};
        r.proto = (ward_range){(uint32_t)(i % 3), 255};
        assert_int_equal(cls_insert(c, &r), 0);
        assert_int_equal(cls_linear_insert(lin, &r), 0);
    }
    for (uint8_t p = 0; p < 4; p++) {
        cls_key k = key4(5, 0x0a000001, 1, 2, p);
        check_walk(c, lin, &k);
    }
    for (uint64_t i = 0; i < 500; i += 2) {
        assert_int_equal(cls_remove(c, 1000 - i), 1);
        assert_int_equal(cls_linear_remove(lin, 1000 - i), 1);
    }
    for (uint8_t p = 0; p < 4; p++) {
        cls_key k = key4(5, 0x0a000001, 1, 2, p);
        check_walk(c, lin, &k);
    }
    assert_int_equal(cls_rule_count(c), 250);
    cls_free(c);
    cls_linear_free(lin);
}

/* Rules whose addresses are all wide (wildcards and short IPv4 prefixes)
 * with overlapping port ranges: cut trees copy them past their memory
 * budget, so the tree splits them again by port and leaves the rest to the
 * tables. Answers must not change, before or after removals. */
static void test_wide_rules_split(void **state)
{
    (void)state;
    rng = 4242;
    size_t n = 6000;
    cls_rule *rules = calloc(n, sizeof(*rules));
    assert_non_null(rules);
    for (size_t i = 0; i < n; i++) {
        cls_rule r = any_rule(i + 1, i);
        if (rndn(3))
            r.laddr = (ward_cidr){v4((uint32_t)rnd()), (uint8_t)(96 + 1 + rndn(15))};
        if (rndn(3))
            r.raddr = (ward_cidr){v4((uint32_t)rnd()), (uint8_t)(96 + 1 + rndn(15))};
        if (rndn(2)) {
            uint32_t lo = rndn(65536), hi = lo + (rndn(2) ? rndn(256) : rndn(30000));
            r.rport = (ward_range){lo, hi > 65535 ? 65535 : hi};
        }
        if (rndn(2)) {
            uint32_t lo = rndn(65536), hi = lo + (rndn(2) ? rndn(256) : rndn(30000));
            r.lport = (ward_range){lo, hi > 65535 ? 65535 : hi};
        }
        if (rndn(2))
            r.proto = (ward_range){6, 6};
        rules[i] = r;
    }
    cls *c = cls_new();
    cls_linear *lin = cls_linear_new();
    assert_int_equal(cls_insert_bulk(c, rules, n), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cls_linear_insert(lin, &rules[i]), 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 1000; i++) {
            const cls_rule *r = &rules[rndn((uint32_t)n)];
            cls_key k = key4((uint32_t)rnd(), (uint32_t)rnd(), rand_in(r->lport), rand_in(r->rport),
                             (uint8_t)(rndn(2) ? 6 : 17));
            check_walk(c, lin, &k);
        }
        for (size_t i = 0; i < n; i += 3) {
            assert_int_equal(cls_remove(c, i + 1), round == 0);
            assert_int_equal(cls_linear_remove(lin, i + 1), round == 0);
        }
    }
    cls_free(c);
    cls_linear_free(lin);
    free(rules);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_cursor),   cmocka_unit_test(test_shared_priority),
        cmocka_unit_test(test_mapped_and_v6),      cmocka_unit_test(test_invalid_rules),
        cmocka_unit_test(test_identical_keys),     cmocka_unit_test(test_bulk_equals_inserts),
        cmocka_unit_test(test_differential_small), cmocka_unit_test(test_differential_medium),
        cmocka_unit_test(test_differential_large), cmocka_unit_test(test_aside_pending),
        cmocka_unit_test(test_aside_orphans),      cmocka_unit_test(test_aside_differential),
        cmocka_unit_test(test_wide_rules_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
