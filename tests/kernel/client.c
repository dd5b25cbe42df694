/*
 * wk-client — the program under test in the kernel tests.
 *
 *   wk-client MODE ADDR PORT [TIMEOUT_S]   one connection attempt
 *     MODE: tcp4 tcp6 mapped udp-connect udp-sendto udp6-sendto sendmmsg tfo uring
 *     prints "ok" or "err NAME"; exit 0 ok, 10 EPERM, 11 other error, 12 timeout
 *   wk-client storm ADDR PORT SECONDS      tcp4 connects in a loop; prints counts
 *   wk-client after SECS MODE ADDR PORT    sleep, then one attempt
 *   wk-client lines MODE ADDR PORT         "ready PID", then one attempt per line on stdin
 *   wk-client probe MODE ADDR PORT SECONDS attempts in a loop: "probe ok= eperm= other="
 *   wk-client lat ADDR PORT N [RATE]       N connects, RATE a second if given:
 *                                          "lat p50_us= p99_us= conns_per_s="
 *   wk-client raw                          socket(AF_INET, SOCK_RAW, ICMP)
 *   wk-client listen-tcp PORT [6]          accept loop, "conn N" per connection
 *   wk-client listen-udp PORT              "dgram N" per datagram
 *   wk-client dns-server PORT IP           answers every A question with IP
 *   wk-client dns-spoof SRC DST PORT       an unsolicited answer from SRC:53
 *   wk-client somark|handover|handed|ping  evasion attempts: evade.c
 *   wk-client rawping|rawsock|hdrincl|packet  raw and packet sockets: rawsock.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

static int timeout_s = 5;

static int report(int err)
{
    if (!err) {
        printf("ok\n");
        return 0;
    }
    printf("err %s\n", err == EPERM                                              ? "EPERM"
                       : err == ECONNREFUSED                                     ? "ECONNREFUSED"
                       : err == ETIMEDOUT || err == EINPROGRESS || err == EAGAIN ? "ETIMEDOUT"
                       : err == EHOSTUNREACH                                     ? "EHOSTUNREACH"
                       : err == EACCES                                           ? "EACCES"
                                                                                 : strerror(err));
    if (err == EPERM)
        return 10;
    if (err == ETIMEDOUT || err == EINPROGRESS || err == EAGAIN)
        return 12;
    return 11;
}

static int sock(int family, int type)
{
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = timeout_s};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* addr: "1.2.3.4" or "fd00::1"; mapped: v4 text as ::ffff:a.b.c.d on AF_INET6. */
static socklen_t mkaddr(const char *host, int port, int family, bool mapped,
                        struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *a = (void *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a->sin_addr);
        return sizeof(*a);
    }
    struct sockaddr_in6 *a = (void *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (mapped) {
        char buf[64];
        snprintf(buf, sizeof(buf), "::ffff:%s", host);
        inet_pton(AF_INET6, buf, &a->sin6_addr);
    } else {
        inet_pton(AF_INET6, host, &a->sin6_addr);
    }
    return sizeof(*a);
}

