/* cli/reload.c — `ward reload`: wardd loads the policy again, all or
 * nothing; with any error the policy in force stays and the errors print. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/daemon.h"

int cmd_reload(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: %s reload\n", cli_prog);
        return EXIT_USAGE;
    }
    ward_msg req = {.type = WARD_MSG_RELOAD}, rep;
    if (cli_request("ward-reload", &req, &rep) < 0)
        return 1;
    ward_msg_free(&rep);
    printf("policy reloaded\n");
    return 0;
}
