/*
 * evade.c — wk-client's modes that try to walk around the hooks
 * (tests/hardening/t-evasion-*.sh). Each prints one line of counts.
 *
 *   somark ADDR PORT N            N UDP datagrams by sendto(), SO_MARK set to 0
 *                                 before each: "somark setmark=OK|ERR sent= eperm= other="
 *   handover HOW PROG ADDR PORT N [LINGER]  this program makes a UDP socket, connects it
 *                                 (its own verdict), and hands it to PROG (HOW:
 *                                 scm = SCM_RIGHTS over a socketpair, exec = kept
 *                                 across exec), which send()s N datagrams
 *   handed HOW FD N [LINGER]      (PROG's side) "handed sent= eperm= other=", then
 *                                 LINGER seconds alive
 *   ping ADDR N                   N ICMP echo requests from a ping socket
 *                                 (SOCK_DGRAM, IPPROTO_ICMP or, for an IPv6
 *                                 ADDR, IPPROTO_ICMPV6): "ping socket=OK|ERR
 *                                 sent= eperm= other= replies="
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int evade_main(int argc, char **argv);

struct counts {
    unsigned long sent, eperm, other;
};

static void tally(struct counts *c, ssize_t rc)
{
    if (rc >= 0)
        c->sent++;
    else if (errno == EPERM)
        c->eperm++;
    else
        c->other++;
}

static void v4(struct sockaddr_in *a, const char *host, int port)
{
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &a->sin_addr);
}

static int somark(const char *host, int port, int n)
{
    struct sockaddr_in a;
    v4(&a, host, port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        printf("somark socket=ERR %s\n", strerror(errno));
        return 11;
    }
    struct counts c = {0};
    int setok = 1;
    for (int i = 0; i < n; i++) {
        int zero = 0;
        if (setsockopt(fd, SOL_SOCKET, SO_MARK, &zero, sizeof(zero)) < 0)
            setok = 0;
        char msg[32];
        int len = snprintf(msg, sizeof(msg), "somark %d\n", i);
        tally(&c, sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&a, sizeof(a)));
        usleep(2000);
    }
    close(fd);
    printf("somark setmark=%s sent=%lu eperm=%lu other=%lu\n", setok ? "OK" : "ERR", c.sent,
           c.eperm, c.other);
    return 0;
}

static int send_n(int fd, int n, struct counts *c)
{
    for (int i = 0; i < n; i++) {
        char msg[32];
        int len = snprintf(msg, sizeof(msg), "handed %d\n", i);
        tally(c, send(fd, msg, (size_t)len, 0));
        usleep(2000);
    }
    return 0;
}

static int handed(const char *how, int fd, int n, int linger)
{
    struct counts c = {0};
    int udp = fd;
    if (!strcmp(how, "scm")) {
        char data;
        char ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&data, 1};
        struct msghdr m = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
        if (recvmsg(fd, &m, 0) <= 0 || !CMSG_FIRSTHDR(&m)) {
            printf("handed recv=ERR\n");
            return 11;
        }
        memcpy(&udp, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
    }
    send_n(udp, n, &c);
    printf("handed sent=%lu eperm=%lu other=%lu\n", c.sent, c.eperm, c.other);
    fflush(stdout);
    sleep((unsigned)linger); /* alive while a question about it waits */
    return 0;
}

static int handover(const char *how, const char *prog, const char *host, int port, int n,
                    const char *linger)
{
    struct sockaddr_storage a;
    socklen_t alen = sizeof(struct sockaddr_in);
    memset(&a, 0, sizeof(a));
    if (strchr(host, ':')) { /* IPv6 */
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a6->sin6_addr);
        alen = sizeof(*a6);
    } else {
        v4((struct sockaddr_in *)&a, host, port);
    }
    int udp = socket(a.ss_family, SOCK_DGRAM, 0); /* no CLOEXEC: "exec" keeps it */
    if (udp < 0 || connect(udp, (struct sockaddr *)&a, alen) < 0) {
        printf("handover connect=ERR %s\n", strerror(errno));
        return 11;
    }
    int sp[2] = {-1, -1};
    if (!strcmp(how, "scm") && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
        return 11;
    pid_t pid = fork();
    if (pid == 0) {
        char fdarg[16], narg[16];
        int pass = !strcmp(how, "scm") ? sp[1] : udp;
        if (!strcmp(how, "scm"))
            close(udp);
        snprintf(fdarg, sizeof(fdarg), "%d", pass);
        snprintf(narg, sizeof(narg), "%d", n);
        execl(prog, prog, "handed", how, fdarg, narg, linger, (char *)NULL);
        _exit(127);
    }
    if (!strcmp(how, "scm")) {
        char data = 'x';
        char ctl[CMSG_SPACE(sizeof(int))];
        memset(ctl, 0, sizeof(ctl));
        struct iovec iov = {&data, 1};
        struct msghdr m = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &udp, sizeof(int));
        sendmsg(sp[0], &m, 0);
        close(udp); /* the other program holds the only reference now */
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 11;
}

static int ping(const char *host, int n)
{
    struct sockaddr_storage ss;
    socklen_t alen = sizeof(struct sockaddr_in);
    bool v6 = strchr(host, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a6 = (void *)&ss;
        memset(a6, 0, sizeof(*a6));
        a6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, host, &a6->sin6_addr);
        alen = sizeof(*a6);
    } else {
        v4((struct sockaddr_in *)&ss, host, 0);
    }
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC,
                    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (fd < 0) {
        printf("ping socket=ERR %s\n", errno == EPERM ? "EPERM" : strerror(errno));
        return errno == EPERM ? 10 : 11;
    }
    struct counts c = {0};
    unsigned long replies = 0;
    for (int i = 0; i < n; i++) {
        struct icmphdr h = {.type = v6 ? 128 : ICMP_ECHO}; /* ICMPv6 echo request: 128 */
        h.un.echo.sequence = htons((uint16_t)i);
        tally(&c, sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&ss, alen));
        struct pollfd p = {fd, POLLIN, 0};
        char buf[256];
        while (poll(&p, 1, 20) > 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
            replies++;
    }
    close(fd);
    printf("ping socket=OK sent=%lu eperm=%lu other=%lu replies=%lu\n", c.sent, c.eperm, c.other,
           replies);
    return 0;
}

/* -1: not one of these modes. */
int evade_main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "somark"))
        return somark(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 7 && !strcmp(argv[1], "handover"))
        return handover(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]),
                        argc >= 8 ? argv[7] : "0");
    if (argc >= 5 && !strcmp(argv[1], "handed"))
        return handed(argv[2], atoi(argv[3]), atoi(argv[4]), argc >= 6 ? atoi(argv[5]) : 0);
    if (argc >= 4 && !strcmp(argv[1], "ping"))
        return ping(argv[2], atoi(argv[3]));
    return -1;
}
