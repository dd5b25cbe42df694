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

/* libbpf's format strings are its own: forwarded as they are. */
__attribute__((format(printf, 2, 0))) static int libbpf_quiet(enum libbpf_print_level level,
                                                              const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("WARD_BPF_VERBOSE")))
        return 0;
    return vfprintf(stderr, fmt, ap);
}

/* Remember what is pinned at p->path now (the pin is this object). */
static int pin_note(struct wk_pin *p)
{
    struct stat st;
    if (stat(p->path, &st))
        return -errno;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    return 0;
}

/* Pin p->fd at p->path, replacing whatever is there. */
static int pin_put(struct wk_pin *p)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", p->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    /* The BPF file system itself gone (unmounted): pins cannot go back,
     * and directories made now would land on whatever lies beneath. */
    if (!wk_on_bpffs(dir))
        return -ENOTSUP;
    int err = wk_mkdir_p(dir);
    if (err)
        return err;
    unlink(p->path);
    if (bpf_obj_pin(p->fd, p->path))
        return -errno;
    return pin_note(p);
}

static int link_new(ward_kernel *k, struct bpf_program *prog)
{
    int fd = bpf_link_create(bpf_program__fd(prog), k->cg_fd,
                             bpf_program__expected_attach_type(prog), NULL);
    return fd < 0 ? -errno : fd;
}

/* Is the link still attached to our cgroup? prog_id (if given) gets the
 * program it runs now. */
static bool link_attached(const ward_kernel *k, int fd, struct bpf_program *prog, __u32 *prog_id)
{
    struct bpf_link_info info;
    __u32 len = sizeof(info);
    memset(&info, 0, sizeof(info));
    bool ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_CGROUP &&
              info.cgroup.cgroup_id == k->cg_id &&
              info.cgroup.attach_type == bpf_program__expected_attach_type(prog);
    if (prog_id)
        *prog_id = info.prog_id;
    return ok;
}

static __u32 prog_id_of(struct bpf_program *prog)
{
    struct bpf_prog_info info;
    __u32 len = sizeof(info);
    memset(&info, 0, sizeof(info));
    return bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) ? 0 : info.id;
}

/* Attach prog to the cgroup through the pinned link at path (swapping the
 * program in: no gap during a restart), or a new one pinned there. The fd
 * is kept: while we hold it, removing the pin does not detach the hook. */
static int attach_pinned(ward_kernel *k, struct bpf_program *prog, struct wk_pin *p)
{
    p->prog = prog;
    p->prog_id = prog_id_of(prog);
    p->fd = bpf_obj_get(p->path);
    if (p->fd >= 0) {
        if (link_attached(k, p->fd, prog, NULL) &&
            !bpf_link_update(p->fd, bpf_program__fd(prog), NULL))
            return pin_note(p);
        /* Stale (another cgroup, detached): replace it. */
        close(p->fd);
        unlink(p->path);
    }
    if ((p->fd = link_new(k, prog)) < 0) {
        int err = p->fd;
        p->fd = -1;
        return err;
    }
    return pin_put(p);
}

/* Packet sockets of the cgroup's tasks, reported from a tracepoint: the
 * exit event of socket(2) itself, else (no tracefs to attach it through)
 * every system call's exit. Not fatal: without either they are only not
 * reported (ward status says so). */
static void packet_attach(ward_kernel *k, struct ward_bpf *skel)
{
    static const char *const progs[] = {"ward_packet_socket_call", "ward_packet_socket"};
    __u32 zero = 0;
    if (k->cfg.no_packet_log ||
        bpf_map_update_elem(bpf_map__fd(skel->maps.ward_cgroup), &zero, &k->cg_fd, 0))
        return;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !k->packet_link; i++) {
        struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, progs[i]);
        k->packet_link = prog ? bpf_program__attach(prog) : NULL;
    }
}

