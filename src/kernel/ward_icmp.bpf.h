/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ward_icmp.bpf.h — ICMP and raw sockets, decided per program.
 *
 * Ping sockets (SOCK_DGRAM of ICMP / ICMPv6, what unprivileged ping uses)
 * run no sendmsg hook, and sock_diag cannot find them, so a queued echo
 * could not be traced back to its program. Their creator is remembered by
 * the socket's inode (ward_pings), which user space finds from the echo's
 * identifier in /proc/net/icmp{,6}. Their packets are judged in the egress
 * program, in the sender's context, by the ICMP type (the table's "port").
 *
 * Raw sockets are judged at creation by their protocol: allowed only where
 * the compiler gave the program's table a raw entry for it (the whole
 * protocol allowed), never through the any-protocol entry; each of their
 * packets is judged again by its own protocol, which IP_HDRINCL lets the
 * program choose. Included by ward.bpf.c after ward_events.bpf.h.
 */
#ifndef WARD_ICMP_BPF_H
#define WARD_ICMP_BPF_H

#define IPPROTO_ICMPV6 58

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARD_MAX_PINGS);
    __type(key, __u64); /* the socket's inode */
    __type(value, struct ward_sockinfo);
} ward_pings SEC(".maps");

/* A held ping socket: who made it, keyed by its inode (the cgroup hook's
 * context is the socket itself; its struct socket is set up by now). */
static __always_inline void remember_ping(struct bpf_sock *ctx, __u64 dev, __u64 ino)
{
    struct sock *sk = (struct sock *)ctx;
    struct socket *so = BPF_CORE_READ(sk, sk_socket);
    if (!so)
        return;
    struct socket_alloc *sa =
        (void *)((char *)so - bpf_core_field_offset(struct socket_alloc, socket));
    __u64 inode = BPF_CORE_READ(sa, vfs_inode.i_ino);
    if (!inode)
        return;
    struct ward_sockinfo si = {.dev = dev, .ino = ino};
    __u64 pt = bpf_get_current_pid_tgid();
    __u64 ug = bpf_get_current_uid_gid();
    si.pid = pt >> 32;
    si.tid = (__u32)pt;
    si.uid = (__u32)ug;
    si.gid = ug >> 32;
    bpf_get_current_comm(si.comm, sizeof(si.comm));
    bpf_map_update_elem(&ward_pings, &inode, &si, BPF_ANY);
}

/* The raw-socket lookup order (ward_lookup.h), remembering the entry that
 * decides. */
WARD_RAW_LOOKUP_DEFINE(kev_raw_lookup, kev_lookup, struct kev_find *, kev_get)

/* A raw socket of protocol proto (anything but ALLOW refuses); rule gets
 * the deciding entry's id. */
static __always_inline __u8 raw_verdict(bool known, __u64 dev, __u64 ino, __u32 proto, __u32 *rule)
{
    struct kev_find f = {0};
    __u8 v = known && proto <= 0xff ? kev_raw_lookup(&f, dev, ino, (__u8)proto, ward_raw_default)
                                    : ward_raw_default;
    *rule = f.rule;
    return v;
}

/* The packet's IP protocol, ICMP type (when ICMP) and destination. */
struct pkt_info {
    __u8 proto;
    __u8 type;
    __u8 family;
    __u8 remote[16] __attribute__((aligned(4)));
};

static __always_inline bool pkt_read(struct __sk_buff *skb, struct pkt_info *p)
{
    __u32 off;
    __u8 b[1];
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        __u32 daddr;
        if (bpf_skb_load_bytes(skb, 9, &p->proto, 1) || bpf_skb_load_bytes(skb, 0, b, 1) ||
            bpf_skb_load_bytes(skb, 16, &daddr, 4))
            return false;
        off = (b[0] & 0xf) * 4;
        p->family = 4;
        kev_v4(p->remote, daddr);
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        if (bpf_skb_load_bytes(skb, 6, &p->proto, 1) || bpf_skb_load_bytes(skb, 24, p->remote, 16))
            return false;
        off = 40;
        p->family = 6;
        /* Hop-by-hop, routing and destination options (an MLD report
         * carries one) come before the protocol. */
        for (int i = 0; i < 3 && (p->proto == 0 || p->proto == 43 || p->proto == 60); i++) {
            __u8 ext[2];
            if (bpf_skb_load_bytes(skb, off, ext, 2))
                return false;
            p->proto = ext[0];
            off += (ext[1] + 1) * 8;
        }
    } else {
        return false;
    }
    p->type = 0;
    if (p->proto == 1 || p->proto == IPPROTO_ICMPV6)
        bpf_skb_load_bytes(skb, off, &p->type, 1);
    return true;
}

/* Reports a ping socket's packet decided here, once per socket, remote,
 * type and verdict (its program pings once a second). */
static __always_inline void ward_emit_ping(struct bpf_sock *sk, const struct pkt_info *p, __u8 v,
                                           __u64 dev, __u64 ino, __u32 rule)
{
    struct ward_sent *s = bpf_sk_storage_get(&ward_sent, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (s) {
        if (s->port == p->type && s->verdict == v && same16(s->remote, p->remote))
            return;
        __builtin_memcpy(s->remote, p->remote, 16);
        s->port = p->type;
        s->verdict = v;
    }
    struct ward_kevent *e = kev_begin(WARD_KEV_SENDMSG, v, dev, ino, rule, p->proto);
    if (!e)
        return;
    e->family = p->family;
    e->rport = p->type;
    __builtin_memcpy(e->remote, p->remote, 16);
    kev_submit(e);
}

/*
 * A ping socket's packet, in the sender's context: judged by the sender's
 * table for (ICMP, type). The program the hooks judged at creation may send
 * unless its table denies (a held socket's packet has passed the queue);
 * another one needs ALLOW. What is decided here is reported; a held
 * socket's packets were decided (and reported) by wardd. False: drop.
 */
static __always_inline bool ping_may(struct __sk_buff *skb, struct bpf_sock *sk,
                                     const struct ward_skstate *st, __u64 dev, __u64 ino)
{
    struct pkt_info p = {};
    if (!pkt_read(skb, &p))
        return true;
    struct kev_find f = {0};
    __u8 v = kev_lookup(&f, dev, ino, p.proto, WARD_KDIR_OUT, p.type, ward_default);
    bool same = dev == st->dev && ino == st->ino;
    bool ok = same ? v != WARD_KV_DENY : v == WARD_KV_ALLOW;
    if (!ok || !st->held)
        ward_emit_ping(sk, &p, ok ? WARD_KV_ALLOW : WARD_KV_DENY, dev, ino, f.rule);
    return ok;
}

/* A raw socket's packet: its sender may send raw packets of the packet's
 * protocol (IP_HDRINCL lets a raw ICMP socket write a TCP header). */
static __always_inline bool raw_may(struct __sk_buff *skb, __u64 dev, __u64 ino)
{
    struct pkt_info p = {};
    __u32 rule;
    if (!pkt_read(skb, &p))
        return true;
    return raw_verdict(true, dev, ino, p.proto, &rule) == WARD_KV_ALLOW;
}

#endif /* WARD_ICMP_BPF_H */
