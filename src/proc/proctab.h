/*
 * proctab.h — the process table: which program each process runs.
 *
 * A process is known by (pid, start time), never by pid alone: pids are
 * reused, start times are not. Its program is the executable it was started
 * from, identified by device and inode as the kernel hooks see it; a binary
 * replaced on disk after the start does not change a running process's
 * identity (the kernel keeps the old inode), though the path no longer
 * names it (proctab_verify). SHA-256 digests are computed
 * only when asked for and cached by (dev, inode, mtime).
 *
 * Fed by a scan of /proc at start, by exec/fork/exit events (the proc
 * connector, or any other source calling proctab_exec/_fork/_exit), and by
 * a direct read of /proc/PID when a pid it has not heard of shows up.
 */
#ifndef WARD_PROC_PROCTAB_H
#define WARD_PROC_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/engine.h"

typedef struct ward_proc {
    uint32_t pid, ppid;
    uint32_t uid, gid;   /* effective ids */
    uint64_t start_time; /* clock ticks after boot (/proc/PID/stat field 22) */
    /* The strings are shared with other processes (rcstr.h): read-only. */
    char *exe;      /* /proc/PID/exe as readlink gives it: a claim, not an identity */
    ward_exe_id id; /* dev + inode of the executable: the identity */
    int64_t mtime_ns;
    int64_t ctime_ns;   /* when read: a reused inode number has another ctime */
    char *cmdline;      /* arguments joined by spaces (NULL for kernel threads) */
    char comm[16];      /* the kernel's short name for it */
    uint64_t cgroup_id; /* its cgroup v2 id at its exec, when an event said (else 0) */
    /* The programs of its ancestors when it was first seen, nearest first
     * (at most WARD_MAX_ANCESTORS): kept across its execs, and past its
     * parent's exit (an orphan's parent is then init, not who started it). */
    char *ancestors[WARD_MAX_ANCESTORS];
    size_t n_ancestors;
} ward_proc;

/* What an ancestor's path becomes when it is not the file the process runs. */
#define PROCTAB_UNVERIFIED_MARK "(not the file at this path)"

/* Frees what a departed process (proctab_exit's *gone) owns. */
void proctab_proc_free(ward_proc *p);

typedef struct proctab proctab;

/* proc_root: "/proc" normally; tests may point elsewhere. */
proctab *proctab_new(const char *proc_root);
void proctab_free(proctab *t);

/* Reads every /proc/PID; returns how many processes are known. */
int proctab_scan(proctab *t);
/* The process now running as pid: from the table if its start time still
 * matches /proc, else read afresh. NULL if there is no such process (or it
 * is a kernel thread). The pointer is valid until the next call that
 * changes the table. */
const ward_proc *proctab_lookup(proctab *t, uint32_t pid);
/* Whether exec/fork/exit events keep the table current (the proc connector
 * is open): lookups then trust a known entry instead of re-reading
 * /proc/PID/stat to check that the pid was not reused. */
void proctab_set_events(proctab *t, bool live);
/* The process now running as pid, read afresh from /proc (NULL if none). */
const ward_proc *proctab_refresh(proctab *t, uint32_t pid);
/* Only the table, no /proc access: for events about processes already gone. */
const ward_proc *proctab_peek(const proctab *t, uint32_t pid);

/* Events. proctab_exit returns the departed process's (pid, start time) in
 * *gone (so lifetimes "until the program exits" can end) and true if known.
 * proctab_exec does the same when the process it knew as pid has exited
 * before the exec was read (the pid runs nothing now, or another process):
 * its exit event then finds no entry, or the other one, so the exec must
 * tell of it. */
bool proctab_exec(proctab *t, uint32_t pid, ward_proc *gone);
/* What the kernel told of an exec, at the exec (the tracepoints): all the
 * table keeps but the executable's path. */
typedef struct proctab_exec_facts {
    uint32_t pid, ppid, uid, gid;
    uint64_t start_time, parent_start;
    uint64_t time_ns; /* when it happened, CLOCK_MONOTONIC ns (0: unknown) */
    ward_exe_id id;
    int64_t mtime_ns, ctime_ns;
    /* The link it was run through: its mount (0: unknown), its directory's
     * inode, its name's hash. A file with hard links has several paths. */
    uint32_t mnt_id;
    uint64_t dir_ino, name_hash;
    uint64_t cgroup_id;
    const char *comm;
    const char *args; /* NUL-separated, args_len bytes (may be cut short) */
    size_t args_len;
} proctab_exec_facts;
/* An exec described by its facts: nothing is read from /proc but, the first
 * time an executable is run through a link (its mount, directory and name),
 * its path (readlink /proc/PID/exe). The path is remembered by file
 * (dev, inode, ctime: a rename changes the ctime) and link, and used while
 * it names the file in our mount namespace (proctab_verify's test: a
 * directory on the way may have been renamed since; a look serves the
 * events that happened before it, see below); only such a path is
 * remembered, so a claim that names another file here (a container's, a
 * private mount's) is read again at each exec and never stands for
 * another process's. */
