/*
 * handover.c — datagrams held for a question: a socket handed to another
 * program whose table asks (ward_handover.bpf.h).
 *
 * The egress program copies such a datagram into the ring buffer ward_held
 * and drops it. Each copy is given to the queue's callback like a queued
 * packet (ward_kqueued, attributed to the program that sent it; its id is
 * tagged WK_HELD_TAG), so wardd asks about it as about any flow. On an
 * allow the copy is sent on from here through a raw socket, as it was (the
 * same addresses and ports); on a deny it is forgotten. Either answer is
 * written to ward_handed for that socket and program, so its next
 * datagrams are decided in the kernel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/internal.h"

struct wk_held_slot {
    uint32_t id; /* 0: free */
    struct ward_held h;
};

static void set_ip(ward_ip *ip, int family, const uint8_t *p)
{
    memset(ip, 0, sizeof(*ip));
    if (family == 4) {
        ip->b[10] = ip->b[11] = 0xff;
        memcpy(ip->b + 12, p, 4);
    } else {
        memcpy(ip->b, p, 16);
    }
}

/* The UDP header's offset in the copy, or 0 when it is not a plain UDP
 * datagram (IPv6 extension headers, IPv4 fragments are not held). */
static size_t udp_at(const struct ward_held *h)
{
    const uint8_t *d = h->data;
    if (h->family == 4 && h->len >= 28 && (d[0] >> 4) == 4 && d[9] == IPPROTO_UDP) {
        size_t ihl = (size_t)(d[0] & 0xf) * 4;
        return ihl >= 20 && h->len >= ihl + 8 ? ihl : 0;
    }
    if (h->family == 6 && h->len >= 48 && (d[0] >> 4) == 6 && d[6] == IPPROTO_UDP)
        return 40;
    return 0;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

/* The UDP checksum, computed again: the copy may carry a partial one (the
 * device was to finish it). */
static void udp_checksum(uint8_t *d, size_t udp, size_t len, int family)
{
    size_t ulen = len - udp;
    uint32_t s = family == 4 ? sum16(d + 12, 8, 0) : sum16(d + 8, 32, 0);
    s += IPPROTO_UDP + (uint32_t)ulen;
    d[udp + 6] = d[udp + 7] = 0;
    s = sum16(d + udp, ulen, s);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    uint16_t c = (uint16_t)~s;
    if (!c)
        c = 0xffff;
    d[udp + 6] = (uint8_t)(c >> 8);
    d[udp + 7] = (uint8_t)c;
}

/* Sends the copy on, as the program sent it. */
static int send_on(ward_kernel *k, struct ward_held *h)
{
    size_t udp = udp_at(h);
    if (!udp)
        return -EINVAL;
    udp_checksum(h->data, udp, h->len, h->family);
    if (h->family == 4) {
        if (k->raw4_fd < 0 &&
            (k->raw4_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW)) < 0)
            return -errno;
        struct sockaddr_in to = {.sin_family = AF_INET};
        memcpy(&to.sin_addr, h->data + 16, 4);
        /* IPPROTO_RAW: the header goes as it is (the kernel fills its
         * checksum and length). */
        return sendto(k->raw4_fd, h->data, h->len, 0, (struct sockaddr *)&to, sizeof(to)) < 0
                   ? -errno
                   : 0;
    }
    if (k->raw6_fd < 0 && (k->raw6_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP)) < 0)
        return -errno;
    struct sockaddr_in6 to = {.sin6_family = AF_INET6};
    memcpy(&to.sin6_addr, h->data + 24, 16);
    /* The source address the program's socket had. */
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct iovec iov = {h->data + udp, h->len - udp};
    struct msghdr m = {.msg_name = &to,
                       .msg_namelen = sizeof(to),
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = u.buf,
                       .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
    struct in6_pktinfo pi = {0};
    memcpy(&pi.ipi6_addr, h->data + 8, 16);
    memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    return sendmsg(k->raw6_fd, &m, 0) < 0 ? -errno : 0;
}

static void remember(ward_kernel *k, const struct ward_held *h, uint8_t verdict)
{
    struct ward_hokey key = {.cookie = h->cookie, .dev = h->dev, .ino = h->ino};
    struct ward_hoval v = {.verdict = verdict};
    bpf_map_update_elem(k->handed_fd, &key, &v, BPF_ANY);
}

