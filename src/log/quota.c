/*
 * Quota usage in SQLite (log/quota.h): a row per program, replaced every
 * few seconds by wardd and read when a quota is put in force.
 */
#include "log/quota.h"
#include "log/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define QUOTA_SCHEMA                                                                               \
    "CREATE TABLE IF NOT EXISTS quota (program TEXT PRIMARY KEY, period INTEGER NOT NULL,"         \
    " start INTEGER NOT NULL, used INTEGER NOT NULL, kused INTEGER NOT NULL);"
#define QUOTA_PUT                                                                                  \
    "INSERT OR REPLACE INTO quota (program, period, start, used, kused) VALUES (?,?,?,?,?)"
#define QUOTA_GET "SELECT used, kused FROM quota WHERE program = ? AND period = ? AND start = ?"

struct ward_quota_db {
    sqlite3 *db;
    sqlite3_stmt *put, *get;
};

ward_quota_db *ward_quota_db_open(const char *path, char *err, size_t errlen)
{
    ward_quota_db *q = calloc(1, sizeof(*q));
    if (!q) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (log_db_open(path, QUOTA_SCHEMA, &q->db) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, QUOTA_PUT, -1, &q->put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, QUOTA_GET, -1, &q->get, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
        ward_quota_db_close(q);
        return NULL;
    }
    return q;
}

void ward_quota_db_close(ward_quota_db *q)
{
    if (!q)
        return;
    sqlite3_finalize(q->put);
    sqlite3_finalize(q->get);
    sqlite3_close(q->db);
    free(q);
}

void ward_quota_db_get(ward_quota_db *q, const char *program, int period, int64_t start,
                       uint64_t *used, uint64_t *kused)
{
    sqlite3_stmt *st = q->get;
    *used = *kused = 0;
    sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, period);
    sqlite3_bind_int64(st, 3, start);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *used = (uint64_t)sqlite3_column_int64(st, 0);
        *kused = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int ward_quota_db_put(ward_quota_db *q, const ward_quota_use *u, size_t n)
{
    if (!n)
        return 0;
    if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *st = q->put;
        sqlite3_bind_text(st, 1, u[i].program, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, u[i].period);
        sqlite3_bind_int64(st, 3, u[i].start);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)u[i].used);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)u[i].kused);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = -1;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (sqlite3_exec(q->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = -1;
    return rc;
}
