// SPDX-License-Identifier: GPL-2.0
/*
 * procmon.bpf.c — exec, fork and exit of every process, from the scheduler's
 * tracepoints (BTF-typed), into a ring buffer wardd reads: the process
 * table's events where the proc connector cannot be used (it answers only
 * in the initial network namespace, and some kernels refuse it).
 * Observers only: they never change what a task does.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "procmon_bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, WARD_PEV_RING_BYTES);
} ward_proc_events SEC(".maps");

/* Records the ring had no room for: user space rescans /proc when it grows. */
__u64 ward_pev_lost = 0;

static __always_inline void emit(__u32 kind, struct task_struct *t, __u32 ppid)
{
    struct ward_pev *e = bpf_ringbuf_reserve(&ward_proc_events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&ward_pev_lost, 1);
        return;
    }
    e->kind = kind;
    e->pid = BPF_CORE_READ(t, tgid);
    e->ppid = ppid;
    e->_pad = 0;
    e->start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
    bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ward_on_exec, struct task_struct *p)
{
    emit(WARD_PEV_EXEC, p, 0);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ward_on_fork, struct task_struct *parent, struct task_struct *child)
{
    /* Threads share their process's program: only new processes. */
    if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
        return 0;
    emit(WARD_PEV_FORK, child, BPF_CORE_READ(parent, tgid));
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ward_on_exit, struct task_struct *p)
{
    if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid))
        return 0;
    emit(WARD_PEV_EXIT, p, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
