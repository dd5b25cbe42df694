/*
 * Reading the connection log: filtered queries on a read-only connection,
 * and the `ward log` output formats.
 */
#define _GNU_SOURCE
#include "log/log.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/schema.h"

static int open_ro(const char *path, sqlite3 **db, char *err, size_t errlen)
{
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 2000);
    return 0;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    ward_event_set_str(dst, cap, (const char *)s);
}

static int find(const char *const *names, const char *s, int max)
{
    for (int i = 0; s && i < max; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    return 0;
}

static void row_to_event(sqlite3_stmt *st, ward_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
    ev->time_ns = sqlite3_column_int64(st, 1);
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    ev->kind = !kind                        ? WARD_EVENT_DECISION
               : strcmp(kind, "alert") == 0 ? WARD_EVENT_ALERT
               : strcmp(kind, "lost") == 0  ? WARD_EVENT_LOST
                                            : WARD_EVENT_DECISION;
    ev->pid = (uint32_t)sqlite3_column_int64(st, 3);
    ev->uid = (uint32_t)sqlite3_column_int64(st, 4);
    copy_col(st, 5, ev->exe, sizeof(ev->exe));
    copy_col(st, 6, ev->cmdline, sizeof(ev->cmdline));
    ev->proto = (uint8_t)sqlite3_column_int(st, 7);
    const char *dir = (const char *)sqlite3_column_text(st, 8);
    ev->direction = dir && strcmp(dir, "in") == 0 ? WARD_DIR_IN : WARD_DIR_OUT;
    const char *la = (const char *)sqlite3_column_text(st, 9);
    if (!la || ward_ip_parse(la, &ev->local) != 0)
        memset(&ev->local, 0, sizeof(ev->local));
    ev->lport = (uint16_t)sqlite3_column_int(st, 10);
    const char *ra = (const char *)sqlite3_column_text(st, 11);
    if (!ra || ward_ip_parse(ra, &ev->remote) != 0)
        memset(&ev->remote, 0, sizeof(ev->remote));
    ev->rport = (uint16_t)sqlite3_column_int(st, 12);
    copy_col(st, 13, ev->domain, sizeof(ev->domain));
    const char *verdicts[WARD_V_DROP_CONNECTION + 1], *layers[WARD_LAYER_COUNT],
        *reasons[WARD_R_COUNT];
    for (int i = 0; i <= WARD_V_DROP_CONNECTION; i++)
        verdicts[i] = ward_verdict_name((enum ward_verdict)i);
    for (int i = 0; i < WARD_LAYER_COUNT; i++)
        layers[i] = ward_layer_name((enum ward_layer)i);
    for (int i = 0; i < WARD_R_COUNT; i++)
        reasons[i] = ward_reason_name((enum ward_reason)i);
    ev->verdict = (uint8_t)find(verdicts, (const char *)sqlite3_column_text(st, 14),
                                WARD_V_DROP_CONNECTION + 1);
    ev->layer = (uint8_t)find(layers, (const char *)sqlite3_column_text(st, 15), WARD_LAYER_COUNT);
    ev->reason = (uint8_t)find(reasons, (const char *)sqlite3_column_text(st, 16), WARD_R_COUNT);
    ev->filter_id = (uint64_t)sqlite3_column_int64(st, 17);
    copy_col(st, 18, ev->filter, sizeof(ev->filter));
    ev->count = (uint32_t)sqlite3_column_int64(st, 19);
    ev->boot = (uint64_t)sqlite3_column_int64(st, 20);
    ev->bseq = (uint64_t)sqlite3_column_int64(st, 21);
    const char *via = (const char *)sqlite3_column_text(st, 22);
    ev->via = via && !strcmp(via, "shim") ? WARD_VIA_SHIM : WARD_VIA_KERNEL;
    copy_col(st, 23, ev->parents, sizeof(ev->parents));
    ev->name_src = (uint8_t)ward_name_src_parse((const char *)sqlite3_column_text(st, 24));
    const char *encdns = (const char *)sqlite3_column_text(st, 25);
    ev->encdns = !encdns                  ? WARD_ENCDNS_NONE
                 : !strcmp(encdns, "dot") ? WARD_ENCDNS_DOT
                 : !strcmp(encdns, "doh") ? WARD_ENCDNS_DOH
                                          : WARD_ENCDNS_NONE;
}

static void report(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
}

/* Runs a prepared query: each row made an event by to_event and handed to
 * fn (non-zero stops). Finalizes st. Returns the rows handed over, or -1
 * with the message in err. */
static int each_row(sqlite3 *db, const char *path, sqlite3_stmt *st,
                    void (*to_event)(sqlite3_stmt *, ward_event *), ward_log_row_fn fn, void *ctx,
                    char *err, size_t errlen)
{
    int n = 0, rc;
    ward_event ev;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        to_event(st, &ev);
        n++;
        if (fn && fn(&ev, ctx))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        report(db, path, err, errlen);
        n = -1;
    }
    sqlite3_finalize(st);
    return n;
}

