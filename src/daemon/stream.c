/*
 * stream.c — wardd's stream layer: a connection whose decision is "need
 * more data" (a callout wants its payload) is let through with its flow
 * marked; its packets then come from the stream queue, the stream layer
 * (src/stream) puts them in order and holds them, and the callout the
 * filter named answers. The end is logged like any decision: the filter's
 * name, permit or block, and the bound's outcome when the callout took too
 * long or wanted too much; the flow's name is the one its first bytes give
 * (TLS server name, HTTP Host) when they give one. Other protocols' flows
 * take the same path, a packet at a time (the packet layer).
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "callout/webparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* What a watched flow needs to call its callout and log its end. */
struct watched {
    char *callout, *filter, *app, *domain;
    uint64_t filter_id;
    ward_request req; /* strings point into this struct */
    ward_callout_flow flow;
};

static void watched_free(struct watched *w)
{
    if (!w)
        return;
    free(w->callout);
    free(w->filter);
    free(w->app);
    free(w->domain);
    free(w);
}

/* The name the client's first bytes give, as the log's name of the flow:
 * the TLS server name, or the HTTP Host (the DNS answer's name otherwise). */
static void name_from(struct watched *w, const ward_callout_data *data)
{
    uint8_t client = w->req.dir == WARD_DIR_IN ? 1 : 0;
    if (w->req.proto != 6 || data->dir != client || data->offset != 0 || !data->len)
        return;
    char name[WARD_WEB_HOST];
    ward_web_request req;
    uint8_t src = WARD_NAME_SNI;
    if (data->bytes[0] == 0x16) {
        if (ward_tls_sni_parse(data->bytes, data->len, name, sizeof(name)) != WARD_WEB_OK)
            return;
    } else if (ward_http_request_parse(data->bytes, data->len, &req) == WARD_WEB_OK &&
               req.host[0]) {
        snprintf(name, sizeof(name), "%s", req.host);
        src = WARD_NAME_HTTP_HOST;
    } else {
        return;
    }
    char *n = strdup(name);
    if (!n)
        return;
    free(w->domain);
    w->req.domain = w->domain = n;
    w->req.domain_src = src;
}

static enum ward_callout_verdict classify(void *ctx, uint64_t flow, void *user,
                                          const ward_callout_data *data)
{
    struct wardd *d = ctx;
    struct watched *w = user;
    enum ward_callout_verdict v;
    if (ward_callouts_classify(d->callouts, w->callout, &w->flow, data, (int64_t)time(NULL), &v))
        v = d->extras.callout_failure == WARD_V_PERMIT ? WARD_CALLOUT_PERMIT : WARD_CALLOUT_BLOCK;
    if (v != WARD_CALLOUT_NEED_MORE_DATA && v != WARD_CALLOUT_CONTINUE)
        name_from(w, data); /* decided: the log names the flow */
    return v;
}

static void verdict(void *ctx, uint32_t pkt, enum ward_stream_pkt v)
{
    struct wardd *d = ctx;
    static const enum ward_kstream_verdict kv[] = {
        [WARD_SP_ACCEPT] = WARD_KS_ACCEPT, [WARD_SP_PASS] = WARD_KS_PASS,
        [WARD_SP_DROP] = WARD_KS_DROP,     [WARD_SP_RESET] = WARD_KS_RESET,
        [WARD_SP_REJECT] = WARD_KS_REJECT,
    };
    if (d->kernel)
        ward_kernel_stream_verdict(d->kernel, pkt, kv[v]);
}

static void end(void *ctx, uint64_t flow, void *user, enum ward_stream_end how)
{
    struct wardd *d = ctx;
    struct watched *w = user;
    ward_callouts_flow_end(d->callouts, flow); /* flow_delete */
    if (how != WARD_SE_CLOSED && how != WARD_SE_IDLE) {
        bool permit = how == WARD_SE_PERMIT || how == WARD_SE_BOUND_OPEN;
        ward_decision dec = {.verdict = permit ? WARD_V_PERMIT : WARD_V_BLOCK,
                             .reason = WARD_R_CALLOUT,
                             .filter_id = w->filter_id};
        char by[160];
        snprintf(by, sizeof(by), "%s%s", w->filter ? w->filter : w->callout,
                 how == WARD_SE_BOUND_OPEN || how == WARD_SE_BOUND_CLOSED ? " (stream bound)" : "");
        wardd_publish(d, &w->req, &dec, w->req.app.pid,
                      w->req.has_user ? w->req.uid : WARD_UID_UNKNOWN, by);
    }
    wardd_log(LOG_DEBUG, "stream: flow %016llx via %s: %s", (unsigned long long)flow, w->callout,
              ward_stream_end_name(how));
    watched_free(w);
}

