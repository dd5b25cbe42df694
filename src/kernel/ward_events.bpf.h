/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ward_events.bpf.h — every decision the hooks make, reported to user space.
 *
 * A connection a program's verdict table allows or denies never reaches
 * wardd's queue; these helpers put one small record (struct ward_kevent,
 * ward_bpf.h) per such decision in the ring buffer ward_events, which wardd
 * reads, attributes, aggregates and logs. Included by ward.bpf.c after its
 * maps and helpers (current_exe, ward_verdicts, the settings); each hook
 * calls one helper in one line and is otherwise unchanged.
 *
 * The helpers are stateless: they ask the verdict table again, with the
 * hooks' own lookup order (ward_lookup.h), for the entry that decided and its
 * rule id, so the hooks' verdict logic stays theirs alone. A full ring is
 * never silent: the record is counted as lost (ward_kev_stats).
 */
#ifndef WARD_EVENTS_BPF_H
#define WARD_EVENTS_BPF_H

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, WARD_KEVENTS_BYTES);
} ward_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ward_kev_stats);
} ward_kev_stats SEC(".maps");

/* The last datagram destination reported per socket: an unconnected
 * socket's sendmsg hook runs for every datagram, the log wants the first
 * one to each destination. */
struct ward_sent {
    __u8 remote[16] __attribute__((aligned(4)));
    __u16 port;
    __u8 verdict;
    __u8 _pad[5];
};
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct ward_sent);
} ward_sent SEC(".maps");

/* The table entry that decides, remembered by the lookup's getter: the
 * lookup stops at the first entry found, so the last one seen decides. */
struct kev_find {
    __u32 rule;
};

static __always_inline __u8 kev_get(struct kev_find *f, const struct ward_vkey *k)
{
    struct ward_vval *v = bpf_map_lookup_elem(&ward_verdicts, k);
    if (!v)
        return WARD_KV_NONE;
    f->rule = v->rule;
    return v->verdict;
}

WARD_LOOKUP_DEFINE(kev_lookup, struct kev_find *, kev_get)

/* A connect or send to the host refused by an administrator's block of
 * it (ward.bpf.c, self_blocked): that entry's filter decided. */
static __always_inline void kev_self_rule(struct bpf_sock_addr *ctx, int family, __u64 dev,
                                          __u64 ino, __u8 proto, __u16 port, struct kev_find *f)
{
    struct ward_kcfg *c = cfg();
    if (!c || !c->self_blocks)
        return;
    __u8 self = dest_self(ctx, family == 6, true);
    for (int i = 0; i < 4; i++) {
        __u8 dir = i < 2 ? WARD_KDIR_SELF_LOOP : WARD_KDIR_SELF_HOST;
        if (!(self & (i < 2 ? DEST_LOOP : DEST_HOST)))
            continue;
        struct kev_find g = {0};
        if (kev_lookup(&g, i & 1 ? 0 : dev, i & 1 ? 0 : ino, proto, dir, port, WARD_KV_NONE) ==
            WARD_KV_DENY) {
            f->rule = g.rule;
            return;
        }
    }
}

/* Reserve a record and fill what every kind has; NULL when the ring is full
 * (counted). */
static __always_inline struct ward_kevent *kev_begin(__u8 kind, __u8 verdict, __u64 dev, __u64 ino,
                                                     __u32 rule, __u8 proto)
{
    __u32 zero = 0;
    struct ward_kev_stats *st = bpf_map_lookup_elem(&ward_kev_stats, &zero);
    struct ward_kevent *e = bpf_ringbuf_reserve(&ward_events, sizeof(*e), 0);
    if (!e) {
        if (st)
            st->lost++;
        return NULL;
    }
    if (st)
        st->emitted++;
    __builtin_memset(e, 0, sizeof(*e));
    __u64 pt = bpf_get_current_pid_tgid();
    e->ts_ns = bpf_ktime_get_ns();
    e->dev = dev;
    e->ino = ino;
    e->pid = pt >> 32;
    e->uid = (__u32)bpf_get_current_uid_gid();
    e->rule = rule;
    e->kind = kind;
    e->verdict = verdict;
    e->proto = proto;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    return e;
}

/* No wake-up per record: waking the reader is an interrupt of its own (a
 * self-IPI, dear under virtualization: it made the hook ~4x slower). The
 * reader drains on its own clock (wardd: at least every 50 ms) and is woken
 * only when a quarter of the ring is used, so it never fills while the
 * reader runs. */
