// SPDX-License-Identifier: GPL-2.0
/*
 * ward.bpf.c — Ward's cgroup socket hooks.
 *
 * Every socket operation of a task in the attached cgroup is attributed to
 * the task's executable (dev, inode of mm->exe_file, read with CO-RE) and
 * looked up in ward_verdicts:
 *   allow -> pass, in the kernel, no trip to user space
 *   deny  -> return 0: the syscall fails with EPERM at once (the host's own
 *            addresses pass unless the policy says "self-traffic rules")
 *   ask   -> the socket gets the configured mark bit; nft sends the first
 *            packet of its new flows to NFQUEUE, where user space decides.
 * The egress program enforces by per-socket state (ward_sk) and by the
 * sending task, not by the mark alone, which a privileged program can
 * change. The data contract is ward_bpf.h; the loader is ward_bpf.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ward_exe.bpf.h"
#include "ward_bpf.h"
#include "ward_lookup.h"

#define AF_INET     2
#define AF_INET6    10
#define SOCK_DGRAM  2
#define SOCK_RAW    3
#define SOL_SOCKET  1
#define SO_MARK     36
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86DD

/* Settings, fixed at load time by the loader (rodata). */
const volatile __u32 ward_mark = 0x00100000;         /* the "undecided" mark bit */
const volatile __u8 ward_default = WARD_KV_ASK;      /* program/port not in the table */
const volatile __u8 ward_unattributed = WARD_KV_ASK; /* task without an exe (kthread) */
const volatile __u8 ward_raw_default = WARD_KV_DENY; /* raw sockets, not in the table */
const volatile __u32 ward_accept_mark = 0x00400000;  /* set by user space on a queued accept */
const volatile bool ward_backstop = true;            /* egress drop of undecided packets */

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, WARD_MAX_VERDICTS);
    __type(key, struct ward_vkey);
    __type(value, struct ward_vval);
} ward_verdicts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARD_MAX_SOCKS);
    __type(key, __u64);
    __type(value, struct ward_sockinfo);
} ward_socks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, WARD_MAX_BINDS);
    __type(key, struct ward_bindkey);
    __type(value, struct ward_bindinfo);
} ward_binds SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, WARD_STAT_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} ward_stats SEC(".maps");

/* Sockets a queued packet of which was accepted (the backstop's memory). */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u8);
} ward_decided SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, WARD_MAX_SELF);
    __type(key, struct ward_addr);
    __type(value, __u8);
} ward_self SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ward_kcfg);
} ward_cfg SEC(".maps");

/* Who the hooks judged for a socket, and whether it is held. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct ward_skstate);
} ward_sk SEC(".maps");

/* Connections wardd decided on the shim's question (ward_bpf.h). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARD_MAX_SHIMMED);
    __type(key, __u64);
    __type(value, struct ward_shimmark);
} ward_shimmed SEC(".maps");

static __always_inline void count(__u32 which)
{
    __u64 *c = bpf_map_lookup_elem(&ward_stats, &which);
    if (c)
        (*c)++;
}

/* The calling task's executable as stat(2) would report it. */
static __always_inline bool current_exe(__u64 *dev, __u64 *ino)
{
    struct task_struct *t = bpf_get_current_task_btf();
    return ward_file_id(BPF_CORE_READ(t, mm, exe_file), dev, ino);
}

static __always_inline __u8 verdict_of(void *map, const struct ward_vkey *k)
{
    struct ward_vval *v = bpf_map_lookup_elem(map, k);
    return v ? v->verdict : WARD_KV_NONE;
}

/* The one lookup order (ward_lookup.h); port 0: no port known yet. */
WARD_LOOKUP_DEFINE(lookup_in, void *, verdict_of)

static __always_inline __u8 lookup(__u64 dev, __u64 ino, __u8 proto, __u16 port, __u8 dflt)
{
    return lookup_in(&ward_verdicts, dev, ino, proto, WARD_KDIR_OUT, port, dflt);
}

static __always_inline struct ward_kcfg *cfg(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&ward_cfg, &zero);
}

static __always_inline bool self_rules(void)
{
    struct ward_kcfg *c = cfg();
    return c && c->self_rules;
}

/* Ping sockets (SOCK_DGRAM of ICMP): no sendmsg hook runs for them. */
static __always_inline bool is_icmp(__u32 proto)
{
    return proto == 1 || proto == 58;
}

/* Is the destination this host: loopback, unspecified (connecting to
 * 0.0.0.0 or :: reaches the host) or one of its addresses? The engine lets
 * these through (step 3 of the decision order) unless self traffic is
 * decided by the rules. DEST_LOOP: loopback or unspecified; DEST_HOST: in
 * ward_self, looked up for a loopback address too only when all is set. */
