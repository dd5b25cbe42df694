/* cli/callout.c — `ward callout`: wardd's callouts, where they run and how
 * their calls went; shared objects loaded and unloaded while wardd runs.
 *
 *   ward callout list [--json]
 *   ward callout load PATH|NAME     (NAME: NAME.so of wardd's callout directory)
 *   ward callout unload NAME
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: %s callout list [--json]\n"
            "       %s callout load PATH|NAME\n"
            "       %s callout unload NAME\n",
            cli_prog, cli_prog, cli_prog);
    return EXIT_USAGE;
}

struct list_out {
    bool json;
    bool header; /* printed */
};

static void print_callouts(const ward_msg *part, void *ctx)
{
    struct list_out *out = ctx;
    if (!out->json && !out->header) {
        printf("%-16s %-20s %-8s %8s %8s %8s %8s %8s  %s\n", "NAME", "LAYERS", "FILTERS", "CALLS",
               "KEPT", "FAILED", "RESTARTS", "HOST", "WHERE");
        out->header = true;
    }
    for (size_t i = 0; i < part->u.callout_reply.n; i++) {
        const ward_proto_callout *c = &part->u.callout_reply.callouts[i];
        if (out->json)
            printf("{\"name\":\"%s\",\"layers\":\"%s\",\"builtin\":%s,\"path\":\"%s\","
                   "\"host_pid\":%llu,\"calls\":%llu,\"failures\":%llu,\"restarts\":%llu,"
                   "\"filters\":%llu,\"cached\":%llu}\n",
                   c->name, c->layers, c->builtin ? "true" : "false", c->path ? c->path : "",
                   (unsigned long long)c->host_pid, (unsigned long long)c->calls,
                   (unsigned long long)c->failures, (unsigned long long)c->restarts,
                   (unsigned long long)c->filters, (unsigned long long)c->cached);
        else
            printf("%-16s %-20s %-8llu %8llu %8llu %8llu %8llu %8llu  %s\n", c->name, c->layers,
                   (unsigned long long)c->filters, (unsigned long long)c->calls,
                   (unsigned long long)c->cached, (unsigned long long)c->failures,
                   (unsigned long long)c->restarts, (unsigned long long)c->host_pid,
                   c->builtin ? "built in" : c->path);
    }
}

static int list(bool json)
{
    ward_msg req = {.type = WARD_MSG_CALLOUT_LIST};
    struct list_out out = {.json = json};
    return cli_request_parts("ward-callout", &req, WARD_MSG_CALLOUT_REPLY, print_callouts, &out) <
           0;
}

/* load and unload: one string, a path made absolute here (wardd's working
 * directory is not ours). */
static int change(enum ward_msg_type type, const char *arg)
{
    char full[PATH_MAX];
    if (type == WARD_MSG_CALLOUT_LOAD && strchr(arg, '/')) {
        if (!realpath(arg, full)) {
            fprintf(stderr, "%s: callout %s: %m\n", cli_prog, arg);
            return 1;
        }
        arg = full;
    }
    ward_msg req = {.type = type}, rep;
    req.u.callout_op.callout = (char *)arg;
    if (cli_request("ward-callout", &req, &rep) < 0)
        return 1;
    ward_msg_free(&rep);
    return 0;
}

int cmd_callout(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0 && (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json"))))
        return list(argc == 3);
    if (strcmp(sub, "load") == 0 && argc == 3)
        return change(WARD_MSG_CALLOUT_LOAD, argv[2]);
    if (strcmp(sub, "unload") == 0 && argc == 3)
        return change(WARD_MSG_CALLOUT_UNLOAD, argv[2]);
    return usage();
}
