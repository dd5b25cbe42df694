/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ward_limits.bpf.h — rate limits and quotas per program, included by
 * ward.bpf.c (docs/LIMITS.md).
 *
 * A socket's packets are charged to the program the hooks judged for it
 * (ward_sk), or else the one its traffic entry names (accepted sockets).
 * The rate is policed per direction with a virtual clock (GCRA): each
 * packet moves its direction's clock on by len / rate, and a packet that
 * finds the clock more than the burst ahead of now is dropped. Outgoing TCP
 * is told of congestion (tcp_enter_cwr) once its clock runs half the burst
 * ahead, so it slows down before it loses segments, and a segment dropped
 * is dropped with that notification too (HBM's scheme). The
 * clock is updated without a lock: two CPUs racing may both pass a packet,
 * which costs a little accuracy, never a stall. A quota counts every byte
 * that passes; once `used` reaches `allow` a blocking quota drops the
 * program's packets and its connects fail with EPERM. Loopback traffic is
 * neither limited nor counted. A TCP connection the program makes also
 * paces itself at the rate (ward_limit_pace): the policer is then only the
 * program's total, over all its sockets.
 */
#ifndef WARD_LIMITS_BPF_H
#define WARD_LIMITS_BPF_H

#include "ward_limits.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, WARD_MAX_LIMITS);
    __type(key, struct ward_lkey);
    __type(value, struct ward_limit);
} ward_limits SEC(".maps");

/* [0]: how many entries ward_limits holds (user space keeps it): with none,
 * a packet costs one array load here, not two hash lookups. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} ward_limits_n SEC(".maps");

static __always_inline bool ward_limits_none(void)
{
    __u32 zero = 0, *n = bpf_map_lookup_elem(&ward_limits_n, &zero);
    return !n || !*n;
}

#define LIMIT_DROP    0
#define LIMIT_PASS    1
#define LIMIT_DROP_CN 2 /* egress: dropped, and the sender told of congestion */
#define LIMIT_PASS_CN 3 /* egress: passed, and the sender told of congestion */

static __always_inline bool ward_limit_exhausted(const struct ward_limit *l)
{
    return (l->flags & WARD_LIMIT_BLOCK) && l->used >= l->allow;
}

/* connect/sendmsg of a program over its blocking quota: refused. */
static __always_inline bool ward_limit_refuses(__u64 dev, __u64 ino)
{
    if (ward_limits_none())
        return false;
    struct ward_lkey k = {.dev = dev, .ino = ino};
    struct ward_limit *l = bpf_map_lookup_elem(&ward_limits, &k);
    if (!l || !ward_limit_exhausted(l))
        return false;
    __sync_fetch_and_add(&l->refused, 1);
    return true;
}

static __always_inline struct ward_limit *ward_limit_of(struct __sk_buff *skb, struct bpf_sock *sk)
{
    struct ward_lkey k = {};
    struct ward_skstate *st = bpf_sk_storage_get(&ward_sk, sk, 0, 0);
    if (st && (st->dev || st->ino)) {
        k.dev = st->dev;
        k.ino = st->ino;
    } else {
        __u64 cookie = bpf_get_socket_cookie(skb);
        struct ward_traffic *t = bpf_map_lookup_elem(&ward_traffic, &cookie);
        if (!t || (!t->dev && !t->ino))
            return NULL;
        k.dev = t->dev;
        k.ino = t->ino;
    }
    return bpf_map_lookup_elem(&ward_limits, &k);
}

#define SO_MAX_PACING_RATE 47

/* A TCP connect of a program with a rate: the socket paces itself at the
 * rate (TCP's own pacing, with small segments at low rates), so one
 * connection keeps under the policer instead of bursting into it. */
static __always_inline void ward_limit_pace(struct bpf_sock_addr *ctx, __u64 dev, __u64 ino)
{
    if (ward_limits_none())
        return;
    struct ward_lkey k = {.dev = dev, .ino = ino};
    struct ward_limit *l = bpf_map_lookup_elem(&ward_limits, &k);
    if (!l || !(l->flags & WARD_LIMIT_RATE) || !l->rate)
        return;
    int rate = l->rate > 0x7fffffff ? 0x7fffffff : (int)l->rate;
    bpf_setsockopt(ctx, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof(rate));
}

/* A packet the policy passed: LIMIT_PASS, or dropped by its program's
 * rate or quota. */
static __always_inline int ward_limit_skb(struct __sk_buff *skb, bool out)
{
    struct bpf_sock *sk = skb->sk;
    if (ward_limits_none() || skb->ifindex == 1 || !sk || !(sk = bpf_sk_fullsock(sk)))
        return LIMIT_PASS; /* the host itself: not network traffic */
    struct ward_limit *l = ward_limit_of(skb, sk);
    if (!l)
        return LIMIT_PASS;
    int drop = out && sk->protocol == IPPROTO_TCP ? LIMIT_DROP_CN : LIMIT_DROP;
    if (ward_limit_exhausted(l)) {
        __sync_fetch_and_add(&l->refused, 1);
        return drop;
    }
    if ((l->flags & WARD_LIMIT_RATE) && l->rate) {
        __u64 now = bpf_ktime_get_ns();
        __u64 *tat = &l->tat[out ? 0 : 1];
        __u64 t = *tat;
        if (t < now)
            t = now;
        if (t - now > l->burst_ns) {
            __sync_fetch_and_add(&l->dropped, 1);
            return drop;
        }
        *tat = t + (__u64)skb->len * 1000000000ull / l->rate;
        /* Half the burst used: a TCP sender slows down before it loses. */
        if (drop == LIMIT_DROP_CN && t - now > l->burst_ns / 2) {
            if (l->flags & WARD_LIMIT_QUOTA)
                __sync_fetch_and_add(&l->used, skb->len);
            return LIMIT_PASS_CN;
        }
    }
    if (l->flags & WARD_LIMIT_QUOTA)
        __sync_fetch_and_add(&l->used, skb->len);
    return LIMIT_PASS;
}

#endif /* WARD_LIMITS_BPF_H */
