/*
 * bench/callout.c — the callout platform's costs in the engine and the
 * dnsfilter's list (bench/run callout runs it; see bench/callout.sh).
 *
 *   callout ENTRIES LOOKUPS
 *
 * Times are the thread's CPU time (the machine may be shared); the load's
 * wall time is shown beside it.
 * dnsfilter: a hosts-format list of ENTRIES names is written to a file and
 * loaded (load_ms, the whole load: read, check, add); lookups of names on
 * and off the list are timed (lookup_ns, the mean), at ENTRIES and at
 * ENTRIES/100 entries, to show the cost does not grow with the list.
 * engine: ward_classify of connect requests with a metadata-only built-in
 * callout filter matching them (it says continue) against the same policy
 * without it: per_decision_ratio.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callout/callout.h"
#include "callout/dnsfilter.h"

/* CPU time of this thread: the machine may be shared, and time spent
 * waiting for a core is not the code's. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static ward_dnsfilter *load_list(size_t n, double *ms, double *wall_ms)
{
    char path[] = "/tmp/ward-bench-dnsfilter-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        perror("list");
        exit(1);
    }
    fprintf(f, "# generated blocklist\n127.0.0.1 localhost\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "0.0.0.0 h%zu.tracker%zu.example.com\n", i, i % 1013);
    fclose(f);
    ward_dnsfilter *df = ward_dnsfilter_new();
    char err[512];
    double t0 = now_ns(), w0 = wall_ns();
    if (ward_dnsfilter_load_file(df, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    *ms = (now_ns() - t0) / 1e6;
    *wall_ms = (wall_ns() - w0) / 1e6;
    unlink(path);
    return df;
}

static double lookups(const ward_dnsfilter *df, size_t n, size_t count, size_t *hits)
{
    char(*names)[64] = malloc(4096 * sizeof(*names));
    for (size_t i = 0; i < 4096; i++) {
        size_t k = (i * 2654435761u) % n;
        /* Half on the list, half not (another label). */
        snprintf(names[i], sizeof(names[i]), "h%zu.tracker%zu.example.%s", k, k % 1013,
                 i & 1 ? "com" : "org");
    }
    *hits = 0;
    double t0 = now_ns();
    for (size_t i = 0; i < count; i++)
        *hits += ward_dnsfilter_match(df, names[i & 4095]) != WARD_DNSF_MISS;
    double ns = (now_ns() - t0) / (double)count;
    free(names);
    return ns;
}

static enum ward_callout_verdict meta_classify(const ward_callout_flow *f,
                                               const ward_callout_data *d, void **ctx)
{
    return f->rport == 23 ? WARD_CALLOUT_BLOCK : WARD_CALLOUT_CONTINUE;
}

static const ward_callout meta = {.abi = WARD_CALLOUT_ABI,
                                  .size = sizeof(ward_callout),
                                  .name = "meta",
                                  .layers = WARD_CALLOUT_L_CONNECT,
                                  .classify = meta_classify};

/* A policy of 200 programs with 5 rules each and 100 admin filters. */
static ward_engine *policy(ward_callouts *reg)
{
    ward_engine *e = ward_engine_new();
    ward_engine_set_prompter(e, true);
    char path[64];
    for (int a = 0; a < 200; a++) {
        snprintf(path, sizeof(path), "/usr/bin/prog%d", a);
        int64_t id = ward_app_add(e, path, NULL);
        for (int r = 0; r < 5; r++) {
            ward_range port = {(uint32_t)(1000 + r * 10), (uint32_t)(1000 + r * 10)};
            ward_app_rule rule = {.dir = WARD_DIR_OUT,
                                  .proto = 6,
                                  .ports = &port,
                                  .n_ports = 1,
                                  .action = WARD_ACT_PERMIT,
                                  .provider = WARD_PROVIDER_ADMIN};
            ward_app_rule_append(e, (uint64_t)id, &rule);
        }
    }
    for (int f = 0; f < 100; f++) {
        ward_range port = {(uint32_t)(20000 + f), (uint32_t)(20000 + f)};
        ward_cond c = {.field = WARD_F_REMOTE_PORT, .n = 1, .v.range = &port};
        ward_filter_def d = {.layer = WARD_LAYER_CONNECT_OUT,
                             .sublayer = WARD_SUBLAYER_ADMIN,
                             .provider = WARD_PROVIDER_ADMIN,
                             .weight = (uint32_t)f,
                             .action = WARD_ACT_BLOCK,
                             .conds = &c,
                             .n_conds = 1};
        ward_filter_add(e, &d);
    }
    if (reg) {
        ward_callouts_attach(reg, e);
        static const ward_range tcp = {6, 6};
        ward_cond c = {.field = WARD_F_PROTO, .n = 1, .v.range = &tcp};
        ward_filter_def d = {.layer = WARD_LAYER_CONNECT_OUT,
                             .sublayer = WARD_SUBLAYER_ADMIN,
                             .provider = WARD_PROVIDER_ADMIN,
                             .weight = 500,
                             .action = WARD_ACT_CALLOUT,
                             .callout = "meta",
                             .conds = &c,
                             .n_conds = 1};
        ward_filter_add(e, &d);
    }
    return e;
}

static double decide(ward_engine *e, size_t count)
{
    ward_request r = {.layer = WARD_LAYER_CONNECT_OUT, .dir = WARD_DIR_OUT, .proto = 6};
    ward_ip_from_v4(&r.local, 0x0a000001);
    ward_ip_from_v4(&r.remote, 0x5db8d822);
    char path[64];
    ward_decision d;
    double t0 = now_ns();
    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof(path), "/usr/bin/prog%zu", i % 200);
        r.app.path = path;
        r.lport = (uint16_t)(30000 + (i & 8191));
        r.rport = (uint16_t)(1000 + (i % 5) * 10);
        r.now = 1000000;
        ward_classify(e, &r, &d, NULL, 0);
    }
    return (now_ns() - t0) / (double)count;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    size_t count = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
    double load_ms, small_ms, load_wall, small_wall;
    size_t hits, small_hits;
    ward_dnsfilter *df = load_list(n, &load_ms, &load_wall);
    ward_dnsfilter *small = load_list(n / 100, &small_ms, &small_wall);
    double ns = lookups(df, n, count, &hits);
    double small_ns = lookups(small, n / 100, count, &small_hits);
    printf("dnsfilter: entries=%zu load_ms=%.1f (wall %.1f) lookup_ns=%.1f hits=%zu/%zu\n",
           ward_dnsfilter_count(df), load_ms, load_wall, ns, hits, count);
    printf("dnsfilter: entries=%zu load_ms=%.1f lookup_ns=%.1f (a list 100 times smaller)\n",
           ward_dnsfilter_count(small), small_ms, small_ns);

    ward_callouts *reg = ward_callouts_new(NULL);
    ward_callouts_add_builtin(reg, &meta);
    ward_engine *plain = policy(NULL), *with = policy(reg);
    size_t dcount = count / 4;
    decide(plain, dcount / 10); /* warm up */
    double a = 0, b = 0;
    for (int round = 0; round < 3; round++) { /* alternate: drift hits both */
        a += decide(plain, dcount);
        b += decide(with, dcount);
    }
    printf("engine: decision_ns=%.1f with_callout_ns=%.1f per_decision_ratio=%.3f\n", a / 3, b / 3,
           b / a);
    ward_engine_free(plain);
    ward_engine_free(with);
    ward_callouts_free(reg);
    ward_dnsfilter_free(df);
    ward_dnsfilter_free(small);
    return 0;
}
