/*
 * layout.c — one program's rules as a verdict table, first match first.
 *
 * The engine takes a program's first rule that fully matches; the kernel
 * takes the most specific key (kernel/ward_lookup.h). Laying the rules out
 * in order and skipping every key the entries laid before already answer
 * (by that same lookup) makes the two agree. A permit becomes ALLOW; a block
 * becomes DENY: the hook refuses it at connect/sendmsg with EPERM, except
 * for the host's own addresses, which it knows (map ward_self, kept by
 * wardd) and lets through as the engine's step 3 does, unless the policy
 * says "self-traffic rules". When no rule matches, the classic fallback is
 * the opposite of the last rule: an (ANY, 0) entry (ASK for a fallback that
 * asks). Raw sockets are refused unless raw.c finds their whole protocol
 * allowed.
 *
 * A program stays with wardd (false) when a rule outbound traffic could
 * match needs what the kernel cannot key: time windows, zones, addresses,
 * domains, a once-only or one-process lifetime, protocol 255, port 0, or more than
 * WARD_KC_MAX_PORTS ports; or when its table would exceed
 * WARD_KC_MAX_ENTRIES.
 */
#include <netinet/in.h>
#include <string.h>

#include "compile/internal.h"

static bool expressible(const ward_app_rule *r)
{
    /* Protocol 255 would read as the raw-socket key. A rule for one process
     * (until it exits) or for some of its processes (users, parents) is not
     * the program's: the table is keyed by the executable alone. */
    if (r->n_times || r->n_zones || r->n_addrs || r->n_domains || r->n_users || r->n_parents ||
        r->lifetime.kind == WARD_LIFE_ONCE || r->lifetime.kind == WARD_LIFE_UNTIL_EXIT ||
        r->proto == WARD_KPROTO_RAW)
        return false;
    size_t ports = 0;
    for (size_t i = 0; i < r->n_ports; i++) {
        /* Port 0 is the key for "any port": it cannot name itself. */
        if (r->ports[i].lo == 0 || r->ports[i].hi < r->ports[i].lo || r->ports[i].hi > 65535)
            return false;
        ports += r->ports[i].hi - r->ports[i].lo + 1;
    }
    return ports <= WARD_KC_MAX_PORTS;
}

