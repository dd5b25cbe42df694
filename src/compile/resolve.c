/*
 * resolve.c — the one resolver that touches the file system: a program's
 * path to the executable the hooks will see (kcompile.h). Kept apart so the
 * compiler itself stays pure and its tests pass a resolver of their own.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compile/kcompile.h"

/* The hooks see the file a process was started from, and the engine sees
 * the name it was started by (/proc/PID/exe): a rule's path names that
 * executable only when it is canonical (a symlink's rules would be keyed to
 * its target) and the file's only name (a hard link's other name is a
 * different program to the engine, with rules of its own or none). */
int ward_kc_resolve_path(void *ctx, const char *path, ward_exe_id *out)
{
    (void)ctx;
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real) || strcmp(real, path) || stat(path, &st) < 0 ||
        !S_ISREG(st.st_mode) || st.st_nlink != 1)
        return -1;
    *out = (ward_exe_id){st.st_dev, st.st_ino};
    return 0;
}
