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

/* ward_limits_n: the hooks skip limits entirely while there are none. */
static void count_entries(ward_kernel *k, int fd)
{
    struct ward_lkey key, next;
    void *prev = NULL;
    __u32 n = 0, zero = 0;
    while (!bpf_map_get_next_key(fd, prev, &next)) {
        n++;
        key = next;
        prev = &key;
    }
    bpf_map_update_elem(bpf_map__fd(k->skel->maps.ward_limits_n), &zero, &n, BPF_ANY);
}

int ward_kernel_limit_set(ward_kernel *k, ward_exe_id exe, const struct ward_limit *l)
{
    int fd = limits_fd(k);
    if (fd < 0)
        return -ENOTSUP;
    struct ward_lkey key = {.dev = exe.dev, .ino = exe.ino};
    struct ward_limit v = {
        .rate = l->rate, .burst_ns = l->burst_ns, .allow = l->allow, .flags = l->flags};
    if (bpf_map_update_elem(fd, &key, &v, BPF_ANY))
        return -errno;
    count_entries(k, fd);
    return 0;
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
    if (bpf_map_delete_elem(fd, &key) && errno != ENOENT)
        return -errno;
    count_entries(k, fd);
    return 0;
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
