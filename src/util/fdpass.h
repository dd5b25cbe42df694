/*
 * util/fdpass.h — one fixed-size message, with at most one descriptor
 * (SCM_RIGHTS), over a SOCK_SEQPACKET socket: the wires between wardd and
 * its helpers (ward-scand, ward-maild).
 */
#ifndef WARD_UTIL_FDPASS_H
#define WARD_UTIL_FDPASS_H

#include <stddef.h>

/* Sends the len bytes at m, with fd when fd >= 0 (not blocking). 0 or -errno. */
int ward_fdpass_send(int sock, const void *m, size_t len, int fd);
/* Receives one message of exactly len bytes and the descriptor it carries
 * (else *fd = -1; extra ones are closed). 1, 0 at end of file, or -errno
 * (EPROTO: another size). */
int ward_fdpass_recv(int sock, void *m, size_t len, int *fd);

#endif
