/*
 * confine/confine.h — how wardd's helpers (ward-scand, ward-maild) give up
 * what they do not need before they read anything untrusted.
 */
#ifndef WARD_CONFINE_H
#define WARD_CONFINE_H

#include <stddef.h>
#include <sys/types.h>

/* To nobody (no groups) and no_new_privs. ward.service keeps CAP_SETUID
 * and CAP_SETGID in its bounding set for this alone; a root without them
 * keeps uid 0 and gives up every capability instead, and says so as who.
 * before_uid (may be NULL) runs once the group is the one the helper will
 * have and while it can still give files away: with the uid and gid it
 * will run as. 0 or -1 with errno. */
int ward_drop_to_nobody(const char *who, void (*before_uid)(uid_t uid, gid_t gid));

/* A seccomp filter refusing (EPERM) the system calls listed (SCMP_SYS
 * numbers) and what no helper needs: execve, ptrace and other processes'
 * memory, kill, mounts and namespaces, bpf, perf_event_open, modules,
 * keys. A deny list: the libraries the helpers use (libclamav, GMime)
 * change with their releases. 0 or -1. */
int ward_confine(const int *also, size_t n);

#endif
