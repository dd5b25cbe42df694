/* The connection log's SQLite schema, shared by the writer and the readers.
 * Text columns hold the engine's names (verdict "block", layer
 * "connect-out" ...) so the file reads well in the sqlite3 shell; remote_ip
 * holds the 16-byte address so a CIDR filter is a range scan. */
#ifndef WARD_LOG_SCHEMA_H
#define WARD_LOG_SCHEMA_H

#define WARD_LOG_SCHEMA_VERSION 6

/* boot, bseq: which run of wardd published the row and its number within
 * that run (every decision and alert gets one, logged or not), so what was
 * never written shows as a jump. Version 1 lacked them. */
#define WARD_LOG_MIGRATE_1_2                                                                       \
    "ALTER TABLE conn ADD COLUMN boot INTEGER;"                                                    \
    "ALTER TABLE conn ADD COLUMN bseq INTEGER;"

/* via: which layer asked for a decision, "kernel" or "shim" (docs/SHIM.md);
 * NULL for other rows. Version 2 lacked it. */
#define WARD_LOG_MIGRATE_2_3 "ALTER TABLE conn ADD COLUMN via TEXT;"

/* parents: the process's ancestor chain, one path a line, nearest first
 * (docs/MONITOR.md). Version 3 lacked it. */
#define WARD_LOG_MIGRATE_3_4 "ALTER TABLE conn ADD COLUMN parents TEXT;"

/* name_src: where domain was learnt ("dns", "dns-tcp", "mdns", "llmnr",
 * "sni", "http-host", "shim"), NULL when unknown. Version 4 lacked it. */
#define WARD_LOG_MIGRATE_4_5 "ALTER TABLE conn ADD COLUMN name_src TEXT;"

/* encdns: the connection is encrypted DNS, "dot" or "doh" (the
 * encrypted-dns condition), NULL otherwise. Version 5 lacked it. */
#define WARD_LOG_MIGRATE_5_6 "ALTER TABLE conn ADD COLUMN encdns TEXT;"

#define WARD_LOG_SCHEMA                                                                            \
    "CREATE TABLE IF NOT EXISTS conn ("                                                            \
    " id INTEGER PRIMARY KEY,"                                                                     \
    " time_ns INTEGER NOT NULL,"                                                                   \
    " kind TEXT NOT NULL,"                                                                         \
    " pid INTEGER, uid INTEGER, exe TEXT, cmdline TEXT,"                                           \
    " proto INTEGER, direction TEXT,"                                                              \
    " local_addr TEXT, local_port INTEGER,"                                                        \
    " remote_addr TEXT, remote_ip BLOB, remote_port INTEGER, domain TEXT,"                         \
    " verdict TEXT, layer TEXT, reason TEXT, filter_id INTEGER, filter TEXT, count INTEGER,"       \
    " boot INTEGER, bseq INTEGER, via TEXT, parents TEXT, name_src TEXT, encdns TEXT);"            \
    "CREATE INDEX IF NOT EXISTS conn_time ON conn(time_ns);"                                       \
    "CREATE INDEX IF NOT EXISTS conn_boot ON conn(boot, bseq);"                                    \
    "PRAGMA user_version = 6;"

#define WARD_LOG_INSERT                                                                            \
    "INSERT INTO conn (time_ns, kind, pid, uid, exe, cmdline, proto, direction, local_addr,"       \
    " local_port, remote_addr, remote_ip, remote_port, domain, verdict, layer, reason,"            \
    " filter_id, filter, count, boot, bseq, via, parents, name_src, encdns)"                       \
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

#define WARD_LOG_COLUMNS                                                                           \
    "id, time_ns, kind, pid, uid, exe, cmdline, proto, direction, local_addr, local_port,"         \
    " remote_addr, remote_port, domain, verdict, layer, reason, filter_id, filter, count, boot,"   \
    " bseq, via, parents, name_src, encdns"

#endif
