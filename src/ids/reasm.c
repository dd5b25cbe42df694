/*
 * reasm.c — TCP reassembly of one direction (see reasm.h): an in-order
 * buffer and a sorted list of disjoint waiting segments; a new segment
 * fills only the gaps, so the first copy of a byte wins.
 */
#include <stdlib.h>
#include <string.h>

#include "ids/reasm.h"

struct ward_reasm_seg {
    struct ward_reasm_seg *next;
    uint64_t off; /* stream offset */
    size_t len;
    uint8_t data[];
};

void ward_reasm_init(struct ward_reasm *r, size_t flow_max, struct ward_reasm_host *host)
{
    memset(r, 0, sizeof(*r));
    r->flow_max = flow_max;
    r->host = host;
}

void ward_reasm_release(struct ward_reasm *r)
{
    struct ward_reasm_seg *s = r->wait;
    while (s) {
        struct ward_reasm_seg *n = s->next;
        free(s);
        s = n;
    }
    if (r->host)
        r->host->held -= r->len + r->wait_bytes;
    free(r->buf);
    r->buf = NULL;
    r->wait = NULL;
    r->len = r->cap = r->wait_bytes = 0;
}

void ward_reasm_start(struct ward_reasm *r, uint32_t isn)
{
    if (r->started)
        return;
    r->started = true;
    r->isn = isn;
}

bool ward_reasm_full(const struct ward_reasm *r)
{
    return r->base + r->len >= r->flow_max;
}

void ward_reasm_slide(struct ward_reasm *r, size_t keep)
{
    if (r->len <= keep)
        return;
    size_t drop = r->len - keep;
    memmove(r->buf, r->buf + drop, keep);
    r->len = keep;
    r->base += drop;
    if (r->host)
        r->host->held -= drop;
}

/* Takes n more bytes from the host's budget; false: over it. */
static bool host_take(struct ward_reasm *r, size_t n)
{
    if (!r->host)
        return true;
    if (r->host->held + n > r->host->max)
        return false;
    r->host->held += n;
    return true;
}

/* A waiting segment for stream bytes [off, off + n) of data (data[0] is
 * stream byte at). 0, or -1 when out of memory. */
static int wait_insert(struct ward_reasm *r, struct ward_reasm_seg **pp, uint64_t off, size_t n,
                       const uint8_t *data, uint64_t at)
{
    if (!host_take(r, n)) {
        r->lost += n;
        return 0;
    }
    struct ward_reasm_seg *s = malloc(sizeof(*s) + n);
    if (!s) {
        if (r->host)
            r->host->held -= n;
        return -1;
    }
    s->off = off;
    s->len = n;
    memcpy(s->data, data + (off - at), n);
    s->next = *pp;
    *pp = s;
    r->wait_bytes += n;
    return 0;
}

/* Moves the waiting segments that now continue the buffer into it. */
static long drain(struct ward_reasm *r)
{
    long added = 0;
    while (r->wait && r->wait->off == r->base + r->len) {
        struct ward_reasm_seg *s = r->wait;
        if (r->len + s->len > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + s->len)
                cap *= 2;
            if (cap > r->flow_max)
                cap = r->flow_max;
            uint8_t *b = realloc(r->buf, cap);
            if (!b)
                return -1;
            r->buf = b;
            r->cap = cap;
        }
        memcpy(r->buf + r->len, s->data, s->len);
        r->len += s->len;
        r->wait_bytes -= s->len;
        added += (long)s->len;
        r->wait = s->next;
        free(s);
    }
    return added;
}

long ward_reasm_add(struct ward_reasm *r, uint32_t seq, const uint8_t *data, size_t len)
{
    if (!r->started)
        ward_reasm_start(r, seq);
    if (len == 0)
        return 0;
    /* The segment's stream offset, from where the stream stands (sequence
     * numbers wrap; a stream may be longer than 4 GiB). */
    uint64_t have = r->base + r->len;
    int64_t at = (int64_t)have + (int32_t)(seq - (r->isn + (uint32_t)have));
    if (at < 0) { /* starts before the stream: only its tail is new */
        if ((uint64_t)-at >= len)
            return 0;
        data += -at;
        len -= (size_t)-at;
        at = 0;
    }
    uint64_t start = (uint64_t)at, end = start + len, max = r->flow_max;
    if (end > max) {
        uint64_t over = end - (start > max ? start : max);
        r->lost += over;
        end = start > max ? start : max;
    }
    if (start < have)
        start = have; /* already in order: the first copy stays */
    if (start >= end)
        return 0;
    struct ward_reasm_seg **pp = &r->wait;
    uint64_t cur = start;
    while (*pp && cur < end) {
        struct ward_reasm_seg *s = *pp;
        if (s->off + s->len <= cur) {
            pp = &s->next;
            continue;
        }
        if (s->off > cur) {
            uint64_t gap_end = s->off < end ? s->off : end;
            if (wait_insert(r, pp, cur, (size_t)(gap_end - cur), data, (uint64_t)at) < 0)
                return -1;
        }
        cur = s->off + s->len;
        pp = &s->next;
    }
    if (cur < end && wait_insert(r, pp, cur, (size_t)(end - cur), data, (uint64_t)at) < 0)
        return -1;
    return drain(r);
}
