/*
 * shim.c — wardd's side of libward-shim.so (docs/SHIM.md).
 *
 * shim.sock is open to every program (mode 0666): a question tells wardd
 * nothing it would act on blindly. The asker is the peer's credentials
 * (SO_PEERCRED) and the executable /proc names for that pid; the socket is
 * the one passed along (SCM_RIGHTS), whose cookie the backend reads; the
 * name asked for only counts when a DNS answer wardd saw gave that address
 * that name, or when it makes the decision stricter (decide.c). An allow
 * marks the socket for that program and destination only (ward_shimmed).
 *
 * shim.cache lists what each program's kernel verdict table allows anyway
 * (program, uid, protocol, port): the shim asks nothing there and the
 * kernel decides as it would without it. wardd writes it under a sequence
 * lock and empties it whenever the policy in force changes.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "ward/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_PENDING 1024 /* questions waiting on prompts, at most */
#define MAX_UNREAD  256  /* connections whose question has not come yet */

/* A question held on a prompt. */
struct pending {
    uint64_t id;
    int conn, sock; /* the asker's connection, the socket it asked about */
    ward_exe_id exe;
    uint8_t proto;
    ward_ip remote;
    uint16_t port;
};

struct wardd_shim {
    int listen_fd, epfd; /* epfd: the connections not yet read */
    char sock_path[PATH_MAX], cache_path[PATH_MAX];
    struct ward_shim_cache *cache;
    struct pending *pending;
    size_t n_pending;
    uint64_t next_id;
    size_t unread;           /* connections in epfd besides the listener */
    uint64_t asked, refused; /* questions answered, questions refused as malformed */
};

static void cache_clear(struct ward_shim_cache *c)
{
    __atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELEASE);
    memset(c->slot, 0, sizeof(c->slot));
    __atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELEASE);
}

/* Notes that the kernel allows this program the port anyway. */
static void cache_put(struct ward_shim_cache *c, ward_exe_id exe, uint32_t uid, uint8_t proto,
                      uint16_t port)
{
    uint32_t home = ward_shim_slot_of(exe.dev, exe.ino, uid, proto, port);
    struct ward_shim_slot s = {exe.dev, exe.ino, uid, proto, 1, port};
    uint32_t at = home;
    for (uint32_t i = 0; i < WARD_SHIM_CACHE_PROBE; i++) {
        struct ward_shim_slot *sl = &c->slot[(home + i) & (WARD_SHIM_CACHE_SLOTS - 1)];
        if (!sl->used || !memcmp(sl, &s, sizeof(s))) {
            at = home + i;
            break;
        }
    }
    /* A full neighbourhood: the home slot gives way. */
    __atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    c->slot[at & (WARD_SHIM_CACHE_SLOTS - 1)] = s;
    __atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELEASE);
}

static int cache_open(struct wardd_shim *s)
{
    int fd = open(s->cache_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = 0;
    /* The shims check it is root's and no one else may write it. */
    if (fchmod(fd, 0644) || ftruncate(fd, sizeof(*s->cache))) {
        rc = -errno;
        goto out;
    }
    void *p = mmap(NULL, sizeof(*s->cache), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        rc = -errno;
        goto out;
    }
    s->cache = p;
    s->cache->nslots = WARD_SHIM_CACHE_SLOTS;
    if (s->cache->seq & 1)
        s->cache->seq++; /* a run stopped mid-write */
    cache_clear(s->cache);
    __atomic_store_n(&s->cache->magic, WARD_SHIM_CACHE_MAGIC, __ATOMIC_RELEASE);
out:
    close(fd);
    return rc;
}

int wardd_shim_open(struct wardd *d)
{
    struct wardd_shim *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    d->shim = s;
    s->listen_fd = s->epfd = -1;
    s->next_id = 1;
    snprintf(s->sock_path, sizeof(s->sock_path), "%s/%s", d->opt.run_dir, WARD_SHIM_SOCK);
    snprintf(s->cache_path, sizeof(s->cache_path), "%s/%s", d->opt.run_dir, WARD_SHIM_CACHE);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(s->sock_path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    memcpy(a.sun_path, s->sock_path, strlen(s->sock_path) + 1);
    s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->listen_fd < 0 || s->epfd < 0)
        return -errno;
    unlink(s->sock_path);
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) || chmod(s->sock_path, 0666) ||
        listen(s->listen_fd, 128))
        return -errno;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s->listen_fd};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev))
        return -errno;
    int rc = cache_open(s);
    if (rc < 0)
        wardd_log(LOG_WARNING, "shim cache %s: %s (every shim question goes to the socket)",
                  s->cache_path, strerror(-rc));
    return 0;
}

