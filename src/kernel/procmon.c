/* procmon.c — process events from the tracepoints (see procmon.h). */
#include "kernel/procmon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kernel/procmon_bpf.h"
#include "procmon.skel.h"

struct ward_procmon {
    struct procmon_bpf *skel;
    struct ring_buffer *rb;
    uint64_t ns_per_tick;
    uint64_t lost_seen;
    /* The ring's consumer and producer positions (its first two pages,
     * mapped read-only): how much is unread, committed or not. */
    const unsigned long *cons, *prod;
    size_t page;
    ward_proc_event_fn fn;
    void *ctx;
};

static int on_record(void *ctx, void *data, size_t len)
{
    ward_procmon *m = ctx;
    const struct ward_pev *e = data;
    if (len < sizeof(*e) || e->kind < WARD_PEV_EXEC || e->kind > WARD_PEV_EXIT)
        return 0;
    char comm[WARD_PEV_COMM + 1];
    memcpy(comm, e->comm, WARD_PEV_COMM);
    comm[WARD_PEV_COMM] = '\0';
    ward_proc_event ev = {
        .kind = (enum ward_proc_event_kind)e->kind,
        .pid = e->pid,
        .ppid = e->ppid,
        .start_time = e->start_ns / m->ns_per_tick,
        .time_ns = e->time_ns,
        .parent_start = e->parent_start_ns / m->ns_per_tick,
        .uid = e->uid,
        .gid = e->gid,
        .dev = e->dev,
        .ino = e->ino,
        .mtime_ns = e->mtime_ns,
        .ctime_ns = e->ctime_ns,
        .mnt_id = e->mnt_id,
        .dir_ino = e->dir_ino,
        .name_hash = e->name_hash,
        .cgroup_id = e->cgroup_id,
        .comm = comm,
        .args = e->args,
        .args_len = e->args_len < WARD_PEV_ARGS ? e->args_len : WARD_PEV_ARGS,
    };
    m->fn(&ev, m->ctx);
    return 0;
}

int ward_procmon_open(ward_procmon **out)
{
    ward_procmon *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    long hz = sysconf(_SC_CLK_TCK);
    m->ns_per_tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
    int err;
    if (!(m->skel = procmon_bpf__open_and_load())) {
        err = errno ? -errno : -EINVAL;
        goto fail;
    }
    if ((err = procmon_bpf__attach(m->skel)))
        goto fail;
    int fd = bpf_map__fd(m->skel->maps.ward_proc_events);
    m->rb = ring_buffer__new(fd, on_record, m, NULL);
    if (!m->rb) {
        err = errno ? -errno : -ENOMEM;
        goto fail;
    }
    m->page = (size_t)sysconf(_SC_PAGESIZE);
    void *c = mmap(NULL, m->page, PROT_READ, MAP_SHARED, fd, 0);
    void *p = mmap(NULL, m->page, PROT_READ, MAP_SHARED, fd, (off_t)m->page);
    m->cons = c == MAP_FAILED ? NULL : c;
    m->prod = p == MAP_FAILED ? NULL : p;
    if (!m->cons || !m->prod) {
        err = -errno;
        goto fail;
    }
    *out = m;
    return 0;
fail:
    ward_procmon_close(m);
    return err < 0 ? err : -err;
}

void ward_procmon_close(ward_procmon *m)
{
    if (!m)
        return;
    if (m->cons)
        munmap((void *)m->cons, m->page);
    if (m->prod)
        munmap((void *)m->prod, m->page);
    ring_buffer__free(m->rb);
    procmon_bpf__destroy(m->skel);
    free(m);
}

int ward_procmon_fd(const ward_procmon *m)
{
    return ring_buffer__epoll_fd(m->rb);
}

int ward_procmon_read(ward_procmon *m, ward_proc_event_fn fn, void *ctx)
{
    m->fn = fn;
    m->ctx = ctx;
    int n = ring_buffer__consume(m->rb);
    /* The ring was full at some point: what it could not hold is lost. */
    uint64_t lost = __atomic_load_n(&m->skel->bss->ward_pev_lost, __ATOMIC_RELAXED);
    if (lost != m->lost_seen) {
        m->lost_seen = lost;
        ward_proc_event ev = {.kind = WARD_PROC_LOST};
        fn(&ev, ctx);
    }
    return n;
}

bool ward_procmon_poll(ward_procmon *m, int n_read)
{
    __u64 *polling = &m->skel->bss->ward_pev_polling;
    if (n_read > 0) {
        __atomic_store_n(polling, 1, __ATOMIC_SEQ_CST);
        return true;
    }
    /* Quiet again: the next record wakes the reader. A record reserved
     * before the flag cleared (it read the flag set) is seen pending here:
     * the store, then the load, in that order (procmon.bpf.c, submit). */
    __atomic_store_n(polling, 0, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    unsigned long prod = __atomic_load_n(m->prod, __ATOMIC_ACQUIRE);
    if (prod == __atomic_load_n(m->cons, __ATOMIC_ACQUIRE))
        return false;
    __atomic_store_n(polling, 1, __ATOMIC_SEQ_CST);
    return true;
}
