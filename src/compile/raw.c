/*
 * raw.c — raw sockets of the protocols a program may send everywhere.
 *
 * A raw socket of protocol P sends P to any address, and its packets meet
 * no port rule (an ICMP socket's are judged by type at egress, but a raw
 * TCP socket's are not judged at all). So it is allowed only where the
 * whole protocol is: the table's (P, any port) answer is ALLOW and no entry
 * of P (a port, or a filter's reach) says otherwise. Then the table gets a
 * (P, WARD_KDIR_RAW, 0) ALLOW entry, which the socket-creation hook reads
 * (kernel/ward_lookup.h); every other raw socket falls to the raw key,
 * which asks, and is refused. Laid after the filters, which may turn keys
 * to ASK.
 */
#include <netinet/in.h>

#include "compile/internal.h"

/* Does every entry of proto allow (and is there a port-less one)? */
static bool whole_protocol_allowed(const struct kc_table *t, uint8_t proto)
{
    if (kc_table_lookup(t->e, t->n, proto, WARD_KDIR_OUT, 0, WARD_KV_NONE) != WARD_KV_ALLOW)
        return false;
    bool own = false;
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].dir != WARD_KDIR_OUT || t->e[i].proto != proto)
            continue;
        if (t->e[i].verdict != WARD_KV_ALLOW)
            return false;
        own = own || !t->e[i].port;
    }
    return own; /* named by a rule, not reached through "any protocol" */
}

void kc_raw_entries(struct kc_table *t)
{
    size_t n = t->n;
    for (size_t i = 0; i < n && t->n < WARD_KC_MAX_ENTRIES; i++) {
        const ward_kentry *k = &t->e[i];
        if (k->dir != WARD_KDIR_OUT || k->port || k->proto == WARD_KPROTO_ANY ||
            k->proto == WARD_KPROTO_RAW || !whole_protocol_allowed(t, k->proto))
            continue;
        t->e[t->n++] = (ward_kentry){k->proto, WARD_KDIR_RAW, 0, WARD_KV_ALLOW, k->rule};
    }
}
