/*
 * cli/when.c — the times `--since` and `--until` take: unix seconds, an age
 * (30s, 15m, 2h, 7d: that long ago), or a local date "YYYY-MM-DD" with an
 * optional " HH:MM" or " HH:MM:SS".
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include "cli/cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

int64_t cli_parse_when(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end != s && *end && !end[1] && v >= 0) {
        long long unit = *end == 's'   ? 1
                         : *end == 'm' ? 60
                         : *end == 'h' ? 3600
                         : *end == 'd' ? 86400
                                       : 0;
        if (unit)
            return (long long)time(NULL) - v * unit;
    }
    if (end != s && !*end && v >= 0)
        return v;
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%d", &tm);
    if (rest && *rest == ' ')
        rest = strptime(s, "%Y-%m-%d %H:%M", &tm);
    if (rest && *rest == ':')
        rest = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    if (!rest || *rest)
        return -1;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}
