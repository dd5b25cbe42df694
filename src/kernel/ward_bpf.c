/*
 * ward_bpf.c — loads Ward's BPF hooks (skeleton from ward.bpf.c), re-uses or
 * pins the maps under PIN_DIR/maps, attaches every program to the cgroup as
 * a link (links are multi-attach: other programs on the cgroup stay) and
 * pins the links under PIN_DIR/links so the policy outlives the loader. A
 * loader started again swaps its programs into the pinned links
 * (bpf_link_update): the hooks never go away during a restart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/internal.h"
#include "ward.skel.h"

int wk_mkdir_p(const char *path)
{
    char buf[512];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0700) && errno != EEXIST)
        return -errno;
    return 0;
}

/* libbpf's format strings are its own: forwarded as they are. */
__attribute__((format(printf, 2, 0))) static int libbpf_quiet(enum libbpf_print_level level,
                                                              const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("WARD_BPF_VERBOSE")))
        return 0;
    return vfprintf(stderr, fmt, ap);
}

/* Attach prog to the cgroup through the pinned link at path, or a new one. */
static int attach_pinned(struct bpf_program *prog, int cg_fd, __u64 cg_id, const char *path)
{
    int fd = bpf_obj_get(path);
    if (fd >= 0) {
        struct bpf_link_info info;
        __u32 len = sizeof(info);
        memset(&info, 0, sizeof(info));
        if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_CGROUP &&
            info.cgroup.cgroup_id == cg_id &&
            info.cgroup.attach_type == bpf_program__expected_attach_type(prog) &&
            !bpf_link_update(fd, bpf_program__fd(prog), NULL)) {
            close(fd);
            return 0;
        }
        /* Stale (another cgroup, detached): replace it. */
        close(fd);
        unlink(path);
    }
    struct bpf_link *link = bpf_program__attach_cgroup(prog, cg_fd);
    if (!link)
        return -errno;
    int err = bpf_link__pin(link, path);
    bpf_link__destroy(link); /* the pin keeps it attached */
    return err;
}

int wk_bpf_open(ward_kernel *k)
{
    char path[600];
    int err, cg_fd = -1;
    struct ward_bpf *skel = NULL;
    struct bpf_map *map;
    struct bpf_program *prog;
    struct stat st;

    libbpf_set_print(libbpf_quiet);
    snprintf(path, sizeof(path), "%s/maps", k->pin_dir);
    if ((err = wk_mkdir_p(path)))
        goto cleanup;
    snprintf(path, sizeof(path), "%s/links", k->pin_dir);
    if ((err = wk_mkdir_p(path)))
        goto cleanup;

    skel = ward_bpf__open();
    if (!skel) {
        err = -errno;
        goto cleanup;
    }
    skel->rodata->ward_mark = k->cfg.mark;
    skel->rodata->ward_default = k->cfg.default_verdict;
    skel->rodata->ward_unattributed = k->cfg.unattributed;
    skel->rodata->ward_raw_default = k->cfg.raw_default;
    skel->rodata->ward_accept_mark = k->cfg.accept_mark;
    skel->rodata->ward_backstop = k->cfg.fail == WARD_KFAIL_CLOSED;
    bpf_object__for_each_map(map, skel->obj)
    {
        if (strchr(bpf_map__name(map), '.'))
            continue; /* .rodata and friends: per load */
        snprintf(path, sizeof(path), "%s/maps/%s", k->pin_dir, bpf_map__name(map));
        if ((err = bpf_map__set_pin_path(map, path)))
            goto cleanup;
    }
    if ((err = ward_bpf__load(skel)))
        goto cleanup;

    cg_fd = open(k->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg_fd < 0 || fstat(cg_fd, &st)) {
        err = -errno;
        goto cleanup;
    }
    bpf_object__for_each_program(prog, skel->obj)
    {
        snprintf(path, sizeof(path), "%s/links/%s", k->pin_dir, bpf_program__name(prog));
        if ((err = attach_pinned(prog, cg_fd, st.st_ino, path))) {
            fprintf(stderr, "ward: attach %s to %s: %s\n", bpf_program__name(prog), k->cgroup,
                    strerror(-err));
            goto cleanup;
        }
    }
    k->skel = skel;
    k->verdicts_fd = bpf_map__fd(skel->maps.ward_verdicts);
    k->socks_fd = bpf_map__fd(skel->maps.ward_socks);
    k->binds_fd = bpf_map__fd(skel->maps.ward_binds);
    k->stats_fd = bpf_map__fd(skel->maps.ward_stats);
    skel = NULL;
    err = 0;
cleanup:
    if (cg_fd >= 0)
        close(cg_fd);
    ward_bpf__destroy(skel);
    return err;
}

void wk_bpf_close(ward_kernel *k)
{
    ward_bpf__destroy(k->skel);
    k->skel = NULL;
    k->verdicts_fd = k->socks_fd = k->binds_fd = k->stats_fd = -1;
}

static void unlink_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int wk_bpf_teardown(const char *pin_dir)
{
    char path[600];
    /* Unpinning the last reference to a link detaches it. */
    snprintf(path, sizeof(path), "%s/links", pin_dir);
    unlink_dir(path);
    snprintf(path, sizeof(path), "%s/maps", pin_dir);
    unlink_dir(path);
    if (rmdir(pin_dir) && errno != ENOENT)
        return -errno;
    return 0;
}
