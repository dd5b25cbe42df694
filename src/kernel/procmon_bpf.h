/*
 * procmon_bpf.h — the data contract between procmon.bpf.c and procmon.c:
 * one record per exec, fork (a new process, not a thread) and exit (of a
 * process's leader) in the ring buffer ward_proc_events.
 */
#ifndef WARD_KERNEL_PROCMON_BPF_H
#define WARD_KERNEL_PROCMON_BPF_H

#ifndef __bpf__
#include <linux/types.h>
#endif

enum ward_pev_kind {
    WARD_PEV_EXEC = 1,
    WARD_PEV_FORK = 2,
    WARD_PEV_EXIT = 3,
};

struct ward_pev {
    __u32 kind; /* enum ward_pev_kind */
    __u32 pid;  /* tgid: the process (the child for a fork) */
    __u32 ppid; /* fork: the parent's tgid */
    __u32 _pad;
    __u64 start_ns; /* the process's start, ns after boot (task->start_boottime) */
};

#define WARD_PEV_RING_BYTES (256 * 1024)

#endif
