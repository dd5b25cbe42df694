/*
 * traffic.c — reads the hooks' per-socket traffic counters (ward_traffic).
 */
#include "kernel/traffic.h"

#include <errno.h>
#include <stdbool.h>

#include <bpf/bpf.h>

#include "kernel/internal.h"
#include "ward.skel.h"

static int traffic_fd(ward_kernel *k)
{
    if (!k || !k->skel || k->cfg.no_traffic)
        return -1;
    return bpf_map__fd(k->skel->maps.ward_traffic);
}

/* One entry at a time: where batch lookups are not supported. */
static int read_one_by_one(int fd, ward_ktraffic *out, size_t max)
{
    size_t n = 0;
    uint64_t key, next;
    void *prev = NULL;
    /* An entry deleted between the two calls is skipped (ENOENT). */
    while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
        key = next;
        prev = &key;
        if (!bpf_map_lookup_elem(fd, &key, &out[n].t)) {
            out[n].cookie = key;
            n++;
        }
    }
    return (int)n;
}

#define WK_TRAFFIC_BATCH 256

int ward_kernel_traffic_read(ward_kernel *k, ward_ktraffic *out, size_t max)
{
    int fd = traffic_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    /* Batches: two system calls a second for a thousand sockets, not two
     * per socket. */
    uint64_t keys[WK_TRAFFIC_BATCH];
    struct ward_traffic vals[WK_TRAFFIC_BATCH];
    uint64_t in = 0, next = 0; /* the kernel's cursor (a bucket index) */
    size_t n = 0;
    bool first = true;
    while (n < max) {
        __u32 count = (__u32)(max - n < WK_TRAFFIC_BATCH ? max - n : WK_TRAFFIC_BATCH);
        int err = bpf_map_lookup_batch(fd, first ? NULL : &in, &next, keys, vals, &count, NULL);
        int e = err ? errno : 0;
        for (__u32 i = 0; i < count && n < max; i++, n++) {
            out[n].cookie = keys[i];
            out[n].t = vals[i];
        }
        if (e == ENOENT)
            break; /* the last batch */
        if (e)     /* not supported, or a bucket larger than a batch: the slow way */
            return read_one_by_one(fd, out, max);
        in = next;
        first = false;
    }
    return (int)n;
}

int ward_kernel_traffic_forget(ward_kernel *k, uint64_t cookie)
{
    int fd = traffic_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    return bpf_map_delete_elem(fd, &cookie) ? -errno : 0;
}
