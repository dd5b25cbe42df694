/*
 * ids/reasm.h — TCP reassembly for one direction of a flow.
 *
 * Segments are put in sequence order; the stream's bytes from its first
 * byte are kept in one buffer that grows as the holes close, so a match
 * split across segments, or arriving out of order, is a match in the
 * buffer. Two bounds keep a flow or a host from taking the memory: at most
 * flow_max bytes of a stream are kept (later bytes are not inspected, as
 * with Suricata's reassembly depth), and a host's streams together hold at
 * most host->max bytes (in order and waiting). Bytes past a bound are
 * counted as lost. With no depth (flow_max SIZE_MAX) the buffer is a
 * window instead: ward_reasm_slide lets its oldest bytes go, and offsets
 * are 64-bit (sequence numbers extended as they wrap).
 *
 * Overlaps: the first copy wins. A byte, once received (in order or
 * waiting), is never replaced by a later segment that covers it again with
 * other contents; only the bytes the new segment adds are taken. (This is
 * the policy of BSD and of Windows for the common case; a rewritten
 * retransmission cannot change what the rules already saw.)
 */
#ifndef WARD_IDS_REASM_H
#define WARD_IDS_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes held by one host's streams; shared by all of them. */
struct ward_reasm_host {
    size_t held, max;
};

struct ward_reasm_seg;

struct ward_reasm {
    bool started;
    uint32_t isn;    /* sequence number of stream byte 0 */
    uint64_t base;   /* stream offset of buf[0]: bytes before it were let go */
    uint8_t *buf;    /* stream bytes [base, base + len) in order */
    size_t len, cap; /* cap: allocated */
    size_t flow_max;
    struct ward_reasm_seg *wait; /* out-of-order segments, sorted, disjoint */
    size_t wait_bytes;
    uint64_t lost;
    struct ward_reasm_host *host; /* NULL: no host bound */
};

void ward_reasm_init(struct ward_reasm *r, size_t flow_max, struct ward_reasm_host *host);
/* Releases the buffers and gives the host its bytes back. */
void ward_reasm_release(struct ward_reasm *r);
/* Fixes the stream's start: its first data byte has sequence number isn
 * (the SYN's + 1). Without it, the first segment seen starts the stream. */
void ward_reasm_start(struct ward_reasm *r, uint32_t isn);
/* Adds a segment. Returns the number of stream bytes that became
 * contiguous (0: nothing new in order), or -1 when out of memory. */
long ward_reasm_add(struct ward_reasm *r, uint32_t seq, const uint8_t *data, size_t len);
/* Whether the stream's bound has been reached (nothing more is kept). */
bool ward_reasm_full(const struct ward_reasm *r);
/* Lets all but the last keep bytes of the buffer go (they were inspected):
 * base moves on, the host gets them back. */
void ward_reasm_slide(struct ward_reasm *r, size_t keep);

#endif
