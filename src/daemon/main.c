/*
 * main.c — wardd: options, start-up, the event loop, shut-down.
 *
 *   wardd [--foreground] [--config FILE] [--state-dir DIR] [--run-dir DIR]
 *         [--cgroup PATH] [--pin-dir DIR] [--no-kernel]
 *         [--proc-events auto|connector|tracepoints|none]
 *
 * Under systemd (Type=notify) it reports READY=1 once the policy is in force
 * and the socket is listening, pets the watchdog from the loop, and logs to
 * stderr with syslog priority prefixes, which journald understands.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "daemon/journal.h"
#include "daemon/notify.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: wardd [--foreground] [--config FILE] [--state-dir DIR] [--run-dir DIR]\n"
               "             [--cgroup PATH] [--pin-dir DIR] [--no-kernel]\n"
               "             [--proc-events auto|connector|tracepoints|none]\n"
               "             [--callout-dir DIR] [--no-packet-log] [--ld-preload-file FILE]\n"
               "             [--dpkg-dir DIR] [--av-db DIR]\n");
}

static int parse_options(int argc, char **argv, struct wardd_options *o)
{
    static const struct option longopts[] = {
        {"foreground", no_argument, NULL, 'f'},
        {"config", required_argument, NULL, 'c'},
        {"state-dir", required_argument, NULL, 's'},
        {"run-dir", required_argument, NULL, 'r'},
        {"cgroup", required_argument, NULL, 'g'},
        {"pin-dir", required_argument, NULL, 'p'},
        {"no-kernel", no_argument, NULL, 'K'},
        {"proc-events", required_argument, NULL, 'P'},
        {"max-waiting", required_argument, NULL, 'W'},
        {"callout-dir", required_argument, NULL, 'C'},
        {"no-packet-log", no_argument, NULL, 'N'},
        {"ld-preload-file", required_argument, NULL, 'L'},
        {"dpkg-dir", required_argument, NULL, 'D'},
        {"av-db", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct wardd_options){
        .config = "/etc/ward/ward.conf",
        .state_dir = "/var/lib/ward",
        .run_dir = "/run/ward",
        /* Events are ~1.4 kB: 4096 of them is 5.8 MB for the ring, a few
         * seconds of a connection storm (the log queues them packed). */
        .ring_capacity = 4096,
        .max_waiting = 4096,
        .proc_events = "auto",
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "fc:s:r:g:p:KW:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            o->foreground = true;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 's':
            o->state_dir = optarg;
            break;
        case 'r':
            o->run_dir = optarg;
            break;
        case 'g':
            o->cgroup = optarg;
            break;
        case 'p':
            o->pin_dir = optarg;
            break;
        case 'K':
            o->no_kernel = true;
            break;
        case 'C':
            o->callout_dir = optarg;
            break;
        case 'A':
            o->av_db = optarg;
            break;
        case 'N':
            o->no_packet_log = true;
            break;
        case 'L':
            o->preload_file = optarg;
            break;
        case 'D':
            o->dpkg_dir = optarg;
            break;
        case 'P':
            if (strcmp(optarg, "auto") && strcmp(optarg, "connector") &&
                strcmp(optarg, "tracepoints") && strcmp(optarg, "none")) {
                fprintf(stderr, "wardd: --proc-events: auto, connector, tracepoints or none\n");
                return -1;
            }
            o->proc_events = optarg;
            break;
        case 'W': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || n < 1 || n > 1000000) {
                fprintf(stderr, "wardd: --max-waiting: 1 to 1000000 connections\n");
                return -1;
            }
            o->max_waiting = n;
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* The directory for the socket is root's and not writable by others: a
 * local user must not be able to put a socket of their own in its place. */
static int prepare_dir(const char *dir, mode_t mode)
{
    if (mkdir(dir, mode) < 0) {
        if (errno != EEXIST)
            return -errno;
    } else if (chmod(dir, mode) < 0) { /* mkdir's mode went through the umask */
        return -errno;
    }
    struct stat st;
    if (stat(dir, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))
        return -EPERM;
    return 0;
}

