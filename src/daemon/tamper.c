/*
 * tamper.c — injection alerts: another process takes attach rights over a
 * program that holds network rights (ptrace attach, process_vm_writev,
 * /proc/PID/mem opened for writing: kernel/tamper.h), or such a program
 * starts with LD_PRELOAD or while /etc/ld.so.preload is set. Each is an
 * alert; with `set on-tamper suspend` the target process also loses its
 * allow rules until the user answers a prompt about it again: its
 * program leaves the kernel's verdict tables, so every connection of it
 * comes to wardd, and those of the suspended process are asked.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "util/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "compile/kcompile.h"
#include "kernel/tamper.h"

/* The same actor, target and kind again within this long: one alert. */
#define REPEAT_MS 10000

int wardd_tamper_open(struct wardd *d)
{
    d->tamper_fd = -1;
    d->tamper_watch = "none";
    if (d->opt.no_kernel)
        return 0;
    const char *mech = NULL;
    int rc = ward_tamper_open(&d->tamper, &mech);
    if (rc < 0) {
        wardd_log(LOG_INFO, "injection watch unavailable (%s)", strerror(-rc));
        return 0;
    }
    d->tamper_watch = mech;
    d->tamper_fd = ward_tamper_fd(d->tamper);
    wardd_log(LOG_INFO, "injection watch: %s", mech);
    return 0;
}

void wardd_tamper_close(struct wardd *d)
{
    ward_tamper_close(d->tamper);
    d->tamper = NULL;
    d->tamper_fd = -1;
    free(d->suspended);
    d->suspended = NULL;
    d->n_suspended = d->cap_suspended = 0;
}

/* Whether the program has network rights: an allow rule of its own. */
static bool has_network_rights(const struct wardd *d, const char *path)
{
    int64_t app = path ? ward_app_find(d->engine, path) : -1;
    ward_app_rule r;
    uint64_t id;
    for (size_t i = 0; app > 0; i++) {
        if (ward_app_rule_at(d->engine, (uint64_t)app, i, &id, &r) < 0)
            return false;
        if (r.action == WARD_ACT_PERMIT)
            return true;
    }
    return false;
}

bool wardd_tamper_is_suspended(const struct wardd *d, uint32_t pid, uint64_t start_time)
{
    for (size_t i = 0; i < d->n_suspended; i++)
        if (d->suspended[i].pid == pid && d->suspended[i].start_time == start_time)
            return true;
    return false;
}

bool wardd_tamper_holds(const struct wardd *d, const char *path)
{
    for (size_t i = 0; i < d->n_suspended; i++)
        if (!strcmp(d->suspended[i].program, path))
            return true;
    return false;
}

static void suspend(struct wardd *d, const ward_proc *p, const char *program)
{
    if (wardd_tamper_is_suspended(d, p->pid, p->start_time))
        return;
    struct wardd_suspended *v =
        ward_grow(d->suspended, &d->cap_suspended, d->n_suspended, sizeof(*v), 4);
    if (!v)
        return;
    d->suspended = v;
    struct wardd_suspended *s = &d->suspended[d->n_suspended++];
    s->pid = p->pid;
    s->start_time = p->start_time;
    snprintf(s->program, sizeof(s->program), "%s", program);
    wardd_log(LOG_WARNING, "process %u (%s): allow rules suspended until it is answered again",
              p->pid, program);
    wardd_kernel_sync(d);
}

void wardd_tamper_answered(struct wardd *d, uint32_t pid, uint64_t start_time)
{
    for (size_t i = 0; i < d->n_suspended; i++) {
        if (d->suspended[i].pid != pid || d->suspended[i].start_time != start_time)
            continue;
        wardd_log(LOG_INFO, "process %u (%s): answered, its rules hold again", pid,
                  d->suspended[i].program);
        d->suspended[i] = d->suspended[--d->n_suspended];
        wardd_kernel_sync(d);
        return;
    }
}

void wardd_tamper_gone(struct wardd *d, uint32_t pid, uint64_t start_time)
{
    for (size_t i = 0; i < d->n_suspended; i++)
        if (d->suspended[i].pid == pid && d->suspended[i].start_time == start_time) {
            d->suspended[i] = d->suspended[--d->n_suspended];
            wardd_kernel_sync(d);
            return;
        }
}

/* Repeats (gdb opens /proc/PID/mem after its attach, many times) are one
 * alert: a small ring of what was alerted lately. */
static bool repeated(struct wardd *d, uint32_t actor, uint32_t target, const char *kind)
{
    int64_t now = wardd_now_ms();
    for (size_t i = 0; i < WARDD_TAMPER_RECENT; i++) {
        struct wardd_tamper_seen *s = &d->tamper_seen[i];
        if (s->actor == actor && s->target == target && s->kind == kind &&
            now - s->at_ms < REPEAT_MS)
            return true;
    }
    d->tamper_seen[d->tamper_next++ % WARDD_TAMPER_RECENT] =
        (struct wardd_tamper_seen){actor, target, kind, now};
    return false;
}

