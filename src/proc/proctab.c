/* proctab.c — the process table (see proctab.h). */
#define _GNU_SOURCE
#include "proc/proctab.h"
#include "proc/rcstr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROCTAB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(PROCTAB_ASAN)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define BUCKETS 4096 /* power of two; chains stay short for tens of thousands */

struct entry {
    ward_proc p;
    uint64_t looked; /* when p.exe was last found naming p.id (see look) */
    struct entry *next;
};

struct hash_entry {
    ward_exe_id id;
    int64_t mtime_ns;
    ward_sha256 sha;
    struct hash_entry *next;
};

/* An executable's path, remembered (proctab_exec_seen), and the command
 * line it was last run with: both shared by its processes. */
struct path_entry {
    ward_exe_id id;
    int64_t ctime_ns;
    uint32_t mnt_id;
    uint64_t dir_ino, name_hash;
    char *path, *cmdline; /* rcstr */
    uint64_t looked;      /* when path was last found naming id (see look) */
    struct path_entry *next;
};

#define PATH_BUCKETS 256  /* power of two */
#define MAX_PATHS    4096 /* then all are forgotten: they are read again */
#define MAX_SPARE    1024 /* entries of departed processes kept for new ones */

struct proctab {
    char *root;
    struct entry *buckets[BUCKETS];
    size_t n;
    struct hash_entry *hashes; /* small: one per distinct executable */
    size_t n_hashes;
    uint64_t computed;
    struct path_entry *paths[PATH_BUCKETS];
    size_t n_paths;
    struct entry *spare; /* unused entries: a process comes, one goes */
    size_t n_spare;
    uint64_t forgot_ns;    /* proctab_forget_file's last: earlier looks serve no more */
    bool events;           /* exec/fork/exit events keep the table current */
    uint64_t execs, exits; /* events applied */
};

static struct entry **slot(const proctab *t, uint32_t pid)
{
    return (struct entry **)&t->buckets[(pid * 2654435761u) & (BUCKETS - 1)];
}

proctab *proctab_new(const char *proc_root)
{
    proctab *t = calloc(1, sizeof(*t));
    if (!t || !(t->root = strdup(proc_root ? proc_root : "/proc")) || sodium_init() < 0) {
        if (t)
            free(t->root);
        free(t);
        return NULL;
    }
    return t;
}

static void proc_clear(ward_proc *p)
{
    rcstr_unref(p->exe);
    rcstr_unref(p->cmdline);
    for (size_t i = 0; i < p->n_ancestors; i++)
        rcstr_unref(p->ancestors[i]);
    memset(p, 0, sizeof(*p));
}

void proctab_proc_free(ward_proc *p)
{
    proc_clear(p);
}

static struct path_entry **path_slot(proctab *t, ward_exe_id id)
{
    return &t->paths[(id.ino * 2654435761u) & (PATH_BUCKETS - 1)];
}

static void forget_paths(proctab *t, const ward_exe_id *only)
{
    for (size_t i = 0; i < PATH_BUCKETS; i++) {
        for (struct path_entry **pp = &t->paths[i]; *pp;) {
            struct path_entry *e = *pp;
            if (only && (e->id.dev != only->dev || e->id.ino != only->ino)) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            rcstr_unref(e->path);
            rcstr_unref(e->cmdline);
            free(e);
            t->n_paths--;
        }
    }
}

