/*
 * bpffs.c — where Ward's pins live. Pins (links, maps) need a BPF file
 * system; a machine may have none mounted (no systemd, a minimal container,
 * a fresh mount namespace). Then, as bpftool does, a BPF file system is
 * mounted on /sys/fs/bpf when that is an empty directory; if it cannot be
 * (not empty, read-only, missing), on /run/ward/bpf, and the pins go there
 * under the same relative path. A later start resolves the same way and so
 * finds the pins of the earlier one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "kernel/internal.h"
#include "util/errbuf.h"

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

/* The file system type of path, or of its nearest existing ancestor. */
static int fs_type(const char *path, long *type)
{
    char buf[512];
    struct statfs sf;
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (;;) {
        if (!statfs(buf, &sf)) {
            *type = (long)sf.f_type;
            return 0;
        }
        if (errno != ENOENT)
            return -errno;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
            return statfs("/", &sf) ? -errno : (*type = (long)sf.f_type, 0);
        *slash = '\0';
    }
}

bool wk_on_bpffs(const char *path)
{
    long t;
    return !fs_type(path, &t) && t == (long)BPF_FS_MAGIC;
}

/* Is path itself a mounted BPF file system (not merely below one)? */
static bool is_bpffs_dir(const char *path)
{
    struct statfs sf;
    return !statfs(path, &sf) && sf.f_type == BPF_FS_MAGIC;
}

static const char *fs_name(long t)
{
    switch (t) {
    case SYSFS_MAGIC:
        return "sysfs";
    case TMPFS_MAGIC:
        return "tmpfs";
    case EXT4_SUPER_MAGIC:
        return "ext4";
    case BTRFS_SUPER_MAGIC:
        return "btrfs";
    case XFS_SUPER_MAGIC:
        return "xfs";
    case OVERLAYFS_SUPER_MAGIC:
        return "overlayfs";
    default:
        return "not bpf";
    }
}

/* 0 empty, -ENOTEMPTY, or why it cannot be read. */
static int dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            rc = -ENOTEMPTY;
            break;
        }
    closedir(d);
    return rc;
}

/* The options systemd mounts /sys/fs/bpf with: only root reaches the pins. */
static int mount_bpffs(const char *dir)
{
    return mount("bpf", dir, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") ? -errno : 0;
}

/* want's path below /sys/fs/bpf ("" or "/ward"), or NULL if not below it. */
static const char *below_std(const char *want)
{
    const size_t n = strlen(WARD_KBPFFS_STD);
    if (strncmp(want, WARD_KBPFFS_STD, n) || (want[n] && want[n] != '/'))
        return NULL;
    return want + n;
}

/* Did an earlier start pin want's objects under the fallback? Its links
 * are still attached: pinning anew elsewhere would attach the hooks twice. */
static bool fallback_has(const char *want)
{
    const char *rel = below_std(want);
    char path[512];
    struct stat st;
    if (!rel)
        return false;
    snprintf(path, sizeof(path), "%s%s", WARD_KBPFFS_FALLBACK, rel);
    return is_bpffs_dir(WARD_KBPFFS_FALLBACK) && !stat(path, &st);
}

int wk_bpffs_resolve(const char *want, bool may_mount, char *out, size_t outlen, char *mounted,
                     size_t mlen, char *err, size_t errlen)
{
    const char *rel = below_std(want);
    char fallback[512];
    long type = 0;
    if (mounted && mlen)
        mounted[0] = '\0';
    if (wk_on_bpffs(want) && !fallback_has(want)) {
        snprintf(out, outlen, "%s", want);
        return 0;
    }
    fs_type(want, &type);
    /* Only the standard place moves: a directory chosen elsewhere is the
     * administrator's, and a mount over it would hide what is there. */
    if (!rel) {
        ward_errbuf_set(err, errlen,
                        "pin directory %s is on %s, not a BPF file system; fix: mount one "
                        "(mount -t bpf bpf DIR) or choose a pin directory under %s",
                        want, fs_name(type), WARD_KBPFFS_STD);
        return -ENOTSUP;
    }
    snprintf(fallback, sizeof(fallback), "%s%s", WARD_KBPFFS_FALLBACK, rel);
    /* An earlier start mounted one there: use it. */
    if (is_bpffs_dir(WARD_KBPFFS_FALLBACK)) {
        snprintf(out, outlen, "%s", fallback);
        return 0;
    }
    if (!may_mount) {
        ward_errbuf_set(err, errlen, "no BPF file system holds %s", want);
        return -ENOENT;
    }
    int e1 = dir_empty(WARD_KBPFFS_STD);
    if (!e1 && !(e1 = mount_bpffs(WARD_KBPFFS_STD))) {
        snprintf(out, outlen, "%s", want);
        if (mounted)
            snprintf(mounted, mlen, "%s", WARD_KBPFFS_STD);
        return 0;
    }
    int e2 = wk_mkdir_p(WARD_KBPFFS_FALLBACK);
    if (!e2 && !(e2 = mount_bpffs(WARD_KBPFFS_FALLBACK))) {
        snprintf(out, outlen, "%s", fallback);
        if (mounted)
            snprintf(mounted, mlen, "%s", WARD_KBPFFS_FALLBACK);
        return 0;
    }
    ward_errbuf_set(err, errlen,
                    "pin directory %s: no BPF file system is mounted and none could be "
                    "(on %s: %s; on %s: %s); fix: run as root with CAP_SYS_ADMIN, or "
                    "mount -t bpf bpf %s",
                    want, WARD_KBPFFS_STD, strerror(-e1), WARD_KBPFFS_FALLBACK, strerror(-e2),
                    WARD_KBPFFS_STD);
    return e2;
}