void proctab_exec_seen(proctab *t, const proctab_exec_facts *f);
/* start_time: the child's, when the event tells it (0: read from /proc);
 * time_ns: when it forked, CLOCK_MONOTONIC ns (0: unknown). */
void proctab_fork(proctab *t, uint32_t parent, uint32_t child, uint64_t start_time,
                  uint64_t time_ns);
bool proctab_exit(proctab *t, uint32_t pid, ward_proc *gone);
/* After events were lost: every known process that is gone (or whose pid
 * another process now holds) leaves the table and is told to on_exit, as
 * its exit event would have. Returns how many left. */
size_t proctab_sweep(proctab *t, void (*on_exit)(const ward_proc *gone, void *ctx), void *ctx);

/* A path is looked up (stat) to learn whether it names a process's file
 * (proctab_verify) for an exec's path and for each ancestor in a chain.
 * The look is timed (CLOCK_MONOTONIC, read just before the stat), and
 * serves any later event of the same path and file stamped no later than
 * that time: what the look saw was there after the event happened, as a
 * look of the event's own would have seen. An event stamped after it, or
 * not stamped (a lookup, a /proc scan), looks again: the file at the path
 * may have been replaced in between. Thousands of execs of one program
 * read at once cost one stat, and a storm that goes on as it is read one
 * stat per catch-up. proctab_forget_file voids every earlier look. */

/* How many exec and exit events were applied. */
void proctab_events(const proctab *t, uint64_t *execs, uint64_t *exits);
/* The start time /proc reports for pid now; 0 when there is no such process. */
uint64_t proctab_start_time(const proctab *t, uint32_t pid);

size_t proctab_count(const proctab *t);
/* The memory the table holds: its entries, spare ones included, and its
 * share of the strings they refer to (each divided among its holders). */
size_t proctab_bytes(const proctab *t);

/* Whether the file at p->exe, looked up in wardd's own mount namespace, is
 * the file the process runs (same device and inode). The path in
 * /proc/PID/exe is only a claim: a process in a mount namespace of its own
 * can bind another file over any path, a deleted file reads as
 * "PATH (deleted)" (and a file may be named so), and a chroot or container
 * sees other files under the same names. The path is looked up at every
 * call (not cached): the file there may have changed since the last one. */
bool proctab_verify(proctab *t, const ward_proc *p);

/* The executable's SHA-256, computed once per (dev, inode, mtime). Reads
 * through /proc/PID/exe, so a replaced binary is still the one that runs. */
int proctab_sha256(proctab *t, const ward_proc *p, ward_sha256 *out);
/* The process's cgroup (the unified hierarchy's path, "/system.slice/x"),
 * read from /proc/PID/cgroup each time: a process may be moved to another
 * cgroup at any moment and no event says so. 0, -ESRCH when the process is
 * gone (or its pid reused), -ENOENT without a unified hierarchy. */
int proctab_cgroup(const proctab *t, const ward_proc *p, char *buf, size_t len);
/* The SHA-256 of the file at path (no cache). 0 or -errno. */
int proctab_sha256_path(const char *path, ward_sha256 *out);
/* The file changed (its contents may have, whatever its mtime says): its
 * cached digests and remembered paths are dropped. */
void proctab_forget_file(proctab *t, ward_exe_id id);
/* How many digests were computed (not served from the cache): for tests. */
uint64_t proctab_hashes_computed(const proctab *t);

/* The proc connector: a netlink socket announcing exec, fork and exit.
 * Needs CAP_NET_ADMIN, and delivers only in the initial network namespace;
 * elsewhere wardd feeds the table from the scheduler's tracepoints
 * (kernel/procmon.h), or it relies on lookups. */
int procmon_open(void);
/* Reads what is pending on fd and applies it to t; on_exec and on_exit (may
 * be NULL) are told of every exec and of every known process that exits. Returns events handled or
 * -errno. */
int procmon_read(int fd, proctab *t, void (*on_exec)(uint32_t pid, void *ctx),
                 void (*on_exit)(const ward_proc *gone, void *ctx), void *ctx);

#endif
