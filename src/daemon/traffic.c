/*
 * traffic.c — bytes and packets per connection, per program and per remote.
 *
 * The hooks count every socket of the cgroup by its cookie (docs/KERNEL.md,
 * "Traffic accounting"). Once a second wardd reads the counters, names each
 * socket's program (the process by pid while it still runs the executable
 * the hook saw; else the name wardd gave that executable when it last
 * attributed one of its connections; an accepted socket by its listener),
 * keeps the open connections with their rates for `conns.list`, and adds
 * what each socket sent and received since the last read to per-minute
 * totals (program × remote × user), written to SQLite every few seconds
 * (log/traffic.h) and read by `stats.query`. A socket the program released
 * is forgotten, in the kernel too, once a read finds nothing new on it.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "kernel/traffic.h"
#include "log/traffic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define TR_READ_MS  1000 /* the counters are read this often */
#define TR_FLUSH_MS 5000 /* and the totals written this often */
#define TR_BUCKETS  4096
#define TR_NAMES    512 /* executables named lately */
#define TR_UNKNOWN  "(unknown)"

struct tconn {
    struct tconn *next;
    ward_conn_info info;
    uint64_t folded[4]; /* bytes in/out, packets in/out already in the totals */
    uint64_t gen;       /* the last read that found it */
    unsigned tries;     /* reads that could not name it */
    bool named, counted, closed;
};

struct tname {
    ward_exe_id exe;
    char path[WARD_EVENT_EXE_MAX];
};

