/*
 * log/traffic.h — traffic totals in SQLite, beside the connection log (same
 * file, table `traffic`): one row per minute, user, program and remote
 * address, with bytes and packets in and out and the connections first
 * seen. "Per program" and "per remote" over a time range are one indexed
 * scan and a GROUP BY.
 *
 *   CREATE TABLE traffic (minute, uid, program, remote, domain,
 *       bytes_in, bytes_out, packets_in, packets_out, conns,
 *       PRIMARY KEY (program, minute, remote, uid)) WITHOUT ROWID;
 *   CREATE INDEX traffic_minute ON traffic(minute);
 *
 * minute is unix time / 60; remote is the address as text ("10.0.0.2");
 * domain the last name known for it ("" when none).
 */
#ifndef WARD_LOG_TRAFFIC_H
#define WARD_LOG_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

typedef struct ward_traffic_db ward_traffic_db;

/* Counts to add to one row. */
typedef struct ward_traffic_delta {
    int64_t minute; /* unix seconds / 60 */
    uint32_t uid;
    ward_stats_row r; /* program, remote, domain, the counts */
} ward_traffic_delta;

/* Opens (creating the table in) the database at path. */
ward_traffic_db *ward_traffic_db_open(const char *path, char *err, size_t errlen);
void ward_traffic_db_close(ward_traffic_db *db);
/* Adds the deltas in one transaction. 0, or -1 with nothing added. */
int ward_traffic_db_add(ward_traffic_db *db, const ward_traffic_delta *d, size_t n);

/* Totals per program (or per program and remote) over [since, until),
 * minute by minute: a row counts when its minute overlaps the range. Largest
 * first. *rows is malloc'ed. Returns the count, or -1 with a message. */
int ward_traffic_db_query(const char *path, const ward_stats_query *q, ward_stats_row **rows,
                          char *err, size_t errlen);

#endif
