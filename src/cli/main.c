/*
 * ward — the command line. Each subcommand lives in its own file; add a
 * line to the table below to add one.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

const char *cli_prog = "ward";

static const struct cli_cmd commands[] = {
    {"check", cmd_check, "validate policy files without applying them"},
    {"show", cmd_show, "print a policy in canonical form"},
    {"explain", cmd_explain, "show how the policy decides a described connection"},
    {"export", cmd_export, "write a policy as JSON"},
    {"import", cmd_import, "convert JSON or OpenSnitch rules to the policy language"},
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
