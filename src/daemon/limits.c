/*
 * limits.c — rate limits and quotas per program (docs/LIMITS.md).
 *
 * The policy's `limit rate` and `quota` become entries of the hooks'
 * ward_limits map, keyed by the program's executable: the kernel polices the
 * rate and counts the quota's bytes, and refuses the program once a blocking
 * quota is used up. wardd owns the period: it reads the kernel's count every
 * second, adds what earlier runs of this period used (the `quota` table of
 * the SQLite log, written every few seconds and at exit), raises the alert
 * when a quota runs out, and starts the count again when a new day, week or
 * month begins. An entry is rewritten only when its settings change, so a
 * reload does not reset a program's rate clock or lose its bytes.
 *
 * The accounting callout's period is kept here too: its counts start again
 * when the period of `set accounting-limit` does, and when wardd starts they
 * are seeded from the traffic totals the period already has in SQLite.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "compile/kcompile.h"
#include "kernel/limits.h"
#include "log/quota.h"
#include "log/traffic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define LIM_READ_MS  1000
#define LIM_FLUSH_MS 5000

struct lim {
    ward_app_limit cfg;
    ward_exe_id exe;
    bool enforced;       /* the kernel has its entry */
    int64_t start;       /* unix time its quota period began */
    uint64_t base;       /* bytes of the period before the kernel entry was written */
    struct ward_limit k; /* the kernel entry, as last read */
    bool alerted;        /* the quota's alert of this period was raised */
};

struct wardd_limits {
    struct lim l[WARD_POLICY_MAX_LIMITS];
    size_t n;
    /* An earlier wardd's kernel entries, found at start: their counts. */
    struct prior {
        ward_exe_id exe;
        uint64_t used;
    } prior[WARD_POLICY_MAX_LIMITS];
    size_t n_prior;
    ward_quota_db *db;
    int64_t last_read_ms, last_flush_ms;
    int acc_period; /* the accounting callout's: enum ward_quota_period */
};

/* When the period of that kind holding `now` began (local time). */
int64_t wardd_period_start(int period, int64_t now)
{
    time_t t = (time_t)now;
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    if (period == WARD_QUOTA_WEEK)
        tm.tm_mday -= (tm.tm_wday + 6) % 7; /* back to Monday */
    else if (period == WARD_QUOTA_MONTH)
        tm.tm_mday = 1;
    return (int64_t)mktime(&tm);
}

static uint64_t used_of(const struct lim *l)
{
    return l->base + (l->enforced ? l->k.used : 0);
}

/* The kernel entry for l's settings, its count starting from l->base. */
static void program(struct wardd *d, struct lim *l)
{
    const ward_app_limit *c = &l->cfg;
    struct ward_limit k = {0};
    if (c->rate_bits) {
        k.flags |= WARD_LIMIT_RATE;
        k.rate = c->rate_bits / 8;
        /* The default burst: a tenth of a second at the rate, at least 64KB
         * (TCP's segments leave in bursts of that size). */
        uint64_t burst = c->burst ? c->burst : k.rate / 10 > 65536 ? k.rate / 10 : 65536;
        k.burst_ns = burst * 1000000000ull / k.rate;
    }
    if (c->quota) {
        k.flags |= WARD_LIMIT_QUOTA;
        if (!c->quota_alert)
            k.flags |= WARD_LIMIT_BLOCK;
        k.allow = c->quota > l->base ? c->quota - l->base : 0;
    }
    int rc = ward_kernel_limit_set(d->kernel, l->exe, &k);
    l->enforced = rc == 0;
    memset(&l->k, 0, sizeof(l->k));
    if (rc)
        wardd_log(LOG_WARNING, "limits of %s: not enforced: %s", c->program, strerror(-rc));
}

static void flush(struct wardd *d)
{
    struct wardd_limits *L = d->limits;
    ward_quota_use u[WARD_POLICY_MAX_LIMITS];
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++)
        if (L->l[i].cfg.quota)
            u[n++] = (ward_quota_use){.program = L->l[i].cfg.program,
                                      .period = L->l[i].cfg.period,
                                      .start = L->l[i].start,
                                      .used = used_of(&L->l[i]),
                                      .kused = L->l[i].enforced ? L->l[i].k.used : 0};
    if (L->db && ward_quota_db_put(L->db, u, n) < 0)
        wardd_log(LOG_WARNING, "quota usage: not written to %s", d->log_path);
}

