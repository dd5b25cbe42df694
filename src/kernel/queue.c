/*
 * queue.c — undecided flows from NFQUEUE: attribute, ask, give the verdict.
 *
 * A queued packet is attributed by its socket: 5-tuple -> sock_diag (the
 * socket's cookie) -> ward_socks (filled by the hooks when they held the
 * socket) -> executable, pid, uid; an echo of a ping socket by its
 * identifier (pingsock.c). Inbound packets are attributed by the
 * listening port table (ward_binds). Packets wait independently: the
 * callback may answer at once or later by id, and nothing else stalls.
 * A deny re-injects the packet (NF_REPEAT) with the reject mark, so nft
 * answers it with a reset / ICMP error and the caller fails at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/inet_diag.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include "kernel/dns.h"
#include "kernel/internal.h"

static int diag_once(int fd, int family, uint8_t proto, const uint8_t *src, uint16_t sport,
                     const uint8_t *dst, uint16_t dport, uint64_t *cookie)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof(req));
    req.nlh.nlmsg_len = sizeof(req);
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = proto;
    req.r.idiag_states = ~0u;
    req.r.id.idiag_sport = htons(sport);
    req.r.id.idiag_dport = htons(dport);
    size_t alen = family == AF_INET ? 4 : 16;
    memcpy(req.r.id.idiag_src, src, alen);
    memcpy(req.r.id.idiag_dst, dst, alen);
    req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    if (send(fd, &req, sizeof(req), 0) < 0)
        return -errno;
    union {
        char buf[8192];
        struct nlmsghdr align;
    } u;
    ssize_t n = recv(fd, u.buf, sizeof(u.buf), 0);
    if (n < 0)
        return -errno;
    for (struct nlmsghdr *h = &u.align; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
            return -ENOENT;
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            struct inet_diag_msg *m = NLMSG_DATA(h);
            *cookie = m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
            return 0;
        }
    }
    return -ENOENT;
}

static bool is_v4(const ward_ip *ip)
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return !memcmp(ip->b, pre, sizeof(pre));
}

/* local/remote in the 16-byte form (IPv4 mapped). */
static int diag_cookie(int fd, uint8_t proto, const ward_ip *l, uint16_t lport, const ward_ip *r,
                       uint16_t rport, uint64_t *cookie)
{
    bool v4 = is_v4(l) && is_v4(r);
    /* TCP takes (src = local); UDP's exact lookup is the receive lookup
     * (src = remote): try both orders. v4 first, then a v6 socket with
     * mapped addresses. */
    for (int fam = 0; fam < 2; fam++) {
        int family = fam == 0 && v4 ? AF_INET : AF_INET6;
        if (fam == 1 && family == AF_INET)
            continue;
        if (fam == 0 && !v4)
            family = AF_INET6;
        const uint8_t *lb = family == AF_INET ? l->b + 12 : l->b;
        const uint8_t *rb = family == AF_INET ? r->b + 12 : r->b;
        if (!diag_once(fd, family, proto, lb, lport, rb, rport, cookie))
            return 0;
        if (proto != 6 && !diag_once(fd, family, proto, rb, rport, lb, lport, cookie))
            return 0;
        if (!v4)
            break;
    }
    return -ENOENT;
}

static void set_ip(ward_ip *ip, int family, const uint8_t *a)
{
    if (family == 4) {
        memset(ip->b, 0, 10);
        ip->b[10] = ip->b[11] = 0xff;
        memcpy(ip->b + 12, a, 4);
    } else {
        memcpy(ip->b, a, 16);
    }
}

