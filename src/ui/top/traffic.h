/*
 * ui/top/traffic.h — the traffic accounting replies as ward top reads them
 * (`stats.reply`, `conns.reply`, or an error for either): plain data, parsed
 * from one JSON line apart from the protocol's codec, so that this and
 * traffic_parse.c are all that knows their shape. Fuzzed by
 * tests/fuzz/fuzz_top_traffic.c.
 */
#ifndef WARD_TOP_TRAFFIC_H
#define WARD_TOP_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/event.h"

/* An open connection as `conns.list` tells it. */
struct top_conn {
    uint64_t cookie;
    char program[WARD_EVENT_EXE_MAX];
    uint32_t pid, uid;
    uint8_t proto;
    char dir[8];
    char laddr[WARD_IP_STRLEN], raddr[WARD_IP_STRLEN];
    uint16_t lport, rport;
    char domain[WARD_EVENT_DOMAIN_MAX];
    char verdict[16];
    uint64_t bytes_in, bytes_out;
    double rate_in, rate_out;
    int64_t since;
};

/* A program's totals as `stats.query` by program tells them. */
struct top_stat {
    char program[WARD_EVENT_EXE_MAX];
    uint64_t bytes_in, bytes_out, conns;
};

enum traffic_kind { TRAFFIC_OTHER, TRAFFIC_STATS, TRAFFIC_CONNS, TRAFFIC_ERROR };

struct traffic_reply {
    enum traffic_kind kind;
    int64_t id; /* the request's: which one an error is about */
    bool more;  /* more parts of this reply follow */
    struct top_stat *stats;
    size_t n_stats;
    struct top_conn *conns;
    size_t n_conns;
};

/* Parses one reply line. 0 with *out filled (kind TRAFFIC_OTHER for what is
 * neither), -1 when the line is not a JSON object or memory ran out. */
int traffic_parse(const char *line, struct traffic_reply *out);
void traffic_reply_free(struct traffic_reply *r);

#endif
