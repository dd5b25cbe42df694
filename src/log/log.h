/*
 * log/log.h — the connection log (one of Ward's functions: log detailed
 * information about every network access).
 *
 * Every decision wardd makes is submitted here; a writer thread stores them
 * in SQLite (WAL) in batches, one transaction per batch. Submitting never
 * blocks a decision: it copies the event into a bounded lock-free queue
 * (any number of producer threads); when the queue is full the event is
 * dropped and counted (ward_log_stats.dropped), never waited for.
 *
 * Retention: rows older than max_age_s go, and when the database holds more
 * than max_bytes the oldest rows go until it is 10% under; freed pages are
 * returned to the file system (auto_vacuum=INCREMENTAL).
 *
 * Readers (ward log, explain by log id) use their own read-only connection:
 * WAL lets them read while the writer writes.
 */
#ifndef WARD_LOG_H
#define WARD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ward/event.h"

typedef struct ward_log ward_log;

/* A query over the log: the rows `ward log` asks for, which the control
 * protocol carries. Strings are owned by whoever filled it. */
typedef struct ward_log_filter {
    char *program;    /* exe: exact path, or a glob with * and ?; NULL any */
    int64_t since_ns; /* 0: unbounded */
    int64_t until_ns; /* 0: unbounded; exclusive */
    int verdict;      /* enum ward_verdict; -1 any */
    bool has_remote;
    ward_cidr remote; /* remote address inside this prefix */
    char *domain;     /* remote domain: exact or "*.suffix"; NULL any */
    bool has_uid;
    uint32_t uid;      /* set by the server for non-admin peers */
    uint64_t after_id; /* paging: rows with a larger id */
    uint32_t limit;    /* 0: 1000; at most 100000 */
    bool gaps;         /* instead of rows: the gaps in the boots' sequence numbers
                        * (WARD_EVENT_GAP rows; only since/until/limit apply) */
} ward_log_filter;

typedef struct ward_log_config {
    const char *path;   /* the database file; created if missing */
    size_t queue_cap;   /* the queue's room in 256-byte cells (a power of two; an
                         * event takes one, or up to six with long strings); 0: 65536 */
    size_t batch_max;   /* rows per transaction; 0: 4096 */
    int flush_ms;       /* longest a row waits to be written; 0: 200 */
    int64_t max_age_s;  /* 0: keep forever */
    int64_t max_bytes;  /* 0: no bound */
    int retain_every_s; /* how often retention runs; 0: 60 */
} ward_log_config;

typedef struct ward_log_stats {
    uint64_t submitted; /* accepted into the queue */
    uint64_t dropped;   /* refused: queue full */
    uint64_t written;   /* committed to the database */
    uint64_t batches;   /* transactions */
    uint64_t pruned;    /* rows removed by retention */
    uint64_t errors;    /* failed batches (their rows are lost and counted here) */
    size_t queued;      /* waiting now */
} ward_log_stats;

/* Opens (creating) the database and starts the writer thread. */
ward_log *ward_log_open(const ward_log_config *cfg, char *err, size_t errlen);
/* Writes what is queued, stops the writer, closes the database. */
void ward_log_close(ward_log *l);

/* Queues one event; false when it was dropped. Never blocks on I/O. */
bool ward_log_submit(ward_log *l, const ward_event *ev);
/* Waits until every event submitted before the call is written (tests,
 * shutdown, `ward log` right after a test connection). 0, or -1 on timeout. */
int ward_log_sync(ward_log *l, int timeout_ms);
/* Runs retention now (normally the writer does it every retain_every_s). */
int ward_log_retain(ward_log *l);
void ward_log_stats_get(ward_log *l, ward_log_stats *out);

/* ---- Reading ------------------------------------------------------------- */

/* Called for each row in id order; row->seq holds the row id. Non-zero stops. */
typedef int (*ward_log_row_fn)(const ward_event *row, void *ctx);
/* Runs a query on its own read-only connection. Returns the number of rows
 * passed to fn, or -1 with a message in err. */
int ward_log_query(const char *path, const ward_log_filter *f, ward_log_row_fn fn, void *ctx,
                   char *err, size_t errlen);
/* One row by id: 0, 1 when there is no such row, -1 on error. */
int ward_log_get(const char *path, uint64_t id, ward_event *out);
/* The largest sequence number logged for a boot: -1 when none, -2 when the
 * log cannot be read. */
int64_t ward_log_last_bseq(const char *path, uint64_t boot);

/* `ward log --csv`: CSV (RFC 4180) with a header line (the JSON form is the
 * protocol's, ward_proto_event_json). Return 0 or -1 (write error). */
int ward_log_write_csv_header(FILE *out);
int ward_log_write_csv(FILE *out, const ward_event *row);

#endif /* WARD_LOG_H */