/* Fill the tuple from the packet; false if it is not IP/TCP/UDP/ICMP. */
static bool parse(const unsigned char *p, int len, int hook, ward_kqueued *q)
{
    const uint8_t *src, *dst;
    int off;
    if (len < 20)
        return false;
    if ((p[0] >> 4) == 4) {
        const struct iphdr *ip = (const void *)p;
        q->family = 4;
        q->proto = ip->protocol;
        off = ip->ihl * 4;
        src = p + 12;
        dst = p + 16;
    } else if ((p[0] >> 4) == 6 && len >= 40) {
        q->family = 6;
        q->proto = p[6];
        off = 40;
        src = p + 8;
        dst = p + 24;
    } else {
        return false;
    }
    if (off < 20 || off > len)
        return false;
    q->l4_off = q->data_off = (uint16_t)off;
    if (q->proto == 6 && len >= off + 20 && (p[off + 12] >> 4) * 4 >= 20)
        q->data_off = (uint16_t)(off + (p[off + 12] >> 4) * 4);
    else if (q->proto == 17 || q->proto == 1 || q->proto == 58)
        q->data_off = (uint16_t)(off + 8); /* UDP's header; ICMP's type to sequence */
    if (q->data_off > len)
        q->data_off = (uint16_t)len;
    uint16_t sport = 0, dport = 0;
    if ((q->proto == 6 || q->proto == 17) && len >= off + 4) {
        sport = (uint16_t)(p[off] << 8 | p[off + 1]);
        dport = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
    } else if ((q->proto == 1 || q->proto == 58) && len > off) {
        dport = p[off]; /* the type */
    }
    q->dir = hook == NF_INET_LOCAL_IN || hook == NF_INET_PRE_ROUTING ? WARD_KDIR_IN : WARD_KDIR_OUT;
    if (q->dir == WARD_KDIR_OUT) {
        set_ip(&q->local, q->family, src);
        set_ip(&q->remote, q->family, dst);
        q->lport = sport;
        q->rport = dport;
        /* An echo request's identifier is its ping socket's local "port". */
        if ((dport == 8 && q->proto == 1) || (dport == 128 && q->proto == 58))
            q->lport = len >= off + 6 ? (uint16_t)(p[off + 4] << 8 | p[off + 5]) : 0;
    } else {
        set_ip(&q->local, q->family, dst);
        set_ip(&q->remote, q->family, src);
        q->lport = dport;
        q->rport = sport;
    }
    return true;
}

/* Who made the socket of an outbound packet: TCP and UDP through sock_diag
 * and ward_socks; a ping socket through its echo identifier (pingsock.c).
 * 0 or -ENOENT. */
static int sock_owner(ward_kernel *k, const ward_kqueued *q, struct ward_sockinfo *si)
{
    uint64_t cookie;
    if (q->proto == 1 || q->proto == 58)
        return q->lport ? wk_ping_owner(k, q->family, q->lport, si) : -ENOENT;
    if (k->diag_fd < 0 ||
        diag_cookie(k->diag_fd, q->proto, &q->local, q->lport, &q->remote, q->rport, &cookie))
        return -ENOENT;
    return bpf_map_lookup_elem(k->socks_fd, &cookie, si) ? -ENOENT : 0;
}

/* q attributed to its socket's owner, as the hooks recorded it. 0 or -ENOENT. */
static int owned_by_socket(ward_kernel *k, ward_kqueued *q)
{
    struct ward_sockinfo si;
    if (sock_owner(k, q, &si))
        return -ENOENT;
    q->attributed = true;
    q->exe.dev = si.dev;
    q->exe.ino = si.ino;
    q->pid = si.pid;
    q->uid = si.uid;
    memcpy(q->comm, si.comm, sizeof(q->comm));
    return 0;
}

int ward_kernel_tcp_owner(ward_kernel *k, const ward_ip *local, uint16_t lport,
                          const ward_ip *remote, uint16_t rport, ward_kqueued *q)
{
    memset(q, 0, sizeof(*q));
    q->proto = 6;
    q->dir = WARD_KDIR_OUT;
    q->family = is_v4(local) ? 4 : 6;
    q->local = *local;
    q->remote = *remote;
    q->lport = lport;
    q->rport = rport;
    return k->socks_fd < 0 || owned_by_socket(k, q) < 0 ? -ENOENT : 0;
}

