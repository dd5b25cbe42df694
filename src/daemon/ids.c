/*
 * ids.c — wardd's side of intrusion detection: the rules in force for the
 * built-in ids callout (callout/ids.h) and its alerts.
 *
 * The rules are $WARD_IDS_DIR/ids.rules (default /var/lib/ward/ids), the
 * file `ward update ids` replaces by rename. wardd looks at it once a
 * second; a new file is compiled first and swapped in between two calls of
 * the callout, so a flow is never inspected by half a set. A file that does
 * not compile (written by hand) is logged and the set in force stays.
 *
 * With `set ids-update URL every TIME` wardd runs `ward update ids --poll URL`
 * (the ward beside wardd, in a child process: a slow server never holds
 * the main loop) when the policy names the URL and then every TIME; the
 * update verifies, compiles and renames, and the file check above swaps
 * the new set in. (--poll: a version rolled back is not applied again.)
 *
 * Every alert is an event of kind alert, named "ids", with the flow, the
 * program and pid, and "sid N rev R [action]: msg": wardd's log, the event
 * ring (ward watch, the UIs) and the connection log.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "callout/ids.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define IDS_DIR_DEFAULT "/var/lib/ward/ids"
#define IDS_CHECK_MS    1000

static struct {
    ward_ids *set;
    struct stat st; /* of the file the set came from (st_ino 0: none) */
    int64_t checked_ms;
    bool lib_missing; /* the last load wanted Hyperscan, which was not there */
    /* set ids-update: the policy's URL and interval as last seen, the
     * next run, the running update (0: none). */
    char url[sizeof(((ward_policy_extras *)0)->ids_update_url)];
    uint32_t every_s;
    int64_t next_update_ms;
    pid_t updater;
} I;

static void rules_path(char *out, size_t len)
{
    const char *dir = getenv("WARD_IDS_DIR");
    snprintf(out, len, "%s/ids.rules", dir && *dir ? dir : IDS_DIR_DEFAULT);
}

static void on_alert(void *ctx, const ward_callout_flow *f, const struct ward_ids_alert *a)
{
    struct wardd *d = ctx;
    ward_event ev;
    wardd_event_new(&ev, WARD_EVENT_ALERT);
    ev.pid = f->pid;
    ev.uid = f->uid;
    ev.proto = f->proto;
    ev.direction = f->dir == 0 ? WARD_DIR_OUT : WARD_DIR_IN;
    ev.layer = f->dir == 0 ? WARD_LAYER_CONNECT_OUT : WARD_LAYER_ACCEPT_IN;
    bool stops = a->action == WARD_IDS_DROP || a->action == WARD_IDS_REJECT;
    ev.verdict = stops ? WARD_V_BLOCK : WARD_V_PERMIT;
    ev.lport = f->lport;
    ev.rport = f->rport;
    memcpy(ev.local.b, f->local, 16);
    memcpy(ev.remote.b, f->remote, 16);
    char what[WARD_EVENT_CMDLINE_MAX], remote[64], port[16] = " (icmp)";
    snprintf(what, sizeof(what), "sid %u rev %u [%s]: %s", a->sid, a->rev,
             ward_ids_action_name(a->action), a->msg);
    WARD_EVENT_SET(&ev, filter, "ids");
    WARD_EVENT_SET(&ev, cmdline, what);
    WARD_EVENT_SET(&ev, exe, f->app);
    WARD_EVENT_SET(&ev, domain, f->domain);
    if (f->proto != 1 && f->proto != 58) /* ICMP's "ports" are its echo id and type */
        snprintf(port, sizeof(port), " port %u", f->rport);
    wardd_log(LOG_WARNING, "alert: ids %s: %s pid %u %s %s%s", what,
              f->app ? f->app : "(unknown program)", f->pid, f->dir == 0 ? "to" : "from",
              ward_ip_format(&ev.remote, remote, sizeof(remote)), port);
    wardd_emit(d, &ev);
}

