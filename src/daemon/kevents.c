/*
 * kevents.c — the decisions made in the kernel, published like wardd's own.
 *
 * A connection a program's verdict table allows (or denies) stays in the
 * kernel; the hooks report it in a ring buffer (docs/KERNEL.md, "Decisions
 * made in the kernel"). Each record is attributed as a queued connection is
 * (decide.c: the process by pid, still running the executable the hook saw;
 * its path trusted only when the file there is that executable), mapped
 * back to the engine rule whose table entry decided, and published through
 * wardd_emit: the event ring, the log.
 * Repeats are folded into counted rows (fold.c).
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- The hooks' records --------------------------------------------------- */

/* The engine rule a table entry's id names, and its program's path. */
static bool rule_of(const struct wardd *d, uint32_t id, const char *path, ward_app_rule *out,
                    const char **owner)
{
    uint64_t app;
    ward_app_info a;
    if (!id || ward_app_rule_get(d->engine, id, &app, out) < 0 ||
        ward_app_get(d->engine, app, &a) < 0 || (path && strcmp(a.path, path)))
        return false;
    *owner = a.path;
    return true;
}

/* Whether a rule matches what the record says (the tables hold only
 * direction, protocol and port rules). */
static bool rule_matches(const ward_app_rule *r, uint8_t proto, uint16_t port)
{
    if (r->dir == WARD_DIR_IN || (r->proto && r->proto != proto))
        return false;
    if (!r->n_ports)
        return true;
    for (size_t i = 0; i < r->n_ports; i++)
        if (port >= r->ports[i].lo && port <= r->ports[i].hi)
            return true;
    return false;
}

/* A packet socket made by a program whose table does not give it raw
 * access: it could not be refused (docs/KERNEL.md, "Packet sockets"), so
 * the user is told. Once per row: repeats folded into it are counted there. */
static void packet_alert(struct wardd *d, const ward_event *row)
{
    ward_event ev = *row;
    char what[512];
    snprintf(what, sizeof(what),
             "%s (pid %u) opened a packet socket its rules do not allow; "
             "packet sockets cannot be refused on this kernel",
             row->exe[0] ? row->exe : "an unknown program", row->pid);
    wardd_log(LOG_WARNING, "alert: " WARDD_PACKET_ALERT ": %s", what);
    ev.kind = WARD_EVENT_ALERT;
    ev.count = 1;
    WARD_EVENT_SET(&ev, filter, WARDD_PACKET_ALERT);
    WARD_EVENT_SET(&ev, cmdline, what);
    wardd_emit(d, &ev);
}