static void attribute(ward_kernel *k, ward_kqueued *q)
{
    if (k->verdicts_fd < 0)
        return;
    if (q->dir == WARD_KDIR_IN) {
        struct ward_bindkey bk = {.port = q->lport, .proto = q->proto};
        struct ward_bindinfo b;
        if (!bpf_map_lookup_elem(k->binds_fd, &bk, &b)) {
            q->attributed = true;
            q->exe.dev = b.dev;
            q->exe.ino = b.ino;
            q->pid = b.pid;
            q->uid = b.uid;
        }
    } else if (q->proto == 6 || q->proto == 17 || q->proto == 1 || q->proto == 58) {
        owned_by_socket(k, q);
    }
    if (q->attributed && !k->cfg.queue_no_table)
        q->table = (uint8_t)ward_kernel_program_lookup(
            k, q->exe, q->proto, q->dir, q->dir == WARD_KDIR_OUT ? q->rport : q->lport);
}

/* Decide a queued flow packet (callback or the table); tag marks the queue. */
static void judge(ward_kernel *k, ward_kqueued *q)
{
    attribute(k, q);
    int src = ward_kernel_name_of(k, &q->remote, q->domain, sizeof(q->domain));
    q->domain_src = src > 0 ? (uint8_t)src : WARD_NAME_NONE;
    int v;
    if (k->fn)
        v = k->fn(k->fn_ctx, q);
    else
        v = q->table == WARD_KV_ALLOW ? WARD_KV_ALLOW : WARD_KV_DENY;
    if (v == WARD_KV_ALLOW || v == WARD_KV_DENY || v == WARD_KV_STREAM)
        ward_kernel_queue_verdict(k, q->id, (uint8_t)v);
}

static struct nfq_q_handle *handle_of(ward_kernel *k, uint32_t tag)
{
    return tag == WK_DNS_TAG ? k->dns_qh : tag == WK_STREAM_TAG ? k->stream_qh : k->qh;
}

bool wk_queue_prepare(ward_kernel *k, struct nfq_data *nfa, uint32_t tag, ward_kqueued *q,
                      unsigned char **pl, int *len)
{
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph)
        return false;
    memset(q, 0, sizeof(*q));
    q->id = ntohl(ph->packet_id) | tag;
    *pl = NULL;
    *len = nfq_get_payload(nfa, pl);
    k->queued++;
    q->mark = nfq_get_nfmark(nfa);
    k->marks[q->id % 4096].id = q->id;
    k->marks[q->id % 4096].mark = q->mark;
    if (!*pl || !parse(*pl, *len, ph->hook, q)) {
        /* Not ours to judge: let it go where the table sends it. */
        nfq_set_verdict(handle_of(k, tag), q->id & ~tag, NF_ACCEPT, 0, NULL);
        k->answered++;
        return false;
    }
    q->ifindex = q->dir == WARD_KDIR_OUT ? nfq_get_outdev(nfa) : nfq_get_indev(nfa);
    return true;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data)
{
    ward_kernel *k = data;
    ward_kqueued q;
    unsigned char *pl;
    int len;
    if (wk_queue_prepare(k, nfa, 0, &q, &pl, &len))
        judge(k, &q);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t name_slot(const ward_ip *ip)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ ip->b[i]) * 16777619u;
    return h % WK_NAMES;
}

static void name_put(ward_kernel *k, const ward_ip *ip, const char *name, uint32_t ttl, uint8_t src)
{
    int64_t now = now_ms();
    size_t s = name_slot(ip), victim = s;
    for (size_t i = 0; i < 8; i++) {
        struct wk_name *n = &k->names[(s + i) % WK_NAMES];
        /* An address several names share keeps each (a shim asks by name). */
        if ((!memcmp(&n->ip, ip, sizeof(*ip)) && !strcmp(n->name, name)) || n->expire_ms < now) {
            victim = (s + i) % WK_NAMES;
            break;
        }
        if (n->expire_ms < k->names[victim].expire_ms)
            victim = (s + i) % WK_NAMES;
    }
    struct wk_name *n = &k->names[victim];
    n->ip = *ip;
    if (ttl < 60)
        ttl = 60; /* the connect that follows may come a little later */
    n->expire_ms = now + (int64_t)ttl * 1000;
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->src = src;
}

