/* cli/mode.c — `ward mode [ask|allow-all|deny-all] [--json]`: show or switch
 * the work mode, live. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"

int cmd_mode(int argc, char **argv)
{
    bool json = false;
    const char *want = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (!want)
            want = argv[i];
        else
            want = "";
    }
    int mode = want ? ward_proto_mode_parse(want) : 0;
    if (want && mode < 0) {
        fprintf(stderr, "usage: %s mode [ask|allow-all|deny-all] [--json]\n", cli_prog);
        return EXIT_USAGE;
    }
    ward_msg req = {.type = want ? WARD_MSG_MODE_SET : WARD_MSG_MODE_GET}, rep;
    req.u.mode.mode = (enum ward_mode)mode;
    if (cli_request("ward-mode", &req, &rep) < 0)
        return 1;
    if (json)
        printf("{\"mode\":\"%s\"}\n", ward_mode_name(rep.u.mode.mode));
    else
        printf("%s\n", ward_mode_name(rep.u.mode.mode));
    ward_msg_free(&rep);
    return 0;
}
