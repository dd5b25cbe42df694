/*
 * ward — the command line. Each subcommand lives in its own file; add a
 * line to the table below to add one.
 */
#include "cli/bundle.h"
#include "cli/cli.h"
#include "cli/daemon.h"

#include <stdlib.h>
#include <string.h>

const char *cli_prog = "ward";

static const struct cli_cmd commands[] = {
    {"check", cmd_check, "validate policy files without applying them"},
    {"show", cmd_show, "print a policy in canonical form"},
    {"explain", cmd_explain, "show how the policy decides a described connection"},
    {"export", cmd_export, "write a policy as JSON"},
    {"import", cmd_import, "convert JSON or OpenSnitch rules to the policy language"},
    /* These talk to wardd over its control socket ($WARD_SOCKET). */
    {"status", cmd_status, "what wardd is doing"},
    {"mode", cmd_mode, "show or switch the work mode (ask, allow-all, deny-all)"},
    {"rules", cmd_rules, "list, add or delete application rules in force"},
    {"reload", cmd_reload, "load the policy files again, all or nothing"},
    {"log", cmd_log, "the connection log, filtered; JSON lines or CSV"},
    {"watch", cmd_watch, "decisions as they happen"},
    {"prompt", cmd_prompt, "answer wardd's questions about unknown programs"},
    {"top", cmd_top, "the terminal UI: programs, prompts, rules, log, alerts"},
    {"stats", cmd_stats, "traffic per program or per remote over a time range"},
    {"conns", cmd_conns, "the connections open now, with their traffic"},
    {"ps", cmd_ps, "the processes with open connections: parents, rules, traffic"},
    {"callout", cmd_callout,
     "list wardd's callouts (built in or shared objects, and their calls); load, unload"},
    {"shim", cmd_shim, "turn the user-mode layer (libward-shim.so) on or off for every program"},
    {"filter", cmd_filter, "add, delete and list filters while wardd runs (transactions: apply)"},
    {"sublayer", cmd_sublayer, "add, delete and list sublayers while wardd runs"},
    {"provider", cmd_provider, "add, delete and list providers while wardd runs"},
    {"bundle", cmd_bundle, "signed policy bundles: create, verify, apply, roll back"},
    {"update", cmd_update, "intrusion detection rules from a signed bundle; roll back"},
    {"scan", cmd_scan, "scan files for viruses through wardd (libclamav)"},
    {"mail-ca", cmd_mailca,
     "the mail proxy's local CA: its certificate, for mail clients to trust"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: %s COMMAND [ARGS]\n\ncommands:\n", cli_prog);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'%s COMMAND --help' tells more.\n", cli_prog);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
