/*
 * kernel/backend.h — Ward's kernel enforcement behind one interface.
 *
 * The engine and the daemon see programs, verdict tables, queued flows and
 * listening ports; how they are enforced (BPF cgroup hooks, the nft table
 * `inet ward`, NFQUEUE) stays behind this header. docs/KERNEL.md describes
 * the path.
 *
 * Life cycle: ward_kernel_open() loads or re-uses the pinned BPF objects,
 * attaches the hooks to the cgroup (links, multi-attach, pinned) and installs
 * the nft table in the current network namespace; ward_kernel_close() frees
 * the handle but leaves links, maps and table in force, so the policy holds
 * while no daemon runs. ward_kernel_teardown() removes everything of Ward's.
 *
 * Functions return 0 (or a count) on success and a negative errno on failure.
 */
#ifndef WARD_KERNEL_BACKEND_H
#define WARD_KERNEL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/engine.h"
#include "kernel/ward_bpf.h"

typedef struct ward_kernel ward_kernel;

#define WARD_KPIN_DIR_DEFAULT "/sys/fs/bpf/ward"
#define WARD_KBPFFS_STD       "/sys/fs/bpf"   /* mounted here when no BPF fs holds the pins */
#define WARD_KBPFFS_FALLBACK  "/run/ward/bpf" /* else here: pins under the same relative path */
#define WARD_KMARK_DEFAULT    0x00100000u     /* the "undecided" bit on sockets/packets */
#define WARD_KREJECT_DEFAULT  0x00200000u     /* set by a deny from the queue: nft rejects */
#define WARD_KACCEPT_DEFAULT  0x00400000u     /* set on a queued accept (the backstop) */
#define WARD_KSTREAM_DEFAULT  0x00800000u /* ct mark: the flow's packets go to the stream queue */
#define WARD_KPASS_DEFAULT    0x01000000u /* set by the stream queue: the flow leaves it */
#define WARD_KSEEN_DEFAULT    0x02000000u /* set by the stream queue: a datagram goes on */
#define WARD_KMAIL_DEFAULT    0x04000000u /* on the mail proxy's upstream sockets: not redirected */
#define WARD_KQUEUE_DEFAULT   7100
#define WARD_KQUEUE_MAXLEN    4096 /* packets waiting; beyond it: fail mode */
#define WARD_KQUEUE_HEADROOM  4096 /* wardd: its bound on waiting connections + this */

enum ward_kfail {
    WARD_KFAIL_CLOSED = 0, /* queued traffic dropped while no one answers */
    WARD_KFAIL_OPEN = 1,   /* queue bypass: accepted while no one answers */
};

typedef struct ward_kernel_config {
    const char *cgroup;  /* where the hooks attach; NULL: the cgroup v2 root */
    const char *pin_dir; /* NULL: WARD_KPIN_DIR_DEFAULT */
    uint32_t mark;       /* one bit */
    uint32_t reject_mark;
    uint32_t accept_mark;
    uint16_t queue_num;
    uint32_t queue_maxlen;
    enum ward_kfail fail;
    uint8_t default_verdict; /* enum ward_kv for programs / ports not in the table */
    uint8_t unattributed;    /* enum ward_kv for tasks without an executable */
    uint8_t raw_default;     /* enum ward_kv: raw sockets of programs not in the table */
    bool no_dns;             /* do not route DNS (UDP 53) through user space */
    uint16_t dns_queue_num;  /* 0: queue_num + 1 */
    uint32_t stream_mark;    /* ct mark bit of flows sent to the stream queue */
    uint32_t stream_pass_mark;
    uint32_t stream_seen_mark; /* a datagram the stream queue let go: the rest of the table */
    uint16_t stream_queue_num; /* 0: queue_num + 2 */
    const char *static_out;    /* boot-time filters: nft rule lines (";"/newline separated) */
    const char *static_in;     /*   kept in force by the boot ruleset and by Ward's table */
    bool notrack;              /* fast path: TCP decided in the kernel skips conntrack
                                * (breaks NAT of local TCP in this netns: opt-in) */
    bool no_bpf;               /* nft + queue only */
    bool no_nft;               /* BPF only */
    bool no_traffic;           /* leave traffic accounting out of the hooks (kernel/traffic.h) */
    bool no_packet_log;        /* do not attach the packet socket tracepoint (ward_packet.bpf.h) */
    uint16_t mail_port;        /* the mail proxy's loopback port: mail flows go there (0: off) */
    uint32_t mail_mark;        /* sockets with it are not redirected (the proxy's own) */
    bool queue_no_table;       /* the queue's callback decides without ward_kqueued.table:
                                * spare each queued packet the table's lookups */
} ward_kernel_config;

