/*
 * wire.c — one message, with at most one descriptor, each way (wire.h).
 */
#include "scand/wire.h"

#include <errno.h>
#include <unistd.h>

#include "util/fdpass.h"

int scand_send(int sock, const struct scand_msg *m, int fd)
{
    return ward_fdpass_send(sock, m, sizeof(*m), fd);
}

int scand_recv(int sock, struct scand_msg *m, int *fd)
{
    int rc = ward_fdpass_recv(sock, m, sizeof(*m), fd);
    if (rc == 1 && m->magic != SCAND_MAGIC) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -EPROTO;
    }
    if (rc == 1) {
        m->text[sizeof(m->text) - 1] = '\0';
        m->version[sizeof(m->version) - 1] = '\0';
    }
    return rc;
}
