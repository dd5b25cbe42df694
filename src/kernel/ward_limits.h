/*
 * ward_limits.h — rate limits and quotas per program: the data contract
 * between the hooks (ward_limits.bpf.h) and user space (limits.c). Fixed-width
 * types only.
 *
 *   ward_limits    HASH   ward_lkey (the executable) -> ward_limit
 *   ward_limits_n  ARRAY  [0] -> how many entries ward_limits holds
 *
 * wardd writes an entry's settings (the first block) for each program with
 * a `limit rate` or a `quota`; the hooks keep the rest.
 */
#ifndef WARD_KERNEL_LIMITS_H
#define WARD_KERNEL_LIMITS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define WARD_MAX_LIMITS 1024

/* ward_limit.flags */
#define WARD_LIMIT_RATE  1u /* rate and burst_ns hold */
#define WARD_LIMIT_QUOTA 2u /* count bytes into used */
#define WARD_LIMIT_BLOCK 4u /* used >= allow: refuse connects, drop packets */

struct ward_lkey {
    __u64 dev, ino; /* the executable, as stat(2) reports it */
};

struct ward_limit {
    /* Settings, written by wardd. */
    __u64 rate;     /* bytes a second, each direction */
    __u64 burst_ns; /* how far ahead of now a direction's clock may run */
    __u64 allow;    /* bytes the quota still allows from when the entry was written */
    __u32 flags;    /* WARD_LIMIT_* */
    __u32 _pad;
    /* State, the hooks': a virtual clock per direction (out, in) that each
     * packet moves on by its time at the rate (GCRA: a packet finding its
     * clock more than burst_ns ahead is dropped); bytes and drops. */
    __u64 tat[2];
    __u64 used;    /* bytes passed since the entry was written, in and out */
    __u64 dropped; /* packets dropped by the rate */
    __u64 refused; /* packets and connects refused by the quota */
};

#endif /* WARD_KERNEL_LIMITS_H */