/* Not the host's mount namespace (a service's ProtectSystem=, unshare -m)?
 * Mounts made here do not reach the host. Unknown (false) when pid 1's
 * namespace cannot be read. */
static bool own_mount_namespace(void)
{
    char self[64], init[64];
    ssize_t a = readlink("/proc/self/ns/mnt", self, sizeof(self) - 1);
    ssize_t b = readlink("/proc/1/ns/mnt", init, sizeof(init) - 1);
    if (a < 0 || b < 0)
        return false;
    self[a] = init[b] = '\0';
    return strcmp(self, init) != 0;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

enum {
    TAG_SERVER = 1,
    TAG_SIGNAL,
    TAG_QUEUE,
    TAG_PROCMON,
    TAG_NFTMON,
    TAG_PIDFDS,
    TAG_RELOAD,
    TAG_SELF,
    TAG_KEVENTS,
    TAG_SHIM,
    TAG_TAMPER,
    TAG_FILES,
    TAG_AV,
    TAG_MAIL,
    TAG_PINS,
    TAG_REBUILD,
};

static int setup(struct wardd *d)
{
    char err[512];
    snprintf(d->learned_path, sizeof(d->learned_path), "%s/learned.rules", d->opt.state_dir);
    snprintf(d->log_path, sizeof(d->log_path), "%s/log.db", d->opt.state_dir);
    snprintf(d->sock_path, sizeof(d->sock_path), "%s/control.sock", d->opt.run_dir);
    int rc;
    if ((rc = prepare_dir(d->opt.state_dir, 0700)) < 0 ||
        (rc = prepare_dir(d->opt.run_dir, 0755)) < 0) {
        wardd_log(LOG_ERR,
                  "state or run directory: %s (must be ours and not group/world "
                  "writable)",
                  strerror(-rc));
        return -1;
    }
    /* Subscribed before the addresses are first read: a change in between
     * is not missed. */
    if ((rc = wardd_self_open(d)) < 0)
        wardd_log(LOG_WARNING, "address events: %s; the host's addresses are read at (re)load only",
                  strerror(-rc));
    /* Before the policy: it may name the callouts. */
    if (wardd_callouts_open(d) < 0) {
        wardd_log(LOG_ERR, "callouts: out of memory");
        return -1;
    }
    if ((rc = wardd_runtime_open(d)) == -ENOMEM) {
        wardd_log(LOG_ERR, "out of memory");
        return -1;
    }
    if (rc < 0)
        wardd_log(LOG_ERR, "runtime.rules: %s; starting without it", strerror(-rc));
    if (wardd_policy_load(d, err, sizeof(err)) < 0) {
        wardd_log(LOG_ERR, "policy: %s", err);
        return -1;
    }
    if ((rc = wardd_reload_init(d)) < 0) {
        wardd_log(LOG_ERR, "reload: %s", strerror(-rc));
        return -1;
    }
    if ((rc = wardd_rebuild_init(d)) < 0) {
        wardd_log(LOG_ERR, "rebuild: %s", strerror(-rc));
        return -1;
    }
    if (!(d->procs = proctab_new(NULL)) || !(d->prompts = prompts_new()) ||
        !(d->ring = ward_ring_create(d->opt.ring_capacity))) {
        wardd_log(LOG_ERR, "out of memory");
        return -1;
    }
    /* Listen first, then scan: a process started in between is not missed. */
    if ((rc = wardd_procs_open(d)) < 0) {
        wardd_log(LOG_ERR, "process events: %s", strerror(-rc));
        return -1;
    }
    proctab_scan(d->procs);
    wardd_tamper_open(d);
    wardd_files_open(d);
    /* Rules until a process exits (policy files may hold some): the gone
     * ones end now, the others are watched. */
    wardd_until_exit_sweep(d);

    wardd_mark_open(d);
    wardd_journal_open();
    ward_log_config lc = {
        .path = d->log_path, .queue_cap = 8192, .max_age_s = 30 * 86400, .max_bytes = 256ll << 20};
    if (!(d->log = ward_log_open(&lc, err, sizeof(err)))) {
        wardd_log(LOG_ERR, "log %s: %s", d->log_path, err);
        return -1;
    }
    wardd_mark_recover(d);
    wardd_log(LOG_INFO, "boot %llu: decisions are numbered from 0 in this run",
              (unsigned long long)d->boot);

    if (!d->opt.no_kernel) {
        ward_kernel_config kc;
        ward_kernel_config_default(&kc);
        kc.cgroup = d->opt.cgroup;
        kc.no_packet_log = d->opt.no_packet_log;
        kc.queue_no_table = true; /* the engine decides what is queued */
        if (d->opt.pin_dir)
            kc.pin_dir = d->opt.pin_dir;
        kc.fail = d->extras.fail_open ? WARD_KFAIL_OPEN : WARD_KFAIL_CLOSED;
        /* Connections waiting on prompts hold their packets in the queue:
         * it is longer than wardd's own bound, so the bound (the timeout's
         * answer at once, counted) is what a flood meets, not the kernel
         * silently dropping SYNs that come back a second later. */
        kc.queue_maxlen = (uint32_t)d->opt.max_waiting + WARD_KQUEUE_HEADROOM;
        if (wardd_boot_config(d, &kc) < 0) {
            wardd_log(LOG_ERR, "boot filters: out of memory");
            return -1;
        }
        if ((rc = ward_kernel_open(&kc, &d->kernel, err, sizeof(err))) < 0) {
            wardd_log(LOG_ERR, "kernel: %s", err);
            return -1;
        }
        if (ward_kernel_bpffs_mounted(d->kernel)[0]) {
            wardd_log(LOG_INFO, "no BPF file system was mounted: mounted one on %s (pins under %s)",
                      ward_kernel_bpffs_mounted(d->kernel), ward_kernel_pin_dir(d->kernel));
            if (own_mount_namespace())
                wardd_log(LOG_WARNING,
                          "wardd runs in a mount namespace of its own: that file system and the "
                          "pins last only as long as the namespace (for hooks that outlive "
                          "wardd: mount -t bpf bpf /sys/fs/bpf on the host)");
        }
        ward_kernel_dns_callback(d->kernel, wardd_on_dns, d);
        if (wardd_stream_open(d) < 0) {
            wardd_log(LOG_ERR, "stream layer: out of memory");
            return -1;
        }
        wardd_stream_configure(d);
        wardd_self_refresh(d);
        /* Programs listening since before the hooks: known by their rules. */
        int bound = ward_kernel_listeners_scan(d->kernel);
        if (bound < 0)
            wardd_log(LOG_WARNING, "kernel: the sockets bound before the hooks: %s",
                      strerror(-bound));
        else
            wardd_log(LOG_DEBUG, "kernel: %d bound sockets noted", bound);
        /* Tables an earlier wardd left: the first sync keeps what still
         * holds and withdraws the rest. */
        int n = ward_kernel_programs(d->kernel, NULL, 0);
        if (n > 0 && (d->programmed = calloc((size_t)n, sizeof(*d->programmed))))
            d->n_programmed = (size_t)ward_kernel_programs(d->kernel, d->programmed, (size_t)n);
    }

    ward_server_config sc = {
        .path = d->sock_path,
        .admin_gid = (gid_t)-1,
        .on_msg = wardd_on_msg,
        .on_close = wardd_on_close,
        .ctx = d,
    };
    if (!(d->server = ward_server_new(&sc, err, sizeof(err)))) {
        wardd_log(LOG_ERR, "control socket %s: %s", d->sock_path, err);
        return -1;
    }

    d->sigfd = signalfd(-1, &d->sigmask, SFD_CLOEXEC | SFD_NONBLOCK);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->sigfd < 0 || d->epfd < 0 || epoll_add(d->epfd, ward_server_fd(d->server), TAG_SERVER) ||
        epoll_add(d->epfd, d->sigfd, TAG_SIGNAL) ||
        epoll_add(d->epfd, wardd_reload_fd(d), TAG_RELOAD) ||
        epoll_add(d->epfd, wardd_rebuild_fd(d), TAG_REBUILD)) {
        wardd_log(LOG_ERR, "epoll: %s", strerror(errno));
        return -1;
    }
    if (d->procmon_fd >= 0)
        epoll_add(d->epfd, d->procmon_fd, TAG_PROCMON);
    epoll_add(d->epfd, d->pidfd_epfd, TAG_PIDFDS);
    if (d->tamper_fd >= 0)
        epoll_add(d->epfd, d->tamper_fd, TAG_TAMPER);
    if (d->files_fd >= 0)
        epoll_add(d->epfd, d->files_fd, TAG_FILES);
    if (d->self_fd >= 0)
        epoll_add(d->epfd, d->self_fd, TAG_SELF);
    if (d->kernel) {
        epoll_add(d->epfd, ward_kernel_queue_fd(d->kernel), TAG_QUEUE);
        int mfd = ward_kernel_nft_monitor_fd(d->kernel);
        if (mfd >= 0)
            epoll_add(d->epfd, mfd, TAG_NFTMON);
    }
    if (wardd_kevents_open(d) < 0) {
        wardd_log(LOG_ERR, "out of memory");
        return -1;
    }
    if (d->kernel && ward_kernel_events_fd(d->kernel) >= 0)
        epoll_add(d->epfd, ward_kernel_events_fd(d->kernel), TAG_KEVENTS);
    if ((rc = wardd_shim_open(d)) < 0 || epoll_add(d->epfd, wardd_shim_fd(d), TAG_SHIM)) {
        wardd_log(LOG_ERR, "shim socket in %s: %s", d->opt.run_dir, strerror(rc < 0 ? -rc : errno));
        return -1;
    }
    if (wardd_guard_open(d, TAG_PINS) < 0 || wardd_av_open(d, TAG_AV) < 0 ||
        wardd_mail_open(d, TAG_MAIL) < 0 || wardd_traffic_open(d) < 0 || wardd_limits_open(d) < 0) {
        wardd_log(LOG_ERR, "out of memory");
        return -1;
    }
    wardd_commit(d, WARDD_CHANGED_POLICY);
    d->watchdog_us = (int64_t)wardd_watchdog_usec();
    return 0;
}