static bool tcp_or_udp(uint8_t proto)
{
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* First match first: a key is laid only where the kernel would not already
 * answer it from an earlier (broader or equal) key, which is the lookup
 * order itself asked of the entries laid so far. */
static bool covered(const struct kc_table *t, uint8_t dir, uint8_t proto, uint16_t port)
{
    if (kc_table_lookup(t->e, t->n, proto, dir, port, WARD_KV_NONE) != WARD_KV_NONE)
        return true;
    /* An earlier any-protocol rule decides this port for every protocol. */
    if (port && !tcp_or_udp(proto))
        for (size_t i = 0; i < t->n_anyport; i++)
            if (t->anyport[i] == port)
                return true;
    return false;
}

static bool put(struct kc_table *t, uint8_t proto, uint16_t port, uint8_t v, uint64_t rule)
{
    if (covered(t, WARD_KDIR_OUT, proto, port))
        return true;
    if (t->n == WARD_KC_MAX_ENTRIES)
        return false;
    t->e[t->n++] = (ward_kentry){proto, WARD_KDIR_OUT, port, v, (uint32_t)rule};
    return true;
}

/* A key that answers every port of protocols other than TCP and UDP: an
 * earlier any-protocol rule with ports may decide some of them otherwise,
 * and the kernel has no key for "that port, any other protocol": such a
 * key says ASK for the other protocols (wardd decides). */
static bool put_broad(struct kc_table *t, uint8_t proto, uint8_t v, uint64_t rule)
{
    bool differs = false;
    for (size_t i = 0; i < t->n_anyport && !differs; i++)
        differs = t->anyport_v[i] != v;
    if (v != WARD_KV_ASK && differs && !tcp_or_udp(proto)) {
        if (proto == WARD_KPROTO_ANY &&
            (!put(t, IPPROTO_TCP, 0, v, rule) || !put(t, IPPROTO_UDP, 0, v, rule)))
            return false;
        v = WARD_KV_ASK;
    }
    return put(t, proto, 0, v, rule);
}

static bool note_anyport(struct kc_table *t, uint16_t port, uint8_t v)
{
    if (t->n_anyport == WARD_KC_MAX_ENTRIES)
        return false;
    t->anyport_v[t->n_anyport] = v;
    t->anyport[t->n_anyport++] = port;
    return true;
}

/* One outbound rule into the table; false when the table is full. */
static bool lay_out(struct kc_table *t, const ward_app_rule *r, uint64_t id)
{
    uint8_t v = r->action == WARD_ACT_PERMIT ? WARD_KV_ALLOW : WARD_KV_DENY;
    if (!r->n_ports)
        return put_broad(t, r->proto ? r->proto : WARD_KPROTO_ANY, v, id);
    /* "Any protocol, port 53": the ports of TCP and UDP, and a note that the
     * other protocols' broader keys must not contradict it. */
    uint8_t protos[2] = {r->proto, 0};
    size_t n_protos = 1;
    if (r->proto == 0) {
        protos[0] = IPPROTO_TCP;
        protos[1] = IPPROTO_UDP;
        n_protos = 2;
    }
    for (size_t i = 0; i < r->n_ports; i++)
        for (uint32_t port = r->ports[i].lo; port <= r->ports[i].hi; port++) {
            for (size_t p = 0; p < n_protos; p++)
                if (!put(t, protos[p], (uint16_t)port, v, id))
                    return false;
            if (r->proto == 0 && !note_anyport(t, (uint16_t)port, v))
                return false;
        }
    return true;
}

/* An unconnected datagram's mark is read before the sendmsg hook runs, so a
 * datagram socket is judged at creation, without a port: (proto, 0) or
 * (ANY, 0) saying ALLOW there lets every port's first datagram out. Where a
 * port of that protocol is not ALLOW, the protocol's port-less answer must
 * be ASK (the socket is held from birth; a connect to an allowed port
 * releases it). TCP sockets are judged at connect only. */
bool kc_hold_datagrams(struct kc_table *t)
{
    size_t n = t->n;
    for (size_t i = 0; i < n; i++) {
        const ward_kentry *k = &t->e[i];
        if (!k->port || k->proto == IPPROTO_TCP || k->verdict == WARD_KV_ALLOW)
            continue;
        if (kc_table_lookup(t->e, t->n, k->proto, k->dir, 0, WARD_KV_ASK) != WARD_KV_ALLOW)
            continue;
        size_t j = 0;
        while (j < t->n && !(t->e[j].proto == k->proto && t->e[j].dir == k->dir && !t->e[j].port))
            j++;
        if (j == t->n) {
            if (t->n == WARD_KC_MAX_ENTRIES)
                return false;
            t->e[t->n++] = (ward_kentry){k->proto, k->dir, 0, WARD_KV_ASK, k->rule};
        } else {
            t->e[j].verdict = WARD_KV_ASK;
        }
    }
    return true;
}

static bool timed_out(const ward_lifetime *l, int64_t now)
{
    return l->kind == WARD_LIFE_TIMED && now >= l->expires;
}

bool kc_layout_app(const ward_engine *e, const ward_app_info *a, int64_t now, struct kc_table *t)
{
    t->n = 0;
    t->n_anyport = 0;
    bool any = false;
    enum ward_action last = WARD_ACT_PERMIT;
    uint64_t last_id = 0;
    for (size_t i = 0; i < a->n_rules; i++) {
        ward_app_rule r;
        uint64_t id;
        if (ward_app_rule_at(e, a->id, i, &id, &r) < 0)
            return false;
        if (timed_out(&r.lifetime, now))
            continue; /* the engine skips it too, and it is not the last rule */
        any = true;
        last = r.action;
        last_id = id;
        /* The kernel keys outbound verdicts only; inbound is queued to wardd
         * (an inbound rule never matches outbound traffic). */
        if (r.dir == WARD_DIR_IN)
            continue;
        if (!expressible(&r) || !lay_out(t, &r, id))
            return false;
    }
    if (!any)
        return false; /* no rules: the engine asks, and so does the default */
    /* No rule matched: the classic fallback is the opposite of the last
     * rule. Explicit even when it asks, so the table does not depend on the
     * configured default. */
    bool allows = a->fallback == WARD_FALLBACK_PERMIT ||
                  (a->fallback == WARD_FALLBACK_OPPOSITE && last == WARD_ACT_BLOCK);
    uint8_t fb = allows                             ? WARD_KV_ALLOW
                 : a->fallback == WARD_FALLBACK_ASK ? WARD_KV_ASK
                                                    : WARD_KV_DENY;
    if (!put_broad(t, WARD_KPROTO_ANY, fb, last_id))
        return false;
    /* Raw sockets are refused (the hook refuses anything but ALLOW) unless
     * raw.c lays their protocol's own entry, instead of falling through to
     * an (ANY, 0) allow and sending what the port rules refuse. */
    if (t->n == WARD_KC_MAX_ENTRIES)
        return false;
    t->e[t->n++] = (ward_kentry){WARD_KPROTO_RAW, WARD_KDIR_OUT, 0, WARD_KV_ASK, 0};
    return kc_hold_datagrams(t);
}
