/*
 * proto/stats.h — the traffic messages of the control protocol
 * (docs/PROTOCOL.md, "stats.query" and "conns.list"): totals per program
 * or per remote over a time range, and the connections open now. Included
 * by proto/proto.h; their codec is proto/stats.c.
 */
#ifndef WARD_PROTO_STATS_H
#define WARD_PROTO_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/engine.h"
#include "ward/event.h"

enum ward_stats_by {
    WARD_STATS_BY_PROGRAM, /* one row per program */
    WARD_STATS_BY_REMOTE,  /* one row per program and remote address */
};

/* stats.query. Strings owned by the message. */
typedef struct ward_stats_query {
    enum ward_stats_by by;
    int64_t since, until; /* unix seconds; 0: unbounded; until exclusive */
    char *program;        /* exact path; NULL: all */
    uint32_t limit;       /* 0: 1000; at most 100000 */
    bool has_uid;         /* set by the server for non-admin peers (not on the wire) */
    uint32_t uid;
} ward_stats_query;

typedef struct ward_stats_row {
    char program[WARD_EVENT_EXE_MAX];
    char remote[WARD_IP_STRLEN];        /* by remote only */
    char domain[WARD_EVENT_DOMAIN_MAX]; /* by remote, when known */
    uint64_t bytes_in, bytes_out;       /* IP packets, headers included */
    uint64_t packets_in, packets_out;
    uint64_t conns; /* connections (sockets) first seen in the range */
} ward_stats_row;

/* One open connection (conns.reply). */
typedef struct ward_conn_info {
    uint64_t cookie; /* the kernel's socket cookie */
    char program[WARD_EVENT_EXE_MAX];
    uint32_t pid, uid;
    uint8_t proto;
    enum ward_direction dir; /* out: it connected or sent first; in: accepted */
    ward_ip laddr, raddr;
    uint16_t lport, rport;
    char domain[WARD_EVENT_DOMAIN_MAX];
    enum ward_verdict verdict;
    uint64_t bytes_in, bytes_out, packets_in, packets_out;
    uint64_t rate_in, rate_out; /* bytes per second over the last second */
    int64_t since;              /* unix seconds: first seen */
} ward_conn_info;

/* One program's rate limit and quota (limits.reply). */
typedef struct ward_limit_row {
    char program[WARD_EVENT_EXE_MAX];
    uint64_t rate_bits;   /* bits a second; 0: no rate limit */
    uint64_t quota;       /* bytes a period; 0: no quota */
    uint8_t period;       /* 1 day, 2 week, 3 month (enum ward_quota_period) */
    bool quota_alert;     /* `then alert` */
    bool enforced;        /* the kernel has it */
    bool exhausted;       /* used >= quota */
    int64_t period_start; /* unix seconds */
    uint64_t used;        /* bytes of the period, in and out */
    uint64_t dropped;     /* packets dropped by the rate (since the entry was written) */
    uint64_t refused;     /* packets and connects refused by the quota (likewise) */
} ward_limit_row;

struct json_object;
union ward_msg_body;

/* The codec of these messages, for proto/codec.c: whether type t is one of
 * them, its members, its body to and from JSON, and what it owns. */
struct ward_msg;
const char *const *ward_proto_stats_keys(int t); /* NULL: not one of these */
int ward_proto_stats_encode(struct json_object *o, const struct ward_msg *m); /* -1: no wire form */
/* 0, or a ward_proto_err with a message in err. */
int ward_proto_stats_decode(struct json_object *o, struct ward_msg *m, char *err, size_t errlen);
void ward_proto_stats_free(struct ward_msg *m);

#endif
