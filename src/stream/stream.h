/*
 * stream/stream.h — the stream layer: the payload of the TCP flows a filter
 * sends to a callout, put back in order per direction and handed to the
 * callout, the flow's packets held while it needs more data, within a bound.
 *
 * This part is pure: packets come in as segments (ward_stream_segment), and
 * what becomes of them, the callout's call and the flow's end go out through
 * ward_stream_ops. wardd feeds it from its own NFQUEUE (kernel/backend.h,
 * "The stream queue") and calls the callout through the registry
 * (callout/callout.h); docs/ENGINE.md, "The stream layer", has the whole
 * path.
 *
 * What the callout's answers do to the flow:
 *   need more data    the packets stay held (the bound applies)
 *   continue          the held packets go; the flow stays watched and the
 *                     next call has only bytes that came after
 *   permit            the held packets go; the flow leaves the stream layer
 *   block, block without veto, drop connection
 *                     the oldest held packet becomes a reset to its
 *                     receiver, the others are dropped; later packets of
 *                     the flow are refused with a reset to their sender:
 *                     both ends learn the connection is gone
 * The bound: more than `bytes` held, or a packet held `ms` long, ends the
 * wait as permit (fail open) or block (fail closed, the default).
 *
 * Datagrams (UDP, ICMP, other IP: seg.datagram) are not reassembled or
 * held: each goes to the callout alone (offset 0) and is answered at once.
 * Need more data and continue let it go; permit lets it and the flow go;
 * block drops it, drop connection rejects it (its sender gets an ICMP
 * error); either way the flow stays watched (a block is the packet's).
 */
#ifndef WARD_STREAM_H
#define WARD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/callout.h"

#define WARD_STREAM_BOUND_BYTES 65536u /* default: bytes held per flow */
#define WARD_STREAM_BOUND_MS    5000u  /* default: how long a packet is held */
#define WARD_STREAM_IDLE_MS     120000 /* a watched flow silent this long has ended */

typedef struct ward_stream ward_stream;

/* What becomes of a packet. */
enum ward_stream_pkt {
    WARD_SP_ACCEPT, /* it goes; the flow stays watched */
    WARD_SP_PASS,   /* it goes; the flow's later packets bypass the stream layer */
    WARD_SP_DROP,   /* dropped */
    WARD_SP_RESET,  /* turned into a TCP reset to where it was going: the
                     * receiver's end of the connection is gone */
    WARD_SP_REJECT, /* dropped, and its sender is answered with a reset */
};

/* How a watched flow ended. */
enum ward_stream_end {
    WARD_SE_PERMIT,       /* the callout permitted it */
    WARD_SE_BLOCK,        /* the callout blocked it */
    WARD_SE_BOUND_OPEN,   /* the bound was hit: passed (fail open) */
    WARD_SE_BOUND_CLOSED, /* the bound was hit: reset (fail closed) */
    WARD_SE_CLOSED,       /* FIN both ways, or a reset, before a decision */
    WARD_SE_IDLE,         /* nothing seen for WARD_STREAM_IDLE_MS, or shut down */
};
const char *ward_stream_end_name(enum ward_stream_end e);

typedef struct ward_stream_bound {
    uint32_t bytes; /* held at most (both directions); 0: WARD_STREAM_BOUND_BYTES */
    uint32_t ms;    /* a packet held at most this long; 0: WARD_STREAM_BOUND_MS */
    bool fail_open; /* the bound's outcome: permit (true) or block (false) */
} ward_stream_bound;

typedef struct ward_stream_ops {
    /* The callout's answer for the data (bytes, len, dir, flags, offset
     * set); user is what ward_stream_watch was given. */
    enum ward_callout_verdict (*classify)(void *ctx, uint64_t flow, void *user,
                                          const ward_callout_data *d);
    /* A packet's fate (each packet given to ward_stream_segment gets
     * exactly one, now or later). */
    void (*verdict)(void *ctx, uint32_t pkt, enum ward_stream_pkt v);
    /* The flow is no longer watched (decided or ended): user is the
     * caller's again. Called once per watched flow. */
    void (*end)(void *ctx, uint64_t flow, void *user, enum ward_stream_end how);
} ward_stream_ops;

/* One TCP segment of a watched flow. */
typedef struct ward_stream_seg {
    uint32_t pkt;      /* the packet, for ops->verdict */
    uint8_t dir;       /* 0 sent by the local side, 1 by the remote */
    bool datagram;     /* not TCP: tcp_flags and seq are not used */
    uint8_t tcp_flags; /* the TCP header's flags: FIN 0x01, SYN 0x02, RST 0x04 */
    uint32_t seq;
    const uint8_t *data; /* the payload */
    size_t len;
} ward_stream_seg;

#define WARD_TCP_FIN 0x01
#define WARD_TCP_SYN 0x02
#define WARD_TCP_RST 0x04

ward_stream *ward_stream_new(const ward_stream_ops *ops, void *ctx);
/* Held packets get the bound's outcome; every flow ends (WARD_SE_IDLE). */
void ward_stream_free(ward_stream *s);
void ward_stream_set_bound(ward_stream *s, const ward_stream_bound *b);

/* From now on the flow's segments go to the callout. 0, or -1 out of
 * memory or when the flow is watched already (a blocked flow's 5-tuple,
 * or a datagram flow's, may be watched again: the old flow is forgotten,
 * a datagram flow ended as closed). */
int ward_stream_watch(ward_stream *s, uint64_t flow, void *user, int64_t now_ms);
/* A segment of a flow; false when the flow is not watched (the caller
 * passes the packet: WARD_SP_PASS). */
bool ward_stream_segment(ward_stream *s, uint64_t flow, const ward_stream_seg *seg, int64_t now_ms);
/* The time bound and idle flows; call about once a second. */
void ward_stream_tick(ward_stream *s, int64_t now_ms);

typedef struct ward_stream_stats {
    uint64_t watching; /* flows now */
    uint64_t held;     /* packets held now */
    uint64_t watched, permitted, blocked, bound_open, bound_closed, closed;
} ward_stream_stats;
void ward_stream_get_stats(const ward_stream *s, ward_stream_stats *out);

#endif
