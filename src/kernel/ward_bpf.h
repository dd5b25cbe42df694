/*
 * ward_bpf.h — the data contract between Ward's BPF programs (ward.bpf.c)
 * and user space (ward_bpf.c). Included by both: only fixed-width types, no
 * pointers, explicit padding, so the layouts agree on every side.
 *
 * Maps (pinned under PIN_DIR/maps/ so they outlive the loader):
 *   ward_verdicts  HASH   ward_vkey -> ward_vval   compiled verdict table
 *   ward_socks     LRU    socket cookie -> ward_sockinfo   who owns a held socket
 *   ward_binds     HASH   ward_bindkey -> ward_bindinfo    listening port table
 *   ward_stats     PERCPU_ARRAY  WARD_STAT_* -> __u64      counters
 *   ward_decided   SK_STORAGE    per socket: a held packet of it was accepted
 *   ward_self      HASH   ward_addr -> __u8    the host's own addresses (wardd keeps it current)
 *   ward_cfg       ARRAY  0 -> ward_kcfg       settings that change with the policy
 *   ward_sk        SK_STORAGE    per socket: who the hooks judged, and whether it is held
 *   ward_events    RINGBUF       ward_kevent: each decision the hooks make
 *   ward_kev_stats PERCPU_ARRAY  [0] -> ward_kev_stats: records emitted / lost
 *   ward_sent      SK_STORAGE    per socket: the last datagram destination reported
 *   ward_pings     LRU    socket inode -> ward_sockinfo   who owns a held ping socket
 *   ward_handed    LRU    ward_hokey -> ward_hoval   a handed socket's sender, answered
 *   ward_held      RINGBUF       ward_held: a handed socket's datagram, to be asked about
 *   ward_traffic   LRU_HASH      socket cookie -> ward_traffic (ward_traffic.h)
 *   ward_limits    HASH   executable -> ward_limit: rate limits and quotas (ward_limits.h)
 *   ward_limits_n  ARRAY  [0] -> how many entries ward_limits holds
 *   ward_shimmed   LRU    socket cookie -> ward_shimmark   wardd's verdict on the shim's question
 */
#ifndef WARD_KERNEL_BPF_H
#define WARD_KERNEL_BPF_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Verdict values in ward_vval.verdict. */
enum ward_kv {
    WARD_KV_NONE = 0,   /* no entry */
    WARD_KV_ALLOW = 1,  /* pass in the kernel */
    WARD_KV_DENY = 2,   /* EPERM at once */
    WARD_KV_ASK = 3,    /* mark the socket: nft queues its first packet */
    WARD_KV_STREAM = 4, /* a queue verdict only: accept, and send the flow's
                         * packets to the stream queue (kernel/backend.h) */
};

/* Directions in ward_vkey.dir (match enum ward_direction). */
#define WARD_KDIR_OUT 0
#define WARD_KDIR_IN  1
/* Raw sockets of ward_vkey.proto (port 0): laid by the compiler only where
 * the program may send that protocol to every port and address. */
#define WARD_KDIR_RAW 2

/* An administrator's hard block of connections to the host itself, which
 * holds whatever "self-traffic" says: DENY entries only, looked up (exact
 * port, any port, any protocol) when the destination is loopback (or
 * unspecified) / one of the host's addresses (ward_self). The key with dev 0,
 * ino 0 holds for every program. */
#define WARD_KDIR_SELF_LOOP 3
#define WARD_KDIR_SELF_HOST 4

/* ward_vval.rule of a WARD_KDIR_SELF_* entry: the engine filter's id, with
 * this bit set (a table's other entries name application rules). */
#define WARD_KRULE_FILTER 0x80000000u

/* Pseudo protocols in ward_vkey.proto. */
#define WARD_KPROTO_ANY 0   /* the program's default for any protocol */
#define WARD_KPROTO_RAW 255 /* creating SOCK_RAW sockets of a protocol without its own entry */

/* One entry of a program's compiled verdict table. Lookup order in the
 * hooks: (proto, port) exact, (proto, port 0 = any), (ANY, 0), else the
 * configured default. */
struct ward_vkey {
    __u64 dev;  /* st_dev of the executable, as stat(2) reports it */
    __u64 ino;  /* st_ino */
    __u16 port; /* host order; 0 = any port */
    __u8 proto; /* IPPROTO_*, WARD_KPROTO_ANY or WARD_KPROTO_RAW */
    __u8 dir;   /* WARD_KDIR_* */
    __u32 _pad;
};

struct ward_vval {
    __u8 verdict; /* enum ward_kv */
    __u8 _pad[3];
    __u32 rule; /* opaque id for user space (engine rule id, low bits) */
};

/* Who created / connected a socket; written when the socket is held
 * (marked) so user space can attribute a queued packet: 5-tuple ->
 * sock_diag -> cookie -> this record. */
struct ward_sockinfo {
    __u64 dev, ino;
    __u32 pid; /* tgid */
    __u32 tid;
    __u32 uid, gid;
    char comm[16];
};

struct ward_bindkey {
    __u16 port; /* host order */
    __u8 proto;
    __u8 _pad;
};

struct ward_bindinfo {
    __u64 dev, ino;
    __u32 pid, uid;
};

/* An address as the engine keeps it: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
struct ward_addr {
    __u8 b[16];
};

/* ward_cfg[0]: the policy's settings the hooks follow. */
struct ward_kcfg {
    __u8 self_rules;  /* "set self-traffic rules": DENY holds for the host's own addresses too */
    __u8 self_blocks; /* some WARD_KDIR_SELF_* entry exists: the hooks look them up */
    __u8 _pad[2];
    __u32 queue_tgid; /* the process answering the queue: packets it re-injects run as it */
};

