/*
 * atomic.c — crash-safe file replacement and the learned rules file.
 */
#define _GNU_SOURCE
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ward_atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 32];
    snprintf(dir, sizeof(dir), "%s", path);
    char *d = dirname(dir);
    /* The temporary name is unique per writer: two writers never share one. */
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (fchmod(fd, mode) < 0)
        rc = -errno;
    const char *p = data;
    size_t left = len;
    while (!rc && left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    /* The rename is durable only once the directory entry is. */
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fsync(dfd) < 0)
        rc = -errno;
    close(dfd);
    return rc;
}

int ward_store_save_learned(const ward_policy *p, const char *path)
{
    char *text = ward_policy_format(p, WARD_PRINT_PROVIDER_ONLY | WARD_PRINT_DURABLE_ONLY,
                                    WARD_PROVIDER_LEARNED);
    if (!text)
        return -ENOMEM;
    static const char head[] = "# Written by Ward: the answers to its prompts. Do not edit while\n"
                               "# wardd runs; `ward rules` changes it.\n";
    size_t hl = strlen(head), tl = strlen(text);
    char *all = malloc(hl + tl + 1);
    if (!all) {
        free(text);
        return -ENOMEM;
    }
    memcpy(all, head, hl);
    memcpy(all + hl, text, tl + 1);
    int rc = ward_atomic_write(path, all, hl + tl, 0600);
    free(all);
    free(text);
    return rc;
}
