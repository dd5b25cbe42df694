# Connection log: SQLite (WAL) written by a batching writer thread.
log_USES   := engine util
log_LDLIBS := -lsqlite3
