/*
 * kernel/traffic.h — the hooks' traffic counters (ward_traffic.h), read by
 * user space: one record per socket of the cgroup, keyed by its cookie.
 */
#ifndef WARD_KERNEL_TRAFFIC_API_H
#define WARD_KERNEL_TRAFFIC_API_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/backend.h"
#include "kernel/ward_traffic.h"

typedef struct ward_ktraffic {
    uint64_t cookie;
    struct ward_traffic t;
} ward_ktraffic;

/* Copies up to max sockets' counters into out; returns how many, or a
 * negative errno (-ENOTSUP: no BPF, or counting off). */
int ward_kernel_traffic_read(ward_kernel *k, ward_ktraffic *out, size_t max);
/* Forgets a socket (closed, and its last counts folded). */
int ward_kernel_traffic_forget(ward_kernel *k, uint64_t cookie);

#endif
