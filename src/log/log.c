/*
 * The connection log's writer: a bounded lock-free queue in front of a
 * SQLite writer thread. See log.h for the guarantees.
 *
 * The queue is Vyukov's bounded MPMC ring with one consumer: each cell has a
 * sequence number saying whose turn it is. A producer claims a cell with one
 * compare-and-swap, copies the event and publishes it; when the cell ahead is
 * still unread the queue is full and the event is dropped. No producer ever
 * takes a lock or makes a system call except the rare wake-up (sem_post,
 * which never blocks) when a full batch is waiting.
 */
#define _GNU_SOURCE
#include "log/log.h"
#include "util/errbuf.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/schema.h"

struct cell {
    _Atomic uint64_t seq;
    ward_event ev;
};

struct ward_log {
    ward_log_config cfg;
    sqlite3 *db;
    sqlite3_stmt *insert;
    pthread_t thread;
    struct cell *q;
    uint64_t mask;
    _Atomic uint64_t enq; /* next cell producers claim */
    _Atomic uint64_t deq; /* next cell the writer reads (only it writes this) */
    sem_t wake;           /* the writer sleeps on it, up to flush_ms */
    pthread_mutex_t mu;   /* sync and retain waiters only; never producers */
    pthread_cond_t done;
    _Atomic bool stop, flush_now, retain_now;
    _Atomic uint64_t submitted, dropped, written, batches, pruned, errors;
    int64_t last_retain;
};

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Readers must never block the writer (and the writer them): WAL or nothing. */
static bool wal_on(sqlite3 *db)
{
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
        return false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        ok = mode && strcmp((const char *)mode, "wal") == 0;
    }
    sqlite3_finalize(st);
    return ok;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void bind_name(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int insert_row(ward_log *l, const ward_event *ev)
{
    sqlite3_stmt *st = l->insert;
    char la[WARD_IP_STRLEN], ra[WARD_IP_STRLEN];
    ward_ip_format(&ev->local, la, sizeof(la));
    ward_ip_format(&ev->remote, ra, sizeof(ra));
    sqlite3_bind_int64(st, 1, ev->time_ns);
    bind_name(st, 2,
              ev->kind == WARD_EVENT_ALERT  ? "alert"
              : ev->kind == WARD_EVENT_LOST ? "lost"
                                            : "decision");
    sqlite3_bind_int64(st, 3, ev->pid);
    sqlite3_bind_int64(st, 4, ev->uid);
    bind_text(st, 5, ev->exe);
    bind_text(st, 6, ev->cmdline);
    sqlite3_bind_int(st, 7, ev->proto);
    bind_name(st, 8, ev->direction == WARD_DIR_IN ? "in" : "out");
    bind_text(st, 9, la);
    sqlite3_bind_int(st, 10, ev->lport);
    bind_text(st, 11, ra);
    sqlite3_bind_blob(st, 12, ev->remote.b, 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 13, ev->rport);
    bind_text(st, 14, ev->domain);
    bind_name(st, 15, ward_verdict_name(ev->verdict));
    bind_name(st, 16, ward_layer_name(ev->layer));
    bind_name(st, 17, ward_reason_name(ev->reason));
    sqlite3_bind_int64(st, 18, (int64_t)ev->filter_id);
    bind_text(st, 19, ev->filter);
    sqlite3_bind_int64(st, 20, ev->count);
    if (ev->boot) {
        sqlite3_bind_int64(st, 21, (int64_t)ev->boot);
        sqlite3_bind_int64(st, 22, (int64_t)ev->bseq);
    } else {
        sqlite3_bind_null(st, 21);
        sqlite3_bind_null(st, 22);
    }
    bind_name(st, 23,
              ev->kind != WARD_EVENT_DECISION ? NULL
              : ev->via == WARD_VIA_SHIM      ? "shim"
                                              : "kernel");
    bind_name(st, 24, ev->parents[0] ? ev->parents : NULL);
    bind_name(st, 25, ev->domain[0] ? ward_name_src_name(ev->name_src) : NULL);
    bind_name(st, 26, ward_encdns_name(ev->encdns));
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int write_batch(ward_log *l, uint64_t from, size_t n)
{
    if (exec(l->db, "BEGIN") < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (insert_row(l, &l->q[(from + i) & l->mask].ev) < 0) {
            exec(l->db, "ROLLBACK");
            return -1;
        }
    }
    if (exec(l->db, "COMMIT") < 0) {
        exec(l->db, "ROLLBACK");
        return -1;
    }
    return 0;
}

/* Deletes by age, then the oldest rows while the database is over its size
 * bound. Returns the rows removed, or -1. */
static int64_t retain(ward_log *l)
{
    int64_t removed = 0;
    if (l->cfg.max_age_s > 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t cut = ((int64_t)now.tv_sec - l->cfg.max_age_s) * 1000000000LL;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(l->db, "DELETE FROM conn WHERE time_ns < ?", -1, &st, NULL) !=
            SQLITE_OK)
            return -1;
        sqlite3_bind_int64(st, 1, cut);
        if (sqlite3_step(st) == SQLITE_DONE)
            removed += sqlite3_changes(l->db);
        sqlite3_finalize(st);
    }
    if (l->cfg.max_bytes > 0) {
        int64_t page = pragma_int(l->db, "PRAGMA page_size");
        for (int round = 0; round < 8; round++) {
            int64_t used = (pragma_int(l->db, "PRAGMA page_count") -
                            pragma_int(l->db, "PRAGMA freelist_count")) *
                           page;
            if (used <= l->cfg.max_bytes)
                break;
            int64_t rows = pragma_int(l->db, "SELECT count(*) FROM conn");
            if (rows <= 0)
                break;
            /* Remove the share of rows that brings us 10% under the bound. */
            double share = 1.0 - 0.9 * (double)l->cfg.max_bytes / (double)used;
            int64_t n = (int64_t)((double)rows * share) + 1;
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(l->db,
                                   "DELETE FROM conn WHERE id IN "
                                   "(SELECT id FROM conn ORDER BY id LIMIT ?)",
                                   -1, &st, NULL) != SQLITE_OK)
                return -1;
            sqlite3_bind_int64(st, 1, n);
            if (sqlite3_step(st) == SQLITE_DONE)
                removed += sqlite3_changes(l->db);
            sqlite3_finalize(st);
        }
    }
    if (removed) {
        exec(l->db, "PRAGMA incremental_vacuum");
        /* Let the WAL shrink back too. */
        exec(l->db, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return removed;
}

/* Cells ready to read from deq on, up to max. */
static size_t ready(ward_log *l, uint64_t from, size_t max)
{
    size_t n = 0;
    while (n < max && atomic_load_explicit(&l->q[(from + n) & l->mask].seq, memory_order_acquire) ==
                          from + n + 1)
        n++;
    return n;
}

static void sleep_ms(ward_log *l, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* sem_timedwait takes CLOCK_REALTIME */
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (sem_timedwait(&l->wake, &ts) < 0 && errno == EINTR)
        ;
}

static void *writer(void *arg)
{
    ward_log *l = arg;
    for (;;) {
        uint64_t from = atomic_load_explicit(&l->deq, memory_order_relaxed);
        size_t n = ready(l, from, l->cfg.batch_max);
        bool stop = atomic_load(&l->stop), flush = atomic_load(&l->flush_now);
        bool want_retain =
            atomic_load(&l->retain_now) || mono_s() - l->last_retain >= l->cfg.retain_every_s;
        if (n == 0 && stop)
            break;
        if (n < l->cfg.batch_max && !stop && !flush && !want_retain) {
            /* Wait for a full batch, at most flush_ms, then take what is there. */
            sleep_ms(l, l->cfg.flush_ms);
            n = ready(l, from, l->cfg.batch_max);
        }
        if (n < l->cfg.batch_max)
            atomic_store(&l->flush_now, false);
        int rc = n ? write_batch(l, from, n) : 0;
        /* Hand the cells back to the producers. */
        for (size_t i = 0; i < n; i++)
            atomic_store_explicit(&l->q[(from + i) & l->mask].seq, from + i + l->mask + 1,
                                  memory_order_release);
        if (n) {
            atomic_store_explicit(&l->deq, from + n, memory_order_release);
            if (rc == 0) {
                atomic_fetch_add(&l->written, n);
                atomic_fetch_add(&l->batches, 1);
            } else {
                atomic_fetch_add(&l->errors, n);
            }
        }
        if (want_retain) {
            int64_t pruned = (l->cfg.max_age_s > 0 || l->cfg.max_bytes > 0) ? retain(l) : 0;
            if (pruned > 0)
                atomic_fetch_add(&l->pruned, (uint64_t)pruned);
            l->last_retain = mono_s();
            atomic_store(&l->retain_now, false);
        }
        pthread_mutex_lock(&l->mu);
        pthread_cond_broadcast(&l->done);
        pthread_mutex_unlock(&l->mu);
    }
    pthread_mutex_lock(&l->mu);
    pthread_cond_broadcast(&l->done);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

ward_log *ward_log_open(const ward_log_config *cfg, char *err, size_t errlen)
{
    ward_log *l = calloc(1, sizeof(*l));
    if (!l) {
        ward_errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    l->cfg = *cfg;
    size_t cap = 16;
    while (cap < (cfg->queue_cap ? cfg->queue_cap : 65536) && cap < ((size_t)1 << 24))
        cap <<= 1;
    l->cfg.queue_cap = cap;
    l->mask = cap - 1;
    if (!l->cfg.batch_max)
        l->cfg.batch_max = 4096;
    if (l->cfg.batch_max > cap)
        l->cfg.batch_max = cap;
    if (l->cfg.flush_ms <= 0)
        l->cfg.flush_ms = 200;
    if (l->cfg.retain_every_s <= 0)
        l->cfg.retain_every_s = 60;
    l->q = malloc(cap * sizeof(struct cell));
    if (!l->q) {
        ward_errbuf_set(err, errlen, "out of memory for a queue of %zu events", cap);
        free(l);
        return NULL;
    }
    for (size_t i = 0; i < cap; i++)
        atomic_init(&l->q[i].seq, i);
    if (sqlite3_open_v2(cfg->path, &l->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        ward_errbuf_set(err, errlen, "%s: %s", cfg->path,
                        l->db ? sqlite3_errmsg(l->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(l->db, 2000);
    /* auto_vacuum must be chosen before the first table exists. */
    if (exec(l->db, "PRAGMA auto_vacuum = INCREMENTAL") < 0 || !wal_on(l->db) ||
        exec(l->db, "PRAGMA synchronous = NORMAL") < 0 ||
        exec(l->db, "PRAGMA journal_size_limit = 16777216") < 0 ||
        exec(l->db, "PRAGMA cache_size = -16384") < 0 ||
        exec(l->db, "PRAGMA wal_autocheckpoint = 4096") < 0) {
        ward_errbuf_set(err, errlen, "%s: %s", cfg->path, sqlite3_errmsg(l->db));
        goto fail;
    }
    int64_t ver = pragma_int(l->db, "PRAGMA user_version");
    if ((ver == 1 && exec(l->db, WARD_LOG_MIGRATE_1_2) < 0) ||
        ((ver == 1 || ver == 2) && exec(l->db, WARD_LOG_MIGRATE_2_3) < 0) ||
        ((ver >= 1 && ver <= 3) && exec(l->db, WARD_LOG_MIGRATE_3_4) < 0) ||
        ((ver >= 1 && ver <= 4) && exec(l->db, WARD_LOG_MIGRATE_4_5) < 0) ||
        ((ver >= 1 && ver <= 5) && exec(l->db, WARD_LOG_MIGRATE_5_6) < 0)) {
        ward_errbuf_set(err, errlen, "%s: upgrading the log: %s", cfg->path, sqlite3_errmsg(l->db));
        goto fail;
    }
    if (ver < 0 || ver > WARD_LOG_SCHEMA_VERSION) {
        ward_errbuf_set(err, errlen, "%s: not a Ward log of schema version %d", cfg->path,
                        WARD_LOG_SCHEMA_VERSION);
        goto fail;
    }
    if (exec(l->db, WARD_LOG_SCHEMA) < 0 ||
        sqlite3_prepare_v2(l->db, WARD_LOG_INSERT, -1, &l->insert, NULL) != SQLITE_OK) {
        ward_errbuf_set(err, errlen, "%s: %s", cfg->path, sqlite3_errmsg(l->db));
        goto fail;
    }
    sem_init(&l->wake, 0, 0);
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->done, &ca);
    pthread_condattr_destroy(&ca);
    l->last_retain = mono_s() - l->cfg.retain_every_s; /* retain once at start */
    if (pthread_create(&l->thread, NULL, writer, l) != 0) {
        ward_errbuf_set(err, errlen, "cannot start the log writer");
        sem_destroy(&l->wake);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->done);
        goto fail;
    }
    return l;
fail:
    sqlite3_finalize(l->insert);
    sqlite3_close(l->db);
    free(l->q);
    free(l);
    return NULL;
}

void ward_log_close(ward_log *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    sem_post(&l->wake);
    pthread_join(l->thread, NULL);
    sqlite3_finalize(l->insert);
    sqlite3_close(l->db);
    sem_destroy(&l->wake);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->done);
    free(l->q);
    free(l);
}

bool ward_log_submit(ward_log *l, const ward_event *ev)
{
    uint64_t pos = atomic_load_explicit(&l->enq, memory_order_relaxed);
    struct cell *c;
    for (;;) {
        c = &l->q[pos & l->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&l->enq, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (dif < 0) {
            atomic_fetch_add_explicit(&l->dropped, 1, memory_order_relaxed);
            return false; /* full: the writer has not freed this cell yet */
        } else {
            pos = atomic_load_explicit(&l->enq, memory_order_relaxed);
        }
    }
    memcpy(&c->ev, ev, sizeof(*ev));
    atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
    atomic_fetch_add_explicit(&l->submitted, 1, memory_order_relaxed);
    /* A full batch is worth a wake-up; otherwise the writer's timer does. */
    if (pos + 1 - atomic_load_explicit(&l->deq, memory_order_relaxed) == l->cfg.batch_max)
        sem_post(&l->wake);
    return true;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int ward_log_sync(ward_log *l, int timeout_ms)
{
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    uint64_t target = atomic_load(&l->enq);
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    while (atomic_load(&l->deq) < target && rc == 0) {
        atomic_store(&l->flush_now, true);
        sem_post(&l->wake);
        if (pthread_cond_timedwait(&l->done, &l->mu, &ts) == ETIMEDOUT)
            rc = atomic_load(&l->deq) < target ? -1 : 0;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ward_log_retain(ward_log *l)
{
    struct timespec ts;
    deadline_in(&ts, 60000);
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    atomic_store(&l->retain_now, true);
    sem_post(&l->wake);
    while (atomic_load(&l->retain_now) && rc == 0)
        if (pthread_cond_timedwait(&l->done, &l->mu, &ts) == ETIMEDOUT)
            rc = -1;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void ward_log_stats_get(ward_log *l, ward_log_stats *out)
{
    out->submitted = atomic_load(&l->submitted);
    out->dropped = atomic_load(&l->dropped);
    out->written = atomic_load(&l->written);
    out->batches = atomic_load(&l->batches);
    out->pruned = atomic_load(&l->pruned);
    out->errors = atomic_load(&l->errors);
    uint64_t enq = atomic_load(&l->enq), deq = atomic_load(&l->deq);
    out->queued = (size_t)(enq > deq ? enq - deq : 0);
}
