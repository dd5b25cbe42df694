/*
 * kernel/internal.h — shared between the kernel backend's files only.
 */
#ifndef WARD_KERNEL_INTERNAL_H
#define WARD_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/backend.h"
#include "kernel/dns.h"

struct ward_bpf; /* the generated skeleton */
struct bpf_program;
struct nft_ctx;
struct nfq_handle;
struct nfq_q_handle;
struct mnl_socket;
struct ring_buffer;
struct wk_drain;

/* One pinned object wardd holds: a link (prog set) or a map. The fd keeps
 * it alive whatever happens to the pin; dev/ino tell whether the pin at
 * path is still this one. */
struct wk_pin {
    char path[600];
    int fd;
    struct bpf_program *prog; /* links: the program to attach again */
    uint32_t prog_id;         /* links: its id (what the link must run) */
    unsigned long long dev, ino;
};
#define WK_MAX_PINS 24

struct ward_kernel {
    ward_kernel_config cfg;
    char pin_dir[512];       /* where the pins are (on a BPF file system) */
    char bpffs_mounted[512]; /* the BPF file system this handle mounted, or "" */
    char cgroup[512];
    char err[1024]; /* why open() failed, when a part knows better than errno */
    /* BPF (ward_bpf.c) */
    struct ward_bpf *skel;
    int verdicts_fd, socks_fd, binds_fd, stats_fd, self_fd, cfg_fd;
    int pings_fd;                 /* held ping sockets by inode (pingsock.c) */
    bool self_rules, self_blocks; /* what ward_cfg says */
    /* datagrams held for a question (handover.c) */
    int held_fd, handed_fd, raw4_fd, raw6_fd;
    int shimmed_fd; /* ward_shimmed: connections decided on the shim's question */
    int qep;        /* epoll over the queue and the held ring: ward_kernel_queue_fd */
    struct ring_buffer *held_rb;
    struct wk_held_slot *held; /* WK_HELD_SLOTS, by id */
    uint32_t held_seq;
    /* the hooks' decisions (events.c) */
    int events_fd, kev_stats_fd;
    struct ring_buffer *events;
    struct wk_drain *drain; /* the drain running now */
    int cg_fd;
    unsigned long long cg_id;
    struct wk_pin links[WK_MAX_PINS], maps[WK_MAX_PINS];
    size_t nlinks, nmaps;
    /* packet sockets (ward_packet.bpf.h): a tracepoint, not a cgroup hook,
     * so not pinned: it reports while this handle lives. */
    struct bpf_link *packet_link;
    uint64_t hook_repairs;
    /* nft (nft.c); set elements are remembered to be replayed after a repair */
    struct wk_elem {
        uint8_t kind; /* 0 inbound port, 1 icmp */
        uint8_t proto, dir, verdict;
        uint16_t port;
    } elems[1024];
    size_t nelems;
    struct nft_ctx *nft;
    char *static_out, *static_in; /* the handle's copies of cfg.static_* */
    bool native_queue, probed;
    unsigned mon_touched; /* WARD_KNFT_* seen in the transaction being read */
    struct mnl_socket *mon;
    uint64_t repairs;
    /* queue (queue.c) */
    struct nfq_handle *nfq;
    struct nfq_q_handle *qh, *dns_qh, *stream_qh;
    ward_kstream_fn stream_fn;
    void *stream_ctx;
    struct wk_seghdr {
        uint32_t id;
        uint16_t len;  /* IP + TCP header bytes in b */
        uint8_t proto; /* the packet's IP protocol */
        uint8_t b[124];
    } * seghdr; /* stream packet id -> its headers, for a reset made from it */
    ward_dns_pending *dns_pending;
    ward_dns_msg dns_msg;
    uint8_t dns_reply[1600]; /* a blocklist's reply, built in place of an answer */
    struct wk_name {
        ward_ip ip;
        int64_t expire_ms;
        char name[256];
        uint8_t src; /* enum ward_name_src */
    } * names;       /* WK_NAMES slots, open addressing */
    ward_kdns_fn dns_fn;
    void *dns_ctx;
    uint64_t dns_answers, dns_untrusted, dns_blocked;
    int nfq_fd;
    int diag_fd;
    ward_kqueue_fn fn;
    void *fn_ctx;
    uint64_t queued, answered;
    struct {
        uint32_t id, mark;
    } marks[4096]; /* packet id -> its mark, for verdicts given later */
};

