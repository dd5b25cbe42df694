/*
 * pingsock.c — the program behind a queued echo of a ping socket.
 *
 * sock_diag knows no ping sockets (SOCK_DGRAM of ICMP / ICMPv6), so the
 * 5-tuple cannot lead to a socket cookie as for TCP and UDP. The kernel
 * lists them in /proc/net/icmp and /proc/net/icmp6 with their local
 * "port", which is the echo identifier the kernel writes into every echo
 * they send, and their inode; the socket-creation hook remembered who made
 * each held one by that inode (ward_pings). Ping sockets are few: reading
 * the list per queued echo is cheap.
 */
#include <errno.h>
#include <stdio.h>

#include <bpf/bpf.h>

#include "kernel/internal.h"
#include "kernel/pingline.h"
#include "ward_bpf.h"

/* The inode of the ping socket bound to ident in the list at path, or 0. */
static unsigned long long inode_of(const char *path, uint16_t ident)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char line[512];
    unsigned long long found = 0;
    while (!found && fgets(line, sizeof(line), f))
        found = ward_ping_line_inode(line, ident);
    fclose(f);
    return found;
}

int wk_ping_owner(ward_kernel *k, int family, uint16_t ident, struct ward_sockinfo *out)
{
    if (k->pings_fd < 0)
        return -ENOENT;
    unsigned long long inode = inode_of(family == 6 ? "/proc/net/icmp6" : "/proc/net/icmp", ident);
    __u64 key = inode;
    if (!inode || bpf_map_lookup_elem(k->pings_fd, &key, out))
        return -ENOENT;
    return 0;
}
