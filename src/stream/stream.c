/*
 * stream.c — the stream layer's flows: reassembly per direction, the held
 * packets, the callout's answers and the bound (stream/stream.h).
 *
 * Each direction keeps the in-order bytes not yet let go (buf, from stream
 * offset buf_off) and the segments that came early (ooo), merged as the gap
 * fills; retransmitted bytes are trimmed. Offsets are 64-bit, extended from
 * the 32-bit sequence numbers relative to where the direction stands.
 */
#include "stream/stream.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024

struct ooo {
    uint64_t off;
    size_t len;
    uint8_t *data;
};

struct dir {
    bool have_base;
    uint32_t base;    /* sequence number of stream offset 0 */
    uint64_t buf_off; /* stream offset of buf[0] */
    uint8_t *buf;
    size_t len, cap;
    struct ooo *ooo;
    size_t n_ooo;
    size_t ooo_bytes;
    bool fin; /* a FIN was seen at fin_off */
    uint64_t fin_off;
    bool fin_told; /* the callout was told the FIN (in order) */
};

struct flow {
    struct flow *next;
    uint64_t id;
    void *user;
    bool blocked;  /* decided: a block; later packets are dropped */
    bool datagram; /* its packets are datagrams (not TCP) */
    int64_t last_ms, held_since_ms;
    uint32_t *held;
    size_t n_held, cap_held;
    struct dir d[2];
};

struct ward_stream {
    ward_stream_ops ops;
    void *ctx;
    ward_stream_bound bound;
    struct flow *b[BUCKETS];
    ward_stream_stats st;
};

const char *ward_stream_end_name(enum ward_stream_end e)
{
    static const char *const n[] = {"permit",      "block",  "bound-pass",
                                    "bound-block", "closed", "idle"};
    return (unsigned)e < sizeof(n) / sizeof(n[0]) ? n[e] : "?";
}

ward_stream *ward_stream_new(const ward_stream_ops *ops, void *ctx)
{
    ward_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ops = *ops;
    s->ctx = ctx;
    ward_stream_set_bound(s, NULL);
    return s;
}

void ward_stream_set_bound(ward_stream *s, const ward_stream_bound *b)
{
    s->bound = b ? *b : (ward_stream_bound){0};
    if (!s->bound.bytes)
        s->bound.bytes = WARD_STREAM_BOUND_BYTES;
    if (!s->bound.ms)
        s->bound.ms = WARD_STREAM_BOUND_MS;
}

static struct flow **slot(ward_stream *s, uint64_t id)
{
    struct flow **p = &s->b[id % BUCKETS];
    while (*p && (*p)->id != id)
        p = &(*p)->next;
    return p;
}

static void dir_clear(struct dir *d)
{
    for (size_t i = 0; i < d->n_ooo; i++)
        free(d->ooo[i].data);
    free(d->ooo);
    free(d->buf);
}

/* Unlinks and frees a flow; ends it first unless it ended already. */
static void flow_drop(ward_stream *s, struct flow *f, bool end, enum ward_stream_end how)
{
    struct flow **p = slot(s, f->id);
    *p = f->next;
    if (end && s->ops.end)
        s->ops.end(s->ctx, f->id, f->user, how);
    s->st.watching--;
    s->st.held -= f->n_held;
    for (int i = 0; i < 2; i++)
        dir_clear(&f->d[i]);
    free(f->held);
    free(f);
}

int ward_stream_watch(ward_stream *s, uint64_t id, void *user, int64_t now_ms)
{
    struct flow **p = slot(s, id);
    if (*p && !(*p)->blocked && !(*p)->datagram)
        return -1;
    /* A blocked flow's 5-tuple, used again; or a datagram flow's, whose
     * conntrack entry is new (its first packet was dropped, or the old
     * entry timed out). */
    if (*p)
        flow_drop(s, *p, !(*p)->blocked, WARD_SE_CLOSED);
    struct flow *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->id = id;
    f->user = user;
    f->last_ms = now_ms;
    *p = f;
    s->st.watching++;
    s->st.watched++;
    return 0;
}

