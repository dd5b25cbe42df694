/*
 * ids/ids.h — intrusion detection: a subset of the Suricata/Snort rule
 * language (docs/IDS.md), matched through a Hyperscan prefilter and then
 * confirmed option by option.
 *
 * A rule set is loaded all or nothing: one bad rule (reported as
 * "name:line:col: error: option 'x': ...") and no set is returned. A loaded
 * set is read-only except for its threshold counters, so one inspector
 * thread owns it; a new set replaces it whole.
 *
 * Flows: the caller keeps one ward_ids_flow per connection (flowbits, the
 * rules that already fired, the two reassembled TCP streams) and hands it
 * every packet. For TCP the bytes are reassembled first (ids/reasm.h) and
 * the rules see each direction's stream from its start; UDP, ICMP and other
 * IP packets are inspected one by one.
 */
#ifndef WARD_IDS_H
#define WARD_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ids/reasm.h"

typedef struct ward_ids ward_ids;
typedef struct ward_ids_flow ward_ids_flow;

/* In the order of strength a packet's result takes: a pass rule that
 * matches wins over everything (the flow is no longer inspected). */
enum ward_ids_action {
    WARD_IDS_NONE,
    WARD_IDS_ALERT,
    WARD_IDS_DROP,
    WARD_IDS_REJECT,
    WARD_IDS_PASS,
};

ward_ids *ward_ids_load_text(const char *name, const char *text, size_t len, char *err,
                             size_t errlen);
/* The same for a file (at most 64 MiB). */
ward_ids *ward_ids_load_file(const char *path, char *err, size_t errlen);
/* Whether the matcher's library (Hyperscan, loaded on first use) can be
 * loaded now; if not, why in err (may be NULL). */
bool ward_ids_engine_ready(char *err, size_t errlen);
void ward_ids_free(ward_ids *ids);
size_t ward_ids_count(const ward_ids *ids);

/* One flow as the inspector sees it. Addresses are 16 bytes, IPv4 mapped
 * (::ffff:a.b.c.d); the client is the side that opened the flow. */
struct ward_ids_tuple {
    uint8_t proto; /* IP protocol: 6 tcp, 17 udp, 1/58 icmp, other: ip */
    uint8_t client[16], server[16];
    uint16_t client_port, server_port;
};

/* bound: the reassembly bounds (per flow direction, per host); host: the
 * counter of the client's host, shared by its flows (may be NULL).
 * program: the executable's path, or NULL when not known. */
ward_ids_flow *ward_ids_flow_new(const struct ward_ids_tuple *t, const char *program,
                                 size_t flow_max, struct ward_reasm_host *host);
void ward_ids_flow_free(ward_ids_flow *f);

/* One packet of a flow. For TCP, seq is the segment's sequence number and
 * syn says it opens its direction's stream (data starts at seq + 1). */
struct ward_ids_pkt {
    bool to_server;
    bool established; /* the handshake completed (TCP); any reply seen (others) */
    bool syn;
    uint32_t seq;
    const uint8_t *data;
    size_t len;
};

struct ward_ids_alert {
    uint32_t sid, rev, priority;
    enum ward_ids_action action;
    const char *msg;       /* never NULL */
    const char *classtype; /* NULL: none */
};

typedef void (*ward_ids_alert_fn)(const struct ward_ids_alert *a, void *ctx);

/* Inspects one packet at time now (seconds, for threshold). Each rule that
 * matches and is not held back by its threshold or flowbits noalert is
 * reported through fn. On TCP a rule fires at most once per stream
 * direction; on other protocols once per packet. Returns the strongest
 * action (reject over drop over alert; a matching pass rule reports
 * nothing and ends the flow's inspection). Bytes the reassembler had no
 * room for are counted in ward_ids_flow_lost(). */
enum ward_ids_action ward_ids_inspect(ward_ids *ids, ward_ids_flow *f, const struct ward_ids_pkt *p,
                                      uint64_t now, ward_ids_alert_fn fn, void *ctx);
/* Bytes not inspected because a bound was reached. */
uint64_t ward_ids_flow_lost(const ward_ids_flow *f);
/* Whether nothing more of the flow will be inspected: a pass rule
 * matched, or one direction reached its bound (the inspection depth). */
bool ward_ids_flow_done(const ward_ids_flow *f);

const char *ward_ids_action_name(enum ward_ids_action a);

#endif