void proctab_free(proctab *t)
{
    if (!t)
        return;
    forget_paths(t, NULL);
    for (size_t i = 0; i < BUCKETS; i++) {
        for (struct entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            proc_clear(&e->p);
            free(e);
        }
    }
    for (struct entry *e = t->spare, *next; e; e = next) {
        next = e->next;
        UNPOISON(e, sizeof(*e));
        free(e);
    }
    for (struct hash_entry *h = t->hashes, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    free(t->root);
    free(t);
}

/* Reads a whole small /proc file; returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off + 1 < len) {
        ssize_t n = read(fd, buf + off, len - 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    buf[off] = '\0';
    return (ssize_t)off;
}

/* The length of a command line as the kernel keeps it (arguments, each
 * ending in NUL) without its last NULs. */
static size_t args_len(const char *args, size_t len)
{
    while (len > 0 && args[len - 1] == '\0')
        len--;
    return len;
}

/* Whether s is args joined by spaces. */
static bool joins(const char *s, const char *args, size_t len)
{
    len = args_len(args, len);
    for (size_t i = 0; i < len; i++)
        if (s[i] != (args[i] ? args[i] : ' '))
            return false;
    return s[len] == '\0';
}

/* The command line joined by spaces (an rcstr); NULL when empty or out of
 * memory. */
static char *join_args(const char *args, size_t len)
{
    len = args_len(args, len);
    char *s = len ? rcstr_new(args, len) : NULL;
    for (size_t i = 0; s && i < len; i++)
        s[i] = s[i] ? s[i] : ' ';
    return s;
}

/* ppid and start time from /proc/PID/stat; comm may hold spaces and ')'. */
static int parse_stat(const char *buf, uint32_t *ppid, uint64_t *start)
{
    const char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    unsigned long long v[20];
    char state;
    int n = sscanf(p,
                   " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                   "%llu %llu %llu %llu %llu %llu",
                   &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                   &v[10], &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18]);
    if (n < 20)
        return -1;
    *ppid = (uint32_t)v[0];
    *start = v[18]; /* field 22: starttime */
    return 0;
}

static void parse_ids(const char *status, uint32_t *uid, uint32_t *gid)
{
    const char *u = strstr(status, "\nUid:"), *g = strstr(status, "\nGid:");
    unsigned real, eff;
    if (u && sscanf(u + 5, "%u %u", &real, &eff) == 2)
        *uid = eff;
    if (g && sscanf(g + 5, "%u %u", &real, &eff) == 2)
        *gid = eff;
}

/* Reads /proc/PID into p. Kernel threads (no executable) are not processes
 * Ward judges: -1. */
static int read_proc(const proctab *t, uint32_t pid, ward_proc *p)
{
    char path[PATH_MAX], buf[4096];
    memset(p, 0, sizeof(*p));
    p->pid = pid;
    snprintf(path, sizeof(path), "%s/%u/stat", t->root, pid);
    if (read_small(path, buf, sizeof(buf)) < 0 || parse_stat(buf, &p->ppid, &p->start_time) < 0)
        return -1;
    const char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (open_paren && close_paren > open_paren)
        snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close_paren - open_paren - 1),
                 open_paren + 1);
    snprintf(path, sizeof(path), "%s/%u/exe", t->root, pid);
    struct stat st;
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0 || stat(path, &st) < 0)
        return -1;
    /* Kept as the kernel wrote it: " (deleted)" is part of the claim, and
     * a file may carry that name; proctab_verify decides what it is. */
    target[n] = '\0';
    p->id = (ward_exe_id){st.st_dev, st.st_ino};
    p->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    p->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
    snprintf(path, sizeof(path), "%s/%u/status", t->root, pid);
    if (read_small(path, buf, sizeof(buf)) > 0)
        parse_ids(buf, &p->uid, &p->gid);
    snprintf(path, sizeof(path), "%s/%u/cmdline", t->root, pid);
    ssize_t cl = read_small(path, buf, sizeof(buf));
    if (cl > 0)
        p->cmdline = join_args(buf, (size_t)cl);
    p->exe = rcstr_new(target, (size_t)n);
    if (!p->exe) {
        proc_clear(p);
        return -1;
    }
    /* Read the start time again: if the pid was reused while we read, the
     * fields may belong to two processes; drop it rather than mix them. */
    uint64_t again;
    uint32_t ppid2;
    snprintf(path, sizeof(path), "%s/%u/stat", t->root, pid);
    if (read_small(path, buf, sizeof(buf)) < 0 || parse_stat(buf, &ppid2, &again) < 0 ||
        again != p->start_time) {
        proc_clear(p);
        return -1;
    }
    return 0;
}