int wardd_shim_fd(const struct wardd *d)
{
    return d->shim ? d->shim->epfd : -1;
}

void wardd_shim_changed(struct wardd *d)
{
    if (d->shim && d->shim->cache)
        cache_clear(d->shim->cache);
}

static void reply(int conn, uint8_t verdict, int err)
{
    struct ward_shim_answer a = {.magic = WARD_SHIM_MAGIC, .verdict = verdict, .err = err};
    (void)!send(conn, &a, sizeof(a), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* TCP is refused as a reset would refuse it; a datagram is not permitted. */
static int errno_of(uint8_t proto)
{
    return proto == 6 ? ECONNREFUSED : EACCES;
}

static void finish(struct wardd *d, const struct pending *p, enum ward_verdict v)
{
    uint8_t out = v == WARD_V_DEFER ? WARD_SHIM_PASS : WARD_SHIM_DENY;
    if (v == WARD_V_PERMIT) {
        out = WARD_SHIM_ALLOW;
        if (d->kernel &&
            ward_kernel_shim_mark(d->kernel, p->sock, p->exe, p->proto, &p->remote, p->port) < 0)
            out = WARD_SHIM_PASS; /* not marked: the kernel asks again */
    }
    reply(p->conn, out, errno_of(p->proto));
    close(p->conn);
    close(p->sock);
}

void wardd_shim_answer(struct wardd *d, uint64_t shim_id, enum ward_verdict v)
{
    struct wardd_shim *s = d->shim;
    for (size_t i = 0; s && i < s->n_pending; i++) {
        if (s->pending[i].id != shim_id)
            continue;
        finish(d, &s->pending[i], v);
        s->pending[i] = s->pending[--s->n_pending];
        return;
    }
}

/* The one socket passed with the question; any other descriptor is closed. */
static int passed_fd(struct msghdr *m)
{
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fd < 0 && n == 1)
                fd = f;
            else
                close(f);
        }
    }
    return fd;
}

/* The socket is the kind the question says: an internet TCP or UDP socket. */
static int socket_matches(int fd, uint8_t proto)
{
    int domain = 0, type = 0, p = 0;
    socklen_t l = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) ||
        getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &l))
        return 0;
    return (domain == AF_INET || domain == AF_INET6) && p == proto &&
           type == (proto == 6 ? SOCK_STREAM : SOCK_DGRAM);
}

/* The socket's own address and port, as bound (0 when it is not yet). */
static void local_of(int fd, ward_ip *ip, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &l))
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)&ss;
        ward_ip_from_v4(ip, ntohl(in->sin_addr.s_addr));
        *port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)&ss;
        memcpy(ip->b, &in6->sin6_addr, 16);
        *port = ntohs(in6->sin6_port);
    }
}

/* The executable process pid runs, as the hooks see it (dev, inode). */
static int exe_of(uint32_t pid, ward_exe_id *exe)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%u/exe", pid);
    if (stat(path, &st))
        return -1;
    exe->dev = st.st_dev;
    exe->ino = st.st_ino;
    return 0;
}