static void quota_alert(struct wardd *d, struct lim *l)
{
    char size[32], what[512];
    ward_policy_fmt_size(l->cfg.quota, size, sizeof(size));
    snprintf(what, sizeof(what), "%s used its quota of %s per %s (%llu bytes): %s", l->cfg.program,
             size, ward_policy_period_name((enum ward_quota_period)l->cfg.period),
             (unsigned long long)used_of(l),
             l->cfg.quota_alert ? "alerted only" : "its traffic is blocked until the period ends");
    wardd_log(LOG_WARNING, "alert: quota: %s", what);
    ward_event ev;
    wardd_event_new(&ev, WARD_EVENT_ALERT);
    ev.verdict = l->cfg.quota_alert ? WARD_V_PERMIT : WARD_V_BLOCK;
    WARD_EVENT_SET(&ev, filter, "quota");
    WARD_EVENT_SET(&ev, exe, l->cfg.program);
    WARD_EVENT_SET(&ev, cmdline, what);
    wardd_emit(d, &ev);
}

static void check(struct wardd *d, struct lim *l, int64_t now)
{
    if (l->enforced && ward_kernel_limit_get(d->kernel, l->exe, &l->k) < 0)
        memset(&l->k, 0, sizeof(l->k));
    if (!l->cfg.quota)
        return;
    int64_t start = wardd_period_start(l->cfg.period, now);
    if (start != l->start) { /* a new day, week or month: the count starts again */
        l->start = start;
        l->base = 0;
        l->alerted = false;
        if (l->enforced)
            program(d, l);
        return;
    }
    if (!l->alerted && used_of(l) >= l->cfg.quota) {
        l->alerted = true;
        quota_alert(d, l);
    }
}

/* The accounting callout's counts for the period holding now: kept while
 * it lasts; else started again, from the traffic totals when seed is set. */
static void accounting_sync(struct wardd *d, int64_t now, bool seed)
{
    struct wardd_limits *L = d->limits;
    int64_t start = wardd_period_start(L->acc_period, now);
    if (start == ward_accounting_period())
        return;
    ward_accounting_reset(start);
    if (!seed)
        return;
    wardd_traffic_flush(d);
    ward_stats_query q = {.by = WARD_STATS_BY_PROGRAM, .since = start, .limit = 100000};
    ward_stats_row *rows = NULL;
    char err[512];
    int n = ward_traffic_db_query(d->log_path, &q, &rows, err, sizeof(err));
    if (n < 0)
        wardd_log(LOG_WARNING, "accounting: the period's totals not read: %s", err);
    for (int i = 0; i < n; i++)
        ward_accounting_add(rows[i].program, rows[i].bytes_in + rows[i].bytes_out);
    free(rows);
}

/* What the store holds for l's period, with what the kernel counted after
 * the row was written (wardd was down, or killed before its last write). */
static uint64_t stored(struct wardd_limits *L, const struct lim *l)
{
    uint64_t used, kused;
    ward_quota_db_get(L->db, l->cfg.program, l->cfg.period, l->start, &used, &kused);
    for (size_t i = 0; i < L->n_prior; i++)
        if (L->prior[i].exe.dev == l->exe.dev && L->prior[i].exe.ino == l->exe.ino &&
            L->prior[i].used > kused)
            used += L->prior[i].used - kused;
    return used;
}

void wardd_limits_apply(struct wardd *d)
{
    struct wardd_limits *L = d->limits;
    if (!L)
        return;
    const ward_policy_extras *x = &d->extras;
    int64_t now = (int64_t)time(NULL);
    struct wardd_limits *old = malloc(sizeof(*old));
    if (!old) {
        wardd_log(LOG_ERR, "limits: out of memory");
        return;
    }
    for (size_t i = 0; i < L->n; i++)
        check(d, &L->l[i], now); /* the last counts of the settings in force */
    flush(d);
    *old = *L;
    L->n = 0;
    for (size_t i = 0; i < x->n_limits; i++) {
        struct lim *l = &L->l[L->n];
        memset(l, 0, sizeof(*l));
        l->cfg = x->limits[i];
        l->start = l->cfg.quota ? wardd_period_start(l->cfg.period, now) : 0;
        int rc = ward_kc_resolve_path(NULL, l->cfg.program, &l->exe);
        if (rc) {
            wardd_log(LOG_WARNING, "limits of %s: not enforced: not an executable's one name",
                      l->cfg.program);
            continue;
        }
        L->n++;
        struct lim *was = NULL;
        for (size_t k = 0; k < old->n && !was; k++)
            if (!strcmp(old->l[k].cfg.program, l->cfg.program))
                was = &old->l[k];
        if (was && was->exe.dev == l->exe.dev && was->exe.ino == l->exe.ino && was->enforced &&
            !memcmp(&was->cfg, &l->cfg, sizeof(l->cfg))) {
            *l = *was; /* unchanged: the kernel keeps counting */
            continue;
        }
        if (was && was->cfg.quota && was->cfg.period == l->cfg.period && was->start == l->start)
            l->base = used_of(was);
        else if (l->cfg.quota && L->db)
            l->base = stored(L, l);
        /* Used up already (this run or an earlier one): alerted then. */
        l->alerted = l->cfg.quota && l->base >= l->cfg.quota;
        if (d->kernel)
            program(d, l);
    }
    /* Programs whose limits are gone, or whose executable changed. */
    for (size_t k = 0; k < old->n; k++) {
        bool kept = false;
        for (size_t i = 0; i < L->n && !kept; i++)
            kept = L->l[i].exe.dev == old->l[k].exe.dev && L->l[i].exe.ino == old->l[k].exe.ino;
        if (!kept && old->l[k].enforced)
            ward_kernel_limit_del(d->kernel, old->l[k].exe);
    }
    free(old);
    L->n_prior = 0; /* counted once, at start */
    flush(d);
    ward_accounting_set_limit(x->accounting_limit);
    int acc = x->accounting_period ? x->accounting_period : WARD_QUOTA_DAY;
    if (acc != L->acc_period) {
        L->acc_period = acc;
        ward_accounting_reset(0); /* another kind of period: counted afresh */
    }
    accounting_sync(d, now, true);
}

