/*
 * streamer.c — a test callout of the stream layer: named by an outbound
 * filter, it gets the TCP flow's payload and decides on the request line of
 * the bytes the local side sent (an HTTP request):
 *
 *   /allow   permit                 /deny    block
 *   /wait    need more data, always (the bound decides)
 *   other    need more data until the request's head is complete (an
 *            empty line), then permit when it names its path whole
 *            (GET /split HTTP: sent in two pieces, seen as one)
 *
 * Bytes of the other side: continue. It counts its calls per flow in the
 * flow's context, and says on stderr (wardd's) when a flow is deleted.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/callout.h"

static bool has(const ward_callout_data *d, const char *s)
{
    return memmem(d->bytes, d->len, s, strlen(s)) != NULL;
}

static enum ward_callout_verdict classify(const ward_callout_flow *f, const ward_callout_data *d,
                                          void **ctx)
{
    *ctx = (void *)((uintptr_t)*ctx + 1);
    if (d->dir != 0)
        return WARD_CALLOUT_CONTINUE;
    if (has(d, " /allow "))
        return WARD_CALLOUT_PERMIT;
    if (has(d, " /deny "))
        return WARD_CALLOUT_BLOCK;
    if (has(d, " /wait "))
        return WARD_CALLOUT_NEED_MORE_DATA;
    if (!has(d, "\r\n\r\n"))
        return WARD_CALLOUT_NEED_MORE_DATA;
    return has(d, "GET /split HTTP") ? WARD_CALLOUT_PERMIT : WARD_CALLOUT_BLOCK;
}

static void flow_delete(uint64_t id, void *ctx)
{
    fprintf(stderr, "streamer: flow_delete %016" PRIx64 " after %" PRIuPTR " calls\n", id,
            (uintptr_t)ctx);
}

static const ward_callout streamer = {
    .abi = WARD_CALLOUT_ABI,
    .size = sizeof(ward_callout),
    .name = "streamer",
    .layers = WARD_CALLOUT_L_STREAM,
    .classify = classify,
    .flow_delete = flow_delete,
};

const ward_callout *ward_callout_entry(void);
const ward_callout *ward_callout_entry(void)
{
    return &streamer;
}
