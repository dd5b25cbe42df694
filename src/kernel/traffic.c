/*
 * traffic.c — reads the hooks' per-socket traffic counters (ward_traffic).
 */
#include "kernel/traffic.h"

#include <errno.h>

#include <bpf/bpf.h>

#include "kernel/internal.h"
#include "ward.skel.h"

static int traffic_fd(ward_kernel *k)
{
    if (!k || !k->skel || k->cfg.no_traffic)
        return -1;
    return bpf_map__fd(k->skel->maps.ward_traffic);
}

int ward_kernel_traffic_read(ward_kernel *k, ward_ktraffic *out, size_t max)
{
    int fd = traffic_fd(k);
    if (fd < 0)
        return -ENOTSUP;
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

int ward_kernel_traffic_forget(ward_kernel *k, uint64_t cookie)
{
    int fd = traffic_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    return bpf_map_delete_elem(fd, &cookie) ? -errno : 0;
}