/* ---- Held packets and decisions ------------------------------------------- */

static bool hold(ward_stream *s, struct flow *f, uint32_t pkt, int64_t now_ms)
{
    if (f->n_held == f->cap_held) {
        size_t ncap = f->cap_held ? f->cap_held * 2 : 8;
        uint32_t *n = realloc(f->held, ncap * sizeof(*n));
        if (!n)
            return false;
        f->held = n;
        f->cap_held = ncap;
    }
    if (!f->n_held)
        f->held_since_ms = now_ms;
    f->held[f->n_held++] = pkt;
    s->st.held++;
    return true;
}

static void release(ward_stream *s, struct flow *f, enum ward_stream_pkt v)
{
    for (size_t i = 0; i < f->n_held; i++) {
        /* A block resets with the oldest packet (its sequence number is
         * the one the receiver expects) and drops the rest. */
        enum ward_stream_pkt pv = v == WARD_SP_RESET && i > 0 ? WARD_SP_DROP : v;
        s->ops.verdict(s->ctx, f->held[i], pv);
    }
    s->st.held -= f->n_held;
    f->n_held = 0;
}

static size_t held_bytes(const struct flow *f)
{
    return f->d[0].len + f->d[0].ooo_bytes + f->d[1].len + f->d[1].ooo_bytes;
}

/* The flow is decided: permit (passes, unwatched) or block (reset, kept
 * as a tombstone that drops what still comes). */
static void decide(ward_stream *s, struct flow *f, bool permit, enum ward_stream_end how)
{
    switch (how) {
    case WARD_SE_PERMIT:
        s->st.permitted++;
        break;
    case WARD_SE_BLOCK:
        s->st.blocked++;
        break;
    case WARD_SE_BOUND_OPEN:
        s->st.bound_open++;
        break;
    case WARD_SE_BOUND_CLOSED:
        s->st.bound_closed++;
        break;
    default:
        break;
    }
    if (permit) {
        release(s, f, WARD_SP_PASS);
        flow_drop(s, f, true, how);
        return;
    }
    release(s, f, WARD_SP_RESET);
    if (s->ops.end)
        s->ops.end(s->ctx, f->id, f->user, how);
    f->user = NULL;
    f->blocked = true;
    for (int i = 0; i < 2; i++) {
        dir_clear(&f->d[i]);
        memset(&f->d[i], 0, sizeof(f->d[i]));
    }
}

static void bound_hit(ward_stream *s, struct flow *f)
{
    decide(s, f, s->bound.fail_open,
           s->bound.fail_open ? WARD_SE_BOUND_OPEN : WARD_SE_BOUND_CLOSED);
}

/* ---- Reassembly ----------------------------------------------------------- */

static bool buf_append(struct dir *d, const uint8_t *p, size_t n)
{
    if (d->len + n > d->cap) {
        size_t ncap = d->cap ? d->cap : 2048;
        while (ncap < d->len + n)
            ncap *= 2;
        uint8_t *nb = realloc(d->buf, ncap);
        if (!nb)
            return false;
        d->buf = nb;
        d->cap = ncap;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    return true;
}

/* Adds bytes at stream offset off: the part after the in-order end goes to
 * buf, or waits in ooo when there is a gap before it. False: out of memory. */
static bool put(struct dir *d, uint64_t off, const uint8_t *p, size_t n)
{
    uint64_t end = d->buf_off + d->len;
    if (off + n <= end)
        return true; /* seen already */
    if (off > end) {
        struct ooo *no = realloc(d->ooo, (d->n_ooo + 1) * sizeof(*no));
        if (!no)
            return false;
        d->ooo = no;
        uint8_t *copy = malloc(n);
        if (!copy)
            return false;
        memcpy(copy, p, n);
        d->ooo[d->n_ooo++] = (struct ooo){off, n, copy};
        d->ooo_bytes += n;
        return true;
    }
    size_t skip = (size_t)(end - off);
    if (!buf_append(d, p + skip, n - skip))
        return false;
    /* Early segments the gap's end reached. */
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < d->n_ooo; i++) {
            struct ooo o = d->ooo[i];
            if (o.off > d->buf_off + d->len)
                continue;
            d->ooo[i] = d->ooo[--d->n_ooo];
            d->ooo_bytes -= o.len;
            bool ok = put(d, o.off, o.data, o.len);
            free(o.data);
            if (!ok)
                return false;
            again = true;
            break;
        }
    }
    return true;
}

