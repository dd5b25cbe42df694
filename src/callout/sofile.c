/*
 * sofile.c — whether a shared object may be loaded as a callout.
 *
 * Loading code is running it: a file anyone but root can write (or replace,
 * through its directory) would be a way into wardd's decisions. So the file
 * and its directory must be owned by root and writable by nobody else, and
 * the file must be a regular file (a symlink is followed, and its target
 * checked, as the loader would open it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "callout/internal.h"

static int check_one(const char *what, const char *path, const struct stat *st, char *err,
                     size_t errlen)
{
    if (st->st_uid != 0) {
        snprintf(err, errlen, "%s %s is owned by uid %u, not root: refused", what, path,
                 (unsigned)st->st_uid);
        return -1;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen, "%s %s is writable by %s (mode %04o): refused", what, path,
                 st->st_mode & S_IWOTH ? "everyone" : "its group", (unsigned)(st->st_mode & 07777));
        return -1;
    }
    return 0;
}

int sofile_check(const char *path, char *err, size_t errlen)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        snprintf(err, errlen, "callout %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(real, &st) < 0) {
        snprintf(err, errlen, "callout %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "callout %s is not a regular file: refused", path);
        return -1;
    }
    if (check_one("callout", path, &st, err, errlen) < 0)
        return -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", real);
    const char *d = dirname(dir);
    if (stat(d, &st) < 0) {
        snprintf(err, errlen, "callout directory %s: %s", d, strerror(errno));
        return -1;
    }
    return check_one("callout directory", d, &st, err, errlen);
}
