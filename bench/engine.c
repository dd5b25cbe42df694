/*
 * engine — ward_classify() as a whole: sublayers, arbitration, the
 * decision order and the per-program rules, indexed against the
 * reference evaluator.
 *
 *   engine FILTERS PROGRAMS LOOKUPS
 *
 * FILTERS admin filters over addresses, ports and protocols (a quarter of
 * them bound to one program), PROGRAMS programs with five rules each, and
 * LOOKUPS connections drawn to hit them. Every indexed decision is checked
 * against the reference. Prints
 *   engine: filters=F programs=P rules=R lookups=L mismatches=M indexed_mlps=X
 *           linear_mlps=Y speedup=Z index_bytes=B build_ms=T add_us=A
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/engine.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(uint32_t bound)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11) % bound;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void prog_path(char *buf, size_t len, uint32_t i)
{
    snprintf(buf, len, "/opt/bench/bin/prog%u", i);
}

static int64_t add_filter(ward_engine *e, uint32_t i, uint32_t programs)
{
    ward_cidr remote = {{{0}}, 0};
    ward_ip_from_v4(&remote.ip, 0x0a000000u | (rnd(1u << 16) << 8));
    remote.plen = 96 + 24;
    ward_range port = {1000 + rnd(4000), 0}, proto = {rnd(2) ? 6 : 17, 0};
    port.hi = port.lo + (rnd(4) == 0 ? rnd(100) : 0);
    proto.hi = proto.lo;
    char path[64];
    prog_path(path, sizeof(path), rnd(programs));
    const char *paths[] = {path};
    ward_cond c[4] = {
        {.field = WARD_F_REMOTE_ADDR, .n = 1, .v.cidr = &remote},
        {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &port},
        {.field = WARD_F_PROTO, .n = 1, .v.range = &proto},
        {.field = WARD_F_APP_PATH, .n = 1, .v.str = paths},
    };
    ward_filter_def d = {
        .layer = WARD_LAYER_CONNECT_OUT,
        .sublayer = WARD_SUBLAYER_ADMIN,
        .provider = WARD_PROVIDER_ADMIN,
        .weight = i,
        .action = rnd(2) ? WARD_ACT_PERMIT : WARD_ACT_BLOCK,
        .hard = rnd(2),
        .conds = c,
        .n_conds = i % 4 == 0 ? 4 : 3,
    };
    return ward_filter_add(e, &d);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: engine FILTERS PROGRAMS LOOKUPS\n");
        return 2;
    }
    uint32_t nf = (uint32_t)strtoul(argv[1], NULL, 10), np = (uint32_t)strtoul(argv[2], NULL, 10);
    size_t nl = strtoul(argv[3], NULL, 10);
    if (!np || !nl)
        return 2;
    ward_engine *e = ward_engine_new();
    ward_engine_set_prompter(e, true);
    double t0 = now_s();
    for (uint32_t i = 0; i < nf; i++)
        add_filter(e, i, np);
    size_t rules = 0;
    for (uint32_t p = 0; p < np; p++) {
        char path[64];
        prog_path(path, sizeof(path), p);
        int64_t app = ward_app_add(e, path, NULL);
        for (int r = 0; r < 5; r++) {
            ward_range port = {1000 + rnd(4000), 0};
            port.hi = port.lo;
            const char *zone = "internet";
            ward_app_rule rule = {
                .dir = WARD_DIR_OUT,
                .proto = 6,
                .ports = &port,
                .n_ports = 1,
                .zones = r % 2 ? &zone : NULL,
                .n_zones = r % 2,
                .action = r % 2 ? WARD_ACT_BLOCK : WARD_ACT_PERMIT,
                .provider = WARD_PROVIDER_ADMIN,
            };
            if (ward_app_rule_append(e, (uint64_t)app, &rule) > 0)
                rules++;
        }
    }
    double build_ms = (now_s() - t0) * 1e3;
    /* One more filter into the built engine: the incremental cost. */
    double ta = now_s();
    for (int i = 0; i < 1000; i++)
        ward_filter_remove(e, (uint64_t)add_filter(e, nf + (uint32_t)i, np));
    double add_us = (now_s() - ta) * 1e6 / 1000 / 2;

    ward_request *reqs = calloc(nl, sizeof(*reqs));
    char(*paths)[64] = calloc(np, 64);
    for (uint32_t p = 0; p < np; p++)
        prog_path(paths[p], 64, p);
    for (size_t i = 0; i < nl; i++) {
        ward_request *r = &reqs[i];
        r->layer = WARD_LAYER_CONNECT_OUT;
        r->dir = WARD_DIR_OUT;
        r->proto = rnd(4) ? 6 : 17;
        ward_ip_from_v4(&r->local, 0xc0a8010au);
        ward_ip_from_v4(&r->remote, rnd(2) ? 0x0a000000u | rnd(1u << 24) : 0x5db8d822u);
        r->lport = (uint16_t)(30000 + rnd(30000));
        r->rport = (uint16_t)(1000 + rnd(4100));
        r->app.path = paths[rnd(np)];
        r->has_user = true;
        r->uid = 1000;
        r->now = 1000;
        r->wday = 1;
        r->minute = 600;
    }
    ward_decision d, l;
    size_t mismatches = 0;
    double ti = now_s();
    for (size_t i = 0; i < nl; i++)
        ward_classify(e, &reqs[i], &d, NULL, 0);
    double idx_s = now_s() - ti;
    if (getenv("WARD_BENCH_INDEX_ONLY")) { /* for profiling the index alone */
        printf("engine: lookups=%zu indexed_mlps=%.3f\n", nl, (double)nl / idx_s / 1e6);
        return 0;
    }
    size_t nlin = nl < 20000 ? nl : 20000; /* the reference is slow: time a sample */
    double tl = now_s();
    for (size_t i = 0; i < nlin; i++)
        ward_classify(e, &reqs[i], &l, NULL, WARD_CLASSIFY_LINEAR);
    double lin_s = now_s() - tl;
    for (size_t i = 0; i < nl; i++) {
        ward_classify(e, &reqs[i], &d, NULL, 0);
        ward_classify(e, &reqs[i], &l, NULL, WARD_CLASSIFY_LINEAR);
        if (d.verdict != l.verdict || d.filter_id != l.filter_id || d.reason != l.reason)
            mismatches++;
    }
    ward_engine_stats st;
    ward_engine_stats_get(e, &st);
    double imlps = (double)nl / idx_s / 1e6, lmlps = (double)nlin / lin_s / 1e6;
    printf("engine: filters=%zu programs=%u rules=%zu lookups=%zu mismatches=%zu indexed_mlps=%.3f "
           "linear_mlps=%.4f speedup=%.1f index_bytes=%zu build_ms=%.1f add_us=%.2f\n",
           st.filters, np, rules, nl, mismatches, imlps, lmlps, imlps / lmlps, st.index_bytes,
           build_ms, add_us);
    free(paths);
    free(reqs);
    ward_engine_free(e);
    return mismatches ? 1 : 0;
}