int ward_kernel_name_of(ward_kernel *k, const ward_ip *ip, char *buf, size_t len)
{
    if (!k->names)
        return -ENOENT;
    int64_t now = now_ms();
    size_t s = name_slot(ip);
    const struct wk_name *last = NULL; /* the latest answer lives longest */
    for (size_t i = 0; i < 8; i++) {
        const struct wk_name *n = &k->names[(s + i) % WK_NAMES];
        if (n->expire_ms >= now && !memcmp(&n->ip, ip, sizeof(*ip)) &&
            (!last || n->expire_ms > last->expire_ms))
            last = n;
    }
    if (!last)
        return -ENOENT;
    snprintf(buf, len, "%s", last->name);
    return last->src;
}

int ward_kernel_name_gave(ward_kernel *k, const ward_ip *ip, const char *name)
{
    int64_t now = now_ms();
    size_t s = name_slot(ip);
    for (size_t i = 0; k->names && i < 8; i++) {
        const struct wk_name *n = &k->names[(s + i) % WK_NAMES];
        if (n->expire_ms >= now && !memcmp(&n->ip, ip, sizeof(*ip)) && !strcasecmp(n->name, name))
            return n->src;
    }
    return WARD_NAME_NONE;
}

bool ward_kernel_dns_match(const char *pattern, const char *name)
{
    return ward_dns_name_match(pattern, name);
}

void ward_kernel_dns_callback(ward_kernel *k, ward_kdns_fn fn, void *ctx)
{
    k->dns_fn = fn;
    k->dns_ctx = ctx;
}

static void dns_drop(ward_kernel *k, uint32_t id)
{
    nfq_set_verdict(k->dns_qh, id & ~WK_DNS_TAG, NF_DROP, 0, NULL);
    k->answered++;
}

static void dns_accept(ward_kernel *k, uint32_t id)
{
    nfq_set_verdict(k->dns_qh, id & ~WK_DNS_TAG, NF_ACCEPT, 0, NULL);
    k->answered++;
}

/* The DNS message in a UDP datagram or a TCP segment (whole, with its
 * length prefix): parsed into m, or false. */
static bool dns_payload(const ward_kqueued *q, const unsigned char *pl, int len, ward_dns_msg *m)
{
    int off = q->data_off;
    if (q->proto == 17)
        return len > off && !ward_dns_parse(pl + off, (size_t)(len - off), m);
    if (q->proto != 6 || off == q->l4_off)
        return false; /* not TCP as it should be */
    return len > off && !ward_dns_parse_tcp(pl + off, (size_t)(len - off), m);
}

/* Port 53 both ways, UDP and TCP: record queries, check and learn from
 * answers. */
