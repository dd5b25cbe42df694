/*
 * procs.c — where the process table's exec, fork and exit events come from,
 * and the end of rules that live "until the process exits".
 *
 * The proc connector is the first choice; where it cannot be opened (it
 * delivers only in the initial network namespace, and some kernels refuse
 * it) the scheduler's tracepoints feed a BPF ring buffer instead. With
 * neither, /proc is read on demand and each process an until-exit rule
 * belongs to is watched through a pidfd.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "util/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "kernel/procmon.h"

const char *wardd_procs_source_name(const struct wardd *d)
{
    switch (d->proc_source) {
    case WARDD_PROCS_CONNECTOR:
        return "proc-connector";
    case WARDD_PROCS_TRACEPOINTS:
        return "tracepoints";
    default:
        return "none";
    }
}

int wardd_procs_open(struct wardd *d)
{
    const char *want = d->opt.proc_events ? d->opt.proc_events : "auto";
    bool any = !strcmp(want, "auto");
    d->proc_source = WARDD_PROCS_NONE;
    d->procmon_fd = -1;
    if ((d->pidfd_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        return -errno;
    int rc = 0;
    if (any || !strcmp(want, "connector")) {
        rc = procmon_open();
        if (rc >= 0) {
            d->procmon_fd = rc;
            d->proc_source = WARDD_PROCS_CONNECTOR;
        } else if (rc == -ECONNREFUSED) {
            /* The kernel's connector answers only in the host's network
             * namespace (elsewhere: the tests, the demo). */
            wardd_log(LOG_INFO, "proc connector: only in the host's network namespace");
        } else {
            wardd_log(LOG_INFO, "proc connector unavailable (%s)", strerror(-rc));
        }
    }
    if (d->proc_source == WARDD_PROCS_NONE && (any || !strcmp(want, "tracepoints"))) {
        rc = ward_procmon_open(&d->pmon);
        if (rc == 0) {
            d->procmon_fd = ward_procmon_fd(d->pmon);
            d->proc_source = WARDD_PROCS_TRACEPOINTS;
        } else {
            wardd_log(LOG_INFO, "process tracepoints unavailable (%s)", strerror(-rc));
        }
    }
    proctab_set_events(d->procs, d->proc_source != WARDD_PROCS_NONE);
    wardd_log(LOG_INFO, "process events: %s%s", wardd_procs_source_name(d),
              d->proc_source == WARDD_PROCS_NONE ? " (processes are read on demand)" : "");
    return 0;
}

static void unwatch(struct wardd *d, size_t i)
{
    if (d->watches[i].pidfd >= 0)
        close(d->watches[i].pidfd); /* leaves the epoll set with it */
    d->watches[i] = d->watches[--d->n_watches];
}

void wardd_procs_close(struct wardd *d)
{
    while (d->n_watches)
        unwatch(d, d->n_watches - 1);
    free(d->watches);
    d->watches = NULL;
    d->cap_watches = 0;
    if (d->proc_source == WARDD_PROCS_CONNECTOR && d->procmon_fd >= 0)
        close(d->procmon_fd);
    ward_procmon_close(d->pmon);
    d->pmon = NULL;
    d->procmon_fd = -1;
    if (d->pidfd_epfd >= 0)
        close(d->pidfd_epfd);
    d->pidfd_epfd = -1;
}

void wardd_process_gone(struct wardd *d, uint32_t pid, uint64_t start_time)
{
    for (size_t i = 0; i < d->n_watches; i++) {
        if (d->watches[i].pid != pid || d->watches[i].start_time != start_time)
            continue;
        unwatch(d, i);
        int n = ward_engine_process_exited(d->engine, pid, start_time);
        if (n > 0) {
            wardd_log(LOG_INFO, "process %u exited: %d rule(s) until its exit removed", pid, n);
            wardd_commit(d, WARDD_CHANGED_RULES);
        }
        return;
    }
}

static void on_connector_exit(const ward_proc *gone, void *ctx)
{
    wardd_process_gone(ctx, gone->pid, gone->start_time);
    wardd_tamper_gone(ctx, gone->pid, gone->start_time);
}

static void on_connector_exec(uint32_t pid, void *ctx)
{
    wardd_tamper_exec(ctx, pid);
}

static void on_tracepoint(const ward_proc_event *ev, void *ctx)
{
    struct wardd *d = ctx;
    ward_proc gone;
    switch (ev->kind) {
    case WARD_PROC_EXEC: {
        proctab_exec_facts f = {
            .pid = ev->pid,
            .ppid = ev->ppid,
            .uid = ev->uid,
            .gid = ev->gid,
            .start_time = ev->start_time,
            .time_ns = ev->time_ns,
            .parent_start = ev->parent_start,
            .id = {ev->dev, ev->ino},
            .mtime_ns = ev->mtime_ns,
            .ctime_ns = ev->ctime_ns,
            .mnt_id = ev->mnt_id,
            .dir_ino = ev->dir_ino,
            .name_hash = ev->name_hash,
            .cgroup_id = ev->cgroup_id,
            .comm = ev->comm,
            .args = ev->args,
            .args_len = ev->args_len,
        };
        proctab_exec_seen(d->procs, &f);
        wardd_tamper_exec(d, ev->pid);
        break;
    }
    case WARD_PROC_FORK:
        proctab_fork(d->procs, ev->ppid, ev->pid, ev->start_time, ev->time_ns);
        break;
    case WARD_PROC_EXIT:
        if (proctab_exit(d->procs, ev->pid, &gone)) {
            proctab_proc_free(&gone);
        }
        /* The event names the process itself: known to the table or not. */
        wardd_process_gone(d, ev->pid, ev->start_time);
        wardd_tamper_gone(d, ev->pid, ev->start_time);
        break;
    case WARD_PROC_LOST:
        wardd_log(LOG_WARNING, "process events were lost: rescanning /proc");
        proctab_scan(d->procs);
        wardd_until_exit_sweep(d);
        break;
    }
}

