/*
 * logging.c — wardd's messages and its clock, for every part of the daemon.
 * Messages go to stderr; under systemd (JOURNAL_STREAM set) with syslog
 * priority prefixes, which journald understands. Debug messages only with
 * WARD_DEBUG set.
 */
#define _GNU_SOURCE
#include "daemon/wardd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

static bool log_prefix; /* stderr goes to the journal */
static bool log_debug;  /* WARD_DEBUG set */

void wardd_log_init(void)
{
    log_prefix = getenv("JOURNAL_STREAM") != NULL;
    log_debug = getenv("WARD_DEBUG") != NULL;
}

void wardd_log(int prio, const char *fmt, ...)
{
    if (prio == LOG_DEBUG && !log_debug)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (log_prefix)
        fprintf(stderr, "<%d>%s\n", prio, buf);
    else
        fprintf(stderr, "wardd: %s\n", buf);
}

int64_t wardd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