static int attempt(const char *mode, const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, family = strchr(host, ':') ? AF_INET6 : AF_INET;
    char msg[] = "ward-test\n";

    if (!strcmp(mode, "tcp4") || !strcmp(mode, "tcp6") || !strcmp(mode, "mapped")) {
        bool mapped = !strcmp(mode, "mapped");
        int fam = mapped ? AF_INET6 : family;
        sl = mkaddr(host, port, fam, mapped, &ss);
        if ((fd = sock(fam, SOCK_STREAM)) < 0)
            return errno;
        int rc = connect(fd, (void *)&ss, sl) ? errno : 0;
        if (!rc && send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL) < 0)
            rc = errno;
        close(fd);
        return rc;
    }
    if (!strcmp(mode, "tfo")) {
        sl = mkaddr(host, port, family, false, &ss);
        if ((fd = sock(family, SOCK_STREAM)) < 0)
            return errno;
        int rc = sendto(fd, msg, sizeof(msg) - 1, MSG_FASTOPEN | MSG_NOSIGNAL, (void *)&ss, sl) < 0
                     ? errno
                     : 0;
        if (!rc) {
            /* Wait for the handshake to finish (or fail). A reset after
             * it completed (the peer closing) still counts as connected. */
            struct tcp_info ti;
            socklen_t tl = sizeof(ti);
            memset(&ti, 0, sizeof(ti));
            for (int i = 0; i < timeout_s * 100; i++) {
                if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) ||
                    ti.tcpi_state != TCP_SYN_SENT)
                    break;
                usleep(10000);
            }
            int soerr = 0;
            socklen_t el = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
            if (ti.tcpi_state == TCP_SYN_SENT)
                rc = ETIMEDOUT;
            else if (soerr && soerr != ECONNRESET && soerr != EPIPE)
                rc = soerr;
        }
        close(fd);
        return rc;
    }
    if (!strcmp(mode, "udp-connect")) {
        sl = mkaddr(host, port, family, false, &ss);
        if ((fd = sock(family, SOCK_DGRAM)) < 0)
            return errno;
        int rc = connect(fd, (void *)&ss, sl) ? errno : 0;
        if (!rc && send(fd, msg, sizeof(msg) - 1, 0) < 0)
            rc = errno;
        close(fd);
        return rc;
    }
    if (!strcmp(mode, "udp-sendto") || !strcmp(mode, "udp6-sendto")) {
        sl = mkaddr(host, port, family, false, &ss);
        if ((fd = sock(family, SOCK_DGRAM)) < 0)
            return errno;
        int rc = sendto(fd, msg, sizeof(msg) - 1, 0, (void *)&ss, sl) < 0 ? errno : 0;
        usleep(200000); /* let a held datagram be decided before close */
        close(fd);
        return rc;
    }
    if (!strcmp(mode, "sendmmsg")) {
        sl = mkaddr(host, port, family, false, &ss);
        if ((fd = sock(family, SOCK_DGRAM)) < 0)
            return errno;
        struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg) - 1};
        struct mmsghdr mm[3];
        memset(mm, 0, sizeof(mm));
        for (int i = 0; i < 3; i++) {
            mm[i].msg_hdr.msg_name = &ss;
            mm[i].msg_hdr.msg_namelen = sl;
            mm[i].msg_hdr.msg_iov = &iov;
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = sendmmsg(fd, mm, 3, 0);
        int rc = n < 0 ? errno : n == 3 ? 0 : EIO;
        usleep(200000);
        close(fd);
        return rc;
    }
#ifdef HAVE_LIBURING
    if (!strcmp(mode, "uring")) {
        struct io_uring ring;
        int rc = io_uring_queue_init(4, &ring, 0);
        if (rc < 0)
            return -rc;
        sl = mkaddr(host, port, family, false, &ss);
        if ((fd = sock(family, SOCK_STREAM)) < 0)
            return errno;
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_connect(sqe, fd, (void *)&ss, sl);
        io_uring_submit(&ring);
        struct io_uring_cqe *cqe;
        struct __kernel_timespec ts = {.tv_sec = timeout_s};
        rc = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
        if (rc == -ETIME) {
            rc = ETIMEDOUT;
        } else if (rc < 0) {
            rc = -rc;
        } else {
            rc = cqe->res < 0 ? -cqe->res : 0;
            io_uring_cqe_seen(&ring, cqe);
        }
        io_uring_queue_exit(&ring);
        close(fd);
        return rc;
    }
#endif
    fprintf(stderr, "unknown mode %s\n", mode);
    return EINVAL;
}

static int listen_tcp(int port, bool v6)
{
    int fam = v6 ? AF_INET6 : AF_INET;
    int fd = socket(fam, SOCK_STREAM, 0), one = 1;
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr(v6 ? "::" : "0.0.0.0", port, fam, false, &ss);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &(int){16}, sizeof(int));
    if (bind(fd, (void *)&ss, sl) || listen(fd, 4096)) {
        printf("err %s\n", strerror(errno));
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    for (unsigned long n = 1;; n++) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        printf("conn %lu\n", n);
        fflush(stdout);
        struct timeval tv = {.tv_usec = 200000};
        char b[64];
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)!recv(c, b, sizeof(b), 0);
        close(c);
    }
}

