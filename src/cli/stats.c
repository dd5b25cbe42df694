/*
 * cli/stats.c — `ward stats`: bytes and packets per program, or per program
 * and remote, over a time range (wardd's per-minute totals).
 *
 *   ward stats [--by program|remote] [--since WHEN] [--until WHEN]
 *              [--program PATH] [--limit N] [--json]
 *   ward stats --limits [--json]     (cli/limits.c)
 *
 * WHEN is unix seconds, an age such as 30s, 10m, 2h, 7d, or
 * "YYYY-MM-DD[ HH:MM[:SS]]" (local time), as for `ward log`. The totals are
 * kept by the minute: a minute that overlaps the range counts whole.
 * Anyone may read their own programs' traffic; root and group ward read
 * everyone's.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/daemon.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s stats [--by program|remote] [--since WHEN] [--until WHEN]\n"
            "                [--program PATH] [--limit N] [--json]\n"
            "       %s stats --limits [--json]\n",
            cli_prog, cli_prog);
    return EXIT_USAGE;
}

/* 1234567 -> "1.2M" */
static const char *human(uint64_t v, char *buf, size_t len)
{
    const char *units = "kMGTP";
    if (v < 10000) {
        snprintf(buf, len, "%" PRIu64, v);
        return buf;
    }
    double x = (double)v;
    int u = -1;
    while (x >= 1000 && u < 4) {
        x /= 1000;
        u++;
    }
    snprintf(buf, len, "%.1f%c", x, units[u]);
    return buf;
}

struct out {
    bool json, by_remote, header;
    size_t rows;
};

static void print_json(const ward_stats_row *r)
{
    ward_msg m = {.type = WARD_MSG_STATS_REPLY};
    m.u.stats_reply.rows = (ward_stats_row *)r;
    m.u.stats_reply.n = 1;
    cli_print_json_item(&m, "rows");
}

static void print_part(const ward_msg *part, void *ctx)
{
    struct out *o = ctx;
    for (size_t i = 0; i < part->u.stats_reply.n; i++, o->rows++) {
        const ward_stats_row *r = &part->u.stats_reply.rows[i];
        if (o->json) {
            print_json(r);
            continue;
        }
        char a[16], b[16], c[16], d[16];
        if (!o->header) {
            printf("%10s %10s %9s %9s %6s  %s\n", "BYTES_IN", "BYTES_OUT", "PKTS_IN", "PKTS_OUT",
                   "CONNS", o->by_remote ? "PROGRAM -> REMOTE" : "PROGRAM");
            o->header = true;
        }
        printf("%10s %10s %9s %9s %6" PRIu64 "  %s", human(r->bytes_in, a, sizeof(a)),
               human(r->bytes_out, b, sizeof(b)), human(r->packets_in, c, sizeof(c)),
               human(r->packets_out, d, sizeof(d)), r->conns, r->program);
        if (o->by_remote)
            printf(" -> %s%s%s%s", r->remote, r->domain[0] ? " (" : "", r->domain,
                   r->domain[0] ? ")" : "");
        putchar('\n');
    }
}

int cmd_stats(int argc, char **argv)
{
    ward_msg req = {.type = WARD_MSG_STATS_QUERY};
    ward_stats_query *q = &req.u.stats_query;
    struct out o = {0};
    bool limits = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json") || !strcmp(a, "--limits")) {
            *(a[2] == 'j' ? &o.json : &limits) = true;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage();
        if (!v) {
            fprintf(stderr, "%s: %s: unknown option or missing value\n", cli_prog, a);
            return usage();
        }
        i++;
        if (!strcmp(a, "--by")) {
            if (strcmp(v, "program") && strcmp(v, "remote")) {
                fprintf(stderr, "%s: --by: 'program' or 'remote', not '%s'\n", cli_prog, v);
                return EXIT_USAGE;
            }
            q->by = strcmp(v, "remote") ? WARD_STATS_BY_PROGRAM : WARD_STATS_BY_REMOTE;
        } else if (!strcmp(a, "--since") || !strcmp(a, "--until")) {
            int64_t t = cli_parse_when(v);
            if (t < 0) {
                fprintf(stderr, "%s: %s: not a time: '%s'\n", cli_prog, a, v);
                return EXIT_USAGE;
            }
            *(a[2] == 's' ? &q->since : &q->until) = t;
        } else if (!strcmp(a, "--program")) {
            q->program = (char *)v;
        } else if (!strcmp(a, "--limit")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 100000) {
                fprintf(stderr, "%s: --limit: 1 to 100000, not '%s'\n", cli_prog, v);
                return EXIT_USAGE;
            }
            q->limit = (uint32_t)n;
        } else {
            fprintf(stderr, "%s: %s: unknown option\n", cli_prog, a);
            return usage();
        }
    }
    if (limits)
        return argc > (o.json ? 3 : 2) ? usage() : cli_stats_limits(o.json);
    o.by_remote = q->by == WARD_STATS_BY_REMOTE;
    if (cli_request_parts("ward-stats", &req, WARD_MSG_STATS_REPLY, print_part, &o) < 0)
        return 1;
    if (!o.json && !o.rows)
        printf("no traffic in this range\n");
    return 0;
}
