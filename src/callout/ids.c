/*
 * ids.c — the built-in "ids" callout: each watched flow gets a
 * ward_ids_flow as its context; the stream layer's in-order bytes of a TCP
 * flow go to it as segments numbered by their stream offset, the packet
 * layer's datagrams one by one (see callout/ids.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callout/ids.h"

#define HOST_SLOTS 1024 /* remote hosts by hash: a shared slot shares its bound */

static struct {
    ward_ids *set;
    ward_ids_alert_sink sink;
    void *ctx;
    ward_ids_callout_stats stats;
    struct ward_reasm_host hosts[HOST_SLOTS];
} S;

void ward_ids_callout_use(ward_ids *set, ward_ids_alert_sink sink, void *ctx)
{
    S.set = set;
    S.sink = sink;
    S.ctx = ctx;
}

void ward_ids_callout_stats_get(ward_ids_callout_stats *out)
{
    *out = S.stats;
}

static struct ward_reasm_host *host_of(const uint8_t addr[16])
{
    uint64_t h = 14695981039346656037ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 1099511628211ull;
    struct ward_reasm_host *host = &S.hosts[h % HOST_SLOTS];
    host->max = WARD_IDS_HOST_MAX;
    return host;
}

struct sink_ctx {
    const ward_callout_flow *flow;
};

static void on_alert(const struct ward_ids_alert *a, void *ctx)
{
    const struct sink_ctx *c = ctx;
    S.stats.alerts++;
    if (S.sink)
        S.sink(S.ctx, c->flow, a);
}

struct flow_ctx {
    ward_ids_flow *f;
    uint64_t lost_seen;
    bool sent[2]; /* a datagram seen from the client / the server */
};

static enum ward_callout_verdict classify(const ward_callout_flow *flow, const ward_callout_data *d,
                                          void **ctxp)
{
    bool tcp = flow->proto == 6, icmp = flow->proto == 1 || flow->proto == 58;
    if (!S.set || ward_ids_count(S.set) == 0)
        return WARD_CALLOUT_PERMIT;
    struct flow_ctx *c = *ctxp;
    if (!c) {
        /* The client is the side that opened the flow (sent its first
         * packet): for an outbound flow the local one. ICMP has no ports
         * (the flow's are its echo identifier and type). */
        bool out = flow->dir == 0;
        struct ward_ids_tuple t = {.proto = flow->proto,
                                   .client_port = icmp  ? 0
                                                  : out ? flow->lport
                                                        : flow->rport,
                                   .server_port = icmp  ? 0
                                                  : out ? flow->rport
                                                        : flow->lport};
        memcpy(t.client, out ? flow->local : flow->remote, 16);
        memcpy(t.server, out ? flow->remote : flow->local, 16);
        if (!(c = calloc(1, sizeof(*c))) ||
            !(c->f = ward_ids_flow_new(&t, flow->app, WARD_IDS_FLOW_MAX, host_of(flow->remote)))) {
            free(c);
            return WARD_CALLOUT_CONTINUE; /* not inspected: counted below */
        }
        *ctxp = c;
        S.stats.flows++;
    }
    /* Who sent the bytes: the local side (dir 0) is the client of an
     * outbound flow and the server of an inbound one. */
    bool to_server = (d->dir == 0) == (flow->dir == 0);
    /* A datagram flow is established once both sides have sent (as the
     * reply that makes it so); a TCP stream's bytes come after the
     * handshake. */
    c->sent[to_server ? 0 : 1] = true;
    struct ward_ids_pkt p = {.to_server = to_server,
                             .established = tcp || (c->sent[0] && c->sent[1]),
                             .seq = (uint32_t)d->offset,
                             .data = d->bytes,
                             .len = d->len};
    struct sink_ctx sc = {.flow = flow};
    enum ward_ids_action a = ward_ids_inspect(S.set, c->f, &p, (uint64_t)time(NULL), on_alert, &sc);
    uint64_t lost = ward_ids_flow_lost(c->f);
    S.stats.lost += lost - c->lost_seen;
    c->lost_seen = lost;
    switch (a) {
    case WARD_IDS_DROP:
        S.stats.blocks++;
        return WARD_CALLOUT_BLOCK;
    case WARD_IDS_REJECT:
        S.stats.blocks++;
        return WARD_CALLOUT_DROP_CONNECTION;
    case WARD_IDS_PASS:
        return WARD_CALLOUT_PERMIT;
    case WARD_IDS_ALERT:
    case WARD_IDS_NONE:
        break;
    }
    if (!ward_ids_flow_done(c->f))
        return WARD_CALLOUT_CONTINUE;
    S.stats.bypassed++; /* the depth: the flow's later packets stay in the kernel */
    return WARD_CALLOUT_PERMIT;
}

static void flow_delete(uint64_t id, void *ctx)
{
    struct flow_ctx *c = ctx;
    if (!c)
        return;
    ward_ids_flow_free(c->f);
    free(c);
}

const ward_callout ward_ids_callout = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "ids",
    .layers = WARD_CALLOUT_L_STREAM | WARD_CALLOUT_L_PACKET,
    .classify = classify,
    .flow_delete = flow_delete,
};
