/*
 * cli/log.c — `ward log`: the connection log, filtered.
 *
 *   ward log [--program PATH|GLOB] [--since WHEN] [--until WHEN]
 *            [--verdict permit|block|...] [--remote CIDR] [--domain NAME]
 *            [--limit N] [--json|--csv] [--follow]
 *   ward log --gaps [--since WHEN] [--until WHEN]
 *
 * Every decision has a number within its run of wardd (boot, bseq): --gaps
 * lists the decisions that were published and never logged (the log's
 * queue was full, or wardd was killed before writing them). --follow then
 * prints each new decision and alert as it happens (cli/follow.c).
 *
 * WHEN is "YYYY-MM-DD HH:MM[:SS]" (local time), unix seconds, or an age such
 * as 30s, 10m, 2h, 7d. Anyone may read their own connections; root and group
 * ward read everyone's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "cli/follow.h"
#include "log/log.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s log [--program P] [--since WHEN] [--until WHEN] [--verdict V]\n"
            "              [--remote CIDR] [--domain NAME] [--limit N] [--json|--csv]\n"
            "              [--follow]\n"
            "       %s log --gaps [--since WHEN] [--until WHEN] [--json]\n",
            cli_prog, cli_prog);
    return EXIT_USAGE;
}

/* WHEN as nanoseconds since the epoch; -1 if it is not a time. */
static int64_t parse_when_ns(const char *s)
{
    int64_t t = cli_parse_when(s);
    return t < 0 ? -1 : t * 1000000000LL;
}

struct rows_out {
    int format; /* 0 text, 1 JSON lines, 2 CSV */
    bool header_done;
    cli_follow *follow; /* --follow: told which rows were printed */
    uint32_t rows;      /* printed so far */
    uint64_t last_id;   /* the last row's id: the next page starts after it */
};

/* A live event (--follow): no row id yet. */
static void print_live(const ward_event *ev, void *ctx)
{
    struct rows_out *o = ctx;
    if (o->format == 1) {
        cli_print_event_json(stdout, ev);
    } else if (o->format == 2) {
        ward_log_write_csv(stdout, ev);
    } else {
        printf("%-6s ", "-");
        cli_print_event(stdout, ev);
    }
}

static void print_rows(const ward_msg *part, void *ctx)
{
    struct rows_out *o = ctx;
    int format = o->format;
    if (format == 2 && !o->header_done) {
        ward_log_write_csv_header(stdout);
        o->header_done = true;
    }
    for (size_t i = 0; i < part->u.log_reply.n; i++) {
        const ward_event *ev = &part->u.log_reply.rows[i];
        o->rows++;
        if (ev->kind != WARD_EVENT_GAP)
            o->last_id = ev->seq;
        if (o->follow)
            cli_follow_seen(o->follow, ev);
        if (format == 1)
            cli_print_event_json(stdout, ev);
        else if (format == 2)
            ward_log_write_csv(stdout, ev);
        else if (ev->kind == WARD_EVENT_GAP) {
            printf("%-6s ", "-");
            cli_print_event(stdout, ev);
        } else {
            printf("%-6llu ", (unsigned long long)ev->seq); /* the row id: ward explain --log */
            cli_print_event(stdout, ev);
        }
    }
}

int cmd_log(int argc, char **argv)
{
    ward_msg req = {.type = WARD_MSG_LOG_QUERY};
    ward_log_filter *f = &req.u.log_query;
    f->verdict = -1;
    f->limit = 1000;
    bool json = false, csv = false, follow = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--csv") == 0) {
            csv = true;
        } else if (strcmp(a, "--follow") == 0) {
            follow = true;
        } else if (strcmp(a, "--gaps") == 0) {
            f->gaps = true;
        } else if (!v) {
            return usage();
        } else if (strcmp(a, "--program") == 0) {
            f->program = argv[++i];
        } else if (strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) {
            int64_t ns = parse_when_ns(v);
            if (ns < 0) {
                fprintf(stderr, "%s: log: '%s' is not a time\n", cli_prog, v);
                return EXIT_USAGE;
            }
            *(a[2] == 's' ? &f->since_ns : &f->until_ns) = ns;
            i++;
        } else if (strcmp(a, "--verdict") == 0) {
            if ((f->verdict = ward_proto_verdict_parse(v)) < 0) {
                fprintf(stderr, "%s: log: no verdict '%s'\n", cli_prog, v);
                return EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--remote") == 0) {
            if (ward_cidr_parse(v, &f->remote) < 0) {
                fprintf(stderr, "%s: log: '%s' is not an address or prefix\n", cli_prog, v);
                return EXIT_USAGE;
            }
            f->has_remote = true;
            i++;
        } else if (strcmp(a, "--domain") == 0) {
            f->domain = argv[++i];
        } else if (strcmp(a, "--limit") == 0) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end || n == 0 || n > 100000)
                return usage();
            f->limit = (uint32_t)n;
            i++;
        } else {
            return usage();
        }
    }
    if ((json && csv) ||
        (f->gaps && (csv || f->program || f->verdict >= 0 || f->has_remote || f->domain)) ||
        (follow && (f->gaps || f->until_ns)))
        return usage();
    struct rows_out out = {json ? 1 : csv ? 2 : 0, false, NULL, 0, 0};
    /* Subscribed before the log is read: nothing published in between is
     * missed. */
    if (follow && !(out.follow = cli_follow_start("ward-log")))
        return 1;
    /* wardd answers at most WARD_PROTO_MAX_ROWS rows a query: more are
     * read page by page, each after the last row of the one before. */
    uint32_t want = f->limit;
    int rc;
    for (;;) {
        uint32_t before = out.rows, left = want - out.rows;
        f->limit = left < WARD_PROTO_MAX_ROWS ? left : WARD_PROTO_MAX_ROWS;
        rc = cli_request_parts("ward-log", &req, WARD_MSG_LOG_REPLY, print_rows, &out) < 0;
        if (rc || f->gaps || out.rows - before < f->limit || out.rows >= want)
            break;
        f->after_id = out.last_id;
    }
    if (follow) {
        fflush(stdout);
        if (!rc)
            rc = cli_follow_run(out.follow, f, 0, print_live, &out);
        cli_follow_free(out.follow);
    }
    return rc;
}