struct wardd_traffic {
    struct tconn *bucket[TR_BUCKETS];
    size_t n;
    ward_ktraffic *buf;
    size_t cap;
    ward_traffic_delta *pend;
    size_t npend, cappend;
    ward_traffic_db *db;
    struct tname names[TR_NAMES];
    size_t next_name;
    uint64_t gen;
    uint64_t open_ns; /* CLOCK_MONOTONIC at start: older sockets count from now */
    int64_t last_read_ms, last_flush_ms;
    bool failing; /* the last write failed (said once) */
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void wardd_traffic_name(struct wardd *d, ward_exe_id exe, const char *path)
{
    struct wardd_traffic *t = d->traffic;
    if (!t || !path || (!exe.dev && !exe.ino))
        return;
    for (size_t i = 0; i < TR_NAMES; i++)
        if (t->names[i].exe.dev == exe.dev && t->names[i].exe.ino == exe.ino) {
            snprintf(t->names[i].path, sizeof(t->names[i].path), "%s", path);
            return;
        }
    struct tname *n = &t->names[t->next_name++ % TR_NAMES];
    n->exe = exe;
    snprintf(n->path, sizeof(n->path), "%s", path);
}

/* The name of the program of exe run by pid; false when none is known. */
static bool name_of(struct wardd *d, uint32_t pid, ward_exe_id exe, char *out, size_t len)
{
    if (!exe.dev && !exe.ino)
        return false;
    const ward_proc *p = pid ? wardd_attribute(d, pid, exe) : NULL;
    if (p) {
        char buf[PATH_MAX + 64];
        bool unverified;
        const char *name = wardd_program_name(d, p, &unverified, buf, sizeof(buf));
        snprintf(out, len, "%s", name);
        wardd_traffic_name(d, exe, name);
        return true;
    }
    struct wardd_traffic *t = d->traffic;
    for (size_t i = 0; i < TR_NAMES; i++)
        if (t->names[i].exe.dev == exe.dev && t->names[i].exe.ino == exe.ino) {
            snprintf(out, len, "%s", t->names[i].path);
            return true;
        }
    /* Gone, never attributed: the program whose kernel table is keyed by it. */
    const char *programmed = wardd_programmed_name(d, exe);
    if (programmed)
        snprintf(out, len, "%s", programmed);
    return programmed != NULL;
}

static struct tconn **slot(struct wardd_traffic *t, uint64_t cookie)
{
    struct tconn **p = &t->bucket[(cookie * 0x9e3779b97f4a7c15ull) >> 52];
    while (*p && (*p)->info.cookie != cookie)
        p = &(*p)->next;
    return p;
}

/* Adds a delta to the totals waiting to be written. */
static void pend(struct wardd_traffic *t, const struct tconn *c, const uint64_t *delta, bool first)
{
    int64_t minute = (int64_t)time(NULL) / 60;
    char remote[WARD_IP_STRLEN];
    ward_ip_format(&c->info.raddr, remote, sizeof(remote));
    ward_traffic_delta *p = NULL;
    for (size_t i = 0; i < t->npend && !p; i++)
        if (t->pend[i].minute == minute && t->pend[i].uid == c->info.uid &&
            !strcmp(t->pend[i].r.program, c->info.program) && !strcmp(t->pend[i].r.remote, remote))
            p = &t->pend[i];
    if (!p) {
        if (t->npend == t->cappend) {
            size_t cap = t->cappend ? t->cappend * 2 : 64;
            ward_traffic_delta *g = realloc(t->pend, cap * sizeof(*g));
            if (!g)
                return; /* counted on the next read */
            t->pend = g;
            t->cappend = cap;
        }
        p = &t->pend[t->npend++];
        memset(p, 0, sizeof(*p));
        p->minute = minute;
        p->uid = c->info.uid;
        snprintf(p->r.program, sizeof(p->r.program), "%s", c->info.program);
        snprintf(p->r.remote, sizeof(p->r.remote), "%s", remote);
    }
    if (c->info.domain[0])
        snprintf(p->r.domain, sizeof(p->r.domain), "%s", c->info.domain);
    ward_accounting_add(c->info.program, delta[0] + delta[1]); /* the accounting callout's */
    p->r.bytes_in += delta[0];
    p->r.bytes_out += delta[1];
    p->r.packets_in += delta[2];
    p->r.packets_out += delta[3];
    p->r.conns += first;
}

void wardd_traffic_flush(struct wardd *d)
{
    struct wardd_traffic *t = d->traffic;
    if (!t || !t->db || !t->npend)
        return;
    if (ward_traffic_db_add(t->db, t->pend, t->npend) < 0) {
        if (!t->failing)
            wardd_log(LOG_WARNING, "traffic totals: cannot write %s (kept, tried again)",
                      d->log_path);
        t->failing = true;
        return;
    }
    t->failing = false;
    t->npend = 0;
}

/* The listener of an accepted socket: who bound its local port. */
static bool listener_of(struct wardd *d, ward_klisten *ls, int nls, struct tconn *c,
                        ward_exe_id *exe)
{
    for (int i = 0; i < nls; i++)
        if (ls[i].proto == c->info.proto && ls[i].port == c->info.lport) {
            *exe = ls[i].exe;
            c->info.pid = ls[i].pid;
            c->info.uid = ls[i].uid;
            return true;
        }
    (void)d;
    return false;
}

static void fill(struct wardd *d, struct tconn *c, const ward_ktraffic *e)
{
    const struct ward_traffic *k = &e->t;
    if (k->tuple) {
        memcpy(c->info.laddr.b, k->local, 16);
        memcpy(c->info.raddr.b, k->remote, 16);
        c->info.lport = k->lport;
        c->info.rport = k->rport;
    }
    if (!c->info.domain[0] && k->tuple)
        ward_kernel_name_of(d->kernel, &c->info.raddr, c->info.domain, sizeof(c->info.domain));
}

static void read_counters(struct wardd *d, int64_t now_ms, int64_t dt_ms)
{
    struct wardd_traffic *t = d->traffic;
    int n = ward_kernel_traffic_read(d->kernel, t->buf, t->cap);
    if (n < 0)
        return;
    bool partial = (size_t)n == t->cap; /* the rest are read next time */
    if (partial && t->cap < WARD_MAX_TRAFFIC) {
        /* More next time: the rest are counted then. */
        ward_ktraffic *g = realloc(t->buf, t->cap * 2 * sizeof(*g));
        if (g) {
            t->buf = g;
            t->cap *= 2;
        }
    }
    t->gen++;
    ward_klisten *ls = NULL;
    int nls = -1;
    int64_t now_s = (int64_t)time(NULL);
    uint64_t mono = (uint64_t)mono_ns();
    /* The last name found: a flood's sockets are one program's. */
    struct {
        uint32_t pid;
        ward_exe_id exe;
        bool named;
        char name[WARD_EVENT_EXE_MAX];
    } last = {0};
    for (int i = 0; i < n; i++) {
        const ward_ktraffic *e = &t->buf[i];
        const struct ward_traffic *k = &e->t;
        uint64_t cur[4] = {k->bytes_in, k->bytes_out, k->packets_in, k->packets_out};
        struct tconn **s = slot(t, e->cookie), *c = *s;
        if (!c) {
            if (!(c = calloc(1, sizeof(*c))))
                continue;
            *s = c;
            t->n++;
            c->info.cookie = e->cookie;
            c->info.pid = k->pid;
            c->info.uid = k->uid;
            c->info.proto = k->proto;
            c->info.dir = k->dir == WARD_TDIR_IN ? WARD_DIR_IN : WARD_DIR_OUT;
            c->info.verdict = WARD_V_PERMIT; /* it passed: its packets were counted */
            c->info.since = now_s - (int64_t)((mono - k->start_ns) / 1000000000u);
            if (k->start_ns < t->open_ns) {
                /* Older than this run: counted from now (what an earlier
                 * wardd read is in the totals already). */
                memcpy(c->folded, cur, sizeof(cur));
                c->counted = true;
            }
            snprintf(c->info.program, sizeof(c->info.program), TR_UNKNOWN);
        }
        c->gen = t->gen;
        c->closed = k->closed_ns != 0;
        fill(d, c, e);
        /* Give up naming after a few reads (an accepted socket whose
         * listener is gone): the listeners' table is read for each try. */
        if (!c->named && c->tries++ < 5) {
            ward_exe_id exe = {k->dev, k->ino};
            if (!exe.dev && !exe.ino && c->info.dir == WARD_DIR_IN) {
                if (nls < 0) {
                    ls = calloc(WARD_MAX_BINDS, sizeof(*ls));
                    nls = ls ? ward_kernel_listeners(d->kernel, ls, WARD_MAX_BINDS) : 0;
                }
                listener_of(d, ls, nls, c, &exe);
            }
            if (last.pid == c->info.pid && last.exe.dev == exe.dev && last.exe.ino == exe.ino &&
                (exe.dev || exe.ino)) {
                c->named = last.named;
                if (last.named)
                    snprintf(c->info.program, sizeof(c->info.program), "%s", last.name);
            } else {
                c->named = name_of(d, c->info.pid, exe, c->info.program, sizeof(c->info.program));
                last.pid = c->info.pid;
                last.exe = exe;
                last.named = c->named;
                snprintf(last.name, sizeof(last.name), "%s", c->info.program);
            }
        }
        uint64_t delta[4];
        bool moved = false;
        for (int j = 0; j < 4; j++) {
            delta[j] = cur[j] >= c->folded[j] ? cur[j] - c->folded[j] : 0;
            moved |= delta[j] != 0;
        }
        c->info.rate_in = dt_ms > 0 ? (cur[0] - c->info.bytes_in) * 1000 / (uint64_t)dt_ms : 0;
        c->info.rate_out = dt_ms > 0 ? (cur[1] - c->info.bytes_out) * 1000 / (uint64_t)dt_ms : 0;
        c->info.bytes_in = cur[0];
        c->info.bytes_out = cur[1];
        c->info.packets_in = cur[2];
        c->info.packets_out = cur[3];
        /* A socket still unnamed waits a little: its process may be read yet. */
        if (moved && (c->named || k->closed_ns || now_s - c->info.since >= 2)) {
            pend(t, c, delta, !c->counted);
            c->counted = true;
            memcpy(c->folded, cur, sizeof(cur));
        } else if (!moved && k->closed_ns) {
            ward_kernel_traffic_forget(d->kernel, e->cookie);
            c->gen = 0; /* removed below */
        }
    }
    free(ls);
    if (partial)
        return; /* those not read this time are not gone */
    /* Sockets gone from the map (forgotten, or pushed out of the LRU). */
    for (size_t b = 0; b < TR_BUCKETS; b++)
        for (struct tconn **p = &t->bucket[b]; *p;) {
            if ((*p)->gen == t->gen) {
                p = &(*p)->next;
                continue;
            }
            struct tconn *gone = *p;
            *p = gone->next;
            free(gone);
            t->n--;
        }
    (void)now_ms;
}

void wardd_traffic_tick(struct wardd *d, int64_t now_ms)
{
    struct wardd_traffic *t = d->traffic;
    if (!t)
        return;
    if (d->kernel && now_ms - t->last_read_ms >= TR_READ_MS) {
        read_counters(d, now_ms, now_ms - t->last_read_ms);
        t->last_read_ms = now_ms;
    }
    if (now_ms - t->last_flush_ms >= TR_FLUSH_MS) {
        wardd_traffic_flush(d);
        t->last_flush_ms = now_ms;
    }
}

int wardd_traffic_open(struct wardd *d)
{
    struct wardd_traffic *t = calloc(1, sizeof(*t));
    if (!t || !(t->buf = calloc(1024, sizeof(*t->buf)))) {
        free(t);
        return -1;
    }
    t->cap = 1024;
    t->open_ns = (uint64_t)mono_ns();
    t->last_read_ms = t->last_flush_ms = wardd_now_ms();
    char err[512];
    if (!(t->db = ward_traffic_db_open(d->log_path, err, sizeof(err))))
        wardd_log(LOG_WARNING, "traffic totals: %s (not kept)", err);
    d->traffic = t;
    return 0;
}

void wardd_traffic_close(struct wardd *d)
{
    struct wardd_traffic *t = d->traffic;
    if (!t)
        return;
    if (d->kernel)
        read_counters(d, wardd_now_ms(), wardd_now_ms() - t->last_read_ms);
    wardd_traffic_flush(d);
    for (size_t b = 0; b < TR_BUCKETS; b++)
        while (t->bucket[b]) {
            struct tconn *c = t->bucket[b];
            t->bucket[b] = c->next;
            free(c);
        }
    ward_traffic_db_close(t->db);
    free(t->buf);
    free(t->pend);
    free(t);
    d->traffic = NULL;
}

/* ---- Requests ------------------------------------------------------------ */

void wardd_traffic_on_query(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    ward_stats_query q = m->u.stats_query;
    const ward_peer *peer = ward_conn_peer(c);
    if (peer->auth != WARD_AUTH_ADMIN) {
        q.has_uid = true; /* others read their own traffic only */
        q.uid = peer->uid;
    }
    wardd_traffic_flush(d); /* what was counted is what is read */
    ward_stats_row *rows = NULL;
    char err[512];
    int n = ward_traffic_db_query(d->log_path, &q, &rows, err, sizeof(err));
    if (n < 0) {
        ward_conn_send_error(c, m->id, WARD_PE_FAILED, "traffic: %s", err);
        return;
    }
    ward_conn_send_stats(c, m->id, rows, (size_t)n);
    free(rows);
}

void wardd_traffic_on_conns(struct wardd *d, ward_conn *c, const ward_msg *m)
{
    struct wardd_traffic *t = d->traffic;
    const ward_peer *peer = ward_conn_peer(c);
    size_t n = 0;
    ward_conn_info *v = t && t->n ? calloc(t->n, sizeof(*v)) : NULL;
    for (size_t b = 0; v && b < TR_BUCKETS; b++)
        for (const struct tconn *x = t->bucket[b]; x && n < t->n; x = x->next)
            if (!x->closed && (peer->auth == WARD_AUTH_ADMIN || x->info.uid == peer->uid))
                v[n++] = x->info;
    ward_conn_send_conns(c, m->id, v, n);
    free(v);
}