static struct entry *find(const proctab *t, uint32_t pid)
{
    for (struct entry *e = *slot(t, pid); e; e = e->next)
        if (e->p.pid == pid)
            return e;
    return NULL;
}

const ward_proc *proctab_peek(const proctab *t, uint32_t pid)
{
    struct entry *e = find(t, pid);
    return e ? &e->p : NULL;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool names_file(proctab *t, const char *path, ward_exe_id id)
{
    return proctab_verify(t, &(ward_proc){.exe = (char *)path, .id = id});
}

/* Whether path names the file id, and in *looked when that was seen: the
 * time read before the stat, so that it is no later than what the stat
 * saw (0: it does not name it). */
static bool look(proctab *t, const char *path, ward_exe_id id, uint64_t *looked)
{
    uint64_t now = monotonic_ns();
    *looked = names_file(t, path, id) ? now : 0;
    return *looked != 0;
}

/* An event's time comes from the kernel's fast monotonic clock
 * (bpf_ktime_get_ns), which may lag CLOCK_MONOTONIC a little around
 * timekeeping updates: a look serves only events older than it by this. */
#define CLOCK_SLACK_NS 1000000ull

/* Whether a look at time looked serves an event at time at (proctab.h):
 * it came after the event, and after the last proctab_forget_file. */
static bool serves(const proctab *t, uint64_t looked, uint64_t at)
{
    return at != 0 && at + CLOCK_SLACK_NS <= looked && looked > t->forgot_ns;
}

/* An entry for a process; the spare ones first. */
static struct entry *entry_new(proctab *t)
{
    struct entry *e = t->spare;
    if (!e)
        return malloc(sizeof(*e));
    t->spare = e->next;
    t->n_spare--;
    UNPOISON(e, offsetof(struct entry, next));
    return e;
}

/* A spare entry is poisoned in sanitizer builds but for its link: a
 * pointer kept to a departed process's entry is a use after free there,
 * as it would be had the entry been freed. */
static void entry_free(proctab *t, struct entry *e)
{
    if (t->n_spare >= MAX_SPARE) {
        free(e);
        return;
    }
    e->next = t->spare;
    t->spare = e;
    t->n_spare++;
    POISON(e, offsetof(struct entry, next));
}

static void remove_pid(proctab *t, uint32_t pid, ward_proc *gone)
{
    for (struct entry **pp = slot(t, pid); *pp; pp = &(*pp)->next) {
        if ((*pp)->p.pid == pid) {
            struct entry *e = *pp;
            *pp = e->next;
            if (gone)
                *gone = e->p; /* its references move to the caller */
            else
                proc_clear(&e->p);
            entry_free(t, e);
            t->n--;
            return;
        }
    }
}

/* The start time /proc reports for pid now, or 0 if it is gone. */
static uint64_t current_start(const proctab *t, uint32_t pid)
{
    char path[PATH_MAX], buf[1024];
    uint32_t ppid;
    uint64_t start;
    snprintf(path, sizeof(path), "%s/%u/stat", t->root, pid);
    if (read_small(path, buf, sizeof(buf)) < 0 || parse_stat(buf, &ppid, &start) < 0)
        return 0;
    return start;
}

/* An ancestor's name in the chain (an rcstr): its path when that is the
 * file it runs (as for the process itself: a path is only a claim), else a
 * label no rule names. looked: when a is in the table, when its path was
 * last found naming its file; at: when the event that asks happened.
 * NULL when out of memory. */
static char *ancestor_name(proctab *t, const ward_proc *a, uint64_t *looked, uint64_t at)
{
    uint64_t now;
    if (looked ? serves(t, *looked, at) || look(t, a->exe, a->id, looked)
               : look(t, a->exe, a->id, &now))
        return rcstr_ref(a->exe);
    char *s, *label = NULL;
    int n = asprintf(&s, "%s " PROCTAB_UNVERIFIED_MARK, a->exe);
    if (n >= 0) {
        label = rcstr_new(s, (size_t)n);
        free(s);
    }
    return label;
}

/* Appends the known parent's program and chain to p's (at: when). */
static void take_chain(proctab *t, ward_proc *p, struct entry *parent, uint64_t at)
{
    char *name = ancestor_name(t, &parent->p, &parent->looked, at);
    if (!name)
        return;
    p->ancestors[p->n_ancestors++] = name;
    for (size_t i = 0; i < parent->p.n_ancestors && p->n_ancestors < WARD_MAX_ANCESTORS; i++)
        p->ancestors[p->n_ancestors++] = rcstr_ref(parent->p.ancestors[i]);
}

/* The process's ancestors, nearest first. A process that only exec'd keeps
 * the chain it had (start time unchanged); a new one takes its parent's
 * program and the parent's chain, from the table while the parent is known
 * there, else walks /proc. What is read in the walk is not stored: the
 * chain is what matters, and the walk stops at init or the limit.
 * parent_start: the parent's start time when an event told it (else 0:
 * /proc says it). */
static void find_ancestors(proctab *t, ward_proc *p, uint64_t parent_start, uint64_t at)
{
    ward_proc *old = (ward_proc *)proctab_peek(t, p->pid);
    if (old && old->start_time == p->start_time) {
        memcpy(p->ancestors, old->ancestors, old->n_ancestors * sizeof(char *));
        p->n_ancestors = old->n_ancestors;
        old->n_ancestors = 0;
        return;
    }
    uint32_t ppid = p->ppid;
    while (ppid && p->n_ancestors < WARD_MAX_ANCESTORS) {
        struct entry *known = find(t, ppid);
        /* The table may not have heard of the parent's exit yet: its pid
         * may run another process now. An exec's event says when it started. */
        uint64_t start = parent_start && ppid == p->ppid ? parent_start : current_start(t, ppid);
        if (known && known->p.start_time == start) {
            take_chain(t, p, known, at);
            return;
        }
        ward_proc a;
        if (read_proc(t, ppid, &a) < 0)
            return; /* a kernel thread (kthreadd's children) or gone */
        char *name = ancestor_name(t, &a, NULL, at);
        if (name)
            p->ancestors[p->n_ancestors++] = name;
        ppid = a.ppid;
        proc_clear(&a);
        if (!name)
            return;
    }
}

/* p replaces whatever the table holds for its pid; the table owns it.
 * looked: when its path was found naming its file (0: not yet). */
static const ward_proc *insert(proctab *t, ward_proc *p, uint64_t looked)
{
    remove_pid(t, p->pid, NULL);
    struct entry *e = entry_new(t);
    if (!e) {
        proc_clear(p);
        return NULL;
    }
    e->p = *p;
    e->looked = looked;
    struct entry **head = slot(t, p->pid);
    e->next = *head;
    *head = e;
    t->n++;
    return &e->p;
}

/* at: when the event that told of p happened (0: now). */
static const ward_proc *store(proctab *t, ward_proc *p, uint64_t at)
{
    find_ancestors(t, p, 0, at);
    return insert(t, p, 0);
}

int proctab_scan(proctab *t)
{
    DIR *d = opendir(t->root);
    if (!d)
        return -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        unsigned long pid = strtoul(de->d_name, &end, 10);
        if (*end || pid == 0 || pid > UINT32_MAX)
            continue;
        ward_proc p;
        if (read_proc(t, (uint32_t)pid, &p) == 0)
            store(t, &p, 0);
    }
    closedir(d);
    return (int)t->n;
}

