/*
 * ask.c — the shim's two ways to a verdict: the cache of answers the
 * kernel gives anyway (mapped read-only, read under wardd's sequence lock),
 * and a question over shim.sock for the rest.
 *
 * Whatever goes wrong here (no wardd, no socket, a timeout, a short
 * answer) is WARD_SHIM_PASS: the call goes on and the kernel layer decides
 * it, as it would without the shim. The shim never fails a call wardd did
 * not deny.
 */
#define _GNU_SOURCE
#include "shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* An answer that needs a person waits for one: the prompt's own timeout
 * bounds it. A wardd that stopped answering at all gives way after this. */
#define ANSWER_TIMEOUT_S 120

static struct sockaddr_un sock_addr;
static char cache_path[sizeof(sock_addr.sun_path)];
static const struct ward_shim_cache *cache;
static _Atomic int64_t cache_tried_s; /* the last attempt to map it */
static struct stat exe;               /* this program, as the kernel knows it */
static int have_exe;

void shim_ask_init(void)
{
    const char *dir = getenv(WARD_SHIM_RUN_ENV);
    if (!dir || !*dir || strlen(dir) > sizeof(cache_path) - sizeof(WARD_SHIM_CACHE) - 2)
        dir = WARD_SHIM_RUN_DIR;
    sock_addr.sun_family = AF_UNIX;
    snprintf(sock_addr.sun_path, sizeof(sock_addr.sun_path), "%s/%s", dir, WARD_SHIM_SOCK);
    snprintf(cache_path, sizeof(cache_path), "%s/%s", dir, WARD_SHIM_CACHE);
    have_exe = stat("/proc/self/exe", &exe) == 0;
}

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Maps the cache once wardd has made it; tried at most once a second. */
static const struct ward_shim_cache *cache_map(void)
{
    if (cache || !have_exe)
        return cache;
    int64_t now = now_s(), tried = atomic_load(&cache_tried_s);
    if (tried == now || !atomic_compare_exchange_strong(&cache_tried_s, &tried, now))
        return NULL;
    int fd = open(cache_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 0022) &&
        (size_t)st.st_size >= sizeof(struct ward_shim_cache))
        p = mmap(NULL, sizeof(struct ward_shim_cache), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return NULL;
    const struct ward_shim_cache *c = p;
    if (c->magic != WARD_SHIM_CACHE_MAGIC || c->nslots != WARD_SHIM_CACHE_SLOTS) {
        munmap(p, sizeof(*c));
        return NULL;
    }
    cache = c;
    return c;
}

/* Whether the kernel allows this program the port anyway (a cache hit). */
static int cache_allows(const struct ward_shim_question *q)
{
    const struct ward_shim_cache *c = cache_map();
    if (!c || q->op == WARD_SHIM_ACCEPT)
        return 0;
    uint32_t uid = (uint32_t)getuid();
    uint32_t home = ward_shim_slot_of(exe.st_dev, exe.st_ino, uid, q->proto, q->port);
    for (int attempt = 0; attempt < 4; attempt++) {
        uint32_t s1 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1)
            continue; /* wardd is writing */
        int hit = 0;
        for (uint32_t i = 0; i < WARD_SHIM_CACHE_PROBE && !hit; i++) {
            const struct ward_shim_slot *sl = &c->slot[(home + i) & (WARD_SHIM_CACHE_SLOTS - 1)];
            hit = sl->used && sl->dev == exe.st_dev && sl->ino == exe.st_ino && sl->uid == uid &&
                  sl->proto == q->proto && sl->port == q->port;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == s1)
            return hit;
    }
    return 0; /* never settled: ask */
}

static int ask_wardd(int fd, const struct ward_shim_question *q, int *err)
{
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return WARD_SHIM_PASS;
    int verdict = WARD_SHIM_PASS;
    struct timeval snd = {1, 0}, rcv = {ANSWER_TIMEOUT_S, 0};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv));
    if (shim_real.connect(s, (const struct sockaddr *)&sock_addr, sizeof(sock_addr)))
        goto out; /* no wardd: the kernel decides */
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct iovec iov = {(void *)q, sizeof(*q)};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    if (shim_real.sendmsg(s, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(*q))
        goto out;
    struct ward_shim_answer a;
    ssize_t n;
    do
        n = recv(s, &a, sizeof(a), 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(a) || a.magic != WARD_SHIM_MAGIC)
        goto out;
    if (a.verdict == WARD_SHIM_DENY) {
        *err = a.err == EACCES ? EACCES : ECONNREFUSED;
        verdict = WARD_SHIM_DENY;
    } else if (a.verdict == WARD_SHIM_ALLOW) {
        verdict = WARD_SHIM_ALLOW;
    }
out:
    close(s);
    return verdict;
}

int shim_ask(int fd, struct ward_shim_question *q, int *err)
{
    if (cache_allows(q))
        return WARD_SHIM_PASS;
    /* What only a question needs. */
    q->tid = (uint32_t)syscall(SYS_gettid);
    if (q->op != WARD_SHIM_ACCEPT)
        q->name_len = shim_names_find(q->addr, q->name);
    return ask_wardd(fd, q, err);
}