void ward_kernel_config_default(ward_kernel_config *c);
/* The cgroup v2 mount point from /proc/mounts into buf; 0 or -ENOENT. */
int ward_kernel_cgroup2_root(char *buf, size_t len);

/* err (if given) gets one line naming what failed, why and the fix. When no
 * BPF file system holds the pin directory, one is mounted (see
 * ward_kernel_bpffs_mounted). */
int ward_kernel_open(const ward_kernel_config *c, ward_kernel **out, char *err, size_t errlen);
void ward_kernel_close(ward_kernel *k);
/* Detach and unpin everything under pin_dir, delete table inet ward. */
int ward_kernel_teardown(const ward_kernel_config *c);
/* Where the pins are: the configured directory, or the same relative path
 * under WARD_KBPFFS_FALLBACK when /sys/fs/bpf could not hold a BPF fs. */
const char *ward_kernel_pin_dir(const ward_kernel *k);
/* The mount point of the BPF file system open() mounted, or "". */
const char *ward_kernel_bpffs_mounted(const ward_kernel *k);

/* The boot-time ruleset (nft -f input): table inet ward with the static
 * filters, hold chains dropping, no queue. wardd's first install replaces it
 * in one transaction ("add; delete; table {...}"), so no instant passes with
 * neither in force. 0 or -ENOSPC. */
int ward_kernel_boot_ruleset(const ward_kernel_config *c, char *buf, size_t len);

/* Replaces the rules of chains static_out and static_in (the boot-time
 * filters, same format as the config's) in one transaction: the old rules
 * hold until the new ones do. Repairs re-create the table with these.
 * 0 (also when nothing changed) or a negative errno (the old rules stay). */
int ward_kernel_static_set(ward_kernel *k, const char *out, const char *in);

/* ---- Compiled verdicts per program (the kernel's fast path) -------------- */

typedef struct ward_kentry {
    uint8_t proto;   /* IPPROTO_*, WARD_KPROTO_ANY, WARD_KPROTO_RAW */
    uint8_t dir;     /* WARD_KDIR_OUT / WARD_KDIR_IN / WARD_KDIR_RAW / WARD_KDIR_SELF_* */
    uint16_t port;   /* 0: any */
    uint8_t verdict; /* enum ward_kv: ALLOW, DENY or ASK */
    uint32_t rule;   /* opaque (engine rule id) */
} ward_kentry;

/* Replace a program's table with these entries (n may be 0: forget it). */
int ward_kernel_program_set(ward_kernel *k, ward_exe_id exe, const ward_kentry *e, size_t n);
/* Add or change one entry (e.g. a learned answer). */
int ward_kernel_program_put(ward_kernel *k, ward_exe_id exe, const ward_kentry *e);
/* The programs that have entries now (up to max; returns how many there
 * are): a daemon starting up reconciles what an earlier one left. */
int ward_kernel_programs(ward_kernel *k, ward_exe_id *out, size_t max);
/* What the hooks would decide now (same lookup order); enum ward_kv. */
int ward_kernel_program_lookup(ward_kernel *k, ward_exe_id exe, uint8_t proto, uint8_t dir,
                               uint16_t port);

/* The host's own addresses, which the hooks let through where the table
 * denies (step 3 of the decision order; loopback needs no entry). Replaces
 * the whole set. */
int ward_kernel_self_set(ward_kernel *k, const ward_ip *ips, size_t n);

/* A connection wardd allowed on the question of the program's shim: the
 * socket sock (its cookie) to remote:port, for program exe only. The hooks
 * then pass it without asking again, and a held datagram socket loses the
 * undecided mark (docs/SHIM.md). 0 or -errno. */
int ward_kernel_shim_mark(ward_kernel *k, int sock, ward_exe_id exe, uint8_t proto,
                          const ward_ip *remote, uint16_t port);
/* "set self-traffic rules": DENY entries hold for the host's own addresses
 * too (false: they pass, the engine's step 3). */
