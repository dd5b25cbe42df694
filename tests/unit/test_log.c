/* The connection log against a real SQLite file: fields, batching, queries,
 * retention by age and size, and a flood that must not block the producer. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>

#include "log/log.h"
#include "proto/proto.h"

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/ward-log-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/conn.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_event(ward_event *ev, uint32_t n)
{
    memset(ev, 0, sizeof(*ev));
    ev->time_ns = now_ns();
    ev->kind = WARD_EVENT_DECISION;
    ev->pid = 1000 + n;
    ev->uid = n % 2 ? 1000 : 0;
    ev->proto = n % 3 ? 6 : 17;
    ev->direction = WARD_DIR_OUT;
    ev->verdict = n % 4 ? WARD_V_PERMIT : WARD_V_BLOCK;
    ev->layer = WARD_LAYER_CONNECT_OUT;
    ev->reason = WARD_R_APP_RULE;
    ev->lport = (uint16_t)(30000 + n);
    ev->rport = 443;
    ev->count = 1;
    ev->filter_id = n;
    ward_ip_from_v4(&ev->local, 0x0a000002u);
    ward_ip_from_v4(&ev->remote, 0xc0a80000u + (n % 256));
    snprintf(ev->exe, sizeof(ev->exe), "/usr/bin/%s", n % 2 ? "curl" : "wget");
    snprintf(ev->cmdline, sizeof(ev->cmdline), "%s -q https://host%u.example.com/",
             n % 2 ? "curl" : "wget", n);
    snprintf(ev->domain, sizeof(ev->domain), "host%u.example.com", n);
    ev->name_src = n % 3 ? WARD_NAME_DNS_TCP : WARD_NAME_SNI;
    snprintf(ev->filter, sizeof(ev->filter), "rule-%u", n);
    const char *chain[] = {"/usr/bin/sh", "/usr/sbin/cron"};
    ward_event_set_parents(ev, chain, n % 2 ? 2 : 0);
}

static ward_log *open_log(struct fixture *f, size_t cap, size_t batch, int64_t max_age,
                          int64_t max_bytes)
{
    ward_log_config cfg = {.path = f->path,
                           .queue_cap = cap,
                           .batch_max = batch,
                           .flush_ms = 20,
                           .max_age_s = max_age,
                           .max_bytes = max_bytes,
                           .retain_every_s = 3600};
    char err[256];
    ward_log *l = ward_log_open(&cfg, err, sizeof(err));
    if (!l)
        fail_msg("open: %s", err);
    return l;
}

struct collect {
    ward_event rows[64];
    size_t n;
};

static int collect_fn(const ward_event *row, void *ctx)
{
    struct collect *c = ctx;
    if (c->n < 64)
        c->rows[c->n] = *row;
    c->n++;
    return 0;
}

static int query(struct fixture *f, const ward_log_filter *q, struct collect *c)
{
    char err[256];
    memset(c, 0, sizeof(*c));
    int n = ward_log_query(f->path, q, collect_fn, c, err, sizeof(err));
    if (n < 0)
        fail_msg("query: %s", err);
    return n;
}

static ward_log_filter any(void)
{
    return (ward_log_filter){.verdict = -1, .limit = 100000};
}

static void test_rows_hold_fields(void **state)
{
    struct fixture *f = *state;
    ward_log *l = open_log(f, 0, 0, 0, 0);
    ward_event ev[3], third;
    for (uint32_t i = 0; i < 3; i++) {
        make_event(&ev[i], i);
        assert_true(ward_log_submit(l, &ev[i]));
    }
    third = ev[2];
    ev[2].kind = WARD_EVENT_ALERT;
    ev[2].direction = WARD_DIR_IN;
    ev[2].count = 99;
    ward_ip_parse("2001:db8::42", &ev[2].remote);
    WARD_EVENT_SET(&ev[2], cmdline, "a \"quoted\", comma\nnewline");
    assert_true(ward_log_submit(l, &ev[2]));
    assert_int_equal(ward_log_sync(l, 5000), 0);
    ward_log_filter q = any();
    struct collect c;
    assert_int_equal(query(f, &q, &c), 4);
    third.seq = 3;
    for (size_t i = 0; i < 2; i++) {
        ev[i].seq = i + 1; /* the row id */
        assert_memory_equal(&c.rows[i], &ev[i], sizeof(ward_event));
    }
    assert_memory_equal(&c.rows[2], &third, sizeof(ward_event));
    ev[2].seq = 4;
    assert_memory_equal(&c.rows[3], &ev[2], sizeof(ward_event));
    ward_event one;
    assert_int_equal(ward_log_get(f->path, 4, &one), 0);
    assert_memory_equal(&one, &ev[2], sizeof(ward_event));
    assert_int_equal(ward_log_get(f->path, 99, &one), 1);

    /* Output formats. */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ward_log_write_csv_header(out);
    ward_log_write_csv(out, &c.rows[3]);
    char *json = ward_proto_event_json(&c.rows[0]);
    fprintf(out, "%s\n", json);
    free(json);
    fclose(out);
    assert_non_null(strstr(buf, ",\"a \"\"quoted\"\", comma\nnewline\","));
    assert_non_null(strstr(buf, ",alert,"));
    assert_non_null(strstr(buf, ",2001:db8::42,"));
    assert_non_null(strstr(buf, "{\"seq\":1,"));
    assert_non_null(strstr(buf, "\"exe\":\"/usr/bin/wget\""));
    free(buf);

    ward_log_stats st;
    ward_log_stats_get(l, &st);
    assert_int_equal(st.submitted, 4);
    assert_int_equal(st.written, 4);
    assert_int_equal(st.dropped, 0);
    ward_log_close(l);

    /* Reopening keeps the rows and appends after them. */
    l = open_log(f, 0, 0, 0, 0);
    assert_true(ward_log_submit(l, &ev[0]));
    ward_log_close(l); /* close writes what is queued */
    assert_int_equal(query(f, &q, &c), 5);
    assert_int_equal(c.rows[4].seq, 5);
}

