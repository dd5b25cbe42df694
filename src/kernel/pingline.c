/*
 * pingline.c — a line of /proc/net/icmp{,6}:
 *   "sl: LOCAL:PORT REMOTE:PORT st tx:rx tr:when retrnsmt uid timeout inode ..."
 * with addresses and ports in hex (IPv6: 32 hex digits).
 */
#include <stdio.h>
#include <string.h>

#include "kernel/pingline.h"

unsigned long long ward_ping_line_inode(const char *line, uint16_t ident)
{
    char local[64];
    unsigned long long inode;
    unsigned port;
    if (sscanf(line, " %*d: %63s %*s %*x %*s %*s %*x %*u %*d %llu", local, &inode) != 2)
        return 0;
    const char *colon = strrchr(local, ':');
    if (!colon || sscanf(colon + 1, "%4x", &port) != 1 || port != ident)
        return 0;
    return inode;
}