/* A row of the gap query (boot, prev, bseq, time_ns, kind) as a GAP event. */
static void gap_to_event(sqlite3_stmt *st, ward_event *ev)
{
    *ev = (ward_event){.kind = WARD_EVENT_GAP};
    ev->boot = (uint64_t)sqlite3_column_int64(st, 0);
    int64_t prev = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
    int64_t next = sqlite3_column_int64(st, 2);
    ev->bseq = (uint64_t)(prev + 1);
    ev->count = (uint32_t)(next - prev - 1);
    ev->time_ns = sqlite3_column_int64(st, 3);
    const char *kind = (const char *)sqlite3_column_text(st, 4);
    WARD_EVENT_SET(ev, filter, kind && strcmp(kind, "lost") == 0 ? "wardd stopped" : "not written");
}

/* Jumps in a boot's sequence numbers: what was published and never written.
 * Each boot's first row is not compared with anything, since retention
 * removes the oldest rows (a loss before a boot's first logged row shows
 * only in wardd's own count) — except a "lost" marker: it closes the tail
 * of a run killed before its writer caught up, and may be its only row. */
static int query_gaps(sqlite3 *db, const char *path, const ward_log_filter *f, ward_log_row_fn fn,
                      void *ctx, char *err, size_t errlen)
{
    char sql[768];
    snprintf(sql, sizeof(sql),
             "SELECT boot, prev, bseq, time_ns, kind FROM (SELECT boot, bseq, time_ns, kind,"
             " LAG(bseq) OVER (PARTITION BY boot ORDER BY bseq) AS prev FROM conn"
             " WHERE boot IS NOT NULL%s%s) WHERE (prev IS NOT NULL AND bseq > prev + 1)"
             " OR (kind = 'lost' AND bseq > COALESCE(prev, -1) + 1)"
             " ORDER BY time_ns LIMIT ?3",
             f->since_ns ? " AND time_ns >= ?1" : "", f->until_ns ? " AND time_ns < ?2" : "");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        report(db, path, err, errlen);
        return -1;
    }
    sqlite3_bind_int64(st, 1, f->since_ns);
    sqlite3_bind_int64(st, 2, f->until_ns);
    sqlite3_bind_int64(st, 3, f->limit ? f->limit : 1000);
    return each_row(db, path, st, gap_to_event, fn, ctx, err, errlen);
}