static void test_batches(void **state)
{
    struct fixture *f = *state;
    ward_log *l = open_log(f, 100000, 1000, 0, 0);
    ward_event ev;
    for (uint32_t i = 0; i < 20000; i++) {
        make_event(&ev, i);
        assert_true(ward_log_submit(l, &ev));
    }
    assert_int_equal(ward_log_sync(l, 30000), 0);
    ward_log_stats st;
    ward_log_stats_get(l, &st);
    assert_int_equal(st.written, 20000);
    /* One transaction per batch: at least 20, and far fewer than rows. */
    assert_true(st.batches >= 20);
    assert_true(st.batches <= 200);
    ward_log_close(l);
    ward_log_filter q = any();
    struct collect c;
    assert_int_equal(query(f, &q, &c), 20000);
}

static void test_queries(void **state)
{
    struct fixture *f = *state;
    ward_log *l = open_log(f, 0, 0, 0, 0);
    ward_event ev;
    int64_t t0 = now_ns();
    for (uint32_t i = 0; i < 100; i++) {
        make_event(&ev, i);
        ev.time_ns = t0 + i * 1000;
        if (i == 50)
            ward_ip_parse("fd00::5", &ev.remote);
        ward_log_submit(l, &ev);
    }
    assert_int_equal(ward_log_sync(l, 5000), 0);
    ward_log_filter q = any();
    struct collect c;
    q.program = "/usr/bin/curl";
    assert_int_equal(query(f, &q, &c), 50);
    q.program = "*/wge?";
    assert_int_equal(query(f, &q, &c), 50);
    q = any();
    q.since_ns = t0 + 10 * 1000;
    q.until_ns = t0 + 20 * 1000;
    assert_int_equal(query(f, &q, &c), 10);
    assert_int_equal(c.rows[0].pid, 1010);
    q = any();
    q.verdict = WARD_V_BLOCK;
    assert_int_equal(query(f, &q, &c), 25);
    q = any();
    q.has_remote = true;
    ward_cidr_parse("192.168.0.0/30", &q.remote); /* n % 256 in 0..3 */
    assert_int_equal(query(f, &q, &c), 4);
    ward_cidr_parse("fd00::/8", &q.remote);
    assert_int_equal(query(f, &q, &c), 1);
    assert_int_equal(c.rows[0].pid, 1050);
    q = any();
    q.domain = "host7?.example.com";
    assert_int_equal(query(f, &q, &c), 10);
    q = any();
    q.has_uid = true;
    q.uid = 1000;
    assert_int_equal(query(f, &q, &c), 50);
    q = any();
    q.limit = 30;
    q.after_id = 60;
    assert_int_equal(query(f, &q, &c), 30);
    assert_int_equal(c.rows[0].seq, 61);
    q.after_id = 90;
    assert_int_equal(query(f, &q, &c), 10);
    ward_log_close(l);
}