static int listen_udp(int port)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr("::", port, AF_INET6, false, &ss);
    if (bind(fd, (void *)&ss, sl)) {
        printf("err %s\n", strerror(errno));
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    char buf[2048];
    for (unsigned long n = 1;; n++) {
        if (recv(fd, buf, sizeof(buf), 0) < 0)
            continue;
        printf("dgram %lu\n", n);
        fflush(stdout);
    }
}

/* A tiny authoritative server: every A question gets ip, TTL 300. */
static int dns_server(int port, const char *ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr("0.0.0.0", port, AF_INET, false, &ss);
    if (bind(fd, (void *)&ss, sl)) {
        printf("err %s\n", strerror(errno));
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    uint8_t b[1500];
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, b, sizeof(b) - 16, 0, (void *)&from, &fl);
        if (n < 12)
            continue;
        size_t q = 12;
        while (q < (size_t)n && b[q])
            q += b[q] + 1;
        q += 5; /* root label, type, class */
        if (q > (size_t)n)
            continue;
        bool is_a = b[q - 4] == 0 && b[q - 3] == 1;
        b[2] = 0x84 | (b[2] & 0x01); /* response, authoritative, keep RD */
        b[3] = 0x00;
        b[6] = 0;
        b[7] = is_a ? 1 : 0;
        b[8] = b[9] = b[10] = b[11] = 0;
        size_t o = q;
        if (is_a) {
            uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4};
            memcpy(b + o, rr, sizeof(rr));
            memcpy(b + o + sizeof(rr), &a, 4);
            o += sizeof(rr) + 4;
        }
        sendto(fd, b, o, 0, (void *)&from, fl);
        printf("query\n");
        fflush(stdout);
    }
}

