/*
 * callouts.c — wardd's callouts: the built-in ones (dnsfilter) and the
 * shared objects of the callout directory, each run in its own
 * ward-callout-host (found beside wardd). A shared object that is refused
 * (not root's, writable by others, another ABI, does not load) is logged
 * and left out: a policy naming it is then refused by name.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char host_path[PATH_MAX];

int wardd_callouts_open(struct wardd *d)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        snprintf(host_path, sizeof(host_path), "%.*s/ward-callout-host", PATH_MAX - 32,
                 dirname(self));
    }
    ward_callouts_config cfg = {.host_path = host_path[0] ? host_path : NULL,
                                .on_failure = WARD_V_BLOCK};
    if (!(d->callouts = ward_callouts_new(&cfg)) ||
        ward_callouts_add_builtin(d->callouts, &ward_dnsfilter_callout) < 0)
        return -1;
    const char *dir = d->opt.callout_dir ? d->opt.callout_dir : WARD_CALLOUT_DIR;
    char err[512];
    int loaded = ward_callouts_load_dir(d->callouts, dir, err, sizeof(err));
    if (loaded < 0)
        wardd_log(LOG_ERR, "%s", err);
    for (size_t i = 0; i < ward_callouts_count(d->callouts); i++) {
        ward_callout_info info;
        ward_callouts_info(d->callouts, i, &info);
        wardd_log(LOG_INFO, "callout %s: %s%s%s", info.name, info.builtin ? "built in" : "",
                  info.path ? info.path : "", info.path ? ", in its own host process" : "");
    }
    return 0;
}

void wardd_callouts_close(struct wardd *d)
{
    ward_dnsfilter_use(NULL);
    ward_callouts_free(d->callouts);
    d->callouts = NULL;
    ward_dnsfilter_free(d->dnsfilter);
    d->dnsfilter = NULL;
}

ward_dnsfilter *wardd_dnsfilter_load(const ward_policy_extras *x, char *err, size_t errlen)
{
    ward_dnsfilter *f = ward_dnsfilter_new();
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < x->n_dnsfilter_lists; i++) {
        if (ward_dnsfilter_load_file(f, x->dnsfilter_lists[i], err, errlen) < 0) {
            ward_dnsfilter_free(f);
            return NULL;
        }
    }
    return f;
}