int ward_kernel_self_rules(ward_kernel *k, bool rules);
/* Whether some program's table (or every program's: exe 0/0) has
 * WARD_KDIR_SELF_* entries, an administrator's hard block of the host that
 * holds whatever self-traffic says: the hooks look them up only then. */
int ward_kernel_self_blocks(ward_kernel *k, bool blocks);

/* ---- Inbound and packet layers (nft sets) --------------------------------- */

/* ALLOW / DENY put proto.port in the allow / deny set; ASK or NONE removes
 * it: new inbound connections to it are queued. */
int ward_kernel_inbound_port(ward_kernel *k, uint8_t proto, uint16_t port, uint8_t verdict);
/* ICMP (proto 1) / ICMPv6 (58) type per direction: DENY drops it, ALLOW
 * passes (the default). */
int ward_kernel_icmp(ward_kernel *k, uint8_t proto, uint8_t dir, uint8_t type, uint8_t verdict);

typedef struct ward_klisten {
    uint8_t proto;
    uint16_t port;
    ward_exe_id exe;
    uint32_t pid, uid;
} ward_klisten;
/* The listening port table filled by the bind hooks. Returns the count. */
int ward_kernel_listeners(ward_kernel *k, ward_klisten *out, size_t max);
/* Notes in that table the sockets bound now in this network namespace (TCP
 * listeners, unconnected UDP) by processes of the hooked cgroup, as the
 * bind hook would have: those bound before the hooks were attached.
 * Returns how many were noted, or a negative errno (listeners.c). */
int ward_kernel_listeners_scan(ward_kernel *k);

/* ---- The queue: undecided flows ------------------------------------------- */

typedef struct ward_kqueued {
    uint32_t id; /* give it back to ward_kernel_queue_verdict */
    uint8_t proto;
    uint8_t dir;    /* WARD_KDIR_OUT or WARD_KDIR_IN (hook) */
    uint8_t family; /* 4 or 6 (packet) */
    ward_ip local, remote;
    uint16_t lport, rport;
    uint32_t mark;   /* the packet's mark */
    bool attributed; /* exe/pid/uid below are valid */
    ward_exe_id exe;
    uint32_t pid, uid;
    char comm[16];
    uint8_t table;      /* what the verdict table says now: enum ward_kv
                         * (WARD_KV_NONE under queue_no_table) */
    char domain[256];   /* remote name from a trusted DNS answer, or "" */
    uint8_t domain_src; /* enum ward_name_src: which kind of answer */
    /* The interface the packet leaves by (out) or came in by (in), as an
     * index in the queue's network namespace; 0 when not known. */
    uint32_t ifindex;
    /* Where the packet's layers start: the transport header (after the IP
     * header) and its payload (after the TCP, UDP or ICMP header; for
     * other protocols the transport offset). Both at most the length. */
    uint16_t l4_off, data_off;
    /* Its flow cannot go to the stream queue: a datagram held by the
     * egress program (handover.c), sent on by wardd or forgotten. */
    bool no_stream;
} ward_kqueued;

/* Called per queued packet. Return WARD_KV_ALLOW or WARD_KV_DENY to answer
 * now, WARD_KV_ASK to keep it waiting (answer later by id; other packets
 * keep flowing meanwhile). */
typedef int (*ward_kqueue_fn)(void *ctx, const ward_kqueued *q);

int ward_kernel_queue_fd(ward_kernel *k); /* poll for POLLIN */
/* Read what is there, call fn for each packet. Returns packets handled. */
int ward_kernel_queue_dispatch(ward_kernel *k, ward_kqueue_fn fn, void *ctx);
int ward_kernel_queue_verdict(ward_kernel *k, uint32_t id, uint8_t verdict);

/* The mail proxy (docs/MAIL.md): new TCP flows to the mail ports (25, 110,
 * 143, 587) are redirected to the loopback port (0: no redirect), but those
 * of sockets with the mail mark. 0 or -errno. */
int ward_kernel_mail_redirect(ward_kernel *k, uint16_t port);
/* The program of the local TCP socket local:lport -> remote:rport (the
 * addresses in the 16-byte form, IPv4 mapped), as the queue attributes a
 * packet: q's exe, pid, uid and comm. 0 or -ENOENT. */
int ward_kernel_tcp_owner(ward_kernel *k, const ward_ip *local, uint16_t lport,
                          const ward_ip *remote, uint16_t rport, ward_kqueued *q);