#define DEST_LOOP 1
#define DEST_HOST 2
static __always_inline __u8 dest_self(struct bpf_sock_addr *ctx, bool v6, bool all)
{
    struct ward_addr a = {};
    bool loop;
    if (!v6) { /* the v4 hooks may not read user_ip6 */
        __u32 ip4 = ctx->user_ip4;
        __u8 first = ((__u8 *)&ip4)[0];
        loop = first == 127 || ip4 == 0;
        a.b[10] = a.b[11] = 0xff;
        __builtin_memcpy(&a.b[12], &ip4, 4);
    } else {
        __u32 w[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
        __builtin_memcpy(a.b, w, 16);
        bool mapped = !w[0] && !w[1] && w[2] == bpf_htonl(0xffff);
        loop = (!w[0] && !w[1] && !w[2] && (w[3] == bpf_htonl(1) || !w[3])) || /* ::1, :: */
               (mapped && (a.b[12] == 127 || !w[3]));
    }
    if (loop && !all)
        return DEST_LOOP;
    return (loop ? DEST_LOOP : 0) | (bpf_map_lookup_elem(&ward_self, &a) ? DEST_HOST : 0);
}

/* An administrator's hard block of connections to the host itself (the
 * WARD_KDIR_SELF_* entries of the program's table, or of every program's:
 * dev 0, ino 0). It holds whatever "self-traffic" says. */
static __always_inline bool self_blocked(__u64 dev, __u64 ino, __u8 proto, __u16 port, __u8 self)
{
    if (self & DEST_LOOP) {
        if (lookup_in(&ward_verdicts, dev, ino, proto, WARD_KDIR_SELF_LOOP, port, WARD_KV_NONE) ==
                WARD_KV_DENY ||
            lookup_in(&ward_verdicts, 0, 0, proto, WARD_KDIR_SELF_LOOP, port, WARD_KV_NONE) ==
                WARD_KV_DENY)
            return true;
    }
    if (self & DEST_HOST) {
        if (lookup_in(&ward_verdicts, dev, ino, proto, WARD_KDIR_SELF_HOST, port, WARD_KV_NONE) ==
                WARD_KV_DENY ||
            lookup_in(&ward_verdicts, 0, 0, proto, WARD_KDIR_SELF_HOST, port, WARD_KV_NONE) ==
                WARD_KV_DENY)
            return true;
    }
    return false;
}

/* Notes who the hooks judged for sk and whether it is held. */
static __always_inline void note_sock(struct bpf_sock *sk, __u64 dev, __u64 ino, bool held)
{
    struct ward_skstate *st = bpf_sk_storage_get(&ward_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (st) {
        st->dev = dev;
        st->ino = ino;
        st->held = held;
    }
}

#include "ward_events.bpf.h"   /* each decision, reported: ward_emit_* */
#include "ward_icmp.bpf.h"     /* ping and raw sockets */
#include "ward_handover.bpf.h" /* a handed socket's datagram, held for a question */
#include "ward_packet.bpf.h"   /* packet sockets: seen at socket(2)'s exit */
/* Bytes and packets per socket: ward_traffic_*. */
#include "ward_traffic.bpf.h"
#include "ward_limits.bpf.h" /* rate limits and quotas per program */

static __always_inline void remember(__u64 cookie, __u64 dev, __u64 ino)
{
    struct ward_sockinfo si = {.dev = dev, .ino = ino};
    __u64 pt = bpf_get_current_pid_tgid();
    __u64 ug = bpf_get_current_uid_gid();
    si.pid = pt >> 32;
    si.tid = (__u32)pt;
    si.uid = (__u32)ug;
    si.gid = ug >> 32;
    bpf_get_current_comm(si.comm, sizeof(si.comm));
    bpf_map_update_elem(&ward_socks, &cookie, &si, BPF_ANY);
}

SEC("cgroup/sock_create")
int ward_sock_create(struct bpf_sock *ctx)
{
    __u32 family = ctx->family, type = ctx->type, proto = ctx->protocol;
    __u64 dev = 0, ino = 0;
    bool known;

    if (type != SOCK_RAW && type != SOCK_DGRAM)
        return 1; /* stream sockets are judged at connect */
    known = current_exe(&dev, &ino);
    if (type == SOCK_RAW) {
        /* The process answering the queue sends held datagrams on (handover.c). */
        struct ward_kcfg *c = cfg();
        if (c && c->queue_tgid && (bpf_get_current_pid_tgid() >> 32) == c->queue_tgid)
            return 1;
        __u32 rule;
        __u8 v = raw_verdict(known, dev, ino, proto, &rule);
        if (v != WARD_KV_ALLOW) {
            count(WARD_STAT_RAW_DENY);
            ward_emit_raw(ctx, WARD_KV_DENY, dev, ino, rule);
            return 0;
        }
        ward_emit_raw(ctx, WARD_KV_ALLOW, dev, ino, rule);
        note_sock(ctx, dev, ino, false); /* its sender is judged at egress */
        return 1;
    }
    if ((family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM) {
        /* An unconnected datagram's mark is read before the sendmsg hook
         * runs, so a datagram socket is held from birth unless the program
         * may send this protocol anywhere. */
        __u8 v = known ? lookup(dev, ino, proto, 0, ward_default) : ward_unattributed;
        /* A ping socket its program may not use is not queued (wardd could
         * not tell whose it is): the egress program drops its packets. */
        if (v == WARD_KV_DENY && is_icmp(proto))
            v = WARD_KV_ALLOW;
        if (v != WARD_KV_ALLOW) {
            ctx->mark |= ward_mark;
            if (known)
                remember(bpf_get_socket_cookie(ctx), dev, ino);
            if (known && is_icmp(proto))
                remember_ping(ctx, dev, ino); /* sock_diag cannot find it */
        }
        note_sock(ctx, dev, ino, v != WARD_KV_ALLOW);
    }
    return 1;
}

/* wardd's verdict on this connection when the program's shim asked about
 * this very destination; WARD_KV_NONE otherwise. */
static __always_inline __u8 shimmed(struct bpf_sock_addr *ctx, bool v6, __u64 dev, __u64 ino,
                                    __u8 proto, __u16 port)
{
    __u64 cookie = bpf_get_socket_cookie(ctx);
    struct ward_shimmark *m = bpf_map_lookup_elem(&ward_shimmed, &cookie);
    if (!m || m->dev != dev || m->ino != ino || m->proto != proto || m->port != port)
        return WARD_KV_NONE;
    __u32 a[4];
    if (v6) {
        a[0] = ctx->user_ip6[0];
        a[1] = ctx->user_ip6[1];
        a[2] = ctx->user_ip6[2];
        a[3] = ctx->user_ip6[3];
    } else {
        a[0] = 0;
        a[1] = 0;
        a[2] = bpf_htonl(0xffff);
        a[3] = ctx->user_ip4;
    }
    __u32 r[4];
    __builtin_memcpy(r, m->remote, 16);
    if (a[0] != r[0] || a[1] != r[1] || a[2] != r[2] || a[3] != r[3])
        return WARD_KV_NONE;
    return m->verdict;
}

static __always_inline int on_addr(struct bpf_sock_addr *ctx, bool connect, bool v6)
{
    __u8 proto = ctx->protocol;
    __u16 port = bpf_ntohs((__u16)ctx->user_port);
    __u64 dev = 0, ino = 0;
    __u8 v;

    if (current_exe(&dev, &ino)) {
        v = lookup(dev, ino, proto, port, ward_default);
    } else {
        count(WARD_STAT_UNATTRIBUTED);
        v = ward_unattributed;
    }

    /* The host itself passes (step 3), unless the rules decide self
     * traffic: then DENY refuses it here and ASK is queued like any flow
     * (nft queues held loopback flows). An administrator's hard block of
     * the host holds either way. */
    struct ward_kcfg *c = cfg();
    bool blocks = c && c->self_blocks;
    __u8 self = v != WARD_KV_ALLOW || blocks ? dest_self(ctx, v6, blocks) : 0;
    bool shim = v != WARD_KV_ALLOW && shimmed(ctx, v6, dev, ino, proto, port) == WARD_KV_ALLOW;
    if (shim) {
        /* Decided once already, with what the shim knew (the name asked
         * for): the queue is not asked again. */
        count(WARD_STAT_SHIM);
        v = WARD_KV_ALLOW;
    } else if (self && blocks && self_blocked(dev, ino, proto, port, self)) {
        v = WARD_KV_DENY;
    } else if (v != WARD_KV_ALLOW && self && !(c && c->self_rules)) {
        count(WARD_STAT_SELF);
        v = WARD_KV_ALLOW;
        /* Who connected, for a local server of Ward's that asks (the mail
         * proxy's TLS listeners: docs/MAIL.md). */
        if (connect && proto == IPPROTO_TCP && (dev || ino))
            remember(bpf_get_socket_cookie(ctx), dev, ino);
    }

    /* Limits (ward_limits.bpf.h): a program whose blocking quota ran out
     * is refused at once; a TCP connection of one with a rate paces itself. */
    if (v != WARD_KV_DENY && (dev || ino) && ward_limit_refuses(dev, ino))
        v = WARD_KV_DENY;
    if (connect && proto == IPPROTO_TCP && v != WARD_KV_DENY && (dev || ino))
        ward_limit_pace(ctx, dev, ino);

    int mark = 0;
    bpf_getsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    struct bpf_sock *sk = ctx->sk;
    switch (v) {
    case WARD_KV_ALLOW:
        count(WARD_STAT_ALLOW);
        if ((connect || shim) && (mark & ward_mark)) {
            mark &= ~ward_mark;
            bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
        }
        if (sk)
            note_sock(sk, dev, ino, (mark & ward_mark) != 0);
        ward_traffic_open(ctx, dev, ino);
        /* A name lookup: who asked, so a blocked answer is logged with it. */
        if (port == 53 && (dev || ino))
            remember(bpf_get_socket_cookie(ctx), dev, ino);
        return 1;
    case WARD_KV_DENY:
        count(WARD_STAT_DENY);
        return 0;
    default:
        count(WARD_STAT_ASK);
        if (!(mark & ward_mark)) {
            mark |= ward_mark;
            bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
        }
        if (sk)
            note_sock(sk, dev, ino, true);
        remember(bpf_get_socket_cookie(ctx), dev, ino);
        ward_traffic_open(ctx, dev, ino);
        return 1;
    }
}

SEC("cgroup/connect4")
int ward_connect4(struct bpf_sock_addr *ctx)
{
    return ward_emit_addr(ctx, on_addr(ctx, true, false), WARD_KEV_CONNECT, 4);
}

SEC("cgroup/connect6")
int ward_connect6(struct bpf_sock_addr *ctx)
{
    return ward_emit_addr(ctx, on_addr(ctx, true, true), WARD_KEV_CONNECT, 6);
}

SEC("cgroup/sendmsg4")
int ward_sendmsg4(struct bpf_sock_addr *ctx)
{
    return ward_emit_addr(ctx, on_addr(ctx, false, false), WARD_KEV_SENDMSG, 4);
}

SEC("cgroup/sendmsg6")
int ward_sendmsg6(struct bpf_sock_addr *ctx)
{
    return ward_emit_addr(ctx, on_addr(ctx, false, true), WARD_KEV_SENDMSG, 6);
}

/* The listening port table: who bound which port. Inbound verdicts are
 * applied by nft (sets keyed by port) and the queue, not here. */
static __always_inline int on_post_bind(struct bpf_sock *ctx)
{
    struct ward_bindkey k = {.port = (__u16)ctx->src_port, .proto = (__u8)ctx->protocol};
    struct ward_bindinfo b = {};
    if (!current_exe(&b.dev, &b.ino))
        return 1;
    b.pid = bpf_get_current_pid_tgid() >> 32;
    b.uid = (__u32)bpf_get_current_uid_gid();
    bpf_map_update_elem(&ward_binds, &k, &b, BPF_ANY);
    return 1;
}

SEC("cgroup/post_bind4")
int ward_post_bind4(struct bpf_sock *ctx)
{
    return ward_emit_bind(ctx, on_post_bind(ctx), 4);
}

SEC("cgroup/post_bind6")
int ward_post_bind6(struct bpf_sock *ctx)
{
    return ward_emit_bind(ctx, on_post_bind(ctx), 6);
}

/* The destination port of a UDP datagram (0 for other protocols). */
static __always_inline __u16 udp_dport(struct __sk_buff *skb)
{
    __u32 off;
    __u8 b[2];
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        if (bpf_skb_load_bytes(skb, 9, b, 1) || b[0] != IPPROTO_UDP ||
            bpf_skb_load_bytes(skb, 0, b, 1))
            return 0;
        off = (b[0] & 0xf) * 4;
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        if (bpf_skb_load_bytes(skb, 6, b, 1) || b[0] != IPPROTO_UDP)
            return 0;
        off = 40;
    } else {
        return 0;
    }
    __u16 port;
    if (bpf_skb_load_bytes(skb, off + 2, &port, 2))
        return 0;
    return bpf_ntohs(port);
}

/*
 * A datagram socket's packets are sent by the task that calls send(), in
 * its context. The hooks judged the socket for one program; another one may
 * hold it now (an fd passed over a unix socket, or kept across exec), and a
 * connected socket's send() runs no hook. Such a sender is judged here by
 * its own table: ALLOW passes, DENY drops, and a UDP datagram its table
 * asks about is held for the question (ward_handover.bpf.h: nft has passed
 * the packet already, so it cannot be queued). Ping sockets run no sendmsg
 * hook at all: their sender's DENY drops here. Packets the queue re-injects
 * run in the context of the process answering it, and were judged there.
 * Returns EGRESS_PASS, EGRESS_DROP or EGRESS_HELD.
 */
static __always_inline int sender_may(struct __sk_buff *skb, struct bpf_sock *sk,
                                      const struct ward_skstate *st)
{
    __u64 dev, ino;
    struct ward_kcfg *c = cfg();
    if (sk->protocol == IPPROTO_TCP || !current_exe(&dev, &ino))
        return EGRESS_PASS; /* TCP is sent from softirq too; kernel threads own nothing */
    if (c && c->queue_tgid && (bpf_get_current_pid_tgid() >> 32) == c->queue_tgid)
        return EGRESS_PASS;
    if (sk->type == SOCK_RAW)
        return raw_may(skb, dev, ino) ? EGRESS_PASS : EGRESS_DROP;
    if (is_icmp(sk->protocol))
        return ping_may(skb, sk, st, dev, ino) ? EGRESS_PASS : EGRESS_DROP;
    bool same = dev == st->dev && ino == st->ino;
    if (same && !is_icmp(sk->protocol))
        return EGRESS_PASS;
    __u8 v = lookup(dev, ino, (__u8)sk->protocol, udp_dport(skb), ward_default);
    if (same || v == WARD_KV_ALLOW)
        return v != WARD_KV_DENY ? EGRESS_PASS : EGRESS_DROP;
    if (v != WARD_KV_DENY && sk->protocol == IPPROTO_UDP)
        return handover_ask(skb, dev, ino);
    return EGRESS_DROP;
}

/*
 * The backstop: if table inet ward is flushed or deleted by someone else,
 * held (marked) packets would leave unjudged until it is restored. Egress
 * drops a marked packet unless user space accepted one of its socket's
 * packets (the accept mark) or the socket received something (a reply to an
 * accepted flow, a server's peer). Loopback is left to nft (it accepts it).
 * Off in fail-open mode, where the queue bypass accepts without a mark.
 */
static __always_inline int egress_judge(struct __sk_buff *skb)
{
    if (skb->ifindex == 1 && !self_rules())
        return 1; /* the host itself (step 3) */
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return 1;
    sk = bpf_sk_fullsock(sk);
    if (!sk)
        return 1;
    struct ward_skstate *st = bpf_sk_storage_get(&ward_sk, sk, 0, 0);
    if (st) {
        int may = sender_may(skb, sk, st);
        if (may != EGRESS_PASS) {
            count(WARD_STAT_HANDOVER);
            return may;
        }
        /* Held, but the packet lacks the mark: the program changed it
         * (SO_MARK), and nft never saw it as undecided. */
        if (st->held && !(skb->mark & ward_mark)) {
            __u8 *d = bpf_sk_storage_get(&ward_decided, sk, 0, 0);
            if (!d || !*d) {
                count(WARD_STAT_UNMARKED);
                return 0;
            }
        }
    }
    if (!ward_backstop || !(skb->mark & ward_mark) || skb->ifindex == 1)
        return 1;
    if (skb->mark & ward_accept_mark) {
        __u8 *d = bpf_sk_storage_get(&ward_decided, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
        if (d)
            *d = 1;
        return 1;
    }
    __u8 *d = bpf_sk_storage_get(&ward_decided, sk, 0, 0);
    if (d && *d)
        return 1;
    count(WARD_STAT_BACKSTOP);
    return 0;
}

SEC("cgroup_skb/egress")
int ward_egress(struct __sk_buff *skb)
{
    int v = egress_judge(skb);
    if (v == EGRESS_PASS && (v = ward_limit_skb(skb, true)) != LIMIT_PASS && v != LIMIT_PASS_CN)
        return v; /* dropped by the program's rate or quota: not counted as passed */
    return ward_traffic_skb(skb, v, true);
}

static __always_inline int ingress_note(struct __sk_buff *skb)
{
    if (!ward_backstop)
        return 1;
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return 1;
    sk = bpf_sk_fullsock(sk);
    if (!sk || !(sk->mark & ward_mark))
        return 1;
    __u8 *d = bpf_sk_storage_get(&ward_decided, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (d)
        *d = 1;
    return 1;
}

SEC("cgroup_skb/ingress")
int ward_ingress(struct __sk_buff *skb)
{
    int v = ingress_note(skb);
    if (v && (v = ward_limit_skb(skb, false)) != LIMIT_PASS)
        return v;
    return ward_traffic_skb(skb, v, false);
}

char LICENSE[] SEC("license") = "GPL";
