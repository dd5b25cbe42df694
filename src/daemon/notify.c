/*
 * notify.c — READY=1, RELOADING=1, STOPPING=1 and WATCHDOG=1 to systemd
 * over its notification socket (sd_notify(3)'s protocol).
 */
#define _GNU_SOURCE
#include "daemon/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int wardd_notify(const char *fmt, ...)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t plen = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(addr.sun_path))
        return -EINVAL;
    memcpy(addr.sun_path, path, plen);
    if (path[0] == '@')
        addr.sun_path[0] = '\0'; /* abstract: the name has no terminating NUL */

    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(msg))
        return -EMSGSIZE;

    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    int rc =
        sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen) < 0 ? -errno : 1;
    close(fd);
    return rc;
}

uint64_t wardd_watchdog_usec(void)
{
    const char *pid = getenv("WATCHDOG_PID"), *usec = getenv("WATCHDOG_USEC");
    char *end;
    if (pid && *pid) {
        errno = 0;
        unsigned long long p = strtoull(pid, &end, 10);
        if (errno || *end || p != (unsigned long long)getpid())
            return 0;
    }
    if (!usec || !*usec)
        return 0;
    errno = 0;
    unsigned long long us = strtoull(usec, &end, 10);
    if (errno || *end)
        return 0;
    return (uint64_t)us;
}
