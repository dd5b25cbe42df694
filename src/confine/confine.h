/*
 * confine/confine.h — how wardd's helpers (ward-scand, ward-maild) give up
 * what they do not need before they read anything untrusted.
 */
#ifndef WARD_CONFINE_H
#define WARD_CONFINE_H

#include <stddef.h>

/* To nobody (no groups) and no_new_privs. A root without CAP_SETUID and
 * CAP_SETGID (ward.service's bounding set has neither) cannot: it keeps
 * uid 0 and gives up every capability instead, and says so as who.
 * 0 or -1 with errno. */
int ward_drop_to_nobody(const char *who);

/* A seccomp filter refusing (EPERM) the system calls listed (SCMP_SYS
 * numbers) and what no helper needs: execve, ptrace and other processes'
 * memory, kill, mounts and namespaces, bpf, perf_event_open, modules,
 * keys. A deny list: the libraries the helpers use (libclamav, GMime)
 * change with their releases. 0 or -1. */
int ward_confine(const int *also, size_t n);

#endif