#define WK_NAMES      4096
#define WK_DNS_TAG    0x80000000u /* ids of packets from the DNS queue */
#define WK_HELD_TAG   0x40000000u /* ids of datagrams held by the egress program */
#define WK_STREAM_TAG 0x20000000u /* ids of packets from the stream queue */
#define WK_SEGHDRS    4096        /* stream packets whose headers are kept */
#define WK_HELD_SLOTS 256         /* held datagrams waiting for an answer */

/* ward_bpf.c */
int wk_bpf_open(ward_kernel *k);
void wk_bpf_close(ward_kernel *k);
int wk_bpf_teardown(const char *pin_dir);
int wk_bpf_check(ward_kernel *k, bool repair, ward_khooks *out);

/* events.c: the ring buffer of the hooks' decisions */
int wk_events_open(ward_kernel *k);
void wk_events_close(ward_kernel *k);
void wk_events_stats(ward_kernel *k, ward_kstats *out);

/* bpffs.c: the pin directory to use for want (on a BPF file system),
 * mounting one when may_mount and none holds it; mounted gets the mount
 * point it mounted ("" if none). Errors: one line in err. */
/* Is path, or its nearest existing ancestor, on a BPF file system? */
bool wk_on_bpffs(const char *path);
int wk_mkdir_p(const char *path); /* mkdir -p, mode 0700 */
int wk_bpffs_resolve(const char *want, bool may_mount, char *out, size_t outlen, char *mounted,
                     size_t mlen, char *err, size_t errlen);

/* nft.c */
int wk_nft_open(ward_kernel *k);
void wk_nft_close(ward_kernel *k);
int wk_nft_install(ward_kernel *k);
int wk_nft_teardown(void);
int wk_nft_run(ward_kernel *k, const char *cmd);

/* queue.c */
int wk_queue_open(ward_kernel *k);
void wk_queue_close(ward_kernel *k);
struct nfq_data;
struct ward_kqueued;
/* A queued packet's id (with tag), mark and tuple into q, its payload into
 * pl/len; false (and accepted) when it is not IP. */
bool wk_queue_prepare(ward_kernel *k, struct nfq_data *nfa, uint32_t tag, struct ward_kqueued *q,
                      unsigned char **pl, int *len);
/* streamq.c: the stream queue */
int wk_stream_open(ward_kernel *k);
void wk_stream_close(ward_kernel *k);

/* pingsock.c: who made the held ping socket whose echo identifier is ident
 * (family 4 or 6, in this network namespace); 0 or -ENOENT. */
struct ward_sockinfo;
int wk_ping_owner(ward_kernel *k, int family, uint16_t ident, struct ward_sockinfo *out);
/* The Internet checksum (RFC 1071): 16-bit words of p added to s, and the
 * sum folded and complemented. */
static inline uint32_t wk_sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}
static inline uint16_t wk_csum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}
/* dnsreply.c: the answer packet pkt (IP + UDP + DNS; ip: the IP header's
 * length, ward_kqueued.l4_off) rewritten into a blocklist's reply
 * (NXDOMAIN, or with zero the unspecified address) in out; its length, or
 * 0 when it cannot be. */
size_t wk_dns_reply_packet(const uint8_t *pkt, size_t len, int family, size_t ip, bool zero,
                           uint8_t *out, size_t cap);
/* handover.c: a handed socket's datagrams held for a question */
int wk_held_open(ward_kernel *k);
void wk_held_close(ward_kernel *k);
int wk_held_dispatch(ward_kernel *k); /* calls the queue's callback per datagram */
int wk_held_verdict(ward_kernel *k, uint32_t id, uint8_t verdict);

#endif
