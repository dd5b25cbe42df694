/*
 * notify.h — systemd's service notification protocol (Type=notify), spoken
 * directly: one datagram "KEY=value\n..." to the socket NOTIFY_SOCKET names
 * (a path, or "@name" for the abstract namespace). No libsystemd: linking
 * it mapped libsystemd, libgcrypt, libgpg-error, liblz4, libzstd, liblzma
 * and libcap into wardd (~1 MB resident) for three calls.
 */
#ifndef WARDD_NOTIFY_H
#define WARDD_NOTIFY_H

#include <stdint.h>

/* Sends the formatted state to the service manager; nothing without
 * NOTIFY_SOCKET. Returns 1 if sent, 0 if there is no manager, -errno. */
int wardd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval asked of this process (WATCHDOG_USEC, for our pid
 * if WATCHDOG_PID is set), in microseconds; 0 when there is none. */
uint64_t wardd_watchdog_usec(void);

#endif
