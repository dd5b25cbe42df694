/*
 * fleet.c — `set policy-bundle URL every D`: on that timer wardd runs
 * `ward bundle apply --poll URL` (cli/bundle_apply.c), which fetches,
 * verifies, checks and installs the bundle and asks this wardd to reload
 * over the control socket, as an administrator's `ward bundle apply` does.
 * A process of its own keeps downloads and signature checks off the loop,
 * and there is one apply path, not two. One poll at a time; the first right
 * after start (or after the URL changes).
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"
#include "util/spawn.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

extern char **environ;

/* `ward` beside wardd (the package and the build tree), else on PATH. */
static void ward_path(char *out, size_t len)
{
    ward_sibling_path("ward", out, len);
    if (!out[0] || access(out, X_OK) != 0)
        snprintf(out, len, "ward");
}

/* The environment, with the paths of this wardd in place of any others. */
static char **child_env(const struct wardd *d, char *vars[3], size_t size)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 4, sizeof(*env));
    if (!env)
        return NULL;
    snprintf(vars[0], size, "WARD_CONF=%s", d->opt.config);
    snprintf(vars[1], size, "WARD_SOCKET=%s", d->sock_path);
    snprintf(vars[2], size, "WARD_LEARNED=%s", d->learned_path);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "WARD_CONF=", 10) && strncmp(environ[i], "WARD_SOCKET=", 12) &&
            strncmp(environ[i], "WARD_LEARNED=", 13))
            env[k++] = environ[i];
    for (int i = 0; i < 3; i++)
        env[k++] = vars[i];
    return env;
}

pid_t wardd_spawn_ward(const struct wardd *d, const char *what, char *args[])
{
    char ward[PATH_MAX], a[PATH_MAX + 16], b[PATH_MAX + 16], c[PATH_MAX + 16];
    char *vars[3] = {a, b, c};
    char *argv[8] = {ward};
    for (size_t i = 0; args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
        argv[i + 1] = args[i];
    ward_path(ward, sizeof(ward));
    char **env = child_env(d, vars, sizeof(a));
    posix_spawnattr_t attr;
    sigset_t none;
    pid_t pid = 0;
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    int rc = env ? posix_spawnp(&pid, ward, NULL, &attr, argv, env) : ENOMEM;
    posix_spawnattr_destroy(&attr);
    free(env);
    if (rc) {
        wardd_log(LOG_WARNING, "%s: cannot run %s: %s", what, ward, strerror(rc));
        return 0;
    }
    return pid;
}

static void poll_now(struct wardd *d)
{
    char what[600];
    char *args[] = {"bundle", "apply", "--poll", d->extras.policy_bundle, NULL};
    snprintf(what, sizeof(what), "policy bundle %s", d->extras.policy_bundle);
    d->bundle_pid = wardd_spawn_ward(d, what, args);
}

void wardd_fleet_tick(struct wardd *d, int64_t now_ms)
{
    int status;
    if (d->bundle_pid > 0 && waitpid(d->bundle_pid, &status, WNOHANG) == d->bundle_pid) {
        d->bundle_pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            wardd_log(LOG_WARNING, "policy bundle %s: not applied (see the messages above)",
                      d->bundle_url);
    }
    if (strcmp(d->bundle_url, d->extras.policy_bundle)) {
        snprintf(d->bundle_url, sizeof(d->bundle_url), "%s", d->extras.policy_bundle);
        d->bundle_next_ms = now_ms;
    }
    if (!d->bundle_url[0] || d->bundle_pid > 0 || now_ms < d->bundle_next_ms)
        return;
    d->bundle_next_ms = now_ms + (int64_t)d->extras.bundle_every * 1000;
    poll_now(d);
}

void wardd_fleet_close(struct wardd *d)
{
    if (d->bundle_pid > 0) {
        kill(d->bundle_pid, SIGTERM);
        waitpid(d->bundle_pid, NULL, 0);
        d->bundle_pid = 0;
    }
}
