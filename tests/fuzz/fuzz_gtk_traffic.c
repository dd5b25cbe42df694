/*
 * fuzz_gtk_traffic — ward-gtk's parsers of the traffic accounting replies
 * (stats.reply, conns.reply; src/ui/gtk/traffic.c) on arbitrary lines from
 * wardd: no crash, no leak, whatever the line holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/gtk/traffic.h"

/* The parsers need no connection; the request side is not fuzzed. */
int wg_conn_request_raw(wg_conn *c, const char *type, const char *members, wg_reply_fn fn, void *ud)
{
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = 0;
    bool more;
    GPtrArray *rows = wg_stat_rows_new();
    wg_traffic_parse_stats(line, rows, &more);
    g_ptr_array_unref(rows);
    rows = wg_conn_rows_new();
    wg_traffic_parse_conns(line, rows, &more);
    g_ptr_array_unref(rows);
    free(line);
    return 0;
}
