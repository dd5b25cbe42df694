/*
 * cli/policy.c — loading a policy for the subcommands.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

ward_policy *cli_policy_new(void)
{
    ward_policy *p = ward_policy_new();
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        return NULL;
    }
    /* Tests run as root and create files owned by someone else on purpose;
     * they name one more owner to trust. */
    const char *t = getenv("WARD_TRUSTED_UID");
    if (t && *t) {
        char *end;
        errno = 0;
        unsigned long uid = strtoul(t, &end, 10);
        if (!errno && !*end)
            ward_policy_trust_uid(p, (uid_t)uid);
    }
    return p;
}

int cli_policy_load(ward_policy *p, char **files, int n)
{
    int rc;
    if (n > 0) {
        rc = ward_policy_load(p, (const char *const *)files, (size_t)n);
    } else {
        ward_store_paths paths;
        ward_store_paths_default(&paths);
        const char *conf = paths.conf;
        rc = ward_policy_load(p, &conf, 1);
        if (rc == 0 && access(paths.learned, F_OK) == 0) {
            const char *learned = paths.learned;
            rc = ward_policy_load_more(p, &learned, 1);
        }
    }
    fputs(ward_policy_diagnostics(p), stderr);
    if (rc < 0)
        fprintf(stderr, "%s: out of memory\n", cli_prog);
    return rc;
}
