/*
 * log/db.h — opening the log database for a writer beside the connection
 * log's own thread (traffic totals, quota usage): shared by the log module's
 * files, not part of its interface.
 */
#ifndef WARD_LOG_DB_H
#define WARD_LOG_DB_H

#include <sqlite3.h>

/* Opens path read-write (created if need be) in WAL mode, waiting up to 2 s
 * for the other writers' locks, and runs schema (CREATE ... IF NOT EXISTS).
 * SQLITE_OK, or an error with *db still to be closed (it may hold the
 * message: sqlite3_errmsg). */
int log_db_open(const char *path, const char *schema, sqlite3 **db);

#endif
