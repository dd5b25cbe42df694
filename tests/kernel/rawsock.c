/*
 * rawsock.c — raw and packet sockets for wk-client (client.c):
 *
 *   rawping ADDR N [WAIT_MS]  N echo requests from a raw ICMP / ICMPv6
 *                             socket: "rawping socket=OK|ERR sent= eperm=
 *                             other= replies="
 *   rawsock 4|6 PROTO         socket(AF_INET[6], SOCK_RAW, PROTO): "ok" / "err EPERM"
 *   hdrincl ADDR PORT         a raw ICMP socket writes its own IPv4 header
 *                             (IP_HDRINCL) and sends a UDP datagram: "ok" / "err ..."
 *                             ("hdrincl socket=ERR ..." when it gets no socket)
 *   packet                    socket(AF_PACKET, SOCK_RAW, ETH_P_ALL): "ok" / "err EPERM"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rawsock_main(int argc, char **argv);

/* "ok" or "err NAME" for errno err (0: ok); the exit code as client.c's. */
static int said_err(int err)
{
    if (!err) {
        printf("ok\n");
        return 0;
    }
    printf("err %s\n", err == EPERM ? "EPERM" : strerror(err));
    return err == EPERM ? 10 : 11;
}

/* The outcome of creating a socket (fd, or -1 with errno). */
static int said(int fd)
{
    int err = fd < 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
    return said_err(err);
}

static int rawping(const char *host, int n, int wait_ms)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    bool v6 = strchr(host, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a = (void *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, host, &a->sin6_addr);
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (void *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, host, &a->sin_addr);
        len = sizeof(*a);
    }
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (fd < 0) {
        printf("rawping socket=ERR %s\n", errno == EPERM ? "EPERM" : strerror(errno));
        return errno == EPERM ? 10 : 11;
    }
    unsigned long sent = 0, eperm = 0, other = 0, replies = 0;
    uint16_t id = (uint16_t)getpid();
    for (int i = 0; i < n; i++) {
        unsigned char pkt[8] = {v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO};
        pkt[4] = (uint8_t)(id >> 8);
        pkt[5] = (uint8_t)id;
        pkt[7] = (uint8_t)i;
        if (!v6) { /* the kernel sums ICMPv6 itself, not ICMP */
            uint32_t sum = 0;
            for (int j = 0; j < 8; j += 2)
                sum += (uint32_t)(pkt[j] << 8 | pkt[j + 1]);
            sum = (sum & 0xffff) + (sum >> 16);
            uint16_t c = (uint16_t)~sum;
            pkt[2] = (uint8_t)(c >> 8);
            pkt[3] = (uint8_t)c;
        }
        if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, len) >= 0)
            sent++;
        else if (errno == EPERM)
            eperm++;
        else
            other++;
        struct pollfd p = {fd, POLLIN, 0};
        unsigned char buf[512];
        while (poll(&p, 1, wait_ms) > 0) {
            ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (r <= 0)
                break;
            size_t off = v6 ? 0 : (size_t)(buf[0] & 0xf) * 4; /* v4: the IP header comes too */
            if ((size_t)r >= off + 6 && buf[off] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) &&
                buf[off + 4] == (uint8_t)(id >> 8) && buf[off + 5] == (uint8_t)id)
                replies++;
        }
    }
    close(fd);
    printf("rawping socket=OK sent=%lu eperm=%lu other=%lu replies=%lu\n", sent, eperm, other,
           replies);
    return 0;
}

static int hdrincl(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    int one = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
        printf("hdrincl socket=ERR %s\n", errno == EPERM ? "EPERM" : strerror(errno));
        return 11;
    }
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, host, &a.sin_addr);
    unsigned char pkt[sizeof(struct iphdr) + sizeof(struct udphdr) + 8];
    memset(pkt, 0, sizeof(pkt));
    struct iphdr *ip = (void *)pkt;
    struct udphdr *udp = (void *)(pkt + sizeof(*ip));
    ip->version = 4;
    ip->ihl = 5;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->tot_len = htons(sizeof(pkt)); /* the kernel fills the source, id and sum */
    ip->daddr = a.sin_addr.s_addr;
    udp->source = htons(40000);
    udp->dest = htons((uint16_t)port);
    udp->len = htons(sizeof(pkt) - sizeof(*ip));
    memcpy(pkt + sizeof(*ip) + sizeof(*udp), "hdrincl\n", 8);
    ssize_t r = sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&a, sizeof(a));
    int err = r < 0 ? errno : 0;
    close(fd);
    return said_err(err);
}

/* -1: not one of these modes. */
int rawsock_main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "rawping"))
        return rawping(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 200);
    if (argc >= 4 && !strcmp(argv[1], "rawsock"))
        return said(socket(!strcmp(argv[2], "6") ? AF_INET6 : AF_INET, SOCK_RAW, atoi(argv[3])));
    if (argc >= 4 && !strcmp(argv[1], "hdrincl"))
        return hdrincl(argv[2], atoi(argv[3]));
    if (argc >= 2 && !strcmp(argv[1], "packet"))
        return said(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
    return -1;
}