static void test_retention_by_age(void **state)
{
    struct fixture *f = *state;
    ward_log *l = open_log(f, 0, 0, 3600, 0);
    ward_event ev;
    for (uint32_t i = 0; i < 100; i++) {
        make_event(&ev, i);
        if (i < 60)
            ev.time_ns -= 7200LL * 1000000000LL; /* two hours old */
        ward_log_submit(l, &ev);
    }
    assert_int_equal(ward_log_sync(l, 5000), 0);
    assert_int_equal(ward_log_retain(l), 0);
    ward_log_stats st;
    ward_log_stats_get(l, &st);
    assert_int_equal(st.pruned, 60);
    ward_log_filter q = any();
    struct collect c;
    assert_int_equal(query(f, &q, &c), 40);
    assert_int_equal(c.rows[0].pid, 1060);
    ward_log_close(l);
}

static int64_t db_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static void test_retention_by_size(void **state)
{
    struct fixture *f = *state;
    const int64_t max = 1 << 20;
    ward_log *l = open_log(f, 200000, 4096, 0, max);
    ward_event ev;
    for (uint32_t i = 0; i < 40000; i++) {
        make_event(&ev, i);
        memset(ev.cmdline, 'x', sizeof(ev.cmdline) - 1); /* fat rows */
        ward_log_submit(l, &ev);
    }
    assert_int_equal(ward_log_sync(l, 60000), 0);
    assert_true(db_bytes(f->path) > 4 * max);
    assert_int_equal(ward_log_retain(l), 0);
    int64_t after = db_bytes(f->path);
    printf("# size retention: %lld bytes after (bound %lld)\n", (long long)after, (long long)max);
    assert_true(after <= max + max / 4);
    ward_log_stats st;
    ward_log_stats_get(l, &st);
    assert_true(st.pruned > 30000);
    ward_log_close(l);
    /* The newest rows are the ones kept. */
    ward_log_filter q = any();
    struct collect c;
    int n = query(f, &q, &c);
    assert_int_equal((uint64_t)n + st.pruned, 40000);
    q.after_id = 39999;
    assert_int_equal(query(f, &q, &c), 1);
}

static void test_flood_never_blocks(void **state)
{
    struct fixture *f = *state;
    /* A small queue so the flood overwhelms the writer. */
    ward_log *l = open_log(f, 4096, 1024, 0, 0);
    ward_event ev;
    make_event(&ev, 1);
    const uint32_t total = 200000;
    uint32_t accepted = 0;
    double worst = 0, t0 = mono();
    for (uint32_t i = 0; i < total; i++) {
        ev.pid = i;
        double a = mono();
        accepted += ward_log_submit(l, &ev);
        double d = mono() - a;
        if (d > worst)
            worst = d;
    }
    double dt = mono() - t0;
    assert_int_equal(ward_log_sync(l, 60000), 0);
    ward_log_stats st;
    ward_log_stats_get(l, &st);
    printf("# flood: %u events in %.3f s (%.0f/s), worst submit %.1f us; written %llu dropped "
           "%llu batches %llu\n",
           total, dt, total / dt, worst * 1e6, (unsigned long long)st.written,
           (unsigned long long)st.dropped, (unsigned long long)st.batches);
    assert_int_equal(st.submitted, accepted);
    assert_int_equal(st.submitted + st.dropped, total);
    assert_int_equal(st.written, st.submitted);
    /* Never waited for the disk: it dropped rather than waited, and the
     * average submit stayed far below what writing a row costs (a loose
     * bound that holds under ASan and valgrind on a shared machine). */
    assert_true(st.dropped > 0);
    assert_true(dt / total < 20e-6);
    ward_log_close(l);
    ward_log_filter q = any();
    struct collect c;
    assert_int_equal(query(f, &q, &c), (int)st.written);
}

