/*
 * events.c — the decisions the hooks make, read from their ring buffer
 * (ward_events.bpf.h): the connections a verdict table allowed or denied,
 * which never reach the queue.
 */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/internal.h"

/* At most this many records per drain, so a flood cannot hold the caller's
 * loop; the fd stays readable while records are left. */
#define WK_EVENTS_BUDGET 4096

struct wk_drain {
    ward_kernel *k;
    ward_kevent_fn fn;
    void *ctx;
    int n;
};

static int on_record(void *ctx, void *data, size_t len)
{
    struct wk_drain *d = ((ward_kernel *)ctx)->drain;
    if (!d || len < sizeof(struct ward_kevent))
        return 0;
    d->fn(d->ctx, data);
    return ++d->n >= WK_EVENTS_BUDGET ? -EAGAIN : 0;
}

int wk_events_open(ward_kernel *k)
{
    k->events = ring_buffer__new(k->events_fd, on_record, k, NULL);
    return k->events ? 0 : (errno ? -errno : -ENOMEM);
}

void wk_events_close(ward_kernel *k)
{
    ring_buffer__free(k->events);
    k->events = NULL;
}

int ward_kernel_events_fd(ward_kernel *k)
{
    return k->events ? ring_buffer__epoll_fd(k->events) : -1;
}

int ward_kernel_events_drain(ward_kernel *k, ward_kevent_fn fn, void *ctx)
{
    if (!k->events)
        return -EBADF;
    struct wk_drain d = {k, fn, ctx, 0};
    k->drain = &d;
    int rc = ring_buffer__consume(k->events);
    k->drain = NULL;
    return rc < 0 && rc != -EAGAIN ? rc : d.n;
}

void wk_events_stats(ward_kernel *k, ward_kstats *out)
{
    if (k->kev_stats_fd < 0)
        return;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0)
        return;
    struct ward_kev_stats *v = calloc((size_t)ncpu, sizeof(*v));
    __u32 zero = 0;
    if (v && !bpf_map_lookup_elem(k->kev_stats_fd, &zero, v))
        for (int c = 0; c < ncpu; c++) {
            out->events_emitted += v[c].emitted;
            out->events_lost += v[c].lost;
        }
    free(v);
}
