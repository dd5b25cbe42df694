/*
 * tamper_bpf.h — the data contract between tamper.bpf.c and tamper.c: one
 * record per access to another process's memory or execution that the
 * kernel checks as a ptrace attach (ptrace itself, process_vm_writev, an
 * open of /proc/PID/mem, pidfd_getfd ...) in the ring buffer
 * ward_tamper_events.
 */
#ifndef WARD_KERNEL_TAMPER_BPF_H
#define WARD_KERNEL_TAMPER_BPF_H

#ifndef __bpf__
#include <linux/types.h>
#endif

struct ward_tev {
    __u32 actor;     /* tgid of the process asking */
    __u32 target;    /* tgid of the process asked about (the tracepoint: a thread id) */
    __u64 target_ns; /* the target's start, ns after boot (0: not known) */
    __s64 syscall;   /* the actor's system call number; -1: unknown */
    __u64 arg2;      /* its third argument (open flags for openat) */
    __u32 mode;      /* PTRACE_MODE_* the kernel checks (0: the tracepoint) */
    __u32 _pad;
};

#define WARD_TEV_RING_BYTES (64 * 1024)

#endif