void proctab_set_events(proctab *t, bool live)
{
    t->events = live;
}

const ward_proc *proctab_lookup(proctab *t, uint32_t pid)
{
    const ward_proc *known = proctab_peek(t, pid);
    /* Without events, a reused pid is caught by its start time. */
    if (known && (t->events || current_start(t, pid) == known->start_time))
        return known;
    ward_proc p;
    if (read_proc(t, pid, &p) < 0) {
        remove_pid(t, pid, NULL);
        return NULL;
    }
    return store(t, &p, 0);
}

static const ward_proc *reread(proctab *t, uint32_t pid, uint64_t at)
{
    ward_proc p;
    if (read_proc(t, pid, &p) == 0)
        return store(t, &p, at);
    remove_pid(t, pid, NULL); /* gone already: a stale entry must not stay */
    return NULL;
}

const ward_proc *proctab_refresh(proctab *t, uint32_t pid)
{
    return reread(t, pid, 0);
}

bool proctab_exec(proctab *t, uint32_t pid, ward_proc *gone)
{
    t->execs++;
    const ward_proc *known = proctab_peek(t, pid);
    uint64_t was = known ? known->start_time : 0;
    ward_proc p;
    bool read = read_proc(t, pid, &p) == 0;
    /* The known process is gone when the pid now runs nothing, or another
     * process (a pid reused before the event was read): a failed read
     * alone does not say so (a file on a mount root may not stat). */
    bool departed = was && (read ? p.start_time != was : current_start(t, pid) != was);
    if (departed)
        remove_pid(t, pid, gone);
    /* The other process is left to its own events, which come after the
     * departed one's exit event: stored now, that exit would remove it. */
    if (read && !departed)
        store(t, &p, 0);
    else if (read)
        proc_clear(&p);
    return departed;
}