static void free_waiter(void *token, void *ctx)
{
    (void)ctx;
    free(token);
}

static void teardown(struct wardd *d)
{
    /* The kernel's tables outlive us: known programs keep their verdicts. */
    d->stopping = true;
    /* Clients first: closing them may still resolve prompts. */
    ward_server_free(d->server);
    /* What still waits is left to the kernel: dropped (fail-closed) or passed
     * (fail-open) once the queue has no reader. */
    prompts_free(d->prompts, free_waiter, NULL);
    wardd_shim_close(d); /* its questions waiting on prompts: the kernel decides */
    wardd_reload_free(d);
    wardd_rebuild_free(d);
    wardd_fleet_close(d);
    wardd_self_close(d);
    wardd_kevents_close(d); /* the repeats still counted go to the log */
    wardd_traffic_close(d); /* the last counts go to the totals */
    wardd_stream_close(d);  /* held packets get the bound's outcome */
    wardd_limits_close(d);  /* the quotas' usage to the store */
    wardd_mail_close(d);
    wardd_av_close(d);
    wardd_guard_close(d);
    if (d->kernel)
        ward_kernel_close(d->kernel); /* the table and links stay: policy holds while we're down */
    if (d->log) {
        ward_log_sync(d->log, 2000);
        ward_log_stats ls;
        ward_log_stats_get(d->log, &ls);
        ward_log_close(d->log);
        /* Every event of this run is accounted for: logged, or said here. */
        uint64_t missing = ls.dropped + ls.errors;
        wardd_log(missing ? LOG_WARNING : LOG_INFO,
                  "boot %llu: %llu decisions published, %llu not logged (%llu queue full, %llu "
                  "write errors)",
                  (unsigned long long)d->boot, (unsigned long long)d->next_bseq,
                  (unsigned long long)missing, (unsigned long long)ls.dropped,
                  (unsigned long long)ls.errors);
    }
    wardd_journal_close();
    wardd_syslog_close();
    wardd_mark_close(d);
    wardd_programmed_free(d);
    wardd_boot_free(d);
    ward_ring_destroy(d->ring);
    wardd_tamper_close(d);
    wardd_files_close(d);
    wardd_procs_close(d);
    proctab_free(d->procs);
    ward_policy_free(d->policy);
    wardd_runtime_close(d);
    wardd_callouts_close(d);
    ward_alert_free(d->alerts);
    if (d->sigfd >= 0)
        close(d->sigfd);
    if (d->epfd >= 0)
        close(d->epfd);
}

