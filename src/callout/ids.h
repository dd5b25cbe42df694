/*
 * callout/ids.h — the built-in callout "ids" (stream and packet layers):
 * the flows a filter sends to it (`filter ... callout ids`) are inspected by
 * the intrusion detection rules in force (src/ids, docs/IDS.md): a TCP
 * flow's reassembled streams, other protocols packet by packet (a drop
 * rule drops the packet, reject answers it with an ICMP error; the flow's
 * other packets are inspected as before).
 *
 * Answers: a drop rule blocks (the packet that completed the match is held
 * and dropped, the connection reset: the receiver never gets the offending
 * bytes whole); reject drops the connection the same way; alert and no
 * match continue (the bytes go on, the flow stays watched); a pass rule,
 * or one direction inspected to its depth (WARD_IDS_FLOW_MAX), permits:
 * the flow leaves the stream layer, its later packets stay in the kernel. With no rules in force
 * every flow is permitted.
 */
#ifndef WARD_CALLOUT_IDS_H
#define WARD_CALLOUT_IDS_H

#include <stdint.h>

#include "ids/ids.h"
#include "ward/callout.h"

#define WARD_IDS_FLOW_MAX (1u << 20)  /* the depth: bytes inspected per flow direction */
#define WARD_IDS_HOST_MAX (64u << 20) /* bytes held per remote host */

extern const ward_callout ward_ids_callout;

/* Told of every alert (also of drop and reject rules) with the flow. */
typedef void (*ward_ids_alert_sink)(void *ctx, const ward_callout_flow *flow,
                                    const struct ward_ids_alert *a);
/* The set the callout uses from its next call on (NULL: none), and where
 * its alerts go. The set stays the caller's. */
void ward_ids_callout_use(ward_ids *set, ward_ids_alert_sink sink, void *ctx);

typedef struct ward_ids_callout_stats {
    uint64_t flows;    /* flows inspected */
    uint64_t alerts;   /* alerts raised (drop and reject included) */
    uint64_t blocks;   /* flows reset by drop or reject rules */
    uint64_t lost;     /* bytes not inspected: a bound was reached */
    uint64_t bypassed; /* flows let go at the depth: they left the stream queue */
} ward_ids_callout_stats;
void ward_ids_callout_stats_get(ward_ids_callout_stats *out);

#endif