/* ---- The stream queue: payload of flows sent to a callout ----------------- */

/* A queue verdict of WARD_KV_STREAM marks the flow's conntrack entry: from
 * then on every packet of the flow, both ways, comes to the stream queue
 * (its own NFQUEUE, after the connection is decided) until a verdict lets
 * the flow go. A TCP flow's first packet (the SYN) is accepted; the first
 * packet of any other protocol comes to the stream queue too (it carries
 * data). No mark, no cost: other flows never leave the kernel. */
typedef struct ward_kseg {
    uint32_t id;    /* give it back to ward_kernel_stream_verdict */
    uint8_t dir;    /* WARD_KDIR_OUT: sent by the local side; WARD_KDIR_IN */
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* IP protocol; tcp_flags and seq are TCP's only */
    ward_ip local, remote;
    uint16_t lport, rport;
    uint8_t tcp_flags; /* FIN 0x01, SYN 0x02, RST 0x04, ... */
    uint32_t seq;
    const uint8_t *payload; /* valid during the callback only */
    size_t len;
} ward_kseg;

/* Called per packet of the stream queue; the packet waits for its verdict
 * (now or later). Without a callback packets pass. */
typedef void (*ward_kstream_fn)(void *ctx, const ward_kseg *s);
void ward_kernel_stream_callback(ward_kernel *k, ward_kstream_fn fn, void *ctx);

enum ward_kstream_verdict {
    WARD_KS_ACCEPT, /* it goes on; the flow stays in the stream queue */
    WARD_KS_PASS,   /* it goes on; the flow leaves the stream queue */
    WARD_KS_DROP,
    WARD_KS_RESET,  /* rewritten into a TCP reset to its receiver (its sequence
                     * number: take the oldest unanswered packet) */
    WARD_KS_REJECT, /* dropped; nft answers its sender with a TCP reset (UDP:
                     * ICMP port unreachable; others: admin prohibited) */
};
int ward_kernel_stream_verdict(ward_kernel *k, uint32_t id, enum ward_kstream_verdict v);

/* ---- DNS: answers pass through user space ------------------------------- */

/* Queries (UDP 53 out) are recorded; an answer (UDP 53 in) is trusted only
 * if it matches an outstanding query (id, endpoints, question). Untrusted
 * answers are dropped and reported; trusted ones fill the IP -> name map
 * before the application sees them, unless the callback blocks the name. */
typedef struct ward_kdns_answer {
    const char *qname;
    uint16_t qtype;
    bool trusted;
    ward_ip client, server;
    uint16_t cport;
    uint32_t ifindex; /* the interface the answer came in by; 0: not known */
    size_t naddr;
    const ward_ip *addrs;
    const uint32_t *ttls;
    uint8_t src; /* enum ward_name_src: DNS over UDP or TCP, mDNS, LLMNR */
    /* The process whose socket sent the query, when it could be found. */
    bool attributed;
    ward_exe_id exe;
    uint32_t pid, uid;
} ward_kdns_answer;
/* A blocked name answered in the application's place: "no such name", or
 * the unspecified address (0.0.0.0 for A, :: for AAAA, no data otherwise). */
#define WARD_KDNS_NXDOMAIN 16
#define WARD_KDNS_ZERO     17
/* Return WARD_KV_DENY to drop the answer (block the domain), WARD_KDNS_* to
 * answer instead, else ALLOW. */
typedef int (*ward_kdns_fn)(void *ctx, const ward_kdns_answer *a);
void ward_kernel_dns_callback(ward_kernel *k, ward_kdns_fn fn, void *ctx);
/* "example.com" matches itself; "*.example.com" its subdomains. */
bool ward_kernel_dns_match(const char *pattern, const char *name);
/* The name a trusted answer gave for ip (not expired): the kind of answer
 * (enum ward_name_src, > 0), or -ENOENT. */
int ward_kernel_name_of(ward_kernel *k, const ward_ip *ip, char *buf, size_t len);
/* Whether a trusted answer (not expired) gave ip for name: the kind of
 * answer (enum ward_name_src), or 0. */
int ward_kernel_name_gave(ward_kernel *k, const ward_ip *ip, const char *name);

/* ---- Decisions made in the kernel ---------------------------------------- */

