/*
 * spawn.c — a helper with its socket as fd 3 (spawn.h).
 */
#define _GNU_SOURCE
#include "util/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

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