static void test_throughput(void **state)
{
    struct fixture *f = *state;
    /* A queue large enough that nothing is dropped: the writer's own rate. */
    ward_log *l = open_log(f, 262144, 4096, 0, 0);
    ward_event ev;
    const uint32_t total = 200000;
    double t0 = mono();
    for (uint32_t i = 0; i < total; i++) {
        make_event(&ev, i);
        assert_true(ward_log_submit(l, &ev));
    }
    assert_int_equal(ward_log_sync(l, 120000), 0);
    double dt = mono() - t0;
    printf("# log throughput: %u events written in %.2f s = %.0f events/s\n", total, dt,
           total / dt);
    ward_log_close(l);
}

/* Numbered rows: what was never written shows as gaps, a "lost" marker
 * closes the tail of a killed run, and the last number is found. */
static void test_sequence_gaps(void **state)
{
    struct fixture *f = *state;
    ward_log *l = open_log(f, 256, 64, 0, 0);
    ward_event ev;
    for (uint32_t i = 0; i < 10; i++) {
        if (i == 3 || i == 4 || i == 7)
            continue; /* published, never written */
        make_event(&ev, i);
        ev.boot = 5000;
        ev.bseq = i;
        assert_true(ward_log_submit(l, &ev));
    }
    make_event(&ev, 99); /* another run: no gap of its own */
    ev.boot = 6000;
    ev.bseq = 0;
    assert_true(ward_log_submit(l, &ev));
    assert_int_equal(ward_log_sync(l, 5000), 0);
    assert_int_equal(ward_log_last_bseq(f->path, 5000), 9);
    assert_int_equal(ward_log_last_bseq(f->path, 7000), -1);
    /* The run went on to 14 and was killed: the next start marks 10..14. */
    ward_event lost = {.kind = WARD_EVENT_LOST, .boot = 5000, .bseq = 15, .count = 5};
    lost.time_ns = now_ns();
    assert_true(ward_log_submit(l, &lost));
    assert_int_equal(ward_log_sync(l, 5000), 0);
    ward_log_close(l);

    ward_log_filter q = any();
    q.gaps = true;
    struct collect c;
    assert_int_equal(query(f, &q, &c), 3);
    assert_int_equal(c.rows[0].kind, WARD_EVENT_GAP);
    assert_int_equal(c.rows[0].bseq, 3);
    assert_int_equal(c.rows[0].count, 2);
    assert_string_equal(c.rows[0].filter, "not written");
    assert_int_equal(c.rows[1].bseq, 7);
    assert_int_equal(c.rows[1].count, 1);
    assert_int_equal(c.rows[2].boot, 5000);
    assert_int_equal(c.rows[2].bseq, 10);
    assert_int_equal(c.rows[2].count, 5);
    assert_string_equal(c.rows[2].filter, "wardd stopped");
    /* The rows themselves carry their numbers. */
    q = any();
    assert_int_equal(query(f, &q, &c), 9);
    assert_int_equal(c.rows[0].boot, 5000);
    assert_int_equal(c.rows[2].bseq, 2);
    assert_int_equal(c.rows[3].bseq, 5);
    assert_int_equal(c.rows[8].kind, WARD_EVENT_LOST);
}

