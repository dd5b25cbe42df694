/*
 * cli/conns.c — `ward conns`: the connections open now, with their program,
 * traffic so far and rate over the last second.
 *
 *   ward conns [--json]
 *
 * Anyone may list their own programs' connections; root and group ward
 * see everyone's.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

struct out {
    bool json, header;
    size_t n;
};

static void print_json(const ward_conn_info *c)
{
    ward_msg m = {.type = WARD_MSG_CONNS_REPLY};
    m.u.conns_reply.conns = (ward_conn_info *)c;
    m.u.conns_reply.n = 1;
    cli_print_json_item(&m, "conns");
}

static void print_part(const ward_msg *part, void *ctx)
{
    struct out *o = ctx;
    for (size_t i = 0; i < part->u.conns_reply.n; i++, o->n++) {
        const ward_conn_info *c = &part->u.conns_reply.conns[i];
        if (o->json) {
            print_json(c);
            continue;
        }
        if (!o->header) {
            printf("%-5s %-3s %-22s %-28s %10s %10s %9s %9s  %s\n", "PROTO", "DIR", "LOCAL",
                   "REMOTE", "BYTES_IN", "BYTES_OUT", "IN/S", "OUT/S", "PROGRAM (PID)");
            o->header = true;
        }
        char l[WARD_IP_STRLEN + 8], r[WARD_IP_STRLEN + 8], ip[WARD_IP_STRLEN];
        snprintf(l, sizeof(l), "%s:%u", ward_ip_format(&c->laddr, ip, sizeof(ip)), c->lport);
        snprintf(r, sizeof(r), "%s:%u", ward_ip_format(&c->raddr, ip, sizeof(ip)), c->rport);
        const char *proto = c->proto == 6 ? "tcp" : c->proto == 17 ? "udp" : "other";
        printf("%-5s %-3s %-22s %-28s %10" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64
               "  %s (%u)%s%s\n",
               proto, c->dir == WARD_DIR_IN ? "in" : "out", l, r, c->bytes_in, c->bytes_out,
               c->rate_in, c->rate_out, c->program, c->pid, c->domain[0] ? " " : "", c->domain);
    }
}

int cmd_conns(int argc, char **argv)
{
    struct out o = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            o.json = true;
        } else {
            fprintf(stderr, "usage: %s conns [--json]\n", cli_prog);
            return EXIT_USAGE;
        }
    }
    ward_msg req = {.type = WARD_MSG_CONNS_LIST};
    if (cli_request_parts("ward-conns", &req, WARD_MSG_CONNS_REPLY, print_part, &o) < 0)
        return 1;
    if (!o.json && !o.n)
        printf("no open connections\n");
    return 0;
}