int wk_bpf_open(ward_kernel *k)
{
    char path[600];
    int err;
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
    skel->rodata->ward_count = !k->cfg.no_traffic;
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
    bpf_object__for_each_map(map, skel->obj)
    {
        if (strchr(bpf_map__name(map), '.') || k->nmaps == WK_MAX_PINS)
            continue;
        struct wk_pin *p = &k->maps[k->nmaps++];
        snprintf(p->path, sizeof(p->path), "%s", bpf_map__pin_path(map));
        p->fd = bpf_map__fd(map); /* the skeleton's: not ours to close */
        pin_note(p);
    }

    k->cg_fd = open(k->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (k->cg_fd < 0 || fstat(k->cg_fd, &st)) {
        err = -errno;
        goto cleanup;
    }
    k->cg_id = st.st_ino;
    bpf_object__for_each_program(prog, skel->obj)
    {
        enum bpf_prog_type type = bpf_program__type(prog);
        if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_TRACEPOINT)
            continue; /* not a cgroup hook: below */
        if (k->nlinks == WK_MAX_PINS) {
            err = -E2BIG;
            goto cleanup;
        }
        struct wk_pin *p = &k->links[k->nlinks++];
        snprintf(p->path, sizeof(p->path), "%s/links/%s", k->pin_dir, bpf_program__name(prog));
        if ((err = attach_pinned(k, prog, p))) {
            snprintf(k->err, sizeof(k->err), "attach %s to %s: %s", bpf_program__name(prog),
                     k->cgroup, strerror(-err));
            goto cleanup;
        }
    }
    packet_attach(k, skel);
    k->skel = skel;
    k->verdicts_fd = bpf_map__fd(skel->maps.ward_verdicts);
    k->socks_fd = bpf_map__fd(skel->maps.ward_socks);
    k->binds_fd = bpf_map__fd(skel->maps.ward_binds);
    k->stats_fd = bpf_map__fd(skel->maps.ward_stats);
    k->self_fd = bpf_map__fd(skel->maps.ward_self);
    k->cfg_fd = bpf_map__fd(skel->maps.ward_cfg);
    k->events_fd = bpf_map__fd(skel->maps.ward_events);
    k->kev_stats_fd = bpf_map__fd(skel->maps.ward_kev_stats);
    k->pings_fd = bpf_map__fd(skel->maps.ward_pings);
    k->held_fd = bpf_map__fd(skel->maps.ward_held);
    k->handed_fd = bpf_map__fd(skel->maps.ward_handed);
    k->shimmed_fd = bpf_map__fd(skel->maps.ward_shimmed);
    skel = NULL;
    /* The queue's re-injected packets run as this process; self traffic
     * passes until the policy says otherwise. The blocks of the host an
     * earlier run left in the tables hold until the policy is compiled. */
    struct ward_kcfg old = {0};
    __u32 zero = 0;
    if (!bpf_map_lookup_elem(k->cfg_fd, &zero, &old))
        k->self_blocks = old.self_blocks;
    ward_kernel_self_rules(k, false);
    err = 0;
cleanup:
    if (skel) {
        /* The links made so far stay pinned (a later start swaps them);
         * the handle forgets the maps it no longer has. */
        k->nmaps = 0;
        ward_bpf__destroy(skel);
    }
    return err;
}

int wk_bpf_check(ward_kernel *k, bool repair, ward_khooks *out)
{
    int err = 0;
    struct stat st;
    memset(out, 0, sizeof(*out));
    if (!k->skel)
        return 0;
    for (size_t i = 0; i < k->nlinks; i++) {
        struct wk_pin *p = &k->links[i];
        __u32 running = 0;
        bool attached = link_attached(k, p->fd, p->prog, &running);
        if (attached && p->prog_id && running != p->prog_id) {
            /* Another program swapped into our link (BPF_LINK_UPDATE). */
            out->replaced++;
            if (repair && bpf_link_update(p->fd, bpf_program__fd(p->prog), NULL)) {
                out->failed++;
                err = -errno;
            }
        }
        if (!attached) {
            out->detached++;
            if (!repair)
                continue;
            int fd = link_new(k, p->prog);
            if (fd < 0) {
                out->failed++;
                err = fd;
                continue;
            }
            close(p->fd);
            p->fd = fd;
            p->ino = 0; /* the pin names the detached link: put the new one there */
        }
        if (stat(p->path, &st) || st.st_dev != p->dev || st.st_ino != p->ino) {
            if (p->ino) /* not merely the link replaced above */
                out->unpinned++;
            int e = repair ? pin_put(p) : 0;
            if (e) {
                out->failed++;
                err = e;
            }
        }
    }
    for (size_t i = 0; i < k->nmaps; i++) {
        struct wk_pin *p = &k->maps[i];
        if (!stat(p->path, &st) && st.st_dev == p->dev && st.st_ino == p->ino)
            continue;
        out->unpinned++;
        int e = repair ? pin_put(p) : 0;
        if (e) {
            out->failed++;
            err = e;
        }
    }
    bool found = out->detached || out->unpinned || out->replaced;
    if (found && repair && !out->failed)
        k->hook_repairs++;
    return err ? err : found ? 1 : 0;
}

void wk_bpf_close(ward_kernel *k)
{
    /* The pins keep the links attached once we are gone. */
    for (size_t i = 0; i < k->nlinks; i++)
        if (k->links[i].fd >= 0)
            close(k->links[i].fd);
    k->nlinks = k->nmaps = 0;
    bpf_link__destroy(k->packet_link);
    k->packet_link = NULL;
    if (k->cg_fd >= 0)
        close(k->cg_fd);
    k->cg_fd = -1;
    ward_bpf__destroy(k->skel);
    k->skel = NULL;
    k->verdicts_fd = k->socks_fd = k->binds_fd = k->stats_fd = k->self_fd = k->cfg_fd = -1;
    k->events_fd = k->kev_stats_fd = -1;
    k->pings_fd = k->shimmed_fd = -1;
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