/* Loads the rules file when it changed since the last look. */
static void load(struct wardd *d)
{
    char path[PATH_MAX], err[1024];
    struct stat st;
    rules_path(path, sizeof(path));
    if (stat(path, &st) < 0) {
        if (I.set)
            wardd_log(LOG_WARNING, "ids: %s is gone: the rules in force stay", path);
        memset(&I.st, 0, sizeof(I.st));
        I.st.st_ino = 0;
        return;
    }
    bool same = st.st_ino == I.st.st_ino && st.st_dev == I.st.st_dev &&
                st.st_size == I.st.st_size && st.st_mtim.tv_sec == I.st.st_mtim.tv_sec &&
                st.st_mtim.tv_nsec == I.st.st_mtim.tv_nsec;
    /* A set that failed for want of Hyperscan loads once it is installed,
     * without a change to the file: the library is looked for at each look
     * (cheap), the file read again when it is there, or when it changed. */
    if (same && (!I.lib_missing || !ward_ids_engine_ready(err, sizeof(err))))
        return;
    I.st = st;
    ward_ids *set = ward_ids_load_file(path, err, sizeof(err));
    if (!set) {
        I.lib_missing = !ward_ids_engine_ready(NULL, 0);
        wardd_log(LOG_ERR, "ids: %s; the rules in force stay%s", err,
                  I.lib_missing ? " (the set is loaded once the library is installed)" : "");
        return;
    }
    I.lib_missing = false;
    ward_ids_callout_use(set, on_alert, d);
    ward_ids_free(I.set);
    I.set = set;
    wardd_log(LOG_INFO, "ids: %zu rules in force from %s", ward_ids_count(set), path);
}

void wardd_ids_open(struct wardd *d)
{
    memset(&I, 0, sizeof(I));
    load(d);
}

/* `ward update ids --poll URL`, in a child. */
static void update_start(struct wardd *d, const char *url)
{
    char *args[] = {"update", "ids", "--poll", (char *)url, NULL};
    if ((I.updater = wardd_spawn_ward(d, "ids: update", args)) > 0)
        wardd_log(LOG_INFO, "ids: updating from %s (ward update ids, pid %d)", url, (int)I.updater);
}

static void update_tick(struct wardd *d, int64_t now_ms)
{
    int st;
    if (I.updater > 0 && waitpid(I.updater, &st, WNOHANG) == I.updater) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            wardd_log(LOG_INFO, "ids: update from %s done", I.url);
        else
            wardd_log(LOG_WARNING, "ids: update from %s failed (exit %d): the rules in force stay",
                      I.url, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        I.updater = 0;
    }
    const ward_policy_extras *x = &d->extras;
    if (!x->ids_update_s || I.updater > 0)
        return;
    if (strcmp(I.url, x->ids_update_url) != 0 || I.every_s != x->ids_update_s) {
        snprintf(I.url, sizeof(I.url), "%s", x->ids_update_url); /* new: now */
        I.every_s = x->ids_update_s;
        I.next_update_ms = now_ms;
    }
    if (now_ms < I.next_update_ms)
        return;
    I.next_update_ms = now_ms + (int64_t)I.every_s * 1000;
    update_start(d, I.url);
}

void wardd_ids_configure(struct wardd *d)
{
    ward_ids_callout_depth(d->extras.ids_depth);
}

void wardd_ids_tick(struct wardd *d, int64_t now_ms)
{
    if (now_ms - I.checked_ms < IDS_CHECK_MS)
        return;
    I.checked_ms = now_ms;
    update_tick(d, now_ms);
    load(d);
}

void wardd_ids_status(struct wardd *d, ward_proto_status *s)
{
    ward_ids_callout_stats cs;
    ward_ids_callout_stats_get(&cs);
    s->ids_rules = I.set ? ward_ids_count(I.set) : 0;
    s->ids_flows = cs.flows;
    s->ids_alerts = cs.alerts;
    s->ids_blocks = cs.blocks;
    s->ids_lost = cs.lost;
    s->ids_bypassed = cs.bypassed;
    if (d->stream) {
        ward_stream_stats ss;
        ward_stream_get_stats(d->stream, &ss);
        s->stream_bound_open = ss.bound_open;
        s->stream_bound_closed = ss.bound_closed;
    }
}

void wardd_ids_close(struct wardd *d)
{
    if (I.updater > 0) {
        kill(I.updater, SIGTERM);
        while (waitpid(I.updater, NULL, 0) < 0 && errno == EINTR)
            ;
        I.updater = 0;
    }
    ward_ids_callout_use(NULL, NULL, NULL);
    ward_ids_free(I.set);
    I.set = NULL;
}
