/*
 * guard.c — wardd keeps its kernel objects in place. Someone with root who
 * removes the BPF hooks or edits table inet ward would otherwise disarm Ward
 * without a trace: each such change is undone at once and raised as an
 * alert (wardd's log, the event ring, the connection log).
 *
 * The nft monitor reports every transaction (wardd's loop calls
 * wardd_guard_nft when it is readable). The pins are files: inotify on the
 * pin directories reports their removal or replacement, and the links and
 * pins are checked at once. A cgroup link's detach or update has no
 * notification (a BPF link's fd polls only for struct_ops links), so the
 * loop's timers also check: every WARDD_BUSY_TICK_MS while the hooks
 * report decisions (traffic that a detached hook would let through), and
 * every WARDD_HOOK_CHECK_MS when idle (a laptop's battery).
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "daemon/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* What removes or replaces a pin, or a directory of them. */
#define PIN_EVENTS                                                                                 \
    (IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

void wardd_alert(struct wardd *d, const char *name, uint32_t count, uint32_t pid, const char *fmt,
                 ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    ward_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.pid = pid;
    ev.uid = WARD_UID_UNKNOWN;
    ev.count = count;
    wardd_alert_about(d, &ev, name, what);
}

/* The pin directory and the two under it. A directory removed (rm -rf)
 * loses its watch: the repair makes it again and this watches it anew
 * (a watch added twice is the same watch). */
static void pins_watch(struct wardd *d)
{
    static const char *const sub[] = {"", "/maps", "/links"};
    const char *dir = ward_kernel_pin_dir(d->kernel);
    char path[600];
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", dir, sub[i]);
        inotify_add_watch(d->pins_fd, path, PIN_EVENTS);
    }
}

int wardd_guard_open(struct wardd *d, uint32_t tag)
{
    d->pins_fd = -1;
    if (!d->kernel || !ward_kernel_pin_dir(d->kernel)[0])
        return 0;
    d->pins_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (d->pins_fd < 0) /* the periodic check still finds it */
        return 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->pins_fd, &ev)) {
        close(d->pins_fd);
        d->pins_fd = -1;
        return 0;
    }
    pins_watch(d);
    return 0;
}

void wardd_guard_close(struct wardd *d)
{
    if (d->pins_fd >= 0)
        close(d->pins_fd);
    d->pins_fd = -1;
}

void wardd_guard_pins_ready(struct wardd *d)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(d->pins_fd, buf, sizeof(buf)) > 0)
        ;
    int64_t now = wardd_now_ms();
    d->last_hook_check_ms = now - WARDD_HOOK_CHECK_MS; /* due now */
    wardd_guard_hooks(d, now, false);
}

void wardd_guard_hooks(struct wardd *d, int64_t now_ms, bool busy)
{
    int64_t every = busy ? WARDD_BUSY_TICK_MS : WARDD_HOOK_CHECK_MS;
    if (!d->kernel || now_ms - d->last_hook_check_ms < every)
        return;
    d->last_hook_check_ms = now_ms;
    ward_khooks h;
    int rc = ward_kernel_hooks_check(d->kernel, true, &h);
    if (rc == 0) {
        d->hooks_failing = false;
        return;
    }
    /* Something was repaired (or not yet): the directories it made again
     * are watched anew, whoever found it. */
    if (d->pins_fd >= 0)
        pins_watch(d);
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

/* A repair that failed is tried again by the table check a second from
 * now, not at its usual minute: a damaged table may pass (fail-open) or
 * drop what only the queue may decide. */
static void nft_check_soon(struct wardd *d)
{
    d->last_nft_check_ms = wardd_now_ms() - WARDD_NFT_CHECK_MS + 1000;
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
    if (rc)
        nft_check_soon(d);
}

void wardd_guard_nft_check(struct wardd *d)
{
    int rc = ward_kernel_nft_check(d->kernel, true);
    if (rc == 1)
        wardd_alert(d, "nft-tampered", 1, 0, "table inet ward was found damaged: restored");
    else if (rc < 0 && !d->nft_repair_failing)
        wardd_alert(d, "nft-tampered", 1, 0,
                    "table inet ward was found damaged and could not be restored: %s "
                    "(tried again every second)",
                    strerror(-rc));
    if (rc < 0)
        nft_check_soon(d);
    else if (d->nft_repair_failing)
        wardd_log(LOG_NOTICE, "table inet ward: restored after failed repairs");
    d->nft_repair_failing = rc < 0;
}
