/*
 * kernel/dns.h — a pure DNS message parser (RFC 1035) and the table of
 * outstanding queries. No system calls, no global state: fuzzed by
 * tests/fuzz/fuzz_dns.c.
 */
#ifndef WARD_KERNEL_DNS_H
#define WARD_KERNEL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WARD_DNS_NAME_MAX 256 /* a name is at most 253 characters + NUL */
#define WARD_DNS_MAX_RR   32  /* answers kept per message */

enum { WARD_DNS_A = 1, WARD_DNS_CNAME = 5, WARD_DNS_AAAA = 28 };

typedef struct ward_dns_rr {
    char name[WARD_DNS_NAME_MAX]; /* owner, lower case, no trailing dot */
    uint16_t type, klass;
    uint32_t ttl;
    uint8_t addr[16];               /* A: IPv4-mapped; AAAA: as is */
    char target[WARD_DNS_NAME_MAX]; /* CNAME */
} ward_dns_rr;

typedef struct ward_dns_msg {
    uint16_t id;
    bool response;
    uint8_t opcode, rcode;
    uint16_t qdcount, ancount;
    char qname[WARD_DNS_NAME_MAX]; /* the first question */
    uint16_t qtype, qclass;
    size_t nrr; /* answers of type A, AAAA, CNAME kept (at most WARD_DNS_MAX_RR) */
    ward_dns_rr rr[WARD_DNS_MAX_RR];
} ward_dns_msg;

/* Parse a DNS message (UDP payload). 0, or -1 when it is malformed. */
int ward_dns_parse(const uint8_t *p, size_t len, ward_dns_msg *m);

/* Parse a DNS message sent over TCP (RFC 1035 4.2.2): a segment payload
 * opening with the 2-byte length and holding the whole message. A message
 * split over segments is not read (-1): its names are not learnt. */
int ward_dns_parse_tcp(const uint8_t *p, size_t len, ward_dns_msg *m);

/* Does name equal pattern, or (pattern "*.example.com") lie below it? */
bool ward_dns_name_match(const char *pattern, const char *name);

/* Follow CNAMEs from the question: true when rr i answers it. */
bool ward_dns_answers_question(const ward_dns_msg *m, size_t i);

/* Outstanding queries: an answer is trusted only if it matches one (same
 * id, same endpoints swapped, same question) seen within the timeout. A
 * query sent to a multicast group (mDNS, LLMNR) is answered from the
 * responder's own address: any server address matches it, the port must. */
#define WARD_DNS_PENDING 1024
typedef struct ward_dns_query {
    uint16_t id;
    uint16_t cport, sport; /* client port, server port */
    uint8_t client[16], server[16];
    char qname[WARD_DNS_NAME_MAX];
    uint16_t qtype;
    int64_t when_ms; /* 0: free slot */
    /* Who sent the query, when known: the answer is told to it. */
    bool attributed;
    uint64_t exe_dev, exe_ino;
    uint32_t pid, uid;
} ward_dns_query;

typedef struct ward_dns_pending {
    ward_dns_query q[WARD_DNS_PENDING];
    uint32_t next;
    int64_t timeout_ms;
} ward_dns_pending;

void ward_dns_pending_init(ward_dns_pending *t, int64_t timeout_ms);
void ward_dns_pending_add(ward_dns_pending *t, const ward_dns_query *q, int64_t now_ms);
/* Find and remove the query an answer belongs to; true if found. */
bool ward_dns_pending_take(ward_dns_pending *t, const ward_dns_query *answer, int64_t now_ms);
/* The same, copying the query as it was recorded to *found. */
bool ward_dns_pending_take_query(ward_dns_pending *t, const ward_dns_query *answer, int64_t now_ms,
                                 ward_dns_query *found);

/* A reply to the (first) question of msg, a query or an answer, written to
 * out: "no such name" (NXDOMAIN), or with zero the unspecified address
 * (0.0.0.0 for A, :: for AAAA; no data for other types). Its length, or 0
 * when msg has no readable question or out is too small. */
size_t ward_dns_block_reply(const uint8_t *msg, size_t len, bool zero, uint8_t *out, size_t cap);

#endif /* WARD_KERNEL_DNS_H */