/* ward_sk: per socket, written by the hooks. The egress program enforces
 * by it, not by the socket's mark, which a program with CAP_NET_ADMIN can
 * change (SO_MARK). */
struct ward_skstate {
    __u64 dev, ino; /* the executable the hooks last judged for this socket */
    __u8 held;      /* its new flows must go through the queue (marked) */
    __u8 _pad[7];
};

enum ward_stat {
    WARD_STAT_ALLOW = 0,
    WARD_STAT_DENY,
    WARD_STAT_ASK,
    WARD_STAT_UNATTRIBUTED,
    WARD_STAT_RAW_DENY,
    WARD_STAT_BIND_DENY,
    WARD_STAT_BACKSTOP, /* egress drops of held packets nft did not judge */
    WARD_STAT_UNMARKED, /* egress drops: a held socket's packet without the mark (SO_MARK) */
    WARD_STAT_HANDOVER, /* egress drops: sent by a program the table does not allow */
    WARD_STAT_SELF, /* hooks: a destination the table does not allow passed as the host itself */
    WARD_STAT_SHIM, /* hooks: a connection wardd decided on the shim's question */
    WARD_STAT_COUNT
};

/* What a hook decided, one record per decision (ward_events.bpf.h): the
 * decisions that never reach user space otherwise. Allow and deny only: an
 * "ask" is queued and wardd decides (and logs) it. */
enum ward_kev_kind {
    WARD_KEV_CONNECT = 1, /* connect4/6 */
    WARD_KEV_SENDMSG = 2, /* sendmsg4/6: the first datagram of a socket to a destination;
                           * egress: a ping socket's first echo of a type to one */
    WARD_KEV_RAW = 3,     /* sock_create of a SOCK_RAW socket */
    WARD_KEV_BIND = 4,    /* post_bind4/6 */
    WARD_KEV_PACKET = 5,  /* a packet socket made (seen, not decided: verdict ALLOW) */
};

struct ward_kevent {
    __u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
    __u64 dev;   /* the executable, as in ward_vkey; 0/0: the task had none */
    __u64 ino;
    __u32 pid; /* tgid */
    __u32 uid;
    __u32 rule;      /* ward_vval.rule of the entry that decided; 0: none (a default) */
    __u8 kind;       /* enum ward_kev_kind */
    __u8 verdict;    /* WARD_KV_ALLOW or WARD_KV_DENY */
    __u8 proto;      /* IPPROTO_* (raw: the socket's protocol) */
    __u8 family;     /* 4 or 6 */
    __u16 lport;     /* host order (bind: the bound port) */
    __u16 rport;     /* host order */
    __u8 local[16];  /* IPv4 as ::ffff:a.b.c.d; zero when not known yet */
    __u8 remote[16]; /* the destination (connect, sendmsg) */
    char comm[16];
    __u8 judged; /* WARD_KEV_PACKET: what the program's table says of raw access (WARD_KV_*) */
    __u8 _pad[3];
};

struct ward_kev_stats {
    __u64 emitted; /* records put in the ring */
    __u64 lost;    /* records the ring had no room for */
};

#define WARD_KEVENTS_BYTES (1u << 20) /* the ring: ~8,700 records */

/* A datagram a program sent through a socket another program made, where
 * its own table asks (ward_handover.bpf.h): a copy goes to user space,
 * which asks and sends it on an allow. ward_handed remembers the answer per
 * (socket, program); the copy itself is a record of ward_held. */
struct ward_hokey {
    __u64 cookie;   /* the socket */
    __u64 dev, ino; /* the program that sent through it */
};

struct ward_hoval {
    __u8 verdict; /* WARD_KV_ALLOW, WARD_KV_DENY, or WARD_KV_ASK: asked at ts */
    __u8 _pad[7];
    __u64 ts_ns;
};

#define WARD_HELD_MAX 1500 /* the largest datagram (IP header included) held */

struct ward_held {
    __u64 cookie, dev, ino;
    __u32 pid, uid;
    __u32 len;   /* bytes of data: the packet from its IP header on */
    __u8 family; /* 4 or 6 */
    __u8 _pad[3];
    char comm[16];
    __u8 data[WARD_HELD_MAX];
};

#define WARD_HELD_BYTES   (1u << 18) /* the ring: ~170 datagrams */
#define WARD_MAX_HANDED   4096
#define WARD_HELD_WAIT_NS (120ull * 1000000000) /* asked again after this */

#define WARD_MAX_VERDICTS 65536
#define WARD_MAX_SOCKS    65536
#define WARD_MAX_BINDS    16384
#define WARD_MAX_SELF     1024
#define WARD_MAX_PINGS    4096
#define WARD_MAX_SHIMMED  16384

/* ward_shimmed: a connection wardd decided on the question of the program's
 * shim (docs/SHIM.md). The hooks honour it for this program, protocol and
 * destination only, so a question about one destination cannot open
 * another, nor serve another program the socket was passed to. */
struct ward_shimmark {
    __u64 dev, ino;  /* the program that asked */
    __u8 remote[16]; /* IPv4 mapped */
    __u16 port;      /* remote, host order */
    __u8 proto;
    __u8 verdict; /* WARD_KV_ALLOW */
    __u32 _pad;
};

#endif /* WARD_KERNEL_BPF_H */