static int on_dns(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
    ward_kernel *k = data;
    ward_kqueued q;
    unsigned char *pl;
    int len;
    if (!wk_queue_prepare(k, nfa, WK_DNS_TAG, &q, &pl, &len))
        return 0;
    ward_dns_msg *m = &k->dns_msg;
    bool ok = dns_payload(&q, pl, len, m);
    ward_dns_query dq;
    memset(&dq, 0, sizeof(dq));
    if (ok) {
        dq.id = m->id;
        dq.qtype = m->qtype;
        memcpy(dq.qname, m->qname, sizeof(dq.qname));
        memcpy(dq.client, q.local.b, 16);
        memcpy(dq.server, q.remote.b, 16);
        dq.cport = q.lport;
        dq.sport = q.rport;
    }
    if (q.dir == WARD_KDIR_OUT) {
        if (ok && !m->response) {
            /* The asking program, so a blocked answer can be logged with it. */
            attribute(k, &q);
            dq.attributed = q.attributed;
            dq.exe_dev = q.exe.dev;
            dq.exe_ino = q.exe.ino;
            dq.pid = q.pid;
            dq.uid = q.uid;
            ward_dns_pending_add(k->dns_pending, &dq, now_ms());
        }
        /* A held (undecided) socket's query is judged like any flow;
         * not again when the stream queue let it go (seen). */
        if ((q.mark & k->cfg.mark) && !(q.mark & k->cfg.stream_seen_mark))
            judge(k, &q);
        else
            dns_accept(k, q.id);
        return 0;
    }
    /* A TCP segment carrying no whole answer (handshake, acks, a message
     * split over segments) belongs to a connection already allowed: it
     * passes, teaching no name. */
    if (q.proto == 6 && (!ok || !m->response)) {
        dns_accept(k, q.id);
        return 0;
    }
    /* An answer. */
    ward_ip addrs[WARD_DNS_MAX_RR];
    uint32_t ttls[WARD_DNS_MAX_RR];
    ward_kdns_answer a = {.qname = ok ? m->qname : "",
                          .qtype = ok ? m->qtype : 0,
                          .client = q.local,
                          .server = q.remote,
                          .cport = q.lport,
                          .ifindex = q.ifindex,
                          .addrs = addrs,
                          .ttls = ttls,
                          .src = q.proto == 6      ? WARD_NAME_DNS_TCP
                                 : q.rport == 5353 ? WARD_NAME_MDNS
                                 : q.rport == 5355 ? WARD_NAME_LLMNR
                                                   : WARD_NAME_DNS};
    ward_dns_query asked = {0};
    a.trusted =
        ok && m->response && ward_dns_pending_take_query(k->dns_pending, &dq, now_ms(), &asked);
    if (a.trusted && asked.attributed) {
        a.attributed = true;
        a.exe = (ward_exe_id){asked.exe_dev, asked.exe_ino};
        a.pid = asked.pid;
        a.uid = asked.uid;
    }
    if (a.trusted) {
        for (size_t i = 0; i < m->nrr; i++) {
            if (m->rr[i].type == WARD_DNS_CNAME || !ward_dns_answers_question(m, i))
                continue;
            memcpy(addrs[a.naddr].b, m->rr[i].addr, 16);
            ttls[a.naddr++] = m->rr[i].ttl;
        }
    }
    int v = k->dns_fn ? k->dns_fn(k->dns_ctx, &a) : WARD_KV_ALLOW;
    if (!a.trusted) {
        /* mDNS and LLMNR also carry announcements and other hosts'
         * queries: they pass, teaching nothing. */
        k->dns_untrusted++;
        if (a.src == WARD_NAME_MDNS || a.src == WARD_NAME_LLMNR)
            dns_accept(k, q.id);
        else
            dns_drop(k, q.id);
        return 0;
    }
    if ((v == WARD_KDNS_NXDOMAIN || v == WARD_KDNS_ZERO) && q.proto == 17) {
        /* Answered in the resolver's place; a reply that cannot be made
         * (no readable question) is dropped, as any block. */
        size_t n = wk_dns_reply_packet(pl, (size_t)len, q.family, q.l4_off, v == WARD_KDNS_ZERO,
                                       k->dns_reply, sizeof(k->dns_reply));
        k->dns_blocked++;
        if (!n) {
            dns_drop(k, q.id);
            return 0;
        }
        nfq_set_verdict(k->dns_qh, q.id & ~WK_DNS_TAG, NF_ACCEPT, (uint32_t)n, k->dns_reply);
        k->answered++;
        return 0;
    }
    if (v == WARD_KV_DENY || v == WARD_KDNS_NXDOMAIN || v == WARD_KDNS_ZERO) {
        /* Denied, or a reply made only for UDP: the answer is dropped. */
        k->dns_blocked++;
        dns_drop(k, q.id);
        return 0;
    }
    for (size_t i = 0; i < a.naddr; i++)
        name_put(k, &addrs[i], m->qname, ttls[i], a.src);
    k->dns_answers++;
    dns_accept(k, q.id);
    return 0;
}

int ward_kernel_queue_verdict(ward_kernel *k, uint32_t id, uint8_t verdict)
{
    int rc;
    if ((id & (WK_DNS_TAG | WK_HELD_TAG)) == WK_HELD_TAG)
        return wk_held_verdict(k, id, verdict);
    if (!k->qh)
        return -EBADF;
    uint32_t mark = k->marks[id % 4096].id == id ? k->marks[id % 4096].mark : k->cfg.mark;
    struct nfq_q_handle *qh = id & WK_DNS_TAG ? k->dns_qh : k->qh;
    uint32_t pid = id & ~WK_DNS_TAG;
    if (!qh)
        return -EBADF;
    if (verdict == WARD_KV_ALLOW)
        rc = nfq_set_verdict2(qh, pid, NF_ACCEPT, mark | k->cfg.accept_mark, 0, NULL);
    else if (verdict == WARD_KV_STREAM && k->stream_qh)
        /* Back through the table once: the stream mark marks the flow. */
        rc = nfq_set_verdict2(qh, pid, NF_REPEAT, mark | k->cfg.accept_mark | k->cfg.stream_mark, 0,
                              NULL);
    else
        rc = nfq_set_verdict2(qh, pid, NF_REPEAT, mark | k->cfg.reject_mark | k->cfg.mark, 0, NULL);
    if (rc < 0)
        return -errno;
    k->answered++;
    return 0;
}

