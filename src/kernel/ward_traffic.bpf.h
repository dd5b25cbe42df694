/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ward_traffic.bpf.h — traffic accounting, included by ward.bpf.c.
 *
 * Every socket of the cgroup gets a ward_traffic entry keyed by its cookie:
 * the connect and sendmsg hooks create it with the task that connected (they
 * run in its context); the skb programs add each packet that passes (bytes
 * and packets, in and out, with atomic adds: one socket's packets are counted
 * on several CPUs) and create the entries of sockets no hook saw (accepted
 * connections, sockets older than the hooks); sock_release stamps the time
 * the program let go, so user space can fold the last counts and delete the
 * entry. Decisions do not depend on any of it.
 */
#ifndef WARD_TRAFFIC_BPF_H
#define WARD_TRAFFIC_BPF_H

#include "ward_traffic.h"

/* Off (the loader's setting) leaves every counting branch out of the
 * programs: what the benchmark compares. */
const volatile bool ward_count = true;

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARD_MAX_TRAFFIC);
    __type(key, __u64);
    __type(value, struct ward_traffic);
} ward_traffic SEC(".maps");

/* connect4/6, sendmsg4/6 that let the socket through: who it is. */
static __always_inline void ward_traffic_open(struct bpf_sock_addr *ctx, __u64 dev, __u64 ino)
{
    if (!ward_count)
        return;
    __u64 cookie = bpf_get_socket_cookie(ctx);
    if (bpf_map_lookup_elem(&ward_traffic, &cookie))
        return; /* an unconnected socket's next datagram, a second connect */
    __u64 pt = bpf_get_current_pid_tgid();
    struct ward_traffic t = {
        .start_ns = bpf_ktime_get_ns(),
        .dev = dev,
        .ino = ino,
        .pid = pt >> 32,
        .uid = (__u32)bpf_get_current_uid_gid(),
        .proto = (__u8)ctx->protocol,
        .dir = WARD_TDIR_OUT,
    };
    bpf_map_update_elem(&ward_traffic, &cookie, &t, BPF_NOEXIST);
}

static __always_inline void ward_traffic_v4(__u8 *a, __u32 ip4)
{
    __builtin_memset(a, 0, 10);
    a[10] = a[11] = 0xff;
    __builtin_memcpy(&a[12], &ip4, 4);
}

/* A socket without a peer (unconnected datagrams): the packet's. */
static __always_inline void ward_traffic_from_packet(struct ward_traffic *t, struct __sk_buff *skb,
                                                     bool out)
{
    __u32 off = 0;
    __u8 b = 0;
    __u16 ports[2] = {};
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        __u32 a[2];
        if (bpf_skb_load_bytes(skb, 12, a, 8) || bpf_skb_load_bytes(skb, 0, &b, 1))
            return;
        ward_traffic_v4(t->local, out ? a[0] : a[1]);
        ward_traffic_v4(t->remote, out ? a[1] : a[0]);
        off = (b & 0xf) * 4;
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        __u8 a[32];
        if (bpf_skb_load_bytes(skb, 8, a, 32))
            return;
        __builtin_memcpy(t->local, out ? a : a + 16, 16);
        __builtin_memcpy(t->remote, out ? a + 16 : a, 16);
        off = 40;
    } else {
        return;
    }
    if (t->proto != IPPROTO_UDP || bpf_skb_load_bytes(skb, off, ports, 4))
        return;
    t->lport = bpf_ntohs(out ? ports[0] : ports[1]);
    t->rport = bpf_ntohs(out ? ports[1] : ports[0]);
}

static __always_inline void ward_traffic_tuple(struct ward_traffic *t, struct __sk_buff *skb,
                                               struct bpf_sock *sk, bool out)
{
    t->lport = (__u16)sk->src_port;
    t->rport = bpf_ntohs((__u16)sk->dst_port);
    if (sk->family == AF_INET) {
        ward_traffic_v4(t->local, sk->src_ip4);
        ward_traffic_v4(t->remote, sk->dst_ip4);
    } else {
        __u32 l[4] = {sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3]};
        __u32 r[4] = {sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3]};
        __builtin_memcpy(t->local, l, 16);
        __builtin_memcpy(t->remote, r, 16);
    }
    if (!t->rport)
        ward_traffic_from_packet(t, skb, out);
    t->tuple = 1;
}

/* The skb programs: counts a packet that passes (pass != 0); returns pass. */
static __always_inline int ward_traffic_skb(struct __sk_buff *skb, int pass, bool out)
{
    if (!ward_count || !pass)
        return pass;
    struct bpf_sock *sk = skb->sk;
    if (!sk || !(sk = bpf_sk_fullsock(sk)))
        return pass;
    /* A listener's packets (SYNs) are not a connection of their own; the
     * accepted socket counts from its first packet. */
    if (sk->state == BPF_TCP_LISTEN)
        return pass;
    __u64 cookie = bpf_get_socket_cookie(skb);
    struct ward_traffic *t = bpf_map_lookup_elem(&ward_traffic, &cookie);
    if (!t) {
        struct ward_traffic n = {
            .start_ns = bpf_ktime_get_ns(),
            .proto = (__u8)sk->protocol,
            .dir = WARD_TDIR_IN,
        };
        bpf_map_update_elem(&ward_traffic, &cookie, &n, BPF_NOEXIST);
        if (!(t = bpf_map_lookup_elem(&ward_traffic, &cookie)))
            return pass;
    }
    if (!t->tuple)
        ward_traffic_tuple(t, skb, sk, out);
    if (out) {
        __sync_fetch_and_add(&t->bytes_out, skb->len);
        __sync_fetch_and_add(&t->packets_out, 1);
    } else {
        __sync_fetch_and_add(&t->bytes_in, skb->len);
        __sync_fetch_and_add(&t->packets_in, 1);
    }
    return pass;
}

SEC("cgroup/sock_release")
int ward_sock_release(struct bpf_sock *ctx)
{
    if (!ward_count)
        return 1;
    __u64 cookie = bpf_get_socket_cookie(ctx);
    struct ward_traffic *t = bpf_map_lookup_elem(&ward_traffic, &cookie);
    if (t)
        t->closed_ns = bpf_ktime_get_ns();
    return 1;
}

#endif /* WARD_TRAFFIC_BPF_H */
