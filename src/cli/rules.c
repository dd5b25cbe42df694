/*
 * cli/rules.c — `ward rules`: the application rules in force.
 *
 *   ward rules list [--provider P] [--program PATH] [--json]
 *   ward rules add [--provider P] [--for N(m|h)|--until-restart] PROGRAM allow|deny
 *                  [out|in|any] [tcp|udp|icmp|PROTO] [port P[,P-Q...]] [to WHERE[,...]]
 *   ward rules delete ID
 *
 * WHERE is an address or prefix, a zone (lan, internet, office ...) or a
 * domain (example.com, *.example.com). Rules added here are learned rules:
 * kept in the learned rules file unless given a lifetime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/daemon.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s rules list [--provider P] [--program PATH] [--json]\n"
            "       %s rules add [--provider P] [--for N(m|h)|--until-restart] PROGRAM "
            "allow|deny\n"
            "                 [out|in|any] [tcp|udp|icmp|PROTO] [port P[,P-Q...]] "
            "[to WHERE[,...]]\n"
            "       %s rules delete ID\n",
            cli_prog, cli_prog, cli_prog);
    return EXIT_USAGE;
}

static void print_rules(const ward_msg *part, void *ctx)
{
    bool json = *(bool *)ctx;
    for (size_t i = 0; i < part->u.rules_reply.n; i++) {
        if (json)
            cli_print_rule_json(stdout, &part->u.rules_reply.rules[i]);
        else
            cli_print_rule(stdout, &part->u.rules_reply.rules[i]);
    }
}

static int list(int argc, char **argv)
{
    ward_msg req = {.type = WARD_MSG_RULES_LIST};
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc)
            req.u.rules_list.provider = argv[++i];
        else if (strcmp(argv[i], "--program") == 0 && i + 1 < argc)
            req.u.rules_list.program = argv[++i];
        else
            return usage();
    }
    return cli_request_parts("ward-rules", &req, WARD_MSG_RULES_REPLY, print_rules, &json) < 0;
}

/* "80", "80,443", "8000-8100": into r's port list. */
static int parse_ports(const char *s, ward_proto_rule *r, ward_range *buf, size_t max)
{
    r->ports = buf;
    r->n_ports = 0;
    while (*s) {
        char *end;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (end == s)
            return -1;
        if (*end == '-') {
            s = end + 1;
            hi = strtoul(s, &end, 10);
            if (end == s)
                return -1;
        }
        if (lo > hi || hi > 65535 || r->n_ports == max || (*end && *end != ','))
            return -1;
        buf[r->n_ports++] = (ward_range){(uint32_t)lo, (uint32_t)hi};
        s = *end ? end + 1 : end;
    }
    return r->n_ports ? 0 : -1;
}

#define MAX_TO 32

static int parse_to(char *s, ward_proto_rule *r, ward_cidr *cidrs, char **zones, char **domains)
{
    r->remotes = cidrs;
    r->zones = zones;
    r->domains = domains;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (r->n_remotes + r->n_zones + r->n_domains == MAX_TO)
            return -1;
        if (ward_cidr_parse(tok, &cidrs[r->n_remotes]) == 0)
            r->n_remotes++;
        else if (strchr(tok, '.'))
            domains[r->n_domains++] = tok;
        else
            zones[r->n_zones++] = tok;
    }
    return 0;
}

static int add(int argc, char **argv)
{
    ward_proto_rule r = {.provider = "learned", .dir = WARD_DIR_OUT};
    ward_range ports[64];
    ward_cidr cidrs[MAX_TO];
    char *zones[MAX_TO], *domains[MAX_TO];
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc) {
            r.provider = argv[++i];
        } else if (strcmp(argv[i], "--until-restart") == 0) {
            r.lifetime.kind = WARD_LIFE_UNTIL_RESTART;
        } else if (strcmp(argv[i], "--for") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            long unit = strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600 : 0;
            if (n <= 0 || !unit)
                return usage();
            r.lifetime.kind = WARD_LIFE_TIMED;
            r.lifetime.expires = (int64_t)time(NULL) + n * unit;
        } else {
            return usage();
        }
    }
    if (argc - i < 2)
        return usage();
    r.program = argv[i++];
    if (strcmp(argv[i], "allow") == 0)
        r.action = WARD_ACT_PERMIT;
    else if (strcmp(argv[i], "deny") == 0 || strcmp(argv[i], "block") == 0)
        r.action = WARD_ACT_BLOCK;
    else
        return usage();
    for (i++; i < argc; i++) {
        const char *w = argv[i];
        if (strcmp(w, "out") == 0)
            r.dir = WARD_DIR_OUT;
        else if (strcmp(w, "in") == 0)
            r.dir = WARD_DIR_IN;
        else if (strcmp(w, "any") == 0)
            r.dir = WARD_DIR_ANY;
        else if (strcmp(w, "tcp") == 0)
            r.proto = 6;
        else if (strcmp(w, "udp") == 0)
            r.proto = 17;
        else if (strcmp(w, "icmp") == 0)
            r.proto = 1;
        else if (strcmp(w, "port") == 0 && i + 1 < argc) {
            if (parse_ports(argv[++i], &r, ports, 64) < 0) {
                fprintf(stderr, "%s: bad port list '%s'\n", cli_prog, argv[i]);
                return EXIT_USAGE;
            }
        } else if (strcmp(w, "to") == 0 && i + 1 < argc) {
            if (parse_to(argv[++i], &r, cidrs, zones, domains) < 0)
                return usage();
        } else {
            fprintf(stderr, "%s: rules add: unexpected '%s'\n", cli_prog, w);
            return usage();
        }
    }
    ward_msg req = {.type = WARD_MSG_RULES_ADD}, rep;
    req.u.rule = r;
    if (cli_request("ward-rules", &req, &rep) < 0)
        return 1;
    printf("rule %llu added\n", (unsigned long long)rep.u.rule_id.id);
    ward_msg_free(&rep);
    return 0;
}

static int delete (int argc, char **argv)
{
    char *end;
    if (argc != 1)
        return usage();
    unsigned long long id = strtoull(argv[0], &end, 10);
    if (*end || !id)
        return usage();
    ward_msg req = {.type = WARD_MSG_RULES_DELETE}, rep;
    req.u.rule_id.id = id;
    if (cli_request("ward-rules", &req, &rep) < 0)
        return 1;
    ward_msg_free(&rep);
    printf("rule %llu deleted\n", id);
    return 0;
}

int cmd_rules(int argc, char **argv)
{
    if (argc < 2)
        return list(0, NULL);
    if (strcmp(argv[1], "list") == 0)
        return list(argc - 2, argv + 2);
    if (strcmp(argv[1], "add") == 0)
        return add(argc - 2, argv + 2);
    if (strcmp(argv[1], "delete") == 0)
        return delete (argc - 2, argv + 2);
    return usage();
}