/* The path of the file the process runs, as /proc/PID/exe names it (an
 * rcstr), when that is still the file f names (the pid may have exec'd
 * again, or gone). */
static char *read_exe_path(const proctab *t, const proctab_exec_facts *f)
{
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof(link), "%s/%u/exe", t->root, f->pid);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    struct stat st;
    if (n <= 0 || stat(link, &st) < 0 || st.st_dev != f->id.dev || st.st_ino != f->id.ino)
        return NULL;
    return rcstr_new(target, (size_t)n);
}

static bool same_link(const struct path_entry *e, const proctab_exec_facts *f)
{
    return e->id.dev == f->id.dev && e->id.ino == f->id.ino && e->ctime_ns == f->ctime_ns &&
           e->mnt_id == f->mnt_id && e->dir_ino == f->dir_ino && e->name_hash == f->name_hash;
}

/* The remembered link f was run through, its path found naming the file
 * (by a look that serves f); NULL when there is none such. */
static struct path_entry *known_link(proctab *t, const proctab_exec_facts *f)
{
    struct path_entry *e = *path_slot(t, f->id);
    while (e && !same_link(e, f))
        e = e->next;
    if (!e || (!serves(t, e->looked, f->time_ns) && !look(t, e->path, f->id, &e->looked)))
        return NULL;
    return e;
}

/* path (read, and found naming the file at time looked) remembered for
 * f's link. */
static struct path_entry *remember_link(proctab *t, const proctab_exec_facts *f, char *path,
                                        uint64_t looked)
{
    struct path_entry *e = *path_slot(t, f->id);
    while (e && !same_link(e, f))
        e = e->next;
    if (e) {
        rcstr_unref(e->path); /* a directory on the way was renamed */
    } else {
        if (t->n_paths >= MAX_PATHS)
            forget_paths(t, NULL);
        if (!(e = malloc(sizeof(*e))))
            return NULL;
        *e = (struct path_entry){.id = f->id,
                                 .ctime_ns = f->ctime_ns,
                                 .mnt_id = f->mnt_id,
                                 .dir_ino = f->dir_ino,
                                 .name_hash = f->name_hash,
                                 .next = *path_slot(t, f->id)};
        *path_slot(t, f->id) = e;
        t->n_paths++;
    }
    e->path = rcstr_ref(path);
    e->looked = looked;
    return e;
}

/* The executable's path (an rcstr), and in *link the remembered link it
 * names the file through (NULL: a path not to be remembered, or none). */
static char *exe_path(proctab *t, const proctab_exec_facts *f, struct path_entry **link)
{
    bool keyed = f->ctime_ns != 0 && f->mnt_id != 0;
    *link = keyed ? known_link(t, f) : NULL;
    if (*link)
        return rcstr_ref((*link)->path);
    char *path = read_exe_path(t, f);
    uint64_t looked;
    if (path && keyed && look(t, path, f->id, &looked))
        *link = remember_link(t, f, path, looked);
    return path;
}

