/*
 * shim.c — libward-shim.so: Ward's user-mode layer (docs/SHIM.md).
 *
 * Preloaded into a program, it stands in front of the socket calls that
 * start a conversation (connect, sendto, sendmsg, sendmmsg with a
 * destination, accept) and of the name lookups (getaddrinfo,
 * gethostbyname), so wardd hears of a connection with the name the program
 * asked for and the thread that asked, before the kernel sees it. A call
 * wardd denies fails with the errno it names; anything else goes on to the
 * real call, and the kernel layer still judges every connection the shim
 * did not decide. errno is the real call's, as without the shim.
 */
#define _GNU_SOURCE
#include "shim/shim.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

struct shim_real shim_real;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
    shim_real.connect = dlsym(RTLD_NEXT, "connect");
    shim_real.sendto = dlsym(RTLD_NEXT, "sendto");
    shim_real.sendmsg = dlsym(RTLD_NEXT, "sendmsg");
    shim_real.sendmmsg = dlsym(RTLD_NEXT, "sendmmsg");
    shim_real.accept = dlsym(RTLD_NEXT, "accept");
    shim_real.accept4 = dlsym(RTLD_NEXT, "accept4");
    shim_real.getaddrinfo = dlsym(RTLD_NEXT, "getaddrinfo");
    shim_real.gethostbyname = dlsym(RTLD_NEXT, "gethostbyname");
    shim_ask_init();
    shim_names_atfork();
}

/* At load, before main: a signal handler's connect finds it done. */
__attribute__((constructor)) void shim_init(void)
{
    int saved = errno;
    pthread_once(&once, resolve);
    errno = saved;
}

/* The remote of sa as 16 bytes (IPv4 mapped) and its port; 0 when it is
 * not an internet address the shim asks about. */
static int remote_of(const struct sockaddr *sa, socklen_t len, uint8_t addr[16], uint16_t *port)
{
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const void *)sa;
        memset(addr, 0, 10);
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &in->sin_addr, 4);
        *port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        memcpy(addr, &in6->sin6_addr, 16);
        *port = ntohs(in6->sin6_port);
    } else {
        return 0;
    }
    return *port != 0;
}

/* The host itself: the kernel layer passes it unless the policy decides
 * self traffic, so the shim leaves it to the kernel. */
static int loopback(const uint8_t a[16])
{
    static const uint8_t one6[16] = {[15] = 1};
    return !memcmp(a, one6, 16) || (a[10] == 0xff && a[11] == 0xff && a[12] == 127 &&
                                    !memcmp(a, (const uint8_t[10]){0}, 10));
}

/* The socket's protocol when it is one the shim asks about (TCP, UDP):
 * one system call, as each connect pays it. */
static uint8_t proto_of(int fd)
{
    int proto = 0;
    socklen_t l = sizeof(proto);
    if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l))
        return 0;
    return proto == IPPROTO_TCP ? 6 : proto == IPPROTO_UDP ? 17 : 0;
}

/* The verdict for fd's conversation with sa (enum ward_shim_verdict). */
static int judge(int fd, const struct sockaddr *sa, socklen_t len, uint8_t op, int *err)
{
    struct ward_shim_question q;
    memset(&q, 0, sizeof(q));
    if (!remote_of(sa, len, q.addr, &q.port) || loopback(q.addr))
        return WARD_SHIM_PASS;
    q.proto = proto_of(fd);
    if (!q.proto || (op == WARD_SHIM_SEND && q.proto != 17))
        return WARD_SHIM_PASS;
    shim_init();
    q.magic = WARD_SHIM_MAGIC;
    q.version = WARD_SHIM_VERSION;
    q.op = op;
    return shim_ask(fd, &q, err);
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    int saved = errno, err = 0;
    if (judge(fd, sa, len, WARD_SHIM_CONNECT, &err) == WARD_SHIM_DENY) {
        errno = err;
        return -1;
    }
    errno = saved;
    return shim_real.connect(fd, sa, len);
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *sa,
                           socklen_t len)
{
    int saved = errno, err = 0;
    if (judge(fd, sa, len, WARD_SHIM_SEND, &err) == WARD_SHIM_DENY) {
        errno = err;
        return -1;
    }
    errno = saved;
    return shim_real.sendto(fd, buf, n, flags, sa, len);
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    int saved = errno, err = 0;
    if (m && judge(fd, m->msg_name, m->msg_namelen, WARD_SHIM_SEND, &err) == WARD_SHIM_DENY) {
        errno = err;
        return -1;
    }
    errno = saved;
    return shim_real.sendmsg(fd, m, flags);
}

/* Datagrams up to the first one denied go; that one fails the call if it
 * is the first, as sendmmsg(2) reports an error. */
SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags)
{
    int saved = errno, err = 0;
    unsigned int i;
    for (i = 0; v && i < vlen; i++)
        if (judge(fd, v[i].msg_hdr.msg_name, v[i].msg_hdr.msg_namelen, WARD_SHIM_SEND, &err) ==
            WARD_SHIM_DENY)
            break;
    if (v && i == 0 && vlen > 0) {
        errno = err;
        return -1;
    }
    errno = saved;
    return shim_real.sendmmsg(fd, v, i, flags);
}

/* An accepted connection the policy refuses is closed before the program
 * sees it. */
static int accepted(int nfd)
{
    if (nfd < 0)
        return nfd;
    int saved = errno, err = 0;
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    if (getpeername(nfd, (struct sockaddr *)&peer, &len) == 0 &&
        judge(nfd, (struct sockaddr *)&peer, len, WARD_SHIM_ACCEPT, &err) == WARD_SHIM_DENY) {
        close(nfd);
        errno = err;
        return -1;
    }
    errno = saved;
    return nfd;
}

SHIM_EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
    shim_init();
    return accepted(shim_real.accept(fd, sa, len));
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
    shim_init();
    return accepted(shim_real.accept4(fd, sa, len, flags));
}

static void note_addr(int family, const void *a, const char *name)
{
    uint8_t addr[16] = {0};
    if (family == AF_INET) {
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, a, 4);
    } else if (family == AF_INET6) {
        memcpy(addr, a, 16);
    } else {
        return;
    }
    shim_names_note(addr, name);
}

/* An address written out is no name. */
static int numeric(const char *node)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, node, buf) == 1 || inet_pton(AF_INET6, node, buf) == 1;
}

SHIM_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res)
{
    shim_init();
    int rc = shim_real.getaddrinfo(node, service, hints, res);
    if (rc != 0 || !node || !res || numeric(node))
        return rc;
    int saved = errno;
    for (const struct addrinfo *ai = *res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && ai->ai_addr)
            note_addr(AF_INET, &((const struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, node);
        else if (ai->ai_family == AF_INET6 && ai->ai_addr)
            note_addr(AF_INET6, &((const struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
                      node);
    }
    errno = saved;
    return rc;
}

SHIM_EXPORT struct hostent *gethostbyname(const char *name)
{
    shim_init();
    struct hostent *h = shim_real.gethostbyname(name);
    if (!h || !name)
        return h;
    int saved = errno;
    for (char **a = h->h_addr_list; a && *a; a++)
        note_addr(h->h_addrtype, *a, name);
    errno = saved;
    return h;
}
