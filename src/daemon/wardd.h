/*
 * wardd.h — the daemon's state, shared by its files (private to wardd).
 *
 * wardd owns the policy (an engine loaded from the policy files and the
 * learned rules), the kernel objects (through kernel/backend.h) and the
 * control socket. It is single-threaded around one epoll loop; the
 * connection log writes from a thread of its own, so a decision never waits
 * for the disk, and a reload parses the policy on another (reload.c).
 */
#ifndef WARDD_H
#define WARDD_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert/alert.h"
#include "callout/callout.h"
#include "callout/accounting.h"
#include "callout/dnsfilter.h"
#include "callout/urlfilter.h"
#include "stream/stream.h"
#include "kernel/backend.h"
#include "log/log.h"
#include "policy/policy.h"
#include "proc/proctab.h"
#include "proto/proto.h"
#include "ring/ring.h"
#include "service/service.h"
#include "ward/engine.h"
#include "ward/event.h"

struct wardd_options {
    const char *config;    /* the administrator's policy file */
    const char *state_dir; /* learned.rules, log.db */
    const char *run_dir;   /* control.sock */
    const char *cgroup;    /* where the hooks attach; NULL: the cgroup v2 root */
    const char *pin_dir;   /* BPF pins; NULL: /sys/fs/bpf/ward */
    bool foreground;
    bool no_kernel; /* control plane only (protocol tests, explain) */
    /* exec/fork/exit events: "auto" (the proc connector, else the
     * tracepoints), "connector", "tracepoints" or "none" (tests). */
    const char *proc_events;
    uint32_t ring_capacity;
    size_t max_waiting;      /* connections waiting on prompts, at most */
    const char *callout_dir; /* shared-object callouts (NAME.so) */
    const char *av_db;       /* the signature databases; NULL: WARDD_AV_DB */
    /* No packet socket tracepoint: it puts every system call of the host on
     * the slow path (docs/KERNEL.md, "Packet sockets"). */
    bool no_packet_log;
    /* The dynamic loader's preload list (tests name a file of their own). */
    const char *preload_file;
    /* dpkg's database (default /var/lib/dpkg): trust-package-manager. */
    const char *dpkg_dir;
};

/* How far a run got: a file mapped shared (seqmark.c). */
struct wardd_mark {
    char magic[8];
    uint64_t boot;   /* the run's id */
    uint64_t next;   /* sequence numbers below it were published */
    int64_t last_ns; /* the last one's time */
};

/* Per control connection. */
struct wardd_client {
    bool prompter;   /* answers prompts */
    bool subscribed; /* holds a place in the event ring */
    uint32_t sub_id;
    struct wardd_txn *txn; /* runtime.c: changes staged since txn.begin */
};

struct wardd {
    struct wardd_options opt;
    char learned_path[PATH_MAX], log_path[PATH_MAX], sock_path[PATH_MAX];

    struct wardd_runtime *runtime; /* runtime.c: filters and sublayers added over the protocol */
    ward_policy *policy;           /* settings the engine does not keep; owns the engine */
    ward_engine *engine;           /* = ward_policy_engine(policy) */
    ward_policy_extras extras;

