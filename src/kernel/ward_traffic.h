/*
 * ward_traffic.h — the traffic counters' data contract between the hooks
 * (ward_traffic.bpf.h) and user space (traffic.c). Fixed-width types only.
 *
 *   ward_traffic  LRU_HASH  socket cookie -> ward_traffic   bytes and packets
 *                           of every socket of the cgroup, in and out
 */
#ifndef WARD_KERNEL_TRAFFIC_H
#define WARD_KERNEL_TRAFFIC_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define WARD_MAX_TRAFFIC 65536 /* sockets counted at once; the least recent go first */

/* Directions in ward_traffic.dir. */
#define WARD_TDIR_OUT 0 /* the socket connected or sent first (a hook saw it) */
#define WARD_TDIR_IN                                                                               \
    1 /* first seen by a packet: an accepted connection, or a                                      \
       * socket older than the hooks */

/* One socket. The counters are added atomically (packets of one socket are
 * counted on several CPUs at once); the rest is written once. */
struct ward_traffic {
    __u64 bytes_in, bytes_out; /* IP packets, headers included */
    __u64 packets_in, packets_out;
    __u64 start_ns;  /* bpf_ktime_get_ns() when first seen (CLOCK_MONOTONIC) */
    __u64 closed_ns; /* when the program released the socket; 0: open */
    __u64 dev, ino;  /* the executable that connected or sent; 0/0: not known */
    __u32 pid, uid;  /* tgid and uid of that task */
    __u8 local[16];  /* IPv4 as ::ffff:a.b.c.d */
    __u8 remote[16]; /* an unconnected datagram socket: its first peer */
    __u16 lport;     /* host order */
    __u16 rport;     /* host order */
    __u8 proto;      /* IPPROTO_* */
    __u8 dir;        /* WARD_TDIR_* */
    __u8 tuple;      /* the addresses above are filled in */
    __u8 _pad;
};

#endif /* WARD_KERNEL_TRAFFIC_H */
