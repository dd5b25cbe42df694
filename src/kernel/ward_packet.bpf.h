/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ward_packet.bpf.h — packet sockets (AF_PACKET), seen after the fact.
 *
 * No cgroup hook runs when a packet socket is made (cgroup/sock_create is
 * called from inet_create and inet6_create only), and where BPF-LSM and
 * fentry cannot load nothing can refuse one. What can load is a
 * tracepoint: at the exit of socket(2) of a task in Ward's cgroup (or one
 * below it) a packet socket that was made is reported (WARD_KEV_PACKET), so
 * wardd logs the program, and raises an alert when its table would not
 * give it raw access (docs/KERNEL.md, "Packet sockets").
 *
 * A packet socket writes any link-layer frame, so its table verdict is a
 * raw socket's of IPPROTO_RAW (which writes any IP header): allowed only by
 * an entry that allows every protocol raw. Included by ward.bpf.c after
 * ward_icmp.bpf.h (raw_verdict).
 */
#ifndef WARD_PACKET_BPF_H
#define WARD_PACKET_BPF_H

#include <bpf/bpf_tracing.h>

#define AF_PACKET    17
#define IPPROTO_RAW_ 255

/* [0]: Ward's cgroup, set by the loader: the tracepoint runs for every
 * task of the host and reports only those in it or below it. */
struct {
    __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} ward_cgroup SEC(".maps");

/* socket(2)'s number: the tracepoint sees every system call's exit (and
 * reads the number from orig_ax: x86-64 only for now). */
#if defined(__TARGET_ARCH_x86)
#define WARD_NR_SOCKET 41
#endif

#ifdef WARD_NR_SOCKET
/* socket(2) returned ret; its arguments are in regs (the task's user
 * registers). */
static __always_inline int packet_socket(struct pt_regs *regs, long ret)
{
    if (ret < 0 || (int)PT_REGS_PARM1_CORE_SYSCALL(regs) != AF_PACKET)
        return 0;
    if (bpf_current_task_under_cgroup(&ward_cgroup, 0) != 1)
        return 0;
    __u64 dev = 0, ino = 0;
    __u32 rule = 0;
    __u8 judged = current_exe(&dev, &ino) ? raw_verdict(true, dev, ino, IPPROTO_RAW_, &rule)
                                          : ward_unattributed;
    struct ward_kevent *e = kev_begin(WARD_KEV_PACKET, WARD_KV_ALLOW, dev, ino, rule, 0);
    if (!e)
        return 0;
    e->family = AF_PACKET;
    /* The frames it takes (ETH_P_*, network order as socket(2) got it). */
    e->rport = bpf_ntohs((__u16)PT_REGS_PARM3_CORE_SYSCALL(regs));
    e->judged = judged;
    kev_submit(e);
    return 0;
}

/* socket(2)'s own exit event: runs for that call only. The loader attaches
 * it where tracefs is mounted, else the program below. */
SEC("tracepoint/syscalls/sys_exit_socket")
int ward_packet_socket_call(struct syscall_trace_exit *ctx)
{
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    return regs ? packet_socket(regs, ctx->ret) : 0;
}

/* Every system call's exit, host-wide: returns at once unless it was
 * socket(2). */
SEC("tp_btf/sys_exit")
int BPF_PROG(ward_packet_socket, struct pt_regs *regs, long ret)
{
    if (BPF_CORE_READ(regs, orig_ax) != WARD_NR_SOCKET)
        return 0;
    return packet_socket(regs, ret);
}
#endif

#endif /* WARD_PACKET_BPF_H */