    proctab *procs;
    enum wardd_proc_source {
        WARDD_PROCS_NONE,        /* /proc read on demand; pidfds watch until-exit rules */
        WARDD_PROCS_CONNECTOR,   /* the proc connector (src/proc/procmon.c) */
        WARDD_PROCS_TRACEPOINTS, /* sched tracepoints (kernel/procmon.h) */
    } proc_source;
    int procmon_fd;            /* the proc connector's socket, or the ring buffer's fd */
    struct ward_procmon *pmon; /* the tracepoints */
    int64_t proc_poll_ms;      /* the ring's next read on wardd's clock; 0: at its wake-up */
    /* Processes that rules "until the process exits" wait for. */
    struct wardd_exit_watch {
        uint32_t pid;
        uint64_t start_time;
        int pidfd; /* -1 while exit events are live */
    } * watches;
    size_t n_watches, cap_watches;
    int pidfd_epfd; /* the pidfds, itself in the main epoll */
    /* tamper.c: the injection watch, and the processes whose allow rules
     * an alert suspended (set on-tamper suspend). */
    struct ward_tamper *tamper;
    int tamper_fd;
    const char *tamper_watch; /* "bpf-lsm", "tracepoint" or "none" */
    struct wardd_suspended {
        uint32_t pid;
        uint64_t start_time;
        char program[PATH_MAX];
    } * suspended;
    size_t n_suspended, cap_suspended;
#define WARDD_TAMPER_RECENT 32
    struct wardd_tamper_seen {
        uint32_t actor, target;
        const char *kind;
        int64_t at_ms;
    } tamper_seen[WARDD_TAMPER_RECENT];
    size_t tamper_next;
    bool preload_known;
    int64_t preload_ctime_ns;
    /* files.c: the programs, the policy file and Ward's binaries, watched. */
    int files_fd;
    struct wardd_watched *watched;
    size_t n_watched;
    bool files_repinned; /* a pin followed the package manager: commit */
    bool files_reload;   /* the policy file changed: reload (on-policy-change) */
    prompt_table *prompts;
    ward_server *server;
    ward_ring *ring;
    ward_log *log;
    ward_alert *alerts;        /* port scans and floods, from inbound blocks */
    ward_callouts *callouts;   /* built in and shared-object callouts (callouts.c) */
    ward_dnsfilter *dnsfilter; /* the dnsfilter callout's list, of the policy in force */
    ward_stream *stream;       /* flows sent to a callout's stream layer (stream.c) */
    ward_kernel *kernel;
    int self_fd;                 /* route netlink: the host's addresses changed */
    struct wardd_reload *reload; /* the policy being parsed off the loop */
    ward_exe_id *programmed;     /* programs with kernel verdict tables */
    uint64_t *programmed_app;    /* ... and the engine program of each (0: an earlier wardd's) */
    char **programmed_path;      /* ... the path of each with no engine program (a filter's) */
    size_t n_programmed;

    struct wardd_rebuild *rebuild; /* the engine's index rebuilt off the loop */

    int epfd, sigfd;
    sigset_t sigmask;
    int64_t started_ms, watchdog_us, last_watchdog_ms, last_sweep_ms, last_nft_check_ms;
    int64_t last_hook_check_ms, last_guard_err_ms;
    bool nft_repair_failing; /* the table check's last repair failed: said once */
    int64_t busy_until_ms;   /* the loop's clock is fast until then (main.c) */
    int pins_fd;             /* guard.c: inotify on the BPF pins */
    size_t prompters;
    uint64_t decisions;
    uint64_t boot, next_bseq;    /* this run's id; the next event's number in it */
    struct wardd_mark *mark;     /* where next_bseq is kept across a crash */
    struct wardd_mark prev_mark; /* the last run's, as found at start */
    uint64_t lost_last_run;      /* its events that never reached the log */
    uint64_t prompt_overflow;    /* connections past max_waiting: the timeout's answer */
    /* The policy's boot filters as nft rules (commit.c): in the kernel's
     * static chains and in the boot ruleset file, which sits beside the
     * policy file ("/etc/ward/boot.nft" for "/etc/ward/ward.conf"). */
    char *boot_out, *boot_in;
    char boot_path[PATH_MAX];
    struct wardd_fold *fold; /* repeats being counted (kevents.c) */
    uint64_t kev_received;   /* decision records read from the hooks' ring */
    uint64_t kev_lost_base;  /* the hooks' lost count when this run started */
    uint64_t kev_lost_said;  /* the lost count last logged */
    int64_t kev_checked_ms;
    bool kev_procs_read;    /* this drain applied the process events first */
    uint64_t folded;        /* repeats counted into another row, not a row of their own */
    pid_t bundle_pid;       /* fleet.c: the poll running, or 0 */
    int64_t bundle_next_ms; /* ... the next one */
    char bundle_url[512];   /* ... of this URL */
    bool running;
    bool hooks_failing;      /* the last hook repair failed */
    struct wardd_shim *shim; /* shim.c: the shim's socket, its questions, the cache */
    bool stopping;           /* tearing down: leave the kernel's tables as they are */
    /* bytes and packets per socket (traffic.c) */
    struct wardd_traffic *traffic;
    /* rate limits and quotas per program (limits.c) */
    struct wardd_limits *limits;
    struct wardd_av *av;     /* antivirus: ward-scand and the results (av.c) */
    struct wardd_mail *mail; /* the mail proxy: ward-maild (mail.c) */
};

