/*
 * selfaddr.c — the host's own addresses, kept current: the engine's "self"
 * zone (step 3 of the decision order) and the kernel's map of them (the
 * hooks let these destinations through where a program's table denies).
 * An address added or removed (RTM_NEWADDR / RTM_DELADDR on a route
 * netlink socket in wardd's loop) re-reads them all: a stale list would let
 * a denied program reach a former address of the host, or refuse it one it
 * now has.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#define SELF_MAX 256

int wardd_self_open(struct wardd *d)
{
    d->self_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (d->self_fd < 0)
        return -errno;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
                             .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
    if (bind(d->self_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = -errno;
        close(d->self_fd);
        d->self_fd = -1;
        return e;
    }
    return 0;
}

void wardd_self_close(struct wardd *d)
{
    if (d->self_fd >= 0)
        close(d->self_fd);
    d->self_fd = -1;
}

void wardd_self_refresh(struct wardd *d)
{
    struct ifaddrs *ifa;
    if (getifaddrs(&ifa) < 0) {
        wardd_log(LOG_WARNING, "the host's addresses: %s; kept as they were", strerror(errno));
        return;
    }
    ward_ip ips[SELF_MAX];
    size_t n = 0;
    for (struct ifaddrs *i = ifa; i && n < SELF_MAX; i = i->ifa_next) {
        if (!i->ifa_addr)
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *s = (const struct sockaddr_in *)i->ifa_addr;
            ward_ip_from_v4(&ips[n++], ntohl(s->sin_addr.s_addr));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)i->ifa_addr;
            memcpy(ips[n++].b, &s->sin6_addr, 16);
        }
    }
    freeifaddrs(ifa);
    if (d->engine)
        ward_engine_set_self(d->engine, ips, n);
    if (d->kernel) {
        int rc = ward_kernel_self_set(d->kernel, ips, n);
        if (rc < 0)
            wardd_log(LOG_WARNING, "kernel: the host's addresses: %s", strerror(-rc));
    }
    wardd_log(LOG_DEBUG, "the host's addresses: %zu", n);
}

void wardd_self_ready(struct wardd *d)
{
    char buf[8192];
    bool changed = false;
    ssize_t len;
    while ((len = recv(d->self_fd, buf, sizeof(buf), 0)) > 0) {
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
             h = NLMSG_NEXT(h, len))
            changed |= h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR;
    }
    /* ENOBUFS: events were lost; read everything again. */
    if (changed || (len < 0 && errno == ENOBUFS))
        wardd_self_refresh(d);
}