/* An answer nobody asked for, from ADDR_B:53 to ADDR:PORT. */
static int dns_spoof(const char *src, const char *dst, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr(src, 53, AF_INET, false, &ss);
    if (bind(fd, (void *)&ss, sl))
        return report(errno);
    uint8_t m[] = {0x12, 0x34, 0x81, 0x80, 0,   1,   0,    1, 0, 0,  0,  0, 5,    'e',  'v',
                   'i',  'l',  'x',  3,    'c', 'o', 'm',  0, 0, 1,  0,  1, 0xc0, 0x0c, 0,
                   1,    0,    1,    0,    0,   1,   0x2c, 0, 4, 10, 77, 0, 2};
    sl = mkaddr(dst, port, AF_INET, false, &ss);
    return report(sendto(fd, m, sizeof(m), 0, (void *)&ss, sl) < 0 ? errno : 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* lat ADDR PORT N: N sequential TCP connects, connect() latency. */
/* n sequential connects, each timed; rate > 0 paces them at that many a
 * second (on an absolute schedule, so a slow connect does not slow the
 * rest), for measuring how a firewall's cost grows with the connection rate. */
static int lat(const char *host, int port, int n, int rate)
{
    uint64_t *t = calloc((size_t)n, sizeof(*t));
    struct sockaddr_storage ss;
    int family = strchr(host, ':') ? AF_INET6 : AF_INET, fails = 0;
    socklen_t sl = mkaddr(host, port, family, false, &ss);
    if (!t)
        return 1;
    for (int i = 0; i < 20; i++) { /* warm up: neighbour entry, caches */
        int fd = sock(family, SOCK_STREAM);
        if (!connect(fd, (void *)&ss, sl))
            (void)!send(fd, "x", 1, MSG_NOSIGNAL);
        close(fd);
    }
    uint64_t start = now_ns();
    for (int i = 0; i < n; i++) {
        if (rate > 0) {
            uint64_t due = start + (uint64_t)i * 1000000000u / (uint64_t)rate, at = now_ns();
            if (due > at)
                nanosleep(&(struct timespec){.tv_sec = (time_t)((due - at) / 1000000000u),
                                             .tv_nsec = (long)((due - at) % 1000000000u)},
                          NULL);
        }
        int fd = sock(family, SOCK_STREAM);
        uint64_t a = now_ns();
        int rc = connect(fd, (void *)&ss, sl);
        t[i] = now_ns() - a;
        if (rc)
            fails++;
        else
            (void)!send(fd, "x", 1, MSG_NOSIGNAL);
        close(fd);
    }
    uint64_t total = now_ns() - start;
    qsort(t, (size_t)n, sizeof(*t), cmp_u64);
    printf("lat n=%d fails=%d p50_us=%.1f p99_us=%.1f conns_per_s=%.0f\n", n, fails,
           (double)t[n / 2] / 1000.0, (double)t[(size_t)n * 99 / 100] / 1000.0,
           (double)n * 1e9 / (double)total);
    free(t);
    return fails ? 1 : 0;
}

static int storm(const char *host, int port, int seconds)
{
    time_t end = time(NULL) + seconds;
    unsigned long ok = 0, fail = 0;
    timeout_s = 1;
    while (time(NULL) < end) {
        if (attempt("tcp4", host, port))
            fail++;
        else
            ok++;
    }
    printf("storm ok=%lu fail=%lu\n", ok, fail);
    return 0;
}

int evade_main(int argc, char **argv);   /* evade.c */
int rawsock_main(int argc, char **argv); /* rawsock.c */

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int ev = evade_main(argc, argv);
    if (ev >= 0)
        return ev;
    if ((ev = rawsock_main(argc, argv)) >= 0)
        return ev;
    if (argc >= 3 && !strcmp(argv[1], "listen-tcp"))
        return listen_tcp(atoi(argv[2]), argc > 3 && !strcmp(argv[3], "6"));
    if (argc >= 3 && !strcmp(argv[1], "listen-udp"))
        return listen_udp(atoi(argv[2]));
    if (argc >= 2 && !strcmp(argv[1], "raw")) {
        int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        int rc = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        return report(rc);
    }
    if (argc >= 5 && !strcmp(argv[1], "lat"))
        return lat(argv[2], atoi(argv[3]), atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 0);
    if (argc >= 4 && !strcmp(argv[1], "dns-server"))
        return dns_server(atoi(argv[2]), argv[3]);
    if (argc >= 5 && !strcmp(argv[1], "dns-spoof"))
        return dns_spoof(argv[2], argv[3], atoi(argv[4]));
    if (argc >= 6 && !strcmp(argv[1], "after")) {
        /* after SECS MODE ADDR PORT: wait (the test replaces our file), then try. */
        sleep((unsigned)atoi(argv[2]));
        return report(attempt(argv[3], argv[4], atoi(argv[5])));
    }
    if (argc >= 5 && !strcmp(argv[1], "lines")) {
        /* lines MODE ADDR PORT: one attempt per line read on stdin, until
         * EOF; the test decides when (no sleeps to guess). */
        char line[64];
        printf("ready %d\n", (int)getpid());
        while (fgets(line, sizeof(line), stdin))
            report(attempt(argv[2], argv[3], atoi(argv[4])));
        return 0;
    }
    if (argc >= 6 && !strcmp(argv[1], "probe")) {
        /* probe MODE ADDR PORT SECONDS: attempts in a loop; counts results. */
        time_t end = time(NULL) + atoi(argv[5]);
        unsigned long ok = 0, eperm = 0, other = 0;
        timeout_s = 2;
        while (time(NULL) < end) {
            int e = attempt(argv[2], argv[3], atoi(argv[4]));
            if (!e)
                ok++;
            else if (e == EPERM)
                eperm++;
            else
                other++;
        }
        printf("probe ok=%lu eperm=%lu other=%lu\n", ok, eperm, other);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "storm"))
        return storm(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc < 4) {
        fprintf(stderr, "usage: see tests/kernel/client.c\n");
        return 2;
    }
    if (argc > 4)
        timeout_s = atoi(argv[4]);
    return report(attempt(argv[1], argv[2], atoi(argv[3])));
}
