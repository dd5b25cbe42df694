/*
 * scand/wire.h — wardd <-> ward-scand, the antivirus helper (docs/AV.md).
 *
 * One SOCK_SEQPACKET socketpair, ward-scand's end as its fd 3. wardd sends
 * SCAN with the file's descriptor (SCM_RIGHTS): the helper never opens a
 * file it scans, so it needs no right to read them. The helper answers
 * RESULT with the same id, and sends INFO when it started and after each
 * (re)load of the signature databases.
 */
#ifndef WARD_SCAND_WIRE_H
#define WARD_SCAND_WIRE_H

#include <stdint.h>
#include <sys/types.h>

#define SCAND_MAGIC 0x57415631u /* "WAV1" */

enum scand_op { SCAND_SCAN = 1, SCAND_RESULT, SCAND_INFO };
enum scand_verdict { SCAND_CLEAN, SCAND_INFECTED, SCAND_ERROR };

struct scand_msg {
    uint32_t magic, op;
    uint64_t id;         /* SCAN, RESULT */
    int32_t verdict;     /* RESULT: enum scand_verdict; INFO: 0 loaded, -1 kept the old */
    uint32_t sigs;       /* INFO: signatures loaded */
    uint32_t db_version; /* INFO: the databases' version (0: unversioned, e.g. .hdb) */
    uint32_t _pad;
    int64_t db_time;  /* INFO: their date (unix seconds; else the newest file's) */
    char version[32]; /* INFO: libclamav's */
    char text[256];   /* RESULT: signature or error; INFO: why a load failed */
};

/* Sends m, with fd when fd >= 0. 0 or -errno. */
int scand_send(int sock, const struct scand_msg *m, int fd);
/* Receives one message (and the descriptor it carries, else *fd = -1).
 * 1, 0 at end of file, or -errno (EPROTO: not a message of this wire). */
int scand_recv(int sock, struct scand_msg *m, int *fd);

#endif