void wardd_alert_about(struct wardd *d, ward_event *ev, const char *name, const char *what)
{
    wardd_log(LOG_WARNING, "alert: %s: %s", name, what);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ev->time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    ev->kind = WARD_EVENT_ALERT;
    if (!ev->count)
        ev->count = 1;
    WARD_EVENT_SET(ev, filter, name);
    WARD_EVENT_SET(ev, cmdline, what);
    wardd_emit(d, ev);
}

static void alert(struct wardd *d, const ward_proc *target, const char *program, const char *kind,
                  const char *what)
{
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.pid = target->pid;
    ev.uid = target->uid;
    WARD_EVENT_SET(&ev, exe, program);
    ward_event_set_parents(&ev, (const char *const *)target->ancestors, target->n_ancestors);
    wardd_alert_about(d, &ev, kind, what);
    if (d->extras.on_tamper_suspend)
        suspend(d, target, program);
}

/* The target, if it still runs and holds network rights: its name in buf. */
static const ward_proc *networked(struct wardd *d, uint32_t pid, uint64_t start, char *buf,
                                  size_t len, const char **program)
{
    const ward_proc *p = proctab_lookup(d->procs, pid);
    /* Rights first: most programs have none (an exec is looked at here),
     * and a name that fails the identity check never has any. */
    if (!p || (start && p->start_time != start) || !has_network_rights(d, p->exe))
        return NULL;
    bool unverified;
    *program = wardd_program_name(d, p, &unverified, buf, len);
    return !unverified && has_network_rights(d, *program) ? p : NULL;
}

static void on_tamper(const ward_tamper_event *ev, void *ctx)
{
    struct wardd *d = ctx;
    if (ev->kind == WARD_TAMPER_LOST) {
        wardd_log(LOG_WARNING, "injection watch: records were lost (its ring was full)");
        return;
    }
    if (ev->actor == (uint32_t)getpid())
        return;
    char name[PATH_MAX + 64], actor_name[PATH_MAX];
    const char *program;
    const ward_proc *t = networked(d, ev->target, ev->target_start, name, sizeof(name), &program);
    const char *kind = ward_tamper_kind_name(ev->kind);
    if (!t || repeated(d, ev->actor, ev->target, kind))
        return;
    const ward_proc *a = proctab_lookup(d->procs, ev->actor);
    snprintf(actor_name, sizeof(actor_name), "%s", a && a->exe ? a->exe : "?");
    char what[512];
    snprintf(what, sizeof(what), "%.200s (pid %u) took %s rights over %.200s (pid %u)", actor_name,
             ev->actor, kind, program, ev->target);
    alert(d, t, program, kind, what);
}

void wardd_tamper_drain(struct wardd *d)
{
    if (d->tamper)
        ward_tamper_read(d->tamper, on_tamper, d);
}

/* /etc/ld.so.preload as it was when last looked at: a change is alerted
 * once, at the next start of a program with network rights. */
static bool preload_changed(struct wardd *d, char *what, size_t len)
{
    const char *path = d->opt.preload_file ? d->opt.preload_file : "/etc/ld.so.preload";
    struct stat st;
    bool present = stat(path, &st) == 0 && st.st_size > 0;
    int64_t ctime_ns = present ? (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec : 0;
    if (!d->preload_known) {
        d->preload_known = true;
        d->preload_ctime_ns = ctime_ns;
        if (!present)
            return false;
        snprintf(what, len, "%s is set", path);
        return true;
    }
    if (ctime_ns == d->preload_ctime_ns)
        return false;
    d->preload_ctime_ns = ctime_ns;
    snprintf(what, len, "%s %s", path, present ? "was changed" : "was emptied");
    return present;
}

void wardd_tamper_exec(struct wardd *d, uint32_t pid)
{
    char name[PATH_MAX + 64], path[PATH_MAX], env[16384], what[512];
    const char *program;
    const ward_proc *p = networked(d, pid, 0, name, sizeof(name), &program);
    if (!p)
        return;
    if (preload_changed(d, what, sizeof(what)))
        alert(d, p, program, "ld-preload", what);
    snprintf(path, sizeof(path), "/proc/%u/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, env, sizeof(env) - 1);
    close(fd);
    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(env + off) + 1) {
        env[n] = '\0';
        if (!strncmp(env + off, "LD_PRELOAD=", 11) && env[off + 11]) {
            snprintf(what, sizeof(what), "%s (pid %u) started with LD_PRELOAD=%.300s", program, pid,
                     env + off + 11);
            alert(d, p, program, "ld-preload", what);
            return;
        }
    }
}