int wardd_procs_drain(struct wardd *d)
{
    if (d->proc_source == WARDD_PROCS_CONNECTOR)
        return procmon_read(d->procmon_fd, d->procs, on_connector_exec, on_connector_exit, d);
    if (d->proc_source == WARDD_PROCS_TRACEPOINTS)
        return ward_procmon_read(d->pmon, on_tracepoint, d);
    return 0;
}

/* While processes start faster than this, the ring is read every
 * WARDD_PROC_POLL_MS instead of at each record: a wake-up per record cost
 * the starting process more than the record itself (docs/PERFORMANCE.md,
 * "Process monitoring"). Nothing that decides waits for the poll: a
 * queued connection, a kernel event, a tamper report or a shim question
 * reads the ring first (main.c). A lone record still wakes wardd at once. */
#define WARDD_PROC_POLL_MS 4

int wardd_procs_poll(struct wardd *d, int64_t now, bool woken)
{
    if (!woken && (!d->proc_poll_ms || now < d->proc_poll_ms))
        return d->proc_poll_ms ? (int)(d->proc_poll_ms - now) : -1;
    int n = wardd_procs_drain(d);
    bool again = d->proc_source == WARDD_PROCS_TRACEPOINTS && ward_procmon_poll(d->pmon, n);
    d->proc_poll_ms = again ? now + WARDD_PROC_POLL_MS : 0;
    return again ? WARDD_PROC_POLL_MS : -1;
}

void wardd_procs_pidfds_ready(struct wardd *d)
{
    struct epoll_event evs[16];
    int n = epoll_wait(d->pidfd_epfd, evs, 16, 0);
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < d->n_watches; k++) {
            if (d->watches[k].pidfd == evs[i].data.fd) {
                wardd_process_gone(d, d->watches[k].pid, d->watches[k].start_time);
                break;
            }
        }
    }
}

/* Whether (pid, start) still runs; watches it when it does. */
static bool watch(struct wardd *d, uint32_t pid, uint64_t start_time)
{
    for (size_t i = 0; i < d->n_watches; i++)
        if (d->watches[i].pid == pid && d->watches[i].start_time == start_time)
            return true;
    int pidfd = -1;
    if (d->proc_source == WARDD_PROCS_NONE) {
        /* Opened first, checked after: the pidfd then names this process. */
        pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        if (pidfd < 0 && errno == ESRCH)
            return false;
    }
    if (proctab_start_time(d->procs, pid) != start_time) {
        if (pidfd >= 0)
            close(pidfd);
        return false;
    }
    struct wardd_exit_watch *w =
        ward_grow(d->watches, &d->cap_watches, d->n_watches, sizeof(*w), 16);
    if (!w) {
        if (pidfd >= 0)
            close(pidfd);
        return true; /* not watched: the next sweep tries again */
    }
    d->watches = w;
    if (pidfd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = pidfd};
        epoll_ctl(d->pidfd_epfd, EPOLL_CTL_ADD, pidfd, &ev);
    }
    d->watches[d->n_watches++] = (struct wardd_exit_watch){pid, start_time, pidfd};
    return true;
}

struct exit_key {
    uint32_t pid;
    uint64_t start_time;
};

struct sweep {
    struct exit_key *gone;
    size_t n, cap;
};

static void note(struct wardd *d, struct sweep *s, const ward_lifetime *l)
{
    if (l->kind != WARD_LIFE_UNTIL_EXIT || watch(d, l->pid, l->start_time))
        return;
    struct exit_key *g = ward_grow(s->gone, &s->cap, s->n, sizeof(*g), 8);
    if (!g)
        return;
    s->gone = g;
    s->gone[s->n++] = (struct exit_key){l->pid, l->start_time};
}

struct filter_sweep {
    struct wardd *d;
    struct sweep *s;
};

static int note_filter(uint64_t id, const ward_filter_def *f, void *ctx)
{
    (void)id;
    struct filter_sweep *fs = ctx;
    note(fs->d, fs->s, &f->lifetime);
    return 0;
}

void wardd_until_exit_sweep(struct wardd *d)
{
    struct sweep s = {0};
    /* Gathered first, removed after: removing changes what is enumerated. */
    for (size_t i = 0; i < ward_app_count(d->engine); i++) {
        ward_app_info a;
        ward_app_at(d->engine, i, &a);
        for (size_t k = 0; k < a.n_rules; k++) {
            ward_app_rule r;
            uint64_t id;
            if (ward_app_rule_at(d->engine, a.id, k, &id, &r) == 0)
                note(d, &s, &r.lifetime);
        }
    }
    struct filter_sweep fs = {d, &s};
    ward_filter_foreach(d->engine, note_filter, &fs);
    int removed = 0;
    for (size_t i = 0; i < s.n; i++) {
        int n = ward_engine_process_exited(d->engine, s.gone[i].pid, s.gone[i].start_time);
        removed += n > 0 ? n : 0;
    }
    free(s.gone);
    if (removed > 0) {
        wardd_log(LOG_INFO, "%d rule(s) until a process exits removed: their processes are gone",
                  removed);
        wardd_commit(d, WARDD_CHANGED_RULES);
    }
}
