/*
 * cli/cli.h — what the `ward` subcommands share. One file per subcommand
 * (wireguard-tools style); main.c dispatches through a table.
 *
 * Exit codes of every subcommand: 0 success, 1 the work failed (a policy
 * with errors, a connection refused by the daemon ...), 2 usage error.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"

#define EXIT_USAGE 2

struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

extern const char *cli_prog; /* "ward" */

/* A policy handle set up for the command line: the caller's uid and
 * WARD_TRUSTED_UID (tests) are trusted owners. */
ward_policy *cli_policy_new(void);
/* Loads the files (or the default policy: ward.conf and the learned rules)
 * and prints the diagnostics on stderr. Returns the error count, or -1. */
int cli_policy_load(ward_policy *p, char **files, int n);
/* when.c: a --since/--until time as unix seconds; -1 if it is not one. */
int64_t cli_parse_when(const char *s);

int cmd_check(int argc, char **argv);
int cmd_callout(int argc, char **argv);
int cmd_shim(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_sublayer(int argc, char **argv);
int cmd_provider(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_mailca(int argc, char **argv);

#endif
