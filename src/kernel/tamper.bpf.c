// SPDX-License-Identifier: GPL-2.0
/*
 * tamper.bpf.c — who asks the kernel for attach rights over another
 * process: a ptrace attach, a process_vm_writev, an open of /proc/PID/mem
 * all pass the kernel's ptrace access check with PTRACE_MODE_ATTACH. Seen
 * from the BPF LSM hook where the kernel runs BPF LSM, else at the exit of
 * those system calls; wardd loads one of the two. Observers only: they
 * never refuse anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tamper_bpf.h"

#define PTRACE_MODE_ATTACH 0x02

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, WARD_TEV_RING_BYTES);
} ward_tamper_events SEC(".maps");

__u64 ward_tev_lost = 0;

static __always_inline void emit(struct task_struct *child, unsigned int mode)
{
    if (!(mode & PTRACE_MODE_ATTACH))
        return; /* reading /proc/PID/exe, environ ...: not an attach */
    __u32 target = BPF_CORE_READ(child, tgid);
    __u32 actor = (__u32)(bpf_get_current_pid_tgid() >> 32);
    if (actor == target)
        return;
    struct ward_tev *e = bpf_ringbuf_reserve(&ward_tamper_events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&ward_tev_lost, 1);
        return;
    }
    e->actor = actor;
    e->target = target;
    e->target_ns = BPF_CORE_READ(child, group_leader, start_boottime);
    e->mode = mode;
    e->_pad = 0;
    e->syscall = -1;
    e->arg2 = 0;
#ifdef __TARGET_ARCH_x86
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    if (regs) {
        e->syscall = (__s64)BPF_CORE_READ(regs, orig_ax);
        e->arg2 = BPF_CORE_READ(regs, dx);
    }
#endif
    bpf_ringbuf_submit(e, 0);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(ward_lsm_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
    if (!ret)
        emit(child, mode);
    return ret;
}

/* Where BPF LSM cannot load (some kernels refuse LSM and fentry programs
 * before the verifier), the system calls are seen at their exit: a successful
 * ptrace attach or seize, process_vm_writev, and an open for writing of
 * "/proc/PID/mem" (by that path: an open relative to a /proc directory is
 * not seen). x86-64 system call numbers. */
#if defined(__TARGET_ARCH_x86)
#define NR_OPEN              2
#define NR_PTRACE            101
#define NR_OPENAT            257
#define NR_PROCESS_VM_WRITEV 311
#define PTRACE_ATTACH        16
#define PTRACE_SEIZE         0x4206

/* The pid of "/proc/PID/mem", or 0. */
static __always_inline __u32 proc_mem_pid(const char *up)
{
    char p[24];
    if (bpf_probe_read_user_str(p, sizeof(p), up) < 12)
        return 0;
    if (p[0] != '/' || p[1] != 'p' || p[2] != 'r' || p[3] != 'o' || p[4] != 'c' || p[5] != '/')
        return 0;
    __u32 pid = 0;
    int i = 6;
#pragma unroll
    for (int k = 0; k < 10; k++) {
        char c = p[6 + k];
        if (c < '0' || c > '9')
            break;
        pid = pid * 10 + (__u32)(c - '0');
        i = 7 + k;
    }
    if (i == 6 || i > 19)
        return 0;
    if (p[i] != '/' || p[i + 1] != 'm' || p[i + 2] != 'e' || p[i + 3] != 'm' || p[i + 4] != 0)
        return 0;
    return pid;
}

/* A system call's exit: nr, its result ret, its arguments in regs (the
 * task's user registers). */
static __always_inline int on_sys_exit(struct pt_regs *regs, long nr, long ret)
{
    if (ret < 0)
        return 0;
    __u32 target = 0;
    __u64 flags = 0;
    if (nr == NR_PTRACE) {
        long req = PT_REGS_PARM1_CORE_SYSCALL(regs);
        if (req != PTRACE_ATTACH && req != PTRACE_SEIZE)
            return 0;
        target = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
    } else if (nr == NR_PROCESS_VM_WRITEV) {
        target = (__u32)PT_REGS_PARM1_CORE_SYSCALL(regs);
    } else if (nr == NR_OPENAT || nr == NR_OPEN) {
        flags =
            nr == NR_OPENAT ? PT_REGS_PARM3_CORE_SYSCALL(regs) : PT_REGS_PARM2_CORE_SYSCALL(regs);
        if (!(flags & 3))
            return 0; /* read only */
        target = proc_mem_pid((const char *)(nr == NR_OPENAT ? PT_REGS_PARM2_CORE_SYSCALL(regs)
                                                             : PT_REGS_PARM1_CORE_SYSCALL(regs)));
    } else {
        return 0;
    }
    __u32 actor = (__u32)(bpf_get_current_pid_tgid() >> 32);
    if (!target || target == actor)
        return 0;
    struct ward_tev *e = bpf_ringbuf_reserve(&ward_tamper_events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&ward_tev_lost, 1);
        return 0;
    }
    e->actor = actor;
    e->target = target; /* a thread id: user space finds its process */
    e->target_ns = 0;
    e->syscall = nr;
    e->arg2 = flags;
    e->mode = 0;
    e->_pad = 0;
    bpf_ringbuf_submit(e, 0);
    return 0;
}

/* The exits of those four system calls only (the syscalls/ trace events):
 * the program runs for them alone, where one on sys_exit runs for every
 * system call of the machine. Needs tracefs to attach; wardd falls back
 * to the sys_exit program where it is not mounted. */
static __always_inline int on_syscall_event(struct syscall_trace_exit *ctx)
{
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    return regs ? on_sys_exit(regs, ctx->nr, ctx->ret) : 0;
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int ward_tp_ptrace(struct syscall_trace_exit *ctx)
{
    return on_syscall_event(ctx);
}

SEC("tracepoint/syscalls/sys_exit_process_vm_writev")
int ward_tp_vm_writev(struct syscall_trace_exit *ctx)
{
    return on_syscall_event(ctx);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int ward_tp_openat(struct syscall_trace_exit *ctx)
{
    return on_syscall_event(ctx);
}

SEC("tracepoint/syscalls/sys_exit_open")
int ward_tp_open(struct syscall_trace_exit *ctx)
{
    return on_syscall_event(ctx);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ward_tp_tamper, struct pt_regs *regs, long ret)
{
    return on_sys_exit(regs, BPF_CORE_READ(regs, orig_ax), ret);
}
#endif

char LICENSE[] SEC("license") = "GPL";