static __always_inline void kev_submit(struct ward_kevent *e)
{
    __u64 used = bpf_ringbuf_query(&ward_events, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(e, used >= WARD_KEVENTS_BYTES / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void kev_v4(__u8 out[16], __u32 be_addr)
{
    out[10] = out[11] = 0xff;
    __builtin_memcpy(out + 12, &be_addr, 4);
}

static __always_inline bool same16(const __u8 a[16], const __u8 b[16])
{
    const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
    return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/*
 * connect4/6, sendmsg4/6: call with the hook's return value (0: refused) and
 * the constant family (the verifier lets a program read only its own
 * family's address fields); returns rc, so a hook reads
 *     return ward_emit_addr(ctx, on_addr(ctx, true), WARD_KEV_CONNECT, 4);
 * Reports allow and deny; an "ask" goes to the queue and wardd reports it.
 */
static __always_inline int ward_emit_addr(struct bpf_sock_addr *ctx, int rc, __u8 kind, int family)
{
    __u8 proto = ctx->protocol;
    __u16 port = bpf_ntohs((__u16)ctx->user_port);
    struct kev_find f = {0};
    __u64 dev = 0, ino = 0;
    __u8 v;
    if (current_exe(&dev, &ino))
        v = kev_lookup(&f, dev, ino, proto, WARD_KDIR_OUT, port, ward_default);
    else
        v = ward_unattributed;
    if (!rc) {
        v = WARD_KV_DENY;
        kev_self_rule(ctx, family, dev, ino, proto, port, &f);
    } else if (v != WARD_KV_ALLOW)
        return rc; /* held: the queue decides */

    __u8 remote[16] __attribute__((aligned(4))) = {0};
    if (family == 4) {
        kev_v4(remote, ctx->user_ip4);
    } else {
        __u32 a[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
        __builtin_memcpy(remote, a, 16);
    }
    if (kind == WARD_KEV_SENDMSG) {
        /* A held socket's datagram goes on to the queue, whose decision is
         * the one that counts (wardd reports it). */
        int mark = 0;
        if (v == WARD_KV_ALLOW && !bpf_getsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) &&
            (mark & ward_mark))
            return rc;
        /* Once per socket and destination (and verdict). */
        struct bpf_sock *sk = ctx->sk;
        struct ward_sent *s =
            sk ? bpf_sk_storage_get(&ward_sent, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) : NULL;
        if (s) {
            if (s->port == port && s->verdict == v && same16(s->remote, remote))
                return rc;
            __builtin_memcpy(s->remote, remote, 16);
            s->port = port;
            s->verdict = v;
        }
    }
    struct ward_kevent *e = kev_begin(kind, v, dev, ino, f.rule, proto);
    if (!e)
        return rc;
    e->family = family;
    e->rport = port;
    __builtin_memcpy(e->remote, remote, 16);
    kev_submit(e);
    return rc;
}

/* sock_create of a raw socket: the verdict the hook gave (ALLOW / DENY) and
 * the id of the entry that decided. */
static __always_inline void ward_emit_raw(struct bpf_sock *ctx, __u8 verdict, __u64 dev, __u64 ino,
                                          __u32 rule)
{
    struct ward_kevent *e = kev_begin(WARD_KEV_RAW, verdict, dev, ino, rule, ctx->protocol);
    if (!e)
        return;
    e->family = ctx->family == AF_INET6 ? 6 : 4;
    kev_submit(e);
}

/* post_bind4/6: the hook's return value (0: refused); returns it. */
static __always_inline int ward_emit_bind(struct bpf_sock *ctx, int rc, int family)
{
    __u64 dev = 0, ino = 0;
    current_exe(&dev, &ino);
    struct ward_kevent *e = kev_begin(WARD_KEV_BIND, rc ? WARD_KV_ALLOW : WARD_KV_DENY, dev, ino, 0,
                                      (__u8)ctx->protocol);
    if (!e)
        return rc;
    e->family = family;
    e->lport = (__u16)ctx->src_port;
    if (family == 4) {
        kev_v4(e->local, ctx->src_ip4);
    } else {
        __u32 a[4] = {ctx->src_ip6[0], ctx->src_ip6[1], ctx->src_ip6[2], ctx->src_ip6[3]};
        __builtin_memcpy(e->local, a, 16);
    }
    kev_submit(e);
    return rc;
}

#endif /* WARD_EVENTS_BPF_H */
