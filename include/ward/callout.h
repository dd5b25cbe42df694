/*
 * ward/callout.h — the callout API: code a filter hands its decision to.
 *
 * A callout is a name, the layers it serves and three functions:
 *   classify     the flow's metadata and the layer's data in, one of the six
 *                results out;
 *   notify       a filter naming the callout was added or removed;
 *   flow_delete  a flow the callout kept a context for has ended.
 *
 * Callouts are built into wardd, or shared objects in a root-owned directory
 * (default /usr/lib/ward/callouts, one callout per NAME.so). A shared object
 * exports one function, named by WARD_CALLOUT_ENTRY, returning its
 * descriptor; wardd refuses it unless `abi` is WARD_CALLOUT_ABI and `size`
 * is at least the size of the version-1 descriptor. Shared objects run in a
 * separate unprivileged process (ward-callout-host) with a time budget per
 * call: a callout that crashes or hangs costs its own flows the policy's
 * failure outcome, never wardd. docs/ENGINE.md has a complete example.
 *
 * Versioning: new members are only ever added at the end of a struct, and
 * WARD_CALLOUT_ABI changes only when an existing member changes meaning.
 */
#ifndef WARD_CALLOUT_H
#define WARD_CALLOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_CALLOUT_ABI 1u
#define WARD_CALLOUT_ABI_MINOR                                                                     \
    2u /* 1: the stream layer's dir, flags and offset;                                             \
        * 2: the packet layer and WARD_CALLOUT_F_CACHE */
#define WARD_CALLOUT_ENTRY "ward_callout_entry"

/* The six results. */
enum ward_callout_verdict {
    WARD_CALLOUT_PERMIT = 0,
    WARD_CALLOUT_BLOCK = 1,           /* with veto: final, overturns even a hard permit */
    WARD_CALLOUT_BLOCK_NO_VETO = 2,   /* an ordinary block: a lower permit may override it
                                         unless the filter is hard */
    WARD_CALLOUT_CONTINUE = 3,        /* no opinion: the next filter decides */
    WARD_CALLOUT_NEED_MORE_DATA = 4,  /* hold the flow until more of it is seen */
    WARD_CALLOUT_DROP_CONNECTION = 5, /* block and tear the connection down: final */
};

/* Minor 2: OR'd into classify's result on the connect or accept layer,
 * "this answer holds for every flow with the same metadata but its id, pid
 * and the ephemeral port" (the layer, direction, protocol, addresses, the
 * service's port — remote on connect, local on accept —, uid, program and
 * name). wardd then answers such flows itself, without a
 * call, for WARD_CALLOUT_CACHE_S seconds or until a filter naming the
 * callout is added or removed. For a callout whose answers depend on the
 * metadata alone: it is the way to make a shared object cost next to
 * nothing per connection (its call is a round trip to its host process).
 * Such flows get no context and no flow_delete. A wardd before minor 2
 * takes the flag for nonsense (the call fails). */
#define WARD_CALLOUT_F_CACHE 0x100
#define WARD_CALLOUT_CACHE_S 60

/* The layers a callout serves: a bit mask. */
enum ward_callout_layer {
    WARD_CALLOUT_L_CONNECT = 1u << 0, /* connect-out: the metadata */
    WARD_CALLOUT_L_ACCEPT = 1u << 1,  /* accept-in: the metadata */
    WARD_CALLOUT_L_STREAM = 1u << 2,  /* payload bytes of a flow a filter sends here */
    WARD_CALLOUT_L_DNS = 1u << 3,     /* a name lookup: question and answers */
    WARD_CALLOUT_L_PACKET = 1u << 4,  /* payload of each packet of a UDP, ICMP or
                                         other IP flow a filter sends here */
};

/* What is known of the flow. Addresses are 16 bytes, IPv4 mapped
 * (::ffff:a.b.c.d). Strings may be NULL when not known. */
typedef struct ward_callout_flow {
    uint64_t id;    /* the same for every call about one flow */
    uint32_t layer; /* one enum ward_callout_layer bit */
    uint8_t dir;    /* 0 out, 1 in */
    uint8_t proto;  /* IP protocol */
    uint16_t lport, rport;
    uint8_t local[16], remote[16];
    uint32_t pid, uid;  /* 0 / UINT32_MAX when not known */
    const char *app;    /* program path */
    const char *domain; /* remote name (dns: the question) */
} ward_callout_flow;

/* Stream flags (ward_callout_data.flags). */
#define WARD_CALLOUT_SF_FIN 1u /* the sender of these bytes has closed its side */

/* The layer's data. */
typedef struct ward_callout_data {
    /* stream: in-order bytes of one direction of the flow, from stream
     * offset `offset` (0 until the callout answered continue once: then
     * only the bytes after those it let pass). */
    const uint8_t *bytes;
    size_t len;
    /* dns: the question and its answers (addresses as above). */
    const char *qname;
    uint16_t qtype;
    size_t n_answers;
    const uint8_t (*answers)[16];
    /* Minor 1, stream layer only (a wardd before minor 1 never calls the
     * stream layer, so a callout reads these only there). The packet layer
     * (minor 2) has one packet's payload in bytes/len, and dir; offset 0. */
    uint8_t dir;     /* who sent the bytes: 0 the local side, 1 the remote */
    uint32_t flags;  /* WARD_CALLOUT_SF_* */
    uint64_t offset; /* stream offset of bytes[0] in this direction */
} ward_callout_data;

enum ward_callout_event {
    WARD_CALLOUT_FILTER_ADDED = 1,
    WARD_CALLOUT_FILTER_REMOVED = 2,
};

typedef struct ward_callout {
    uint32_t abi;  /* WARD_CALLOUT_ABI */
    uint32_t size; /* sizeof(ward_callout) as the callout was built */
    const char *name;
    uint32_t layers; /* enum ward_callout_layer bits */
    /* *flow_ctx is the callout's per-flow context: NULL on a flow's first
     * call, then what the callout left there. */
    enum ward_callout_verdict (*classify)(const ward_callout_flow *flow,
                                          const ward_callout_data *data, void **flow_ctx);
    /* Optional (NULL): told of filters naming the callout. */
    void (*notify)(enum ward_callout_event ev, uint64_t filter_id, const char *filter_name);
    /* Optional (NULL): the flow ended; free what flow_ctx holds. */
    void (*flow_delete)(uint64_t flow_id, void *flow_ctx);
} ward_callout;

/* What a shared object exports (WARD_CALLOUT_ENTRY). */
typedef const ward_callout *(*ward_callout_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif /* WARD_CALLOUT_H */
