/*
 * helper.c — the life of wardd's helper processes (ward-scand, ward-maild):
 * each found beside wardd, started with one end of a SOCK_SEQPACKET
 * socketpair as its fd 3 (the other in wardd's epoll set), killed when
 * stopped, and started again after a crash with a backoff: 1 s, doubling
 * up to a minute while it keeps dying, back to 1 s once one ran a minute.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/wardd.h"
#include "util/spawn.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000

void wardd_helper_init(struct wardd_helper *h, const char *name, uint32_t tag)
{
    memset(h, 0, sizeof(*h));
    h->tag = tag;
    h->fd = -1;
    h->backoff_ms = BACKOFF_MIN_MS;
    h->down_ms = -BACKOFF_MAX_MS;
    ward_sibling_path(name, h->path, sizeof(h->path));
}

bool wardd_helper_due(const struct wardd_helper *h, int64_t now_ms)
{
    return h->fd < 0 && now_ms - h->down_ms >= h->backoff_ms;
}

int wardd_helper_start(struct wardd *d, struct wardd_helper *h, char *const argv[])
{
    int sv[2];
    h->down_ms = wardd_now_ms(); /* a failure waits for the backoff */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
        wardd_log(LOG_ERR, "%s: socketpair: %s", argv[0], strerror(errno));
        return -1;
    }
    pid_t pid = ward_spawn_fd3(h->path, argv, sv[1]);
    close(sv[1]);
    if (pid < 0) {
        wardd_log(LOG_ERR, "%s: fork: %s", argv[0], strerror(errno));
        close(sv[0]);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = h->tag};
    epoll_ctl(d->epfd, EPOLL_CTL_ADD, sv[0], &ev);
    h->fd = sv[0];
    h->pid = pid;
    h->started_ms = wardd_now_ms();
    h->starts++;
    return 0;
}

int wardd_helper_stop(struct wardd_helper *h)
{
    int status = 0;
    /* Killed before its socket closes: a helper that saw the end of its
     * socket first would exit on its own, and a sanitizer build's leak
     * check at that exit cannot run under the helper's seccomp filter (a
     * "fatal error" in wardd's log, now and then). */
    if (h->pid > 0)
        kill(h->pid, SIGKILL);
    if (h->fd >= 0)
        close(h->fd); /* leaves the epoll set with it */
    h->fd = -1;
    if (h->pid > 0) {
        while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    h->pid = 0;
    return status;
}

void wardd_helper_crashed(struct wardd_helper *h, const char *who, const char *why)
{
    pid_t pid = h->pid;
    int status = wardd_helper_stop(h);
    int64_t now = wardd_now_ms();
    if (now - h->started_ms > BACKOFF_MAX_MS)
        h->backoff_ms = BACKOFF_MIN_MS;
    else if (h->starts > 1 && h->backoff_ms < BACKOFF_MAX_MS)
        h->backoff_ms *= 2;
    h->down_ms = now;
    wardd_log(LOG_WARNING, "%s (pid %d) %s%s%d: started again in %lld ms", who, (int)pid, why,
              WIFSIGNALED(status) ? ", signal " : ", status ",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
              (long long)h->backoff_ms);
}

void wardd_helper_reset(struct wardd_helper *h)
{
    h->down_ms = -BACKOFF_MAX_MS;
    h->backoff_ms = BACKOFF_MIN_MS;
}