/* The 64-bit stream offset of sequence number seq. */
static uint64_t offset_of(const struct dir *d, uint32_t seq)
{
    uint64_t end = d->buf_off + d->len;
    int32_t delta = (int32_t)((seq - d->base) - (uint32_t)end);
    return delta < 0 && (uint64_t) - (int64_t)delta > end ? 0 : end + (int64_t)delta;
}

/* ---- Segments --------------------------------------------------------------- */

static void call(ward_stream *s, struct flow *f, int dir, int64_t now_ms)
{
    struct dir *d = &f->d[dir];
    ward_callout_data data = {
        .bytes = d->buf, .len = d->len, .dir = (uint8_t)dir, .offset = d->buf_off};
    if (d->fin && d->fin_off == d->buf_off + d->len) {
        data.flags |= WARD_CALLOUT_SF_FIN;
        d->fin_told = true;
    }
    enum ward_callout_verdict v = s->ops.classify(s->ctx, f->id, f->user, &data);
    switch (v) {
    case WARD_CALLOUT_NEED_MORE_DATA:
        if (held_bytes(f) > s->bound.bytes)
            bound_hit(s, f);
        return;
    case WARD_CALLOUT_CONTINUE:
        release(s, f, WARD_SP_ACCEPT);
        for (int i = 0; i < 2; i++) {
            f->d[i].buf_off += f->d[i].len;
            f->d[i].len = 0;
        }
        break;
    case WARD_CALLOUT_PERMIT:
        decide(s, f, true, WARD_SE_PERMIT);
        return;
    default: /* block, block without veto, drop connection, nonsense */
        decide(s, f, false, WARD_SE_BLOCK);
        return;
    }
    /* Watched and nothing held: once both sides closed, the flow is over. */
    if (f->d[0].fin_told && f->d[1].fin_told)
        flow_drop(s, f, true, WARD_SE_CLOSED);
}

/* A datagram: the callout's answer for it alone, acted on at once. A
 * block is the packet's, not the flow's: a datagram flow has no state a
 * dropped packet breaks, and a first packet dropped leaves no conntrack
 * entry to mark. */
static void datagram(ward_stream *s, struct flow *f, const ward_stream_seg *g)
{
    ward_callout_data data = {.bytes = g->data, .len = g->len, .dir = g->dir ? 1 : 0};
    switch (s->ops.classify(s->ctx, f->id, f->user, &data)) {
    case WARD_CALLOUT_NEED_MORE_DATA: /* nothing is held: more comes anyway */
    case WARD_CALLOUT_CONTINUE:
        s->ops.verdict(s->ctx, g->pkt, WARD_SP_ACCEPT);
        return;
    case WARD_CALLOUT_PERMIT:
        s->ops.verdict(s->ctx, g->pkt, WARD_SP_PASS);
        decide(s, f, true, WARD_SE_PERMIT);
        return;
    case WARD_CALLOUT_DROP_CONNECTION:
        s->ops.verdict(s->ctx, g->pkt, WARD_SP_REJECT);
        return;
    default: /* block, block without veto, nonsense */
        s->ops.verdict(s->ctx, g->pkt, WARD_SP_DROP);
        return;
    }
}

