/* tamper.c — attach-level accesses between processes (see tamper.h). */
#include "kernel/tamper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kernel/tamper_bpf.h"
#include "tamper.skel.h"

struct ward_tamper {
    struct tamper_bpf *skel;
    struct ring_buffer *rb;
    uint64_t ns_per_tick;
    uint64_t lost_seen;
    ward_tamper_fn fn;
    void *ctx;
};

const char *ward_tamper_kind_name(enum ward_tamper_kind k)
{
    switch (k) {
    case WARD_TAMPER_PTRACE:
        return "ptrace-attach";
    case WARD_TAMPER_VM_WRITE:
        return "process-vm-write";
    case WARD_TAMPER_MEM_WRITE:
        return "proc-mem-write";
    case WARD_TAMPER_OTHER:
        return "attach-access";
    case WARD_TAMPER_LOST:
        return "lost";
    }
    return "?";
}

/* What the actor was doing, from its system call; 0: a read, not reported. */
static enum ward_tamper_kind classify(const struct ward_tev *e)
{
    switch (e->syscall) {
#ifdef SYS_process_vm_readv
    case SYS_process_vm_readv:
        return 0;
#endif
#ifdef SYS_process_vm_writev
    case SYS_process_vm_writev:
        return WARD_TAMPER_VM_WRITE;
#endif
#ifdef SYS_ptrace
    case SYS_ptrace:
        return WARD_TAMPER_PTRACE;
#endif
#ifdef SYS_open
    case SYS_open:
        return (e->arg2 & O_ACCMODE) != O_RDONLY ? WARD_TAMPER_MEM_WRITE : 0;
#endif
#ifdef SYS_openat
    case SYS_openat:
        /* openat(dirfd, path, flags): flags is the third argument. */
        return (e->arg2 & O_ACCMODE) != O_RDONLY ? WARD_TAMPER_MEM_WRITE : 0;
#endif
    default:
        return WARD_TAMPER_OTHER;
    }
}

/* The process a thread belongs to (/proc/TID/status, "Tgid:"), or tid. */
static uint32_t tgid_of(uint32_t tid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%u/status", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tid;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *t = strstr(buf, "\nTgid:");
    unsigned long v = t ? strtoul(t + 6, NULL, 10) : 0;
    return v ? (uint32_t)v : tid;
}

static int on_record(void *ctx, void *data, size_t len)
{
    ward_tamper *t = ctx;
    const struct ward_tev *e = data;
    if (len < sizeof(*e))
        return 0;
    enum ward_tamper_kind k = classify(e);
    if (!k)
        return 0;
    ward_tamper_event ev = {
        .kind = k,
        .actor = e->actor,
        .target = e->mode ? e->target : tgid_of(e->target),
        .target_start = e->target_ns / t->ns_per_tick,
    };
    t->fn(&ev, t->ctx);
    return 0;
}

/* Whether the kernel runs BPF LSM: it says so in securityfs, when that is
 * mounted (when it is not, the tracepoint is used: an LSM program that
 * loads where BPF LSM is not active would never run). */
static bool bpf_lsm_active(void)
{
    char buf[512];
    int fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    for (char *s = strtok(buf, ",\n"); s; s = strtok(NULL, ",\n"))
        if (!strcmp(s, "bpf"))
            return true;
    return false;
}

/* Where the accesses are seen from, best first: the LSM hook; the exits of
 * the four system calls that take such rights; every system call's exit
 * (where tracefs, which the second attaches through, is not mounted). */
enum watch { WATCH_LSM, WATCH_SYSCALLS, WATCH_SYS_EXIT };

static int load(ward_tamper *t, enum watch w)
{
    struct tamper_bpf *k = t->skel = tamper_bpf__open();
    if (!k)
        return errno ? -errno : -EINVAL;
    bpf_program__set_autoload(k->progs.ward_lsm_ptrace, w == WATCH_LSM);
#if defined(__x86_64__)
    struct bpf_program *calls[] = {k->progs.ward_tp_ptrace, k->progs.ward_tp_vm_writev,
                                   k->progs.ward_tp_openat, k->progs.ward_tp_open};
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        bpf_program__set_autoload(calls[i], w == WATCH_SYSCALLS);
    bpf_program__set_autoload(k->progs.ward_tp_tamper, w == WATCH_SYS_EXIT);
#else
    if (w != WATCH_LSM) {
        tamper_bpf__destroy(k);
        t->skel = NULL;
        return -EOPNOTSUPP; /* the tracepoints read x86-64 system call numbers */
    }
#endif
    int err = tamper_bpf__load(k);
    if (!err)
        err = tamper_bpf__attach(k);
    if (err) {
        tamper_bpf__destroy(k);
        t->skel = NULL;
    }
    return err < 0 ? err : -err;
}

int ward_tamper_open(ward_tamper **out, const char **mechanism)
{
    ward_tamper *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    long hz = sysconf(_SC_CLK_TCK);
    t->ns_per_tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
    enum watch w = bpf_lsm_active() ? WATCH_LSM : WATCH_SYSCALLS;
    int err = load(t, w);
    while (err && w != WATCH_SYS_EXIT)
        err = load(t, ++w);
    if (err)
        goto fail;
    t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.ward_tamper_events), on_record, t, NULL);
    if (!t->rb) {
        err = errno ? -errno : -ENOMEM;
        goto fail;
    }
    *mechanism = w == WATCH_LSM ? "bpf-lsm" : "tracepoint";
    *out = t;
    return 0;
fail:
    ward_tamper_close(t);
    return err;
}

void ward_tamper_close(ward_tamper *t)
{
    if (!t)
        return;
    ring_buffer__free(t->rb);
    tamper_bpf__destroy(t->skel);
    free(t);
}

int ward_tamper_fd(const ward_tamper *t)
{
    return ring_buffer__epoll_fd(t->rb);
}

int ward_tamper_read(ward_tamper *t, ward_tamper_fn fn, void *ctx)
{
    t->fn = fn;
    t->ctx = ctx;
    int n = ring_buffer__consume(t->rb);
    uint64_t lost = __atomic_load_n(&t->skel->bss->ward_tev_lost, __ATOMIC_RELAXED);
    if (lost != t->lost_seen) {
        t->lost_seen = lost;
        ward_tamper_event ev = {.kind = WARD_TAMPER_LOST};
        fn(&ev, ctx);
    }
    return n;
}
