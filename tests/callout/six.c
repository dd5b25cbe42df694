/*
 * six.c — a test callout: the remote port chooses the result, so a test
 * can ask for each of the six, a crash or a hang.
 *
 *   1001 permit   1002 block   1003 block without veto   1004 continue
 *   1005 need more data        1006 drop connection
 *   1666 crashes the host      1777 hangs (sleeps 30 s)
 *   1888 counts the calls of the flow in its context: block, block, permit
 *   anything else: continue
 *
 * Built twice: six.so, and badabi.so claiming another ABI (SIX_ABI).
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "ward/callout.h"

#ifndef SIX_ABI
#define SIX_ABI WARD_CALLOUT_ABI
#endif
#ifndef SIX_NAME
#define SIX_NAME "six"
#endif

static enum ward_callout_verdict classify(const ward_callout_flow *f, const ward_callout_data *d,
                                          void **ctx)
{
    switch (f->rport) {
    case 1001:
        return WARD_CALLOUT_PERMIT;
    case 1002:
        return WARD_CALLOUT_BLOCK;
    case 1003:
        return WARD_CALLOUT_BLOCK_NO_VETO;
    case 1004:
        return WARD_CALLOUT_CONTINUE;
    case 1005:
        return WARD_CALLOUT_NEED_MORE_DATA;
    case 1006:
        return WARD_CALLOUT_DROP_CONNECTION;
    case 1666:
        raise(SIGSEGV);
        return WARD_CALLOUT_PERMIT;
    case 1777:
        sleep(30);
        return WARD_CALLOUT_PERMIT;
    case 1888: {
        long n = (long)(intptr_t)*ctx + 1;
        *ctx = (void *)(intptr_t)n;
        return n >= 3 ? WARD_CALLOUT_PERMIT : WARD_CALLOUT_BLOCK;
    }
    default:
        return WARD_CALLOUT_CONTINUE;
    }
}

static const ward_callout six = {
    .abi = SIX_ABI,
    .size = sizeof(ward_callout),
    .name = SIX_NAME,
    .layers = WARD_CALLOUT_L_CONNECT | WARD_CALLOUT_L_ACCEPT | WARD_CALLOUT_L_DNS,
    .classify = classify,
};

const ward_callout *ward_callout_entry(void);
const ward_callout *ward_callout_entry(void)
{
    return &six;
}