void wardd_limits_tick(struct wardd *d, int64_t now_ms)
{
    struct wardd_limits *L = d->limits;
    if (!L || now_ms - L->last_read_ms < LIM_READ_MS)
        return;
    L->last_read_ms = now_ms;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < L->n; i++)
        check(d, &L->l[i], now);
    accounting_sync(d, now, false);
    if (now_ms - L->last_flush_ms >= LIM_FLUSH_MS) {
        L->last_flush_ms = now_ms;
        flush(d);
    }
}

size_t wardd_limits_rows(struct wardd *d, ward_limit_row *out, size_t max)
{
    struct wardd_limits *L = d->limits;
    size_t n = 0;
    for (size_t i = 0; L && i < L->n && n < max; i++, n++) {
        const struct lim *l = &L->l[i];
        ward_limit_row *r = &out[n];
        memset(r, 0, sizeof(*r));
        snprintf(r->program, sizeof(r->program), "%s", l->cfg.program);
        r->rate_bits = l->cfg.rate_bits;
        r->quota = l->cfg.quota;
        r->period = l->cfg.period;
        r->quota_alert = l->cfg.quota_alert;
        r->period_start = l->start;
        r->used = l->cfg.quota ? used_of(l) : 0;
        r->enforced = l->enforced;
        r->exhausted = l->cfg.quota && r->used >= l->cfg.quota;
        r->dropped = l->k.dropped;
        r->refused = l->k.refused;
    }
    return n;
}

int wardd_limits_open(struct wardd *d)
{
    struct wardd_limits *L = calloc(1, sizeof(*L));
    if (!L)
        return -1;
    char err[512];
    if (!(L->db = ward_quota_db_open(d->log_path, err, sizeof(err))))
        wardd_log(LOG_WARNING, "quota usage: %s (not kept across restarts)", err);
    L->last_read_ms = L->last_flush_ms = wardd_now_ms();
    d->limits = L;
    /* An earlier wardd's entries: their counts are kept for the first
     * apply, then the entries go (the policy's are written afresh). */
    ward_exe_id stale[WARD_MAX_LIMITS];
    int n = d->kernel ? ward_kernel_limits(d->kernel, stale, WARD_MAX_LIMITS) : 0;
    for (int i = 0; i < n; i++) {
        struct ward_limit k;
        if (L->n_prior < WARD_POLICY_MAX_LIMITS &&
            ward_kernel_limit_get(d->kernel, stale[i], &k) == 0 && (k.flags & WARD_LIMIT_QUOTA))
            L->prior[L->n_prior++] = (struct prior){stale[i], k.used};
        ward_kernel_limit_del(d->kernel, stale[i]);
    }
    if (n > 0)
        wardd_log(LOG_INFO, "limits: %d entries of an earlier run, %zu counting a quota", n,
                  L->n_prior);
    return 0;
}

void wardd_limits_close(struct wardd *d)
{
    struct wardd_limits *L = d->limits;
    if (!L)
        return;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < L->n; i++)
        check(d, &L->l[i], now);
    flush(d);
    ward_quota_db_close(L->db);
    free(L);
    d->limits = NULL;
}

void wardd_limits_on_list(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_limit_row rows[WARD_POLICY_MAX_LIMITS];
    size_t n = wardd_limits_rows(d, rows, WARD_POLICY_MAX_LIMITS);
    ward_conn_send_limits(c, m->id, rows, n);
}
