/*
 * portguard.c — an example callout: refuses clear-text logins.
 *
 * Outbound connections to telnet (23), rlogin (513) and FTP (21) are blocked
 * with veto (no other filter can let them through); connections to POP3 and
 * IMAP without TLS (110, 143) are blocked without veto, so a policy that
 * permits them for one program in a lower sublayer still may. Everything
 * else it leaves to the next filter. It counts the calls per flow in the
 * flow's context, to show the context's life cycle, and says on its stderr
 * (wardd's journal) when filters naming it come and go.
 *
 * Build:  cc -std=c17 -O2 -fPIC -shared -Iinclude -o portguard.so portguard.c
 * Install: install -o root -m 0644 portguard.so /usr/lib/ward/callouts/
 * Use:    filter "no-cleartext" layer outbound weight 50 callout portguard
 */
#include <stdio.h>
#include <stdlib.h>

#include "ward/callout.h"

struct flow_state {
    unsigned calls;
};

static enum ward_callout_verdict classify(const ward_callout_flow *flow,
                                          const ward_callout_data *data, void **flow_ctx)
{
    struct flow_state *st = *flow_ctx;
    if (!st) {
        st = calloc(1, sizeof(*st));
        if (!st)
            return WARD_CALLOUT_BLOCK; /* cannot keep state: fail closed */
        *flow_ctx = st;
    }
    st->calls++;
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

static void notify(enum ward_callout_event ev, uint64_t filter_id, const char *filter_name)
{
    fprintf(stderr, "portguard: filter %llu %s%s%s\n", (unsigned long long)filter_id,
            filter_name ? filter_name : "", filter_name ? " " : "",
            ev == WARD_CALLOUT_FILTER_ADDED ? "added" : "removed");
}

static void flow_delete(uint64_t flow_id, void *flow_ctx)
{
    free(flow_ctx);
}

static const ward_callout portguard = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "portguard",
    .layers = WARD_CALLOUT_L_CONNECT,
    .classify = classify,
    .notify = notify,
    .flow_delete = flow_delete,
};

/* The one symbol wardd looks for (WARD_CALLOUT_ENTRY). */
const ward_callout *ward_callout_entry(void);
const ward_callout *ward_callout_entry(void)
{
    return &portguard;
}
