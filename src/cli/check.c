/*
 * ward check FILE... — validate policy files through the real loader
 * without applying anything.
 *
 * Exit codes: 0 the policy is valid, 1 it has errors (all printed on
 * stderr as file:line:col: error: ...), 2 usage error.
 */
#include "cli/cli.h"

#include <string.h>

int cmd_check(int argc, char **argv)
{
    bool quiet = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "-q") || !strcmp(argv[first], "--quiet")) {
            quiet = true;
        } else if (!strcmp(argv[first], "--")) {
            first++;
            break;
        } else {
            fprintf(argv[first][1] == 'h' || !strcmp(argv[first], "--help") ? stdout : stderr,
                    "usage: %s check [-q] [FILE...]\n"
                    "  Validates the policy files (default: the installed policy) as the daemon\n"
                    "  would load them, applying nothing. Exit 0 valid, 1 errors, 2 usage.\n",
                    cli_prog);
            return !strcmp(argv[first], "-h") || !strcmp(argv[first], "--help") ? 0 : EXIT_USAGE;
        }
    }
    ward_policy *p = cli_policy_new();
    if (!p)
        return 1;
    int rc = cli_policy_load(p, argv + first, argc - first);
    if (rc == 0 && !quiet) {
        ward_engine_stats st;
        ward_engine_stats_get(ward_policy_engine(p), &st);
        printf("policy ok: %zu filters, %zu programs, %zu app rules\n", st.filters, st.apps,
               st.app_rules);
    } else if (rc > 0) {
        fprintf(stderr, "%d error%s\n", rc, rc == 1 ? "" : "s");
    }
    ward_policy_free(p);
    return rc == 0 ? 0 : 1;
}
