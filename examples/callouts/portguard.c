/*
 * portguard.c — an example callout: refuses clear-text logins.
 *
 * Outbound connections to telnet (23), rlogin (513) and FTP (21) are blocked
 * with veto (no other filter can let them through); connections to POP3 and
 * IMAP without TLS (110, 143) are blocked without veto, so a policy that
 * permits them for one program in a lower sublayer still may. Everything
 * else it leaves to the next filter. Its answers depend on the metadata
 * alone, so it marks them WARD_CALLOUT_F_CACHE: wardd answers the next
 * connections of the same program to the same address and port without a
 * call to its host process. It keeps no per-flow context, and says on its
 * stderr (wardd's journal) when filters naming it come and go.
 *
 * Build:  cc -std=c17 -O2 -fPIC -shared -Iinclude -o portguard.so portguard.c
 * Install: install -o root -m 0644 portguard.so /usr/lib/ward/callouts/
 * Use:    filter "no-cleartext" layer outbound weight 50 callout portguard
 */
#include <stdio.h>

#include "ward/callout.h"

static enum ward_callout_verdict decide(const ward_callout_flow *flow)
{
    if (flow->proto != 6)
        return WARD_CALLOUT_CONTINUE;
    switch (flow->rport) {
    case 21:
    case 23:
    case 513:
        return WARD_CALLOUT_BLOCK;
    case 110:
    case 143:
        return WARD_CALLOUT_BLOCK_NO_VETO;
    default:
        return WARD_CALLOUT_CONTINUE;
    }
}

static enum ward_callout_verdict classify(const ward_callout_flow *flow,
                                          const ward_callout_data *data, void **flow_ctx)
{
    (void)data;
    (void)flow_ctx;
    /* The same metadata gets the same answer: wardd may keep it. */
    return decide(flow) | WARD_CALLOUT_F_CACHE;
}

static void notify(enum ward_callout_event ev, uint64_t filter_id, const char *filter_name)
{
    fprintf(stderr, "portguard: filter %llu %s%s%s\n", (unsigned long long)filter_id,
            filter_name ? filter_name : "", filter_name ? " " : "",
            ev == WARD_CALLOUT_FILTER_ADDED ? "added" : "removed");
}

static const ward_callout portguard = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "portguard",
    .layers = WARD_CALLOUT_L_CONNECT,
    .classify = classify,
    .notify = notify,
};

/* The one symbol wardd looks for (WARD_CALLOUT_ENTRY). */
const ward_callout *ward_callout_entry(void);
const ward_callout *ward_callout_entry(void)
{
    return &portguard;
}
