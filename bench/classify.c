/*
 * classify — the classifier benchmark (bench/run classify RULES TRACE).
 *
 * Loads a ClassBench filter set (line i has priority i + 1: first match
 * wins) and a ClassBench trace (without one, SAMPLE headers drawn from the
 * rules as ClassBench's trace generator does: a rule, then a corner or a
 * random value of each field), then:
 *  - bulk-builds the indexed classifier (median of 3 builds: build_ms);
 *  - checks every trace lookup against the linear evaluator, timing that
 *    pass for linear_mlps;
 *  - times indexed lookups over the whole trace, repeated until each round
 *    lasts 0.3 s; indexed_mlps is the median of 5 rounds;
 *  - builds a second classifier by single inserts, checks it too, and
 *    times single-rule inserts and removals on the full set;
 *  - times every update of a run long enough to make one rebuild due, with
 *    the rebuild inline (inside the update that tips it) and aside (built
 *    on a thread, as wardd does): the worst and 99th-percentile time the
 *    caller's thread spends per update, the take and the install, and the
 *    lookup rate while the rebuild is pending and once installed.
 * Mismatches count lookups where the indexed answer (priority, data)
 * differs from the linear one. The last line is the summary.
 *
 * With --passes N after the trace, it only bulk-builds and looks the trace
 * up N times (no reference, no timing): run under a profiler at two values
 * of N, the difference is what N lookups cost.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "engine/classifier.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void ip4(ward_ip *ip, uint32_t a)
{
    memset(ip, 0, sizeof(*ip));
    ip->b[10] = ip->b[11] = 0xff;
    ip->b[12] = (uint8_t)(a >> 24);
    ip->b[13] = (uint8_t)(a >> 16);
    ip->b[14] = (uint8_t)(a >> 8);
    ip->b[15] = (uint8_t)a;
}

static bool parse_cidr(const char **p, ward_cidr *c)
{
    unsigned a, b, d, e, len;
    int used;
    if (sscanf(*p, "%u.%u.%u.%u/%u%n", &a, &b, &d, &e, &len, &used) != 5 || a > 255 || b > 255 ||
        d > 255 || e > 255 || len > 32)
        return false;
    ip4(&c->ip, a << 24 | b << 16 | d << 8 | e);
    c->plen = (uint8_t)(96 + len);
    *p += used;
    return true;
}

static bool parse_range(const char **p, ward_range *r)
{
    unsigned lo, hi;
    int used;
    if (sscanf(*p, " %u : %u%n", &lo, &hi, &used) != 2 || lo > hi || hi > 65535)
        return false;
    r->lo = lo;
    r->hi = hi;
    *p += used;
    return true;
}

/* One ClassBench filter line. */
static bool parse_rule(const char *line, cls_rule *r)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '@')
        return false;
    unsigned pv, pm;
    int used;
    if (!parse_cidr(&p, &r->laddr) || !parse_cidr((p += strspn(p, " \t"), &p), &r->raddr) ||
        !parse_range(&p, &r->lport) || !parse_range(&p, &r->rport) ||
        sscanf(p, " %x/%x%n", &pv, &pm, &used) != 2)
        return false;
    if (pm == 0xff && pv <= 255)
        r->proto = (ward_range){pv, pv};
    else if (pm == 0)
        r->proto = (ward_range){0, 255};
    else
        return false; /* other masks are not ranges; ClassBench does not use them */
    return true;
}

typedef struct vec {
    void *v;
    size_t n, cap, size;
} vec;

static void *vec_push(vec *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->v = realloc(v->v, v->cap * v->size);
        if (!v->v) {
            perror("classify");
            exit(1);
        }
    }
    return (char *)v->v + v->size * v->n++;
}

static FILE *open_or_die(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "classify: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

/* A value of [lo, hi]: a corner half of the time. */
static uint32_t pick_in(uint64_t *x, uint32_t lo, uint32_t hi)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    switch (*x % 4) {
    case 0:
        return lo;
    case 1:
        return hi;
    default:
        return lo + (uint32_t)((*x >> 8) % ((uint64_t)hi - lo + 1));
    }
}

static uint32_t cidr_v4(const ward_cidr *c)
{
    return (uint32_t)c->ip.b[12] << 24 | (uint32_t)c->ip.b[13] << 16 | (uint32_t)c->ip.b[14] << 8 |
           c->ip.b[15];
}

