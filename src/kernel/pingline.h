/*
 * pingline.h — one line of /proc/net/icmp or /proc/net/icmp6 (the ping
 * sockets of a network namespace), read without I/O so it can be tested
 * and fuzzed alone.
 */
#ifndef WARD_KERNEL_PINGLINE_H
#define WARD_KERNEL_PINGLINE_H

#include <stdint.h>

/* The inode of the ping socket a line lists, when its local "port" (the
 * identifier of its echoes) is ident; 0 for any other line (the header,
 * another socket, text that is not such a line). line is NUL-terminated. */
unsigned long long ward_ping_line_inode(const char *line, uint16_t ident);

#endif
