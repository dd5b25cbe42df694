/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ward_handover.bpf.h — a datagram socket handed to another program, whose
 * table asks about it.
 *
 * The egress program sees such a datagram after nft has passed it, so it
 * cannot be queued. Instead it is held in user space: the egress program
 * copies it into the ring buffer ward_held and drops it here; the backend
 * reads the copy, hands it to wardd like a queued packet (attributed to the
 * sending program) and, on an allow, sends the copy on itself (queue.c).
 * The answer is remembered per socket and sending program in ward_handed,
 * so the program's next datagrams through that socket pass or drop without
 * a question. Included by ward.bpf.c after its maps and helpers.
 */
#ifndef WARD_HANDOVER_BPF_H
#define WARD_HANDOVER_BPF_H

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARD_MAX_HANDED);
    __type(key, struct ward_hokey);
    __type(value, struct ward_hoval);
} ward_handed SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, WARD_HELD_BYTES);
} ward_held SEC(".maps");

/* The egress program's return values. */
#define EGRESS_DROP 0
#define EGRESS_PASS 1
#define EGRESS_HELD 2 /* dropped, but send() succeeds: the copy is sent later */

/* A datagram of a program whose table asks, through a socket another
 * program was judged for: EGRESS_PASS or EGRESS_DROP by the answer given,
 * else EGRESS_HELD (a copy goes to user space once per wait; datagrams sent
 * while the question waits are dropped). */
static __always_inline int handover_ask(struct __sk_buff *skb, __u64 dev, __u64 ino)
{
    struct ward_hokey key = {.cookie = bpf_get_socket_cookie(skb), .dev = dev, .ino = ino};
    struct ward_hoval *hv = bpf_map_lookup_elem(&ward_handed, &key);
    __u64 now = bpf_ktime_get_ns();
    if (hv && hv->verdict == WARD_KV_ALLOW)
        return EGRESS_PASS;
    if (hv && hv->verdict == WARD_KV_DENY)
        return EGRESS_DROP;
    if (hv && now - hv->ts_ns < WARD_HELD_WAIT_NS)
        return EGRESS_DROP; /* asked already: the question is open */
    __u32 len = skb->len;
    if (len < 1 || len > WARD_HELD_MAX)
        return EGRESS_DROP;
    struct ward_held *h = bpf_ringbuf_reserve(&ward_held, sizeof(*h), 0);
    if (!h)
        return EGRESS_DROP;
    if (bpf_skb_load_bytes(skb, 0, h->data, len)) {
        bpf_ringbuf_discard(h, 0);
        return EGRESS_DROP;
    }
    __u64 pt = bpf_get_current_pid_tgid();
    h->cookie = key.cookie;
    h->dev = dev;
    h->ino = ino;
    h->pid = pt >> 32;
    h->uid = (__u32)bpf_get_current_uid_gid();
    h->len = len;
    h->family = skb->protocol == bpf_htons(ETH_P_IPV6) ? 6 : 4;
    bpf_get_current_comm(h->comm, sizeof(h->comm));
    struct ward_hoval asked = {.verdict = WARD_KV_ASK, .ts_ns = now};
    bpf_map_update_elem(&ward_handed, &key, &asked, BPF_ANY);
    bpf_ringbuf_submit(h, 0);
    return EGRESS_HELD;
}

#endif /* WARD_HANDOVER_BPF_H */