/* Appended to the path a process claims when the file there is not the
 * one it runs: the rules never name it, the prompt and the log show it. */
#define WARDD_UNVERIFIED_MARK PROCTAB_UNVERIFIED_MARK

/* logging.c: messages (stderr; priority prefixes for the journal) and the
 * monotonic clock. */
void wardd_log_init(void); /* reads the environment: journal, WARD_DEBUG */
int64_t wardd_now_ms(void);
void wardd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* policy.c: loading, reloading, learned rules. */
int wardd_policy_load(struct wardd *d, char *err, size_t errlen);
/* The parse alone, touching nothing of wardd's: runs on the reload thread.
 * NULL with the diagnostics in err when the policy has errors. */
ward_policy *wardd_policy_parse(const char *config, const char *learned,
                                const char *const *callouts, ward_dnsfilter **dnsf, char *err,
                                size_t errlen);
/* Puts a parsed policy in force (on the loop); takes p and dnsf. */
int wardd_policy_install(struct wardd *d, ward_policy *p, ward_dnsfilter *dnsf, char *err,
                         size_t errlen);

/* reload.c: `ward reload` and SIGHUP parse the policy on a thread of their
 * own, so the loop keeps deciding and answering meanwhile; the new policy
 * is put in force on the loop, in one step, when the parse is done. */
struct wardd_reload;
int wardd_reload_init(struct wardd *d);
void wardd_reload_free(struct wardd *d);
/* Starts a reload (or the next one, when one is running); client c (NULL:
 * a signal asked) gets the answer to its request `id` if still connected. */
void wardd_reload_request(struct wardd *d, ward_conn *c, uint32_t id);
int wardd_reload_fd(const struct wardd *d);
/* A parse is under way (it reads the callouts' names meanwhile). */
bool wardd_reload_running(const struct wardd *d);
/* The thread is done: installs its policy, answers who asked. */
void wardd_reload_done(struct wardd *d);

/* rebuild.c: the engine's index rebuilds run on a thread, not inside the
 * update that makes one due; installed on the loop. */
struct wardd_rebuild;
int wardd_rebuild_init(struct wardd *d);
void wardd_rebuild_free(struct wardd *d);
int wardd_rebuild_fd(const struct wardd *d);
/* After a round of events: starts a rebuild that is due, if none runs. */
void wardd_rebuild_poll(struct wardd *d);
/* The thread is done: installs what it built (or polls for the next). */
void wardd_rebuild_done(struct wardd *d);

/* callouts.c: the callout registry: built-in callouts, and the shared
 * objects of the callout directory, each in its host process. */
int wardd_callouts_open(struct wardd *d);
void wardd_callouts_close(struct wardd *d);
/* The dnsfilter lists a policy names, read into one filter (on the reload
 * thread: shares nothing). NULL with err set when a list has an error. */
ward_dnsfilter *wardd_dnsfilter_load(const ward_policy_extras *x, char *err, size_t errlen);
/* The urlfilter callout's rules of the policy in force; -1 out of memory. */
int wardd_urlfilter_use(const ward_policy_extras *x);
/* runtime.c: filter.*, sublayer.*, txn.* (docs/PROTOCOL.md). The objects
 * added at run time are applied again to every new engine (reapply, from
 * wardd_policy_install); the persistent ones are read from runtime.rules
 * (open, before the first policy load). */