/* The hooks report each allow / deny they give (connect, the first datagram
 * of a socket to a destination, raw sockets, binds: struct ward_kevent in
 * ward_bpf.h) in a ring buffer; what the ring had no room for is counted
 * (ward_kstats.events_lost). Records left while no reader ran wait in the
 * pinned ring for the next one. */
typedef void (*ward_kevent_fn)(void *ctx, const struct ward_kevent *e);
int ward_kernel_events_fd(ward_kernel *k); /* poll for POLLIN; -1 without BPF */
/* Calls fn for each waiting record, at most a few thousand a call (the fd
 * stays readable while more wait). Returns the records handled. */
int ward_kernel_events_drain(ward_kernel *k, ward_kevent_fn fn, void *ctx);

/* ---- Ownership ------------------------------------------------------------ */

/* Is the nft table intact? 0: yes; 1: it was not and has been restored
 * (when repair); -ENOENT: missing and not repaired. */
int ward_kernel_nft_check(ward_kernel *k, bool repair);
/* Re-create the table (one transaction) and put the set elements back. */
int ward_kernel_nft_repair(ward_kernel *k);
/* fd that becomes readable when any nft ruleset of the netns changes.
 * drain() reads the notifications and returns what transactions of other
 * processes did to Ward's table (WARD_KNFT_* bits; 0: nothing): anything
 * added (a rule, a set element: an `accept` slipped in) or deleted is
 * repaired at once by re-creating the table. out (may be NULL) also gets
 * the last such process. */
enum {
    WARD_KNFT_DELETED = 1, /* a table, chain, rule, set or element of ours went */
    WARD_KNFT_ADDED = 2,   /* something was added to table inet ward */
    WARD_KNFT_LOST = 4,    /* notifications were lost (buffer full) */
};
typedef struct ward_knft_change {
    unsigned what; /* WARD_KNFT_* */
    uint32_t pid;  /* the process that committed it (0: unknown) */
    char comm[16];
} ward_knft_change;
int ward_kernel_nft_monitor_fd(ward_kernel *k);
unsigned ward_kernel_nft_monitor_drain(ward_kernel *k, ward_knft_change *out);

/* The hooks stay attached: the handle holds its link fds (so removing the
 * pins detaches nothing), and this check finds links detached from the
 * cgroup (bpftool link detach), links made to run another program
 * (BPF_LINK_UPDATE) and pins removed or replaced. The kernel sends no
 * notification for a cgroup link's detach: call it now and then (wardd:
 * every second, and at once when inotify sees a pin go). With repair,
 * detached links are attached again (new links, pinned in their place) and pins put back. Returns 0 intact, 1 something
 * was found (counts in out), or a negative errno when a repair failed. */
typedef struct ward_khooks {
    unsigned detached; /* links no longer attached to the cgroup */
    unsigned unpinned; /* link or map pins removed or replaced */
    unsigned replaced; /* links running another program (BPF_LINK_UPDATE): swapped back */
    unsigned failed;   /* repairs that failed */
} ward_khooks;
int ward_kernel_hooks_check(ward_kernel *k, bool repair, ward_khooks *out);

typedef struct ward_kstats {
    uint64_t hook[WARD_STAT_COUNT]; /* WARD_STAT_* summed over CPUs */
    uint64_t queued, answered;      /* by this handle */
    uint64_t queue_dropped;         /* kernel: queue full */
    uint64_t user_dropped;          /* kernel: netlink buffer full */
    uint64_t repairs;               /* nft table restored */
    uint64_t hook_repairs;          /* links attached again or pins put back */
    uint64_t dns_answers, dns_untrusted, dns_blocked;
    uint64_t events_emitted, events_lost; /* the hooks' decision records (all runs) */
    bool native_queue;                    /* nft queue statement (else xt NFQUEUE) */
    uint8_t packet_sockets;               /* enum ward_kpacket: what is done at their creation */
} ward_kstats;

/* Packet sockets (AF_PACKET): no cgroup hook sees them being made. */
enum ward_kpacket {
    WARD_KPACKET_UNSEEN = 0, /* nothing reports them */
    WARD_KPACKET_LOGGED = 1, /* reported after socket(2) returned (a tracepoint): not refused */
};
int ward_kernel_stats(ward_kernel *k, ward_kstats *out);

#endif /* WARD_KERNEL_BACKEND_H */