bool ward_stream_segment(ward_stream *s, uint64_t id, const ward_stream_seg *g, int64_t now_ms)
{
    struct flow *f = *slot(s, id);
    if (!f)
        return false;
    f->last_ms = now_ms;
    if (g->datagram) {
        f->datagram = true;
        datagram(s, f, g);
        return true;
    }
    if (f->blocked) {
        s->ops.verdict(s->ctx, g->pkt, g->tcp_flags & WARD_TCP_RST ? WARD_SP_DROP : WARD_SP_REJECT);
        if (g->tcp_flags & WARD_TCP_RST)
            flow_drop(s, f, false, WARD_SE_CLOSED);
        return true;
    }
    if (g->tcp_flags & WARD_TCP_RST) {
        /* Torn down before a decision: what was held never goes. */
        release(s, f, WARD_SP_DROP);
        s->ops.verdict(s->ctx, g->pkt, WARD_SP_ACCEPT);
        flow_drop(s, f, true, WARD_SE_CLOSED);
        return true;
    }
    int dir = g->dir ? 1 : 0;
    struct dir *d = &f->d[dir];
    if (!d->have_base) {
        d->have_base = true;
        d->base = g->tcp_flags & WARD_TCP_SYN ? g->seq + 1 : g->seq;
    }
    uint32_t seq = g->tcp_flags & WARD_TCP_SYN ? g->seq + 1 : g->seq;
    size_t len = g->tcp_flags & WARD_TCP_SYN ? 0 : g->len; /* no data on a SYN here */
    uint64_t end_before = d->buf_off + d->len;
    size_t ooo_before = d->n_ooo;
    bool fin_new = false;
    if (len) {
        uint64_t off = offset_of(d, seq);
        if (!put(d, off, g->data, len)) {
            if (!hold(s, f, g->pkt, now_ms))
                s->ops.verdict(s->ctx, g->pkt, WARD_SP_REJECT);
            decide(s, f, false, WARD_SE_BLOCK); /* out of memory: fail closed */
            return true;
        }
    }
    if ((g->tcp_flags & WARD_TCP_FIN) && !d->fin) {
        d->fin = true;
        d->fin_off = offset_of(d, seq) + len;
        fin_new = true;
    }
    bool news = d->buf_off + d->len > end_before ||
                (d->fin && !d->fin_told && d->fin_off == d->buf_off + d->len);
    if (!news && !fin_new && d->n_ooo == ooo_before) {
        /* Nothing new (a bare ACK, a retransmission): it waits only with
         * others that wait. */
        if (f->n_held && (len || (g->tcp_flags & WARD_TCP_FIN)))
            hold(s, f, g->pkt, now_ms);
        else
            s->ops.verdict(s->ctx, g->pkt, WARD_SP_ACCEPT);
        return true;
    }
    if (!hold(s, f, g->pkt, now_ms)) {
        s->ops.verdict(s->ctx, g->pkt, WARD_SP_REJECT); /* out of memory: fail closed */
        decide(s, f, false, WARD_SE_BLOCK);
        return true;
    }
    if (news)
        call(s, f, dir, now_ms);
    else if (held_bytes(f) > s->bound.bytes)
        bound_hit(s, f); /* early segments alone, past the bound */
    return true;
}

void ward_stream_tick(ward_stream *s, int64_t now_ms)
{
    for (size_t i = 0; i < BUCKETS; i++) {
        struct flow *f = s->b[i];
        while (f) {
            struct flow *next = f->next;
            if (!f->blocked && f->n_held && now_ms - f->held_since_ms >= (int64_t)s->bound.ms)
                bound_hit(s, f); /* may free f */
            else if (now_ms - f->last_ms >= WARD_STREAM_IDLE_MS)
                flow_drop(s, f, !f->blocked, WARD_SE_IDLE);
            f = next;
        }
    }
}

void ward_stream_free(ward_stream *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < BUCKETS; i++) {
        while (s->b[i]) {
            struct flow *f = s->b[i];
            if (f->n_held)
                release(s, f, s->bound.fail_open ? WARD_SP_PASS : WARD_SP_RESET);
            flow_drop(s, f, !f->blocked, WARD_SE_IDLE);
        }
    }
    free(s);
}

void ward_stream_get_stats(const ward_stream *s, ward_stream_stats *out)
{
    *out = s->st;
}
