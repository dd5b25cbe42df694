/*
 * cli/rules.c — `ward rules`: the application rules in force.
 *
 *   ward rules list [--provider P] [--program PATH] [--json]
 *   ward rules add [--provider P] [--for N(m|h)|--until-restart] PROGRAM RULE...
 *   ward rules delete ID
 *
 * RULE is an application rule in the policy language, as a program's block
 * holds it (docs/POLICY.md): allow|deny, then direction, protocol, ports,
 * to/from zones or addresses, domains, time windows, provider, lifetime:
 *   ward rules add /usr/bin/git allow out tcp port 22,443 to internet weekdays 08:00-19:00
 * wardd parses it with the policy's own parser, so everything a policy file
 * accepts in a rule is accepted here, and nothing else. The direction is
 * out unless the rule says in; a comma list ("22,443") is a { } list. Rules
 * added here are learned rules: kept in the learned rules file unless given
 * a lifetime (--for, --until-restart, or the language's own).
 */
#include <ctype.h>
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
            "                 [in|out] [tcp|udp|icmp|proto P] [port P[,P-Q...]] [to|from "
            "WHERE[,...]]\n"
            "                 [domain D[,...]] [DAYS [HH:MM-HH:MM]] [provider P] "
            "[LIFETIME]\n"
            "         (a rule of the policy language: docs/POLICY.md)\n"
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

/* Appends one word to the rule's text: quoted when the lexer would not read
 * it as one word; a comma list after port, to, from, domain, user or proto
 * ("22,443", "lan,office", "0,1000-1999") becomes a { } list, as the
 * command line has always taken them. */
static bool put_word(char *buf, size_t len, const char *w, const char *prev)
{
    static const char *const listed[] = {"port", "to", "from", "domain", "proto", "user", NULL};
    bool list = false;
    for (const char *const *k = listed; prev && *k; k++)
        list = list || !strcmp(prev, *k);
    size_t off = strlen(buf);
    char q[1024];
    bool plain = *w != 0;
    for (const char *c = w; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("_.:/*-+?@{}!,$\"", *c))
            plain = false;
    if (plain && list && strchr(w, ',') && !strchr(w, '{') && 3 * strlen(w) + 8 < sizeof(q)) {
        size_t k = 0;
        q[k++] = '{';
        q[k++] = ' ';
        for (const char *c = w; *c; c++) {
            q[k++] = *c;
            if (*c == ',')
                q[k++] = ' ';
        }
        q[k++] = ' ';
        q[k++] = '}';
        q[k] = 0;
        w = q;
    } else if (!plain) {
        ward_policy_quote(w, q, sizeof(q));
        w = q;
    }
    int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", w);
    return n >= 0 && (size_t)n < len - off;
}

static int add(int argc, char **argv)
{
    ward_proto_rule r = {.provider = "learned"};
    char text[4096] = "", life[64] = "";
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc) {
            r.provider = argv[++i];
        } else if (strcmp(argv[i], "--until-restart") == 0) {
            snprintf(life, sizeof(life), "until-restart");
        } else if (strcmp(argv[i], "--for") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            long unit = strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600 : 0;
            if (n <= 0 || !unit || n > 366L * 86400 / unit)
                return usage();
            ward_lifetime l = {.kind = WARD_LIFE_TIMED, .expires = (int64_t)time(NULL) + n * unit};
            ward_policy_fmt_lifetime(&l, life, sizeof(life));
        } else {
            return usage();
        }
    }
    if (argc - i < 2)
        return usage();
    r.program = argv[i++];
    /* "block" has always been taken for "deny" here. */
    if (!put_word(text, sizeof(text), strcmp(argv[i], "block") == 0 ? "deny" : argv[i], NULL))
        return usage();
    /* The direction is out unless the rule says otherwise, as before. */
    bool dir = false;
    for (int k = i + 1; k < argc; k++)
        dir = dir || !strcmp(argv[k], "in") || !strcmp(argv[k], "out");
    if (!dir && !put_word(text, sizeof(text), "out", NULL))
        return usage();
    for (i++; i < argc; i++) {
        if (!put_word(text, sizeof(text), argv[i], argv[i - 1])) {
            fprintf(stderr, "%s: rules add: the rule is too long\n", cli_prog);
            return EXIT_USAGE;
        }
    }
    size_t off = strlen(text);
    if (*life &&
        (size_t)snprintf(text + off, sizeof(text) - off, " %s", life) >= sizeof(text) - off)
        return usage();
    r.text = text;
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
