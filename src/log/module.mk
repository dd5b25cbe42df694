# Connection log: SQLite (WAL) written by a batching writer thread.
LDLIBS += -lsqlite3
