/*
 * db.c — the log database opened for a writer (log/db.h).
 */
#include "log/db.h"

#include <stddef.h>

int log_db_open(const char *path, const char *schema, sqlite3 **db)
{
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_busy_timeout(*db, 2000);
    rc = sqlite3_exec(*db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    return rc != SQLITE_OK ? rc : sqlite3_exec(*db, schema, NULL, NULL, NULL);
}