/* n headers, each inside a rule drawn at random (deterministic). */
static void sample_trace(const cls_rule *r, size_t nr, size_t n, vec *keys)
{
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const cls_rule *q = &r[x % nr];
        uint32_t span[2];
        const ward_cidr *a[2] = {&q->laddr, &q->raddr};
        for (int j = 0; j < 2; j++) {
            unsigned host = 128 - a[j]->plen; /* IPv4-mapped: plen 96..128 */
            uint32_t lo = cidr_v4(a[j]) & (host >= 32 ? 0 : ~0u << host);
            span[j] = pick_in(&x, lo, lo | (host >= 32 ? ~0u : ~(~0u << host)));
        }
        cls_key *k = vec_push(keys);
        ip4(&k->laddr, span[0]);
        ip4(&k->raddr, span[1]);
        k->lport = (uint16_t)pick_in(&x, q->lport.lo, q->lport.hi);
        k->rport = (uint16_t)pick_in(&x, q->rport.lo, q->rport.hi);
        k->proto = (uint8_t)pick_in(&x, q->proto.lo, q->proto.hi);
    }
}

static volatile uint64_t sink; /* keeps timed lookups from being optimised away */

static size_t count_mismatches(const cls *c, const cls_match *want, const bool *found,
                               const cls_key *keys, size_t nk)
{
    size_t bad = 0;
    for (size_t i = 0; i < nk; i++) {
        cls_match m;
        bool ok = cls_lookup(c, &keys[i], 0, &m);
        if (ok != found[i] || (ok && (m.prio != want[i].prio || m.data != want[i].data)))
            bad++;
    }
    return bad;
}

/* Millions of lookups a second: whole-trace passes repeated until a round
 * lasts 0.3 s; the median of `nrounds` rounds (at most 5). */
static double lookup_mlps(const cls *c, const cls_key *kv, size_t nk, int nrounds)
{
    double rounds[5];
    for (int r = 0; r < nrounds; r++) {
        size_t done = 0;
        uint64_t acc = 0;
        double t0 = now(), el;
        do {
            for (size_t i = 0; i < nk; i++) {
                cls_match m;
                if (cls_lookup(c, &kv[i], 0, &m))
                    acc += m.prio;
            }
            done += nk;
        } while ((el = now() - t0) < 0.3);
        sink += acc;
        rounds[r] = (double)done / el / 1e6;
    }
    return median(rounds, (size_t)nrounds);
}

/* What one update run measured (update_run). */
typedef struct upd {
    double max_us, p99_us;         /* the caller's time per update, take and install included */
    double take_us, install_us;    /* aside: the longest take, the longest install step */
    double start_us;               /* aside: the longest hand-over to the thread */
    double free_ms;                /* aside: the longest old-index free (wardd: on its thread) */
    size_t installs;               /* aside: rebuilds put in force during the run */
    double due_mlps;               /* aside: lookups once one is due, before the take */
    double pending_mlps, new_mlps; /* aside: ... while it builds, then installed */
    size_t mismatches;
} upd;

/* The rebuild thread, as wardd's: started once, handed one job at a time;
 * the updating loop only looks whether it is built, never waits. */
typedef struct bg {
    ward_rebuild *job;   /* taken: being built, then installed */
    ward_rebuild *spent; /* installed: to free (wardd does on its thread) */
    ward_rebuild *task;  /* under mu: the job to build, NULL once built */
    bool quit;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} bg;

static void *bg_worker(void *arg)
{
    bg *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->task && !b->quit)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->quit)
            break;
        ward_rebuild *job = b->task;
        pthread_mutex_unlock(&b->mu);
        ward_rebuild_run(job);
        pthread_mutex_lock(&b->mu);
        b->task = NULL;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static int bg_init(bg *b)
{
    *b = (bg){0};
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    return pthread_create(&b->thread, NULL, bg_worker, b) == 0 ? 0 : -1;
}