int64_t ward_log_last_bseq(const char *path, uint64_t boot)
{
    sqlite3 *db;
    if (open_ro(path, &db, NULL, 0) < 0)
        return -2;
    sqlite3_stmt *st;
    int64_t last = -2;
    if (sqlite3_prepare_v2(db, "SELECT MAX(bseq) FROM conn WHERE boot = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)boot);
        if (sqlite3_step(st) == SQLITE_ROW)
            last = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return last;
}

/* The last address of a prefix: the upper bound of its range. */
static void cidr_range(const ward_cidr *c, uint8_t lo[16], uint8_t hi[16])
{
    for (int i = 0; i < 16; i++) {
        int bits = (int)c->plen - i * 8;
        uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        lo[i] = c->ip.b[i] & mask;
        hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
    }
}

int ward_log_query(const char *path, const ward_log_filter *f, ward_log_row_fn fn, void *ctx,
                   char *err, size_t errlen)
{
    sqlite3 *db;
    if (open_ro(path, &db, err, errlen) < 0)
        return -1;
    if (f->gaps) {
        int n = query_gaps(db, path, f, fn, ctx, err, errlen);
        sqlite3_close(db);
        return n;
    }
    char sql[1024];
    size_t off =
        (size_t)snprintf(sql, sizeof(sql), "SELECT " WARD_LOG_COLUMNS " FROM conn WHERE id > ?1");
#define ADD(clause) off += (size_t)snprintf(sql + off, sizeof(sql) - off, " AND " clause)
    if (f->program)
        ADD("exe GLOB ?2");
    if (f->since_ns)
        ADD("time_ns >= ?3");
    if (f->until_ns)
        ADD("time_ns < ?4");
    if (f->verdict >= 0)
        ADD("verdict = ?5");
    if (f->has_remote)
        ADD("remote_ip BETWEEN ?6 AND ?7");
    if (f->domain)
        ADD("domain GLOB ?8");
    if (f->has_uid)
        ADD("uid = ?9");
#undef ADD
    snprintf(sql + off, sizeof(sql) - off, " ORDER BY id LIMIT ?10");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        report(db, path, err, errlen);
        sqlite3_close(db);
        return -1;
    }
    uint8_t lo[16], hi[16];
    sqlite3_bind_int64(st, 1, (int64_t)f->after_id);
    if (f->program)
        sqlite3_bind_text(st, 2, f->program, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, f->since_ns);
    sqlite3_bind_int64(st, 4, f->until_ns);
    if (f->verdict >= 0)
        sqlite3_bind_text(st, 5, ward_verdict_name((enum ward_verdict)f->verdict), -1,
                          SQLITE_STATIC);
    if (f->has_remote) {
        cidr_range(&f->remote, lo, hi);
        sqlite3_bind_blob(st, 6, lo, 16, SQLITE_STATIC);
        sqlite3_bind_blob(st, 7, hi, 16, SQLITE_STATIC);
    }
    if (f->domain)
        sqlite3_bind_text(st, 8, f->domain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, f->uid);
    sqlite3_bind_int64(st, 10, f->limit ? f->limit : 1000);
    int n = each_row(db, path, st, row_to_event, fn, ctx, err, errlen);
    sqlite3_close(db);
    return n;
}

int ward_log_get(const char *path, uint64_t id, ward_event *out)
{
    sqlite3 *db;
    if (open_ro(path, &db, NULL, 0) < 0)
        return -1;
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT " WARD_LOG_COLUMNS " FROM conn WHERE id = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)id);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            row_to_event(st, out);
            rc = 0;
        } else if (s == SQLITE_DONE) {
            rc = 1;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

int ward_log_write_csv_header(FILE *out)
{
    return fputs("id,time,time_ns,kind,pid,uid,exe,cmdline,proto,direction,local,lport,remote,"
                 "rport,domain,verdict,layer,reason,filter_id,filter,count\n",
                 out) < 0
               ? -1
               : 0;
}

/* RFC 4180: quote a field holding a comma, quote or line break. */
static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

int ward_log_write_csv(FILE *out, const ward_event *r)
{
    char tbuf[96], la[WARD_IP_STRLEN], ra[WARD_IP_STRLEN];
    time_t secs = (time_t)(r->time_ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(r->time_ns % 1000000000LL / 1000000));
    ward_ip_format(&r->local, la, sizeof(la));
    ward_ip_format(&r->remote, ra, sizeof(ra));
    const char *verdict = ward_verdict_name((enum ward_verdict)r->verdict);
    const char *layer = ward_layer_name((enum ward_layer)r->layer);
    const char *reason = ward_reason_name((enum ward_reason)r->reason);
    fprintf(out, "%llu,%s,%lld,%s,%u,%u,", (unsigned long long)r->seq, tbuf, (long long)r->time_ns,
            r->kind == WARD_EVENT_ALERT ? "alert" : "decision", r->pid, r->uid);
    csv_field(out, r->exe);
    fputc(',', out);
    csv_field(out, r->cmdline);
    fprintf(out, ",%u,%s,%s,%u,%s,%u,", r->proto, r->direction == WARD_DIR_IN ? "in" : "out", la,
            r->lport, ra, r->rport);
    csv_field(out, r->domain);
    fprintf(out, ",%s,%s,%s,%llu,", verdict ? verdict : "", layer ? layer : "",
            reason ? reason : "", (unsigned long long)r->filter_id);
    csv_field(out, r->filter);
    return fprintf(out, ",%u\n", r->count) < 0 ? -1 : 0;
}
