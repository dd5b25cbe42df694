/* cli/callout.c — `ward callout list [--json]`: wardd's callouts, where
 * they run and how their calls went. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

int cmd_callout(int argc, char **argv)
{
    bool json = argc == 3 && strcmp(argv[2], "--json") == 0;
    if (argc < 2 || strcmp(argv[1], "list") != 0 || argc > 3 || (argc == 3 && !json)) {
        fprintf(stderr, "usage: %s callout list [--json]\n", cli_prog);
        return EXIT_USAGE;
    }
    ward_msg req = {.type = WARD_MSG_CALLOUT_LIST}, rep;
    if (cli_request("ward-callout", &req, &rep) < 0)
        return 1;
    if (!json)
        printf("%-16s %-20s %-8s %8s %8s %8s %8s  %s\n", "NAME", "LAYERS", "FILTERS", "CALLS",
               "FAILED", "RESTARTS", "HOST", "WHERE");
    for (size_t i = 0; i < rep.u.callout_reply.n; i++) {
        const ward_proto_callout *c = &rep.u.callout_reply.callouts[i];
        if (json)
            printf("{\"name\":\"%s\",\"layers\":\"%s\",\"builtin\":%s,\"path\":\"%s\","
                   "\"host_pid\":%llu,\"calls\":%llu,\"failures\":%llu,\"restarts\":%llu,"
                   "\"filters\":%llu}\n",
                   c->name, c->layers, c->builtin ? "true" : "false", c->path ? c->path : "",
                   (unsigned long long)c->host_pid, (unsigned long long)c->calls,
                   (unsigned long long)c->failures, (unsigned long long)c->restarts,
                   (unsigned long long)c->filters);
        else
            printf("%-16s %-20s %-8llu %8llu %8llu %8llu %8llu  %s\n", c->name, c->layers,
                   (unsigned long long)c->filters, (unsigned long long)c->calls,
                   (unsigned long long)c->failures, (unsigned long long)c->restarts,
                   (unsigned long long)c->host_pid, c->builtin ? "built in" : c->path);
    }
    ward_msg_free(&rep);
    return 0;
}
