/*
 * fuzz_dns — libFuzzer target for the DNS parser and the outstanding-query
 * table (src/kernel/dns.c), which see attacker-controlled packets, UDP
 * datagrams and TCP segments alike.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ward_dns_msg m;
    static ward_dns_pending t;
    static int init;
    if (!init) {
        ward_dns_pending_init(&t, 5000);
        init = 1;
    }
    /* The same bytes as a TCP segment: a length prefix, then a message. */
    if (!ward_dns_parse_tcp(data, size, &m) && (size < 14 || strlen(m.qname) >= WARD_DNS_NAME_MAX))
        __builtin_trap();
    if (ward_dns_parse(data, size, &m))
        return 0;
    /* Names are NUL-terminated and within bounds. */
    if (strlen(m.qname) >= WARD_DNS_NAME_MAX)
        __builtin_trap();
    for (size_t i = 0; i < m.nrr; i++) {
        if (strlen(m.rr[i].name) >= WARD_DNS_NAME_MAX ||
            strlen(m.rr[i].target) >= WARD_DNS_NAME_MAX)
            __builtin_trap();
        (void)ward_dns_answers_question(&m, i);
        (void)ward_dns_name_match("*.example.com", m.rr[i].name);
    }
    ward_dns_query q;
    memset(&q, 0, sizeof(q));
    q.id = m.id;
    q.qtype = m.qtype;
    memcpy(q.qname, m.qname, sizeof(q.qname));
    if (m.response) {
        if (ward_dns_pending_take(&t, &q, 1000))
            return 0;
    } else {
        ward_dns_pending_add(&t, &q, 1000);
    }
    return 0;
}
