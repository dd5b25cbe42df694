/*
 * Traffic totals in SQLite (log/traffic.h). wardd adds a few rows every
 * few seconds from its loop, in one short transaction; the connection
 * log's writer thread shares the file (WAL), and both wait for the other's
 * lock rather than fail.
 */
#define _GNU_SOURCE
#include "log/traffic.h"
#include "log/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAFFIC_SCHEMA                                                                             \
    "CREATE TABLE IF NOT EXISTS traffic ("                                                         \
    " minute INTEGER NOT NULL, uid INTEGER NOT NULL, program TEXT NOT NULL,"                       \
    " remote TEXT NOT NULL, domain TEXT NOT NULL DEFAULT '',"                                      \
    " bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,"                                      \
    " packets_in INTEGER NOT NULL, packets_out INTEGER NOT NULL, conns INTEGER NOT NULL,"          \
    " PRIMARY KEY (program, minute, remote, uid)) WITHOUT ROWID;"                                  \
    "CREATE INDEX IF NOT EXISTS traffic_minute ON traffic(minute);"

#define TRAFFIC_ADD                                                                                \
    "INSERT INTO traffic (minute, uid, program, remote, domain, bytes_in, bytes_out,"              \
    " packets_in, packets_out, conns) VALUES (?,?,?,?,?,?,?,?,?,?)"                                \
    " ON CONFLICT DO UPDATE SET bytes_in = bytes_in + excluded.bytes_in,"                          \
    " bytes_out = bytes_out + excluded.bytes_out, packets_in = packets_in + excluded.packets_in,"  \
    " packets_out = packets_out + excluded.packets_out, conns = conns + excluded.conns,"           \
    " domain = CASE WHEN excluded.domain <> '' THEN excluded.domain ELSE domain END"

struct ward_traffic_db {
    sqlite3 *db;
    sqlite3_stmt *add;
};

static void say(char *err, size_t errlen, const char *what, sqlite3 *db)
{
    snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

ward_traffic_db *ward_traffic_db_open(const char *path, char *err, size_t errlen)
{
    ward_traffic_db *t = calloc(1, sizeof(*t));
    if (!t) {
        say(err, errlen, path, NULL);
        return NULL;
    }
    if (log_db_open(path, TRAFFIC_SCHEMA, &t->db) != SQLITE_OK ||
        sqlite3_prepare_v2(t->db, TRAFFIC_ADD, -1, &t->add, NULL) != SQLITE_OK) {
        say(err, errlen, path, t->db);
        ward_traffic_db_close(t);
        return NULL;
    }
    return t;
}

void ward_traffic_db_close(ward_traffic_db *t)
{
    if (!t)
        return;
    sqlite3_finalize(t->add);
    sqlite3_close(t->db);
    free(t);
}

int ward_traffic_db_add(ward_traffic_db *t, const ward_traffic_delta *d, size_t n)
{
    if (!n)
        return 0;
    if (sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *st = t->add;
        const ward_stats_row *r = &d[i].r;
        sqlite3_bind_int64(st, 1, d[i].minute);
        sqlite3_bind_int64(st, 2, d[i].uid);
        sqlite3_bind_text(st, 3, r->program, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->remote, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->domain, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, (int64_t)r->bytes_in);
        sqlite3_bind_int64(st, 7, (int64_t)r->bytes_out);
        sqlite3_bind_int64(st, 8, (int64_t)r->packets_in);
        sqlite3_bind_int64(st, 9, (int64_t)r->packets_out);
        sqlite3_bind_int64(st, 10, (int64_t)r->conns);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(st);
    }
    if (rc || sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static void col(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

int ward_traffic_db_query(const char *path, const ward_stats_query *q, ward_stats_row **rows,
                          char *err, size_t errlen)
{
    bool by_remote = q->by == WARD_STATS_BY_REMOTE;
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT program, %s, sum(bytes_in), sum(bytes_out), sum(packets_in),"
             " sum(packets_out), sum(conns) FROM traffic WHERE minute >= ?1 AND minute < ?2%s%s"
             " GROUP BY program%s ORDER BY sum(bytes_in) + sum(bytes_out) DESC, program LIMIT ?5",
             by_remote ? "remote, max(domain)" : "'', ''", q->program ? " AND program = ?3" : "",
             q->has_uid ? " AND uid = ?4" : "", by_remote ? ", remote" : "");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *rows = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        (sqlite3_busy_timeout(db, 2000), sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
        /* No traffic yet: no table, no rows. */
        bool empty = db && strstr(sqlite3_errmsg(db), "no such table");
        if (!empty)
            say(err, errlen, path, db);
        sqlite3_close(db);
        return empty ? 0 : -1;
    }
    int64_t lo = q->since > 0 ? q->since / 60 : 0;
    int64_t hi = q->until > 0 ? (q->until + 59) / 60 : INT64_MAX;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    if (q->program)
        sqlite3_bind_text(st, 3, q->program, -1, SQLITE_STATIC);
    if (q->has_uid)
        sqlite3_bind_int64(st, 4, q->uid);
    sqlite3_bind_int64(st, 5, q->limit ? q->limit : 1000);
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ward_stats_row *g = realloc(*rows, cap * sizeof(**rows));
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            *rows = g;
        }
        ward_stats_row *r = &(*rows)[n++];
        memset(r, 0, sizeof(*r));
        col(st, 0, r->program, sizeof(r->program));
        col(st, 1, r->remote, sizeof(r->remote));
        col(st, 2, r->domain, sizeof(r->domain));
        r->bytes_in = (uint64_t)sqlite3_column_int64(st, 3);
        r->bytes_out = (uint64_t)sqlite3_column_int64(st, 4);
        r->packets_in = (uint64_t)sqlite3_column_int64(st, 5);
        r->packets_out = (uint64_t)sqlite3_column_int64(st, 6);
        r->conns = (uint64_t)sqlite3_column_int64(st, 7);
    }
    if (rc != SQLITE_DONE) {
        say(err, errlen, path, db);
        free(*rows);
        *rows = NULL;
        n = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE ? (int)n : -1;
}