/* Answers the question of conn now, or keeps it pending on a prompt. */
static void question(struct wardd *d, int conn)
{
    struct wardd_shim *s = d->shim;
    struct ward_shim_question q;
    char buf[sizeof(q) + 1];
    union {
        char b[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    ssize_t n = recvmsg(conn, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    int sock = n >= 0 ? passed_fd(&m) : -1;
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    const char *why = NULL;
    ward_exe_id exe;
    if (n < 0 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
        ward_shim_question_check(buf, (size_t)n, &q, &why) < 0 || sock < 0 ||
        !socket_matches(sock, q.proto) || getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl) ||
        exe_of((uint32_t)cred.pid, &exe)) {
        s->refused++;
        wardd_log(LOG_DEBUG, "shim: a question refused: %s", why ? why : "no socket passed");
        reply(conn, WARD_SHIM_PASS, 0); /* the kernel decides, as without the shim */
        goto done;
    }
    s->asked++;
    bool in = q.op == WARD_SHIM_ACCEPT;
    /* What the kernel allows in its own table needs no decision here. */
    if (!in && d->kernel &&
        ward_kernel_program_lookup(d->kernel, exe, q.proto, WARD_KDIR_OUT, q.port) ==
            WARD_KV_ALLOW) {
        if (s->cache)
            cache_put(s->cache, exe, cred.uid, q.proto, q.port);
        reply(conn, WARD_SHIM_PASS, 0);
        goto done;
    }
    ward_kqueued k = {.proto = q.proto,
                      .dir = in ? WARD_KDIR_IN : WARD_KDIR_OUT,
                      .rport = q.port,
                      .attributed = true,
                      .exe = exe,
                      .pid = (uint32_t)cred.pid,
                      .uid = cred.uid};
    memcpy(k.remote.b, q.addr, 16);
    k.family = ward_ip_is_v4(&k.remote) ? 4 : 6;
    local_of(sock, &k.local, &k.lport); /* an accepted connection's port: the rules' */
    /* The name as a DNS answer wardd saw gave it; the shim's own only if
     * it is that one (else it may only make the decision stricter). */
    char claim[WARD_SHIM_NAME_MAX + 1] = "";
    memcpy(claim, q.name, q.name_len);
    int src = claim[0] && d->kernel ? ward_kernel_name_gave(d->kernel, &k.remote, claim) : 0;
    if (src > 0)
        memcpy(k.domain, claim, sizeof(claim));
    else if (d->kernel)
        src = ward_kernel_name_of(d->kernel, &k.remote, k.domain, sizeof(k.domain));
    k.domain_src = src > 0 ? (uint8_t)src : WARD_NAME_NONE;
    struct wardd_asker as = {s->next_id, WARD_VIA_SHIM, in};
    struct pending p = {s->next_id++, conn, sock, exe, q.proto, k.remote, q.port};
    if (s->n_pending == MAX_PENDING) {
        reply(conn, WARD_SHIM_PASS, 0); /* too many waiting: the kernel asks */
        goto done;
    }
    int v = wardd_decide(d, &k, claim[0] ? claim : NULL, &as);
    if (v == WARD_KV_NONE) {
        reply(conn, WARD_SHIM_PASS, 0); /* the kernel's decision stands */
        goto done;
    }
    if (v == WARD_KV_ASK) {
        struct pending *grown = realloc(s->pending, (s->n_pending + 1) * sizeof(*grown));
        if (grown) {
            s->pending = grown;
            s->pending[s->n_pending++] = p;
            return; /* answered when the prompt closes */
        }
        v = WARD_KV_DENY;
    }
    finish(d, &p, v == WARD_KV_ALLOW ? WARD_V_PERMIT : WARD_V_BLOCK);
    return;
done:
    if (sock >= 0)
        close(sock);
    close(conn);
}

void wardd_shim_ready(struct wardd *d)
{
    struct wardd_shim *s = d->shim;
    struct epoll_event evs[16];
    int n = epoll_wait(s->epfd, evs, 16, 0);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd != s->listen_fd) {
            epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
            s->unread--;
            question(d, fd);
            continue;
        }
        int c;
        while ((c = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
            /* Connections that never ask must not use up wardd's files:
             * past the bound a shim finds the door closed, and the kernel
             * decides its connection. */
            if (s->unread >= MAX_UNREAD || epoll_ctl(s->epfd, EPOLL_CTL_ADD, c, &ev)) {
                close(c);
                continue;
            }
            s->unread++;
        }
    }
}

void wardd_shim_close(struct wardd *d)
{
    struct wardd_shim *s = d->shim;
    if (!s)
        return;
    /* Questions still waiting: their shims let the kernel decide. */
    for (size_t i = 0; i < s->n_pending; i++) {
        reply(s->pending[i].conn, WARD_SHIM_PASS, 0);
        close(s->pending[i].conn);
        close(s->pending[i].sock);
    }
    free(s->pending);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        unlink(s->sock_path);
    }
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->cache)
        munmap(s->cache, sizeof(*s->cache));
    free(s);
    d->shim = NULL;
}
