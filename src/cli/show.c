/*
 * ward show [FILE...] — the policy in canonical form: settings, zones,
 * providers, sublayers, filters in evaluation order, programs and their
 * rules in order. What is printed parses back to the same text.
 *
 * Exit codes: 0 printed, 1 the policy has errors, 2 usage error.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_show(int argc, char **argv)
{
    int first = 1;
    const char *only = NULL;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--provider") && first + 1 < argc) {
            only = argv[++first];
        } else if (!strcmp(argv[first], "--")) {
            first++;
            break;
        } else {
            bool help = !strcmp(argv[first], "-h") || !strcmp(argv[first], "--help");
            fprintf(help ? stdout : stderr,
                    "usage: %s show [--provider NAME] [FILE...]\n"
                    "  Prints the policy (default: the installed one) in canonical form;\n"
                    "  --provider prints only that provider's filters and rules.\n",
                    cli_prog);
            return help ? 0 : EXIT_USAGE;
        }
    }
    ward_policy *p = cli_policy_new();
    if (!p)
        return 1;
    int rc = cli_policy_load(p, argv + first, argc - first);
    if (rc != 0) {
        ward_policy_free(p);
        return 1;
    }
    unsigned flags = 0;
    uint32_t prov = 0;
    if (only) {
        int id = ward_provider_find(ward_policy_engine(p), only);
        if (id < 0) {
            fprintf(stderr, "%s: no provider '%s'\n", cli_prog, only);
            ward_policy_free(p);
            return 1;
        }
        flags = WARD_PRINT_PROVIDER_ONLY;
        prov = (uint32_t)id;
    }
    char *text = ward_policy_format(p, flags, prov);
    if (!text) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        ward_policy_free(p);
        return 1;
    }
    fputs(text, stdout);
    free(text);
    ward_policy_free(p);
    return 0;
}
