/*
 * log/quota.h — what each program's quota has used, in SQLite beside the
 * connection log (same file, table `quota`), so a restart of wardd does not
 * give a program its quota back:
 *
 *   CREATE TABLE quota (program TEXT PRIMARY KEY, period INTEGER NOT NULL,
 *       start INTEGER NOT NULL, used INTEGER NOT NULL, kused INTEGER NOT NULL);
 *
 * period is enum ward_quota_period, start the unix time the period began,
 * kused the kernel's own count when the row was written: what the kernel
 * counted beyond it (while wardd was down) is added when wardd starts.
 */
#ifndef WARD_LOG_QUOTA_H
#define WARD_LOG_QUOTA_H

#include <stddef.h>
#include <stdint.h>

typedef struct ward_quota_db ward_quota_db;

typedef struct ward_quota_use {
    const char *program;
    int period;
    int64_t start;
    uint64_t used;
    uint64_t kused;
} ward_quota_use;

ward_quota_db *ward_quota_db_open(const char *path, char *err, size_t errlen);
void ward_quota_db_close(ward_quota_db *q);
/* The bytes used by program in the period of that kind that began at
 * start, and the kernel's count then; 0, 0 when none are recorded (or
 * another period is). */
void ward_quota_db_get(ward_quota_db *q, const char *program, int period, int64_t start,
                       uint64_t *used, uint64_t *kused);
/* Records the uses in one transaction. 0, or -1 with nothing written. */
int ward_quota_db_put(ward_quota_db *q, const ward_quota_use *u, size_t n);

#endif
