/*
 * streamq.c — the stream queue: every packet of the flows a queue verdict
 * sent to the stream layer (WARD_KV_STREAM marked their conntrack entries),
 * both ways, handed whole to the stream callback; verdicts by id, now or
 * later (a held packet waits in the kernel's queue).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
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
    if (!k->stream_fn) {
        ward_kernel_stream_verdict(k, q.id, WARD_KS_PASS);
        return 0;
    }
    ward_kseg s = {.id = q.id,
                   .dir = q.dir,
                   .family = q.family,
                   .proto = q.proto,
                   .local = q.local,
                   .remote = q.remote,
                   .lport = q.lport,
                   .rport = q.rport,
                   .payload = pl + q.data_off,
                   .len = (size_t)(len - q.data_off)};
    struct wk_seghdr *h = &k->seghdr[q.id % WK_SEGHDRS];
    h->id = q.id;
    h->proto = q.proto;
    h->len = 0;
    bool icmp = q.proto == 1 || q.proto == 58;
    if (icmp && q.dir == WARD_KDIR_IN && q.lport == (q.proto == 1 ? 0 : 129) &&
        q.data_off == q.l4_off + 8) {
        /* An echo reply belongs to its request's flow: identifier and the
         * request's type, as the request was queued (queue.c). */
        s.lport = (uint16_t)(pl[q.l4_off + 4] << 8 | pl[q.l4_off + 5]);
        s.rport = q.proto == 1 ? 8 : 128;
    }
    if (q.proto == 6) {
        const unsigned char *tcp = pl + q.l4_off;
        if (q.data_off == q.l4_off) {
            ward_kernel_stream_verdict(k, q.id, WARD_KS_DROP); /* not TCP as it should be */
            return 0;
        }
        h->len = q.data_off <= sizeof(h->b) ? q.data_off : 0;
        memcpy(h->b, pl, h->len);
        s.tcp_flags = tcp[13];
        s.seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    }
    k->stream_fn(k->stream_ctx, &s);
    return 0;
}

void ward_kernel_stream_callback(ward_kernel *k, ward_kstream_fn fn, void *ctx)
{
    k->stream_fn = fn;
    k->stream_ctx = ctx;
}

/* The packet's headers turned into a bare RST+ACK with its sequence number
 * (no payload), checksums made again; its length, or 0 when its headers
 * were not kept. */
static size_t reset_from(const struct wk_seghdr *h, uint8_t *out)
{
    if (!h->len)
        return 0;
    memcpy(out, h->b, h->len);
    bool v4 = (out[0] >> 4) == 4;
    size_t off = v4 ? (size_t)(out[0] & 0x0f) * 4 : 40;
    uint8_t *tcp = out + off;
    size_t tl = (size_t)(h->len - off);
    tcp[13] = 0x14;        /* RST, ACK */
    tcp[14] = tcp[15] = 0; /* window */
    tcp[16] = tcp[17] = 0; /* checksum */
    uint32_t sum;
    if (v4) {
        out[2] = (uint8_t)(h->len >> 8), out[3] = (uint8_t)h->len;
        out[10] = out[11] = 0;
        uint16_t c = wk_csum_fold(wk_sum16(out, off, 0));
        out[10] = (uint8_t)(c >> 8), out[11] = (uint8_t)c;
        sum = wk_sum16(out + 12, 8, 0) + 6 + (uint32_t)tl;
    } else {
        out[4] = (uint8_t)(tl >> 8), out[5] = (uint8_t)tl;
        sum = wk_sum16(out + 8, 32, 0) + 6 + (uint32_t)tl;
    }
    uint16_t c = wk_csum_fold(wk_sum16(tcp, tl, sum));
    tcp[16] = (uint8_t)(c >> 8), tcp[17] = (uint8_t)c;
    return h->len;
}

int ward_kernel_stream_verdict(ward_kernel *k, uint32_t id, enum ward_kstream_verdict v)
{
    if (!k->stream_qh || (id & WK_STREAM_TAG) != WK_STREAM_TAG)
        return -EBADF;
    uint32_t pid = id & ~WK_STREAM_TAG;
    uint32_t mark = k->marks[id % 4096].id == id ? k->marks[id % 4096].mark : 0;
    mark &= ~(k->cfg.stream_mark | k->cfg.stream_pass_mark | k->cfg.reject_mark);
    const struct wk_seghdr *h = &k->seghdr[id % WK_SEGHDRS];
    uint8_t rst[sizeof(k->seghdr[0].b)];
    size_t n_rst = 0;
    if (v == WARD_KS_RESET) {
        if (!(n_rst = h->id == id ? reset_from(h, rst) : 0))
            v = WARD_KS_REJECT; /* its headers are gone: its sender at least learns */
    }
    int rc;
    switch (v) {
    case WARD_KS_ACCEPT:
        if (h->id == id && h->proto != 6) /* the DNS chain may still check it */
            rc = nfq_set_verdict2(k->stream_qh, pid, NF_REPEAT, mark | k->cfg.stream_seen_mark, 0,
                                  NULL);
        else
            rc = nfq_set_verdict(k->stream_qh, pid, NF_ACCEPT, 0, NULL);
        break;
    case WARD_KS_PASS:
        rc =
            nfq_set_verdict2(k->stream_qh, pid, NF_REPEAT, mark | k->cfg.stream_pass_mark, 0, NULL);
        break;
    case WARD_KS_RESET:
        rc = nfq_set_verdict(k->stream_qh, pid, NF_ACCEPT, (uint32_t)n_rst, rst);
        break;
    case WARD_KS_REJECT:
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
    if (!(k->seghdr = calloc(WK_SEGHDRS, sizeof(*k->seghdr))))
        return -ENOMEM;
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
    free(k->seghdr);
    k->seghdr = NULL;
}
