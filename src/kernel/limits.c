/*
 * limits.c — the hooks' rate limits and quotas per program (ward_limits).
 */
#include "kernel/limits.h"

#include <errno.h>

#include <bpf/bpf.h>

#include "kernel/internal.h"
#include "ward.skel.h"

static int limits_fd(ward_kernel *k)
{
    if (!k || !k->skel)
        return -1;
    return bpf_map__fd(k->skel->maps.ward_limits);
}

int ward_kernel_limit_set(ward_kernel *k, ward_exe_id exe, const struct ward_limit *l)
{
    int fd = limits_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    struct ward_lkey key = {.dev = exe.dev, .ino = exe.ino};
    struct ward_limit v = {
        .rate = l->rate, .burst_ns = l->burst_ns, .allow = l->allow, .flags = l->flags};
    return bpf_map_update_elem(fd, &key, &v, BPF_ANY) ? -errno : 0;
}

int ward_kernel_limit_get(ward_kernel *k, ward_exe_id exe, struct ward_limit *out)
{
    int fd = limits_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    struct ward_lkey key = {.dev = exe.dev, .ino = exe.ino};
    return bpf_map_lookup_elem(fd, &key, out) ? -errno : 0;
}

int ward_kernel_limit_del(ward_kernel *k, ward_exe_id exe)
{
    int fd = limits_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    struct ward_lkey key = {.dev = exe.dev, .ino = exe.ino};
    return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
}

int ward_kernel_limits(ward_kernel *k, ward_exe_id *out, size_t max)
{
    int fd = limits_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    struct ward_lkey key, next;
    void *prev = NULL;
    size_t n = 0;
    while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
        out[n].dev = next.dev;
        out[n].ino = next.ino;
        n++;
        key = next;
        prev = &key;
    }
    return (int)n;
}
