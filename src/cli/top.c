/*
 * cli/top.c — `ward top`: runs ward-top, the terminal UI, from the
 * directory the `ward` binary is in (so the CLI itself does not link
 * curses). Arguments are passed on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/spawn.h"

int cmd_top(int argc, char **argv)
{
    char path[PATH_MAX];
    ward_sibling_path("ward-top", path, sizeof(path));
    if (!path[0]) {
        fprintf(stderr, "%s top: cannot find my own binary: %s\n", cli_prog, strerror(errno));
        return 1;
    }
    argv[0] = path;
    (void)argc;
    execv(path, argv);
    fprintf(stderr, "%s top: cannot run %s: %s\n", cli_prog, path, strerror(errno));
    return 1;
}
