/*
 * streamq.c — the stream queue: every TCP packet of the flows a queue
 * verdict sent to the stream layer (WARD_KV_STREAM marked their conntrack
 * entries), both ways, handed whole to the stream callback; verdicts by id,
 * now or later (a held packet waits in the kernel's queue).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

#include "kernel/internal.h"

static int on_stream(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data)
{
    ward_kernel *k = data;
    ward_kqueued q;
    unsigned char *pl;
    int len;
    if (!wk_queue_prepare(k, nfa, WK_STREAM_TAG, &q, &pl, &len))
        return 0;
    int off = q.family == 4 ? (pl[0] & 0x0f) * 4 : 40;
    if (!k->stream_fn || q.proto != 6 || len < off + 20) {
        ward_kernel_stream_verdict(k, q.id, WARD_KS_PASS);
        return 0;
    }
    const unsigned char *tcp = pl + off;
    int doff = (tcp[12] >> 4) * 4;
    if (doff < 20 || off + doff > len) {
        ward_kernel_stream_verdict(k, q.id, WARD_KS_DROP); /* not TCP as it should be */
        return 0;
    }
    ward_kseg s = {.id = q.id,
                   .dir = q.dir,
                   .family = q.family,
                   .local = q.local,
                   .remote = q.remote,
                   .lport = q.lport,
                   .rport = q.rport,
                   .tcp_flags = tcp[13],
                   .seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 |
                          tcp[7],
                   .payload = tcp + doff,
                   .len = (size_t)(len - off - doff)};
    k->stream_fn(k->stream_ctx, &s);
    return 0;
}

void ward_kernel_stream_callback(ward_kernel *k, ward_kstream_fn fn, void *ctx)
{
    k->stream_fn = fn;
    k->stream_ctx = ctx;
}

int ward_kernel_stream_verdict(ward_kernel *k, uint32_t id, enum ward_kstream_verdict v)
{
    if (!k->stream_qh || (id & WK_STREAM_TAG) != WK_STREAM_TAG)
        return -EBADF;
    uint32_t pid = id & ~WK_STREAM_TAG;
    uint32_t mark = k->marks[id % 4096].id == id ? k->marks[id % 4096].mark : 0;
    mark &= ~(k->cfg.stream_mark | k->cfg.stream_pass_mark | k->cfg.reject_mark);
    int rc;
    switch (v) {
    case WARD_KS_ACCEPT:
        rc = nfq_set_verdict(k->stream_qh, pid, NF_ACCEPT, 0, NULL);
        break;
    case WARD_KS_PASS:
        rc =
            nfq_set_verdict2(k->stream_qh, pid, NF_REPEAT, mark | k->cfg.stream_pass_mark, 0, NULL);
        break;
    case WARD_KS_RESET:
        rc = nfq_set_verdict2(k->stream_qh, pid, NF_REPEAT, mark | k->cfg.reject_mark, 0, NULL);
        break;
    default:
        rc = nfq_set_verdict(k->stream_qh, pid, NF_DROP, 0, NULL);
        break;
    }
    if (rc < 0)
        return -errno;
    k->answered++;
    return 0;
}

int wk_stream_open(ward_kernel *k)
{
    if (!k->cfg.stream_mark)
        return 0;
    k->stream_qh = nfq_create_queue(k->nfq, k->cfg.stream_queue_num, on_stream, k);
    if (!k->stream_qh)
        return errno ? -errno : -EBUSY;
    /* Whole packets, and no GSO: the kernel segments them, so one packet
     * is at most one MTU and a held one is plain TCP. */
    nfq_set_mode(k->stream_qh, NFQNL_COPY_PACKET, 0xffff);
    nfq_set_queue_maxlen(k->stream_qh, k->cfg.queue_maxlen);
    uint32_t open = k->cfg.fail == WARD_KFAIL_OPEN ? NFQA_CFG_F_FAIL_OPEN : 0;
    nfq_set_queue_flags(k->stream_qh, NFQA_CFG_F_FAIL_OPEN, open);
    return 0;
}

void wk_stream_close(ward_kernel *k)
{
    if (k->stream_qh)
        nfq_destroy_queue(k->stream_qh);
    k->stream_qh = NULL;
}
