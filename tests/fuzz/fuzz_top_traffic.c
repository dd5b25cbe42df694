/* libFuzzer target: ward top's reader of the traffic accounting replies
 * (src/ui/top/traffic_parse.c), which takes whatever line wardd sends on its
 * traffic connection. Properties: no crash, no leak, no undefined
 * behaviour; the counts it returns never exceed what it allocated; strings
 * come back NUL-terminated within their fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/top/traffic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = 0;
    struct traffic_reply r;
    if (traffic_parse(line, &r) == 0) {
        for (size_t i = 0; i < r.n_stats; i++)
            if (strlen(r.stats[i].program) >= sizeof(r.stats[i].program))
                abort();
        for (size_t i = 0; i < r.n_conns; i++)
            if (strlen(r.conns[i].program) >= sizeof(r.conns[i].program) ||
                strlen(r.conns[i].raddr) >= sizeof(r.conns[i].raddr))
                abort();
        if ((r.n_stats && r.kind != TRAFFIC_STATS) || (r.n_conns && r.kind != TRAFFIC_CONNS))
            abort();
        traffic_reply_free(&r);
    }
    free(line);
    return 0;
}
