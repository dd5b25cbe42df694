/*
 * guard.c — wardd keeps its kernel objects in place. Someone with root who
 * removes the BPF hooks or edits table inet ward would otherwise disarm Ward
 * without a trace: each such change is undone at once and raised as an
 * alert (wardd's log, the event ring, the connection log).
 *
 * The nft monitor reports every transaction (wardd's loop calls
 * wardd_guard_nft when it is readable). A cgroup link's detach has no
 * notification, so wardd_guard_hooks checks the links and pins every
 * WARDD_HOOK_CHECK_MS from the loop's timers.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "daemon/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void wardd_alert(struct wardd *d, const char *name, uint32_t count, uint32_t pid, const char *fmt,
                 ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    wardd_log(LOG_WARNING, "alert: %s: %s", name, what);
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.time_ns = realtime_ns();
    ev.kind = WARD_EVENT_ALERT;
    ev.pid = pid;
    ev.uid = WARD_UID_UNKNOWN;
    ev.count = count;
    WARD_EVENT_SET(&ev, filter, name);
    WARD_EVENT_SET(&ev, cmdline, what);
    ward_ring_write(d->ring, &ev);
    ward_log_submit(d->log, &ev);
    wardd_journal_event(&ev);
    wardd_syslog_event(&ev);
}

void wardd_guard_hooks(struct wardd *d, int64_t now_ms)
{
    if (!d->kernel || now_ms - d->last_hook_check_ms < WARDD_HOOK_CHECK_MS)
        return;
    d->last_hook_check_ms = now_ms;
    ward_khooks h;
    int rc = ward_kernel_hooks_check(d->kernel, true, &h);
    if (rc == 0) {
        d->hooks_failing = false;
        return;
    }
    /* A repair that keeps failing (the cgroup gone, the BPF file system
     * unmounted) is alerted once, then logged every 10 s. */
    bool again = rc < 0 && d->hooks_failing;
    d->hooks_failing = rc < 0;
    if (again) {
        if (now_ms - d->last_guard_err_ms >= 10000) {
            d->last_guard_err_ms = now_ms;
            wardd_log(LOG_ERR, "BPF hooks: %u repairs still failing: %s", h.failed, strerror(-rc));
        }
        return;
    }
    if (h.detached)
        wardd_alert(d, "hooks-detached", h.detached, 0,
                    "%u of wardd's BPF links were detached from %s%s", h.detached,
                    d->opt.cgroup ? d->opt.cgroup : "the cgroup v2 root",
                    h.failed ? "" : ": attached again");
    if (h.replaced)
        wardd_alert(d, "hooks-replaced", h.replaced, 0,
                    "%u of wardd's BPF links were made to run another program%s", h.replaced,
                    h.failed ? "" : ": wardd's swapped back");
    if (h.unpinned)
        wardd_alert(d, "hooks-unpinned", h.unpinned, 0,
                    "%u of wardd's BPF pins under %s were removed or replaced%s", h.unpinned,
                    ward_kernel_pin_dir(d->kernel), h.failed ? "" : ": pinned again");
    if (rc < 0) {
        d->last_guard_err_ms = now_ms;
        wardd_log(LOG_ERR, "BPF hooks: %u repairs failed: %s", h.failed, strerror(-rc));
    }
}

void wardd_guard_nft(struct wardd *d)
{
    ward_knft_change c;
    if (!ward_kernel_nft_monitor_drain(d->kernel, &c))
        return;
    int rc = ward_kernel_nft_repair(d->kernel);
    char by[48] = "";
    if (c.pid)
        snprintf(by, sizeof(by), " by pid %u (%s)", c.pid, c.comm[0] ? c.comm : "?");
    const char *what = (c.what & WARD_KNFT_ADDED) && (c.what & WARD_KNFT_DELETED) ? "changed"
                       : (c.what & WARD_KNFT_ADDED)                               ? "added to"
                       : (c.what & WARD_KNFT_DELETED)                             ? "deleted from"
                                                      : "(notifications were lost) done to";
    wardd_alert(d, "nft-tampered", 1, c.pid, "something was %s table inet ward%s: %s", what, by,
                rc ? strerror(-rc) : "restored");
}

void wardd_guard_nft_check(struct wardd *d)
{
    if (ward_kernel_nft_check(d->kernel, true) == 1)
        wardd_alert(d, "nft-tampered", 1, 0, "table inet ward was found damaged: restored");
}