/* The command line (an rcstr): the one last run through the link when it
 * is the same. */
static char *exec_cmdline(struct path_entry *link, const char *args, size_t len)
{
    if (link && link->cmdline && joins(link->cmdline, args, len))
        return rcstr_ref(link->cmdline);
    char *s = join_args(args, len);
    if (link && s) {
        rcstr_unref(link->cmdline);
        link->cmdline = rcstr_ref(s);
    }
    return s;
}

void proctab_exec_seen(proctab *t, const proctab_exec_facts *f)
{
    t->execs++;
    ward_proc p = {
        .pid = f->pid,
        .ppid = f->ppid,
        .uid = f->uid,
        .gid = f->gid,
        .start_time = f->start_time,
        .id = f->id,
        .mtime_ns = f->mtime_ns,
        .ctime_ns = f->ctime_ns,
        .cgroup_id = f->cgroup_id,
    };
    snprintf(p.comm, sizeof(p.comm), "%s", f->comm ? f->comm : "");
    struct path_entry *link;
    if (!(p.exe = exe_path(t, f, &link))) {
        /* Gone before its path was read, and a file never seen: the
         * process is read from /proc if a connection ever names it. */
        remove_pid(t, f->pid, NULL);
        return;
    }
    p.cmdline = exec_cmdline(link, f->args, f->args_len);
    find_ancestors(t, &p, f->parent_start, f->time_ns);
    insert(t, &p, link ? link->looked : 0);
}

/* The child as a copy of its parent: the same program, ids and command
 * line until it execs; its chain is the parent's program and chain. */
static int copy_parent(proctab *t, struct entry *parent, uint32_t child, uint64_t start,
                       uint64_t at, ward_proc *c)
{
    *c = parent->p;
    c->pid = child;
    c->ppid = parent->p.pid;
    c->start_time = start;
    rcstr_ref(c->exe);
    rcstr_ref(c->cmdline);
    c->n_ancestors = 0;
    take_chain(t, c, parent, at);
    if (!c->n_ancestors) {
        proc_clear(c);
        return -1;
    }
    return 0;
}

void proctab_fork(proctab *t, uint32_t parent, uint32_t child, uint64_t start_time,
                  uint64_t time_ns)
{
    /* The child runs the parent's program until it execs. When the event
     * says when it started, and the table knows the parent, nothing need
     * be read: most children exec at once, and that exec is read. */
    struct entry *p = find(t, parent);
    ward_proc c;
    if (start_time && p && p->p.start_time <= start_time &&
        copy_parent(t, p, child, start_time, time_ns, &c) == 0)
        insert(t, &c, p->looked);
    else
        reread(t, child, time_ns);
}

bool proctab_exit(proctab *t, uint32_t pid, ward_proc *gone)
{
    t->exits++;
    if (!proctab_peek(t, pid))
        return false;
    remove_pid(t, pid, gone);
    return true;
}

size_t proctab_sweep(proctab *t, void (*on_exit)(const ward_proc *gone, void *ctx), void *ctx)
{
    /* Unlinked first, told after: on_exit may look into the table. */
    struct entry *gone = NULL;
    size_t n = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        for (struct entry **pp = &t->buckets[i]; *pp;) {
            struct entry *e = *pp;
            if (current_start(t, e->p.pid) == e->p.start_time) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            e->next = gone;
            gone = e;
            t->n--;
            n++;
        }
    }
    for (struct entry *e = gone, *next; e; e = next) {
        next = e->next;
        t->exits++;
        if (on_exit)
            on_exit(&e->p, ctx);
        proc_clear(&e->p);
        entry_free(t, e);
    }
    return n;
}

void proctab_events(const proctab *t, uint64_t *execs, uint64_t *exits)
{
    *execs = t->execs;
    *exits = t->exits;
}

uint64_t proctab_start_time(const proctab *t, uint32_t pid)
{
    return current_start(t, pid);
}

size_t proctab_count(const proctab *t)
{
    return t->n;
}

