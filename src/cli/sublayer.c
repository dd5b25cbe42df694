/*
 * cli/sublayer.c — `ward sublayer`: sublayers added, deleted and listed
 * while wardd runs.
 *
 *   ward sublayer list [--json]
 *   ward sublayer add [--dynamic] NAME WEIGHT    (or the statement: 'sublayer NAME weight W')
 *   ward sublayer del ID
 *
 * Deleting a sublayer deletes its filters. Only what was added at run time
 * can be deleted: the policy files own the rest.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s sublayer list [--json]\n"
            "       %s sublayer add [--dynamic] NAME WEIGHT\n"
            "       %s sublayer del ID\n",
            cli_prog, cli_prog, cli_prog);
    return EXIT_USAGE;
}

static int add(int argc, char **argv)
{
    bool dynamic = argc > 0 && strcmp(argv[0], "--dynamic") == 0;
    argc -= dynamic;
    argv += dynamic;
    char text[1024];
    if (argc == 1)
        snprintf(text, sizeof(text), "%s", argv[0]);
    else if (argc == 2)
        snprintf(text, sizeof(text), "sublayer %s weight %s", argv[0], argv[1]);
    else
        return usage();
    return cli_object_add("ward-sublayer", WARD_MSG_SUBLAYER_ADD, text, dynamic);
}

int cmd_sublayer(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0) {
        int rc = cli_object_list("ward-sublayer", WARD_MSG_SUBLAYER_LIST, argc - 2, argv + 2);
        return rc < 0 ? usage() : rc;
    }
    if (strcmp(sub, "add") == 0)
        return add(argc - 2, argv + 2);
    if ((strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0) && argc == 3)
        return cli_object_delete("ward-sublayer", WARD_MSG_SUBLAYER_DELETE, argv[2]);
    return usage();
}
