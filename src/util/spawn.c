/*
 * spawn.c — a helper with its socket as fd 3 (spawn.h).
 */
#define _GNU_SOURCE
#include "util/spawn.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

void ward_self_path(char *out, size_t len)
{
    ssize_t n = len ? readlink("/proc/self/exe", out, len - 1) : -1;
    if (len)
        out[n > 0 ? n : 0] = '\0';
}

void ward_sibling_path(const char *name, char *out, size_t len)
{
    char self[PATH_MAX];
    ward_self_path(self, sizeof(self));
    if (len)
        out[0] = '\0';
    if (self[0])
        snprintf(out, len, "%s/%s", dirname(self), name);
}

pid_t ward_spawn_fd3(const char *path, char *const argv[], int sock)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* wardd opens its descriptors CLOEXEC; closefrom catches the rest. */
    if (dup2(sock, 3) < 0)
        _exit(127);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
    }
    fcntl(3, F_SETFL, fcntl(3, F_GETFL) & ~O_NONBLOCK);
    closefrom(4);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(path, argv);
    _exit(127);
}