int wk_queue_open(ward_kernel *k)
{
    k->nfq = nfq_open();
    if (!k->nfq)
        return -errno;
    k->qh = nfq_create_queue(k->nfq, k->cfg.queue_num, on_packet, k);
    if (!k->qh) {
        int err = errno ? -errno : -EBUSY;
        wk_queue_close(k);
        return err;
    }
    nfq_set_mode(k->qh, NFQNL_COPY_PACKET, 128);
    nfq_set_queue_maxlen(k->qh, k->cfg.queue_maxlen);
    uint32_t mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
    uint32_t flags = NFQA_CFG_F_GSO | (k->cfg.fail == WARD_KFAIL_OPEN ? NFQA_CFG_F_FAIL_OPEN : 0);
    nfq_set_queue_flags(k->qh, mask, flags);
    if (!k->cfg.no_dns) {
        k->dns_pending = malloc(sizeof(*k->dns_pending));
        k->names = calloc(WK_NAMES, sizeof(*k->names));
        if (!k->dns_pending || !k->names) {
            wk_queue_close(k);
            return -ENOMEM;
        }
        ward_dns_pending_init(k->dns_pending, 10000);
        k->dns_qh = nfq_create_queue(k->nfq, k->cfg.dns_queue_num, on_dns, k);
        if (!k->dns_qh) {
            int err = errno ? -errno : -EBUSY;
            wk_queue_close(k);
            return err;
        }
        nfq_set_mode(k->dns_qh, NFQNL_COPY_PACKET, 1500);
        nfq_set_queue_maxlen(k->dns_qh, k->cfg.queue_maxlen);
        nfq_set_queue_flags(k->dns_qh, mask, flags);
    }
    int err = wk_stream_open(k);
    if (err) {
        wk_queue_close(k);
        return err;
    }
    k->nfq_fd = nfq_fd(k->nfq);
    int one = 1, sz = 4 << 20;
    setsockopt(k->nfq_fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
    setsockopt(k->nfq_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
    fcntl(k->nfq_fd, F_SETFL, fcntl(k->nfq_fd, F_GETFL) | O_NONBLOCK);

    k->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (k->diag_fd >= 0) {
        struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
        setsockopt(k->diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    return 0;
}

void wk_queue_close(ward_kernel *k)
{
    wk_stream_close(k);
    if (k->qh)
        nfq_destroy_queue(k->qh);
    if (k->dns_qh)
        nfq_destroy_queue(k->dns_qh);
    free(k->dns_pending);
    free(k->names);
    k->dns_pending = NULL;
    k->names = NULL;
    k->dns_qh = NULL;
    if (k->nfq)
        nfq_close(k->nfq);
    if (k->diag_fd >= 0)
        close(k->diag_fd);
    k->qh = NULL;
    k->nfq = NULL;
    k->diag_fd = k->nfq_fd = -1;
}

int ward_kernel_queue_fd(ward_kernel *k)
{
    return k->qep >= 0 ? k->qep : k->nfq_fd;
}

int ward_kernel_queue_dispatch(ward_kernel *k, ward_kqueue_fn fn, void *ctx)
{
    static char buf[65536] __attribute__((aligned(8)));
    int count = 0;
    k->fn = fn;
    k->fn_ctx = ctx;
    for (;;) {
        ssize_t n = recv(k->nfq_fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == ENOBUFS)
            continue;
        if (n <= 0)
            break;
        nfq_handle_packet(k->nfq, buf, (int)n);
        count++;
    }
    return count + wk_held_dispatch(k);
}
