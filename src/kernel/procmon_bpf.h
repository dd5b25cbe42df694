/*
 * procmon_bpf.h — the data contract between procmon.bpf.c and procmon.c:
 * one record per exec, fork (a new process, not a thread) and exit (of a
 * process's leader) in the ring buffer ward_proc_events.
 *
 * An exec's record says all the process table keeps about the process but
 * the executable's path (and, lazily, its digest), so that wardd does not
 * read /proc for each exec.
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

#define WARD_PEV_COMM 16
#define WARD_PEV_ARGS 512 /* power of two: the command line's first bytes (less one) */

struct ward_pev {
    __u32 kind; /* enum ward_pev_kind */
    __u32 pid;  /* tgid: the process (the child for a fork) */
    __u32 ppid; /* the parent's tgid (real_parent, as /proc/PID/stat says) */
    __u32 _pad;
    __u64 start_ns; /* the process's start, ns after boot (task->start_boottime) */
    __u64 time_ns;  /* when the event happened: bpf_ktime_get_ns, CLOCK_MONOTONIC */
    /* exec only: */
    __u64 parent_start_ns; /* the parent's start: (ppid, it) names the parent */
    __u32 uid, gid;        /* effective */
    __u64 dev, ino;        /* mm->exe_file's, st_dev encoding */
    __s64 mtime_ns, ctime_ns;
    __u64 cgroup_id;
    char comm[WARD_PEV_COMM];
    /* The link it was run through (one of several, for a file with hard
     * links): its directory's inode and its name's hash and length. */
    __u64 dir_ino, name_hash;
    __u32 mnt_id;   /* the mount it was run through: its path depends on it */
    __u32 args_len; /* bytes of args read: arguments, each ending in NUL */
    char args[WARD_PEV_ARGS];
};

#define WARD_PEV_RING_BYTES (2 * 1024 * 1024)
/* While wardd polls, a record that finds this much unread wakes it anyway. */
#define WARD_PEV_WAKE_BYTES (WARD_PEV_RING_BYTES / 4)

#endif
