/*
 * cli/provider.c — `ward provider`: providers (who owns filters) added,
 * deleted and listed while wardd runs.
 *
 *   ward provider list [--json]
 *   ward provider add [--dynamic|--persistent] NAME   (or the statement: 'provider NAME')
 *   ward provider del ID
 *
 * Persistent is the default. A provider that filters still name is not
 * deleted. Only what was added at run time can be deleted.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s provider list [--json]\n"
            "       %s provider add [--dynamic|--persistent] NAME\n"
            "       %s provider del ID\n",
            cli_prog, cli_prog, cli_prog);
    return EXIT_USAGE;
}

static int add(int argc, char **argv)
{
    bool dynamic = argc == 2 && strcmp(argv[0], "--dynamic") == 0;
    bool persistent = argc == 2 && strcmp(argv[0], "--persistent") == 0;
    if (argc != 1 && !dynamic && !persistent)
        return usage();
    const char *name = argv[argc - 1];
    char text[1024];
    if (strncmp(name, "provider ", 9) == 0)
        snprintf(text, sizeof(text), "%s", name);
    else
        snprintf(text, sizeof(text), "provider %s", name);
    return cli_object_add("ward-provider", WARD_MSG_PROVIDER_ADD, text, dynamic);
}

int cmd_provider(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0) {
        int rc = cli_object_list("ward-provider", WARD_MSG_PROVIDER_LIST, argc - 2, argv + 2);
        return rc < 0 ? usage() : rc;
    }
    if (strcmp(sub, "add") == 0)
        return add(argc - 2, argv + 2);
    if ((strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0) && argc == 3)
        return cli_object_delete("ward-provider", WARD_MSG_PROVIDER_DELETE, argv[2]);
    return usage();
}