static void kev_publish(struct wardd *d, const struct ward_kevent *e, int64_t mono_to_real)
{
    /* A bind the hook let through decided nothing (it refuses none today):
     * the listening table learns of it; the log would only fill with every
     * client's ephemeral port. */
    if (e->kind == WARD_KEV_BIND && e->verdict == WARD_KV_ALLOW)
        return;
    struct wardd_fold_key key;
    memset(&key, 0, sizeof(key));
    key.dev = e->dev;
    key.ino = e->ino;
    memcpy(key.remote.b, e->remote, 16);
    key.rule = e->rule;
    /* Binds fold by program: a resolver binding a fresh port per query
     * would otherwise make a row each. */
    key.rport = e->rport;
    key.kind = e->kind;
    key.proto = e->proto;
    key.verdict = e->verdict;
    int64_t now = wardd_now_ms(), time_ns = (int64_t)e->ts_ns + mono_to_real;
    if (wardd_fold_hit(d, &key, now, time_ns))
        return;

    ward_request r;
    memset(&r, 0, sizeof(r));
    r.layer = e->kind == WARD_KEV_BIND ? WARD_LAYER_BIND : WARD_LAYER_CONNECT_OUT;
    r.dir = e->kind == WARD_KEV_BIND ? WARD_DIR_IN : WARD_DIR_OUT;
    r.proto = e->proto;
    memcpy(r.local.b, e->local, 16);
    memcpy(r.remote.b, e->remote, 16);
    r.lport = e->lport;
    r.rport = e->rport;
    char comm[sizeof(e->comm) + 3], name[PATH_MAX + 64];
    snprintf(comm, sizeof(comm), "[%.*s]", (int)sizeof(e->comm), e->comm);
    r.app.cmdline = comm;
    ward_exe_id exe = {e->dev, e->ino};
    const ward_proc *p = e->dev || e->ino ? wardd_attribute(d, e->pid, exe) : NULL;
    const char *owner = NULL;
    ward_app_rule rule;
    bool has_rule = false;
    if (p) {
        r.app.path = wardd_program_name(d, p, &r.app.unverified, name, sizeof(name));
        r.app.exe = p->id;
        r.app.start_time = p->start_time;
        if (p->cmdline)
            r.app.cmdline = p->cmdline;
        r.app.ancestors = (const char *const *)p->ancestors;
        r.app.n_ancestors = p->n_ancestors;
        r.has_user = true;
        r.gid = p->gid;
        has_rule = !r.app.unverified && rule_of(d, e->rule, r.app.path, &rule, &owner);
    } else if ((owner = wardd_programmed_name(d, exe))) {
        /* The process is gone: the program whose table is keyed by the
         * executable the hook saw (raw sockets and binds have no rule). */
        r.app.path = owner;
        r.app.exe = exe;
        has_rule = rule_of(d, e->rule, owner, &rule, &owner);
    } else if (rule_of(d, e->rule, NULL, &rule, &owner)) {
        /* A table keyed by another file decided (replaced since the sync):
         * named, but not as that program. */
        snprintf(name, sizeof(name), "%s " WARDD_UNVERIFIED_MARK, owner);
        r.app.path = name;
        r.app.unverified = true;
        r.app.exe = exe;
    }
    r.app.pid = e->pid;
    r.uid = e->uid;
    r.has_user = true;
    wardd_traffic_name(d, exe, r.app.path); /* its sockets may outlive the process */

    ward_decision dec = {.verdict = e->verdict == WARD_KV_ALLOW ? WARD_V_PERMIT : WARD_V_BLOCK,
                         .reason = WARD_R_DEFAULT};
    const char *by = NULL;
    if (e->kind == WARD_KEV_RAW) {
        by = "raw-socket"; /* refused unless a table allows raw sockets */
    } else if (e->kind == WARD_KEV_PACKET) {
        by = WARDD_PACKET_ROW; /* made: nothing here could refuse it */
    } else if (e->kind == WARD_KEV_BIND) {
        by = "bind";
    } else if (e->rule & WARD_KRULE_FILTER) {
        /* An administrator's hard block of the host itself (selfblock.c). */
        ward_filter_def f;
        dec.filter_id = e->rule & ~WARD_KRULE_FILTER;
        dec.reason = WARD_R_FILTER;
        dec.hard = true;
        if (ward_filter_get(d->engine, dec.filter_id, &f) == 0) {
            dec.sublayer = f.sublayer;
            dec.provider = f.provider;
        }
    } else if (!e->dev && !e->ino) {
        dec.reason = WARD_R_UNATTRIBUTED;
    } else if (has_rule) {
        /* The entry's id is the rule that decided, or for the program's
         * fallback (the opposite of its last rule) that last rule. */
        dec.filter_id = e->rule;
        bool same = (rule.action == WARD_ACT_PERMIT) == (dec.verdict == WARD_V_PERMIT);
        dec.reason =
            same && rule_matches(&rule, e->proto, e->rport) ? WARD_R_APP_RULE : WARD_R_APP_FALLBACK;
    }
    ward_event ev;
    wardd_event_fill(d, &ev, &r, &dec, e->pid, e->uid, by);
    ev.time_ns = time_ns;
    wardd_fold_publish(d, &key, &ev, now);
    if (e->kind == WARD_KEV_PACKET && e->judged != WARD_KV_ALLOW)
        packet_alert(d, &ev);
}

static void on_kevent(void *ctx, const struct ward_kevent *e)
{
    struct wardd *d = ctx;
    if (!d->kev_procs_read) {
        /* The processes that connected are known first (as for the queue). */
        wardd_procs_drain(d);
        d->kev_procs_read = true;
    }
    d->kev_received++;
    if (e->verdict != WARD_KV_ALLOW && e->verdict != WARD_KV_DENY)
        return;
    kev_publish(d, e, clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
}

void wardd_kevents_drain(struct wardd *d)
{
    if (!d->kernel)
        return;
    d->kev_procs_read = false;
    ward_kernel_events_drain(d->kernel, on_kevent, d);
}

uint64_t wardd_kevents_lost(struct wardd *d)
{
    ward_kstats ks;
    if (!d->kernel || ward_kernel_stats(d->kernel, &ks) < 0)
        return 0;
    return ks.events_lost - d->kev_lost_base;
}

bool wardd_kevents_tick(struct wardd *d, int64_t now_ms)
{
    /* The hooks wake wardd only when their ring fills up: read on the clock. */
    uint64_t before = d->kev_received;
    wardd_kevents_drain(d);
    bool busy = d->kev_received != before;
    wardd_fold_flush(d, now_ms);
    if (!d->kernel || now_ms - d->kev_checked_ms < WARDD_FOLD_MS)
        return busy;
    d->kev_checked_ms = now_ms;
    uint64_t lost = wardd_kevents_lost(d);
    if (lost != d->kev_lost_said) {
        wardd_log(LOG_WARNING,
                  "kernel: %llu decisions of the hooks lost so far (their ring was full); "
                  "ward status counts them",
                  (unsigned long long)lost);
        d->kev_lost_said = lost;
    }
    return busy;
}

int wardd_kevents_open(struct wardd *d)
{
    if (!(d->fold = wardd_fold_new()))
        return -1;
    ward_kstats ks;
    if (d->kernel && ward_kernel_stats(d->kernel, &ks) == 0) {
        d->kev_lost_base = ks.events_lost;
        if (ks.events_lost)
            wardd_log(LOG_WARNING,
                      "kernel: %llu decisions of the hooks were lost before this run (ring full)",
                      (unsigned long long)ks.events_lost);
    }
    return 0;
}

void wardd_kevents_close(struct wardd *d)
{
    wardd_fold_flush(d, -1);
    free(d->fold);
    d->fold = NULL;
}