int wk_held_verdict(ward_kernel *k, uint32_t id, uint8_t verdict)
{
    struct wk_held_slot *s = k->held ? &k->held[id % WK_HELD_SLOTS] : NULL;
    if (!s || s->id != id)
        return -ENOENT;
    int rc = 0;
    if (verdict == WARD_KV_ALLOW)
        rc = send_on(k, &s->h);
    remember(k, &s->h, verdict == WARD_KV_ALLOW ? WARD_KV_ALLOW : WARD_KV_DENY);
    s->id = 0;
    k->answered++;
    return rc;
}

static int on_held(void *ctx, void *data, size_t size)
{
    ward_kernel *k = ctx;
    if (size < sizeof(struct ward_held))
        return 0;
    uint32_t id = WK_HELD_TAG | (++k->held_seq & (WK_HELD_TAG - 1));
    struct wk_held_slot *s = &k->held[id % WK_HELD_SLOTS];
    if (s->id) {
        /* Too many questions open: the oldest in this slot is refused. */
        remember(k, &s->h, WARD_KV_DENY);
        s->id = 0;
    }
    s->id = id;
    memcpy(&s->h, data, sizeof(s->h));
    const struct ward_held *h = &s->h;
    size_t udp = udp_at(h);
    if (!udp || h->len > sizeof(h->data)) {
        wk_held_verdict(k, id, WARD_KV_DENY);
        return 0;
    }
    ward_kqueued q;
    memset(&q, 0, sizeof(q));
    q.id = id;
    q.proto = IPPROTO_UDP;
    q.dir = WARD_KDIR_OUT;
    q.no_stream = true;
    q.family = h->family;
    set_ip(&q.local, h->family, h->data + (h->family == 4 ? 12 : 8));
    set_ip(&q.remote, h->family, h->data + (h->family == 4 ? 16 : 24));
    q.lport = (uint16_t)(h->data[udp] << 8 | h->data[udp + 1]);
    q.rport = (uint16_t)(h->data[udp + 2] << 8 | h->data[udp + 3]);
    q.attributed = true;
    q.exe.dev = h->dev;
    q.exe.ino = h->ino;
    q.pid = h->pid;
    q.uid = h->uid;
    memcpy(q.comm, h->comm, sizeof(q.comm));
    if (!k->cfg.queue_no_table)
        q.table = (uint8_t)ward_kernel_program_lookup(k, q.exe, q.proto, q.dir, q.rport);
    int src = ward_kernel_name_of(k, &q.remote, q.domain, sizeof(q.domain));
    q.domain_src = src > 0 ? (uint8_t)src : WARD_NAME_NONE;
    k->queued++;
    int v = k->fn ? k->fn(k->fn_ctx, &q) : q.table == WARD_KV_ALLOW ? WARD_KV_ALLOW : WARD_KV_DENY;
    if (v == WARD_KV_ALLOW || v == WARD_KV_DENY)
        wk_held_verdict(k, id, (uint8_t)v);
    return 0;
}

int wk_held_open(ward_kernel *k)
{
    k->raw4_fd = k->raw6_fd = k->qep = -1;
    if (k->held_fd < 0)
        return 0;
    if (!(k->held = calloc(WK_HELD_SLOTS, sizeof(*k->held))))
        return -ENOMEM;
    k->held_rb = ring_buffer__new(k->held_fd, on_held, k, NULL);
    if (!k->held_rb)
        return -errno;
    /* One fd to poll for the queue and the held datagrams. */
    k->qep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (k->qep < 0 || epoll_ctl(k->qep, EPOLL_CTL_ADD, k->nfq_fd, &ev) ||
        epoll_ctl(k->qep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(k->held_rb), &ev))
        return -errno;
    return 0;
}

int wk_held_dispatch(ward_kernel *k)
{
    return k->held_rb ? ring_buffer__consume(k->held_rb) : 0;
}

void wk_held_close(ward_kernel *k)
{
    ring_buffer__free(k->held_rb);
    k->held_rb = NULL;
    free(k->held);
    k->held = NULL;
    if (k->qep >= 0)
        close(k->qep);
    if (k->raw4_fd >= 0)
        close(k->raw4_fd);
    if (k->raw6_fd >= 0)
        close(k->raw6_fd);
    k->qep = k->raw4_fd = k->raw6_fd = -1;
}
