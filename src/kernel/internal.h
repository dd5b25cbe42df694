/*
 * kernel/internal.h — shared between the kernel backend's files only.
 */
#ifndef WARD_KERNEL_INTERNAL_H
#define WARD_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/backend.h"
#include "kernel/dns.h"

struct ward_bpf; /* the generated skeleton */
struct nft_ctx;
struct nfq_handle;
struct nfq_q_handle;
struct mnl_socket;

struct ward_kernel {
    ward_kernel_config cfg;
    char pin_dir[256];
    char cgroup[512];
    /* BPF (ward_bpf.c) */
    struct ward_bpf *skel;
    int verdicts_fd, socks_fd, binds_fd, stats_fd;
    /* nft (nft.c); set elements are remembered to be replayed after a repair */
    struct wk_elem {
        uint8_t kind; /* 0 inbound port, 1 icmp */
        uint8_t proto, dir, verdict;
        uint16_t port;
    } elems[1024];
    size_t nelems;
    struct nft_ctx *nft;
    bool native_queue, probed, mon_touched;
    struct mnl_socket *mon;
    uint64_t repairs;
    /* queue (queue.c) */
    struct nfq_handle *nfq;
    struct nfq_q_handle *qh, *dns_qh;
    ward_dns_pending *dns_pending;
    ward_dns_msg dns_msg;
    struct wk_name {
        ward_ip ip;
        int64_t expire_ms;
        char name[256];
    } * names; /* WK_NAMES slots, open addressing */
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

#define WK_NAMES   4096
#define WK_DNS_TAG 0x80000000u /* ids of packets from the DNS queue */

/* ward_bpf.c */
int wk_bpf_open(ward_kernel *k);
void wk_bpf_close(ward_kernel *k);
int wk_bpf_teardown(const char *pin_dir);

/* nft.c */
int wk_nft_open(ward_kernel *k);
void wk_nft_close(ward_kernel *k);
int wk_nft_install(ward_kernel *k);
int wk_nft_teardown(void);
int wk_nft_run(ward_kernel *k, const char *cmd);

/* queue.c */
int wk_queue_open(ward_kernel *k);
void wk_queue_close(ward_kernel *k);

int wk_mkdir_p(const char *path);

#endif