/* A log of schema 1 (no sequence numbers) is upgraded in place. */
static void test_upgrade_from_1(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE conn (id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL,"
                     " kind TEXT NOT NULL, pid INTEGER, uid INTEGER, exe TEXT, cmdline TEXT,"
                     " proto INTEGER, direction TEXT, local_addr TEXT, local_port INTEGER,"
                     " remote_addr TEXT, remote_ip BLOB, remote_port INTEGER, domain TEXT,"
                     " verdict TEXT, layer TEXT, reason TEXT, filter_id INTEGER, filter TEXT,"
                     " count INTEGER);"
                     "INSERT INTO conn (time_ns, kind, exe) VALUES (1, 'decision', '/bin/old');"
                     "PRAGMA user_version = 1;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    ward_log *l = open_log(f, 64, 16, 0, 0);
    ward_event ev;
    make_event(&ev, 1);
    ev.boot = 1;
    ev.bseq = 0;
    assert_true(ward_log_submit(l, &ev));
    assert_int_equal(ward_log_sync(l, 5000), 0);
    ward_log_close(l);
    ward_log_filter q = any();
    struct collect c;
    assert_int_equal(query(f, &q, &c), 2);
    assert_string_equal(c.rows[0].exe, "/bin/old");
    assert_int_equal(c.rows[0].boot, 0);
    assert_int_equal(c.rows[1].boot, 1);
}

static void test_bad_file(void **state)
{
    struct fixture *f = *state;
    FILE *fp = fopen(f->path, "w");
    fputs("this is not a database, it is a text file long enough to have a header.......", fp);
    fclose(fp);
    ward_log_config cfg = {.path = f->path};
    char err[256];
    assert_null(ward_log_open(&cfg, err, sizeof(err)));
    assert_true(err[0] != '\0');
    cfg.path = "/nonexistent/dir/conn.db";
    assert_null(ward_log_open(&cfg, err, sizeof(err)));
}

/* Producers on several threads, events of one to six cells (long command
 * lines and ancestor chains) through a small queue: every event is either
 * dropped or written whole, its strings intact. */
struct producer {
    ward_log *l;
    uint32_t t;
};

static void packed_event(ward_event *ev, uint32_t t, uint32_t i)
{
    make_event(ev, i);
    ev->pid = t * 100000 + i;
    memset(ev->cmdline, 0, sizeof(ev->cmdline));
    memset(ev->cmdline, 'a' + (int)t, (i * 7) % sizeof(ev->cmdline));
    memset(ev->parents, 0, sizeof(ev->parents));
    memset(ev->parents, 'A' + (int)t, (i * 13) % sizeof(ev->parents));
}

static void *produce(void *arg)
{
    struct producer *p = arg;
    ward_event ev;
    for (uint32_t i = 0; i < 5000; i++) {
        packed_event(&ev, p->t, i);
        while (!ward_log_submit(p->l, &ev))
            usleep(100); /* full: let the writer catch up */
    }
    return NULL;
}

static void test_packed_threads(void **state)
{
    struct fixture *f = *state;
    ward_log *l = open_log(f, 64, 16, 0, 0);
    struct producer p[4];
    pthread_t th[4];
    for (uint32_t t = 0; t < 4; t++) {
        p[t] = (struct producer){l, t};
        assert_int_equal(pthread_create(&th[t], NULL, produce, &p[t]), 0);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    ward_log_close(l);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT pid, cmdline, parents FROM conn", -1, &st, NULL), SQLITE_OK);
    int rows = 0;
    ward_event want;
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint32_t pid = (uint32_t)sqlite3_column_int64(st, 0);
        packed_event(&want, pid / 100000, pid % 100000);
        const char *cmd = (const char *)sqlite3_column_text(st, 1);
        const char *par = (const char *)sqlite3_column_text(st, 2);
        assert_string_equal(cmd ? cmd : "", want.cmdline);
        assert_string_equal(par ? par : "", want.parents);
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(rows, 4 * 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_hold_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_by_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_never_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_gaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packed_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