int wardd_runtime_open(struct wardd *d);
void wardd_runtime_close(struct wardd *d);
void wardd_runtime_reapply(struct wardd *d);
void wardd_runtime_end_session(struct wardd *d, ward_conn *c);
void wardd_on_filter_add(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_filter_delete(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_filter_list(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_sublayer_add(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_sublayer_delete(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_sublayer_list(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_provider_add(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_provider_delete(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_provider_list(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_txn(struct wardd *d, ward_conn *c, const ward_msg *m);

/* stream.c: the stream layer. watch: a connection decided "need more
 * data" is sent to the callout of the deciding filter (TCP only; false:
 * it cannot be, and the policy's callout-failure outcome decides). */
int wardd_stream_open(struct wardd *d);
void wardd_stream_close(struct wardd *d);
void wardd_stream_configure(struct wardd *d); /* the policy's stream-bound */
bool wardd_stream_watch(struct wardd *d, const ward_request *r, const ward_decision *dec);
/* The bound and idle flows; true while packets are held (their bound is
 * counted in ms: the loop's next tick comes soon). */
bool wardd_stream_tick(struct wardd *d, int64_t now_ms);

/* ids.c: the rules of the built-in ids callout (reloaded when `ward update
 * ids` replaced them) and its alerts. */
void wardd_ids_open(struct wardd *d);
void wardd_ids_tick(struct wardd *d, int64_t now_ms);
void wardd_ids_configure(struct wardd *d); /* the policy's ids-depth */
void wardd_ids_close(struct wardd *d);
/* The ids_* and stream_bound_* members of a status reply. */
void wardd_ids_status(struct wardd *d, ward_proto_status *s);

/* callout.list: the callouts, with their counters. */
void wardd_on_callout_list(struct wardd *d, ward_conn *c, const ward_msg *m);
/* callout.load / callout.unload: shared objects at run time. */
void wardd_on_callout_load(struct wardd *d, ward_conn *c, const ward_msg *m);
void wardd_on_callout_unload(struct wardd *d, ward_conn *c, const ward_msg *m);

/* compile.c: the application rules as the kernel's verdict tables (called
 * by wardd_commit). */
/* The program the last sync programmed a table for under exe (no I/O: for
 * records of processes gone by now), or NULL. */
const char *wardd_programmed_name(const struct wardd *d, ward_exe_id exe);
void wardd_programmed_free(struct wardd *d);
void wardd_kernel_sync(struct wardd *d);

/* commit.c: the one way a change of the policy in force takes effect.
 * Callers change the engine (or its settings), then say what changed:
 * the learned rules file is written when it holds some of it, the boot
 * filters are compiled again for a new policy (static chains, boot
 * ruleset file), and the kernel's verdict tables are synced. */
enum wardd_change {
    WARDD_CHANGED_RULES = 1u << 0,    /* rules or filters in memory: added, removed, expired */
    WARDD_CHANGED_LEARNED = 1u << 1,  /* ... among them some the learned rules file holds */
    WARDD_CHANGED_SETTINGS = 1u << 2, /* the work mode, whether a prompter is present */
    WARDD_CHANGED_POLICY = 1u << 3,   /* a whole policy was put in force (start, reload) */
};
void wardd_commit(struct wardd *d, unsigned what);
/* Before the kernel opens: the boot filters of the policy in force go into
 * its config, so wardd's first table replaces the boot ruleset with the
 * same static chains in one transaction. */
int wardd_boot_config(struct wardd *d, ward_kernel_config *kc);
void wardd_boot_free(struct wardd *d);
/* selfaddr.c: the host's own addresses, in the engine and the kernel. */
int wardd_self_open(struct wardd *d); /* subscribe to address events */
void wardd_self_close(struct wardd *d);
void wardd_self_refresh(struct wardd *d); /* read them all again */
void wardd_self_ready(struct wardd *d);   /* the socket is readable */

/* procs.c: the process table's event source, and the processes rules
 * "until the process exits" are tied to. */
int wardd_procs_open(struct wardd *d);
void wardd_procs_close(struct wardd *d);
const char *wardd_procs_source_name(const struct wardd *d);
/* Applies every waiting exec/fork/exit event (before queued connections
 * are attributed, so the table is never behind them); returns how many. */
int wardd_procs_drain(struct wardd *d);
/* The tracepoints' ring, read when it wakes wardd (woken) or when its poll
 * is due; returns the milliseconds until the next poll, -1: none. */
int wardd_procs_poll(struct wardd *d, int64_t now, bool woken);

/* files.c: fanotify on the files trust rests on (docs/MONITOR.md). */
int wardd_files_open(struct wardd *d);
void wardd_files_close(struct wardd *d);
/* The policy in force changed: watch the programs it names now. */
void wardd_files_rewatch(struct wardd *d);
void wardd_files_ready(struct wardd *d);

/* tamper.c: injection alerts (docs/MONITOR.md). wardd_alert_about
 * publishes an alert about no traffic: ev holds what it is about (pid, uid,
 * exe ...); name, the time and the sentence are set here. */
void wardd_alert_about(struct wardd *d, ward_event *ev, const char *name, const char *what);
int wardd_tamper_open(struct wardd *d);
void wardd_tamper_close(struct wardd *d);
void wardd_tamper_drain(struct wardd *d);
/* A process exec'd: LD_PRELOAD and /etc/ld.so.preload, for programs with
 * network rights. */
void wardd_tamper_exec(struct wardd *d, uint32_t pid);
bool wardd_tamper_is_suspended(const struct wardd *d, uint32_t pid, uint64_t start_time);
/* A prompt about the process was answered, or it exited: its rules hold
 * again (or it is forgotten). */
void wardd_tamper_answered(struct wardd *d, uint32_t pid, uint64_t start_time);
void wardd_tamper_gone(struct wardd *d, uint32_t pid, uint64_t start_time);
/* A process of the program at path is suspended: the kernel's tables leave
 * the program out, so wardd decides each of its connections. */
bool wardd_tamper_holds(const struct wardd *d, const char *path);
void wardd_procs_pidfds_ready(struct wardd *d);
/* Rules "until the process exits": ends those of processes already gone
 * and watches the others (at start, after a reload, after a rule is added). */
void wardd_until_exit_sweep(struct wardd *d);
/* A process ended: its until-exit rules go. */
void wardd_process_gone(struct wardd *d, uint32_t pid, uint64_t start_time);

/* attribute.c: which process and program a kernel record belongs to. */
/* The process a kernel record names (pid) when it still runs exe; NULL
 * otherwise. Valid until the process table next changes. */
const ward_proc *wardd_attribute(struct wardd *d, uint32_t pid, ward_exe_id exe);
/* The name the rules know p's program by: its path when the file there in
 * wardd's mount namespace is the one p runs, else a label saying it is not. */
const char *wardd_program_name(struct wardd *d, const ward_proc *p, bool *unverified, char *buf,
                               size_t len);

/* decide.c: a connection from the kernel's queue, and prompt answers. */
void wardd_request_fill_time(ward_request *r, int64_t now_ms);
int wardd_on_queued(void *ctx, const ward_kqueued *q);
/* Who asks about a connection: the kernel's queue or a program's shim. */
struct wardd_asker {
    uint64_t shim_id; /* the shim's question waiting (shim.c); 0: the queue's packet */
    uint8_t via;      /* enum ward_via */
    /* The kernel layer let the connection in already (an accepted one):
     * only a refusal is answered and logged; anything else is
     * WARD_KV_NONE, and nobody is asked. */
    bool refusals_only;
};
/* The one decision of a connection q describes: WARD_KV_ALLOW, WARD_KV_DENY,
 * or WARD_KV_ASK (held on a prompt; the asker is answered when it closes);
 * WARD_KV_STREAM (the queue's: its payload goes to a callout); WARD_KV_NONE
 * when the shim asked and the kernel layer is to decide (refusals only, or
 * a callout wants the payload).
 * claim: a name the program says it asked for, not confirmed by a DNS
 * answer; it may only make the decision stricter. */
int wardd_decide(struct wardd *d, const ward_kqueued *q, const char *claim,
                 const struct wardd_asker *as);
int wardd_on_dns(void *ctx, const ward_kdns_answer *a);
void wardd_publish(struct wardd *d, const ward_request *r, const ward_decision *dec, uint32_t pid,
                   uint32_t uid, const char *by);
/* The same, saying which layer asked (enum ward_via). */
void wardd_publish_via(struct wardd *d, const ward_request *r, const ward_decision *dec,
                       uint32_t pid, uint32_t uid, const char *by, uint8_t via);

/* shim.c: the questions of libward-shim.so (docs/SHIM.md) on
 * RUN_DIR/shim.sock, and the cache of known answers RUN_DIR/shim.cache. */
int wardd_shim_open(struct wardd *d);
void wardd_shim_close(struct wardd *d);
int wardd_shim_fd(const struct wardd *d); /* poll for POLLIN */
void wardd_shim_ready(struct wardd *d);
/* A prompt (or a scan) the question was waiting on closed with verdict v;
 * WARD_V_DEFER: the kernel layer decides, as without the shim. */
void wardd_shim_answer(struct wardd *d, uint64_t shim_id, enum ward_verdict v);
/* The policy changed: the cached answers go. */
void wardd_shim_changed(struct wardd *d);
/* The event wardd_publish would publish, not published. */
void wardd_event_fill(struct wardd *d, ward_event *ev, const ward_request *r,
                      const ward_decision *dec, uint32_t pid, uint32_t uid, const char *by);
/* Answers a prompt for peer `by` (NULL: wardd itself); pin_it also pins
 * the program to the digest of the binary that asked. 0, or a
 * ward_proto_err (not found, forbidden: another user's process, failed)
 * with err set; nothing is applied then. */
int wardd_answer(struct wardd *d, uint64_t prompt_id, const ward_peer *by, const ward_answer *a,
                 bool pin_it, char *err, size_t errlen);
void wardd_prompts_expire(struct wardd *d, int64_t now_ms);
void wardd_prompts_resolve_all(struct wardd *d, enum ward_verdict v, const char *by);
/* Whether a registered prompter may answer for a process of uid. */
bool wardd_prompter_for(struct wardd *d, uint32_t uid);
/* Closes the prompts no registered prompter may answer. */
void wardd_prompts_resolve_orphans(struct wardd *d, enum ward_verdict v, const char *by);
void wardd_push_prompt(struct wardd *d, const ward_prompt *p, ward_conn *only);
/* Closes the prompts about executable exe with verdict v (by: why). */
void wardd_prompts_close_exe(struct wardd *d, ward_exe_id exe, enum ward_verdict v, const char *by);

/* kevents.c: the decisions the kernel's hooks made (allowed or denied by a
 * program's verdict table: they never reach the queue), read from their
 * ring buffer, attributed and published like wardd's own, folded (fold.c):
 * an event identical to one published less than WARDD_FOLD_MS ago is
 * counted instead, and published once, with its count, when the window
 * ends. */
#define WARDD_FOLD_MS 1000
/* Packet sockets: the filter text of their rows and of the alert for one a
 * program's rules do not allow (docs/DAEMON.md, "Packet sockets"). */
#define WARDD_PACKET_ROW   "packet-socket: not enforceable here"
#define WARDD_PACKET_ALERT "packet-socket-not-allowed"
int wardd_kevents_open(struct wardd *d);
void wardd_kevents_close(struct wardd *d); /* publishes what is still counted */
void wardd_kevents_drain(struct wardd *d);
/* On the loop's clock: the ring read, ended windows published, new losses
 * logged. True when records were read (the hooks are deciding: read again
 * soon). */
bool wardd_kevents_tick(struct wardd *d, int64_t now_ms);
/* The hooks' records lost to a full ring since this run started. */
uint64_t wardd_kevents_lost(struct wardd *d);

/* fold.c: what makes two events "identical" for folding. */
struct wardd_fold_key {
    uint64_t dev, ino; /* the executable the hook saw; 0 for wardd's own events */
    ward_ip remote;
    uint64_t name_hash; /* the domain, when there is one */
    uint64_t rule;
    uint16_t lport, rport;
    uint8_t kind, proto, verdict, layer;
    uint32_t _pad;
};
struct wardd_fold *wardd_fold_new(void); /* NULL when out of memory; free() frees it */
/* Publishes the counted repeats whose window is over (all of them: now_ms < 0). */
void wardd_fold_flush(struct wardd *d, int64_t now_ms);
/* Publishes ev now, or counts it when an identical one was published within
 * the window. key (may be NULL: made from ev) says what "identical" is. */
void wardd_publish_folded(struct wardd *d, ward_event *ev, const struct wardd_fold_key *key);
/* Counts the event when an identical one is in its window; true if so. An
 * identical one whose window is over gets its count out first. */
bool wardd_fold_hit(struct wardd *d, const struct wardd_fold_key *k, int64_t now_ms,
                    int64_t time_ns);
/* Publishes ev and opens its window. */
void wardd_fold_publish(struct wardd *d, const struct wardd_fold_key *k, ward_event *ev,
                        int64_t now_ms);
/* traffic.c: the hooks' per-socket counters, read once a second: the
 * open connections with their rates, and per-minute totals per program and
 * remote in SQLite (log/traffic.h). */
int wardd_traffic_open(struct wardd *d);
void wardd_traffic_close(struct wardd *d); /* reads and writes what is left */
void wardd_traffic_tick(struct wardd *d, int64_t now_ms);
/* fleet.c: `set policy-bundle`, polled by `ward bundle apply --poll`. */
void wardd_fleet_tick(struct wardd *d, int64_t now_ms);
void wardd_fleet_close(struct wardd *d);
/* Runs `ward ARGS...` (the ward beside wardd, else on PATH) with this
 * wardd's paths in its environment and no signal blocked; the child's pid,
 * or 0 (logged, naming `what`). */
pid_t wardd_spawn_ward(const struct wardd *d, const char *what, char *args[]);
/* rsyslog.c: `set syslog`, RFC 5424 over TCP or TLS; configure starts,
 * changes or stops it (url ""), after each policy load. */
void wardd_syslog_configure(const char *url, const char *ca);
void wardd_syslog_event(const ward_event *ev);
void wardd_syslog_close(void);
void wardd_traffic_flush(struct wardd *d); /* the totals counted so far, to SQLite */
/* wardd named the program of executable exe: sockets whose process is gone
 * by the next read are named so. */
void wardd_traffic_name(struct wardd *d, ward_exe_id exe, const char *path);

/* limits.c: the policy's rate limits and quotas in the kernel; the quotas'
 * periods, usage (kept in SQLite across restarts) and alerts. */
int wardd_limits_open(struct wardd *d);
void wardd_limits_close(struct wardd *d); /* the last counts are written */
void wardd_limits_apply(struct wardd *d); /* after a policy is put in force */
void wardd_limits_tick(struct wardd *d, int64_t now_ms);
size_t wardd_limits_rows(struct wardd *d, ward_limit_row *out, size_t max);
void wardd_limits_on_list(struct wardd *d, ward_conn *c, const ward_msg *m);
/* When the period of that kind (enum ward_quota_period) holding now began. */
int64_t wardd_period_start(int period, int64_t now);
void wardd_traffic_on_query(struct wardd *d, ward_conn *c, const ward_msg *m); /* stats.query */
void wardd_traffic_on_conns(struct wardd *d, ward_conn *c, const ward_msg *m); /* conns.list */

/* seqmark.c: sequence numbers that outlive a crash. open: before the log
 * (picks this run's boot id); recover: after it (counts and marks what the
 * last run lost); close: at exit. */
void wardd_mark_open(struct wardd *d);
void wardd_mark_recover(struct wardd *d);
void wardd_mark_close(struct wardd *d);
/* Numbers an event of this run and publishes it: the ring, the log. */
void wardd_emit(struct wardd *d, ward_event *ev);
/* *ev cleared into a new event of kind (enum ward_event_kind), stamped
 * now, of no known user yet (WARD_UID_UNKNOWN), count 1. */
void wardd_event_new(ward_event *ev, int kind);
/* guard.c: kernel objects changed by someone else are put back and alerted. */
/* An alert without traffic: name (the alert's kind), count, who did it
 * (pid 0: unknown), and a line for wardd's log (also the ring, the log, the
 * journal). */
void wardd_alert(struct wardd *d, const char *name, uint32_t count, uint32_t pid, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
#define WARDD_HOOK_CHECK_MS 1000  /* the BPF links: no notification on detach */
#define WARDD_NFT_CHECK_MS  60000 /* the nft table, besides its change notifications */
#define WARDD_BUSY_TICK_MS  50    /* the loop's clock while there is work on it */
#define WARDD_BUSY_HOLD_MS  5000  /* ... and for this long after */
/* The links and pins checked and repaired, when due: every
 * WARDD_HOOK_CHECK_MS, every WARDD_BUSY_TICK_MS while busy (traffic). */
void wardd_guard_hooks(struct wardd *d, int64_t now_ms, bool busy);
/* inotify on the pin directories, in the loop's epoll under tag: a pin
 * removed or replaced is checked (and put back) at once. Never fails:
 * without it the periodic check finds the same, later. */
int wardd_guard_open(struct wardd *d, uint32_t tag);
void wardd_guard_pins_ready(struct wardd *d);
void wardd_guard_close(struct wardd *d);
void wardd_guard_nft(struct wardd *d);       /* the nft monitor is readable */
void wardd_guard_nft_check(struct wardd *d); /* the full check, now and then */

/* helper.c: a helper process of wardd's (ward-scand, ward-maild), its
 * socket (fd 3 for it) in wardd's epoll set under tag. */
struct wardd_helper {
    char path[PATH_MAX]; /* found beside wardd */
    uint32_t tag;
    pid_t pid;
    int fd;                                  /* -1: not running */
    int64_t down_ms, backoff_ms, started_ms; /* started again backoff_ms after down_ms */
    uint64_t starts;
};
void wardd_helper_init(struct wardd_helper *h, const char *name, uint32_t tag);
bool wardd_helper_due(const struct wardd_helper *h, int64_t now_ms); /* down, backoff passed */
int wardd_helper_start(struct wardd *d, struct wardd_helper *h, char *const argv[]); /* 0 / -1 */
int wardd_helper_stop(struct wardd_helper *h); /* its wait status */
/* It died (why: "exited", ...): stopped, logged as who, its backoff grown. */
void wardd_helper_crashed(struct wardd_helper *h, const char *who, const char *why);
void wardd_helper_reset(struct wardd_helper *h); /* the next start without a wait */

/* av.c: antivirus scanning of programs and of files on demand, in
 * ward-scand (docs/AV.md). open: before the loop, its socket tagged `tag`
 * in the epoll set once the helper runs (started by the tick when the
 * policy scans or a scan waits). */
#define WARDD_AV_DB "/var/lib/clamav"
int wardd_av_open(struct wardd *d, uint32_t tag);
void wardd_av_close(struct wardd *d);
void wardd_av_ready(struct wardd *d); /* its socket is readable */
void wardd_av_tick(struct wardd *d, int64_t now_ms);
/* When the first connection held for a scan stops waiting (its bound), or -1. */
int64_t wardd_av_next_deadline(struct wardd *d);
/* A connection of process p, asked about by `as` (the queue or a shim,
 * wardd_decide's arguments): GO (scanned clean, scanning in the
 * background, or nothing to scan), HOLD (scan-before-allow: it waits, in the
 * queue or on the shim's socket; av.c decides it again with the result) or
 * DENY (its binary is infected: the signature in name). */
enum wardd_av_outcome { WARDD_AV_GO, WARDD_AV_HOLD, WARDD_AV_DENY };
enum wardd_av_outcome wardd_av_check(struct wardd *d, const ward_kqueued *q, const char *claim,
                                     const struct wardd_asker *as, const ward_proc *p, char *name,
                                     size_t namelen);
/* What a prompt says about the program's binary; NULL when scanning is off. */
const char *wardd_av_finding(struct wardd *d, ward_exe_id exe, char *buf, size_t len);
void wardd_av_on_scan(struct wardd *d, ward_conn *c, const ward_msg *m); /* scan */
void wardd_av_status(struct wardd *d, ward_proto_status *s);
/* The kernel tables' resolver (compile.c): the file system's answer, and,
 * while programs are scanned, only for a binary known clean as it is now
 * (same executable, same modification time), so the others stay with
 * wardd, which scans them. */
int wardd_av_resolve(void *ctx, const char *path, ward_exe_id *out);
/* A mail attachment (fd, taken) to scan for the proxy's connection id;
 * the result goes to wardd_mail_scanned. false: not queued (fd closed). */
bool wardd_av_scan_mail(struct wardd *d, int fd, uint64_t id, uint32_t index);

/* mail.c: the mail proxy, ward-maild, and the mail rules (docs/MAIL.md). */
int wardd_mail_open(struct wardd *d, uint32_t tag);
void wardd_mail_close(struct wardd *d);
void wardd_mail_ready(struct wardd *d); /* its socket is readable */
void wardd_mail_tick(struct wardd *d, int64_t now_ms);
/* An attachment's scan (enum scand_verdict and the signature or error). */
/* The mail proxy's part of `ward status`. */
void wardd_mail_status(struct wardd *d, ward_proto_status *s);
void wardd_mail_scanned(struct wardd *d, uint64_t id, uint32_t index, int verdict,
                        const char *text);

/* control.c: the control protocol's requests. */
void wardd_on_msg(ward_server *s, ward_conn *c, const ward_msg *m, void *ctx);
void wardd_on_close(ward_server *s, ward_conn *c, void *ctx);
/* An engine rule as the protocol shows it (strings point into the engine). */
void wardd_rule_to_proto(const struct wardd *d, const char *program, uint64_t id,
                         const ward_app_rule *r, ward_proto_rule *out);

#endif
