/*
 * ui/gtk/traffic.h — the traffic accounting messages (traffic.c): plain
 * GLib and json-c, no GTK, so the parsers build into their fuzz target
 * (tests/fuzz/fuzz_gtk_traffic.c).
 */
#ifndef WARD_GTK_TRAFFIC_H
#define WARD_GTK_TRAFFIC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"

typedef struct wg_conn wg_conn;

/* A reply to one request. m is the decoded message, or NULL when the codec
 * does not know its type (raw is then the only form: the traffic messages).
 * Return true to keep waiting for more replies with the same id (multi-part
 * replies). Called with m and raw NULL when the connection is lost first.
 * Descriptors that came with the reply are closed after it returns (dup
 * what is kept). */
typedef bool (*wg_reply_fn)(const ward_msg *m, const char *raw, const int *fds, size_t nfds,
                            void *ud);

/* The same for a request the codec does not know: a JSON object's members
 * after "type" and "id", e.g. "\"by\":\"program\"". */
int wg_conn_request_raw(wg_conn *c, const char *type, const char *members, wg_reply_fn fn,
                        void *ud);

/* ---- Traffic accounting (traffic.c) ------------------------------------- */

typedef struct wg_stat_row {
    char *program, *remote, *domain;
    uint64_t bytes_in, bytes_out, packets_in, packets_out, conns;
} wg_stat_row;

typedef struct wg_conn_row {
    uint64_t cookie;
    char *program, *laddr, *raddr, *domain, *dir, *verdict;
    uint32_t pid, uid;
    uint8_t proto;
    uint16_t lport, rport;
    uint64_t bytes_in, bytes_out, rate_in, rate_out;
    int64_t since;
} wg_conn_row;

/* Results: known false when wardd does not know the message (older wardd):
 * the views then show "—". Arrays of the rows above (freed with the array). */
typedef void (*wg_stats_fn)(bool known, GPtrArray *rows, void *ud);
void wg_traffic_stats(wg_conn *c, const char *by, int64_t since, int64_t until, const char *program,
                      wg_stats_fn fn, void *ud);
void wg_traffic_conns(wg_conn *c, wg_stats_fn fn, void *ud);
/* Parsers (also for the fuzz target): a reply line into rows (arrays from
 * wg_*_rows_new); false if it is not one. */
GPtrArray *wg_stat_rows_new(void);
GPtrArray *wg_conn_rows_new(void);
bool wg_traffic_parse_stats(const char *raw, GPtrArray *rows, bool *more);
bool wg_traffic_parse_conns(const char *raw, GPtrArray *rows, bool *more);
char *wg_bytes_text(uint64_t n, bool known); /* "1.2 MB", or "—" */

#endif /* WARD_GTK_TRAFFIC_H */