size_t proctab_bytes(const proctab *t)
{
    size_t b =
        sizeof(*t) + t->n_hashes * sizeof(struct hash_entry) + t->n_spare * sizeof(struct entry);
    for (size_t i = 0; i < PATH_BUCKETS; i++)
        for (const struct path_entry *e = t->paths[i]; e; e = e->next)
            b += sizeof(*e) + rcstr_share(e->path) + rcstr_share(e->cmdline);
    for (size_t i = 0; i < BUCKETS; i++)
        for (const struct entry *e = t->buckets[i]; e; e = e->next) {
            b += sizeof(*e) + rcstr_share(e->p.exe) + rcstr_share(e->p.cmdline);
            for (size_t j = 0; j < e->p.n_ancestors; j++)
                b += rcstr_share(e->p.ancestors[j]);
        }
    return b;
}

/* Looked up at every call, never cached: what a path names changes with
 * no event in between (a file moved over it, deleted, put back), and a
 * cached "this inode was at this path" would outlive it. One stat. */
bool proctab_verify(proctab *t, const ward_proc *p)
{
    (void)t;
    if (!p || !p->exe || p->exe[0] != '/')
        return false;
    struct stat st;
    return stat(p->exe, &st) == 0 && st.st_dev == p->id.dev && st.st_ino == p->id.ino;
}

static int hash_fd(int fd, ward_sha256 *out)
{
    crypto_hash_sha256_state s;
    crypto_hash_sha256_init(&s);
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        crypto_hash_sha256_update(&s, buf, (unsigned long long)n);
    }
    crypto_hash_sha256_final(&s, out->b);
    return 0;
}

int proctab_sha256_path(const char *path, ward_sha256 *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = hash_fd(fd, out);
    close(fd);
    return rc;
}

void proctab_forget_file(proctab *t, ward_exe_id id)
{
    t->forgot_ns = monotonic_ns(); /* what was looked at is to be looked at again */
    forget_paths(t, &id);
    for (struct hash_entry **h = &t->hashes; *h;) {
        if ((*h)->id.dev == id.dev && (*h)->id.ino == id.ino) {
            struct hash_entry *gone = *h;
            *h = gone->next;
            free(gone);
            t->n_hashes--;
        } else {
            h = &(*h)->next;
        }
    }
}

int proctab_sha256(proctab *t, const ward_proc *p, ward_sha256 *out)
{
    for (const struct hash_entry *h = t->hashes; h; h = h->next) {
        if (h->id.dev == p->id.dev && h->id.ino == p->id.ino && h->mtime_ns == p->mtime_ns) {
            *out = h->sha;
            return 0;
        }
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%u/exe", t->root, p->pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* Make sure the file we hash is the one the process runs. */
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_dev != p->id.dev || st.st_ino != p->id.ino) {
        close(fd);
        return -ESRCH;
    }
    int rc = hash_fd(fd, out);
    close(fd);
    if (rc < 0)
        return rc;
    t->computed++;
    struct hash_entry *h = malloc(sizeof(*h));
    if (h) {
        *h = (struct hash_entry){p->id, p->mtime_ns, *out, t->hashes};
        t->hashes = h;
        t->n_hashes++;
    }
    return 0;
}

int proctab_cgroup(const proctab *t, const ward_proc *p, char *buf, size_t len)
{
    char path[PATH_MAX], text[8192];
    snprintf(path, sizeof(path), "%s/%u/cgroup", t->root, p->pid);
    if (read_small(path, text, sizeof(text)) < 0)
        return -ESRCH;
    /* The unified (v2) hierarchy's line is "0::PATH"; v1 lines name their
     * controllers between the colons. */
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "0::", 3) != 0)
            continue;
        if (snprintf(buf, len, "%s", line + 3) >= (int)len)
            return -ENAMETOOLONG;
        /* The pid may have been reused while we read: the path must be
         * the process's we were asked about. */
        return current_start(t, p->pid) == p->start_time ? 0 : -ESRCH;
    }
    return -ENOENT;
}

uint64_t proctab_hashes_computed(const proctab *t)
{
    return t->computed;
}