static void handle_signal(struct wardd *d)
{
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP)
            wardd_reload_request(d, NULL, 0);
        else
            d->running = false;
    }
}

/* Work that runs on a clock: prompt timeouts, expiring rules, the watchdog,
 * the ring's wake-ups, the hooks' decisions, the process events' poll.
 * Returns how long epoll may sleep. */
static int timers(struct wardd *d)
{
    int64_t now = wardd_now_ms();
    wardd_prompts_expire(d, now);
    if (now - d->last_sweep_ms >= 1000) {
        d->last_sweep_ms = now;
        if (ward_engine_expire(d->engine, (int64_t)time(NULL)) > 0)
            wardd_commit(d, WARDD_CHANGED_RULES);
        ward_callouts_sweep(d->callouts, (int64_t)time(NULL)); /* flows gone idle */
        wardd_fleet_tick(d, now);
    }
    /* The nft monitor reports tampering at once; this is only its backstop. */
    if (d->kernel && now - d->last_nft_check_ms >= WARDD_NFT_CHECK_MS) {
        d->last_nft_check_ms = now;
        wardd_guard_nft_check(d);
    }
    /* Busy a while after the last work: traffic that stops reporting may
     * be traffic that a detached hook lets through. */
    bool work = wardd_kevents_tick(d, now);
    work |= wardd_stream_tick(d, now);
    if (work)
        d->busy_until_ms = now + WARDD_BUSY_HOLD_MS;
    bool busy = now < d->busy_until_ms;
    wardd_guard_hooks(d, now, busy);
    wardd_ids_tick(d, now);
    wardd_journal_tick(now);
    wardd_traffic_tick(d, now);
    wardd_limits_tick(d, now);
    wardd_av_tick(d, now);
    wardd_mail_tick(d, now);
    if (d->watchdog_us && now - d->last_watchdog_ms >= d->watchdog_us / 2000) {
        wardd_notify("WATCHDOG=1");
        d->last_watchdog_ms = now;
    }
    ward_ring_notify(d->ring);
    /* Idle, the loop wakes once a second (a laptop's battery); while the
     * hooks report decisions or packets wait on their bound, more often. */
    int64_t wait = 1000 - (now - d->last_sweep_ms);
    if (busy && wait > WARDD_BUSY_TICK_MS)
        wait = WARDD_BUSY_TICK_MS;
    if (d->kernel && wait > WARDD_HOOK_CHECK_MS - (now - d->last_hook_check_ms))
        wait = WARDD_HOOK_CHECK_MS - (now - d->last_hook_check_ms);
    int64_t dog = d->watchdog_us / 2000 - (now - d->last_watchdog_ms);
    if (d->watchdog_us && wait > dog)
        wait = dog;
    int64_t next = prompts_next_deadline(d->prompts);
    if (next >= 0 && next - now < wait)
        wait = next - now;
    next = wardd_av_next_deadline(d); /* held connections go on at their bound */
    if (next >= 0 && next - now < wait)
        wait = next - now;
    int poll = wardd_procs_poll(d, now, false);
    if (poll >= 0 && poll < wait)
        wait = poll;
    return wait < 0 ? 0 : (int)wait;
}