/* The request's flow id as the stream queue's packets compute it. */
static uint64_t flow_id_of(const ward_kseg *s)
{
    ward_request r = {.layer = WARD_LAYER_CONNECT_OUT,
                      .proto = s->proto,
                      .local = s->local,
                      .remote = s->remote,
                      .lport = s->lport,
                      .rport = s->rport};
    return ward_callouts_flow_id(&r);
}

static void on_segment(void *ctx, const ward_kseg *s)
{
    struct wardd *d = ctx;
    ward_stream_seg g = {.pkt = s->id,
                         .dir = s->dir == WARD_KDIR_OUT ? 0 : 1,
                         .datagram = s->proto != 6,
                         .tcp_flags = s->tcp_flags,
                         .seq = s->seq,
                         .data = s->payload,
                         .len = s->len};
    if (!ward_stream_segment(d->stream, flow_id_of(s), &g, wardd_now_ms()))
        ward_kernel_stream_verdict(d->kernel, s->id, WARD_KS_PASS); /* not watched (any more) */
}

int wardd_stream_open(struct wardd *d)
{
    static const ward_stream_ops ops = {classify, verdict, end};
    if (!(d->stream = ward_stream_new(&ops, d)))
        return -1;
    if (d->kernel)
        ward_kernel_stream_callback(d->kernel, on_segment, d);
    return 0;
}

void wardd_stream_close(struct wardd *d)
{
    ward_stream_free(d->stream);
    d->stream = NULL;
}

void wardd_stream_configure(struct wardd *d)
{
    if (!d->stream)
        return;
    ward_stream_bound b = {.bytes = d->extras.stream_bytes,
                           .ms = d->extras.stream_ms,
                           .fail_open = d->extras.stream_fail_open};
    ward_stream_set_bound(d->stream, &b);
}

bool wardd_stream_watch(struct wardd *d, const ward_request *r, const ward_decision *dec)
{
    ward_filter_def f;
    uint32_t layer = r->proto == 6 ? WARD_CALLOUT_L_STREAM : WARD_CALLOUT_L_PACKET;
    if (!d->stream || !d->kernel || !dec->filter_id ||
        ward_filter_get(d->engine, dec->filter_id, &f) != 0 || f.action != WARD_ACT_CALLOUT ||
        !f.callout || !(ward_callouts_layers(d->callouts, f.callout) & layer))
        return false; /* a callout without a stream (packet) layer cannot be given more */
    struct watched *w = calloc(1, sizeof(*w));
    if (!w)
        return false;
    w->callout = strdup(f.callout);
    w->filter = f.name ? strdup(f.name) : NULL;
    w->app = r->app.path ? strdup(r->app.path) : NULL;
    w->domain = r->domain ? strdup(r->domain) : NULL;
    w->filter_id = dec->filter_id;
    if (!w->callout || (f.name && !w->filter) || (r->app.path && !w->app) ||
        (r->domain && !w->domain)) {
        watched_free(w);
        return false;
    }
    w->req = (ward_request){.layer = r->layer,
                            .dir = r->dir,
                            .proto = r->proto,
                            .local = r->local,
                            .remote = r->remote,
                            .lport = r->lport,
                            .rport = r->rport,
                            .domain = w->domain,
                            .domain_src = r->domain_src,
                            .has_user = r->has_user,
                            .uid = r->uid,
                            .gid = r->gid};
    w->req.app.path = w->app;
    w->req.app.pid = r->app.pid;
    ward_callouts_flow_of(&w->req, &w->flow);
    w->flow.layer = layer;
    if (ward_stream_watch(d->stream, w->flow.id, w, wardd_now_ms()) < 0) {
        watched_free(w);
        return false;
    }
    return true;
}

bool wardd_stream_tick(struct wardd *d, int64_t now_ms)
{
    if (!d->stream)
        return false;
    ward_stream_tick(d->stream, now_ms);
    ward_stream_stats st;
    ward_stream_get_stats(d->stream, &st);
    return st.held > 0;
}
