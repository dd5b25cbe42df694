/* cli/scan.c — `ward scan PATH...`: wardd has ward-scand scan the files
 * (docs/AV.md); one line each: clean, infected (the signature) or an error.
 * Exit 1 when a file is infected or could not be scanned. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

/* The first scan may wait for the databases to load. */
#define SCAN_TIMEOUT_MS (10 * 60 * 1000)

int cmd_scan(int argc, char **argv)
{
    if (argc < 2 || argc - 1 > WARD_PROTO_MAX_SCAN || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: %s scan PATH... (at most %d)\n", cli_prog, WARD_PROTO_MAX_SCAN);
        return EXIT_USAGE;
    }
    /* wardd runs elsewhere: it gets absolute paths. */
    char *paths[WARD_PROTO_MAX_SCAN];
    int n = argc - 1;
    for (int i = 0; i < n; i++) {
        char *abs = realpath(argv[i + 1], NULL);
        paths[i] = abs ? abs : strdup(argv[i + 1]);
    }
    ward_msg req = {.type = WARD_MSG_SCAN, .u.scan = {paths, (size_t)n}}, rep;
    int rc = 1;
    ward_client *c = cli_connect("ward-scan");
    if (c && ward_client_call(c, &req, &rep, NULL, NULL, SCAN_TIMEOUT_MS) != 1) {
        fprintf(stderr, "%s: no answer from wardd\n", cli_prog);
    } else if (c && rep.type == WARD_MSG_ERROR) {
        fprintf(stderr, "%s: wardd: %s: %s\n", cli_prog, ward_proto_err_name(rep.u.error.code),
                rep.u.error.message ? rep.u.error.message : "");
        ward_msg_free(&rep);
    } else if (c) {
        rc = 0;
        for (size_t i = 0; i < rep.u.scan_reply.n; i++) {
            const ward_proto_scan_result *r = &rep.u.scan_reply.v[i];
            if (r->result == WARD_SCAN_CLEAN)
                printf("%s: clean\n", r->path);
            else
                printf("%s: %s: %s\n", r->path,
                       r->result == WARD_SCAN_INFECTED ? "infected" : "error",
                       r->name ? r->name : "?");
            if (r->result != WARD_SCAN_CLEAN)
                rc = 1;
        }
        ward_msg_free(&rep);
    }
    if (c)
        ward_client_close(c);
    for (int i = 0; i < n; i++)
        free(paths[i]);
    return rc;
}