static int run(struct wardd *d)
{
    d->running = true;
    d->started_ms = d->last_sweep_ms = d->last_watchdog_ms = d->last_nft_check_ms =
        d->last_hook_check_ms = wardd_now_ms();
    /* Start-up's transient memory (libbpf parsing the kernel's BTF to load
     * the hooks, the first scan of /proc) is free now: give it back. */
    malloc_trim(0);
    wardd_notify("READY=1\nSTATUS=policy in force, %zu programs", ward_app_count(d->engine));
    wardd_log(LOG_INFO, "ready: control socket %s%s", d->sock_path,
              d->kernel ? "" : " (no kernel hooks)");
    while (d->running) {
        struct epoll_event evs[16];
        int n = epoll_wait(d->epfd, evs, 16, timers(d));
        if (n < 0 && errno != EINTR) {
            wardd_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
            return -1;
        }
        for (int i = 0; i < n; i++) {
            switch (evs[i].data.u32) {
            case TAG_SERVER:
                ward_server_run(d->server, 0);
                break;
            case TAG_SIGNAL:
                handle_signal(d);
                break;
            case TAG_RELOAD:
                wardd_reload_done(d);
                break;
            case TAG_QUEUE:
                /* The events of the processes that connected came first. */
                wardd_procs_drain(d);
                ward_kernel_queue_dispatch(d->kernel, wardd_on_queued, d);
                break;
            case TAG_PROCMON:
                wardd_procs_poll(d, wardd_now_ms(), true);
                break;
            case TAG_PIDFDS:
                wardd_procs_pidfds_ready(d);
                break;
            case TAG_FILES:
                wardd_files_ready(d);
                break;
            case TAG_TAMPER:
                wardd_procs_drain(d); /* the processes it names, first */
                wardd_tamper_drain(d);
                break;
            case TAG_NFTMON:
                wardd_guard_nft(d);
                break;
            case TAG_SELF:
                wardd_self_ready(d);
                break;
            case TAG_KEVENTS:
                wardd_kevents_drain(d);
                break;
            case TAG_SHIM:
                wardd_procs_drain(d); /* the asker's exec may not be read yet */
                wardd_shim_ready(d);
                break;
            case TAG_AV:
                wardd_av_ready(d);
                break;
            case TAG_MAIL:
                wardd_mail_ready(d);
                break;
            case TAG_PINS:
                wardd_guard_pins_ready(d);
                break;
            case TAG_REBUILD:
                wardd_rebuild_done(d);
                break;
            }
        }
        wardd_rebuild_poll(d); /* what these events' updates made due */
    }
    wardd_notify("STOPPING=1");
    wardd_log(LOG_INFO, "stopping");
    return 0;
}

int main(int argc, char **argv)
{
    struct wardd d = {.procmon_fd = -1,
                      .tamper_fd = -1,
                      .files_fd = -1,
                      .pidfd_epfd = -1,
                      .sigfd = -1,
                      .epfd = -1,
                      .self_fd = -1,
                      .pins_fd = -1};
    /* Large blocks (the tables sized for their bound: alert sources, the
     * antivirus cache, the queues) always from mmap: their pages stay
     * unbacked until used, and go back to the kernel when freed. glibc's
     * threshold otherwise rises with the first large free (the parser's),
     * and they come from freed heap that calloc must clear: resident. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    wardd_log_init();
    if (parse_options(argc, argv, &d.opt) < 0)
        return 2;
    umask(077);
    /* Before any thread exists (the log writer): every thread inherits the
     * mask, so the signals reach the signalfd and nothing else. */
    sigemptyset(&d.sigmask);
    sigaddset(&d.sigmask, SIGHUP);
    sigaddset(&d.sigmask, SIGTERM);
    sigaddset(&d.sigmask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &d.sigmask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = setup(&d) == 0 && run(&d) == 0 ? 0 : 1;
    teardown(&d);
    return rc;
}
