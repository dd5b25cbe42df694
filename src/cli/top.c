/*
 * cli/top.c — `ward top`: runs ward-top, the terminal UI, from the
 * directory the `ward` binary is in (so the CLI itself does not link
 * curses). Arguments are passed on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cmd_top(int argc, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "%s top: cannot find my own binary: %s\n", cli_prog, strerror(errno));
        return 1;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(path, sizeof(path), "%s/ward-top", self);
    argv[0] = path;
    (void)argc;
    execv(path, argv);
    fprintf(stderr, "%s top: cannot run %s: %s\n", cli_prog, path, strerror(errno));
    return 1;
}