static void bg_stop(bg *b)
{
    pthread_mutex_lock(&b->mu);
    b->quit = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

static void bg_start(bg *b, ward_rebuild *job)
{
    b->job = job;
    pthread_mutex_lock(&b->mu);
    b->task = job;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* Whether the job is built; wait: until it is. */
static bool bg_built(bg *b, bool wait)
{
    pthread_mutex_lock(&b->mu);
    while (wait && b->task)
        pthread_cond_wait(&b->cv, &b->mu);
    bool built = !b->task;
    pthread_mutex_unlock(&b->mu);
    return built;
}

/* One install step of a built job; once it is in force, the job is spent. */
static int bg_install(bg *b, upd *out)
{
    double t0 = now();
    int rc = ward_rebuild_install(b->job);
    double us = (now() - t0) * 1e6;
    if (us > out->install_us)
        out->install_us = us;
    if (rc == 1)
        return 1;
    b->spent = b->job;
    b->job = NULL;
    out->installs += rc == 0;
    return rc < 0 ? -1 : 0;
}

/* Frees a spent job: the old index, timed apart. */
static void bg_free_spent(bg *b, upd *out)
{
    double t0 = now();
    ward_rebuild_free(b->spent);
    b->spent = NULL;
    if ((now() - t0) * 1e3 > out->free_ms)
        out->free_ms = (now() - t0) * 1e3;
}

/* Removes and re-inserts random rules of a bulk-built classifier, each
 * update timed on the caller's thread: as many updates as rules and 400
 * more, so that inline one rebuild is due. Aside, the loop is wardd's:
 * after each update, a rebuild that is due is taken and built on a thread,
 * one that is built is installed a step at a time; then one more is made
 * due and the lookups are timed while it is pending and once installed. */
static int update_run(const cls_rule *rv, size_t nr, const cls_key *kv, size_t nk,
                      const cls_match *want, const bool *found, bool aside, upd *out)
{
    size_t nupd = (nr / 2 + 200) * 2;
    double *t = calloc(nupd, sizeof(*t));
    cls *c = cls_new();
    if (!t || !c || cls_insert_bulk(c, rv, nr) < 0)
        return -1;
    cls_set_deferred(c, aside);
    *out = (upd){0};
    bg b = {0};
    if (aside && bg_init(&b) < 0)
        return -1;
    uint64_t x = 0x2545f4914f6cdd1dull;
    const cls_rule *r = rv;
    for (size_t i = 0; i < nupd || b.job; i++) {
        double t0 = now();
        if (i < nupd && i % 2 == 0) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            r = &rv[x % nr];
            if (cls_remove(c, r->prio) != 1)
                return -1;
        } else if (i < nupd && cls_insert(c, r) < 0) { /* the rule just removed */
            return -1;
        }
        if (aside && !b.job) {
            double t1 = now();
            ward_rebuild *job = cls_rebuild_take(c);
            double t2 = now();
            if (job)
                bg_start(&b, job);
            if (job && (t2 - t1) * 1e6 > out->take_us)
                out->take_us = (t2 - t1) * 1e6;
            if (job && (now() - t2) * 1e6 > out->start_us)
                out->start_us = (now() - t2) * 1e6;
        } else if (aside && bg_built(&b, false) && bg_install(&b, out) < 0) {
            return -1;
        }
        if (i < nupd)
            t[i] = (now() - t0) * 1e6;
        bg_free_spent(&b, out);
    }
    out->mismatches += count_mismatches(c, want, found, kv, nk);
    qsort(t, nupd, sizeof(*t), cmp_double);
    out->max_us = t[nupd - 1];
    out->p99_us = t[nupd * 99 / 100];
    /* The lookup rate with a rebuild pending: from a fresh build, removals
     * and re-inserts until one is due, then timed while it builds and
     * before it is installed. */
    cls_free(c);
    if (!(c = cls_new()) || cls_insert_bulk(c, rv, nr) < 0)
        return -1;
    cls_set_deferred(c, aside);
    ward_rebuild *job = NULL;
    for (size_t i = 0; aside && !job; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        r = &rv[x % nr];
        if (cls_remove(c, r->prio) != 1 || cls_insert(c, r) < 0)
            return -1;
        if (!(job = cls_rebuild_take(c)))
            continue;
        /* Due: the rate it was taken at, then the rate while it builds. */
        ward_rebuild_free(job);
        out->due_mlps = lookup_mlps(c, kv, nk, 3);
        cls_remove(c, r->prio);
        if (cls_insert(c, r) < 0 || !(job = cls_rebuild_take(c)))
            return -1;
        bg_start(&b, job);
    }
    if (aside) {
        out->pending_mlps = lookup_mlps(c, kv, nk, 3);
        out->mismatches += count_mismatches(c, want, found, kv, nk);
        bg_built(&b, true);
        int rc;
        while ((rc = bg_install(&b, out)) == 1)
            ;
        bg_free_spent(&b, out);
        if (rc < 0)
            return -1;
        out->new_mlps = lookup_mlps(c, kv, nk, 3);
        out->mismatches += count_mismatches(c, want, found, kv, nk);
        bg_stop(&b);
    }
    free(t);
    cls_free(c);
    return 0;
}

/* --passes: the trace looked up n times, for a profiler. */
static int profile_passes(const cls_rule *rv, size_t nr, const cls_key *kv, size_t nk,
                          unsigned long n)
{
    cls *c = cls_new();
    if (!c || cls_insert_bulk(c, rv, nr) < 0) {
        fprintf(stderr, "classify: bulk build failed\n");
        cls_free(c);
        return 1;
    }
    uint64_t acc = 0;
    for (unsigned long p = 0; p < n; p++)
        for (size_t i = 0; i < nk; i++) {
            cls_match m;
            if (cls_lookup(c, &kv[i], 0, &m))
                acc += m.prio;
        }
    printf("classify: passes=%lu lookups=%zu checksum=%" PRIu64 "\n", n, n * nk, acc);
    cls_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long passes = 0;
    if (argc == 5 && strcmp(argv[3], "--passes") == 0) {
        passes = strtoul(argv[4], NULL, 10);
        argc = 3;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s RULES TRACE [--passes N] | %s RULES --sample N\n", argv[0],
                argv[0]);
        return 2;
    }
    bool sample = strcmp(argv[2], "--sample") == 0;
    if (sample != (argc == 4)) {
        fprintf(stderr, "usage: %s RULES TRACE [--passes N] | %s RULES --sample N\n", argv[0],
                argv[0]);
        return 2;
    }
    vec rules = {.size = sizeof(cls_rule)}, keys = {.size = sizeof(cls_key)};
    char line[1024];
    FILE *f = open_or_die(argv[1]);
    for (size_t ln = 1; fgets(line, sizeof(line), f); ln++) {
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        cls_rule r = {0};
        if (!parse_rule(line, &r)) {
            fprintf(stderr, "classify: %s:%zu: not a ClassBench filter\n", argv[1], ln);
            return 1;
        }
        r.prio = rules.n + 1;
        r.data = rules.n;
        *(cls_rule *)vec_push(&rules) = r;
    }
    fclose(f);
    if (sample && rules.n) {
        sample_trace(rules.v, rules.n, strtoul(argv[3], NULL, 10), &keys);
        goto loaded;
    }
    f = open_or_die(argv[2]);
    for (size_t ln = 1; fgets(line, sizeof(line), f); ln++) {
        unsigned long s, d, sp, dp, pr;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (sscanf(line, "%lu %lu %lu %lu %lu", &s, &d, &sp, &dp, &pr) != 5 || s > UINT32_MAX ||
            d > UINT32_MAX || sp > 65535 || dp > 65535 || pr > 255) {
            fprintf(stderr, "classify: %s:%zu: not a ClassBench trace line\n", argv[2], ln);
            return 1;
        }
        cls_key *k = vec_push(&keys);
        ip4(&k->laddr, (uint32_t)s);
        ip4(&k->raddr, (uint32_t)d);
        k->lport = (uint16_t)sp;
        k->rport = (uint16_t)dp;
        k->proto = (uint8_t)pr;
    }
    fclose(f);
loaded:;
    const cls_rule *rv = rules.v;
    const cls_key *kv = keys.v;
    size_t nr = rules.n, nk = keys.n;
    if (!nk) {
        fprintf(stderr, "classify: empty trace\n");
        return 1;
    }
    if (passes) {
        int rc = profile_passes(rv, nr, kv, nk, passes);
        free(rules.v);
        free(keys.v);
        return rc;
    }

    /* Bulk build, median of three. */
    double builds[3];
    cls *c = NULL;
    for (int i = 0; i < 3; i++) {
        cls_free(c);
        c = cls_new();
        double t0 = now();
        if (!c || cls_insert_bulk(c, rv, nr) < 0) {
            fprintf(stderr, "classify: bulk build failed\n");
            return 1;
        }
        builds[i] = now() - t0;
    }
    double build_ms = median(builds, 3) * 1e3;
    size_t bytes = cls_bytes(c); /* as bulk-built, before the update test */

    /* The reference answers; this pass also times the linear evaluator. */
    cls_linear *lin = cls_linear_new();
    for (size_t i = 0; i < nr; i++)
        if (!lin || cls_linear_insert(lin, &rv[i]) < 0) {
            fprintf(stderr, "classify: linear build failed\n");
            return 1;
        }
    cls_match *want = calloc(nk, sizeof(*want));
    bool *found = calloc(nk, sizeof(*found));
    if (!want || !found)
        return 1;
    size_t hits = 0;
    double t0 = now();
    for (size_t i = 0; i < nk; i++)
        hits += found[i] = cls_linear_lookup(lin, &kv[i], 0, &want[i]);
    double linear_s = now() - t0;
    size_t mismatches = count_mismatches(c, want, found, kv, nk);

    double indexed_mlps = lookup_mlps(c, kv, nk, 5);
    double linear_mlps = (double)nk / linear_s / 1e6;

    /* Incremental: the same set by single inserts must answer the same. */
    cls *inc = cls_new();
    t0 = now();
    for (size_t i = 0; i < nr; i++)
        if (!inc || cls_insert(inc, &rv[i]) < 0) {
            fprintf(stderr, "classify: insert failed\n");
            return 1;
        }
    double inc_s = now() - t0;
    size_t inc_bad = count_mismatches(inc, want, found, kv, nk);
    mismatches += inc_bad;

    /* Single-rule updates on the full set: remove a random rule, time its
     * re-insert. */
    size_t nupd = nr < 2000 ? nr : 2000;
    double *ins = calloc(nupd ? nupd : 1, sizeof(*ins));
    double rem_total = 0;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < nupd; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const cls_rule *r = &rv[x % nr];
        t0 = now();
        size_t gone = cls_remove(c, r->prio);
        double t1 = now();
        int rc = cls_insert(c, r);
        ins[i] = (now() - t1) * 1e6;
        rem_total += t1 - t0;
        if (gone != 1 || rc < 0) {
            fprintf(stderr, "classify: update of rule %" PRIu64 " failed\n", r->prio);
            return 1;
        }
    }
    /* Re-inserted rules get new sequence numbers; priorities are unique
     * here, so answers must not change. */
    mismatches += count_mismatches(c, want, found, kv, nk);
    double ins_sum = 0;
    for (size_t i = 0; i < nupd; i++)
        ins_sum += ins[i];
    double ins_avg = nupd ? ins_sum / (double)nupd : 0;
    qsort(ins, nupd, sizeof(*ins), cmp_double);

    /* Update latency with the rebuild inside an update, then aside. */
    upd in, as;
    if (update_run(rv, nr, kv, nk, want, found, false, &in) < 0 ||
        update_run(rv, nr, kv, nk, want, found, true, &as) < 0) {
        fprintf(stderr, "classify: update run failed\n");
        return 1;
    }
    mismatches += in.mismatches + as.mismatches;
    printf("classify: updates=%zu inline: update_max_us=%.1f update_p99_us=%.2f; aside: "
           "update_max_us=%.1f update_p99_us=%.2f take_max_us=%.1f thread_start_max_us=%.1f "
           "install_step_max_us=%.1f "
           "installs=%zu free_old_max_ms=%.2f due_mlps=%.2f pending_mlps=%.2f installed_mlps=%.2f "
           "mismatches=%zu\n",
           (nr / 2 + 200) * 2, in.max_us, in.p99_us, as.max_us, as.p99_us, as.take_us, as.start_us,
           as.install_us, as.installs, as.free_ms, as.due_mlps, as.pending_mlps, as.new_mlps,
           in.mismatches + as.mismatches);
    printf("classify: trace hits=%zu/%zu (linear); incremental build mismatches=%zu\n", hits, nk,
           inc_bad);
    printf("classify: insert_us avg=%.2f p50=%.2f p99=%.2f max=%.2f (%zu single re-inserts "
           "into the full set); remove_us avg=%.2f; incremental build %.1f ms = %.2f us/rule; "
           "incremental bytes=%zu\n",
           ins_avg, nupd ? ins[nupd / 2] : 0, nupd ? ins[nupd * 99 / 100] : 0,
           nupd ? ins[nupd - 1] : 0, nupd, nupd ? rem_total / (double)nupd * 1e6 : 0, inc_s * 1e3,
           nr ? inc_s * 1e6 / (double)nr : 0, cls_bytes(inc));
    printf("classify: rules=%zu lookups=%zu mismatches=%zu indexed_mlps=%.2f linear_mlps=%.4f "
           "speedup=%.0f bytes=%zu build_ms=%.1f insert_us=%.2f remove_us=%.2f "
           "inline_update_max_us=%.0f update_max_us=%.0f pending_mlps=%.2f\n",
           nr, nk, mismatches, indexed_mlps, linear_mlps, indexed_mlps / linear_mlps, bytes,
           build_ms, ins_avg, nupd ? rem_total / (double)nupd * 1e6 : 0, in.max_us, as.max_us,
           as.pending_mlps);
    free(ins);
    free(want);
    free(found);
    cls_free(inc);
    cls_free(c);
    cls_linear_free(lin);
    free(rules.v);
    free(keys.v);
    return mismatches ? 1 : 0;
}
