/*
 * kernel/procmon.h — exec, fork and exit of processes from the scheduler's
 * tracepoints (procmon.bpf.c), read from a BPF ring buffer.
 *
 * The proc connector is the usual source of these events; this one serves
 * where it cannot be opened. The programs are observers attached for the
 * life of the handle (not pinned): they go when wardd goes.
 */
#ifndef WARD_KERNEL_PROCMON_H
#define WARD_KERNEL_PROCMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ward_procmon ward_procmon;

enum ward_proc_event_kind {
    WARD_PROC_EXEC = 1,
    WARD_PROC_FORK = 2,
    WARD_PROC_EXIT = 3,
    WARD_PROC_LOST = 4, /* events were lost: the caller rescans */
};

typedef struct ward_proc_event {
    enum ward_proc_event_kind kind;
    uint32_t pid, ppid;
    /* The process's start time in clock ticks after boot, the unit of
     * /proc/PID/stat field 22: (pid, start) names one process. */
    uint64_t start_time;
    /* When the event happened (CLOCK_MONOTONIC ns): a look at the file
     * system made later tells of the state after it (proctab.h). */
    uint64_t time_ns;
    /* An exec's: what /proc/PID would say, as the kernel had it then. */
    uint64_t parent_start; /* the parent's start time (ticks) */
    uint32_t uid, gid;     /* effective */
    uint64_t dev, ino;     /* the executable (st_dev, st_ino) */
    int64_t mtime_ns, ctime_ns;
    /* The link it was run through: its mount, its directory's inode, its
     * name's hash (a file's path depends on all three). */
    uint32_t mnt_id;
    uint64_t dir_ino, name_hash;
    uint64_t cgroup_id;
    const char *comm; /* NUL-terminated */
    const char *args; /* the command line's first bytes, NUL-separated */
    size_t args_len;
} ward_proc_event;

typedef void (*ward_proc_event_fn)(const ward_proc_event *ev, void *ctx);

/* Loads and attaches; 0 or a negative errno (the tracepoints cannot be
 * attached on this kernel, or no privilege). */
int ward_procmon_open(ward_procmon **out);
void ward_procmon_close(ward_procmon *m);
/* Readable when events wait. */
int ward_procmon_fd(const ward_procmon *m);
/* Hands every waiting event to fn, in order; returns how many or -errno. */
int ward_procmon_read(ward_procmon *m, ward_proc_event_fn fn, void *ctx);
/* Wake-ups are spared while events flow. After a read that found n_read
 * events, returns whether the reader should read again on its own clock
 * (the programs then wake it only when the ring fills); false: the ring is
 * empty, and its next record wakes the reader as usual. */
bool ward_procmon_poll(ward_procmon *m, int n_read);

#endif
