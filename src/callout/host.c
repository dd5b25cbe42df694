/*
 * host.c — wardd's side of a shared-object callout's host process.
 *
 * As OpenSSH separates privileges: the callout's code runs in
 * ward-callout-host, fork+exec'd here with one end of a SOCK_SEQPACKET
 * socketpair as fd 3; the host drops to an unprivileged user before it
 * loads the object. Each call waits at most the time budget; a host that
 * crashes, hangs or answers nonsense is killed, the call gets the policy's
 * failure outcome, and the host is started again on a later call (at most
 * once a second, so a callout that dies on every call cannot make wardd
 * spend its time forking).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "callout/internal.h"
#include "util/spawn.h"

#define HELLO_MS   2000 /* loading the object and answering hello */
#define RESTART_MS 1000

int64_t callout_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void host_stop(struct host *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    h->pid = 0;
}

/* Receives one datagram of at least min bytes within ms; its length or -1. */
static ssize_t recv_within(int fd, void *buf, size_t len, size_t min, unsigned ms)
{
    int64_t deadline = callout_now_ms() + ms;
    for (;;) {
        int64_t left = deadline - callout_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1; /* hung, or poll failed */
        ssize_t got = recv(fd, buf, len, MSG_DONTWAIT);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return got >= (ssize_t)min ? got : -1; /* 0: the host is gone */
    }
}

int host_start(struct host *h, char *name, size_t namelen, uint32_t *layers, char *err,
               size_t errlen)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    char *argv[] = {"ward-callout-host", h->so_path, NULL};
    pid_t pid = ward_spawn_fd3(h->host_path, argv, sv[1]);
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    close(sv[1]);
    h->fd = sv[0];
    h->pid = pid;
    struct wire_hello hello;
    ssize_t got = recv_within(h->fd, &hello, sizeof(hello), sizeof(hello), HELLO_MS);
    if (got < 0 || hello.h.magic != WIRE_MAGIC || hello.h.op != WIRE_HELLO) {
        snprintf(err, errlen, "callout %s: the host (%s) did not start", h->so_path, h->host_path);
        host_stop(h);
        h->down_since_ms = callout_now_ms();
        return -1;
    }
    hello.name[sizeof(hello.name) - 1] = '\0';
    hello.err[sizeof(hello.err) - 1] = '\0';
    if (!hello.ok) {
        snprintf(err, errlen, "callout %s: %s", h->so_path, hello.err);
        host_stop(h);
        return -1;
    }
    /* Calls wait with a receive timeout: one system call per answer, not
     * a poll and a receive. */
    struct timeval tv = {.tv_sec = h->budget_ms / 1000,
                         .tv_usec = (suseconds_t)(h->budget_ms % 1000) * 1000};
    setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (name)
        snprintf(name, namelen, "%s", hello.name);
    if (layers)
        *layers = hello.layers;
    return 0;
}

static bool host_ensure(struct host *h)
{
    if (h->fd >= 0)
        return true;
    int64_t now = callout_now_ms();
    if (now - h->down_since_ms < RESTART_MS)
        return false;
    char err[256];
    h->restarts++;
    if (host_start(h, NULL, 0, NULL, err, sizeof(err)) < 0) {
        h->down_since_ms = now;
        return false;
    }
    return true;
}

static void host_failed(struct host *h)
{
    host_stop(h);
    h->down_since_ms = callout_now_ms();
}

static void copy_str(char *dst, size_t len, const char *s)
{
    snprintf(dst, len, "%s", s ? s : "");
}

bool host_classify(struct host *h, const ward_callout_flow *f, const ward_callout_data *d,
                   enum ward_callout_verdict *out)
{
    if (!host_ensure(h))
        return false;
    size_t blen = d && d->bytes ? d->len : 0;
    if (blen > WIRE_BYTES_MAX)
        blen = WIRE_BYTES_MAX;
    size_t size = sizeof(struct wire_classify) + blen;
    struct wire_classify *m = calloc(1, size);
    if (!m)
        return false;
    m->h = (struct wire_hdr){WIRE_MAGIC, WIRE_CLASSIFY, ++h->seq, 0};
    m->flow_id = f->id;
    m->layer = f->layer;
    m->dir = f->dir;
    m->proto = f->proto;
    m->lport = f->lport;
    m->rport = f->rport;
    memcpy(m->local, f->local, 16);
    memcpy(m->remote, f->remote, 16);
    m->pid = f->pid;
    m->uid = f->uid;
    copy_str(m->app, sizeof(m->app), f->app);
    copy_str(m->domain, sizeof(m->domain), f->domain);
    if (d) {
        copy_str(m->qname, sizeof(m->qname), d->qname);
        m->qtype = d->qtype;
        m->n_answers = (uint32_t)(d->n_answers < WIRE_ANSWERS ? d->n_answers : WIRE_ANSWERS);
        for (uint32_t i = 0; i < m->n_answers; i++)
            memcpy(m->answers[i], d->answers[i], 16);
        m->sdir = d->dir;
        m->sflags = d->flags;
        m->offset = d->offset;
        m->len = (uint32_t)blen;
        if (blen)
            memcpy(m->bytes, d->bytes, blen);
    }
    ssize_t sent = send(h->fd, m, size, MSG_NOSIGNAL);
    free(m);
    if (sent != (ssize_t)size) {
        host_failed(h);
        return false;
    }
    struct wire_verdict v;
    ssize_t got;
    int64_t deadline = callout_now_ms() + h->budget_ms;
    /* A signal may cut the wait short: wait again, until the deadline. */
    while ((got = recv(h->fd, &v, sizeof(v), 0)) < 0 && errno == EINTR &&
           callout_now_ms() < deadline)
        ;
    /* Nothing in time (EAGAIN), the host gone (0) or nonsense; an answer to
     * an earlier call cannot come: a host that ran out of time was killed. */
    if (got != (ssize_t)sizeof(v) || v.h.magic != WIRE_MAGIC || v.h.op != WIRE_VERDICT ||
        v.h.seq != h->seq) {
        host_failed(h);
        return false;
    }
    int32_t result = v.verdict & ~WARD_CALLOUT_F_CACHE; /* the flag goes on to the registry */
    if (result < WARD_CALLOUT_PERMIT || result > WARD_CALLOUT_DROP_CONNECTION) {
        host_failed(h);
        return false;
    }
    *out = (enum ward_callout_verdict)v.verdict;
    return true;
}

void host_notify(struct host *h, enum ward_callout_event ev, uint64_t id, const char *name)
{
    if (h->fd < 0)
        return;
    struct wire_notify m = {
        .h = {WIRE_MAGIC, WIRE_NOTIFY, ++h->seq, 0}, .event = (uint32_t)ev, .filter_id = id};
    copy_str(m.filter_name, sizeof(m.filter_name), name);
    if (send(h->fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(m))
        host_failed(h);
}

void host_flow_delete(struct host *h, uint64_t flow_id)
{
    if (h->fd < 0)
        return;
    struct wire_flow_delete m = {.h = {WIRE_MAGIC, WIRE_FLOW_DELETE, ++h->seq, 0},
                                 .flow_id = flow_id};
    if (send(h->fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(m))
        host_failed(h);
}
