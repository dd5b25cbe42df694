// SPDX-License-Identifier: GPL-2.0
/*
 * procmon.bpf.c — exec, fork and exit of every process, from the scheduler's
 * tracepoints (BTF-typed), into a ring buffer wardd reads: the process
 * table's events where the proc connector cannot be used (it answers only
 * in the initial network namespace, and some kernels refuse it).
 * An exec's record carries what /proc would have told (procmon_bpf.h).
 * Observers only: they never change what a task does.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "procmon_bpf.h"
#include "ward_exe.bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, WARD_PEV_RING_BYTES);
} ward_proc_events SEC(".maps");

/* Records the ring had no room for: user space rescans /proc when it grows. */
__u64 ward_pev_lost = 0;

/* Set by wardd while it reads the ring on its own clock (events keep
 * coming): a record then wakes no one. A wake-up is an interrupt sent to
 * the reader's CPU — on a virtual machine an exit to the hypervisor — and
 * cost more than the rest of a record together (docs/PERFORMANCE.md). */
__u64 ward_pev_polling = 0;

/* The inode's times moved: timespec64 fields before 6.6 (i_mtime, i_ctime),
 * renamed __i_* from 6.6 on, split into seconds and nanoseconds in 6.11. */
struct inode___ts {
    struct timespec64 i_mtime, i_ctime;
} __attribute__((preserve_access_index));
struct inode___ts66 {
    struct timespec64 __i_mtime, __i_ctime;
} __attribute__((preserve_access_index));

#define NS 1000000000LL

static __always_inline void inode_times(struct inode *in, __s64 *mtime, __s64 *ctime)
{
    struct inode___ts *a = (void *)in;
    struct inode___ts66 *b = (void *)in;
    if (bpf_core_field_exists(in->i_mtime_sec)) {
        *mtime = BPF_CORE_READ(in, i_mtime_sec) * NS + BPF_CORE_READ(in, i_mtime_nsec);
        *ctime = BPF_CORE_READ(in, i_ctime_sec) * NS + BPF_CORE_READ(in, i_ctime_nsec);
        return;
    }
    if (bpf_core_field_exists(a->i_mtime))
        *mtime = BPF_CORE_READ(a, i_mtime.tv_sec) * NS + BPF_CORE_READ(a, i_mtime.tv_nsec);
    else if (bpf_core_field_exists(b->__i_mtime))
        *mtime = BPF_CORE_READ(b, __i_mtime.tv_sec) * NS + BPF_CORE_READ(b, __i_mtime.tv_nsec);
    if (bpf_core_field_exists(a->i_ctime))
        *ctime = BPF_CORE_READ(a, i_ctime.tv_sec) * NS + BPF_CORE_READ(a, i_ctime.tv_nsec);
    else if (bpf_core_field_exists(b->__i_ctime))
        *ctime = BPF_CORE_READ(b, __i_ctime.tv_sec) * NS + BPF_CORE_READ(b, __i_ctime.tv_nsec);
}

/* Commits a record, waking the reader only when it does not poll, or when
 * the ring fills faster than it polls. The reserve above already moved the
 * ring's producer position; the atomic read of the flag is a full barrier,
 * so either wardd, clearing the flag, then sees the record pending, or the
 * record sees the flag clear and wakes it (procmon.c, ward_procmon_poll). */
static __always_inline void submit(struct ward_pev *e)
{
    __u64 flags = 0; /* the ring's own rule: wake when the reader had caught up */
    if (__sync_fetch_and_or(&ward_pev_polling, 0))
        flags = bpf_ringbuf_query(&ward_proc_events, BPF_RB_AVAIL_DATA) >= WARD_PEV_WAKE_BYTES
                    ? BPF_RB_FORCE_WAKEUP
                    : BPF_RB_NO_WAKEUP;
    bpf_ringbuf_submit(e, flags);
}

static __always_inline struct ward_pev *reserve(__u32 kind, struct task_struct *t, __u32 ppid)
{
    struct ward_pev *e = bpf_ringbuf_reserve(&ward_proc_events, sizeof(*e), 0);
    if (!e) {
        __sync_fetch_and_add(&ward_pev_lost, 1);
        return NULL;
    }
    __builtin_memset(e, 0, offsetof(struct ward_pev, args));
    e->kind = kind;
    e->pid = BPF_CORE_READ(t, tgid);
    e->ppid = ppid;
    e->start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
    e->time_ns = bpf_ktime_get_ns();
    return e;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ward_on_exec, struct task_struct *p)
{
    struct ward_pev *e = reserve(WARD_PEV_EXEC, p, BPF_CORE_READ(p, real_parent, tgid));
    if (!e)
        return 0;
    e->parent_start_ns = BPF_CORE_READ(p, real_parent, group_leader, start_boottime);
    e->uid = BPF_CORE_READ(p, cred, euid.val);
    e->gid = BPF_CORE_READ(p, cred, egid.val);
    struct file *f = BPF_CORE_READ(p, mm, exe_file);
    if (ward_file_id(f, &e->dev, &e->ino)) {
        struct inode *in = BPF_CORE_READ(f, f_inode);
        inode_times(in, &e->mtime_ns, &e->ctime_ns);
        struct dentry *de = BPF_CORE_READ(f, f_path.dentry);
        e->dir_ino = BPF_CORE_READ(de, d_parent, d_inode, i_ino);
        e->name_hash = BPF_CORE_READ(de, d_name.hash_len);
        struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
        struct mount *m = (void *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
        e->mnt_id = BPF_CORE_READ(m, mnt_id);
    }
    /* The tracepoint runs in the task that exec'd: current is p. */
    e->cgroup_id = bpf_get_current_cgroup_id();
    BPF_CORE_READ_STR_INTO(&e->comm, p, comm);
    /* The arguments were just copied to the new stack: they are resident,
     * and reading them cannot fault. */
    unsigned long start = BPF_CORE_READ(p, mm, arg_start), end = BPF_CORE_READ(p, mm, arg_end);
    __u64 len = end > start ? end - start : 0;
    if (len > WARD_PEV_ARGS - 1)
        len = WARD_PEV_ARGS - 1;
    len &= WARD_PEV_ARGS - 1; /* the verifier's proof of the bound */
    if (len && bpf_probe_read_user(e->args, len, (const void *)start) == 0)
        e->args_len = len;
    submit(e);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ward_on_fork, struct task_struct *parent, struct task_struct *child)
{
    /* Threads share their process's program: only new processes. */
    if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
        return 0;
    struct ward_pev *e = reserve(WARD_PEV_FORK, child, BPF_CORE_READ(parent, tgid));
    if (e)
        submit(e);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ward_on_exit, struct task_struct *p)
{
    if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid))
        return 0;
    struct ward_pev *e = reserve(WARD_PEV_EXIT, p, 0);
    if (e)
        submit(e);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
